//! Cameras: pinhole pose, floor homography, person boxes, and simulated person detections.
//!
//! Conventions: station metres, x east, y north, z up. `yaw_deg` is the direction of the
//! optical axis on the floor plan, counter-clockwise from east; `pitch_deg` is the depression
//! of the axis below the horizontal (positive looks down). Image coordinates are pixels, u to
//! the right, v down, origin at the top-left corner, principal point at the image centre.
//!
//! The floor-to-image homography is `H = K [r1 r2 t]` from the pose, unless the config gives
//! the image-to-floor matrix or four or more image/floor point pairs (solved by a normalised
//! DLT). Its scale is fixed so that the third homogeneous coordinate is positive for floor
//! points in front of the camera.

use nalgebra::{DMatrix, Matrix3, SymmetricEigen, Vector3};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::geom::{self, Point};
use crate::sim::{PersonTruth, SimId};
use crate::station::StationError;

/// Height of a person for image boxes, metres.
pub const PERSON_HEIGHT_M: f64 = 1.75;
/// Shoulder width of a person for image boxes, metres.
pub const PERSON_WIDTH_M: f64 = 0.45;

/// One image point and the floor point it shows (for a DLT homography).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointPair {
    /// Pixel `[u, v]`.
    pub image: [f64; 2],
    /// Floor point `[x, y]`, metres.
    pub floor: Point,
}

/// A camera as written in the config file (`[[camera]]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraSpec {
    /// Unique id (the `camera` of every detection).
    pub id: u16,
    /// Position on the floor plan, metres.
    pub position: Point,
    /// Mounting height above the floor, metres.
    pub height_m: f64,
    /// Optical axis direction, degrees counter-clockwise from east.
    pub yaw_deg: f64,
    /// Depression of the axis below the horizontal, degrees (positive looks down).
    pub pitch_deg: f64,
    /// Horizontal field of view, degrees.
    pub hfov_deg: f64,
    /// Vertical field of view, degrees (default: square pixels from the image size).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vfov_deg: Option<f64>,
    /// Image size `[width, height]` in pixels.
    pub image: [u32; 2],
    /// Farthest floor distance at which people are detected, metres (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_range_m: Option<f64>,
    /// A measured image-to-floor homography (row-major 3x3), instead of the pose's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub homography: Option<[[f64; 3]; 3]>,
    /// Four or more measured image/floor point pairs, solved for the homography (DLT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point_pairs: Option<Vec<PointPair>>,
    /// Detection probability of an unoccluded person near the camera (default 0.95).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pd: Option<f64>,
    /// Occlusion: detection probability falls as `exp(-k * density)`, k per (people/m²)
    /// (default 0.25).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occlusion_per_density: Option<f64>,
    /// Floor position noise (1 sigma per axis) at the camera, metres (default 0.08).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigma0_m: Option<f64>,
    /// Growth of the floor noise with distance, metres per metre (default 0.012).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigma_per_m: Option<f64>,
    /// Mean number of false detections per frame (default 0.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clutter_per_frame: Option<f64>,
}

/// The camera's detection model with every value resolved.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DetectionModel {
    /// Detection probability of an unoccluded person at short range.
    pub pd: f64,
    /// Occlusion coefficient per (people/m²).
    pub occlusion_per_density: f64,
    /// Floor noise at zero range, metres.
    pub sigma0_m: f64,
    /// Floor noise growth, metres per metre.
    pub sigma_per_m: f64,
    /// Mean false detections per frame.
    pub clutter_per_frame: f64,
    /// Farthest detection range, metres.
    pub max_range_m: f64,
}

/// One person detection by a camera: the image box and the floor point under it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CameraDetection {
    /// Camera id.
    pub camera: u16,
    /// Time, seconds of the simulation.
    pub t: f64,
    /// Image box `[u_min, v_min, u_max, v_max]`, pixels.
    pub bbox: [f64; 4],
    /// Floor point (the box's foot point), metres.
    pub floor: Point,
    /// Expected floor error (1 sigma per axis), metres.
    pub sigma_m: f64,
    /// Detector confidence in `[0, 1]`.
    pub confidence: f64,
    /// The simulated person detected; `None` for a false detection. Evaluation only: a
    /// tracker must not read it.
    pub truth: Option<SimId>,
}

/// A validated camera.
#[derive(Debug, Clone)]
pub struct Camera {
    spec: CameraSpec,
    model: DetectionModel,
    k: Matrix3<f64>,
    /// World-to-camera rotation (rows: right, down, forward).
    r: Matrix3<f64>,
    /// Camera centre in the world.
    c: Vector3<f64>,
    /// Floor-to-image homography actually used.
    h: Matrix3<f64>,
    h_inv: Matrix3<f64>,
    /// Floor-to-image homography of the pose (for box sizes).
    h_pose: Matrix3<f64>,
}

impl Camera {
    /// Validates a spec and builds its homography.
    pub fn new(spec: CameraSpec) -> Result<Camera, StationError> {
        let bad = |reason: &str| StationError::BadCamera {
            id: spec.id,
            reason: reason.to_string(),
        };
        let [w, hgt] = spec.image;
        if w == 0 || hgt == 0 {
            return Err(bad("image size must be positive"));
        }
        if !(spec.hfov_deg > 0.0 && spec.hfov_deg < 179.0) {
            return Err(bad("hfov_deg must be in (0, 179)"));
        }
        if !(spec.height_m > 0.0 && spec.height_m.is_finite()) {
            return Err(bad("height_m must be > 0"));
        }
        if !(spec.pitch_deg > -89.0 && spec.pitch_deg <= 90.0 && spec.yaw_deg.is_finite()) {
            return Err(bad("pitch_deg must be in (-89, 90]"));
        }
        let (w, hgt) = (f64::from(w), f64::from(hgt));
        let half_h = (spec.hfov_deg.to_radians() / 2.0).tan();
        let half_v = match spec.vfov_deg {
            Some(v) if v > 0.0 && v < 179.0 => (v.to_radians() / 2.0).tan(),
            Some(_) => return Err(bad("vfov_deg must be in (0, 179)")),
            None => half_h * hgt / w,
        };
        let k = Matrix3::new(
            w / 2.0 / half_h,
            0.0,
            w / 2.0,
            0.0,
            hgt / 2.0 / half_v,
            hgt / 2.0,
            0.0,
            0.0,
            1.0,
        );
        let (yaw, pitch) = (spec.yaw_deg.to_radians(), spec.pitch_deg.to_radians());
        let fwd = Vector3::new(
            pitch.cos() * yaw.cos(),
            pitch.cos() * yaw.sin(),
            -pitch.sin(),
        );
        let right = Vector3::new(yaw.sin(), -yaw.cos(), 0.0);
        let down = fwd.cross(&right);
        let r = Matrix3::from_rows(&[right.transpose(), down.transpose(), fwd.transpose()]);
        let c = Vector3::new(spec.position[0], spec.position[1], spec.height_m);
        let t = -(r * c);
        let h_pose = k * Matrix3::from_columns(&[r.column(0).into(), r.column(1).into(), t]);
        // A floor point the pose says is in front: straight ahead along the axis when it
        // meets the floor, else one metre ahead on the floor.
        let ahead = if pitch > 0.05 {
            let d = spec.height_m / pitch.tan();
            [
                spec.position[0] + d * yaw.cos(),
                spec.position[1] + d * yaw.sin(),
            ]
        } else {
            [spec.position[0] + yaw.cos(), spec.position[1] + yaw.sin()]
        };
        let h = match (&spec.homography, &spec.point_pairs) {
            (Some(_), Some(_)) => return Err(bad("give homography or point_pairs, not both")),
            (Some(g), None) => {
                let g = Matrix3::from_fn(|i, j| g[i][j]);
                let hh = g
                    .try_inverse()
                    .ok_or_else(|| bad("homography is singular"))?;
                orient(hh, ahead)
            }
            (None, Some(pairs)) => {
                if pairs.len() < 4 {
                    return Err(bad("point_pairs needs four pairs or more"));
                }
                let floor: Vec<Point> = pairs.iter().map(|p| p.floor).collect();
                let image: Vec<[f64; 2]> = pairs.iter().map(|p| p.image).collect();
                let hh = homography_dlt(&floor, &image)
                    .ok_or_else(|| bad("point_pairs are degenerate (three in a line?)"))?;
                let mean = floor.iter().fold([0.0, 0.0], |a, p| geom::add(a, *p));
                orient(hh, geom::scale(mean, 1.0 / floor.len() as f64))
            }
            (None, None) => h_pose,
        };
        let h_inv = h
            .try_inverse()
            .ok_or_else(|| bad("pose gives a singular homography (camera on the floor?)"))?;
        let pos = |v: Option<f64>, d: f64, name: &str| match v {
            None => Ok(d),
            Some(x) if x >= 0.0 && x.is_finite() => Ok(x),
            Some(_) => Err(bad(&format!("{name} must be >= 0"))),
        };
        let model = DetectionModel {
            pd: pos(spec.pd, 0.95, "pd")?.min(1.0),
            occlusion_per_density: pos(spec.occlusion_per_density, 0.25, "occlusion_per_density")?,
            sigma0_m: pos(spec.sigma0_m, 0.08, "sigma0_m")?,
            sigma_per_m: pos(spec.sigma_per_m, 0.012, "sigma_per_m")?,
            clutter_per_frame: pos(spec.clutter_per_frame, 0.2, "clutter_per_frame")?,
            max_range_m: pos(spec.max_range_m, 30.0, "max_range_m")?,
        };
        Ok(Camera {
            spec,
            model,
            k,
            r,
            c,
            h,
            h_inv,
            h_pose,
        })
    }

    /// Camera id.
    pub fn id(&self) -> u16 {
        self.spec.id
    }

    /// The spec it was built from.
    pub fn spec(&self) -> &CameraSpec {
        &self.spec
    }

    /// The resolved detection model.
    pub fn model(&self) -> &DetectionModel {
        &self.model
    }

    /// Image size `[width, height]`, pixels.
    pub fn image_size(&self) -> [f64; 2] {
        [f64::from(self.spec.image[0]), f64::from(self.spec.image[1])]
    }

    /// Intrinsic matrix K.
    pub fn intrinsics(&self) -> Matrix3<f64> {
        self.k
    }

    /// Floor-to-image homography in use (image = H * [x, y, 1]).
    pub fn floor_to_image_matrix(&self) -> Matrix3<f64> {
        self.h
    }

    /// Image-to-floor homography in use.
    pub fn image_to_floor_matrix(&self) -> Matrix3<f64> {
        self.h_inv
    }

    /// Pixel of a floor point, `None` behind the camera (may lie outside the image).
    pub fn floor_to_image(&self, p: Point) -> Option<[f64; 2]> {
        let q = self.h * Vector3::new(p[0], p[1], 1.0);
        (q.z > 1e-9).then(|| [q.x / q.z, q.y / q.z])
    }

    /// Floor point seen at a pixel, `None` at or above the horizon.
    pub fn image_to_floor(&self, u: f64, v: f64) -> Option<Point> {
        let q = self.h_inv * Vector3::new(u, v, 1.0);
        if q.z.abs() < 1e-12 {
            return None;
        }
        let p = [q.x / q.z, q.y / q.z];
        // Above the horizon the ray meets the floor behind the camera.
        self.floor_to_image(p).map(|_| p)
    }

    /// Horizontal distance from the camera to a floor point, metres.
    pub fn range(&self, p: Point) -> f64 {
        geom::dist(p, self.spec.position)
    }

    /// Whether a person standing at `p` is detectable: foot point in the image and within
    /// the maximum range.
    pub fn sees(&self, p: Point) -> bool {
        let Some([u, v]) = self.floor_to_image(p) else {
            return false;
        };
        let [w, h] = self.image_size();
        u >= 0.0 && u < w && v >= 0.0 && v < h && self.range(p) <= self.model.max_range_m
    }

    /// Pixel of a 3-D point by the pose, `None` behind the camera.
    pub fn project(&self, p: [f64; 3]) -> Option<[f64; 2]> {
        let pc = self.r * (Vector3::new(p[0], p[1], p[2]) - self.c);
        if pc.z <= 1e-9 {
            return None;
        }
        let q = self.k * pc;
        Some([q.x / q.z, q.y / q.z])
    }

    /// Image box `[u_min, v_min, u_max, v_max]` of a 1.75 m person standing at `p`
    /// (`None` if any part is behind the camera). The box is sized by the pose and placed
    /// so that its foot point is the homography's image of `p`.
    pub fn person_box(&self, p: Point) -> Option<[f64; 4]> {
        let foot = self.floor_to_image(p)?;
        let q = self.h_pose * Vector3::new(p[0], p[1], 1.0);
        if q.z <= 1e-9 {
            return None;
        }
        let foot_pose = [q.x / q.z, q.y / q.z];
        let right = self.r.row(0);
        let half = PERSON_WIDTH_M / 2.0;
        let (rx, ry) = (right[0] * half, right[1] * half);
        let mut lo = [f64::INFINITY; 2];
        let mut hi = [f64::NEG_INFINITY; 2];
        for z in [0.0, PERSON_HEIGHT_M] {
            for s in [-1.0, 1.0] {
                let px = self.project([p[0] + s * rx, p[1] + s * ry, z])?;
                lo = [lo[0].min(px[0]), lo[1].min(px[1])];
                hi = [hi[0].max(px[0]), hi[1].max(px[1])];
            }
        }
        // The box's bottom centre is the foot pixel of the homography in use (what a
        // tracker takes as the floor point); its size is the pose's hull of the body.
        let half_w = (hi[0] - lo[0]) / 2.0;
        let h = foot_pose[1] - lo[1];
        Some([foot[0] - half_w, foot[1] - h, foot[0] + half_w, foot[1]])
    }

    /// Floor noise (1 sigma per axis) at a floor point, metres.
    pub fn sigma_at(&self, p: Point) -> f64 {
        self.model.sigma0_m + self.model.sigma_per_m * self.range(p)
    }

    /// Probability of detecting a person at `p` in a crowd of local `density` (people/m²):
    /// occlusion grows with density; beyond 70 % of the maximum range the probability falls
    /// linearly to half at the maximum range. Zero when the camera does not see `p`.
    pub fn detection_probability(&self, p: Point, density: f64) -> f64 {
        if !self.sees(p) {
            return 0.0;
        }
        let r = self.range(p) / self.model.max_range_m.max(1e-9);
        let range_factor = if r < 0.7 {
            1.0
        } else {
            1.0 - 0.5 * (r - 0.7) / 0.3
        };
        self.model.pd * (-self.model.occlusion_per_density * density.max(0.0)).exp() * range_factor
    }

    /// Simulated detections of one frame at time `t`.
    pub fn detect<R: Rng + ?Sized>(
        &self,
        t: f64,
        people: &[PersonTruth],
        rng: &mut R,
    ) -> Vec<CameraDetection> {
        let mut out = Vec::new();
        self.detect_into(t, people, rng, &mut out);
        out
    }

    /// Like [`Camera::detect`], appending to `out` (no allocation once `out` has grown).
    pub fn detect_into<R: Rng + ?Sized>(
        &self,
        t: f64,
        people: &[PersonTruth],
        rng: &mut R,
        out: &mut Vec<CameraDetection>,
    ) {
        let r2 = self.model.max_range_m * self.model.max_range_m;
        for person in people {
            // Cheap range test first: most people are out of any one camera's range.
            let d = geom::sub(person.position, self.spec.position);
            if geom::dot(d, d) > r2 {
                continue;
            }
            let pd = self.detection_probability(person.position, person.local_density);
            if pd <= 0.0 || rng.random::<f64>() >= pd {
                continue;
            }
            let sigma = self.sigma_at(person.position);
            let nx: f64 = StandardNormal.sample(rng);
            let ny: f64 = StandardNormal.sample(rng);
            let floor = [
                person.position[0] + sigma * nx,
                person.position[1] + sigma * ny,
            ];
            let Some(bbox) = self.person_box(floor) else {
                continue;
            };
            let jitter: f64 = StandardNormal.sample(rng);
            let confidence =
                (0.45 + 0.5 * pd / self.model.pd.max(1e-9) + 0.08 * jitter).clamp(0.05, 0.99);
            out.push(CameraDetection {
                camera: self.spec.id,
                t,
                bbox,
                floor,
                sigma_m: sigma,
                confidence,
                truth: Some(person.id),
            });
        }
        // False detections: Poisson count (Knuth's method, small means), placed uniformly
        // in the image below the horizon and within range.
        let limit = (-self.model.clutter_per_frame).exp();
        let mut prod: f64 = rng.random();
        let [w, h] = self.image_size();
        while prod > limit {
            prod *= rng.random::<f64>();
            for _ in 0..8 {
                let (u, v) = (rng.random::<f64>() * w, rng.random::<f64>() * h);
                let Some(floor) = self.image_to_floor(u, v) else {
                    continue;
                };
                if !self.sees(floor) {
                    continue;
                }
                let Some(bbox) = self.person_box(floor) else {
                    continue;
                };
                let jitter: f64 = StandardNormal.sample(rng);
                out.push(CameraDetection {
                    camera: self.spec.id,
                    t,
                    bbox,
                    floor,
                    sigma_m: self.sigma_at(floor),
                    confidence: (0.35 + 0.12 * jitter).clamp(0.01, 0.95),
                    truth: None,
                });
                break;
            }
        }
    }
}

/// Scales `h` so that the floor point `ahead` has a positive third coordinate (in front).
fn orient(h: Matrix3<f64>, ahead: Point) -> Matrix3<f64> {
    let q = h * Vector3::new(ahead[0], ahead[1], 1.0);
    if q.z < 0.0 { -h } else { h }
}

/// Hartley normalisation: translate to the centroid, scale to mean distance sqrt(2).
fn normaliser(points: &[[f64; 2]]) -> Matrix3<f64> {
    let n = points.len().max(1) as f64;
    let c = points.iter().fold([0.0, 0.0], |a, p| geom::add(a, *p));
    let c = geom::scale(c, 1.0 / n);
    let mean_d = points.iter().map(|p| geom::dist(*p, c)).sum::<f64>() / n;
    let s = if mean_d > 1e-12 {
        std::f64::consts::SQRT_2 / mean_d
    } else {
        1.0
    };
    Matrix3::new(s, 0.0, -s * c[0], 0.0, s, -s * c[1], 0.0, 0.0, 1.0)
}

/// Floor-to-image homography from four or more point pairs (normalised DLT, least squares
/// over all pairs). `None` when the pairs are degenerate.
pub fn homography_dlt(floor: &[Point], image: &[[f64; 2]]) -> Option<Matrix3<f64>> {
    if floor.len() != image.len() || floor.len() < 4 {
        return None;
    }
    let tf = normaliser(floor);
    let ti = normaliser(image);
    let n = floor.len();
    let mut a = DMatrix::<f64>::zeros(2 * n, 9);
    for (k, (f, i)) in floor.iter().zip(image).enumerate() {
        let p = tf * Vector3::new(f[0], f[1], 1.0);
        let q = ti * Vector3::new(i[0], i[1], 1.0);
        let (x, y) = (p.x / p.z, p.y / p.z);
        let (u, v) = (q.x / q.z, q.y / q.z);
        let rows = [
            [-x, -y, -1.0, 0.0, 0.0, 0.0, u * x, u * y, u],
            [0.0, 0.0, 0.0, -x, -y, -1.0, v * x, v * y, v],
        ];
        for (r, row) in rows.iter().enumerate() {
            for (j, val) in row.iter().enumerate() {
                a[(2 * k + r, j)] = *val;
            }
        }
    }
    let ata = a.transpose() * &a;
    let eig = SymmetricEigen::new(ata);
    let mut order: Vec<usize> = (0..9).collect();
    order.sort_by(|&i, &j| eig.eigenvalues[i].total_cmp(&eig.eigenvalues[j]));
    // A unique solution needs a one-dimensional null space: the second smallest eigenvalue
    // must stand clear of the smallest.
    if eig.eigenvalues[order[1]] < 1e-10 * eig.eigenvalues[order[8]].max(1e-300) {
        return None;
    }
    let hv = eig.eigenvectors.column(order[0]);
    let hn = Matrix3::new(
        hv[0], hv[1], hv[2], hv[3], hv[4], hv[5], hv[6], hv[7], hv[8],
    );
    let ti_inv = ti.try_inverse()?;
    let h = ti_inv * hn * tf;
    let s = h[(2, 2)];
    let h = if s.abs() > 1e-12 { h / s } else { h };
    (h.determinant().abs() > 1e-15).then_some(h)
}
