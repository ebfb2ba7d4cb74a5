//! Tracker throughput on a synthetic picture: N aircraft on straight tracks within 300 km of
//! the centre, ADS-B at 1 Hz and three rotating radars (4, 8 and 12 s), 20 false plots per
//! rotation per radar. Each iteration runs one full second of data (the ADS-B batch and every
//! radar sector batch ending in that second) through a warmed-up tracker holding every
//! aircraft's track.
//!
//! Two harnesses:
//! - `tracker_one_second`: every iteration clones the warmed-up tracker (not timed) and runs
//!   the same second through the clone. A clone's scratch buffers have only the capacity of
//!   the last warm-up batch, so the timed second also pays for growing them (about 14 MB,
//!   fresh pages) and reads a tracker the clone has just written.
//! - `tracker_steady`: a running tracker, as in a centre: each iteration runs the *next*
//!   second of data through the same tracker (the seconds 2 to 20 after the warm-up, one per
//!   iteration; at the end a fresh clone runs the first second untimed and the cycle
//!   restarts). The work timed is the same kind (every batch of one second), with scratch
//!   buffers already grown by the previous second.
//!
//! `cargo bench -p vigil-track --bench tracker`

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

#[path = "common/one_second.rs"]
mod one_second;
use one_second::{setup, setup_steady};

/// Seconds simulated after the warm-up for the steady-state harness.
const STEADY_SECONDS: usize = 20;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("tracker_one_second");
    group.sample_size(20);
    for n in [1_000usize, 10_000] {
        let (tracker, batches, obs) = setup(n);
        group.throughput(Throughput::Elements(obs as u64));
        group.bench_function(format!("{n}_aircraft_adsb_3_radars"), |b| {
            b.iter_batched(
                || tracker.clone(),
                |mut t| {
                    for batch in &batches {
                        t.process(&batch.batch());
                    }
                    t
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();

    let mut group = c.benchmark_group("tracker_steady");
    group.sample_size(20);
    for n in [1_000usize, 10_000] {
        let (base, seconds, obs) = setup_steady(n, STEADY_SECONDS);
        group.throughput(Throughput::Elements(obs as u64));
        group.bench_function(format!("{n}_aircraft_adsb_3_radars"), |b| {
            let mut tracker = None;
            let mut next = seconds.len();
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    if next == seconds.len() {
                        // Restart: a fresh clone runs the first second untimed.
                        let mut t = base.clone();
                        for batch in &seconds[0] {
                            t.process(&batch.batch());
                        }
                        // The previous tracker is dropped here, untimed.
                        tracker = Some(t);
                        next = 1;
                    }
                    let t = tracker.as_mut().unwrap();
                    let start = Instant::now();
                    for batch in &seconds[next] {
                        t.process(&batch.batch());
                    }
                    total += start.elapsed();
                    next += 1;
                }
                total
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
