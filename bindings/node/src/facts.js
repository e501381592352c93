// The facts of the GBG GO contract this package needs, copied from the Rust
// crate `gbg-go-contract` (wit/contract/src), their one home. The end-to-end
// tests (tests/e2e/runtimes.rs) read this module from the installed package
// and compare every value with the crate's, so a copy cannot drift.

/** This release, as Cargo, npm, PyPI and the WIT package spell it (`identity::VERSION`). */
export const VERSION = '0.3.0';

/** The longest one call may run, in milliseconds; a wait gets its own timeout on top. */
export const CALL_BUDGET_MS = 120_000;

/** Calls one client runs at once, each in its own component instance. */
export const MAX_CONCURRENCY = 4;

/** The pause between two state fetches of a wait, in milliseconds. */
export const POLL_INTERVAL_MS = 2_000;

/** The longest a wait may take, in milliseconds. */
export const WAIT_TIMEOUT_MS = 600_000;

/** The retry policy when none is configured (`defaults::RETRY_*`). */
export const RETRY = Object.freeze({
  maxAttempts: 4,
  initialBackoffMs: 250,
  maxBackoffMs: 5_000,
  maxElapsedMs: 30_000,
});

/** The documented public OAuth token endpoint (`hosts::TOKEN_URL`). */
export const TOKEN_URL = 'https://api.auth.gbgplc.com/as/token.oauth2';

/** The regions with a documented platform host (`hosts::REGIONS`). */
export const REGIONS = Object.freeze(['eu', 'us', 'au']);

/** The API base URL of a region (`hosts::region_base_url`). */
export function regionBaseUrl(region) {
  return `https://${region}.platform.go.gbgplc.com/v2/captain`;
}

/** Journey statuses as GBG spells them (`spellings`), by WIT case. */
export const STATUSES = Object.freeze({
  'in-progress': 'InProgress',
  completed: 'Completed',
  failed: 'Failed',
  paused: 'Paused',
});

/** The GBG spelling of a WIT `journey-status` (`{ tag, val }` as jco gives it). */
export function statusText(status) {
  return status.tag === 'other' ? status.val : STATUSES[status.tag];
}

/**
 * The WIT error kinds in the WIT's order, each with whether the same call,
 * made again later and unchanged, may succeed (`spellings::ErrorKind`).
 */
export const ERROR_KINDS = Object.freeze({
  'invalid-input': { retryable: false },
  'bad-request': { retryable: false },
  unauthorized: { retryable: false },
  forbidden: { retryable: false },
  'not-found': { retryable: false },
  'rate-limited': { retryable: true },
  'server-error': { retryable: true },
  transport: { retryable: true },
  'invalid-response': { retryable: true },
  timeout: { retryable: false },
});
