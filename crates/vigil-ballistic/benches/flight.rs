//! Flight model speed: one 1,000 km flight with every object (RV, spent stage, debris), 1 s
//! samples; and the whole example scenario (aiming, flights, four radars' plots).

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use vigil_ballistic::earth;
use vigil_ballistic::flight::{self, DebrisSpec, Missile, PitchProgram, Stage};
use vigil_ballistic::scenario::Scenario;
use vigil_core::{Geodetic, LatLon};

fn srbm() -> Missile {
    Missile {
        name: "srbm".into(),
        stages: vec![Stage {
            thrust_n: 221_000.0,
            burn_time_s: 75.0,
            propellant_kg: 6_500.0,
            dry_kg: 850.0,
            beta_kg_m2: 500.0,
        }],
        payload_kg: 550.0,
        rv_beta_kg_m2: 3_000.0,
        boost_cd_area_m2: 0.3,
        pitch: PitchProgram {
            vertical_s: 6.0,
            pitch_over_s: 25.0,
            final_elevation_deg: 45.0,
        },
        separation_dv_m_s: 2.0,
        debris: vec![DebrisSpec {
            count: 3,
            beta_kg_m2: 100.0,
            dv_m_s: 3.0,
        }],
    }
}

fn bench(c: &mut Criterion) {
    let launch = Geodetic {
        pos: LatLon::new(32.5, 53.0),
        height_m: 1_000.0,
    };
    let target = launch.pos.destination(300.0, 1_000_000.0);
    let mut m = srbm();
    let Ok(aim) = flight::aim(&m, &launch, &target, 100.0) else {
        eprintln!("SKIP: the bench missile cannot reach 1,000 km");
        return;
    };
    m.pitch.final_elevation_deg = aim.final_elevation_deg;
    if let Ok(f) = flight::simulate(&m, &launch, aim.azimuth_deg, 0.0) {
        let samples: usize = f.objects.iter().map(|o| o.samples.len()).sum();
        eprintln!(
            "1,000 km flight: {} objects, {samples} samples, RV flight {:.0} s, miss {:.0} m",
            f.objects.len(),
            f.rv().t_end(),
            earth::ground_range(&f.rv().impact.point.pos, &target)
        );
    }
    c.bench_function("simulate_1000km_all_objects", |b| {
        b.iter(|| flight::simulate(black_box(&m), &launch, aim.azimuth_deg, 0.0))
    });
    c.bench_function("aim_1000km", |b| {
        b.iter(|| flight::aim(black_box(&srbm()), &launch, &target, 100.0))
    });
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config/missile/scenario.toml");
    if let Ok(s) = Scenario::load(&path) {
        c.bench_function("example_scenario_run", |b| b.iter(|| s.run(black_box(7))));
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
