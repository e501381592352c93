// What the GBG GO component is granted when it runs in Node.
//
// `npm run transpile` maps two of the component's imports here instead of to
// @bytecodealliance/preview2-shim (see package.json):
//
// - wasi:http/outgoing-handler -> `outgoingHandler`: deny by default. A request
//   is delegated to the shim only when its authority (host:port, lower-case,
//   default port made explicit) is on the allow-list set with `allowOnly`;
//   plain http only to loopback. Anything else is answered with the WASI error
//   code `HTTP-request-denied` before a byte is sent, as the Rust host does.
// - wasi:cli/environment -> `environment`: no environment variables, no
//   arguments, so the process's secrets are not visible to the component.
//
// The allow-list is process-wide: one transpiled component instance serves
// every client in the process.

import { outgoingHandler as shimHandler } from '@bytecodealliance/preview2-shim/http';

/** @type {Set<string>} */
let allowed = new Set();

/** @type {(denial: { authority: string, reason: string }) => void} */
let onDenied = () => {};

/**
 * Allows the component to reach exactly the authorities of `urls`, replacing
 * any earlier list. An empty list denies everything.
 *
 * @param {Iterable<string | URL>} urls
 * @param {{ onDenied?: (denial: { authority: string, reason: string }) => void }} [options]
 *   `onDenied` is told about every refused request (the authority and why).
 */
export function allowOnly(urls, options = {}) {
  allowed = new Set([...urls].map((url) => authorityOfUrl(new URL(url))));
  onDenied = options.onDenied ?? (() => {});
}

/** The allowed authorities, normalised as `host:port`. */
export function allowedAuthorities() {
  return [...allowed].sort();
}

/** The error a refused request is answered with: WASI `HTTP-request-denied`. */
class EgressDenied extends Error {
  constructor(authority, reason) {
    super(`request to ${authority} denied: ${reason}`);
    // jco lowers a thrown value's `payload` as the import's error result.
    Object.defineProperty(this, 'payload', { value: { tag: 'HTTP-request-denied' } });
  }
}

/** The component's `wasi:http/outgoing-handler` import. */
export const outgoingHandler = {
  handle(request, options) {
    const authority = request.authority() ?? '';
    const reason = refusal(request.scheme(), authority);
    if (reason) {
      onDenied({ authority, reason });
      throw new EgressDenied(authority, reason);
    }
    return shimHandler.handle(request, options);
  },
};

/** The component's `wasi:cli/environment` import: nothing to see. */
export const environment = {
  getEnvironment: () => [],
  getArguments: () => [],
  initialCwd: () => undefined,
};

/** Why a request to `authority` over `scheme` is refused, or undefined. */
function refusal(scheme, authority) {
  const https = scheme?.tag === 'HTTPS';
  if (!https && scheme?.tag !== 'HTTP') {
    return 'only http and https are allowed';
  }
  if (authority === '' || authority.includes('@')) {
    return 'the request has no valid authority';
  }
  let url;
  try {
    url = new URL(`${https ? 'https' : 'http'}://${authority}`);
  } catch {
    return 'the request has no valid authority';
  }
  if (!allowed.has(authorityOfUrl(url))) {
    return "the authority is not on the host's allow-list";
  }
  if (!https && !isLoopback(url.hostname)) {
    return 'plain http is only allowed to loopback addresses';
  }
  return undefined;
}

/** `host:port` of a URL, lower-case, with the scheme's default port made explicit. */
function authorityOfUrl(url) {
  const port = url.port || (url.protocol === 'http:' ? '80' : '443');
  return `${url.hostname.toLowerCase()}:${port}`;
}

function isLoopback(hostname) {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}
