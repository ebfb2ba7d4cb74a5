//! Per-sensor counters, shared between a source task and whoever reports on it.

use serde::Serialize;
use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};
use vigil_codec::framing::FramingStats;
use vigil_core::{SensorId, UnixTime};

/// What a source is doing now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SensorState {
    /// Not started yet.
    Starting,
    /// Opening the file or connecting to the receiver.
    Connecting,
    /// Reading: the file is open or the connection is up.
    Receiving,
    /// Waiting before the next connection attempt.
    Backoff,
    /// The file has been read to its end.
    Finished,
    /// Gave up (the file could not be read); see `last_error`.
    Failed,
    /// Stopped by the shutdown signal.
    Stopped,
}

/// One sensor's counters. Counts run from process start and never reset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SensorStats {
    /// The sensor's index.
    pub id: SensorId,
    /// The sensor's configured name.
    pub name: String,
    /// `file` or `tcp`.
    pub kind: &'static str,
    /// The file path or `host:port`.
    pub source: String,
    /// The stream format, e.g. `beast` or `csv`.
    pub format: String,
    /// What it is doing now.
    pub state: SensorState,
    /// Bytes read.
    pub bytes: u64,
    /// Items handed to the pipeline.
    pub items: u64,
    /// Framing counters, summed over every connection.
    pub framing: FramingStats,
    /// Successful connections (a file counts one when opened).
    pub connects: u64,
    /// Failed connection attempts.
    pub connect_failures: u64,
    /// Connections that ended (closed by the peer, error, or stall).
    pub disconnects: u64,
    /// Connections dropped because no byte came for `stall_timeout_s`.
    pub stalls: u64,
    /// When the last bytes arrived (from the injected clock).
    pub last_data: Option<UnixTime>,
    /// The latest error, for the status page.
    pub last_error: Option<String>,
}

impl SensorStats {
    /// Zeroed counters for a sensor.
    pub fn new(
        id: SensorId,
        name: &str,
        kind: &'static str,
        source: String,
        format: String,
    ) -> Self {
        Self {
            id,
            name: name.to_owned(),
            kind,
            source,
            format,
            state: SensorState::Starting,
            bytes: 0,
            items: 0,
            framing: FramingStats::default(),
            connects: 0,
            connect_failures: 0,
            disconnects: 0,
            stalls: 0,
            last_data: None,
            last_error: None,
        }
    }
}

/// A shared handle on one sensor's counters. The source task updates it once per chunk read
/// (not per frame), readers take snapshots.
#[derive(Debug, Clone)]
pub struct SensorHandle(Arc<Mutex<SensorStats>>);

impl SensorHandle {
    /// A handle on fresh counters.
    pub fn new(stats: SensorStats) -> Self {
        Self(Arc::new(Mutex::new(stats)))
    }

    /// A copy of the counters now.
    pub fn snapshot(&self) -> SensorStats {
        self.lock().clone()
    }

    /// Changes the counters.
    pub fn update<R>(&self, f: impl FnOnce(&mut SensorStats) -> R) -> R {
        f(&mut self.lock())
    }

    fn lock(&self) -> MutexGuard<'_, SensorStats> {
        // A panic while holding this lock can only have left counters half-updated, which is
        // harmless for statistics: keep going with them rather than poisoning every reader.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Remembers which kinds of error a sensor has already logged, so that a broken feed logs
/// each kind once at `warn` (then at `debug`) instead of once per frame or per retry.
#[derive(Debug, Default)]
pub(crate) struct ErrorOnce(HashSet<&'static str>);

impl ErrorOnce {
    /// True the first time `kind` is seen.
    pub(crate) fn first(&mut self, kind: &'static str) -> bool {
        self.0.insert(kind)
    }
}
