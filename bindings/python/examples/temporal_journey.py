"""Verify a person with a hosted GBG GO journey as a durable Temporal
workflow. Configured like hosted_journey.py, plus TEMPORAL_ADDRESS (the
Temporal frontend, ``localhost:7233`` by default):

    pip install 'gbg-go[temporal]'
    python temporal_journey.py

Runs a worker (the VerifyIdentity workflow and the gbg_go activities) and
starts one verification on it; prints the hosted page's URL once the journey
has started, and the outcome once it ends. The worker could stop meanwhile:
the workflow waits on durable timers and resumes on any worker.
Exit status: 0 completed, 3 ended otherwise, 1 error.
"""

import asyncio
import os
import sys
import uuid

from temporalio.client import Client, WorkflowFailureError

import gbg_go
from gbg_go.temporal import VerifyIdentity, VerifyIdentityInput, create_worker

TASK_QUEUE = "gbg-go"


async def main() -> int:
    temporal = await Client.connect(os.environ.get("TEMPORAL_ADDRESS", "localhost:7233"))
    async with create_worker(temporal, task_queue=TASK_QUEUE, config=gbg_go.ClientConfig.from_env()):
        verification = await temporal.start_workflow(
            VerifyIdentity.run,
            VerifyIdentityInput(os.environ["GBG_GO_RESOURCE_ID"], poll_interval_seconds=1),
            id=f"verify-{uuid.uuid4()}",  # your own id: one per person or application
            task_queue=TASK_QUEUE,
        )
        while (journey := await verification.query(VerifyIdentity.journey)) is None:
            await asyncio.sleep(0.2)
        print(f"Send the end user to: {journey['instance_url']}", flush=True)
        try:
            state = await verification.result()
        except WorkflowFailureError as e:
            print(f"verification failed: {e.cause}", file=sys.stderr)
            return 1
    outcome = state["state"].get("context", {}).get("result", {}).get("outcome", "no outcome")
    print(f"Journey {state['instance_id']} {state['status']}: {outcome}")
    return 0 if state["status"] == gbg_go.COMPLETED else 3


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
