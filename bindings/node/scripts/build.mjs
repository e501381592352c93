// Builds what the package ships: the component, transpiled by jco into
// generated/ (ES module glue, core WebAssembly, .d.ts of the WIT types).
//
// The component is the file named by GBG_GO_COMPONENT when it is set (a
// prebuilt gbg_go_client.wasm), else built from this repository with cargo.
// Run by `npm run build` and by `npm pack` / `npm publish` (prepack).

import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('..', import.meta.url));
const repository = fileURLToPath(new URL('../../..', import.meta.url));

function component() {
  if (process.env.GBG_GO_COMPONENT) {
    return process.env.GBG_GO_COMPONENT;
  }
  const profile = ['--target', 'wasm32-wasip2', '--profile', 'guest'];
  execFileSync('cargo', ['build', '--locked', '-p', 'gbg-go-client', ...profile], {
    cwd: repository,
    stdio: 'inherit',
  });
  const target = process.env.CARGO_TARGET_DIR ?? `${repository}target`;
  return `${target}/wasm32-wasip2/guest/gbg_go_client.wasm`;
}

const wasm = component();
rmSync(`${here}generated`, { recursive: true, force: true });
// Every WASI import is mapped to the `wasi` import object that src/wasi.js
// provides in the worker; instantiation is synchronous, from modules the
// main thread compiled once.
execFileSync(
  'npx',
  ['jco', 'transpile', wasm, '--name', 'gbg-go', '--out-dir', 'generated', '--instantiation', 'sync',
    '--no-wasi-shim', '--map', 'wasi:*=wasi#*', '--quiet'],
  { cwd: here, stdio: 'inherit' },
);
