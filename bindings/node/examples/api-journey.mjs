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

/** @type {Record<string, import('gbg-go').JsonObject>} */
const answers = JSON.parse(readFileSync(process.argv[2] ?? required('GBG_GO_ANSWERS'), 'utf8'));

/** @type {import('gbg-go').ClientConfig} */
const config = {
  endpoint: process.env.GBG_GO_BASE_URL ?? process.env.GBG_GO_REGION ?? 'eu',
  tokenUrl: process.env.GBG_GO_TOKEN_URL,
  grant: { clientId: required('GBG_GO_CLIENT_ID'), clientSecret: required('GBG_GO_CLIENT_SECRET') },
};

const client = await GbgGoClient.open(config);
try {
  const { instanceId } = await client.startJourney({ resourceId: required('GBG_GO_RESOURCE_ID'), delivery: 'api' });
  console.log(`Journey ${instanceId} started`);
  const deadline = Date.now() + TIMEOUT_MS;
  // What each interaction accepted. GBG may answer an interaction with the
  // same `outstanding` list after a successful submission, so the planner
  // (in the component) leaves these out rather than trusting that list.
  /** @type {import('gbg-go').AcceptedElement[]} */
  const accepted = [];
  for (;;) {
    const step = await client.fetchInteraction(instanceId);
    if (!step.ready && step.journeyStatus !== 'InProgress') break;
    const submission = await client.planSubmission(step, answers, accepted);
    if (submission) {
      const elements = submission.participants.map((p) => p.domainElementId);
      console.log(`Interaction ${submission.interactionId}: submitting ${elements.join(', ')}`);
      await client.submitInteraction(submission);
      accepted.push(...elements.map((domainElementId) => ({ interactionId: submission.interactionId, domainElementId })));
      continue;
    }
    // GBG's modules are running, or it has not yet taken in what was submitted.
    if (Date.now() >= deadline) {
      throw new Error(`journey ${instanceId} did not advance within ${TIMEOUT_MS / 1000} s`);
    }
    await sleep(POLL_INTERVAL_MS);
  }
  const state = await client.waitForCompletion(instanceId, { pollIntervalMs: POLL_INTERVAL_MS, timeoutMs: 60_000 });
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
