//! Ballistic missile flight model and early-warning sensors for Vigil's missile scenarios
//! (issue 9). Truth and sensor reports only: estimation lives in `vigil-missile`.
//!
//! - [`earth`]: WGS-84 constants, point-mass and J2 gravity, the rotating-frame terms, the
//!   USSA-76 atmosphere and drag, geodesy helpers, and [`earth::Dynamics`] (gravity model ×
//!   frame × drag: the equations of motion a ballistic filter can reuse).
//! - [`integrate`]: an adaptive Dormand–Prince 5(4) integrator with relative / absolute
//!   tolerance step control, and cubic Hermite interpolation.
//! - [`kepler`]: the closed-form oracle of domain.md (spherical non-rotating Earth).
//! - [`flight`]: staged boost with a pitch programme, burnout, RV / spent stages / debris, each
//!   coasting and re-entering with its own ballistic coefficient; sampled trajectories with
//!   [`flight::Trajectory::state_at`]; [`flight::aim`] ("from A to B").
//! - [`sensors`]: early-warning radars ([`sensors::EwRadar`]: coverage, line of sight, noisy
//!   range / azimuth / elevation plots) and infrared launch detectors.
//! - [`scenario`]: TOML scenarios (`config/missile/`) run from one seed.
//!
//! **Invariant:** pure and deterministic: no I/O besides the scenario loader given a path, no
//! clock; every random draw comes from a seeded generator.

pub mod earth;
pub mod flight;
pub mod integrate;
pub mod kepler;
pub mod scenario;
pub mod sensors;
