//! System tracks: estimate, status, identity, quality and lineage.

use serde::{Deserialize, Serialize};
use vigil_core::{IcaoAddress, SensorId, UnixTime};

use crate::filter::Gaussian;
use crate::imm::ImmState;

/// A system track number. Never reused within a tracker, and kept for the life of the track
/// whatever sensors feed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TrackId(pub u64);

/// A party (sovereign participant) owning sensors; its name lives in configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PartyId(pub u16);

/// Track status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrackStatus {
    /// Initiated, not yet confirmed by M hits out of N opportunities.
    Tentative,
    /// Confirmed: part of the picture.
    Confirmed,
}

/// Identity attributes a track has acquired from its observations.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TrackIdentity {
    /// Mode S address.
    pub icao: Option<IcaoAddress>,
    /// Mode 3/A code (octal digits one per nibble).
    pub mode3a: Option<u16>,
    /// Callsign.
    pub callsign: Option<String>,
}

/// One sensor's contribution to a track.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// The sensor.
    pub sensor: SensorId,
    /// Its party.
    pub party: PartyId,
    /// Time of the observation it contributed.
    pub time: UnixTime,
}

/// Most contributions a track remembers (one per sensor).
pub const MAX_CONTRIBUTIONS: usize = 8;

/// Which sensors and parties fed a track during its last update cycle: one entry per sensor,
/// the latest observation of each, entries older than the tracker's lineage window dropped.
/// Fixed-size, so updating it never allocates.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Lineage {
    entries: [Option<Contribution>; MAX_CONTRIBUTIONS],
}

impl Lineage {
    /// Records a contribution, forgetting those older than `window_s` before it.
    pub fn record(&mut self, c: Contribution, window_s: f64) {
        for e in &mut self.entries {
            if let Some(old) = e
                && (old.sensor == c.sensor || c.time.since(old.time) > window_s)
            {
                *e = None;
            }
        }
        // The slot of the oldest entry if all are taken (more sensors than slots in a window).
        let slot = self
            .entries
            .iter()
            .position(Option::is_none)
            .unwrap_or_else(|| {
                let mut oldest = 0;
                for (i, e) in self.entries.iter().enumerate() {
                    if let (Some(a), Some(b)) = (e, self.entries[oldest])
                        && a.time.secs() < b.time.secs()
                    {
                        oldest = i;
                    }
                }
                oldest
            });
        self.entries[slot] = Some(c);
    }

    /// The contributions, most recent first.
    pub fn contributions(&self) -> Vec<Contribution> {
        let mut v: Vec<Contribution> = self.entries.iter().flatten().copied().collect();
        v.sort_by(|a, b| b.time.secs().total_cmp(&a.time.secs()));
        v
    }

    /// Whether `sensor` contributed.
    pub fn has_sensor(&self, sensor: SensorId) -> bool {
        self.entries.iter().flatten().any(|c| c.sensor == sensor)
    }

    /// Whether `party` contributed.
    pub fn has_party(&self, party: PartyId) -> bool {
        self.entries.iter().flatten().any(|c| c.party == party)
    }
}

/// A track's quality figure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrackQuality {
    /// Overall figure in [0, 1]: the recent hit ratio, scaled down as the position
    /// uncertainty grows towards the deletion threshold and as the track coasts.
    pub score: f64,
    /// Fraction of the recent detection opportunities that produced an update.
    pub hit_ratio: f64,
    /// Horizontal position standard deviation (root of the largest eigenvalue of the
    /// horizontal covariance), metres.
    pub sigma_horizontal_m: f64,
    /// Seconds since the last update.
    pub age_s: f64,
}

/// A system track.
#[derive(Debug, Clone)]
pub struct Track {
    pub(crate) id: TrackId,
    pub(crate) status: TrackStatus,
    pub(crate) state: ImmState,
    pub(crate) time: UnixTime,
    pub(crate) created: UnixTime,
    pub(crate) last_update: UnixTime,
    pub(crate) identity: TrackIdentity,
    /// Last update that carried an identity (Mode S address or Mode 3/A).
    pub(crate) last_identified: Option<UnixTime>,
    pub(crate) transponder_lost: bool,
    /// Last ADS-B update (ADS-B receivers count misses only for tracks ADS-B fed recently).
    pub(crate) last_adsb: Option<UnixTime>,
    /// Hit (1) / miss (0) of the last opportunities, newest in bit 0.
    pub(crate) history: u32,
    pub(crate) opportunities: u32,
    pub(crate) updates: u64,
    pub(crate) identity_outliers: u8,
    pub(crate) lineage: Lineage,
}

impl Track {
    /// The system track number.
    pub fn id(&self) -> TrackId {
        self.id
    }

    /// Tentative or confirmed.
    pub fn status(&self) -> TrackStatus {
        self.status
    }

    /// Whether confirmed.
    pub fn is_confirmed(&self) -> bool {
        self.status == TrackStatus::Confirmed
    }

    /// The IMM state at [`Track::time`].
    pub fn state(&self) -> &ImmState {
        &self.state
    }

    /// The combined estimate at [`Track::time`] (position and velocity in the tracker's
    /// local frame).
    pub fn estimate(&self) -> Gaussian<6> {
        self.state.combined()
    }

    /// The time of the estimate (its last update).
    pub fn time(&self) -> UnixTime {
        self.time
    }

    /// When the track was initiated.
    pub fn created(&self) -> UnixTime {
        self.created
    }

    /// When it was last updated.
    pub fn last_update(&self) -> UnixTime {
        self.last_update
    }

    /// Identity attributes.
    pub fn identity(&self) -> &TrackIdentity {
        &self.identity
    }

    /// The aircraft's transponder has gone silent: the track continues on primary-radar
    /// plots (no identity) and none has carried an identity for the configured time.
    pub fn transponder_lost(&self) -> bool {
        self.transponder_lost
    }

    /// Whether the track is coasting at `now`: no update for more than `coast_after_s`.
    pub fn is_coasting(&self, now: UnixTime, coast_after_s: f64) -> bool {
        now.since(self.last_update) > coast_after_s
    }

    /// Number of updates applied.
    pub fn updates(&self) -> u64 {
        self.updates
    }

    /// Sensors and parties of the last update cycle.
    pub fn lineage(&self) -> &Lineage {
        &self.lineage
    }

    /// The quality figure at `now`, with the tracker's deletion thresholds.
    pub fn quality(
        &self,
        now: UnixTime,
        n_window: u32,
        max_sigma_m: f64,
        max_age_s: f64,
    ) -> TrackQuality {
        let n = n_window.clamp(1, 32).min(self.opportunities.max(1));
        let mask = if n >= 32 { u32::MAX } else { (1u32 << n) - 1 };
        let hit_ratio = f64::from((self.history & mask).count_ones()) / f64::from(n);
        let p = self.estimate().p;
        let h = p.fixed_view::<2, 2>(0, 0);
        // Largest eigenvalue of a symmetric 2×2 matrix, closed form.
        let (a, b, d) = (h[(0, 0)], h[(0, 1)], h[(1, 1)]);
        let lmax = 0.5 * (a + d) + (0.25 * (a - d).powi(2) + b * b).sqrt();
        let sigma = lmax.max(0.0).sqrt();
        let age = now.since(self.last_update).max(0.0);
        let score = hit_ratio
            * (1.0 - sigma / max_sigma_m).clamp(0.0, 1.0)
            * (1.0 - age / max_age_s).clamp(0.0, 1.0);
        TrackQuality {
            score,
            hit_ratio,
            sigma_horizontal_m: sigma,
            age_s: age,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn c(sensor: u16, party: u16, t: f64) -> Contribution {
        Contribution {
            sensor: SensorId(sensor),
            party: PartyId(party),
            time: UnixTime(t),
        }
    }

    #[test]
    fn lineage_keeps_one_entry_per_sensor_within_the_window() {
        let mut l = Lineage::default();
        l.record(c(1, 0, 100.0), 10.0);
        l.record(c(2, 0, 101.0), 10.0);
        l.record(c(1, 0, 102.0), 10.0);
        assert_eq!(l.contributions(), vec![c(1, 0, 102.0), c(2, 0, 101.0)]);
        // Sensor 2 falls out of the window; a partner's party appears.
        l.record(c(7, 3, 112.0), 10.0);
        assert_eq!(l.contributions(), vec![c(7, 3, 112.0), c(1, 0, 102.0)]);
        assert!(l.has_party(PartyId(3)) && !l.has_sensor(SensorId(2)));
    }

    #[test]
    fn lineage_overflow_replaces_the_oldest() {
        let mut l = Lineage::default();
        for s in 0..(MAX_CONTRIBUTIONS as u16 + 2) {
            l.record(c(s, 0, 100.0 + f64::from(s)), 1e9);
        }
        let v = l.contributions();
        assert_eq!(v.len(), MAX_CONTRIBUTIONS);
        assert_eq!(v[0].sensor, SensorId(MAX_CONTRIBUTIONS as u16 + 1));
        assert!(!l.has_sensor(SensorId(0)) && !l.has_sensor(SensorId(1)));
    }
}
