// The worker threads every client in the process shares. A worker runs one
// call at a time (the component blocks it), so the pool grows by one worker
// whenever every worker is busy, and keeps up to MAX_IDLE idle ones for
// later calls: a new client opens on an idle worker without a thread of its
// own. A call goes to an idle worker that already holds its client's
// instance (and token) when there is one.
//
// A call that must stop (aborted, out of time, its client closed) is
// rejected at once; its worker is told through a shared cell, and the next
// WASI call the guest makes throws, which unwinds it: no further request,
// poll or sleep happens. Its requests in flight are aborted. A worker that
// does not answer within STOP_GRACE_MS (a guest spinning without calling
// out) is terminated.

import { readdir, readFile } from 'node:fs/promises';
import { MessageChannel, Worker } from 'node:worker_threads';

import { BudgetExceededError, componentError, TrapError } from './errors.js';
import { MAX_CONCURRENCY } from './facts.js';
import { serve } from './transport.js';

/** Idle workers kept for later calls; a worker that becomes idle beyond these ends. */
const MAX_IDLE = MAX_CONCURRENCY;

/** How long a stopped call's worker may take to unwind before it is terminated, in milliseconds. */
const STOP_GRACE_MS = 1_000;

/** Every live worker, and the idle ones among them. */
const slots = new Set();
const idle = [];

/** Each open client's `onDenied`, by client key. */
const denials = new Map();

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

/** Makes `onDenied` hear of the requests the egress policy refuses to client `key`. */
export function register(key, onDenied) {
  denials.set(key, onDenied);
}

/** Forgets client `key`: every worker drops its instance. */
export function forget(key) {
  denials.delete(key);
  for (const slot of slots) slot.drop(key);
}

/** A worker for client `key`: an idle one, preferring one that holds its instance, or a new one. */
async function acquire(key) {
  let at = idle.findLastIndex((slot) => slot.clients.has(key));
  if (at < 0) at = idle.length - 1;
  if (at >= 0) return idle.splice(at, 1)[0];
  return new Slot(await compiledModules());
}

function release(slot) {
  if (!slots.has(slot)) return;
  if (idle.length >= MAX_IDLE) {
    slot.terminate();
  } else {
    idle.push(slot);
  }
}

/** One worker thread, its HTTP channel and the clients whose instances it holds. */
class Slot {
  /** The keys of the clients with an instance in this worker. */
  clients = new Set();
  #worker;
  #calls;
  #callSignal = new Int32Array(new SharedArrayBuffer(4));
  #httpSignal = new Int32Array(new SharedArrayBuffer(4));
  #stopCell = new Int32Array(new SharedArrayBuffer(4));
  #transport;
  #onAnswer;
  #grace;

  constructor(compiled) {
    const http = new MessageChannel();
    const calls = new MessageChannel();
    this.#transport = serve(http.port1, this.#httpSignal, (key, denial) => denials.get(key)?.(denial));
    this.#calls = calls.port1;
    this.#worker = new Worker(new URL('./worker.js', import.meta.url), {
      workerData: {
        modules: compiled,
        calls: calls.port2,
        callSignal: this.#callSignal.buffer,
        http: http.port2,
        httpSignal: this.#httpSignal.buffer,
        stopCell: this.#stopCell.buffer,
      },
      transferList: [calls.port2, http.port2],
    });
    this.#worker.on('message', (answer) => this.#answered(answer));
    this.#worker.on('error', (e) => this.#ended(`the component's worker failed: ${e.message}`));
    this.#worker.on('exit', () => this.#ended("the component's worker exited"));
    this.#worker.unref();
    slots.add(this);
  }

  /** Runs one call; `onAnswer` gets the worker's answer, or a trap should the worker end. */
  run(message, onAnswer) {
    this.#onAnswer = onAnswer;
    this.#worker.ref();
    this.#post(message);
  }

  /** Drops client `key`'s instance, after the call running now. */
  drop(key) {
    if (this.clients.delete(key)) this.#post({ type: 'drop', client: key });
  }

  /** Stops call `id`: its next WASI call throws; terminated if it has not answered within the grace. */
  stop(id) {
    Atomics.store(this.#stopCell, 0, id);
    Atomics.add(this.#httpSignal, 0, 1);
    Atomics.notify(this.#httpSignal, 0);
    this.#transport.stop(id);
    clearTimeout(this.#grace);
    this.#grace = setTimeout(() => this.terminate(), STOP_GRACE_MS);
  }

  terminate() {
    this.#ended('the worker was ended');
    this.#worker.terminate();
  }

  #post(message) {
    this.#calls.postMessage(message);
    Atomics.add(this.#callSignal, 0, 1);
    Atomics.notify(this.#callSignal, 0);
  }

  #answered(answer) {
    clearTimeout(this.#grace);
    this.#worker.unref();
    const onAnswer = this.#onAnswer;
    this.#onAnswer = undefined;
    onAnswer?.(answer);
  }

  /** The worker is gone: the call it ran (if any) ends as a trap. */
  #ended(reason) {
    if (!slots.delete(this)) return;
    const at = idle.indexOf(this);
    if (at >= 0) idle.splice(at, 1);
    clearTimeout(this.#grace);
    this.#transport.close();
    this.#answered({ trap: reason });
  }
}

let nextCall = 0;

/**
 * One call of a client's component: rejected at once when stopped, wherever
 * it is (waiting for a worker or running).
 */
export class Call {
  /** Settles with the call's WIT value, or rejects with a `GbgGoError`. */
  promise;
  #id = ++nextCall;
  #message;
  #settle;
  #done = false;
  #slot;
  #timer;
  #signal;
  #onAbort;

  /**
   * @param {{ client: number, method: string, args: unknown[] }} message
   * @param {object} limits
   * @param {number} limits.budgetMs the longest the call may run
   * @param {AbortSignal} [limits.signal] stops the call when it aborts
   * @param {(signal: AbortSignal) => Error} limits.aborted the error of an aborted call
   */
  constructor(message, { budgetMs, signal, aborted }) {
    this.#message = { type: 'call', id: this.#id, ...message };
    this.promise = new Promise((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    this.promise.catch(() => {});
    this.#timer = setTimeout(() => {
      const message = `the call ran past its time budget of ${budgetMs} ms and was stopped`;
      this.stop(new BudgetExceededError(message, { budgetMs }));
    }, budgetMs);
    if (signal) {
      this.#signal = signal;
      this.#onAbort = () => this.stop(aborted(signal));
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  /**
   * Runs the call on a worker; `opening` (the client's configuration and
   * allow-list) goes along to a worker that holds no instance of the client.
   */
  async start(opening) {
    let slot;
    try {
      slot = await acquire(this.#message.client);
    } catch (e) {
      return this.stop(new TrapError(`the component could not be loaded: ${e.message}`));
    }
    if (this.#done) return release(slot);
    this.#slot = slot;
    const { client: key, method } = this.#message;
    const message = slot.clients.has(key) ? this.#message : { ...this.#message, open: opening };
    slot.run(message, (answer) => {
      this.#slot = undefined;
      if ('ok' in answer || (answer.error && method !== 'open')) {
        slot.clients.add(key);
      } else {
        slot.clients.delete(key);
      }
      release(slot);
      if ('ok' in answer) this.#finish().resolve(answer.ok);
      else if (answer.error) this.#finish().reject(componentError(answer.error, answer.message));
      else if (answer.trap) this.#finish().reject(new TrapError(`the component failed: ${answer.trap}`));
    });
  }

  /** Rejects the call with `error` and stops its work. */
  stop(error) {
    if (this.#done) return;
    this.#finish().reject(error);
    this.#slot?.stop(this.#id);
  }

  /** Ends the call's timers once; the settle functions, or no-ops when it had ended. */
  #finish() {
    if (this.#done) return { resolve() {}, reject() {} };
    this.#done = true;
    clearTimeout(this.#timer);
    this.#signal?.removeEventListener('abort', this.#onAbort);
    return this.#settle;
  }
}
