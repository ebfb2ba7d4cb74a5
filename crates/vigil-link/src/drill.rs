//! A link drill: synthetic, numbered traffic to commission a link (`vigil link serve
//! --events N --track-rate R`), and the load of the link tests and benchmarks. Events are
//! numbered so that a receiver can check each arrived exactly once.

use vigil_core::UnixTime;
use vigil_release::Outbound;

/// Synthetic traffic for a link drill: `tracks` tracks updated `track_rate` times a second
/// in all, and numbered events (alerts, incident transitions, hand-overs in turn) at
/// `event_rate` a second, `events` in all; positions inside `area` (lat, lon).
#[derive(Debug, Clone, Copy)]
pub struct Drill {
    /// Distinct tracks.
    pub tracks: u64,
    /// Track updates per second (all tracks).
    pub track_rate: f64,
    /// Events in all.
    pub events: u64,
    /// Events per second.
    pub event_rate: f64,
    /// Where the traffic is.
    pub area: (f64, f64),
}

impl Drill {
    /// Track update `n` at time `t`.
    pub fn track(&self, n: u64, t: UnixTime, origin: &vigil_release::Origin) -> Outbound {
        let id = n % self.tracks.max(1);
        let k = id as f64;
        Outbound::Track(vigil_release::TrackOut {
            id,
            time: t,
            lat: self.area.0 + (k * 0.013) % 1.0 - 0.5,
            lon: self.area.1 + (k * 0.029) % 2.0 - 1.0,
            alt_ft: Some(20_000.0 + (k * 100.0) % 15_000.0),
            velocity: None,
            identity: vigil_release::Identity::default(),
            military: false,
            origin: origin.clone(),
            lineage: Vec::new(),
            transponder_lost: None,
            category: None,
        })
    }

    /// Event number `n` at time `t`.
    pub fn event(&self, n: u64, t: UnixTime, origin: &vigil_release::Origin) -> Outbound {
        let subject = vigil_release::Subject {
            track: n % self.tracks.max(1),
            lat: self.area.0,
            lon: self.area.1,
            alt_ft: Some(30_000.0),
            identity: vigil_release::Identity::default(),
            military: false,
            origin: origin.clone(),
        };
        match n % 3 {
            0 => Outbound::Alert(vigil_release::AlertOut {
                id: n,
                subject,
                kind: vigil_renegade::IndicatorKind::Squawk7500,
                started: t,
                raised: t,
                cleared: None,
                value: None,
                detail: Some(format!("drill event {n}")),
            }),
            1 => Outbound::IncidentTransition(vigil_release::IncidentOut {
                incident: vigil_incident::IncidentId(n),
                seq: n,
                at: t,
                action: "acknowledge".into(),
                from_state: "detected".into(),
                to_state: "assessed".into(),
                from_level: 0,
                to_level: 1,
                actor: None,
                reason: None,
                remark: Some(format!("drill event {n}")),
                subject,
            }),
            _ => Outbound::Handover(vigil_release::HandoverOut {
                id: n,
                subject,
                at: t,
                stage: vigil_release::HandoverStage::Request,
                from_party: origin.party.clone(),
                to_party: "partner".into(),
                point: Some(vigil_core::LatLon::new(self.area.0, self.area.1)),
                remark: Some(format!("drill event {n}")),
            }),
        }
    }
}

/// The number of a drill event (alert and hand-over id, incident transition seq), for
/// checking delivery.
pub fn event_number(msg: &Outbound) -> Option<u64> {
    match msg {
        Outbound::Alert(a) => Some(a.id),
        Outbound::IncidentTransition(i) => Some(i.seq),
        Outbound::Handover(h) => Some(h.id),
        _ => None,
    }
}
