//! The release oracle, shared: generators of pictures and policies, an independent reading
//! of the policy (its own point-in-polygon, redaction and rules), and `run`, which drives a
//! `Releaser` over a picture and checks every decision against the oracle. Used by
//! `vigil-release/tests/oracle.rs` (the releaser alone) and `vigil-link/tests/outbound.rs`
//! (the releaser, then the link's wire encoding and the partner's checked decoding).
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use vigil_core::{IcaoAddress, UnixTime};
use vigil_incident::IncidentId;
use vigil_release::{
    AlertOut, AreaPolicy, Decision, Field, HandoverOut, HandoverStage, Heartbeat, Identity,
    IncidentOut, Kind, LaunchWarningOut, LineageEntry, MissileTrackOut, Origin, Outbound,
    RateLimit, ReleasePolicy, Releaser, StateEstimate, StationAlarmOut, Subject, TrackOut,
    Velocity,
};
use vigil_renegade::{Callsign, Category, IndicatorKind};

const OWN_PARTY: &str = "NATO/PL";
const OWN_CENTRE: &str = "warszawa-lu";
const ORIGINS: [(&str, &str); 4] = [
    (OWN_PARTY, OWN_CENTRE),
    (OWN_PARTY, "krakow-lu"),
    ("NATO/LT", "vilnius-cc"),
    ("RU", "kaliningrad-lu"),
];
const PARTIES: [&str; 3] = [OWN_PARTY, "NATO/LT", "RU"];

// ---------------------------------------------------------------- generation

#[derive(Debug, Clone)]
pub struct GenTrack {
    origin: usize,
    military: bool,
    lineage_parties: Vec<usize>,
    has_identity: bool,
}

#[derive(Debug, Clone)]
pub struct GenMsg {
    track: usize,
    /// 0..=5 track update (more likely), 6 alert, 7 incident, 8 hand-over, 9 heartbeat.
    what: u8,
    lat: f64,
    lon: f64,
    alt: Option<f64>,
    dt: f64,
}

pub fn area() -> impl Strategy<Value = AreaPolicy> {
    (
        53.0f64..56.5,
        17.0f64..23.0,
        prop::collection::vec((0.0f64..1.0, 0.1f64..1.5), 3..7),
        0.0f64..25_000.0,
        0.0f64..40_000.0,
        any::<bool>(),
    )
        .prop_map(|(clat, clon, spokes, lower, height, unknown)| {
            // A star-shaped polygon: vertices at increasing angles around the centre, so it
            // never crosses itself.
            let n = spokes.len() as f64;
            let polygon = spokes
                .iter()
                .enumerate()
                .map(|(i, &(jitter, r))| {
                    let a = (i as f64 + 0.8 * jitter) / n * std::f64::consts::TAU;
                    [clat + r * a.sin(), clon + r * 1.6 * a.cos()]
                })
                .collect();
            AreaPolicy {
                name: None,
                polygon: Some(polygon),
                volume: None,
                lower_ft: Some(lower.round()),
                upper_ft: Some((lower + height).round()),
                unknown_altitude: unknown,
            }
        })
}

pub fn policy() -> impl Strategy<Value = ReleasePolicy> {
    (
        0u8..(1 << Kind::ALL.len()),
        prop::collection::vec(area(), 0..4),
        0u16..(1 << Field::ALL.len()),
        (any::<bool>(), 1u8..8),
        any::<bool>(),
        (
            prop::option::of(1.0f64..40.0),
            prop::option::of(0.2f64..4.0),
        ),
    )
        .prop_map(
            |(kinds, areas, withhold, (fwd, parties), outside, (tps, iv))| ReleasePolicy {
                link: None,
                kinds: Kind::ALL
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| kinds & (1 << i) != 0)
                    .map(|(_, k)| *k)
                    .collect(),
                areas,
                withhold: Field::ALL
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| withhold & (1 << i) != 0)
                    .map(|(_, f)| *f)
                    .collect(),
                rate_limit: RateLimit {
                    tracks_per_s: tps,
                    track_min_interval_s: iv,
                },
                forward_partner_data: fwd,
                forward_parties: if fwd {
                    PARTIES
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| parties & (1 << i) != 0)
                        .map(|(_, p)| p.to_string())
                        .collect()
                } else {
                    BTreeSet::new()
                },
                events_outside_area: outside,
            },
        )
}

pub fn tracks() -> impl Strategy<Value = Vec<GenTrack>> {
    prop::collection::vec(
        (
            0usize..4,
            prop::bool::weighted(0.3),
            prop::collection::vec(0usize..3, 0..4),
            any::<bool>(),
        )
            .prop_map(
                |(origin, military, lineage_parties, has_identity)| GenTrack {
                    origin,
                    military,
                    lineage_parties,
                    has_identity,
                },
            ),
        1..10,
    )
}

pub fn messages() -> impl Strategy<Value = Vec<GenMsg>> {
    prop::collection::vec(
        (
            0usize..10,
            0u8..13,
            52.5f64..57.5,
            16.0f64..24.0,
            prop::option::weighted(0.8, -500.0f64..50_000.0),
            prop_oneof![Just(0.0), 0.0f64..1.5],
        )
            .prop_map(|(track, what, lat, lon, alt, dt)| GenMsg {
                track,
                what,
                lat,
                lon,
                alt,
                dt,
            }),
        0..60,
    )
}

pub fn build(tracks: &[GenTrack], msgs: &[GenMsg]) -> Vec<(f64, Outbound)> {
    let mut now = 1_000_000.0;
    let mut out = Vec::new();
    for (k, m) in msgs.iter().enumerate() {
        now += m.dt;
        let id = m.track % tracks.len();
        let g = &tracks[id];
        let (party, centre) = ORIGINS[g.origin];
        let identity = if g.has_identity {
            Identity {
                icao: Some(IcaoAddress::new(0x48_0000 + id as u32)),
                // Mode 3/A codes are kept one hex digit per code digit (1000, 1001...).
                squawk: Some(0x1000 + (id as u16 / 8) * 0x10 + id as u16 % 8),
                callsign: Callsign::new(&format!("CS{id}")),
            }
        } else {
            Identity::default()
        };
        let t = TrackOut {
            id: id as u64,
            time: UnixTime(now),
            lat: m.lat,
            lon: m.lon,
            alt_ft: m.alt,
            velocity: Some(Velocity {
                east_mps: 100.0,
                north_mps: -50.0,
                up_mps: 1.0,
            }),
            identity,
            military: g.military,
            origin: Origin::new(party, centre),
            lineage: g
                .lineage_parties
                .iter()
                .enumerate()
                .map(|(i, &p)| LineageEntry {
                    sensor: format!("sensor-{i}"),
                    party: PARTIES[p].to_string(),
                })
                .collect(),
            transponder_lost: Some(k % 3 == 0),
            category: Some(Category::Comloss),
        };
        let s = Subject::of_track(&t);
        let msg = match m.what {
            0..=5 => Outbound::Track(t),
            6 => Outbound::Alert(AlertOut {
                id: k as u64,
                subject: s,
                kind: IndicatorKind::TransponderLost,
                started: UnixTime(now - 5.0),
                raised: UnixTime(now),
                cleared: None,
                value: Some(1.0),
                detail: Some("evidence".into()),
            }),
            7 => Outbound::IncidentTransition(IncidentOut {
                incident: IncidentId(k as u64),
                seq: k as u64,
                at: UnixTime(now),
                action: "raise".into(),
                from_state: "open".into(),
                to_state: "notified".into(),
                from_level: 1,
                to_level: 2,
                actor: Some("duty-officer".into()),
                reason: Some("why".into()),
                remark: Some("remark".into()),
                subject: s,
            }),
            8 => Outbound::Handover(HandoverOut {
                id: k as u64,
                subject: s,
                at: UnixTime(now),
                stage: HandoverStage::Request,
                from_party: OWN_PARTY.into(),
                to_party: "RU".into(),
                point: None,
                remark: Some("remark".into()),
            }),
            10 => Outbound::MissileTrack(MissileTrackOut {
                id: k as u64,
                time: UnixTime(now),
                origin: s.origin.clone(),
                object: "rv".into(),
                phase: "midcourse".into(),
                lat: s.lat,
                lon: s.lon,
                alt_m: 300_000.0,
                velocity: t.velocity,
                estimate: Some(StateEstimate {
                    ecef: [1.0; 6],
                    cov_upper: [2.0; 21],
                }),
                impact: None,
                launch: None,
                lineage: t.lineage.clone(),
            }),
            11 => Outbound::LaunchWarning(LaunchWarningOut {
                id: k as u64,
                time: UnixTime(now),
                origin: s.origin.clone(),
                launch_time: UnixTime(now - 60.0),
                lat: s.lat,
                lon: s.lon,
                radius_m: 40_000.0,
                azimuth_deg: None,
            }),
            12 => Outbound::StationAlarm(StationAlarmOut {
                alarm: k as u64,
                seq: k as u64,
                time: UnixTime(now),
                origin: s.origin.clone(),
                station: "example".into(),
                zone: "corridor".into(),
                state: "alarm".into(),
                level: "CUE".into(),
                body_location: Some("torso".into()),
                sensor_kinds: vec!["active_mmw".into()],
                remark: Some("remark".into()),
            }),
            _ => Outbound::Heartbeat(Heartbeat {
                time: UnixTime(now),
            }),
        };
        out.push((now, msg));
    }
    out
}

// ---------------------------------------------------------------- the oracle

/// Even-odd ray casting in the lon/lat plane; vertices are `[lat, lon]`.
fn in_polygon(poly: &[[f64; 2]], lat: f64, lon: f64) -> bool {
    let mut inside = false;
    let n = poly.len();
    for i in 0..n {
        let [lat_i, lon_i] = poly[i];
        let [lat_j, lon_j] = poly[(i + n - 1) % n];
        if (lat_i > lat) != (lat_j > lat) {
            let x = lon_i + (lat - lat_i) / (lat_j - lat_i) * (lon_j - lon_i);
            if lon < x {
                inside = !inside;
            }
        }
    }
    inside
}

fn oracle_in_area(p: &ReleasePolicy, lat: f64, lon: f64, alt: Option<f64>) -> bool {
    p.areas.iter().any(|a| {
        let poly = a.polygon.as_ref().unwrap();
        if !in_polygon(poly, lat, lon) {
            return false;
        }
        match alt {
            Some(h) => a.lower_ft.unwrap() <= h && h <= a.upper_ft.unwrap(),
            None => a.unknown_altitude,
        }
    })
}

fn oracle_origin_ok(p: &ReleasePolicy, o: &Origin) -> bool {
    (o.party == OWN_PARTY && o.centre == OWN_CENTRE)
        || (p.forward_partner_data && p.forward_parties.contains(&o.party))
}

fn oracle_subject_ok(p: &ReleasePolicy, s: &Subject, needs_area: bool) -> bool {
    oracle_origin_ok(p, &s.origin)
        && !(s.military && p.withhold.contains(&Field::MilitaryTracks))
        && (!needs_area || oracle_in_area(p, s.lat, s.lon, s.alt_ft))
}

/// Whether the policy lets this message out (before rate limiting).
fn oracle_allows(p: &ReleasePolicy, m: &Outbound) -> bool {
    let events_need_area = !p.events_outside_area;
    match m {
        Outbound::Heartbeat(_) => true,
        Outbound::Track(t) => {
            p.kinds.contains(&Kind::Track) && oracle_subject_ok(p, &Subject::of_track(t), true)
        }
        Outbound::Alert(a) => {
            p.kinds.contains(&Kind::Alert) && oracle_subject_ok(p, &a.subject, events_need_area)
        }
        Outbound::IncidentTransition(i) => {
            p.kinds.contains(&Kind::Incident) && oracle_subject_ok(p, &i.subject, events_need_area)
        }
        Outbound::Handover(h) => {
            p.kinds.contains(&Kind::Handover) && oracle_subject_ok(p, &h.subject, events_need_area)
        }
        // Early warning and station summaries: kind and origin, never an area.
        Outbound::MissileTrack(t) => {
            p.kinds.contains(&Kind::MissileTrack) && oracle_origin_ok(p, &t.origin)
        }
        Outbound::LaunchWarning(w) => {
            p.kinds.contains(&Kind::LaunchWarning) && oracle_origin_ok(p, &w.origin)
        }
        Outbound::StationAlarm(a) => {
            p.kinds.contains(&Kind::StationAlarm) && oracle_origin_ok(p, &a.origin)
        }
    }
}

fn oracle_identity(p: &ReleasePolicy, id: &Identity) -> Identity {
    Identity {
        icao: if p.withhold.contains(&Field::Icao) {
            None
        } else {
            id.icao
        },
        squawk: if p.withhold.contains(&Field::Squawk) {
            None
        } else {
            id.squawk
        },
        callsign: if p.withhold.contains(&Field::Callsign) {
            None
        } else {
            id.callsign
        },
    }
}

/// The copy the oracle expects on the wire.
fn oracle_redact(p: &ReleasePolicy, m: &Outbound) -> Outbound {
    let w = |f: Field| p.withhold.contains(&f);
    match m.clone() {
        Outbound::Track(mut t) => {
            t.identity = oracle_identity(p, &t.identity);
            if w(Field::Velocity) {
                t.velocity = None;
            }
            if w(Field::Category) {
                t.category = None;
            }
            if w(Field::TransponderLost) {
                t.transponder_lost = None;
            }
            if w(Field::Lineage) {
                t.lineage.clear();
            }
            t.lineage.retain(|e| {
                e.party == OWN_PARTY
                    || (p.forward_partner_data && p.forward_parties.contains(&e.party))
            });
            Outbound::Track(t)
        }
        Outbound::Alert(mut a) => {
            a.subject.identity = oracle_identity(p, &a.subject.identity);
            if w(Field::Evidence) {
                a.value = None;
                a.detail = None;
            }
            Outbound::Alert(a)
        }
        Outbound::IncidentTransition(mut i) => {
            i.subject.identity = oracle_identity(p, &i.subject.identity);
            if w(Field::Operator) {
                i.actor = None;
            }
            if w(Field::Remarks) {
                i.reason = None;
                i.remark = None;
            }
            Outbound::IncidentTransition(i)
        }
        Outbound::Handover(mut h) => {
            h.subject.identity = oracle_identity(p, &h.subject.identity);
            if w(Field::Remarks) {
                h.remark = None;
            }
            Outbound::Handover(h)
        }
        Outbound::MissileTrack(mut t) => {
            if w(Field::Velocity) {
                t.velocity = None;
            }
            if w(Field::Estimate) {
                t.estimate = None;
            }
            if w(Field::Lineage) {
                t.lineage.clear();
            }
            t.lineage.retain(|e| {
                e.party == OWN_PARTY
                    || (p.forward_partner_data && p.forward_parties.contains(&e.party))
            });
            Outbound::MissileTrack(t)
        }
        Outbound::StationAlarm(mut a) => {
            if w(Field::Evidence) {
                a.body_location = None;
                a.sensor_kinds.clear();
            }
            if w(Field::Remarks) {
                a.remark = None;
            }
            Outbound::StationAlarm(a)
        }
        same @ (Outbound::Heartbeat(_) | Outbound::LaunchWarning(_)) => same,
    }
}

/// No withheld field is present in the serialised copy, whatever its kind.
fn oracle_no_withheld_field(p: &ReleasePolicy, m: &Outbound) {
    let json = serde_json::to_value(m).unwrap();
    let mut keys = Vec::new();
    collect_keys(&json, &mut keys);
    let banned: &[(Field, &[&str])] = &[
        (Field::Lineage, &["lineage"]),
        (Field::Callsign, &["callsign"]),
        (Field::Squawk, &["squawk"]),
        (Field::Icao, &["icao"]),
        (Field::Velocity, &["velocity"]),
        (Field::Category, &["category"]),
        (Field::TransponderLost, &["transponder_lost"]),
        (
            Field::Evidence,
            &["value", "detail", "body_location", "sensor_kinds"],
        ),
        (Field::Estimate, &["estimate"]),
        (Field::Operator, &["actor"]),
        (Field::Remarks, &["reason", "remark"]),
    ];
    for (f, names) in banned {
        if p.withhold.contains(f) {
            for n in *names {
                assert!(!keys.contains(n), "withheld {n} present in {json}");
            }
        }
    }
    if p.withhold.contains(&Field::MilitaryTracks) {
        assert!(!json.to_string().contains("\"military\":true"), "{json}");
    }
}

fn collect_keys<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a str>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                out.push(k);
                collect_keys(v, out);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| collect_keys(v, out)),
        _ => {}
    }
}

// ---------------------------------------------------------------- the run

pub fn run(
    policy: ReleasePolicy,
    tracks: Vec<GenTrack>,
    msgs: Vec<GenMsg>,
    through: &dyn Fn(Outbound) -> Outbound,
) {
    let picture = build(&tracks, &msgs);
    let mut r = Releaser::new(policy.clone(), OWN_PARTY, OWN_CENTRE, None).unwrap();
    let min_interval = policy.rate_limit.track_min_interval_s.unwrap_or(0.0);
    // Every allowed track update, redacted as the oracle expects, by (track, time bits).
    let mut allowed_tracks: BTreeMap<(u64, u64), Vec<Outbound>> = BTreeMap::new();
    // Per track: the release moments and estimate times of what went out.
    let mut sent: BTreeMap<u64, Vec<(f64, f64)>> = BTreeMap::new();
    let mut newest_allowed: BTreeMap<u64, f64> = BTreeMap::new();
    let mut last_now = 0.0;

    let mut on_track_sent =
        |m: &Outbound, now: f64, allowed: &BTreeMap<(u64, u64), Vec<Outbound>>| {
            let Outbound::Track(t) = m else {
                panic!("due released a non-track {m:?}");
            };
            // Two updates of one track may share a time: either may be the one sent.
            let candidates = allowed
                .get(&(t.id, t.time.secs().to_bits()))
                .unwrap_or_else(|| {
                    panic!("released a track update the oracle never allowed: {m:?}")
                });
            assert!(
                candidates.contains(m),
                "{m:?} differs from the oracle's {candidates:?}"
            );
            let v = sent.entry(t.id).or_default();
            if let Some(&(prev_now, prev_time)) = v.last() {
                // Without a rate limit the releaser keeps no state: two updates sharing a time
                // both go. It never sends one older than the last.
                assert!(
                    t.time.secs() >= prev_time,
                    "track {} went back in time",
                    t.id
                );
                assert!(
                    now - prev_now >= min_interval - 1e-9,
                    "track {} sent {}s after the last, interval {min_interval}",
                    t.id,
                    now - prev_now
                );
            }
            v.push((now, t.time.secs()));
        };

    let mut due = Vec::new();
    for (now, msg) in &picture {
        let allows = oracle_allows(&policy, msg);
        if allows && let Outbound::Track(t) = msg {
            allowed_tracks
                .entry((t.id, t.time.secs().to_bits()))
                .or_default()
                .push(oracle_redact(&policy, msg));
            newest_allowed.insert(t.id, t.time.secs());
        }
        match r.release(msg, UnixTime(*now)) {
            Decision::Release(copy) => {
                let copy = through(copy);
                assert!(allows, "released what the oracle withholds: {msg:?}");
                oracle_no_withheld_field(&policy, &copy);
                if matches!(copy, Outbound::Track(_)) {
                    on_track_sent(&copy, *now, &allowed_tracks);
                } else {
                    assert_eq!(copy, oracle_redact(&policy, msg));
                }
            }
            Decision::Deferred => {
                assert!(allows, "deferred what the oracle withholds: {msg:?}");
                assert!(
                    matches!(msg, Outbound::Track(_)),
                    "deferred an event {msg:?}"
                );
            }
            Decision::Withhold(reason) => {
                // Only a track update may be dropped for load, and only a superseded one.
                if allows {
                    assert!(
                        matches!(msg, Outbound::Track(_))
                            && reason == vigil_release::Reason::Superseded,
                        "withheld {reason:?} what the oracle releases: {msg:?}"
                    );
                }
            }
        }
        due.clear();
        r.due(UnixTime(*now), &mut due);
        for m in &due.drain(..).map(through).collect::<Vec<_>>() {
            oracle_no_withheld_field(&policy, m);
            on_track_sent(m, *now, &allowed_tracks);
        }
        last_now = *now;
    }
    // Drain: every track's newest allowed update must eventually leave (newest wins).
    let mut now = last_now;
    for _ in 0..10_000 {
        if r.pending() == 0 {
            break;
        }
        now += 0.5;
        due.clear();
        r.due(UnixTime(now), &mut due);
        for m in &due.drain(..).map(through).collect::<Vec<_>>() {
            oracle_no_withheld_field(&policy, m);
            on_track_sent(m, now, &allowed_tracks);
        }
    }
    assert_eq!(r.pending(), 0);
    for (id, newest) in &newest_allowed {
        let last = sent.get(id).and_then(|v| v.last()).map(|&(_, t)| t);
        assert_eq!(
            last,
            Some(*newest),
            "track {id}: newest allowed update not sent"
        );
    }
    for id in sent.keys() {
        assert!(newest_allowed.contains_key(id));
    }
}
