// `verifyEvent` against the reference Standard Webhooks library: events
// signed by the `standardwebhooks` npm package (bindings/node's development
// dependency, found from GBG_GO_DEV_PACKAGE, bindings/node/package.json) must
// verify, and every tampering must reject with `InvalidSignatureError`.
// Uses the `gbg-go` package installed in the current directory.
//
// Prints one line per case, then `N passed, N failed`; exits 1 when any failed.

import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';

import { cases, gbgGo } from './installed.mjs';

const { GbgGoError, InvalidInputError, InvalidSignatureError, verifyEvent } = gbgGo;
const { Webhook } = createRequire(process.env.GBG_GO_DEV_PACKAGE)('standardwebhooks');

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const otherSecret = `whsec_${randomBytes(32).toString('base64')}`;
const event = {
  type: 'journey.completed',
  timestamp: new Date().toISOString(),
  data: { instance_id: 'LnXrtTW6Et4lmxytaTfhsh', status: 'Completed', created_at: null, completed_at: null },
};
const body = JSON.stringify(event);

/** Headers for `payload` signed at `when` with the signatures of `secrets`. */
function signed(payload, { id = 'evt_1', when = new Date(), secrets = [secret] } = {}) {
  const signatures = secrets.map((s) => new Webhook(s).sign(id, when, payload));
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(when.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}

const { check, finish } = cases();

async function verifies(payload, headers, key = secret) {
  const got = await verifyEvent(payload, headers, key);
  if (JSON.stringify(got) !== body) throw new Error(`unexpected event ${JSON.stringify(got)}`);
}

async function refused(payload, headers, key = secret, Class = InvalidSignatureError) {
  try {
    await verifyEvent(payload, headers, key);
  } catch (e) {
    if (e instanceof Class && e instanceof GbgGoError) return;
    throw new Error(`expected ${Class.name}, got ${e?.name}: ${e?.message}`);
  }
  throw new Error('it verified');
}

await check('a signed event verifies', () => verifies(body, signed(body)));
await check('the body as bytes', () => verifies(Buffer.from(body), signed(body)));
await check('Headers and upper-case names', async () => {
  await verifies(body, new Headers(signed(body)));
  const upper = Object.fromEntries(Object.entries(signed(body)).map(([k, v]) => [k.toUpperCase(), v]));
  await verifies(body, upper);
});
await check('one good signature among several', () => verifies(body, signed(body, { secrets: [otherSecret, secret] })));
await check('the reference library verifies what it signed', () => {
  new Webhook(secret).verify(body, signed(body));
});
await check('a changed body', () => refused(body.replace('Completed', 'Failed'), signed(body)));
await check('a changed id', () => refused(body, { ...signed(body), 'webhook-id': 'evt_2' }));
await check('another secret', () => refused(body, signed(body, { secrets: [otherSecret] })));
await check('an old timestamp', () => refused(body, signed(body, { when: new Date(Date.now() - 6 * 60_000) })));
await check('a future timestamp', () => refused(body, signed(body, { when: new Date(Date.now() + 6 * 60_000) })));
await check('a timestamp within tolerance', () => verifies(body, signed(body, { when: new Date(Date.now() - 4 * 60_000) })));
await check('no signature header', async () => {
  const { 'webhook-signature': _, ...headers } = signed(body);
  await refused(body, headers);
});
await check('another signature version', () => {
  const headers = signed(body);
  return refused(body, { ...headers, 'webhook-signature': headers['webhook-signature'].replace('v1,', 'v2,') });
});
await check('a body that is not JSON', () => refused('not json', signed('not json')));
await check('a malformed secret', () => refused(body, signed(body), 'whsec_!!!', InvalidInputError));
await check('a secret that is not text', () => refused(body, signed(body), 42, InvalidInputError));

finish();
