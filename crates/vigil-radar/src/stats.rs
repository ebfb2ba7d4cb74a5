//! Per-sensor and per-output counters, shared between a task and whoever reports on it.

use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use vigil_core::{Geodetic, SensorId, UnixTime};

/// What a source is doing now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RadarState {
    /// Not started yet.
    Starting,
    /// The socket is open; nothing received yet.
    Listening,
    /// Datagrams are arriving (or the file is being read).
    Receiving,
    /// No datagram for `quiet_after_s`.
    Quiet,
    /// The file has been read to its end.
    Finished,
    /// Gave up (the file could not be read); see `last_error`.
    Failed,
    /// Stopped by the shutdown signal.
    Stopped,
}

/// What the radar's service messages (CAT034) and an SDPS's status messages (CAT065) said.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ServiceStatus {
    /// CAT034 north marker messages.
    pub north_markers: u64,
    /// CAT034 sector crossing messages.
    pub sector_crossings: u64,
    /// Time of the last north marker.
    pub last_north_marker: Option<UnixTime>,
    /// Seconds between the last two north markers: the antenna's measured scan period.
    pub measured_scan_period_s: Option<f64>,
    /// Antenna rotation period the radar reports (CAT034 I041), seconds.
    pub rotation_period_s: Option<f64>,
    /// Azimuth of the last sector crossed, degrees.
    pub last_sector_deg: Option<f64>,
    /// Time of the last sector crossing.
    pub last_sector_time: Option<UnixTime>,
    /// Seconds between the last two sector crossings.
    pub sector_interval_s: Option<f64>,
    /// CAT034 I050: the radar is released for operational use (NOGO = 0).
    pub operational: Option<bool>,
    /// CAT034 I050: any overload bit (RDP or transmission) in the last status.
    pub overload: Option<bool>,
    /// CAT034 I050: the radar's time source is invalid.
    pub time_source_invalid: Option<bool>,
    /// CAT034 I120: the position the radar reports for itself.
    pub reported_position: Option<Geodetic>,
    /// CAT065 messages.
    pub sdps_messages: u64,
    /// CAT065 end-of-batch messages.
    pub end_of_batch: u64,
    /// CAT065 I040 NOGO of the last status: 0 operational, 1 degraded, 2 not connected,
    /// 3 unknown.
    pub sdps_nogo: Option<u8>,
    /// CAT065 I020 batch number of the last message.
    pub last_batch_number: Option<u8>,
}

/// What was received and what became of it. Counts run from process start.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Counters {
    /// UDP datagrams (received or read from a capture).
    pub datagrams: u64,
    /// Bytes of ASTERIX (UDP payload or file).
    pub bytes: u64,
    /// Data blocks with a valid header.
    pub blocks: u64,
    /// Records decoded, of every category.
    pub records: u64,
    /// Observations handed to the pipeline.
    pub observations: u64,
    /// Records per category number.
    pub records_by_category: BTreeMap<u8, u64>,
    /// Blocks of categories this sensor does not read, per category number (skipped).
    pub unknown_categories: BTreeMap<u8, u64>,
    /// Malformed input, by kind (`length_mismatch`, `truncated_item`, ...). A bad record
    /// ends its block; the next block is still read.
    pub errors: BTreeMap<&'static str, u64>,
    /// Well-formed records that gave no observation, by reason (`no_radar_position`,
    /// `simulated`, `coasting`, ...).
    pub skipped: BTreeMap<&'static str, u64>,
    /// Records from another SAC/SIC than the configured one (dropped).
    pub other_sources: u64,
    /// Observations dropped because the pipeline was not keeping up (UDP only: files wait).
    pub dropped_observations: u64,
    /// Packets of a capture that were not UDP datagrams (or not to the configured port).
    pub other_packets: u64,
    /// Records per I010 data source (SAC, SIC) seen on the stream, taken or not: what to put
    /// in `sac` / `sic` when several sources share it. In JSON keyed `"SAC/SIC"`.
    #[serde(serialize_with = "by_sac_sic")]
    pub data_sources: BTreeMap<(u8, u8), u64>,
    /// Radar and SDPS service status.
    pub service: ServiceStatus,
}

fn by_sac_sic<S: serde::Serializer>(
    map: &BTreeMap<(u8, u8), u64>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_map(
        map.iter()
            .map(|((sac, sic), n)| (format!("{sac}/{sic}"), n)),
    )
}

impl Counters {
    pub(crate) fn error(&mut self, kind: &'static str) {
        *self.errors.entry(kind).or_default() += 1;
    }

    pub(crate) fn skip(&mut self, reason: &'static str) {
        *self.skipped.entry(reason).or_default() += 1;
    }
}

/// One sensor's state and counters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RadarStats {
    /// The sensor's id.
    pub id: SensorId,
    /// Its configured name.
    pub name: String,
    /// `udp`, `pcap` or `raw`.
    pub kind: &'static str,
    /// The address or path.
    pub source: String,
    /// What it is doing now.
    pub state: RadarState,
    /// When the last bytes arrived (from the injected clock).
    pub last_data: Option<UnixTime>,
    /// The latest error, for the status page.
    pub last_error: Option<String>,
    /// The counters.
    #[serde(flatten)]
    pub counters: Counters,
}

impl RadarStats {
    /// Zeroed counters for a sensor.
    pub fn new(id: SensorId, name: &str, kind: &'static str, source: String) -> Self {
        Self {
            id,
            name: name.to_owned(),
            kind,
            source,
            state: RadarState::Starting,
            last_data: None,
            last_error: None,
            counters: Counters::default(),
        }
    }
}

/// A shared handle on one sensor's counters: the source task updates it once per datagram,
/// readers take snapshots.
#[derive(Debug, Clone)]
pub struct RadarHandle(Arc<Mutex<RadarStats>>);

impl RadarHandle {
    /// A handle on fresh counters.
    pub fn new(stats: RadarStats) -> Self {
        Self(Arc::new(Mutex::new(stats)))
    }

    /// A copy of the counters now.
    pub fn snapshot(&self) -> RadarStats {
        lock(&self.0).clone()
    }

    /// Changes the counters.
    pub fn update<R>(&self, f: impl FnOnce(&mut RadarStats) -> R) -> R {
        f(&mut lock(&self.0))
    }
}

/// A CAT062 output's counters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutputStats {
    /// The output's name.
    pub name: String,
    /// Where it sends.
    pub destination: String,
    /// Update cycles run.
    pub cycles: u64,
    /// Track records sent (end-of-track records included).
    pub records: u64,
    /// End-of-track records sent.
    pub ended_tracks: u64,
    /// Datagrams sent (one data block each).
    pub datagrams: u64,
    /// Bytes sent.
    pub bytes: u64,
    /// Tracks in the last cycle.
    pub active_tracks: usize,
    /// Aircraft that could not be encoded, by reason.
    pub encode_errors: BTreeMap<String, u64>,
    /// Datagrams the socket refused.
    pub send_errors: u64,
    /// When the last cycle ran (picture time).
    pub last_cycle: Option<UnixTime>,
    /// The latest error.
    pub last_error: Option<String>,
}

impl OutputStats {
    /// Zeroed counters for an output.
    pub fn new(name: &str, destination: String) -> Self {
        Self {
            name: name.to_owned(),
            destination,
            cycles: 0,
            records: 0,
            ended_tracks: 0,
            datagrams: 0,
            bytes: 0,
            active_tracks: 0,
            encode_errors: BTreeMap::new(),
            send_errors: 0,
            last_cycle: None,
            last_error: None,
        }
    }
}

/// A shared handle on one output's counters.
#[derive(Debug, Clone)]
pub struct OutputHandle(Arc<Mutex<OutputStats>>);

impl OutputHandle {
    /// A handle on fresh counters.
    pub fn new(stats: OutputStats) -> Self {
        Self(Arc::new(Mutex::new(stats)))
    }

    /// A copy of the counters now.
    pub fn snapshot(&self) -> OutputStats {
        lock(&self.0).clone()
    }

    /// Changes the counters.
    pub fn update<R>(&self, f: impl FnOnce(&mut OutputStats) -> R) -> R {
        f(&mut lock(&self.0))
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding this lock can only have left counters half-updated, which is
    // harmless for statistics: keep going with them rather than poisoning every reader.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Remembers which kinds of trouble a sensor has already logged, so that a broken source logs
/// each kind once at `warn` (then at `debug`) instead of once per record.
#[derive(Debug, Default)]
pub(crate) struct LogOnce(HashSet<&'static str>);

impl LogOnce {
    /// True the first time `kind` is seen.
    pub(crate) fn first(&mut self, kind: &'static str) -> bool {
        self.0.insert(kind)
    }
}
