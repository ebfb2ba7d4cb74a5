//! Monte Carlo consistency of the ballistic tracker's impact prediction: over many runs of
//! one fixed truth with new radar noise per run, the 95 % impact ellipse must contain the
//! true impact point in at least 90 % of runs at each of five times after burnout. The
//! average NEES of the state (7 dof) and of the impact point (2 dof) is reported with its
//! χ² 95 % band.
//!
//! 20 runs by default; 100 with `VIGIL_SOAK=1` (CI).

mod common;

use vigil_missile::radar::RadarId;
use vigil_missile::sim::PlotSim;
use vigil_missile::tracker::{MissileTracker, TrackStatus, TrackerConfig};
use vigil_track::chi2::chi2_gate;

const EVAL_TIMES: [f64; 5] = [80.0, 200.0, 320.0, 440.0, 600.0];

#[test]
fn impact_ellipse_is_consistent() {
    let runs: usize = if std::env::var("VIGIL_SOAK").is_ok_and(|v| v == "1") {
        100
    } else {
        20
    };
    let truth = common::rv_truth();
    let true_impact = truth.impact.point.pos;
    let t_end = truth.t_end();
    eprintln!(
        "truth: impact {:.3} {:.3} at {:.1} s, beta {}",
        true_impact.lat,
        true_impact.lon,
        t_end,
        common::RV_BETA
    );
    let n_t = EVAL_TIMES.len();
    let mut contained = vec![0usize; n_t];
    let mut present = vec![0usize; n_t];
    let mut nees_state = vec![0.0f64; n_t];
    let mut nees_impact = vec![0.0f64; n_t];
    let mut area_km2 = vec![0.0f64; n_t];
    for run in 0..runs {
        let mut tracker = MissileTracker::new(
            TrackerConfig::default(),
            vec![
                common::radar_ru(),
                common::radar_ru2(),
                common::radar_nato(),
            ],
        )
        .unwrap();
        let mut sim = PlotSim::new(1000 + run as u64, 0.95);
        let mut next_eval = 0;
        let mut k = 0u32;
        loop {
            let t = f64::from(k) * common::REVISIT_S;
            k += 1;
            while next_eval < n_t && EVAL_TIMES[next_eval] < t {
                // Evaluate the confirmed track with the most hits, at its latest prediction.
                let tr = tracker
                    .tracks()
                    .iter()
                    .filter(|t| t.status == TrackStatus::Confirmed && t.impact.is_some())
                    .max_by_key(|t| t.hits);
                if let Some(tr) = tr {
                    let ip = tr.impact.unwrap();
                    present[next_eval] += 1;
                    let d2 = ip.mahalanobis2(&true_impact);
                    if d2 <= vigil_missile::impact::CHI2_2DOF_95 {
                        contained[next_eval] += 1;
                    }
                    nees_impact[next_eval] += d2;
                    area_km2[next_eval] += ip.ellipse.area_m2() / 1e6;
                    let (pos, vel, _) = truth.state_at(tr.t).unwrap();
                    let mut e = tr.est.x;
                    for i in 0..3 {
                        e[i] -= pos[i];
                        e[i + 3] -= vel[i];
                    }
                    e[6] -= 1000.0 / common::RV_BETA;
                    let d = tr.est.p.cholesky().unwrap().solve(&e);
                    nees_state[next_eval] += e.dot(&d);
                }
                next_eval += 1;
            }
            if t > t_end || next_eval >= n_t {
                break;
            }
            for ri in 0..3u32 {
                let site = tracker.radars()[ri as usize].clone();
                let plots = sim.scan(&site, t, &[&truth]);
                tracker.process_scan(RadarId(ri), t, &plots).unwrap();
            }
        }
    }
    let band = |dof: u32| {
        let n = runs as u32 * dof;
        (
            chi2_gate(n, 0.025) / runs as f64,
            chi2_gate(n, 0.975) / runs as f64,
        )
    };
    let (s_lo, s_hi) = band(7);
    let (i_lo, i_hi) = band(2);
    eprintln!(
        "runs {runs}; NEES bands: state (7 dof) [{s_lo:.2}, {s_hi:.2}], impact (2 dof) [{i_lo:.2}, {i_hi:.2}]"
    );
    for i in 0..n_t {
        let n = present[i].max(1) as f64;
        eprintln!(
            "t {:>5.0} s: tracked {}/{runs}, contained {:.3}, NEES state {:.2}, NEES impact {:.2}, mean ellipse {:.0} km2",
            EVAL_TIMES[i],
            present[i],
            contained[i] as f64 / runs as f64,
            nees_state[i] / n,
            nees_impact[i] / n,
            area_km2[i] / n
        );
    }
    for i in 0..n_t {
        assert_eq!(
            present[i], runs,
            "t {}: the RV was not tracked in every run",
            EVAL_TIMES[i]
        );
        let frac = contained[i] as f64 / runs as f64;
        assert!(frac >= 0.9, "t {}: containment {frac}", EVAL_TIMES[i]);
        // Not over-confident: the mean NEES stays below the band's top (with a margin for
        // the few runs of the default).
        let n = present[i] as f64;
        assert!(
            nees_state[i] / n < 1.5 * s_hi,
            "t {}: state NEES {}",
            EVAL_TIMES[i],
            nees_state[i] / n
        );
        assert!(
            nees_impact[i] / n < 1.5 * i_hi,
            "t {}: impact NEES {}",
            EVAL_TIMES[i],
            nees_impact[i] / n
        );
    }
}
