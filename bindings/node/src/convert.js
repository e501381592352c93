// Plain JavaScript values to the WIT values jco takes, and back.
//
// Going in, every argument is checked here first: a value of the wrong type
// is refused with an `InvalidInputError` naming the argument as the WIT
// spells it (`instance-id`, `config.grant.client-secret`), so that nothing
// malformed reaches the component and the client stays usable. The component
// checks the contents (lengths, URLs, characters) itself.
//
// Coming out, values are what the CLI's `--json` prints, in camelCase:
// statuses as GBG spells them, numbers rather than bigints, `null` for
// what is absent, and JSON documents parsed (their text kept in `raw`).

import { invalidInput } from './errors.js';
import { POLL_INTERVAL_MS, REGIONS, RETRY, STATUSES, statusText, WAIT_TIMEOUT_MS } from './facts.js';

const U32_MAX = 0xffff_ffff;

/** `camelCase` as the WIT spells it: `kebab-case`. */
function kebab(name) {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value` as an object whose keys are all in `allowed`. */
function record(value, field, allowed) {
  if (!isObject(value)) throw invalidInput(field, 'must be an object');
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw invalidInput(`${field}.${kebab(key)}`, 'is not a known field');
  }
  return value;
}

function text(value, field) {
  if (typeof value !== 'string') throw invalidInput(field, 'must be a string');
  return value;
}

function optionalText(value, field) {
  return value === undefined || value === null ? undefined : text(value, field);
}

function u32(value, field) {
  if (!Number.isInteger(value) || value < 0 || value > U32_MAX) {
    throw invalidInput(field, `must be a whole number from 0 to ${U32_MAX}`);
  }
  return value;
}

function optionalU32(value, field) {
  return value === undefined || value === null ? undefined : u32(value, field);
}

function oneOf(value, field, choices) {
  if (!choices.includes(value)) throw invalidInput(field, `must be one of ${choices.map((c) => `'${c}'`).join(', ')}`);
  return value;
}

function list(value, field, item) {
  if (!Array.isArray(value)) throw invalidInput(field, 'must be an array');
  return value.map((entry, i) => item(entry, `${field}[${i}]`));
}

/** A plain object as the JSON text the WIT carries. */
function jsonObject(value, field) {
  if (!isObject(value)) throw invalidInput(field, 'must be an object');
  try {
    return JSON.stringify(value);
  } catch (e) {
    throw invalidInput(field, `cannot be written as JSON: ${e.message}`);
  }
}

/** JSON text as the value it holds, or the text itself should it not parse. */
function parsed(document) {
  try {
    return JSON.parse(document);
  } catch {
    return document;
  }
}

const absent = (value) => value ?? null;

// -- going in ---------------------------------------------------------------

const CONFIG_FIELDS = [
  'endpoint',
  'tokenUrl',
  'grant',
  'hostedBaseUrl',
  'source',
  'retry',
  'tokenRefreshMarginS',
  'maxResponseBytes',
  'requestTimeoutMs',
  'interactionAuth',
];
const GRANT_FIELDS = ['clientId', 'clientSecret', 'scope', 'username', 'password'];
const RETRY_FIELDS = Object.keys(RETRY);
const INTERACTION_AUTH = ['customer-token', 'end-user-token'];

/** The WIT `client-config` of a plain configuration. */
export function clientConfig(config) {
  record(config, 'config', CONFIG_FIELDS);
  const endpoint = config.endpoint instanceof URL ? config.endpoint.href : text(config.endpoint, 'config.endpoint');
  const optional = (key, check) => check(config[key], `config.${kebab(key)}`);
  return {
    endpoint: REGIONS.includes(endpoint) ? { tag: 'region', val: endpoint } : { tag: 'base-url', val: endpoint },
    tokenUrl: optional('tokenUrl', optionalText),
    grant: grant(config.grant),
    hostedBaseUrl: optional('hostedBaseUrl', optionalText),
    source: optional('source', optionalText),
    retry: config.retry === undefined || config.retry === null ? undefined : retry(config.retry),
    tokenRefreshMarginS: optional('tokenRefreshMarginS', optionalU32),
    maxResponseBytes: optional('maxResponseBytes', optionalU32),
    requestTimeoutMs: optional('requestTimeoutMs', optionalU32),
    interactionAuth:
      config.interactionAuth === undefined || config.interactionAuth === null
        ? undefined
        : oneOf(config.interactionAuth, 'config.interaction-auth', INTERACTION_AUTH),
  };
}

function grant(value) {
  const field = 'config.grant';
  record(value, field, GRANT_FIELDS);
  const common = {
    clientId: text(value.clientId, `${field}.client-id`),
    clientSecret: text(value.clientSecret, `${field}.client-secret`),
    scope: optionalText(value.scope, `${field}.scope`),
  };
  if (value.username === undefined && value.password === undefined) {
    return { tag: 'client-credentials', val: common };
  }
  return {
    tag: 'password',
    val: {
      ...common,
      username: text(value.username, `${field}.username`),
      password: text(value.password, `${field}.password`),
    },
  };
}

/** A retry policy; fields left out keep their defaults. */
function retry(value) {
  record(value, 'config.retry', RETRY_FIELDS);
  return Object.fromEntries(
    RETRY_FIELDS.map((key) => [key, u32(value[key] ?? RETRY[key], `config.retry.${kebab(key)}`)]),
  );
}

/** An instance id argument. */
export function instanceId(value) {
  return text(value, 'instance-id');
}

/** The WIT `start-request` of `{ resourceId, delivery = 'page', subject? }`. */
export function startRequest(request) {
  record(request, 'request', ['resourceId', 'delivery', 'subject']);
  return {
    resourceId: text(request.resourceId, 'request.resource-id'),
    delivery: oneOf(request.delivery ?? 'page', 'request.delivery', ['page', 'api']),
    subject:
      request.subject === undefined || request.subject === null
        ? undefined
        : jsonObject(request.subject, 'request.subject'),
  };
}

/** The filter keys of a state fetch. */
export function filterKeys(value) {
  return value === undefined ? [] : list(value, 'filter-keys', text);
}

/** The WIT `wait-options`, defaults filled in. */
export function waitOptions({ pollIntervalMs = POLL_INTERVAL_MS, timeoutMs = WAIT_TIMEOUT_MS }) {
  return {
    pollIntervalMs: u32(pollIntervalMs, 'options.poll-interval-ms'),
    timeoutMs: u32(timeoutMs, 'options.timeout-ms'),
  };
}

/** The WIT `submission` of a plain one (as `planSubmission` returns it). */
export function submission(value) {
  const field = 'submission';
  record(value, field, ['instanceId', 'interactionId', 'participants', 'subject']);
  return {
    instanceId: text(value.instanceId, `${field}.instance-id`),
    interactionId: text(value.interactionId, `${field}.interaction-id`),
    participants: list(value.participants, `${field}.participants`, (p, at) => {
      record(p, at, ['domainElementId', 'instruction']);
      return {
        domainElementId: text(p.domainElementId, `${at}.domain-element-id`),
        instruction: optionalText(p.instruction, `${at}.instruction`),
      };
    }),
    subject: jsonObject(value.subject, `${field}.subject`),
  };
}

/** The planner's arguments: the WIT `interaction-step`, answers as JSON text, accepted elements. */
export function planArguments(step, answers, accepted) {
  return [interactionStep(step), jsonObject(answers, 'answers'), list(accepted, 'accepted', acceptedElement)];
}

function acceptedElement(value, field) {
  record(value, field, ['interactionId', 'domainElementId']);
  return {
    interactionId: text(value.interactionId, `${field}.interaction-id`),
    domainElementId: text(value.domainElementId, `${field}.domain-element-id`),
  };
}

const STEP_FIELDS = [
  'instanceId',
  'ready',
  'journeyStatus',
  'interactionId',
  'collects',
  'consumes',
  'outstanding',
  'interaction',
  'raw',
];

/** The WIT `interaction-step` of a step as `fetchInteraction` returned it. */
function interactionStep(value) {
  const field = 'step';
  record(value, field, STEP_FIELDS);
  const status = witStatus(text(value.journeyStatus, `${field}.journey-status`));
  if (value.ready !== true) return { tag: 'not-ready', val: status };
  const requirements = (key) =>
    list(value[key], `${field}.${key}`, (r, at) => ({
      element: elementInput(r, at),
      combinator: optionalText(r.combinator, `${at}.combinator`),
      inputs: r.inputs === undefined ? [] : list(r.inputs, `${at}.inputs`, elementInput),
    }));
  return {
    tag: 'ready',
    val: {
      instanceId: text(value.instanceId, `${field}.instance-id`),
      interactionId: text(value.interactionId, `${field}.interaction-id`),
      journeyStatus: status,
      collects: requirements('collects'),
      consumes: requirements('consumes'),
      outstanding: list(value.outstanding, `${field}.outstanding`, text),
      // A step kept without its text (as the Temporal activities return it) is written again.
      document: value.raw === undefined ? jsonObject(value.interaction, `${field}.interaction`) : text(value.raw, `${field}.raw`),
    },
  };
}

function elementInput(value, field) {
  if (!isObject(value)) throw invalidInput(field, 'must be an object');
  const { recommended } = value;
  if (recommended !== undefined && recommended !== null && typeof recommended !== 'boolean') {
    throw invalidInput(`${field}.recommended`, 'must be a boolean');
  }
  return { ref: text(value.ref, `${field}.ref`), spec: text(value.spec, `${field}.spec`), recommended: recommended ?? undefined };
}

/** The WIT `journey-status` of a status as GBG spells it. */
function witStatus(spelled) {
  const known = Object.keys(STATUSES).find((tag) => STATUSES[tag] === spelled);
  return known ? { tag: known } : { tag: 'other', val: spelled };
}

/** Checks call options: `signal` an AbortSignal, `timeoutMs` a whole number of milliseconds. */
export function callOptions(options, extra = []) {
  if (options === undefined) return {};
  record(options, 'options', ['signal', 'timeoutMs', ...extra]);
  const { signal, timeoutMs } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalidInput('options.signal', 'must be an AbortSignal');
  if (timeoutMs !== undefined) u32(timeoutMs, 'options.timeout-ms');
  return options;
}

// -- coming out -------------------------------------------------------------

/** A token's lifetime. */
export function tokenInfo({ tokenType, expiresInS, expiresAtMs }) {
  return { tokenType, expiresInS: Number(expiresInS), expiresAtMs: Number(expiresAtMs) };
}

/** A started journey. */
export function started({ instanceId, instanceUrl, status, message }) {
  return { instanceId, instanceUrl: absent(instanceUrl), status, message: absent(message) };
}

/** A journey's state: `state` the document, `raw` its text. */
export function journeyState({ instanceId, statusText: status, createdAt, completedAt, document }) {
  return {
    instanceId,
    status,
    createdAt: absent(createdAt),
    completedAt: absent(completedAt),
    state: parsed(document),
    raw: document,
  };
}

/** What an API journey waits on: `ready` with the interaction, or not. */
export function step(instanceId, { tag, val }) {
  if (tag === 'not-ready') return { instanceId, ready: false, journeyStatus: statusText(val) };
  const requirement = ({ element, combinator, inputs }) =>
    combinator === undefined
      ? input(element)
      : { ...input(element), combinator, inputs: inputs.map(input) };
  return {
    instanceId: val.instanceId,
    ready: true,
    journeyStatus: statusText(val.journeyStatus),
    interactionId: val.interactionId,
    collects: val.collects.map(requirement),
    consumes: val.consumes.map(requirement),
    outstanding: val.outstanding,
    interaction: parsed(val.document),
    raw: val.document,
  };
}

function input({ ref, spec, recommended }) {
  return { ref, spec, recommended: absent(recommended) };
}

/** A planned submission, ready for `submitInteraction`; null when there is nothing to send. */
export function plannedSubmission(value) {
  if (value === undefined || value === null) return null;
  return {
    instanceId: value.instanceId,
    interactionId: value.interactionId,
    participants: value.participants.map(({ domainElementId, instruction }) => ({
      domainElementId,
      instruction: absent(instruction),
    })),
    subject: parsed(value.subject),
  };
}
