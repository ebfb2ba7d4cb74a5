//! ICAO ATS flight-plan messages (FPL, CHG, DLA, CNL, DEP, ARR), navigation data and route
//! expansion into a 4D corridor: what the renegade engine compares radar tracks against.
//!
//! - [`ats`]: Doc 4444 message parsing ([`parse_messages`], [`FlightPlan`], [`AtsMessage`])
//!   and the [`FlightPlanBook`] that applies them in order and finds the plans a track could
//!   be flying (by callsign, SSR code, 24-bit address and time).
//! - [`navdata`]: fixes, navaids, airways and airports from the X-Plane text files and an
//!   `airports.json` ([`NavData`]); idents are ambiguous worldwide, so lookups take a position.
//! - [`route`]: field 15 expanded over the navigation data into named points ([`expand`]),
//!   and the [`Corridor`]: planned level and time along the route, and the cross-track /
//!   along-track position of a track against it.
//!
//! **Invariant:** pure and deterministic like the rest of the hot path: no clock (times such
//! as the reference day for EOBT are arguments), no I/O outside [`NavData::load_dir`], and the
//! message parsers never panic on any input (proptest and the `ats` fuzz target).

pub mod ats;
pub mod navdata;
pub mod route;

pub use ats::{
    AtsMessage, FlightKey, FlightPlan, FlightPlanBook, ParseError, parse_message, parse_messages,
};
pub use navdata::{NavData, NavDataError};
pub use route::{Corridor, Deviation, ExpandedRoute, RouteError, RouteWarning, expand};
