// The `verifyIdentity` workflow: a GBG GO journey that outlives any process.
// A worker bundles this module into Temporal's deterministic sandbox, so it
// imports @temporalio/workflow and the names only; the component runs in
// the activities.

import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  isCancellation,
  proxyActivities,
  setHandler,
  sleep,
} from '@temporalio/workflow';

import {
  ACTIVITIES,
  HEARTBEAT_TIMEOUT,
  INTERACTION_QUERY,
  JOURNEY_EVENT_SIGNAL,
  JOURNEY_QUERY,
  SUBMIT_INTERACTION_UPDATE,
} from './names.js';

/** `{ instanceId, instanceUrl }` of the started journey; null before the start. */
export const journeyQuery = defineQuery(JOURNEY_QUERY);

/** The interaction an API journey waits on (as `fetchInteraction` gives it); null before the first. */
export const interactionQuery = defineQuery(INTERACTION_QUERY);

/** Something happened to the journey (a webhook receiver sends this): check its state now. */
export const journeyEventSignal = defineSignal(JOURNEY_EVENT_SIGNAL);

/**
 * Submits `{ interactionId, elements, subject }` for the waiting interaction
 * and returns the next interaction.
 */
export const submitInteractionUpdate = defineUpdate(SUBMIT_INTERACTION_UPDATE);

/** The status of a journey still running, as GBG spells it. */
const IN_PROGRESS = 'InProgress';

/** After a submission, how often and how many times the next interaction is fetched while GBG processes. */
const NEXT_STEP_POLL_MS = 1_000;
const NEXT_STEP_POLLS = 30;

const activities = proxyActivities({
  // One call of the client: its own retries and time budget included.
  startToCloseTimeout: '3 minutes',
  // A worker that dies mid-call is noticed within this, not at the end.
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Runs an activity; a failure of the client's own is rethrown as that `ApplicationFailure` (type: its kind). */
async function call(name, argument) {
  try {
    return await activities[name](argument);
  } catch (e) {
    if (e instanceof ActivityFailure && e.cause instanceof ApplicationFailure) throw e.cause;
    throw e;
  }
}

/** Refuses an update before it is written to history. */
function refuse(message) {
  throw ApplicationFailure.create({ type: 'invalid-input', message, nonRetryable: true });
}

/**
 * Starts a journey and waits for it to end, checking its state on durable
 * timers every `pollIntervalSeconds` and at once on `journeyEvent`.
 * Returns the final state `{ instanceId, status, createdAt, completedAt,
 * state }`. Fails with an `ApplicationFailure` whose type is the client's
 * error kind; with type `timeout` when the journey outlives
 * `timeoutSeconds`, deleting the instance first when `deleteOnTimeout` is
 * set, as a cancellation does too.
 *
 * @param {import('./workflows.js').VerifyIdentityInput} input
 */
export async function verifyIdentity({
  resourceId,
  delivery = 'page',
  subject = null,
  pollIntervalSeconds = 30,
  timeoutSeconds = 7 * 86_400,
  deleteOnTimeout = false,
}) {
  let journey = null;
  let interaction = null;
  let woken = false;
  setHandler(journeyQuery, () => journey);
  setHandler(interactionQuery, () => interaction);
  setHandler(journeyEventSignal, () => {
    woken = true;
  });
  setHandler(
    submitInteractionUpdate,
    async ({ interactionId, elements, subject: data }) => {
      const { instanceId } = journey;
      const participants = elements.map((domainElementId) => ({ domainElementId }));
      await call(ACTIVITIES.submitInteraction, { instanceId, interactionId, participants, subject: data });
      let step = await call(ACTIVITIES.fetchInteraction, instanceId);
      for (let polls = 1; !step.ready && step.journeyStatus === IN_PROGRESS && polls < NEXT_STEP_POLLS; polls += 1) {
        await sleep(NEXT_STEP_POLL_MS);
        step = await call(ACTIVITIES.fetchInteraction, instanceId);
      }
      interaction = step;
      woken = true;
      return step;
    },
    {
      validator: (submission) => {
        if (delivery !== 'api') refuse('this journey is hosted: it has no interactions to submit');
        if (journey === null) refuse('the journey has not started yet');
        const { interactionId, elements, subject: data } = submission ?? {};
        if (typeof interactionId !== 'string') refuse('interactionId must be a string');
        if (!Array.isArray(elements) || elements.some((e) => typeof e !== 'string')) {
          refuse('elements must be a list of domain element ids');
        }
        if (typeof data !== 'object' || data === null || Array.isArray(data)) refuse('subject must be an object');
      },
    },
  );

  const deadline = Date.now() + timeoutSeconds * 1000;
  try {
    const started = await call(ACTIVITIES.startJourney, { resourceId, delivery, subject: subject ?? undefined });
    journey = { instanceId: started.instanceId, instanceUrl: started.instanceUrl };
    for (;;) {
      // Cleared before the check, so that a signal during it brings the next one.
      woken = false;
      const state = await call(ACTIVITIES.fetchJourneyState, journey.instanceId);
      if (state.status !== IN_PROGRESS) {
        await condition(allHandlersFinished);
        return state;
      }
      if (delivery === 'api') interaction = await call(ACTIVITIES.fetchInteraction, journey.instanceId);
      const left = deadline - Date.now();
      if (left <= 0) {
        if (deleteOnTimeout) await call(ACTIVITIES.deleteInstance, journey.instanceId);
        throw ApplicationFailure.create({
          type: 'timeout',
          nonRetryable: true,
          message: `journey ${journey.instanceId} did not finish within ${timeoutSeconds} s (last status ${state.status})`,
          details: [{ instanceId: journey.instanceId, lastStatus: state.status, deleted: deleteOnTimeout }],
        });
      }
      await condition(() => woken, Math.min(pollIntervalSeconds * 1000, left));
    }
  } catch (e) {
    if (isCancellation(e) && deleteOnTimeout && journey !== null) {
      const { instanceId } = journey;
      await CancellationScope.nonCancellable(() => call(ACTIVITIES.deleteInstance, instanceId));
    }
    throw e;
  }
}
