//! [`Clock`] over WASI's wall clock, monotonic clock and random source.

use std::time::Duration;

use wasi::clocks::{monotonic_clock, wall_clock};

use crate::http::Clock;

/// The host's clocks and randomness.
pub struct WasiClock;

impl Clock for WasiClock {
    fn now_unix_ms(&self) -> u64 {
        let now = wall_clock::now();
        now.seconds
            .saturating_mul(1000)
            .saturating_add(u64::from(now.nanoseconds / 1_000_000))
    }

    fn monotonic_ms(&self) -> u64 {
        monotonic_clock::now() / 1_000_000
    }

    fn sleep(&self, duration: Duration) {
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        if nanos > 0 {
            monotonic_clock::subscribe_duration(nanos).block();
        }
    }

    fn random_u64(&self) -> u64 {
        wasi::random::random::get_random_u64()
    }
}
