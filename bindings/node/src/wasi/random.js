// wasi:random: Node's cryptographic random source, for both interfaces.

import { randomBytes } from 'node:crypto';

/** The wasi:random imports. */
export function random() {
  return {
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
  };
}
