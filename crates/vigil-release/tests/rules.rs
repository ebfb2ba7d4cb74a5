//! One test per rule of the release policy, on a small square area over the Baltic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use vigil_core::{IcaoAddress, UnixTime};
use vigil_incident::{Actor, IncidentId, Role, Transition};
use vigil_release::{
    AlertOut, Decision, Field, HandoverOut, HandoverStage, Heartbeat, Identity, IncidentOut, Kind,
    LineageEntry, Origin, Outbound, Reason, ReleaseError, ReleasePolicy, Releaser, Subject,
    TrackOut, Velocity,
};
use vigil_renegade::{Alert, Callsign, Category, IndicatorKind};

const OWN_PARTY: &str = "NATO/PL";
const OWN_CENTRE: &str = "warszawa-lu";

/// The square 54..55 N, 19..21 E, 0..30,000 ft, plus `extra` TOML.
fn policy(extra: &str) -> ReleasePolicy {
    let text = format!(
        "{extra}\n[[area]]\nname = \"square\"\npolygon = [[54, 19], [54, 21], [55, 21], [55, 19]]\nlower_ft = 0\nupper_ft = 30000\n"
    );
    ReleasePolicy::from_toml_str(&text).expect("test policy")
}

fn releaser(extra: &str) -> Releaser {
    Releaser::new(policy(extra), OWN_PARTY, OWN_CENTRE, None).expect("releaser")
}

fn own() -> Origin {
    Origin::new(OWN_PARTY, OWN_CENTRE)
}

fn track(id: u64, t: f64, lat: f64, lon: f64, alt: Option<f64>) -> TrackOut {
    TrackOut {
        id,
        time: UnixTime(t),
        lat,
        lon,
        alt_ft: alt,
        velocity: Some(Velocity {
            east_mps: 200.0,
            north_mps: 0.0,
            up_mps: 0.0,
        }),
        identity: Identity {
            icao: Some(IcaoAddress::new(0x48_1234)),
            squawk: Some(0o7500),
            callsign: Callsign::new("LOT123"),
        },
        military: false,
        origin: own(),
        lineage: vec![
            LineageEntry {
                sensor: "radar-gdansk".into(),
                party: OWN_PARTY.into(),
            },
            LineageEntry {
                sensor: "adsb-vilnius".into(),
                party: "NATO/LT".into(),
            },
        ],
        transponder_lost: Some(false),
        category: Some(Category::Suspected),
    }
}

fn inside(id: u64, t: f64) -> TrackOut {
    track(id, t, 54.5, 20.0, Some(10_000.0))
}

fn alert(subject: Subject) -> AlertOut {
    let a = Alert {
        id: 7,
        track: subject.track,
        callsign: Callsign::new("LOT123"),
        icao: None,
        kind: IndicatorKind::Squawk7500,
        started: UnixTime(100.0),
        raised: UnixTime(105.0),
        cleared: None,
        value: 3904.0,
        detail: "squawk 7500".into(),
    };
    AlertOut::from_alert(&a, subject)
}

fn incident(subject: Subject) -> IncidentOut {
    let t = Transition {
        seq: 3,
        incident: IncidentId(1),
        at: UnixTime(110.0),
        actor: Actor::new("kowalski", Role::System),
        action: "raise".into(),
        from_state: "open".into(),
        to_state: "notified".into(),
        from_level: 1,
        to_level: 2,
        reason: Some("7500 confirmed by voice".into()),
        remark: Some("crew silent".into()),
        party: None,
    };
    IncidentOut::from_transition(&t, subject)
}

fn handover(subject: Subject) -> HandoverOut {
    HandoverOut {
        id: 1,
        subject,
        at: UnixTime(120.0),
        stage: HandoverStage::Request,
        from_party: OWN_PARTY.into(),
        to_party: "RU".into(),
        point: None,
        remark: Some("fighters at bingo fuel".into()),
    }
}

/// The decision's reason, or `None` when released.
fn reason(d: &Decision) -> Option<Reason> {
    match d {
        Decision::Withhold(r) => Some(*r),
        _ => None,
    }
}

fn check(r: &mut Releaser, msg: Outbound, expected: Option<Reason>) {
    let d = r.release(&msg, UnixTime(1000.0));
    assert_eq!(reason(&d), expected, "{msg:?} -> {d:?}");
}

#[test]
fn kinds_not_listed_are_withheld_and_heartbeats_always_go() {
    let mut r = releaser("kinds = [\"tracks\"]");
    let s = Subject::of_track(&inside(1, 0.0));
    check(&mut r, Outbound::Track(inside(1, 0.0)), None);
    check(
        &mut r,
        Outbound::Alert(alert(s.clone())),
        Some(Reason::KindNotReleased),
    );
    check(
        &mut r,
        Outbound::IncidentTransition(incident(s.clone())),
        Some(Reason::KindNotReleased),
    );
    check(
        &mut r,
        Outbound::Handover(handover(s)),
        Some(Reason::KindNotReleased),
    );
    check(
        &mut r,
        Outbound::Heartbeat(Heartbeat {
            time: UnixTime(1.0),
        }),
        None,
    );
    let mut none = releaser("");
    check(
        &mut none,
        Outbound::Track(inside(1, 0.0)),
        Some(Reason::KindNotReleased),
    );
    check(
        &mut none,
        Outbound::Heartbeat(Heartbeat {
            time: UnixTime(1.0),
        }),
        None,
    );
    assert_eq!(r.counters().released(Kind::Track), 1);
    assert_eq!(r.counters().heartbeats(), 1);
    assert_eq!(r.counters().withheld(Reason::KindNotReleased), 3);
}

#[test]
fn area_and_band() {
    let mut r = releaser("kinds = [\"tracks\"]");
    for (lat, lon, alt, expected) in [
        (54.5, 20.0, Some(10_000.0), None),
        (54.5, 20.0, Some(0.0), None),      // band is inclusive
        (54.5, 20.0, Some(30_000.0), None), // both ends
        (54.5, 20.0, Some(30_001.0), Some(Reason::OutsideBand)),
        (54.5, 20.0, Some(-10.0), Some(Reason::OutsideBand)),
        (54.5, 20.0, None, Some(Reason::AltitudeUnknown)),
        (54.5, 20.0, Some(f64::NAN), Some(Reason::AltitudeUnknown)),
        (53.9, 20.0, Some(10_000.0), Some(Reason::OutsideArea)),
        (54.5, 21.1, Some(10_000.0), Some(Reason::OutsideArea)),
        (54.5, 21.1, None, Some(Reason::OutsideArea)),
        (f64::NAN, 20.0, Some(10_000.0), Some(Reason::OutsideArea)),
    ] {
        check(
            &mut r,
            Outbound::Track(track(1, 0.0, lat, lon, alt)),
            expected,
        );
    }
}

#[test]
fn unknown_altitude_released_only_where_the_area_says_so() {
    let text = r#"
kinds = ["tracks"]
[[area]]
polygon = [[54, 19], [54, 21], [55, 21], [55, 19]]
lower_ft = 0
upper_ft = 30000
unknown_altitude = true
"#;
    let p = ReleasePolicy::from_toml_str(text).unwrap();
    let mut r = Releaser::new(p, OWN_PARTY, OWN_CENTRE, None).unwrap();
    check(
        &mut r,
        Outbound::Track(track(1, 0.0, 54.5, 20.0, None)),
        None,
    );
    check(
        &mut r,
        Outbound::Track(track(2, 0.0, 54.5, 20.0, Some(40_000.0))),
        Some(Reason::OutsideBand),
    );
}

#[test]
fn partner_data_is_not_forwarded_unless_its_party_is_listed() {
    let mut closed = releaser("kinds = [\"tracks\", \"alerts\"]");
    let mut t = inside(1, 0.0);
    t.origin = Origin::new("NATO/LT", "vilnius-cc");
    check(
        &mut closed,
        Outbound::Track(t.clone()),
        Some(Reason::PartnerData),
    );
    check(
        &mut closed,
        Outbound::Alert(alert(Subject::of_track(&t))),
        Some(Reason::PartnerData),
    );
    // Another centre of the own party is not this centre either.
    let mut other_own = inside(2, 0.0);
    other_own.origin = Origin::new(OWN_PARTY, "krakow-lu");
    check(
        &mut closed,
        Outbound::Track(other_own.clone()),
        Some(Reason::PartnerData),
    );

    let mut open = releaser(
        "kinds = [\"tracks\"]\nforward_partner_data = true\nforward_parties = [\"NATO/LT\"]",
    );
    check(&mut open, Outbound::Track(t), None);
    check(
        &mut open,
        Outbound::Track(other_own),
        Some(Reason::PartnerData),
    );
    let mut ru = inside(3, 0.0);
    ru.origin = Origin::new("RU", "kaliningrad-lu");
    check(&mut open, Outbound::Track(ru), Some(Reason::PartnerData));
}

#[test]
fn forwarding_switch_and_list_must_agree() {
    for extra in [
        "forward_partner_data = true",
        "forward_parties = [\"NATO/LT\"]",
        "[rate_limit]\ntracks_per_s = 0.0",
        "[rate_limit]\ntrack_min_interval_s = -1.0",
    ] {
        let text = format!("kinds = [\"tracks\"]\n{extra}");
        assert!(
            matches!(
                ReleasePolicy::from_toml_str(&text),
                Err(ReleaseError::Invalid(_))
            ),
            "{extra}"
        );
    }
}

#[test]
fn malformed_areas_and_unknown_keys_are_refused() {
    for text in [
        "[[area]]\npolygon = [[54, 19], [54, 21]]\nlower_ft = 0\nupper_ft = 1",
        "[[area]]\npolygon = [[54, 19], [54, 21], [95, 20]]\nlower_ft = 0\nupper_ft = 1",
        "[[area]]\npolygon = [[54, 19], [54, 21], [55, 20]]\nupper_ft = 1",
        "[[area]]\npolygon = [[54, 19], [54, 21], [55, 20]]\nlower_ft = 2\nupper_ft = 1",
        "[[area]]\nvolume = \"X\"\npolygon = [[54, 19], [54, 21], [55, 20]]",
        "[[area]]\nlower_ft = 0",
    ] {
        assert!(
            matches!(
                ReleasePolicy::from_toml_str(text),
                Err(ReleaseError::Area { .. })
            ),
            "{text}"
        );
    }
    assert!(matches!(
        ReleasePolicy::from_toml_str("kinds = [\"tracks\"]\nsecret = true"),
        Err(ReleaseError::Toml(_))
    ));
    assert!(matches!(
        ReleasePolicy::from_toml_str("kinds = [\"weather\"]"),
        Err(ReleaseError::Toml(_))
    ));
    let p = ReleasePolicy::from_toml_str("[[area]]\nvolume = \"EPWW-UMKK\"").unwrap();
    assert!(matches!(
        Releaser::new(p, OWN_PARTY, OWN_CENTRE, None),
        Err(ReleaseError::UnknownVolume { .. })
    ));
}

#[test]
fn military_tracks_and_events_about_them_are_withheld() {
    let mut r = releaser(
        "kinds = [\"tracks\", \"alerts\", \"incidents\", \"handovers\"]\nwithhold = [\"military_tracks\"]",
    );
    let mut t = inside(1, 0.0);
    t.military = true;
    let s = Subject::of_track(&t);
    check(&mut r, Outbound::Track(t), Some(Reason::MilitaryTrack));
    check(
        &mut r,
        Outbound::Alert(alert(s.clone())),
        Some(Reason::MilitaryTrack),
    );
    check(
        &mut r,
        Outbound::IncidentTransition(incident(s.clone())),
        Some(Reason::MilitaryTrack),
    );
    check(
        &mut r,
        Outbound::Handover(handover(s)),
        Some(Reason::MilitaryTrack),
    );
    // Without the rule the flag goes out as it is.
    let mut open = releaser("kinds = [\"tracks\"]");
    let mut t = inside(1, 0.0);
    t.military = true;
    check(&mut open, Outbound::Track(t), None);
}

#[test]
fn withheld_fields_are_absent_from_the_released_copy() {
    let all: Vec<String> = Field::ALL
        .iter()
        .filter(|f| **f != Field::MilitaryTracks)
        .map(|f| serde_json::to_string(f).unwrap())
        .collect();
    let mut r = releaser(&format!(
        "kinds = [\"tracks\", \"alerts\", \"incidents\", \"handovers\"]\nwithhold = [{}]",
        all.join(", ")
    ));
    let t = inside(1, 0.0);
    let s = Subject::of_track(&t);
    let msgs = [
        Outbound::Track(t),
        Outbound::Alert(alert(s.clone())),
        Outbound::IncidentTransition(incident(s.clone())),
        Outbound::Handover(handover(s)),
    ];
    for m in msgs {
        let Decision::Release(copy) = r.release(&m, UnixTime(1000.0)) else {
            panic!("{m:?} not released");
        };
        let json = serde_json::to_value(&copy).unwrap();
        let text = json.to_string();
        for key in [
            "\"lineage\"",
            "\"callsign\"",
            "\"squawk\"",
            "\"icao\"",
            "\"velocity\"",
            "\"category\"",
            "\"transponder_lost\"",
            "\"value\"",
            "\"detail\"",
            "\"actor\"",
            "\"reason\"",
            "\"remark\"",
            "LOT123",
            "kowalski",
            "radar-gdansk",
            "bingo",
        ] {
            assert!(!text.contains(key), "{key} in {text}");
        }
    }
}

#[test]
fn nothing_withheld_keeps_everything_but_third_party_lineage() {
    let mut r = releaser("kinds = [\"tracks\", \"alerts\"]");
    let t = inside(1, 0.0);
    let Decision::Release(Outbound::Track(copy)) =
        r.release(&Outbound::Track(t.clone()), UnixTime(0.0))
    else {
        panic!("not released");
    };
    let mut expected = t.clone();
    expected.lineage.retain(|e| e.party == OWN_PARTY);
    assert_eq!(copy, expected);
    // With NATO/LT forwarded, its sensor stays in the lineage.
    let mut fwd = releaser(
        "kinds = [\"tracks\"]\nforward_partner_data = true\nforward_parties = [\"NATO/LT\"]",
    );
    let Decision::Release(Outbound::Track(copy)) =
        fwd.release(&Outbound::Track(t.clone()), UnixTime(0.0))
    else {
        panic!("not released");
    };
    assert_eq!(copy, t);
    let a = alert(Subject::of_track(&t));
    assert_eq!(
        r.release(&Outbound::Alert(a.clone()), UnixTime(0.0)),
        Decision::Release(Outbound::Alert(a))
    );
}

#[test]
fn events_need_their_track_in_an_area_unless_the_policy_lifts_it() {
    let outside = Subject::of_track(&track(1, 0.0, 52.2, 21.0, Some(10_000.0)));
    let mut r = releaser("kinds = [\"alerts\", \"incidents\", \"handovers\"]");
    check(
        &mut r,
        Outbound::Alert(alert(outside.clone())),
        Some(Reason::OutsideArea),
    );
    check(
        &mut r,
        Outbound::IncidentTransition(incident(outside.clone())),
        Some(Reason::OutsideArea),
    );
    check(
        &mut r,
        Outbound::Handover(handover(outside.clone())),
        Some(Reason::OutsideArea),
    );
    let mut lifted =
        releaser("kinds = [\"alerts\", \"incidents\", \"handovers\"]\nevents_outside_area = true");
    check(&mut lifted, Outbound::Alert(alert(outside.clone())), None);
    check(
        &mut lifted,
        Outbound::IncidentTransition(incident(outside.clone())),
        None,
    );
    check(
        &mut lifted,
        Outbound::Handover(handover(outside.clone())),
        None,
    );
    // Lifting the area rule does not lift the origin rule.
    let mut partner = outside;
    partner.origin = Origin::new("RU", "kaliningrad-lu");
    check(
        &mut lifted,
        Outbound::Alert(alert(partner)),
        Some(Reason::PartnerData),
    );
}

#[test]
fn per_track_interval_newest_wins() {
    let mut r = releaser("kinds = [\"tracks\"]\n[rate_limit]\ntrack_min_interval_s = 2.0");
    let mut out = Vec::new();
    // t=0 goes at once; 0.5 and 1.0 are held (1.0 replaces 0.5); 1.5 arrives late in order.
    assert!(matches!(
        r.release(&Outbound::Track(inside(1, 0.0)), UnixTime(0.0)),
        Decision::Release(_)
    ));
    assert_eq!(
        r.release(&Outbound::Track(inside(1, 0.5)), UnixTime(0.5)),
        Decision::Deferred
    );
    assert_eq!(
        r.release(&Outbound::Track(inside(1, 1.0)), UnixTime(1.0)),
        Decision::Deferred
    );
    assert_eq!(
        r.release(&Outbound::Track(inside(1, 0.8)), UnixTime(1.1)),
        Decision::Withhold(Reason::Superseded)
    );
    // Another track is independent.
    assert!(matches!(
        r.release(&Outbound::Track(inside(2, 1.0)), UnixTime(1.0)),
        Decision::Release(_)
    ));
    r.due(UnixTime(1.9), &mut out);
    assert!(out.is_empty());
    r.due(UnixTime(2.0), &mut out);
    let times: Vec<(u64, f64)> = out
        .iter()
        .map(|m| match m {
            Outbound::Track(t) => (t.id, t.time.secs()),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(times, vec![(1, 1.0)]);
    assert_eq!(r.pending(), 0);
    // An update older than the one sent is superseded.
    assert_eq!(
        r.release(&Outbound::Track(inside(1, 0.9)), UnixTime(5.0)),
        Decision::Withhold(Reason::Superseded)
    );
    let c = r.counters();
    assert_eq!(c.deferred(), 2);
    assert_eq!(c.released_late(), 1);
    assert_eq!(c.withheld(Reason::Superseded), 3); // 0.5 replaced, 0.8 late, 0.9 old
    assert_eq!(c.released(Kind::Track), 3);
}

#[test]
fn link_rate_defers_and_due_sends_least_recently_sent_first() {
    let mut r = releaser("kinds = [\"tracks\"]\n[rate_limit]\ntracks_per_s = 2.0");
    let mut released = 0;
    for id in 0..5 {
        if matches!(
            r.release(&Outbound::Track(inside(id, 0.0)), UnixTime(0.0)),
            Decision::Release(_)
        ) {
            released += 1;
        }
    }
    assert_eq!(released, 2, "one second of burst");
    assert_eq!(r.pending(), 3);
    let mut out = Vec::new();
    r.due(UnixTime(0.4), &mut out);
    assert!(out.is_empty());
    r.due(UnixTime(1.0), &mut out);
    assert_eq!(out.len(), 2);
    r.due(UnixTime(2.0), &mut out);
    assert_eq!(out.len(), 3);
    let ids: Vec<u64> = out
        .iter()
        .map(|m| match m {
            Outbound::Track(t) => t.id,
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(ids, vec![2, 3, 4]);
}

#[test]
fn events_are_never_rate_limited() {
    let mut r = releaser(
        "kinds = [\"tracks\", \"alerts\", \"incidents\", \"handovers\"]\n[rate_limit]\ntracks_per_s = 1.0\ntrack_min_interval_s = 100.0",
    );
    let s = Subject::of_track(&inside(1, 0.0));
    for k in 0..1000 {
        let now = UnixTime(f64::from(k) * 0.001);
        for m in [
            Outbound::Alert(alert(s.clone())),
            Outbound::IncidentTransition(incident(s.clone())),
            Outbound::Handover(handover(s.clone())),
        ] {
            assert!(matches!(r.release(&m, now), Decision::Release(_)));
        }
    }
    assert_eq!(r.counters().released(Kind::Alert), 1000);
}

#[test]
fn forgetting_a_track_drops_its_pending_update() {
    let mut r = releaser("kinds = [\"tracks\"]\n[rate_limit]\ntrack_min_interval_s = 5.0");
    let _ = r.release(&Outbound::Track(inside(1, 0.0)), UnixTime(0.0));
    assert_eq!(
        r.release(&Outbound::Track(inside(1, 1.0)), UnixTime(1.0)),
        Decision::Deferred
    );
    r.forget(1);
    let mut out = Vec::new();
    r.due(UnixTime(10.0), &mut out);
    assert!(out.is_empty());
    assert_eq!(r.counters().withheld(Reason::Superseded), 1);
}

#[test]
fn outbound_json_round_trips() {
    let t = inside(1, 0.0);
    for m in [
        Outbound::Track(t.clone()),
        Outbound::Alert(alert(Subject::of_track(&t))),
        Outbound::IncidentTransition(incident(Subject::of_track(&t))),
        Outbound::Handover(handover(Subject::of_track(&t))),
        Outbound::Heartbeat(Heartbeat {
            time: UnixTime(3.0),
        }),
    ] {
        let text = serde_json::to_string(&m).unwrap();
        let back: Outbound = serde_json::from_str(&text).unwrap();
        assert_eq!(back, m, "{text}");
    }
}

fn missile(origin: Origin) -> vigil_release::MissileTrackOut {
    vigil_release::MissileTrackOut {
        id: 3,
        time: UnixTime(100.0),
        origin,
        object: "rv".into(),
        phase: "midcourse".into(),
        // Far outside the square: early warning has no area.
        lat: 36.0,
        lon: 45.0,
        alt_m: 400_000.0,
        velocity: Some(Velocity {
            east_mps: -2_000.0,
            north_mps: 1_000.0,
            up_mps: 0.0,
        }),
        estimate: Some(vigil_release::StateEstimate {
            ecef: [1.0; 6],
            cov_upper: [1.0; 21],
        }),
        impact: None,
        launch: None,
        lineage: vec![
            LineageEntry {
                sensor: "kurecik".into(),
                party: OWN_PARTY.into(),
            },
            LineageEntry {
                sensor: "armavir".into(),
                party: "RU".into(),
            },
        ],
    }
}

fn station_alarm(origin: Origin) -> vigil_release::StationAlarmOut {
    vigil_release::StationAlarmOut {
        alarm: 1,
        seq: 2,
        time: UnixTime(100.0),
        origin,
        station: "example".into(),
        zone: "corridor".into(),
        state: "alarm".into(),
        level: "CUE".into(),
        body_location: Some("torso".into()),
        sensor_kinds: vec!["passive_mmw".into()],
        remark: Some("note".into()),
    }
}

/// Missile tracks and launch warnings: released by kind, wherever they are (no area), never
/// another party's unless forwarded; `estimate`, `velocity` and `lineage` are withheld like
/// the same fields of tracks. Station alarms: by kind and origin; `evidence` removes the
/// body location and sensor kinds, `remarks` the remark.
#[test]
fn early_warning_and_station_alarms() {
    let m = Outbound::MissileTrack(missile(own()));
    let w = Outbound::LaunchWarning(vigil_release::LaunchWarningOut {
        id: 1,
        time: UnixTime(60.0),
        origin: own(),
        launch_time: UnixTime(0.0),
        lat: 32.5,
        lon: 53.0,
        radius_m: 50_000.0,
        azimuth_deg: None,
    });
    let s = Outbound::StationAlarm(station_alarm(own()));

    let mut none = releaser("kinds = [\"tracks\"]");
    for msg in [&m, &w, &s] {
        assert_eq!(
            none.release(msg, UnixTime(100.0)),
            Decision::Withhold(Reason::KindNotReleased)
        );
    }

    let mut all = releaser("kinds = [\"missile_tracks\", \"launch_warnings\", \"station_alarms\"]");
    let Decision::Release(Outbound::MissileTrack(out)) = all.release(&m, UnixTime(100.0)) else {
        panic!("missile track not released")
    };
    assert!(out.estimate.is_some() && out.velocity.is_some());
    // The partner's radar in the lineage is the partner's data.
    assert_eq!(out.lineage.len(), 1);
    assert_eq!(
        all.release(&w, UnixTime(100.0)),
        Decision::Release(w.clone())
    );
    assert_eq!(
        all.release(&s, UnixTime(100.0)),
        Decision::Release(s.clone())
    );
    assert_eq!(all.counters().released(Kind::MissileTrack), 1);
    assert_eq!(all.counters().released(Kind::LaunchWarning), 1);
    assert_eq!(all.counters().released(Kind::StationAlarm), 1);

    let partner = Origin::new("RU", "armavir");
    assert_eq!(
        all.release(
            &Outbound::MissileTrack(missile(partner.clone())),
            UnixTime(100.0)
        ),
        Decision::Withhold(Reason::PartnerData)
    );
    assert_eq!(
        all.release(
            &Outbound::StationAlarm(station_alarm(partner)),
            UnixTime(100.0)
        ),
        Decision::Withhold(Reason::PartnerData)
    );

    let mut redacting = releaser(
        "kinds = [\"missile_tracks\", \"station_alarms\"]\nwithhold = [\"estimate\", \"velocity\", \"lineage\", \"evidence\", \"remarks\"]",
    );
    let Decision::Release(Outbound::MissileTrack(out)) = redacting.release(&m, UnixTime(100.0))
    else {
        panic!("missile track not released")
    };
    assert!(out.estimate.is_none() && out.velocity.is_none() && out.lineage.is_empty());
    let json = serde_json::to_string(&out).unwrap();
    assert!(
        !json.contains("estimate") && !json.contains("velocity"),
        "{json}"
    );
    let Decision::Release(Outbound::StationAlarm(out)) = redacting.release(&s, UnixTime(100.0))
    else {
        panic!("station alarm not released")
    };
    assert_eq!(
        (out.body_location, out.sensor_kinds.len(), out.remark),
        (None, 0, None)
    );
    assert_eq!(out.zone, "corridor");
}
