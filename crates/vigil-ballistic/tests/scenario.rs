//! The example scenario in config/missile: it loads, flies, both parties see the threat, and
//! the same seed gives the same plots.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use vigil_ballistic::earth;
use vigil_ballistic::flight::ObjectKind;
use vigil_ballistic::scenario::{Scenario, ScenarioError};

fn config_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config/missile")
}

fn load() -> Scenario {
    Scenario::load(&config_dir().join("scenario.toml")).expect("scenario.toml")
}

#[test]
fn example_scenario_flies_and_both_parties_see_it() {
    let s = load();
    assert_eq!(s.radar.len(), 4);
    assert_eq!(s.ir_detector.len(), 2);
    let run = s.run(7).expect("run");
    // Launch 0 lands on its target.
    let l0 = &run.launches[0];
    let rv0 = run
        .truth
        .iter()
        .find(|o| o.launch == 0 && o.kind == ObjectKind::Rv)
        .expect("rv");
    let target = l0.target.expect("target");
    let miss = earth::ground_range(&rv0.trajectory.impact.point.pos, &target);
    println!(
        "launch 0: az {:.2}, el {:.2}, miss {miss:.0} m, flight {:.0} s, {} objects, {} plots, {} warnings",
        l0.azimuth_deg,
        l0.final_elevation_deg,
        rv0.trajectory.t_end() - l0.t_launch,
        run.truth.len(),
        run.plots.len(),
        run.warnings.len()
    );
    assert!(miss < 200.0, "{miss}");
    // Launch 1 lands 900 km away.
    let rv1 = run
        .truth
        .iter()
        .find(|o| o.launch == 1 && o.kind == ObjectKind::Rv)
        .expect("rv");
    let r1 = earth::ground_range(
        &run.launches[1].launch.pos,
        &rv1.trajectory.impact.point.pos,
    );
    assert!((r1 - 900e3).abs() < 300.0, "{r1}");
    // Every radar sees the main RV.
    for (ri, r) in s.radar.iter().enumerate() {
        let n = run
            .plots
            .iter()
            .filter(|p| p.radar == ri && p.truth == Some(rv0.id))
            .count();
        let span: Vec<f64> = run
            .plots
            .iter()
            .filter(|p| p.radar == ri && p.truth == Some(rv0.id))
            .map(|p| p.t)
            .collect();
        println!(
            "{} ({}): {n} plots of the RV from {:.0} to {:.0} s",
            r.name,
            r.party,
            span.first().copied().unwrap_or(f64::NAN),
            span.last().copied().unwrap_or(f64::NAN)
        );
        assert!(n >= 5, "{} sees the RV {n} times", r.name);
    }
    // Plots are in time order; warnings come after their launches.
    assert!(run.plots.windows(2).all(|w| w[0].t <= w[1].t));
    assert!(!run.warnings.is_empty());
    for w in &run.warnings {
        let l = &run.launches[w.truth.expect("launch") as usize];
        assert!(w.t_detect > l.t_launch);
    }
}

#[test]
fn same_seed_same_plots() {
    let s = load();
    let a = s.run(42).expect("run");
    let b = s.run(42).expect("run");
    assert_eq!(a.plots, b.plots);
    assert_eq!(a.warnings, b.warnings);
    let c = s.run(43).expect("run");
    assert_ne!(a.plots, c.plots);
    // Dropping a radar does not change the other radars' plots (a stream per sensor).
    let mut s2 = s.clone();
    s2.radar.truncate(3);
    let d = s2.run(42).expect("run");
    let a3: Vec<_> = a.plots.iter().filter(|p| p.radar < 3).cloned().collect();
    assert_eq!(a3, d.plots);
    // Truth once, observations per seed: the same as a full run.
    let (launches, objects) = s.truth().expect("truth");
    let (plots, warnings) = s.observe(&launches, &objects, 42);
    assert_eq!(plots, a.plots);
    assert_eq!(warnings, a.warnings);
}

#[test]
fn bad_configs_are_refused() {
    let base = config_dir();
    let unknown = "name = 'x'\nbogus = 1\n";
    assert!(matches!(
        Scenario::from_toml(unknown, &base.join("x.toml"), &base),
        Err(ScenarioError::Toml { .. })
    ));
    let no_missile = r#"
name = "x"
[[launch]]
missile = "nope"
t = 0.0
from = { lat = 30.0, lon = 50.0 }
to = { lat = 35.0, lon = 45.0 }
"#;
    let s = Scenario::from_toml(no_missile, &base.join("x.toml"), &base).expect("parses");
    assert!(matches!(
        s.run(1),
        Err(ScenarioError::UnknownMissile { .. })
    ));
    let missing = "name = 'x'\nradar_files = ['nope.toml']\n";
    assert!(matches!(
        Scenario::from_toml(missing, &base.join("x.toml"), &base),
        Err(ScenarioError::Io { .. })
    ));
}
