// Builds what the package ships: the component, transpiled into generated/
// (ES module glue, core WebAssembly, .d.ts of the WIT types), and the
// repository's LICENSE beside package.json.
//
// The component is the file named by GBG_GO_COMPONENT when it is set (a
// prebuilt gbg_go_client.wasm, e.g. from `gbg-go component client --out`),
// else built from this repository with cargo. Run by `npm run build` and by
// `npm pack` / `npm publish` (prepack).
//
// The transpiler is `@bytecodealliance/jco-transpile` from this folder's
// node_modules, pinned in package-lock.json, called as a library: the build
// never runs a package by its bare name. 0.1.1 is the last release whose glue
// calls an import directly; later ones route each of the ~30 WASI calls of a
// request through component-model-async task bookkeeping, 0.13 ms per state
// fetch (BENCHMARKS.md, "Node state fetch").

import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('..', import.meta.url));
const repository = fileURLToPath(new URL('../../..', import.meta.url));

if (!existsSync(`${here}node_modules/@bytecodealliance/jco-transpile/package.json`)) {
  console.error(
    'gbg-go build: the transpiler is not installed. Run `npm ci` in bindings/node first ' +
      '(it installs the pinned build tools from package-lock.json).',
  );
  process.exit(1);
}
const { transpile, writeFiles } = await import('@bytecodealliance/jco-transpile');

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
// Every WASI import is mapped to the `wasi` import object that src/wasi/
// provides in the worker; instantiation is synchronous, from modules the
// main thread compiled once.
const { files } = await transpile(wasm, {
  name: 'gbg-go',
  outDir: `${here}generated`,
  instantiation: 'sync',
  noWasiShim: true,
  map: { 'wasi:*': 'wasi#*' },
  quiet: true,
});
await writeFiles(files);
copyFileSync(`${repository}LICENSE`, `${here}LICENSE`);
