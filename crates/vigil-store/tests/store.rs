//! The store on real files in a temporary folder: reopening keeps what was acknowledged,
//! durable appends give ordered sequence numbers, a random sequence of operations agrees
//! with an in-memory model, retention prunes only raw inputs, migrations.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use vigil_store::{
    AlertRow, AuditEntry, RawFrame, RawKind, SCHEMA_VERSION, Store, StoreError, StoreOptions,
    UserRow,
};

fn db(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("centre.db")
}

fn frame(sensor: &str, t: f64, b: u8) -> RawFrame {
    RawFrame {
        sensor: sensor.into(),
        kind: RawKind::ModeS,
        recv_time: t,
        bytes: vec![0x8d, b, 1, 2, 3, 4, 5],
        exercise: false,
    }
}

fn audit(kind: &str, at: f64, json: &str) -> AuditEntry {
    AuditEntry {
        seq: 0,
        at,
        kind: kind.into(),
        actor: "anna".into(),
        json: json.into(),
        exercise: false,
    }
}

fn all_raw(s: &Store) -> Vec<RawFrame> {
    let mut v = Vec::new();
    s.raw_frames(None, None, |f| {
        v.push(f);
        true
    })
    .unwrap();
    v
}

#[test]
fn store_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Store>();
}

#[test]
fn reopen_keeps_everything_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let s = Store::open(&path, StoreOptions::default()).unwrap();
    assert_eq!(s.path(), path);
    s.record_raw(vec![frame("rx1", 10.0, 1), frame("rx2", 9.0, 2)])
        .unwrap();
    s.record_raw(vec![RawFrame {
        kind: RawKind::Asterix,
        exercise: true,
        ..frame("radar", 9.5, 3)
    }])
    .unwrap();
    s.upsert_alerts(vec![AlertRow {
        id: u64::MAX,
        track: 7,
        kind: "squawk_7500".into(),
        raised: 11.0,
        cleared: None,
        json: "{}".into(),
        exercise: false,
    }])
    .unwrap();
    let seqs = s
        .append_audit(
            vec![audit("incident", 12.0, "{\"a\":1}")],
            Some("{\"incidents\":[]}".into()),
        )
        .unwrap();
    assert_eq!(seqs, vec![1]);
    s.record_config(13.0, "config/centre.toml", "[centre]\nname = 'x'\n")
        .unwrap();
    s.put_user(UserRow {
        name: "anna".into(),
        role: "supervisor".into(),
        password_hash: "$argon2id$v=19$...".into(),
        created: 1.0,
    })
    .unwrap();
    // Dropped without close: Drop flushes too.
    drop(s);

    let s = Store::open(&path, StoreOptions::default()).unwrap();
    let raw = all_raw(&s);
    let times: Vec<f64> = raw.iter().map(|f| f.recv_time).collect();
    assert_eq!(times, vec![9.0, 9.5, 10.0], "ordered by receive time");
    assert_eq!(raw[1].kind, RawKind::Asterix);
    assert!(raw[1].exercise);
    assert_eq!(raw[1].sensor, "radar");
    assert_eq!(raw[0].sensor, "rx2");
    assert_eq!(s.raw_span().unwrap(), Some((9.0, 10.0, 3)));
    let alerts = s.alerts().unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].id, u64::MAX, "u64 ids survive bit for bit");
    assert_eq!(s.audit(None, 0, 10).unwrap()[0].json, "{\"a\":1}");
    assert_eq!(
        s.latest_incident_snapshot().unwrap(),
        Some((1, "{\"incidents\":[]}".into()))
    );
    assert_eq!(s.configs().unwrap()[0].1, "config/centre.toml");
    assert_eq!(s.users().unwrap()[0].name, "anna");
    assert!(s.remove_user("anna").unwrap());
    assert!(!s.remove_user("anna").unwrap());
    s.close().unwrap();
}

#[test]
fn durable_append_returns_seqs_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let s = std::sync::Arc::new(Store::open(&path, StoreOptions::default()).unwrap());
    let a = s
        .append_audit(
            (0..5)
                .map(|i| audit("incident", f64::from(i), "{}"))
                .collect(),
            None,
        )
        .unwrap();
    assert_eq!(a, vec![1, 2, 3, 4, 5]);
    // Concurrent callers: every seq is given once, each call's in order.
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let s = s.clone();
            std::thread::spawn(move || {
                let mut got = Vec::new();
                for i in 0..25 {
                    let kind = if t % 2 == 0 { "incident" } else { "access" };
                    got.extend(
                        s.append_audit(
                            vec![audit(kind, f64::from(i), "{}"), audit(kind, 0.0, "{}")],
                            None,
                        )
                        .unwrap(),
                    );
                }
                got
            })
        })
        .collect();
    let mut all: Vec<i64> = a.clone();
    for h in handles {
        let got = h.join().unwrap();
        assert!(got.windows(2).all(|w| w[0] < w[1]), "{got:?}");
        all.extend(got);
    }
    all.sort_unstable();
    assert_eq!(all, (1..=205).collect::<Vec<i64>>());
    // A snapshot alone belongs to the last seq.
    assert_eq!(
        s.append_audit(Vec::new(), Some("s".into())).unwrap(),
        vec![]
    );
    assert_eq!(
        s.latest_incident_snapshot().unwrap(),
        Some((205, "s".into()))
    );
    let access = s.audit(Some("access"), 0, 1000).unwrap();
    assert_eq!(access.len(), 100);
    assert!(access.iter().all(|e| e.kind == "access"));
    let page = s.audit(None, 200, 3).unwrap();
    assert_eq!(
        page.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![201, 202, 203]
    );
    assert_eq!(s.stats().audit_written, 205);
}

#[test]
fn raw_frames_range_and_stop() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&db(&dir), StoreOptions::default()).unwrap();
    let frames: Vec<RawFrame> = (0..100)
        .map(|i| frame("rx", f64::from(i % 10), i as u8))
        .collect();
    s.record_raw(frames).unwrap();
    s.flush().unwrap();
    let mut got = Vec::new();
    let n = s
        .raw_frames(Some(3.0), Some(5.0), |f| {
            got.push((f.recv_time, f.bytes[1]));
            true
        })
        .unwrap();
    assert_eq!(n, 20);
    // Same time: insertion order.
    let want: Vec<(f64, u8)> = [3u8, 4]
        .iter()
        .flat_map(|&t| (0..10).map(move |k| (f64::from(t), t + 10 * k)))
        .collect();
    assert_eq!(got, want);
    let mut k = 0;
    assert_eq!(
        s.raw_frames(None, None, |_| {
            k += 1;
            k < 7
        })
        .unwrap(),
        7
    );
    let st = s.stats();
    assert_eq!((st.raw_written, st.raw_batches, st.errors), (100, 1, 0));
}

#[test]
fn non_finite_times_are_refused_or_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&db(&dir), StoreOptions::default()).unwrap();
    assert!(matches!(
        s.append_audit(vec![audit("incident", f64::NAN, "{}")], None),
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        s.record_config(f64::INFINITY, "x", "y"),
        Err(StoreError::Invalid(_))
    ));
    // A bad frame is skipped alone, not its whole batch.
    s.record_raw(vec![
        frame("rx", 1.0, 1),
        frame("rx", f64::NAN, 2),
        frame("rx", 2.0, 3),
    ])
    .unwrap();
    s.flush().unwrap();
    assert_eq!(all_raw(&s).len(), 2);
    let st = s.stats();
    assert_eq!(st.errors, 1);
    assert!(st.last_error.unwrap().contains("non-finite"));
    assert!(
        Store::open(
            &dir.path().join("other.db"),
            StoreOptions {
                raw_retention_s: Some(-1.0),
                ..StoreOptions::default()
            }
        )
        .is_err()
    );
}

#[test]
fn a_failed_batch_is_counted_and_reported_by_flush() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    drop(Store::open(&path, StoreOptions::default()).unwrap());
    // Make the file refuse one particular frame, as a full disk would refuse a commit.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER refuse BEFORE INSERT ON centre_raw WHEN NEW.bytes = x'dead'
             BEGIN SELECT RAISE(ABORT, 'refused by test'); END;",
        )
        .unwrap();
    let s = Store::open(&path, StoreOptions::default()).unwrap();
    s.record_raw(vec![frame("rx", 1.0, 1)]).unwrap();
    s.flush().unwrap();
    s.record_raw(vec![RawFrame {
        bytes: vec![0xde, 0xad],
        ..frame("new-sensor", 2.0, 0)
    }])
    .unwrap();
    let e = s.flush().unwrap_err();
    assert!(
        matches!(e, StoreError::BatchFailed { failed: 1, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("refused by test"), "{e}");
    // Reported once; the writer goes on, and the sensor of the lost batch is made again.
    s.flush().unwrap();
    s.record_raw(vec![frame("new-sensor", 3.0, 2)]).unwrap();
    s.flush().unwrap();
    let raw = all_raw(&s);
    assert_eq!(raw.len(), 2);
    assert_eq!(raw[1].sensor, "new-sensor");
    let st = s.stats();
    assert_eq!((st.errors, st.raw_written), (1, 2));
    // Durable callers get the error itself.
    s.close().unwrap();
}

fn wait_for(mut cond: impl FnMut() -> bool) {
    let t = Instant::now();
    while !cond() {
        assert!(t.elapsed() < Duration::from_secs(20), "timed out");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn retention_prunes_only_raw_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    let opts = StoreOptions {
        raw_retention_s: Some(60.0),
        ..StoreOptions::default()
    };
    let s = Store::open(&path, opts.clone()).unwrap();
    s.append_audit(vec![audit("incident", 0.0, "{}")], Some("snap".into()))
        .unwrap();
    s.upsert_alerts(vec![AlertRow {
        id: 1,
        track: 1,
        kind: "k".into(),
        raised: 0.0,
        cleared: Some(1.0),
        json: "{}".into(),
        exercise: false,
    }])
    .unwrap();
    s.record_config(0.0, "c", "t").unwrap();
    // 25,000 old frames (more than one chunk) and a few recent ones.
    let old: Vec<RawFrame> = (0..25_000)
        .map(|i| frame("rx", f64::from(i) * 0.001, 0))
        .collect();
    s.record_raw(old).unwrap();
    s.record_raw(
        (0..5)
            .map(|i| frame("rx", 1000.0 + f64::from(i), 1))
            .collect(),
    )
    .unwrap();
    s.flush().unwrap();
    wait_for(|| s.stats().raw_pruned == 25_000);
    assert_eq!(s.raw_span().unwrap(), Some((1000.0, 1004.0, 5)));
    assert_eq!(s.audit(None, 0, 10).unwrap().len(), 1);
    assert_eq!(s.alerts().unwrap().len(), 1);
    assert_eq!(s.configs().unwrap().len(), 1);
    assert!(s.latest_incident_snapshot().unwrap().is_some());
    s.close().unwrap();

    // A store opened on an old file prunes it too (newest time read from the file).
    let s = Store::open(&path, StoreOptions::default()).unwrap();
    s.record_raw(vec![frame("rx", 1.0, 9), frame("rx", 2000.0, 9)])
        .unwrap();
    s.close().unwrap();
    let s = Store::open(&path, opts).unwrap();
    wait_for(|| s.stats().raw_pruned == 6);
    assert_eq!(s.raw_span().unwrap(), Some((2000.0, 2000.0, 1)));
}

#[test]
fn newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    drop(Store::open(&path, StoreOptions::default()).unwrap());
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute(
            "UPDATE schema_version SET version = 99 WHERE component = 'centre'",
            [],
        )
        .unwrap();
    let e = Store::open(&path, StoreOptions::default()).unwrap_err();
    assert!(
        matches!(e, StoreError::NewerSchema { found: 99, supported, .. } if supported == SCHEMA_VERSION),
        "{e}"
    );
    let msg = e.to_string();
    assert!(msg.contains("newer") && msg.contains("centre.db"), "{msg}");
}

#[test]
fn not_a_database_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    std::fs::write(&path, vec![b'x'; 4096]).unwrap();
    let msg = Store::open(&path, StoreOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("centre.db") && msg.contains("not a vigil store"),
        "{msg}"
    );
    let msg = Store::open(
        &dir.path().join("no/such/dir/c.db"),
        StoreOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        msg.contains("cannot open") && msg.contains("writable"),
        "{msg}"
    );
}

/// The version 1 schema as written by the first release, by hand: the migration must take
/// such a file (shared with the link and ledger tables) to the latest version and keep
/// its rows.
const V1_BY_HAND: &str = "
CREATE TABLE schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL);
INSERT INTO schema_version VALUES ('ledger', 1), ('link', 1), ('centre', 1);
CREATE TABLE ledger_entries (link TEXT, seq INTEGER);
CREATE TABLE centre_sensors (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE centre_raw (id INTEGER PRIMARY KEY, recv_time REAL NOT NULL,
    sensor INTEGER NOT NULL, kind INTEGER NOT NULL, bytes BLOB NOT NULL,
    exercise INTEGER NOT NULL);
CREATE INDEX centre_raw_time ON centre_raw (recv_time);
CREATE TABLE centre_raw_count (one INTEGER PRIMARY KEY CHECK (one = 1), rows INTEGER NOT NULL);
CREATE TABLE centre_audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL,
    kind TEXT NOT NULL, actor TEXT NOT NULL, json TEXT NOT NULL, exercise INTEGER NOT NULL);
CREATE INDEX centre_audit_kind ON centre_audit (kind, seq);
CREATE TABLE centre_incident_snapshots (id INTEGER PRIMARY KEY, seq INTEGER NOT NULL,
    json TEXT NOT NULL);
CREATE TABLE centre_alerts (id INTEGER PRIMARY KEY, track INTEGER NOT NULL,
    kind TEXT NOT NULL, raised REAL NOT NULL, cleared REAL, json TEXT NOT NULL,
    exercise INTEGER NOT NULL);
CREATE TABLE centre_users (name TEXT PRIMARY KEY, role TEXT NOT NULL,
    password_hash TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE centre_configs (id INTEGER PRIMARY KEY, at REAL NOT NULL, origin TEXT NOT NULL,
    text TEXT NOT NULL);
INSERT INTO centre_sensors VALUES (1, 'rx1');
INSERT INTO centre_raw VALUES (1, 5.0, 1, 0, x'8d4840d6', 0);
INSERT INTO centre_raw_count VALUES (1, 1);
INSERT INTO centre_audit (at, kind, actor, json, exercise) VALUES (1.0, 'incident', 'sys', '{}', 0);
INSERT INTO centre_users VALUES ('anna', 'operator', 'h', 2.0);
INSERT INTO centre_incident_snapshots (seq, json) VALUES (1, '[1]');
";

/// Each desk resumes from its own latest snapshot, whichever desk wrote last.
#[test]
fn each_desk_keeps_its_own_incident_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&db(&dir), StoreOptions::default()).unwrap();
    s.append_audit(vec![audit("incident", 1.0, "{}")], Some("air-1".into()))
        .unwrap();
    s.append_audit_of(
        vigil_store::STATION_DESK,
        vec![audit("station_incident", 2.0, "{}")],
        Some("station-1".into()),
    )
    .unwrap();
    s.append_audit(vec![audit("incident", 3.0, "{}")], None)
        .unwrap();
    assert_eq!(
        s.latest_incident_snapshot().unwrap(),
        Some((1, "air-1".to_string()))
    );
    assert_eq!(
        s.latest_snapshot_of(vigil_store::STATION_DESK).unwrap(),
        Some((2, "station-1".to_string()))
    );
    s.close().unwrap();
    let s = Store::open(&db(&dir), StoreOptions::default()).unwrap();
    assert_eq!(
        s.latest_snapshot_of(vigil_store::STATION_DESK).unwrap(),
        Some((2, "station-1".to_string()))
    );
}

#[test]
fn v1_file_made_by_raw_sql_migrates_to_latest() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(V1_BY_HAND)
        .unwrap();
    let s = Store::open(&path, StoreOptions::default()).unwrap();
    assert_eq!(all_raw(&s)[0].bytes, vec![0x8d, 0x48, 0x40, 0xd6]);
    assert_eq!(all_raw(&s)[0].sensor, "rx1");
    assert_eq!(s.users().unwrap()[0].name, "anna");
    // A version 1 snapshot was the renegade desk's.
    assert_eq!(
        s.latest_incident_snapshot().unwrap(),
        Some((1, "[1]".to_string()))
    );
    assert_eq!(
        s.latest_snapshot_of(vigil_store::STATION_DESK).unwrap(),
        None
    );
    // The sequence goes on after the existing record.
    assert_eq!(
        s.append_audit(vec![audit("incident", 3.0, "{}")], None)
            .unwrap(),
        vec![2]
    );
    s.record_raw(vec![frame("rx1", 6.0, 0), frame("rx2", 4.0, 0)])
        .unwrap();
    s.flush().unwrap();
    assert_eq!(s.raw_span().unwrap(), Some((4.0, 6.0, 3)));
    s.close().unwrap();
    let c = rusqlite::Connection::open(&path).unwrap();
    let versions: Vec<(String, i64)> = c
        .prepare("SELECT component, version FROM schema_version ORDER BY component")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        versions,
        vec![
            ("centre".to_string(), SCHEMA_VERSION),
            ("ledger".to_string(), 1),
            ("link".to_string(), 1)
        ]
    );
    let sensors: i64 = c
        .query_row("SELECT count(*) FROM centre_sensors", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sensors, 2);
}

#[test]
fn beside_the_link_and_ledger_tables() {
    // The ledger made the file first (its own version row): the centre adds its tables.
    let dir = tempfile::tempdir().unwrap();
    let path = db(&dir);
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(
            "PRAGMA journal_mode=WAL;
             CREATE TABLE schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL);
             INSERT INTO schema_version VALUES ('ledger', 1);",
        )
        .unwrap();
    let s = Store::open(&path, StoreOptions::default()).unwrap();
    // Another connection writes its own tables while the store is open.
    let other = rusqlite::Connection::open(&path).unwrap();
    other
        .execute_batch("CREATE TABLE link_x (a); INSERT INTO link_x VALUES (1);")
        .unwrap();
    s.record_raw(vec![frame("rx", 1.0, 0)]).unwrap();
    s.append_audit(vec![audit("access", 1.0, "{}")], None)
        .unwrap();
    s.close().unwrap();
}

#[test]
fn reads_run_beside_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let s = std::sync::Arc::new(
        Store::open(
            &db(&dir),
            StoreOptions {
                batch_max: 1000,
                flush_interval: Duration::from_millis(5),
                ..StoreOptions::default()
            },
        )
        .unwrap(),
    );
    let w = {
        let s = s.clone();
        std::thread::spawn(move || {
            for b in 0..200 {
                s.record_raw(
                    (0..100)
                        .map(|i| frame("rx", f64::from(b * 100 + i), 0))
                        .collect(),
                )
                .unwrap();
            }
            s.flush().unwrap();
        })
    };
    // Every read sees a committed prefix: whole batches, in order.
    let mut last = 0;
    while !w.is_finished() {
        let n = s.raw_span().unwrap().map_or(0, |(_, _, n)| n);
        assert!(n >= last && n.is_multiple_of(100), "{n}");
        last = n;
    }
    w.join().unwrap();
    assert_eq!(s.raw_span().unwrap(), Some((0.0, 19_999.0, 20_000)));
}

// ---- Random operations against an in-memory model ----

#[derive(Debug, Clone)]
enum Op {
    Raw(Vec<(u8, bool, u8, Vec<u8>, bool)>),
    Audit(Vec<(u8, u16, String)>, Option<String>),
    Alerts(Vec<(u64, u64, Option<u8>, String)>),
    Config(u16, String),
    PutUser(u8, String),
    RemoveUser(u8),
    Flush,
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    let text = "[a-z{}\":0-9 ]{0,12}";
    prop_oneof![
        4 => prop::collection::vec(
            (0u8..3, any::<bool>(), 0u8..20, prop::collection::vec(any::<u8>(), 2..15), any::<bool>()),
            1..20
        )
        .prop_map(Op::Raw),
        2 => (
            prop::collection::vec((0u8..3, any::<u16>(), text), 0..4),
            prop::option::of(text)
        )
            .prop_map(|(r, s)| Op::Audit(r, s)),
        2 => prop::collection::vec(
            (prop_oneof![0u64..6, Just(u64::MAX), Just(1u64 << 63)], any::<u64>(), prop::option::of(any::<u8>()), text),
            1..5
        )
        .prop_map(Op::Alerts),
        1 => (any::<u16>(), text).prop_map(|(a, t)| Op::Config(a, t)),
        1 => (0u8..4, "operator|supervisor").prop_map(|(n, r)| Op::PutUser(n, r)),
        1 => (0u8..4).prop_map(Op::RemoveUser),
        1 => Just(Op::Flush),
        1 => Just(Op::Reopen),
    ]
}

#[derive(Default)]
struct Model {
    raw: Vec<RawFrame>,
    audit: Vec<AuditEntry>,
    snapshot: Option<(i64, String)>,
    alerts: BTreeMap<i64, AlertRow>,
    users: BTreeMap<String, UserRow>,
    configs: Vec<(f64, String, String)>,
}

const SENSORS: [&str; 3] = ["rx-a", "rx-b", "radar"];
const KINDS: [&str; 3] = ["incident", "access", "config"];

fn check_agrees(s: &Store, m: &Model) {
    let mut want = m.raw.clone();
    // Stable: same receive time keeps insertion order.
    want.sort_by(|a, b| a.recv_time.total_cmp(&b.recv_time));
    assert_eq!(all_raw(s), want);
    let span = want
        .first()
        .zip(want.last())
        .map(|(a, b)| (a.recv_time, b.recv_time, want.len() as u64));
    assert_eq!(s.raw_span().unwrap(), span);
    assert_eq!(s.audit(None, 0, usize::MAX).unwrap(), m.audit);
    for k in KINDS {
        let want: Vec<_> = m.audit.iter().filter(|e| e.kind == k).cloned().collect();
        assert_eq!(s.audit(Some(k), 0, usize::MAX).unwrap(), want);
    }
    assert_eq!(s.latest_incident_snapshot().unwrap(), m.snapshot);
    assert_eq!(
        s.alerts().unwrap(),
        m.alerts.values().cloned().collect::<Vec<_>>()
    );
    assert_eq!(
        s.users().unwrap(),
        m.users.values().cloned().collect::<Vec<_>>()
    );
    assert_eq!(s.configs().unwrap(), m.configs);
}

fn open_small(path: &Path, batch_max: usize) -> Store {
    Store::open(
        path,
        StoreOptions {
            queue: 2,
            batch_max,
            flush_interval: Duration::from_millis(1),
            ..StoreOptions::default()
        },
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_operations_agree_with_a_model(ops in prop::collection::vec(op(), 1..40), batch_max in 1usize..50) {
        let dir = tempfile::tempdir().unwrap();
        let path = db(&dir);
        let mut s = open_small(&path, batch_max);
        let mut m = Model::default();
        for op in ops {
            match op {
                Op::Raw(frames) => {
                    let frames: Vec<RawFrame> = frames
                        .into_iter()
                        .map(|(sensor, asterix, t, bytes, exercise)| RawFrame {
                            sensor: SENSORS[usize::from(sensor)].into(),
                            kind: if asterix { RawKind::Asterix } else { RawKind::ModeS },
                            recv_time: 1.7e9 + f64::from(t) * 0.25,
                            bytes,
                            exercise,
                        })
                        .collect();
                    m.raw.extend(frames.iter().cloned());
                    s.record_raw(frames).unwrap();
                }
                Op::Audit(records, snapshot) => {
                    let records: Vec<AuditEntry> = records
                        .into_iter()
                        .map(|(k, at, json)| AuditEntry {
                            seq: -5, // ignored
                            at: f64::from(at) / 3.0,
                            kind: KINDS[usize::from(k)].into(),
                            actor: "op".into(),
                            json,
                            exercise: at % 2 == 0,
                        })
                        .collect();
                    let seqs = s.append_audit(records.clone(), snapshot.clone()).unwrap();
                    let first = m.audit.len() as i64 + 1;
                    prop_assert_eq!(&seqs, &(first..first + records.len() as i64).collect::<Vec<_>>());
                    for (r, seq) in records.into_iter().zip(&seqs) {
                        m.audit.push(AuditEntry { seq: *seq, ..r });
                    }
                    if let Some(j) = snapshot {
                        m.snapshot = Some((m.audit.len() as i64, j));
                    }
                }
                Op::Alerts(alerts) => {
                    let alerts: Vec<AlertRow> = alerts
                        .into_iter()
                        .map(|(id, track, cleared, json)| AlertRow {
                            id,
                            track,
                            kind: "steep_descent".into(),
                            raised: id as f64,
                            cleared: cleared.map(f64::from),
                            json,
                            exercise: track % 2 == 1,
                        })
                        .collect();
                    for a in &alerts {
                        m.alerts.insert(a.id as i64, a.clone());
                    }
                    s.upsert_alerts(alerts).unwrap();
                }
                Op::Config(at, text) => {
                    s.record_config(f64::from(at), "test", &text).unwrap();
                    m.configs.push((f64::from(at), "test".into(), text));
                }
                Op::PutUser(n, role) => {
                    let u = UserRow {
                        name: format!("user{n}"),
                        role,
                        password_hash: format!("$argon2id${n}"),
                        created: f64::from(n),
                    };
                    m.users.insert(u.name.clone(), u.clone());
                    s.put_user(u).unwrap();
                }
                Op::RemoveUser(n) => {
                    let name = format!("user{n}");
                    prop_assert_eq!(s.remove_user(&name).unwrap(), m.users.remove(&name).is_some());
                }
                Op::Flush => {
                    s.flush().unwrap();
                    check_agrees(&s, &m);
                }
                Op::Reopen => {
                    s.close().unwrap();
                    s = open_small(&path, batch_max);
                    check_agrees(&s, &m);
                }
            }
        }
        s.flush().unwrap();
        check_agrees(&s, &m);
        let st = s.stats();
        prop_assert_eq!(st.errors, 0);
        prop_assert_eq!(st.queue_depth, 0);
        s.close().unwrap();
        let s = open_small(&path, batch_max);
        check_agrees(&s, &m);
    }
}
