//! What every source does with framed items: stamp, pace, send, count.

use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use vigil_codec::FeedItem;
use vigil_codec::framing::FramingStats;
use vigil_core::{Clock, SensorId, UnixTime};

use crate::control::ReplayControl;
use crate::stats::{ErrorOnce, SensorHandle, SensorState};
use crate::{FeedBatch, FeedConfig, PreparedFeed, TimeBase, TimedItem};

/// The source must stop: shutdown was signalled or the pipeline has gone.
#[derive(Debug)]
pub(crate) struct Stop;

/// Replay pacing: maps recorded times to instants, at the configured speed or as the
/// replay's control says (see [`ReplayControl`]).
#[derive(Debug)]
struct Pacer {
    /// The configured speed (without a control); `None`: as fast as possible.
    speed: Option<f64>,
    control: Option<Arc<ReplayControl>>,
    /// A recorded time, the instant it was due, and the speed in force since.
    origin: Option<(UnixTime, Instant, f64)>,
}

impl Pacer {
    /// When the item recorded at `t` is due; `None`: now (no pacing, or skipping ahead).
    fn target(&mut self, t: UnixTime) -> Option<Instant> {
        let speed = match &self.control {
            Some(c) if c.skipping(t) => None,
            Some(c) => c.speed(),
            None => self.speed,
        };
        let Some(speed) = speed else {
            self.origin = None;
            return None;
        };
        // A new speed (or the end of a pause or skip) starts a new mapping from here.
        if self.origin.is_some_and(|(_, _, s)| s != speed) {
            self.origin = None;
        }
        let (t0, i0, _) = *self.origin.get_or_insert((t, Instant::now(), speed));
        // A recording that goes back in time is replayed without waiting.
        let ahead = (t.since(t0) / speed).max(0.0);
        Some(i0 + Duration::from_secs_f64(ahead.min(1e9)))
    }
}

/// A paced wait is cut into steps this long, so that a new speed, a pause or a skip takes
/// effect quickly.
const PACE_STEP: Duration = Duration::from_millis(250);

/// Do not sleep for less than this: sleeping has a cost and a coarse timer.
const MIN_SLEEP: Duration = Duration::from_millis(2);

/// Stamps, paces and sends the items of one source, and keeps its counters.
pub(crate) struct Emitter {
    pub(crate) sensor: SensorId,
    pub(crate) name: String,
    time_base: TimeBase,
    tx: mpsc::Sender<FeedBatch>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) cancel: CancellationToken,
    pub(crate) stats: SensorHandle,
    pub(crate) errors: ErrorOnce,
    pacer: Option<Pacer>,
    /// Framing counters of connections that have ended.
    closed_framing: FramingStats,
    /// Items framed from the current chunk, waiting to be sent.
    pending: Vec<(Option<UnixTime>, FeedItem)>,
}

impl Emitter {
    pub(crate) fn new(
        feed: &PreparedFeed,
        tx: mpsc::Sender<FeedBatch>,
        clock: Arc<dyn Clock>,
        cancel: CancellationToken,
        stats: SensorHandle,
        control: Option<Arc<ReplayControl>>,
    ) -> Self {
        let pacer = match &feed.config {
            FeedConfig::File(f) if f.speed.is_some() || control.is_some() => Some(Pacer {
                speed: f.speed,
                control,
                origin: None,
            }),
            FeedConfig::File(_) | FeedConfig::Tcp(_) => None,
        };
        Self {
            sensor: feed.id,
            name: feed.config.name().to_owned(),
            time_base: feed.time_base(),
            tx,
            clock,
            cancel,
            stats,
            errors: ErrorOnce::default(),
            pacer,
            closed_framing: FramingStats::default(),
            pending: Vec::new(),
        }
    }

    /// Records `n` bytes just read.
    pub(crate) fn got_bytes(&mut self, n: usize) {
        let now = self.clock.now();
        self.stats.update(|s| {
            s.bytes += n as u64;
            s.last_data = Some(now);
        });
    }

    /// Collects an item from a decoder's sink.
    pub(crate) fn sink(&mut self) -> impl FnMut(Option<UnixTime>, FeedItem) + '_ {
        |t, item| self.pending.push((t, item))
    }

    pub(crate) fn set_state(&self, state: SensorState) {
        self.stats.update(|s| s.state = state);
    }

    /// Notes an error on the status page, and logs it at `warn` the first time its kind is
    /// seen on this sensor (at `debug` after that). Returns whether it was the first.
    pub(crate) fn error(&mut self, kind: &'static str, message: String) -> bool {
        let first = self.errors.first(kind);
        self.stats.update(|s| s.last_error = Some(message));
        first
    }

    /// Updates the framing counters from the current decoder's, logging framing trouble once.
    pub(crate) fn framing(&mut self, current: FramingStats) {
        let total = crate::format::add_stats(self.closed_framing, current);
        let before = self
            .stats
            .update(|s| std::mem::replace(&mut s.framing, total));
        let grew = total.errors() > before.errors() || total.skipped_bytes > before.skipped_bytes;
        if grew && self.errors.first("framing") {
            tracing::warn!(
                sensor = %self.name,
                skipped_bytes = total.skipped_bytes,
                malformed = total.malformed,
                unknown_type = total.unknown_type,
                bad_escape = total.bad_escape,
                "feed has bytes that do not frame (is `format` right?); counting them in \
                 /data/sensors.json and logging this only once"
            );
        }
    }

    /// The connection (or file) whose decoder gave `last` has ended: keep its counts.
    pub(crate) fn close_framing(&mut self, last: FramingStats) {
        self.closed_framing = crate::format::add_stats(self.closed_framing, last);
        self.stats.update(|s| s.framing = self.closed_framing);
    }

    /// Sends the collected items: stamped, paced when a replay speed is set.
    pub(crate) async fn flush(&mut self) -> Result<(), Stop> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        // Out of `self` while items go, so that sending can borrow `self`; put back below.
        let mut pacer = self.pacer.take();
        let result = self.paced(pending, pacer.as_mut()).await;
        self.pacer = pacer;
        result
    }

    async fn paced(
        &mut self,
        pending: Vec<(Option<UnixTime>, FeedItem)>,
        mut pacer: Option<&mut Pacer>,
    ) -> Result<(), Stop> {
        let mut batch = Vec::with_capacity(pending.len());
        let mut receipt = self.clock.now();
        for (recorded, item) in pending {
            if let (Some(pacer), Some(t)) = (pacer.as_deref_mut(), recorded) {
                let mut waited = false;
                loop {
                    if let Some(c) = pacer.control.clone()
                        && c.is_paused()
                    {
                        self.send(std::mem::take(&mut batch)).await?;
                        while c.is_paused() {
                            tokio::select! {
                                biased;
                                _ = self.cancel.cancelled() => return Err(Stop),
                                () = c.changed() => {}
                                _ = tokio::time::sleep(PACE_STEP) => {}
                            }
                        }
                        pacer.origin = None;
                        waited = true;
                        continue;
                    }
                    let Some(target) = pacer.target(t) else { break };
                    if target <= Instant::now() + MIN_SLEEP {
                        break;
                    }
                    self.send(std::mem::take(&mut batch)).await?;
                    tokio::select! {
                        biased;
                        _ = self.cancel.cancelled() => return Err(Stop),
                        _ = tokio::time::sleep_until(target.min(Instant::now() + PACE_STEP)) => {}
                    }
                    waited = true;
                }
                if waited {
                    receipt = self.clock.now();
                }
                if let Some(c) = &pacer.control {
                    c.sent(t);
                }
            }
            let time = match (self.time_base, recorded) {
                (TimeBase::Recorded, Some(t)) => t,
                _ => receipt,
            };
            batch.push(TimedItem { time, item });
        }
        self.send(batch).await
    }

    async fn send(&mut self, items: Vec<TimedItem>) -> Result<(), Stop> {
        if items.is_empty() {
            return Ok(());
        }
        let n = items.len() as u64;
        let batch = FeedBatch {
            sensor: self.sensor,
            time_base: self.time_base,
            items,
        };
        tokio::select! {
            biased;
            _ = self.cancel.cancelled() => return Err(Stop),
            sent = self.tx.send(batch) => sent.map_err(|_| Stop)?,
        }
        self.stats.update(|s| s.items += n);
        Ok(())
    }

    /// Waits `d`, unless shutdown comes first.
    pub(crate) async fn sleep(&self, d: Duration) -> Result<(), Stop> {
        tokio::select! {
            biased;
            _ = self.cancel.cancelled() => Err(Stop),
            _ = tokio::time::sleep(d) => Ok(()),
        }
    }
}
