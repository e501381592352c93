"""Everything the package raises: one base class, :class:`GbgGoError`, and a
subclass per kind.

The kinds of the component's WIT ``error`` come first; their message is the
component's own sentence for the error (its ``describe-error`` export), the
words the Rust host and the Node package show too, and holds no credential.
The host's own kinds follow: a call stopped at its time budget, a trapped
component instance, a client used after ``close()``, and an event whose
signature does not verify. asyncio cancellation stays
:class:`asyncio.CancelledError`.

Nothing here imports wasmtime, so the Temporal workflow sandbox can load it.
"""

from __future__ import annotations

from typing import Any, ClassVar, Mapping, Optional

from . import _facts


class GbgGoError(Exception):
    """The base class of every error this package raises.

    ``kind`` names the case (``not-found``, ``transport``, ``budget-exceeded``,
    ...); ``retryable`` says whether the same call, made again later and
    unchanged, may succeed. ``status``, ``request_id``, ``problems`` (the
    entries of GBG's ``errors[]``) and ``retry_after`` (seconds) are set where
    the answer gave them; ``detail`` holds the whole payload as a dict.
    """

    kind: ClassVar[str] = ""
    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        detail: Optional[Mapping[str, Any]] = None,
        status: Optional[int] = None,
        request_id: Optional[str] = None,
        problems: Optional[list[dict[str, Any]]] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(message)
        self.detail: dict[str, Any] = dict(detail or {})
        self.status = status
        self.request_id = request_id
        self.problems: list[dict[str, Any]] = problems or []
        self.retry_after = retry_after

    def __reduce__(self) -> Any:  # keeps the attributes across pickling (process pools, Temporal)
        return _rebuild, (type(self), str(self), self.__dict__)


def _rebuild(cls: type[GbgGoError], message: str, state: dict[str, Any]) -> GbgGoError:
    error = cls(message)
    error.__dict__.update(state)
    return error


class _ComponentError(GbgGoError):
    """A kind of the component's WIT ``error``; ``retryable`` is the contract's."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.retryable = _facts.ERROR_KINDS[cls.kind]


class InvalidInputError(_ComponentError):
    """An argument or configuration value was refused; nothing was sent.
    ``detail``: ``field`` (the argument) and ``reason``."""

    kind = "invalid-input"


class BadRequestError(_ComponentError):
    """HTTP 400, or another 4xx not named below: GBG rejected the request."""

    kind = "bad-request"


class UnauthorizedError(_ComponentError):
    """HTTP 401: the credentials or the access token were refused."""

    kind = "unauthorized"


class ForbiddenError(_ComponentError):
    """HTTP 403: these credentials may not use this resource."""

    kind = "forbidden"


class NotFoundError(_ComponentError):
    """HTTP 404: an unknown or expired journey resource or instance."""

    kind = "not-found"


class RateLimitedError(_ComponentError):
    """HTTP 429 after the retry budget was spent; ``retry_after`` says how
    long GBG asked to wait, when it said."""

    kind = "rate-limited"


class ServerError(_ComponentError):
    """HTTP 5xx after the retry budget was spent."""

    kind = "server-error"


class TransportError(_ComponentError):
    """The request could not be exchanged (``detail``: ``kind``, ``authority``,
    ``message``); ``kind`` ``denied`` when the egress allow-list refused it."""

    kind = "transport"


class InvalidResponseError(_ComponentError):
    """The answer did not have the documented shape (``detail``: ``reason``)."""

    kind = "invalid-response"


class WaitTimeoutError(_ComponentError):
    """``wait_for_completion`` reached its ``timeout_ms`` first (``detail``:
    ``instance_id``, ``last_status``, ``waited_ms``)."""

    kind = "timeout"


class BudgetExceededError(GbgGoError):
    """The call ran past its time budget (``timeout``) and was stopped; the
    client stays usable."""

    kind = "budget-exceeded"
    retryable = True


class TrapError(GbgGoError):
    """The component instance trapped; the client replaced it with a fresh
    one (its cached token went with it) and stays usable."""

    kind = "trap"


class ClosedError(GbgGoError):
    """The client was closed before or during the call."""

    kind = "closed"


class InvalidSignatureError(GbgGoError):
    """An event's signature or timestamp did not verify (``detail``: ``reason``)."""

    kind = "invalid-signature"


COMPONENT_ERRORS: dict[str, type[GbgGoError]] = {
    cls.kind: cls
    for cls in (
        InvalidInputError,
        BadRequestError,
        UnauthorizedError,
        ForbiddenError,
        NotFoundError,
        RateLimitedError,
        ServerError,
        TransportError,
        InvalidResponseError,
        WaitTimeoutError,
    )
}
"""The class of each case of the WIT ``error``."""


def invalid_argument(name: str, reason: str) -> InvalidInputError:
    """The error for an argument refused before it reached the component,
    worded as the component words its own ``invalid-input``."""
    return InvalidInputError(f"invalid {name}: {reason}", detail={"field": name, "reason": reason})
