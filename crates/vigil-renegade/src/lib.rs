//! Renegade-aircraft detection for a coordination centre: indicators (each an alert with its
//! evidence and start time), the category ladder COMLOSS / SUSPECTED / PROBABLE / CONFIRMED of
//! the renegade agreement, flight-plan correlation and interception geometry.
//!
//! The centre calls [`RenegadeEngine::cycle`] once a second with a [`TrackView`] of every
//! track; the engine answers with the alerts raised and cleared and the category changes,
//! which the incident desk turns into incidents. PROBABLE and CONFIRMED are never computed:
//! an operator sets them.
//!
//! **Architecture invariant:** no I/O, no clock, no randomness: time comes from the caller.

#![deny(missing_docs)]

pub mod adapters;
pub mod config;
pub mod context;
pub mod desk;
pub mod engine;
pub mod geometry;
pub mod indicator;
pub mod view;

pub use config::{City, RenegadeConfig};
pub use context::{PlannedFlight, RestrictedAreas, RouteCorridor, RouteDeviation};
pub use desk::{DeskReport, RenegadeDesk};
pub use engine::{
    CategoryChange, CycleReport, EngineStats, RenegadeEngine, Report, ReportError, ReportKind,
    ReportSubject,
};
pub use indicator::{Alert, Category, Criterion, IndicatorKind, auto_category};
pub use view::{Callsign, EmergencyStatus, TrackView};
