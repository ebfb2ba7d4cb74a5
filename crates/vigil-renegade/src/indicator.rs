//! Indicators: the kinds, the criteria of the renegade agreement they count toward, the
//! category ladder, and the persistence state machine every indicator goes through.

use serde::{Deserialize, Serialize};
use vigil_core::{IcaoAddress, UnixTime};

use crate::view::Callsign;

/// One kind of indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    /// Mode 3/A 7500: unlawful interference.
    #[serde(rename = "squawk_7500")]
    Squawk7500,
    /// Mode 3/A 7600: radio failure.
    #[serde(rename = "squawk_7600")]
    Squawk7600,
    /// Mode 3/A 7700: emergency.
    #[serde(rename = "squawk_7700")]
    Squawk7700,
    /// ADS-B emergency / priority status "unlawful interference".
    AdsbUnlawfulInterference,
    /// Any other ADS-B emergency / priority status.
    AdsbEmergency,
    /// The SSR code differs from the one the flight plan assigns, with no amendment.
    SquawkChange,
    /// The track continues on primary radar only.
    TransponderLost,
    /// Lateral deviation from the planned corridor beyond the threshold.
    LateralDeviation,
    /// Level deviation from the planned cruise level beyond the threshold.
    LevelDeviation,
    /// A descent steeper than the threshold, above the approach altitudes.
    SteepDescent,
    /// Predicted to enter a restricted area within the look-ahead.
    TowardRestrictedArea,
    /// Predicted to reach a protected city within the look-ahead, off the planned route.
    TowardCity,
    /// Inside a restricted area.
    RestrictedAreaEntry,
    /// Loss of radio contact, reported by an operator or an ATC system.
    RadioContactLost,
    /// Does not follow ATC instructions, reported by an operator or an ATC system.
    NotFollowingAtc,
}

/// Every indicator kind, in a fixed order (the index of the per-track state arrays).
pub const ALL_KINDS: [IndicatorKind; 15] = [
    IndicatorKind::Squawk7500,
    IndicatorKind::Squawk7600,
    IndicatorKind::Squawk7700,
    IndicatorKind::AdsbUnlawfulInterference,
    IndicatorKind::AdsbEmergency,
    IndicatorKind::SquawkChange,
    IndicatorKind::TransponderLost,
    IndicatorKind::LateralDeviation,
    IndicatorKind::LevelDeviation,
    IndicatorKind::SteepDescent,
    IndicatorKind::TowardRestrictedArea,
    IndicatorKind::TowardCity,
    IndicatorKind::RestrictedAreaEntry,
    IndicatorKind::RadioContactLost,
    IndicatorKind::NotFollowingAtc,
];

/// The criteria of the renegade agreement; SUSPECTED needs two or more different ones, so two
/// indicators of the same criterion (lateral and level deviation) do not suffice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// Large deviation from the cleared route.
    RouteDeviation,
    /// Ignoring ATC instructions.
    IgnoringAtc,
    /// Unexplained loss of radio contact.
    RadioLoss,
    /// Transponder not used as instructed (code change, switched off).
    TransponderMisuse,
    /// Abnormal flight profile (steep descent, toward or into a restricted area or a city).
    AbnormalProfile,
}

impl IndicatorKind {
    /// Index into [`ALL_KINDS`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Stable name (as in the API and the audit).
    pub fn name(self) -> &'static str {
        match self {
            IndicatorKind::Squawk7500 => "squawk_7500",
            IndicatorKind::Squawk7600 => "squawk_7600",
            IndicatorKind::Squawk7700 => "squawk_7700",
            IndicatorKind::AdsbUnlawfulInterference => "adsb_unlawful_interference",
            IndicatorKind::AdsbEmergency => "adsb_emergency",
            IndicatorKind::SquawkChange => "squawk_change",
            IndicatorKind::TransponderLost => "transponder_lost",
            IndicatorKind::LateralDeviation => "lateral_deviation",
            IndicatorKind::LevelDeviation => "level_deviation",
            IndicatorKind::SteepDescent => "steep_descent",
            IndicatorKind::TowardRestrictedArea => "toward_restricted_area",
            IndicatorKind::TowardCity => "toward_city",
            IndicatorKind::RestrictedAreaEntry => "restricted_area_entry",
            IndicatorKind::RadioContactLost => "radio_contact_lost",
            IndicatorKind::NotFollowingAtc => "not_following_atc",
        }
    }

    /// The renegade criterion this indicator counts toward, if any. Emergencies (7700, ADS-B
    /// emergency) and a declared radio failure (7600) are not signs of a renegade by themselves.
    pub fn criterion(self) -> Option<Criterion> {
        match self {
            IndicatorKind::LateralDeviation | IndicatorKind::LevelDeviation => {
                Some(Criterion::RouteDeviation)
            }
            IndicatorKind::NotFollowingAtc => Some(Criterion::IgnoringAtc),
            IndicatorKind::RadioContactLost => Some(Criterion::RadioLoss),
            IndicatorKind::SquawkChange | IndicatorKind::TransponderLost => {
                Some(Criterion::TransponderMisuse)
            }
            IndicatorKind::SteepDescent
            | IndicatorKind::TowardRestrictedArea
            | IndicatorKind::TowardCity
            | IndicatorKind::RestrictedAreaEntry => Some(Criterion::AbnormalProfile),
            IndicatorKind::Squawk7500
            | IndicatorKind::Squawk7600
            | IndicatorKind::Squawk7700
            | IndicatorKind::AdsbUnlawfulInterference
            | IndicatorKind::AdsbEmergency => None,
        }
    }

    /// Whether the rule needs a correlated flight plan (and so never fires without one).
    pub fn needs_flight_plan(self) -> bool {
        matches!(
            self,
            IndicatorKind::SquawkChange
                | IndicatorKind::LateralDeviation
                | IndicatorKind::LevelDeviation
                | IndicatorKind::TowardCity
        )
    }
}

/// The renegade category ladder. The numeric order is the incident level index.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Category {
    /// Nothing to report.
    #[default]
    None = 0,
    /// Loss of radio contact, or 7600.
    Comloss = 1,
    /// Two or more criteria, or 7500 / ADS-B unlawful interference.
    Suspected = 2,
    /// Suspected and refusing to return to route: set by an operator only.
    Probable = 3,
    /// All information points to use as a weapon: set by an operator only.
    Confirmed = 4,
}

impl Category {
    /// The ladder, lowest first (the incident workflow's levels).
    pub const LADDER: [Category; 5] = [
        Category::None,
        Category::Comloss,
        Category::Suspected,
        Category::Probable,
        Category::Confirmed,
    ];

    /// Level index.
    pub fn level(self) -> usize {
        self as usize
    }

    /// From a level index.
    pub fn from_level(level: usize) -> Option<Category> {
        Category::LADDER.get(level).copied()
    }

    /// Name as on the display.
    pub fn name(self) -> &'static str {
        match self {
            Category::None => "NONE",
            Category::Comloss => "COMLOSS",
            Category::Suspected => "SUSPECTED",
            Category::Probable => "PROBABLE",
            Category::Confirmed => "CONFIRMED",
        }
    }
}

/// The category the rules compute from the active indicators (never above SUSPECTED: PROBABLE
/// and CONFIRMED need an operator).
pub fn auto_category(active: impl IntoIterator<Item = IndicatorKind>) -> Category {
    let mut criteria: [bool; 5] = [false; 5];
    let mut cat = Category::None;
    for k in active {
        match k {
            IndicatorKind::Squawk7500 | IndicatorKind::AdsbUnlawfulInterference => {
                cat = cat.max(Category::Suspected);
            }
            IndicatorKind::Squawk7600 | IndicatorKind::RadioContactLost => {
                cat = cat.max(Category::Comloss);
            }
            _ => {}
        }
        if let Some(c) = k.criterion() {
            criteria[c as usize] = true;
        }
    }
    if criteria.iter().filter(|&&b| b).count() >= 2 {
        cat = cat.max(Category::Suspected);
    }
    cat
}

/// A raised (or cleared) indicator: an alert, with its evidence and the time it started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Alert number, unique in the centre.
    pub id: u64,
    /// The track.
    pub track: u64,
    /// Callsign when known.
    pub callsign: Option<Callsign>,
    /// Mode S address when known.
    pub icao: Option<IcaoAddress>,
    /// What fired.
    pub kind: IndicatorKind,
    /// When the condition first held (before the persistence delay).
    pub started: UnixTime,
    /// When it was raised.
    pub raised: UnixTime,
    /// When it cleared, if it has.
    pub cleared: Option<UnixTime>,
    /// The measured figure behind it (deviation in NM, level difference in ft, descent rate
    /// in ft/min, seconds to the area, the code), for display.
    pub value: f64,
    /// Evidence in words.
    pub detail: String,
}

/// Persistence state of one indicator on one track. Compact (24 bytes: 15 of them per track,
/// 10,000 tracks visited each second): times as `f64` with NaN for "none", alert 0 for none.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Persist {
    /// When the condition started holding (pending or active); NaN: not holding.
    since: f64,
    /// Last time the condition held; NaN: never.
    last_true: f64,
    /// The alert when raised (alert numbers start at 1); 0: not raised.
    alert: u64,
}

impl Default for Persist {
    fn default() -> Self {
        Persist {
            since: f64::NAN,
            last_true: f64::NAN,
            alert: 0,
        }
    }
}

/// What one observation of a condition did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Nothing changed.
    None,
    /// Persisted long enough: raise now.
    Raise,
    /// Absent long enough: clear now.
    Clear,
}

impl Persist {
    /// Feeds the condition at `now`.
    pub fn step(&mut self, now: UnixTime, holds: bool, persist_s: f64, clear_s: f64) -> Step {
        let now = now.0;
        if holds {
            if self.since.is_nan() {
                self.since = now;
            }
            self.last_true = now;
            if self.alert == 0 && now - self.since >= persist_s {
                return Step::Raise;
            }
            Step::None
        } else if self.alert != 0 {
            if now - self.last_true >= clear_s {
                Step::Clear
            } else {
                Step::None
            }
        } else {
            // Pending and interrupted: start over.
            self.since = f64::NAN;
            self.last_true = f64::NAN;
            Step::None
        }
    }

    /// Whether raised.
    pub fn active(&self) -> bool {
        self.alert != 0
    }

    /// When the condition started holding.
    pub fn since(&self) -> Option<UnixTime> {
        (!self.since.is_nan()).then_some(UnixTime(self.since))
    }

    /// The raised alert.
    pub fn alert(&self) -> Option<u64> {
        (self.alert != 0).then_some(self.alert)
    }

    /// Records the raised alert (numbers start at 1).
    pub fn raised(&mut self, alert: u64) {
        self.alert = alert;
    }

    /// Forgets everything (after a clear); returns the alert that was raised.
    pub fn reset(&mut self) -> Option<u64> {
        let a = self.alert();
        *self = Persist::default();
        a
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use IndicatorKind as K;

    #[test]
    fn kinds_are_indexed_in_order_and_named_alike_everywhere() {
        for (i, k) in ALL_KINDS.iter().enumerate() {
            assert_eq!(k.index(), i, "{k:?}");
            // The JSON of the API and the evidence's name are one vocabulary.
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::Value::String(k.name().into())
            );
        }
    }

    #[test]
    fn the_ladder_from_indicators() {
        let cases: &[(&[IndicatorKind], Category)] = &[
            (&[], Category::None),
            (&[K::Squawk7700], Category::None),
            (&[K::Squawk7600], Category::Comloss),
            (&[K::RadioContactLost], Category::Comloss),
            (&[K::Squawk7500], Category::Suspected),
            (&[K::AdsbUnlawfulInterference], Category::Suspected),
            // Two indicators of one criterion are one criterion.
            (&[K::LateralDeviation, K::LevelDeviation], Category::None),
            (
                &[K::LateralDeviation, K::RadioContactLost],
                Category::Suspected,
            ),
            (
                &[K::TransponderLost, K::LateralDeviation],
                Category::Suspected,
            ),
            (&[K::SquawkChange, K::TransponderLost], Category::None),
            (&[K::NotFollowingAtc, K::SteepDescent], Category::Suspected),
            (&[K::Squawk7700, K::SteepDescent], Category::None),
            (&[K::Squawk7600, K::LateralDeviation], Category::Comloss),
        ];
        for (active, want) in cases {
            assert_eq!(auto_category(active.iter().copied()), *want, "{active:?}");
        }
    }

    #[test]
    fn persistence_raises_after_the_delay_and_clears_after_absence() {
        let mut p = Persist::default();
        let t = |s: f64| UnixTime(1_000.0 + s);
        assert_eq!(p.step(t(0.0), true, 10.0, 30.0), Step::None);
        assert_eq!(p.step(t(5.0), true, 10.0, 30.0), Step::None);
        assert_eq!(p.step(t(10.0), true, 10.0, 30.0), Step::Raise);
        p.raised(1);
        assert_eq!(p.step(t(11.0), true, 10.0, 30.0), Step::None);
        assert_eq!(p.step(t(20.0), false, 10.0, 30.0), Step::None);
        assert_eq!(p.step(t(41.0), false, 10.0, 30.0), Step::Clear);
        // A pending condition interrupted starts over.
        let mut q = Persist::default();
        q.step(t(0.0), true, 10.0, 30.0);
        q.step(t(5.0), false, 10.0, 30.0);
        assert_eq!(q.step(t(12.0), true, 10.0, 30.0), Step::None);
        assert_eq!(q.step(t(22.0), true, 10.0, 30.0), Step::Raise);
    }
}
