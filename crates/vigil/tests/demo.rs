//! `vigil demo` end to end: two centres as child processes play Vigilant Skies 2011 day 1 at
//! 30 times real time (about two and a half minutes), fed live by the demo's sensors over
//! loopback (Beast over TCP, ASTERIX CAT048 over UDP) and linked with mutual TLS; the test
//! reads the JSON summary and checks the scenario's facts, as `renegade_chain.rs`
//! (`vigilant_skies_day1`) checks them on the synchronous chain: the renegade's incident
//! with its categories, notified to the national chain and the partner at one moment and
//! received by the partner, the hand-over at the EPWW/UMKK boundary predicted and accepted,
//! both ledgers verified with the same counts on both sides, link traffic both ways.
//!
//! It needs nothing from `../shared`: the demo's background is synthetic and the scenario
//! has coarse FIRs for a fresh clone.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const VIGIL: &str = env!("CARGO_BIN_EXE_vigil");

/// Fast enough for CI (the 75 minutes in 150 s), slow enough that a centre's clock and the
/// sensors' pacing stay within a fraction of a second of each other on two busy cores.
const SPEED: &str = "30";

/// Runs `vigil demo` with `args`; its exit status, stdout and stderr. Killed after
/// `limit` (the test then fails with what it printed).
fn demo(args: &[&str], limit: Duration) -> (bool, String, String) {
    let mut child = Command::new(VIGIL)
        .arg("demo")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vigil demo starts");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if started.elapsed() > limit {
            // SIGTERM: the demo stops its centres before it exits.
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            std::thread::sleep(Duration::from_secs(30));
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let (stdout, stderr) = (out_t.join().unwrap(), err_t.join().unwrap());
    let Some(status) = status else {
        panic!("vigil demo did not end within {limit:?}\nstderr:\n{stderr}\nstdout:\n{stdout}");
    };
    eprintln!(
        "vigil demo took {:.0} s; stderr:\n{stderr}",
        started.elapsed().as_secs_f64()
    );
    (status.success(), stdout, stderr)
}

fn num(v: &Value) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("a number expected: {v}"))
}

#[test]
fn vigilant_skies_day1_between_two_centres() {
    let out = std::env::temp_dir().join(format!("vigil-demo-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let (ok, stdout, _) = demo(
        &["--speed", SPEED, "--json", "--out", &out.to_string_lossy()],
        Duration::from_secs(600),
    );
    let s: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("the summary is not JSON ({e}):\n{stdout}"));
    eprintln!("facts: {}", s["facts"]);
    assert!(ok, "vigil demo failed: {}", s["facts"]);
    assert_eq!(s["ok"], true);
    assert_eq!(s["interrupted"], false);
    assert!(
        out.join("summary.json").is_file(),
        "the summary is kept in --out"
    );

    // The centres stopped cleanly.
    let centres = s["centres"].as_array().unwrap();
    assert_eq!(centres.len(), 2);
    for c in centres {
        assert_eq!(c["exit"], "exit status: 0", "{}", c["name"]);
        assert!(
            c["sensors"]["frames"].as_u64().unwrap() > 100_000,
            "{}",
            c["sensors"]
        );
        assert!(c["sensors"]["plots"].as_u64().unwrap() > 10_000);
        assert_eq!(c["sensors"]["beast_connections"], 1);
        // The background is in the picture too.
        assert!(
            c["tracks_max"].as_u64().unwrap() >= 20,
            "{}",
            c["tracks_max"]
        );
    }

    // Only the renegade raised incidents: no fighter, no background aircraft.
    let incidents = s["incidents"].as_array().unwrap();
    for i in incidents {
        assert_eq!(
            i["callsign"], "VSX101",
            "an incident on another aircraft: {i}"
        );
    }
    // The Polish centre: COMLOSS on the radio-loss report at 1020 s, SUSPECTED on the
    // not-following report at 1110 s; notified to the national chain and the partner at one
    // moment; the partner received the notification over the link.
    let nato: Vec<&Value> = incidents
        .iter()
        .filter(|i| i["centre"] == "warszawa-lu")
        .collect();
    assert!(
        !nato.is_empty(),
        "no incident at warszawa-lu: {incidents:?}"
    );
    let i = nato[0];
    let ladder: Vec<(&str, f64)> = i["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["category"].as_str().unwrap(), num(&c["at_s"])))
        .collect();
    eprintln!("warszawa-lu categories: {ladder:?}");
    let at = |name: &str| {
        ladder
            .iter()
            .find(|(c, _)| *c == name)
            .map(|(_, t)| *t)
            .unwrap_or_else(|| panic!("{name} not reached: {ladder:?}"))
    };
    // A second or two of slack over the synchronous chain: the report is posted when the
    // centre's clock reaches it, and the rules run once a second of that clock.
    assert!(
        (1019.0..=1024.0).contains(&at("COMLOSS")),
        "COMLOSS at {}",
        at("COMLOSS")
    );
    assert!(
        at("SUSPECTED") <= 1114.0,
        "SUSPECTED at {}",
        at("SUSPECTED")
    );
    assert_eq!(i["category"], "SUSPECTED");
    assert_eq!(i["state"], "resolved", "closed after the landing");
    let evidence: Vec<&str> = i["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    for k in [
        "radio_contact_lost",
        "not_following_atc",
        "lateral_deviation",
        "squawk_7500",
        "adsb_unlawful_interference",
        "transponder_lost",
    ] {
        assert!(evidence.contains(&k), "{k} missing from {evidence:?}");
    }
    let notes = i["notifications"].as_array().unwrap();
    let when = |ch: &str| {
        notes
            .iter()
            .find(|n| n["channel"] == ch)
            .map(|n| num(&n["at_s"]))
            .unwrap_or_else(|| panic!("no {ch} notification: {notes:?}"))
    };
    assert_eq!(when("national_chain"), when("partner:RU"));
    let received: Vec<&str> = i["partner_received"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_str().unwrap())
        .collect();
    for action in [
        "notify",
        "request_interception",
        "propose_handover",
        "accept_handover",
    ] {
        assert!(
            received.contains(&action),
            "kaliningrad-lu did not receive {action}: {received:?}"
        );
    }

    // Detection: the hijack code at 1200 s, seen by both centres' ADS-B receivers within
    // seconds; the transponder switched off at 1500 s, flagged by both on primary radar.
    for d in s["detection"].as_array().unwrap() {
        eprintln!("{d}");
    }
    let delay = |centre: &str, indicator: &str| {
        s["detection"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["centre"] == centre && d["indicator"] == indicator)
            .and_then(|d| d["delay_s"].as_f64())
            .unwrap_or_else(|| panic!("{centre} never raised {indicator}"))
    };
    for centre in ["warszawa-lu", "kaliningrad-lu"] {
        assert!(delay(centre, "squawk_7500") <= 5.0);
        assert!(delay(centre, "transponder_lost") <= 60.0);
    }
    assert!(delay("warszawa-lu", "radio_contact_lost") <= 65.0);

    // The hand-over at the EPWW/UMKK boundary: predicted two to five minutes before within
    // 5 km and 60 s (as on the synchronous chain), proposed before, accepted for RU, and
    // both steps received by the Kaliningrad unit.
    let h = &s["handovers"][0];
    eprintln!("hand-over: {h}");
    assert_eq!(h["from_fir"], "EPWW");
    assert_eq!(h["to_fir"], "UMKK");
    assert_eq!(h["responsible"], "warszawa-lu");
    let p = &h["predicted"];
    let ahead = num(&h["t_s"]) - num(&p["made_at_s"]);
    assert!(
        (120.0..=300.0).contains(&ahead),
        "predicted {ahead} s ahead"
    );
    assert!(num(&p["error_km"]) <= 5.0, "{p}");
    assert!(num(&p["error_s"]).abs() <= 60.0, "{p}");
    assert_eq!(p["to_fir"], "UMKK");
    assert!(num(&h["proposed_s"]) < num(&h["t_s"]));
    let accepted = num(&h["accepted_s"]);
    assert!(
        accepted >= num(&h["t_s"]) - 5.0 && accepted <= num(&h["t_s"]) + 60.0,
        "accepted at {accepted}"
    );
    assert_eq!(h["taken_by"], "kaliningrad-lu (RU)");
    assert!(h["partner_received_request_s"].is_number());
    assert!(h["partner_received_accept_s"].is_number());

    // Both ledgers verify, with signed checkpoints from the partner, and what one side
    // ledgered as sent the other ledgered as received, kind by kind.
    let ledgers = s["ledgers"].as_array().unwrap();
    assert_eq!(ledgers.len(), 2);
    for l in ledgers {
        eprintln!("ledger: {l}");
        assert_eq!(l["verified"], true, "{l}");
        assert!(l["partner_checkpoints"].as_u64().unwrap() > 0, "{l}");
    }
    assert_eq!(ledgers[0]["sent"], ledgers[1]["received"]);
    assert_eq!(ledgers[1]["sent"], ledgers[0]["received"]);
    for kind in ["track", "alert", "incident", "handover"] {
        assert!(
            ledgers[0]["sent"][kind].as_u64().unwrap_or(0) > 0,
            "warszawa-lu sent no {kind}"
        );
    }
    for kind in ["track", "alert", "incident"] {
        assert!(
            ledgers[1]["sent"][kind].as_u64().unwrap_or(0) > 0,
            "kaliningrad-lu sent no {kind}"
        );
    }
    for c in centres {
        assert_eq!(
            c["link"]["partner_checkpoint_agreed"], true,
            "{}",
            c["link"]
        );
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_bad_speed_is_refused_with_the_reason() {
    let out = Command::new(VIGIL)
        .args(["demo", "--speed", "0"])
        .output()
        .expect("vigil demo");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--speed"), "{err}");
}
