// Verifies a Standard Webhooks message with the `standardwebhooks` package
// (npm, bindings/node's dev dependency), as an integrator's receiver would.
// Reads {secret, headers, body} as JSON on stdin; prints the verified
// payload as JSON, or exits 1 with the verifier's error.

import { createRequire } from 'node:module';

const require = createRequire(new URL('../../bindings/node/package.json', import.meta.url));
const { Webhook } = require('standardwebhooks');

let input = '';
for await (const chunk of process.stdin) input += chunk;
const { secret, headers, body } = JSON.parse(input);
try {
  const payload = new Webhook(secret).verify(body, headers);
  process.stdout.write(JSON.stringify(payload));
} catch (error) {
  process.stderr.write(`${error.name}: ${error.message}\n`);
  process.exit(1);
}
