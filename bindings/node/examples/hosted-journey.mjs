// @ts-check
// Verify a person with a hosted GBG GO journey. Configured like the gbg-go
// command, from the environment:
//   GBG_GO_BASE_URL (or GBG_GO_REGION), GBG_GO_TOKEN_URL (optional),
//   GBG_GO_CLIENT_ID, GBG_GO_CLIENT_SECRET, GBG_GO_RESOURCE_ID.
// Prints the hosted page's URL, waits for the journey to end and prints the
// outcome. Exit status: 0 completed, 3 ended otherwise, 1 error.

import { GbgGoClient, GbgGoError } from 'gbg-go';

/** @param {string} name */
function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`set ${name}`);
  }
  return value;
}

/** @type {import('gbg-go').ClientConfig} */
const config = {
  endpoint: process.env.GBG_GO_BASE_URL ?? process.env.GBG_GO_REGION ?? 'eu',
  tokenUrl: process.env.GBG_GO_TOKEN_URL,
  grant: { clientId: required('GBG_GO_CLIENT_ID'), clientSecret: required('GBG_GO_CLIENT_SECRET') },
};

// The component may reach its API and token endpoint, nothing else.
const client = await GbgGoClient.open(config, {
  onDenied: ({ authority, reason }) => console.error(`egress denied: ${authority}: ${reason}`),
});
try {
  const started = await client.startJourney({ resourceId: required('GBG_GO_RESOURCE_ID'), delivery: 'page' });
  console.log(`Send the end user to: ${started.instanceUrl}`);
  const state = await client.waitForCompletion(started.instanceId, { pollIntervalMs: 1000, timeoutMs: 600_000 });
  const outcome = state.state.context?.result?.outcome ?? 'no outcome';
  console.log(`Journey ${state.instanceId} ${state.status}: ${outcome}`);
  process.exitCode = state.status === 'Completed' ? 0 : 3;
} catch (e) {
  if (!(e instanceof GbgGoError)) {
    throw e;
  }
  console.error(`${e.kind}: ${e.message}`);
  process.exitCode = 1;
} finally {
  await client.close();
}
