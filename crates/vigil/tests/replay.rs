//! `vigil replay`: recordings through the same pipeline as `vigil run`, on their recorded
//! time.
//!
//! - Two replays of one recording write byte-identical picture, tracks, alerts and incidents
//!   (a real recording, and a synthetic one where an aircraft squawks 7500, so that the
//!   incident output is not empty).
//! - The replay controls over the API: pause holds the position, skip ahead jumps, speed
//!   changes are taken, every command is audited.

#![allow(clippy::expect_used, clippy::unwrap_used)] // tests: a failed expectation is the report

#[allow(dead_code)] // replay.rs uses only a part of the shared harness
mod common;

use common::{Fleet, request, tempdir, text};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const TOKEN: &str = "replay-test-token";

fn config(dir: &Path, recording: &Path, extra: &str) -> PathBuf {
    let path = dir.join("replay.toml");
    std::fs::write(
        &path,
        format!(
            "[centre]\nname = \"replay-test\"\n\n[http]\nlisten = \"127.0.0.1:0\"\n\n\
             [picture]\nexpire_after_s = 600.0\nreference = {{ lat = 49.0, lon = 11.0 }}\n\n\
             [pipeline]\nstatus_interval_s = 0\n\n\
             [[feed]]\ntype = \"file\"\nname = \"recording\"\npath = {:?}\nformat = \"csv\"\n\n\
             [renegade]\n\n[[renegade.user]]\nname = \"tester\"\nrole = \"supervisor\"\n\
             token_sha256 = \"{}\"\n\n{extra}",
            recording.to_str().expect("utf-8"),
            vigil::renegade::token_hash(TOKEN),
        ),
    )
    .expect("config");
    path
}

/// Runs `vigil replay --config CONFIG --out OUT` to its end.
fn replay_to(config: &Path, out: &Path) {
    let t0 = Instant::now();
    let o = Command::new(common::VIGIL)
        .args(["replay", "--config"])
        .arg(config)
        .arg("--out")
        .arg(out)
        .env("RUST_LOG", "warn")
        .output()
        .expect("vigil replay runs");
    assert!(
        o.status.success(),
        "vigil replay failed: {}\n{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    assert!(
        text(&o.stdout).contains("replay done"),
        "{}",
        text(&o.stdout)
    );
    eprintln!("replay of {} took {:?}", config.display(), t0.elapsed());
}

/// Two replays; their outputs must be the same bytes. Returns the first's parsed outputs.
fn replay_twice(config: &Path, dir: &Path) -> Vec<(String, Value)> {
    let (a, b) = (dir.join("a"), dir.join("b"));
    replay_to(config, &a);
    replay_to(config, &b);
    [
        "picture.json",
        "tracks.json",
        "alerts.json",
        "incidents.json",
    ]
    .iter()
    .map(|name| {
        let x = std::fs::read(a.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let y = std::fs::read(b.join(name)).expect(name);
        assert!(
            x == y,
            "{name} differs between two replays of the same recording"
        );
        (
            (*name).to_owned(),
            serde_json::from_slice(&x).expect("JSON"),
        )
    })
    .collect()
}

fn output<'a>(outs: &'a [(String, Value)], name: &str) -> &'a Value {
    &outs.iter().find(|(n, _)| n == name).expect(name).1
}

#[test]
fn two_replays_of_a_real_recording_are_byte_identical() {
    let Some(recording) = common::long_flight() else {
        return;
    };
    let dir = tempdir("replay", "real");
    let outs = replay_twice(&config(&dir, &recording, ""), &dir);
    let picture = output(&outs, "picture.json");
    assert!(
        picture["messages"].as_u64().unwrap_or(0) > 100_000,
        "the whole recording went through: {}",
        picture["messages"]
    );
    let tracks = output(&outs, "tracks.json");
    assert!(
        tracks["stats"]["tracker"].is_object(),
        "the tracker ran: {}",
        tracks["stats"]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_hijack_squawk_replays_to_the_same_incident_twice() {
    let dir = tempdir("replay", "hijack");
    let recording = dir.join("fleet.csv");
    // 12 aircraft for 8 minutes; the fourth squawks 7500 from the third minute.
    let mut fleet = Fleet::new(12);
    fleet.write_csv(&recording, 1_700_000_000.0, 480, |k, f| {
        if k == 180 {
            f.states[3].squawk = 0x7500;
        }
    });
    let outs = replay_twice(&config(&dir, &recording, ""), &dir);
    let incidents = output(&outs, "incidents.json");
    let list = incidents["incidents"].as_array().expect("incidents");
    assert_eq!(list.len(), 1, "one incident, the hijack: {incidents}");
    let text = list[0].to_string();
    assert!(text.contains("squawk_7500"), "its evidence: {text}");
    let alerts = output(&outs, "alerts.json").to_string();
    assert!(alerts.contains("squawk_7500"), "{alerts}");
    let _ = std::fs::remove_dir_all(&dir);
}

fn status(addr: &str) -> Value {
    let r = request(addr, "GET", "/data/replay.json", Some(TOKEN), "");
    assert_eq!(r.status, 200, "{}", text(&r.body));
    r.json()
}

fn command(addr: &str, body: Value) -> Value {
    let r = request(addr, "POST", "/api/replay", Some(TOKEN), &body.to_string());
    assert_eq!(r.status, 200, "{body}: {}", text(&r.body));
    r.json()
}

#[test]
fn replay_controls_pause_skip_and_speed() {
    let dir = tempdir("replay", "controls");
    let recording = dir.join("fleet.csv");
    let t0 = 1_700_000_000.0;
    Fleet::new(20).write_csv(&recording, t0, 3_600, |_, _| {});
    let cfg = config(&dir, &recording, "");
    // `vigil replay` at real time: the position moves one recorded second per second.
    let child = Command::new(common::VIGIL)
        .args(["replay", "--speed", "1", "--config"])
        .arg(&cfg)
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(dir.join("stderr.log")).expect("log"))
        .spawn()
        .expect("vigil replay");
    let svc = common::Service::from_child(child, &dir.join("stderr.log"));
    let addr = svc.addr.clone();
    let poll = |what: &str, f: &dyn Fn(&Value) -> bool| {
        let start = Instant::now();
        loop {
            let s = status(&addr);
            if f(&s) {
                return s;
            }
            assert!(start.elapsed() < Duration::from_secs(20), "{what}: {s}");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let s = poll("the replay starts", &|s| s["position"].as_f64().is_some());
    assert_eq!(s["speed"], 1.0);

    let paused = command(&addr, json!({"action": "pause"}));
    assert_eq!(paused["paused"], true);
    std::thread::sleep(Duration::from_millis(600));
    let p1 = status(&addr)["position"].as_f64().expect("position");
    std::thread::sleep(Duration::from_secs(2));
    let p2 = status(&addr)["position"].as_f64().expect("position");
    assert_eq!(p1, p2, "paused: the position holds");

    command(&addr, json!({"action": "play"}));
    poll("playing again", &|s| s["position"].as_f64() > Some(p2));

    // Skip ahead 20 minutes: the frames between go at once.
    let to = p2 + 1_200.0;
    command(&addr, json!({"action": "skip", "to": to}));
    poll("skipped ahead", &|s| s["position"].as_f64() >= Some(to));

    // Back in time is refused with a reason.
    let r = request(
        &addr,
        "POST",
        "/api/replay",
        Some(TOKEN),
        &json!({"action": "skip", "to": t0}).to_string(),
    );
    assert_eq!(r.status, 400);
    assert!(
        text(&r.body).contains("only skips ahead"),
        "{}",
        text(&r.body)
    );

    // Faster: 60 recorded seconds per second.
    command(&addr, json!({"action": "speed", "speed": 60.0}));
    let before = status(&addr)["position"].as_f64().expect("position");
    std::thread::sleep(Duration::from_secs(2));
    let after = status(&addr)["position"].as_f64().expect("position");
    assert!(after - before > 60.0, "at 60x: {before} -> {after}");

    let audit = request(&addr, "GET", "/data/audit.json", Some(TOKEN), "").json();
    let audit = audit.to_string();
    for needle in ["replay pause", "replay play", "replay skip", "replay speed"] {
        assert!(audit.contains(needle), "audited: {needle}: {audit}");
    }
    drop(svc);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn replay_refuses_live_feeds() {
    let dir = tempdir("replay", "live");
    let cfg = dir.join("live.toml");
    std::fs::write(
        &cfg,
        "[http]\nlisten = \"127.0.0.1:0\"\n[[feed]]\ntype = \"tcp\"\nname = \"roof\"\n\
         address = \"127.0.0.1:30005\"\nformat = \"beast\"\n",
    )
    .expect("config");
    let o = Command::new(common::VIGIL)
        .args(["replay", "--config"])
        .arg(&cfg)
        .output()
        .expect("runs");
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("replays recordings only"),
        "{}",
        text(&o.stderr)
    );
}

/// A replay in a centre marked as exercise: the store labels everything it keeps as exercise
/// data (raw frames, incident records), and the API says so (the UI shows the badge).
#[test]
fn an_exercise_replay_labels_what_it_stores() {
    let dir = tempdir("replay", "exercise");
    let recording = dir.join("fleet.csv");
    let mut fleet = Fleet::new(6);
    fleet.write_csv(&recording, 1_700_000_000.0, 240, |k, f| {
        if k == 60 {
            f.states[2].squawk = 0x7500;
        }
    });
    let cfg = config(&dir, &recording, "[store]\npath = \"centre.db\"\n");
    // [centre] exercise = true, set in the file written above.
    let text_cfg = std::fs::read_to_string(&cfg).expect("config").replace(
        "name = \"replay-test\"\n",
        "name = \"replay-test\"\nexercise = true\n",
    );
    std::fs::write(&cfg, text_cfg).expect("config");
    replay_to(&cfg, &dir.join("out"));
    let store =
        vigil_store::Store::open(&dir.join("centre.db"), vigil_store::StoreOptions::default())
            .expect("store");
    let (mut frames, mut exercise) = (0u64, 0u64);
    store
        .raw_frames(None, None, |f| {
            frames += 1;
            exercise += u64::from(f.exercise);
            true
        })
        .expect("raw frames");
    assert!(frames > 1_000, "{frames} raw frames");
    assert_eq!(exercise, frames, "every raw frame is labelled exercise");
    let audit = store.audit(Some("incident"), 0, 100_000).expect("audit");
    assert!(!audit.is_empty(), "the hijack's incident records");
    assert!(audit.iter().all(|e| e.exercise), "labelled exercise");
    store.close().expect("close");

    // What the store recorded plays again: exported as a recording, replayed.
    let exported = dir.join("exported.csv");
    let o = Command::new(common::VIGIL)
        .args(["store", "export"])
        .arg(dir.join("centre.db"))
        .arg("--out")
        .arg(&exported)
        .output()
        .expect("vigil store export");
    assert!(o.status.success(), "{}", text(&o.stderr));
    let again = tempdir("replay", "exported");
    let outs = replay_twice(&config(&again, &exported, ""), &again);
    let picture = output(&outs, "picture.json");
    assert_eq!(
        picture["aircraft"].as_array().map(Vec::len),
        Some(6),
        "the six aircraft again: {picture}"
    );
    assert!(
        output(&outs, "alerts.json")
            .to_string()
            .contains("squawk_7500")
    );
    let _ = std::fs::remove_dir_all(&again);
    let _ = std::fs::remove_dir_all(&dir);
}
