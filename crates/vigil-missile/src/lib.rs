//! Vigil missile early warning: ballistic tracking of early-warning radar plots, impact and
//! launch point prediction with their uncertainty, the threatened cities, track-to-track
//! fusion between two parties, and interceptor engagement advice.
//!
//! - [`dynamics`]: the state `[r; v; κ = 1000/β]` in ECEF, the equations of motion
//!   (`vigil_ballistic::earth`: J2 gravity, rotating frame, atmosphere and drag) and their
//!   RK4 integration, to a time or to the ground.
//! - [`radar`]: sites, coverage, range / azimuth / elevation plots and their own noise
//!   (`PlotNoise`); the geometry is `vigil_ballistic::sensors`' (one implementation).
//! - [`filter`]: the ballistic unscented filter (`vigil_track::ukf`) and its initiation from
//!   three plots.
//! - [`tracker`]: one party's multi-object tracker (gating, clustered global nearest
//!   neighbour, M-of-N, deletion, prediction budget).
//! - [`impact`]: impact and launch points with 95 % ellipses and times; launch points fused
//!   with an infrared warning's area.
//! - [`threat`]: cities in the ellipse, the threatened party and country (territory
//!   polygons: the impact point's country and every country the ellipse touches).
//! - [`fusion`]: the joint data fusion centre (χ² track-to-track association with a global
//!   assignment and pairs kept across cycles, covariance intersection of the two parties'
//!   latest tracks, stable joint ids).
//! - [`planning`]: engagement windows, sectoral versus coordinated independent defence,
//!   pre-planned responses. **Advice only.**
//! - [`report`]: serialisable rows for the UI.
//!
//! **Invariants:** synchronous and deterministic (time comes from the plots; no I/O, no
//! clock, no randomness outside the `sim` feature's seeded generator); a refused filter step
//! leaves the track as it was; nothing commands an interceptor.

#![deny(missing_docs)]

pub mod dynamics;
pub mod filter;
pub mod fusion;
pub mod impact;
pub mod planning;
pub mod radar;
pub mod report;
#[cfg(feature = "sim")]
pub mod sim;
pub mod threat;
pub mod tracker;
