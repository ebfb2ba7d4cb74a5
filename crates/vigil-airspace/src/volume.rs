//! Airspace volumes: a lateral shape with an altitude band.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use vigil_core::LatLon;

use crate::geom::{BBox, Corridor, PolygonShape, Relation, latlon, xy};

/// What a volume is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum VolumeKind {
    /// A flight information region: tells which party is responsible.
    Fir,
    /// A restricted, prohibited or danger area.
    Restricted,
    /// A border region whose tracks may be shared with the partner.
    Release,
}

/// Where a volume was defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Origin {
    /// From the FIR GeoJSON (or the base FIRs given to `Airspace::from_parts`).
    Data,
    /// From the airspace configuration.
    Config,
}

/// The lateral shape of a volume.
#[derive(Debug, Clone)]
pub(crate) enum Shape {
    /// Polygon rings (outer rings and holes, even-odd rule), shared with release areas that
    /// clip to it.
    Polygon(Arc<PolygonShape>),
    /// A circle: haversine distance from the centre within the radius.
    Circle { centre: LatLon, radius_m: f64 },
    /// The band within a distance of a polyline, optionally clipped to polygons.
    Corridor {
        band: Corridor,
        clip: Vec<Arc<PolygonShape>>,
    },
}

/// One airspace volume: a lateral shape between two altitudes.
#[derive(Debug, Clone)]
pub struct Volume {
    /// Identifier (ICAO id for FIRs, designator for restricted areas).
    pub id: String,
    /// Display name.
    pub name: String,
    /// What the volume is for.
    pub kind: VolumeKind,
    /// The responsible party, e.g. `"NATO/PL"`, when known.
    pub party: Option<String>,
    /// Lower limit, feet (inclusive).
    pub lower_ft: f64,
    /// Upper limit, feet (inclusive).
    pub upper_ft: f64,
    /// Where it was defined.
    pub origin: Origin,
    pub(crate) shape: Shape,
    pub(crate) bbox: BBox,
}

impl Volume {
    pub(crate) fn new(
        id: String,
        name: String,
        kind: VolumeKind,
        party: Option<String>,
        (lower_ft, upper_ft): (f64, f64),
        origin: Origin,
        shape: Shape,
    ) -> Self {
        let bbox = match &shape {
            Shape::Polygon(p) => p.bbox(),
            Shape::Circle { centre, radius_m } => {
                let c = xy(*centre);
                BBox { min: c, max: c }.grown_m(*radius_m)
            }
            Shape::Corridor { band, clip } => {
                let mut b = band.bbox();
                if !clip.is_empty() {
                    let mut cb = BBox::empty();
                    for p in clip {
                        cb = cb.union(&p.bbox());
                    }
                    b = BBox {
                        min: [b.min[0].max(cb.min[0]), b.min[1].max(cb.min[1])],
                        max: [b.max[0].min(cb.max[0]), b.max[1].min(cb.max[1])],
                    };
                }
                b
            }
        };
        Volume {
            id,
            name,
            kind,
            party,
            lower_ft,
            upper_ft,
            origin,
            shape,
            bbox,
        }
    }

    /// Whether `pos` at `alt_ft` is inside: laterally inside and `lower_ft <= alt_ft <=
    /// upper_ft`. False for non-finite input.
    #[inline]
    pub fn contains(&self, pos: LatLon, alt_ft: f64) -> bool {
        self.in_band(alt_ft) && self.contains_lateral(pos)
    }

    /// Whether `alt_ft` is within the altitude band (inclusive both ends).
    #[inline]
    pub fn in_band(&self, alt_ft: f64) -> bool {
        alt_ft >= self.lower_ft && alt_ft <= self.upper_ft
    }

    /// Whether `pos` is inside the lateral shape, at any altitude (for tracks without a
    /// usable altitude).
    #[inline]
    pub fn contains_lateral(&self, pos: LatLon) -> bool {
        let p = xy(pos);
        if !self.bbox.contains(p) {
            return false;
        }
        match &self.shape {
            Shape::Polygon(s) => s.contains(p),
            Shape::Circle { centre, radius_m } => centre.distance_m(&pos) <= *radius_m,
            Shape::Corridor { band, clip } => {
                band.contains(pos) && (clip.is_empty() || clip.iter().any(|c| c.contains(p)))
            }
        }
    }

    /// Unsigned lateral distance in metres from `pos` to the volume's edge, inside or out
    /// (use [`Volume::contains_lateral`] for the side). Polygons: to the nearest edge of any
    /// ring, every edge measured (tens of microseconds for the largest FIRs: not for
    /// per-track hot loops). Circles: `|d - r|`. Release bands: to the band's edge
    /// (`|d - half width|`), ignoring the clip to the FIRs. Accuracy: see the notes on
    /// distances in the crate documentation (within 0.5 %).
    pub fn distance_to_boundary_m(&self, pos: LatLon) -> f64 {
        match &self.shape {
            Shape::Polygon(s) => s.boundary_distance_m(pos),
            Shape::Circle { centre, radius_m } => (centre.distance_m(&pos) - radius_m).abs(),
            Shape::Corridor { band, .. } => {
                (band.distance_to_line_m(pos) - band.half_width_m()).abs()
            }
        }
    }

    /// How a lon/lat box relates to the lateral shape (conservative: `Partial` unless sure).
    pub(crate) fn classify(&self, b: &BBox) -> Relation {
        if !self.bbox.intersects(b) {
            return Relation::Outside;
        }
        match &self.shape {
            Shape::Polygon(p) => p.classify(b),
            _ => Relation::Partial,
        }
    }

    /// South-west and north-east corners of the lateral bounding box.
    pub fn bounds(&self) -> (LatLon, LatLon) {
        (latlon(self.bbox.min), latlon(self.bbox.max))
    }

    /// The polygon rings as `[lat, lon]` lists, for display; empty for circles and bands.
    pub fn rings(&self) -> Vec<Vec<LatLon>> {
        match &self.shape {
            Shape::Polygon(s) => s
                .rings()
                .iter()
                .map(|r| r.iter().map(|&p| latlon(p)).collect())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// For a release band built from a shared boundary: the boundary pieces, as
    /// `(start, end)` pairs. Empty for other shapes.
    pub fn band_segments(&self) -> Vec<(LatLon, LatLon)> {
        match &self.shape {
            Shape::Corridor { band, .. } => band
                .segments()
                .iter()
                .map(|&(a, b)| (latlon(a), latlon(b)))
                .collect(),
            _ => Vec::new(),
        }
    }

    pub(crate) fn polygon(&self) -> Option<&Arc<PolygonShape>> {
        match &self.shape {
            Shape::Polygon(p) => Some(p),
            _ => None,
        }
    }

    /// Brute-force containment (every edge), for tests and cross-checks.
    #[doc(hidden)]
    pub fn contains_brute_force(&self, pos: LatLon, alt_ft: f64) -> bool {
        if !self.in_band(alt_ft) {
            return false;
        }
        match &self.shape {
            Shape::Polygon(s) => s.contains_brute(xy(pos)),
            _ => self.contains_lateral(pos),
        }
    }
}
