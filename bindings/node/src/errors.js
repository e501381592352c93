// Everything the package rejects with: `GbgGoError` and one subclass per
// kind. The WIT error kinds come from the component, with its own sentence
// (`describe-error`) as the message; the others are the host's (a call out
// of time, a trapped instance, a closed client, an aborted call, an event
// whose signature does not hold).

import { ERROR_KINDS, statusText } from './facts.js';

/** The base class of every error the package raises; `kind` tells them apart. */
export class GbgGoError extends Error {
  /** The WIT error case (`not-found`, ...) or the host's kind (`aborted`, ...). */
  kind;
  /** The HTTP status of the answer behind the error, when there was one. */
  status = null;
  /** GBG's `X-Request-ID` of that answer, to quote to GBG support. */
  requestId = null;
  /** The entries of GBG's `errors[]` envelope: `{ code, name, location, problem, action }`. */
  problems = [];
  /** How long the server asked to wait before retrying, in milliseconds. */
  retryAfter = null;

  constructor(kind, message, fields = {}, options = undefined) {
    super(message, options);
    this.kind = kind;
    Object.assign(this, fields);
  }

  /** Whether the same call, made again later and unchanged, may succeed. */
  get retryable() {
    return ERROR_KINDS[this.kind]?.retryable ?? HOST_RETRYABLE.has(this.kind);
  }
}

/** Host kinds a later attempt may get past: a call out of time, a trapped instance. */
const HOST_RETRYABLE = new Set(['budget-exceeded', 'trap']);

/** A class for one kind, named `name`. */
function kindClass(name, kind) {
  const Class = class extends GbgGoError {
    constructor(message, fields, options) {
      super(kind, message, fields, options);
    }
  };
  Object.defineProperty(Class, 'name', { value: name });
  Object.defineProperty(Class.prototype, 'name', { value: name, writable: true, configurable: true });
  return Class;
}

/** An argument or configuration value was refused before anything was sent; `field`, `reason`. */
export const InvalidInputError = kindClass('InvalidInputError', 'invalid-input');
/** HTTP 400 or another 4xx not listed below: the request was rejected. */
export const BadRequestError = kindClass('BadRequestError', 'bad-request');
/** HTTP 401: the credentials or the access token were refused. */
export const UnauthorizedError = kindClass('UnauthorizedError', 'unauthorized');
/** HTTP 403: the credentials may not use this resource. */
export const ForbiddenError = kindClass('ForbiddenError', 'forbidden');
/** HTTP 404: unknown or expired journey resource or instance. */
export const NotFoundError = kindClass('NotFoundError', 'not-found');
/** HTTP 429 after the retry budget was spent; `retryAfter` in milliseconds when the server said. */
export const RateLimitedError = kindClass('RateLimitedError', 'rate-limited');
/** HTTP 5xx after the retry budget was spent. */
export const ServerError = kindClass('ServerError', 'server-error');
/** The request could not be exchanged; `transportKind`, `authority`, `reason`. */
export const TransportError = kindClass('TransportError', 'transport');
/** The answer did not have the documented shape; `reason`. */
export const InvalidResponseError = kindClass('InvalidResponseError', 'invalid-response');
/** `waitForCompletion` reached its timeout; `instanceId`, `lastStatus`, `waitedMs`. */
export const WaitTimeoutError = kindClass('WaitTimeoutError', 'timeout');
/** The call ran past its time budget and its work was stopped; `budgetMs`. */
export const BudgetExceededError = kindClass('BudgetExceededError', 'budget-exceeded');
/** The component instance failed (a trap); the client carries on with a fresh one. */
export const TrapError = kindClass('TrapError', 'trap');
/** The client was closed. */
export const ClientClosedError = kindClass('ClientClosedError', 'closed');
/** The call's `signal` aborted it and its work was stopped; `cause` is the signal's reason. */
export const AbortError = kindClass('AbortError', 'aborted');
/** A completion event whose signature, timestamp or body does not hold. */
export const InvalidSignatureError = kindClass('InvalidSignatureError', 'invalid-signature');

/** The payload fields of an `api-failure`, in the package's vocabulary. */
function failure({ status, requestId, problems, message }) {
  return { status, requestId: requestId ?? null, problems, serverMessage: message ?? null };
}

/** The error for the component's WIT `error` variant, with its `describe-error` sentence. */
export function componentError({ tag, val }, message) {
  switch (tag) {
    case 'invalid-input':
      return new InvalidInputError(message, { field: val.field, reason: val.reason });
    case 'bad-request':
      return new BadRequestError(message, failure(val));
    case 'unauthorized':
      return new UnauthorizedError(message, failure(val));
    case 'forbidden':
      return new ForbiddenError(message, failure(val));
    case 'not-found':
      return new NotFoundError(message, failure(val));
    case 'rate-limited':
      return new RateLimitedError(message, {
        ...failure(val.failure),
        retryAfter: val.retryAfterMs === undefined ? null : Number(val.retryAfterMs),
      });
    case 'server-error':
      return new ServerError(message, failure(val));
    case 'transport':
      return new TransportError(message, { transportKind: val.kind, authority: val.authority, reason: val.message });
    case 'invalid-response':
      return new InvalidResponseError(message, {
        status: val.status,
        requestId: val.requestId ?? null,
        reason: val.reason,
      });
    case 'timeout':
      return new WaitTimeoutError(message, {
        instanceId: val.instanceId,
        lastStatus: val.lastStatus === undefined ? null : statusText(val.lastStatus),
        waitedMs: Number(val.waitedMs),
      });
    default:
      return new GbgGoError(tag, message);
  }
}

/**
 * An argument the package refused before it reached the component, worded
 * as the component's `describe-error` words its own refusals.
 */
export function invalidInput(field, reason) {
  return new InvalidInputError(`invalid ${field}: ${reason}`, { field, reason });
}
