// The GBG GO client for Node: the WebAssembly component, run in worker
// threads so that no call blocks the event loop. Values are the WIT records
// as jco maps them (camelCase fields, enums as strings, variants as
// `{ tag, val }`, u64 as bigint); ./index.d.ts gives their types.

import { readdir, readFile } from 'node:fs/promises';
import { MessageChannel, Worker } from 'node:worker_threads';

import { originsOf, reachableUrls } from './egress.js';
import { serve } from './transport.js';

export { DEFAULT_TOKEN_URL, reachableUrls } from './egress.js';

/** The longest a call other than `waitForCompletion` may run, in milliseconds. */
const DEFAULT_CALL_BUDGET_MS = 120_000;

/** How many calls one client runs at once, each in its own component instance. */
const DEFAULT_MAX_CONCURRENCY = 4;

/** A call the component answered with its typed `error`. */
export class GbgGoError extends Error {
  constructor(error, message) {
    super(message);
    this.name = 'GbgGoError';
    /** The WIT error case, e.g. `not-found`. */
    this.kind = error.tag;
    /** The case's payload, e.g. the `api-failure` record. */
    this.detail = error.val;
  }
}

/** The host stopped a component instance: it ran past its time budget or trapped. */
export class GbgGoHostError extends Error {
  constructor(reason, message) {
    super(message);
    this.name = 'GbgGoHostError';
    /** `budget-exceeded`, `trap` or `closed`. */
    this.reason = reason;
  }
}

/**
 * A GBG GO client. Every call returns a promise and runs in a component
 * instance on a worker thread; the HTTP requests it makes are sent from the
 * main thread's event loop, over keep-alive connections.
 */
export class GbgGoClient {
  #config;
  #options;
  #instances = new Set();
  #idle = [];
  #waiting = [];
  #closed = false;

  constructor(config, options) {
    this.#config = config;
    this.#options = options;
  }

  /**
   * Validates `config` and opens a client. Sends nothing.
   *
   * @param {object} config the WIT `client-config`
   * @param {object} [options] `egress` (URLs whose origins the component
   *   may reach; by default the API base and token URL of `config`),
   *   `onDenied`, `maxConcurrency` and `callBudgetMs`
   */
  static async open(config, options = {}) {
    const client = new GbgGoClient(config, {
      allowed: originsOf(options.egress ?? reachableUrls(config)),
      onDenied: options.onDenied ?? (() => {}),
      maxConcurrency: options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY,
      callBudgetMs: options.callBudgetMs ?? DEFAULT_CALL_BUDGET_MS,
    });
    client.#release(await client.#spawn());
    return client;
  }

  /** The origins (`scheme://host:port`) this client's component may reach. */
  get allowedOrigins() {
    return [...this.#options.allowed];
  }

  /** Fetches a new customer access token; returns its lifetime. */
  authenticate() {
    return this.#call('authenticate', []);
  }

  /** Starts a journey instance. */
  startJourney(request) {
    return this.#call('startJourney', [request]);
  }

  /** Fetches an instance's state. */
  fetchJourneyState(instanceId, filterKeys = []) {
    return this.#call('fetchJourneyState', [instanceId, filterKeys]);
  }

  /**
   * Polls until the instance is no longer in progress; rejects with a
   * `GbgGoError` of kind `timeout` once `options.timeoutMs` has passed.
   */
  waitForCompletion(instanceId, options) {
    return this.#call('waitForCompletion', [instanceId, options], options?.timeoutMs ?? 0);
  }

  /** Permanently deletes an instance's state. */
  deleteInstance(instanceId) {
    return this.#call('deleteInstance', [instanceId]);
  }

  /** The service's health message, `OK` when healthy. */
  health() {
    return this.#call('health', []);
  }

  /** Fetches the interaction an API journey waits on. */
  fetchInteraction(instanceId) {
    return this.#call('fetchInteraction', [instanceId]);
  }

  /** Submits collected data for an interaction. */
  submitInteraction(submission) {
    return this.#call('submitInteraction', [submission]);
  }

  /** Stops the client's worker threads; calls still running are rejected. */
  async close() {
    this.#closed = true;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(closed());
    await Promise.all([...this.#instances].map((instance) => instance.stop()));
  }

  async [Symbol.asyncDispose]() {
    await this.close();
  }

  /** Runs `method` on an idle instance, starting one when all are busy and there is room. */
  async #call(method, args, extraBudgetMs = 0) {
    const instance = await this.#acquire();
    try {
      return await instance.call(method, args, this.#options.callBudgetMs + extraBudgetMs);
    } finally {
      this.#release(instance);
    }
  }

  async #acquire() {
    if (this.#closed) throw closed();
    const idle = this.#idle.pop();
    if (idle) return idle;
    if (this.#instances.size < this.#options.maxConcurrency) return this.#spawn();
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  #release(instance) {
    if (!this.#instances.has(instance)) {
      // It stopped: a waiting call gets a fresh instance instead.
      const waiter = this.#waiting.shift();
      if (waiter) this.#spawn().then(waiter.resolve, waiter.reject);
      return;
    }
    const waiter = this.#waiting.shift();
    if (waiter) {
      waiter.resolve(instance);
    } else {
      instance.idle();
      this.#idle.push(instance);
    }
  }

  async #spawn() {
    const instance = new Instance(this.#options, () => {
      this.#instances.delete(instance);
      this.#idle = this.#idle.filter((i) => i !== instance);
    });
    this.#instances.add(instance);
    try {
      await instance.call('open', [this.#config], this.#options.callBudgetMs);
    } catch (e) {
      await instance.stop();
      throw e;
    }
    return instance;
  }
}

function closed() {
  return new GbgGoHostError('closed', 'this client was closed');
}

/** The component's core modules, compiled once per process. */
let modules;

function compiledModules() {
  modules ??= (async () => {
    const dir = new URL('../generated/', import.meta.url);
    const names = (await readdir(dir)).filter((name) => name.endsWith('.wasm'));
    const compiled = await Promise.all(names.map(async (name) => WebAssembly.compile(await readFile(new URL(name, dir)))));
    return Object.fromEntries(names.map((name, i) => [name, compiled[i]]));
  })();
  return modules;
}

/** One worker thread with one component instance and one guest `client`. */
class Instance {
  #worker;
  #calls;
  #callSignal;
  #stopHttp;
  #pending = new Map();
  #nextId = 0;
  #onStop;
  #ready;

  constructor({ allowed, onDenied }, onStop) {
    this.#onStop = onStop;
    this.#ready = compiledModules().then((modules) => {
      const httpSignal = new SharedArrayBuffer(4);
      const http = new MessageChannel();
      this.#stopHttp = serve(http.port1, new Int32Array(httpSignal), onDenied);
      const calls = new MessageChannel();
      this.#calls = calls.port1;
      this.#callSignal = new Int32Array(new SharedArrayBuffer(4));
      this.#worker = new Worker(new URL('./worker.js', import.meta.url), {
        workerData: {
          modules,
          calls: calls.port2,
          callSignal: this.#callSignal.buffer,
          http: http.port2,
          httpSignal,
          allowed,
        },
        transferList: [calls.port2, http.port2],
      });
      this.#worker.on('message', ({ id, ...answer }) => this.#settle(id, answer));
      this.#worker.on('error', (e) => this.#fail('trap', `the component's worker failed: ${e.message}`));
      this.#worker.on('exit', () => this.#fail('trap', "the component's worker exited"));
    });
  }

  /** Runs one call; stops the worker when it overruns `budgetMs`. */
  async call(method, args, budgetMs) {
    await this.#ready;
    if (!this.#worker) throw closed();
    const id = ++this.#nextId;
    this.#worker.ref();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#fail('budget-exceeded', `the component exceeded its time budget of ${budgetMs} ms and was stopped`);
      }, budgetMs);
      this.#pending.set(id, { resolve, reject, timer });
      this.#calls.postMessage({ id, method, args });
      Atomics.add(this.#callSignal, 0, 1);
      Atomics.notify(this.#callSignal, 0);
    });
  }

  /** Lets the process exit while this instance waits for work. */
  idle() {
    this.#worker?.unref();
  }

  async stop() {
    await this.#ready.catch(() => {});
    this.#fail('closed', 'this client was closed');
  }

  #settle(id, { ok, error, message, invalid, trap }) {
    const call = this.#pending.get(id);
    if (!call) return;
    this.#pending.delete(id);
    clearTimeout(call.timer);
    if (trap !== undefined) {
      call.reject(new GbgGoHostError('trap', `the component failed: ${trap}`));
      this.#fail('trap', 'the component failed');
    } else if (invalid !== undefined) {
      call.reject(new TypeError(invalid));
    } else if (error !== undefined) {
      call.reject(new GbgGoError(error, message));
    } else {
      call.resolve(ok);
    }
  }

  /** Stops the worker and rejects every call still running on it. */
  #fail(reason, message) {
    if (!this.#worker) return;
    const worker = this.#worker;
    this.#worker = undefined;
    this.#onStop();
    this.#stopHttp();
    for (const { reject, timer } of this.#pending.values()) {
      clearTimeout(timer);
      reject(new GbgGoHostError(reason, message));
    }
    this.#pending.clear();
    worker.terminate();
  }
}
