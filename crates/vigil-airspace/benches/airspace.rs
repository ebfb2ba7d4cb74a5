//! Point and path queries over the real FIRs (`aero/eurofirs.json`, 58 FIRs, 116,703
//! vertices) plus the shipped example configuration (UMKK, two restricted areas, the
//! EPWW-UMKK release band).
//!
//! * `fir_at/10k_*`: 10,000 `fir_at` calls per iteration: uniform over Europe (30-72N,
//!   25W-45E), uniform over the Poland / Kaliningrad box (49-56N, 14-24E, where the densest
//!   FIR polygons are), and the 1,168 real European airports repeated to 10,000.
//! * `in_release_area/10k_poland`, `restricted_at/10k_poland`: the same Poland points.
//! * `fir_crossings/1h_path`: one hour of predicted path, a point every 10 s, Szczecin to
//!   beyond Kaliningrad and back.
//! * `load`: parsing the GeoJSON and building every grid.
//!
//! Run: `cargo bench -p vigil-airspace --bench airspace`

// A benchmark: a missing or malformed input file is a bug to see at once.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vigil_airspace::{Airspace, AirspaceConfig, PathPoint};
use vigil_core::LatLon;

/// A small deterministic generator (xorshift64*), so runs compare.
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn points(&mut self, n: usize, lat: (f64, f64), lon: (f64, f64)) -> Vec<(LatLon, f64)> {
        (0..n)
            .map(|_| {
                let p = LatLon::new(
                    lat.0 + self.unit() * (lat.1 - lat.0),
                    lon.0 + self.unit() * (lon.1 - lon.0),
                );
                (p, self.unit() * 45_000.0)
            })
            .collect()
    }
}

fn config() -> AirspaceConfig {
    AirspaceConfig::from_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data/airspace.toml"))
        .expect("shipped example config parses")
}

fn airports() -> Vec<(LatLon, f64)> {
    let Some(path) = vigil_testdata::path("aero/airports.json") else {
        return Vec::new();
    };
    let all: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read airports"))
            .expect("airports.json parses");
    all.iter()
        .filter_map(|a| Some(LatLon::new(a["lat"].as_f64()?, a["lon"].as_f64()?)))
        .filter(|p| (34.0..72.0).contains(&p.lat) && (-32.0..46.0).contains(&p.lon))
        .map(|p| (p, 3_000.0))
        .collect()
}

fn bench(c: &mut Criterion) {
    let Some(path) = vigil_testdata::path("aero/eurofirs.json") else {
        eprintln!("no data: aero/eurofirs.json absent, airspace benchmark skipped");
        return;
    };
    let cfg = config();
    let text = std::fs::read_to_string(&path).expect("read eurofirs.json");
    let a = Airspace::from_geojson_str(&text, &cfg).expect("airspace builds");

    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let europe = rng.points(10_000, (30.0, 72.0), (-25.0, 45.0));
    let poland = rng.points(10_000, (49.0, 56.0), (14.0, 24.0));
    let ap = airports();
    let ports: Vec<(LatLon, f64)> = ap.iter().cycle().take(10_000).copied().collect();

    let mut g = c.benchmark_group("fir_at");
    g.throughput(Throughput::Elements(10_000));
    let mut sets = vec![("10k_europe", &europe), ("10k_poland", &poland)];
    if !ports.is_empty() {
        sets.push(("10k_airports", &ports));
    }
    for (name, pts) in sets {
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut n = 0usize;
                for &(p, alt) in pts.iter() {
                    n += a.fir_at(black_box(p), alt).is_some() as usize;
                }
                n
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("other_queries");
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("in_release_area/10k_poland", |b| {
        b.iter(|| {
            poland
                .iter()
                .filter(|&&(p, alt)| a.in_release_area(black_box(p), alt).is_some())
                .count()
        })
    });
    g.bench_function("restricted_at/10k_poland", |b| {
        b.iter(|| {
            poland
                .iter()
                .map(|&(p, alt)| a.restricted_at(black_box(p), alt).count())
                .sum::<usize>()
        })
    });
    g.finish();

    // One hour at 240 m/s, a point every 10 s: Szczecin east along 54.4N past Kaliningrad,
    // then back along 54.9N.
    let pts: Vec<PathPoint> = (0..=360)
        .map(|k| {
            let f = k as f64 / 360.0;
            let (lat, lon) = if f < 0.5 {
                (54.4, 14.5 + f * 2.0 * 9.0)
            } else {
                (54.9, 23.5 - (f - 0.5) * 2.0 * 9.0)
            };
            PathPoint::new(k as f64 * 10.0, LatLon::new(lat, lon), 33_000.0)
        })
        .collect();
    let mut g = c.benchmark_group("paths");
    g.bench_function("fir_crossings/1h_path", |b| {
        b.iter(|| a.fir_crossings(black_box(&pts)))
    });
    g.bench_function("restricted_entries/1h_path", |b| {
        b.iter(|| a.restricted_entries(black_box(&pts)))
    });
    g.finish();

    let mut g = c.benchmark_group("build");
    g.sample_size(10);
    g.bench_function("load", |b| {
        b.iter(|| Airspace::from_geojson_str(black_box(&text), &cfg))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
