//! Missile early warning between two parties' centres (issue 9), end to end: two `vigil run`
//! centres (NATO's, the data fusion centre, and RU's) play the example scenario on a virtual
//! clock, each tracking with its own radars only, linked over mutual TLS. RU's policy
//! releases missile tracks and launch warnings; NATO's releases only air tracks, so nothing
//! of its missile picture reaches RU.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed expectation is the report

mod common;

use std::path::Path;
use std::time::Duration;

use common::{demo_certs, get_json, poll, project_root, start_service, tempdir};
use serde_json::Value;
use vigil_core::{Geodetic, LatLon};

const SEED: u64 = 7;
const SPEED: f64 = 25.0;

fn centre_config(name: &str, party: &str, start: f64, fusion: bool, links: &str) -> String {
    // The example scenario, cities and interceptor sites (config/missile/).
    let missile = project_root().join("config/missile");
    format!(
        "[centre]\nname = \"{name}\"\nparty = \"{party}\"\nexercise = true\n\n\
         [http]\nlisten = \"127.0.0.1:0\"\nopen_read = true\n\n\
         [clock]\nstart = {start:.1}\nspeed = {SPEED:.1}\n\n\
         [missile]\nscenario = \"{m}/scenario.toml\"\nseed = {SEED}\nepoch = {start:.1}\n\
         cities = \"{m}/cities.toml\"\ninterceptors = \"{m}/interceptors.toml\"\n\
         fusion_centre = {fusion}\n\n\
         [missile.tracker]\nimpact_interval_s = 10.0\n\n{links}",
        m = missile.display()
    )
}

/// Whether `p` is inside the 95 % ellipse of an impact (`{lat, lon, semi_major_m,
/// semi_minor_m, orientation_deg}`).
fn inside(i: &Value, p: &LatLon) -> bool {
    let c = LatLon::new(i["lat"].as_f64().unwrap(), i["lon"].as_f64().unwrap());
    let rot = vigil_track::geo::ecef_to_enu_rotation(&c);
    let o = vigil_track::geo::geodetic_to_ecef(&Geodetic {
        pos: c,
        height_m: 0.0,
    });
    let q = vigil_track::geo::geodetic_to_ecef(&Geodetic {
        pos: *p,
        height_m: 0.0,
    });
    let d = rot * (q - o);
    let th = (90.0 - i["orientation_deg"].as_f64().unwrap()).to_radians();
    let u = d.x * th.cos() + d.y * th.sin();
    let w = -d.x * th.sin() + d.y * th.cos();
    let (a, b) = (
        i["semi_major_m"].as_f64().unwrap(),
        i["semi_minor_m"].as_f64().unwrap(),
    );
    (u / a).powi(2) + (w / b).powi(2) <= 1.0
}

fn area(i: &Value) -> f64 {
    std::f64::consts::PI * i["semi_major_m"].as_f64().unwrap() * i["semi_minor_m"].as_f64().unwrap()
}

fn lineage(t: &Value) -> Vec<String> {
    t["lineage"]
        .as_array()
        .map(|l| {
            l.iter()
                .map(|e| e["sensor"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write");
}

/// The truth: every object of the scenario (RVs, spent stages, debris of every launch).
fn truth() -> Vec<vigil_ballistic::scenario::ObjectTruth> {
    let sc = vigil_ballistic::scenario::Scenario::load(
        &project_root().join("config/missile/scenario.toml"),
    )
    .expect("scenario");
    sc.run(SEED).expect("run").truth
}

/// The index of the main threat's re-entry vehicle in `truth`.
fn main_rv(truth: &[vigil_ballistic::scenario::ObjectTruth]) -> usize {
    use vigil_ballistic::flight::ObjectKind;
    truth
        .iter()
        .position(|o| o.kind == ObjectKind::Rv && o.launch == 0)
        .expect("the main threat's RV")
}

/// The object of `truth` nearest to a track's position (`lat`, `lon`, `alt_m`) at scenario
/// time `t`. In midcourse the RV flies among its spent stage and debris, a few hundred
/// metres apart, and each gets its own track; their predicted impacts agree to some km
/// (the drag that sorts them acts only in re-entry), so a track is checked against the
/// impact of the object it follows: `None` while that is ambiguous (the second nearest
/// object less than 1.5 times as far as the nearest; early in midcourse they are within
/// some tens of metres of each other's distance).
fn nearest_object(
    truth: &[vigil_ballistic::scenario::ObjectTruth],
    track: &Value,
    t: f64,
) -> Option<usize> {
    let r = vigil_track::geo::geodetic_to_ecef(&Geodetic {
        pos: LatLon::new(track["lat"].as_f64()?, track["lon"].as_f64()?),
        height_m: track["alt_m"].as_f64()?,
    });
    let mut d: Vec<(usize, f64)> = truth
        .iter()
        .enumerate()
        .filter_map(|(i, o)| Some((i, (o.trajectory.state_at(t)?.0 - r).norm())))
        .collect();
    d.sort_by(|a, b| a.1.total_cmp(&b.1));
    match d.as_slice() {
        [a, b, ..] if b.1 >= 1.5 * a.1 => Some(a.0),
        [a] => Some(a.0),
        _ => None,
    }
}

#[test]
fn two_parties_track_their_own_and_the_fusion_centre_fuses() {
    let dir = tempdir("missile", "pair");
    demo_certs(&dir);
    write(
        &dir,
        "ew.policy.toml",
        "link = \"nato-ru-ew\"\nkinds = [\"missile_tracks\", \"launch_warnings\"]\n",
    );
    // NATO's policy releases no missile kind: RU must get nothing of its missile picture.
    write(
        &dir,
        "no-missile.policy.toml",
        "link = \"nato-ru-ew\"\nkinds = [\"tracks\"]\n[[area]]\nname = \"all\"\n\
         polygon = [[-80.0, -179.0], [-80.0, 179.0], [80.0, 179.0], [80.0, -179.0]]\n\
         lower_ft = -2000\nupper_ft = 66000\n",
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    // Both clocks start at the same whole second; the scenario's t = 0 is that second.
    let start = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()) as f64;
    let nato = centre_config(
        "nato-cc",
        "NATO",
        start,
        true,
        &format!(
            "[links]\ncert = \"certs/nato-cc.NATO.crt\"\nkey = \"certs/nato-cc.NATO.key\"\n\
             store = \"nato.db\"\nlisten = \"127.0.0.1:{port}\"\n\n[[links.link]]\n\
             name = \"nato-ru-ew\"\npartner_party = \"RU\"\npartner_centre = \"ru-cc\"\n\
             partner_ca = \"certs/ru-ca.crt\"\npolicy = \"no-missile.policy.toml\"\n"
        ),
    );
    let ru = centre_config(
        "ru-cc",
        "RU",
        start,
        false,
        &format!(
            "[links]\ncert = \"certs/ru-cc.RU.crt\"\nkey = \"certs/ru-cc.RU.key\"\n\
             store = \"ru.db\"\n\n[[links.link]]\n\
             name = \"nato-ru-ew\"\npartner_party = \"NATO\"\npartner_centre = \"nato-cc\"\n\
             partner_ca = \"certs/nato-ca.crt\"\ndial = \"127.0.0.1:{port}\"\n\
             policy = \"ew.policy.toml\"\n"
        ),
    );
    write(&dir, "nato.toml", &nato);
    write(&dir, "ru.toml", &ru);
    let nato = start_service(&dir.join("nato.toml"), &dir.join("nato.log"));
    let ru = start_service(&dir.join("ru.toml"), &dir.join("ru.log"));
    let objects = truth();
    let rv = main_rv(&objects);
    let truth = objects[rv].trajectory.impact.point.pos;

    // NATO's picture once it holds a joint track of the main threat's RV (the object nearest
    // to the joint estimate; impact within 100 km of the truth) with the partner and own
    // tracks it came from, all before impact.
    let (m, joint) = poll(
        Duration::from_secs(55),
        "a joint track of the main threat",
        || {
            let m = get_json(&nato.addr, "/data/missile.json");
            let joint = m["joint"].as_array().cloned().unwrap_or_default();
            let best = joint
                .into_iter()
                .filter(|j| j["impact"].is_object() && j["time_to_impact_s"].as_f64() > Some(150.0))
                .filter(|j| {
                    let i = &j["impact"];
                    let p = LatLon::new(i["lat"].as_f64().unwrap(), i["lon"].as_f64().unwrap());
                    vigil_track::geo::geodetic_to_ecef(&Geodetic {
                        pos: p,
                        height_m: 0.0,
                    })
                    .metric_distance(&vigil_track::geo::geodetic_to_ecef(
                        &Geodetic {
                            pos: truth,
                            height_m: 0.0,
                        },
                    )) < 100_000.0
                })
                .filter(|j| {
                    let t = j["time"].as_f64().unwrap_or(0.0) - start;
                    nearest_object(&objects, j, t) == Some(rv)
                })
                .find(|j| {
                    let own = m["own"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|o| o["id"] == j["own"]);
                    let p = m["partner"].as_array().into_iter().flatten().find(|p| {
                        p["id"] == j["partner"]["id"] && p["origin"]["centre"] == "ru-cc"
                    });
                    own.is_some_and(|o| o["impact"].is_object())
                        && p.is_some_and(|p| p["impact"].is_object())
                });
            match best {
                Some(j) => Ok((m.clone(), j)),
                None => Err(format!(
                    "own {} partner {} joint {} at scenario t {}",
                    m["own"].as_array().map_or(0, Vec::len),
                    m["partner"].as_array().map_or(0, Vec::len),
                    m["joint"].as_array().map_or(0, Vec::len),
                    m["scenario_time_s"]
                )),
            }
        },
    );
    let own = m["own"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == joint["own"])
        .unwrap();
    let partner = m["partner"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == joint["partner"]["id"] && p["origin"]["centre"] == "ru-cc")
        .unwrap();

    // Each side tracks with its own radars only.
    for o in m["own"].as_array().unwrap() {
        let l = lineage(o);
        assert!(!l.is_empty(), "own track has its radars: {o}");
        assert!(
            l.iter().all(|s| s == "kurecik-x" || s == "eastmed-ship"),
            "NATO's own track from NATO radars only: {l:?}"
        );
        assert_eq!(o["origin"]["party"], "NATO");
    }
    for p in m["partner"].as_array().unwrap() {
        let l = lineage(p);
        assert!(
            l.iter().all(|s| s == "armavir" || s == "gabala"),
            "RU's tracks from RU radars only: {l:?}"
        );
        assert!(
            p["estimate"]["cov_upper"]
                .as_array()
                .is_some_and(|c| c.len() == 21)
        );
    }
    // The joint ellipse is smaller than either party's own, and holds the true impact.
    let (ja, oa, pa) = (
        area(&joint["impact"]),
        area(&own["impact"]),
        area(&partner["impact"]),
    );
    eprintln!(
        "impact ellipse areas (km²): joint {:.1} (omega {}), NATO {:.1} (holds the truth: {}), \
         RU {:.1} (holds the truth: {}); scenario t {:.0}; truth {:?}; joint {}",
        ja / 1e6,
        joint["omega"],
        oa / 1e6,
        inside(&own["impact"], &truth),
        pa / 1e6,
        inside(&partner["impact"], &truth),
        joint["time"].as_f64().unwrap_or(0.0) - start,
        truth,
        joint["impact"]
    );
    // Decorrelated fusion (the default rule) lets RU's coarser but differently placed radars
    // count: the joint ellipse is strictly smaller than NATO's own and RU's.
    assert_eq!(joint["rule"], "decorrelated");
    assert!(joint["omega"].is_null(), "{}", joint["omega"]);
    assert!(ja < oa && ja < pa, "joint {ja} own {oa} partner {pa}");
    assert!(
        inside(&joint["impact"], &truth),
        "the joint 95 % ellipse holds the true impact point {truth:?}: {}",
        joint["impact"]
    );
    assert!(m["counters"]["partner_updates_fused"].as_u64() > Some(0));
    // Threatened cities and planning advice: the sites that could engage, with windows.
    let threat = &joint["threat"];
    assert_eq!(threat["party"], "NATO", "{threat}");
    assert!(
        threat["cities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "Bucuresti"),
        "Bucharest is threatened: {threat}"
    );
    let advice = &threat["advice"];
    let sites: Vec<&str> = advice["windows"]
        .as_array()
        .expect("advice windows")
        .iter()
        .filter_map(|s| s["site"].as_str())
        .collect();
    assert!(
        sites.contains(&"Deveselu"),
        "advice lists Deveselu: {advice}"
    );
    assert!(!sites.contains(&"Moskva A-135"), "{advice}");
    assert_eq!(advice["advice_only"], true);
    assert_eq!(advice["sector_party"], "NATO");
    for w in advice["windows"].as_array().unwrap() {
        assert!(
            w["window_start"].as_f64() <= w["window_end"].as_f64(),
            "{w}"
        );
    }
    // Radars for the fans: all four, two of them NATO's own.
    let radars = m["radars"].as_array().unwrap();
    assert_eq!(radars.len(), 4);
    assert_eq!(radars.iter().filter(|r| r["own"] == true).count(), 2);
    // Launch warnings: NATO's own detector, and RU's over the link.
    let warnings = m["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w["own"] == true && w["origin"]["party"] == "NATO")
    );

    // RU: its own radars only, and nothing of NATO's missile picture (its policy lacks the
    // kinds), though the link is up (NATO received RU's tracks over it).
    let r = get_json(&ru.addr, "/data/missile.json");
    assert!(!r["own"].as_array().unwrap().is_empty(), "RU tracks: {r}");
    for o in r["own"].as_array().unwrap() {
        let l = lineage(o);
        assert!(l.iter().all(|s| s == "armavir" || s == "gabala"), "{l:?}");
    }
    assert!(
        r["partner"].as_array().unwrap().is_empty(),
        "RU got NATO tracks: {r}"
    );
    assert!(r["joint"].as_array().unwrap().is_empty());
    assert!(
        r["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["own"] == true),
        "RU got NATO's warnings"
    );
    assert_eq!(r["counters"]["received"], 0);
    drop(nato);
    drop(ru);
}
