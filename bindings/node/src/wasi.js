// The WASI 0.2 imports of the GBG GO component, for the worker thread that
// runs it: exactly what the component imports, and nothing more.
//
// - wasi:http: requests pass the client's egress allow-list here, then go to
//   the main thread (./transport.js), which sends them with Node's HTTP client
//   over keep-alive connections. This thread blocks on `Atomics.wait` until
//   the answer's head or the next body chunk arrives, and takes the messages
//   with `receiveMessageOnPort`, so the component's blocking calls never
//   block the application's event loop.
// - wasi:io: pollables, the request and response body streams, errors.
// - wasi:clocks, wasi:random: Node's clocks and crypto.
// - wasi:cli: no environment, arguments or stdin; stdout and stderr are
//   discarded (the component never logs); `exit` stops the call.

import { randomBytes } from 'node:crypto';
import { receiveMessageOnPort } from 'node:worker_threads';

import { refusal } from './egress.js';

/** The largest request body the component may write, in bytes. */
const MAX_REQUEST_BODY = 16 * 1024 * 1024;

/**
 * Read body bytes are acknowledged to the main thread (which pauses an answer
 * while 1 MiB is unread) in steps of this size, so small answers need none.
 */
const ACK_BYTES = 256 * 1024;

/** Header names the component may not set (wasmtime forbids the same). */
const FORBIDDEN_HEADERS = new Set([
  'connection',
  'host',
  'http2-settings',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
]);

// Values of the WIT `result` and `option` types nested in a return value.
const ok = (val) => ({ tag: 'ok', val });
const err = (val) => ({ tag: 'err', val });

/** Fails an import whose WIT result is `result<_, E>` with `error` (jco lowers a thrown `payload`). */
function fail(error) {
  throw { payload: error };
}

const closed = () => fail({ tag: 'closed' });

/**
 * The imports object for the transpiled component.
 *
 * @param {object} link
 * @param {import('node:worker_threads').MessagePort} link.port this thread's end of the HTTP channel
 * @param {Int32Array} link.signal bumped by the main thread after each message it posts
 * @param {Set<string>} link.allowed the normalised authorities the component may reach
 */
export function wasiImports({ port, signal, allowed }) {
  const exchanges = new Map();
  let nextId = 0;

  /** Hands every message the main thread posted to its exchange; true if there was one. */
  function drain() {
    let any = false;
    for (let received; (received = receiveMessageOnPort(port)); ) {
      any = true;
      exchanges.get(received.message.id)?.deliver(received.message);
    }
    return any;
  }

  /** Blocks until `done()` holds, taking messages as they arrive. */
  function until(done) {
    while (!done()) {
      const seen = Atomics.load(signal, 0);
      if (!drain()) {
        Atomics.wait(signal, 0, seen);
      }
    }
  }

  /** One request in flight: its answer's head, body chunks and end, as the main thread reports them. */
  class Exchange {
    id = ++nextId;
    head = undefined;
    chunks = [];
    ended = false;
    error = undefined;
    unacknowledged = 0;

    constructor() {
      exchanges.set(this.id, this);
    }

    deliver({ head, chunks, end, error }) {
      if (head) this.head = head;
      this.chunks.push(...chunks);
      if (end) this.ended = true;
      if (error) this.error = error;
      if (end || error) exchanges.delete(this.id);
    }

    /** Whether the head (or a failure) is there. */
    answered() {
      drain();
      return this.head !== undefined || this.error !== undefined;
    }

    /** Whether a read would not block: data, the end or a failure is there. */
    readable() {
      drain();
      return this.chunks.length > 0 || this.ended || this.error !== undefined;
    }

    /** Takes up to `len` body bytes (none when nothing has arrived yet). */
    take(len) {
      if (this.chunks.length === 0) {
        if (this.error) fail({ tag: 'last-operation-failed', val: new IoError(this.error) });
        return this.ended ? closed() : new Uint8Array(0);
      }
      let chunk = this.chunks[0];
      if (chunk.length > len) {
        this.chunks[0] = chunk.subarray(len);
        chunk = chunk.subarray(0, len);
      } else {
        this.chunks.shift();
      }
      this.unacknowledged += chunk.length;
      if (this.unacknowledged >= ACK_BYTES) {
        port.postMessage({ type: 'consumed', id: this.id, bytes: this.unacknowledged });
        this.unacknowledged = 0;
      }
      return chunk;
    }

    /** Stops the exchange when the component drops it before its end. */
    abandon() {
      if (exchanges.delete(this.id)) {
        port.postMessage({ type: 'abort', id: this.id });
      }
    }
  }

  // -- wasi:io -------------------------------------------------------------

  class Pollable {
    #ready;
    #block;

    constructor(ready, block) {
      this.#ready = ready;
      this.#block = block;
    }

    ready() {
      return this.#ready();
    }

    block() {
      if (!this.#ready()) this.#block();
    }
  }

  const alwaysReady = () => new Pollable(() => true, () => {});

  const sleepCell = new Int32Array(new SharedArrayBuffer(4));

  /** A pollable that is ready once the monotonic clock reaches `deadline` (ns). */
  function timer(deadline) {
    const left = () => Number(deadline - process.hrtime.bigint()) / 1e6;
    return new Pollable(
      () => left() <= 0,
      () => {
        for (let ms = left(); ms > 0; ms = left()) Atomics.wait(sleepCell, 0, 0, ms);
      },
    );
  }

  class IoError {
    /** The HTTP error code behind this error, if any. */
    code;

    constructor(code) {
      this.code = code;
    }

    toDebugString() {
      return this.code.tag;
    }
  }

  class InputStream {
    #source;

    /** @param {{ take(len: number): any, readable(): boolean, abandon(): void }} source */
    constructor(source) {
      this.#source = source;
    }

    read(len) {
      this.#source.readable();
      return this.#source.take(Number(len));
    }

    blockingRead(len) {
      until(() => this.#source.readable());
      return this.#source.take(Number(len));
    }

    subscribe() {
      return new Pollable(
        () => this.#source.readable(),
        () => until(() => this.#source.readable()),
      );
    }

    [Symbol.dispose]() {
      this.#source.abandon();
    }
  }

  /** stdin: always at its end. */
  const nothing = { take: closed, readable: () => true, abandon() {} };

  class OutputStream {
    #sink;

    /** @param {{ write(bytes: Uint8Array): any, room(): number }} sink */
    constructor(sink) {
      this.#sink = sink;
    }

    checkWrite() {
      return BigInt(this.#sink.room());
    }

    write(contents) {
      return this.#sink.write(contents);
    }

    blockingWriteAndFlush(contents) {
      return this.#sink.write(contents);
    }

    flush() {}

    blockingFlush() {}

    subscribe() {
      return alwaysReady();
    }
  }

  /** stdout and stderr: accepted and dropped. */
  const discard = { write() {}, room: () => 1 << 20 };

  // -- wasi:http -----------------------------------------------------------

  class Fields {
    #entries;
    #immutable = false;

    constructor(entries = []) {
      this.#entries = entries;
    }

    static fromList(entries) {
      for (const [name] of entries) {
        if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) fail({ tag: 'invalid-syntax' });
        if (FORBIDDEN_HEADERS.has(name)) fail({ tag: 'forbidden' });
      }
      return new Fields(entries.map(([name, value]) => [name, Uint8Array.from(value)]));
    }

    /** A read-only copy, as request and response headers are. */
    static frozen(entries) {
      const fields = new Fields(entries);
      fields.#immutable = true;
      return fields;
    }

    get(name) {
      return this.#entries.filter(([n]) => n === name).map(([, value]) => value);
    }

    has(name) {
      return this.#entries.some(([n]) => n === name);
    }

    set(name, values) {
      if (this.#immutable) fail({ tag: 'immutable' });
      const checked = Fields.fromList(values.map((value) => [name, value]));
      this.#entries = [...this.#entries.filter(([n]) => n !== name), ...checked.#entries];
    }

    delete(name) {
      if (this.#immutable) fail({ tag: 'immutable' });
      this.#entries = this.#entries.filter(([n]) => n !== name);
    }

    append(name, value) {
      return this.set(name, [...this.get(name), value]);
    }

    entries() {
      return this.#entries.map(([name, value]) => [name, value]);
    }

    clone() {
      return new Fields(this.entries());
    }
  }

  class OutgoingBody {
    chunks = [];
    size = 0;
    finished = false;
    #stream = undefined;
    /** Called once the body is finished (by `handle`, when it was called first). */
    onFinish = () => {};

    write() {
      if (this.#stream) fail(undefined);
      const body = this;
      this.#stream = new OutputStream({
        room: () => MAX_REQUEST_BODY - body.size,
        write(bytes) {
          if (body.finished || body.size + bytes.length > MAX_REQUEST_BODY) {
            fail({ tag: 'last-operation-failed', val: new IoError({ tag: 'HTTP-request-body-size' }) });
          }
          body.chunks.push(Uint8Array.from(bytes));
          body.size += bytes.length;
        },
      });
      return this.#stream;
    }

    static finish(body) {
      body.finished = true;
      body.onFinish();
    }

    bytes() {
      return Buffer.concat(this.chunks);
    }
  }

  class OutgoingRequest {
    headers;
    method = { tag: 'get' };
    scheme = undefined;
    authority = undefined;
    path = undefined;
    #body = undefined;

    constructor(headers) {
      this.headers = headers.entries();
    }

    body() {
      if (this.#body) fail(undefined);
      this.#body = new OutgoingBody();
      return this.#body;
    }

    /** The body, or an empty, finished one when the component wrote none. */
    takeBody() {
      if (!this.#body) {
        this.#body = new OutgoingBody();
        this.#body.finished = true;
      }
      return this.#body;
    }

    setMethod(method) {
      this.method = method;
    }

    setScheme(scheme) {
      this.scheme = scheme;
    }

    setAuthority(authority) {
      this.authority = authority;
    }

    setPathWithQuery(path) {
      this.path = path;
    }
  }

  class RequestOptions {
    connect = undefined;
    firstByte = undefined;
    betweenBytes = undefined;

    connectTimeout() {
      return this.connect;
    }

    setConnectTimeout(ns) {
      this.connect = ns;
    }

    firstByteTimeout() {
      return this.firstByte;
    }

    setFirstByteTimeout(ns) {
      this.firstByte = ns;
    }

    betweenBytesTimeout() {
      return this.betweenBytes;
    }

    setBetweenBytesTimeout(ns) {
      this.betweenBytes = ns;
    }
  }

  class FutureIncomingResponse {
    #exchange;
    #taken = false;

    constructor(exchange) {
      this.#exchange = exchange;
    }

    subscribe() {
      const exchange = this.#exchange;
      return new Pollable(
        () => exchange.answered(),
        () => until(() => exchange.answered()),
      );
    }

    get() {
      const exchange = this.#exchange;
      if (!exchange.answered()) return undefined;
      if (this.#taken) return err(undefined);
      this.#taken = true;
      if (exchange.head === undefined) return ok(err(exchange.error));
      return ok(ok(new IncomingResponse(exchange)));
    }

    [Symbol.dispose]() {
      if (!this.#taken) this.#exchange.abandon();
    }
  }

  class IncomingResponse {
    #exchange;
    #consumed = false;

    constructor(exchange) {
      this.#exchange = exchange;
    }

    status() {
      return this.#exchange.head.status;
    }

    headers() {
      return Fields.frozen(this.#exchange.head.headers);
    }

    consume() {
      if (this.#consumed) fail(undefined);
      this.#consumed = true;
      return new IncomingBody(this.#exchange);
    }

    [Symbol.dispose]() {
      if (!this.#consumed) this.#exchange.abandon();
    }
  }

  class IncomingBody {
    #exchange;
    #stream = undefined;

    constructor(exchange) {
      this.#exchange = exchange;
    }

    stream() {
      if (this.#stream) fail(undefined);
      this.#stream = new InputStream(this.#exchange);
      return this.#stream;
    }

    static finish(body) {
      body.#exchange.abandon();
      return new FutureTrailers();
    }
  }

  /** Trailers are not passed on: every body ends without them. */
  class FutureTrailers {
    subscribe() {
      return alwaysReady();
    }

    get() {
      return ok(ok(undefined));
    }
  }

  const SCHEMES = { HTTP: 'http', HTTPS: 'https' };
  const ms = (ns) => (ns === undefined ? undefined : Number(ns / 1_000_000n));

  /** wasi:http/outgoing-handler#handle: the allow-list first, then the main thread. */
  function handle(request, options) {
    const scheme = SCHEMES[request.scheme?.tag];
    const authority = request.authority ?? '';
    const reason = refusal(allowed, scheme, authority);
    if (reason) {
      port.postMessage({ type: 'denied', authority, reason });
      fail({ tag: 'HTTP-request-denied' });
    }
    const exchange = new Exchange();
    const body = request.takeBody();
    const send = () =>
      port.postMessage({
        type: 'send',
        id: exchange.id,
        method: request.method.tag === 'other' ? request.method.val : request.method.tag.toUpperCase(),
        url: `${scheme}://${authority}${request.path ?? '/'}`,
        headers: request.headers,
        body: body.bytes(),
        timeouts: {
          connect: ms(options?.connect),
          firstByte: ms(options?.firstByte),
          betweenBytes: ms(options?.betweenBytes),
        },
      });
    if (body.finished) {
      send();
    } else {
      body.onFinish = send;
    }
    return new FutureIncomingResponse(exchange);
  }

  // -- the imports -----------------------------------------------------------

  // Keyed as jco names the interfaces of the `wasi` import (package, interface).
  return {
    ioPoll: { Pollable },
    ioError: { Error: IoError },
    ioStreams: { InputStream, OutputStream },
    clocksMonotonicClock: {
      now: () => process.hrtime.bigint(),
      resolution: () => 1n,
      subscribeInstant: (when) => timer(when),
      subscribeDuration: (ns) => timer(process.hrtime.bigint() + ns),
    },
    clocksWallClock: {
      now: () => {
        const ms = Date.now();
        return { seconds: BigInt(Math.floor(ms / 1000)), nanoseconds: (ms % 1000) * 1_000_000 };
      },
      resolution: () => ({ seconds: 0n, nanoseconds: 1_000_000 }),
    },
    randomRandom: {
      getRandomBytes: (len) => new Uint8Array(randomBytes(Number(len))),
      getRandomU64: () => randomBytes(8).readBigUInt64LE(),
    },
    randomInsecureSeed: {
      insecureSeed: () => {
        const bytes = randomBytes(16);
        return [bytes.readBigUInt64LE(0), bytes.readBigUInt64LE(8)];
      },
    },
    cliEnvironment: { getEnvironment: () => [], getArguments: () => [], initialCwd: () => undefined },
    cliExit: {
      exit: () => {
        // A trap: the instance is dropped and the client starts a fresh one.
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
    httpTypes: {
      Fields,
      OutgoingRequest,
      OutgoingBody,
      RequestOptions,
      FutureIncomingResponse,
      IncomingResponse,
      IncomingBody,
      FutureTrailers,
      httpErrorCode: (error) => error.code,
    },
    httpOutgoingHandler: { handle },
  };
}
