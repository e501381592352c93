"""A sandboxed client for GBG GO v2 identity verification: the ``gbg:go``
WebAssembly component on wasmtime, with a sync API (here) and an asyncio
API (:mod:`gbg_go.aio`).

The client logic (authentication, token caching, retries, journeys,
interaction planning) is the component's; this package runs it in a
sandbox, serves its HTTP over keep-alive connections held to an egress
allow-list, checks arguments, and turns its values into dataclasses and
dicts and its errors into :class:`GbgGoError` subclasses.

:class:`Runtime` and :class:`Client` load wasmtime when first used, so
``import gbg_go`` stays cheap and safe inside a Temporal workflow sandbox.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ._errors import (
    BadRequestError,
    BudgetExceededError,
    ClosedError,
    ForbiddenError,
    GbgGoError,
    InvalidInputError,
    InvalidResponseError,
    InvalidSignatureError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
    TrapError,
    UnauthorizedError,
    WaitTimeoutError,
)
from ._events import verify_event
from ._facts import COMPLETED, FAILED, IN_PROGRESS, PAUSED, VERSION
from ._types import (
    AcceptedElement,
    ClientConfig,
    ClientCredentials,
    Delivery,
    ElementInput,
    ElementRequirement,
    Grant,
    Interaction,
    InteractionAuth,
    InteractionStep,
    JourneyState,
    NotReady,
    Participant,
    PasswordGrant,
    PlannableStep,
    Region,
    RetryPolicy,
    StartedJourney,
    Submission,
    TokenInfo,
)

if TYPE_CHECKING:
    from ._client import Client, Runtime

__version__ = VERSION

# Denied requests and distrusted cache entries are logged as warnings on the
# "gbg_go" logger; the application decides whether they are shown.
logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "AcceptedElement",
    "BadRequestError",
    "BudgetExceededError",
    "COMPLETED",
    "Client",
    "ClientConfig",
    "ClientCredentials",
    "ClosedError",
    "Delivery",
    "ElementInput",
    "ElementRequirement",
    "FAILED",
    "ForbiddenError",
    "GbgGoError",
    "Grant",
    "IN_PROGRESS",
    "Interaction",
    "InteractionAuth",
    "InteractionStep",
    "InvalidInputError",
    "InvalidResponseError",
    "InvalidSignatureError",
    "JourneyState",
    "NotFoundError",
    "NotReady",
    "PAUSED",
    "Participant",
    "PasswordGrant",
    "PlannableStep",
    "RateLimitedError",
    "Region",
    "RetryPolicy",
    "Runtime",
    "ServerError",
    "StartedJourney",
    "Submission",
    "TokenInfo",
    "TransportError",
    "TrapError",
    "UnauthorizedError",
    "WaitTimeoutError",
    "__version__",
    "verify_event",
]


def __getattr__(name: str) -> Any:
    if name in ("Runtime", "Client"):
        from . import _client

        return getattr(_client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
