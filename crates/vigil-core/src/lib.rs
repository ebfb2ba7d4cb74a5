//! Domain types shared by every Vigil crate: identifiers, time and the injected clock,
//! positions.
//!
//! **Architecture invariant:** this crate does no I/O and never reads the wall clock except
//! through [`time::SystemClock`], which only binaries construct.

pub mod geo;
pub mod ids;
pub mod observation;
pub mod time;

pub use geo::LatLon;
pub use ids::{IcaoAddress, ParseIcaoError, SensorId};
pub use observation::{Geodetic, Identity, Measurement, Observation, VelocityEnu, Vertical};
pub use time::{Clock, ManualClock, ScaledClock, SystemClock, UnixTime};
