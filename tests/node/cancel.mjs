// Stopping calls: an AbortSignal, a per-call timeout and `close()` each
// reject the call with their own error and stop the component's work. Uses
// the `gbg-go` package installed in the current directory and the gbg-go
// command's variables, against a simulator that answers state fetches
// slowly (the test sets its latency above STOP_AFTER_MS).
//
// Prints one JSON line per event, which the test (tests/e2e/node_package.rs)
// holds against the simulator's request log:
//   {"event":"aborted", "instanceId"}   a wait was aborted mid-request
//   {"event":"quiet"}                     a while later, for the log to show nothing more was sent
//   {"event":"done", "results": {...}}   what each stopped call rejected with; two health
//                                         calls reached the server, the aborted one did not

import { setTimeout as sleep } from 'node:timers/promises';

import { config, gbgGo } from './installed.mjs';

const { AbortError, BudgetExceededError, ClientClosedError, GbgGoClient, GbgGoError } = gbgGo;

/** When the calls below are stopped, in milliseconds: well before a slow state fetch answers. */
const STOP_AFTER_MS = 300;
/** How long the log is given to show a request sent after a stop. */
const QUIET_MS = Number(process.env.QUIET_MS ?? 2500);

const client = await GbgGoClient.open(config);
const { instanceId } = await client.startJourney({ resourceId: process.env.GBG_GO_RESOURCE_ID });
const results = {};

/** The error `promise` rejects with, as `{ name, kind, isGbgGoError, ... }`. */
async function outcome(promise, extra = () => ({})) {
  try {
    await promise;
    return { name: 'resolved' };
  } catch (e) {
    return { name: e.name, kind: e.kind, isGbgGoError: e instanceof GbgGoError, message: e.message, ...extra(e) };
  }
}

// 1. An abort while a state fetch of the wait is in flight.
const controller = new AbortController();
const reason = new Error('the user went away');
setTimeout(() => controller.abort(reason), STOP_AFTER_MS);
results.abort = await outcome(
  client.waitForCompletion(instanceId, { pollIntervalMs: 100, timeoutMs: 60_000, signal: controller.signal }),
  (e) => ({ isAbortError: e instanceof AbortError, causeIsReason: e.cause === reason }),
);
console.log(JSON.stringify({ event: 'aborted', instanceId }));
await sleep(QUIET_MS);
console.log(JSON.stringify({ event: 'quiet' }));
results.afterAbort = await client.health();

// 2. A signal aborted before the call: rejected without a request.
results.alreadyAborted = await outcome(client.health({ signal: AbortSignal.abort() }));

// 3. A per-call timeout shorter than the slow answer.
results.timeout = await outcome(client.fetchJourneyState(instanceId, { timeoutMs: STOP_AFTER_MS }), (e) => ({
  isBudgetExceededError: e instanceof BudgetExceededError,
  budgetMs: e.budgetMs,
}));
results.afterTimeout = await client.health();

// 4. `close()` while a call runs, and a call after it.
const running = client.fetchJourneyState(instanceId);
setTimeout(() => client.close(), STOP_AFTER_MS);
results.closed = await outcome(running, (e) => ({ isClientClosedError: e instanceof ClientClosedError }));
results.afterClose = await outcome(client.health());

console.log(JSON.stringify({ event: 'done', results }));
