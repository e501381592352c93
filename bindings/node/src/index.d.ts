// Types of ./index.js: plain values, in the vocabulary of the gbg-go
// command's `--json` output (camelCase here), and the error classes.

/** A GBG GO region with a documented platform host. */
export type Region = 'eu' | 'us' | 'au';

/** OAuth 2.0 `client_credentials`: an API client from GBG GO's account portal. */
export interface ClientCredentialsGrant {
  clientId: string;
  /** Never logged, echoed or returned. */
  clientSecret: string;
  /** The `scope` form field; `gbg.token` when absent. */
  scope?: string;
}

/** OAuth 2.0 resource-owner `password` grant, as issued by a GBG account manager. */
export interface PasswordGrant {
  clientId: string;
  clientSecret: string;
  /** The API user (an e-mail address). */
  username: string;
  /** Never logged or returned. */
  password: string;
  /** A `scope` form field; none is sent when absent. */
  scope?: string;
}

/** How transient failures are retried; a field left out keeps its default. */
export interface RetryPolicy {
  /** Attempts per call, the first included; 4 by default. */
  maxAttempts?: number;
  /** The backoff before the first retry, in milliseconds; 250 by default. */
  initialBackoffMs?: number;
  /** The largest backoff, and the most a `Retry-After` can make the client wait; 5,000 by default. */
  maxBackoffMs?: number;
  /** The time for all attempts of one call, in milliseconds; 30,000 by default. */
  maxElapsedMs?: number;
}

/** Everything a client needs; checked by `GbgGoClient.open`. */
export interface ClientConfig {
  /** A region, or an explicit API base up to and including `/v2/captain`. */
  endpoint: Region | (string & {}) | URL;
  /** The OAuth token URL; GBG's documented endpoint when absent. */
  tokenUrl?: string;
  /** The grant: client credentials, or a password grant when `username` is given. */
  grant: ClientCredentialsGrant | PasswordGrant;
  /** What a relative hosted-journey URL is resolved against; the API base's origin when absent. */
  hostedBaseUrl?: string;
  /** The `X-GBG-Source` header naming the integration; `gbg-go/<version>` when absent. */
  source?: string;
  retry?: RetryPolicy;
  /** Seconds before expiry at which a cached token is replaced; at least 30, 60 by default. */
  tokenRefreshMarginS?: number;
  /** The largest answer body accepted, in bytes; 8 MiB by default. */
  maxResponseBytes?: number;
  /** Per-request timeout for connecting, the first byte and between bytes, in milliseconds; 30 s by default. */
  requestTimeoutMs?: number;
  /** Which token interaction calls present; `customer-token` by default. */
  interactionAuth?: 'customer-token' | 'end-user-token';
}

/** Options every call takes. */
export interface CallOptions {
  /** Aborting it rejects the call at once with `AbortError` and stops its work. */
  signal?: AbortSignal;
  /**
   * The longest the call may run, in milliseconds, waits for a free
   * instance included; `callBudgetMs` by default. Past it the call rejects
   * with `BudgetExceededError` and its work stops.
   */
  timeoutMs?: number;
}

/** A request the egress policy refused. */
export interface Denial {
  /** The authority the component asked for, as it sent it. */
  authority: string;
  /** The rule the request broke. */
  reason: string;
}

/** How the package runs a client's component. */
export interface ClientOptions extends CallOptions {
  /**
   * The URLs whose origins (`scheme://host:port`) the component may reach;
   * by default the API base and token URL of the configuration. Deny by default.
   */
  egress?: Iterable<string | URL>;
  /** Told about every request the egress policy refused. */
  onDenied?: (denial: Denial) => void;
  /** How many of this client's calls run at once, each in its own instance; 4 by default. */
  maxConcurrency?: number;
  /** The default `timeoutMs` of a call, in milliseconds; 120,000 by default. */
  callBudgetMs?: number;
}

/** A journey status as GBG spells it; another text verbatim. */
export type JourneyStatus = 'InProgress' | 'Completed' | 'Failed' | 'Paused' | (string & {});

/** A JSON document, parsed. */
export type JsonObject = { [key: string]: any };

/** A customer access token's lifetime; the token itself is never returned. */
export interface TokenInfo {
  tokenType: string;
  expiresInS: number;
  /** Milliseconds since the Unix epoch. */
  expiresAtMs: number;
}

/** Hosted (`page`: GBG's pages collect the data) or API (`api`: your own UI does). */
export type Delivery = 'page' | 'api';

/** What `startJourney` takes. */
export interface StartRequest {
  /** `<resource id>@<version>` or `<resource id>@latest`. */
  resourceId: string;
  /** `page` by default. */
  delivery?: Delivery;
  /** Prefill for `context.subject`. */
  subject?: JsonObject;
}

/** A started journey. */
export interface StartedJourney {
  instanceId: string;
  /** The hosted page to send the end user to, absolute; null when the API gave none. */
  instanceUrl: string | null;
  /** `started` in the documented answer. */
  status: string;
  message: string | null;
}

/** A journey instance's state. */
export interface JourneyState {
  instanceId: string;
  status: JourneyStatus;
  /** ISO 8601, when given. */
  createdAt: string | null;
  completedAt: string | null;
  /** The state document (GBG's decision is under `context.result`). */
  state: JsonObject;
  /** The state document as the API sent it. */
  raw: string;
}

/** One domain element an interaction asks for or shows. */
export interface ElementInput {
  /** e.g. `FullName` or `PrimaryDocument/side1Image`. */
  ref: string;
  /** `required`, `optional` or `conditional`. */
  spec: string;
  recommended: boolean | null;
}

/** An element, or a group of them (`combinator` `oneOf` or `allOf`, with `inputs`). */
export interface ElementRequirement extends ElementInput {
  combinator?: string;
  inputs?: ElementInput[];
}

/** An interaction waiting for the end user's data. */
export interface ReadyStep {
  instanceId: string;
  ready: true;
  journeyStatus: JourneyStatus;
  /** The id to submit against. */
  interactionId: string;
  collects: ElementRequirement[];
  consumes: ElementRequirement[];
  /** The domain elements not yet submitted. */
  outstanding: string[];
  /** The interaction document (pages, cards, context). */
  interaction: JsonObject;
  raw: string;
}

/** No interaction: GBG's modules are running (poll again), or the journey has ended. */
export interface NotReadyStep {
  instanceId: string;
  ready: false;
  journeyStatus: JourneyStatus;
}

/** What `fetchInteraction` returns. */
export type InteractionStep = ReadyStep | NotReadyStep;

/** A step as `planSubmission` takes it: `raw` may be left out (the workflow's `interaction` query does). */
export type PlannableStep = NotReadyStep | (Omit<ReadyStep, 'raw'> & { raw?: string });

/** One element a submission covers. */
export interface Participant {
  domainElementId: string;
  /** An instruction for the element, e.g. `open`. */
  instruction?: string | null;
}

/** What `submitInteraction` takes and `planSubmission` returns. */
export interface Submission {
  instanceId: string;
  interactionId: string;
  /** GBG only advances the journey when this is non-empty. */
  participants: Participant[];
  /** The collected data for `context.subject`. */
  subject: JsonObject;
}

/** An element an interaction already accepted: one participant of a submission it took. */
export interface AcceptedElement {
  interactionId: string;
  domainElementId: string;
}

/** Options of `fetchJourneyState`. */
export interface FetchStateOptions extends CallOptions {
  /** Sent as `filterKeys` when non-empty. */
  filterKeys?: string[];
}

/** Options of `waitForCompletion`. */
export interface WaitOptions {
  /** The pause between two state fetches, in milliseconds; 2,000 by default. */
  pollIntervalMs?: number;
  /** The longest the wait may take, in milliseconds; 600,000 by default. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** This release of the package and its component. */
export declare const VERSION: string;

/** A GBG GO client; every call returns a promise and none blocks the event loop. */
export declare class GbgGoClient implements AsyncDisposable {
  private constructor();
  /** Checks `config` and opens a client. Sends nothing. */
  static open(config: ClientConfig, options?: ClientOptions): Promise<GbgGoClient>;
  /** The origins (`scheme://host:port`) this client's component may reach. */
  readonly allowedOrigins: string[];
  /** Fetches a new customer access token now; returns its lifetime. */
  authenticate(options?: CallOptions): Promise<TokenInfo>;
  /** Starts a journey instance. */
  startJourney(request: StartRequest, options?: CallOptions): Promise<StartedJourney>;
  /** Fetches an instance's state. */
  fetchJourneyState(instanceId: string, options?: FetchStateOptions): Promise<JourneyState>;
  /** Polls until the instance is no longer in progress; `WaitTimeoutError` once `timeoutMs` has passed. */
  waitForCompletion(instanceId: string, options?: WaitOptions): Promise<JourneyState>;
  /** Permanently deletes an instance's state. */
  deleteInstance(instanceId: string, options?: CallOptions): Promise<void>;
  /** The service's health message, `OK` when healthy. */
  health(options?: CallOptions): Promise<string>;
  /** Fetches what an API journey waits on. */
  fetchInteraction(instanceId: string, options?: CallOptions): Promise<InteractionStep>;
  /** Submits collected data for an interaction. */
  submitInteraction(submission: Submission, options?: CallOptions): Promise<void>;
  /**
   * The submission that answers `step` from `answers` (domain element to its
   * piece of `context.subject`), less the `accepted` elements; null when
   * there is nothing to send. Plans in the component; sends nothing.
   */
  planSubmission(
    step: PlannableStep,
    answers: Record<string, JsonObject>,
    accepted?: AcceptedElement[],
    options?: CallOptions,
  ): Promise<Submission | null>;
  /** Stops this client's running calls (`ClientClosedError`) and frees its instances. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Checks a completion event of the journey service (Standard Webhooks) and
 * returns it parsed; rejects with `InvalidSignatureError`.
 */
export declare function verifyEvent(
  body: string | Uint8Array,
  headers: Headers | Record<string, string | string[] | undefined>,
  secret: string,
): Promise<JsonObject>;

// -- errors ------------------------------------------------------------------

/** One entry of GBG's `errors[]` envelope. */
export interface ApiProblem {
  /** Numeric text such as `4002`. */
  code: string;
  /** e.g. `MISSING_FIELD`. */
  name: string;
  /** `Body`, `Authorization`, `Path` or `Service`. */
  location: string;
  problem: string;
  action: string;
}

/** Every `kind` of `GbgGoError`. */
export type GbgGoErrorKind = GbgGoError['kind'];

declare abstract class GbgGoErrorBase extends Error {
  /** The WIT error case or the host's kind; narrows `GbgGoError` to its class. */
  abstract readonly kind: string;
  /** The HTTP status of the answer behind the error, when there was one. */
  readonly status: number | null;
  /** GBG's `X-Request-ID` of that answer. */
  readonly requestId: string | null;
  readonly problems: ApiProblem[];
  /** How long the server asked to wait, in milliseconds. */
  readonly retryAfter: number | null;
  /** Whether the same call, made again later and unchanged, may succeed. */
  readonly retryable: boolean;
}

/** An HTTP error answer's fields. */
declare abstract class ApiFailureError extends GbgGoErrorBase {
  readonly status: number;
  /** The summary the body gave (an OAuth `error_description`, a `message`). */
  readonly serverMessage: string | null;
}

/** An argument or configuration value was refused; nothing was sent. */
export declare class InvalidInputError extends GbgGoErrorBase {
  readonly kind: 'invalid-input';
  /** As the WIT spells it, e.g. `instance-id` or `config.grant.client-secret`. */
  readonly field: string;
  readonly reason: string;
}
/** HTTP 400 or another 4xx: the request was rejected. */
export declare class BadRequestError extends ApiFailureError {
  readonly kind: 'bad-request';
}
/** HTTP 401: the credentials or the access token were refused. */
export declare class UnauthorizedError extends ApiFailureError {
  readonly kind: 'unauthorized';
}
/** HTTP 403: the credentials may not use this resource. */
export declare class ForbiddenError extends ApiFailureError {
  readonly kind: 'forbidden';
}
/** HTTP 404: unknown or expired journey resource or instance. */
export declare class NotFoundError extends ApiFailureError {
  readonly kind: 'not-found';
}
/** HTTP 429 after the retry budget was spent. */
export declare class RateLimitedError extends ApiFailureError {
  readonly kind: 'rate-limited';
}
/** HTTP 5xx after the retry budget was spent. */
export declare class ServerError extends ApiFailureError {
  readonly kind: 'server-error';
}
/** The request could not be exchanged. */
export declare class TransportError extends GbgGoErrorBase {
  readonly kind: 'transport';
  readonly transportKind: 'dns' | 'connection-refused' | 'connection-reset' | 'timeout' | 'denied' | 'tls' | 'protocol' | 'other';
  /** The `host:port` the request was for. */
  readonly authority: string;
  readonly reason: string;
}
/** The answer did not have the documented shape. */
export declare class InvalidResponseError extends GbgGoErrorBase {
  readonly kind: 'invalid-response';
  readonly status: number;
  readonly reason: string;
}
/** `waitForCompletion` reached its timeout. */
export declare class WaitTimeoutError extends GbgGoErrorBase {
  readonly kind: 'timeout';
  readonly instanceId: string;
  /** The status at the last successful poll. */
  readonly lastStatus: JourneyStatus | null;
  readonly waitedMs: number;
}
/** The call ran past its time budget (`timeoutMs`) and its work was stopped. */
export declare class BudgetExceededError extends GbgGoErrorBase {
  readonly kind: 'budget-exceeded';
  readonly budgetMs: number;
}
/** The component instance failed; the client carries on with a fresh one. */
export declare class TrapError extends GbgGoErrorBase {
  readonly kind: 'trap';
}
/** The client was closed. */
export declare class ClientClosedError extends GbgGoErrorBase {
  readonly kind: 'closed';
}
/** The call's signal aborted it; `cause` is the signal's reason. */
export declare class AbortError extends GbgGoErrorBase {
  readonly kind: 'aborted';
  readonly name: 'AbortError';
}
/** A completion event whose headers, timestamp, signature or body do not hold. */
export declare class InvalidSignatureError extends GbgGoErrorBase {
  readonly kind: 'invalid-signature';
}

/** Everything the package rejects with, discriminated by `kind`. */
export type GbgGoError =
  | InvalidInputError
  | BadRequestError
  | UnauthorizedError
  | ForbiddenError
  | NotFoundError
  | RateLimitedError
  | ServerError
  | TransportError
  | InvalidResponseError
  | WaitTimeoutError
  | BudgetExceededError
  | TrapError
  | ClientClosedError
  | AbortError
  | InvalidSignatureError;

/** The base class: `error instanceof GbgGoError` narrows to the union above. */
export declare const GbgGoError: {
  readonly prototype: GbgGoErrorBase;
  [Symbol.hasInstance](value: unknown): value is GbgGoError;
};
