// Types of ./index.js.

import type { ApplicationFailure } from '@temporalio/common';
import type { Worker, WorkerOptions } from '@temporalio/worker';

import type { ClientConfig, ClientOptions } from '../index.js';

/** The activity type names, by operation (`gbgGo.startJourney`, ...). */
export declare const ACTIVITIES: {
  readonly startJourney: 'gbgGo.startJourney';
  readonly fetchJourneyState: 'gbgGo.fetchJourneyState';
  readonly fetchInteraction: 'gbgGo.fetchInteraction';
  readonly submitInteraction: 'gbgGo.submitInteraction';
  readonly deleteInstance: 'gbgGo.deleteInstance';
  readonly health: 'gbgGo.health';
};
export declare const JOURNEY_QUERY: 'journey';
export declare const INTERACTION_QUERY: 'interaction';
export declare const JOURNEY_EVENT_SIGNAL: 'journeyEvent';
export declare const SUBMIT_INTERACTION_UPDATE: 'submitInteraction';

/** The module a worker bundles for the `verifyIdentity` workflow. */
export declare const workflowsPath: string;

/**
 * The activities, under the names of `ACTIVITIES`, sharing one client opened
 * with `config` at the first activity. Results are plain JSON values.
 */
export declare function createActivities(
  config: ClientConfig,
  options?: ClientOptions,
): Record<(typeof ACTIVITIES)[keyof typeof ACTIVITIES], (...args: any[]) => Promise<any>>;

/** The `ApplicationFailure` of a `GbgGoError` (type: its kind); other errors as they are. */
export declare function toFailure(error: unknown): ApplicationFailure | unknown;

/** Options of `createWorker`: `Worker.create`'s, with the client's configuration. */
export type CreateWorkerOptions = Omit<WorkerOptions, 'taskQueue'> & {
  taskQueue: string;
  config: ClientConfig;
  clientOptions?: ClientOptions;
};

/** A worker with the `verifyIdentity` workflow and the activities. */
export declare function createWorker(options: CreateWorkerOptions): Promise<Worker>;
