// wasi:cli: what Rust's standard library links, and nothing it could use:
// no environment, arguments or stdin; stdout and stderr are discarded (the
// component never logs); `exit` stops the call.

import { closed } from './io.js';

/** stdin: always at its end. */
const nothing = { take: closed, readable: () => true, abandon() {} };

/** stdout and stderr: accepted and dropped. */
const discard = { write() {}, room: () => 1 << 20 };

/**
 * The wasi:cli imports, with streams of `io`.
 *
 * @param {ReturnType<import('./io.js').io>} io
 */
export function cli({ InputStream, OutputStream }) {
  return {
    cliEnvironment: { getEnvironment: () => [], getArguments: () => [], initialCwd: () => undefined },
    cliExit: {
      exit: () => {
        // A trap: the instance is dropped and the client opens a fresh one.
        throw new WebAssembly.RuntimeError('the component called exit');
      },
    },
    cliStdin: { getStdin: () => new InputStream(nothing) },
    cliStdout: { getStdout: () => new OutputStream(discard) },
    cliStderr: { getStderr: () => new OutputStream(discard) },
    cliTerminalInput: { TerminalInput: class TerminalInput {} },
    cliTerminalOutput: { TerminalOutput: class TerminalOutput {} },
    cliTerminalStdin: { getTerminalStdin: () => undefined },
    cliTerminalStdout: { getTerminalStdout: () => undefined },
    cliTerminalStderr: { getTerminalStderr: () => undefined },
  };
}
