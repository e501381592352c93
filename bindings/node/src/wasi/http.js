// wasi:http: the requests a component sends pass the client's egress
// allow-list here, then go to the main thread (../transport.js), which sends
// them with Node's HTTP client over keep-alive connections and passes each
// answer back as it arrives. This thread waits for the head and each body
// chunk on the link, so the component's blocking calls never block the
// application's event loop.

import { refusal } from '../egress.js';
import { alwaysReady, closed, fail, IoError, Pollable } from './io.js';

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

// Values of the WIT `result` type nested in a return value.
const ok = (val) => ({ tag: 'ok', val });
const err = (val) => ({ tag: 'err', val });

let nextExchange = 0;

/**
 * The wasi:http imports of one client's component.
 *
 * @param {ReturnType<import('./link.js').createLink>} link
 * @param {ReturnType<import('./io.js').io>} io
 * @param {object} policy
 * @param {Set<string>} policy.allowed the normalised origins the component may reach
 * @param {number} policy.client the client whose `onDenied` hears of refusals
 */
export function http(link, { InputStream, OutputStream }, { allowed, client }) {
  /** One request in flight: its answer's head, body chunks and end, as the main thread reports them. */
  class Exchange {
    id = ++nextExchange;
    head = undefined;
    chunks = [];
    ended = false;
    error = undefined;
    unacknowledged = 0;

    constructor() {
      link.exchanges.set(this.id, this);
    }

    deliver({ head, chunks, end, error }) {
      if (head) this.head = head;
      this.chunks.push(...chunks);
      if (end) this.ended = true;
      if (error) this.error = error;
      if (end || error) link.exchanges.delete(this.id);
    }

    /** Whether the head (or a failure) is there. */
    answered() {
      link.drain();
      return this.head !== undefined || this.error !== undefined;
    }

    /** Whether a read would not block: data, the end or a failure is there. */
    readable() {
      link.drain();
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
        link.post({ type: 'consumed', id: this.id, bytes: this.unacknowledged });
        this.unacknowledged = 0;
      }
      return chunk;
    }

    /** Stops the exchange when the component drops it before its end. */
    abandon() {
      if (link.exchanges.delete(this.id)) {
        link.post({ type: 'abort', id: this.id });
      }
    }
  }

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
        () => link.until(() => exchange.answered()),
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
    link.checkStop();
    const scheme = SCHEMES[request.scheme?.tag];
    const authority = request.authority ?? '';
    const reason = refusal(allowed, scheme, authority);
    if (reason) {
      link.post({ type: 'denied', client, authority, reason });
      fail({ tag: 'HTTP-request-denied' });
    }
    const exchange = new Exchange();
    const body = request.takeBody();
    const send = () =>
      link.post({
        type: 'send',
        id: exchange.id,
        call: link.call,
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

  return {
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
