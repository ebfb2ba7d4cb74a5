//! Crowd simulator speed: one 0.1 s step of 2,000 people in the example station, the 20
//! cameras' detections of that step, and both together (the 10 Hz budget is 100 ms).
//!
//! `cargo bench -p vigil-station --bench crowd -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use vigil_station::{Crowd, Site};

/// The example station with 2,000 people placed and walked for five seconds.
fn warm_crowd() -> (Site, Crowd) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config/stations/example.toml");
    let site = match Site::load(&path) {
        Ok(s) => s,
        Err(e) => panic!("example station: {e}"),
    };
    let mut scenario = site.scenario.clone().unwrap_or_else(|| panic!("scenario"));
    scenario.initial_people = 0;
    scenario.carrier.clear();
    let mut crowd = match Crowd::new(&site.station, &scenario) {
        Ok(c) => c,
        Err(e) => panic!("crowd: {e}"),
    };
    let placed = crowd.populate(2000);
    assert!(placed >= 1990, "placed {placed}");
    for _ in 0..50 {
        crowd.step(0.1);
    }
    eprintln!("crowd of {} people after 5 s", crowd.people().len());
    (site, crowd)
}

fn bench(c: &mut Criterion) {
    let (site, crowd) = warm_crowd();
    let mut g = c.benchmark_group("crowd_2000");
    g.bench_function("step", |b| {
        b.iter_batched_ref(
            || crowd.clone(),
            |c| c.step(black_box(0.1)),
            BatchSize::SmallInput,
        )
    });
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut out = Vec::with_capacity(4096);
    g.bench_function("detect_20_cameras", |b| {
        b.iter(|| {
            out.clear();
            crowd.detect_all(&site.cameras, &mut rng, &mut out);
            black_box(out.len())
        })
    });
    eprintln!("detections per frame: {}", out.len());
    g.bench_function("step_and_detect", |b| {
        b.iter_batched_ref(
            || crowd.clone(),
            |c| {
                c.step(0.1);
                out.clear();
                c.detect_all(&site.cameras, &mut rng, &mut out);
                black_box(out.len())
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
