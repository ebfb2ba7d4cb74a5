//! The air picture: one entry per aircraft address, built from decoded Mode S / ADS-B replies
//! and SBS messages, with per-field ages, per-sensor counts and expiry.
//!
//! **Architecture invariant:** synchronous and deterministic: time is passed in by the caller
//! (from the injected clock or the recording), never read here.
//!
//! (API skeleton: implementation being written.)

use serde::Serialize;
use vigil_codec::FeedItem;
use vigil_core::{IcaoAddress, LatLon, SensorId, UnixTime};

/// How the picture behaves.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PictureConfig {
    /// Remove an aircraft heard from for none of this many seconds.
    pub expire_after_s: f64,
    /// Reference position (receiver or airfield) for surface positions and first fixes.
    pub reference: Option<LatLon>,
}

impl Default for PictureConfig {
    fn default() -> Self {
        Self { expire_after_s: 300.0, reference: None }
    }
}

/// Counters of what the decoder saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DecodeStats {
    /// Replies accepted.
    pub accepted: u64,
}

/// What one ingested item did to the picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ingested {
    /// The aircraft's entry changed.
    Updated(IcaoAddress),
    /// Accepted but changed nothing visible (e.g. an unknown address on DF4).
    Ignored,
    /// Rejected (bad CRC, unsupported, implausible); counted in [`DecodeStats`].
    Rejected,
}

/// The picture.
#[derive(Debug, Default)]
pub struct Picture {
    config: PictureConfig,
    stats: DecodeStats,
}

impl Picture {
    /// An empty picture.
    pub fn new(config: PictureConfig) -> Self {
        Self { config, stats: DecodeStats::default() }
    }

    /// Applies one framed item received at `now` from `sensor`.
    pub fn ingest(&mut self, _now: UnixTime, _sensor: SensorId, _item: &FeedItem) -> Ingested {
        Ingested::Ignored
    }

    /// Removes aircraft not heard for `expire_after_s`; returns the expired addresses.
    pub fn expire(&mut self, _now: UnixTime) -> Vec<IcaoAddress> {
        Vec::new()
    }

    /// Number of aircraft.
    pub fn len(&self) -> usize {
        0
    }

    /// Whether there are no aircraft.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Decoder counters.
    pub fn stats(&self) -> DecodeStats {
        self.stats
    }

    /// The configuration in force.
    pub fn config(&self) -> &PictureConfig {
        &self.config
    }

    /// One aircraft in the readsb `aircraft.json` schema, or `None` if unknown.
    /// `sensor_names` maps [`SensorId`] index to the sensor's configured name.
    pub fn aircraft_json(&self, _icao: IcaoAddress, _now: UnixTime) -> Option<serde_json::Value> {
        None
    }

    /// The whole picture as readsb / dump1090-fa `aircraft.json`:
    /// `{"now":…, "messages":…, "aircraft":[…]}`.
    pub fn readsb_json(&self, now: UnixTime) -> serde_json::Value {
        serde_json::json!({"now": now.secs(), "messages": self.stats.accepted, "aircraft": []})
    }
}
