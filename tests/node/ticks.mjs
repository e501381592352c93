// The event-loop check for Node: a 10 ms `setInterval` counts its ticks while
// `waitForCompletion` waits for a journey nobody completes until its timeout
// (GBG_GO_WAIT_MS). Uses the `gbg-go` package installed in the current
// directory and the gbg-go command's variables. Prints
// `{"ticks", "kind", "message"}`.

import { config, gbgGo } from './installed.mjs';

const { GbgGoClient } = gbgGo;
const env = process.env;
const client = await GbgGoClient.open(config);
const { instanceId } = await client.startJourney({ resourceId: env.GBG_GO_RESOURCE_ID });

let ticks = 0;
const timer = setInterval(() => (ticks += 1), 10);
let outcome;
try {
  await client.waitForCompletion(instanceId, { pollIntervalMs: 200, timeoutMs: Number(env.GBG_GO_WAIT_MS) });
  outcome = { kind: 'ok', message: '' };
} catch (e) {
  outcome = { kind: e.kind, message: e.message };
} finally {
  clearInterval(timer);
  await client.close();
}
console.log(JSON.stringify({ ticks, ...outcome }));
