"""GBG GO verification as durable Temporal workflows (``pip install
'gbg-go[temporal]'``).

- :class:`VerifyIdentity` (Temporal type ``VerifyIdentity``), started with a
  :class:`VerifyIdentityInput`: starts a journey and follows it on durable
  timers until it ends, with the query ``journey``, the signal
  ``journey_event``, and for API journeys the query ``interaction`` and the
  Update ``submit_interaction``.
- :class:`GbgGoActivities`: the client's operations as activities named
  ``gbg_go.start_journey``, ``gbg_go.fetch_journey_state``,
  ``gbg_go.fetch_interaction``, ``gbg_go.submit_interaction``,
  ``gbg_go.delete_instance`` and ``gbg_go.health``.
- :func:`create_worker`: a worker with both.

The workflow's module imports nothing the workflow sandbox refuses, so a
worker registers :class:`VerifyIdentity` as it is; the activities (and
wasmtime) load only when :class:`GbgGoActivities` or :func:`create_worker`
is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._workflow import (
    DELETE_INSTANCE,
    FETCH_INTERACTION,
    FETCH_JOURNEY_STATE,
    HEALTH,
    START_JOURNEY,
    SUBMIT_INTERACTION,
    InteractionSubmission,
    StartJourneyInput,
    SubmitInteractionInput,
    VerifyIdentity,
    VerifyIdentityInput,
)

if TYPE_CHECKING:
    from ._activities import GbgGoActivities, application_error, create_worker

__all__ = [
    "DELETE_INSTANCE",
    "FETCH_INTERACTION",
    "FETCH_JOURNEY_STATE",
    "GbgGoActivities",
    "HEALTH",
    "InteractionSubmission",
    "START_JOURNEY",
    "SUBMIT_INTERACTION",
    "StartJourneyInput",
    "SubmitInteractionInput",
    "VerifyIdentity",
    "VerifyIdentityInput",
    "application_error",
    "create_worker",
]


def __getattr__(name: str) -> Any:
    if name in ("GbgGoActivities", "application_error", "create_worker"):
        from . import _activities

        return getattr(_activities, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
