// The conformance runner for Node: runs every scenario of
// ../conformance/scenarios.json through the `gbg-go` package installed in the
// current directory (as users install it), and checks each step's outcome.
//
//   cd <project with gbg-go installed> && node .../conformance.mjs TARGETS.json
//
// TARGETS.json (written by the Rust test that started the simulators) maps
// each scenario name to its variables: {"scenarios": {"<name>": {"base_url": ...}}}.
// Prints `PASS <name>` or `FAIL <name>: <why>` per scenario, then
// `N passed, N failed`; exits 1 when any failed.

import { readFileSync } from 'node:fs';

import { gbgGo } from './installed.mjs';

const { GbgGoClient, GbgGoError } = gbgGo;

const RUNTIME = 'node';

const suite = JSON.parse(readFileSync(new URL('../conformance/scenarios.json', import.meta.url), 'utf8'));
const targets = JSON.parse(readFileSync(process.argv[2], 'utf8'));

let passed = 0;
let failed = 0;
for (const scenario of suite.scenarios) {
  const started = performance.now();
  try {
    const vars = targets.scenarios[scenario.name];
    if (!vars) {
      throw new Error('no variables for this scenario in the targets file');
    }
    await run(scenario, { ...vars });
    passed += 1;
    console.log(`PASS ${scenario.name} (${Math.round(performance.now() - started)} ms)`);
  } catch (e) {
    failed += 1;
    console.log(`FAIL ${scenario.name}: ${e.message}`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;

/** Runs one scenario's steps against a fresh client. */
async function run(scenario, vars) {
  const spec = substitute({ ...suite.client, ...scenario.client }, vars);
  const config = {
    endpoint: spec['base-url'],
    tokenUrl: spec['token-url'],
    grant: { clientId: spec['client-id'], clientSecret: spec['client-secret'] },
  };
  const egress = scenario.egress ? substitute(scenario.egress, vars) : undefined;
  const client = await GbgGoClient.open(config, { egress });
  try {
    for (const [index, template] of scenario.steps.entries()) {
      const step = substitute(template, vars);
      if (step['end-user']) {
        await submitHostedPage(step.url, step.form);
        continue;
      }
      const { observed, text, message } = await observe(step.call, () => perform(client, step));
      const expected = step.expect_by_runtime?.[RUNTIME] ?? step.expect;
      const where = `step ${index} (${step.call})`;
      const mismatch = match(expected, observed, '');
      if (mismatch) {
        throw new Error(`${where}: ${mismatch}; observed ${JSON.stringify(observed)}`);
      }
      if (step.message !== undefined && !step.expect_by_runtime?.[RUNTIME] && !reads(message, step.message)) {
        throw new Error(`${where}: the message ${JSON.stringify(message)} does not read ${JSON.stringify(step.message)}`);
      }
      for (const secret of scenario.forbid ?? []) {
        if (text.includes(secret)) {
          throw new Error(`${where}: the outcome shows a secret`);
        }
      }
      for (const [name, pointer] of Object.entries(step.save ?? {})) {
        vars[name] = pointer.split('/').slice(1).reduce((value, key) => value?.[key], observed);
      }
    }
  } finally {
    await client.close();
  }
}

/** Calls the package for one step, its WIT-shaped arguments given as the package takes them. */
function perform(client, step) {
  switch (step.call) {
    case 'authenticate':
      return client.authenticate();
    case 'start-journey': {
      const { 'resource-id': resourceId, delivery, subject } = step.request;
      return client.startJourney({ resourceId, delivery, subject: subject === null ? undefined : JSON.parse(subject) });
    }
    case 'fetch-journey-state':
      return client.fetchJourneyState(step['instance-id'], { filterKeys: step['filter-keys'] ?? [] });
    case 'wait-for-completion': {
      const { 'poll-interval-ms': pollIntervalMs, 'timeout-ms': timeoutMs } = step.options;
      return client.waitForCompletion(step['instance-id'], { pollIntervalMs, timeoutMs });
    }
    case 'fetch-interaction':
      return client.fetchInteraction(step['instance-id']);
    case 'submit-interaction': {
      const { submission } = step;
      return client.submitInteraction({
        instanceId: submission['instance-id'],
        interactionId: submission['interaction-id'],
        participants: submission.participants.map((p) => ({
          domainElementId: p['domain-element-id'],
          instruction: p.instruction,
        })),
        subject: JSON.parse(submission.subject),
      });
    }
    case 'plan-submission': {
      const accepted = step.accepted.map((a) => ({
        interactionId: a['interaction-id'],
        domainElementId: a['domain-element-id'],
      }));
      return client.planSubmission(plainStep(step.step), step.answers, accepted);
    }
    default:
      throw new Error(`unknown call ${step.call}`);
  }
}

/** A canonical interaction step as the package takes it (as `fetchInteraction` gives it). */
function plainStep(canonicalStep) {
  const spelled = { 'in-progress': 'InProgress', completed: 'Completed', failed: 'Failed', paused: 'Paused' };
  const journeyStatus = (status) => (typeof status === 'string' ? spelled[status] : status.other);
  const ready = canonicalStep.ready;
  if (!ready) return { instanceId: '', ready: false, journeyStatus: journeyStatus(canonicalStep['not-ready']) };
  const requirement = ({ element, combinator, inputs }) =>
    combinator === null ? element : { ...element, combinator, inputs };
  return {
    instanceId: ready['instance-id'],
    ready: true,
    journeyStatus: journeyStatus(ready['journey-status']),
    interactionId: ready['interaction-id'],
    collects: ready.collects.map(requirement),
    consumes: ready.consumes.map(requirement),
    outstanding: ready.outstanding,
    interaction: ready.document,
    raw: JSON.stringify(ready.document),
  };
}

/** The outcome in the scenarios' canonical form, all its text (for the secret check) and the error's message. */
async function observe(call, perform) {
  try {
    const observed = { ok: canonical(call, await perform()) };
    return { observed, text: JSON.stringify(observed) };
  } catch (e) {
    if (!(e instanceof GbgGoError)) {
      throw e;
    }
    const observed = { err: { [e.kind]: errorPayload(e) } };
    return { observed, text: `${JSON.stringify(observed)} ${e.message} ${e.stack}`, message: e.message };
  }
}

/** Whether `message` reads as `pattern`, where `*` stands for any text. */
function reads(message, pattern) {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return message !== undefined && new RegExp(`^${escaped.join('.*')}$`, 's').test(message);
}

/** A status as GBG spells it, as the WIT `journey-status` case in the canonical form. */
function status(spelled) {
  const known = { InProgress: 'in-progress', Completed: 'completed', Failed: 'failed', Paused: 'paused' };
  return spelled === null ? null : (known[spelled] ?? { other: spelled });
}

/** The fields of a plain object under their WIT (kebab-case) names, absent as null. */
function kebab(value) {
  return Object.fromEntries(
    Object.entries(value).map(([key, field]) => [key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), field ?? null]),
  );
}

/** The package's value for `call` in the canonical (WIT-shaped) form. */
function canonical(call, value) {
  switch (call) {
    case 'fetch-journey-state':
    case 'wait-for-completion': {
      const { state, raw, ...rest } = value;
      return { ...kebab(rest), status: status(value.status), 'status-text': value.status, document: state };
    }
    case 'fetch-interaction': {
      if (!value.ready) return { 'not-ready': status(value.journeyStatus) };
      const element = ({ ref, spec, recommended }) => ({ ref, spec, recommended });
      const requirements = (list) =>
        list.map((r) => ({ element: element(r), combinator: r.combinator ?? null, inputs: (r.inputs ?? []).map(element) }));
      return {
        ready: {
          'instance-id': value.instanceId,
          'interaction-id': value.interactionId,
          'journey-status': status(value.journeyStatus),
          collects: requirements(value.collects),
          consumes: requirements(value.consumes),
          outstanding: value.outstanding,
          document: value.interaction,
        },
      };
    }
    case 'plan-submission':
      return value === null ? null : { ...kebab(value), participants: value.participants.map(kebab) };
    default:
      return value === undefined ? null : kebab(value);
  }
}

/** A `GbgGoError`'s fields as the WIT payload of its kind, in the canonical form. */
function errorPayload(e) {
  const failure = { status: e.status, 'request-id': e.requestId, problems: e.problems, message: e.serverMessage };
  switch (e.kind) {
    case 'invalid-input':
      return { field: e.field, reason: e.reason };
    case 'rate-limited':
      return { 'retry-after-ms': e.retryAfter, failure };
    case 'transport':
      return { kind: e.transportKind, authority: e.authority, message: e.reason };
    case 'invalid-response':
      return { status: e.status, 'request-id': e.requestId, reason: e.reason };
    case 'timeout':
      return { 'instance-id': e.instanceId, 'last-status': status(e.lastStatus), 'waited-ms': e.waitedMs };
    default:
      return failure;
  }
}

/** Why `actual` does not match `expected` (see ../conformance/README.md), or '' when it does. */
function match(expected, actual, path) {
  if (expected === '$string') {
    return typeof actual === 'string' && actual !== '' ? '' : `${path || '.'}: expected a string`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      return `${path || '.'}: expected ${expected.length} entries`;
    }
    return expected.map((e, i) => match(e, actual[i], `${path}[${i}]`)).find((m) => m) ?? '';
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) {
      return `${path || '.'}: expected an object`;
    }
    return Object.keys(expected).map((key) => match(expected[key], actual[key], `${path}.${key}`)).find((m) => m) ?? '';
  }
  return expected === actual ? '' : `${path || '.'}: expected ${JSON.stringify(expected)}`;
}

/** Replaces every `${name}` in the strings of `template` by the variable. */
function substitute(template, vars) {
  if (typeof template === 'string') {
    return template.replace(/\$\{(\w+)\}/g, (_, name) => {
      if (!(name in vars)) {
        throw new Error(`unknown variable ${name}`);
      }
      return vars[name];
    });
  }
  if (Array.isArray(template)) {
    return template.map((t) => substitute(t, vars));
  }
  if (template !== null && typeof template === 'object') {
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, substitute(v, vars)]));
  }
  return template;
}

/** Plays the end user: submits the hosted page's form, as a browser would. */
async function submitHostedPage(url, form) {
  const answer = await fetch(url, { method: 'POST', body: new URLSearchParams(form) });
  const page = await answer.text();
  if (answer.status !== 200 || !page.includes('id="outcome"')) {
    throw new Error(`submitting the hosted page ${url} answered ${answer.status}`);
  }
}
