//! The `vigil` binary end to end: `run` replaying a real recording and serving HTTP, `decode`
//! against the golden decode of a real flight, `check-config`, and the error messages.

#![allow(clippy::expect_used, clippy::unwrap_used)] // tests: a failed expectation is the report

mod common;

use common::{VIGIL, dechunk, find, get, get_json, project_root, start_service, tempdir, text};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn vigil(args: &[&str]) -> Output {
    Command::new(VIGIL)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("vigil runs")
}

#[test]
fn help_names_every_subcommand() {
    let out = vigil(&["--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for word in [
        "run",
        "decode",
        "check-config",
        "--log-format",
        "aircraft.json",
    ] {
        assert!(help.contains(word), "--help should mention {word}:\n{help}");
    }
    let out = vigil(&["decode", "--help"]);
    assert!(text(&out.stdout).contains("--reference"));
}

#[test]
fn check_config_prints_a_summary_of_the_example() {
    let example = project_root().join("config/vigil.example.toml");
    let out = vigil(&["check-config", example.to_str().expect("utf-8 path")]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    for want in [
        "roof-beast",
        "127.0.0.1:30005",
        "127.0.0.1:30002",
        "127.0.0.1:30003",
        "ok",
    ] {
        assert!(
            stdout.contains(want),
            "summary should mention {want}:\n{stdout}"
        );
    }
}

/// A station centre: check-config opens the station file as `vigil run` does, and refuses a
/// missing one naming it.
#[test]
fn check_config_opens_the_station_file() {
    let example = project_root().join("config/centre-station.toml");
    let out = vigil(&["check-config", example.to_str().expect("utf-8 path")]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains("20 cameras") && stdout.contains("stand-off sensors"),
        "{stdout}"
    );
    let dir = tempdir("cli", "station");
    let bad = std::fs::read_to_string(&example)
        .expect("example")
        .lines()
        .map(|l| {
            if l.starts_with("file = ") {
                "file = \"no-such-station.toml\"".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let path = dir.join("centre.toml");
    std::fs::write(&path, bad).expect("write");
    let out = vigil(&["check-config", path.to_str().expect("utf-8 path")]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("no-such-station.toml"), "{err}");
}

#[test]
fn check_config_names_the_file_and_line_of_an_unknown_key() {
    let dir = tempdir("cli", "badkey");
    let path = dir.join("centre.toml");
    std::fs::write(&path, "[centre]\nname = \"x\"\n\n[[feed]]\ntype = \"tcp\"\nname = \"a\"\naddress = \"h:1\"\nformat = \"beast\"\nstall_timout_s = 5\n")
        .expect("write");
    let out = vigil(&["check-config", path.to_str().expect("utf-8 path")]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("centre.toml"), "{err}");
    assert!(err.contains("line 4") || err.contains("line 9"), "{err}");
    assert!(err.contains("stall_timout_s"), "{err}");
}

#[test]
fn decode_fails_clearly_on_an_unreadable_file() {
    let out = vigil(&["decode", "/nonexistent/capture.bin"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("/nonexistent/capture.bin"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn run_fails_clearly_when_a_feed_file_is_missing() {
    let dir = tempdir("cli", "missing");
    let path = dir.join("c.toml");
    std::fs::write(&path, "[http]\nlisten = \"127.0.0.1:0\"\n[[feed]]\ntype = \"file\"\nname = \"gone\"\npath = \"nowhere.csv\"\n")
        .expect("write");
    let out = vigil(&["run", "--config", path.to_str().expect("utf-8 path")]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("nowhere.csv") && err.contains("gone"), "{err}");
}

fn decode_lines(args: &[&str]) -> (Vec<Value>, String) {
    let out = vigil(args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines = out
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("each line is JSON"))
        .collect();
    (lines, text(&out.stderr))
}

/// `vigil decode` against the golden file: the same messages, the same fields from rs1090,
/// and the picture's CPR positions where `decode1090` had them (reference LFPG).
#[test]
fn decode_matches_the_golden_decode_of_a_real_flight() {
    let Some(path) = vigil_testdata::path("adsb/full_flight_short.jsonl") else {
        return;
    };
    let golden: Vec<Value> = std::fs::read_to_string(&path)
        .expect("read golden")
        .lines()
        .map(|l| serde_json::from_str(l).expect("golden JSON"))
        .collect();
    let (ours, summary) = decode_lines(&[
        "decode",
        path.to_str().expect("utf-8"),
        "--reference",
        "49.0097,2.5479",
    ]);
    assert!(summary.contains("decoded 57793 messages"), "{summary}");
    assert_eq!(ours.len(), golden.len());
    let (mut matched, mut missing, mut extra) = (0, 0, 0);
    for (i, (o, g)) in ours.iter().zip(&golden).enumerate() {
        assert_eq!(o["timestamp"], g["timestamp"], "line {i}");
        assert_eq!(o["df"], g["df"], "line {i}");
        assert_eq!(o["icao24"], g["icao24"], "line {i}");
        match (o["latitude"].as_f64(), g["latitude"].as_f64()) {
            (Some(lat), Some(glat)) => {
                let glon = g["longitude"].as_f64().expect("golden longitude");
                let lon = o["longitude"].as_f64().expect("our longitude");
                assert!(
                    (lat - glat).abs() < 1e-4 && (lon - glon).abs() < 1e-4,
                    "line {i}: ({lat}, {lon}) vs golden ({glat}, {glon})"
                );
                matched += 1;
            }
            (None, Some(_)) => missing += 1,
            (Some(_), None) => extra += 1,
            (None, None) => {}
        }
    }
    // Needs the picture's CPR decoding (vigil-picture): 8,324 positions in the golden file.
    assert!(
        matched >= 8324 * 99 / 100,
        "positions: {matched} matched, {missing} missing, {extra} extra"
    );
    assert!(
        extra <= 8324 / 100,
        "positions: {matched} matched, {missing} missing, {extra} extra"
    );
}

#[test]
fn decode_reads_a_beast_capture() {
    let Some(path) = vigil_testdata::path("adsb/sample_dump1090.bin") else {
        return;
    };
    let (lines, summary) = decode_lines(&["decode", path.to_str().expect("utf-8")]);
    assert_eq!(lines.len(), 239, "{summary}");
    assert!(
        lines
            .iter()
            .all(|l| l["frame"].is_string() && l["df"].is_string())
    );
    assert!(
        lines.iter().all(|l| l.get("timestamp").is_none()),
        "a Beast capture has no wall-clock time"
    );
}

/// rs1090 (through `vigil decode`) and pyModeS agree on the downlink format, address and
/// altitude of real frames. Needs `VIGIL_PY` (a Python with pyModeS; .ci/run sets it).
#[test]
fn decode_agrees_with_pymodes() {
    // A relative VIGIL_PY (`.venv/bin/python`) is taken from the project root: tests run in
    // the crate's directory.
    let python = std::env::var_os("VIGIL_PY").map(|p| project_root().join(p));
    let Some(python) = python.filter(|p| p.exists()) else {
        eprintln!("SKIPPED: set VIGIL_PY to a Python with pyModeS (bash .ci/run makes .venv)");
        return;
    };
    let Some(path) = vigil_testdata::path("adsb/sample_dump1090.bin") else {
        return;
    };
    let (ours, _) = decode_lines(&["decode", path.to_str().expect("utf-8")]);
    let frames: String = ours
        .iter()
        .map(|l| format!("{}\n", l["frame"].as_str().expect("frame")))
        .collect();
    let script = "import sys, json, pyModeS\n\
        for line in sys.stdin:\n    \
            d = pyModeS.decode(line.strip())\n    \
            print(json.dumps({'df': d.get('df'), 'icao': d.get('icao'), 'altitude': d.get('altitude')}))\n";
    let mut child = Command::new(python)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(frames.as_bytes())
        .expect("write frames");
    let out = child.wait_with_output().expect("python ends");
    assert!(out.status.success(), "pyModeS script failed");
    let theirs: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(theirs.len(), ours.len());
    let mut altitudes = 0;
    for (o, t) in ours.iter().zip(&theirs) {
        let df: u64 = o["df"].as_str().and_then(|s| s.parse().ok()).expect("df");
        assert_eq!(Some(df), t["df"].as_u64(), "{o} vs {t}");
        let icao = t["icao"].as_str().map(str::to_lowercase);
        assert_eq!(o["icao24"].as_str().map(str::to_owned), icao, "{o} vs {t}");
        if let (Some(a), Some(b)) = (o["altitude"].as_i64(), t["altitude"].as_i64()) {
            assert_eq!(a, b, "{o} vs {t}");
            altitudes += 1;
        }
    }
    assert!(altitudes > 50, "compared {altitudes} altitudes");
}

// ---- `vigil run` ------------------------------------------------------------------------

/// `vigil run` replays long_flight.csv on recorded time and serves the picture: readsb
/// schema with the recording's aircraft, sensor counters, receiver.json, the stream, and a
/// clean stop on SIGTERM.
#[test]
fn run_replays_a_recording_and_serves_the_picture() {
    let Some(recording) = vigil_testdata::path("adsb/long_flight.csv") else {
        return;
    };
    let dir = tempdir("cli", "run");
    let config = dir.join("run.toml");
    std::fs::write(
        &config,
        format!(
            "[centre]\nname = \"e2e\"\n\n[http]\nlisten = \"127.0.0.1:0\"\nopen_read = true\nstream_flush_s = 0.2\nstream_heartbeat_s = 0.5\n\n\
             [picture]\nexpire_after_s = 86400.0\nreference = {{ lat = 43.6293, lon = 1.3638 }}\n\n\
             [pipeline]\nstatus_interval_s = 1.0\n\n\
             [[feed]]\ntype = \"file\"\nname = \"long-flight\"\npath = {:?}\n",
            recording.to_str().expect("utf-8")
        ),
    )
    .expect("write config");
    let mut svc = start_service(&config, &dir.join("stderr.log"));
    let addr = svc.addr.clone();

    let health = get(&addr, "/healthz");
    assert_eq!((health.status, text(&health.body).trim()), (200, "ok"));

    // The replay runs as fast as it goes: wait for the file's end, then for the picture to
    // reach the recording's last time.
    let t0 = Instant::now();
    let sensors = loop {
        let s = get_json(&addr, "/data/sensors.json");
        if s["sensors"][0]["state"] == "finished" && s["now"].as_f64() == Some(1698148026.729228) {
            break s;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(120),
            "replay did not finish: {s}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let s0 = &sensors["sensors"][0];
    assert_eq!(s0["name"], "long-flight");
    assert_eq!(s0["format"], "csv");
    assert_eq!(s0["items"], 172_432);
    assert_eq!(s0["framing"]["frames"], 172_432);
    assert_eq!(
        s0["bytes"].as_u64(),
        Some(std::fs::metadata(&recording).expect("stat").len())
    );

    let receiver = get_json(&addr, "/data/receiver.json");
    assert_eq!(receiver["refresh"], 200);
    assert_eq!(receiver["history"], 0);
    assert_eq!(receiver["lat"], 43.6293);
    assert!(
        receiver["version"]
            .as_str()
            .is_some_and(|v| v.starts_with("vigil"))
    );

    let picture = get_json(&addr, "/data/aircraft.json");
    assert_eq!(
        picture["now"].as_f64(),
        Some(1698148026.729228),
        "picture time is the recording's"
    );
    assert!(picture["messages"].as_u64().is_some(), "{picture}");
    let aircraft = picture["aircraft"].as_array().expect("aircraft array");
    // Needs the picture (vigil-picture): the recording holds 30 aircraft.
    assert!(
        (20..=40).contains(&aircraft.len()),
        "{} aircraft",
        aircraft.len()
    );
    for a in aircraft {
        let hex = a["hex"].as_str().expect("hex");
        assert_eq!(hex.trim_start_matches('~').len(), 6, "{a}");
        assert!(a["seen"].as_f64().is_some_and(|s| s >= 0.0), "{a}");
    }
    assert!(
        aircraft
            .iter()
            .any(|a| a["lat"].is_f64() && a["lon"].is_f64()),
        "some positions"
    );

    // The stream: a snapshot of every aircraft, then heartbeats (the replay has ended).
    let mut s = TcpStream::connect(&addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(s, "GET /data/stream HTTP/1.1\r\nHost: {addr}\r\n\r\n").expect("send");
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    let lines: Vec<Value> = loop {
        let n = s.read(&mut buf).expect("stream read");
        assert!(n > 0, "stream closed early");
        raw.extend_from_slice(&buf[..n]);
        let Some(split) = find(&raw, b"\r\n\r\n") else {
            continue;
        };
        let head = text(&raw[..split]).to_lowercase();
        assert!(
            head.contains("200") && head.contains("application/x-ndjson"),
            "{head}"
        );
        let body = dechunk(&raw[split + 4..]);
        let lines: Vec<Value> = body
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).expect("stream line is JSON"))
            .collect();
        if lines.iter().any(|l| l["type"] == "heartbeat") {
            break lines;
        }
    };
    let updates: Vec<_> = lines.iter().filter(|l| l["type"] == "update").collect();
    // The snapshot has every aircraft; changes not yet flushed when it was taken may follow.
    let streamed: std::collections::BTreeSet<&str> = updates
        .iter()
        .filter_map(|u| u["aircraft"]["hex"].as_str())
        .collect();
    let served: std::collections::BTreeSet<&str> =
        aircraft.iter().filter_map(|a| a["hex"].as_str()).collect();
    assert_eq!(streamed, served);
    assert!(updates.len() >= aircraft.len());
    assert!(
        updates
            .iter()
            .all(|u| u["aircraft"]["hex"].is_string() && u["now"].is_f64())
    );
    drop(s);

    // Progress: a status line (frames/s, aircraft) every status_interval_s.
    let t2 = Instant::now();
    while !std::fs::read_to_string(&svc.stderr)
        .unwrap_or_default()
        .contains("frames_per_s")
    {
        assert!(
            t2.elapsed() < Duration::from_secs(10),
            "no status line logged"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // One shutdown path: SIGTERM stops feeds, pipeline and server, and exits 0.
    let pid = svc.child.id().to_string();
    // The shell's builtin kill: no procps needed.
    let killed = Command::new("sh")
        .args(["-c", &format!("kill -TERM {pid}")])
        .status()
        .expect("sh runs");
    assert!(killed.success());
    let t1 = Instant::now();
    let status = loop {
        if let Some(status) = svc.child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            t1.elapsed() < Duration::from_secs(10),
            "vigil did not stop within 10 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let log = std::fs::read_to_string(&svc.stderr).unwrap_or_default();
    assert!(status.success(), "exit status {status}; stderr:\n{log}");
    assert!(log.contains("vigil stopped"), "{log}");
}

/// `vigil run` with ASTERIX: a radar capture replayed into `/data/radar.json` (plots on the
/// map with their identities) and its counters in `/data/sensors.json`, while the picture of
/// the ADS-B recording goes out as CAT062 to a UDP receiver, whose blocks decode to aircraft
/// of that picture.
#[test]
fn run_serves_radar_plots_and_sends_the_picture_as_cat062() {
    let (Some(recording), Some(capture)) = (
        vigil_testdata::path("adsb/long_flight.csv"),
        vigil_testdata::path("asterix/cat_034_048.pcap"),
    ) else {
        return;
    };
    let receiver = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind receiver");
    receiver
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let dir = tempdir("cli", "radar");
    let config = dir.join("radar.toml");
    std::fs::write(
        &config,
        format!(
            "[centre]\nname = \"e2e-radar\"\n[http]\nlisten = \"127.0.0.1:0\"\nopen_read = true\n\
             [picture]\nexpire_after_s = 86400.0\n\
             [radar_view]\nkeep_s = 3600.0\n\
             [[feed]]\ntype = \"file\"\nname = \"long-flight\"\npath = {:?}\n\
             [[radar]]\nname = \"split\"\nposition = {{ lat = 43.5710220, lon = 16.4060624, height_m = 780.0 }}\n\
             sac = 25\nsic = 12\n\
             source = {{ type = \"pcap\", path = {:?} }}\n\
             [[cat062_out]]\nname = \"partner\"\ndestination = \"{}\"\nperiod_s = 0.2\n\
             sac = 25\nsic = 100\nmax_position_age_s = 600.0\n",
            recording.to_str().expect("utf-8"),
            capture.to_str().expect("utf-8"),
            receiver.local_addr().expect("addr"),
        ),
    )
    .expect("write config");
    let svc = start_service(&config, &dir.join("stderr.log"));
    let addr = svc.addr.clone();

    let t0 = Instant::now();
    let sensors = loop {
        let s = get_json(&addr, "/data/sensors.json");
        if s["sensors"][0]["state"] == "finished" && s["radars"][0]["state"] == "finished" {
            break s;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(120),
            "replays did not finish: {s}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let r = &sensors["radars"][0];
    assert_eq!(r["name"], "split");
    assert_eq!(r["id"], 1, "radars take the ids after the feeds");
    assert_eq!(r["kind"], "pcap");
    assert_eq!(r["datagrams"], 100);
    assert_eq!(r["records_by_category"]["48"], 128);
    assert_eq!(r["records_by_category"]["34"], 34);
    // The capture holds seven radars; this one (SIC 12) has 38 plots, the others' records
    // are dropped and counted.
    assert_eq!(r["observations"], 38);
    assert!(r["other_sources"].as_u64().is_some_and(|n| n > 0), "{r}");
    let sources = r["data_sources"].as_object().expect("data_sources");
    assert_eq!(sources.len(), 7, "seven radars on the stream: {sources:?}");
    assert!(sources["25/12"].as_u64().is_some_and(|n| n > 0));
    assert_eq!(r["service"]["reported_position"]["height_m"], 780.0);

    let radar = get_json(&addr, "/data/radar.json");
    let split = &radar["radars"][0];
    assert_eq!(split["name"], "split");
    assert_eq!(split["position"]["height_m"], 780.0);
    let plots = split["plots"].as_array().expect("plots");
    assert_eq!(plots.len(), 38, "{split}");
    for p in plots {
        let (lat, lon) = (p["lat"].as_f64().unwrap(), p["lon"].as_f64().unwrap());
        // Within the radar's reach (256 NM) of Split.
        assert!(
            (lat - 43.57).abs() < 5.0 && (lon - 16.41).abs() < 7.0,
            "{p}"
        );
        assert_eq!(p["kind"], "polar");
        assert!(p["range_m"].is_f64() && p["azimuth_deg"].is_f64(), "{p}");
    }
    // CroatiaControl's decode of SIC 12's first plot.
    let gwi = &plots[0];
    assert_eq!(gwi["hex"], "3c5eeb");
    assert_eq!(gwi["flight"], "GWI7BX");
    assert_eq!(gwi["squawk"], "6050");
    assert_eq!(gwi["alt_baro"], 24600.0);
    assert_eq!(gwi["sensor_track"], 1581);
    assert!((gwi["azimuth_deg"].as_f64().unwrap() - 312.7093506).abs() < 1e-6);

    // The feed's file read to its end is not the picture complete: wait until the pipeline
    // has ingested everything (the tracker hears of it last).
    let t2 = Instant::now();
    while get_json(&addr, "/data/tracks.json")["stats"]["glue"]["feeds_ended"] != true {
        assert!(
            t2.elapsed() < Duration::from_secs(60),
            "the pipeline did not finish"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!("pipeline done {:?} after the feed", t2.elapsed());

    // CAT062: every datagram one block of valid track records, of aircraft in the picture.
    let served: std::collections::BTreeSet<String> =
        get_json(&addr, "/data/aircraft.json")["aircraft"]
            .as_array()
            .expect("aircraft")
            .iter()
            .filter_map(|a| a["hex"].as_str().map(str::to_owned))
            .collect();
    let mut buf = [0u8; 65_536];
    let mut addresses = std::collections::BTreeSet::new();
    let t1 = Instant::now();
    while t1.elapsed() < Duration::from_secs(2) || addresses.is_empty() {
        let n = receiver.recv(&mut buf).expect("a CAT062 datagram");
        let block = vigil_asterix::DataBlock::decode(vigil_asterix::tables::CAT062, &buf[..n])
            .expect("valid CAT062");
        for rec in &block.records {
            let t = vigil_asterix::cat062::Track::from_record(rec);
            assert_eq!(t.sac_sic, Some((25, 100)));
            assert!(t.position.is_some());
            if let Some(a) = t.aircraft.and_then(|a| a.address) {
                addresses.insert(a.to_string());
            }
        }
        assert!(t1.elapsed() < Duration::from_secs(30), "no tracks received");
    }
    assert!(
        addresses.is_subset(&served),
        "{addresses:?} not all in {served:?}"
    );
    let outputs = get_json(&addr, "/data/sensors.json")["outputs"].clone();
    assert_eq!(outputs[0]["name"], "partner");
    assert!(
        outputs[0]["records"].as_u64().is_some_and(|n| n > 0),
        "{outputs}"
    );
    assert_eq!(outputs[0]["send_errors"], 0);
    drop(svc);
}

/// Great-circle distance, metres (spherical Earth: plenty for a 1 km check).
fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6_371_000.0 * h.sqrt().asin()
}

/// Replays `recording` through a centre at Toulouse; returns `/data/tracks.json` and
/// `/data/aircraft.json` once every observation has reached the tracker.
fn replay_tracks(recording: &Path, tag: &str) -> (Value, Value) {
    let dir = tempdir("cli", tag);
    let config = dir.join("tracks.toml");
    std::fs::write(
        &config,
        format!(
            "[centre]\nname = \"e2e-tracks\"\n\n[http]\nlisten = \"127.0.0.1:0\"\nopen_read = true\n\n\
             [picture]\nexpire_after_s = 86400.0\nreference = {{ lat = 43.6293, lon = 1.3638 }}\n\n\
             [pipeline]\nstatus_interval_s = 0\n\n\
             [[feed]]\ntype = \"file\"\nname = \"long-flight\"\npath = {:?}\nformat = \"csv\"\n",
            recording.to_str().expect("utf-8")
        ),
    )
    .expect("write config");
    let svc = start_service(&config, &dir.join("stderr.log"));
    let t0 = Instant::now();
    let tracks = loop {
        let v = get_json(&svc.addr, "/data/tracks.json");
        if v["stats"]["glue"]["feeds_ended"] == true {
            break v;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(180),
            "replay did not finish: {}",
            v["stats"]
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let picture = get_json(&svc.addr, "/data/aircraft.json");
    assert_eq!(tracks["now"], picture["now"], "one clock: the recording's");
    assert_eq!(
        tracks["centre"]["lat"], 43.6293,
        "the frame is at the reference"
    );
    (tracks, picture)
}

/// Checks every track against the picture: an aircraft of it with a position, and (for
/// airborne aircraft with a fresh position) within 1 km of it. Returns how many were
/// compared by position.
fn check_tracks_against_picture(tracks: &Value, picture: &Value) -> usize {
    let list = tracks["tracks"].as_array().expect("tracks array");
    assert!(
        !list.is_empty(),
        "confirmed tracks at the end: {}",
        tracks["stats"]
    );
    let aircraft = picture["aircraft"].as_array().expect("aircraft");
    let mut compared = 0;
    for t in list {
        assert!(
            t["status"] == "confirmed" || t["status"] == "coasting",
            "{t}"
        );
        assert!(t["track"].as_u64().is_some_and(|n| n > 0), "{t}");
        assert_eq!(t["lineage"][0]["party"], "e2e-tracks", "{t}");
        assert_eq!(t["flags"]["transponder_lost"], false, "ADS-B only: {t}");
        let hex = t["identity"]["hex"]
            .as_str()
            .expect("ADS-B tracks have an address");
        let a = aircraft
            .iter()
            .find(|a| a["hex"] == hex)
            .unwrap_or_else(|| panic!("track {hex} is not an aircraft of the picture"));
        let (Some(lat), Some(lon), Some(seen_pos)) =
            (a["lat"].as_f64(), a["lon"].as_f64(), a["seen_pos"].as_f64())
        else {
            panic!("track {hex}: the picture has no position for it: {a}");
        };
        // The track is shown at `now`; the picture's position is seen_pos old: carry it
        // forward on the track's own velocity before comparing.
        let (ve, vn) = (
            t["velocity"]["east_mps"].as_f64().expect("east"),
            t["velocity"]["north_mps"].as_f64().expect("north"),
        );
        let lat_now = lat + vn * seen_pos / 111_195.0;
        let lon_now = lon + ve * seen_pos / (111_195.0 * lat.to_radians().cos());
        let d = distance_m(
            (lat_now, lon_now),
            (
                t["lat"].as_f64().expect("lat"),
                t["lon"].as_f64().expect("lon"),
            ),
        );
        // Airborne only: this recording's surface reports of one aircraft at the end
        // alternate between two places 17 km apart (its even and odd CPR frames disagree,
        // in rs1090's decoding too); the tracker refuses the outliers, the picture shows
        // the latest.
        if seen_pos <= 10.0 && a["alt_baro"] != "ground" {
            assert!(
                d < 1000.0,
                "track {hex} is {d:.0} m from the picture's: {t}\n{a}"
            );
            eprintln!("track {hex}: {d:.0} m from the picture's position");
            compared += 1;
        }
    }
    compared
}

/// `vigil run` replays long_flight.csv through the tracker: `/data/tracks.json` holds
/// confirmed system tracks whose Mode S addresses are aircraft of `/data/aircraft.json`
/// with positions, within 1 km of the picture's position (carried to the same time). The
/// whole recording ends with aircraft on the ground; its first half ends with the long
/// flight at FL340 over France, where positions are compared.
#[test]
fn run_tracks_the_aircraft_of_a_replayed_recording() {
    let Some(recording) = vigil_testdata::path("adsb/long_flight.csv") else {
        return;
    };
    let (tracks, picture) = replay_tracks(&recording, "tracks-full");
    let stats = &tracks["stats"];
    assert!(
        stats["glue"]["adsb_observations"].as_u64() > Some(10_000),
        "{stats}"
    );
    assert!(stats["tracker"]["confirmed"].as_u64() >= Some(8), "{stats}");
    check_tracks_against_picture(&tracks, &picture);

    // The first half: the recording cut after 86,216 frames.
    let text = std::fs::read_to_string(&recording).expect("read recording");
    let half: String = text.lines().take(86_216).flat_map(|l| [l, "\n"]).collect();
    let dir = tempdir("cli", "tracks-half-data");
    let cut = dir.join("first_half.csv");
    std::fs::write(&cut, half).expect("write");
    let (tracks, picture) = replay_tracks(&cut, "tracks-half");
    let compared = check_tracks_against_picture(&tracks, &picture);
    assert!(compared >= 1, "no airborne track to compare: {tracks}");
    let long = tracks["tracks"]
        .as_array()
        .expect("tracks")
        .iter()
        .find(|t| t["identity"]["hex"] == "486257")
        .expect("the long flight is tracked");
    assert!(
        long["alt_ft"]
            .as_f64()
            .is_some_and(|a| (a - 34_000.0).abs() < 500.0),
        "{long}"
    );
    assert!(long["gs_kt"].as_f64().is_some_and(|g| g > 300.0), "{long}");
}
