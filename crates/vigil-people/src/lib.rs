//! Multi-camera people tracking on the floor plane.
//!
//! Cameras (or any person detector) report people as points on the station's floor, in local
//! metres, with a position uncertainty. [`PeopleTracker`] keeps one anonymous track per person
//! with the domain-neutral pieces of `vigil-track`: a 2-D nearly-constant-velocity Kalman
//! filter ([`Pedestrian`], white-noise acceleration sized for walking people), chi-square
//! gating, global-nearest-neighbour assignment (`vigil_track::assign::gnn`), M-of-N
//! confirmation, coasting and deletion.
//!
//! A scan (all detections of one time step, from every camera) is processed camera by camera:
//! each camera's detections are assigned to the tracks (at most one detection of a camera per
//! track, at most one track per detection) and update them in turn. So one person seen by two
//! overlapping cameras updates one track twice (sequential updates, equivalent to one update
//! with both measurements when their errors are independent), and a person walking from one
//! camera's view into another's keeps the track and its id: association is on the floor
//! position, never on the camera. Detections that match no track are kept to the end of the scan,
//! grouped across cameras (one detection per camera per group, within the gate of each
//! other) and each group starts one tentative track: so a new person seen by two cameras
//! starts one track, not two that the cameras would then keep alive in turn. Should two tracks
//! of one person still arise, they are merged once closer than
//! [`PeopleConfig::merge_distance_m`].
//!
//! Speed: tracks are bucketed on a grid of cells twice the largest gate, so a detection is
//! compared only with the tracks in its 3 × 3 cells, and the assignment problem is solved per
//! connected component of the gating graph (small in any realistic crowd), never on the whole
//! scan.
//!
//! **Architecture invariant:** synchronous and deterministic like `vigil-track`: time comes
//! from the scans, no I/O, no clock, no randomness; ids are never reused. No identity: a track
//! is a number, a position and a velocity.
//!
//! Units are whatever the detections use (metres on the floor plane; the TUD test tracks feet
//! points in pixels with the noise and gates configured in pixels).

use nalgebra::{SMatrix, SVector};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use vigil_track::assign::gnn;
use vigil_track::chi2::chi2_gate;
use vigil_track::models::MotionModel;
use vigil_track::{Gaussian, Innovation};

/// One person detection projected on the floor plane.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FloorDetection {
    /// The camera (or detector) that saw the person.
    pub camera: u16,
    /// Time of the image, seconds. The tracker treats every detection of a scan as taken at
    /// the scan's time (cameras are synchronised to the scan); it is kept for the caller.
    pub t: f64,
    /// Floor position east, metres.
    pub x: f64,
    /// Floor position north, metres.
    pub y: f64,
    /// Standard deviation of the position error on each axis, metres (> 0).
    pub sigma_m: f64,
    /// Detector confidence in [0, 1].
    pub confidence: f32,
}

/// Tracker settings. Defaults suit pedestrians seen by ceiling cameras at 10 Hz.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PeopleConfig {
    /// Spectral density of the acceleration noise of the pedestrian model, m²/s³ (people
    /// change speed by about 1 m/s within a second or two).
    pub q: f64,
    /// Standard deviation of the velocity of a new track, m/s (walking speed spread).
    pub init_speed_sigma: f64,
    /// Gate probability: a detection is considered for a track when its squared Mahalanobis
    /// distance is below the chi-square quantile of this probability (2 degrees of freedom).
    pub gate_probability: f64,
    /// Largest distance between a track and a detection that can be associated, metres
    /// (bounds the grid search whatever the covariance).
    pub max_gate_m: f64,
    /// Detections below this confidence are ignored.
    pub min_confidence: f32,
    /// M of M-of-N confirmation: scans with a detection needed ...
    pub confirm_m: u32,
    /// ... among the first N scans of a track (at most 32); a tentative track that has not
    /// reached M hits after N scans is deleted.
    pub confirm_n: u32,
    /// A confirmed track with no detection for longer than this is deleted, seconds.
    pub max_coast_s: f64,
    /// A tentative track with no detection for longer than this is deleted, seconds.
    pub tentative_coast_s: f64,
    /// Two tracks closer than this after a scan are one person followed twice (two people's
    /// feet are never this close): the younger is deleted. Metres; 0 disables.
    pub merge_distance_m: f64,
}

impl Default for PeopleConfig {
    fn default() -> Self {
        Self {
            q: 0.5,
            init_speed_sigma: 1.5,
            gate_probability: 0.999,
            max_gate_m: 2.0,
            min_confidence: 0.0,
            confirm_m: 3,
            confirm_n: 5,
            max_coast_s: 2.0,
            tentative_coast_s: 0.3,
            merge_distance_m: 0.3,
        }
    }
}

/// An anonymous person track number; never reused by a tracker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PersonId(pub u64);

impl std::fmt::Display for PersonId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "P{}", self.0)
    }
}

/// The cameras that have seen a track, most recent last; keeps the last
/// [`CameraSet::CAPACITY`] distinct cameras without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CameraSet {
    ids: [u16; CameraSet::CAPACITY],
    len: u8,
}

impl CameraSet {
    /// How many distinct cameras are kept.
    pub const CAPACITY: usize = 8;

    /// Records that `camera` saw the track (moving it to the most recent place).
    pub fn insert(&mut self, camera: u16) {
        let len = usize::from(self.len);
        if let Some(i) = self.ids[..len].iter().position(|&c| c == camera) {
            self.ids[i..len].rotate_left(1);
        } else if len < Self::CAPACITY {
            self.ids[len] = camera;
            self.len += 1;
        } else {
            self.ids.rotate_left(1);
            self.ids[Self::CAPACITY - 1] = camera;
        }
    }

    /// Whether `camera` is in the set.
    pub fn contains(&self, camera: u16) -> bool {
        self.as_slice().contains(&camera)
    }

    /// The cameras, oldest first.
    pub fn as_slice(&self) -> &[u16] {
        &self.ids[..usize::from(self.len)]
    }

    /// The number of cameras kept.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Whether no camera has seen the track (never true for a live track).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The public state of one person track (at its last update or prediction by a scan).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PersonTrack {
    /// Anonymous id, never reused.
    pub id: PersonId,
    /// Floor position east, metres.
    pub x: f64,
    /// Floor position north, metres.
    pub y: f64,
    /// Velocity east, m/s.
    pub vx: f64,
    /// Velocity north, m/s.
    pub vy: f64,
    /// Position covariance, m².
    pub pos_cov: [[f64; 2]; 2],
    /// Whether M-of-N confirmation has been reached (tentative tracks may be clutter).
    pub confirmed: bool,
    /// Time of the last detection, seconds.
    pub last_update: f64,
    /// Time of the scan the state refers to, seconds.
    pub t: f64,
    /// Time the track was started, seconds.
    pub born: f64,
    /// Detections assigned since birth.
    pub hits: u32,
    /// The cameras that have seen this person.
    pub cameras_seen: CameraSet,
}

/// Why a detection was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reject {
    /// Non-finite position or a non-positive or non-finite sigma.
    Invalid,
    /// Confidence below [`PeopleConfig::min_confidence`].
    LowConfidence,
    /// The scan is older than the previous one.
    OutOfOrder,
    /// A Kalman update refused it (numerical breakdown); the track is unchanged.
    FilterRefused,
}

/// What one scan did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StepReport {
    /// `(detection index in the scan, track)` for every detection used to update or start a
    /// track.
    pub assigned: Vec<(usize, PersonId)>,
    /// Tracks started by this scan.
    pub born: Vec<PersonId>,
    /// Tracks confirmed by this scan.
    pub confirmed: Vec<PersonId>,
    /// Tracks deleted by this scan.
    pub deleted: Vec<PersonId>,
    /// `(detection index, reason)` for every detection not used.
    pub rejected: Vec<(usize, Reject)>,
}

/// The pedestrian motion model: 2-D nearly constant velocity (white-noise acceleration) with
/// state `[x, y, vx, vy]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Pedestrian {
    /// Spectral density of the acceleration noise on each axis, m²/s³.
    pub q: f64,
}

impl MotionModel<4> for Pedestrian {
    fn transition(&self, dt: f64) -> SMatrix<f64, 4, 4> {
        let mut f = SMatrix::<f64, 4, 4>::identity();
        f[(0, 2)] = dt;
        f[(1, 3)] = dt;
        f
    }

    fn process_noise(&self, dt: f64) -> SMatrix<f64, 4, 4> {
        let mut m = SMatrix::<f64, 4, 4>::zeros();
        let (d2, d3) = (dt * dt, dt * dt * dt);
        for i in 0..2 {
            m[(i, i)] = self.q * d3 / 3.0;
            m[(i, i + 2)] = self.q * d2 / 2.0;
            m[(i + 2, i)] = self.q * d2 / 2.0;
            m[(i + 2, i + 2)] = self.q * dt;
        }
        m
    }
}

/// A track's private state beside its public view.
#[derive(Debug, Clone)]
struct Slot {
    view: PersonTrack,
    g: Gaussian<4>,
    /// Bit i set when the scan i scans ago had a detection (bit 0: the current scan).
    history: u32,
    /// Scans since birth (1 on the birth scan).
    scans: u32,
}

/// Multi-camera people tracker. See the crate documentation.
#[derive(Debug, Clone)]
pub struct PeopleTracker {
    cfg: PeopleConfig,
    model: Pedestrian,
    gate_d2: f64,
    slots: Vec<Slot>,
    index: FxHashMap<PersonId, usize>,
    next_id: u64,
    last_t: Option<f64>,
    // Scratch reused across scans.
    grid: FxHashMap<(i32, i32), Vec<u32>>,
    order: Vec<usize>,
    unassigned: Vec<usize>,
}

/// The largest component solved optimally; bigger ones (a pathological crowd against a loose
/// gate) are assigned greedily by cost so that one scan never costs O(n³) in the crowd size.
const MAX_COMPONENT: usize = 64;

impl PeopleTracker {
    /// A tracker with no tracks.
    pub fn new(cfg: PeopleConfig) -> Self {
        Self {
            cfg,
            model: Pedestrian { q: cfg.q },
            gate_d2: chi2_gate(2, cfg.gate_probability),
            slots: Vec::new(),
            index: FxHashMap::default(),
            next_id: 1,
            last_t: None,
            grid: FxHashMap::default(),
            order: Vec::new(),
            unassigned: Vec::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &PeopleConfig {
        &self.cfg
    }

    /// Every live track (tentative and confirmed), in birth order.
    pub fn tracks(&self) -> impl Iterator<Item = &PersonTrack> {
        self.slots.iter().map(|s| &s.view)
    }

    /// One track by id.
    pub fn track(&self, id: PersonId) -> Option<&PersonTrack> {
        self.index.get(&id).map(|&i| &self.slots[i].view)
    }

    /// The predicted position and position covariance of track `id` at time `t` (not before
    /// its state's time: then the state itself).
    pub fn predict(&self, id: PersonId, t: f64) -> Option<([f64; 2], [[f64; 2]; 2])> {
        let s = &self.slots[*self.index.get(&id)?];
        let g = s.g.predicted(&self.model, t - s.view.t);
        Some((
            [g.x[0], g.x[1]],
            [[g.p[(0, 0)], g.p[(0, 1)]], [g.p[(1, 0)], g.p[(1, 1)]]],
        ))
    }

    /// Processes one scan at time `t`: predicts every track to `t`, assigns and applies the
    /// detections camera by camera, starts tracks from the unassigned ones, then confirms and
    /// deletes. A scan older than the previous one is refused whole.
    pub fn process(&mut self, t: f64, dets: &[FloorDetection]) -> StepReport {
        let mut report = StepReport::default();
        if !t.is_finite() || self.last_t.is_some_and(|last| t < last) {
            report.rejected = (0..dets.len()).map(|i| (i, Reject::OutOfOrder)).collect();
            return report;
        }
        self.last_t = Some(t);

        for s in &mut self.slots {
            s.g.predict(&self.model, t - s.view.t);
            s.view.t = t;
            s.history <<= 1;
            s.scans = s.scans.saturating_add(1);
        }
        self.rebuild_grid();

        // Valid detections, grouped by camera (stable: scan order within a camera).
        self.order.clear();
        self.unassigned.clear();
        for (i, d) in dets.iter().enumerate() {
            let valid = d.x.is_finite()
                && d.y.is_finite()
                && d.sigma_m.is_finite()
                && d.sigma_m > 0.0
                && d.confidence.is_finite();
            if !valid {
                report.rejected.push((i, Reject::Invalid));
            } else if d.confidence < self.cfg.min_confidence {
                report.rejected.push((i, Reject::LowConfidence));
            } else {
                self.order.push(i);
            }
        }
        self.order.sort_by_key(|&i| dets[i].camera);
        let order = std::mem::take(&mut self.order);
        let mut start = 0;
        while start < order.len() {
            let cam = dets[order[start]].camera;
            let end = start + order[start..].partition_point(|&i| dets[i].camera == cam);
            self.camera_batch(t, dets, &order[start..end], &mut report);
            start = end;
        }
        self.order = order;
        self.births(t, dets, &mut report);
        self.merge_duplicates(&mut report);
        self.manage(t, &mut report);
        report
    }

    fn cell(&self, x: f64, y: f64) -> (i32, i32) {
        // Cells twice the largest gate: a track moved by one update (at most one gate) is
        // still found from the 3 × 3 cells around a detection. `as` saturates on overflow.
        let size = 2.0 * self.cfg.max_gate_m.max(1e-9);
        ((x / size).floor() as i32, (y / size).floor() as i32)
    }

    fn rebuild_grid(&mut self) {
        for v in self.grid.values_mut() {
            v.clear();
        }
        // Keep the map from growing without bound over a long run.
        if self.grid.len() > 4 * self.slots.len() + 1024 {
            self.grid.clear();
        }
        for (i, s) in self.slots.iter().enumerate() {
            let c = self.cell(s.g.x[0], s.g.x[1]);
            self.grid.entry(c).or_default().push(i as u32);
        }
    }

    fn innovation(d: &FloorDetection, g: &Gaussian<4>) -> Innovation<2, 4> {
        let mut h = SMatrix::<f64, 2, 4>::zeros();
        h[(0, 0)] = 1.0;
        h[(1, 1)] = 1.0;
        let r2 = d.sigma_m * d.sigma_m;
        Innovation {
            nu: SVector::<f64, 2>::new(d.x - g.x[0], d.y - g.x[1]),
            h,
            r: SMatrix::<f64, 2, 2>::new(r2, 0.0, 0.0, r2),
        }
    }

    /// Squared Mahalanobis distance of a detection to a track, if inside both gates.
    fn gated(&self, d: &FloorDetection, s: &Slot) -> Option<f64> {
        let (dx, dy) = (d.x - s.g.x[0], d.y - s.g.x[1]);
        if dx * dx + dy * dy > self.cfg.max_gate_m * self.cfg.max_gate_m {
            return None;
        }
        let d2 = Self::innovation(d, &s.g).mahalanobis2(&s.g)?;
        (d2 <= self.gate_d2).then_some(d2)
    }

    /// Assigns one camera's detections (indices into `dets`) and applies them.
    fn camera_batch(
        &mut self,
        t: f64,
        dets: &[FloorDetection],
        batch: &[usize],
        report: &mut StepReport,
    ) {
        // Gated pairs (batch position, slot, d2).
        let mut pairs: Vec<(usize, usize, f64)> = Vec::new();
        for (k, &di) in batch.iter().enumerate() {
            let d = &dets[di];
            let (cx, cy) = self.cell(d.x, d.y);
            for gx in cx.saturating_sub(1)..=cx.saturating_add(1) {
                for gy in cy.saturating_sub(1)..=cy.saturating_add(1) {
                    let Some(cell) = self.grid.get(&(gx, gy)) else {
                        continue;
                    };
                    for &si in cell {
                        let s = &self.slots[si as usize];
                        if let Some(d2) = self.gated(d, s) {
                            pairs.push((k, si as usize, d2));
                        }
                    }
                }
            }
        }

        let mut assigned_det = vec![None::<usize>; batch.len()];
        for (k, si) in assign_components(batch.len(), &pairs, self.gate_d2) {
            assigned_det[k] = Some(si);
        }

        for (k, &di) in batch.iter().enumerate() {
            let d = &dets[di];
            match assigned_det[k] {
                Some(si) => {
                    let inn = Self::innovation(d, &self.slots[si].g);
                    let s = &mut self.slots[si];
                    match s.g.update(&inn) {
                        Ok(_) => {
                            s.history |= 1;
                            s.view.last_update = t;
                            s.view.hits = s.view.hits.saturating_add(1);
                            s.view.cameras_seen.insert(d.camera);
                            report.assigned.push((di, s.view.id));
                        }
                        Err(_) => report.rejected.push((di, Reject::FilterRefused)),
                    }
                }
                None => self.unassigned.push(di),
            }
        }
    }

    /// Groups the scan's unassigned detections across cameras and starts one track per
    /// group.
    fn births(&mut self, t: f64, dets: &[FloorDetection], report: &mut StepReport) {
        let pending = std::mem::take(&mut self.unassigned);
        // Groups: (sum of w·x, sum of w·y, sum of w, cameras, detection indices), w = 1/σ².
        let mut groups: Vec<(f64, f64, f64, CameraSet, Vec<usize>)> = Vec::new();
        let mut cells: FxHashMap<(i32, i32), Vec<usize>> = FxHashMap::default();
        for &di in &pending {
            let d = &dets[di];
            let w = 1.0 / (d.sigma_m * d.sigma_m);
            let (cx, cy) = self.cell(d.x, d.y);
            let mut best: Option<(f64, usize)> = None;
            for gx in cx.saturating_sub(1)..=cx.saturating_add(1) {
                for gy in cy.saturating_sub(1)..=cy.saturating_add(1) {
                    for &gi in cells.get(&(gx, gy)).map(Vec::as_slice).unwrap_or(&[]) {
                        let g = &groups[gi];
                        if g.3.contains(d.camera) {
                            continue;
                        }
                        // Distance of the detection to the group's mean against both
                        // variances (chi-square, 2 degrees of freedom).
                        let (mx, my) = (g.0 / g.2, g.1 / g.2);
                        let var = d.sigma_m * d.sigma_m + 1.0 / g.2;
                        let d2 = ((d.x - mx).powi(2) + (d.y - my).powi(2)) / var;
                        if d2 <= self.gate_d2 && best.is_none_or(|(b, _)| d2 < b) {
                            best = Some((d2, gi));
                        }
                    }
                }
            }
            match best {
                Some((_, gi)) => {
                    let g = &mut groups[gi];
                    g.0 += w * d.x;
                    g.1 += w * d.y;
                    g.2 += w;
                    g.3.insert(d.camera);
                    g.4.push(di);
                }
                None => {
                    let mut cams = CameraSet::default();
                    cams.insert(d.camera);
                    cells
                        .entry(self.cell(d.x, d.y))
                        .or_default()
                        .push(groups.len());
                    groups.push((w * d.x, w * d.y, w, cams, vec![di]));
                }
            }
        }
        for (sx, sy, sw, cameras_seen, members) in groups {
            let id = self.birth(t, sx / sw, sy / sw, 1.0 / sw, cameras_seen);
            report.born.push(id);
            for di in members {
                report.assigned.push((di, id));
            }
        }
        self.unassigned = pending;
    }

    /// Starts a tentative track at `(x, y)` with position variance `r2`.
    fn birth(&mut self, t: f64, x: f64, y: f64, r2: f64, cameras_seen: CameraSet) -> PersonId {
        let id = PersonId(self.next_id);
        self.next_id += 1;
        let v2 = self.cfg.init_speed_sigma * self.cfg.init_speed_sigma;
        let g = Gaussian::new(
            SVector::<f64, 4>::new(x, y, 0.0, 0.0),
            SMatrix::<f64, 4, 4>::from_diagonal(&SVector::<f64, 4>::new(r2, r2, v2, v2)),
        );
        let view = PersonTrack {
            id,
            x,
            y,
            vx: 0.0,
            vy: 0.0,
            pos_cov: [[r2, 0.0], [0.0, r2]],
            confirmed: false,
            last_update: t,
            t,
            born: t,
            hits: 1,
            cameras_seen,
        };
        let i = self.slots.len();
        self.slots.push(Slot {
            view,
            g,
            history: 1,
            scans: 1,
        });
        self.index.insert(id, i);
        let c = self.cell(x, y);
        self.grid.entry(c).or_default().push(i as u32);
        id
    }

    /// Deletes the younger of any two tracks closer than the merge distance (one person
    /// followed twice), keeping the older one's id and adding the cameras.
    fn merge_duplicates(&mut self, report: &mut StepReport) {
        let r = self.cfg.merge_distance_m;
        if r <= 0.0 {
            return;
        }
        let mut dead = vec![false; self.slots.len()];
        for i in 0..self.slots.len() {
            if dead[i] {
                continue;
            }
            let (xi, yi) = (self.slots[i].g.x[0], self.slots[i].g.x[1]);
            let (cx, cy) = self.cell(xi, yi);
            let mut others: Vec<usize> = Vec::new();
            for gx in cx.saturating_sub(1)..=cx.saturating_add(1) {
                for gy in cy.saturating_sub(1)..=cy.saturating_add(1) {
                    if let Some(cell) = self.grid.get(&(gx, gy)) {
                        others.extend(cell.iter().map(|&j| j as usize).filter(|&j| j > i));
                    }
                }
            }
            for j in others {
                if dead[j] {
                    continue;
                }
                let (xj, yj) = (self.slots[j].g.x[0], self.slots[j].g.x[1]);
                if (xi - xj).powi(2) + (yi - yj).powi(2) < r * r {
                    // Keep the confirmed one, else the older (slots are in birth order).
                    let (keep, drop) =
                        if self.slots[j].view.confirmed && !self.slots[i].view.confirmed {
                            (j, i)
                        } else {
                            (i, j)
                        };
                    dead[drop] = true;
                    let cams = self.slots[drop].view.cameras_seen;
                    for &c in cams.as_slice() {
                        self.slots[keep].view.cameras_seen.insert(c);
                    }
                    let from = self.slots[drop].view.id;
                    let to = self.slots[keep].view.id;
                    for a in &mut report.assigned {
                        if a.1 == from {
                            a.1 = to;
                        }
                    }
                    // A track born in this scan just vanishes; an older one is deleted.
                    if report.born.contains(&from) {
                        report.born.retain(|&b| b != from);
                    } else {
                        report.deleted.push(from);
                    }
                    if drop == i {
                        break;
                    }
                }
            }
        }
        if dead.iter().any(|&d| d) {
            let mut k = 0;
            self.slots.retain(|_| {
                k += 1;
                !dead[k - 1]
            });
            self.index.clear();
            for (i, s) in self.slots.iter().enumerate() {
                self.index.insert(s.view.id, i);
            }
            self.rebuild_grid();
        }
    }

    /// Confirmation, deletion and the public views.
    fn manage(&mut self, t: f64, report: &mut StepReport) {
        let cfg = self.cfg;
        let n = cfg.confirm_n.clamp(1, 32);
        let window = if n == 32 { u32::MAX } else { (1u32 << n) - 1 };
        for s in &mut self.slots {
            if !s.view.confirmed && (s.history & window).count_ones() >= cfg.confirm_m {
                s.view.confirmed = true;
                report.confirmed.push(s.view.id);
            }
            let g = &s.g;
            s.view.x = g.x[0];
            s.view.y = g.x[1];
            s.view.vx = g.x[2];
            s.view.vy = g.x[3];
            s.view.pos_cov = [[g.p[(0, 0)], g.p[(0, 1)]], [g.p[(1, 0)], g.p[(1, 1)]]];
        }
        let before = self.slots.len();
        self.slots.retain(|s| {
            let coast = t - s.view.last_update;
            let dead = if s.view.confirmed {
                coast > cfg.max_coast_s
            } else {
                coast > cfg.tentative_coast_s || s.scans >= n
            };
            if dead {
                report.deleted.push(s.view.id);
            }
            !dead
        });
        if self.slots.len() != before {
            self.index.clear();
            for (i, s) in self.slots.iter().enumerate() {
                self.index.insert(s.view.id, i);
            }
        }
    }
}

/// Solves the assignment of `n_dets` detections to tracks given the gated pairs
/// `(detection, track, cost)`, per connected component of the gating graph. A detection may
/// stay unassigned at `miss_cost`. Returns `(detection, track)` pairs.
fn assign_components(
    n_dets: usize,
    pairs: &[(usize, usize, f64)],
    miss_cost: f64,
) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    if pairs.is_empty() {
        return out;
    }
    // Union-find over detections, joined through shared tracks.
    let mut parent: Vec<usize> = (0..n_dets).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    let mut first_det_of_track: FxHashMap<usize, usize> = FxHashMap::default();
    for &(k, si, _) in pairs {
        let other = *first_det_of_track.entry(si).or_insert(k);
        let (a, b) = (find(&mut parent, k), find(&mut parent, other));
        if a != b {
            parent[a] = b;
        }
    }
    let mut comps: FxHashMap<usize, Vec<usize>> = FxHashMap::default();
    for (pi, &(k, _, _)) in pairs.iter().enumerate() {
        let root = find(&mut parent, k);
        comps.entry(root).or_default().push(pi);
    }
    // Deterministic order of components (by root detection).
    let mut roots: Vec<usize> = comps.keys().copied().collect();
    roots.sort_unstable();
    for root in roots {
        let comp = &comps[&root];
        if comp.len() == 1 {
            let (k, si, _) = pairs[comp[0]];
            out.push((k, si));
            continue;
        }
        let mut dets: Vec<usize> = comp.iter().map(|&pi| pairs[pi].0).collect();
        dets.sort_unstable();
        dets.dedup();
        let mut tracks: Vec<usize> = comp.iter().map(|&pi| pairs[pi].1).collect();
        tracks.sort_unstable();
        tracks.dedup();
        if dets.len().max(tracks.len()) > MAX_COMPONENT {
            // Greedy by cost.
            let mut cand: Vec<(usize, usize, f64)> = comp.iter().map(|&pi| pairs[pi]).collect();
            cand.sort_by(|a, b| a.2.total_cmp(&b.2).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
            let mut used_d = FxHashMap::default();
            let mut used_t = FxHashMap::default();
            for (k, si, _) in cand {
                if used_d.contains_key(&k) || used_t.contains_key(&si) {
                    continue;
                }
                used_d.insert(k, ());
                used_t.insert(si, ());
                out.push((k, si));
            }
            continue;
        }
        let mut cost: FxHashMap<(usize, usize), f64> = FxHashMap::default();
        for &pi in comp {
            let (k, si, c) = pairs[pi];
            let ri = dets.binary_search(&k).unwrap_or(0);
            let ci = tracks.binary_search(&si).unwrap_or(0);
            cost.insert((ri, ci), c);
        }
        // Rows are detections: each may stay unassigned (a new person) at the gate's cost.
        let a = gnn(dets.len(), tracks.len(), miss_cost, |r, c| {
            cost.get(&(r, c)).copied()
        });
        for (r, c) in a.into_iter().enumerate() {
            if let Some(c) = c {
                out.push((dets[r], tracks[c]));
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn det(camera: u16, t: f64, x: f64, y: f64) -> FloorDetection {
        FloorDetection {
            camera,
            t,
            x,
            y,
            sigma_m: 0.1,
            confidence: 0.9,
        }
    }

    #[test]
    fn one_walker_two_cameras_one_track() {
        let mut tr = PeopleTracker::new(PeopleConfig::default());
        for k in 0..30 {
            let t = f64::from(k) * 0.1;
            let x = 1.4 * t;
            let r = tr.process(t, &[det(1, t, x, 0.0), det(2, t, x + 0.05, 0.02)]);
            assert!(r.rejected.is_empty());
        }
        let tracks: Vec<_> = tr.tracks().collect();
        assert_eq!(tracks.len(), 1, "{tracks:?}");
        assert!(tracks[0].confirmed);
        assert!((tracks[0].vx - 1.4).abs() < 0.2, "{:?}", tracks[0]);
        assert_eq!(tracks[0].cameras_seen.as_slice(), &[1, 2]);
        let (p, cov) = tr.predict(tracks[0].id, 3.9).unwrap();
        assert!((p[0] - 1.4 * 3.9).abs() < 0.3 && cov[0][0] > 0.0);
    }

    #[test]
    fn camera_set_keeps_recent() {
        let mut s = CameraSet::default();
        for c in 0..10 {
            s.insert(c);
        }
        s.insert(5);
        assert_eq!(s.len(), CameraSet::CAPACITY);
        assert_eq!(s.as_slice().last(), Some(&5));
        assert!(!s.contains(0) && !s.contains(1));
    }

    #[test]
    fn out_of_order_and_invalid_are_refused() {
        let mut tr = PeopleTracker::new(PeopleConfig::default());
        tr.process(1.0, &[det(1, 1.0, 0.0, 0.0)]);
        let r = tr.process(0.5, &[det(1, 0.5, 0.0, 0.0)]);
        assert_eq!(r.rejected, vec![(0, Reject::OutOfOrder)]);
        let mut bad = det(1, 1.1, f64::NAN, 0.0);
        let r = tr.process(1.1, &[bad]);
        assert_eq!(r.rejected, vec![(0, Reject::Invalid)]);
        bad.x = 0.0;
        bad.sigma_m = 0.0;
        let r = tr.process(1.2, &[bad]);
        assert_eq!(r.rejected, vec![(0, Reject::Invalid)]);
    }

    #[test]
    fn ids_are_never_reused_and_runs_are_deterministic() {
        // A person appears, vanishes long enough to be deleted, and reappears: a new id.
        let run = || {
            let mut tr = PeopleTracker::new(PeopleConfig::default());
            let mut ids = Vec::new();
            for k in 0..80 {
                let t = f64::from(k) * 0.1;
                let dets = if (20..50).contains(&k) {
                    vec![]
                } else {
                    vec![det(1, t, 0.5 * t, 0.0), det(2, t, 5.0, 5.0 + 0.01 * t)]
                };
                let r = tr.process(t, &dets);
                ids.extend(r.born);
            }
            (ids, tr.tracks().copied().collect::<Vec<_>>())
        };
        let (ids, tracks) = run();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len());
        assert_eq!(ids.len(), 4, "{ids:?}");
        assert_eq!(run(), (ids, tracks));
    }

    #[test]
    fn a_new_person_seen_by_two_cameras_starts_one_track() {
        let mut tr = PeopleTracker::new(PeopleConfig::default());
        let r = tr.process(0.0, &[det(3, 0.0, 1.0, 1.0), det(4, 0.0, 1.1, 0.95)]);
        assert_eq!(r.born.len(), 1);
        assert_eq!(r.assigned.len(), 2);
        let t = tr.track(r.born[0]).unwrap();
        assert!((t.x - 1.05).abs() < 1e-9 && (t.y - 0.975).abs() < 1e-9);
        assert_eq!(t.cameras_seen.as_slice(), &[3, 4]);
    }
}
