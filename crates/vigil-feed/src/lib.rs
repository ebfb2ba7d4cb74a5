//! Feed sources: files and TCP connections to receivers, framed into items and sent over a
//! bounded channel, with per-sensor counters.
//!
//! Each configured [`FeedConfig`] is one sensor ([`SensorId`] = its index in the list). A
//! source task reads bytes, frames them with the codec's push parsers (or the recording
//! parser for timestamped recordings), and sends one [`FeedBatch`] per chunk read. Counters
//! live in a [`SensorHandle`] that the status endpoints read.
//!
//! - [`config`]: the typed `[[feed]]` configuration.
//! - [`format`]: which format a file holds, and one decoder over all of them.
//! - [`recording`]: the `unix_ts,hex` CSV and JSON-lines recording formats.
//! - [`stats`]: per-sensor counters.
//!
//! **Architecture invariant:** all I/O and all waiting (reconnect backoff, replay pacing)
//! happen here, in the source tasks. What comes out is plain data stamped with a time, either
//! the recorded one or the injected clock's at receipt, so the pipeline behind the channel
//! never reads a clock or sleeps. One [`CancellationToken`] stops every source.

pub mod config;
pub mod control;
pub mod format;
pub mod recording;
pub mod stats;

mod emit;
mod file;
mod tcp;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use vigil_codec::FeedItem;
use vigil_core::{Clock, SensorId, UnixTime};

pub use config::{FeedConfig, FileFeed, FileFormat, TcpFeed, Timestamps, validate_all};
pub use control::{ReplayControl, ReplayStatus};
pub use format::{StreamDecoder, StreamFormat};
pub use stats::{SensorHandle, SensorState, SensorStats};
pub use tcp::Backoff;

/// What went wrong setting up a feed.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// A value in the feed's configuration is not usable.
    #[error("feed {feed:?}: {reason}")]
    InvalidConfig {
        /// The feed's name.
        feed: String,
        /// What to change.
        reason: String,
    },
    /// The file could not be opened or read.
    #[error("feed {feed:?}: cannot read {}: {source}", path.display())]
    Unreadable {
        /// The feed's name.
        feed: String,
        /// The resolved path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// `format = "auto"` could not tell what the file holds.
    #[error(
        "feed {feed:?}: cannot tell the format of {} from its name or first bytes; \
         set `format` to one of beast, avr, sbs, csv, jsonl",
        path.display()
    )]
    UnknownFormat {
        /// The feed's name.
        feed: String,
        /// The resolved path.
        path: PathBuf,
    },
}

/// Which time the items of a batch carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeBase {
    /// The time written in a recording: the pipeline runs on recorded time.
    Recorded,
    /// The injected clock's time when the bytes were read.
    Receipt,
}

/// One framed item and its time.
#[derive(Debug, Clone, PartialEq)]
pub struct TimedItem {
    /// Recorded or receipt time, see [`FeedBatch::time_base`].
    pub time: UnixTime,
    /// The item.
    pub item: FeedItem,
}

/// The items framed from one chunk read by one sensor, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedBatch {
    /// Which sensor.
    pub sensor: SensorId,
    /// Which time the items carry.
    pub time_base: TimeBase,
    /// The items (never empty).
    pub items: Vec<TimedItem>,
}

/// A feed checked and resolved, ready to spawn.
#[derive(Debug, Clone)]
pub struct PreparedFeed {
    /// The sensor's id (its index in the configuration).
    pub id: SensorId,
    /// Its configuration.
    pub config: FeedConfig,
    /// The resolved file path (file feeds).
    pub path: Option<PathBuf>,
    /// The concrete format.
    pub format: StreamFormat,
}

impl PreparedFeed {
    /// Which time this feed's items carry.
    pub fn time_base(&self) -> TimeBase {
        match &self.config {
            FeedConfig::File(f)
                if f.timestamps == Timestamps::Recorded && self.format.has_timestamps() =>
            {
                TimeBase::Recorded
            }
            _ => TimeBase::Receipt,
        }
    }

    /// Where it reads from: the resolved path or `host:port`.
    pub fn source(&self) -> String {
        match (&self.config, &self.path) {
            (FeedConfig::Tcp(t), _) => t.address.clone(),
            (FeedConfig::File(_), Some(p)) => p.display().to_string(),
            (FeedConfig::File(f), None) => f.path.display().to_string(),
        }
    }
}

/// How many bytes of a file `format = "auto"` looks at.
const SNIFF_BYTES: usize = 512;

/// Checks one feed and resolves its file path (from `base_dir`) and format. Reads the first
/// bytes of a file feed, so an unreadable file is reported here, before anything starts.
pub fn prepare_one(
    id: SensorId,
    config: &FeedConfig,
    base_dir: &Path,
) -> Result<PreparedFeed, FeedError> {
    config.validate()?;
    match config {
        FeedConfig::Tcp(t) => Ok(PreparedFeed {
            id,
            config: config.clone(),
            path: None,
            format: StreamFormat::Raw(t.format),
        }),
        FeedConfig::File(f) => {
            let path = f.resolved_path(base_dir);
            let unreadable = |source| FeedError::Unreadable {
                feed: f.name.clone(),
                path: path.clone(),
                source,
            };
            let mut head = Vec::with_capacity(SNIFF_BYTES);
            std::fs::File::open(&path)
                .and_then(|file| file.take(SNIFF_BYTES as u64).read_to_end(&mut head))
                .map_err(unreadable)?;
            let format = format::resolve_format(f.format, &path, &head).ok_or_else(|| {
                FeedError::UnknownFormat {
                    feed: f.name.clone(),
                    path: path.clone(),
                }
            })?;
            if f.speed.is_some() && !format.has_timestamps() {
                return Err(FeedError::InvalidConfig {
                    feed: f.name.clone(),
                    reason: format!(
                        "`speed` needs a timestamped recording, but {} is {format}",
                        path.display()
                    ),
                });
            }
            // Logs and the status page show the plain path, not `config/../../…`.
            let path = std::fs::canonicalize(&path).unwrap_or(path);
            Ok(PreparedFeed {
                id,
                config: config.clone(),
                path: Some(path),
                format,
            })
        }
    }
}

/// Checks every feed (unique names included) and prepares each, in order: the sensor ids are
/// the indices.
pub fn prepare(configs: &[FeedConfig], base_dir: &Path) -> Result<Vec<PreparedFeed>, FeedError> {
    validate_all(configs)?;
    configs
        .iter()
        .enumerate()
        .map(|(i, c)| {
            // validate_all has checked that the count fits in a u16.
            let id = SensorId(u16::try_from(i).unwrap_or(u16::MAX));
            prepare_one(id, c, base_dir)
        })
        .collect()
}

/// Running sources.
#[derive(Debug)]
pub struct Feeds {
    sensors: Vec<SensorHandle>,
    tasks: Vec<JoinHandle<()>>,
}

impl Feeds {
    /// Starts one task per feed on the current tokio runtime. Items go to `tx`; when the
    /// channel is full a source waits (a TCP receiver then sees its socket buffer fill), so
    /// nothing is dropped silently. `shutdown` stops every task.
    pub fn spawn(
        feeds: Vec<PreparedFeed>,
        tx: mpsc::Sender<FeedBatch>,
        clock: Arc<dyn Clock>,
        shutdown: CancellationToken,
    ) -> Self {
        Self::spawn_controlled(feeds, tx, clock, shutdown, None)
    }

    /// [`Feeds::spawn`], with the file feeds paced by `control` (a replay the UI steers:
    /// pause, speed, skip ahead) instead of their own `speed`.
    pub fn spawn_controlled(
        feeds: Vec<PreparedFeed>,
        tx: mpsc::Sender<FeedBatch>,
        clock: Arc<dyn Clock>,
        shutdown: CancellationToken,
        control: Option<Arc<ReplayControl>>,
    ) -> Self {
        let mut sensors = Vec::with_capacity(feeds.len());
        let mut tasks = Vec::with_capacity(feeds.len());
        for feed in feeds {
            let handle = SensorHandle::new(SensorStats::new(
                feed.id,
                feed.config.name(),
                feed.config.kind(),
                feed.source(),
                feed.format.to_string(),
            ));
            sensors.push(handle.clone());
            let emitter = emit::Emitter::new(
                &feed,
                tx.clone(),
                clock.clone(),
                shutdown.clone(),
                handle,
                control.clone(),
            );
            let task = match (&feed.config, feed.path) {
                (FeedConfig::File(f), Some(path)) => {
                    tokio::spawn(file::run(f.clone(), path, feed.format, emitter))
                }
                (FeedConfig::File(f), None) => {
                    // prepare_one always resolves a file feed's path; fall back to the raw one.
                    tokio::spawn(file::run(f.clone(), f.path.clone(), feed.format, emitter))
                }
                (FeedConfig::Tcp(t), _) => tokio::spawn(tcp::run(t.clone(), emitter)),
            };
            tasks.push(task);
        }
        Self { sensors, tasks }
    }

    /// Handles on every sensor's counters, indexed by [`SensorId`].
    pub fn sensors(&self) -> &[SensorHandle] {
        &self.sensors
    }

    /// Waits for every source task to end (files at their end, everything on shutdown).
    pub async fn join(self) {
        for task in self.tasks {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "feed task ended abnormally");
            }
        }
    }
}
