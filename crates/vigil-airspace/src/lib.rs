//! Airspace volumes: FIRs, restricted areas and release areas as polygons with altitude
//! bands; containment and boundary-crossing queries.
//!
//! It answers the renegade-aircraft questions about place: which FIR (and so which party) is
//! responsible for an aircraft now ([`Airspace::fir_at`], [`Airspace::party_at`]) and along its
//! predicted path ([`Airspace::fir_crossings`]: when and where the path crosses into another
//! FIR, the hand-over point between two nations' fighters), whether it is in or heading for a
//! restricted area ([`Airspace::restricted_at`], [`Airspace::restricted_entries`]), and
//! whether it is in a release area, a border region whose tracks may be shared with the
//! partner ([`Airspace::in_release_area`]).
//!
//! FIRs come from a GeoJSON file (EUROCONTROL's `eurofirs.json`: 58 European FIRs, no Russian
//! ones) plus a TOML configuration ([`AirspaceConfig`]; example with Kaliningrad UMKK in
//! `data/airspace.toml`).
//!
//! **Geometry.** Positions are WGS-84 lat/lon degrees. Containment is tested in the lon/lat
//! plane (FIR polygons are densely vertexed, so straight edges in degrees are within metres
//! of the published lines); rings follow the even-odd rule, which covers holes and
//! multipolygons; Europe crosses no antimeridian and none is handled. Distances are haversine
//! (spherical, mean radius) to the nearest point found in a local flat projection: within
//! 0.5 % of the WGS-84 geodesic.
//!
//! **Speed.** Every polygon carries a uniform grid (about two cells per edge) whose cells are
//! marked inside, outside, or crossed by the boundary (with the edges crossing them, tested
//! against a reference point of known status). Above them a 0.25-degree index lists, per
//! cell, the volumes that may contain it and flags those covering the whole cell: most
//! `fir_at` calls read one index cell and one altitude band; near a boundary they read one
//! polygon cell and test a few edges. Release bands have their own grid of within / beyond /
//! near-the-edge cells, the latter holding only the segments that can matter. See
//! `benches/airspace.rs`.
//!
//! **Architecture invariant:** no clock and no I/O beyond reading the files handed to the
//! loaders; times are arguments.

mod airspace;
mod config;
mod error;
mod geojson;
mod geom;
mod path;
mod volume;

pub use airspace::{Airspace, FirSpec, M_PER_NM};
pub use config::{AirspaceConfig, FirConfig, ReleaseConfig, RestrictedConfig};
pub use error::AirspaceError;
pub use geojson::parse_firs;
pub use path::{
    CROSSING_TOLERANCE_M, Crossing, GAP_MERGE_M, PathPoint, RestrictedEntry, SAMPLE_STEP_M,
};
pub use volume::{Origin, Volume, VolumeKind};
