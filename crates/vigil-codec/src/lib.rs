//! Wire formats of surveillance receivers, and Mode S / ADS-B decoding.
//!
//! - [`framing`]: turns byte streams into frames: Beast binary, AVR raw hex, SBS BaseStation.
//! - [`modes`]: the zero-allocation fast path that decodes the fields the air picture uses,
//!   including CPR positions with per-aircraft state.
//! - [`reference`]: the `rs1090` reference decoder, for full decodes (`vigil decode`) and as
//!   the oracle that the fast path is tested against.
//!
//! **Architecture invariant:** this crate does no I/O, reads no clock and never panics on
//! outside bytes; every parser here has a fuzz target in `fuzz/`.

pub mod encode;
pub mod frame;
pub mod framing;
pub mod modes;
pub mod reference;

pub use frame::{FeedItem, ModeSFrame};
