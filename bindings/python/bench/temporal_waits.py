"""1,000 concurrent VerifyIdentity workflows waiting on one worker: the
worker's RSS, the state checks per second it sustains, and what a waiting
verification costs between two checks. Configured like the examples, with a
journey nobody completes as GBG_GO_RESOURCE_ID, and TEMPORAL_ADDRESS:

    python bench/temporal_waits.py [workflows] [poll_interval_s] [window_s] [max_cached_workflows]

Runs one worker in this process (the package's activities, the state check
counted), starts the workflows, waits until every journey has started and
been checked once, then counts the state checks over the window. Prints JSON.
"""

import asyncio
import json
import os
import resource
import sys
import time
import uuid
from typing import Any

from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker

import gbg_go
from gbg_go.temporal import FETCH_JOURNEY_STATE, GbgGoActivities, VerifyIdentity, VerifyIdentityInput

WORKFLOWS = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
POLL_S = float(sys.argv[2]) if len(sys.argv) > 2 else 30
WINDOW_S = float(sys.argv[3]) if len(sys.argv) > 3 else 90
CACHED = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
TASK_QUEUE = f"gbg-go-bench-{uuid.uuid4()}"


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        kib = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return kib / 1024


def cpu_s() -> float:
    times = os.times()
    return times.user + times.system


async def main() -> None:
    env = os.environ
    config = gbg_go.ClientConfig.from_env()
    activities = GbgGoActivities(config)
    checks = 0

    @activity.defn(name=FETCH_JOURNEY_STATE)
    async def counted_check(instance_id: str) -> dict[str, Any]:
        nonlocal checks
        checks += 1
        return await activities.fetch_journey_state(instance_id)

    others = [a for a in activities.all() if a.__name__ != "fetch_journey_state"]
    temporal = await Client.connect(env["TEMPORAL_ADDRESS"])
    await activities.health()  # the runtime loaded, the client open
    before = rss_mib()
    worker = Worker(
        temporal,
        task_queue=TASK_QUEUE,
        workflows=[VerifyIdentity],
        activities=[*others, counted_check],
        max_cached_workflows=CACHED,
    )
    async with worker:
        starting = asyncio.Semaphore(50)

        async def start(i: int) -> Any:
            async with starting:
                return await temporal.start_workflow(
                    VerifyIdentity.run,
                    VerifyIdentityInput(env["GBG_GO_RESOURCE_ID"], poll_interval_seconds=POLL_S),
                    id=f"bench-{TASK_QUEUE}-{i}",
                    task_queue=TASK_QUEUE,
                )

        began = time.monotonic()
        handles = await asyncio.gather(*(start(i) for i in range(WORKFLOWS)))
        while checks < WORKFLOWS:
            await asyncio.sleep(0.5)
        ramp_s = time.monotonic() - began
        waiting = rss_mib()
        first, cpu, clock = checks, cpu_s(), time.monotonic()
        await asyncio.sleep(WINDOW_S)
        counted, cpu, clock = checks - first, cpu_s() - cpu, time.monotonic() - clock
        after = rss_mib()
        await asyncio.gather(*(h.terminate("benchmark over") for h in handles))
    print(
        json.dumps(
            {
                "workflows": WORKFLOWS,
                "poll_interval_s": POLL_S,
                "max_cached_workflows": CACHED,
                "all_started_and_checked_once_s": round(ramp_s, 1),
                "rss_mib_before": round(before, 1),
                "rss_mib_waiting": round(waiting, 1),
                "rss_mib_after_window": round(after, 1),
                "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "kib_per_waiting_workflow": round((after - before) * 1024 / WORKFLOWS, 1),
                "state_checks_per_s": round(counted / clock, 1),
                "expected_checks_per_s": round(WORKFLOWS / POLL_S, 1),
                "worker_cpu_ms_per_check": round(cpu * 1000 / max(counted, 1), 2),
                "worker_cpu_share": round(cpu / clock, 3),
            }
        )
    )


asyncio.run(main())
