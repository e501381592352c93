// The WASI 0.2 imports of the GBG GO component, for the worker thread that
// runs it: exactly what the component imports, and nothing more. One module
// per WASI package, as jco's preview2-shim is laid out:
//
// - ./http.js: wasi:http, behind the client's egress allow-list;
// - ./io.js: wasi:io pollables, streams and errors;
// - ./clocks.js, ./random.js: Node's clocks and crypto;
// - ./cli.js: no environment, arguments or stdin; output discarded;
// - ./link.js: the channel to the main thread that they share.

import { cli } from './cli.js';
import { clocks } from './clocks.js';
import { http } from './http.js';
import { io } from './io.js';
import { random } from './random.js';

export { createLink, Stopped } from './link.js';

/**
 * The imports object of one client's component instance, keyed as jco names
 * the interfaces of the `wasi` import (package, interface).
 *
 * @param {ReturnType<import('./link.js').createLink>} link
 * @param {{ allowed: Set<string>, client: number }} policy the client's egress allow-list
 */
export function wasiImports(link, policy) {
  const streams = io(link);
  return {
    ...streams.imports,
    ...clocks(link),
    ...random(),
    ...cli(streams),
    ...http(link, streams, policy),
  };
}
