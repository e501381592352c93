// Many waiting `verifyIdentity` workflows on one worker: hosted journeys
// that nobody completes, each checked every POLL seconds. Measures the
// worker process's RSS before and with them all waiting, and the state
// checks per second it keeps up. Against `temporal server start-dev` and
// `cargo run --release -- simulate`, configured like the examples plus
// TEMPORAL_ADDRESS:
//
//   npm run build && node bench/workflows.mjs [workflows=1000] [poll seconds=10] [window seconds=30]
//
// With CACHE=0 the worker keeps no workflow in its cache between tasks
// (each check replays the history), so nothing at all is held per journey.

import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createActivities, createWorker, ACTIVITIES } from 'gbg-go/temporal';

const [count = 1000, poll = 10, windowS = 30] = process.argv.slice(2).map(Number);
const env = process.env;
const address = env.TEMPORAL_ADDRESS ?? 'localhost:7233';
const taskQueue = `gbg-go-bench-${process.pid}`;
const config = {
  endpoint: env.GBG_GO_BASE_URL,
  tokenUrl: env.GBG_GO_TOKEN_URL,
  grant: { clientId: env.GBG_GO_CLIENT_ID, clientSecret: env.GBG_GO_CLIENT_SECRET },
};

// The package's activities, the state check counted.
const activities = createActivities(config);
let checks = 0;
const fetchState = activities[ACTIVITIES.fetchJourneyState];
activities[ACTIVITIES.fetchJourneyState] = (id) => {
  checks += 1;
  return fetchState(id);
};

const mib = () => process.memoryUsage().rss / 2 ** 20;
const worker = await createWorker({
  connection: await NativeConnection.connect({ address }),
  taskQueue,
  config,
  activities,
  ...(env.CACHE === undefined ? {} : { maxCachedWorkflows: Number(env.CACHE) }),
});
const running = worker.run();
const client = new Client({ connection: await Connection.connect({ address }) });
const before = mib();

const began = performance.now();
const handles = [];
for (let i = 0; i < count; i += 50) {
  const batch = Array.from({ length: Math.min(50, count - i) }, (_, j) =>
    client.workflow.start('verifyIdentity', {
      taskQueue,
      workflowId: `bench-${process.pid}-${i + j}`,
      args: [{ resourceId: env.GBG_GO_RESOURCE_ID, pollIntervalSeconds: poll }],
    }),
  );
  handles.push(...(await Promise.all(batch)));
}
// Every workflow has started its journey and checked it once.
while (checks < count) await new Promise((resolve) => setTimeout(resolve, 200));
const started = (performance.now() - began) / 1000;

const from = checks;
const cpuFrom = process.cpuUsage();
let peak = mib();
const sampler = setInterval(() => (peak = Math.max(peak, mib())), 500);
await new Promise((resolve) => setTimeout(resolve, windowS * 1000));
clearInterval(sampler);
const cpu = process.cpuUsage(cpuFrom);
const rate = (checks - from) / windowS;

console.log(
  JSON.stringify({
    workflows: count,
    pollIntervalSeconds: poll,
    cache: env.CACHE ?? 'default',
    startedAndCheckedInS: +started.toFixed(1),
    rssBeforeMiB: +before.toFixed(0),
    rssWaitingMiB: +peak.toFixed(0),
    kibPerWaitingWorkflow: +(((peak - before) * 1024) / count).toFixed(1),
    stateChecksPerS: +rate.toFixed(1),
    expectedChecksPerS: +(count / poll).toFixed(1),
    cpuMsPerCheck: +((cpu.user + cpu.system) / 1000 / Math.max(1, checks - from)).toFixed(2),
  }),
);
await Promise.all(handles.map((h) => h.terminate('benchmark over').catch(() => {})));
worker.shutdown();
await running;
