//! One update cycle of the missile early-warning chain with 100 ballistic objects (10
//! missiles: an RV, two spent stages and seven debris pieces each, flown by
//! vigil-ballistic's coast model) seen by four radars (two per party): both parties'
//! trackers take one scan of each of their radars (association, UKF updates, impact and
//! launch prediction), then the fusion centre fuses the two pictures and predicts the joint
//! tracks' impacts.
//!
//! Run: `cargo bench -p vigil-missile --bench cycle -- --warm-up-time 1 --measurement-time 3`

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use vigil_ballistic::flight::Trajectory;
use vigil_missile::fusion::{FusionCentre, PartyTracks};
use vigil_missile::radar::RadarId;
use vigil_missile::sim::{PlotSim, dense_cloud, dense_cloud_radars};
use vigil_missile::tracker::{MissileTracker, TrackStatus, TrackerConfig};

const REVISIT_S: f64 = 4.0;

fn objects() -> Vec<Trajectory> {
    dense_cloud().expect("the cloud flies")
}

fn party<'a>(name: &'a str, tr: &'a MissileTracker) -> PartyTracks<'a> {
    PartyTracks {
        party: name,
        tracks: tr.tracks(),
    }
}

fn bench(c: &mut Criterion) {
    let truth = objects();
    let refs: Vec<&Trajectory> = truth.iter().collect();
    // Predict each track's impact at most once per revisit (both radars of a party scan at
    // the same time: the second scan's update reuses the first's prediction interval).
    // Impact predictions: at most one per track and revisit, at most 10 per scan (stalest
    // first: each of a party's ~100 tracks is refreshed every five revisits, 20 s); of those,
    // full (unscented) ones at most every 20 s per track and 1 per scan, cheap ones (the
    // mean's own trajectory with the last full covariance) otherwise; launch points every
    // 30 s, 1 per scan. The fusion centre: 1 full prediction per cycle for the fused pairs,
    // cheap ones for the rest, the parties' own for single-party joint tracks.
    let cfg = TrackerConfig {
        impact_interval_s: REVISIT_S,
        full_impact_interval_s: 20.0,
        max_full_per_scan: 1,
        max_predictions_per_scan: 10,
        launch_interval_s: 30.0,
        max_launch_per_scan: 1,
        ..TrackerConfig::default()
    };
    let mut centre = FusionCentre::new(20.0, 1);
    let (ru_radars, nato_radars) = dense_cloud_radars();
    let mut ru = MissileTracker::new(cfg, ru_radars).unwrap();
    let mut nato = MissileTracker::new(cfg, nato_radars).unwrap();
    let mut sim = PlotSim::new(1, 0.95);
    let scans = |sim: &mut PlotSim, tr: &MissileTracker, t: f64| -> Vec<Vec<_>> {
        tr.radars().iter().map(|s| sim.scan(s, t, &refs)).collect()
    };
    // Establish the tracks (and the fusion centre's predictions) over the first 160 s.
    let mut t = 0.0;
    while t < 160.0 {
        for tr in [&mut ru, &mut nato] {
            let plots = scans(&mut sim, tr, t);
            for (i, p) in plots.iter().enumerate() {
                tr.process_scan(RadarId(i as u32), t, p).unwrap();
            }
        }
        centre.cycle(ru.filter(), party("RU", &ru), party("NATO", &nato), t);
        t += REVISIT_S;
    }
    let confirmed = |tr: &MissileTracker| {
        tr.tracks()
            .iter()
            .filter(|x| x.status == TrackStatus::Confirmed)
            .count()
    };
    let plots_ru = scans(&mut sim, &ru, t);
    let plots_nato = scans(&mut sim, &nato, t);
    let n_plots: usize = plots_ru.iter().chain(plots_nato.iter()).map(Vec::len).sum();
    // One cycle once, to report what it does.
    let (mut a, mut b, mut cc) = (ru.clone(), nato.clone(), centre.clone());
    let mut predictions = 0;
    let start = std::time::Instant::now();
    for (tr, plots) in [(&mut a, &plots_ru), (&mut b, &plots_nato)] {
        for (i, p) in plots.iter().enumerate() {
            predictions += tr
                .process_scan(RadarId(i as u32), t, p)
                .unwrap()
                .predictions;
        }
    }
    let scans_time = start.elapsed();
    let joint = cc.cycle(a.filter(), party("RU", &a), party("NATO", &b), t);
    let once = start.elapsed();
    eprintln!("scans {scans_time:?}, fusion {:?}", once - scans_time);
    eprintln!(
        "objects {}, plots in the cycle {n_plots}, confirmed tracks RU {} NATO {}, impact predictions {predictions} + {} joint ({} fused pairs); one cycle {once:?}",
        truth.len(),
        confirmed(&a),
        confirmed(&b),
        joint.iter().filter(|j| j.impact.is_some()).count(),
        joint.iter().filter(|j| j.parts.len() == 2).count(),
    );
    // CPU time of the thread per cycle, from the kernel's scheduler statistics: the machine
    // the figures were taken on was shared (load above the core count), where wall time
    // overstates the cost.
    let cpu_ns = || -> Option<u64> {
        std::fs::read_to_string("/proc/thread-self/schedstat")
            .ok()?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    };
    if let Some(c0) = cpu_ns() {
        let n = 50u32;
        let mut spent = 0u64;
        for _ in 0..n {
            let (mut a, mut b, mut cc) = (ru.clone(), nato.clone(), centre.clone());
            let before = cpu_ns().unwrap_or(c0);
            for (tr, plots) in [(&mut a, &plots_ru), (&mut b, &plots_nato)] {
                for (i, p) in plots.iter().enumerate() {
                    tr.process_scan(RadarId(i as u32), t, p).unwrap();
                }
            }
            std::hint::black_box(cc.cycle(a.filter(), party("RU", &a), party("NATO", &b), t));
            spent += cpu_ns().unwrap_or(before) - before;
        }
        eprintln!(
            "CPU time per cycle (mean of {n}): {:.2} ms",
            spent as f64 / f64::from(n) / 1e6
        );
    }
    c.bench_function("missile_cycle_100_objects_4_radars", |bch| {
        bch.iter_batched(
            || (ru.clone(), nato.clone(), centre.clone()),
            |(mut a, mut b, mut cc)| {
                for (tr, plots) in [(&mut a, &plots_ru), (&mut b, &plots_nato)] {
                    for (i, p) in plots.iter().enumerate() {
                        tr.process_scan(RadarId(i as u32), t, p).unwrap();
                    }
                }
                cc.cycle(a.filter(), party("RU", &a), party("NATO", &b), t)
            },
            BatchSize::LargeInput,
        )
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
