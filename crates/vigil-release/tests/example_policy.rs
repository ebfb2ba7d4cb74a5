//! The shipped example policy parses, and on the real airspace (EUROCONTROL FIRs plus
//! vigil-airspace's config with UMKK and the EPWW-UMKK band) releases what it says.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use vigil_airspace::{Airspace, AirspaceConfig};
use vigil_core::UnixTime;
use vigil_release::{
    Decision, Field, Identity, Kind, LineageEntry, Origin, Outbound, Reason, ReleaseError,
    ReleasePolicy, Releaser, TrackOut,
};

const POLICY: &str = include_str!("../data/warsaw-kaliningrad.toml");

fn track(lat: f64, lon: f64, alt: Option<f64>, military: bool) -> TrackOut {
    TrackOut {
        id: 1,
        time: UnixTime(1000.0),
        lat,
        lon,
        alt_ft: alt,
        velocity: None,
        identity: Identity::default(),
        military,
        origin: Origin::new("NATO/PL", "warszawa-lu"),
        lineage: vec![LineageEntry {
            sensor: "radar-gdansk".into(),
            party: "NATO/PL".into(),
        }],
        transponder_lost: Some(true),
        category: None,
    }
}

#[test]
fn example_policy_parses() {
    let p = ReleasePolicy::from_toml_str(POLICY).unwrap();
    assert!(p.releases(Kind::Track) && p.releases(Kind::Alert) && p.releases(Kind::Incident));
    assert!(!p.releases(Kind::Handover));
    assert!(p.withholds(Field::Lineage) && p.withholds(Field::MilitaryTracks));
    assert!(!p.forward_partner_data);
    assert_eq!(p.areas[0].volume.as_deref(), Some("EPWW-UMKK"));
    // The volume needs the airspace.
    assert!(matches!(
        Releaser::new(p, "NATO/PL", "warszawa-lu", None),
        Err(ReleaseError::UnknownVolume { .. })
    ));
}

#[test]
fn example_policy_on_the_real_release_band() {
    let Some(firs) = vigil_testdata::path("aero/eurofirs.json") else {
        return;
    };
    let config =
        AirspaceConfig::from_toml_str(include_str!("../../vigil-airspace/data/airspace.toml"))
            .unwrap();
    let airspace = Airspace::load(&firs, &config).unwrap();
    let p = ReleasePolicy::from_toml_str(POLICY).unwrap();
    let mut r = Releaser::new(p, "NATO/PL", "warszawa-lu", Some(&airspace)).unwrap();
    let mut check = |t: TrackOut, expected: Option<Reason>| {
        let d = r.release(&Outbound::Track(t.clone()), UnixTime(1000.0 + t.lat));
        match (&d, expected) {
            (Decision::Release(Outbound::Track(c)), None) => {
                assert!(c.lineage.is_empty(), "lineage withheld");
            }
            (Decision::Withhold(got), Some(want)) => assert_eq!(*got, want, "{t:?}"),
            _ => panic!("{t:?}: {d:?}, expected {expected:?}"),
        }
    };
    let mut t = track(54.2, 20.0, Some(35_000.0), false); // Poland, 10 NM from Kaliningrad
    check(t.clone(), None);
    t.id = 2;
    t.lat = 54.8;
    t.lon = 20.5; // inside UMKK
    check(t.clone(), None);
    t.id = 3;
    t.alt_ft = None; // primary-only: the example releases unknown altitudes in the band
    check(t.clone(), None);
    check(
        track(52.23, 21.01, Some(35_000.0), false),
        Some(Reason::OutsideArea),
    ); // Warsaw
    check(
        track(54.69, 25.28, Some(35_000.0), false),
        Some(Reason::OutsideArea),
    ); // Vilnius
    check(
        track(54.2, 20.0, Some(67_000.0), false),
        Some(Reason::OutsideBand),
    );
    check(
        track(54.2, 20.0, Some(20_000.0), true),
        Some(Reason::MilitaryTrack),
    );
    let mut lt = track(54.2, 20.0, Some(20_000.0), false);
    lt.origin = Origin::new("NATO/LT", "vilnius-cc");
    check(lt, Some(Reason::PartnerData));
}
