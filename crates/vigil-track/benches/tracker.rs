//! Tracker throughput on a synthetic picture: N aircraft on straight tracks within 300 km of
//! the centre, ADS-B at 1 Hz and three rotating radars (4, 8 and 12 s), 20 false plots per
//! rotation per radar. Each iteration runs one full second of data (the ADS-B batch and every
//! radar sector batch ending in that second) through a warmed-up tracker holding every
//! aircraft's track.
//!
//! `cargo bench -p vigil-track --bench tracker`

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

#[path = "common/one_second.rs"]
mod one_second;
use one_second::setup;

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
}

criterion_group!(benches, bench);
criterion_main!(benches);
