//! The operator UI in a real browser: Debian's Chromium driven by Playwright
//! (`playwright-core` from `ui/node_modules`) running the scripts in `ui/tests/`.
//!
//! - `ui_in_a_browser`: a centre replays a real recording with the renegade desk and two
//!   users; a report on a real aircraft opens an incident. The script checks that a logged-out
//!   browser gets nothing, logs in, sees aircraft move, opens a track, acknowledges and
//!   classifies the incident, meets the server's refusal of a supervisor's action, and logs
//!   out. The audit record then holds the logins and the actions.
//! - `ui_frame_time_with_5000_tracks`: 5,000 synthetic aircraft squitter ADS-B in Beast
//!   framing over loopback, each position once a second; the page must keep its frame time
//!   (requestAnimationFrame intervals, p95) under 50 ms.
//!
//! Without node, Chromium or `npm ci --prefix ui` the tests say what is missing and pass,
//! except under CI (`CI` set), where `.ci/run` installs them and their absence fails.

#![allow(clippy::expect_used, clippy::unwrap_used)] // tests: a failed expectation is the report

#[allow(dead_code)] // shared with the other tests; this one uses a part
mod common;
use common::poll;

use common::{
    Fleet, Service, browser, get, output_dir, partner_for, project_root, request, run_script,
    start_partner, start_service, tempdir, text, user_table,
};
use serde_json::{Value, json};
use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const REPORTER_TOKEN: &str = "acc-token-of-the-ui-test";
const AUDITOR_TOKEN: &str = "auditor-token-of-the-ui-test";

fn get_as(addr: &str, path: &str, token: &str) -> Value {
    let r = request(addr, "GET", path, Some(token), "");
    assert_eq!(r.status, 200, "GET {path}: {}", text(&r.body));
    r.json()
}

/// Reports radio contact lost for a confirmed aircraft of the replay with a callsign only it
/// has; returns its track number.
fn report_a_real_aircraft(addr: &str) -> u64 {
    poll(Duration::from_secs(180), "a reportable aircraft", || {
        let tracks = get_as(addr, "/data/tracks.json", REPORTER_TOKEN);
        let list = tracks["tracks"].as_array().cloned().unwrap_or_default();
        let mut candidates = common::reportable(&tracks);
        // An aircraft in flight, so that the browser sees it move, not one taxiing.
        candidates.retain(|(t, _)| t["gs_kt"].as_f64().is_some_and(|v| v > 100.0));
        let Some((_, cs)) = candidates.first() else {
            let seen: Vec<_> = list
                .iter()
                .map(|t| (&t["identity"]["flight"], &t["gs_kt"]))
                .collect();
            return Err(format!(
                "no confirmed track in flight with a callsign: {seen:?}"
            ));
        };
        let body = json!({"subject": {"callsign": cs}, "kind": "radio_contact_lost",
                          "source": "ACC Toulouse"})
        .to_string();
        let r = request(addr, "POST", "/api/reports", Some(REPORTER_TOKEN), &body);
        if r.status != 200 {
            return Err(format!("report on {cs}: {}", text(&r.body)));
        }
        Ok(r.json()["track"]
            .as_u64()
            .expect("the report names its track"))
    })
}

#[test]
fn ui_in_a_browser() {
    let Some(ui) = browser() else { return };
    let Some(recording) = common::long_flight() else {
        return;
    };
    let dir = tempdir("ui", "e2e");
    let (op_pw, sup_pw) = ("olga-password-e2e", "sam-password-e2e");
    // A partner centre on a real link, so that the links panel shows one up.
    let (links, partner_cfg) = partner_for(&dir);
    let mut partner = start_partner(&partner_cfg, &dir);
    let config = dir.join("centre.toml");
    std::fs::write(
        &config,
        format!(
            "[centre]\nname = \"warszawa-lu\"\nparty = \"NATO\"\n\n[http]\nlisten = \"127.0.0.1:0\"\n\n\
             [picture]\nexpire_after_s = 86400.0\nreference = {{ lat = 43.6293, lon = 1.3638 }}\n\n\
             [pipeline]\nstatus_interval_s = 0\n\n\
             [[feed]]\ntype = \"file\"\nname = \"long-flight\"\npath = {:?}\nformat = \"csv\"\nspeed = 40.0\n\n\
             [renegade]\npartners = [\"RU\"]\neurofirs = {:?}\nairspace = {:?}\n\n\
             [[renegade.user]]\nname = \"acc-toulouse\"\nrole = \"operator\"\ntoken_sha256 = \"{}\"\n\n\
             [[renegade.user]]\nname = \"auditor\"\nrole = \"supervisor\"\ntoken_sha256 = \"{}\"\n\n{}{}{links}",
            recording.to_str().expect("utf-8"),
            project_root()
                .join("../shared/data/aero/eurofirs.json")
                .to_str()
                .expect("utf-8"),
            project_root()
                .join("crates/vigil-airspace/data/airspace.toml")
                .to_str()
                .expect("utf-8"),
            vigil::renegade::token_hash(REPORTER_TOKEN),
            vigil::renegade::token_hash(AUDITOR_TOKEN),
            user_table("olga", "operator", op_pw),
            user_table("sam", "supervisor", sup_pw),
        ),
    )
    .expect("config");
    let centre: Service = start_service(&config, &dir.join("stderr.log"));
    let addr = centre.addr.clone();

    // Without a login, the API answers 401 (the browser script checks the same from a page).
    for path in [
        "/data/tracks.json",
        "/data/aircraft.json",
        "/data/layout.json",
        "/api/me",
        "/ws",
    ] {
        assert_eq!(get(&addr, path).status, 401, "{path} without a login");
    }
    assert_eq!(get(&addr, "/").status, 200, "the page itself is public");

    poll(Duration::from_secs(30), "the link up", || {
        let l = get_as(&addr, "/data/links.json", AUDITOR_TOKEN);
        (l["links"][0]["state"] == "up")
            .then_some(())
            .ok_or_else(|| l.to_string())
    });
    let track = report_a_real_aircraft(&addr);
    let out = output_dir();
    let summary = run_script(
        &ui,
        "e2e.mjs",
        &[
            ("VIGIL_URL", format!("http://{addr}")),
            ("VIGIL_OPERATOR", "olga".into()),
            ("VIGIL_OPERATOR_PASSWORD", op_pw.into()),
            ("VIGIL_SUPERVISOR", "sam".into()),
            ("VIGIL_SUPERVISOR_PASSWORD", sup_pw.into()),
            ("VIGIL_OUT", out.display().to_string()),
            ("VIGIL_INCIDENT_TRACK", format!("T{track}")),
            ("VIGIL_LINK", "to-partner".into()),
            ("VIGIL_E2E_REQUIRE_ACK", "1".into()),
        ],
        None,
    );
    assert_eq!(summary["ok"], true, "{summary}");
    assert!(out.join("ui-e2e.png").is_file(), "the screenshot is saved");

    // The server's record: the incident was acknowledged and classified by olga, and the
    // audit holds her login, the refused login, the actions and the logout.
    let incidents = get_as(&addr, "/data/incidents.json", AUDITOR_TOKEN);
    let inc = incidents["incidents"]
        .as_array()
        .and_then(|l| l.iter().find(|i| i["track"] == track).cloned())
        .unwrap_or_else(|| panic!("the incident of track {track}: {incidents}"));
    let trail = inc.to_string();
    assert!(
        trail.contains("acknowledge") && trail.contains("classify"),
        "{inc}"
    );
    assert!(
        trail.contains("olga"),
        "actions carry the operator's name: {inc}"
    );
    let audit = get_as(&addr, "/data/audit.json", AUDITOR_TOKEN).to_string();
    for needle in ["\"login\"", "\"login_failed\"", "\"logout\"", "incident"] {
        assert!(audit.contains(needle), "audit has {needle}: {audit}");
    }
    let r = request(&addr, "GET", "/data/audit.json", Some(REPORTER_TOKEN), "");
    assert_eq!(r.status, 403, "the audit record is for supervisors");
    let _ = partner.kill();
    let _ = partner.wait();
}

/// Serves the fleet's Beast stream on `listener` to whoever connects, until `stop`.
fn serve_fleet(listener: std::net::TcpListener, n: usize, stop: Arc<AtomicBool>) {
    listener.set_nonblocking(true).expect("nonblocking");
    while !stop.load(Ordering::Relaxed) {
        let Ok((mut sock, _)) = listener.accept() else {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        };
        sock.set_nonblocking(false).expect("blocking");
        let mut fleet = Fleet::new(n);
        let mut buf = Vec::with_capacity(n * 80);
        let t0 = Instant::now();
        let mut k = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock")
                .as_secs_f64();
            buf.clear();
            fleet.second(now, 1.0, &mut buf);
            if sock.write_all(&buf).is_err() {
                break;
            }
            k += 1;
            let next = t0 + Duration::from_secs(k);
            if let Some(wait) = next.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
    }
}

#[test]
fn ui_frame_time_with_5000_tracks() {
    let Some(ui) = browser() else { return };
    let n: usize = std::env::var("VIGIL_PERF_TRACKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let feed_addr = listener.local_addr().expect("addr");
    let stop = Arc::new(AtomicBool::new(false));
    let feeder = {
        let stop = stop.clone();
        std::thread::spawn(move || serve_fleet(listener, n, stop))
    };
    let dir = tempdir("ui", "perf");
    let pw = "perf-password-1";
    let config = dir.join("centre.toml");
    std::fs::write(
        &config,
        format!(
            "[centre]\nname = \"perf\"\n\n[http]\nlisten = \"127.0.0.1:0\"\n\n\
             [picture]\nreference = {{ lat = 49.0, lon = 11.0 }}\n\n\
             [pipeline]\nstatus_interval_s = 0\n\n[tracker]\nenabled = false\n\n\
             [[feed]]\ntype = \"tcp\"\nname = \"fleet\"\naddress = \"{feed_addr}\"\nformat = \"beast\"\n\n{}",
            user_table("perf", "operator", pw)
        ),
    )
    .expect("config");
    let centre = start_service(&config, &dir.join("stderr.log"));
    let out = output_dir();
    let summary = run_script(
        &ui,
        "perf.mjs",
        &[
            ("VIGIL_URL", format!("http://{}", centre.addr)),
            ("VIGIL_OPERATOR", "perf".into()),
            ("VIGIL_OPERATOR_PASSWORD", pw.into()),
            ("VIGIL_OUT", out.display().to_string()),
            ("VIGIL_PERF_TRACKS", n.to_string()),
        ],
        None,
    );
    stop.store(true, Ordering::Relaxed);
    drop(centre);
    let _ = feeder.join();
    eprintln!("frame time with {n} tracks: {summary}");
    assert_eq!(summary["ok"], true, "{summary}");
    let p95 = summary["p95"]
        .as_f64()
        .or_else(|| summary["p95_ms"].as_f64())
        .unwrap_or_else(|| panic!("p95 in the summary: {summary}"));
    assert!(
        p95 < 50.0,
        "p95 frame time {p95} ms with {n} tracks: {summary}"
    );
}
