//! Profiling harness for the tracker benchmark (`benches/tracker.rs`, same picture and
//! sensors): warms up a tracker, then runs one second of data `K` times through
//! `measured` (a fresh clone each time), prints the minimum and median wall time, and a
//! fingerprint of the resulting estimates (bit-exact comparison between code versions).
//!
//! `cargo run --release -p vigil-track --example prof_one_second -- 10000 15`; with callgrind:
//! `valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*measured*'
//! target/release/examples/prof_one_second 1000 3` (counts K + 1 runs of one second).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use vigil_track::Tracker;
use vigil_track::sim::SimBatch;

#[path = "../benches/common/one_second.rs"]
mod one_second;
use one_second::setup;

#[inline(never)]
fn measured(t: &mut Tracker, batches: &[SimBatch]) {
    for batch in batches {
        t.process(&batch.batch());
    }
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let k: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5);
    let (tracker, batches, _) = setup(n);
    let mut times = Vec::new();
    for _ in 0..k {
        let mut t = tracker.clone();
        let start = std::time::Instant::now();
        measured(&mut t, &batches);
        times.push(start.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(&t);
    }
    times.sort_by(f64::total_cmp);
    if !times.is_empty() {
        println!(
            "min {:.1} ms, median {:.1} ms",
            times[0],
            times[times.len() / 2]
        );
    }
    // Fingerprint of the result: every track's combined estimate, bit for bit.
    let mut t = tracker.clone();
    measured(&mut t, &batches);
    let mut h: u64 = 0;
    for tr in t.tracks() {
        let g = t.predict(tr, tr.time());
        for v in g.x.iter().chain(g.p.iter()) {
            h = h.rotate_left(7) ^ v.to_bits();
        }
    }
    println!("tracks {} fingerprint {h:016x}", t.len());
}
