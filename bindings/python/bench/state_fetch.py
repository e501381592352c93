"""A state fetch through this package against a keep-alive ``http.client``
sending the same request, in one process, taking turns so that the machine's
load affects both alike. Configured like the examples (GBG_GO_BASE_URL,
GBG_GO_TOKEN_URL, GBG_GO_CLIENT_ID, GBG_GO_CLIENT_SECRET, GBG_GO_RESOURCE_ID),
for example against ``cargo run --release -- simulate``:

    python bench/state_fetch.py [rounds]

Prints the median and 90th percentile of each, in milliseconds, then where a
package fetch spends its time (one profiled round of the same fetches): the
host functions the component calls (their number, and the part spent in
socket calls), and the rest (entering the component, its own work, and the
package's conversions).
"""

import cProfile
import http.client
import json
import os
import pstats
import statistics
import sys
import time
import urllib.parse
import urllib.request
from typing import Callable

import gbg_go
from gbg_go import _abi

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 300
env = os.environ

config = gbg_go.ClientConfig.from_env()
client = gbg_go.Runtime().open(config)
instance_id = client.start_journey(env["GBG_GO_RESOURCE_ID"]).instance_id

# The stand-in for an SDK on http.client: one token, then the very request the
# component sends, over one keep-alive connection, its JSON answer parsed.
form = {
    "grant_type": "client_credentials",
    "client_id": env["GBG_GO_CLIENT_ID"],
    "client_secret": env["GBG_GO_CLIENT_SECRET"],
    "scope": "gbg.token",
}
with urllib.request.urlopen(env["GBG_GO_TOKEN_URL"], urllib.parse.urlencode(form).encode()) as answer:
    token = json.load(answer)["access_token"]
base = urllib.parse.urlsplit(env["GBG_GO_BASE_URL"])
connection = http.client.HTTPConnection(base.hostname, base.port)
body = json.dumps({"instanceId": instance_id})
headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}


def plain() -> None:
    connection.request("POST", f"{base.path}/journey/state/fetch", body, headers)
    answer = connection.getresponse()
    if answer.status != 200:
        raise SystemExit(f"HTTP {answer.status}")
    json.loads(answer.read())


contenders: dict[str, Callable[[], object]] = {
    "gbg-go fetch_journey_state": lambda: client.fetch_journey_state(instance_id),
    "keep-alive http.client, same request": plain,
}
times: dict[str, list[float]] = {name: [] for name in contenders}
for round in range(-20, ROUNDS):
    for name, run in contenders.items():
        began = time.perf_counter()
        run()
        if round >= 0:
            times[name].append((time.perf_counter() - began) * 1000)
for name, measured in times.items():
    p90 = statistics.quantiles(measured, n=10)[-1]
    print(f"{name}: median {statistics.median(measured):.2f} ms, p90 {p90:.2f} ms ({len(measured)} fetches)")
ratio = statistics.median(times["gbg-go fetch_journey_state"]) / statistics.median(times[next(reversed(times))])
print(f"ratio of the medians: {ratio:.2f}")

# Where the time goes, from a profiled round (the profiler slows everything
# alike; the shares are what counts).
profile = cProfile.Profile()
profile.enable()
for _ in range(ROUNDS):
    client.fetch_journey_state(instance_id)
profile.disable()
stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
total = sum(tottime for (_, _, tottime, _, _) in stats.values())


def cumulative(test: Callable[[str, str], bool]) -> tuple[int, float]:
    found = [(calls, cumtime) for (file, _, fn), (calls, _, _, cumtime, _) in stats.items() if test(file, fn)]
    return sum(c for c, _ in found), sum(t for _, t in found)


host_calls, host = cumulative(lambda file, fn: file == _abi.__file__ and fn == "callback")
_, sockets = cumulative(lambda file, fn: file == "~" and "socket" in fn)
print(f"host calls per fetch: {host_calls / ROUNDS:.0f}")
for part, seconds in [
    ("socket calls: sending, and waiting for the answer", sockets),
    ("the host calls' Python: codecs, resource table, http.client", host - sockets),
    ("the rest: entering the component, its own work, the package", total - host),
]:
    print(f"  {part}: {seconds / total:.0%}")
client.close()
