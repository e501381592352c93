"""The event-loop check for asyncio: a task sleeping 10 ms at a time counts
its ticks while ``wait_for_completion`` waits for a journey nobody completes
until its timeout (GBG_GO_WAIT_MS). Uses the installed ``gbg-go`` package and
the gbg-go command's variables. Prints ``{"ticks", "kind", "message"}``."""

import asyncio
import json
import os

import gbg_go
import gbg_go.aio


async def main() -> None:
    env = os.environ
    async with gbg_go.aio.Runtime().open(gbg_go.ClientConfig.from_env()) as client:
        started = await client.start_journey(env["GBG_GO_RESOURCE_ID"])
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        try:
            await client.wait_for_completion(started.instance_id, 200, int(env["GBG_GO_WAIT_MS"]))
            outcome = {"kind": "ok", "message": ""}
        except gbg_go.GbgGoError as e:
            outcome = {"kind": e.kind, "message": str(e)}
        finally:
            ticker.cancel()
    print(json.dumps({"ticks": ticks, **outcome}))


asyncio.run(main())
