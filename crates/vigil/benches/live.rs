//! The UI feed's cost on the centre: one second's view of 5,000 moving tracks compared with
//! the last second's and serialised once for every client (`Live::publish`), as `vigil run`
//! does each second. The browser's side (frame time) is measured in `tests/ui.rs`.
//!
//!   cargo bench -p vigil --bench live

#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use vigil::live::{Live, UiRow};

fn rows(n: usize, t: f64) -> Vec<(String, UiRow)> {
    (0..n)
        .map(|i| {
            let side = 71;
            let (r, c) = ((i / side) as f64, (i % side) as f64);
            (
                format!("T{i}"),
                UiRow {
                    lat: ((42.0 + r * 0.2 + t * 1e-3) * 1e5).round() / 1e5,
                    lon: ((-4.0 + c * 0.4 + t * 1e-3) * 1e5).round() / 1e5,
                    alt_ft: Some(30_000.0),
                    gs_kt: Some(450.0),
                    track_deg: Some(45.0),
                    squawk: Some(format!("{:04o}", 0o1000 + i % 0o777)),
                    callsign: Some(format!("VGL{i:04}")),
                    flags: 0,
                },
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let live = Live::new(8);
    let mut t = 0.0;
    // Every track moved since the last second: the worst case, every row in the delta.
    c.bench_function("live_publish_5000_moving_tracks", |b| {
        b.iter_batched(
            || {
                t += 1.0;
                (t, rows(5000, t))
            },
            |(now, r)| live.publish(Some(now), black_box(r), [None, None, None, None]),
            criterion::BatchSize::LargeInput,
        )
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
