// Types of ./index.js. The WIT types themselves are the ones jco generates
// from the component (`npm run build`), re-exported unchanged.

import type {
  ClientConfig,
  Error as ComponentError,
  InteractionStep,
  JourneyState,
  StartedJourney,
  StartRequest,
  Submission,
  TokenInfo,
  WaitOptions,
} from '../generated/interfaces/gbg-go-types.js';

export type * from '../generated/interfaces/gbg-go-types.js';

/** A request the egress policy refused. */
export interface Denial {
  /** The authority the component asked for, as it sent it. */
  authority: string;
  /** The rule the request broke. */
  reason: string;
}

/** How the host runs a client's component. */
export interface ClientOptions {
  /**
   * The URLs whose origins (`scheme://host:port`) the component may reach; by
   * default the API base and token URL of the configuration. Deny by default.
   */
  egress?: Iterable<string | URL>;
  /** Told about every request the egress policy refused. */
  onDenied?: (denial: Denial) => void;
  /** How many calls the client runs at once, each in its own worker thread; 4 by default. */
  maxConcurrency?: number;
  /**
   * The longest a call may run before its worker is stopped, in
   * milliseconds; 120 000 by default, plus the wait's own timeout for
   * `waitForCompletion`.
   */
  callBudgetMs?: number;
}

/** The documented token endpoint, used when `tokenUrl` is absent. */
export declare const DEFAULT_TOKEN_URL: string;

/** The URLs a client opened with `config` has to reach: its API base and token URL. */
export declare function reachableUrls(config: ClientConfig): [string, string];

/** A call the component answered with its typed `error`. */
export declare class GbgGoError extends Error {
  /** The WIT error case, e.g. `not-found`. */
  readonly kind: ComponentError['tag'];
  /** The case's payload, e.g. the `api-failure` record. */
  readonly detail: ComponentError['val'];
}

/** The host stopped a component instance: it ran past its time budget or trapped. */
export declare class GbgGoHostError extends Error {
  /** Why the call did not complete. */
  readonly reason: 'budget-exceeded' | 'trap' | 'closed';
}

/** A GBG GO client; every call returns a promise and none blocks the event loop. */
export declare class GbgGoClient implements AsyncDisposable {
  private constructor();
  /** Validates `config` and opens a client. Sends nothing. */
  static open(config: ClientConfig, options?: ClientOptions): Promise<GbgGoClient>;
  /** The origins (`scheme://host:port`) this client's component may reach. */
  readonly allowedOrigins: string[];
  /** Fetches a new customer access token; returns its lifetime. */
  authenticate(): Promise<TokenInfo>;
  /** Starts a journey instance. */
  startJourney(request: StartRequest): Promise<StartedJourney>;
  /** Fetches an instance's state. */
  fetchJourneyState(instanceId: string, filterKeys?: string[]): Promise<JourneyState>;
  /**
   * Polls until the instance is no longer in progress; rejects with a
   * `GbgGoError` of kind `timeout` once `options.timeoutMs` has passed.
   */
  waitForCompletion(instanceId: string, options: WaitOptions): Promise<JourneyState>;
  /** Permanently deletes an instance's state. */
  deleteInstance(instanceId: string): Promise<void>;
  /** The service's health message, `OK` when healthy. */
  health(): Promise<string>;
  /** Fetches the interaction an API journey waits on. */
  fetchInteraction(instanceId: string): Promise<InteractionStep>;
  /** Submits collected data for an interaction. */
  submitInteraction(submission: Submission): Promise<void>;
  /** Stops the client's worker threads; calls still running are rejected. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
