// @ts-check
// Verify a person with a GBG GO API journey: your own UI collects the data,
// here stood in for by a file of answers, a JSON object mapping each domain
// element to its piece of `context.subject` (an answer for `PrimaryDocument`
// covers the slot `PrimaryDocument/side1Image`). Configured like
// ./hosted-journey.mjs, with GBG_GO_RESOURCE_ID naming an API journey:
//
//   node api-journey.mjs answers.json
//
// Answers each interaction until the journey ends, then prints the outcome.
// Exit status: 0 completed, 3 ended otherwise, 1 error.

import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import { GbgGoClient, GbgGoError } from 'gbg-go';

const POLL_INTERVAL_MS = 500;
const TIMEOUT_MS = 600_000;

/** @param {string} name */
function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`set ${name}`);
  }
  return value;
}

/** @type {Record<string, Record<string, unknown>>} */
const answers = JSON.parse(readFileSync(process.argv[2] ?? required('GBG_GO_ANSWERS'), 'utf8'));

/** The answer that covers `element`: its own, or its parent's for a slot such as `PrimaryDocument/side1Image`. */
function answerFor(/** @type {string} */ element) {
  return [element, element.split('/')[0]].find((key) => key in answers);
}

/** Merges subject pieces: objects key by key, arrays concatenated. */
function merge(/** @type {any} */ into, /** @type {any} */ piece) {
  for (const [key, value] of Object.entries(piece)) {
    const existing = into[key];
    if (Array.isArray(existing) && Array.isArray(value)) existing.push(...value);
    else if (existing && typeof existing === 'object' && value && typeof value === 'object') merge(existing, value);
    else into[key] = structuredClone(value);
  }
  return into;
}

/** @type {import('gbg-go').ClientConfig} */
const config = {
  endpoint: process.env.GBG_GO_BASE_URL
    ? { tag: 'base-url', val: process.env.GBG_GO_BASE_URL }
    : { tag: 'region', val: /** @type {import('gbg-go').Region} */ (process.env.GBG_GO_REGION ?? 'eu') },
  tokenUrl: process.env.GBG_GO_TOKEN_URL,
  grant: {
    tag: 'client-credentials',
    val: { clientId: required('GBG_GO_CLIENT_ID'), clientSecret: required('GBG_GO_CLIENT_SECRET') },
  },
};

const client = await GbgGoClient.open(config);
try {
  const { instanceId } = await client.startJourney({ resourceId: required('GBG_GO_RESOURCE_ID'), delivery: 'api' });
  console.log(`Journey ${instanceId} started`);
  const deadline = Date.now() + TIMEOUT_MS;
  // What was submitted, per interaction: each element once. GBG may answer
  // an interaction with the same `outstanding` list after a successful
  // submission, so the loop does not rely on that list shrinking.
  const submitted = new Set();
  for (;;) {
    const step = await client.fetchInteraction(instanceId);
    if (step.tag === 'not-ready' && step.val.tag !== 'in-progress') break;
    if (step.tag === 'ready') {
      const interaction = step.val;
      const asked = [...interaction.outstanding, ...interaction.collects.flatMap((c) => [c.element, ...c.inputs].map((i) => i.ref))];
      const keys = [...new Set(asked.map(answerFor).filter((key) => key !== undefined))];
      const due = keys.filter((key) => !submitted.has(`${interaction.interactionId} ${key}`));
      const missing = interaction.outstanding.filter((element) => answerFor(element) === undefined);
      if (missing.length > 0) {
        throw new Error(`the answers do not cover ${missing.join(', ')}`);
      }
      if (due.length > 0) {
        console.log(`Interaction ${interaction.interactionId}: submitting ${due.join(', ')}`);
        await client.submitInteraction({
          instanceId,
          interactionId: interaction.interactionId,
          participants: due.map((key) => ({ domainElementId: key })),
          subject: JSON.stringify(due.reduce((subject, key) => merge(subject, answers[key]), {})),
        });
        due.forEach((key) => submitted.add(`${interaction.interactionId} ${key}`));
        continue;
      }
    }
    // GBG's modules are running, or it has not yet taken in what was submitted.
    if (Date.now() >= deadline) {
      throw new Error(`journey ${instanceId} did not advance within ${TIMEOUT_MS / 1000} s`);
    }
    await sleep(POLL_INTERVAL_MS);
  }
  const state = await client.waitForCompletion(instanceId, { pollIntervalMs: POLL_INTERVAL_MS, timeoutMs: 60_000 });
  const outcome = JSON.parse(state.document).context?.result?.outcome ?? 'no outcome';
  console.log(`Journey ${state.instanceId} ${state.statusText}: ${outcome}`);
  process.exitCode = state.status.tag === 'completed' ? 0 : 3;
} catch (e) {
  if (!(e instanceof GbgGoError)) {
    throw e;
  }
  console.error(`${e.kind}: ${e.message}`);
  process.exitCode = 1;
} finally {
  await client.close();
}
