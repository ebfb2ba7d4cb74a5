//! Station files: loading, validation errors, zones, openings and routing.
// Helpers outside #[test] functions may panic too: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use vigil_station::{Site, SiteConfig, Station, StationError, ZoneKind};

fn stations_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config/stations")
}

fn example() -> Site {
    Site::load(&stations_dir().join("example.toml")).expect("example station loads")
}

/// A three-zone station: entrance | hall | platform, in a row along x.
const SMALL: &str = r#"
name = "small"
[[zone]]
id = "e"
kind = "entrance"
polygon = [[0, 0], [4, 0], [4, 4], [0, 4]]
arrival_per_min = 10
[[zone]]
id = "h"
kind = "ticket_hall"
polygon = [[4, 0], [14, 0], [14, 4], [4, 4]]
[[zone]]
id = "p"
kind = "platform"
polygon = [[14, 0], [24, 0], [24, 4], [14, 4]]
train_interval_s = 60
[[flow]]
from = "e"
to = "h"
share = 1.0
[[flow]]
from = "h"
to = "p"
share = 1.0
"#;

fn load_str(text: &str) -> Result<Site, StationError> {
    let config: SiteConfig = toml::from_str(text).map_err(|e| StationError::Parse {
        path: "inline".into(),
        source: Box::new(e),
    })?;
    Site::from_config(&config)
}

/// Loads `SMALL` with `edit` applied and returns the error.
fn error_of(edit: impl Fn(&str) -> String) -> StationError {
    match load_str(&edit(SMALL)) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

#[test]
fn every_station_file_loads() {
    let mut seen = 0;
    for entry in std::fs::read_dir(stations_dir()).expect("config/stations") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            Site::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            seen += 1;
        }
    }
    assert!(seen >= 1);
}

#[test]
fn example_station_has_what_the_issue_asks() {
    let site = example();
    let st = &site.station;
    let (lo, hi) = st.bounds();
    assert_eq!(lo, [0.0, 0.0]);
    assert!((hi[0] - 120.0).abs() < 1e-9 && (hi[1] - 40.0).abs() < 1e-9);
    assert_eq!(st.zones_of(ZoneKind::Entrance).count(), 2);
    assert_eq!(st.zones_of(ZoneKind::Platform).count(), 2);
    assert_eq!(st.zones_of(ZoneKind::Gates).count(), 1);
    assert_eq!(site.cameras.len(), 20);
    assert_eq!(site.sensors.len(), 12);
    assert_eq!(site.sensors.iter().filter(|s| s.always_on).count(), 4);
    assert!(site.scenario.is_some());
    // The per-type override reached the Raman heads, and their other values are defaults.
    for s in site
        .sensors
        .iter()
        .filter(|s| s.kind == vigil_station::SensorKind::StandoffRaman)
    {
        assert!((s.half_angle_rad.to_degrees() - 6.0).abs() < 1e-9);
        assert!((s.dwell_s - 3.0).abs() < 1e-12);
    }
}

#[test]
fn small_station_loads() {
    let site = load_str(SMALL).expect("small station");
    let st = &site.station;
    assert_eq!(st.portals().len(), 2);
    // Outer boundary: the two long sides (24 m each as pieces) and the two ends (4 m each).
    let total: f64 = st.walls().iter().map(|w| w.length()).sum();
    assert!((total - 56.0).abs() < 1e-6, "outer boundary {total}");
}

#[test]
fn unknown_zone_in_a_flow() {
    let e = error_of(|s| s.replace("to = \"p\"", "to = \"nowhere\""));
    assert!(
        matches!(e, StationError::UnknownZone { ref zone, .. } if zone == "nowhere"),
        "{e}"
    );
}

#[test]
fn self_intersecting_polygon() {
    let e = error_of(|s| {
        s.replace(
            "[[4, 0], [14, 0], [14, 4], [4, 4]]",
            "[[4, 0], [14, 4], [14, 0], [4, 4]]",
        )
    });
    assert!(
        matches!(e, StationError::SelfIntersecting { ref zone, .. } if zone == "h"),
        "{e}"
    );
}

#[test]
fn degenerate_polygon() {
    let e = error_of(|s| s.replace("[[0, 0], [4, 0], [4, 4], [0, 4]]", "[[0, 0], [4, 0]]"));
    assert!(matches!(e, StationError::DegeneratePolygon { .. }), "{e}");
}

#[test]
fn platform_unreachable() {
    let e = error_of(|s| {
        format!(
            "{s}\n[[zone]]\nid = \"p2\"\nkind = \"platform\"\npolygon = [[4, 4], [14, 4], [14, 8], [4, 8]]\n"
        )
    });
    assert!(
        matches!(e, StationError::PlatformUnreachable { ref platform } if platform == "p2"),
        "{e}"
    );
}

#[test]
fn flow_between_zones_that_do_not_touch() {
    let e = error_of(|s| format!("{s}\n[[flow]]\nfrom = \"e\"\nto = \"p\"\nshare = 0.1\n"));
    assert!(matches!(e, StationError::NotAdjacent { .. }), "{e}");
}

#[test]
fn walled_off_opening() {
    let e = error_of(|s| format!("{s}\n[[wall]]\npoints = [[14, -1], [14, 5]]\n"));
    assert!(
        matches!(e, StationError::NotAdjacent { ref from, ref to } if from == "h" && to == "p"),
        "{e}"
    );
}

#[test]
fn dead_end() {
    let e = error_of(|s| {
        s.replace(
            "from = \"h\"\nto = \"p\"\nshare = 1.0",
            "from = \"h\"\nto = \"e\"\nshare = 1.0",
        )
    });
    // e -> h -> e loops without reaching the platform.
    assert!(matches!(e, StationError::PlatformUnreachable { .. }), "{e}");
    let e = error_of(|s| s.replace("[[flow]]\nfrom = \"h\"\nto = \"p\"\nshare = 1.0\n", ""));
    assert!(
        matches!(e, StationError::DeadEnd { ref zone } if zone == "h"),
        "{e}"
    );
}

#[test]
fn misplaced_and_bad_values() {
    let e = error_of(|s| {
        s.replace(
            "kind = \"ticket_hall\"",
            "kind = \"ticket_hall\"\narrival_per_min = 3",
        )
    });
    assert!(
        matches!(
            e,
            StationError::MisplacedField {
                field: "arrival_per_min",
                ..
            }
        ),
        "{e}"
    );
    let e = error_of(|s| s.replace("share = 1.0", "share = 0.0"));
    assert!(matches!(e, StationError::BadFlow { .. }), "{e}");
    let e = error_of(|s| {
        s.replace(
            "from = \"e\"\nto = \"h\"\nshare = 1.0",
            "from = \"e\"\nto = \"h\"\nshare = 1.0\nrate_per_min = 2",
        )
    });
    assert!(matches!(e, StationError::BadFlow { .. }), "{e}");
    let e = error_of(|s| s.replace("id = \"h\"", "id = \"e\""));
    assert!(
        matches!(e, StationError::DuplicateZone(ref z) if z == "e"),
        "{e}"
    );
    let e = error_of(|s| s.replace("name = \"small\"", "name = \"small\"\ncolour = 3"));
    assert!(matches!(e, StationError::Parse { .. }), "{e}");
    let e = error_of(|s| {
        format!(
            "{s}\n[[sensor]]\nid = 1\ntype = \"infrared\"\nposition = [1, 1]\ndirection_deg = 0\nalways_on = true\npd = 0.01\npfa = 0.2\n"
        )
    });
    assert!(matches!(e, StationError::BadSensor { id: 1, .. }), "{e}");
    let e = error_of(|s| {
        format!(
            "{s}\n[[camera]]\nid = 4\nposition = [0, 0]\nheight_m = 3\nyaw_deg = 0\npitch_deg = 30\nhfov_deg = 90\nimage = [640, 480]\npoint_pairs = [{{ image = [1, 1], floor = [1, 1] }}]\n"
        )
    });
    assert!(matches!(e, StationError::BadCamera { id: 4, .. }), "{e}");
    let e = error_of(|s| {
        format!(
            "{s}\n[scenario]\nduration_s = 10\nseed = 1\n[[scenario.carrier]]\nentry_time_s = 1\nentrance = \"h\"\n"
        )
    });
    assert!(matches!(e, StationError::UnknownZone { .. }), "{e}");
}

#[test]
fn io_error_names_the_file() {
    let e = Station::load(&stations_dir().join("no-such-station.toml")).expect_err("missing");
    assert!(matches!(e, StationError::Io { .. }));
    assert!(e.to_string().contains("no-such-station.toml"));
}

#[test]
fn zone_at_finds_zones() {
    let site = example();
    let st = &site.station;
    let check = |p: [f64; 2], expected: Option<&str>| {
        let got = st.zone_at(p).map(|z| st.zone(z).id.as_str());
        assert_eq!(got, expected, "at {p:?}");
    };
    check([5.0, 20.0], Some("entrance_w"));
    check([30.0, 15.0], Some("ticket_hall"));
    check([53.0, 15.0], Some("gates"));
    check([80.0, 20.0], Some("corridor"));
    check([74.0, 12.0], Some("stairs_s"));
    check([94.0, 28.0], Some("stairs_n"));
    check([100.0, 4.0], Some("platform_s"));
    check([60.0, 36.0], Some("platform_n"));
    check([5.0, 5.0], None);
    check([80.0, 28.0], None);
    check([-1.0, 20.0], None);
}

#[test]
fn routing_reaches_each_platform() {
    let site = example();
    let st = &site.station;
    let z = |id: &str| st.zone_index(id).expect(id);
    let ids = |r: &vigil_station::Route| -> Vec<String> {
        r.zones.iter().map(|&q| st.zone(q).id.clone()).collect()
    };
    let r = st.route(z("entrance_w"), z("platform_s")).expect("route");
    assert_eq!(
        ids(&r),
        [
            "entrance_w",
            "ticket_hall",
            "gates",
            "corridor",
            "stairs_s",
            "platform_s"
        ]
    );
    assert_eq!(r.portals.len(), r.zones.len() - 1);
    assert!(r.length_m > 70.0 && r.length_m < 140.0, "{}", r.length_m);
    let r = st.route(z("entrance_n"), z("platform_n")).expect("route");
    assert_eq!(
        ids(&r),
        [
            "entrance_n",
            "ticket_hall",
            "gates",
            "corridor",
            "stairs_n",
            "platform_n"
        ]
    );
    // Back out, and between platforms (through the corridor).
    let r = st.route(z("platform_s"), z("entrance_w")).expect("route");
    assert_eq!(r.zones.first(), Some(&z("platform_s")));
    assert_eq!(r.zones.last(), Some(&z("entrance_w")));
    let r = st.route(z("platform_s"), z("platform_n")).expect("route");
    assert!(ids(&r).contains(&"corridor".to_string()));
    // Every portal of a route joins the zones on either side of it.
    for (k, pair) in r.portals.iter().zip(r.zones.windows(2)) {
        let p = st.portals()[*k];
        assert_eq!(p.other(pair[0]), pair[1]);
    }
}

#[test]
fn gate_cabinets_leave_the_gate_openings_whole() {
    let site = example();
    let st = &site.station;
    let z = |id: &str| st.zone_index(id).expect(id);
    let k = st
        .portal_between(z("gates"), z("corridor"))
        .expect("opening");
    assert!((st.portals()[k].width() - 8.0).abs() < 0.01);
    let k = st
        .portal_between(z("ticket_hall"), z("gates"))
        .expect("opening");
    assert!((st.portals()[k].width() - 12.0).abs() < 0.01);
    // The gate cabinets block sight across the lanes.
    assert!(!st.line_of_sight([53.0, 16.0], [53.0, 22.0]));
    assert!(st.line_of_sight([51.0, 16.0], [51.0, 22.0]));
}

#[test]
fn example_cameras_cover_the_floor_with_overlap() {
    let site = example();
    let st = &site.station;
    let (lo, hi) = st.bounds();
    let (mut n, mut one, mut two) = (0usize, 0usize, 0usize);
    let mut x = lo[0] + 0.25;
    while x < hi[0] {
        let mut y = lo[1] + 0.25;
        while y < hi[1] {
            if st.zone_at([x, y]).is_some() {
                n += 1;
                let k = site.cameras.iter().filter(|c| c.sees([x, y])).count();
                one += usize::from(k >= 1);
                two += usize::from(k >= 2);
            }
            y += 0.5;
        }
        x += 0.5;
    }
    let (one, two) = (one as f64 / n as f64, two as f64 / n as f64);
    eprintln!(
        "floor seen by >= 1 camera: {:.1} %, by >= 2: {:.1} %",
        100.0 * one,
        100.0 * two
    );
    assert!(one > 0.99, "{one}");
    assert!(two > 0.8, "{two}");
}

#[test]
fn example_sensors_look_at_the_walkways() {
    let site = example();
    let st = &site.station;
    for s in &site.sensors {
        // Some walkable floor inside the cone, in sight of the sensor.
        let mut covered = 0;
        for i in 0..240 {
            for j in 0..80 {
                let p = [f64::from(i) * 0.5 + 0.25, f64::from(j) * 0.5 + 0.25];
                if s.covers(p) && st.zone_at(p).is_some() && st.line_of_sight(s.position, p) {
                    covered += 1;
                }
            }
        }
        assert!(covered > 10, "sensor {} covers {covered} cells", s.id);
    }
    // The always-on sensors see the entrances' walkways, the cascade ones the gates,
    // corridor and stairs.
    for s in &site.sensors {
        let zones: Vec<&str> = [[5.0, 20.0], [7.0, 19.0], [27.0, 34.0], [26.0, 33.0]]
            .iter()
            .chain(&[
                [58.0, 20.0],
                [62.0, 20.0],
                [58.5, 19.0],
                [68.5, 19.0],
                [87.7, 20.0],
                [80.0, 17.5],
                [60.0, 17.8],
                [74.0, 12.0],
                [94.0, 28.0],
            ])
            .filter(|p| s.covers(**p))
            .filter_map(|p| st.zone_at(*p).map(|z| st.zone(z).id.as_str()))
            .collect();
        if s.always_on {
            assert!(
                zones.iter().all(|z| z.starts_with("entrance")) && !zones.is_empty(),
                "sensor {}: {zones:?}",
                s.id
            );
        } else {
            assert!(
                zones
                    .iter()
                    .all(|z| *z == "corridor" || *z == "gates" || z.starts_with("stairs"))
                    && !zones.is_empty(),
                "sensor {}: {zones:?}",
                s.id
            );
        }
    }
}

#[test]
fn surveyed_camera_agrees_with_its_pose() {
    // Camera 12 of the example maps the floor through four surveyed points (DLT); its
    // pose gives nearly the same mapping (the survey is rounded to 0.1 px).
    let site = example();
    let cam = site
        .cameras
        .iter()
        .find(|c| c.id() == 12)
        .expect("camera 12");
    assert!(cam.spec().point_pairs.is_some());
    let mut pose = cam.spec().clone();
    pose.point_pairs = None;
    let pose = vigil_station::Camera::new(pose).expect("pose camera");
    for p in [[70.0, 20.0], [75.0, 18.0], [66.0, 22.0]] {
        let a = cam.floor_to_image(p).expect("seen");
        let b = pose.floor_to_image(p).expect("seen");
        assert!(
            (a[0] - b[0]).abs() < 1.0 && (a[1] - b[1]).abs() < 1.0,
            "{a:?} {b:?}"
        );
    }
}
