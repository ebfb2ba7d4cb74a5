//! Recording raw inputs.
//!
//! - `raw_insert/writer_4096x14B`: frames per second committed by the writer (batches of
//!   4,096 14-byte frames, queued then flushed: the time runs until the COMMIT).
//! - `long_flight/*`: the picture pipeline (Beast framing, decode, picture) over the real
//!   `long_flight.csv` recording (172,432 frames), without and with every frame recorded
//!   into the store in batches of 4,096. `pipeline_recording` times the pipeline thread
//!   only (the writer commits beside it; each iteration is flushed untimed, so the queue
//!   never fills from one iteration to the next): that is what recording costs the hot
//!   path. `pipeline_recording_committed` also waits for the COMMIT of every frame: the
//!   end-to-end rate, bounded by the writer.
//!
//! A summary of the hot-path cost (median of interleaved runs) is printed at the end.
//!
//! Run: `cargo bench -p vigil-store --bench record`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vigil_codec::FeedItem;
use vigil_codec::framing::{Framer, beast::BeastFramer};
use vigil_core::{SensorId, UnixTime};
use vigil_picture::{Picture, PictureConfig};
use vigil_store::{RawFrame, RawKind, Store, StoreOptions};

const BATCH: usize = 4096;

fn frames_4096(t0: f64) -> Vec<RawFrame> {
    (0..BATCH)
        .map(|i| RawFrame {
            sensor: "rx-waw-1".into(),
            kind: RawKind::ModeS,
            recv_time: t0 + i as f64 * 1e-5,
            bytes: vec![
                0x8d, 0x48, 0x40, 0xd6, 0x20, 0x2c, 0xc3, 0x71, 0xc3, 0x2c, 0xe0, 0x57, 0x60,
                i as u8,
            ],
            exercise: false,
        })
        .collect()
}

fn raw_insert(c: &mut Criterion) {
    let mut g = c.benchmark_group("raw_insert");
    const BATCHES: usize = 25;
    g.throughput(Throughput::Elements((BATCH * BATCHES) as u64));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    // Retention of 30 s of receive time (24 iterations' worth): once the file is full,
    // every pass deletes about as many rows as were written since the last.
    for (name, retention) in [
        ("writer_4096x14B", None),
        ("writer_4096x14B_retention", Some(30.0)),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let options = StoreOptions {
            raw_retention_s: retention,
            ..StoreOptions::default()
        };
        let store = Store::open(&dir.path().join("centre.db"), options).unwrap();
        let mut t = 1.7e9;
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    // Frames are made before the clock starts: this measures the writer.
                    let batches: Vec<Vec<RawFrame>> = (0..BATCHES)
                        .map(|k| frames_4096(t + k as f64 * 0.05))
                        .collect();
                    t += BATCHES as f64 * 0.05;
                    let start = Instant::now();
                    for b in batches {
                        store.record_raw(b).unwrap();
                    }
                    store.flush().unwrap();
                    total += start.elapsed();
                }
                total
            })
        });
        let st = store.stats();
        eprintln!(
            "{name}: {} rows in {} transactions, {} pruned, {} errors",
            st.raw_written, st.raw_batches, st.raw_pruned, st.errors
        );
        store.close().unwrap();
    }
    g.finish();
}

/// What a pass does with each Mode S frame besides the picture.
#[derive(Clone, Copy)]
enum Record<'a> {
    /// Nothing: the pipeline alone.
    No,
    /// Builds the `RawFrame` batches and drops them (the allocation part of the cost).
    BuildOnly,
    /// Hands them to the store.
    Store(&'a Store),
}

/// One pass of the pipeline over the stream, receive times from `t0` on.
fn pipeline(stream: &[u8], t0: UnixTime, record: Record<'_>) -> usize {
    let mut framer = BeastFramer::default();
    let mut picture = Picture::new(PictureConfig::default());
    let sensor = String::from("rx-waw-1");
    let mut batch: Vec<RawFrame> = Vec::with_capacity(BATCH);
    let mut i = 0u32;
    framer.push(stream, &mut |item: FeedItem| {
        i += 1;
        let now = t0.plus(f64::from(i) * 0.04);
        picture.ingest(now, SensorId(0), &item);
        if let (Record::BuildOnly | Record::Store(_), FeedItem::ModeS(f)) = (record, &item) {
            batch.push(RawFrame {
                sensor: sensor.clone(),
                kind: RawKind::ModeS,
                recv_time: now.0,
                bytes: f.data().to_vec(),
                exercise: false,
            });
            if batch.len() == BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                match record {
                    Record::Store(store) => store.record_raw(full).unwrap(),
                    _ => drop(black_box(full)),
                }
            }
        }
    });
    if let Record::Store(store) = record {
        store.record_raw(batch).unwrap();
    }
    picture.len()
}

fn long_flight(c: &mut Criterion) {
    let Some(recs) = vigil_testdata::long_flight() else {
        eprintln!("no data: long_flight benchmark skipped");
        return;
    };
    let stream: Vec<u8> = recs.iter().flat_map(|r| r.escaped()).collect();
    let n = recs.len() as u64;
    // Each pass goes on where the last ended (receive times only grow, as live).
    let span = n as f64 * 0.04 + 1.0;
    let mut next = recs[0].ts;
    let mut t0 = move || {
        next += span;
        UnixTime(next)
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("centre.db"), StoreOptions::default()).unwrap();

    let mut g = c.benchmark_group("long_flight");
    g.throughput(Throughput::Elements(n));
    g.sample_size(20);
    g.bench_function("pipeline", |b| {
        b.iter(|| black_box(pipeline(&stream, t0(), Record::No)))
    });
    g.bench_function("pipeline_recording", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                black_box(pipeline(&stream, t0(), Record::Store(&store)));
                total += start.elapsed();
                store.flush().unwrap();
            }
            total
        })
    });
    g.bench_function("pipeline_recording_committed", |b| {
        b.iter(|| {
            black_box(pipeline(&stream, t0(), Record::Store(&store)));
            store.flush().unwrap();
        })
    });
    g.finish();

    // The summary: interleaved runs, medians, the hot-path cost in percent.
    let mut plain = Vec::new();
    let mut build = Vec::new();
    let mut rec = Vec::new();
    for _ in 0..15 {
        let s = Instant::now();
        black_box(pipeline(&stream, t0(), Record::No));
        plain.push(s.elapsed().as_secs_f64());
        let s = Instant::now();
        black_box(pipeline(&stream, t0(), Record::BuildOnly));
        build.push(s.elapsed().as_secs_f64());
        let s = Instant::now();
        black_box(pipeline(&stream, t0(), Record::Store(&store)));
        rec.push(s.elapsed().as_secs_f64());
        store.flush().unwrap();
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (p, b, r) = (median(&mut plain), median(&mut build), median(&mut rec));
    let per_frame = (r - p) / n as f64;
    eprintln!(
        "long_flight summary ({n} frames, medians of 15 interleaved passes): pipeline {:.0} \
         frames/s; recording every frame {:.0} frames/s ({:.1} % less); recording costs the \
         pipeline thread {:.0} ns per frame ({:.0} ns of it making the RawFrames), so \
         recording 100,000 frames/s takes {:.2} % of the pipeline's throughput",
        n as f64 / p,
        n as f64 / r,
        (1.0 - p / r) * 100.0,
        per_frame * 1e9,
        (b - p) / n as f64 * 1e9,
        per_frame * 100_000.0 * 100.0,
    );
    let st = store.stats();
    eprintln!(
        "store: {} rows in {} transactions, {} errors",
        st.raw_written, st.raw_batches, st.errors
    );
    store.close().unwrap();
}

criterion_group!(benches, raw_insert, long_flight);
criterion_main!(benches);
