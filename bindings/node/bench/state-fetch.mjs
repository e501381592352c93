// A state fetch through this package against a plain `fetch` of the same
// endpoint, in one process, taking turns so that the machine's load affects
// both alike. Configured like the examples (GBG_GO_BASE_URL, GBG_GO_TOKEN_URL,
// GBG_GO_CLIENT_ID, GBG_GO_CLIENT_SECRET, GBG_GO_RESOURCE_ID), for example
// against `cargo run --release -- simulate`:
//
//   npm run build && node bench/state-fetch.mjs [rounds]
//
// Prints the median and 90th percentile of each, in milliseconds.

import { GbgGoClient } from 'gbg-go';

const ROUNDS = Number(process.argv[2] ?? 300);
const env = process.env;

const client = await GbgGoClient.open({
  endpoint: env.GBG_GO_BASE_URL,
  tokenUrl: env.GBG_GO_TOKEN_URL,
  grant: { clientId: env.GBG_GO_CLIENT_ID, clientSecret: env.GBG_GO_CLIENT_SECRET },
});
const { instanceId } = await client.startJourney({ resourceId: env.GBG_GO_RESOURCE_ID });

// The stand-in for an SDK built on fetch: one token, then the very request
// the component sends, its JSON answer parsed.
const token = await fetch(env.GBG_GO_TOKEN_URL, {
  method: 'POST',
  body: new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: env.GBG_GO_CLIENT_ID,
    client_secret: env.GBG_GO_CLIENT_SECRET,
    scope: 'gbg.token',
  }),
}).then((answer) => answer.json());
const request = {
  method: 'POST',
  headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' },
  body: JSON.stringify({ instanceId }),
};

const contenders = {
  'gbg-go fetchJourneyState': () => client.fetchJourneyState(instanceId),
  'plain fetch, same request': async () => {
    const answer = await fetch(`${env.GBG_GO_BASE_URL}/journey/state/fetch`, request);
    if (!answer.ok) throw new Error(`HTTP ${answer.status}`);
    await answer.json();
  },
};

const times = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
for (let round = -20; round < ROUNDS; round += 1) {
  for (const [name, run] of Object.entries(contenders)) {
    const began = performance.now();
    await run();
    if (round >= 0) times[name].push(performance.now() - began);
  }
}
await client.close();

const at = (sorted, share) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))].toFixed(2);
for (const [name, measured] of Object.entries(times)) {
  measured.sort((a, b) => a - b);
  console.log(`${name}: median ${at(measured, 0.5)} ms, p90 ${at(measured, 0.9)} ms (${measured.length} fetches)`);
}
