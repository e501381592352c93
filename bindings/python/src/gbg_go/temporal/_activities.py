"""The client's operations as Temporal activities, registered under stable
names (``gbg_go.start_journey``, ...), and the worker that runs them with
the ``VerifyIdentity`` workflow.

A worker process has one :class:`gbg_go.aio.Runtime` and, per credential
set, one client, whose token serves every activity; the credentials live in
the worker's configuration, never in a workflow's input or history. Each
activity returns plain JSON values, in the vocabulary of the ``gbg-go``
command's ``--json``. A failure becomes an ``ApplicationError`` whose
``type`` is the error's kind, retryable as the contract says (a rate limit
after the delay GBG asked for); the others fail at once, so a wrong secret
fails the workflow in seconds.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta
from typing import Any, Awaitable, Callable, Optional, TypeVar

from temporalio import activity
from temporalio.client import Client as TemporalClient
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from .. import aio
from .._errors import ClosedError, GbgGoError
from .._types import ClientConfig, Interaction, Participant, Submission
from ._workflow import (
    DELETE_INSTANCE,
    FETCH_INTERACTION,
    FETCH_JOURNEY_STATE,
    HEALTH,
    START_JOURNEY,
    SUBMIT_INTERACTION,
    StartJourneyInput,
    SubmitInteractionInput,
    VerifyIdentity,
)

T = TypeVar("T")


class GbgGoActivities:
    """The activities of one credential set: register :meth:`all` on a worker.

    ``runtime`` defaults to the process's one :class:`gbg_go.aio.Runtime`,
    which every :class:`GbgGoActivities` (and so every worker) of the
    process shares. The client lives as long as the activities do.
    """

    def __init__(self, config: ClientConfig, *, runtime: Optional[aio.Runtime] = None) -> None:
        self._config = config
        self._runtime = runtime or _process_runtime()
        self._client: Optional[aio.Client] = None
        self._opening = asyncio.Lock()

    def all(self) -> list[Callable[..., Any]]:
        """Every activity, for ``Worker(activities=...)``."""
        return [
            self.start_journey,
            self.fetch_journey_state,
            self.fetch_interaction,
            self.submit_interaction,
            self.delete_instance,
            self.health,
        ]

    @activity.defn(name=START_JOURNEY)
    async def start_journey(self, request: StartJourneyInput) -> dict[str, Any]:
        """Starts a journey: ``{instance_id, instance_url, status, message}``."""
        started = await self._call(lambda c: c.start_journey(request.resource_id, request.delivery, request.subject))
        return dataclasses.asdict(started)

    @activity.defn(name=FETCH_JOURNEY_STATE)
    async def fetch_journey_state(self, instance_id: str) -> dict[str, Any]:
        """An instance's state: ``{instance_id, status, created_at, completed_at, state}``."""
        return dataclasses.asdict(await self._call(lambda c: c.fetch_journey_state(instance_id)))

    @activity.defn(name=FETCH_INTERACTION)
    async def fetch_interaction(self, instance_id: str) -> dict[str, Any]:
        """What an API journey waits on: ``{instance_id, ready, journey_status, ...}``."""
        step = await self._call(lambda c: c.fetch_interaction(instance_id))
        return {"ready": isinstance(step, Interaction), **dataclasses.asdict(step)}

    @activity.defn(name=SUBMIT_INTERACTION)
    async def submit_interaction(self, request: SubmitInteractionInput) -> None:
        """Submits data for an interaction."""
        participants = [Participant(element) for element in request.elements]
        submission = Submission(request.instance_id, request.interaction_id, participants, request.subject)
        await self._call(lambda c: c.submit_interaction(submission))

    @activity.defn(name=DELETE_INSTANCE)
    async def delete_instance(self, instance_id: str) -> None:
        """Permanently deletes an instance's state."""
        await self._call(lambda c: c.delete_instance(instance_id))

    @activity.defn(name=HEALTH)
    async def health(self) -> str:
        """GBG GO's health message, ``OK`` when healthy."""
        return await self._call(lambda c: c.health())

    async def close(self) -> None:
        """Closes the client, if one was opened."""
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    async def _call(self, operation: Callable[[aio.Client], Awaitable[T]]) -> T:
        # Heartbeats tell Temporal the worker is alive during a long call (a
        # document image upload, retries after a 429) and bring the
        # activity's cancellation to it, which cancels the call.
        beating = asyncio.create_task(_heartbeat())
        try:
            return await operation(await self._opened())
        except GbgGoError as error:
            raise application_error(error) from None
        finally:
            beating.cancel()

    async def _opened(self) -> aio.Client:
        async with self._opening:
            if self._client is None:
                self._client = await self._runtime.open(self._config)
            return self._client


HEARTBEAT_INTERVAL_S = 5.0
"""How often a running activity heartbeats."""


async def _heartbeat() -> None:
    """Heartbeats every :data:`HEARTBEAT_INTERVAL_S` until cancelled."""
    while True:
        activity.heartbeat()
        await asyncio.sleep(HEARTBEAT_INTERVAL_S)


_RUNTIME: Optional[aio.Runtime] = None


def _process_runtime() -> aio.Runtime:
    """The process's one runtime, made on first use."""
    global _RUNTIME
    if _RUNTIME is None:
        _RUNTIME = aio.Runtime()
    return _RUNTIME


def application_error(error: GbgGoError) -> ApplicationError:
    """The Temporal failure of a package error: its kind as ``type``,
    retryable as the contract says, a rate limit after its ``retry_after``.
    A closed client (a worker shutting down) is retried elsewhere."""
    retryable = error.retryable or isinstance(error, ClosedError)
    delay = timedelta(seconds=error.retry_after) if error.retry_after is not None else None
    return ApplicationError(str(error), error.detail, type=error.kind, non_retryable=not retryable, next_retry_delay=delay)


def create_worker(client: TemporalClient, *, task_queue: str, config: ClientConfig, **worker_options: Any) -> Worker:
    """A worker on ``task_queue`` with the ``VerifyIdentity`` workflow and the
    activities of ``config``'s credentials; ``worker_options`` go to
    :class:`temporalio.worker.Worker`."""
    activities = GbgGoActivities(config)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[VerifyIdentity],
        activities=activities.all(),
        **worker_options,
    )
