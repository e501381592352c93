"""Checks of ``gbg_go.temporal`` from the installed package against a real
Temporal dev server and a simulator, run by tests/e2e/runtimes/python.rs:

    python temporal_checks.py <check>

with TEMPORAL_ADDRESS and the gbg-go command's variables (GBG_GO_BASE_URL,
..., GBG_GO_RESOURCE_ID; GBG_GO_API_RESOURCE_ID for ``api-update``). Each
check asserts as it goes and prints one JSON line of what it saw, for the
Rust test to compare with the simulator's log.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Awaitable, Callable

from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import ApplicationError, CancelledError

import gbg_go
from conformance import SCENARIOS, submit_hosted_page
from gbg_go.temporal import InteractionSubmission, VerifyIdentity, VerifyIdentityInput, create_worker

TASK_QUEUE = "gbg-go-checks"
RESOURCE_ID = os.environ.get("GBG_GO_RESOURCE_ID", "")


def complete_hosted_page(url: str) -> None:
    """Plays the end user, with the answers of the conformance scenarios."""
    suite = json.loads(Path(SCENARIOS).read_text())
    steps = [step for scenario in suite["scenarios"] for step in scenario["steps"]]
    form = next(step["form"] for step in steps if step.get("end-user") == "submit-hosted-page")
    submit_hosted_page(url, form)


async def start(temporal: Client, input: VerifyIdentityInput) -> WorkflowHandle[Any, dict[str, Any]]:
    return await temporal.start_workflow(
        VerifyIdentity.run, input, id=f"verify-{uuid.uuid4()}", task_queue=TASK_QUEUE
    )


async def journey(handle: WorkflowHandle[Any, Any]) -> dict[str, Any]:
    """The ``journey`` query's answer once the journey started."""
    while (found := await handle.query(VerifyIdentity.journey)) is None:
        await asyncio.sleep(0.1)
    return found


async def failure(result: Awaitable[Any]) -> BaseException:
    """The cause of a workflow's failure."""
    try:
        await result
    except WorkflowFailureError as e:
        assert e.cause is not None
        return e.cause
    raise AssertionError("the workflow did not fail")


async def resume(temporal: Client) -> dict[str, Any]:
    """A worker stops while the journey waits; the end user finishes
    meanwhile; a new worker resumes the workflow to Completed."""
    async with create_worker(temporal, task_queue=TASK_QUEUE, config=gbg_go.ClientConfig.from_env()):
        handle = await start(temporal, VerifyIdentityInput(RESOURCE_ID, poll_interval_seconds=2))
        started = await journey(handle)
    complete_hosted_page(started["instance_url"])
    async with create_worker(temporal, task_queue=TASK_QUEUE, config=gbg_go.ClientConfig.from_env()):
        state = await handle.result()
    assert state["status"] == gbg_go.COMPLETED, state
    assert state["state"]["context"]["result"]["outcome"] == "Decision: Accept", state
    return {"instance_id": state["instance_id"]}


async def signal(temporal: Client) -> dict[str, Any]:
    """The journey_event signal cuts an hour-long poll interval short."""
    async with create_worker(temporal, task_queue=TASK_QUEUE, config=gbg_go.ClientConfig.from_env()):
        handle = await start(temporal, VerifyIdentityInput(RESOURCE_ID, poll_interval_seconds=3600))
        started = await journey(handle)
        complete_hosted_page(started["instance_url"])
        signalled = time.monotonic()
        await handle.signal(VerifyIdentity.journey_event, {"type": "journey.completed"})
        state = await asyncio.wait_for(handle.result(), timeout=600)
        after_s = time.monotonic() - signalled
    assert state["status"] == gbg_go.COMPLETED, state
    assert after_s < 3600, after_s
    return {"instance_id": state["instance_id"], "after_signal_s": after_s}


async def wrong_secret(temporal: Client) -> dict[str, Any]:
    """A wrong secret fails the workflow at once, non-retryable, kind unauthorized."""
    config = gbg_go.ClientConfig.from_env()
    bad = dataclasses.replace(config, grant=gbg_go.ClientCredentials(config.grant.client_id, "not-the-secret"))
    async with create_worker(temporal, task_queue=TASK_QUEUE, config=bad):
        began = time.monotonic()
        cause = await failure((await start(temporal, VerifyIdentityInput(RESOURCE_ID))).result())
        failed_s = time.monotonic() - began
    assert isinstance(cause, ApplicationError), repr(cause)
    assert cause.type == "unauthorized" and cause.non_retryable, (cause.type, cause.non_retryable)
    assert "not-the-secret" not in str(cause) and "not-the-secret" not in json.dumps(cause.details), cause
    return {"failed_s": failed_s, "type": cause.type}


async def start_attempts(handle: WorkflowHandle[Any, Any]) -> dict[str, Any]:
    """What the history says of the ``gbg_go.start_journey`` activity: the
    attempt it last started, and the failure of the attempt before (its type
    and the retry delay it asked for, in milliseconds)."""
    scheduled = None
    async for event in handle.fetch_history_events():
        if event.HasField("activity_task_scheduled_event_attributes"):
            if event.activity_task_scheduled_event_attributes.activity_type.name == "gbg_go.start_journey":
                scheduled = event.event_id
        elif event.HasField("activity_task_started_event_attributes"):
            started = event.activity_task_started_event_attributes
            if started.scheduled_event_id == scheduled:
                info = started.last_failure.application_failure_info
                delay = info.next_retry_delay if info.HasField("next_retry_delay") else None
                return {
                    "attempt": started.attempt,
                    "last_failure_type": info.type or None,
                    "last_retry_delay_ms": delay.ToMilliseconds() if delay is not None else None,
                }
    raise AssertionError("the history has no start of gbg_go.start_journey")


async def rate_limited(temporal: Client) -> dict[str, Any]:
    """journey/start answers 429 more often than the component retries: the
    activity is retried after the delay GBG's Retry-After asked for (the
    failure carries it), and the journey starts."""
    async with create_worker(temporal, task_queue=TASK_QUEUE, config=gbg_go.ClientConfig.from_env()):
        handle = await start(temporal, VerifyIdentityInput(RESOURCE_ID, poll_interval_seconds=3600))
        started = await journey(handle)
        attempts = await start_attempts(handle)
        await handle.cancel()
    assert attempts["attempt"] == 2, attempts
    assert attempts["last_failure_type"] == "rate-limited", attempts
    assert attempts["last_retry_delay_ms"] == 1000, attempts
    return {"instance_id": started["instance_id"], "attempts": attempts}


async def api_update(temporal: Client) -> dict[str, Any]:
    """An API journey driven through the submit_interaction Update to Completed."""
    answers = json.loads(Path(os.environ["GBG_GO_ANSWERS"]).read_text())
    runtime = gbg_go.Runtime()
    submitted = []
    async with create_worker(temporal, task_queue=TASK_QUEUE, config=gbg_go.ClientConfig.from_env()):
        input = VerifyIdentityInput(os.environ["GBG_GO_API_RESOURCE_ID"], delivery="api", poll_interval_seconds=0.5)
        handle = await start(temporal, input)
        await journey(handle)
        accepted: list[gbg_go.AcceptedElement] = []
        while True:
            step = await handle.query(VerifyIdentity.interaction)
            if step is not None and not step["ready"] and step["journey_status"] != gbg_go.IN_PROGRESS:
                break
            planned = runtime.plan_submission(step, answers, accepted) if step else None
            if planned is None:
                await asyncio.sleep(0.2)
                continue
            elements = [p.domain_element_id for p in planned.participants]
            await handle.execute_update(
                VerifyIdentity.submit_interaction, InteractionSubmission(planned.interaction_id, elements, planned.subject)
            )
            accepted += planned.accepted()
            submitted.append(elements)
        state = await handle.result()
    assert state["status"] == gbg_go.COMPLETED, state
    return {"instance_id": state["instance_id"], "submitted": submitted}


async def timeout(temporal: Client) -> dict[str, Any]:
    """A journey that outlives timeout_seconds fails the workflow with kind
    timeout and, with delete_on_timeout, deletes the instance."""
    async with create_worker(temporal, task_queue=TASK_QUEUE, config=gbg_go.ClientConfig.from_env()):
        input = VerifyIdentityInput(RESOURCE_ID, poll_interval_seconds=1, timeout_seconds=3, delete_on_timeout=True)
        handle = await start(temporal, input)
        started = await journey(handle)
        cause = await failure(handle.result())
    assert isinstance(cause, ApplicationError) and cause.type == "timeout", repr(cause)
    return {"instance_id": started["instance_id"]}


async def cancel(temporal: Client) -> dict[str, Any]:
    """Cancelling the workflow deletes the instance (delete_on_timeout)."""
    async with create_worker(temporal, task_queue=TASK_QUEUE, config=gbg_go.ClientConfig.from_env()):
        input = VerifyIdentityInput(RESOURCE_ID, poll_interval_seconds=3600, delete_on_timeout=True)
        handle = await start(temporal, input)
        started = await journey(handle)
        await handle.cancel()
        cause = await failure(handle.result())
    assert isinstance(cause, CancelledError), repr(cause)
    return {"instance_id": started["instance_id"]}


CHECKS: dict[str, Callable[[Client], Awaitable[dict[str, Any]]]] = {
    "resume": resume,
    "signal": signal,
    "wrong-secret": wrong_secret,
    "rate-limited": rate_limited,
    "api-update": api_update,
    "timeout": timeout,
    "cancel": cancel,
}


async def main(name: str) -> None:
    temporal = await Client.connect(os.environ["TEMPORAL_ADDRESS"])
    print(json.dumps(await CHECKS[name](temporal)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
