//! The metro-station domain of Vigil (STANDEX, issue 10): the station model, its cameras and
//! stand-off sensors, and a seeded crowd simulator that produces ground truth and camera
//! detections.
//!
//! - [`station`]: zones (polygons in local metres, x east, y north), walls, flows between
//!   adjacent zones, the openings (portals) between zones, routing, validation with typed
//!   errors; [`Site::load`] reads a whole station file (`config/stations/example.toml`).
//! - [`camera`]: pinhole pose, floor homography (from the pose, a given matrix, or a DLT
//!   from point pairs), person boxes, simulated detections.
//! - [`sensor`]: stand-off sensor specifications (type, cone, ranges, dwell, pd, pfa,
//!   always-on or cascade-activated) and coverage; readings and fusion are `vigil-standex`'s.
//! - [`sim`]: the crowd simulator (Poisson arrivals, social force, Weidmann speeds and
//!   fundamental diagram, trains, carriers).
//!
//! **Architecture invariant:** no clock and no I/O besides loading a config file; every
//! random draw comes from a generator seeded by the scenario, so a run is reproducible.

pub mod camera;
pub mod geom;
pub mod sensor;
pub mod sim;
pub mod station;

pub use camera::{Camera, CameraDetection, CameraSpec, DetectionModel, PointPair, homography_dlt};
pub use geom::{Point, Polygon, Segment};
pub use sensor::{BodyLocation, SensorDefaults, SensorKind, SensorSpec, StandoffSensor};
pub use sim::{
    Carried, CarrierConfig, Crowd, Departure, PersonTruth, ScenarioConfig, SimId, weidmann_factor,
};
pub use station::{
    Flow, FlowKind, Portal, Route, Site, SiteConfig, Station, StationError, Zone, ZoneIndex,
    ZoneKind,
};
