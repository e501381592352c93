// The client's operations as Temporal activities, and the mapping of the
// package's errors to Temporal's failures.

import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';

import { GbgGoClient, GbgGoError } from '../index.js';
import { ACTIVITIES, HEARTBEAT_MS } from './names.js';

/**
 * The `ApplicationFailure` of a `GbgGoError`: its `type` is the error's
 * kind, retryable as the kind is (`rate-limited`, `server-error`,
 * `transport`, `invalid-response`, and a call out of time or a trapped
 * instance), a rate limit retried no sooner than the server asked. An abort
 * by the activity's own cancellation is Temporal's `CancelledFailure`.
 */
export function toFailure(error) {
  if (!(error instanceof GbgGoError)) return error;
  if (error.kind === 'aborted' && error.cause instanceof CancelledFailure) return error.cause;
  const { kind, status, requestId, problems, retryAfter } = error;
  return ApplicationFailure.create({
    type: kind,
    message: error.message,
    nonRetryable: !error.retryable,
    nextRetryDelay: kind === 'rate-limited' && retryAfter !== null ? retryAfter : undefined,
    details: [{ status, requestId, problems, retryAfter }],
  });
}

/** A value without its document's text: activity results go into the workflow's history once. */
function withoutRaw({ raw, ...value }) {
  return value;
}

/**
 * The activities, registered under the names of `ACTIVITIES`
 * (`gbgGo.startJourney`, ...). They share one client, opened with `config`
 * (and `options`) at the first activity, so the access token is reused
 * across activities; the credentials stay in the worker, never in a
 * workflow's input or history. Each call stops when its activity is
 * cancelled. Results are plain JSON values.
 */
export function createActivities(config, options = {}) {
  let opening;
  const client = () => {
    opening ??= GbgGoClient.open(config, options).catch((e) => {
      opening = undefined;
      throw e;
    });
    return opening;
  };
  const run = async (call) => {
    const context = Context.current();
    // Heartbeats tell Temporal the worker is alive during a long call (a
    // document image upload, retries after a 429) and bring the activity's
    // cancellation to it, which stops the call.
    const beating = setInterval(() => context.heartbeat(), HEARTBEAT_MS);
    try {
      return await call(await client(), { signal: context.cancellationSignal });
    } catch (e) {
      throw toFailure(e);
    } finally {
      clearInterval(beating);
    }
  };
  return {
    [ACTIVITIES.startJourney]: (request) => run((c, o) => c.startJourney(request, o)),
    [ACTIVITIES.fetchJourneyState]: (instanceId) => run(async (c, o) => withoutRaw(await c.fetchJourneyState(instanceId, o))),
    [ACTIVITIES.fetchInteraction]: (instanceId) => run(async (c, o) => withoutRaw(await c.fetchInteraction(instanceId, o))),
    [ACTIVITIES.submitInteraction]: (submission) => run((c, o) => c.submitInteraction(submission, o)),
    [ACTIVITIES.deleteInstance]: (instanceId) => run((c, o) => c.deleteInstance(instanceId, o)),
    [ACTIVITIES.health]: () => run((c, o) => c.health(o)),
  };
}
