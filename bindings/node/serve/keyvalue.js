// `wasi:keyvalue/store@0.2.0-draft` for `jco serve`, whose WASI shims have
// no key-value store. The journey service shares its customer token through
// it (GBG_GO_TOKEN_STORE=keyvalue:<bucket>), so that requests cost one token
// per token lifetime instead of one each.
//
// Buckets live in this Node process's memory, shared by every request the
// component serves (jco serve's default of one instance), and are gone when
// the process ends. jco 1.35's --isolate-requests modes instantiate with its
// own WASI imports only, so they cannot use this module. Values are sealed
// by the component with a key derived from the API credentials; nothing
// here can read them.

/** Every bucket opened so far, by identifier. */
const buckets = new Map();

/** A bucket: a map from keys to byte arrays. */
export class Bucket {
  #entries;

  constructor(entries) {
    this.#entries = entries;
  }

  get(key) {
    const value = this.#entries.get(key);
    return value === undefined ? undefined : new Uint8Array(value);
  }

  set(key, value) {
    this.#entries.set(key, new Uint8Array(value));
  }

  delete(key) {
    this.#entries.delete(key);
  }

  exists(key) {
    return this.#entries.has(key);
  }

  listKeys(_cursor) {
    return { keys: [...this.#entries.keys()], cursor: undefined };
  }
}

/** Opens (creating on first use) the bucket `identifier`. */
export function open(identifier) {
  let entries = buckets.get(identifier);
  if (entries === undefined) {
    entries = new Map();
    buckets.set(identifier, entries);
  }
  return new Bucket(entries);
}

/** The interface object `--jco-map wasi:keyvalue/store=...#store` names. */
export const store = { Bucket, open };
