//! Time and the injected clock.
//!
//! The hot path never reads the wall clock: it is handed a [`Clock`], so a replay of a
//! recording on a [`ManualClock`] gives the same output twice.

use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Seconds since the Unix epoch (UTC), with sub-microsecond resolution for present dates.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnixTime(pub f64);

impl UnixTime {
    /// Seconds since the epoch.
    pub const fn secs(self) -> f64 {
        self.0
    }

    /// `self - earlier`, in seconds (negative when `earlier` is later).
    pub fn since(self, earlier: UnixTime) -> f64 {
        self.0 - earlier.0
    }

    /// This time plus `secs` seconds.
    pub fn plus(self, secs: f64) -> UnixTime {
        UnixTime(self.0 + secs)
    }
}

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> UnixTime;
}

/// The wall clock. Only binaries construct it; libraries take `&dyn Clock`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixTime {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        UnixTime(d.as_secs_f64())
    }
}

/// A clock that moves only when told to: replays and tests. Clones share the same time.
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// A clock standing at `t`.
    pub fn new(t: UnixTime) -> Self {
        Self(Arc::new(AtomicU64::new(t.0.to_bits())))
    }

    /// Sets the time (it may go backwards; callers decide whether that is allowed).
    pub fn set(&self, t: UnixTime) {
        self.0.store(t.0.to_bits(), Ordering::Release);
    }

    /// Moves the time forward by `secs`.
    pub fn advance(&self, secs: f64) {
        let now = self.now();
        self.set(now.plus(secs));
    }
}

impl Clock for ManualClock {
    fn now(&self) -> UnixTime {
        UnixTime(f64::from_bits(self.0.load(Ordering::Acquire)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_is_shared_between_clones() {
        let c = ManualClock::new(UnixTime(100.0));
        let d = c.clone();
        c.advance(2.5);
        assert_eq!(d.now(), UnixTime(102.5));
    }
}
