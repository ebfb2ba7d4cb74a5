//! Appends per second: in memory, and in SQLite (a WAL file) one transaction per append
//! and batched transactions. Also verification speed over a 10,000-entry link.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use vigil_core::UnixTime;
use vigil_ledger::{
    CentreId, Direction, Keys, Ledger, MemoryStore, Message, SigningKey, SqliteStore,
};

/// A track update's size on the wire, roughly.
const PAYLOAD: [u8; 120] = [7; 120];
const BATCH: usize = 1000;

fn id() -> CentreId {
    CentreId {
        party: "NATO".into(),
        centre: "CRC".into(),
    }
}

fn temp_db(name: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!(
        "vigil-ledger-bench-{}-{name}.db",
        std::process::id()
    ));
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", p.display()));
    }
    p
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("append");
    g.throughput(Throughput::Elements(1));
    let mut mem = Ledger::open(MemoryStore::new(), id()).unwrap();
    let mut t = 1_700_000_000.0;
    g.bench_function("memory", |b| {
        b.iter(|| {
            t += 0.001;
            black_box(
                mem.append(
                    "l",
                    Direction::Sent,
                    UnixTime(t),
                    "track_update",
                    &PAYLOAD,
                    None,
                )
                .unwrap(),
            )
        })
    });
    drop(mem);

    let path = temp_db("single");
    let mut one = Ledger::open(SqliteStore::open(&path).unwrap(), id()).unwrap();
    g.sample_size(20);
    g.bench_function("sqlite_wal_tx_per_append", |b| {
        b.iter(|| {
            t += 0.001;
            black_box(
                one.append(
                    "l",
                    Direction::Sent,
                    UnixTime(t),
                    "track_update",
                    &PAYLOAD,
                    None,
                )
                .unwrap(),
            )
        })
    });
    drop(one);

    let path = temp_db("batch");
    let mut batched = Ledger::open(SqliteStore::open(&path).unwrap(), id()).unwrap();
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("sqlite_wal_batch_1000", |b| {
        b.iter_batched(
            || {
                (0..BATCH)
                    .map(|_| {
                        t += 0.001;
                        t
                    })
                    .collect::<Vec<f64>>()
            },
            |times| {
                let msgs: Vec<Message<'_>> = times
                    .iter()
                    .map(|&t| Message {
                        link: "l",
                        direction: Direction::Sent,
                        time: UnixTime(t),
                        kind: "track_update",
                        payload: &PAYLOAD,
                        peer_seq: None,
                    })
                    .collect();
                black_box(batched.append_batch(&msgs).unwrap())
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
    drop(batched);

    // Verification of one link of 10,000 entries with one own checkpoint.
    let key = SigningKey::from_bytes(&[1; 32]);
    let mut l = Ledger::open(SqliteStore::open(temp_db("verify")).unwrap(), id()).unwrap();
    let msgs: Vec<Message<'_>> = (0..10_000)
        .map(|i| Message {
            link: "l",
            direction: Direction::Sent,
            time: UnixTime(1_700_000_000.0 + f64::from(i)),
            kind: "track_update",
            payload: &PAYLOAD,
            peer_seq: None,
        })
        .collect();
    l.append_batch(&msgs).unwrap();
    l.checkpoint("l", &key, UnixTime(1_700_010_000.0)).unwrap();
    let keys = Keys::new(key.verifying_key());
    let mut g = c.benchmark_group("verify");
    g.sample_size(10);
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("sqlite_10k_entries", |b| {
        b.iter(|| black_box(l.verify(&keys).unwrap()))
    });
    g.finish();
    for name in ["single", "batch", "verify"] {
        temp_db(name);
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
