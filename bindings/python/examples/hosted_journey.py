"""Verify a person with a hosted GBG GO journey, with asyncio. Configured like
the gbg-go command, from the environment: GBG_GO_BASE_URL (or GBG_GO_REGION),
GBG_GO_TOKEN_URL (optional), GBG_GO_CLIENT_ID, GBG_GO_CLIENT_SECRET,
GBG_GO_RESOURCE_ID.

Prints the hosted page's URL, waits for the journey to end and prints the
outcome. Exit status: 0 completed, 3 ended otherwise, 1 error.
"""

import asyncio
import os
import sys

import gbg_go
import gbg_go.aio


async def main() -> int:
    runtime = gbg_go.aio.Runtime()  # load the shipped component once, open many clients
    try:
        async with runtime.open(gbg_go.ClientConfig.from_env()) as client:
            started = await client.start_journey(os.environ["GBG_GO_RESOURCE_ID"], delivery="page")
            print(f"Send the end user to: {started.instance_url}", flush=True)
            state = await client.wait_for_completion(started.instance_id, poll_interval_ms=1000)
    except gbg_go.GbgGoError as e:
        print(f"{e.kind}: {e}", file=sys.stderr)
        return 1
    outcome = state.state.get("context", {}).get("result", {}).get("outcome", "no outcome")
    print(f"Journey {state.instance_id} {state.status}: {outcome}")
    return 0 if state.status == gbg_go.COMPLETED else 3


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
