//! The air picture: one entry per aircraft address, built from decoded Mode S / ADS-B replies
//! and SBS messages, with per-field ages, per-sensor counts and expiry.
//!
//! **Architecture invariant:** synchronous, allocation-free per reply once an aircraft is
//! known, and deterministic: time is passed in by the caller (from the injected clock or the
//! recording), never read here.
//!
//! Addresses recovered from the address/parity overlay (DF0/4/5/16/20/21) are trusted only
//! for aircraft already in the picture from a parity-checked reply (DF11/17/18) or an SBS
//! line: a corrupted overlay reply yields a plausible wrong address, and accepting those
//! fills the picture with ghosts.

mod json;

pub use json::{AircraftJson, PictureJson, SensorJson};

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use vigil_codec::FeedItem;
use vigil_codec::framing::sbs::SbsMessage;
use vigil_codec::modes::cpr::{CprError, CprLimits, CprState};
use vigil_codec::modes::{self, AddressKind, Airspeed, Callsign, DecodeError, Emergency, ModeS};
use vigil_core::{IcaoAddress, LatLon, SensorId, UnixTime};

/// How the picture behaves.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PictureConfig {
    /// Remove an aircraft heard from for none of this many seconds.
    pub expire_after_s: f64,
    /// Reference position (receiver or airfield) for surface positions.
    pub reference: Option<LatLon>,
    /// Highest ground speed a position fix may imply from the last one (km/h); faster
    /// jumps are rejected as CPR decoding errors.
    pub max_speed_kmh: f64,
}

impl Default for PictureConfig {
    fn default() -> Self {
        Self {
            expire_after_s: 300.0,
            reference: None,
            max_speed_kmh: CprLimits::default().max_speed_kmh,
        }
    }
}

/// Counters of what the picture was given and what it did with it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DecodeStats {
    /// Items offered.
    pub received: u64,
    /// Items that updated an aircraft.
    pub accepted: u64,
    /// Replies of a length that fits no downlink format.
    pub bad_length: u64,
    /// Replies that failed the parity check (DF11/17/18).
    pub bad_crc: u64,
    /// Replies of a format the picture does not use (DF19, DF24+).
    pub unsupported: u64,
    /// Overlay-address replies from aircraft not (yet) in the picture.
    pub unknown_address: u64,
    /// Position fixes decoded.
    pub positions: u64,
    /// Position fixes rejected as an impossible jump from the last one.
    pub cpr_implausible: u64,
    /// Position frames that did not combine (zone mismatch, off-cell, out of order).
    pub cpr_inconsistent: u64,
    /// SBS lines without an address.
    pub sbs_no_address: u64,
    /// Aircraft removed by expiry.
    pub expired: u64,
}

/// What one ingested item did to the picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ingested {
    /// The aircraft's entry changed.
    Updated(IcaoAddress),
    /// Accepted but changed nothing (an overlay reply from an unknown address).
    Ignored,
    /// Rejected (bad length or parity, unsupported); counted in [`DecodeStats`].
    Rejected,
}

/// A value with the time it was last set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timed<T> {
    /// The value.
    pub value: T,
    /// When it was last received.
    pub at: UnixTime,
}

fn set<T>(slot: &mut Option<Timed<T>>, value: Option<T>, at: UnixTime) {
    if let Some(value) = value {
        *slot = Some(Timed { value, at });
    }
}

/// What one sensor contributed to one aircraft.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SensorContribution {
    /// The sensor.
    pub sensor: SensorId,
    /// Items from it.
    pub messages: u64,
    /// Last signal level (dBFS), when the feed reports one.
    pub rssi_dbfs: Option<f64>,
    /// When last heard by it.
    pub last_seen: UnixTime,
}

/// Where an aircraft's data comes from, as readsb names it in `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// ADS-B from a DF17 transponder.
    AdsbIcao,
    /// ADS-B from a non-transponder device (DF18 CF=0).
    AdsbIcaoNt,
    /// ADS-B rebroadcast (DF18 CF=6).
    AdsrIcao,
    /// TIS-B (DF18 CF=2).
    TisbIcao,
    /// DF18 with a non-ICAO address.
    AdsbOther,
    /// Mode S only (no extended squitter).
    ModeS,
    /// Only from SBS lines.
    Sbs,
}

impl SourceKind {
    /// The readsb `type` string.
    pub fn readsb_name(self) -> &'static str {
        match self {
            Self::AdsbIcao => "adsb_icao",
            Self::AdsbIcaoNt => "adsb_icao_nt",
            Self::AdsrIcao => "adsr_icao",
            Self::TisbIcao => "tisb_icao",
            Self::AdsbOther => "adsb_other",
            Self::ModeS => "mode_s",
            Self::Sbs => "other",
        }
    }
}

/// One aircraft of the picture.
#[derive(Debug, Clone)]
pub struct Aircraft {
    /// Address.
    pub icao: IcaoAddress,
    /// Not an ICAO address (DF18 anonymous / TIS-B track file).
    pub non_icao: bool,
    /// Best source seen.
    pub source: SourceKind,
    /// First heard.
    pub first_seen: UnixTime,
    /// Last heard.
    pub last_seen: UnixTime,
    /// Items applied.
    pub messages: u64,
    /// Position.
    pub position: Option<Timed<LatLon>>,
    /// Barometric altitude, ft.
    pub alt_baro_ft: Option<Timed<i32>>,
    /// Geometric altitude, ft.
    pub alt_geom_ft: Option<Timed<i32>>,
    /// On the ground.
    pub on_ground: Option<Timed<bool>>,
    /// Ground speed, kt.
    pub gs_kt: Option<Timed<f64>>,
    /// Track over ground, degrees.
    pub track_deg: Option<Timed<f64>>,
    /// Magnetic heading, degrees.
    pub heading_deg: Option<Timed<f64>>,
    /// Airspeed.
    pub airspeed: Option<Timed<Airspeed>>,
    /// Vertical rate, ft/min, and whether barometric.
    pub vert_rate: Option<Timed<(i32, bool)>>,
    /// Flight identification.
    pub callsign: Option<Timed<Callsign>>,
    /// Mode 3/A code, one octal digit per nibble.
    pub squawk: Option<Timed<u16>>,
    /// Emergency / priority status.
    pub emergency: Option<Timed<Emergency>>,
    /// Emitter category (readsb form, 0xA3 = "A3").
    pub category: Option<Timed<u8>>,
    /// ADS-B version.
    pub adsb_version: Option<Timed<u8>>,
    /// Navigation accuracy category for position (NACp).
    pub nac_p: Option<Timed<u8>>,
    /// Navigation accuracy category for velocity (NACv).
    pub nac_v: Option<Timed<u8>>,
    /// Source integrity level.
    pub sil: Option<Timed<u8>>,
    /// Per-sensor contributions.
    pub sensors: Vec<SensorContribution>,
    cpr: CprState,
}

impl Aircraft {
    fn new(icao: IcaoAddress, non_icao: bool, now: UnixTime, source: SourceKind) -> Self {
        Self {
            icao,
            non_icao,
            source,
            first_seen: now,
            last_seen: now,
            messages: 0,
            position: None,
            alt_baro_ft: None,
            alt_geom_ft: None,
            on_ground: None,
            gs_kt: None,
            track_deg: None,
            heading_deg: None,
            airspeed: None,
            vert_rate: None,
            callsign: None,
            squawk: None,
            emergency: None,
            category: None,
            adsb_version: None,
            nac_p: None,
            nac_v: None,
            sil: None,
            sensors: Vec::new(),
            cpr: CprState::default(),
        }
    }

    fn heard(&mut self, now: UnixTime, sensor: SensorId, rssi_dbfs: Option<f64>) {
        self.messages += 1;
        if now.since(self.last_seen) > 0.0 {
            self.last_seen = now;
        }
        match self.sensors.iter_mut().find(|s| s.sensor == sensor) {
            Some(s) => {
                s.messages += 1;
                s.last_seen = now;
                if rssi_dbfs.is_some() {
                    s.rssi_dbfs = rssi_dbfs;
                }
            }
            // Allocates once per aircraft and sensor, not per reply.
            None => self.sensors.push(SensorContribution {
                sensor,
                messages: 1,
                rssi_dbfs,
                last_seen: now,
            }),
        }
    }

    fn apply(&mut self, m: &ModeS, now: UnixTime) {
        set(&mut self.alt_baro_ft, m.alt_baro_ft, now);
        set(&mut self.alt_geom_ft, m.alt_geom_ft, now);
        if let (Some(baro), Some(diff)) = (
            m.alt_baro_ft.or(self.alt_baro_ft.map(|a| a.value)),
            m.geom_minus_baro_ft,
        ) {
            set(&mut self.alt_geom_ft, Some(baro + diff), now);
        }
        set(&mut self.on_ground, m.on_ground, now);
        set(&mut self.gs_kt, m.gs_kt, now);
        set(&mut self.track_deg, m.track_deg, now);
        set(&mut self.heading_deg, m.heading_deg, now);
        set(&mut self.airspeed, m.airspeed, now);
        set(
            &mut self.vert_rate,
            m.vert_rate_fpm.map(|v| (v, m.vert_rate_baro)),
            now,
        );
        set(
            &mut self.callsign,
            m.callsign.filter(Callsign::is_valid),
            now,
        );
        set(&mut self.squawk, m.squawk, now);
        set(&mut self.emergency, m.emergency, now);
        set(&mut self.category, m.category, now);
        set(&mut self.adsb_version, m.adsb_version, now);
        set(&mut self.nac_p, m.nac_p, now);
        set(&mut self.nac_v, m.nac_v, now);
        set(&mut self.sil, m.sil, now);
    }
}

/// Picture key: the address, with bit 24 set for non-ICAO addresses (they live in another
/// address space and may collide with real ones).
fn key(icao: IcaoAddress, non_icao: bool) -> u32 {
    icao.value() | (u32::from(non_icao) << 24)
}

/// The picture.
#[derive(Debug, Default)]
pub struct Picture {
    config: PictureConfig,
    limits: CprLimits,
    aircraft: FxHashMap<u32, Aircraft>,
    stats: DecodeStats,
    sensor_names: Vec<String>,
    /// Last airborne fix of any aircraft: the reference for surface pairs when none is
    /// configured (any position within about 45° resolves their ambiguity).
    auto_reference: Option<LatLon>,
}

impl Picture {
    /// An empty picture.
    pub fn new(config: PictureConfig) -> Self {
        let limits = CprLimits {
            max_speed_kmh: config.max_speed_kmh,
            ..CprLimits::default()
        };
        Self {
            config,
            limits,
            ..Self::default()
        }
    }

    /// Names the sensors for the JSON outputs (index = [`SensorId`]).
    pub fn set_sensor_names(&mut self, names: Vec<String>) {
        self.sensor_names = names;
    }

    /// Applies one framed item received at `now` from `sensor`.
    pub fn ingest(&mut self, now: UnixTime, sensor: SensorId, item: &FeedItem) -> Ingested {
        self.stats.received += 1;
        let r = match item {
            FeedItem::ModeS(f) => self.ingest_reply(now, sensor, f.data(), f.rssi_dbfs()),
            FeedItem::Sbs(m) => self.ingest_sbs(now, sensor, m),
        };
        if let Ingested::Updated(_) = r {
            self.stats.accepted += 1;
        }
        r
    }

    /// Applies one raw Mode S reply (7 or 14 bytes).
    pub fn ingest_reply(
        &mut self,
        now: UnixTime,
        sensor: SensorId,
        data: &[u8],
        rssi_dbfs: Option<f64>,
    ) -> Ingested {
        let m = match modes::decode(data) {
            Ok(m) => m,
            Err(e) => {
                match e {
                    DecodeError::BadLength { .. } => self.stats.bad_length += 1,
                    DecodeError::BadCrc { .. } => self.stats.bad_crc += 1,
                    DecodeError::UnsupportedDf(_) => self.stats.unsupported += 1,
                }
                return Ingested::Rejected;
            }
        };
        let k = key(m.icao, m.non_icao);
        let ac = match m.address {
            AddressKind::Overlay => match self.aircraft.get_mut(&k) {
                Some(ac) => ac,
                None => {
                    self.stats.unknown_address += 1;
                    return Ingested::Ignored;
                }
            },
            AddressKind::Checked => {
                let kind = source_kind(&m, data);
                let ac = self
                    .aircraft
                    .entry(k)
                    .or_insert_with(|| Aircraft::new(m.icao, m.non_icao, now, kind));
                if rank(kind) < rank(ac.source) {
                    ac.source = kind;
                }
                ac
            }
        };
        ac.heard(now, sensor, rssi_dbfs);
        ac.apply(&m, now);
        if let Some(cpr) = m.cpr {
            let reference = self.config.reference.or(self.auto_reference);
            match ac.cpr.decode(&self.limits, now, cpr, reference) {
                Ok(p) => {
                    self.stats.positions += 1;
                    ac.position = Some(Timed { value: p, at: now });
                    if !cpr.surface {
                        self.auto_reference = Some(p);
                    }
                }
                Err(CprError::Implausible) => self.stats.cpr_implausible += 1,
                Err(CprError::Inconsistent | CprError::OutOfOrder) => {
                    self.stats.cpr_inconsistent += 1
                }
                Err(CprError::NeedMore) => {}
            }
        }
        Ingested::Updated(m.icao)
    }

    fn ingest_sbs(&mut self, now: UnixTime, sensor: SensorId, s: &SbsMessage) -> Ingested {
        let Some(icao) = s.icao else {
            self.stats.sbs_no_address += 1;
            return Ingested::Rejected;
        };
        let ac = self
            .aircraft
            .entry(key(icao, false))
            .or_insert_with(|| Aircraft::new(icao, false, now, SourceKind::Sbs));
        ac.heard(now, sensor, None);
        set(
            &mut ac.callsign,
            s.callsign
                .as_deref()
                .map(Callsign::from_text)
                .filter(Callsign::is_valid),
            now,
        );
        set(&mut ac.alt_baro_ft, s.altitude_ft, now);
        set(&mut ac.gs_kt, s.ground_speed_kt, now);
        set(&mut ac.track_deg, s.track_deg, now);
        if let (Some(lat), Some(lon)) = (s.lat, s.lon) {
            let p = LatLon::new(lat, lon);
            if p.is_valid() {
                ac.position = Some(Timed { value: p, at: now });
            }
        }
        set(
            &mut ac.vert_rate,
            s.vertical_rate_fpm.map(|v| (v, true)),
            now,
        );
        set(&mut ac.squawk, s.squawk.map(octal_to_nibbles), now);
        set(&mut ac.on_ground, s.on_ground, now);
        Ingested::Updated(icao)
    }

    /// Removes aircraft not heard for `expire_after_s`; returns the expired addresses.
    pub fn expire(&mut self, now: UnixTime) -> Vec<IcaoAddress> {
        let limit = self.config.expire_after_s;
        let mut gone = Vec::new();
        self.aircraft.retain(|_, a| {
            let keep = now.since(a.last_seen) <= limit;
            if !keep {
                gone.push(a.icao);
            }
            keep
        });
        self.stats.expired += gone.len() as u64;
        gone.sort_unstable();
        gone
    }

    /// Number of aircraft.
    pub fn len(&self) -> usize {
        self.aircraft.len()
    }

    /// Whether there are no aircraft.
    pub fn is_empty(&self) -> bool {
        self.aircraft.is_empty()
    }

    /// One aircraft by ICAO address (ICAO address space).
    pub fn get(&self, icao: IcaoAddress) -> Option<&Aircraft> {
        self.aircraft
            .get(&key(icao, false))
            .or_else(|| self.aircraft.get(&key(icao, true)))
    }

    /// All aircraft, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Aircraft> {
        self.aircraft.values()
    }

    /// Counters.
    pub fn stats(&self) -> DecodeStats {
        self.stats
    }

    /// The configuration in force.
    pub fn config(&self) -> &PictureConfig {
        &self.config
    }

    /// One aircraft as a `serde_json::Value` in the readsb `aircraft.json` schema.
    pub fn aircraft_json(&self, icao: IcaoAddress, now: UnixTime) -> Option<serde_json::Value> {
        let a = self.get(icao)?;
        serde_json::to_value(AircraftJson::new(a, now, &self.sensor_names)).ok()
    }

    /// The whole picture as readsb / dump1090-fa `aircraft.json`, aircraft sorted by address
    /// so equal pictures serialise to equal bytes.
    pub fn snapshot(&self, now: UnixTime) -> PictureJson {
        let mut aircraft: Vec<AircraftJson> = self
            .aircraft
            .values()
            .map(|a| AircraftJson::new(a, now, &self.sensor_names))
            .collect();
        aircraft.sort_by(|a, b| a.hex.cmp(&b.hex));
        PictureJson {
            now: now.secs(),
            messages: self.stats.received,
            aircraft,
        }
    }

    /// [`Picture::snapshot`] as a `serde_json::Value`.
    pub fn readsb_json(&self, now: UnixTime) -> serde_json::Value {
        serde_json::to_value(self.snapshot(now)).unwrap_or(serde_json::Value::Null)
    }
}

/// Lower is better: ADS-B from the aircraft itself first.
fn rank(k: SourceKind) -> u8 {
    match k {
        SourceKind::AdsbIcao => 0,
        SourceKind::AdsbIcaoNt => 1,
        SourceKind::AdsrIcao => 2,
        SourceKind::TisbIcao => 3,
        SourceKind::AdsbOther => 4,
        SourceKind::ModeS => 5,
        SourceKind::Sbs => 6,
    }
}

fn source_kind(m: &ModeS, data: &[u8]) -> SourceKind {
    match m.df {
        17 => SourceKind::AdsbIcao,
        18 if m.non_icao => SourceKind::AdsbOther,
        18 => match data[0] & 7 {
            6 => SourceKind::AdsrIcao,
            2 => SourceKind::TisbIcao,
            _ => SourceKind::AdsbIcaoNt,
        },
        _ => SourceKind::ModeS,
    }
}

/// An SBS squawk (the four digits read as an octal number) in the nibble form.
fn octal_to_nibbles(v: u16) -> u16 {
    ((v >> 9) & 7) << 12 | ((v >> 6) & 7) << 8 | ((v >> 3) & 7) << 4 | (v & 7)
}

#[cfg(test)]
mod tests;
