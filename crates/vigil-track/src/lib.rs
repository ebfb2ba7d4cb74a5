//! Vigil estimation and tracking, domain-neutral: geodesy and the local tracking frame,
//! Kalman / extended Kalman / IMM filters, chi-square gating, global-nearest-neighbour
//! association with an optimal assignment solver, track management (M-of-N initiation,
//! confirmation, coasting, deletion, quality, lineage), covariance-intersection fusion of
//! partner tracks, and the OSPA / GOSPA and SIAP metrics ([`siap`]).
//!
//! The air domain feeds it [`vigil_core::Observation`]s; the missile and station domains will
//! reuse the same filters with their own motion models ([`models::MotionModel`]).
//!
//! **Architecture invariant:** synchronous and deterministic. Time comes only from the
//! observations; no I/O, no clock, no randomness (the simulator behind the `sim` feature takes
//! a seed). Filters work on fixed-size matrices and never allocate; bad input is refused with
//! a counted reason and never poisons a track (covariances stay symmetric positive definite).

#![deny(missing_docs)]

pub mod adsb;
pub mod assign;
pub mod chi2;
pub mod filter;
pub mod fusion;
pub mod geo;
pub mod imm;
pub mod measurement;
pub mod metrics;
pub mod models;
pub mod siap;
#[cfg(feature = "sim")]
pub mod sim;
pub mod track;
pub mod tracker;
pub mod ukf;

pub use filter::{FilterError, Gaussian, Innovation};
pub use geo::LocalFrame;
pub use imm::{Imm, ImmState};
pub use track::{PartyId, Track, TrackId, TrackIdentity, TrackQuality, TrackStatus};
pub use tracker::{
    Batch, BatchReport, ConfigError, Coverage, Reject, SensorKind, SensorSpec, Tracker,
    TrackerConfig, TrackerStats,
};
