//! Behaviour on small made-up airspaces (no data files): precedence, validation, release
//! bands across a gap, crossings and gap merging.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use vigil_airspace::{Airspace, AirspaceConfig, AirspaceError, FirSpec, PathPoint};
use vigil_core::LatLon;

fn square(id: &str, lat0: f64, lon0: f64, lat1: f64, lon1: f64) -> FirSpec {
    FirSpec {
        id: id.into(),
        name: format!("{id} FIR"),
        party: None,
        rings: vec![vec![
            LatLon::new(lat0, lon0),
            LatLon::new(lat0, lon1),
            LatLon::new(lat1, lon1),
            LatLon::new(lat1, lon0),
        ]],
        lower_ft: 0.0,
        upper_ft: 66_000.0,
    }
}

/// Two FIRs side by side at 10E, separated by a 0.005-degree (about 330 m) sliver.
fn pair() -> Vec<FirSpec> {
    vec![
        square("AAAA", 50.0, 8.0, 52.0, 10.0),
        square("BBBB", 50.0, 10.005, 52.0, 12.0),
    ]
}

const CONFIG: &str = r#"
[parties]
AAAA = "NATO/A"
BBBB = "B"

[[fir]]
id = "CCCC"
name = "Configured over AAAA"
party = "C"
polygon = [[50.5, 8.5], [50.5, 9.0], [51.0, 9.0], [51.0, 8.5]]
upper_ft = 30000

[[restricted]]
id = "R1"
name = "circle"
centre = [51.0, 11.0]
radius_nm = 5.0
upper_ft = 10000

[[release]]
id = "AB"
name = "A-B border"
between = ["AAAA", "BBBB"]
within_nm = 20.0
upper_ft = 66000
"#;

fn airspace() -> Airspace {
    Airspace::from_parts(pair(), &AirspaceConfig::from_toml_str(CONFIG).unwrap()).unwrap()
}

#[test]
fn configured_firs_win_where_they_overlap() {
    let a = airspace();
    let id = |lat, lon, alt| a.fir_at(LatLon::new(lat, lon), alt).map(|v| v.id.as_str());
    assert_eq!(id(50.75, 8.75, 10_000.0), Some("CCCC"));
    // Above CCCC's upper limit the GeoJSON-style FIR underneath answers.
    assert_eq!(id(50.75, 8.75, 40_000.0), Some("AAAA"));
    assert_eq!(id(51.0, 11.0, 10_000.0), Some("BBBB"));
    assert_eq!(id(51.0, 10.002, 10_000.0), None, "in the sliver");
    assert_eq!(a.party_at(LatLon::new(50.75, 8.75), 0.0), Some("C"));
    assert_eq!(a.party_at(LatLon::new(51.0, 11.0), 0.0), Some("B"));
    assert_eq!(id(f64::NAN, 9.0, 0.0), None);
    assert_eq!(id(51.0, 9.0, f64::NAN), None);
}

#[test]
fn a_sliver_between_two_firs_is_one_crossing() {
    let a = airspace();
    let path: Vec<PathPoint> = (0..=20)
        .map(|k| {
            PathPoint::new(
                k as f64 * 10.0,
                LatLon::new(51.5, 9.8 + k as f64 * 0.02),
                20_000.0,
            )
        })
        .collect();
    let c = a.fir_crossings(&path);
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(
        (c[0].from.as_deref(), c[0].to.as_deref()),
        (Some("AAAA"), Some("BBBB"))
    );
    assert_eq!(
        (c[0].from_party.as_deref(), c[0].to_party.as_deref()),
        (Some("NATO/A"), Some("B"))
    );
    // At the middle of the sliver, 10.0025E.
    assert!((c[0].pos.lon - 10.0025).abs() < 1e-4, "{c:?}");
    // Through CCCC's floor-to-30,000 ft box and out the side again: two crossings.
    let path = [
        PathPoint::new(0.0, LatLon::new(50.75, 8.2), 20_000.0),
        PathPoint::new(600.0, LatLon::new(50.75, 9.4), 20_000.0),
    ];
    let ids: Vec<_> = a
        .fir_crossings(&path)
        .into_iter()
        .map(|c| (c.from.unwrap(), c.to.unwrap()))
        .collect();
    assert_eq!(
        ids,
        [
            ("AAAA".into(), "CCCC".into()),
            ("CCCC".into(), "AAAA".into())
        ]
    );
}

#[test]
fn release_band_spans_the_gap_and_clips_to_the_pair() {
    let a = airspace();
    let rel = |lat, lon| a.in_release_area(LatLon::new(lat, lon), 1_000.0).is_some();
    // 20 NM at 51N is about 0.53 degrees of longitude.
    assert!(rel(51.0, 9.6));
    assert!(rel(51.0, 10.4));
    assert!(!rel(51.0, 9.3));
    assert!(!rel(51.0, 10.7));
    // Beyond the pair's northern edge: clipped out though near the boundary line's end.
    assert!(!rel(52.1, 10.0));
    let band = a.volume("AB").unwrap();
    let d = band.distance_to_boundary_m(LatLon::new(51.0, 10.0025));
    assert!((d - 20.0 * 1852.0).abs() < 400.0, "{d}");
}

#[test]
fn bad_configurations_are_refused() {
    let bad = |extra: &str| {
        let cfg = AirspaceConfig::from_toml_str(extra).unwrap();
        Airspace::from_parts(pair(), &cfg).unwrap_err()
    };
    assert!(matches!(
        bad("[[release]]\nid='X'\nname='x'\nbetween=['AAAA','ZZZZ']\nwithin_nm=5\nupper_ft=1\n"),
        AirspaceError::UnknownFir { .. }
    ));
    assert!(matches!(
        bad("[[restricted]]\nid='X'\nname='x'\ncentre=[50,9]\nupper_ft=1\n"),
        AirspaceError::Invalid { .. }
    ));
    assert!(matches!(
        bad("[[restricted]]\nid='AAAA'\nname='x'\ncentre=[50,9]\nradius_nm=1\nupper_ft=1\n"),
        AirspaceError::Duplicate(_)
    ));
    assert!(matches!(
        bad("[[fir]]\nid='X'\nname='x'\npolygon=[[50,9],[51,9]]\nupper_ft=1\n"),
        AirspaceError::Invalid { .. }
    ));
    assert!(matches!(
        bad("[[fir]]\nid='X'\nname='x'\npolygon=[[50,9],[51,9],[51,10]]\nlower_ft=5\nupper_ft=1\n"),
        AirspaceError::Invalid { .. }
    ));
    // Far apart FIRs share no boundary.
    let far = vec![
        square("AAAA", 50.0, 8.0, 52.0, 10.0),
        square("BBBB", 50.0, 12.0, 52.0, 13.0),
    ];
    let cfg = AirspaceConfig::from_toml_str(
        "[[release]]\nid='X'\nname='x'\nbetween=['AAAA','BBBB']\nwithin_nm=5\nupper_ft=1\n",
    )
    .unwrap();
    assert!(matches!(
        Airspace::from_parts(far, &cfg),
        Err(AirspaceError::Invalid { .. })
    ));
}

#[test]
fn a_configured_fir_replaces_a_data_fir_of_the_same_id() {
    let cfg = AirspaceConfig::from_toml_str(
        "[[fir]]\nid='AAAA'\nname='replacement'\npolygon=[[50,8],[50,9],[51,9]]\nupper_ft=66000\n",
    )
    .unwrap();
    let a = Airspace::from_parts(pair(), &cfg).unwrap();
    assert_eq!(a.volume("AAAA").unwrap().name, "replacement");
    assert_eq!(a.firs().count(), 2);
    assert!(a.fir_at(LatLon::new(51.5, 9.5), 0.0).is_none());
}
