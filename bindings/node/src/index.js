// The GBG GO client for Node: the WebAssembly component, run in a pool of
// worker threads that every client in the process shares, so that no call
// blocks the event loop. Values are plain JavaScript (./convert.js); every
// failure is a `GbgGoError` (./errors.js); ./index.d.ts gives the types.

import * as convert from './convert.js';
import { AbortError, ClientClosedError, invalidInput } from './errors.js';
import { originsOf, reachableUrls } from './egress.js';
import { CALL_BUDGET_MS, MAX_CONCURRENCY, VERSION } from './facts.js';
import { Call, forget, register } from './pool.js';

export * from './errors.js';
export { verifyEvent } from './events.js';
export { VERSION };

let nextClient = 0;

/** Lets `GbgGoClient.open` alone construct clients. */
const OPENING = Symbol('opening');

/** Drops the instances of a client that was never closed once it is collected. */
const unclosed = new FinalizationRegistry(forget);

/** The error of a call whose `signal` aborted. */
function aborted(signal) {
  return new AbortError('the call was aborted', {}, { cause: signal.reason });
}

/** A whole number of at least 1, or the default. */
function positive(value, field, fallback) {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw invalidInput(field, 'must be a whole number of at least 1');
  return value;
}

/**
 * A GBG GO client. Every call returns a promise and runs in a component
 * instance of this client on a worker thread; its HTTP requests are sent
 * from the main thread's event loop over keep-alive connections.
 */
export class GbgGoClient {
  #key = ++nextClient;
  #opening;
  #maxConcurrency;
  #callBudgetMs;
  #active = 0;
  #queue = [];
  #running = new Set();
  #closed = false;

  /** Use `GbgGoClient.open`. */
  constructor(token, config, options) {
    if (token !== OPENING) throw invalidInput('GbgGoClient', 'open a client with GbgGoClient.open(config)');
    this.#opening = { config, allowed: options.allowed };
    this.#maxConcurrency = options.maxConcurrency;
    this.#callBudgetMs = options.callBudgetMs;
  }

  /**
   * Checks `config` and opens a client. Sends nothing.
   *
   * @param {import('./index.js').ClientConfig} config
   * @param {import('./index.js').ClientOptions} [options]
   */
  static async open(config, options = {}) {
    const wit = convert.clientConfig(config);
    const { egress, onDenied = () => {}, maxConcurrency, callBudgetMs, signal, timeoutMs } = convert.callOptions(
      options,
      ['egress', 'onDenied', 'maxConcurrency', 'callBudgetMs'],
    );
    if (typeof onDenied !== 'function') throw invalidInput('options.on-denied', 'must be a function');
    if (egress !== undefined && typeof egress?.[Symbol.iterator] !== 'function') {
      throw invalidInput('options.egress', 'must be a list of URLs');
    }
    const client = new GbgGoClient(OPENING, wit, {
      allowed: originsOf(egress ?? reachableUrls(wit)),
      maxConcurrency: positive(maxConcurrency, 'options.max-concurrency', MAX_CONCURRENCY),
      callBudgetMs: positive(callBudgetMs, 'options.call-budget-ms', CALL_BUDGET_MS),
    });
    register(client.#key, onDenied);
    unclosed.register(client, client.#key, client);
    try {
      await client.#call('open', [], { signal, timeoutMs });
    } catch (e) {
      await client.close();
      throw e;
    }
    return client;
  }

  /** The origins (`scheme://host:port`) this client's component may reach. */
  get allowedOrigins() {
    return [...this.#opening.allowed];
  }

  /** Fetches a new customer access token now; returns its lifetime. */
  async authenticate(options) {
    return convert.tokenInfo(await this.#call('authenticate', [], convert.callOptions(options)));
  }

  /** Starts a journey instance. */
  async startJourney(request, options) {
    const args = [convert.startRequest(request)];
    return convert.started(await this.#call('startJourney', args, convert.callOptions(options)));
  }

  /** Fetches an instance's state; `options.filterKeys` narrows the document. */
  async fetchJourneyState(instanceId, options = {}) {
    const { filterKeys, ...call } = convert.callOptions(options, ['filterKeys']);
    const args = [convert.instanceId(instanceId), convert.filterKeys(filterKeys)];
    return convert.journeyState(await this.#call('fetchJourneyState', args, call));
  }

  /**
   * Polls until the instance is no longer in progress; rejects with a
   * `WaitTimeoutError` once `options.timeoutMs` has passed.
   */
  async waitForCompletion(instanceId, options = {}) {
    const { pollIntervalMs, timeoutMs, signal } = convert.callOptions(options, ['pollIntervalMs']);
    const args = [convert.instanceId(instanceId), convert.waitOptions({ pollIntervalMs, timeoutMs })];
    const budgetMs = args[1].timeoutMs + this.#callBudgetMs;
    return convert.journeyState(await this.#call('waitForCompletion', args, { signal, timeoutMs: budgetMs }));
  }

  /** Permanently deletes an instance's state. */
  async deleteInstance(instanceId, options) {
    await this.#call('deleteInstance', [convert.instanceId(instanceId)], convert.callOptions(options));
  }

  /** The service's health message, `OK` when healthy. */
  async health(options) {
    return this.#call('health', [], convert.callOptions(options));
  }

  /** Fetches what an API journey waits on: `{ ready: true, interactionId, ... }` or `{ ready: false }`. */
  async fetchInteraction(instanceId, options) {
    const id = convert.instanceId(instanceId);
    return convert.step(id, await this.#call('fetchInteraction', [id], convert.callOptions(options)));
  }

  /** Submits collected data for an interaction. */
  async submitInteraction(submission, options) {
    await this.#call('submitInteraction', [convert.submission(submission)], convert.callOptions(options));
  }

  /**
   * The submission that answers `step` (from `fetchInteraction`) from
   * `answers` (domain element to its piece of `context.subject`), leaving
   * out the `accepted` elements; null when there is nothing to send. Plans
   * in the component (`gbg:go/interaction-planner`); sends nothing.
   */
  async planSubmission(step, answers, accepted = [], options) {
    const args = convert.planArguments(step, answers, accepted);
    return convert.plannedSubmission(await this.#call('planSubmission', args, convert.callOptions(options)));
  }

  /**
   * Closes the client: calls still running are stopped and rejected with
   * `ClientClosedError`, as is every later call; the workers drop its
   * instances.
   */
  async close() {
    if (this.#closed) return;
    this.#closed = true;
    unclosed.unregister(this);
    const error = new ClientClosedError('this client was closed');
    for (const call of this.#running) call.stop(error);
    forget(this.#key);
  }

  async [Symbol.asyncDispose]() {
    await this.close();
  }

  /** Runs `method` on one of this client's instances, at most `maxConcurrency` at once. */
  async #call(method, args, { signal, timeoutMs }) {
    if (this.#closed) throw new ClientClosedError('this client was closed');
    if (signal?.aborted) throw aborted(signal);
    const budgetMs = timeoutMs ?? this.#callBudgetMs;
    const call = new Call({ client: this.#key, method, args }, { budgetMs, signal, aborted });
    this.#running.add(call);
    try {
      if (await this.#admit(call)) {
        try {
          call.start(this.#opening);
          return await call.promise;
        } finally {
          this.#leave();
        }
      }
      return await call.promise;
    } finally {
      this.#running.delete(call);
    }
  }

  /** Waits for room under `maxConcurrency`; false when the call was stopped first. */
  #admit(call) {
    if (this.#active < this.#maxConcurrency) {
      this.#active += 1;
      return true;
    }
    return new Promise((resolve) => {
      const admit = () => {
        this.#active += 1;
        resolve(true);
      };
      this.#queue.push(admit);
      call.promise.catch(() => {
        const at = this.#queue.indexOf(admit);
        if (at >= 0) {
          this.#queue.splice(at, 1);
          resolve(false);
        }
      });
    });
  }

  #leave() {
    this.#active -= 1;
    this.#queue.shift()?.();
  }
}
