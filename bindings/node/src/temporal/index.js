// GBG GO verification in Temporal: the activities (./activities.js), a
// worker with them and the `verifyIdentity` workflow (./workflows.js, which
// a worker bundles), and the names they go by (./names.js).
//
// @temporalio/* are optional peer dependencies of the package: install
// @temporalio/client, worker, workflow and activity to use this module.

import { fileURLToPath } from 'node:url';

import { createActivities } from './activities.js';

export { createActivities, toFailure } from './activities.js';
export * from './names.js';

/** The module a Temporal worker bundles for the `verifyIdentity` workflow. */
export const workflowsPath = fileURLToPath(new URL('./workflows.js', import.meta.url));

/**
 * A Temporal `Worker` on `taskQueue` with the `verifyIdentity` workflow and
 * the activities of `createActivities(config, clientOptions)`; the other
 * options go to `Worker.create` as they are (`connection`, `namespace`, a
 * prebuilt `workflowBundle`, more `activities`, ...).
 */
export async function createWorker({ taskQueue, config, clientOptions, ...workerOptions }) {
  const { Worker } = await import('@temporalio/worker');
  return Worker.create({
    ...(workerOptions.workflowBundle ? {} : { workflowsPath }),
    ...workerOptions,
    taskQueue,
    activities: { ...createActivities(config, clientOptions), ...workerOptions.activities },
  });
}
