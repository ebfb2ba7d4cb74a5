//! Live control of file replays (the UI's replay controls): pause and play, change the
//! speed, skip ahead to a recorded time. Every file feed of a centre shares one control, so
//! merged recordings stay in step.
//!
//! Skipping ahead replays what lies between as fast as possible (the picture, tracker and
//! rules see every frame, so the result is the same as playing it); going back would need a
//! fresh picture and is not offered.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::sync::Notify;
use vigil_core::UnixTime;

/// Shared by the file feeds of a replay and whoever steers it.
#[derive(Debug)]
pub struct ReplayControl {
    paused: AtomicBool,
    /// Replay speed (f64 bits); 0: as fast as possible.
    speed: AtomicU64,
    /// Recorded time to skip ahead to (f64 bits); 0: none.
    skip_to: AtomicU64,
    /// Latest recorded time sent on (f64 bits).
    position: AtomicU64,
    /// Wakes paused feeds.
    changed: Notify,
}

/// What a replay is doing, for the API.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ReplayStatus {
    /// Paused.
    pub paused: bool,
    /// Recorded seconds per wall second; `None`: as fast as possible.
    pub speed: Option<f64>,
    /// The latest recorded time sent to the picture.
    pub position: Option<f64>,
    /// Skipping ahead to this recorded time.
    pub skipping_to: Option<f64>,
}

impl ReplayControl {
    /// A control at `speed` (`None`: as fast as possible), playing.
    pub fn new(speed: Option<f64>) -> Self {
        ReplayControl {
            paused: AtomicBool::new(false),
            speed: AtomicU64::new(
                speed
                    .filter(|s| s.is_finite() && *s > 0.0)
                    .unwrap_or(0.0)
                    .to_bits(),
            ),
            skip_to: AtomicU64::new(0),
            position: AtomicU64::new(0),
            changed: Notify::new(),
        }
    }

    /// Stops sending frames until [`ReplayControl::play`].
    pub fn pause(&self) {
        self.paused.store(true, Ordering::Release);
        self.changed.notify_waiters();
    }

    /// Sends frames again.
    pub fn play(&self) {
        self.paused.store(false, Ordering::Release);
        self.changed.notify_waiters();
    }

    /// Recorded seconds per wall second; `None` or a non-positive value: as fast as possible.
    pub fn set_speed(&self, speed: Option<f64>) {
        let s = speed.filter(|s| s.is_finite() && *s > 0.0).unwrap_or(0.0);
        self.speed.store(s.to_bits(), Ordering::Release);
        self.changed.notify_waiters();
    }

    /// Skips ahead: frames recorded before `t` go at once.
    pub fn skip_to(&self, t: UnixTime) {
        self.skip_to
            .store(t.0.max(0.0).to_bits(), Ordering::Release);
        self.changed.notify_waiters();
    }

    /// The state now.
    pub fn status(&self) -> ReplayStatus {
        let f =
            |a: &AtomicU64| Some(f64::from_bits(a.load(Ordering::Acquire))).filter(|v| *v > 0.0);
        ReplayStatus {
            paused: self.paused.load(Ordering::Acquire),
            speed: f(&self.speed),
            position: f(&self.position),
            skipping_to: f(&self.skip_to).filter(|s| f(&self.position).is_none_or(|p| p < *s)),
        }
    }

    pub(crate) fn is_paused(&self) -> bool {
        self.paused.load(Ordering::Acquire)
    }

    pub(crate) fn speed(&self) -> Option<f64> {
        Some(f64::from_bits(self.speed.load(Ordering::Acquire))).filter(|s| *s > 0.0)
    }

    /// Whether a frame recorded at `t` is skipped over (sent without waiting).
    pub(crate) fn skipping(&self, t: UnixTime) -> bool {
        t.0 < f64::from_bits(self.skip_to.load(Ordering::Acquire))
    }

    pub(crate) fn sent(&self, t: UnixTime) {
        self.position
            .fetch_max(t.0.max(0.0).to_bits(), Ordering::AcqRel);
    }

    pub(crate) async fn changed(&self) {
        self.changed.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_the_commands() {
        let c = ReplayControl::new(Some(10.0));
        assert_eq!(c.status().speed, Some(10.0));
        c.pause();
        assert!(c.status().paused);
        c.play();
        c.set_speed(None);
        assert_eq!(c.status().speed, None);
        c.sent(UnixTime(100.0));
        c.skip_to(UnixTime(200.0));
        assert!(c.skipping(UnixTime(150.0)));
        assert_eq!(c.status().skipping_to, Some(200.0));
        c.sent(UnixTime(250.0));
        assert_eq!(c.status().skipping_to, None, "reached");
        assert_eq!(c.status().position, Some(250.0));
    }
}
