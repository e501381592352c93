// The shared worker pool: clients opened one after another run on the
// workers already there, so the process gains no thread per client; calls
// of one client run concurrently, up to its `maxConcurrency`. Uses the
// `gbg-go` package installed in the current directory and the gbg-go
// command's variables. Prints `{"threads": [...], "concurrent": n}`: the
// process's thread count after the first client and after each further one,
// and after three calls of one client ran at once.

import { readFileSync } from 'node:fs';

import { config, gbgGo } from './installed.mjs';

const { GbgGoClient } = gbgGo;

/** This process's thread count, from Linux's /proc. */
const threads = () => Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]);

const counts = [];
const clients = [];
for (let i = 0; i < 6; i += 1) {
  const client = await GbgGoClient.open(config);
  await client.health();
  clients.push(client);
  counts.push(threads());
}

// Concurrency: one client's calls overlap, each on its own worker.
const client = clients[0];
const { instanceId } = await client.startJourney({ resourceId: process.env.GBG_GO_RESOURCE_ID });
await Promise.all(Array.from({ length: 3 }, () => client.fetchJourneyState(instanceId)));
const concurrent = threads();
await Promise.all(clients.map((c) => c.close()));
console.log(JSON.stringify({ threads: counts, concurrent }));
