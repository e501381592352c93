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
import { createRequire } from 'node:module';

const { GbgGoClient, GbgGoError } = await import(createRequire(`${process.cwd()}/`).resolve('gbg-go'));

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
    endpoint: { tag: 'base-url', val: spec['base-url'] },
    tokenUrl: spec['token-url'],
    grant: { tag: 'client-credentials', val: { clientId: spec['client-id'], clientSecret: spec['client-secret'] } },
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
      const { observed, text, message } = await observe(() => perform(client, step));
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

/** Calls the component for one step. */
function perform(client, step) {
  switch (step.call) {
    case 'authenticate':
      return client.authenticate();
    case 'start-journey':
      return client.startJourney(camel(step.request));
    case 'fetch-journey-state':
      return client.fetchJourneyState(step['instance-id'], step['filter-keys'] ?? []);
    case 'wait-for-completion':
      return client.waitForCompletion(step['instance-id'], camel(step.options));
    case 'fetch-interaction':
      return client.fetchInteraction(step['instance-id']);
    case 'submit-interaction':
      return client.submitInteraction(camel(step.submission));
    default:
      throw new Error(`unknown call ${step.call}`);
  }
}

/** The outcome in the scenarios' canonical form, all its text (for the secret check) and the error's message. */
async function observe(call) {
  try {
    const observed = { ok: canonical(await call()) };
    return { observed, text: JSON.stringify(observed) };
  } catch (e) {
    if (!(e instanceof GbgGoError)) {
      throw e;
    }
    const observed = { err: { [e.kind]: canonical(e.detail) } };
    return { observed, text: `${JSON.stringify(observed)} ${e.message} ${e.stack}`, message: e.message };
  }
}

/** Whether `message` reads as `pattern`, where `*` stands for any text. */
function reads(message, pattern) {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return message !== undefined && new RegExp(`^${escaped.join('.*')}$`, 's').test(message);
}

/**
 * A jco value in the canonical form: kebab-case field names, `none` as null,
 * a variant case as its name (no payload) or `{name: payload}`, numbers as
 * numbers, and `document` fields (JSON text) parsed.
 */
function canonical(value) {
  if (value === undefined || value === null) {
    return null;
  }
  if (typeof value === 'bigint') {
    return Number(value);
  }
  if (Array.isArray(value)) {
    return value.map(canonical);
  }
  if (typeof value !== 'object') {
    return value;
  }
  if (typeof value.tag === 'string' && Object.keys(value).every((key) => key === 'tag' || key === 'val')) {
    return value.val === undefined ? value.tag : { [value.tag]: canonical(value.val) };
  }
  return Object.fromEntries(
    Object.entries(value).map(([key, field]) => [
      key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`),
      key === 'document' ? JSON.parse(field) : canonical(field),
    ]),
  );
}

/** A canonical value as jco takes it: camelCase fields, null as absent. */
function camel(value) {
  if (Array.isArray(value)) {
    return value.map(camel);
  }
  if (value === null) {
    return undefined;
  }
  if (typeof value !== 'object') {
    return value;
  }
  return Object.fromEntries(
    Object.entries(value).map(([key, field]) => [key.replace(/-([a-z])/g, (_, c) => c.toUpperCase()), camel(field)]),
  );
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
