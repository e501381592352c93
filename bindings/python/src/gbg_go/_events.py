"""Checks the completion events the journey service signs, per Standard
Webhooks: ``webhook-id``, ``webhook-timestamp`` (Unix seconds) and
``webhook-signature`` (``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``,
several separated by spaces), with a ``whsec_<base64>`` secret.

Nothing here imports wasmtime: a webhook receiver needs no runtime.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any, Mapping, Optional, Union

from ._errors import InvalidSignatureError

TOLERANCE_S = 5 * 60
"""How far an event's timestamp may be from now, either way."""


def verify_event(
    body: Union[bytes, str],
    headers: Mapping[str, str],
    secret: str,
    *,
    now: Optional[float] = None,
) -> dict[str, Any]:
    """The event in ``body``, parsed, once its signature and timestamp verify.

    ``body`` is the request body exactly as received; ``headers`` the
    request's headers (any capitalisation); ``secret`` the ``whsec_...``
    secret the service signs with. Raises :class:`~gbg_go.InvalidSignatureError`
    naming what did not verify.
    """
    raw = body.encode() if isinstance(body, str) else bytes(body)
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    event_id = _header(lowered, "webhook-id")
    stamp = _header(lowered, "webhook-timestamp")
    signatures = _header(lowered, "webhook-signature")
    key = _key(secret)
    try:
        sent = int(stamp)
    except ValueError:
        raise _refused("webhook-timestamp is not a number of seconds") from None
    if abs((time.time() if now is None else now) - sent) > TOLERANCE_S:
        raise _refused("webhook-timestamp is more than 5 minutes from now")
    expected = hmac.new(key, f"{event_id}.{stamp}.".encode() + raw, hashlib.sha256).digest()
    if not any(_matches(candidate, expected) for candidate in signatures.split()):
        raise _refused("no webhook-signature matches the body")
    try:
        event: Any = json.loads(raw)
    except ValueError:
        raise _refused("the body is not JSON") from None
    if not isinstance(event, dict):
        raise _refused("the body is not a JSON object")
    return event


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if not value:
        raise _refused(f"the {name} header is missing")
    return value


def _key(secret: str) -> bytes:
    if not isinstance(secret, str) or not secret.startswith("whsec_"):
        raise _refused("the secret is not a whsec_ secret")
    encoded = secret[len("whsec_") :]
    try:
        return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise _refused("the secret is not base64 after whsec_") from None


def _matches(candidate: str, expected: bytes) -> bool:
    version, _, signature = candidate.partition(",")
    if version != "v1":
        return False
    try:
        given = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(given, expected)


def _refused(reason: str) -> InvalidSignatureError:
    return InvalidSignatureError(f"the event does not verify: {reason}", detail={"reason": reason})
