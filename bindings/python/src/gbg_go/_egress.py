"""The egress policy: which origins a client's component may reach.

Deny by default. A request is sent only when its origin (``scheme://host:port``,
lower-case, the scheme's default port made explicit) is on the client's
allow-list, so allowing ``https://h`` never allows ``http://h:443``; plain
``http`` goes to loopback only. Anything else is answered with the WASI error
code ``HTTP-request-denied`` before a byte is sent, as the Rust host and the
Node package do.

The list is the host's, never the component's: it is built from the
configuration the application passed to ``open`` (its API base and token
URL), with this package's copy of GBG's documented hosts.
"""

from __future__ import annotations

import ipaddress
import logging
import urllib.parse
from typing import Iterable, Optional

from . import _facts
from ._types import ClientConfig

log = logging.getLogger("gbg_go")


def reachable_urls(config: ClientConfig) -> list[str]:
    """The URLs a client opened with ``config`` has to reach: its API base and token URL."""
    endpoint = str(getattr(config.endpoint, "value", config.endpoint))
    base = _facts.region_base_url(endpoint) if endpoint in _facts.REGIONS else endpoint
    return [base, config.token_url or _facts.TOKEN_URL]


class Egress:
    """An allow-list of origins."""

    def __init__(self, urls: Iterable[str]) -> None:
        self.allowed = frozenset(o for o in map(_origin_of_url, urls) if o is not None)

    def refusal(self, scheme: str, authority: str) -> Optional[str]:
        """Why a request to ``authority`` over ``scheme`` is refused, or None."""
        if scheme not in ("http", "https"):
            return "only http and https are allowed"
        if not authority or "@" in authority:
            return "the request has no valid authority"
        host, port = split_authority(scheme, authority)
        if host is None:
            return "the request has no valid authority"
        if f"{scheme}://{host}:{port}" not in self.allowed:
            return "the origin (scheme, host and port) is not on the host's allow-list"
        if scheme == "http" and not _is_loopback(host):
            return "plain http is only allowed to loopback addresses"
        return None

    def check(self, scheme: str, authority: str) -> bool:
        """Whether the request may go; logs a refusal, naming the authority."""
        reason = self.refusal(scheme, authority)
        if reason is not None:
            log.warning("request to %s denied: %s", authority.rsplit("@", 1)[-1], reason)
        return reason is None


def _origin_of_url(url: str) -> Optional[str]:
    try:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or "@" in parsed.netloc:
            return None
        host, port = split_authority(parsed.scheme, parsed.netloc)
    except ValueError:
        return None
    return None if host is None else f"{parsed.scheme}://{host}:{port}"


def split_authority(scheme: str, authority: str) -> tuple[Optional[str], int]:
    """The lower-case host (IPv6 in brackets) and port of ``authority``;
    no host when it is not a valid authority."""
    try:
        parsed = urllib.parse.urlsplit(f"{scheme}://{authority}")
        port = parsed.port or (443 if scheme == "https" else 80)
    except ValueError:
        return None, 0
    host = parsed.hostname
    if not host or parsed.netloc != authority:
        return None, 0
    return (f"[{host}]" if ":" in host else host), port


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
