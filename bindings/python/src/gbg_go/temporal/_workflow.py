"""The ``VerifyIdentity`` workflow: a GBG GO journey followed on durable
timers, so that a verification that waits on a person for days holds
nothing between two checks, and survives worker restarts.

This module imports nothing the Temporal workflow sandbox refuses: no
wasmtime, only ``temporalio.workflow`` and the package's pure modules. The
activities it runs (:mod:`gbg_go.temporal._activities`) do the I/O.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Optional

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from .. import _facts
from .._types import Delivery

START_JOURNEY = "gbg_go.start_journey"
FETCH_JOURNEY_STATE = "gbg_go.fetch_journey_state"
FETCH_INTERACTION = "gbg_go.fetch_interaction"
SUBMIT_INTERACTION = "gbg_go.submit_interaction"
DELETE_INSTANCE = "gbg_go.delete_instance"
HEALTH = "gbg_go.health"
"""The activities' names, as workers register them."""

ACTIVITY_TIMEOUT = timedelta(milliseconds=_facts.CALL_BUDGET_MS) + timedelta(seconds=10)
"""The longest one activity runs: the component's call budget, and a margin."""

HEARTBEAT_TIMEOUT = timedelta(seconds=20)
"""How long without a heartbeat before Temporal deems an activity's worker
lost; the activities heartbeat every 5 s."""

#: After a submission, how often and how long the Update looks for the next
#: interaction while GBG's modules process the data (as the Node workflow).
NEXT_STEP_POLL = timedelta(seconds=1)
NEXT_STEP_POLLS = 30

RETRIES = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
"""How a failed activity is retried: a kind the contract calls retryable
again and again (a rate limit after the delay GBG asked for), any other kind
never (the activities mark it non-retryable)."""


@dataclass
class VerifyIdentityInput:
    """What ``VerifyIdentity`` verifies, and how patiently."""

    resource_id: str
    """The published journey, ``<resource id>@<version>`` or ``@latest``."""
    delivery: Delivery = "page"
    subject: Optional[dict[str, Any]] = None
    """Prefill for ``context.subject``."""
    poll_interval_seconds: float = 30
    """The pause between two checks; a ``journey_event`` signal cuts it short."""
    timeout_seconds: float = 7 * 86400
    """How long the journey may take before the workflow fails with ``timeout``."""
    delete_on_timeout: bool = False
    """Whether a timeout or a cancellation deletes the instance at GBG."""


@dataclass
class StartJourneyInput:
    """The arguments of the ``gbg_go.start_journey`` activity."""

    resource_id: str
    delivery: Delivery = "page"
    subject: Optional[dict[str, Any]] = None


@dataclass
class InteractionSubmission:
    """What the ``submit_interaction`` Update takes: the interaction being
    answered, the elements the data covers and the data itself, the piece of
    ``context.subject`` that carries them."""

    interaction_id: str
    elements: list[str]
    subject: dict[str, Any] = field(default_factory=dict)


@dataclass
class SubmitInteractionInput:
    """The arguments of the ``gbg_go.submit_interaction`` activity."""

    instance_id: str
    interaction_id: str
    elements: list[str]
    subject: dict[str, Any]


@workflow.defn(name="VerifyIdentity")
class VerifyIdentity:
    """Starts a journey and checks its state until it ends; returns the final
    state: ``instance_id``, ``status`` (as GBG spells it), ``created_at``,
    ``completed_at`` and ``state``, the state document.

    Query ``journey`` gives ``{instance_id, instance_url}`` (None before the
    start); signal ``journey_event`` (what a webhook receiver sends) checks
    at once. With ``delivery="api"``, query ``interaction`` gives the
    interaction that waits, and the Update ``submit_interaction`` submits
    data for it and returns the next one.
    """

    def __init__(self) -> None:
        self._journey: Optional[dict[str, Any]] = None
        self._interaction: Optional[dict[str, Any]] = None
        self._delivery: Optional[Delivery] = None
        self._event = False

    @workflow.run
    async def run(self, input: VerifyIdentityInput) -> dict[str, Any]:
        self._delivery = input.delivery
        started = await _activity(START_JOURNEY, StartJourneyInput(input.resource_id, input.delivery, input.subject))
        instance_id = started["instance_id"]
        self._journey = {"instance_id": instance_id, "instance_url": started["instance_url"]}
        deadline = workflow.now() + timedelta(seconds=input.timeout_seconds)
        try:
            while True:
                self._event = False  # a signal from here on brings the next check forward
                if input.delivery == "api":
                    self._interaction = await _activity(FETCH_INTERACTION, instance_id)
                state: dict[str, Any] = await _activity(FETCH_JOURNEY_STATE, instance_id)
                if state["status"] != _facts.IN_PROGRESS:
                    await workflow.wait_condition(workflow.all_handlers_finished)
                    return state
                left = (deadline - workflow.now()).total_seconds()
                if left <= 0:
                    if input.delete_on_timeout:
                        await _activity(DELETE_INSTANCE, instance_id)
                    raise ApplicationError(
                        f"journey {instance_id} did not finish within {input.timeout_seconds:g} s "
                        f"(last status {state['status']})",
                        {"instance_id": instance_id, "last_status": state["status"]},
                        type="timeout",
                        non_retryable=True,
                    )
                try:
                    await workflow.wait_condition(
                        lambda: self._event, timeout=min(input.poll_interval_seconds, left)
                    )
                except asyncio.TimeoutError:
                    pass
        except asyncio.CancelledError:
            if input.delete_on_timeout:
                await _activity(DELETE_INSTANCE, instance_id)
            raise

    @workflow.query(name="journey")
    def journey(self) -> Optional[dict[str, Any]]:
        """``{instance_id, instance_url}``, or None before the journey started."""
        return self._journey

    @workflow.query(name="interaction")
    def interaction(self) -> Optional[dict[str, Any]]:
        """The interaction an API journey waits on, as of the last check:
        ``ready``, ``journey_status``, and when ready ``interaction_id``,
        ``collects``, ``consumes``, ``outstanding`` and the ``interaction``
        document."""
        return self._interaction

    @workflow.signal(name="journey_event")
    def journey_event(self, event: Optional[dict[str, Any]] = None) -> None:
        """Something happened to the journey (a webhook arrived): check now."""
        self._event = True

    @workflow.update(name="submit_interaction")
    async def submit_interaction(self, submission: InteractionSubmission) -> dict[str, Any]:
        """Submits data for the waiting interaction; returns the next one, once
        GBG's modules have processed the data (or after 30 s, not ready)."""
        assert self._journey is not None
        instance_id = self._journey["instance_id"]
        await _activity(
            SUBMIT_INTERACTION,
            SubmitInteractionInput(instance_id, submission.interaction_id, submission.elements, submission.subject),
        )
        step: dict[str, Any] = await _activity(FETCH_INTERACTION, instance_id)
        for _ in range(1, NEXT_STEP_POLLS):
            if step["ready"] or step["journey_status"] != _facts.IN_PROGRESS:
                break
            await workflow.sleep(NEXT_STEP_POLL)
            step = await _activity(FETCH_INTERACTION, instance_id)
        self._interaction = step
        self._event = True
        return step

    @submit_interaction.validator
    def _check_submission(self, submission: InteractionSubmission) -> None:
        if self._delivery != "api":
            raise ValueError("this journey is hosted: it has no interactions to submit")
        if self._journey is None:
            raise ValueError("the journey has not started yet")
        if not submission.elements:
            raise ValueError("a submission covers at least one element")


async def _activity(name: str, arg: Any) -> Any:
    """Runs a gbg_go activity; a failure it does not retry fails the
    workflow with an ApplicationError whose type is the error's kind."""
    try:
        return await workflow.execute_activity(
            name,
            arg,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            heartbeat_timeout=HEARTBEAT_TIMEOUT,
            retry_policy=RETRIES,
        )
    except ActivityError as error:
        cause = error.cause
        if isinstance(cause, ApplicationError):
            raise ApplicationError(cause.message, *cause.details, type=cause.type, non_retryable=True) from error
        raise
