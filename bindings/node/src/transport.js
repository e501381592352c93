// The main thread's half of the component's wasi:http: sends the requests a
// worker's component made (already checked against the egress allow-list,
// see ./wasi/http.js) with Node's HTTP client over keep-alive connections, and
// passes each answer back as it arrives: the head, body chunks, the end, or
// the WASI error code of a failure.

import http from 'node:http';
import https from 'node:https';

/** Body bytes passed on but not yet read by the component before the answer is paused. */
const WINDOW = 1024 * 1024;

/** One keep-alive pool per scheme, shared by every client in the process. */
const agents = {
  'http:': new http.Agent({ keepAlive: true, scheduling: 'lifo' }),
  'https:': new https.Agent({ keepAlive: true, scheduling: 'lifo' }),
};

/**
 * Serves one worker's requests.
 *
 * @param {import('node:worker_threads').MessagePort} port this thread's end of the HTTP channel
 * @param {Int32Array} signal bumped and notified after each message posted to the worker
 * @param {(client: number, denial: { authority: string, reason: string }) => void} onDenied
 * @returns {{ stop(call: number): void, close(): void }} how to stop a call's requests (those in
 *   flight are aborted, those it posts later are refused), and to stop serving
 */
export function serve(port, signal, onDenied) {
  const exchanges = new Map();
  let stopped = 0;
  const post = (message) => {
    port.postMessage(message);
    Atomics.add(signal, 0, 1);
    Atomics.notify(signal, 0);
  };
  port.on('message', (message) => {
    switch (message.type) {
      case 'send':
        if (message.call === stopped) {
          // Posted by a call that was stopped before it saw the stop: not sent.
          post({ id: message.id, chunks: [], error: { tag: 'HTTP-request-denied' } });
        } else {
          exchanges.set(message.id, send(message, post, () => exchanges.delete(message.id)));
        }
        break;
      case 'consumed':
        exchanges.get(message.id)?.consumed(message.bytes);
        break;
      case 'abort':
        exchanges.get(message.id)?.abort();
        break;
      case 'denied':
        onDenied(message.client, { authority: message.authority, reason: message.reason });
        break;
    }
  });
  port.unref();
  const abortAll = () => {
    for (const exchange of exchanges.values()) exchange.abort();
  };
  return {
    stop(call) {
      stopped = call;
      abortAll();
    },
    close() {
      abortAll();
      port.close();
    },
  };
}

/** Sends one request; returns how to acknowledge read bytes and how to abort it. */
function send({ id, method, url, headers, body, timeouts }, post, done) {
  const target = new URL(url);
  let timer;
  let unread = 0;
  let over = false;
  // What happened since the last message to the worker: parts of one tick
  // travel together, so a small answer (head, body, end) is one message.
  let outbox;
  const flush = () => {
    if (outbox) post(outbox);
    outbox = undefined;
  };
  const report = ({ head, chunk, end, error }) => {
    if (over) return;
    if (!outbox) {
      outbox = { id, chunks: [] };
      setImmediate(flush);
    }
    if (head) outbox.head = head;
    if (chunk) outbox.chunks.push(chunk);
    if (end || error) {
      Object.assign(outbox, end ? { end } : { error });
      flush();
      stop();
    }
  };
  const stop = () => {
    over = true;
    clearTimeout(timer);
    done();
  };
  const arm = (ms, code) => {
    clearTimeout(timer);
    if (ms !== undefined) {
      timer = setTimeout(() => {
        report({ error: { tag: code } });
        request.destroy();
      }, ms);
    }
  };

  const request = (target.protocol === 'https:' ? https : http).request({
    agent: agents[target.protocol],
    method,
    hostname: target.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: target.port,
    path: target.pathname + target.search,
    headers: headerObject(headers),
  });
  request.on('socket', (socket) => {
    if (socket.connecting) {
      arm(timeouts.connect, 'connection-timeout');
      socket.once('connect', () => arm(timeouts.firstByte, 'connection-read-timeout'));
    } else {
      arm(timeouts.firstByte, 'connection-read-timeout');
    }
  });
  request.on('error', (error) => report({ error: errorCode(error) }));
  request.on('response', (response) => {
    arm(timeouts.betweenBytes, 'connection-read-timeout');
    const raw = response.rawHeaders;
    const fields = [];
    for (let i = 0; i < raw.length; i += 2) {
      fields.push([raw[i].toLowerCase(), new Uint8Array(Buffer.from(raw[i + 1], 'latin1'))]);
    }
    report({ head: { status: response.statusCode, headers: fields } });
    response.on('data', (chunk) => {
      arm(timeouts.betweenBytes, 'connection-read-timeout');
      unread += chunk.length;
      if (unread > WINDOW) response.pause();
      report({ chunk: new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length) });
    });
    response.on('end', () => report({ end: true }));
    response.on('aborted', () => report({ error: { tag: 'HTTP-response-incomplete' } }));
    response.on('error', (error) => report({ error: errorCode(error) }));
  });
  request.end(body);

  return {
    consumed(bytes) {
      unread -= bytes;
      if (unread <= WINDOW && request.res?.isPaused()) request.res.resume();
    },
    abort() {
      stop();
      request.destroy();
    },
  };
}

/** Header entries as Node takes them: one value, or an array for a repeated name. */
function headerObject(entries) {
  const object = {};
  for (const [name, value] of entries) {
    const text = Buffer.from(value).toString('latin1');
    object[name] = name in object ? [object[name], text].flat() : text;
  }
  return object;
}

/** The WASI `error-code` of a Node network error. */
function errorCode(error) {
  const code = error?.code ?? '';
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_NONAME':
    case 'EAI_FAIL':
      return { tag: 'DNS-error', val: { rcode: 'no such host', infoCode: undefined } };
    case 'EAI_AGAIN':
      return { tag: 'DNS-error', val: { rcode: 'temporary failure in name resolution', infoCode: undefined } };
    case 'ECONNREFUSED':
      return { tag: 'connection-refused' };
    case 'ECONNRESET':
    case 'EPIPE':
      return { tag: 'connection-terminated' };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return { tag: 'destination-unavailable' };
    case 'ETIMEDOUT':
      return { tag: 'connection-timeout' };
  }
  if (code.startsWith('HPE_')) return { tag: 'HTTP-protocol-error' };
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS_CERT/.test(code)) return { tag: 'TLS-certificate-error' };
  if (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS')) return { tag: 'TLS-protocol-error' };
  return { tag: 'internal-error', val: error?.message ?? String(error) };
}
