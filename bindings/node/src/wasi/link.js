// The worker thread's link to the main thread, which every WASI package here
// shares: the HTTP channel, the counter the main thread bumps after each
// message it posts (and to wake this thread when a call must stop), and the
// cell that names the call to stop.
//
// This thread never returns to its event loop while the component runs: it
// blocks on `Atomics.wait` and takes messages with `receiveMessageOnPort`.

import { receiveMessageOnPort } from 'node:worker_threads';

/** Thrown through the component when its call must stop: it unwinds the guest, which runs no further. */
export class Stopped extends Error {
  constructor() {
    super('the call was stopped');
  }
}

/**
 * @param {object} channel
 * @param {import('node:worker_threads').MessagePort} channel.port this thread's end of the HTTP channel
 * @param {Int32Array} channel.signal bumped and notified by the main thread after each message it posts
 * @param {Int32Array} channel.stop holds the id of the call the main thread wants stopped
 */
export function createLink({ port, signal, stop }) {
  /** The answers in flight, by exchange id: each has `deliver(message)`. */
  const exchanges = new Map();
  let call = 0;

  /** Hands every message the main thread posted to its exchange; true if there was one. */
  function drain() {
    let any = false;
    for (let received; (received = receiveMessageOnPort(port)); ) {
      any = true;
      exchanges.get(received.message.id)?.deliver(received.message);
    }
    return any;
  }

  /** Throws `Stopped` once the main thread has asked for the running call to stop. */
  function checkStop() {
    if (call !== 0 && Atomics.load(stop, 0) === call) throw new Stopped();
  }

  return {
    exchanges,
    drain,
    checkStop,

    /** Posts a message to the main thread. */
    post(message) {
      port.postMessage(message);
    },

    /** Marks the start (a call id) or the end (0) of a call, for `checkStop`. */
    running(id) {
      call = id;
    },

    /** The id of the call running now. */
    get call() {
      return call;
    },

    /** Blocks until `done()` holds, taking messages as they arrive; stops with the call. */
    until(done) {
      while (!done()) {
        const seen = Atomics.load(signal, 0);
        checkStop();
        if (!drain()) Atomics.wait(signal, 0, seen);
      }
    },

    /** Blocks for `ms` milliseconds at most, waking early for a message or a stop. */
    sleep(ms) {
      checkStop();
      Atomics.wait(signal, 0, Atomics.load(signal, 0), ms);
      checkStop();
    },
  };
}
