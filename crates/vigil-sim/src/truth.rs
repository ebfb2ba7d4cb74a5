//! What really happened in a scenario: the output of [`crate::generate`].
//!
//! Times are Unix seconds. Timelines are lists of changes in time order: the value of a
//! timeline at `t` is that of the last change at or before `t`.

use vigil_core::{IcaoAddress, LatLon};
use vigil_track::sim::Trajectory;

use crate::scenario::Emergency;

/// The truth of one scenario run.
#[derive(Debug, Clone, PartialEq)]
pub struct Truth {
    /// Scenario start, Unix seconds.
    pub start: f64,
    /// Scenario end, Unix seconds.
    pub end: f64,
    /// Exercise data: whatever is made from it must be labelled as such.
    pub exercise: bool,
    /// The scenario's seed, for the noise of whatever is made from this truth.
    pub seed: u64,
    /// Every aircraft: the scenario's flights, then the fighters, then background traffic.
    pub aircraft: Vec<SimAircraft>,
    /// ATC reports, in time order.
    pub reports: Vec<TimedReport>,
    /// Hand-overs of escorted aircraft at FIR boundaries, in time order.
    pub handovers: Vec<HandoverTruth>,
    /// Escort intervals (a fighter alongside its target), in start order.
    pub escorts: Vec<EscortTruth>,
    /// Things the operator should know (skipped background, coarse airspace...).
    pub notes: Vec<String>,
}

impl Truth {
    /// The aircraft with this callsign.
    pub fn aircraft(&self, callsign: &str) -> Option<&SimAircraft> {
        self.aircraft.iter().find(|a| a.callsign == callsign)
    }
}

/// One aircraft's truth.
#[derive(Debug, Clone, PartialEq)]
pub struct SimAircraft {
    /// Callsign (for background traffic without one, the address in hex).
    pub callsign: String,
    /// Mode S address.
    pub icao: IcaoAddress,
    /// State aircraft.
    pub military: bool,
    /// An interceptor (`[[fighter]]`).
    pub fighter: bool,
    /// Party, when the scenario says.
    pub party: Option<String>,
    /// ICAO type designator, when the scenario says.
    pub aircraft_type: Option<String>,
    /// 1 Hz positions and velocities while airborne (height is the altitude in metres).
    pub trajectory: Trajectory,
    /// Mode 3/A code changes `(t, code)`, one octal digit per nibble (`0x7500`).
    pub squawk: Vec<(f64, u16)>,
    /// ADS-B emergency status changes `(t, status)`. A squawk of 7500, 7600 or 7700 sets
    /// the matching status (and any other code clears it) as a DO-260B transponder does;
    /// explicit `emergency` events come after that at the same time.
    pub emergency: Vec<(f64, Emergency)>,
    /// Transponder-off intervals `[from, to)`; `None`: off until the end.
    pub transponder_off: Vec<(f64, Option<f64>)>,
    /// Radio-silent intervals `[from, to)` (the fact, not ATC's report of it).
    pub radio_silent: Vec<(f64, Option<f64>)>,
    /// Filed flight plan (ICAO ATS text), untouched.
    pub flight_plan: Option<String>,
    /// Replayed from a recording.
    pub background: bool,
}

fn in_intervals(iv: &[(f64, Option<f64>)], t: f64) -> bool {
    iv.iter().any(|&(a, b)| t >= a && b.is_none_or(|b| t < b))
}

fn last_at<T: Copy>(timeline: &[(f64, T)], t: f64) -> Option<T> {
    timeline
        .iter()
        .take_while(|(at, _)| *at <= t)
        .last()
        .map(|&(_, v)| v)
}

impl SimAircraft {
    /// The Mode 3/A code at `t` (`None` before the first or when the aircraft has none).
    pub fn squawk_at(&self, t: f64) -> Option<u16> {
        last_at(&self.squawk, t)
    }

    /// Whether the transponder transmits at `t`.
    pub fn transponder_on(&self, t: f64) -> bool {
        !in_intervals(&self.transponder_off, t)
    }

    /// Whether the aircraft answers ATC at `t`.
    pub fn radio_on(&self, t: f64) -> bool {
        !in_intervals(&self.radio_silent, t)
    }

    /// The ADS-B emergency status at `t`.
    pub fn emergency_at(&self, t: f64) -> Emergency {
        last_at(&self.emergency, t).unwrap_or_default()
    }

    /// The position at `t` (interpolated between the 1 Hz samples), `None` when not
    /// airborne.
    pub fn position_at(&self, t: f64) -> Option<LatLon> {
        self.trajectory.at(t).map(|p| p.pos.pos)
    }
}

/// What ATC reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReportKind {
    /// Radio contact lost.
    RadioContactLost,
    /// Radio contact restored.
    RadioContactRestored,
    /// The aircraft does not follow ATC instructions.
    NotFollowingAtc,
}

/// One ATC report about an aircraft.
#[derive(Debug, Clone, PartialEq)]
pub struct TimedReport {
    /// When the report is made (the fact plus the reporting delay), Unix seconds.
    pub t: f64,
    /// When the fact happened, Unix seconds.
    pub fact_t: f64,
    /// The aircraft's callsign.
    pub callsign: String,
    /// The aircraft's Mode S address.
    pub icao: IcaoAddress,
    /// What is reported.
    pub kind: ReportKind,
    /// Who reports (e.g. `"EPWW ACC sector"`).
    pub source: String,
}

/// A hand-over: the target crossed into `fir_to`; the escorts whose mission ended there
/// (`until_fir`) broke off and those waiting for it (`from_fir`) took over.
#[derive(Debug, Clone, PartialEq)]
pub struct HandoverTruth {
    /// When the target crossed the boundary (interpolated between samples), Unix seconds.
    pub t: f64,
    /// Where.
    pub pos: LatLon,
    /// Target altitude, feet.
    pub alt_ft: f64,
    /// The escorted aircraft's callsign.
    pub target: String,
    /// The FIR it left (`None`: outside every known FIR).
    pub fir_from: Option<String>,
    /// The FIR it entered.
    pub fir_to: String,
    /// Fighters that handed it over.
    pub from_fighters: Vec<String>,
    /// Fighters that took it over.
    pub to_fighters: Vec<String>,
}

/// A fighter flying alongside its target over `[start, end]`.
#[derive(Debug, Clone, PartialEq)]
pub struct EscortTruth {
    /// Fighter callsign.
    pub fighter: String,
    /// Target callsign.
    pub target: String,
    /// Joined, Unix seconds.
    pub start: f64,
    /// Broke off, Unix seconds.
    pub end: f64,
}
