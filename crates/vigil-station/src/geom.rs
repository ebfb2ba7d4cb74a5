//! Plane geometry in station metres: points as `[x, y]`, segments, polygons.
//!
//! Points are plain `[f64; 2]` arrays so that configs write them as `[12.5, 3.0]` and the
//! types cross crate boundaries without conversions.

/// A point on the station floor, `[x east, y north]` in metres.
pub type Point = [f64; 2];

/// Difference `a - b`.
pub fn sub(a: Point, b: Point) -> Point {
    [a[0] - b[0], a[1] - b[1]]
}

/// Sum `a + b`.
pub fn add(a: Point, b: Point) -> Point {
    [a[0] + b[0], a[1] + b[1]]
}

/// `a * s`.
pub fn scale(a: Point, s: f64) -> Point {
    [a[0] * s, a[1] * s]
}

/// Dot product.
pub fn dot(a: Point, b: Point) -> f64 {
    a[0] * b[0] + a[1] * b[1]
}

/// 2-D cross product (z of the 3-D cross product).
pub fn cross(a: Point, b: Point) -> f64 {
    a[0] * b[1] - a[1] * b[0]
}

/// Euclidean length. A plain square root rather than `hypot`: station coordinates never
/// come near overflow, and `hypot` was 40 % of a crowd step.
pub fn norm(a: Point) -> f64 {
    (a[0] * a[0] + a[1] * a[1]).sqrt()
}

/// Distance between two points.
pub fn dist(a: Point, b: Point) -> f64 {
    norm(sub(a, b))
}

/// A straight segment between two points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    /// First end.
    pub a: Point,
    /// Second end.
    pub b: Point,
}

impl Segment {
    /// The segment from `a` to `b`.
    pub fn new(a: Point, b: Point) -> Self {
        Self { a, b }
    }

    /// Length in metres.
    pub fn length(&self) -> f64 {
        dist(self.a, self.b)
    }

    /// The point at parameter `s` in `[0, 1]` along the segment.
    pub fn at(&self, s: f64) -> Point {
        add(self.a, scale(sub(self.b, self.a), s))
    }

    /// The closest point of the segment to `p`.
    pub fn closest(&self, p: Point) -> Point {
        let d = sub(self.b, self.a);
        let l2 = dot(d, d);
        if l2 <= 0.0 {
            return self.a;
        }
        let s = (dot(sub(p, self.a), d) / l2).clamp(0.0, 1.0);
        self.at(s)
    }

    /// Distance from `p` to the segment.
    pub fn distance(&self, p: Point) -> f64 {
        dist(p, self.closest(p))
    }

    /// Whether the two segments properly cross or touch (collinear overlaps count).
    pub fn intersects(&self, o: &Segment) -> bool {
        segments_intersect(self.a, self.b, o.a, o.b)
    }
}

fn orient(a: Point, b: Point, c: Point) -> f64 {
    cross(sub(b, a), sub(c, a))
}

fn on_segment(a: Point, b: Point, p: Point) -> bool {
    p[0] >= a[0].min(b[0]) - 1e-12
        && p[0] <= a[0].max(b[0]) + 1e-12
        && p[1] >= a[1].min(b[1]) - 1e-12
        && p[1] <= a[1].max(b[1]) + 1e-12
}

/// Whether segment `p1 p2` and segment `q1 q2` share a point.
pub fn segments_intersect(p1: Point, p2: Point, q1: Point, q2: Point) -> bool {
    let d1 = orient(q1, q2, p1);
    let d2 = orient(q1, q2, p2);
    let d3 = orient(p1, p2, q1);
    let d4 = orient(p1, p2, q2);
    if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0))
        && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
    {
        return true;
    }
    (d1 == 0.0 && on_segment(q1, q2, p1))
        || (d2 == 0.0 && on_segment(q1, q2, p2))
        || (d3 == 0.0 && on_segment(p1, p2, q1))
        || (d4 == 0.0 && on_segment(p1, p2, q2))
}

/// A simple polygon (vertices in order, closed implicitly).
#[derive(Debug, Clone, PartialEq)]
pub struct Polygon {
    /// Vertices, at least three, not repeated at the end.
    pub vertices: Vec<Point>,
}

impl Polygon {
    /// The polygon through `vertices` (a repeated closing vertex is dropped).
    pub fn new(mut vertices: Vec<Point>) -> Self {
        if vertices.len() > 1 && vertices.first() == vertices.last() {
            vertices.pop();
        }
        Self { vertices }
    }

    /// The edges, the last one closing the ring.
    pub fn edges(&self) -> impl Iterator<Item = Segment> + '_ {
        let n = self.vertices.len();
        (0..n).map(move |i| Segment::new(self.vertices[i], self.vertices[(i + 1) % n]))
    }

    /// Signed area (positive when counter-clockwise).
    pub fn signed_area(&self) -> f64 {
        self.edges().map(|e| cross(e.a, e.b)).sum::<f64>() / 2.0
    }

    /// Area in square metres.
    pub fn area(&self) -> f64 {
        self.signed_area().abs()
    }

    /// Centroid of the area.
    pub fn centroid(&self) -> Point {
        let a = self.signed_area();
        if a.abs() < 1e-12 {
            let n = self.vertices.len().max(1) as f64;
            let s = self.vertices.iter().fold([0.0, 0.0], |acc, v| add(acc, *v));
            return scale(s, 1.0 / n);
        }
        let (mut cx, mut cy) = (0.0, 0.0);
        for e in self.edges() {
            let c = cross(e.a, e.b);
            cx += (e.a[0] + e.b[0]) * c;
            cy += (e.a[1] + e.b[1]) * c;
        }
        [cx / (6.0 * a), cy / (6.0 * a)]
    }

    /// Axis-aligned bounds `(min, max)`.
    pub fn bounds(&self) -> (Point, Point) {
        let mut lo = [f64::INFINITY; 2];
        let mut hi = [f64::NEG_INFINITY; 2];
        for v in &self.vertices {
            lo = [lo[0].min(v[0]), lo[1].min(v[1])];
            hi = [hi[0].max(v[0]), hi[1].max(v[1])];
        }
        (lo, hi)
    }

    /// Whether `p` is inside (points on the boundary count as inside).
    pub fn contains(&self, p: Point) -> bool {
        if self.edges().any(|e| e.distance(p) < 1e-9) {
            return true;
        }
        // Even-odd ray casting towards +x.
        let mut inside = false;
        for e in self.edges() {
            let (a, b) = (e.a, e.b);
            if (a[1] > p[1]) != (b[1] > p[1]) {
                let x = a[0] + (p[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0]);
                if p[0] < x {
                    inside = !inside;
                }
            }
        }
        inside
    }

    /// The first pair of non-adjacent edges that cross, if any (a simple polygon has none).
    pub fn self_intersection(&self) -> Option<(usize, usize)> {
        let edges: Vec<Segment> = self.edges().collect();
        let n = edges.len();
        for i in 0..n {
            for j in i + 1..n {
                let adjacent = j == i + 1 || (i == 0 && j == n - 1);
                if adjacent {
                    continue;
                }
                if edges[i].intersects(&edges[j]) {
                    return Some((i, j));
                }
            }
        }
        None
    }
}

/// The overlap of two collinear segments, if they lie on one line (within `tol` metres) and
/// share a stretch longer than `tol`.
pub fn collinear_overlap(s: &Segment, o: &Segment, tol: f64) -> Option<Segment> {
    let len = s.length();
    if len < tol {
        return None;
    }
    let d = scale(sub(s.b, s.a), 1.0 / len);
    // Both ends of `o` must lie on the line of `s`.
    let off = |p: Point| cross(d, sub(p, s.a)).abs();
    if off(o.a) > tol || off(o.b) > tol {
        return None;
    }
    let ta = dot(sub(o.a, s.a), d);
    let tb = dot(sub(o.b, s.a), d);
    let lo = ta.min(tb).max(0.0);
    let hi = ta.max(tb).min(len);
    if hi - lo <= tol {
        return None;
    }
    Some(Segment::new(add(s.a, scale(d, lo)), add(s.a, scale(d, hi))))
}
