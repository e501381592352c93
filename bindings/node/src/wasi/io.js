// wasi:io: pollables, errors and the byte streams the other packages build
// on (request and response bodies, stdin, stdout, stderr).

/** Fails an import whose WIT result is `result<_, E>` with `error` (jco lowers a thrown `payload`). */
export function fail(error) {
  throw { payload: error };
}

/** The `closed` stream error: the end of a stream. */
export const closed = () => fail({ tag: 'closed' });

/** A pollable: `ready()` says whether it is, `block()` waits until it is. */
export class Pollable {
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

/** A pollable that is always ready. */
export const alwaysReady = () => new Pollable(() => true, () => {});

/** A stream error; `code` is the HTTP error code behind it, if any. */
export class IoError {
  code;

  constructor(code) {
    this.code = code;
  }

  toDebugString() {
    return this.code.tag;
  }
}

/**
 * The wasi:io imports over `link`.
 *
 * @param {ReturnType<import('./link.js').createLink>} link
 */
export function io(link) {
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
      link.until(() => this.#source.readable());
      return this.#source.take(Number(len));
    }

    subscribe() {
      return new Pollable(
        () => this.#source.readable(),
        () => link.until(() => this.#source.readable()),
      );
    }

    [Symbol.dispose]() {
      this.#source.abandon();
    }
  }

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

  return {
    InputStream,
    OutputStream,
    imports: {
      ioPoll: { Pollable },
      ioError: { Error: IoError },
      ioStreams: { InputStream, OutputStream },
    },
  };
}
