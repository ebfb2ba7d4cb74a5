//! Planar geometry in the longitude / latitude plane, and distances on the sphere.
//!
//! Containment is decided in the lon/lat plane (edges are straight lines in degrees). That is
//! acceptable for FIRs: the published polygons are densely vertexed (EPWW has 8,180 vertices,
//! most edges a few hundred metres long), so the difference between a straight lon/lat edge and
//! the geodesic or rhumb line the AIP means is metres. Long edges (oceanic boundaries of
//! hundreds of km) may differ by up to a few km from the geodesic; Europe crosses no
//! antimeridian, so no wrapping is handled.
//!
//! Distances use a local equirectangular projection around the query point only to find the
//! nearest point of each segment; the distance itself is the haversine distance to that point
//! (spherical Earth, mean radius): within 0.5 % of the WGS-84 geodesic, and the nearest point
//! found on a segment is off by a second-order amount (well under 0.1 % for segments up to a
//! few hundred km at European latitudes).

use vigil_core::LatLon;

/// A point in the lon/lat plane: `[lon, lat]` in degrees (GeoJSON order).
pub(crate) type Xy = [f64; 2];

/// Metres per degree of latitude on the mean sphere.
pub(crate) const M_PER_DEG: f64 = LatLon::EARTH_RADIUS_M * std::f64::consts::PI / 180.0;

/// An axis-aligned box in the lon/lat plane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct BBox {
    pub min: Xy,
    pub max: Xy,
}

impl BBox {
    /// The empty box: adding a point makes it that point.
    pub fn empty() -> Self {
        Self {
            min: [f64::INFINITY, f64::INFINITY],
            max: [f64::NEG_INFINITY, f64::NEG_INFINITY],
        }
    }

    pub fn add(&mut self, p: Xy) {
        self.min[0] = self.min[0].min(p[0]);
        self.min[1] = self.min[1].min(p[1]);
        self.max[0] = self.max[0].max(p[0]);
        self.max[1] = self.max[1].max(p[1]);
    }

    pub fn union(&self, o: &BBox) -> BBox {
        let mut b = *self;
        b.add(o.min);
        b.add(o.max);
        b
    }

    /// Closed containment; false for NaN coordinates.
    #[inline]
    pub fn contains(&self, p: Xy) -> bool {
        p[0] >= self.min[0] && p[0] <= self.max[0] && p[1] >= self.min[1] && p[1] <= self.max[1]
    }

    pub fn intersects(&self, o: &BBox) -> bool {
        self.min[0] <= o.max[0]
            && o.min[0] <= self.max[0]
            && self.min[1] <= o.max[1]
            && o.min[1] <= self.max[1]
    }

    /// Grown by `m` metres on every side (longitude margin taken at the box's most poleward
    /// latitude, so the result is never too small).
    pub fn grown_m(&self, m: f64) -> BBox {
        let dlat = m / M_PER_DEG;
        let lat = (self.min[1].abs().max(self.max[1].abs()) + dlat).min(89.0);
        let dlon = (dlat / lat.to_radians().cos()).min(360.0);
        BBox {
            min: [self.min[0] - dlon, self.min[1] - dlat],
            max: [self.max[0] + dlon, self.max[1] + dlat],
        }
    }

    pub fn of_segment(a: Xy, b: Xy) -> BBox {
        let mut bb = BBox::empty();
        bb.add(a);
        bb.add(b);
        bb
    }
}

#[inline]
pub(crate) fn xy(p: LatLon) -> Xy {
    [p.lon, p.lat]
}

#[inline]
pub(crate) fn latlon(p: Xy) -> LatLon {
    LatLon::new(p[1], p[0])
}

/// Twice the signed area of triangle `a b c`: positive when `c` is left of `a -> b`.
#[inline]
fn orient(a: Xy, b: Xy, c: Xy) -> f64 {
    (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
}

/// Even-odd crossing-number test over all rings (outer rings and holes alike, so holes and
/// multipolygons with disjoint parts need no special case). O(edges): the reference the grid
/// is built from and checked against.
pub(crate) fn rings_contain(rings: &[Vec<Xy>], p: Xy) -> bool {
    let mut inside = false;
    for ring in rings {
        let n = ring.len();
        let mut j = n.wrapping_sub(1);
        for i in 0..n {
            let (a, b) = (ring[i], ring[j]);
            // Half-open rule on latitude: a vertex exactly at p's latitude counts once.
            if (a[1] > p[1]) != (b[1] > p[1]) {
                let x = a[0] + (p[1] - a[1]) * (b[0] - a[0]) / (b[1] - a[1]);
                if p[0] < x {
                    inside = !inside;
                }
            }
            j = i;
        }
    }
    inside
}

/// Whether segment `a b` meets the closed rectangle `r` (exact up to rounding; callers grow
/// `r` by a small margin so rounding can only add edges to a cell, never drop one).
fn segment_meets_box(a: Xy, b: Xy, r: &BBox) -> bool {
    if !BBox::of_segment(a, b).intersects(r) {
        return false;
    }
    let corners = [r.min, [r.max[0], r.min[1]], r.max, [r.min[0], r.max[1]]];
    let mut pos = false;
    let mut neg = false;
    for c in corners {
        let o = orient(a, b, c);
        pos |= o >= 0.0;
        neg |= o <= 0.0;
    }
    pos && neg
}

/// A straight edge in the lon/lat plane.
#[derive(Debug, Clone, Copy)]
struct Edge {
    a: Xy,
    b: Xy,
}

/// Whether edge `e` crosses segment `p r`, counting a vertex lying exactly on line `p r` on
/// one side only (the half-open rule of the crossing-number test, turned to the direction of
/// `p r`), so the parity of the count is exact for closed rings.
#[inline]
fn crosses(p: Xy, r: Xy, e: &Edge) -> bool {
    let sa = orient(p, r, e.a) > 0.0;
    let sb = orient(p, r, e.b) > 0.0;
    if sa == sb {
        return false;
    }
    (orient(e.a, e.b, p) > 0.0) != (orient(e.a, e.b, r) > 0.0)
}

/// How a box relates to a shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Relation {
    Outside,
    Inside,
    Partial,
}

/// Grid cell states in [`PolygonShape`]: `OUT`, `IN`, or `MIXED_BASE + k` for `mixed[k]`.
const OUT: u32 = 0;
const IN: u32 = 1;
const MIXED_BASE: u32 = 2;

/// A grid cell the boundary passes through: a reference point whose status is known and the
/// edges that meet the cell. The segment from a query point to the reference point stays in
/// the cell, so only those edges can cross it.
#[derive(Debug, Clone, Copy)]
struct Mixed {
    r: Xy,
    r_inside: bool,
    start: u32,
    len: u32,
}

/// A polygon (any number of rings, even-odd rule) with a uniform grid over its bounding box.
///
/// Cells wholly inside or outside answer at once; a cell the boundary crosses holds its edges
/// and a reference point. Typical cost per query: one bounds check and one array read, a few
/// edge tests near the boundary.
#[derive(Debug, Clone)]
pub(crate) struct PolygonShape {
    rings: Vec<Vec<Xy>>,
    bbox: BBox,
    x0: f64,
    y0: f64,
    dx: f64,
    dy: f64,
    nx: usize,
    ny: usize,
    cells: Vec<u32>,
    mixed: Vec<Mixed>,
    edges: Vec<Edge>,
}

impl PolygonShape {
    /// Builds the shape from rings of `[lon, lat]`; a repeated closing vertex and repeated
    /// consecutive vertices are dropped.
    pub fn new(rings: Vec<Vec<Xy>>) -> Result<Self, String> {
        let mut clean = Vec::with_capacity(rings.len());
        let mut bbox = BBox::empty();
        for ring in rings {
            let mut r: Vec<Xy> = Vec::with_capacity(ring.len());
            for p in ring {
                if !(p[0].is_finite() && p[1].is_finite()) {
                    return Err(format!("non-finite vertex {p:?}"));
                }
                if !(-180.0..=180.0).contains(&p[0]) || !(-90.0..=90.0).contains(&p[1]) {
                    return Err(format!("vertex out of range (lon, lat) {p:?}"));
                }
                if r.last() != Some(&p) {
                    r.push(p);
                }
            }
            while r.len() > 1 && r.first() == r.last() {
                r.pop();
            }
            if r.len() < 3 {
                return Err(format!("ring with {} distinct vertices (needs 3)", r.len()));
            }
            for &p in &r {
                bbox.add(p);
            }
            clean.push(r);
        }
        if clean.is_empty() {
            return Err("no rings".into());
        }
        let w = bbox.max[0] - bbox.min[0];
        let h = bbox.max[1] - bbox.min[1];
        if w <= 0.0 || h <= 0.0 {
            return Err("polygon has no area".into());
        }
        let n_edges: usize = clean.iter().map(Vec::len).sum();
        // About two cells per edge: most cells are then wholly in or out, and a boundary cell
        // holds a handful of edges. Capped at 64k cells (256 kB) per polygon.
        let target = (2 * n_edges).clamp(64, 1 << 16) as f64;
        let side = (w * h / target).sqrt();
        let nx = ((w / side).ceil() as usize).clamp(1, 2048);
        let ny = ((h / side).ceil() as usize).clamp(1, 2048);
        let mut s = PolygonShape {
            rings: clean,
            bbox,
            x0: bbox.min[0],
            y0: bbox.min[1],
            dx: w / nx as f64,
            dy: h / ny as f64,
            nx,
            ny,
            cells: vec![OUT; nx * ny],
            mixed: Vec::new(),
            edges: Vec::new(),
        };
        s.build_grid();
        Ok(s)
    }

    fn cell_box(&self, ix: usize, iy: usize) -> BBox {
        let x = self.x0 + ix as f64 * self.dx;
        let y = self.y0 + iy as f64 * self.dy;
        BBox {
            min: [x, y],
            max: [x + self.dx, y + self.dy],
        }
    }

    fn col(&self, x: f64) -> usize {
        (((x - self.x0) / self.dx).floor().max(0.0) as usize).min(self.nx - 1)
    }

    fn row(&self, y: f64) -> usize {
        (((y - self.y0) / self.dy).floor().max(0.0) as usize).min(self.ny - 1)
    }

    fn build_grid(&mut self) {
        // Margin so that rounding in the query's cell arithmetic can never put a point in a
        // cell whose edge list misses an edge near it.
        let ex = self.dx * 1e-6;
        let ey = self.dy * 1e-6;
        let mut pairs: Vec<(u32, Edge)> = Vec::new();
        for ring in &self.rings {
            let n = ring.len();
            for i in 0..n {
                let e = Edge {
                    a: ring[i],
                    b: ring[(i + 1) % n],
                };
                let bb = BBox::of_segment(e.a, e.b);
                for iy in self.row(bb.min[1] - ey)..=self.row(bb.max[1] + ey) {
                    for ix in self.col(bb.min[0] - ex)..=self.col(bb.max[0] + ex) {
                        let mut r = self.cell_box(ix, iy);
                        r.min = [r.min[0] - ex, r.min[1] - ey];
                        r.max = [r.max[0] + ex, r.max[1] + ey];
                        if segment_meets_box(e.a, e.b, &r) {
                            pairs.push(((iy * self.nx + ix) as u32, e));
                        }
                    }
                }
            }
        }
        pairs.sort_by_key(|(c, _)| *c);
        // Per cell: the range of its edges in `pairs`.
        let mut ranges: Vec<(u32, u32)> = vec![(0, 0); self.nx * self.ny];
        let mut i = 0;
        while i < pairs.len() {
            let c = pairs[i].0;
            let start = i;
            while i < pairs.len() && pairs[i].0 == c {
                i += 1;
            }
            ranges[c as usize] = (start as u32, (i - start) as u32);
        }
        self.edges = pairs.iter().map(|(_, e)| *e).collect();

        let mut xs: Vec<f64> = Vec::new();
        for iy in 0..self.ny {
            let yc = self.y0 + (iy as f64 + 0.5) * self.dy;
            // Crossings of the row's centre line, with the same half-open rule as
            // `rings_contain`: a point on the line is inside iff an odd number lie left of it.
            xs.clear();
            for ring in &self.rings {
                let n = ring.len();
                for k in 0..n {
                    let (a, b) = (ring[k], ring[(k + 1) % n]);
                    if (a[1] > yc) != (b[1] > yc) {
                        xs.push(a[0] + (yc - a[1]) * (b[0] - a[0]) / (b[1] - a[1]));
                    }
                }
            }
            xs.sort_by(f64::total_cmp);
            for ix in 0..self.nx {
                let c = iy * self.nx + ix;
                let (start, len) = ranges[c];
                let xc = self.x0 + (ix as f64 + 0.5) * self.dx;
                if len == 0 {
                    let left = xs.partition_point(|&x| x < xc);
                    self.cells[c] = if left % 2 == 1 { IN } else { OUT };
                    continue;
                }
                let cell_edges = &self.edges[start as usize..(start + len) as usize];
                let r = self.reference_point(ix, iy, cell_edges);
                let r_inside = if r == [xc, yc] {
                    xs.partition_point(|&x| x < xc) % 2 == 1
                } else {
                    rings_contain(&self.rings, r)
                };
                self.cells[c] = MIXED_BASE + self.mixed.len() as u32;
                self.mixed.push(Mixed {
                    r,
                    r_inside,
                    start,
                    len,
                });
            }
        }
    }

    /// A point of the cell well away from every edge meeting it (the centre unless an edge
    /// passes within a millionth of the cell size), so its status is unambiguous.
    fn reference_point(&self, ix: usize, iy: usize, edges: &[Edge]) -> Xy {
        const FRACTIONS: [(f64, f64); 9] = [
            (0.5, 0.5),
            (0.25, 0.25),
            (0.75, 0.75),
            (0.25, 0.75),
            (0.75, 0.25),
            (0.4, 0.6),
            (0.6, 0.4),
            (0.1, 0.9),
            (0.9, 0.1),
        ];
        let b = self.cell_box(ix, iy);
        let scale = self.dx.min(self.dy);
        let mut best = (f64::NEG_INFINITY, [0.0, 0.0]);
        for (fx, fy) in FRACTIONS {
            let p = [b.min[0] + fx * self.dx, b.min[1] + fy * self.dy];
            if fx == 0.5 {
                // Keep the exact centre so the row crossings apply to it.
                let c = [
                    self.x0 + (ix as f64 + 0.5) * self.dx,
                    self.y0 + (iy as f64 + 0.5) * self.dy,
                ];
                let d = edges
                    .iter()
                    .map(|e| planar_seg_dist(c, e.a, e.b))
                    .fold(f64::INFINITY, f64::min);
                if d > scale * 1e-6 {
                    return c;
                }
                best = (d, c);
                continue;
            }
            let d = edges
                .iter()
                .map(|e| planar_seg_dist(p, e.a, e.b))
                .fold(f64::INFINITY, f64::min);
            if d > scale * 1e-6 {
                return p;
            }
            if d > best.0 {
                best = (d, p);
            }
        }
        best.1
    }

    /// Whether `p` (`[lon, lat]`) is inside.
    #[inline]
    pub fn contains(&self, p: Xy) -> bool {
        if !self.bbox.contains(p) {
            return false;
        }
        let ix = (((p[0] - self.x0) / self.dx) as usize).min(self.nx - 1);
        let iy = (((p[1] - self.y0) / self.dy) as usize).min(self.ny - 1);
        match self.cells.get(iy * self.nx + ix).copied().unwrap_or(OUT) {
            OUT => false,
            IN => true,
            k => {
                let Some(m) = self.mixed.get((k - MIXED_BASE) as usize) else {
                    return false;
                };
                let edges = self
                    .edges
                    .get(m.start as usize..(m.start + m.len) as usize)
                    .unwrap_or(&[]);
                let mut inside = m.r_inside;
                for e in edges {
                    if crosses(p, m.r, e) {
                        inside = !inside;
                    }
                }
                inside
            }
        }
    }

    /// How the closed box `b` relates to the polygon, conservatively: `Inside` or `Outside`
    /// only when every grid cell meeting `b` is wholly so.
    pub fn classify(&self, b: &BBox) -> Relation {
        if !self.bbox.intersects(b) {
            return Relation::Outside;
        }
        let inside_bbox = self.bbox.contains(b.min) && self.bbox.contains(b.max);
        let (mut any_in, mut any_out) = (false, !inside_bbox);
        for iy in self.row(b.min[1])..=self.row(b.max[1]) {
            for ix in self.col(b.min[0])..=self.col(b.max[0]) {
                match self.cells[iy * self.nx + ix] {
                    IN => any_in = true,
                    OUT => any_out = true,
                    _ => return Relation::Partial,
                }
                if any_in && any_out {
                    return Relation::Partial;
                }
            }
        }
        if any_in {
            Relation::Inside
        } else {
            Relation::Outside
        }
    }

    /// The brute-force answer (every edge), for tests.
    pub fn contains_brute(&self, p: Xy) -> bool {
        self.bbox.contains(p) && rings_contain(&self.rings, p)
    }

    pub fn bbox(&self) -> BBox {
        self.bbox
    }

    pub fn rings(&self) -> &[Vec<Xy>] {
        &self.rings
    }

    /// Every edge of every ring.
    pub fn edges(&self) -> impl Iterator<Item = (Xy, Xy)> + '_ {
        self.rings.iter().flat_map(|r| {
            let n = r.len();
            (0..n).map(move |i| (r[i], r[(i + 1) % n]))
        })
    }

    /// Distance in metres from `p` to the nearest edge (see the module notes on accuracy).
    pub fn boundary_distance_m(&self, p: LatLon) -> f64 {
        let segs: Vec<(Xy, Xy)> = self.edges().collect();
        min_distance_m(p, &segs)
    }
}

/// Distance in the plane from `p` to segment `a b` (degrees; for picking reference points).
fn planar_seg_dist(p: Xy, a: Xy, b: Xy) -> f64 {
    let d = [b[0] - a[0], b[1] - a[1]];
    let l2 = d[0] * d[0] + d[1] * d[1];
    let t = if l2 > 0.0 {
        (((p[0] - a[0]) * d[0] + (p[1] - a[1]) * d[1]) / l2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    ((p[0] - a[0] - t * d[0]).powi(2) + (p[1] - a[1] - t * d[1]).powi(2)).sqrt()
}

/// Nearest point of segment `a b` to `p` in the local equirectangular projection around `p`,
/// as the segment parameter and the projected distance squared (in degrees of latitude).
#[inline]
fn nearest_on_segment(p: Xy, kx: f64, a: Xy, b: Xy) -> (f64, f64) {
    let ax = (a[0] - p[0]) * kx;
    let ay = a[1] - p[1];
    let dx = (b[0] - a[0]) * kx;
    let dy = b[1] - a[1];
    let l2 = dx * dx + dy * dy;
    let t = if l2 > 0.0 {
        (-(ax * dx + ay * dy) / l2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let x = ax + t * dx;
    let y = ay + t * dy;
    (t, x * x + y * y)
}

/// Distance in metres from `p` to the nearest of `segs` (`[lon, lat]` ends); infinity when
/// there are none. Segments are ranked in the local projection, then the few nearest are
/// measured with haversine to their nearest point.
pub(crate) fn min_distance_m(p: LatLon, segs: &[(Xy, Xy)]) -> f64 {
    let q = xy(p);
    let kx = p.lat.to_radians().cos();
    let mut best = f64::INFINITY;
    for &(a, b) in segs {
        best = best.min(nearest_on_segment(q, kx, a, b).1);
    }
    if !best.is_finite() {
        return f64::INFINITY;
    }
    // The projection's scale error is a few percent at most at a few hundred km: measure
    // every segment within 10 % (and 10 m) of the best projected distance.
    let limit = (best.sqrt() * 1.1 + 10.0 / M_PER_DEG).powi(2);
    let mut out = f64::INFINITY;
    for &(a, b) in segs {
        let (t, d2) = nearest_on_segment(q, kx, a, b);
        if d2 <= limit {
            let n = LatLon::new(a[1] + t * (b[1] - a[1]), a[0] + t * (b[0] - a[0]));
            out = out.min(p.distance_m(&n));
        }
    }
    out
}

/// The parts of `a`'s boundary within `tol_m` of `b`'s boundary, as pieces no longer than
/// `tol_m / 4` (long edges are cut so that only their near part is kept). Pieces are kept when
/// their midpoint is within `tol_m`, so the result may run up to `tol_m / 8` beyond the
/// exact near part.
pub(crate) fn boundary_near(a: &PolygonShape, b: &PolygonShape, tol_m: f64) -> Vec<(Xy, Xy)> {
    let reach = b.bbox().grown_m(tol_m);
    let a_box = a.bbox().grown_m(tol_m);
    let b_edges: Vec<(Xy, Xy)> = b
        .edges()
        .filter(|&(p, q)| BBox::of_segment(p, q).intersects(&a_box))
        .collect();
    let piece_m = tol_m / 4.0;
    let mut out = Vec::new();
    for (p, q) in a.edges() {
        if !BBox::of_segment(p, q).intersects(&reach) {
            continue;
        }
        let len = latlon(p).distance_m(&latlon(q));
        let n = ((len / piece_m).ceil() as usize).clamp(1, 100_000);
        for k in 0..n {
            let f0 = k as f64 / n as f64;
            let f1 = (k + 1) as f64 / n as f64;
            let u = [p[0] + f0 * (q[0] - p[0]), p[1] + f0 * (q[1] - p[1])];
            let v = [p[0] + f1 * (q[0] - p[0]), p[1] + f1 * (q[1] - p[1])];
            let mid = LatLon::new((u[1] + v[1]) / 2.0, (u[0] + v[0]) / 2.0);
            if min_distance_m(mid, &b_edges) <= tol_m {
                out.push((u, v));
            }
        }
    }
    out
}

/// Points within a distance of a set of segments (a buffer around a polyline), with a grid
/// over its bounding box classifying cells as wholly within, wholly beyond, or mixed (mixed
/// cells measure every segment).
#[derive(Debug, Clone)]
pub(crate) struct Corridor {
    segs: Vec<(Xy, Xy)>,
    half_width_m: f64,
    bbox: BBox,
    x0: f64,
    y0: f64,
    dx: f64,
    dy: f64,
    nx: usize,
    ny: usize,
    /// `C_OUT`, `C_IN`, or `C_MIXED + k`: mixed cell `k`, whose candidate segments are
    /// `cand[ranges[k].0 .. ranges[k].1]`.
    cells: Vec<u32>,
    ranges: Vec<(u32, u32)>,
    cand: Vec<(Xy, Xy)>,
}

const C_OUT: u32 = 0;
const C_IN: u32 = 1;
const C_MIXED: u32 = 2;

impl Corridor {
    pub fn new(segs: Vec<(Xy, Xy)>, half_width_m: f64) -> Result<Self, String> {
        if segs.is_empty() {
            return Err("no boundary segments".into());
        }
        if !(half_width_m.is_finite() && half_width_m > 0.0) {
            return Err(format!("width must be positive, got {half_width_m} m"));
        }
        let mut core = BBox::empty();
        for &(a, b) in &segs {
            core.add(a);
            core.add(b);
        }
        let bbox = core.grown_m(half_width_m);
        let w = bbox.max[0] - bbox.min[0];
        let h = bbox.max[1] - bbox.min[1];
        // Cells about a twentieth of the width across (at most 128 x 128).
        let side = (half_width_m / M_PER_DEG / 20.0).max(w.max(h) / 128.0);
        let nx = ((w / side).ceil() as usize).clamp(1, 128);
        let ny = ((h / side).ceil() as usize).clamp(1, 128);
        let mut c = Corridor {
            segs,
            half_width_m,
            bbox,
            x0: bbox.min[0],
            y0: bbox.min[1],
            dx: w / nx as f64,
            dy: h / ny as f64,
            nx,
            ny,
            cells: vec![C_OUT; nx * ny],
            ranges: Vec::new(),
            cand: Vec::new(),
        };
        for iy in 0..ny {
            for ix in 0..nx {
                let x = c.x0 + ix as f64 * c.dx;
                let y = c.y0 + iy as f64 * c.dy;
                let centre = LatLon::new(y + c.dy / 2.0, x + c.dx / 2.0);
                let half_diag = [[x, y], [x + c.dx, y], [x, y + c.dy], [x + c.dx, y + c.dy]]
                    .iter()
                    .map(|&k| centre.distance_m(&latlon(k)))
                    .fold(0.0, f64::max)
                    * 1.02;
                let d = min_distance_m(centre, &c.segs);
                c.cells[iy * nx + ix] = if d + half_diag < half_width_m {
                    C_IN
                } else if d - half_diag > half_width_m {
                    C_OUT
                } else {
                    // Only segments within `half width + half diagonal` of the centre can be
                    // within the half width of a point of the cell (the projected distance is
                    // given a 10 % and 100 m allowance for its scale error).
                    let reach = (half_width_m + half_diag) * 1.1 + 100.0;
                    let q = xy(centre);
                    let kx = centre.lat.to_radians().cos();
                    let start = c.cand.len() as u32;
                    for &(a, b) in &c.segs {
                        if nearest_on_segment(q, kx, a, b).1.sqrt() * M_PER_DEG <= reach {
                            c.cand.push((a, b));
                        }
                    }
                    c.ranges.push((start, c.cand.len() as u32));
                    C_MIXED + c.ranges.len() as u32 - 1
                };
            }
        }
        Ok(c)
    }

    pub fn contains(&self, p: LatLon) -> bool {
        let q = xy(p);
        if !self.bbox.contains(q) {
            return false;
        }
        let ix = (((q[0] - self.x0) / self.dx) as usize).min(self.nx - 1);
        let iy = (((q[1] - self.y0) / self.dy) as usize).min(self.ny - 1);
        match self.cells.get(iy * self.nx + ix).copied().unwrap_or(C_OUT) {
            C_IN => true,
            C_OUT => false,
            k => {
                let Some(&(a, b)) = self.ranges.get((k - C_MIXED) as usize) else {
                    return false;
                };
                let segs = self.cand.get(a as usize..b as usize).unwrap_or(&[]);
                min_distance_m(p, segs) <= self.half_width_m
            }
        }
    }

    /// Distance from `p` to the nearest segment.
    pub fn distance_to_line_m(&self, p: LatLon) -> f64 {
        min_distance_m(p, &self.segs)
    }

    pub fn half_width_m(&self) -> f64 {
        self.half_width_m
    }

    pub fn bbox(&self) -> BBox {
        self.bbox
    }

    pub fn segments(&self) -> &[(Xy, Xy)] {
        &self.segs
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn square_with_hole() -> PolygonShape {
        PolygonShape::new(vec![
            vec![
                [0.0, 0.0],
                [10.0, 0.0],
                [10.0, 10.0],
                [0.0, 10.0],
                [0.0, 0.0],
            ],
            vec![[4.0, 4.0], [6.0, 4.0], [6.0, 6.0], [4.0, 6.0]],
            // A disjoint second part (multipolygon as rings under even-odd).
            vec![[20.0, 0.0], [22.0, 0.0], [21.0, 2.0]],
        ])
        .unwrap()
    }

    #[test]
    fn holes_and_parts() {
        let s = square_with_hole();
        for (p, want) in [
            ([1.0, 1.0], true),
            ([5.0, 5.0], false),
            ([3.9, 5.0], true),
            ([21.0, 1.0], true),
            ([15.0, 1.0], false),
            ([-1.0, 1.0], false),
            ([f64::NAN, 1.0], false),
        ] {
            assert_eq!(s.contains(p), want, "{p:?}");
            assert_eq!(s.contains_brute(p), want, "{p:?}");
        }
    }

    #[test]
    fn rejects_degenerate_rings() {
        assert!(PolygonShape::new(vec![vec![[0.0, 0.0], [1.0, 1.0], [0.0, 0.0]]]).is_err());
        assert!(PolygonShape::new(vec![]).is_err());
        assert!(PolygonShape::new(vec![vec![[0.0, 0.0], [1.0, f64::NAN], [2.0, 0.0]]]).is_err());
    }

    #[test]
    fn distance_to_a_meridian_edge() {
        let s = PolygonShape::new(vec![vec![
            [20.0, 50.0],
            [21.0, 50.0],
            [21.0, 51.0],
            [20.0, 51.0],
        ]])
        .unwrap();
        // 0.1 degree of longitude east of the west edge at 50.5 N.
        let p = LatLon::new(50.5, 20.1);
        let want = p.distance_m(&LatLon::new(50.5, 20.0));
        let got = s.boundary_distance_m(p);
        assert!((got - want).abs() < 1.0, "{got} vs {want}");
    }

    proptest! {
        /// The grid agrees with the crossing-number test on a jagged star with a hole.
        #[test]
        fn grid_matches_brute_force(x in -1.2f64..1.2, y in -1.2f64..1.2) {
            let n = 97;
            let outer: Vec<Xy> = (0..n)
                .map(|i| {
                    let a = i as f64 / n as f64 * std::f64::consts::TAU;
                    let r = if i % 2 == 0 { 1.0 } else { 0.55 + 0.3 * ((i * 7 % 5) as f64 / 5.0) };
                    [r * a.cos(), r * a.sin()]
                })
                .collect();
            let hole = vec![[-0.1, -0.1], [0.1, -0.1], [0.0, 0.15]];
            let s = PolygonShape::new(vec![outer, hole]).unwrap();
            prop_assert_eq!(s.contains([x, y]), s.contains_brute([x, y]));
        }
    }
}
