// `wasi:config/store@0.2.0-rc.1` for `jco serve`, whose WASI shims have no
// config store. jco serve hands the component the whole environment of the
// Node process (wasi:cli/environment), and the journey service reads its
// settings from there when the config store has none; so this store is
// empty, and only satisfies the component's import.

/** The value of `key`: none. */
export function get(_key) {
  return undefined;
}

/** Every key and value: none. */
export function getAll() {
  return [];
}

/** The interface object `--jco-map wasi:config/store=...#store` names. */
export const store = { get, getAll };
