"""Verify a person with a GBG GO API journey, with asyncio: your own UI
collects the data, here stood in for by a file of answers, a JSON object
mapping each domain element to its piece of ``context.subject`` (an answer for
``PrimaryDocument`` covers the slot ``PrimaryDocument/side1Image``).
Configured like hosted_journey.py, with GBG_GO_RESOURCE_ID naming an API
journey:

    python api_journey.py answers.json

Answers each interaction until the journey ends, then prints the outcome.
Exit status: 0 completed, 3 ended otherwise, 1 error.
"""

import asyncio
import copy
import json
import os
import sys
import time
from typing import Any, Optional

import gbg_go
import gbg_go.aio

POLL_INTERVAL_MS = 500
TIMEOUT_MS = 600_000


def answer_for(answers: dict, element: str) -> Optional[str]:
    """The answer that covers ``element``: its own, or its parent's for a slot."""
    return next((key for key in (element, element.split("/")[0]) if key in answers), None)


def merge(into: dict, piece: dict) -> dict:
    """Merges subject pieces: objects key by key, lists concatenated."""
    for key, value in piece.items():
        existing = into.get(key)
        if isinstance(existing, list) and isinstance(value, list):
            existing.extend(copy.deepcopy(value))
        elif isinstance(existing, dict) and isinstance(value, dict):
            merge(existing, value)
        else:
            into[key] = copy.deepcopy(value)
    return into


async def answer_interactions(client: gbg_go.aio.Client, instance_id: str, answers: dict) -> None:
    """Answers each interaction until the journey no longer waits on one."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    # What was submitted, per interaction: each element once. GBG may answer
    # an interaction with the same `outstanding` list after a successful
    # submission, so the loop does not rely on that list shrinking.
    submitted: set[tuple[str, str]] = set()
    while True:
        step: Any = await client.fetch_interaction(instance_id)
        if isinstance(step, gbg_go.NotReady) and step.journey_status is not gbg_go.JourneyStatus.IN_PROGRESS:
            return
        if isinstance(step, gbg_go.Interaction):
            missing = [e for e in step.outstanding if answer_for(answers, e) is None]
            if missing:
                raise SystemExit(f"the answers do not cover {', '.join(missing)}")
            asked = list(step.outstanding)
            for requirement in step.collects:
                asked += [requirement.element.ref] + [i.ref for i in requirement.inputs]
            keys = dict.fromkeys(k for k in (answer_for(answers, e) for e in asked) if k is not None)
            due = [key for key in keys if (step.interaction_id, key) not in submitted]
            if due:
                print(f"Interaction {step.interaction_id}: submitting {', '.join(due)}", flush=True)
                subject: dict = {}
                for key in due:
                    merge(subject, answers[key])
                participants = [gbg_go.Participant(key) for key in due]
                await client.submit_interaction(instance_id, step.interaction_id, participants, json.dumps(subject))
                submitted.update((step.interaction_id, key) for key in due)
                continue
        # GBG's modules are running, or it has not yet taken in what was submitted.
        if time.monotonic() >= deadline:
            raise SystemExit(f"journey {instance_id} did not advance within {TIMEOUT_MS / 1000} s")
        await asyncio.sleep(POLL_INTERVAL_MS / 1000)


async def main(answers_file: str) -> int:
    env = os.environ
    with open(answers_file, encoding="utf-8") as file:
        answers = json.load(file)
    endpoint = env.get("GBG_GO_BASE_URL") or gbg_go.Region(env.get("GBG_GO_REGION", "eu"))
    config = gbg_go.ClientConfig(
        endpoint=endpoint,
        token_url=env.get("GBG_GO_TOKEN_URL"),
        grant=gbg_go.ClientCredentials(env["GBG_GO_CLIENT_ID"], env["GBG_GO_CLIENT_SECRET"]),
    )
    try:
        async with await gbg_go.aio.Runtime().open(config) as client:
            started = await client.start_journey(env["GBG_GO_RESOURCE_ID"], delivery="api")
            print(f"Journey {started.instance_id} started", flush=True)
            await answer_interactions(client, started.instance_id, answers)
            state = await client.wait_for_completion(started.instance_id, POLL_INTERVAL_MS, 60_000)
        outcome = json.loads(state.document).get("context", {}).get("result", {}).get("outcome", "no outcome")
        print(f"Journey {state.instance_id} {state.status_text}: {outcome}")
        return 0 if state.status is gbg_go.JourneyStatus.COMPLETED else 3
    except gbg_go.GbgGoError as e:
        print(f"{e.kind}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else os.environ["GBG_GO_ANSWERS"])))
