//! Crash safety of the centre's store: a centre that records a real recording's frames, runs
//! an incident that operators keep working on, and exchanges with a partner over its link is
//! killed with SIGKILL at random moments and restarted. After each restart the store opens,
//! every incident transition the API acknowledged (answered 200) is there and back on the
//! desk, and at the end the ledger verifies and the store holds the raw frames, the audit
//! records and the configuration.
//!
//! 3 kills by default; 20 with `VIGIL_SOAK=1` (CI sets it). The seed is printed; set
//! `VIGIL_CRASH_SEED` to repeat a run.

#![allow(clippy::expect_used, clippy::unwrap_used)] // tests: a failed expectation is the report

#[allow(dead_code)] // store_crash.rs uses only a part of the shared harness
mod common;

use common::{Service, partner_for, request, start_partner, start_service, tempdir, text};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TOKEN: &str = "crash-test-operator";

/// A small deterministic generator (xorshift), seeded and printed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn write_config(dir: &Path, recording: &Path, links: &str) -> std::path::PathBuf {
    let path = dir.join("centre.toml");
    std::fs::write(
        &path,
        format!(
            "[centre]\nname = \"warszawa-lu\"\nparty = \"NATO\"\n\n[http]\nlisten = \"127.0.0.1:0\"\n\n\
             [picture]\nexpire_after_s = 86400.0\nreference = {{ lat = 43.6293, lon = 1.3638 }}\n\n\
             [pipeline]\nstatus_interval_s = 0\n\n\
             [[feed]]\ntype = \"file\"\nname = \"long-flight\"\npath = {:?}\nformat = \"csv\"\nspeed = 20.0\n\n\
             [store]\npath = \"centre.db\"\n\n\
             [renegade]\npartners = [\"RU\"]\n\n\
             [[renegade.user]]\nname = \"olga\"\nrole = \"operator\"\ntoken_sha256 = \"{}\"\n\n{links}",
            recording.to_str().expect("utf-8"),
            vigil::renegade::token_hash(TOKEN),
        ),
    )
    .expect("config");
    path
}

fn get(addr: &str, path: &str) -> Value {
    let r = request(addr, "GET", path, Some(TOKEN), "");
    assert_eq!(r.status, 200, "GET {path}: {}", text(&r.body));
    r.json()
}

/// Opens an incident on a real aircraft of the replay (radio contact lost); returns its id.
fn open_incident(addr: &str) -> u64 {
    let t0 = Instant::now();
    loop {
        assert!(
            t0.elapsed() < Duration::from_secs(90),
            "no aircraft to report"
        );
        let tracks = get(addr, "/data/tracks.json");
        let callsign = tracks["tracks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| t["status"] == "confirmed")
            .find_map(|t| {
                t["identity"]["flight"]
                    .as_str()
                    .map(|s| s.trim().to_owned())
            })
            .filter(|c| !c.is_empty());
        if let Some(cs) = callsign {
            let body = json!({"subject": {"callsign": cs}, "kind": "radio_contact_lost",
                              "source": "ACC"})
            .to_string();
            let r = request(addr, "POST", "/api/reports", Some(TOKEN), &body);
            if r.status == 200 {
                let track = r.json()["track"].as_u64().expect("track");
                std::thread::sleep(Duration::from_millis(300));
                let incidents = get(addr, "/data/incidents.json");
                if let Some(id) = incidents["incidents"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|i| i["track"] == track)
                    .and_then(|i| i["incident"]["id"].as_u64())
                {
                    return id;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Every remark of an `add_note` in the store (opened while the centre is down).
fn notes_in_store(path: &Path) -> BTreeSet<String> {
    let store = vigil_store::Store::open(path, vigil_store::StoreOptions::default())
        .expect("the store opens after a kill");
    let notes = store
        .audit(Some("incident"), 0, 10_000_000)
        .expect("audit")
        .iter()
        .filter_map(|e| serde_json::from_str::<Value>(&e.json).ok())
        .filter_map(|v| v["remark"].as_str().map(str::to_owned))
        .collect();
    store.close().expect("close");
    notes
}

/// Every remark of an `add_note` in the desk's audit (what the API shows after a restart).
fn remarks_on_desk(addr: &str) -> BTreeSet<String> {
    let v = get(addr, "/data/incidents.json");
    v["audit"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["action"] == "add_note")
        .filter_map(|a| a["remark"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn sigkill_while_recording_acting_and_linking_loses_nothing_acknowledged() {
    let Some(recording) = common::long_flight() else {
        return;
    };
    let kills: u32 = if std::env::var_os("VIGIL_SOAK").is_some() {
        20
    } else {
        3
    };
    let seed = std::env::var("VIGIL_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock")
                .as_nanos() as u64
                | 1
        });
    eprintln!("store crash test: {kills} kills, seed {seed} (VIGIL_CRASH_SEED to repeat)");
    let mut rng = Rng(seed);
    let dir = tempdir("store", "crash");
    let (links, partner_cfg) = partner_for(&dir);
    let mut partner = start_partner(&partner_cfg, &dir);
    let config = write_config(&dir, &recording, &links);

    let mut svc: Service = start_service(&config, &dir.join("stderr-0.log"));
    let incident = open_incident(&svc.addr);
    let acknowledged: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    for round in 0..kills {
        // Operators add notes as fast as the centre answers; only a 200 is acknowledged.
        let addr = svc.addr.clone();
        let acked = acknowledged.clone();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writer = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut k = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let remark = format!("round {round} note {k}");
                    let body = json!({"action": "add_note", "remark": remark}).to_string();
                    let path = format!("/api/incidents/{incident}/actions");
                    // A connection refused or cut by the kill: not acknowledged.
                    let r = std::panic::catch_unwind(|| {
                        request(&addr, "POST", &path, Some(TOKEN), &body)
                    });
                    match r {
                        Ok(r) if r.status == 200 => {
                            acked.lock().unwrap().insert(remark);
                        }
                        Ok(r) => panic!("add_note refused: {} {}", r.status, text(&r.body)),
                        Err(_) => break,
                    }
                    k += 1;
                }
            })
        };
        let wait = 300 + rng.next() % 1_700;
        std::thread::sleep(Duration::from_millis(wait));
        // SIGKILL (Child::kill), at whatever the centre is doing.
        svc.child.kill().expect("kill");
        let _ = svc.child.wait();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        writer.join().expect("writer thread");

        // The store opens after the kill and holds every acknowledged note.
        let stored = notes_in_store(&dir.join("centre.db"));
        let acked = acknowledged.lock().unwrap().clone();
        let missing: Vec<_> = acked.difference(&stored).collect();
        assert!(
            missing.is_empty(),
            "round {round} (killed after {wait} ms, seed {seed}): acknowledged notes lost: {missing:?}"
        );
        // The restarted centre resumes the incident and shows the latest notes.
        svc = start_service(&config, &dir.join(format!("stderr-{}.log", round + 1)));
        let on_desk = remarks_on_desk(&svc.addr);
        let last = acked
            .iter()
            .filter_map(|r| r.strip_prefix(&format!("round {round} note ")))
            .filter_map(|k| k.parse::<u32>().ok())
            .max();
        if let Some(k) = last {
            let note = format!("round {round} note {k}");
            assert!(
                on_desk.contains(&note),
                "round {round}: the desk shows the last acknowledged note ({note}) after the restart"
            );
        }
        eprintln!(
            "round {round}: killed after {wait} ms; {} notes acknowledged so far, all stored",
            acked.len()
        );
    }
    assert!(
        acknowledged.lock().unwrap().len() as u32 >= kills,
        "the operators got answers"
    );
    // Let the link exchange a little after the last restart, then stop everything.
    std::thread::sleep(Duration::from_secs(2));
    let links_now = get(&svc.addr, "/data/links.json");
    drop(svc);
    let _ = partner.kill();
    let _ = partner.wait();

    let verify = std::process::Command::new(common::VIGIL)
        .args(["ledger", "verify", "--config"])
        .arg(&config)
        .output()
        .expect("vigil ledger verify");
    assert!(
        verify.status.success(),
        "the ledger verifies after {kills} kills: {}\n{}\nlinks: {links_now}",
        text(&verify.stdout),
        text(&verify.stderr)
    );

    // The store itself: raw frames, the incident records with every acknowledged note, the
    // configurations of every start.
    let store =
        vigil_store::Store::open(&dir.join("centre.db"), vigil_store::StoreOptions::default())
            .expect("the store opens");
    let span = store
        .raw_span()
        .expect("raw span")
        .expect("raw frames recorded");
    assert!(span.2 > 1_000, "raw frames: {span:?}");
    let audit = store.audit(Some("incident"), 0, 1_000_000).expect("audit");
    let stored: BTreeSet<String> = audit
        .iter()
        .filter_map(|e| serde_json::from_str::<Value>(&e.json).ok())
        .filter_map(|v| v["remark"].as_str().map(str::to_owned))
        .collect();
    let acked = acknowledged.lock().unwrap().clone();
    assert!(
        acked.is_subset(&stored),
        "every acknowledged note is in the store"
    );
    let seqs: Vec<i64> = audit.iter().map(|e| e.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "audit in order");
    assert_eq!(
        store.configs().expect("configs").len() as u32,
        kills + 1,
        "the configuration of each start"
    );
    store.close().expect("close");
    let _ = std::fs::remove_dir_all(&dir);
}
