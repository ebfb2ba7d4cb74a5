//! The outbound message model: what a centre may send on a link, as plain serde types.
//!
//! These are small mirrors of the centre's own types (`vigil_renegade::Alert`,
//! `vigil_incident::Transition`, the tracker's system tracks) rather than those types
//! themselves, for one reason: every field a policy can withhold is an `Option` (or a `Vec`)
//! here, skipped when serialised, so a redacted copy does not carry the field *at all*, not
//! even as an empty string. The enums with a fixed vocabulary (`IndicatorKind`, `Category`,
//! `Callsign`, `IncidentId`) are reused as they are. The link's protobuf schema comes later
//! and is generated from these.

use serde::{Deserialize, Serialize};
use vigil_core::{IcaoAddress, LatLon, UnixTime};
use vigil_incident::{IncidentId, Transition};
use vigil_renegade::{Alert, Callsign, Category, IndicatorKind};

/// Where a piece of data comes from: the party and centre that produced it. Inbound data is
/// labelled with its origin on arrival and keeps that label through the picture.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Origin {
    /// The party, e.g. `"NATO/PL"` or `"RU"` (names come from configuration).
    pub party: String,
    /// The centre within the party, e.g. `"warszawa-lu"`.
    pub centre: String,
}

impl Origin {
    /// An origin from its two names.
    pub fn new(party: impl Into<String>, centre: impl Into<String>) -> Origin {
        Origin {
            party: party.into(),
            centre: centre.into(),
        }
    }
}

/// The identities of an aircraft; each may be withheld.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Identity {
    /// Mode S address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icao: Option<IcaoAddress>,
    /// Mode 3/A code (the octal digits as a number, e.g. `0o7500` is 3904).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub squawk: Option<u16>,
    /// Callsign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callsign: Option<Callsign>,
}

/// Velocity in the local east-north-up frame, metres per second.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Velocity {
    /// East component.
    pub east_mps: f64,
    /// North component.
    pub north_mps: f64,
    /// Up component.
    pub up_mps: f64,
}

/// One contribution to a track: which sensor, of which party.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LineageEntry {
    /// Sensor name.
    pub sensor: String,
    /// The party owning the sensor.
    pub party: String,
}

/// One track update.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackOut {
    /// Track number in the sending centre's picture (partner tracks held there have local
    /// numbers too), unique among its live tracks: the key of per-track rate limiting.
    pub id: u64,
    /// Time of the estimate.
    pub time: UnixTime,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Altitude, feet; `None` when unknown (a primary-only track of a 2-D radar).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt_ft: Option<f64>,
    /// Velocity; withheld by `velocity`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub velocity: Option<Velocity>,
    /// Identities; each withheld by its own field name.
    #[serde(default)]
    pub identity: Identity,
    /// A military aircraft: withheld entirely by `military_tracks`.
    pub military: bool,
    /// Who produced the data.
    pub origin: Origin,
    /// Contributing sensors; withheld by `lineage`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lineage: Vec<LineageEntry>,
    /// The tracker's transponder-lost flag; withheld by `transponder_lost`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transponder_lost: Option<bool>,
    /// Renegade category; withheld by `category`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
}

/// The track an alert, incident transition or hand-over is about, as it was when the event
/// happened: its position decides whether the event may leave (see the crate docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subject {
    /// Track number.
    pub track: u64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Altitude, feet, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt_ft: Option<f64>,
    /// Identities of the track; each withheld by its own field name.
    #[serde(default)]
    pub identity: Identity,
    /// A military aircraft.
    pub military: bool,
    /// Who produced the track.
    pub origin: Origin,
}

impl Subject {
    /// The subject of a track update (its position, identity, flag and origin).
    pub fn of_track(t: &TrackOut) -> Subject {
        Subject {
            track: t.id,
            lat: t.lat,
            lon: t.lon,
            alt_ft: t.alt_ft,
            identity: t.identity,
            military: t.military,
            origin: t.origin.clone(),
        }
    }
}

/// An alert (a renegade indicator raised or cleared).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertOut {
    /// Alert number in the sending centre.
    pub id: u64,
    /// The track.
    pub subject: Subject,
    /// What fired.
    pub kind: IndicatorKind,
    /// When the condition first held.
    pub started: UnixTime,
    /// When it was raised.
    pub raised: UnixTime,
    /// When it cleared, if it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleared: Option<UnixTime>,
    /// The measured figure; withheld by `evidence`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// Evidence in words; withheld by `evidence`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl AlertOut {
    /// From a renegade alert and the track it is about. The alert's own callsign and address
    /// (when it has them) fill the subject's identity where that is empty.
    pub fn from_alert(alert: &Alert, mut subject: Subject) -> AlertOut {
        subject.identity.callsign = subject.identity.callsign.or(alert.callsign);
        subject.identity.icao = subject.identity.icao.or(alert.icao);
        AlertOut {
            id: alert.id,
            subject,
            kind: alert.kind,
            started: alert.started,
            raised: alert.raised,
            cleared: alert.cleared,
            value: Some(alert.value),
            detail: Some(alert.detail.clone()),
        }
    }
}

/// One transition of an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentOut {
    /// The incident.
    pub incident: IncidentId,
    /// The transition's sequence number in the sending centre's engine.
    pub seq: u64,
    /// When.
    pub at: UnixTime,
    /// The workflow action.
    pub action: String,
    /// State before.
    pub from_state: String,
    /// State after.
    pub to_state: String,
    /// Level index before.
    pub from_level: usize,
    /// Level index after.
    pub to_level: usize,
    /// The user who acted; withheld by `operator`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// Why; withheld by `remarks`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Free remark; withheld by `remarks`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// The track the incident is about.
    pub subject: Subject,
}

impl IncidentOut {
    /// From an incident engine transition and the track its incident is about.
    pub fn from_transition(t: &Transition, subject: Subject) -> IncidentOut {
        IncidentOut {
            incident: t.incident,
            seq: t.seq,
            at: t.at,
            action: t.action.clone(),
            from_state: t.from_state.clone(),
            to_state: t.to_state.clone(),
            from_level: t.from_level,
            to_level: t.to_level,
            actor: Some(t.actor.user.clone()),
            reason: t.reason.clone(),
            remark: t.remark.clone(),
            subject,
        }
    }
}

/// The step of a hand-over between two parties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoverStage {
    /// One party asks the other to take the track.
    Request,
    /// The other party takes it.
    Accept,
    /// The other party declines.
    Refuse,
    /// Responsibility has passed.
    Complete,
}

/// A hand-over request or answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandoverOut {
    /// Hand-over number in the sending centre.
    pub id: u64,
    /// The track handed over.
    pub subject: Subject,
    /// When.
    pub at: UnixTime,
    /// Which step.
    pub stage: HandoverStage,
    /// The party handing over.
    pub from_party: String,
    /// The party taking over.
    pub to_party: String,
    /// The predicted hand-over point, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point: Option<LatLon>,
    /// Free remark; withheld by `remarks`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
}

/// A link heartbeat. Carries nothing but the time, so every policy releases it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Heartbeat {
    /// Sending time.
    pub time: UnixTime,
}

/// A ballistic object's estimated state in Earth-centred Earth-fixed coordinates, with its
/// covariance: what a data fusion centre needs to fuse track to track. Withheld by
/// `estimate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateEstimate {
    /// Position (m) then velocity (m/s), ECEF.
    pub ecef: [f64; 6],
    /// The 6 x 6 covariance's upper triangle, row by row (21 values).
    pub cov_upper: [f64; 21],
}

/// A predicted impact point with its 95 % ellipse.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ImpactOut {
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Predicted time of impact.
    pub time: UnixTime,
    /// Semi-major axis of the 95 % ellipse, metres.
    pub semi_major_m: f64,
    /// Semi-minor axis of the 95 % ellipse, metres.
    pub semi_minor_m: f64,
    /// Direction of the major axis, degrees clockwise from north.
    pub orientation_deg: f64,
}

/// One missile (ballistic object) track update: early warning. Released by kind only (no
/// release area applies: early-warning data is shared wherever the object flies, which is
/// what the data fusion centre is for); a policy that does not want it does not list the
/// kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MissileTrackOut {
    /// Track number in the sending centre.
    pub id: u64,
    /// Time of the estimate.
    pub time: UnixTime,
    /// Who produced it.
    pub origin: Origin,
    /// What the object is thought to be: `"rv"`, `"stage"`, `"debris"` or `"unknown"`.
    pub object: String,
    /// Flight phase: `"boost"`, `"midcourse"` or `"reentry"`.
    pub phase: String,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Height above the ellipsoid, metres.
    pub alt_m: f64,
    /// Velocity; withheld by `velocity`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub velocity: Option<Velocity>,
    /// State and covariance; withheld by `estimate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate: Option<StateEstimate>,
    /// Predicted impact, when the track can predict one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact: Option<ImpactOut>,
    /// Estimated launch point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch: Option<LatLon>,
    /// Contributing radars; withheld by `lineage`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lineage: Vec<LineageEntry>,
}

/// A launch warning from a space-based infrared detector: when and roughly where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaunchWarningOut {
    /// Warning number in the sending centre.
    pub id: u64,
    /// When the warning was issued.
    pub time: UnixTime,
    /// Who issued it.
    pub origin: Origin,
    /// Estimated launch time.
    pub launch_time: UnixTime,
    /// Centre of the launch area, latitude, degrees.
    pub lat: f64,
    /// Centre of the launch area, longitude, degrees.
    pub lon: f64,
    /// Radius of the launch area, metres.
    pub radius_m: f64,
    /// Estimated azimuth of flight, degrees, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azimuth_deg: Option<f64>,
}

/// A station (STANDEX) alarm as shared with a partner: a summary only. By construction it
/// carries no position, no track, no image and no identity: the station, the zone, the
/// alarm's state and level, and (withheld by `evidence`) the body location and the kinds of
/// sensors behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StationAlarmOut {
    /// Alarm (incident) number in the sending centre.
    pub alarm: u64,
    /// The transition's sequence number in the sending centre.
    pub seq: u64,
    /// When.
    pub time: UnixTime,
    /// Who sent it.
    pub origin: Origin,
    /// Station name.
    pub station: String,
    /// Zone of the station, e.g. `"corridor"`.
    pub zone: String,
    /// Workflow state, e.g. `"alarm"`, `"team_dispatched"`, `"false_alarm"`.
    pub state: String,
    /// Level name, e.g. `"CUE"` or `"ALARM"`.
    pub level: String,
    /// Where on the body, when a sensor says; withheld by `evidence`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_location: Option<String>,
    /// Kinds of sensor that contributed; withheld by `evidence`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensor_kinds: Vec<String>,
    /// Remark; withheld by `remarks`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
}

/// One outbound message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Outbound {
    /// A track update.
    Track(TrackOut),
    /// An alert.
    Alert(AlertOut),
    /// An incident transition.
    IncidentTransition(IncidentOut),
    /// A hand-over request or answer.
    Handover(HandoverOut),
    /// A heartbeat.
    Heartbeat(Heartbeat),
    /// A missile track update.
    MissileTrack(MissileTrackOut),
    /// A launch warning.
    LaunchWarning(LaunchWarningOut),
    /// A station alarm summary.
    StationAlarm(StationAlarmOut),
}

/// The kinds of data a policy releases (the `kinds` list). Heartbeats are not a kind: they
/// are the link's own and always go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Track updates (`"tracks"`).
    #[serde(rename = "tracks")]
    Track,
    /// Alerts (`"alerts"`).
    #[serde(rename = "alerts")]
    Alert,
    /// Incident transitions (`"incidents"`).
    #[serde(rename = "incidents")]
    Incident,
    /// Hand-overs (`"handovers"`).
    #[serde(rename = "handovers")]
    Handover,
    /// Missile track updates (`"missile_tracks"`).
    #[serde(rename = "missile_tracks")]
    MissileTrack,
    /// Launch warnings (`"launch_warnings"`).
    #[serde(rename = "launch_warnings")]
    LaunchWarning,
    /// Station alarm summaries (`"station_alarms"`).
    #[serde(rename = "station_alarms")]
    StationAlarm,
}

impl Kind {
    /// Every kind, in counter order.
    pub const ALL: [Kind; 7] = [
        Kind::Track,
        Kind::Alert,
        Kind::Incident,
        Kind::Handover,
        Kind::MissileTrack,
        Kind::LaunchWarning,
        Kind::StationAlarm,
    ];
}

impl Outbound {
    /// The message's kind; `None` for a heartbeat.
    pub fn kind(&self) -> Option<Kind> {
        match self {
            Outbound::Track(_) => Some(Kind::Track),
            Outbound::Alert(_) => Some(Kind::Alert),
            Outbound::IncidentTransition(_) => Some(Kind::Incident),
            Outbound::Handover(_) => Some(Kind::Handover),
            Outbound::Heartbeat(_) => None,
            Outbound::MissileTrack(_) => Some(Kind::MissileTrack),
            Outbound::LaunchWarning(_) => Some(Kind::LaunchWarning),
            Outbound::StationAlarm(_) => Some(Kind::StationAlarm),
        }
    }
}
