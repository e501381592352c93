// A thin wrapper over the jco bindings of the GBG GO component: the
// component's typed `error` becomes a `GbgGoError`, and the egress allow-list
// of ./sandbox.js is re-exported. Values are the WIT records as jco maps them
// (camelCase fields, enums as strings, variants as `{ tag, val }`, u64 as
// bigint); ./gbg-go.d.ts gives their types.
//
// The bindings in ./generated come from `npm run transpile -- <component.wasm>`.

import { client as bindings } from './generated/gbg-go.js';

export { allowOnly, allowedAuthorities } from './sandbox.js';

/** The documented token endpoint, used when `tokenUrl` is absent. */
export const DEFAULT_TOKEN_URL = 'https://api.auth.gbgplc.com/as/token.oauth2';

/** The URLs a client opened with `config` has to reach: its API base and token URL. */
export function reachableUrls(config) {
  const { endpoint } = config;
  const base =
    endpoint.tag === 'base-url'
      ? endpoint.val
      : `https://${endpoint.val}.platform.go.gbgplc.com/v2/captain`;
  return [base, config.tokenUrl ?? DEFAULT_TOKEN_URL];
}

/** A call the component answered with its typed `error`. */
export class GbgGoError extends Error {
  constructor(error) {
    super(describe(error));
    this.name = 'GbgGoError';
    /** The WIT error case, e.g. `not-found`. */
    this.kind = error.tag;
    /** The case's payload, e.g. the `api-failure` record. */
    this.detail = error.val;
  }
}

/**
 * A GBG GO client running in the component. Calls are synchronous: each
 * blocks the thread until the component returns (the shim performs HTTP on a
 * worker thread).
 */
export class GbgGoClient {
  #client;

  constructor(client) {
    this.#client = client;
  }

  /** Validates `config` and opens a client. Sends nothing. */
  static open(config) {
    return new GbgGoClient(call(() => bindings.Client.open(config)));
  }

  /** Fetches a new customer access token; returns its lifetime. */
  authenticate() {
    return call(() => this.#client.authenticate());
  }

  /** Starts a journey instance. */
  startJourney(request) {
    return call(() => this.#client.startJourney(request));
  }

  /** Fetches an instance's state. */
  fetchJourneyState(instanceId, filterKeys = []) {
    return call(() => this.#client.fetchJourneyState(instanceId, filterKeys));
  }

  /** Polls until the instance is no longer in progress. */
  waitForCompletion(instanceId, options) {
    return call(() => this.#client.waitForCompletion(instanceId, options));
  }

  /** Permanently deletes an instance's state. */
  deleteInstance(instanceId) {
    call(() => this.#client.deleteInstance(instanceId));
  }

  /** The service's health message, `OK` when healthy. */
  health() {
    return call(() => this.#client.health());
  }

  /** Fetches the interaction an API journey waits on. */
  fetchInteraction(instanceId) {
    return call(() => this.#client.fetchInteraction(instanceId));
  }

  /** Submits collected data for an interaction. */
  submitInteraction(submission) {
    call(() => this.#client.submitInteraction(submission));
  }

  /** Releases the component's client resource. */
  close() {
    this.#client[Symbol.dispose]();
  }
}

/** Runs a component call, turning its `error` result into a GbgGoError. */
function call(run) {
  try {
    return run();
  } catch (e) {
    // jco throws a ComponentError whose `payload` is the WIT error variant;
    // anything else (a trap) is passed on unchanged.
    if (e?.payload?.tag !== undefined) {
      throw new GbgGoError(e.payload);
    }
    throw e;
  }
}

/** A sentence naming the cause, like the Rust host's `Display`. */
function describe({ tag, val }) {
  switch (tag) {
    case 'invalid-input':
      return `invalid ${val.field}: ${val.reason}`;
    case 'bad-request':
      return `GBG GO rejected the request${failure(val)}`;
    case 'unauthorized':
      return `GBG GO refused the credentials or access token${failure(val)}`;
    case 'forbidden':
      return `these credentials may not use this resource${failure(val)}`;
    case 'not-found':
      return `not found: unknown or expired journey resource or instance${failure(val)}`;
    case 'rate-limited':
      return `GBG GO is rate limiting this client${failure(val.failure)}`;
    case 'server-error':
      return `GBG GO had a server error${failure(val)}`;
    case 'transport':
      return val.kind === 'denied'
        ? `the host's egress policy denied a request to ${val.authority}`
        : `cannot exchange a request with ${val.authority}: ${val.kind}: ${val.message}`;
    case 'invalid-response':
      return `unexpected answer from GBG GO (HTTP ${val.status}): ${val.reason}${requestId(val.requestId)}`;
    case 'timeout':
      return `journey ${val.instanceId} did not finish within ${Number(val.waitedMs) / 1000} s`;
    default:
      return `the component failed: ${tag}`;
  }
}

function failure({ status, problems, message, requestId: id }) {
  const parts = [`HTTP ${status}`, ...problems.map((p) => `${p.code} ${p.name} at ${p.location}: ${p.problem}`)];
  if (message) {
    parts.push(message);
  }
  return ` (${parts.join('; ')})${requestId(id)}`;
}

function requestId(id) {
  return id ? ` [request id ${id}]` : '';
}
