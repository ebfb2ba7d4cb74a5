//! Navigation data and route expansion: small X-Plane 11 files written here, then the real
//! worldwide data from `shared/data/aero` (skipped when absent) with a Kraków–Gdańsk route.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::OnceLock;

use proptest::prelude::*;
use vigil_core::LatLon;
use vigil_flightplan::navdata::{
    AirwayLevel, Direction, NavData, NavDataError, NavaidKind, WaypointKind,
};
use vigil_flightplan::route::{
    Corridor, PointKind, ProfileOptions, RouteError, RouteWarning, destination_point, expand,
    parse_coordinates,
};
use vigil_flightplan::{FlightPlan, parse_message};

const XP11_FIX: &str = "I\n1101 Version - data cycle 2101\n\n\
 50.00000000  019.00000000 AAAAA ENRT EP 2107\n\
 51.00000000  019.00000000 BBBBB ENRT EP 2107\n\
 52.00000000  019.00000000 CCCCC ENRT EP 2107\n\
 10.00000000  010.00000000 AAAAA ENRT XX 2107\n\
99\n";
const XP11_NAV: &str = "I\n1150 Version - data cycle 2101\n\n\
3  52.50000000  019.00000000 000300 11390 130 4.0 VVV ENRT EP VVV VOR/DME\n\
2  51.50000000  019.00000000 000300 380 50 0.0 NN ENRT EP NNN NDB\n\
4  50.00000000  019.00000000 000300 11010 18 90.0 IXX EPKK EP 25 ILS-cat-I\n\
99\n";
const XP11_AWY: &str = "I\n1100 Version - data cycle 2101\n\n\
AAAAA EP 11 BBBBB EP 11 N 2 180 460 Q1-Q2\n\
BBBBB EP 11 CCCCC EP 11 F 2 180 460 Q1\n\
CCCCC EP 11 VVV EP 3 N 1 50 180 Q1\n\
99\n";
const AIRPORTS: &str = r#"[{"name":"A","iata":"","icao":"EPAA","lat":49.5,"lon":19.0,"country":"PL","alt":800},
 {"name":"B","iata":"","icao":"EPBB","lat":53.0,"lon":19.0,"country":"PL","alt":"-1"}]"#;

fn small() -> NavData {
    NavData::from_texts(XP11_FIX, XP11_NAV, XP11_AWY, AIRPORTS).unwrap()
}

#[test]
fn xplane11_files_load_with_regions_directions_and_joined_names() {
    let nav = small();
    assert_eq!(nav.fixes().len(), 4);
    assert_eq!(nav.fixes()[0].region.as_deref(), Some("EP"));
    assert_eq!(nav.navaids().len(), 2, "the ILS is not loaded");
    assert_eq!(nav.navaids()[0].kind, NavaidKind::Vor);
    assert_eq!(nav.navaids()[0].name, "VVV VOR/DME");
    assert_eq!(nav.segments().len(), 3);
    assert_eq!(nav.segments()[0].names, vec!["Q1", "Q2"]);
    assert_eq!(nav.segments()[1].direction, Direction::Forward);
    assert_eq!(nav.segments()[2].level, AirwayLevel::Low);
    assert_eq!(nav.airway("Q2").count(), 1);
    assert_eq!(
        nav.airport("EPBB").unwrap().elevation_ft,
        None,
        "\"-1\" is a placeholder"
    );
    // Idents repeat: the nearest one wins.
    let near = |lat, lon| nav.nearest("AAAAA", LatLon::new(lat, lon)).unwrap().pos;
    assert_eq!(near(49.0, 19.0), LatLon::new(50.0, 19.0));
    assert_eq!(near(11.0, 11.0), LatLon::new(10.0, 10.0));
    // One-way segment: Q1 can be flown north, not south.
    let north = nav
        .airway_path("Q1", "AAAAA", LatLon::new(50.0, 19.0), "VVV")
        .unwrap();
    let idents: Vec<_> = north.iter().map(|p| p.ident.as_str()).collect();
    assert_eq!(idents, ["BBBBB", "CCCCC", "VVV"]);
    assert!(
        nav.airway_path("Q1", "VVV", LatLon::new(52.5, 19.0), "AAAAA")
            .is_none()
    );
}

#[test]
fn navdata_errors_name_file_and_line() {
    let cases: &[(&str, &str, &str, &str, &str)] = &[
        (
            "I\n1101 Version\n 50.0 xx AAAAA ENRT EP 2107\n",
            XP11_NAV,
            XP11_AWY,
            "earth_fix.dat:3",
            "longitude 'xx'",
        ),
        (
            XP11_FIX,
            "I\n1150 Version\n3 95.0 19.0 0 0 0 0 V ENRT EP V VOR\n",
            XP11_AWY,
            "earth_nav.dat:3",
            "out of range",
        ),
        (
            XP11_FIX,
            XP11_NAV,
            "I\n1100 Version\n\nAAAAA EP 11 ZZZZZ EP 11 N 2 1 2 Q1\n",
            "earth_awy.dat:4",
            "ZZZZZ",
        ),
        (
            XP11_FIX,
            XP11_NAV,
            "A1 001 AAAAA 50.0\n",
            "earth_awy.dat:1",
            "4 columns",
        ),
    ];
    for (fix, nav, awy, at, what) in cases {
        let e = NavData::from_texts(fix, nav, awy, AIRPORTS).unwrap_err();
        let s = e.to_string();
        assert!(s.starts_with(at) && s.contains(what), "{s}");
        assert!(matches!(e, NavDataError::Parse { .. }));
    }
    let e = NavData::from_texts(XP11_FIX, XP11_NAV, XP11_AWY, "[{").unwrap_err();
    assert!(e.to_string().starts_with("airports.json:"), "{e}");
    let e = NavData::load_dir(std::path::Path::new("/nonexistent")).unwrap_err();
    assert!(e.to_string().contains("earth_fix.dat"), "{e}");
}

#[test]
fn coordinates_in_all_three_forms() {
    let cases: &[(&str, Option<(f64, f64)>)] = &[
        ("52N020E", Some((52.0, 20.0))),
        ("5220N02100E", Some((52.0 + 20.0 / 60.0, 21.0))),
        (
            "522030N0210015E",
            Some((52.0 + 20.5 / 60.0, 21.0 + 15.0 / 3600.0)),
        ),
        ("45S170W", Some((-45.0, -170.0))),
        ("5260N02100E", None),
        ("52N20E", None),
        ("95N020E", None),
        ("SOXER", None),
    ];
    for (s, want) in cases {
        let got = parse_coordinates(s).map(|p| (p.lat, p.lon));
        match (got, want) {
            (Some(g), Some(w)) => assert!(
                (g.0 - w.0).abs() < 1e-9 && (g.1 - w.1).abs() < 1e-9,
                "{s}: {g:?}"
            ),
            (g, w) => assert_eq!(g, *w, "{s}"),
        }
    }
}

/// Initial great-circle bearing from `a` to `b`, degrees.
fn bearing(a: LatLon, b: LatLon) -> f64 {
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dl = (b.lon - a.lon).to_radians();
    (dl.sin() * p2.cos())
        .atan2(p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos())
        .to_degrees()
}

/// The point a fraction `f` of the way from `a` to `b` on the great circle.
fn slerp(a: LatLon, b: LatLon, f: f64) -> LatLon {
    destination_point(a, bearing(a, b), a.distance_m(&b) * f)
}

fn plan(route: &str) -> FlightPlan {
    FlightPlan::parse(&format!(
        "(FPL-LOT3917-IS-B738/M-SDFGIRWY/LB1-EPKK0930-N0450F360 {route}-EPGD0105-DOF/110607)"
    ))
    .unwrap()
}

fn real() -> Option<&'static NavData> {
    static NAV: OnceLock<Option<NavData>> = OnceLock::new();
    NAV.get_or_init(|| {
        let dir = vigil_testdata::path("aero/earth_fix.dat")?
            .parent()?
            .to_path_buf();
        let t = std::time::Instant::now();
        let nav = NavData::load_dir(&dir).expect("real navigation data loads");
        eprintln!("navdata loaded in {:.2?} (debug/test profile)", t.elapsed());
        Some(nav)
    })
    .as_ref()
}

#[test]
fn real_navdata_loads() {
    let Some(nav) = real() else { return };
    assert_eq!(nav.fixes().len(), 267_123);
    assert!(nav.navaids().len() > 10_000, "{}", nav.navaids().len());
    assert_eq!(nav.airports().len(), 6_903);
    // 102,204 points in 9,667 airways: one segment fewer than points per airway.
    assert_eq!(nav.segments().len(), 102_204 - 9_667);
    let krk = nav.airport("EPKK").unwrap();
    assert_eq!(krk.elevation_ft, Some(791.0));
    // KRK is in Kerkyra (Greece) on the airways; the nearest to Poland is not that one.
    let w = nav.nearest("GRUDA", krk.pos).unwrap();
    assert_eq!(w.kind, WaypointKind::Fix);
    assert!((w.pos.lat - 53.521).abs() < 1e-3);
}

#[test]
fn krakow_to_gdansk_along_real_airways() {
    let Some(nav) = real() else { return };
    let p = plan("DCT VAVEL M985 KOTEK N133 KARTI DCT");
    let r = expand(&p, nav).unwrap();
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    let names: Vec<_> = r.points.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names.first(), Some(&"EPKK"));
    assert_eq!(names.last(), Some(&"EPGD"));
    let i = |n: &str| {
        names
            .iter()
            .position(|x| *x == n)
            .unwrap_or_else(|| panic!("{n} in {names:?}"))
    };
    // M985 VAVEL-POBOK-KOTEK, then N133 north through GRUDA, IRLUN to KARTI.
    assert!(i("VAVEL") < i("POBOK") && i("POBOK") < i("KOTEK") && i("KOTEK") < i("GRUDA"));
    assert!(i("GRUDA") < i("IRLUN") && i("IRLUN") < i("KARTI"));
    assert_eq!(r.points[i("POBOK")].via.as_deref(), Some("M985"));
    assert_eq!(r.points[i("NEGUV")].via.as_deref(), Some("N133"));
    let gc = r.points[0]
        .pos
        .distance_m(&r.points[r.points.len() - 1].pos);
    let len = r.length_m();
    assert!(
        len > gc && len < 1.2 * gc,
        "airways add a little: {len} vs {gc}"
    );

    // The same without the junction point: M985 N133 meet at KOTEK.
    let r2 = expand(&plan("DCT VAVEL M985 N133 KARTI DCT"), nav).unwrap();
    assert!(r2.warnings.is_empty(), "{:?}", r2.warnings);
    assert_eq!(r2.points.len(), r.points.len());
    assert!((r2.length_m() - len).abs() < 1.0);
}

#[test]
fn direct_route_is_the_great_circle() {
    let Some(nav) = real() else { return };
    let r = expand(&plan("DCT"), nav).unwrap();
    assert_eq!(r.points.len(), 2);
    let gc = r.points[0].pos.distance_m(&r.points[1].pos);
    assert!((r.length_m() - gc).abs() < 1e-6);
    assert!(
        (gc / 1000.0 - 480.0).abs() < 10.0,
        "EPKK-EPGD is about 480 km: {gc}"
    );
    let (c, _) = Corridor::from_plan(&plan("DCT"), nav).unwrap();
    assert!((c.length_m() - gc).abs() / gc < 0.01);
}

#[test]
fn lat_lon_points_speed_changes_procedures_and_fallbacks() {
    let Some(nav) = real() else { return };
    let r = expand(
        &plan("SKAV1G VAVEL/N0440F340 DCT 5200N01930E DCT 522030N0190015E Q999 KARTI GDA1A"),
        nav,
    )
    .unwrap();
    let names: Vec<_> = r.points.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "EPKK",
            "VAVEL",
            "5200N01930E",
            "522030N0190015E",
            "KARTI",
            "EPGD"
        ]
    );
    assert_eq!(r.points[2].kind, PointKind::Coordinates);
    assert_eq!(r.points[2].pos, LatLon::new(52.0, 19.5));
    assert!(r.points[1].change.is_some());
    assert_eq!(
        r.warnings,
        [
            RouteWarning::ProcedureSkipped("SKAV1G".into()),
            RouteWarning::AirwayNotFound {
                airway: "Q999".into()
            },
            RouteWarning::ProcedureSkipped("GDA1A".into()),
        ]
    );
    // An airway that does not join the points is flown direct, with a warning.
    let r = expand(&plan("DCT VAVEL L621 KARTI DCT"), nav).unwrap();
    assert_eq!(r.points.len(), 4);
    assert!(
        matches!(&r.warnings[..], [RouteWarning::AirwayDoesNotJoin { airway, .. }] if airway == "L621")
    );
    // Truncation.
    let r = expand(&plan("DCT VAVEL T"), nav).unwrap();
    assert_eq!(r.points.len(), 3);
    assert_eq!(r.warnings, [RouteWarning::Truncated]);
}

#[test]
fn unknown_elements_are_named() {
    let Some(nav) = real() else { return };
    let e = expand(&plan("DCT VAVEL DCT XQZZY DCT"), nav).unwrap_err();
    assert_eq!(
        e,
        RouteError::UnknownElement {
            element: "XQZZY".into(),
            index: 3
        }
    );
    assert_eq!(
        e.to_string(),
        "route element 3 'XQZZY' is not a known point, airway or procedure"
    );
    let e = expand(&plan("DCT VAVEL/N0440F3X0 DCT"), nav).unwrap_err();
    assert!(
        e.to_string().contains("'VAVEL/N0440F3X0'") && e.to_string().contains("F3X0"),
        "{e}"
    );
    let mut p = plan("DCT");
    p.destination = "ZZZZ".into();
    assert_eq!(
        expand(&p, nav).unwrap_err(),
        RouteError::UnknownAerodrome("ZZZZ".into())
    );
    // ZZZZ with coordinates in DEST/.
    let p = FlightPlan::parse(
        "(FPL-SPABC-VG-C172/L-V/C-EPKK0600-N0100VFR DCT-ZZZZ0200-DEST/MALBORK 5400N01900E)",
    )
    .unwrap();
    let r = expand(&p, nav).unwrap();
    assert_eq!(r.points[1].pos, LatLon::new(54.0, 19.0));
}

#[test]
fn corridor_profile_and_queries() {
    let Some(nav) = real() else { return };
    let p = plan("DCT VAVEL M985 KOTEK N133 KARTI DCT");
    let (c, warnings) = Corridor::from_plan(&p, nav).unwrap();
    assert!(warnings.is_empty());
    let len = c.length_m();
    let nm = 1852.0;
    // Climb from EPKK (791 ft) to FL360 over 100 NM, descend to EPGD (447 ft) over 100 NM.
    assert!((c.planned_level_ft(0.0).unwrap() - 791.0).abs() < 1e-6);
    assert!((c.planned_level_ft(50.0 * nm).unwrap() - (791.0 + 36_000.0) / 2.0).abs() < 1.0);
    assert_eq!(c.planned_level_ft(len / 2.0), Some(36_000.0));
    assert!((c.planned_level_ft(len).unwrap() - 447.0).abs() < 1e-6);
    assert_eq!(c.planned_level_ft(len + 1.0), None);
    // Times are scaled to the total EET (1 h 05).
    assert!((c.planned_time(len) - 3_900.0).abs() < 1e-6);
    assert_eq!(c.planned_time(0.0), 0.0);
    assert!(c.planned_time(len / 2.0) > 1_000.0 && c.planned_time(len / 2.0) < 2_900.0);
    // On a point: zero cross-track, along = the point's along.
    for (i, pt) in c.points().iter().enumerate() {
        let d = c.cross_track(pt.pos);
        assert!(d.cross_track_m < 1.0, "{i} {}: {d:?}", pt.name);
        assert!(
            (d.along_track_m - pt.along_m).abs() < 1.0,
            "{i} {}: {d:?}",
            pt.name
        );
    }
    // 10 km abeam the middle of a segment, perpendicular to it.
    let s = 5;
    let (a, b) = (c.points()[s].pos, c.points()[s + 1].pos);
    let mid = destination_point(a, bearing(a, b), a.distance_m(&b) / 2.0);
    let off = destination_point(mid, bearing(mid, b) + 90.0, 10_000.0);
    let d = c.cross_track(off);
    assert_eq!(d.segment, s);
    assert!((d.cross_track_m - 10_000.0).abs() < 1.0, "{d:?}");
    let want = c.points()[s].along_m + a.distance_m(&b) / 2.0;
    assert!((d.along_track_m - want).abs() < 1.0, "{d:?}");
}

#[test]
fn corridor_from_a_lat_lon_only_route_without_navdata() {
    // Empty navigation data: coordinates, DEP/ and DEST/ only.
    let nav = NavData::from_texts("", "", "", "[]").unwrap();
    let p = FlightPlan::parse(
        "(FPL-TEST1-IG-C172/L-V/C-ZZZZ0600-K0200F050 DCT 5100N02000E 5200N02000E-ZZZZ0130-DEP/5000N02000E DEST/5300N02000E)",
    )
    .unwrap();
    let (c, _) = Corridor::from_plan(&p, &nav).unwrap();
    let deg = LatLon::new(50.0, 20.0).distance_m(&LatLon::new(51.0, 20.0));
    assert!((c.length_m() - 3.0 * deg).abs() < 1e-3);
    // A point at 20.1 E, 51.5 N: abeam the second segment, about 6.9 km east.
    let d = c.cross_track(LatLon::new(51.5, 20.1));
    assert_eq!(d.segment, 1);
    let want = LatLon::new(51.5, 20.0).distance_m(&LatLon::new(51.5, 20.1));
    assert!(
        (d.cross_track_m - want).abs() / want < 0.005,
        "{d:?} vs {want}"
    );
    assert!((d.along_track_m - 1.5 * deg).abs() < 100.0, "{d:?}");
    // No planned time without EET scaling: 200 km/h.
    let r = expand(&p, &nav).unwrap();
    let c = Corridor::new(&r, ProfileOptions::default());
    assert!((c.planned_time(c.length_m()) - c.length_m() / (200.0 / 3.6)).abs() < 1e-3);
    // Short route: the climb and descent meet below cruise (FL050 is not reached before
    // 100 NM, but this route is 180 NM long).
    assert!(c.planned_level_ft(c.length_m() / 2.0).unwrap() <= 5_000.0);
}

proptest! {
    /// Cross-track is the great-circle distance to the nearest point of the polyline: never
    /// more than the distance to any vertex, never more than a sampled point's distance.
    #[test]
    fn cross_track_is_the_distance_to_the_polyline(
        pts in proptest::collection::vec((-60.0f64..60.0, -170.0f64..170.0), 2..6),
        q in (-60.0f64..60.0, -170.0f64..170.0),
        spread in 0.1f64..4.0,
    ) {
        let nav = NavData::default();
        let route: Vec<String> = pts.iter().skip(1).map(|(la, lo)| {
            let (la, lo) = (pts[0].0 + la / 60.0 * spread, pts[0].1 + lo / 170.0 * spread);
            let f = |v: f64, p: char, n: char, w: usize| {
                let a = v.abs();
                format!("{:0w$}{:02}{}", a.trunc() as u32, ((a.fract() * 60.0).trunc() as u32).min(59), if v < 0.0 { n } else { p }, w = w)
            };
            format!("{}{}", f(la, 'N', 'S', 2), f(lo, 'E', 'W', 3))
        }).collect();
        let start = route[0].clone();
        let text = format!("(FPL-TEST1-IG-C172/L-V/C-ZZZZ0600-N0100F050 {}-ZZZZ0130-DEP/{start} DEST/{start})", route.join(" "));
        let p = FlightPlan::parse(&text).unwrap();
        let r = expand(&p, &nav).unwrap();
        let c = Corridor::new(&r, ProfileOptions::default());
        let q = LatLon::new(pts[0].0 + q.0 / 60.0 * spread * 1.5, pts[0].1 + q.1 / 170.0 * spread * 1.5);
        let d = c.cross_track(q);
        for pt in c.points() {
            prop_assert!(d.cross_track_m <= q.distance_m(&pt.pos) + 1e-3);
        }
        // Sample each segment: the nearest sample is no closer than the reported distance.
        for w in c.points().windows(2) {
            for k in 0..=50 {
                let f = f64::from(k) / 50.0;
                let s = slerp(w[0].pos, w[1].pos, f);
                let slack = 1e-3;
                prop_assert!(d.cross_track_m <= q.distance_m(&s) + slack);
            }
        }
        prop_assert!(d.along_track_m >= 0.0 && d.along_track_m <= c.length_m() + 1e-6);
    }
}

#[test]
fn a_parsed_message_feeds_expansion() {
    let Some(nav) = real() else { return };
    let m = parse_message(
        "(FPL-LOT3917-IS-B738/M-S/C-EPKK0930-M078F360 DCT VAVEL M985 KOTEK DCT-EPWA0045-0)",
    )
    .unwrap();
    let vigil_flightplan::AtsMessage::Fpl(p) = m else {
        panic!()
    };
    let (c, _) = Corridor::from_plan(&p, nav).unwrap();
    assert!(c.points().len() >= 5);
}
