//! The desk: incidents from the rules, notification of both chains at one moment, and the
//! operator-only categories.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use vigil_core::{IcaoAddress, LatLon, UnixTime};
use vigil_incident::{ActionArgs, Actor, ChannelKind, IncidentError, Role};
use vigil_renegade::{
    Callsign, Category, EmergencyStatus, RenegadeConfig, RenegadeDesk, RenegadeEngine, TrackView,
};

fn view(t: f64, squawk: u16) -> TrackView {
    TrackView {
        id: 42,
        time: UnixTime(t),
        pos: LatLon::new(53.0 + t * 1e-5, 19.0),
        alt_ft: Some(33_000.0),
        vel_en: [0.0, 230.0],
        vrate_fpm: 0.0,
        icao: Some(IcaoAddress::new(0x48AF01)),
        callsign: Callsign::new("LOT3917"),
        squawk: Some(squawk),
        emergency: EmergencyStatus::None,
        transponder_lost: false,
        confirmed: true,
        military: false,
    }
}

#[test]
fn suspected_notifies_national_chain_and_partner_at_one_moment() {
    let rules = RenegadeEngine::new(RenegadeConfig::default()).unwrap();
    let mut desk = RenegadeDesk::new(rules, &["RU".to_owned()]).unwrap();
    let mut notified = Vec::new();
    let mut opened = Vec::new();
    for k in 0..20 {
        let t = 1_000.0 + f64::from(k);
        let sq = if k < 5 {
            0x4521
        } else if k < 10 {
            0x7600
        } else {
            0x7500
        };
        let r = desk.cycle(UnixTime(t), &[view(t, sq)]);
        assert!(!r.audit.is_empty() || r.opened.is_empty());
        opened.extend(r.opened);
        notified.extend(r.notifications);
    }
    // One incident, opened at COMLOSS (7600 at 1005), raised to SUSPECTED at 1010.
    assert_eq!(opened.len(), 1);
    let inc = desk.incident_of(42).unwrap();
    assert_eq!(
        inc.level_since(Category::Comloss.level()),
        Some(UnixTime(1_005.0))
    );
    assert_eq!(
        inc.level_since(Category::Suspected.level()),
        Some(UnixTime(1_010.0))
    );
    assert_eq!(inc.state, "notified");
    // Both channels, same instant.
    assert_eq!(notified.len(), 2, "{notified:?}");
    assert_eq!(notified[0].at, notified[1].at);
    let chans: Vec<_> = notified.iter().map(|n| n.channel.clone()).collect();
    assert!(chans.contains(&ChannelKind::NationalChain));
    assert!(chans.contains(&ChannelKind::Partner("RU".into())));
    // Evidence carries the indicators and when they started.
    assert!(
        inc.evidence
            .iter()
            .any(|e| e.kind == "squawk_7500" && e.started == UnixTime(1_010.0))
    );
    assert_eq!(desk.category(42), Category::Suspected);

    // PROBABLE needs a human.
    let id = inc.id;
    let sys = desk.act(
        UnixTime(1_030.0),
        id,
        &Actor::system(),
        "classify",
        ActionArgs {
            level: Some(Category::Probable.level()),
            reason: Some("refuses to turn back".into()),
            ..ActionArgs::default()
        },
    );
    assert!(sys.is_err(), "{sys:?}");
    let (t, notes, audit) = desk
        .act(
            UnixTime(1_031.0),
            id,
            &Actor::new("duty officer", Role::Operator),
            "classify",
            ActionArgs {
                level: Some(Category::Probable.level()),
                reason: Some("refuses to return to route".into()),
                ..ActionArgs::default()
            },
        )
        .unwrap();
    assert_eq!(t.to_level, Category::Probable.level());
    assert_eq!(notes.len(), 2, "a raise above SUSPECTED is announced again");
    assert!(!audit.is_empty());
    assert_eq!(desk.category(42), Category::Probable);
    // Closing is a supervisor's.
    let err = desk
        .act(
            UnixTime(1_040.0),
            id,
            &Actor::new("duty officer", Role::Operator),
            "close",
            ActionArgs {
                reason: Some("landed".into()),
                ..ActionArgs::default()
            },
        )
        .unwrap_err();
    assert!(matches!(err, IncidentError::RoleTooLow { .. }), "{err:?}");
}
