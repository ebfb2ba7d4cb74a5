//! The link's protobuf schema and the checked conversion of inbound messages.
//!
//! Outbound, [`encode_data`] turns a released [`Outbound`] into its kind and payload bytes
//! (the bytes both ledgers hash) and the `*_envelope` helpers wrap payloads and control
//! messages. Inbound, [`decode_envelope`] (raw bytes) and [`check`] (an envelope tonic has
//! already decoded) refuse anything the model cannot hold or a sane partner would not send,
//! each with its own [`WireError`] (whose [`WireError::name`] labels a counter): outside
//! bytes never panic and never reach the picture unchecked.
//!
//! Encoding is deterministic (prost writes fields in number order and the schema has no
//! maps), so the same message always gives the same payload. One caveat of proto3: a plain
//! (non-`optional`) `double` equal to zero is not written, so `-0.0` in such a field
//! (a time, a latitude, a velocity component) arrives as `+0.0`; every other value,
//! including `-0.0` in an `optional` field, arrives bit for bit.
//!
//! Enumerations travel as their names, the same names their serde forms use (so the JSON
//! API and the wire agree): indicator kinds `snake_case` (`squawk_7500`), categories
//! upper case (`SUSPECTED`), hand-over stages `snake_case` (`request`).

/// Generated from `proto/vigil/link/v1/link.proto`.
#[allow(missing_docs, clippy::all)]
pub mod pb {
    tonic::include_proto!("vigil.link.v1");
}

use prost::Message as _;
use vigil_core::{IcaoAddress, LatLon, UnixTime};
use vigil_incident::IncidentId;
use vigil_ledger::{Checkpoint, ExchangeDigest};
use vigil_release::{
    AlertOut, HandoverOut, HandoverStage, Identity, ImpactOut, IncidentOut, LaunchWarningOut,
    LineageEntry, MissileTrackOut, Origin, Outbound, StateEstimate, StationAlarmOut, Subject,
    TrackOut, Velocity,
};
use vigil_renegade::indicator::ALL_KINDS;
use vigil_renegade::{Callsign, Category, IndicatorKind};

/// The schema version this end speaks (`Hello.schema_version`).
pub const SCHEMA_VERSION: u32 = 1;

/// Largest envelope accepted (bytes); tonic's decoder limit is set to this too.
pub const MAX_ENVELOPE_BYTES: usize = 64 * 1024;

/// Longest identifier-like string (party, centre, sensor, action, state...), bytes.
pub const MAX_STRING_BYTES: usize = 256;

/// Longest free text (alert detail, incident reason and remark, hand-over remark), bytes.
pub const MAX_TEXT_BYTES: usize = 2048;

/// Longest link, party or centre name in a hello or a checkpoint, bytes.
pub const MAX_NAME_BYTES: usize = 64;

/// Lowest altitude accepted, feet (below the Dead Sea shore with margin).
pub const MIN_ALT_FT: f64 = -2_000.0;

/// Highest altitude accepted, feet.
pub const MAX_ALT_FT: f64 = 100_000.0;

/// Speeds at or above this (m/s, the norm of the three components) are refused: no aircraft
/// the link reports flies at Mach 6.
pub const MAX_SPEED_MPS: f64 = 2_000.0;

/// The same limit for ballistic objects: above Earth's escape velocity (11.2 km/s) nothing
/// is ballistic any more.
pub const MAX_MISSILE_SPEED_MPS: f64 = 12_000.0;

/// Length of a SHA-256 hash or exchange digest in a checkpoint.
const HASH_BYTES: usize = 32;

/// Length of an ed25519 signature.
const SIGNATURE_BYTES: usize = 64;

/// Why an inbound envelope or payload was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WireError {
    /// The envelope is larger than [`MAX_ENVELOPE_BYTES`].
    #[error("envelope of {len} bytes exceeds the limit of {MAX_ENVELOPE_BYTES}")]
    TooLarge {
        /// Its size in bytes.
        len: usize,
    },
    /// The bytes are not a valid protobuf message of the expected type.
    #[error("protobuf decode error: {0}")]
    Decode(#[from] prost::DecodeError),
    /// The envelope has no body (hello, data, heartbeat or checkpoint).
    #[error("envelope has no body")]
    MissingBody,
    /// A data message has sequence number 0 (data is numbered from 1).
    #[error("data message with sequence number 0")]
    DataSeqZero,
    /// A control message has a sequence number (control messages are not sequenced).
    #[error("{body} with sequence number {seq}, expected 0")]
    ControlSeq {
        /// Which control message.
        body: &'static str,
        /// The sequence number it carried.
        seq: u64,
    },
    /// The data kind is not one this end knows (or is `KIND_UNSPECIFIED`).
    #[error("unknown data kind {0}")]
    UnknownKind(i32),
    /// A required sub-message is absent.
    #[error("missing {0}")]
    Missing(&'static str),
    /// A number is NaN or infinite.
    #[error("{0} is not finite")]
    NotFinite(&'static str),
    /// A number is outside its range.
    #[error("{field} = {value} is out of range")]
    OutOfRange {
        /// Which field.
        field: &'static str,
        /// Its value.
        value: f64,
    },
    /// A string is longer than its limit.
    #[error("{field} is {len} bytes long, more than {max}")]
    TooLong {
        /// Which field.
        field: &'static str,
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not a renegade category name.
    #[error("unknown category {0:?}")]
    UnknownCategory(String),
    /// Not an indicator kind name.
    #[error("unknown indicator kind {0:?}")]
    UnknownIndicator(String),
    /// Not a hand-over stage name.
    #[error("unknown hand-over stage {0:?}")]
    UnknownStage(String),
    /// An ICAO address wider than 24 bits.
    #[error("ICAO address {0:#x} exceeds 24 bits")]
    IcaoRange(u32),
    /// A Mode 3/A code with a digit above 7 (codes are kept one hex digit per code digit).
    #[error("squawk {0:#x} is not a Mode 3/A code (four digits 0 to 7, one per hex digit)")]
    SquawkRange(u32),
    /// A callsign that is not 1 to 8 upper-case ASCII letters and digits.
    #[error("invalid callsign {0:?}")]
    BadCallsign(String),
    /// A hash or signature of the wrong length in a checkpoint.
    #[error("{field} is {len} bytes, expected {expected}")]
    BadLength {
        /// Which field.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The length it must have.
        expected: usize,
    },
    /// The partner speaks another schema version.
    #[error("partner offered schema version {offered}, this end speaks {SCHEMA_VERSION}")]
    SchemaVersion {
        /// The version offered in its hello.
        offered: u32,
    },
    /// A link, party or centre name that is not a valid name.
    #[error("{field} {value:?} is not a valid name")]
    BadName {
        /// Which field.
        field: &'static str,
        /// The name (at most [`MAX_STRING_BYTES`] of it).
        value: String,
    },
}

impl WireError {
    /// A short stable label, for counters and logs.
    pub fn name(&self) -> &'static str {
        match self {
            WireError::TooLarge { .. } => "too_large",
            WireError::Decode(_) => "decode",
            WireError::MissingBody => "missing_body",
            WireError::DataSeqZero => "data_seq_zero",
            WireError::ControlSeq { .. } => "control_seq",
            WireError::UnknownKind(_) => "unknown_kind",
            WireError::Missing(_) => "missing_field",
            WireError::NotFinite(_) => "not_finite",
            WireError::OutOfRange { .. } => "out_of_range",
            WireError::TooLong { .. } => "too_long",
            WireError::UnknownCategory(_) => "unknown_category",
            WireError::UnknownIndicator(_) => "unknown_indicator",
            WireError::UnknownStage(_) => "unknown_stage",
            WireError::IcaoRange(_) => "icao_range",
            WireError::SquawkRange(_) => "squawk_range",
            WireError::BadCallsign(_) => "bad_callsign",
            WireError::BadLength { .. } => "bad_length",
            WireError::SchemaVersion { .. } => "schema_version",
            WireError::BadName { .. } => "bad_name",
        }
    }
}

/// The ledger's kind string for a data kind: "track", "alert", "incident", "handover"
/// (`"unspecified"` for `KIND_UNSPECIFIED`, which [`check`] never lets through).
pub fn kind_name(kind: pb::Kind) -> &'static str {
    match kind {
        pb::Kind::Unspecified => "unspecified",
        pb::Kind::Track => "track",
        pb::Kind::Alert => "alert",
        pb::Kind::Incident => "incident",
        pb::Kind::Handover => "handover",
        pb::Kind::MissileTrack => "missile_track",
        pb::Kind::LaunchWarning => "launch_warning",
        pb::Kind::StationAlarm => "station_alarm",
    }
}

// ---------------------------------------------------------------------------------------
// Outbound: model to protobuf.

/// Encodes a released data message: its kind and the payload bytes (the encoded
/// TrackUpdate / Alert / IncidentTransition / Handover). `None` for `Outbound::Heartbeat`
/// (not data).
pub fn encode_data(msg: &Outbound) -> Option<(pb::Kind, Vec<u8>)> {
    match msg {
        Outbound::Track(t) => Some((pb::Kind::Track, track_to_pb(t).encode_to_vec())),
        Outbound::Alert(a) => Some((pb::Kind::Alert, alert_to_pb(a).encode_to_vec())),
        Outbound::IncidentTransition(i) => {
            Some((pb::Kind::Incident, incident_to_pb(i).encode_to_vec()))
        }
        Outbound::Handover(h) => Some((pb::Kind::Handover, handover_to_pb(h).encode_to_vec())),
        Outbound::Heartbeat(_) => None,
        Outbound::MissileTrack(m) => {
            Some((pb::Kind::MissileTrack, missile_to_pb(m).encode_to_vec()))
        }
        Outbound::LaunchWarning(w) => Some((
            pb::Kind::LaunchWarning,
            launch_warning_to_pb(w).encode_to_vec(),
        )),
        Outbound::StationAlarm(a) => Some((
            pb::Kind::StationAlarm,
            station_alarm_to_pb(a).encode_to_vec(),
        )),
    }
}

fn velocity_to_pb(v: &Velocity) -> pb::Velocity {
    pb::Velocity {
        east_mps: v.east_mps,
        north_mps: v.north_mps,
        up_mps: v.up_mps,
    }
}

fn lineage_to_pb(l: &[LineageEntry]) -> Vec<pb::LineageEntry> {
    l.iter()
        .map(|l| pb::LineageEntry {
            sensor: l.sensor.clone(),
            party: l.party.clone(),
        })
        .collect()
}

fn missile_to_pb(m: &MissileTrackOut) -> pb::MissileTrack {
    pb::MissileTrack {
        id: m.id,
        time: m.time.0,
        origin: Some(origin_to_pb(&m.origin)),
        object: m.object.clone(),
        phase: m.phase.clone(),
        lat: m.lat,
        lon: m.lon,
        alt_m: m.alt_m,
        velocity: m.velocity.as_ref().map(velocity_to_pb),
        state_ecef: m
            .estimate
            .as_ref()
            .map(|e| e.ecef.to_vec())
            .unwrap_or_default(),
        cov_upper: m
            .estimate
            .as_ref()
            .map(|e| e.cov_upper.to_vec())
            .unwrap_or_default(),
        impact: m.impact.map(|i| pb::Impact {
            lat: i.lat,
            lon: i.lon,
            time: i.time.0,
            semi_major_m: i.semi_major_m,
            semi_minor_m: i.semi_minor_m,
            orientation_deg: i.orientation_deg,
        }),
        launch_lat: m.launch.map(|p| p.lat),
        launch_lon: m.launch.map(|p| p.lon),
        lineage: lineage_to_pb(&m.lineage),
    }
}

fn launch_warning_to_pb(w: &LaunchWarningOut) -> pb::LaunchWarning {
    pb::LaunchWarning {
        id: w.id,
        time: w.time.0,
        origin: Some(origin_to_pb(&w.origin)),
        launch_time: w.launch_time.0,
        lat: w.lat,
        lon: w.lon,
        radius_m: w.radius_m,
        azimuth_deg: w.azimuth_deg,
    }
}

fn station_alarm_to_pb(a: &StationAlarmOut) -> pb::StationAlarm {
    pb::StationAlarm {
        alarm: a.alarm,
        seq: a.seq,
        time: a.time.0,
        origin: Some(origin_to_pb(&a.origin)),
        station: a.station.clone(),
        zone: a.zone.clone(),
        state: a.state.clone(),
        level: a.level.clone(),
        body_location: a.body_location.clone(),
        sensor_kinds: a.sensor_kinds.clone(),
        remark: a.remark.clone(),
    }
}

fn origin_to_pb(o: &Origin) -> pb::Origin {
    pb::Origin {
        party: o.party.clone(),
        centre: o.centre.clone(),
    }
}

/// An all-empty identity is left out (the decoder reads an absent one as empty).
fn identity_to_pb(i: &Identity) -> Option<pb::Identity> {
    if *i == Identity::default() {
        return None;
    }
    Some(pb::Identity {
        icao: i.icao.map(IcaoAddress::value),
        squawk: i.squawk.map(u32::from),
        callsign: i.callsign.map(|c| c.as_str().to_owned()),
    })
}

fn subject_to_pb(s: &Subject) -> pb::Subject {
    pb::Subject {
        track: s.track,
        lat: s.lat,
        lon: s.lon,
        alt_ft: s.alt_ft,
        identity: identity_to_pb(&s.identity),
        military: s.military,
        origin: Some(origin_to_pb(&s.origin)),
    }
}

fn track_to_pb(t: &TrackOut) -> pb::TrackUpdate {
    pb::TrackUpdate {
        id: t.id,
        time: t.time.0,
        lat: t.lat,
        lon: t.lon,
        alt_ft: t.alt_ft,
        velocity: t.velocity.as_ref().map(velocity_to_pb),
        identity: identity_to_pb(&t.identity),
        military: t.military,
        origin: Some(origin_to_pb(&t.origin)),
        lineage: lineage_to_pb(&t.lineage),
        transponder_lost: t.transponder_lost,
        category: t.category.map(|c| c.name().to_owned()),
    }
}

fn alert_to_pb(a: &AlertOut) -> pb::Alert {
    pb::Alert {
        id: a.id,
        subject: Some(subject_to_pb(&a.subject)),
        kind: a.kind.name().to_owned(),
        started: a.started.0,
        raised: a.raised.0,
        cleared: a.cleared.map(|t| t.0),
        value: a.value,
        detail: a.detail.clone(),
    }
}

/// A level index as the schema's `uint32`. Workflow ladders have a handful of levels, so
/// the saturation never happens in practice; it only keeps encoding total.
fn level_to_pb(level: usize) -> u32 {
    u32::try_from(level).unwrap_or(u32::MAX)
}

fn incident_to_pb(i: &IncidentOut) -> pb::IncidentTransition {
    pb::IncidentTransition {
        incident: i.incident.0,
        seq: i.seq,
        at: i.at.0,
        action: i.action.clone(),
        from_state: i.from_state.clone(),
        to_state: i.to_state.clone(),
        from_level: level_to_pb(i.from_level),
        to_level: level_to_pb(i.to_level),
        actor: i.actor.clone(),
        reason: i.reason.clone(),
        remark: i.remark.clone(),
        subject: Some(subject_to_pb(&i.subject)),
    }
}

/// Every hand-over stage (the model has no list of its own).
const STAGES: [HandoverStage; 4] = [
    HandoverStage::Request,
    HandoverStage::Accept,
    HandoverStage::Refuse,
    HandoverStage::Complete,
];

/// A stage's name: its serde name (`rename_all = "snake_case"`; the test
/// `enum_names_match_serde` keeps the two equal).
fn stage_name(s: HandoverStage) -> &'static str {
    match s {
        HandoverStage::Request => "request",
        HandoverStage::Accept => "accept",
        HandoverStage::Refuse => "refuse",
        HandoverStage::Complete => "complete",
    }
}

fn handover_to_pb(h: &HandoverOut) -> pb::Handover {
    pb::Handover {
        id: h.id,
        subject: Some(subject_to_pb(&h.subject)),
        at: h.at.0,
        stage: stage_name(h.stage).to_owned(),
        from_party: h.from_party.clone(),
        to_party: h.to_party.clone(),
        point_lat: h.point.map(|p| p.lat),
        point_lon: h.point.map(|p| p.lon),
        remark: h.remark.clone(),
    }
}

// ---------------------------------------------------------------------------------------
// Inbound: protobuf to model, checked.

/// Decodes and validates a data payload of `kind` into the typed message.
pub fn decode_data(kind: i32, payload: &[u8]) -> Result<Outbound, WireError> {
    if payload.len() > MAX_ENVELOPE_BYTES {
        return Err(WireError::TooLarge { len: payload.len() });
    }
    match known_kind(kind)? {
        pb::Kind::Track => Ok(Outbound::Track(track_from_pb(pb::TrackUpdate::decode(
            payload,
        )?)?)),
        pb::Kind::Alert => Ok(Outbound::Alert(alert_from_pb(pb::Alert::decode(payload)?)?)),
        pb::Kind::Incident => Ok(Outbound::IncidentTransition(incident_from_pb(
            pb::IncidentTransition::decode(payload)?,
        )?)),
        pb::Kind::Handover => Ok(Outbound::Handover(handover_from_pb(pb::Handover::decode(
            payload,
        )?)?)),
        pb::Kind::MissileTrack => Ok(Outbound::MissileTrack(missile_from_pb(
            pb::MissileTrack::decode(payload)?,
        )?)),
        pb::Kind::LaunchWarning => Ok(Outbound::LaunchWarning(launch_warning_from_pb(
            pb::LaunchWarning::decode(payload)?,
        )?)),
        pb::Kind::StationAlarm => Ok(Outbound::StationAlarm(station_alarm_from_pb(
            pb::StationAlarm::decode(payload)?,
        )?)),
        // `known_kind` never returns it.
        pb::Kind::Unspecified => Err(WireError::UnknownKind(kind)),
    }
}

/// The data kind of a wire value; unknown values and `KIND_UNSPECIFIED` are refused.
fn known_kind(kind: i32) -> Result<pb::Kind, WireError> {
    match pb::Kind::try_from(kind) {
        Ok(pb::Kind::Unspecified) | Err(_) => Err(WireError::UnknownKind(kind)),
        Ok(k) => Ok(k),
    }
}

fn finite(field: &'static str, v: f64) -> Result<f64, WireError> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(WireError::NotFinite(field))
    }
}

fn in_range(field: &'static str, v: f64, lo: f64, hi: f64) -> Result<f64, WireError> {
    let v = finite(field, v)?;
    if (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(WireError::OutOfRange { field, value: v })
    }
}

fn time(field: &'static str, v: f64) -> Result<UnixTime, WireError> {
    finite(field, v).map(UnixTime)
}

fn lat(field: &'static str, v: f64) -> Result<f64, WireError> {
    in_range(field, v, -90.0, 90.0)
}

fn lon(field: &'static str, v: f64) -> Result<f64, WireError> {
    in_range(field, v, -180.0, 180.0)
}

fn alt(field: &'static str, v: Option<f64>) -> Result<Option<f64>, WireError> {
    v.map(|a| in_range(field, a, MIN_ALT_FT, MAX_ALT_FT))
        .transpose()
}

fn limited(field: &'static str, s: String, max: usize) -> Result<String, WireError> {
    if s.len() > max {
        Err(WireError::TooLong {
            field,
            len: s.len(),
            max,
        })
    } else {
        Ok(s)
    }
}

fn short(field: &'static str, s: String) -> Result<String, WireError> {
    limited(field, s, MAX_STRING_BYTES)
}

fn text(field: &'static str, s: Option<String>) -> Result<Option<String>, WireError> {
    s.map(|s| limited(field, s, MAX_TEXT_BYTES)).transpose()
}

fn origin_from_pb(field: &'static str, o: Option<pb::Origin>) -> Result<Origin, WireError> {
    let o = o.ok_or(WireError::Missing(field))?;
    Ok(Origin {
        party: short("origin.party", o.party)?,
        centre: short("origin.centre", o.centre)?,
    })
}

fn identity_from_pb(i: Option<pb::Identity>) -> Result<Identity, WireError> {
    let Some(i) = i else {
        return Ok(Identity::default());
    };
    let icao = match i.icao {
        Some(v) if v > 0x00FF_FFFF => return Err(WireError::IcaoRange(v)),
        v => v.map(IcaoAddress::new),
    };
    let squawk = i
        .squawk
        .map(|v| match u16::try_from(v) {
            // One hex digit per octal digit of the code, as the decoder keeps it (7500 is
            // 0x7500): four digits of 0 to 7.
            Ok(s) if (0..4).all(|d| (s >> (4 * d)) & 0xF <= 7) => Ok(s),
            _ => Err(WireError::SquawkRange(v)),
        })
        .transpose()?;
    let callsign = i.callsign.map(callsign_from_pb).transpose()?;
    Ok(Identity {
        icao,
        squawk,
        callsign,
    })
}

/// Only the canonical form `Callsign` itself produces is accepted (1 to 8 upper-case
/// letters and digits), so what arrives is exactly what re-encodes.
fn callsign_from_pb(c: String) -> Result<Callsign, WireError> {
    let c = short("identity.callsign", c)?;
    match Callsign::new(&c) {
        Some(cs) if cs.as_str() == c => Ok(cs),
        _ => Err(WireError::BadCallsign(c)),
    }
}

fn subject_from_pb(s: Option<pb::Subject>) -> Result<Subject, WireError> {
    let s = s.ok_or(WireError::Missing("subject"))?;
    Ok(Subject {
        track: s.track,
        lat: lat("subject.lat", s.lat)?,
        lon: lon("subject.lon", s.lon)?,
        alt_ft: alt("subject.alt_ft", s.alt_ft)?,
        identity: identity_from_pb(s.identity)?,
        military: s.military,
        origin: origin_from_pb("subject.origin", s.origin)?,
    })
}

fn velocity_from_pb(v: pb::Velocity) -> Result<Velocity, WireError> {
    velocity_below(v, MAX_SPEED_MPS)
}

fn velocity_below(v: pb::Velocity, max_speed: f64) -> Result<Velocity, WireError> {
    let v = Velocity {
        east_mps: finite("velocity.east_mps", v.east_mps)?,
        north_mps: finite("velocity.north_mps", v.north_mps)?,
        up_mps: finite("velocity.up_mps", v.up_mps)?,
    };
    let speed = (v.east_mps * v.east_mps + v.north_mps * v.north_mps + v.up_mps * v.up_mps).sqrt();
    // Finite components can still overflow to an infinite speed, which is refused too.
    if speed < max_speed {
        Ok(v)
    } else {
        Err(WireError::OutOfRange {
            field: "velocity",
            value: speed,
        })
    }
}

fn category_from_name(name: String) -> Result<Category, WireError> {
    let name = short("category", name)?;
    Category::LADDER
        .into_iter()
        .find(|c| c.name() == name)
        .ok_or(WireError::UnknownCategory(name))
}

fn indicator_from_name(name: String) -> Result<IndicatorKind, WireError> {
    let name = short("kind", name)?;
    ALL_KINDS
        .into_iter()
        .find(|k| k.name() == name)
        .ok_or(WireError::UnknownIndicator(name))
}

fn stage_from_name(name: String) -> Result<HandoverStage, WireError> {
    let name = short("stage", name)?;
    STAGES
        .into_iter()
        .find(|s| stage_name(*s) == name)
        .ok_or(WireError::UnknownStage(name))
}

fn track_from_pb(t: pb::TrackUpdate) -> Result<TrackOut, WireError> {
    Ok(TrackOut {
        id: t.id,
        time: time("time", t.time)?,
        lat: lat("lat", t.lat)?,
        lon: lon("lon", t.lon)?,
        alt_ft: alt("alt_ft", t.alt_ft)?,
        velocity: t.velocity.map(velocity_from_pb).transpose()?,
        identity: identity_from_pb(t.identity)?,
        military: t.military,
        origin: origin_from_pb("origin", t.origin)?,
        lineage: lineage_from_pb(t.lineage)?,
        transponder_lost: t.transponder_lost,
        category: t.category.map(category_from_name).transpose()?,
    })
}

fn lineage_from_pb(l: Vec<pb::LineageEntry>) -> Result<Vec<LineageEntry>, WireError> {
    if l.len() > MAX_LIST {
        return Err(WireError::TooLong {
            field: "lineage",
            len: l.len(),
            max: MAX_LIST,
        });
    }
    l.into_iter()
        .map(|l| {
            Ok(LineageEntry {
                sensor: short("lineage.sensor", l.sensor)?,
                party: short("lineage.party", l.party)?,
            })
        })
        .collect()
}

/// Lists in early-warning and station messages (lineage, sensor kinds) are short: a handful
/// of radars or sensor types. A longer one is refused rather than kept.
const MAX_LIST: usize = 64;

/// Heights of ballistic objects: from below the geoid's lowest point to beyond any
/// ballistic apogee (an ICBM peaks near 1,300 km).
const MIN_ALT_M: f64 = -1_000.0;
const MAX_ALT_M: f64 = 5_000_000.0;
/// Radii of launch areas and ellipse axes: at most an Earth's half circumference.
const MAX_DISTANCE_M: f64 = 20_100_000.0;

fn distance(field: &'static str, v: f64) -> Result<f64, WireError> {
    in_range(field, v, 0.0, MAX_DISTANCE_M)
}

fn missile_from_pb(m: pb::MissileTrack) -> Result<MissileTrackOut, WireError> {
    let estimate = match (m.state_ecef.len(), m.cov_upper.len()) {
        (0, 0) => None,
        (6, 21) => {
            let mut ecef = [0.0; 6];
            for (d, s) in ecef.iter_mut().zip(&m.state_ecef) {
                *d = finite("state_ecef", *s)?;
            }
            let mut cov_upper = [0.0; 21];
            for (d, s) in cov_upper.iter_mut().zip(&m.cov_upper) {
                *d = finite("cov_upper", *s)?;
            }
            Some(StateEstimate { ecef, cov_upper })
        }
        (n, _) => {
            return Err(WireError::OutOfRange {
                field: "state_ecef/cov_upper length",
                value: n as f64,
            });
        }
    };
    let launch = match (m.launch_lat, m.launch_lon) {
        (Some(a), Some(o)) => Some(LatLon::new(lat("launch_lat", a)?, lon("launch_lon", o)?)),
        (None, None) => None,
        _ => return Err(WireError::Missing("launch_lat/launch_lon")),
    };
    Ok(MissileTrackOut {
        id: m.id,
        time: time("time", m.time)?,
        origin: origin_from_pb("origin", m.origin)?,
        object: short("object", m.object)?,
        phase: short("phase", m.phase)?,
        lat: lat("lat", m.lat)?,
        lon: lon("lon", m.lon)?,
        alt_m: in_range("alt_m", m.alt_m, MIN_ALT_M, MAX_ALT_M)?,
        velocity: m
            .velocity
            .map(|v| velocity_below(v, MAX_MISSILE_SPEED_MPS))
            .transpose()?,
        estimate,
        impact: m
            .impact
            .map(|i| {
                Ok::<_, WireError>(ImpactOut {
                    lat: lat("impact.lat", i.lat)?,
                    lon: lon("impact.lon", i.lon)?,
                    time: time("impact.time", i.time)?,
                    semi_major_m: distance("impact.semi_major_m", i.semi_major_m)?,
                    semi_minor_m: distance("impact.semi_minor_m", i.semi_minor_m)?,
                    orientation_deg: in_range(
                        "impact.orientation_deg",
                        i.orientation_deg,
                        -360.0,
                        360.0,
                    )?,
                })
            })
            .transpose()?,
        launch,
        lineage: lineage_from_pb(m.lineage)?,
    })
}

fn launch_warning_from_pb(w: pb::LaunchWarning) -> Result<LaunchWarningOut, WireError> {
    Ok(LaunchWarningOut {
        id: w.id,
        time: time("time", w.time)?,
        origin: origin_from_pb("origin", w.origin)?,
        launch_time: time("launch_time", w.launch_time)?,
        lat: lat("lat", w.lat)?,
        lon: lon("lon", w.lon)?,
        radius_m: distance("radius_m", w.radius_m)?,
        azimuth_deg: w
            .azimuth_deg
            .map(|a| in_range("azimuth_deg", a, -360.0, 360.0))
            .transpose()?,
    })
}

fn station_alarm_from_pb(a: pb::StationAlarm) -> Result<StationAlarmOut, WireError> {
    if a.sensor_kinds.len() > MAX_LIST {
        return Err(WireError::TooLong {
            field: "sensor_kinds",
            len: a.sensor_kinds.len(),
            max: MAX_LIST,
        });
    }
    Ok(StationAlarmOut {
        alarm: a.alarm,
        seq: a.seq,
        time: time("time", a.time)?,
        origin: origin_from_pb("origin", a.origin)?,
        station: short("station", a.station)?,
        zone: short("zone", a.zone)?,
        state: short("state", a.state)?,
        level: short("level", a.level)?,
        body_location: a
            .body_location
            .map(|b| short("body_location", b))
            .transpose()?,
        sensor_kinds: a
            .sensor_kinds
            .into_iter()
            .map(|k| short("sensor_kinds", k))
            .collect::<Result<_, _>>()?,
        remark: text("remark", a.remark)?,
    })
}

fn alert_from_pb(a: pb::Alert) -> Result<AlertOut, WireError> {
    Ok(AlertOut {
        id: a.id,
        subject: subject_from_pb(a.subject)?,
        kind: indicator_from_name(a.kind)?,
        started: time("started", a.started)?,
        raised: time("raised", a.raised)?,
        cleared: a.cleared.map(|t| time("cleared", t)).transpose()?,
        value: a.value.map(|v| finite("value", v)).transpose()?,
        detail: text("detail", a.detail)?,
    })
}

fn level_from_pb(field: &'static str, level: u32) -> Result<usize, WireError> {
    usize::try_from(level).map_err(|_| WireError::OutOfRange {
        field,
        value: f64::from(level),
    })
}

fn incident_from_pb(i: pb::IncidentTransition) -> Result<IncidentOut, WireError> {
    Ok(IncidentOut {
        incident: IncidentId(i.incident),
        seq: i.seq,
        at: time("at", i.at)?,
        action: short("action", i.action)?,
        from_state: short("from_state", i.from_state)?,
        to_state: short("to_state", i.to_state)?,
        from_level: level_from_pb("from_level", i.from_level)?,
        to_level: level_from_pb("to_level", i.to_level)?,
        actor: i.actor.map(|a| short("actor", a)).transpose()?,
        // The reason is the operator's free text, like a remark.
        reason: text("reason", i.reason)?,
        remark: text("remark", i.remark)?,
        subject: subject_from_pb(i.subject)?,
    })
}

fn handover_from_pb(h: pb::Handover) -> Result<HandoverOut, WireError> {
    let point = match (h.point_lat, h.point_lon) {
        (None, None) => None,
        (Some(la), Some(lo)) => Some(LatLon::new(lat("point_lat", la)?, lon("point_lon", lo)?)),
        (Some(_), None) => return Err(WireError::Missing("point_lon")),
        (None, Some(_)) => return Err(WireError::Missing("point_lat")),
    };
    Ok(HandoverOut {
        id: h.id,
        subject: subject_from_pb(h.subject)?,
        at: time("at", h.at)?,
        stage: stage_from_name(h.stage)?,
        from_party: short("from_party", h.from_party)?,
        to_party: short("to_party", h.to_party)?,
        point,
        remark: text("remark", h.remark)?,
    })
}

// ---------------------------------------------------------------------------------------
// Envelopes.

/// A checked inbound envelope.
// Not boxed: almost every envelope is data, which goes on to the delivery channel at once;
// a box would cost an allocation per message to save space on the rare control messages.
// (The largest data message is a missile track with its state and covariance.)
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    /// The partner's hello (schema version and names already checked).
    Hello {
        /// The envelope's cumulative ack.
        ack: u64,
        /// The hello.
        hello: pb::Hello,
    },
    /// A data message.
    Data {
        /// The sender's sequence number (> 0).
        seq: u64,
        /// The envelope's cumulative ack.
        ack: u64,
        /// The data kind (never `Unspecified`).
        kind: pb::Kind,
        /// Produced by a centre running an exercise.
        exercise: bool,
        /// The payload exactly as received: the bytes the ledger hashes.
        payload: Vec<u8>,
        /// The payload decoded and checked.
        msg: Outbound,
    },
    /// A heartbeat.
    Heartbeat {
        /// The envelope's cumulative ack.
        ack: u64,
        /// The sender's clock.
        time: UnixTime,
        /// Highest sequence number the sender has sent so far.
        last_sent: u64,
    },
    /// A signed checkpoint of the partner's chain (not yet verified against a key).
    Checkpoint {
        /// The envelope's cumulative ack.
        ack: u64,
        /// The checkpoint.
        checkpoint: Checkpoint,
    },
}

/// Decodes raw bytes (prost) then [`check`]: the fuzz target's entry point.
pub fn decode_envelope(bytes: &[u8]) -> Result<Inbound, WireError> {
    if bytes.len() > MAX_ENVELOPE_BYTES {
        return Err(WireError::TooLarge { len: bytes.len() });
    }
    check(pb::Envelope::decode(bytes)?)
}

/// [`check`] of a data envelope's parts. A refused one comes back with its error: the link
/// still ledgers what crossed (the sender ledgered it as sent), it only cannot use it.
pub fn check_data(seq: u64, ack: u64, data: pb::Data) -> Result<Inbound, (WireError, pb::Data)> {
    if seq == 0 {
        return Err((WireError::DataSeqZero, data));
    }
    let kind = match known_kind(data.kind) {
        Ok(k) => k,
        Err(e) => return Err((e, data)),
    };
    let msg = match decode_data(data.kind, &data.payload) {
        Ok(m) => m,
        Err(e) => return Err((e, data)),
    };
    Ok(Inbound::Data {
        seq,
        ack,
        kind,
        exercise: data.exercise,
        payload: data.payload,
        msg,
    })
}

/// Validates an envelope tonic has decoded.
pub fn check(env: pb::Envelope) -> Result<Inbound, WireError> {
    // Tonic enforces the same limit on the stream; this keeps `check` self-sufficient.
    let len = env.encoded_len();
    if len > MAX_ENVELOPE_BYTES {
        return Err(WireError::TooLarge { len });
    }
    let control_seq = |body: &'static str| {
        if env.seq == 0 {
            Ok(())
        } else {
            Err(WireError::ControlSeq { body, seq: env.seq })
        }
    };
    use pb::envelope::Body;
    match env.body {
        None => Err(WireError::MissingBody),
        Some(Body::Hello(hello)) => {
            control_seq("hello")?;
            if hello.schema_version != SCHEMA_VERSION {
                return Err(WireError::SchemaVersion {
                    offered: hello.schema_version,
                });
            }
            name("hello.link", &hello.link, false)?;
            name("hello.party", &hello.party, true)?;
            name("hello.centre", &hello.centre, false)?;
            Ok(Inbound::Hello {
                ack: env.ack,
                hello,
            })
        }
        Some(Body::Data(data)) => check_data(env.seq, env.ack, data).map_err(|(e, _)| e),
        Some(Body::Heartbeat(hb)) => {
            control_seq("heartbeat")?;
            Ok(Inbound::Heartbeat {
                ack: env.ack,
                time: time("heartbeat.time", hb.time)?,
                last_sent: hb.last_sent,
            })
        }
        Some(Body::Checkpoint(cp)) => {
            control_seq("checkpoint")?;
            Ok(Inbound::Checkpoint {
                ack: env.ack,
                checkpoint: checkpoint_from_pb(cp)?,
            })
        }
    }
}

/// Checks a link, party or centre name: 1 to [`MAX_NAME_BYTES`] of `[A-Za-z0-9_-]`; a
/// party name may also hold `/` (parties are named like `NATO/PL` throughout the
/// configuration and the release policies).
fn name(field: &'static str, value: &str, party: bool) -> Result<(), WireError> {
    let ok = !value.is_empty()
        && value.len() <= MAX_NAME_BYTES
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || (party && b == b'/'));
    if ok {
        Ok(())
    } else {
        // Bounded so an error never carries a large attacker-chosen string.
        let mut end = value.len().min(MAX_STRING_BYTES);
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        Err(WireError::BadName {
            field,
            value: value[..end].to_owned(),
        })
    }
}

/// A checkpoint as its protobuf message.
pub fn checkpoint_to_pb(cp: &Checkpoint) -> pb::Checkpoint {
    pb::Checkpoint {
        link: cp.link.clone(),
        party: cp.party.clone(),
        centre: cp.centre.clone(),
        seq: cp.seq,
        head_hash: cp.head_hash.to_vec(),
        time: cp.time.0,
        sent_count: cp.sent.count,
        sent_digest: cp.sent.digest.to_vec(),
        received_count: cp.received.count,
        received_digest: cp.received.digest.to_vec(),
        signature: cp.signature.to_vec(),
    }
}

fn fixed<const N: usize>(field: &'static str, bytes: &[u8]) -> Result<[u8; N], WireError> {
    bytes.try_into().map_err(|_| WireError::BadLength {
        field,
        len: bytes.len(),
        expected: N,
    })
}

/// A checkpoint from its protobuf message, checked (names, lengths, a finite time); the
/// signature is not verified here (that needs the partner's key: the ledger does it).
pub fn checkpoint_from_pb(cp: pb::Checkpoint) -> Result<Checkpoint, WireError> {
    name("checkpoint.link", &cp.link, false)?;
    name("checkpoint.party", &cp.party, true)?;
    name("checkpoint.centre", &cp.centre, false)?;
    Ok(Checkpoint {
        seq: cp.seq,
        head_hash: fixed::<HASH_BYTES>("checkpoint.head_hash", &cp.head_hash)?,
        time: time("checkpoint.time", cp.time)?,
        sent: ExchangeDigest {
            count: cp.sent_count,
            digest: fixed::<HASH_BYTES>("checkpoint.sent_digest", &cp.sent_digest)?,
        },
        received: ExchangeDigest {
            count: cp.received_count,
            digest: fixed::<HASH_BYTES>("checkpoint.received_digest", &cp.received_digest)?,
        },
        signature: fixed::<SIGNATURE_BYTES>("checkpoint.signature", &cp.signature)?,
        link: cp.link,
        party: cp.party,
        centre: cp.centre,
    })
}

/// The hello envelope: this end's names and where the partner should resume (its `ack`
/// is `last_received` too).
pub fn hello(
    link: &str,
    party: &str,
    centre: &str,
    last_received: u64,
    exercise: bool,
) -> pb::Envelope {
    pb::Envelope {
        seq: 0,
        ack: last_received,
        body: Some(pb::envelope::Body::Hello(pb::Hello {
            schema_version: SCHEMA_VERSION,
            link: link.to_owned(),
            party: party.to_owned(),
            centre: centre.to_owned(),
            last_received,
            exercise,
        })),
    }
}

/// A data envelope around an encoded payload (from [`encode_data`]).
pub fn data_envelope(
    seq: u64,
    ack: u64,
    kind: pb::Kind,
    payload: Vec<u8>,
    exercise: bool,
) -> pb::Envelope {
    pb::Envelope {
        seq,
        ack,
        body: Some(pb::envelope::Body::Data(pb::Data {
            kind: kind.into(),
            payload,
            exercise,
        })),
    }
}

/// A heartbeat envelope.
pub fn heartbeat_envelope(ack: u64, time: UnixTime, last_sent: u64) -> pb::Envelope {
    pb::Envelope {
        seq: 0,
        ack,
        body: Some(pb::envelope::Body::Heartbeat(pb::Heartbeat {
            time: time.0,
            last_sent,
        })),
    }
}

/// A checkpoint envelope.
pub fn checkpoint_envelope(ack: u64, cp: &Checkpoint) -> pb::Envelope {
    pb::Envelope {
        seq: 0,
        ack,
        body: Some(pb::envelope::Body::Checkpoint(checkpoint_to_pb(cp))),
    }
}
