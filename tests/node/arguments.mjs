// Bad arguments, method by method: each call must reject with an
// `InvalidInputError` naming the argument (as the WIT spells it), and a
// good call on the same client must succeed right after it. Uses the
// `gbg-go` package installed in the current directory and the gbg-go
// command's variables (GBG_GO_BASE_URL, GBG_GO_TOKEN_URL, GBG_GO_CLIENT_ID,
// GBG_GO_CLIENT_SECRET, GBG_GO_RESOURCE_ID).
//
// Prints one line per case, then `N passed, N failed`; exits 1 when any failed.

import { cases, config, gbgGo } from './installed.mjs';

const { GbgGoClient, GbgGoError, InvalidInputError } = gbgGo;
const env = process.env;
const tally = cases();

/** Expects `call()` to reject with an InvalidInputError for `field`. */
async function refused(name, field, call) {
  try {
    await call();
    throw new Error('it was accepted');
  } catch (e) {
    if (!(e instanceof InvalidInputError) || !(e instanceof GbgGoError) || e.kind !== 'invalid-input') {
      throw new Error(`expected an InvalidInputError, got ${e?.name}: ${e?.message}`);
    }
    if (e.field !== field) throw new Error(`expected field ${field}, got ${e.field} (${e.message})`);
    if (!e.message.startsWith(`invalid ${field}`)) throw new Error(`the message does not name ${field}: ${e.message}`);
  }
}

/** A case: `call` is refused for `field`, then `good` succeeds on the same client. */
function check(name, field, call, good) {
  return tally.check(name, async () => {
    await refused(name, field, call);
    await good();
  });
}

// Configurations `open` refuses before it starts anything.
const opening = [
  ['no config', 'config', undefined],
  ['config not an object', 'config', 'eu'],
  ['endpoint missing', 'config.endpoint', { ...config, endpoint: undefined }],
  ['endpoint a number', 'config.endpoint', { ...config, endpoint: 42 }],
  ['unknown region', 'config.endpoint.base-url', { ...config, endpoint: 'mars' }],
  ['unknown field', 'config.client-id', { ...config, clientId: 'x' }],
  ['grant missing', 'config.grant', { ...config, grant: undefined }],
  ['grant in WIT form', 'config.grant.tag', { ...config, grant: { tag: 'client-credentials', val: {} } }],
  ['secret a number', 'config.grant.client-secret', { ...config, grant: { clientId: 'a', clientSecret: 12345678 } }],
  ['secret too short', 'config.grant.client-secret', { ...config, grant: { clientId: 'a', clientSecret: 'short' } }],
  ['password without username', 'config.grant.username', { ...config, grant: { ...config.grant, password: 'password1' } }],
  ['retry attempts negative', 'config.retry.max-attempts', { ...config, retry: { maxAttempts: -1 } }],
  ['retry attempts zero', 'config.retry.max-attempts', { ...config, retry: { maxAttempts: 0 } }],
  ['timeout a string', 'config.request-timeout-ms', { ...config, requestTimeoutMs: '30' }],
  ['timeout a bigint', 'config.request-timeout-ms', { ...config, requestTimeoutMs: 30n }],
  ['interaction auth unknown', 'config.interaction-auth', { ...config, interactionAuth: 'bearer' }],
  ['token URL not a URL', 'config.token-url', { ...config, tokenUrl: 'not a url' }],
];
let spare;
for (const [name, field, bad] of opening) {
  await check(`open: ${name}`, field, () => GbgGoClient.open(bad), async () => {
    spare ??= await GbgGoClient.open(config);
  });
}
await check('open: options not an object', 'options', () => GbgGoClient.open(config, 7), () => spare.health());
await check('open: a misspelled option', 'options.max-concurency', () => GbgGoClient.open(config, { maxConcurency: 2 }), () => spare.health());
await check('open: maxConcurrency zero', 'options.max-concurrency', () => GbgGoClient.open(config, { maxConcurrency: 0 }), () => spare.health());
await check('new GbgGoClient', 'GbgGoClient', async () => new GbgGoClient(config), () => spare.health());
await spare.close();

const client = await GbgGoClient.open(config);
const { instanceId } = await client.startJourney({ resourceId: env.GBG_GO_RESOURCE_ID });
const state = () => client.fetchJourneyState(instanceId);
const notAbortSignal = { aborted: false, addEventListener() {} };

const calls = [
  ['startJourney: no request', 'request', () => client.startJourney()],
  ['startJourney: resourceId a number', 'request.resource-id', () => client.startJourney({ resourceId: 7 })],
  ['startJourney: delivery hosted', 'request.delivery', () => client.startJourney({ resourceId: env.GBG_GO_RESOURCE_ID, delivery: 'hosted' })],
  ['startJourney: subject JSON text', 'request.subject', () => client.startJourney({ resourceId: env.GBG_GO_RESOURCE_ID, subject: '{}' })],
  ['startJourney: subject a list', 'request.subject', () => client.startJourney({ resourceId: env.GBG_GO_RESOURCE_ID, subject: [] })],
  ['startJourney: subject with a bigint', 'request.subject', () => client.startJourney({ resourceId: env.GBG_GO_RESOURCE_ID, subject: { n: 1n } })],
  ['startJourney: resourceId without version', 'resource-id', () => client.startJourney({ resourceId: 'abc' })],
  ['fetchJourneyState: no id', 'instance-id', () => client.fetchJourneyState()],
  ['fetchJourneyState: id an object', 'instance-id', () => client.fetchJourneyState({ instanceId })],
  ['fetchJourneyState: id with a slash', 'instance-id', () => client.fetchJourneyState('../token')],
  ['fetchJourneyState: filterKeys a string', 'filter-keys', () => client.fetchJourneyState(instanceId, { filterKeys: 'status' })],
  ['fetchJourneyState: options a list', 'options', () => client.fetchJourneyState(instanceId, [])],
  ['waitForCompletion: interval negative', 'options.poll-interval-ms', () => client.waitForCompletion(instanceId, { pollIntervalMs: -5 })],
  ['waitForCompletion: timeout zero', 'timeout-ms', () => client.waitForCompletion(instanceId, { timeoutMs: 0 })],
  ['waitForCompletion: signal not an AbortSignal', 'options.signal', () => client.waitForCompletion(instanceId, { signal: notAbortSignal })],
  ['deleteInstance: id null', 'instance-id', () => client.deleteInstance(null)],
  ['health: timeoutMs a string', 'options.timeout-ms', () => client.health({ timeoutMs: '5' })],
  ['authenticate: unknown option', 'options.retries', () => client.authenticate({ retries: 2 })],
  ['fetchInteraction: id a number', 'instance-id', () => client.fetchInteraction(12)],
  ['submitInteraction: nothing', 'submission', () => client.submitInteraction()],
  ['submitInteraction: participants missing', 'submission.participants', () => client.submitInteraction({ instanceId, interactionId: 'x', subject: {} })],
  ['submitInteraction: participant a string', 'submission.participants[0]', () => client.submitInteraction({ instanceId, interactionId: 'x', participants: ['FullName'], subject: {} })],
  ['submitInteraction: subject text', 'submission.subject', () => client.submitInteraction({ instanceId, interactionId: 'x', participants: [], subject: '{}' })],
  ['planSubmission: step missing', 'step', () => client.planSubmission(undefined, {})],
  ['planSubmission: answers text', 'answers', () => client.planSubmission({ instanceId, ready: false, journeyStatus: 'InProgress' }, '{}')],
  ['planSubmission: accepted not a list', 'accepted', () => client.planSubmission({ instanceId, ready: false, journeyStatus: 'InProgress' }, {}, {})],
];
for (const [name, field, call] of calls) {
  await check(name, field, call, state);
}

// After all of that, the client still serves every call.
await tally.check('the client still serves calls', async () => {
  await client.health();
  const after = await state();
  if (after.instanceId !== instanceId || after.status !== 'InProgress') throw new Error(`unexpected state ${after.status}`);
});
await client.close();
tally.finish();
