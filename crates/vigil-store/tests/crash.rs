//! SIGKILL at random moments loses nothing acknowledged.
//!
//! The test runs its own binary again as a child (`crash_child`, selected with
//! `VIGIL_STORE_CRASH_CHILD`) that writes to the store from two threads as fast as it can,
//! and prints a line for each acknowledgement: an audit record's seq once `append_audit`
//! returned, a raw batch number once a `flush` after it returned, a configuration once
//! `record_config` returned. The parent kills it (`Child::kill` is SIGKILL on Unix) 20 times
//! at random moments, the same file going on from run to run, and after each reopens the
//! store and checks that every acknowledged item is there, that raw batches are whole and
//! form a prefix of what was queued, and that each incident snapshot is the one written
//! with the last audit record.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use vigil_store::{AuditEntry, RawFrame, RawKind, Store, StoreOptions};

const CHILD_ENV: &str = "VIGIL_STORE_CRASH_CHILD";
const RUN_ENV: &str = "VIGIL_STORE_CRASH_RUN";
const RUNS: u32 = 20;
/// Each run's raw inputs have receive times in `[run * SPAN, (run + 1) * SPAN)`.
const SPAN: f64 = 1.0e6;

fn options() -> StoreOptions {
    StoreOptions {
        raw_retention_s: None,
        queue: 8,
        batch_max: 2_000,
        flush_interval: Duration::from_millis(20),
    }
}

/// Frames of batch `b`: how many, and the bytes of frame `i` (run, batch, index, count).
fn batch_len(b: u32) -> u16 {
    1 + (b % 31) as u16
}

fn frame_bytes(run: u32, b: u32, i: u16, n: u16) -> Vec<u8> {
    let mut v = Vec::with_capacity(12);
    v.extend_from_slice(&run.to_be_bytes());
    v.extend_from_slice(&b.to_be_bytes());
    v.extend_from_slice(&i.to_be_bytes());
    v.extend_from_slice(&n.to_be_bytes());
    v
}

fn ack(line: &str) {
    // One write per line (stdout is line buffered): a kill never leaves half a line that
    // parses.
    let mut out = std::io::stdout().lock();
    writeln!(out, "ACK {line}").unwrap();
    out.flush().unwrap();
}

/// The child: writes until it is killed. A normal test run (no env) returns at once.
#[test]
fn crash_child() {
    let (Some(path), Some(run)) = (std::env::var_os(CHILD_ENV), std::env::var_os(RUN_ENV)) else {
        return;
    };
    let run: u32 = run.to_str().unwrap().parse().unwrap();
    let store = Arc::new(Store::open(Path::new(&path), options()).unwrap());
    ack("open");
    let raw = {
        let store = store.clone();
        std::thread::spawn(move || {
            for b in 0u32.. {
                let n = batch_len(b);
                let frames = (0..n)
                    .map(|i| RawFrame {
                        sensor: format!("rx{}", b % 3),
                        kind: if b % 5 == 0 {
                            RawKind::Asterix
                        } else {
                            RawKind::ModeS
                        },
                        recv_time: f64::from(run) * SPAN + f64::from(b) * 0.01,
                        bytes: frame_bytes(run, b, i, n),
                        exercise: false,
                    })
                    .collect();
                store.record_raw(frames).unwrap();
                if b % 16 == 15 {
                    store.flush().unwrap();
                    ack(&format!("raw {b}"));
                }
                // A fraction of a millisecond: keeps the file small enough to check fast.
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };
    for i in 0u32.. {
        let json = format!("{run}:{i}");
        let seqs = store
            .append_audit(
                vec![
                    AuditEntry {
                        seq: 0,
                        at: f64::from(i),
                        kind: "incident".into(),
                        actor: "crash".into(),
                        json: json.clone(),
                        exercise: false,
                    };
                    1 + (i % 3) as usize
                ],
                Some(format!("snapshot {json}")),
            )
            .unwrap();
        for s in seqs {
            ack(&format!("audit {s} {json}"));
        }
        if i % 20 == 0 {
            store.record_config(f64::from(i), "crash", &json).unwrap();
            ack(&format!("config {json}"));
        }
    }
    raw.join().unwrap();
}

/// A small deterministic generator; the seed is printed so a failure can be replayed.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[derive(Default, Debug)]
struct Acks {
    audit: BTreeMap<i64, String>,
    raw_flushed: Option<u32>,
    configs: Vec<String>,
}

fn parse(lines: &[String]) -> Acks {
    let mut a = Acks::default();
    for l in lines {
        // libtest prints "test crash_child ... " before the child's first line.
        let Some(at) = l.find("ACK ") else {
            continue;
        };
        let rest = &l[at + 4..];
        let mut w = rest.split(' ');
        match w.next() {
            Some("audit") => {
                let seq = w.next().unwrap().parse().unwrap();
                a.audit.insert(seq, w.next().unwrap().to_string());
            }
            Some("raw") => a.raw_flushed = Some(w.next().unwrap().parse().unwrap()),
            Some("config") => a.configs.push(w.next().unwrap().to_string()),
            _ => {}
        }
    }
    a
}

/// Checks one run's raw inputs: whole batches 0..k in order. Returns how many batches.
fn check_raw(store: &Store, run: u32) -> u32 {
    let from = f64::from(run) * SPAN;
    let mut batches: BTreeMap<u32, Vec<u16>> = BTreeMap::new();
    let mut last_b = None;
    store
        .raw_frames(Some(from), Some(from + SPAN), |f| {
            let r = u32::from_be_bytes(f.bytes[0..4].try_into().unwrap());
            let b = u32::from_be_bytes(f.bytes[4..8].try_into().unwrap());
            let i = u16::from_be_bytes(f.bytes[8..10].try_into().unwrap());
            let n = u16::from_be_bytes(f.bytes[10..12].try_into().unwrap());
            assert_eq!(r, run);
            assert_eq!(n, batch_len(b));
            assert_eq!(f.sensor, format!("rx{}", b % 3));
            assert!(
                last_b.is_none_or(|l| l <= b),
                "order: batch {b} after {last_b:?}"
            );
            last_b = Some(b);
            batches.entry(b).or_default().push(i);
            true
        })
        .unwrap();
    for (k, (b, idx)) in batches.iter().enumerate() {
        assert_eq!(
            *b as usize, k,
            "run {run}: batch {k} missing while {b} is present"
        );
        assert_eq!(
            idx,
            &(0..batch_len(*b)).collect::<Vec<_>>(),
            "run {run}: batch {b} is not whole"
        );
    }
    batches.len() as u32
}

fn integrity_ok(path: &Path) {
    let c = rusqlite::Connection::open(path).unwrap();
    let r: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(r, "ok");
}

#[test]
fn sigkill_at_random_moments_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("centre.db");
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("crash test seed {seed:#x}");
    let mut rng = XorShift(seed);
    let exe = std::env::current_exe().unwrap();
    let mut all_audit: BTreeMap<i64, String> = BTreeMap::new();
    let mut all_configs: Vec<String> = Vec::new();
    let mut batches_per_run: Vec<u32> = Vec::new();
    let mut total_acks = 0usize;

    for run in 0..RUNS {
        let mut child = Command::new(&exe)
            .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &path)
            .env(RUN_ENV, run.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut lines = Vec::new();
            for l in BufReader::new(stdout).lines() {
                let Ok(l) = l else { break };
                if l.ends_with("ACK open") {
                    let _ = tx.send(());
                }
                lines.push(l);
            }
            lines
        });
        // Some runs die anywhere from start-up on (opening, migrating), the others at a
        // random moment of full flow.
        if run % 2 == 0 {
            std::thread::sleep(Duration::from_millis(rng.below(300)));
        } else {
            rx.recv_timeout(Duration::from_secs(30))
                .expect("child opened the store");
            std::thread::sleep(Duration::from_millis(20 + rng.below(400)));
        }
        let t = Instant::now();
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(!status.success(), "the child was killed, not finished");
        let lines = reader.join().unwrap();
        let acks = parse(&lines);
        total_acks += acks.audit.len();

        integrity_ok(&path);
        let store = Store::open(&path, options()).unwrap();
        // Every acknowledged audit record, with its content.
        let stored: BTreeMap<i64, String> = store
            .audit(None, 0, usize::MAX)
            .unwrap()
            .into_iter()
            .map(|e| (e.seq, e.json))
            .collect();
        for (seq, json) in &acks.audit {
            assert_eq!(
                stored.get(seq),
                Some(json),
                "run {run}: acknowledged seq {seq}"
            );
        }
        for (seq, json) in &all_audit {
            assert_eq!(stored.get(seq), Some(json), "earlier run's seq {seq}");
        }
        // Seqs have no gaps (a rolled-back transaction gives none away).
        let n = stored.len() as i64;
        assert_eq!(
            stored.keys().next_back().copied().unwrap_or(0),
            n,
            "gap in seqs"
        );
        // The snapshot is the one written with the last record.
        if let Some((seq, snap)) = store.latest_incident_snapshot().unwrap() {
            assert_eq!(seq, n);
            assert_eq!(snap, format!("snapshot {}", stored[&seq]));
        }
        all_audit = stored;
        // Raw: whole batches, a prefix of what was queued, holding all that was flushed.
        let k = check_raw(&store, run);
        if let Some(b) = acks.raw_flushed {
            assert!(
                k > b,
                "run {run}: batch {b} was flushed, only {k} batches stored"
            );
        }
        // The kept count agrees with the rows (it is written in their transactions).
        let mut rows = 0u64;
        store
            .raw_frames(None, None, |_| {
                rows += 1;
                true
            })
            .unwrap();
        assert_eq!(store.raw_span().unwrap().map_or(0, |s| s.2), rows);
        for (r, &before) in batches_per_run.iter().enumerate() {
            assert_eq!(check_raw(&store, r as u32), before, "run {r} changed");
        }
        batches_per_run.push(k);
        let configs: Vec<String> = store.configs().unwrap().into_iter().map(|c| c.2).collect();
        for c in acks.configs.iter().chain(&all_configs) {
            assert!(
                configs.contains(c),
                "run {run}: configuration {c} acknowledged"
            );
        }
        all_configs = configs;
        store.close().unwrap();
        eprintln!(
            "run {run}: killed after {} acks ({} audit records, {k} raw batches stored; \
             check {:?})",
            lines.len(),
            acks.audit.len(),
            t.elapsed()
        );
    }
    assert!(
        total_acks > 100,
        "the children acknowledged too little to test: {total_acks}"
    );
}
