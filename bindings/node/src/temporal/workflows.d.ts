// Types of ./workflows.js.

import type { QueryDefinition, SignalDefinition, UpdateDefinition } from '@temporalio/common';

import type { Delivery, InteractionStep, JourneyState, JsonObject } from '../index.js';

/** The input of `verifyIdentity`. */
export interface VerifyIdentityInput {
  /** `<resource id>@<version>` or `<resource id>@latest`. */
  resourceId: string;
  /** `page` (hosted, the default) or `api`. */
  delivery?: Delivery;
  /** Prefill for `context.subject`. */
  subject?: JsonObject | null;
  /** The pause between two state checks, on a durable timer; 30 by default. */
  pollIntervalSeconds?: number;
  /** How long the journey may take; a week by default. */
  timeoutSeconds?: number;
  /** Delete the instance when the journey times out or the workflow is cancelled. */
  deleteOnTimeout?: boolean;
}

/** The started journey. */
export interface Journey {
  instanceId: string;
  /** The hosted page to send the end user to. */
  instanceUrl: string | null;
}

/** A journey's final state, as the workflow returns it. */
export type FinalState = Omit<JourneyState, 'raw'>;

/** An interaction as the workflow holds it. */
export type WorkflowStep = InteractionStep extends infer S ? (S extends { raw: string } ? Omit<S, 'raw'> : S) : never;

/** What the `submitInteraction` update takes. */
export interface InteractionSubmission {
  interactionId: string;
  /** The domain elements the subject covers, e.g. `FullName`. */
  elements: string[];
  subject: JsonObject;
}

/** The `journey` query: the started journey, null before the start. */
export declare const journeyQuery: QueryDefinition<Journey | null>;
/** The `interaction` query: the interaction an API journey waits on, null before the first. */
export declare const interactionQuery: QueryDefinition<WorkflowStep | null>;
/** The `journeyEvent` signal: check the journey's state now (what a webhook receiver sends). */
export declare const journeyEventSignal: SignalDefinition<[event?: unknown]>;
/** The `submitInteraction` update: submits, then returns the next interaction. */
export declare const submitInteractionUpdate: UpdateDefinition<WorkflowStep, [InteractionSubmission]>;

/**
 * Starts a journey and waits for it to end on durable timers; fails with an
 * `ApplicationFailure` whose type is the client's error kind (`timeout`
 * when it outlives `timeoutSeconds`).
 */
export declare function verifyIdentity(input: VerifyIdentityInput): Promise<FinalState>;
