"""Values between Python and the component's WIT types.

Arguments are checked here, in Python, before they reach the component: a
bad one raises :class:`~gbg_go.InvalidInputError` naming it, and the store
never sees it. The component's values are those of :mod:`gbg_go._abi`:
records as dicts of their WIT (kebab-case) field names, variants as
``(case, payload)`` pairs, results as ``Ok`` or ``Err``.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from typing import Any, Callable, Iterable, Optional, Sequence

from . import _facts
from ._abi import Err, Ok
from ._errors import COMPONENT_ERRORS, GbgGoError, invalid_argument
from ._types import (
    ClientConfig,
    ClientCredentials,
    ElementInput,
    ElementRequirement,
    Interaction,
    InteractionStep,
    JourneyState,
    NotReady,
    Participant,
    PasswordGrant,
    Region,
    RetryPolicy,
    StartedJourney,
    Submission,
    TokenInfo,
)

U32 = (1 << 32) - 1


Record = dict[str, Any]
"""A WIT record: its fields by WIT (kebab-case) name."""

Variant = tuple[str, Any]
"""A WIT variant: its case and payload (None without one)."""


def record(**fields: Any) -> Record:
    """A WIT record; ``field_name`` stands for the WIT field ``field-name``."""
    return {name.replace("_", "-"): field for name, field in fields.items()}


def fields(value: Record) -> dict[str, Any]:
    """A WIT record's fields, snake_case."""
    return {name.replace("-", "_"): field for name, field in value.items()}


# -- checks -------------------------------------------------------------------------------


def text(name: str, value: Any, *, empty: bool = False) -> str:
    """``value`` if it is a string the component can take."""
    if not isinstance(value, str):
        raise invalid_argument(name, f"must be a string, not {type(value).__name__}")
    if not empty and not value:
        raise invalid_argument(name, "must not be empty")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise invalid_argument(name, "is not valid Unicode (a lone surrogate)") from None
    return value


def optional_text(name: str, value: Any) -> Optional[str]:
    return None if value is None else text(name, value)


def u32(name: str, value: Any, *, least: int = 0) -> int:
    """``value`` if it is a whole number from ``least`` to 2³²-1."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid_argument(name, f"must be a whole number, not {type(value).__name__}")
    if not least <= value <= U32:
        raise invalid_argument(name, f"must be from {least} to {U32}")
    return value


def optional_u32(name: str, value: Any) -> Optional[int]:
    return None if value is None else u32(name, value)


def seconds(name: str, value: Any) -> Optional[float]:
    """A per-call timeout: None, or a positive number of seconds."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise invalid_argument(name, "must be a positive number of seconds")
    return float(value)


def choice(name: str, value: Any, allowed: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise invalid_argument(name, f"must be one of {', '.join(repr(a) for a in allowed)}, not {value!r}")
    return value


def json_object(name: str, value: Any) -> str:
    """A dict as the JSON text the component takes."""
    if not isinstance(value, Mapping):
        raise invalid_argument(name, f"must be a dict (a JSON object), not {type(value).__name__}")
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise invalid_argument(name, f"is not JSON: {error}") from None


def strings(name: str, value: Any) -> list[str]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise invalid_argument(name, "must be a list of strings")
    return [text(f"{name}[{i}]", v) for i, v in enumerate(value)]


# -- to the component ------------------------------------------------------------------------


def config(value: Any) -> Record:
    """A :class:`ClientConfig` as the WIT ``client-config``."""
    if not isinstance(value, ClientConfig):
        raise invalid_argument("config", f"must be a gbg_go.ClientConfig, not {type(value).__name__}")
    endpoint = value.endpoint.value if isinstance(value.endpoint, Region) else value.endpoint
    endpoint = text("config.endpoint", endpoint)
    grant = value.grant
    if not isinstance(grant, (ClientCredentials, PasswordGrant)):
        raise invalid_argument("config.grant", "must be a ClientCredentials or a PasswordGrant")
    case = "client-credentials" if isinstance(grant, ClientCredentials) else "password"
    wit_grant = (case, text_record("config.grant", grant))
    return record(
        endpoint=("region", endpoint) if endpoint in _facts.REGIONS else ("base-url", endpoint),
        token_url=optional_text("config.token_url", value.token_url),
        grant=wit_grant,
        hosted_base_url=optional_text("config.hosted_base_url", value.hosted_base_url),
        source=optional_text("config.source", value.source),
        retry=_retry(value.retry),
        token_refresh_margin_s=optional_u32("config.token_refresh_margin_s", value.token_refresh_margin_s),
        max_response_bytes=optional_u32("config.max_response_bytes", value.max_response_bytes),
        request_timeout_ms=optional_u32("config.request_timeout_ms", value.request_timeout_ms),
        interaction_auth=None
        if value.interaction_auth is None
        else choice("config.interaction_auth", value.interaction_auth, ("customer-token", "end-user-token")),
    )


def _retry(value: Any) -> Optional[Record]:
    if value is None:
        return None
    if not isinstance(value, RetryPolicy):
        raise invalid_argument("config.retry", "must be a RetryPolicy")
    return record(
        max_attempts=u32("config.retry.max_attempts", value.max_attempts),
        initial_backoff_ms=u32("config.retry.initial_backoff_ms", value.initial_backoff_ms),
        max_backoff_ms=u32("config.retry.max_backoff_ms", value.max_backoff_ms),
        max_elapsed_ms=u32("config.retry.max_elapsed_ms", value.max_elapsed_ms),
    )


def _step_of_dict(value: Mapping[str, Any]) -> InteractionStep:
    fields = {k: v for k, v in value.items() if k != "ready"}
    try:
        if not value["ready"]:
            return NotReady(**fields)

        def requirement(r: Mapping[str, Any]) -> ElementRequirement:
            return ElementRequirement(**{**r, "inputs": [ElementInput(**i) for i in r["inputs"]]})

        fields["collects"] = [requirement(r) for r in fields["collects"]]
        fields["consumes"] = [requirement(r) for r in fields["consumes"]]
        return Interaction(**fields)
    except (KeyError, TypeError) as error:
        raise invalid_argument("step", f"is not an interaction step: {error}") from None


def text_record(name: str, value: Any) -> Record:
    """A dataclass of text fields as a WIT record; a field that defaults to
    None is optional."""
    return record(
        **{
            f.name: (optional_text if f.default is None else text)(f"{name}.{f.name}", getattr(value, f.name))
            for f in dataclasses.fields(value)
        }
    )


def text_records(name: str, value: Any, cls: type) -> list[Record]:
    """A list of ``cls``, a dataclass of text fields, as WIT records."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise invalid_argument(name, f"must be a list of {cls.__name__}")
    checked = []
    for i, item in enumerate(value):
        if not isinstance(item, cls):
            raise invalid_argument(f"{name}[{i}]", f"must be a {cls.__name__}")
        checked.append(text_record(f"{name}[{i}]", item))
    return checked


def submission(value: Any) -> Record:
    """A :class:`Submission` as the WIT ``submission``."""
    if not isinstance(value, Submission):
        raise invalid_argument("submission", f"must be a gbg_go.Submission, not {type(value).__name__}")
    return record(
        instance_id=text("submission.instance_id", value.instance_id),
        interaction_id=text("submission.interaction_id", value.interaction_id),
        participants=text_records("submission.participants", value.participants, Participant),
        subject=json_object("submission.subject", value.subject),
    )


def status(text: str) -> Variant:
    """A status as GBG spells it, as the WIT ``journey-status``."""
    for case, spelling in _facts.STATUSES.items():
        if text == spelling:
            return case, None
    return "other", text


def step(value: Any) -> Variant:
    """An :class:`Interaction` or :class:`NotReady`, or the dict the Temporal
    workflow's ``interaction`` query gives (the same fields and ``ready``), as
    the WIT ``interaction-step``."""
    if isinstance(value, Mapping) and isinstance(value.get("ready"), bool):
        value = _step_of_dict(value)
    if isinstance(value, NotReady):
        return "not-ready", status(text("step.journey_status", value.journey_status))
    if not isinstance(value, Interaction):
        raise invalid_argument("step", "must be what fetch_interaction returned")

    def element(e: ElementInput) -> Record:
        return record(ref=e.ref, spec=e.spec, recommended=e.recommended)

    def requirement(r: ElementRequirement) -> Record:
        return record(
            element=record(ref=r.ref, spec=r.spec, recommended=r.recommended),
            combinator=r.combinator,
            inputs=[element(i) for i in r.inputs],
        )

    return "ready", record(
        instance_id=value.instance_id,
        interaction_id=value.interaction_id,
        journey_status=status(value.journey_status),
        collects=[requirement(r) for r in value.collects],
        consumes=[requirement(r) for r in value.consumes],
        outstanding=list(value.outstanding),
        document=json.dumps(value.interaction),
    )


# -- from the component -------------------------------------------------------------------------


def spelled(value: Variant) -> str:
    """A WIT ``journey-status`` as GBG spells it."""
    case, text = value
    return str(text) if case == "other" else _facts.STATUSES[case]


def token_info(value: Record) -> TokenInfo:
    return TokenInfo(**fields(value))


def started(value: Record) -> StartedJourney:
    return StartedJourney(**fields(value))


def journey_state(value: Record) -> JourneyState:
    v = fields(value)
    return JourneyState(
        instance_id=v["instance_id"],
        status=v["status_text"],
        created_at=v["created_at"],
        completed_at=v["completed_at"],
        state=json.loads(v["document"]),
    )


def _element(value: Record) -> ElementInput:
    return ElementInput(**fields(value))


def _requirement(value: Record) -> ElementRequirement:
    v = fields(value)
    element = fields(v["element"])
    return ElementRequirement(
        ref=element["ref"],
        spec=element["spec"],
        recommended=element["recommended"],
        combinator=v["combinator"],
        inputs=[_element(i) for i in v["inputs"]],
    )


def interaction_step(instance_id: str, value: Variant) -> InteractionStep:
    """The WIT ``interaction-step``."""
    case, payload = value
    if case == "not-ready":
        return NotReady(instance_id, spelled(payload))
    v = fields(payload)
    return Interaction(
        instance_id=v["instance_id"],
        interaction_id=v["interaction_id"],
        journey_status=spelled(v["journey_status"]),
        collects=[_requirement(r) for r in v["collects"]],
        consumes=[_requirement(r) for r in v["consumes"]],
        outstanding=list(v["outstanding"]),
        interaction=json.loads(v["document"]),
    )


def planned(value: Optional[Record]) -> Optional[Submission]:
    if value is None:
        return None
    v = fields(value)
    return Submission(
        instance_id=v["instance_id"],
        interaction_id=v["interaction_id"],
        participants=[Participant(**fields(p)) for p in v["participants"]],
        subject=json.loads(v["subject"]),
    )


def plain(value: Any) -> Any:
    """A WIT value as plain Python: records as dicts with snake_case keys, a
    journey status (the one variant inside an error) as GBG spells it."""
    if isinstance(value, dict):
        return {name: plain(field) for name, field in fields(value).items()}
    if isinstance(value, tuple):
        return spelled(value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def unwrap(value: Any, describe: Callable[[Variant], str]) -> Any:
    """The ok value of a WIT ``result<T, error>``, or its error raised."""
    if isinstance(value, Err):
        raise error(value.value, describe(value.value))
    assert isinstance(value, Ok)
    return value.value


def error(value: Variant, message: str) -> GbgGoError:
    """The WIT ``error`` as the exception of its kind."""
    case, payload = value
    detail = plain(payload)
    failure = detail.get("failure", detail)
    retry_after_ms = detail.get("retry_after_ms")
    return COMPONENT_ERRORS[case](
        message,
        detail=detail,
        status=failure.get("status"),
        request_id=failure.get("request_id"),
        problems=failure.get("problems"),
        retry_after=None if retry_after_ms is None else retry_after_ms / 1000,
    )
