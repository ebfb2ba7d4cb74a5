//! Boundary crossings along a predicted path.
//!
//! Each path segment is sampled every [`SAMPLE_STEP_M`] (positions and altitude interpolated
//! linearly in lat/lon/alt, which over a 10-60 s segment differs from the great circle by
//! centimetres); where the answer changes between two samples, the change is bisected until
//! the bracket is under [`CROSSING_TOLERANCE_M`] laterally and 1 ft vertically. A crossing is
//! therefore located to about a metre of where the interpolated path meets the boundary; an
//! excursion into a volume shorter than the sample step can be missed.

use serde::{Deserialize, Serialize};
use vigil_core::LatLon;

use crate::Airspace;
use crate::volume::VolumeKind;

/// Largest distance between two samples of a path segment, metres.
pub const SAMPLE_STEP_M: f64 = 500.0;

/// Lateral size of the bracket a crossing is bisected down to, metres.
pub const CROSSING_TOLERANCE_M: f64 = 1.0;

/// Gaps between two FIRs no longer than this along the path (metres) are data artefacts, not
/// airspace: FIR polygons from different sources (the GeoJSON, an approximated UMKK) leave
/// slivers of "no FIR" along shared borders. A path crossing such a sliver, `A -> none -> B`,
/// gets one crossing `A -> B` at the middle of the sliver; `A -> none -> A` gets none.
pub const GAP_MERGE_M: f64 = 2_000.0;

/// One point of a predicted path.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PathPoint {
    /// Unix seconds.
    pub t: f64,
    /// Position.
    pub pos: LatLon,
    /// Altitude, feet.
    pub alt_ft: f64,
}

impl PathPoint {
    /// A point from its parts.
    pub fn new(t: f64, pos: LatLon, alt_ft: f64) -> Self {
        Self { t, pos, alt_ft }
    }

    fn valid(&self) -> bool {
        self.t.is_finite() && self.pos.is_valid() && self.alt_ft.is_finite()
    }

    fn lerp(&self, o: &PathPoint, f: f64) -> PathPoint {
        PathPoint {
            t: self.t + f * (o.t - self.t),
            pos: LatLon::new(
                self.pos.lat + f * (o.pos.lat - self.pos.lat),
                self.pos.lon + f * (o.pos.lon - self.pos.lon),
            ),
            alt_ft: self.alt_ft + f * (o.alt_ft - self.alt_ft),
        }
    }
}

/// A FIR boundary crossing: the responsible FIR (and party) changes here. `None` is airspace
/// outside every FIR known (or above / below their limits).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Crossing {
    /// Unix seconds.
    pub t: f64,
    /// Where.
    pub pos: LatLon,
    /// Altitude, feet.
    pub alt_ft: f64,
    /// FIR id before.
    pub from: Option<String>,
    /// FIR id after.
    pub to: Option<String>,
    /// Party before.
    pub from_party: Option<String>,
    /// Party after.
    pub to_party: Option<String>,
}

/// The first entry of a path into a restricted area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestrictedEntry {
    /// Unix seconds (the first point's time when the path starts inside).
    pub t: f64,
    /// Where.
    pub pos: LatLon,
    /// Altitude, feet.
    pub alt_ft: f64,
    /// The area's id.
    pub id: String,
    /// The area's name.
    pub name: String,
    /// The path starts inside the area (no boundary crossed).
    pub inside_at_start: bool,
}

/// Calls `on_change(point, before, after)` at each change of `state` along the path, in time
/// order, until it returns false. Segments with a non-finite or out-of-range end are skipped.
fn scan<S: PartialEq + Copy>(
    path: &[PathPoint],
    state: impl Fn(&PathPoint) -> S,
    mut on_change: impl FnMut(PathPoint, S, S) -> bool,
) {
    let mut prev: Option<(PathPoint, S)> = None;
    for w in path.windows(2) {
        let (a, b) = (w[0], w[1]);
        if !(a.valid() && b.valid()) {
            prev = None;
            continue;
        }
        let (mut p0, mut s0) = match prev {
            Some((p, s)) if p == a => (p, s),
            _ => (a, state(&a)),
        };
        let len = a.pos.distance_m(&b.pos);
        let steps = ((len / SAMPLE_STEP_M).ceil() as usize).clamp(1, 100_000);
        for k in 1..=steps {
            let p1 = if k == steps {
                b
            } else {
                a.lerp(&b, k as f64 / steps as f64)
            };
            let s1 = state(&p1);
            if s1 != s0 && !refine(&state, p0, s0, p1, s1, 0, &mut on_change) {
                return;
            }
            (p0, s0) = (p1, s1);
        }
        prev = Some((p0, s0));
    }
}

/// Bisects the change from `s0` at `p0` to `s1` at `p1`; a third state met in between is
/// reported as two changes. Returns false when `on_change` asked to stop.
fn refine<S: PartialEq + Copy>(
    state: &impl Fn(&PathPoint) -> S,
    mut p0: PathPoint,
    s0: S,
    mut p1: PathPoint,
    s1: S,
    depth: u32,
    on_change: &mut impl FnMut(PathPoint, S, S) -> bool,
) -> bool {
    for _ in 0..60 {
        if p0.pos.distance_m(&p1.pos) <= CROSSING_TOLERANCE_M
            && (p1.alt_ft - p0.alt_ft).abs() <= 1.0
        {
            break;
        }
        let m = p0.lerp(&p1, 0.5);
        let sm = state(&m);
        if sm == s0 {
            p0 = m;
        } else if sm == s1 || depth >= 8 {
            p1 = m;
        } else {
            return refine(state, p0, s0, m, sm, depth + 1, on_change)
                && refine(state, m, sm, p1, s1, depth + 1, on_change);
        }
    }
    on_change(p0.lerp(&p1, 0.5), s0, s1)
}

/// Applies [`GAP_MERGE_M`]: collapses `A -> none` followed closely by `none -> B`.
fn merge_gaps(raw: Vec<Crossing>) -> Vec<Crossing> {
    let mut out: Vec<Crossing> = Vec::with_capacity(raw.len());
    let mut it = raw.into_iter().peekable();
    while let Some(c) = it.next() {
        let sliver = match it.peek() {
            Some(n) => {
                c.from.is_some()
                    && c.to.is_none()
                    && n.to.is_some()
                    && c.pos.distance_m(&n.pos) <= GAP_MERGE_M
            }
            None => false,
        };
        if !sliver {
            out.push(c);
            continue;
        }
        let Some(n) = it.next() else {
            out.push(c);
            continue;
        };
        if n.to == c.from {
            continue; // out of A and back into A across a sliver: no change
        }
        out.push(Crossing {
            t: (c.t + n.t) / 2.0,
            pos: LatLon::new((c.pos.lat + n.pos.lat) / 2.0, (c.pos.lon + n.pos.lon) / 2.0),
            alt_ft: (c.alt_ft + n.alt_ft) / 2.0,
            from: c.from,
            to: n.to,
            from_party: c.from_party,
            to_party: n.to_party,
        });
    }
    out
}

impl Airspace {
    /// Every FIR boundary crossing along `path` (time-ordered points), in time order. Where
    /// the path climbs or descends through a FIR's vertical limit, that is a crossing too.
    /// Slivers of no FIR up to [`GAP_MERGE_M`] long between two FIRs are merged away.
    pub fn fir_crossings(&self, path: &[PathPoint]) -> Vec<Crossing> {
        let mut out = Vec::new();
        let vols = self.volumes();
        let id = |s: Option<usize>| s.and_then(|i| vols.get(i)).map(|v| v.id.clone());
        let party = |s: Option<usize>| s.and_then(|i| vols.get(i)).and_then(|v| v.party.clone());
        scan(
            path,
            |p| self.fir_index_at(p.pos, p.alt_ft),
            |p, from, to| {
                out.push(Crossing {
                    t: p.t,
                    pos: p.pos,
                    alt_ft: p.alt_ft,
                    from: id(from),
                    to: id(to),
                    from_party: party(from),
                    to_party: party(to),
                });
                true
            },
        );
        merge_gaps(out)
    }

    /// The first entry into each restricted area along `path`, in time order.
    pub fn restricted_entries(&self, path: &[PathPoint]) -> Vec<RestrictedEntry> {
        let mut out = Vec::new();
        let Some(first) = path.iter().find(|p| p.valid()) else {
            return out;
        };
        let mut lower = f64::INFINITY;
        let mut upper = f64::NEG_INFINITY;
        let (mut lat0, mut lat1, mut lon0, mut lon1) = (90.0f64, -90.0f64, 180.0f64, -180.0f64);
        for p in path.iter().filter(|p| p.valid()) {
            lower = lower.min(p.alt_ft);
            upper = upper.max(p.alt_ft);
            lat0 = lat0.min(p.pos.lat);
            lat1 = lat1.max(p.pos.lat);
            lon0 = lon0.min(p.pos.lon);
            lon1 = lon1.max(p.pos.lon);
        }
        for v in self
            .volumes()
            .iter()
            .filter(|v| v.kind == VolumeKind::Restricted)
        {
            let (sw, ne) = v.bounds();
            if v.upper_ft < lower
                || v.lower_ft > upper
                || sw.lat > lat1
                || ne.lat < lat0
                || sw.lon > lon1
                || ne.lon < lon0
            {
                continue;
            }
            let entry = |p: PathPoint, inside_at_start| RestrictedEntry {
                t: p.t,
                pos: p.pos,
                alt_ft: p.alt_ft,
                id: v.id.clone(),
                name: v.name.clone(),
                inside_at_start,
            };
            if v.contains(first.pos, first.alt_ft) {
                out.push(entry(*first, true));
                continue;
            }
            scan(
                path,
                |p| v.contains(p.pos, p.alt_ft),
                |p, _, inside| {
                    if inside {
                        out.push(entry(p, false));
                    }
                    !inside
                },
            );
        }
        out.sort_by(|a, b| a.t.total_cmp(&b.t));
        out
    }
}
