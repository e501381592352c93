// A worker thread of the shared pool (./pool.js). It holds one component
// instance per client that has used it, each with its own egress allow-list
// and its own guest `client` (and token cache), and runs one call at a time.
//
// It never returns to its event loop: it blocks on `Atomics.wait` until the
// main thread posts `{ type: 'call', id, client, method, args, open? }`
// (`open` carries the configuration and allow-list of a client new to this
// thread) or `{ type: 'drop', client }`, and answers a call with
// `{ id, ok }`, `{ id, error, message }` (the component's typed error and
// its own sentence for it, from `describe-error`), `{ id, stopped }` (the
// main thread stopped it) or `{ id, trap }`. After a stop or a trap the
// client's instance is discarded; its next call here opens a fresh one.

import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';

import { instantiate } from '../generated/gbg-go.js';
import { createLink, Stopped, wasiImports } from './wasi/index.js';

const { modules, calls, callSignal, http, httpSignal, stopCell } = workerData;

// jco's bindings look up `process.env.JCO_DEBUG` on every import call, and
// `process.env` is slow to read; this thread needs no environment.
process.env = {};

const link = createLink({ port: http, signal: new Int32Array(httpSignal), stop: new Int32Array(stopCell) });

/** Each client's instance here: its exports and its guest `client` resource. */
const instances = new Map();

/** Instantiates the component for a client and opens its guest client. */
function open(key, { config, allowed }) {
  const exports = instantiate((name) => modules[name], {
    wasi: wasiImports(link, { allowed: new Set(allowed), client: key }),
  });
  const instance = { exports, client: undefined };
  instances.set(key, instance);
  instance.client = exports.client.Client.open(config);
}

function run({ id, client: key, method, args, open: opening }) {
  link.running(id);
  try {
    if (opening) open(key, opening);
    const instance = instances.get(key);
    if (method === 'open') return { id, ok: undefined };
    if (method === 'planSubmission') return { id, ok: instance.exports.interactionPlanner.planSubmission(...args) };
    return { id, ok: instance.client[method](...args) };
  } catch (e) {
    const instance = instances.get(key);
    if (e?.payload?.tag !== undefined && instance) {
      const answer = { id, error: e.payload, message: instance.exports.client.describeError(e.payload) };
      // A configuration the component refused leaves no client behind.
      if (!instance.client) instances.delete(key);
      return answer;
    }
    // The guest was unwound mid-call: its state cannot be trusted again.
    instances.delete(key);
    if (e instanceof Stopped) return { id, stopped: true };
    return { id, trap: e instanceof Error ? e.message : String(e) };
  } finally {
    link.running(0);
  }
}

function handle(message) {
  if (message.type === 'drop') {
    instances.delete(message.client);
  } else {
    parentPort.postMessage(run(message));
  }
}

const signal = new Int32Array(callSignal);
for (;;) {
  const seen = Atomics.load(signal, 0);
  const received = receiveMessageOnPort(calls);
  if (received) {
    handle(received.message);
  } else {
    Atomics.wait(signal, 0, seen);
  }
}
