// The `verifyIdentity` workflow of `gbg-go/temporal` on a real Temporal
// server, one scenario per run, from a project where the `gbg-go` tarball
// and @temporalio/* are installed (tests/e2e/node_temporal.rs makes it):
//
//   node temporal.mjs <scenario>
//
// Configured by TEMPORAL_ADDRESS, the gbg-go command's variables
// (GBG_GO_BASE_URL, GBG_GO_TOKEN_URL, GBG_GO_CLIENT_ID,
// GBG_GO_CLIENT_SECRET, GBG_GO_RESOURCE_ID) and, for `api`,
// GBG_GO_API_RESOURCE_ID and GBG_GO_ANSWERS (a file of answers).
//
// Prints JSON lines: {"event":"end-user","url":...} when the test is to
// complete the hosted page (it answers with a line on stdin), and last
// {"event":"done", ...} with what the scenario observed.

import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

import { config, gbgGo, resolve } from './installed.mjs';

const load = (name) => import(resolve(name));
const { Client, Connection, WorkflowFailedError } = await load('@temporalio/client');
const { bundleWorkflowCode, NativeConnection } = await load('@temporalio/worker');
const { GbgGoClient } = gbgGo;
const temporal = await load('gbg-go/temporal');
const { createWorker, workflowsPath, ACTIVITIES, JOURNEY_QUERY, INTERACTION_QUERY, JOURNEY_EVENT_SIGNAL } = temporal;

const scenario = process.argv[2];
const env = process.env;
const taskQueue = `gbg-go-${scenario}-${process.pid}`;

const report = (event) => console.log(JSON.stringify(event));
const stdin = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

/** Has the test play the end user on the hosted page, and waits until it has. */
async function endUser(url) {
  report({ event: 'end-user', url });
  await stdin.next();
}

const address = env.TEMPORAL_ADDRESS;
const client = new Client({ connection: await Connection.connect({ address }) });
const workflowBundle = await bundleWorkflowCode({ workflowsPath, logger: { log() {}, info() {}, warn() {}, error() {}, debug() {}, trace() {} } });

/** A running worker of the package on the task queue, with `config` (the client's by default). */
async function startWorker(workerConfig = config) {
  const connection = await NativeConnection.connect({ address });
  const worker = await createWorker({ connection, taskQueue, config: workerConfig, workflowBundle });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

/** Starts `verifyIdentity` with `input`. */
function start(input) {
  return client.workflow.start('verifyIdentity', {
    taskQueue,
    workflowId: `verify-${scenario}-${process.pid}-${Date.now()}`,
    args: [{ resourceId: env.GBG_GO_RESOURCE_ID, ...input }],
  });
}

/** Waits until the workflow reports its journey (it has started it). */
async function journeyOf(handle) {
  for (;;) {
    const journey = await handle.query(JOURNEY_QUERY);
    if (journey) return journey;
    await sleep(100);
  }
}

/** The failure a workflow's result rejected with. */
async function failureOf(handle) {
  try {
    return { resolved: await handle.result() };
  } catch (e) {
    if (!(e instanceof WorkflowFailedError)) throw e;
    const { cause } = e;
    return { name: cause?.name, type: cause?.type ?? null, nonRetryable: cause?.nonRetryable ?? null, message: cause?.message, details: cause?.details ?? null };
  }
}

/**
 * What the history says of the attempts of `activity`: the attempt it last
 * started, and the failure of the attempt before (its type and the retry
 * delay it asked for, in milliseconds).
 */
async function attemptsOf(handle, activity) {
  const { events } = await handle.fetchHistory();
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activity);
  const { attempt, lastFailure } = events.find(
    (e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === scheduled.eventId.toString(),
  ).activityTaskStartedEventAttributes;
  const info = lastFailure?.applicationFailureInfo;
  const delay = info?.nextRetryDelay;
  return {
    attempt,
    lastFailureType: info?.type ?? null,
    lastRetryDelayMs: delay ? Number(delay.seconds ?? 0) * 1000 + (delay.nanos ?? 0) / 1e6 : null,
  };
}

const scenarios = {
  /** A hosted journey to Completed. */
  async hosted() {
    const worker = await startWorker();
    const handle = await start({ pollIntervalSeconds: 1 });
    const journey = await journeyOf(handle);
    await endUser(journey.instanceUrl);
    const result = await handle.result();
    await worker.stop();
    return { journey, result };
  },

  /** The worker stops while the journey waits; the end user finishes meanwhile; a new worker resumes. */
  async resume() {
    const first = await startWorker();
    const handle = await start({ pollIntervalSeconds: 2 });
    const journey = await journeyOf(handle);
    await first.stop();
    await endUser(journey.instanceUrl);
    const second = await startWorker();
    const result = await handle.result();
    await second.stop();
    return { journey, result };
  },

  /** `journeyEvent` cuts an hour-long poll interval short. */
  async signal() {
    const worker = await startWorker();
    const handle = await start({ pollIntervalSeconds: 3600 });
    const journey = await journeyOf(handle);
    await endUser(journey.instanceUrl);
    await handle.signal(JOURNEY_EVENT_SIGNAL, { type: 'journey.completed' });
    const result = await handle.result();
    await worker.stop();
    return { journey, result };
  },

  /** A wrong client secret fails the workflow, without retries. */
  async unauthorized() {
    const worker = await startWorker({ ...config, grant: { ...config.grant, clientSecret: 'not-the-secret' } });
    const handle = await start({});
    const failure = await failureOf(handle);
    const attempts = await attemptsOf(handle, ACTIVITIES.startJourney);
    await worker.stop();
    return { failure, attempts };
  },

  /** A start that stays rate limited through the client's retries is retried by Temporal after Retry-After. */
  async 'rate-limited'() {
    const worker = await startWorker();
    const handle = await start({ pollIntervalSeconds: 3600 });
    const journey = await journeyOf(handle);
    const attempts = await attemptsOf(handle, ACTIVITIES.startJourney);
    await handle.terminate('the scenario is over');
    await worker.stop();
    return { journey, attempts };
  },

  /** An API journey driven through the `submitInteraction` update, planned by the package. */
  async api() {
    const worker = await startWorker();
    const handle = await start({ resourceId: env.GBG_GO_API_RESOURCE_ID, delivery: 'api', pollIntervalSeconds: 1 });
    const planner = await GbgGoClient.open(config);
    const answers = JSON.parse(readFileSync(env.GBG_GO_ANSWERS, 'utf8'));
    let ended = false;
    const outcome = handle.result().finally(() => (ended = true));
    const accepted = [];
    const updates = [];
    while (!ended) {
      const step = await handle.query(INTERACTION_QUERY);
      const plan = step?.ready ? await planner.planSubmission({ ...step, raw: JSON.stringify(step.interaction) }, answers, accepted) : null;
      if (plan) {
        const elements = plan.participants.map((p) => p.domainElementId);
        const next = await handle.executeUpdate('submitInteraction', {
          args: [{ interactionId: plan.interactionId, elements, subject: plan.subject }],
        });
        updates.push({ interactionId: plan.interactionId, elements, next: { ready: next.ready, journeyStatus: next.journeyStatus } });
        accepted.push(...elements.map((domainElementId) => ({ interactionId: plan.interactionId, domainElementId })));
      } else {
        await Promise.race([outcome.catch(() => {}), sleep(300)]);
      }
    }
    const result = await outcome;
    await planner.close();
    await worker.stop();
    return { updates, result };
  },

  /** A journey that outlives its timeout fails the workflow with type `timeout` and is deleted. */
  async timeout() {
    const worker = await startWorker();
    const handle = await start({ pollIntervalSeconds: 1, timeoutSeconds: 3, deleteOnTimeout: true });
    const journey = await journeyOf(handle);
    const failure = await failureOf(handle);
    await worker.stop();
    return { journey, failure };
  },

  /** A cancelled workflow deletes its instance when `deleteOnTimeout` is set. */
  async cancel() {
    const worker = await startWorker();
    const handle = await start({ pollIntervalSeconds: 3600, deleteOnTimeout: true });
    const journey = await journeyOf(handle);
    await handle.cancel();
    const failure = await failureOf(handle);
    await worker.stop();
    return { journey, failure };
  },
};

const run = scenarios[scenario];
if (!run) throw new Error(`unknown scenario ${scenario}`);
report({ event: 'done', ...(await run()) });
process.exit(0);
