// Completion events from the journey service, checked as Standard Webhooks
// (https://www.standardwebhooks.com) define them: the `webhook-id`,
// `webhook-timestamp` and `webhook-signature` headers, the signature
// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` under the secret's key.

import { createHmac, timingSafeEqual } from 'node:crypto';

import { InvalidSignatureError, invalidInput } from './errors.js';

/** How far an event's timestamp may be from this machine's clock, in seconds. */
const TOLERANCE_S = 5 * 60;

/** The prefix of a Standard Webhooks secret. */
const SECRET_PREFIX = 'whsec_';

/** The key of a `whsec_<base64>` secret (the prefix may be left out, as the reference libraries allow). */
function key(secret) {
  if (typeof secret !== 'string') throw invalidInput('secret', 'must be a string');
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length === 0 || bytes.toString('base64').replace(/=+$/, '') !== encoded.replace(/=+$/, '')) {
    throw invalidInput('secret', 'must be whsec_ followed by the base64 of the key');
  }
  return bytes;
}

/** The body's bytes. */
function bytesOf(body) {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw invalidInput('body', 'must be a string or bytes (the body as received)');
}

/** A header's value from a `Headers`, a Node `IncomingHttpHeaders` or a plain object, any case. */
function header(headers, name) {
  if (typeof headers?.get === 'function') return headers.get(name) ?? undefined;
  if (typeof headers !== 'object' || headers === null) throw invalidInput('headers', 'must be an object or Headers');
  const found = Object.keys(headers).find((key) => key.toLowerCase() === name);
  const value = found === undefined ? undefined : headers[found];
  return Array.isArray(value) ? value[0] : value;
}

function required(headers, name) {
  const value = header(headers, name);
  if (typeof value !== 'string' || value === '') throw new InvalidSignatureError(`the event has no ${name} header`);
  return value;
}

/**
 * Checks a completion event the journey service sent (its body exactly as
 * received, its headers, and the `GBG_GO_EVENTS_SECRET` it was signed with)
 * and returns the event, parsed. Rejects with `InvalidSignatureError` when a
 * header is missing, the timestamp is more than five minutes off, no
 * signature matches, or the body is not a JSON object.
 */
export async function verifyEvent(body, headers, secret) {
  const signingKey = key(secret);
  const payload = bytesOf(body);
  const id = required(headers, 'webhook-id');
  const timestamp = required(headers, 'webhook-timestamp');
  const signatures = required(headers, 'webhook-signature');

  if (!/^\d{1,15}$/.test(timestamp)) throw new InvalidSignatureError('the event timestamp is not a number of seconds');
  const skew = Number(timestamp) - Math.floor(Date.now() / 1000);
  if (skew < -TOLERANCE_S) throw new InvalidSignatureError('the event timestamp is too old');
  if (skew > TOLERANCE_S) throw new InvalidSignatureError('the event timestamp is too far in the future');

  const expected = createHmac('sha256', signingKey)
    .update(`${id}.${timestamp}.`)
    .update(payload)
    .digest();
  const matches = signatures.split(' ').some((entry) => {
    const [version, signature] = entry.split(',', 2);
    if (version !== 'v1' || signature === undefined) return false;
    const given = Buffer.from(signature, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) throw new InvalidSignatureError('no signature of the event matches the secret');

  let event;
  try {
    event = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new InvalidSignatureError('the event body is not JSON');
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new InvalidSignatureError('the event body is not a JSON object');
  }
  return event;
}
