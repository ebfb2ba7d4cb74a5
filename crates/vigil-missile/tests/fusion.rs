//! Joint data fusion: two parties track the same RV with their own radars from different
//! directions. The fused 95 % impact ellipse is smaller than either party's and contains the
//! true impact point, the fused state contains the truth, and over Monte Carlo runs the
//! fused ellipse holds the true impact as often as a 95 % ellipse should.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use vigil_ballistic::flight::Trajectory;
use vigil_missile::filter::{BallisticFilter, Estimate};
use vigil_missile::fusion::{FusionRule, PartyTracks, fuse};
use vigil_missile::impact::{CHI2_2DOF_95, predict_impact};
use vigil_missile::radar::RadarId;
use vigil_missile::sim::PlotSim;
use vigil_missile::tracker::{MissileTrack, MissileTracker, TrackStatus, TrackerConfig};

/// One fusion instant of one run.
#[derive(Debug)]
struct Check {
    t: f64,
    /// 95 % impact ellipse areas, m²: RU's own, NATO's own, fused.
    ru: f64,
    nato: f64,
    fused: f64,
    /// Mahalanobis² of the true impact point in the fused ellipse.
    impact_d2: f64,
    /// NEES of the fused position and velocity.
    nees6: f64,
    omega: Option<f64>,
}

/// A partner track as the centre receives it: position and velocity with their covariance
/// (`MissileTrackOut::estimate`), κ at the filter's prior and uncorrelated.
fn as_from_wire(filter: &BallisticFilter, tr: &MissileTrack) -> MissileTrack {
    let mut out = tr.clone();
    out.est.x[6] = filter.cfg.kappa_prior;
    for i in 0..6 {
        out.est.p[(i, 6)] = 0.0;
        out.est.p[(6, i)] = 0.0;
    }
    out.est.p[(6, 6)] = filter.cfg.kappa_prior_sd.powi(2);
    out
}

fn confirmed(tr: &MissileTracker) -> Vec<&MissileTrack> {
    tr.tracks()
        .iter()
        .filter(|x| x.status == TrackStatus::Confirmed)
        .collect()
}

/// Runs both parties' trackers for 280 s of midcourse (plot seeds `seed`, `seed + 1`) and
/// fuses every 40 s by `rule`; with `wire`, RU's track enters as it would from the link.
fn run(truth: &Trajectory, seed: u64, rule: FusionRule, wire: bool) -> Vec<Check> {
    let true_impact = truth.impact.point.pos;
    let mut ru = MissileTracker::new(TrackerConfig::default(), vec![common::radar_ru()]).unwrap();
    let mut nato =
        MissileTracker::new(TrackerConfig::default(), vec![common::radar_nato()]).unwrap();
    let mut sim_ru = PlotSim::new(seed, 0.95);
    let mut sim_nato = PlotSim::new(seed + 1, 0.95);
    let mut out = Vec::new();
    for k in 0..70u32 {
        let t = f64::from(k) * common::REVISIT_S;
        let site = ru.radars()[0].clone();
        ru.process_scan(RadarId(0), t, &sim_ru.scan(&site, t, &[truth]))
            .unwrap();
        let site = nato.radars()[0].clone();
        nato.process_scan(RadarId(0), t, &sim_nato.scan(&site, t, &[truth]))
            .unwrap();
        if k % 10 != 9 {
            continue;
        }
        let (cr, cn) = (confirmed(&ru), confirmed(&nato));
        if cr.len() != 1 || cn.len() != 1 {
            continue;
        }
        let filter = *ru.filter();
        let ru_tracks: Vec<MissileTrack> = if wire {
            vec![as_from_wire(&filter, cr[0])]
        } else {
            vec![cr[0].clone()]
        };
        let joint = fuse(
            &filter,
            rule,
            PartyTracks {
                party: "NATO",
                tracks: nato.tracks(),
            },
            PartyTracks {
                party: "RU",
                tracks: &ru_tracks,
            },
            t,
            true,
        );
        assert_eq!(joint.len(), 1, "seed {seed} t {t}: one joint track");
        let j = &joint[0];
        assert_eq!(j.parts.len(), 2, "seed {seed} t {t}: both parties fused");
        assert_eq!(j.rule, rule);
        // Each party's own prediction, from its own estimate at t.
        let area = |x: &MissileTrack| {
            let mut g: Estimate = x.est;
            filter.predict(&mut g, t - x.t).unwrap();
            predict_impact(filter.ukf(), &g, t)
                .unwrap()
                .ellipse
                .area_m2()
        };
        let fused = j.impact.unwrap();
        let (pos, vel, _) = truth.state_at(t).unwrap();
        let mut e = j.est.x.fixed_rows::<6>(0).into_owned();
        for i in 0..3 {
            e[i] -= pos[i];
            e[i + 3] -= vel[i];
        }
        let p6 = j.est.p.fixed_view::<6, 6>(0, 0).into_owned();
        out.push(Check {
            t,
            ru: area(cr[0]),
            nato: area(cn[0]),
            fused: fused.ellipse.area_m2(),
            impact_d2: fused.mahalanobis2(&true_impact),
            nees6: e.dot(&p6.cholesky().unwrap().solve(&e)),
            omega: j.omega,
        });
    }
    out
}

/// Both rules, with RU's own track and with RU's track as it crosses the link: the fused
/// ellipse is strictly smaller than either party's, and holds the true impact point.
#[test]
fn fused_ellipse_is_smaller_than_either_party() {
    let truth = common::rv_truth();
    for rule in [FusionRule::Decorrelated, FusionRule::CovarianceIntersection] {
        for wire in [false, true] {
            let checks = run(&truth, 11, rule, wire);
            assert!(checks.len() >= 3, "{rule:?}: only {} checks", checks.len());
            for c in &checks {
                eprintln!(
                    "{rule:?} wire {wire} t {:>4.0}: ellipse areas km²: RU {:.1}, NATO {:.1}, \
                     fused {:.1} (omega {:?}); truth d² {:.2}, state NEES {:.1}",
                    c.t,
                    c.ru / 1e6,
                    c.nato / 1e6,
                    c.fused / 1e6,
                    c.omega,
                    c.impact_d2,
                    c.nees6
                );
                assert!(c.fused < c.ru && c.fused < c.nato, "{rule:?}: {c:?}");
                assert!(c.impact_d2 <= CHI2_2DOF_95, "{rule:?}: {c:?}");
                // The fused state contains the truth (χ²₆ 99.99 %).
                assert!(
                    c.nees6 < vigil_track::chi2::chi2_gate(6, 0.9999),
                    "{rule:?}: {c:?}"
                );
            }
            if rule == FusionRule::Decorrelated {
                assert!(checks.iter().all(|c| c.omega.is_none()));
            } else {
                assert!(checks.iter().all(|c| c.omega.is_some()));
            }
        }
    }
}

/// The decorrelated rule counts the κ prior once: over Monte Carlo runs (100; 400 under
/// `VIGIL_SOAK`), with RU's track as it crosses the link, the fused 95 % ellipse holds the
/// true impact point in at least 90 % of the runs at each instant (as issue 9 asks of one
/// party's ellipse),
/// and the fused state's mean NEES is near its 6 degrees of freedom. Summing the two
/// estimates' information without taking the prior out would fail this.
#[test]
fn decorrelated_fusion_is_consistent() {
    let truth = common::rv_truth();
    let runs: u64 = if std::env::var_os("VIGIL_SOAK").is_some() {
        400
    } else {
        100
    };
    let mut by_t: std::collections::BTreeMap<u64, (u32, u32, f64, f64)> = Default::default();
    for r in 0..runs {
        for c in run(&truth, 1_000 + 2 * r, FusionRule::Decorrelated, true) {
            let e = by_t.entry(c.t as u64).or_default();
            e.0 += 1;
            e.1 += u32::from(c.impact_d2 <= CHI2_2DOF_95);
            e.2 += c.nees6;
            e.3 += c.fused / c.ru.min(c.nato);
        }
    }
    let (mut n, mut inside) = (0, 0);
    for (t, (k, i, nees, ratio)) in &by_t {
        let k_f = f64::from(*k);
        eprintln!(
            "t {t:>4}: {i}/{k} fused ellipses hold the true impact; mean NEES {:.2}; \
             fused area / smaller party's {:.2}",
            nees / k_f,
            ratio / k_f
        );
        n += k;
        inside += i;
        assert!(
            *k as u64 >= runs * 8 / 10,
            "t {t}: only {k} of {runs} runs fused"
        );
        assert!(
            f64::from(*i) >= 0.9 * k_f,
            "t {t}: {i}/{k} fused ellipses hold the truth"
        );
        assert!(nees / k_f < 9.0, "t {t}: mean NEES {}", nees / k_f);
        assert!(ratio / k_f < 1.0, "t {t}: no gain from fusion");
    }
    assert!(
        f64::from(inside) >= 0.9 * f64::from(n),
        "{inside}/{n} fused ellipses hold the true impact"
    );
}
