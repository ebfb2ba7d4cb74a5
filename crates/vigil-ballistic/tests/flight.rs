//! Flights of staged missiles: phases, objects, impact, aiming.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use vigil_ballistic::earth;
use vigil_ballistic::flight::{self, DebrisSpec, Missile, ObjectKind, Phase, PitchProgram, Stage};
use vigil_core::{Geodetic, LatLon};

/// A two-stage solid medium-range missile (about 3,000 km maximum range).
fn mrbm() -> Missile {
    Missile {
        name: "mrbm".into(),
        stages: vec![
            Stage {
                thrust_n: 382_000.0,
                burn_time_s: 60.0,
                propellant_kg: 9_000.0,
                dry_kg: 1_200.0,
                beta_kg_m2: 400.0,
            },
            Stage {
                thrust_n: 212_000.0,
                burn_time_s: 50.0,
                propellant_kg: 4_000.0,
                dry_kg: 600.0,
                beta_kg_m2: 300.0,
            },
        ],
        payload_kg: 800.0,
        rv_beta_kg_m2: 5_000.0,
        boost_cd_area_m2: 0.35,
        pitch: PitchProgram {
            vertical_s: 8.0,
            pitch_over_s: 30.0,
            final_elevation_deg: 45.0,
        },
        separation_dv_m_s: 2.0,
        debris: vec![DebrisSpec {
            count: 4,
            beta_kg_m2: 80.0,
            dv_m_s: 5.0,
        }],
    }
}

fn launch() -> Geodetic {
    Geodetic {
        pos: LatLon::new(32.5, 53.0),
        height_m: 1_000.0,
    }
}

#[test]
fn staged_flight_has_all_objects_and_phases() {
    let m = mrbm();
    let f = flight::simulate(&m, &launch(), 300.0, 100.0).expect("flight");
    assert_eq!(f.objects.len(), 1 + 2 + 4);
    assert_eq!(f.rv().kind, ObjectKind::Rv);
    assert!((f.burnout.t - (100.0 + 110.0)).abs() < 1e-9);
    let rv = f.rv();
    let range = earth::ground_range(&launch().pos, &rv.impact.point.pos);
    let (apogee, _) = rv.apogee();
    println!(
        "burnout speed {:.0} m/s, height {:.0} km; impact at {:.0} km after {:.0} s, apogee {:.0} km, impact speed {:.0} m/s",
        f.burnout.vel.norm(),
        earth::geodetic_height_m(&f.burnout.pos) / 1e3,
        range / 1e3,
        rv.impact.t - 100.0,
        apogee / 1e3,
        rv.impact.vel.norm()
    );
    assert!(range > 500e3);
    // Phases in order: boost, coast, re-entry.
    let phases: Vec<Phase> = rv.samples.iter().map(|s| s.phase).collect();
    let first_coast = phases
        .iter()
        .position(|p| *p == Phase::Coast)
        .expect("coast");
    let first_re = phases
        .iter()
        .position(|p| *p == Phase::Reentry)
        .expect("reentry");
    assert!(phases[..first_coast].iter().all(|p| *p == Phase::Boost));
    assert!(first_re > first_coast);
    assert!(phases[first_re..].iter().all(|p| *p == Phase::Reentry));
    // The samples are 1 s apart on the launch grid.
    assert!((rv.samples[1].t - rv.samples[0].t - 1.0).abs() < 1e-9);
    // Stages and debris slow down in re-entry: they land later than the RV, slower.
    for o in &f.objects[1..] {
        assert!(o.impact.vel.norm() < rv.impact.vel.norm(), "{:?}", o.kind);
        assert!(earth::geodetic_height_m(&o.impact.pos).abs() < 1.0);
    }
    // The first stage lands short.
    let r1 = earth::ground_range(&launch().pos, &f.objects[1].impact.point.pos);
    assert!(r1 < range / 2.0, "{r1}");
}

#[test]
fn state_at_interpolates_between_samples() {
    let f = flight::simulate(&mrbm(), &launch(), 300.0, 0.0).expect("flight");
    let rv = f.rv();
    assert!(rv.state_at(-1.0).is_none());
    assert!(rv.state_at(rv.t_end() + 1.0).is_none());
    // At a sample: exact. Mid-way: close to a finer simulation.
    let s = &rv.samples[300];
    let (p, v, _) = rv.state_at(s.t).expect("in flight");
    assert!((p - s.pos).norm() < 1e-6 && (v - s.vel).norm() < 1e-9);
    let opts = flight::FlightOptions {
        sample_dt: 0.5,
        ..flight::FlightOptions::default()
    };
    let fine = flight::simulate_with(&mrbm(), &launch(), 300.0, 0.0, &opts).expect("flight");
    for k in [20usize, 59, 60, 109, 110, 150, 301, 500] {
        let t = f64::from(k as u32) + 0.5;
        if t >= rv.t_end() {
            continue;
        }
        let (p, v, _) = rv.state_at(t).expect("in flight");
        let (pf, vf, _) = fine.rv().state_at(t).expect("in flight");
        assert!((p - pf).norm() < 0.5, "t {t}: {}", (p - pf).norm());
        assert!((v - vf).norm() < 0.5, "t {t}: {}", (v - vf).norm());
    }
}

#[test]
fn aim_hits_a_target() {
    let m = mrbm();
    // Towards Bucharest region from 32.5N 53.0E: about 2,000 km.
    let target = LatLon::new(41.0, 33.0);
    let aim = flight::aim(&m, &launch(), &target, 500.0).expect("aim");
    println!("{aim:?}");
    assert!(aim.miss_m < 500.0);
    let mut m2 = m.clone();
    m2.pitch.final_elevation_deg = aim.final_elevation_deg;
    let f = flight::simulate(&m2, &launch(), aim.azimuth_deg, 0.0).expect("flight");
    let miss = earth::ground_range(&f.rv().impact.point.pos, &target);
    assert!(miss < 500.0, "{miss}");
}

#[test]
fn invalid_missile_is_refused() {
    let mut m = mrbm();
    m.stages[0].thrust_n = 1000.0;
    assert!(flight::simulate(&m, &launch(), 0.0, 0.0).is_err());
    let far = LatLon::new(-40.0, -60.0);
    assert!(matches!(
        flight::aim(&mrbm(), &launch(), &far, 100.0),
        Err(flight::FlightError::OutOfReach { .. })
    ));
}

#[test]
fn aim_converges_in_every_direction() {
    // East and west shots feel the Earth's rotation differently; the solver corrects both.
    let m = mrbm();
    for (bearing, km) in [
        (0.0, 800.0),
        (90.0, 1500.0),
        (180.0, 2500.0),
        (270.0, 1200.0),
    ] {
        let target = launch().pos.destination(bearing, km * 1e3);
        let aim = flight::aim(&m, &launch(), &target, 200.0).expect("aim");
        assert!(aim.miss_m < 200.0, "{bearing} {km}: {aim:?}");
        assert!(aim.final_elevation_deg > 30.0, "lofted branch: {aim:?}");
    }
}
