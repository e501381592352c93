"""Each method of the client as one :class:`Prepared` call: its arguments
checked and converted for the component, and how its answer converts back.
The sync and the asyncio client run the same prepared calls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Generic, Mapping, Optional, Sequence, TypeVar

from . import _convert
from ._types import Delivery, InteractionStep, JourneyState, StartedJourney, Submission, TokenInfo

T = TypeVar("T")


@dataclass(frozen=True)
class Prepared(Generic[T]):
    """``[method]client.<method>(args)``, whose ok value ``lift`` converts;
    a wait adds ``wait_ms`` to the call's default budget."""

    method: str
    args: tuple[Any, ...]
    lift: Callable[[Any], T]
    wait_ms: int = 0


def _nothing(_: Any) -> None:
    return None


def authenticate() -> Prepared[TokenInfo]:
    return Prepared("authenticate", (), _convert.token_info)


def start_journey(
    resource_id: str, delivery: Delivery, subject: Optional[Mapping[str, Any]]
) -> Prepared[StartedJourney]:
    request = _convert.record(
        resource_id=_convert.text("resource_id", resource_id),
        delivery=_convert.choice("delivery", delivery, ("page", "api")),
        subject=None if subject is None else _convert.json_object("subject", subject),
    )
    return Prepared("start-journey", (request,), _convert.started)


def fetch_journey_state(instance_id: str, filter_keys: Sequence[str]) -> Prepared[JourneyState]:
    args = (_convert.text("instance_id", instance_id), _convert.strings("filter_keys", filter_keys))
    return Prepared("fetch-journey-state", args, _convert.journey_state)


def wait_for_completion(instance_id: str, poll_interval_ms: int, timeout_ms: int) -> Prepared[JourneyState]:
    options = _convert.record(
        poll_interval_ms=_convert.u32("poll_interval_ms", poll_interval_ms),
        timeout_ms=_convert.u32("timeout_ms", timeout_ms),
    )
    args = (_convert.text("instance_id", instance_id), options)
    return Prepared("wait-for-completion", args, _convert.journey_state, timeout_ms)


def delete_instance(instance_id: str) -> Prepared[None]:
    return Prepared("delete-instance", (_convert.text("instance_id", instance_id),), _nothing)


def health() -> Prepared[str]:
    return Prepared("health", (), str)


def fetch_interaction(instance_id: str) -> Prepared[InteractionStep]:
    instance_id = _convert.text("instance_id", instance_id)
    return Prepared("fetch-interaction", (instance_id,), lambda step: _convert.interaction_step(instance_id, step))


def submit_interaction(submission: Submission) -> Prepared[None]:
    return Prepared("submit-interaction", (_convert.submission(submission),), _nothing)
