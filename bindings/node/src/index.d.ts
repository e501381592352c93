// Types of ./gbg-go.js. The WIT types themselves are the ones jco generates
// from the component (`npm run transpile`), re-exported unchanged.

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
} from './generated/interfaces/gbg-go-types.js';

export type * from './generated/interfaces/gbg-go-types.js';

/** A request the egress policy refused. */
export interface Denial {
  /** The authority the component asked for, as it sent it. */
  authority: string;
  /** The rule the request broke. */
  reason: string;
}

/**
 * Allows the component to reach exactly the authorities (`host:port`) of
 * `urls`, replacing any earlier list. Deny by default; process-wide.
 */
export declare function allowOnly(
  urls: Iterable<string | URL>,
  options?: { onDenied?: (denial: Denial) => void },
): void;

/** The allowed authorities, normalised as `host:port`. */
export declare function allowedAuthorities(): string[];

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

/** A GBG GO client running in the component; every call is synchronous. */
export declare class GbgGoClient {
  private constructor();
  /** Validates `config` and opens a client. Sends nothing. */
  static open(config: ClientConfig): GbgGoClient;
  /** Fetches a new customer access token; returns its lifetime. */
  authenticate(): TokenInfo;
  /** Starts a journey instance. */
  startJourney(request: StartRequest): StartedJourney;
  /** Fetches an instance's state. */
  fetchJourneyState(instanceId: string, filterKeys?: string[]): JourneyState;
  /** Polls until the instance is no longer in progress. */
  waitForCompletion(instanceId: string, options: WaitOptions): JourneyState;
  /** Permanently deletes an instance's state. */
  deleteInstance(instanceId: string): void;
  /** The service's health message, `OK` when healthy. */
  health(): string;
  /** Fetches the interaction an API journey waits on. */
  fetchInteraction(instanceId: string): InteractionStep;
  /** Submits collected data for an interaction. */
  submitInteraction(submission: Submission): void;
  /** Releases the component's client resource. */
  close(): void;
}
