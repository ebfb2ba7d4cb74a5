//! Camera geometry: a known pinhole case, round trips, DLT, configured homographies,
//! person boxes, detections; stand-off sensor coverage.
// Helpers outside #[test] functions may panic too: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use vigil_station::{
    Camera, CameraSpec, PersonTruth, PointPair, SensorKind, SensorSpec, SimId, StandoffSensor,
    homography_dlt,
};

fn spec(yaw: f64, pitch: f64) -> CameraSpec {
    CameraSpec {
        id: 1,
        position: [0.0, 0.0],
        height_m: 4.0,
        yaw_deg: yaw,
        pitch_deg: pitch,
        hfov_deg: 90.0,
        vfov_deg: None,
        image: [1000, 800],
        max_range_m: Some(40.0),
        homography: None,
        point_pairs: None,
        pd: None,
        occlusion_per_density: None,
        sigma0_m: None,
        sigma_per_m: None,
        clutter_per_frame: None,
    }
}

fn close(a: [f64; 2], b: [f64; 2], tol: f64) -> bool {
    (a[0] - b[0]).abs() < tol && (a[1] - b[1]).abs() < tol
}

#[test]
fn known_pinhole_case() {
    // 4 m up, looking east, 45 degrees down, 90 degree field of view on 1000 x 800 px:
    // f = 500 px both ways (square pixels), principal point (500, 400).
    let cam = Camera::new(spec(0.0, 45.0)).expect("camera");
    let k = cam.intrinsics();
    assert!((k[(0, 0)] - 500.0).abs() < 1e-9 && (k[(1, 1)] - 500.0).abs() < 1e-9);
    // The optical axis meets the floor 4 m ahead.
    let c = cam.floor_to_image([4.0, 0.0]).expect("in front");
    assert!(close(c, [500.0, 400.0], 1e-9), "{c:?}");
    let f = cam.image_to_floor(500.0, 400.0).expect("below horizon");
    assert!(close(f, [4.0, 0.0], 1e-9), "{f:?}");
    // One metre to the right (south when facing east): depth 4*sqrt(2), x_c = 1.
    let p = cam.floor_to_image([4.0, -1.0]).expect("in front");
    let expected_u = 500.0 + 500.0 / (4.0 * 2f64.sqrt());
    assert!(close(p, [expected_u, 400.0], 1e-9), "{p:?}");
    // Behind the camera: no pixel; above the horizon row (v = 400 - 500 tan 45 = -100): no floor.
    assert!(cam.floor_to_image([-5.0, 0.0]).is_none());
    assert!(!cam.sees([-5.0, 0.0]));
    // Below and a little behind the camera: in front of the lens, outside the image.
    assert!(cam.floor_to_image([-3.0, 0.0]).is_some() && !cam.sees([-3.0, 0.0]));
    assert!(cam.image_to_floor(500.0, -150.0).is_none());
    assert!(cam.image_to_floor(500.0, -99.0).is_some());
    // Head of a 1.75 m person standing on the axis point: y_c = -2.25 sin45 + ... -> v = 260.
    let b = cam.person_box([4.0, 0.0]).expect("box");
    assert!(
        (b[1] - (400.0 - 500.0 * (1.75 / 2f64.sqrt()) / (4.0 * 2f64.sqrt() - 1.75 / 2f64.sqrt())))
            .abs()
            < 1e-6,
        "{b:?}"
    );
    assert!((b[3] - 400.0).abs() < 1e-6, "foot row {b:?}");
    assert!(((b[0] + b[2]) / 2.0 - 500.0).abs() < 1e-6, "centred {b:?}");
    assert!(b[2] > b[0] && b[3] > b[1]);
}

#[test]
fn yaw_turns_the_view() {
    // Looking north from the origin, a point north is in view, one east is not ahead.
    let cam = Camera::new(spec(90.0, 30.0)).expect("camera");
    assert!(cam.sees([0.0, 8.0]));
    assert!(!cam.sees([8.0, 0.0]));
    assert!(!cam.sees([0.0, -8.0]));
    // Beyond the maximum range.
    assert!(!cam.sees([0.0, 41.0]));
    // Image right is east when looking north.
    let a = cam.floor_to_image([1.0, 8.0]).expect("pixel");
    assert!(a[0] > 500.0);
}

#[test]
fn round_trip_on_a_lattice() {
    let cam = Camera::new(spec(30.0, 25.0)).expect("camera");
    let mut n = 0;
    for i in -40..40 {
        for j in -40..40 {
            let p = [f64::from(i) * 0.5, f64::from(j) * 0.5];
            if !cam.sees(p) {
                continue;
            }
            n += 1;
            let px = cam.floor_to_image(p).expect("seen");
            let q = cam.image_to_floor(px[0], px[1]).expect("back");
            assert!(close(p, q, 1e-9), "{p:?} -> {px:?} -> {q:?}");
        }
    }
    assert!(n > 100, "lattice points seen: {n}");
}

#[test]
fn dlt_from_four_points_recovers_the_homography() {
    let cam = Camera::new(spec(-20.0, 35.0)).expect("camera");
    let floor = [[3.0, -2.0], [9.0, -5.0], [10.0, 1.0], [4.0, 0.5]];
    let image: Vec<[f64; 2]> = floor
        .iter()
        .map(|p| cam.floor_to_image(*p).expect("seen"))
        .collect();
    let h = homography_dlt(&floor, &image).expect("dlt");
    let h0 = cam.floor_to_image_matrix();
    let (h, h0) = (h / h[(2, 2)], h0 / h0[(2, 2)]);
    assert!((h - h0).abs().max() < 1e-6 * h0.abs().max(), "{h}\n{h0}");
    // Three points in a line cannot give a homography.
    let line = [[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0]];
    assert!(homography_dlt(&line, &image).is_none());
}

#[test]
fn configured_point_pairs_and_matrix_match_the_pose() {
    let pose = Camera::new(spec(10.0, 30.0)).expect("camera");
    let floor = [
        [4.0, -3.0],
        [12.0, -4.0],
        [12.0, 6.0],
        [5.0, 3.0],
        [8.0, 0.0],
    ];
    let mut s = spec(10.0, 30.0);
    s.point_pairs = Some(
        floor
            .iter()
            .map(|p| PointPair {
                image: pose.floor_to_image(*p).expect("seen"),
                floor: *p,
            })
            .collect(),
    );
    let dlt = Camera::new(s).expect("dlt camera");
    let g = pose.image_to_floor_matrix();
    let mut s = spec(10.0, 30.0);
    // A measured matrix at another (negative) scale must work the same.
    s.homography = Some(std::array::from_fn(|i| {
        std::array::from_fn(|j| -3.0 * g[(i, j)])
    }));
    let given = Camera::new(s).expect("matrix camera");
    for p in [[6.0, 1.0], [15.0, -2.0], [9.0, 4.0]] {
        let a = pose.floor_to_image(p).expect("pose");
        let b = dlt.floor_to_image(p).expect("dlt");
        let c = given.floor_to_image(p).expect("given");
        assert!(close(a, b, 1e-6) && close(a, c, 1e-6), "{a:?} {b:?} {c:?}");
        assert!(dlt.sees(p) == pose.sees(p) && given.sees(p) == pose.sees(p));
        let q = given.image_to_floor(a[0], a[1]).expect("back");
        assert!(close(p, q, 1e-6));
    }
    assert!(
        given.floor_to_image([-5.0, 0.0]).is_none(),
        "behind stays behind"
    );
}

fn person(i: u32, position: [f64; 2], density: f64) -> PersonTruth {
    PersonTruth {
        id: SimId(i),
        position,
        velocity: [0.0, 0.0],
        zone: None,
        carrier: None,
        entered_at: 0.0,
        reached_platform_at: None,
        local_density: density,
        leaving: false,
    }
}

#[test]
fn detections_follow_the_model() {
    let mut s = spec(0.0, 30.0);
    s.clutter_per_frame = Some(0.5);
    let cam = Camera::new(s).expect("camera");
    let near: Vec<PersonTruth> = (0..200).map(|i| person(i, [8.0, 0.0], 0.0)).collect();
    let crowded: Vec<PersonTruth> = (0..200).map(|i| person(i, [8.0, 0.0], 2.0)).collect();
    let far: Vec<PersonTruth> = (0..200).map(|i| person(i, [25.0, 0.0], 0.0)).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let (mut hits, mut hits_crowd, mut clutter, mut err_near, mut err_far) = (0, 0, 0, 0.0, 0.0);
    let frames = 50;
    for f in 0..frames {
        let t = f64::from(f) * 0.1;
        for d in cam.detect(t, &near, &mut rng) {
            assert_eq!(d.camera, 1);
            assert_eq!(d.t, t);
            match d.truth {
                Some(_) => {
                    hits += 1;
                    err_near += (d.floor[0] - 8.0).powi(2) + d.floor[1].powi(2);
                    // The box's foot is the floor point.
                    let foot = cam.floor_to_image(d.floor).expect("pixel");
                    assert!(((d.bbox[0] + d.bbox[2]) / 2.0 - foot[0]).abs() < 1e-6);
                    assert!((d.bbox[3] - foot[1]).abs() < 1e-6);
                    assert!(d.confidence > 0.0 && d.confidence <= 1.0);
                }
                None => {
                    clutter += 1;
                    assert!(cam.sees(d.floor));
                }
            }
        }
        hits_crowd += cam
            .detect(t, &crowded, &mut rng)
            .iter()
            .filter(|d| d.truth.is_some())
            .count();
        for d in cam
            .detect(t, &far, &mut rng)
            .iter()
            .filter(|d| d.truth.is_some())
        {
            err_far += (d.floor[0] - 25.0).powi(2) + d.floor[1].powi(2);
        }
    }
    let n = f64::from(200 * frames);
    let rate = f64::from(hits) / n;
    assert!((rate - 0.95).abs() < 0.02, "pd {rate}");
    let rate_crowd = hits_crowd as f64 / n;
    let expected = 0.95 * (-0.25f64 * 2.0).exp();
    assert!(
        (rate_crowd - expected).abs() < 0.03,
        "crowded pd {rate_crowd} vs {expected}"
    );
    // Floor noise: sigma = 0.08 + 0.012 r per axis.
    let rms_near = (err_near / f64::from(hits) / 2.0).sqrt();
    assert!(
        (rms_near - (0.08 + 0.012 * 8.0)).abs() < 0.01,
        "near sigma {rms_near}"
    );
    assert!(err_far > 0.0);
    // Clutter: 0.5 per frame (of 3 frames' detect calls only the near one counted here).
    let clutter_rate = f64::from(clutter) / f64::from(frames);
    assert!(
        clutter_rate > 0.2 && clutter_rate < 0.9,
        "clutter {clutter_rate}"
    );
    // Same seed, same detections.
    let a = cam.detect(0.0, &near, &mut ChaCha8Rng::seed_from_u64(3));
    let b = cam.detect(0.0, &near, &mut ChaCha8Rng::seed_from_u64(3));
    assert_eq!(a, b);
}

#[test]
fn standoff_cone_and_range() {
    let spec = SensorSpec {
        id: 9,
        kind: SensorKind::ActiveMmw,
        position: [0.0, 0.0],
        height_m: None,
        direction_deg: 90.0,
        always_on: false,
        half_angle_deg: None,
        min_range_m: None,
        max_range_m: None,
        dwell_s: None,
        pd: None,
        pfa: Some(0.02),
        body_location: None,
    };
    let s = StandoffSensor::from_spec(&spec, &Default::default()).expect("sensor");
    // Defaults of the type, the override of pfa.
    assert_eq!(
        (s.min_range_m, s.max_range_m, s.pd, s.pfa),
        (1.0, 6.0, 0.85, 0.02)
    );
    assert!(s.body_location);
    assert!(s.covers([0.0, 3.0]));
    assert!(s.covers([0.5, 3.0])); // 9.5 degrees off axis
    assert!(!s.covers([1.0, 3.0])); // 18.4 degrees off axis
    assert!(!s.covers([0.0, 0.5])); // too near
    assert!(!s.covers([0.0, 6.5])); // too far
    assert!(!s.covers([0.0, -3.0])); // behind
    assert!(s.llr_hit() > 0.0 && s.llr_miss() < 0.0);
}

proptest! {
    /// floor -> image -> floor is the identity for every floor point a camera sees, over
    /// random poses.
    #[test]
    fn floor_image_floor_round_trip(
        yaw in -180.0f64..180.0,
        pitch in 5.0f64..90.0,
        height in 2.0f64..8.0,
        hfov in 30.0f64..120.0,
        x in -30.0f64..30.0,
        y in -30.0f64..30.0,
    ) {
        let mut s = spec(yaw, pitch);
        s.height_m = height;
        s.hfov_deg = hfov;
        let cam = Camera::new(s).expect("camera");
        if let Some(px) = cam.floor_to_image([x, y]) {
            let q = cam.image_to_floor(px[0], px[1]);
            prop_assert!(q.is_some());
            let q = q.unwrap_or_default();
            let tol = 1e-7 * (1.0 + x.abs() + y.abs());
            prop_assert!(close([x, y], q, tol), "{:?} -> {:?} -> {:?}", [x, y], px, q);
            if cam.sees([x, y]) {
                prop_assert!(cam.person_box([x, y]).is_some() || pitch > 60.0);
            }
        }
    }
}
