//! Scoring TUD-Stadtmitte (179 frames, 1,156 ground-truth and 749 tracker rows): CLEAR MOT +
//! identity, HOTA, and the CSV parse.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use vigil_mot::{Similarity, clear_mot, csv, hota};

fn bench(c: &mut Criterion) {
    let Some(dir) = vigil_testdata::path("mot/TUD-Stadtmitte") else {
        eprintln!("SKIP: no mot/TUD-Stadtmitte");
        return;
    };
    let (g, t) = (dir.join("gt.txt"), dir.join("test.txt"));
    let gt = csv::read_file(&g).unwrap();
    let ts = csv::read_file(&t).unwrap();
    let (gt_text, ts_text) = (
        std::fs::read_to_string(&g).unwrap(),
        std::fs::read_to_string(&t).unwrap(),
    );
    c.bench_function("tud_stadtmitte/parse", |b| {
        b.iter(|| {
            (
                csv::Sequence::parse(black_box(&gt_text), -1.0).unwrap(),
                csv::Sequence::parse(black_box(&ts_text), -1.0).unwrap(),
            )
        })
    });
    c.bench_function("tud_stadtmitte/clear_mot+idf1", |b| {
        b.iter(|| clear_mot(black_box(&gt), black_box(&ts), Similarity::IOU_05))
    });
    c.bench_function("tud_stadtmitte/hota", |b| {
        b.iter(|| hota(black_box(&gt), black_box(&ts), Similarity::IOU_05))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
