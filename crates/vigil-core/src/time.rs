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

/// A virtual clock over another: reads `start` when made, then runs `speed` times as fast as
/// `base`. For scenarios played at their own date and faster than real time.
#[derive(Debug)]
pub struct ScaledClock<C: Clock> {
    base: C,
    base0: UnixTime,
    start: UnixTime,
    speed: f64,
}

impl<C: Clock> ScaledClock<C> {
    /// Starts now (by `base`) at `start`.
    pub fn new(base: C, start: UnixTime, speed: f64) -> Self {
        let base0 = base.now();
        ScaledClock {
            base,
            base0,
            start,
            speed,
        }
    }

    /// How many virtual seconds pass per second of the base clock.
    pub fn speed(&self) -> f64 {
        self.speed
    }
}

impl<C: Clock> Clock for ScaledClock<C> {
    fn now(&self) -> UnixTime {
        UnixTime(self.start.0 + (self.base.now().0 - self.base0.0) * self.speed)
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

    #[test]
    fn scaled_clock_runs_faster_from_its_start() {
        let base = std::sync::Arc::new(ManualClock::new(UnixTime(1000.0)));
        struct Shared(std::sync::Arc<ManualClock>);
        impl Clock for Shared {
            fn now(&self) -> UnixTime {
                self.0.now()
            }
        }
        let c = ScaledClock::new(Shared(base.clone()), UnixTime(1_307_000_000.0), 10.0);
        assert_eq!(c.now(), UnixTime(1_307_000_000.0));
        base.set(UnixTime(1002.5));
        assert_eq!(c.now(), UnixTime(1_307_000_025.0));
    }
}
