"""Verify a person with a hosted GBG GO journey, with asyncio. Configured like
the gbg-go command, from the environment: GBG_GO_BASE_URL (or GBG_GO_REGION),
GBG_GO_TOKEN_URL (optional), GBG_GO_CLIENT_ID, GBG_GO_CLIENT_SECRET,
GBG_GO_RESOURCE_ID.

Prints the hosted page's URL, waits for the journey to end and prints the
outcome. Exit status: 0 completed, 3 ended otherwise, 1 error.
"""

import asyncio
import json
import os
import sys

import gbg_go
import gbg_go.aio


async def main() -> int:
    env = os.environ
    endpoint = env.get("GBG_GO_BASE_URL") or gbg_go.Region(env.get("GBG_GO_REGION", "eu"))
    config = gbg_go.ClientConfig(
        endpoint=endpoint,
        token_url=env.get("GBG_GO_TOKEN_URL"),
        grant=gbg_go.ClientCredentials(env["GBG_GO_CLIENT_ID"], env["GBG_GO_CLIENT_SECRET"]),
    )
    runtime = gbg_go.aio.Runtime()  # compile the shipped component once, open many clients
    try:
        async with await runtime.open(config) as client:
            started = await client.start_journey(env["GBG_GO_RESOURCE_ID"], delivery="page")
            print(f"Send the end user to: {started.instance_url}", flush=True)
            state = await client.wait_for_completion(started.instance_id, poll_interval_ms=1000, timeout_ms=600_000)
        outcome = json.loads(state.document).get("context", {}).get("result", {}).get("outcome", "no outcome")
        print(f"Journey {state.instance_id} {state.status_text}: {outcome}")
        return 0 if state.status is gbg_go.JourneyStatus.COMPLETED else 3
    except gbg_go.GbgGoError as e:
        print(f"{e.kind}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
