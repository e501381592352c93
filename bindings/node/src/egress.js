// The egress policy: which authorities a client's component may reach.
//
// Deny by default. A request is sent only when its origin (scheme://host:port,
// lower-case, default port made explicit) is on the client's allow-list, so
// allowing `https://h` never allows `http://h:443`; plain http only to
// loopback. Anything else is answered with the WASI error
// code `HTTP-request-denied` before a byte is sent, as the Rust host does.
//
// The list is the host's, never the guest's: it is built from the
// configuration the application passed to `GbgGoClient.open`, with this
// package's own copy of GBG's documented hosts (./facts.js), so a component
// that resolved its endpoints differently could not widen it.

import { regionBaseUrl, TOKEN_URL } from './facts.js';

/**
 * The URLs a client opened with `config` (a WIT `client-config`) has to
 * reach: its API base and token URL.
 */
export function reachableUrls(config) {
  const { endpoint } = config;
  const base = endpoint.tag === 'base-url' ? endpoint.val : regionBaseUrl(endpoint.val);
  return [base, config.tokenUrl ?? TOKEN_URL];
}

/**
 * The normalised origins (`scheme://host:port`) of `urls`, sorted. A URL that
 * does not parse allows nothing (the component refuses such a configuration).
 */
export function originsOf(urls) {
  const parsed = [...urls].flatMap((url) => (URL.canParse(String(url)) ? [originOf(new URL(url))] : []));
  return [...new Set(parsed)].sort();
}

/**
 * Why a request to `authority` over `scheme` (`http` or `https`) is refused
 * by an allow-list of normalised origins, or undefined when it is allowed.
 */
export function refusal(allowed, scheme, authority) {
  if (scheme !== 'http' && scheme !== 'https') {
    return 'only http and https are allowed';
  }
  if (authority === '' || authority.includes('@')) {
    return 'the request has no valid authority';
  }
  let url;
  try {
    url = new URL(`${scheme}://${authority}`);
  } catch {
    return 'the request has no valid authority';
  }
  if (!allowed.has(originOf(url))) {
    return "the authority is not on the host's allow-list";
  }
  if (scheme === 'http' && !isLoopback(url.hostname)) {
    return 'plain http is only allowed to loopback addresses';
  }
  return undefined;
}

/** `scheme://host:port` of a URL, lower-case, with the scheme's default port made explicit. */
function originOf(url) {
  const port = url.port || (url.protocol === 'http:' ? '80' : '443');
  return `${url.protocol}//${url.hostname.toLowerCase()}:${port}`;
}

function isLoopback(hostname) {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}
