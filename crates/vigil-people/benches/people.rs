//! One scan of 2,000 people seen by 20 cameras at 10 Hz, each person by about two cameras
//! (about 4,000 detections), after the tracks are established.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use vigil_people::{FloorDetection, PeopleConfig, PeopleTracker};

/// A 200 m × 100 m station (0.1 person/m²) seen by 20 cameras in a 5 × 4 grid of 40 m × 25 m
/// cells; every camera's view reaches 9 m into its neighbours, so that a person is seen by
/// about two cameras.
struct Scene {
    people: Vec<(f64, f64, f64, f64)>,
    rng: ChaCha8Rng,
}

impl Scene {
    fn new(n: usize) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let people = (0..n)
            .map(|_| {
                let h = rng.random::<f64>() * std::f64::consts::TAU;
                let v = 0.6 + 1.0 * rng.random::<f64>();
                (
                    200.0 * rng.random::<f64>(),
                    100.0 * rng.random::<f64>(),
                    v * h.cos(),
                    v * h.sin(),
                )
            })
            .collect();
        Self { people, rng }
    }

    fn scan(&mut self, k: usize) -> (f64, Vec<FloorDetection>) {
        let t = k as f64 * 0.1;
        let noise = Normal::new(0.0, 0.1).unwrap();
        let mut dets = Vec::with_capacity(2 * self.people.len());
        for &(x0, y0, vx, vy) in &self.people {
            let fold = |p: f64, l: f64| {
                let m = p.rem_euclid(2.0 * l);
                if m > l { 2.0 * l - m } else { m }
            };
            let (x, y) = (fold(x0 + vx * t, 200.0), fold(y0 + vy * t, 100.0));
            for cx in 0..5u16 {
                for cy in 0..4u16 {
                    let (lx, ly) = (40.0 * f64::from(cx), 25.0 * f64::from(cy));
                    let inside = x >= lx - 9.0 && x < lx + 49.0 && y >= ly - 9.0 && y < ly + 34.0;
                    if inside && self.rng.random::<f64>() > 0.05 {
                        dets.push(FloorDetection {
                            camera: cy * 5 + cx,
                            t,
                            x: x + noise.sample(&mut self.rng),
                            y: y + noise.sample(&mut self.rng),
                            sigma_m: 0.1,
                            confidence: 0.9,
                        });
                    }
                }
            }
        }
        (t, dets)
    }
}

fn bench(c: &mut Criterion) {
    let mut scene = Scene::new(2000);
    let mut tr = PeopleTracker::new(PeopleConfig::default());
    for k in 0..30 {
        let (t, dets) = scene.scan(k);
        tr.process(t, &dets);
    }
    let (t, dets) = scene.scan(30);
    let confirmed = tr.tracks().filter(|p| p.confirmed).count();
    eprintln!(
        "{} detections in the scan, {} tracks ({} confirmed)",
        dets.len(),
        tr.tracks().count(),
        confirmed
    );
    c.bench_function("people/2000_people_20_cameras_scan", |b| {
        b.iter_batched(
            || tr.clone(),
            |mut tr| tr.process(t, &dets),
            BatchSize::LargeInput,
        )
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
