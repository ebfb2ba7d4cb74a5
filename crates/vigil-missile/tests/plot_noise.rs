//! Per-plot noise: a radar whose plots are noisier than its configured σ (here 3×) reports
//! each plot's own σ; the tracker that takes it stays consistent, the one that does not is
//! overconfident. Also: the tracker's and `vigil-ballistic`'s plot geometry are one.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use vigil_missile::radar::{PlotNoise, RadarId, RadarSite};
use vigil_missile::sim::PlotSim;
use vigil_missile::tracker::{MissileTracker, TrackStatus, TrackerConfig, TrackerError};

/// Mean position NEES of the confirmed track over the run, and how many times it was taken.
fn run(with_noise: bool) -> (f64, usize) {
    let truth = common::rv_truth();
    let cfg = common::radar_ru();
    let mut noisy = cfg.clone();
    noisy.sigma_range_m *= 3.0;
    noisy.sigma_az_mrad *= 3.0;
    noisy.sigma_el_mrad *= 3.0;
    let sim_site = RadarSite::new(RadarId(0), noisy.clone()).unwrap();
    let own = PlotNoise {
        range_m: noisy.sigma_range_m,
        az_rad: noisy.sigma_az_mrad * 1e-3,
        el_rad: noisy.sigma_el_mrad * 1e-3,
    };
    let mut tracker = MissileTracker::new(TrackerConfig::default(), vec![cfg]).unwrap();
    let mut sim = PlotSim::new(5, 1.0);
    let (mut nees, mut n) = (0.0, 0);
    for k in 0..60u32 {
        let t = f64::from(k) * common::REVISIT_S;
        let plots = sim.scan(&sim_site, t, &[&truth]);
        let noise = vec![own; plots.len()];
        let noise: &[PlotNoise] = if with_noise { &noise } else { &[] };
        tracker
            .process_scan_with_noise(RadarId(0), t, &plots, noise)
            .unwrap();
        if k < 15 {
            continue;
        }
        for tr in tracker.tracks() {
            if tr.status != TrackStatus::Confirmed || tr.t != t {
                continue;
            }
            let (pos, _, _) = truth.state_at(t).unwrap();
            let e = tr.est.x.fixed_rows::<3>(0) - pos;
            let p = tr.est.p.fixed_view::<3, 3>(0, 0).into_owned();
            nees += e.dot(&p.cholesky().unwrap().solve(&e));
            n += 1;
        }
    }
    (nees / n.max(1) as f64, n)
}

#[test]
fn per_plot_sigma_keeps_the_filter_consistent() {
    let (with, n_with) = run(true);
    let (without, n_without) = run(false);
    eprintln!(
        "position NEES (3 dof): with per-plot σ {with:.2} over {n_with} updates, site σ only {without:.2} over {n_without}"
    );
    assert!(
        n_with >= 30,
        "the track with per-plot σ lived {n_with} updates"
    );
    assert!(with < 6.0, "with per-plot σ: NEES {with}");
    assert!(
        without > 2.0 * with,
        "site σ only: NEES {without} vs {with}"
    );
}

#[test]
fn noise_for_another_number_of_plots_is_refused() {
    let mut tracker =
        MissileTracker::new(TrackerConfig::default(), vec![common::radar_ru()]).unwrap();
    let site = tracker.radars()[0].clone();
    let plots = PlotSim::new(1, 1.0).scan(&site, 0.0, &[&common::rv_truth()]);
    assert_eq!(plots.len(), 1);
    let n = PlotNoise {
        range_m: 1.0,
        az_rad: 1e-3,
        el_rad: 1e-3,
    };
    assert_eq!(
        tracker.process_scan_with_noise(RadarId(0), 0.0, &plots, &[n, n]),
        Err(TrackerError::NoiseCount { plots: 1, noise: 2 })
    );
}

#[test]
fn tracker_and_ballistic_plot_geometry_agree() {
    // The same plot through vigil-ballistic's RadarPlot and vigil-missile's RadarSite.
    let cfg = common::radar_ru();
    let site = RadarSite::new(RadarId(0), cfg.clone()).unwrap();
    let ew = vigil_ballistic::sensors::EwRadar {
        name: cfg.name.clone(),
        party: cfg.party.clone(),
        site: site.position(),
        boresight_az_deg: cfg.boresight_az_deg,
        boresight_el_deg: 45.0,
        fov_az_half_deg: cfg.half_fov_deg,
        fov_el_half_deg: 45.0,
        max_range_m: cfg.max_range_km * 1e3,
        min_elevation_deg: cfg.min_elevation_deg,
        sigma_range_m: cfg.sigma_range_m,
        sigma_az_rad: cfg.sigma_az_mrad * 1e-3,
        sigma_el_rad: cfg.sigma_el_mrad * 1e-3,
        revisit_s: 4.0,
        pd: 1.0,
        false_alarms_per_scan: 0.0,
        scan_offset_s: 0.0,
    };
    let truth = common::rv_truth();
    let (pos, _, _) = truth.state_at(200.0).unwrap();
    let look = ew.look(&pos);
    let z = site.measure(&pos).unwrap();
    assert!((look.range_m - z[0]).abs() < 1e-3);
    assert!(vigil_track::ukf::wrap_angle(look.az_rad - z[1]).abs() < 1e-9);
    assert!((look.el_rad - z[2]).abs() < 1e-9);
    let rp = vigil_ballistic::sensors::RadarPlot {
        t: 200.0,
        radar: 0,
        range_m: look.range_m,
        az_rad: look.az_rad,
        el_rad: look.el_rad,
        sigma: (
            cfg.sigma_range_m * 2.0,
            cfg.sigma_az_mrad * 2e-3,
            cfg.sigma_el_mrad * 2e-3,
        ),
        truth: None,
    };
    let (p, c) = rp.to_ecef_with_cov(&ew);
    assert!((p - site.to_ecef(&z)).norm() < 1e-3);
    let own = PlotNoise::from_ballistic(&rp);
    let mine = site.ecef_cov_with(&z, &own.covariance());
    assert!((c - mine).norm() < 1e-6 * c.norm(), "{c} vs {mine}");
    assert_eq!(site.noise_of(Some(&own)), own.covariance());
    assert_eq!(site.noise_of(None), site.noise());
}
