"""The GBG GO component in Python, through wasmtime-py.

A thin wrapper: the component's results become dataclasses, its typed
``error`` becomes a :class:`GbgGoError` subclass whose message is the
component's own sentence (``describe-error``). The logic (authentication,
token caching, retries, journeys) is the component's. :mod:`gbg_go.aio` is
the same client for asyncio.

Sandbox: each client gets its own store with a memory limit and a WASI context
that grants no environment, arguments, stdio or files. Outgoing HTTP is NOT
filtered: wasmtime-py has no outgoing-request hook, so the component can reach
any host the process can. See README.md ("Egress") for what to do about it.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
from dataclasses import dataclass, field
from importlib import resources
from os import PathLike
from types import SimpleNamespace
from typing import Any, Callable, Optional, Union

import wasmtime
from wasmtime.component import Component, Linker, Variant

CLIENT_INTERFACE = "gbg:go/client@0.3.0"

COMPONENT_FILE = "gbg_go_client.wasm"
"""The component this package ships, next to this module."""


class Region(enum.Enum):
    """A GBG GO region with a documented platform host."""

    EU = "eu"
    US = "us"
    AU = "au"


@dataclass(frozen=True)
class ClientCredentials:
    """OAuth ``client_credentials``: an API client's id and secret."""

    client_id: str
    client_secret: str = field(repr=False)
    scope: Optional[str] = None


@dataclass(frozen=True)
class PasswordGrant:
    """OAuth ``password``: client id and secret plus an API user's name and password."""

    client_id: str
    client_secret: str = field(repr=False)
    username: str
    password: str = field(repr=False)
    scope: Optional[str] = None


@dataclass(frozen=True)
class RetryPolicy:
    """How transient failures are retried (WIT ``retry-policy``)."""

    max_attempts: int
    initial_backoff_ms: int
    max_backoff_ms: int
    max_elapsed_ms: int


@dataclass(frozen=True)
class ClientConfig:
    """Everything a client needs (WIT ``client-config``).

    ``endpoint`` is a :class:`Region` or an explicit API base URL ending in
    ``/v2/captain``. Unset options take the component's defaults.
    """

    endpoint: Union[Region, str]
    grant: Union[ClientCredentials, PasswordGrant]
    token_url: Optional[str] = None
    hosted_base_url: Optional[str] = None
    source: Optional[str] = None
    retry: Optional[RetryPolicy] = None
    token_refresh_margin_s: Optional[int] = None
    max_response_bytes: Optional[int] = None
    request_timeout_ms: Optional[int] = None
    interaction_auth: Optional[str] = None


@dataclass(frozen=True)
class TokenInfo:
    """A customer access token's lifetime; the token itself is never returned."""

    token_type: str
    expires_in_s: int
    expires_at_ms: int


@dataclass(frozen=True)
class StartedJourney:
    """The answer of ``start_journey``."""

    instance_id: str
    instance_url: Optional[str]
    status: str
    message: Optional[str]


class JourneyStatus(enum.Enum):
    """A journey instance's status, for the statuses the WIT names."""

    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    FAILED = "failed"
    PAUSED = "paused"


@dataclass(frozen=True)
class OtherStatus:
    """A status the WIT does not name, as the service spelled it."""

    text: str


Status = Union[JourneyStatus, OtherStatus]
"""What a status field holds: a named status, or the text of any other."""


@dataclass(frozen=True)
class JourneyState:
    """A journey instance's state; ``document`` is the full state as JSON text."""

    instance_id: str
    status: Status
    status_text: str
    created_at: Optional[str]
    completed_at: Optional[str]
    document: str


@dataclass(frozen=True)
class ElementInput:
    """One domain element an interaction asks for or shows."""

    ref: str
    spec: str
    recommended: Optional[bool]


@dataclass(frozen=True)
class ElementRequirement:
    """One ``collects``/``consumes`` entry: an element, or a ``oneOf``/``allOf`` group."""

    element: ElementInput
    combinator: Optional[str]
    inputs: list[ElementInput]


@dataclass(frozen=True)
class Interaction:
    """An interaction that is ready for the end user; ``document`` is JSON text."""

    instance_id: str
    interaction_id: str
    journey_status: Status
    collects: list[ElementRequirement]
    consumes: list[ElementRequirement]
    outstanding: list[str]
    document: str


@dataclass(frozen=True)
class NotReady:
    """No interaction is available; the journey status the service reported."""

    journey_status: Status


@dataclass(frozen=True)
class Participant:
    """One entry of a submission's ``participants`` manifest."""

    domain_element_id: str
    instruction: Optional[str] = None


# -- errors --------------------------------------------------------------------


@dataclass(frozen=True)
class ApiProblem:
    """One entry of GBG's ``errors[]`` envelope."""

    code: str
    name: str
    location: str
    problem: str
    action: str


@dataclass(frozen=True)
class ApiFailure:
    """An HTTP error answer from the token endpoint or the API."""

    status: int
    request_id: Optional[str]
    problems: list[ApiProblem]
    message: Optional[str]


@dataclass(frozen=True)
class RateLimited:
    """An HTTP 429 answer and how long the server asked to wait."""

    retry_after_ms: Optional[int]
    failure: ApiFailure


@dataclass(frozen=True)
class TransportFailure:
    """A failure below HTTP; ``kind`` is e.g. ``connection-refused`` or ``denied``."""

    kind: str
    authority: str
    message: str


@dataclass(frozen=True)
class InvalidResponse:
    """An answer that is not what the API documents."""

    status: int
    request_id: Optional[str]
    reason: str


@dataclass(frozen=True)
class InvalidInput:
    """An argument or configuration value refused before sending."""

    field: str
    reason: str


@dataclass(frozen=True)
class WaitTimeout:
    """``wait_for_completion`` reached its deadline."""

    instance_id: str
    last_status: Optional[Status]
    waited_ms: int


class GbgGoError(Exception):
    """A call the component answered with its typed ``error``.

    ``kind`` is the WIT case (``not-found``, ...), ``detail`` its payload.
    """

    kind = ""

    def __init__(self, detail: Any, message: str):
        super().__init__(message)
        self.detail = detail


class InvalidInputError(GbgGoError):
    """A value was refused before anything was sent (``detail``: InvalidInput)."""

    kind = "invalid-input"


class BadRequestError(GbgGoError):
    """HTTP 400 or another unlisted 4xx (``detail``: ApiFailure)."""

    kind = "bad-request"


class UnauthorizedError(GbgGoError):
    """HTTP 401: credentials or token refused (``detail``: ApiFailure)."""

    kind = "unauthorized"


class ForbiddenError(GbgGoError):
    """HTTP 403 (``detail``: ApiFailure)."""

    kind = "forbidden"


class NotFoundError(GbgGoError):
    """HTTP 404: unknown or expired resource or instance (``detail``: ApiFailure)."""

    kind = "not-found"


class RateLimitedError(GbgGoError):
    """HTTP 429 after the retry budget was spent (``detail``: RateLimited)."""

    kind = "rate-limited"


class ServerError(GbgGoError):
    """HTTP 5xx after the retry budget was spent (``detail``: ApiFailure)."""

    kind = "server-error"


class TransportError(GbgGoError):
    """The request could not be exchanged (``detail``: TransportFailure)."""

    kind = "transport"


class InvalidResponseError(GbgGoError):
    """The answer did not have the documented shape (``detail``: InvalidResponse)."""

    kind = "invalid-response"


class WaitTimeoutError(GbgGoError):
    """``wait_for_completion`` reached its deadline (``detail``: WaitTimeout)."""

    kind = "timeout"


# -- the runtime and the client -------------------------------------------------


class Runtime:
    """The compiled component; open one :class:`Client` per configuration.

    ``component`` is the component file to load; the one this package ships
    when absent.
    """

    def __init__(self, component: Union[str, PathLike, None] = None, memory_bytes: int = 64 << 20):
        self._engine = wasmtime.Engine()
        if component is None:
            with resources.as_file(resources.files(__package__) / COMPONENT_FILE) as shipped:
                self._component = Component.from_file(self._engine, str(shipped))
        else:
            self._component = Component.from_file(self._engine, str(component))
        self._linker = Linker(self._engine)
        self._linker.add_wasip2()
        self._linker.add_wasi_http()
        self._memory_bytes = memory_bytes

    def open(self, config: ClientConfig) -> "Client":
        """Validates ``config`` and opens a client in its own store. Sends nothing."""
        store = wasmtime.Store(self._engine)
        store.set_limits(memory_size=self._memory_bytes)
        store.set_wasi(wasmtime.WasiConfig())  # no env, args, stdio or files
        store.set_wasi_http()
        instance = self._linker.instantiate(store, self._component)
        interface = instance.get_export_index(store, CLIENT_INTERFACE)

        @functools.cache  # look each export up once per client, not once per call
        def func(name: str) -> Callable[..., Any]:
            index = instance.get_export_index(store, name, interface)
            found = instance.get_func(store, index) if index else None
            if found is None:
                raise RuntimeError(f"the component does not export {CLIENT_INTERFACE}#{name}")
            return lambda *args: found(store, *args)

        describe = func("describe-error")
        handle = _unwrap(func("[static]client.open")(_config_to_wit(config)), describe, tagged=False)
        return Client(store, handle, func)


class Client:
    """A GBG GO client running in the component. Calls block until it returns."""

    def __init__(self, store: wasmtime.Store, handle: Any, func: Callable[[str], Callable[..., Any]]):
        self._store = store
        self._handle = handle
        self._func = func

    def _call(self, method: str, *args: Any, tagged: bool = False) -> Any:
        answer = self._func(f"[method]client.{method}")(self._handle, *args)
        return _unwrap(answer, self._func("describe-error"), tagged)

    def authenticate(self) -> TokenInfo:
        """Fetches a new customer access token; returns its lifetime."""
        return _record(TokenInfo, self._call("authenticate"))

    def start_journey(self, resource_id: str, delivery: str = "page", subject: Optional[str] = None) -> StartedJourney:
        """Starts a journey (``delivery``: ``page`` or ``api``; ``subject``: JSON object text)."""
        request = _wit_record({"resource-id": resource_id, "delivery": delivery, "subject": subject})
        return _record(StartedJourney, self._call("start-journey", request))

    def fetch_journey_state(self, instance_id: str, filter_keys: Optional[list[str]] = None) -> JourneyState:
        """Fetches an instance's state."""
        return _journey_state(self._call("fetch-journey-state", instance_id, filter_keys or []))

    def wait_for_completion(self, instance_id: str, poll_interval_ms: int, timeout_ms: int) -> JourneyState:
        """Polls until the instance is no longer in progress."""
        options = _wit_record({"poll-interval-ms": poll_interval_ms, "timeout-ms": timeout_ms})
        return _journey_state(self._call("wait-for-completion", instance_id, options))

    def delete_instance(self, instance_id: str) -> None:
        """Permanently deletes an instance's state."""
        self._call("delete-instance", instance_id)

    def health(self) -> str:
        """The service's health message, ``OK`` when healthy."""
        return self._call("health")

    def fetch_interaction(self, instance_id: str) -> Union[Interaction, NotReady]:
        """Fetches the interaction an API journey waits on."""
        # wasmtime-py lifts `interaction-step` untagged, as its cases' payloads
        # (a record for `ready`, the journey-status Variant for `not-ready`),
        # and so `result<interaction-step, error>` tagged (both sides can be a
        # Variant).
        step = self._call("fetch-interaction", instance_id, tagged=True)
        if isinstance(step, Variant):
            return NotReady(_status(step))
        value = _fields(step)
        value["journey_status"] = _status(value["journey_status"])
        for key in ("collects", "consumes"):
            value[key] = [_requirement(r) for r in value[key]]
        return Interaction(**value)

    def submit_interaction(
        self, instance_id: str, interaction_id: str, participants: list[Participant], subject: str
    ) -> None:
        """Submits collected data (``subject``: JSON object text) for an interaction."""
        submission = _wit_record(
            {
                "instance-id": instance_id,
                "interaction-id": interaction_id,
                "participants": _lower(participants),
                "subject": subject,
            }
        )
        self._call("submit-interaction", submission)

    def close(self) -> None:
        """Releases the component's client resource."""
        self._handle.drop(self._store)


# -- conversions ------------------------------------------------------------------


def _wit_record(fields: dict[str, Any]) -> SimpleNamespace:
    """A record as wasmtime-py lowers it: attributes named as the WIT fields."""
    return SimpleNamespace(**fields)


def _lower(value: Any) -> Any:
    """A dataclass (or a list of them) as the WIT record it mirrors, the inverse of
    :func:`_fields`: each field under its WIT (kebab-case) name."""
    if isinstance(value, list):
        return [_lower(v) for v in value]
    if dataclasses.is_dataclass(value):
        fields = dataclasses.fields(value)
        return _wit_record({f.name.replace("_", "-"): _lower(getattr(value, f.name)) for f in fields})
    return value


def _config_to_wit(config: ClientConfig) -> SimpleNamespace:
    record = _lower(config)
    if isinstance(config.endpoint, Region):
        record.endpoint = Variant("region", config.endpoint.value)
    else:
        record.endpoint = Variant("base-url", config.endpoint)
    case = "client-credentials" if isinstance(config.grant, ClientCredentials) else "password"
    record.grant = Variant(case, record.grant)
    return record


def _fields(record: Any) -> dict[str, Any]:
    """A lifted WIT record's fields, snake_case."""
    return {name.replace("-", "_"): value for name, value in vars(record).items()}


def _record(cls: type, record: Any) -> Any:
    return cls(**_fields(record))


def _status(variant: Variant) -> Status:
    if variant.tag == "other":
        return OtherStatus(variant.payload)
    return JourneyStatus(variant.tag)


def _journey_state(record: Any) -> JourneyState:
    value = _fields(record)
    value["status"] = _status(value["status"])
    return JourneyState(**value)


def _element(record: Any) -> ElementInput:
    return _record(ElementInput, record)


def _requirement(record: Any) -> ElementRequirement:
    value = _fields(record)
    return ElementRequirement(
        element=_element(value["element"]),
        combinator=value["combinator"],
        inputs=[_element(e) for e in value["inputs"]],
    )


def _failure(record: Any) -> ApiFailure:
    value = _fields(record)
    value["problems"] = [_record(ApiProblem, p) for p in value["problems"]]
    return ApiFailure(**value)


def _wait_timeout(record: Any) -> WaitTimeout:
    value = _fields(record)
    if value["last_status"] is not None:
        value["last_status"] = _status(value["last_status"])
    return WaitTimeout(**value)


# Each WIT error case: its exception class and how its payload is converted.
_ERRORS: dict[str, tuple[type[GbgGoError], Callable[[Any], Any]]] = {
    "invalid-input": (InvalidInputError, lambda r: _record(InvalidInput, r)),
    "bad-request": (BadRequestError, _failure),
    "unauthorized": (UnauthorizedError, _failure),
    "forbidden": (ForbiddenError, _failure),
    "not-found": (NotFoundError, _failure),
    "rate-limited": (
        RateLimitedError,
        lambda r: RateLimited(getattr(r, "retry-after-ms"), _failure(r.failure)),
    ),
    "server-error": (ServerError, _failure),
    "transport": (TransportError, lambda r: _record(TransportFailure, r)),
    "invalid-response": (InvalidResponseError, lambda r: _record(InvalidResponse, r)),
    "timeout": (WaitTimeoutError, _wait_timeout),
}


def _unwrap(value: Any, describe: Callable[[Variant], str], tagged: bool) -> Any:
    """The ok value of a WIT ``result<T, error>``, or the error raised, with
    the sentence the component's ``describe`` gives for it as its message.

    wasmtime-py returns a result untagged (the ok value itself, or the error
    ``Variant``) when its two sides lift to different Python classes, and
    tagged (``Variant("ok" | "err", payload)``) when they do not.
    """
    if tagged:
        if value.tag == "ok":
            return value.payload
        error = value.payload
    elif isinstance(value, Variant):
        error = value
    else:
        return value
    cls, convert = _ERRORS[error.tag]
    raise cls(convert(error.payload), describe(error))
