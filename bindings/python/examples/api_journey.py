"""Verify a person with a GBG GO API journey, with asyncio: your own UI
collects the data, here stood in for by a file of answers, a JSON object
mapping each domain element to its piece of ``context.subject`` (an answer for
``PrimaryDocument`` covers the slot ``PrimaryDocument/side1Image``).
Configured like hosted_journey.py, with GBG_GO_RESOURCE_ID naming an API
journey:

    python api_journey.py answers.json

Answers each interaction until the journey ends, then prints the outcome.
The component plans each submission (``plan_submission``): what the
interaction asks for, less what it already accepted, since GBG may show an
interaction again with the same ``outstanding`` list after a submission it
took. Exit status: 0 completed, 3 ended otherwise, 1 error.
"""

import asyncio
import json
import os
import sys
import time
from typing import Any

import gbg_go
import gbg_go.aio

POLL_INTERVAL_MS = 500
TIMEOUT_S = 600.0


async def answer_interactions(client: gbg_go.aio.Client, instance_id: str, answers: dict[str, Any]) -> None:
    """Answers each interaction until the journey no longer waits on one."""
    deadline = time.monotonic() + TIMEOUT_S
    accepted: list[gbg_go.AcceptedElement] = []
    while True:
        step = await client.fetch_interaction(instance_id)
        if isinstance(step, gbg_go.NotReady) and step.journey_status != gbg_go.IN_PROGRESS:
            return
        submission = await client.plan_submission(step, answers, accepted)
        if submission is not None:
            elements = ", ".join(p.domain_element_id for p in submission.participants)
            print(f"Interaction {submission.interaction_id}: submitting {elements}", flush=True)
            await client.submit_interaction(submission)
            accepted += submission.accepted()
            continue
        # GBG's modules are running, or it has not yet taken in what was submitted.
        if time.monotonic() >= deadline:
            raise SystemExit(f"journey {instance_id} did not advance within {TIMEOUT_S} s")
        await asyncio.sleep(POLL_INTERVAL_MS / 1000)


async def main(answers_file: str) -> int:
    with open(answers_file, encoding="utf-8") as file:
        answers = json.load(file)
    try:
        async with gbg_go.aio.Runtime().open(gbg_go.ClientConfig.from_env()) as client:
            started = await client.start_journey(os.environ["GBG_GO_RESOURCE_ID"], delivery="api")
            print(f"Journey {started.instance_id} started", flush=True)
            await answer_interactions(client, started.instance_id, answers)
            state = await client.wait_for_completion(started.instance_id, POLL_INTERVAL_MS, 60_000)
    except gbg_go.GbgGoError as e:
        print(f"{e.kind}: {e}", file=sys.stderr)
        return 1
    outcome = state.state.get("context", {}).get("result", {}).get("outcome", "no outcome")
    print(f"Journey {state.instance_id} {state.status}: {outcome}")
    return 0 if state.status == gbg_go.COMPLETED else 3


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else os.environ["GBG_GO_ANSWERS"])))
