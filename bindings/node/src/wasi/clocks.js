// wasi:clocks: Node's monotonic and wall clocks. A monotonic pollable's
// wait sleeps on the link, so a call that must stop wakes from it.

import { Pollable } from './io.js';

/**
 * The wasi:clocks imports over `link`.
 *
 * @param {ReturnType<import('./link.js').createLink>} link
 */
export function clocks(link) {
  /** A pollable that is ready once the monotonic clock reaches `deadline` (ns). */
  function timer(deadline) {
    const left = () => Number(deadline - process.hrtime.bigint()) / 1e6;
    return new Pollable(
      () => left() <= 0,
      () => {
        for (let ms = left(); ms > 0; ms = left()) link.sleep(ms);
      },
    );
  }

  return {
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
  };
}
