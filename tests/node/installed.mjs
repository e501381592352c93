// What the Node test scripts share: the `gbg-go` package installed in the
// current directory (as users install it), a client configuration from the
// gbg-go command's variables (GBG_GO_BASE_URL, GBG_GO_TOKEN_URL,
// GBG_GO_CLIENT_ID, GBG_GO_CLIENT_SECRET), and a tally of checked cases.

import { createRequire } from 'node:module';

/** Resolves a package as the project in the current directory does. */
export const resolve = createRequire(`${process.cwd()}/`).resolve;

/** The installed `gbg-go` package. */
export const gbgGo = await import(resolve('gbg-go'));

/** The configuration of a client of the simulator the variables name. */
export const config = {
  endpoint: process.env.GBG_GO_BASE_URL,
  tokenUrl: process.env.GBG_GO_TOKEN_URL,
  grant: { clientId: process.env.GBG_GO_CLIENT_ID, clientSecret: process.env.GBG_GO_CLIENT_SECRET },
};

/**
 * Named cases: `check(name, run)` prints `PASS name` or `FAIL name: why`;
 * `finish()` prints `N passed, N failed` and sets the exit status.
 */
export function cases() {
  let passed = 0;
  let failed = 0;
  return {
    async check(name, run) {
      try {
        await run();
        passed += 1;
        console.log(`PASS ${name}`);
      } catch (e) {
        failed += 1;
        console.log(`FAIL ${name}: ${e.message}`);
      }
    },
    finish() {
      console.log(`${passed} passed, ${failed} failed`);
      process.exitCode = failed === 0 ? 0 : 1;
    },
  };
}
