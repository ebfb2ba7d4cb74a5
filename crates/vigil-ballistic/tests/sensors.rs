//! Early-warning radar visibility (range, field of view, horizon, line of sight), measurement
//! noise statistics, plot conversion, and the infrared detector's launch area.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nalgebra::{Matrix3, Vector3};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use vigil_ballistic::earth;
use vigil_ballistic::sensors::{EwRadar, IrDetector, segment_hits_earth};
use vigil_core::{Geodetic, LatLon};

fn radar(lat: f64, lon: f64, height_m: f64) -> EwRadar {
    EwRadar {
        name: "test".into(),
        party: "A".into(),
        site: Geodetic {
            pos: LatLon::new(lat, lon),
            height_m,
        },
        boresight_az_deg: 0.0,
        boresight_el_deg: 45.0,
        fov_az_half_deg: 180.0,
        fov_el_half_deg: 45.0,
        max_range_m: 6_000_000.0,
        min_elevation_deg: 0.0,
        sigma_range_m: 50.0,
        sigma_az_rad: 0.002,
        sigma_el_rad: 0.001,
        revisit_s: 5.0,
        pd: 1.0,
        false_alarms_per_scan: 0.0,
        scan_offset_s: 0.0,
    }
}

/// The ECEF point at `dist_m` along the great circle on `bearing` from the radar, at `h_m`.
fn point(r: &EwRadar, bearing: f64, dist_m: f64, h_m: f64) -> Vector3<f64> {
    earth::geodetic_to_ecef(&Geodetic {
        pos: r.site.pos.destination(bearing, dist_m),
        height_m: h_m,
    })
}

/// One visibility case: `expected` and why.
fn check(r: &EwRadar, p: &Vector3<f64>, expected: bool, why: &str) {
    let look = r.look(p);
    assert_eq!(
        r.visible(0.0, p),
        expected,
        "{why}: range {:.0} km, az {:.2} deg, el {:.3} deg",
        look.range_m / 1e3,
        look.az_rad.to_degrees(),
        look.el_rad.to_degrees()
    );
}

#[test]
fn visibility_cases() {
    let r = radar(45.0, 40.0, 100.0);
    check(
        &r,
        &point(&r, 90.0, 10_000.0, 200_000.0),
        true,
        "high and near",
    );
    check(
        &r,
        &point(&r, 90.0, 500_000.0, 10_000.0),
        false,
        "low beyond the horizon",
    );
    // A 300 km high object: the horizon is about 1,950 km away.
    check(
        &r,
        &point(&r, 180.0, 1_500_000.0, 300_000.0),
        true,
        "above the horizon",
    );
    check(
        &r,
        &point(&r, 180.0, 2_300_000.0, 300_000.0),
        false,
        "below the horizon",
    );
    // The antipode, far out: below the horizon and behind the Earth.
    check(
        &r,
        &point(&r, 0.0, 20_000_000.0, 1_000_000.0),
        false,
        "antipode",
    );
    // Range limit.
    let mut short = r.clone();
    short.max_range_m = 100_000.0;
    check(
        &short,
        &point(&r, 0.0, 150_000.0, 200_000.0),
        false,
        "out of range",
    );
    // Azimuth sector 60 +- 30 degrees.
    let mut sector = r.clone();
    sector.boresight_az_deg = 60.0;
    sector.fov_az_half_deg = 30.0;
    check(
        &sector,
        &point(&r, 80.0, 300_000.0, 300_000.0),
        true,
        "inside the sector",
    );
    check(
        &sector,
        &point(&r, 100.0, 300_000.0, 300_000.0),
        false,
        "outside the sector",
    );
    check(
        &sector,
        &point(&r, 10.0, 300_000.0, 300_000.0),
        false,
        "outside the sector",
    );
    // Sector across north: 350 +- 20.
    sector.boresight_az_deg = 350.0;
    sector.fov_az_half_deg = 20.0;
    check(
        &sector,
        &point(&r, 5.0, 300_000.0, 300_000.0),
        true,
        "across north",
    );
    // Elevation window 0..10 degrees.
    let mut fan = r.clone();
    fan.boresight_el_deg = 5.0;
    fan.fov_el_half_deg = 5.0;
    check(
        &fan,
        &point(&r, 0.0, 10_000.0, 300_000.0),
        false,
        "above the fan",
    );
    check(
        &fan,
        &point(&r, 0.0, 1_500_000.0, 300_000.0),
        true,
        "in the fan",
    );
    // Minimum elevation.
    let mut min_el = r.clone();
    min_el.min_elevation_deg = 5.0;
    check(
        &min_el,
        &point(&r, 0.0, 1_500_000.0, 300_000.0),
        false,
        "below 5 degrees",
    );
}

#[test]
fn line_of_sight_from_a_mountain() {
    // A radar 3 km up allowed to look 5 degrees down: a low target beyond the geometric
    // horizon is hidden by the Earth's curvature although its elevation is allowed.
    let mut r = radar(40.0, 45.0, 3_000.0);
    r.min_elevation_deg = -5.0;
    r.boresight_el_deg = 0.0;
    r.fov_el_half_deg = 10.0;
    let near = point(&r, 90.0, 50_000.0, 1_000.0);
    let far = point(&r, 90.0, 400_000.0, 1_000.0);
    let look_far = r.look(&far);
    assert!(
        look_far.el_rad.to_degrees() > -5.0,
        "{}",
        look_far.el_rad.to_degrees()
    );
    assert!(r.look(&near).el_rad < 0.0);
    check(&r, &near, true, "below the radar, in sight");
    check(&r, &far, false, "behind the curvature");
    assert!(segment_hits_earth(&r.site_ecef(), &far));
    assert!(!segment_hits_earth(&r.site_ecef(), &near));
}

#[test]
fn measurement_noise_statistics() {
    let mut r = radar(45.0, 40.0, 100.0);
    r.pd = 0.8;
    let target = point(&r, 30.0, 800_000.0, 400_000.0);
    let truth = r.look(&target);
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let n = 20_000;
    let mut dr = Vec::new();
    let mut da = Vec::new();
    let mut de = Vec::new();
    let mut ecef = Vec::new();
    for k in 0..n {
        if let Some(p) = r.measure(0, f64::from(k), &target, &mut rng) {
            dr.push(p.range_m - truth.range_m);
            da.push(p.az_rad - truth.az_rad);
            de.push(p.el_rad - truth.el_rad);
            ecef.push(p.to_ecef(&r) - target);
        }
    }
    let m = dr.len() as f64;
    let pd = m / f64::from(n);
    assert!((pd - 0.8).abs() < 0.015, "pd {pd}");
    let stats = |x: &[f64]| {
        let mean = x.iter().sum::<f64>() / m;
        let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (m - 1.0);
        (mean, var)
    };
    for (x, sigma, what) in [(&dr, 50.0, "range"), (&da, 0.002, "az"), (&de, 0.001, "el")] {
        let (mean, var) = stats(x);
        println!(
            "{what}: mean {mean:e}, sd {:e} (sigma {sigma:e})",
            var.sqrt()
        );
        assert!(mean.abs() < 4.0 * sigma / m.sqrt(), "{what} mean {mean}");
        assert!(
            (var / (sigma * sigma) - 1.0).abs() < 0.05,
            "{what} variance {var}"
        );
    }
    // The ECEF scatter matches the first-order covariance.
    let mut c = Matrix3::zeros();
    for e in &ecef {
        c += e * e.transpose();
    }
    c /= m;
    let (_, cov) = r
        .measure(0, 0.0, &target, &mut ChaCha8Rng::seed_from_u64(1))
        .map(|p| p.to_ecef_with_cov(&r))
        .expect("visible");
    for i in 0..3 {
        let rel = (c[(i, i)] / cov[(i, i)] - 1.0).abs();
        assert!(rel < 0.06, "axis {i}: {} vs {}", c[(i, i)], cov[(i, i)]);
    }
}

#[test]
fn noise_free_plot_converts_back() {
    let mut r = radar(44.93, 40.98, 150.0);
    r.sigma_range_m = 0.0;
    r.sigma_az_rad = 0.0;
    r.sigma_el_rad = 0.0;
    let target = point(&r, 200.0, 1_200_000.0, 500_000.0);
    let p = r
        .measure(3, 12.0, &target, &mut ChaCha8Rng::seed_from_u64(1))
        .expect("visible");
    assert_eq!(p.radar, 3);
    assert!((p.to_ecef(&r) - target).norm() < 1e-3);
}

#[test]
fn ir_launch_area_holds_the_launch_95_percent() {
    let d = IrDetector {
        name: "ir".into(),
        party: "A".into(),
        delay_s: 60.0,
        area_radius_m: 50_000.0,
        pd: 1.0,
        sigma_launch_time_s: 3.0,
        sigma_azimuth_deg: Some(5.0),
    };
    let launch = Geodetic {
        pos: LatLon::new(32.5, 53.0),
        height_m: 0.0,
    };
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let n = 4000;
    let mut inside = 0;
    for _ in 0..n {
        let w = d.detect(0, &launch, 100.0, 300.0, &mut rng).expect("pd 1");
        assert_eq!(w.t_detect, 160.0);
        assert!(w.azimuth_est_deg.is_some());
        if earth::ground_range(&w.area_centre, &launch.pos) <= w.area_radius_m {
            inside += 1;
        }
    }
    let frac = f64::from(inside) / f64::from(n);
    assert!((frac - 0.95).abs() < 0.015, "{frac}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]
    /// Never a plot below the minimum elevation, outside the field of view or the range, or
    /// through the Earth (noise-free plots, so the plot is the geometry).
    #[test]
    fn plots_only_inside_coverage(
        lat in -60.0f64..60.0, lon in -180.0f64..180.0,
        bearing in 0.0f64..360.0, dist in 1_000.0f64..5_000_000.0, h in -1_000.0f64..1_500_000.0,
        bore_az in 0.0f64..360.0, half_az in 5.0f64..200.0,
        bore_el in 0.0f64..60.0, half_el in 1.0f64..40.0, min_el in -3.0f64..10.0,
        site_h in 0.0f64..4_000.0, max_range in 100_000.0f64..6_000_000.0,
    ) {
        let mut r = radar(lat, lon, site_h);
        r.boresight_az_deg = bore_az;
        r.fov_az_half_deg = half_az;
        r.boresight_el_deg = bore_el;
        r.fov_el_half_deg = half_el;
        r.min_elevation_deg = min_el;
        r.max_range_m = max_range;
        r.sigma_range_m = 0.0;
        r.sigma_az_rad = 0.0;
        r.sigma_el_rad = 0.0;
        let target = point(&r, bearing, dist, h);
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        if let Some(p) = r.measure(0, 0.0, &target, &mut rng) {
            prop_assert!(p.el_rad >= min_el.to_radians() - 1e-12);
            prop_assert!(p.range_m <= max_range);
            let daz = (p.az_rad.to_degrees() - bore_az + 540.0).rem_euclid(360.0) - 180.0;
            prop_assert!(half_az >= 180.0 || daz.abs() <= half_az + 1e-9);
            prop_assert!((p.el_rad.to_degrees() - bore_el).abs() <= half_el + 1e-9);
            prop_assert!(!segment_hits_earth(&r.site_ecef(), &target));
            prop_assert!(earth::geodetic_height_m(&target) > -1_001.0);
        }
    }
}
