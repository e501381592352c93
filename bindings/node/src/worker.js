// A worker thread holding one instance of the component and one `client`
// resource in it. It never returns to its event loop: it blocks on
// `Atomics.wait` until the main thread (./index.js) posts a call
// `{ id, method, args }`, runs it, and answers with `{ id, ok }`,
// `{ id, error, message }` (the component's typed error and its sentence,
// from the component's own `describe-error`), `{ id, invalid }` (arguments
// the bindings refused) or `{ id, trap }`, after which this instance is
// unusable.

import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';

import { instantiate } from '../generated/gbg-go.js';
import { wasiImports } from './wasi.js';

const { modules, calls, callSignal, http, httpSignal, allowed } = workerData;

// jco's bindings look up `process.env.JCO_DEBUG` on every import call, and
// `process.env` is slow to read; this thread needs no environment.
process.env = {};

const { client: component } = instantiate((name) => modules[name], {
  wasi: wasiImports({ port: http, signal: new Int32Array(httpSignal), allowed: new Set(allowed) }),
});

/** The guest's `client` resource, once `open` has succeeded. */
let client;

function run({ id, method, args }) {
  try {
    if (method === 'open') {
      client = component.Client.open(...args);
      return { id, ok: undefined };
    }
    return { id, ok: client[method](...args) };
  } catch (e) {
    if (e?.payload?.tag !== undefined) {
      return { id, error: e.payload, message: component.describeError(e.payload) };
    }
    if (e instanceof WebAssembly.RuntimeError) {
      return { id, trap: e.message };
    }
    return { id, invalid: e?.message ?? String(e) };
  }
}

const signal = new Int32Array(callSignal);
for (;;) {
  const seen = Atomics.load(signal, 0);
  const received = receiveMessageOnPort(calls);
  if (received) {
    parentPort.postMessage(run(received.message));
  } else {
    Atomics.wait(signal, 0, seen);
  }
}
