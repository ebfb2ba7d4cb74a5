//! The airspace over real data: EUROCONTROL's eurofirs.json (from the shared data folder;
//! skipped when absent) with the shipped example configuration (`data/airspace.toml`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;
use vigil_airspace::{Airspace, AirspaceConfig, Origin, PathPoint, VolumeKind};
use vigil_core::LatLon;

fn config() -> AirspaceConfig {
    AirspaceConfig::from_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data/airspace.toml"))
        .unwrap()
}

/// Loaded once for every test in this file (the load builds grids for 116,703 vertices).
fn airspace() -> Option<&'static Airspace> {
    static A: OnceLock<Option<Airspace>> = OnceLock::new();
    A.get_or_init(|| {
        let path = vigil_testdata::path("aero/eurofirs.json")?;
        Some(Airspace::load(&path, &config()).unwrap())
    })
    .as_ref()
}

fn check(a: &Airspace, what: &str, lat: f64, lon: f64, alt_ft: f64, want: Option<&str>) {
    let got = a
        .fir_at(LatLon::new(lat, lon), alt_ft)
        .map(|v| v.id.as_str());
    assert_eq!(got, want, "{what} ({lat}, {lon}) at {alt_ft} ft");
}

#[test]
fn known_places_are_in_their_fir() {
    let Some(a) = airspace() else { return };
    for (what, lat, lon, want) in [
        ("Warszawa", 52.17, 20.97, "EPWW"),
        ("Ankara", 39.93, 32.86, "LTAA"),
        ("Istanbul", 41.01, 28.97, "LTBB"),
        // The data puts the middle of the southern Baltic under Warszawa, not Sweden.
        ("Baltic 55N 17E", 55.0, 17.0, "EPWW"),
        ("Kaliningrad (configured FIR)", 54.71, 20.51, "UMKK"),
        ("Gdansk", 54.38, 18.47, "EPWW"),
        ("Krakow", 50.06, 19.94, "EPWW"),
        ("Vilnius", 54.69, 25.28, "EYVL"),
        ("Riga", 56.95, 24.11, "EVRR"),
        ("Stockholm", 59.33, 18.07, "ESAA"),
        ("Frankfurt", 50.03, 8.57, "EDGG"),
        ("Paris", 48.86, 2.35, "LFFF"),
    ] {
        check(a, what, lat, lon, 30_000.0, Some(want));
    }
    check(a, "mid-Atlantic", 40.0, -45.0, 30_000.0, None);
    check(a, "Moscow", 55.75, 37.62, 30_000.0, None);
}

#[test]
fn parties_come_from_the_table() {
    let Some(a) = airspace() else { return };
    assert_eq!(
        a.party_at(LatLon::new(52.17, 20.97), 10_000.0),
        Some("NATO/PL")
    );
    assert_eq!(a.party_at(LatLon::new(54.71, 20.51), 10_000.0), Some("RU"));
    assert_eq!(
        a.party_at(LatLon::new(48.86, 2.35), 10_000.0),
        None,
        "LFFF has no party in the example"
    );
}

#[test]
fn vertical_limits() {
    let Some(a) = airspace() else { return };
    // EYVL's published upper limit is FL195; the example raises GeoJSON FIRs to FL660.
    check(a, "Vilnius FL350", 54.69, 25.28, 35_000.0, Some("EYVL"));
    check(a, "Vilnius FL700", 54.69, 25.28, 70_000.0, None);
    let plain = AirspaceConfig {
        raise_geojson_fir_upper_ft: None,
        ..config()
    };
    let b = Airspace::load(&vigil_testdata::path("aero/eurofirs.json").unwrap(), &plain).unwrap();
    check(
        &b,
        "Vilnius FL190, published limits",
        54.69,
        25.28,
        19_000.0,
        Some("EYVL"),
    );
    check(
        &b,
        "Vilnius FL350, published limits",
        54.69,
        25.28,
        35_000.0,
        None,
    );
    // A climb through FL195 is then a crossing out of EYVL.
    let path = [
        PathPoint::new(0.0, LatLon::new(54.69, 25.0), 18_000.0),
        PathPoint::new(60.0, LatLon::new(54.69, 25.2), 22_000.0),
    ];
    let c = b.fir_crossings(&path);
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(
        (c[0].from.as_deref(), c[0].to.as_deref()),
        (Some("EYVL"), None)
    );
    assert!((c[0].alt_ft - 19_500.0).abs() <= 1.0, "{c:?}");
    assert!((c[0].t - 22.5).abs() < 0.01, "{c:?}");
}

/// Every European airport lies in a FIR of its own ICAO country prefix, except the few the
/// data genuinely puts elsewhere.
#[test]
fn airports_lie_in_their_countrys_fir() {
    let Some(a) = airspace() else { return };
    let Some(path) = vigil_testdata::path("aero/airports.json") else {
        return;
    };
    let airports: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    // Country prefixes of the GeoJSON FIRs (not UMKK's "UM", which Belarus shares), and the
    // Kaliningrad oblast's airports ("UMK*") against the configured UMKK.
    let prefixes: Vec<String> = a
        .firs()
        .filter(|f| f.origin == Origin::Data)
        .map(|f| f.id[..2].to_string())
        .collect();
    let mut kaliningrad = 0;
    // Channel Islands under Brest, Bornholm under Sweden, Lampedusa under Malta.
    let exceptions = [
        ("EGJA", "LFRR"),
        ("EGJB", "LFRR"),
        ("EGJJ", "LFRR"),
        ("EKRN", "ESAA"),
        ("LICD", "LMMM"),
    ];
    // Vagar (Faroe Islands) lies outside every FIR polygon of the data.
    let outside = ["EKVG"];
    let mut checked = 0;
    for ap in &airports {
        let (Some(icao), Some(lat), Some(lon)) =
            (ap["icao"].as_str(), ap["lat"].as_f64(), ap["lon"].as_f64())
        else {
            continue;
        };
        if icao.starts_with("UMK") {
            let got = a
                .fir_at(LatLon::new(lat, lon), 12_000.0)
                .map(|v| v.id.as_str());
            assert_eq!(got, Some("UMKK"), "{icao}");
            kaliningrad += 1;
            continue;
        }
        if icao.len() != 4 || !prefixes.iter().any(|p| icao.starts_with(p.as_str())) {
            continue;
        }
        if !(34.0..72.0).contains(&lat) || !(-32.0..46.0).contains(&lon) {
            continue; // overseas territories and Antarctic stations
        }
        // 12,000 ft: the data gives Yerevan FIR (UDDD) a floor of 11,500 ft.
        let got = a
            .fir_at(LatLon::new(lat, lon), 12_000.0)
            .map(|v| v.id.clone());
        if outside.contains(&icao) {
            assert_eq!(got, None, "{icao}");
            checked += 1;
            continue;
        }
        match exceptions.iter().find(|(i, _)| *i == icao) {
            Some((_, fir)) => assert_eq!(got.as_deref(), Some(*fir), "{icao}"),
            None => assert_eq!(
                got.as_deref().map(|g| &g[..2]),
                Some(&icao[..2]),
                "{icao} {got:?}"
            ),
        }
        checked += 1;
    }
    assert!(checked > 1_100, "only {checked} airports checked");
    assert!(kaliningrad >= 1, "no Kaliningrad airport in the data");
}

/// Gdansk to Kaliningrad at 230 m/s, a point every 10 s.
fn gdansk_to_kaliningrad() -> Vec<PathPoint> {
    let (a, b) = (LatLon::new(54.38, 18.47), LatLon::new(54.71, 20.51));
    let d = a.distance_m(&b);
    let n = (d / 2_300.0).ceil() as usize;
    (0..=n)
        .map(|k| {
            let f = k as f64 / n as f64;
            let p = LatLon::new(a.lat + f * (b.lat - a.lat), a.lon + f * (b.lon - a.lon));
            PathPoint::new(1_700_000_000.0 + 10.0 * k as f64, p, 24_000.0)
        })
        .collect()
}

fn along(p: &[PathPoint], t: f64) -> LatLon {
    let i = p.windows(2).position(|w| w[1].t >= t).unwrap();
    let f = (t - p[i].t) / (p[i + 1].t - p[i].t);
    LatLon::new(
        p[i].pos.lat + f * (p[i + 1].pos.lat - p[i].pos.lat),
        p[i].pos.lon + f * (p[i + 1].pos.lon - p[i].pos.lon),
    )
}

#[test]
fn gdansk_to_kaliningrad_crosses_into_umkk() {
    let Some(a) = airspace() else { return };
    let path = gdansk_to_kaliningrad();
    let c = a.fir_crossings(&path);
    assert_eq!(c.len(), 1, "{c:#?}");
    let x = &c[0];
    assert_eq!(
        (x.from.as_deref(), x.to.as_deref()),
        (Some("EPWW"), Some("UMKK"))
    );
    assert_eq!(
        (x.from_party.as_deref(), x.to_party.as_deref()),
        (Some("NATO/PL"), Some("RU"))
    );
    // On the Vistula Spit edge (shared exactly by both polygons), near 54.55N 19.50E.
    assert!(
        x.pos.distance_m(&LatLon::new(54.546, 19.497)) < 500.0,
        "{x:?}"
    );
    // Within 100 m of the boundary, and the path is on either side 50 m before and after.
    let epww = a.volume("EPWW").unwrap();
    assert!(a.distance_to_boundary_m(epww, x.pos) < 100.0);
    let speed = 230.0;
    let before = along(&path, x.t - 50.0 / speed);
    let after = along(&path, x.t + 50.0 / speed);
    assert_eq!(a.fir_at(before, 24_000.0).unwrap().id, "EPWW");
    assert_eq!(a.fir_at(after, 24_000.0).unwrap().id, "UMKK");
    // The reported time matches the reported position along the path.
    assert!(along(&path, x.t).distance_m(&x.pos) < 5.0);
}

#[test]
fn release_area_around_the_warszawa_kaliningrad_border() {
    let Some(a) = airspace() else { return };
    let release = |lat: f64, lon: f64| {
        a.in_release_area(LatLon::new(lat, lon), 20_000.0)
            .map(|v| v.id.clone())
    };
    // The land border runs at about 54.37N near 20.5E: 50 NM south is in.
    assert_eq!(
        release(54.37 - 50.0 / 60.0, 20.5).as_deref(),
        Some("EPWW-UMKK")
    );
    assert_eq!(
        release(54.37 - 95.0 / 60.0, 20.5).as_deref(),
        Some("EPWW-UMKK")
    );
    assert_eq!(release(54.37 - 105.0 / 60.0, 20.5), None);
    assert_eq!(release(50.06, 19.94), None, "Krakow");
    assert_eq!(
        release(54.71, 20.51).as_deref(),
        Some("EPWW-UMKK"),
        "Kaliningrad"
    );
    // Kaunas is within 100 NM of the border but in Lithuania: clipped out.
    assert_eq!(release(54.90, 23.90), None, "Kaunas");
    // Outside the altitude band.
    assert!(
        a.in_release_area(LatLon::new(53.6, 20.5), 70_000.0)
            .is_none()
    );
    // The shared boundary is the land border and the sea boundary, not the whole of either
    // FIR: nothing of it lies south of 54.2N or west of 17.4E.
    let band = a.volume("EPWW-UMKK").unwrap();
    assert_eq!(band.kind, VolumeKind::Release);
    for (p, q) in band.band_segments() {
        for e in [p, q] {
            assert!(e.lat > 54.2 && e.lon > 17.4 && e.lon < 23.0, "{e:?}");
        }
    }
}

#[test]
fn restricted_areas() {
    let Some(a) = airspace() else { return };
    let centre = LatLon::new(53.50, 15.85);
    let ids: Vec<&str> = a
        .restricted_at(centre, 10_000.0)
        .map(|v| v.id.as_str())
        .collect();
    assert_eq!(ids, ["EP R-EX1"]);
    assert_eq!(
        a.restricted_at(centre, 30_000.0).count(),
        0,
        "above the area"
    );
    // 10 NM radius: 8 NM north is in, 12 NM out.
    assert_eq!(
        a.restricted_at(LatLon::new(53.50 + 8.0 / 60.0, 15.85), 0.0)
            .count(),
        1
    );
    assert_eq!(
        a.restricted_at(LatLon::new(53.50 + 12.0 / 60.0, 15.85), 0.0)
            .count(),
        0
    );
    let area = a.volume("EP R-EX1").unwrap();
    let d = a.distance_to_boundary_m(area, centre);
    assert!((d - 18_520.0).abs() < 1.0, "{d}");

    // A path from the west through the circle: first entry where it meets the circle.
    let path: Vec<PathPoint> = (0..=60)
        .map(|k| {
            PathPoint::new(
                k as f64 * 10.0,
                LatLon::new(53.50, 15.0 + k as f64 * 0.03),
                5_000.0,
            )
        })
        .collect();
    let e = a.restricted_entries(&path);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].id, "EP R-EX1");
    assert!(!e[0].inside_at_start);
    assert!(
        (e[0].pos.distance_m(&centre) - 18_520.0).abs() < 5.0,
        "{e:?}"
    );
    // Starting inside.
    let e = a.restricted_entries(&path[30..]);
    assert!(e[0].inside_at_start && e[0].t == 300.0, "{e:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// For random points over the EPWW bounding box and around, the grid-indexed `fir_at`
    /// agrees with testing every volume's every edge.
    #[test]
    fn fir_at_agrees_with_brute_force(lat in 48.5f64..56.5, lon in 13.5f64..25.0, alt in -500.0f64..70_000.0) {
        let Some(a) = airspace() else { return Ok(()) };
        let p = LatLon::new(lat, lon);
        let brute = a
            .volumes()
            .iter()
            .find(|v| v.kind == VolumeKind::Fir && v.contains_brute_force(p, alt))
            .map(|v| v.id.as_str());
        prop_assert_eq!(a.fir_at(p, alt).map(|v| v.id.as_str()), brute);
    }

    /// Every crossing reported on a random straight path is a real change of FIR: 5 m before
    /// it the FIR is `from` and 5 m after it `to` (or no FIR, inside a merged sliver), and
    /// consecutive crossings chain from the FIR at the start to the FIR at the end.
    #[test]
    fn crossings_are_real_changes(
        lat0 in 53.0f64..56.0, lon0 in 16.0f64..24.0,
        lat1 in 53.0f64..56.0, lon1 in 16.0f64..24.0,
    ) {
        let Some(a) = airspace() else { return Ok(()) };
        let (p0, p1) = (LatLon::new(lat0, lon0), LatLon::new(lat1, lon1));
        let d = p0.distance_m(&p1);
        let n = ((d / 2_500.0).ceil() as usize).max(1);
        let path: Vec<PathPoint> = (0..=n)
            .map(|k| {
                let f = k as f64 / n as f64;
                PathPoint::new(10.0 * k as f64, LatLon::new(lat0 + f * (lat1 - lat0), lon0 + f * (lon1 - lon0)), 30_000.0)
            })
            .collect();
        let cs = a.fir_crossings(&path);
        let mut current = a.fir_at(p0, 30_000.0).map(|v| v.id.clone());
        let total_t = path.last().unwrap().t;
        for (i, c) in cs.iter().enumerate() {
            prop_assert_eq!(&c.from, &current);
            let dt = 5.0 / (d / total_t);
            let id = |t: f64| a.fir_at(along(&path, t.clamp(0.0, total_t)), 30_000.0).map(|v| v.id.clone());
            // Look 5 m either side, or halfway to the neighbouring crossing when that is
            // closer (near a point where three FIRs meet, a FIR may be crossed in metres).
            let prev_t = if i > 0 { cs[i - 1].t } else { f64::NEG_INFINITY };
            let next_t = cs.get(i + 1).map_or(f64::INFINITY, |n| n.t);
            let before_t = (c.t - dt).max((prev_t + c.t) / 2.0);
            let after_t = (c.t + dt).min((c.t + next_t) / 2.0);
            let (before, after) = (id(before_t), id(after_t));
            prop_assert!(before.is_none() || before == c.from, "{before:?} before {c:?}");
            prop_assert!(after.is_none() || after == c.to, "{after:?} after {c:?}");
            prop_assert!(c.from != c.to);
            current = c.to.clone();
        }
        prop_assert_eq!(current, a.fir_at(p1, 30_000.0).map(|v| v.id.clone()));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The release band's grid agrees with measuring every boundary piece (sampled every
    /// 100 m, haversine), away from the 100 NM edge where the two measures may differ by the
    /// sampling.
    #[test]
    fn release_band_agrees_with_brute_force(lat in 51.5f64..57.5, lon in 14.0f64..26.0) {
        let Some(a) = airspace() else { return Ok(()) };
        let p = LatLon::new(lat, lon);
        let band = a.volume("EPWW-UMKK").unwrap();
        let mut d = f64::INFINITY;
        for (s, e) in band.band_segments() {
            let n = (s.distance_m(&e) / 100.0).ceil().max(1.0) as usize;
            for k in 0..=n {
                let f = k as f64 / n as f64;
                let q = LatLon::new(s.lat + f * (e.lat - s.lat), s.lon + f * (e.lon - s.lon));
                d = d.min(p.distance_m(&q));
            }
        }
        let w = 100.0 * 1852.0;
        prop_assume!((d - w).abs() > 300.0);
        let in_pair = ["EPWW", "UMKK"].iter().any(|id| a.volume(id).unwrap().contains_brute_force(p, 20_000.0));
        let want = d <= w && in_pair;
        prop_assert_eq!(a.in_release_area(p, 20_000.0).is_some(), want, "d = {} m", d);
    }
}
