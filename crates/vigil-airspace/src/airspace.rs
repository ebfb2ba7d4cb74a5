//! The set of volumes and the queries on it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use vigil_core::LatLon;

use crate::AirspaceError;
use crate::config::{AirspaceConfig, FirConfig, ReleaseConfig, RestrictedConfig};
use crate::geom::{BBox, Corridor, PolygonShape, Relation, Xy, boundary_near, xy};
use crate::volume::{Origin, Shape, Volume, VolumeKind};

/// Metres per nautical mile.
pub const M_PER_NM: f64 = 1852.0;

/// A FIR as plain data, before indexing: what the GeoJSON reader produces and what
/// [`Airspace::from_parts`] takes.
#[derive(Debug, Clone, PartialEq)]
pub struct FirSpec {
    /// ICAO id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The responsible party, if known here (the configuration's table fills it otherwise).
    pub party: Option<String>,
    /// Rings (outer rings and holes; even-odd rule, so several outer rings make a
    /// multipolygon).
    pub rings: Vec<Vec<LatLon>>,
    /// Lower limit, feet.
    pub lower_ft: f64,
    /// Upper limit, feet.
    pub upper_ft: f64,
}

/// A uniform grid (0.25 degree) from a position to the volumes that may contain it, in
/// ascending volume order. Each entry is a volume index, with [`FULL`] set when the volume
/// laterally covers the whole cell (then only its altitude band needs checking: most
/// queries end there, without touching the volume's own grid).
#[derive(Debug, Clone, Default)]
struct VolumeIndex {
    x0: f64,
    y0: f64,
    nx: usize,
    ny: usize,
    offsets: Vec<u32>,
    items: Vec<u32>,
}

const INDEX_CELL_DEG: f64 = 0.25;
const FULL: u32 = 1 << 31;

impl VolumeIndex {
    fn build(volumes: &[Volume], kind: VolumeKind) -> Self {
        let chosen: Vec<(usize, &Volume)> = volumes
            .iter()
            .enumerate()
            .filter(|(_, v)| v.kind == kind && v.bbox.min[0] <= v.bbox.max[0])
            .collect();
        let Some(all) = chosen
            .iter()
            .map(|(_, v)| v.bbox)
            .reduce(|a, b| a.union(&b))
        else {
            return VolumeIndex::default();
        };
        let x0 = all.min[0].floor();
        let y0 = all.min[1].floor();
        let nx = ((all.max[0] - x0) / INDEX_CELL_DEG).floor() as usize + 1;
        let ny = ((all.max[1] - y0) / INDEX_CELL_DEG).floor() as usize + 1;
        let mut lists: Vec<Vec<u32>> = vec![Vec::new(); nx * ny];
        for (i, v) in chosen {
            let b = v.bbox;
            let ix0 = ((b.min[0] - x0) / INDEX_CELL_DEG) as usize;
            let ix1 = (((b.max[0] - x0) / INDEX_CELL_DEG) as usize).min(nx - 1);
            let iy0 = ((b.min[1] - y0) / INDEX_CELL_DEG) as usize;
            let iy1 = (((b.max[1] - y0) / INDEX_CELL_DEG) as usize).min(ny - 1);
            for iy in iy0..=iy1 {
                for ix in ix0..=ix1 {
                    let cell = BBox {
                        min: [
                            x0 + ix as f64 * INDEX_CELL_DEG,
                            y0 + iy as f64 * INDEX_CELL_DEG,
                        ],
                        max: [
                            x0 + (ix + 1) as f64 * INDEX_CELL_DEG,
                            y0 + (iy + 1) as f64 * INDEX_CELL_DEG,
                        ],
                    };
                    match v.classify(&cell) {
                        Relation::Outside => {}
                        Relation::Inside => lists[iy * nx + ix].push(i as u32 | FULL),
                        Relation::Partial => lists[iy * nx + ix].push(i as u32),
                    }
                }
            }
        }
        let mut offsets = Vec::with_capacity(nx * ny + 1);
        let mut items = Vec::new();
        offsets.push(0);
        for l in lists {
            items.extend(l);
            offsets.push(items.len() as u32);
        }
        VolumeIndex {
            x0,
            y0,
            nx,
            ny,
            offsets,
            items,
        }
    }

    /// Entries (volume index, whole-cell flag) for the cell of `p`.
    #[inline]
    fn candidates(&self, p: Xy) -> impl Iterator<Item = (usize, bool)> + '_ {
        let fx = (p[0] - self.x0) / INDEX_CELL_DEG;
        let fy = (p[1] - self.y0) / INDEX_CELL_DEG;
        // Also rejects NaN.
        let slice = if fx >= 0.0 && fy >= 0.0 && fx < self.nx as f64 && fy < self.ny as f64 {
            let c = fy as usize * self.nx + fx as usize;
            match (self.offsets.get(c), self.offsets.get(c + 1)) {
                (Some(&a), Some(&b)) => self.items.get(a as usize..b as usize).unwrap_or(&[]),
                _ => &[],
            }
        } else {
            &[]
        };
        slice.iter().map(|&e| ((e & !FULL) as usize, e & FULL != 0))
    }
}

/// FIRs, restricted areas and release areas, indexed for fast point queries.
///
/// Volumes are held in one list: configured FIRs first, then data (GeoJSON) FIRs in file
/// order, then restricted areas, then release areas. Where volumes of one kind overlap (a
/// configured FIR over a GeoJSON one, or two GeoJSON FIRs whose boundaries overlap by a few
/// hundred metres), queries return the first in that order: the configuration wins.
#[derive(Debug, Clone)]
pub struct Airspace {
    volumes: Vec<Volume>,
    by_id: HashMap<String, usize>,
    firs: VolumeIndex,
    restricted: VolumeIndex,
    release: VolumeIndex,
}

fn latlon_ring(id: &str, ring: &[[f64; 2]]) -> Result<Vec<Xy>, AirspaceError> {
    ring.iter()
        .map(|&[lat, lon]| {
            if LatLon::new(lat, lon).is_valid() {
                Ok([lon, lat])
            } else {
                Err(AirspaceError::invalid(
                    id,
                    format!("bad [lat, lon] {:?}", [lat, lon]),
                ))
            }
        })
        .collect()
}

fn polygon(id: &str, rings: Vec<Vec<Xy>>) -> Result<Arc<PolygonShape>, AirspaceError> {
    PolygonShape::new(rings)
        .map(Arc::new)
        .map_err(|r| AirspaceError::invalid(id, r))
}

fn band(id: &str, lower_ft: f64, upper_ft: f64) -> Result<(f64, f64), AirspaceError> {
    if lower_ft.is_nan() || upper_ft.is_nan() || lower_ft > upper_ft {
        return Err(AirspaceError::invalid(
            id,
            format!("altitude band {lower_ft}..{upper_ft} ft"),
        ));
    }
    Ok((lower_ft, upper_ft))
}

impl Airspace {
    /// Reads the FIR GeoJSON (e.g. `eurofirs.json`) and adds the configuration.
    pub fn load(eurofirs_geojson: &Path, config: &AirspaceConfig) -> Result<Self, AirspaceError> {
        let text =
            std::fs::read_to_string(eurofirs_geojson).map_err(|source| AirspaceError::Io {
                path: eurofirs_geojson.to_path_buf(),
                source,
            })?;
        Self::from_geojson_str(&text, config)
    }

    /// As [`Airspace::load`], from the GeoJSON text.
    pub fn from_geojson_str(geojson: &str, config: &AirspaceConfig) -> Result<Self, AirspaceError> {
        Self::from_parts(crate::geojson::parse_firs(geojson)?, config)
    }

    /// Builds the airspace from base FIRs (any source; `Origin::Data`) and the configuration.
    pub fn from_parts(
        base_firs: Vec<FirSpec>,
        config: &AirspaceConfig,
    ) -> Result<Self, AirspaceError> {
        let mut volumes: Vec<Volume> = Vec::new();
        let party_of =
            |id: &str, own: Option<&String>| own.or_else(|| config.parties.get(id)).cloned();
        for f in &config.firs {
            volumes.push(Self::config_fir(f, party_of(&f.id, f.party.as_ref()))?);
        }
        let configured: Vec<String> = config.firs.iter().map(|f| f.id.clone()).collect();
        for f in base_firs {
            if configured.contains(&f.id) {
                continue; // replaced by the configuration
            }
            let mut upper = f.upper_ft;
            if let Some(min_upper) = config.raise_geojson_fir_upper_ft {
                upper = upper.max(min_upper);
            }
            let rings = f
                .rings
                .iter()
                .map(|r| r.iter().map(|&p| xy(p)).collect())
                .collect();
            let shape = Shape::Polygon(polygon(&f.id, rings)?);
            let party = party_of(&f.id, f.party.as_ref());
            let limits = band(&f.id, f.lower_ft, upper)?;
            volumes.push(Volume::new(
                f.id,
                f.name,
                VolumeKind::Fir,
                party,
                limits,
                Origin::Data,
                shape,
            ));
        }
        for r in &config.restricted {
            volumes.push(Self::restricted(r)?);
        }
        for r in &config.release {
            let v = Self::release(r, &volumes)?;
            volumes.push(v);
        }
        let mut by_id = HashMap::new();
        for (i, v) in volumes.iter().enumerate() {
            if by_id.insert(v.id.clone(), i).is_some() {
                return Err(AirspaceError::Duplicate(v.id.clone()));
            }
        }
        Ok(Airspace {
            firs: VolumeIndex::build(&volumes, VolumeKind::Fir),
            restricted: VolumeIndex::build(&volumes, VolumeKind::Restricted),
            release: VolumeIndex::build(&volumes, VolumeKind::Release),
            volumes,
            by_id,
        })
    }

    fn config_fir(f: &FirConfig, party: Option<String>) -> Result<Volume, AirspaceError> {
        let shape = Shape::Polygon(polygon(&f.id, vec![latlon_ring(&f.id, &f.polygon)?])?);
        Ok(Volume::new(
            f.id.clone(),
            f.name.clone(),
            VolumeKind::Fir,
            party,
            band(&f.id, f.lower_ft, f.upper_ft)?,
            Origin::Config,
            shape,
        ))
    }

    fn restricted(r: &RestrictedConfig) -> Result<Volume, AirspaceError> {
        let shape = match (&r.polygon, r.centre, r.radius_nm) {
            (Some(p), None, None) => Shape::Polygon(polygon(&r.id, vec![latlon_ring(&r.id, p)?])?),
            (None, Some([lat, lon]), Some(nm)) => {
                let centre = LatLon::new(lat, lon);
                if !(centre.is_valid() && nm.is_finite() && nm > 0.0) {
                    return Err(AirspaceError::invalid(&r.id, "bad circle centre or radius"));
                }
                Shape::Circle {
                    centre,
                    radius_m: nm * M_PER_NM,
                }
            }
            _ => {
                return Err(AirspaceError::invalid(
                    &r.id,
                    "give either `polygon` or both `centre` and `radius_nm`",
                ));
            }
        };
        Ok(Volume::new(
            r.id.clone(),
            r.name.clone(),
            VolumeKind::Restricted,
            r.party.clone(),
            band(&r.id, r.lower_ft, r.upper_ft)?,
            Origin::Config,
            shape,
        ))
    }

    fn release(r: &ReleaseConfig, firs: &[Volume]) -> Result<Volume, AirspaceError> {
        let shape = match (&r.polygon, &r.between, r.within_nm) {
            (Some(p), None, None) => Shape::Polygon(polygon(&r.id, vec![latlon_ring(&r.id, p)?])?),
            (None, Some([a, b]), Some(nm)) => {
                let find = |id: &String| {
                    firs.iter()
                        .find(|v| v.kind == VolumeKind::Fir && &v.id == id)
                        .and_then(Volume::polygon)
                        .cloned()
                        .ok_or_else(|| AirspaceError::UnknownFir {
                            area: r.id.clone(),
                            fir: id.clone(),
                        })
                };
                let (pa, pb) = (find(a)?, find(b)?);
                let tol_m = r.boundary_tolerance_km * 1000.0;
                if !(tol_m.is_finite() && tol_m > 0.0) {
                    return Err(AirspaceError::invalid(
                        &r.id,
                        "boundary_tolerance_km must be positive",
                    ));
                }
                let mut segs = boundary_near(&pa, &pb, tol_m);
                segs.extend(boundary_near(&pb, &pa, tol_m));
                if segs.is_empty() {
                    return Err(AirspaceError::invalid(
                        &r.id,
                        format!(
                            "{a} and {b} share no boundary within {} km",
                            r.boundary_tolerance_km
                        ),
                    ));
                }
                let corridor = Corridor::new(segs, nm * M_PER_NM)
                    .map_err(|e| AirspaceError::invalid(&r.id, e))?;
                Shape::Corridor {
                    band: corridor,
                    clip: if r.clip_to_firs {
                        vec![pa, pb]
                    } else {
                        Vec::new()
                    },
                }
            }
            _ => {
                return Err(AirspaceError::invalid(
                    &r.id,
                    "give either `polygon` or both `between` and `within_nm`",
                ));
            }
        };
        Ok(Volume::new(
            r.id.clone(),
            r.name.clone(),
            VolumeKind::Release,
            r.party.clone(),
            band(&r.id, r.lower_ft, r.upper_ft)?,
            Origin::Config,
            shape,
        ))
    }

    /// Every volume (configured FIRs, data FIRs, restricted areas, release areas).
    pub fn volumes(&self) -> &[Volume] {
        &self.volumes
    }

    /// The volume with this id.
    pub fn volume(&self, id: &str) -> Option<&Volume> {
        self.by_id.get(id).and_then(|&i| self.volumes.get(i))
    }

    /// The FIRs.
    pub fn firs(&self) -> impl Iterator<Item = &Volume> + '_ {
        self.volumes.iter().filter(|v| v.kind == VolumeKind::Fir)
    }

    /// Index in [`Airspace::volumes`] of the FIR at a position (see [`Airspace::fir_at`]).
    #[inline]
    pub(crate) fn fir_index_at(&self, pos: LatLon, alt_ft: f64) -> Option<usize> {
        self.firs
            .candidates(xy(pos))
            .find(|&(i, full)| {
                self.volumes
                    .get(i)
                    .is_some_and(|v| v.in_band(alt_ft) && (full || v.contains_lateral(pos)))
            })
            .map(|(i, _)| i)
    }

    /// The FIR containing `pos` at `alt_ft`, if any. When several contain it (a configured
    /// FIR overlapping a GeoJSON one; neighbouring GeoJSON polygons overlapping slightly),
    /// the configured one wins, then the first in file order.
    #[inline]
    pub fn fir_at(&self, pos: LatLon, alt_ft: f64) -> Option<&Volume> {
        self.fir_index_at(pos, alt_ft)
            .and_then(|i| self.volumes.get(i))
    }

    /// The party responsible at `pos` and `alt_ft`: the party of [`Airspace::fir_at`].
    pub fn party_at(&self, pos: LatLon, alt_ft: f64) -> Option<&str> {
        self.fir_at(pos, alt_ft)?.party.as_deref()
    }

    /// Every restricted area containing `pos` at `alt_ft`.
    pub fn restricted_at(&self, pos: LatLon, alt_ft: f64) -> impl Iterator<Item = &Volume> + '_ {
        self.restricted
            .candidates(xy(pos))
            .filter_map(|(i, _)| self.volumes.get(i))
            .filter(move |v| v.contains(pos, alt_ft))
    }

    /// The first release area containing `pos` at `alt_ft`, if any.
    pub fn in_release_area(&self, pos: LatLon, alt_ft: f64) -> Option<&Volume> {
        self.release
            .candidates(xy(pos))
            .filter_map(|(i, _)| self.volumes.get(i))
            .find(|v| v.contains(pos, alt_ft))
    }

    /// Unsigned lateral distance in metres from `pos` to `volume`'s edge
    /// (see [`Volume::distance_to_boundary_m`]).
    pub fn distance_to_boundary_m(&self, volume: &Volume, pos: LatLon) -> f64 {
        volume.distance_to_boundary_m(pos)
    }
}
