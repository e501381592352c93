// @ts-check
// Verify a person in a Temporal workflow, which outlives any process: a
// worker with gbg-go's activities and workflow, and the `verifyIdentity`
// workflow started on it. Configured like ./hosted-journey.mjs, plus
// TEMPORAL_ADDRESS (localhost:7233 by default: `temporal server start-dev`).
// Prints the hosted page's URL, waits for the journey to end and prints the
// outcome. Exit status: 0 completed, 3 ended otherwise.

import { setTimeout as sleep } from 'node:timers/promises';

import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createWorker } from 'gbg-go/temporal';
import { journeyQuery, verifyIdentity } from 'gbg-go/temporal/workflows';

/** @param {string} name */
function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name}`);
  return value;
}

const address = process.env.TEMPORAL_ADDRESS ?? 'localhost:7233';
const taskQueue = 'gbg-go';

// The worker holds the credentials; workflow inputs and history never do.
const worker = await createWorker({
  connection: await NativeConnection.connect({ address }),
  taskQueue,
  config: {
    endpoint: process.env.GBG_GO_BASE_URL ?? process.env.GBG_GO_REGION ?? 'eu',
    tokenUrl: process.env.GBG_GO_TOKEN_URL,
    grant: { clientId: required('GBG_GO_CLIENT_ID'), clientSecret: required('GBG_GO_CLIENT_SECRET') },
  },
});

const client = new Client({ connection: await Connection.connect({ address }) });
await worker.runUntil(async () => {
  const handle = await client.workflow.start(verifyIdentity, {
    taskQueue,
    workflowId: `verify-${Date.now()}`,
    args: [{ resourceId: required('GBG_GO_RESOURCE_ID'), pollIntervalSeconds: 5 }],
  });
  let journey;
  while (!(journey = await handle.query(journeyQuery))) await sleep(200);
  console.log(`Send the end user to: ${journey.instanceUrl}`);
  const state = await handle.result();
  console.log(`Journey ${state.instanceId} ${state.status}: ${state.state.context?.result?.outcome ?? 'no outcome'}`);
  process.exitCode = state.status === 'Completed' ? 0 : 3;
});
