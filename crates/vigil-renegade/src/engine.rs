//! The rule engine: one call per cycle with every track's view; indicators raised and
//! cleared with persistence, the automatic category of each track, reports from operators
//! and ATC systems, and flight-plan correlation.
//!
//! **Invariant:** deterministic and clock-free: time comes from the caller (`now`) and the
//! views, so a replay gives the same alerts at the same times. Nothing allocates per track in
//! a quiet cycle: a string is built only when an alert is raised.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use vigil_core::{IcaoAddress, LatLon, UnixTime};

use crate::config::RenegadeConfig;
use crate::context::{Flat, NM, PlannedFlight, RestrictedAreas, point_segment};
use crate::indicator::{ALL_KINDS, Alert, Category, IndicatorKind, Persist, Step, auto_category};
use crate::view::{Callsign, EmergencyStatus, TrackView, squawk_str};

/// Shortest time between the two velocities a turn rate is measured from, seconds.
const TURN_BASELINE_S: f64 = 8.0;

/// Turn rates below this are taken as straight flight, degrees per second: noise, or a
/// correction too small to matter over the prediction.
const TURN_DEADBAND_DPS: f64 = 0.3;

/// Seconds between two sweeps for tracks to forget.
const SWEEP_EVERY_S: f64 = 5.0;

/// How many cleared alerts the engine remembers for display.
const CLEARED_HISTORY: usize = 1_000;

/// The aircraft a report is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportSubject {
    /// A system track number.
    Track(u64),
    /// A callsign.
    Callsign(String),
    /// A Mode S address (hex).
    Icao(IcaoAddress),
}

/// What an operator or an ATC system reports (voice is not in the data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// Radio contact lost.
    RadioContactLost,
    /// Radio contact restored.
    RadioContactRestored,
    /// Does not follow ATC instructions.
    NotFollowingAtc,
    /// Follows ATC instructions again.
    FollowingAtc,
}

/// A report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// About whom.
    pub subject: ReportSubject,
    /// What.
    pub kind: ReportKind,
    /// Who reports: a user name or an ATC system's name.
    pub source: String,
    /// Free text.
    #[serde(default)]
    pub remark: Option<String>,
}

/// A report that could not be applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReportError {
    /// No live track matches the subject.
    #[error("no live track matches {0:?}; check the callsign, address or track number")]
    UnknownSubject(ReportSubject),
    /// Several live tracks match.
    #[error("{0:?} matches several live tracks; report by track number")]
    Ambiguous(ReportSubject),
}

/// A change of a track's automatic category.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CategoryChange {
    /// The track.
    pub track: u64,
    /// Before.
    pub from: Category,
    /// After.
    pub to: Category,
    /// When.
    pub at: UnixTime,
}

/// What one cycle changed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CycleReport {
    /// Alerts raised.
    pub raised: Vec<Alert>,
    /// Alerts cleared.
    pub cleared: Vec<Alert>,
    /// Category changes.
    pub categories: Vec<CategoryChange>,
    /// Tracks forgotten (not seen for `forget_after_s`).
    pub forgotten: Vec<u64>,
}

/// Counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct EngineStats {
    /// Cycles run.
    pub cycles: u64,
    /// Track views evaluated.
    pub views: u64,
    /// Views refused (non-finite position, time going backwards for the track).
    pub refused: u64,
    /// Alerts raised.
    pub raised: u64,
    /// Alerts cleared.
    pub cleared: u64,
    /// Reports applied.
    pub reports: u64,
    /// Tracks correlated with a flight plan (now).
    pub correlated: u64,
}

#[derive(Debug, Clone)]
struct TrackState {
    last_seen: UnixTime,
    persist: [Persist; ALL_KINDS.len()],
    plan: Option<usize>,
    correlated_at: Option<UnixTime>,
    category: Category,
    callsign: Option<Callsign>,
    icao: Option<IcaoAddress>,
    radio_lost: Option<(UnixTime, String)>,
    not_following: Option<(UnixTime, String)>,
    /// Last velocity (east, north) and its time, for the turn rate.
    course: Option<(UnixTime, [f64; 2])>,
    /// Smoothed turn rate, degrees per second (positive right).
    turn_dps: f64,
}

impl TrackState {
    fn new(now: UnixTime) -> Self {
        TrackState {
            last_seen: now,
            persist: [Persist::default(); ALL_KINDS.len()],
            plan: None,
            correlated_at: None,
            category: Category::None,
            callsign: None,
            icao: None,
            radio_lost: None,
            not_following: None,
            course: None,
            turn_dps: 0.0,
        }
    }
}

/// The renegade rule engine.
pub struct RenegadeEngine {
    config: RenegadeConfig,
    plans: Vec<PlannedFlight>,
    plans_by_callsign: FxHashMap<Callsign, Vec<usize>>,
    plans_by_icao: FxHashMap<IcaoAddress, Vec<usize>>,
    plans_by_ssr: FxHashMap<u16, Vec<usize>>,
    restricted: Option<Arc<dyn RestrictedAreas>>,
    /// Boxed: the map stays small (ids and pointers) and probing it stays in cache; the
    /// states themselves sit in creation order, as the tracker hands tracks over.
    tracks: FxHashMap<u64, Box<TrackState>>,
    alerts: BTreeMap<u64, Alert>,
    cleared: VecDeque<Alert>,
    next_alert: u64,
    stats: EngineStats,
    /// Tracks with a plan among those evaluated this cycle.
    correlated_now: u64,
    /// Last sweep for forgotten tracks.
    last_sweep: Option<UnixTime>,
}

/// Condition of one indicator at one cycle: whether it holds and the figure behind it.
#[derive(Clone, Copy)]
struct Cond {
    holds: bool,
    value: f64,
}

const NO: Cond = Cond {
    holds: false,
    value: 0.0,
};

fn yes(value: f64) -> Cond {
    Cond { holds: true, value }
}

impl RenegadeEngine {
    /// An engine with these settings (checked).
    pub fn new(config: RenegadeConfig) -> Result<Self, crate::config::ConfigError> {
        config.validate()?;
        Ok(RenegadeEngine {
            config,
            plans: Vec::new(),
            plans_by_callsign: FxHashMap::default(),
            plans_by_icao: FxHashMap::default(),
            plans_by_ssr: FxHashMap::default(),
            restricted: None,
            tracks: FxHashMap::default(),
            alerts: BTreeMap::new(),
            cleared: VecDeque::new(),
            next_alert: 1,
            stats: EngineStats::default(),
            correlated_now: 0,
            last_sweep: None,
        })
    }

    /// The settings.
    pub fn config(&self) -> &RenegadeConfig {
        &self.config
    }

    /// Sets the restricted areas.
    pub fn set_restricted_areas(&mut self, areas: Arc<dyn RestrictedAreas>) {
        self.restricted = Some(areas);
    }

    /// Replaces the flight plans (cancelled and closed plans left out by the caller). Track
    /// correlations are redone at the next cycle.
    pub fn set_plans(&mut self, plans: Vec<PlannedFlight>) {
        self.plans_by_callsign.clear();
        self.plans_by_icao.clear();
        self.plans_by_ssr.clear();
        for (i, p) in plans.iter().enumerate() {
            if let Some(c) = p.callsign {
                self.plans_by_callsign.entry(c).or_default().push(i);
            }
            if let Some(a) = p.icao {
                self.plans_by_icao.entry(a).or_default().push(i);
            }
            if let Some(s) = p.ssr {
                self.plans_by_ssr.entry(s).or_default().push(i);
            }
        }
        self.plans = plans;
        for t in self.tracks.values_mut() {
            t.plan = None;
            t.correlated_at = None;
        }
    }

    /// The flight plans.
    pub fn plans(&self) -> &[PlannedFlight] {
        &self.plans
    }

    /// The plan correlated with a track.
    pub fn plan_of(&self, track: u64) -> Option<&PlannedFlight> {
        let i = self.tracks.get(&track)?.plan?;
        self.plans.get(i)
    }

    /// Counters.
    pub fn stats(&self) -> &EngineStats {
        &self.stats
    }

    /// The active alerts, oldest first.
    pub fn active_alerts(&self) -> impl Iterator<Item = &Alert> {
        self.alerts.values()
    }

    /// Recently cleared alerts, oldest first.
    pub fn cleared_alerts(&self) -> impl DoubleEndedIterator<Item = &Alert> {
        self.cleared.iter()
    }

    /// A track's active alerts.
    pub fn alerts_of(&self, track: u64) -> impl Iterator<Item = &Alert> {
        self.alerts.values().filter(move |a| a.track == track)
    }

    /// A track's smoothed turn rate, degrees per second (positive right).
    pub fn turn_rate(&self, track: u64) -> f64 {
        let r = self.tracks.get(&track).map_or(0.0, |t| t.turn_dps);
        if r.abs() < TURN_DEADBAND_DPS { 0.0 } else { r }
    }

    /// A track's automatic category.
    pub fn category(&self, track: u64) -> Category {
        self.tracks
            .get(&track)
            .map_or(Category::None, |t| t.category)
    }

    /// Applies a report from an operator or an ATC system. It takes effect at the next cycle
    /// (reports raise their indicator at once: no persistence).
    pub fn report(&mut self, now: UnixTime, report: &Report) -> Result<u64, ReportError> {
        let id = self.resolve(&report.subject)?;
        let Some(t) = self.tracks.get_mut(&id) else {
            return Err(ReportError::UnknownSubject(report.subject.clone()));
        };
        // The remark travels with the source into the alert's evidence.
        let who = match &report.remark {
            Some(r) if !r.trim().is_empty() => format!("{} ({})", report.source, r.trim()),
            _ => report.source.clone(),
        };
        match report.kind {
            ReportKind::RadioContactLost => {
                t.radio_lost.get_or_insert((now, who));
            }
            ReportKind::RadioContactRestored => t.radio_lost = None,
            ReportKind::NotFollowingAtc => {
                t.not_following.get_or_insert((now, who));
            }
            ReportKind::FollowingAtc => t.not_following = None,
        }
        self.stats.reports += 1;
        Ok(id)
    }

    fn resolve(&self, subject: &ReportSubject) -> Result<u64, ReportError> {
        let matches: Vec<u64> = match subject {
            ReportSubject::Track(id) => {
                return if self.tracks.contains_key(id) {
                    Ok(*id)
                } else {
                    Err(ReportError::UnknownSubject(subject.clone()))
                };
            }
            ReportSubject::Callsign(c) => {
                let c = Callsign::new(c);
                self.tracks
                    .iter()
                    .filter(|(_, t)| c.is_some() && t.callsign == c)
                    .map(|(id, _)| *id)
                    .collect()
            }
            ReportSubject::Icao(a) => self
                .tracks
                .iter()
                .filter(|(_, t)| t.icao == Some(*a))
                .map(|(id, _)| *id)
                .collect(),
        };
        match matches.as_slice() {
            [] => Err(ReportError::UnknownSubject(subject.clone())),
            [one] => Ok(*one),
            _ => Err(ReportError::Ambiguous(subject.clone())),
        }
    }

    /// Evaluates every rule on every track at `now`.
    pub fn cycle(&mut self, now: UnixTime, views: &[TrackView]) -> CycleReport {
        let mut report = CycleReport::default();
        self.stats.cycles += 1;
        self.correlated_now = 0;
        for v in views {
            self.stats.views += 1;
            if !(v.pos.is_valid() && v.time.0.is_finite()) {
                self.stats.refused += 1;
                continue;
            }
            self.evaluate(now, v, &mut report);
        }
        self.stats.correlated = self.correlated_now;
        // Forget tracks gone for a while; their alerts clear (the incident, if any, stays
        // with the operator). A sweep visits every state: once every few seconds is enough
        // for a delay of minutes.
        let forget = self.config.forget_after_s;
        if self
            .last_sweep
            .is_some_and(|l| (0.0..SWEEP_EVERY_S).contains(&now.since(l)))
        {
            return report;
        }
        self.last_sweep = Some(now);
        let gone: Vec<u64> = self
            .tracks
            .iter()
            .filter(|(_, t)| now.since(t.last_seen) > forget)
            .map(|(id, _)| *id)
            .collect();
        for id in gone {
            if let Some(t) = self.tracks.remove(&id) {
                for p in t.persist {
                    if let Some(a) = p.alert() {
                        self.clear_alert(now, a, &mut report);
                    }
                }
                report.forgotten.push(id);
            }
        }
        report
    }

    fn evaluate(&mut self, now: UnixTime, v: &TrackView, report: &mut CycleReport) {
        let st = self
            .tracks
            .entry(v.id)
            .or_insert_with(|| Box::new(TrackState::new(now)));
        st.last_seen = now;
        if v.callsign.is_some() {
            st.callsign = v.callsign;
        }
        if v.icao.is_some() {
            st.icao = v.icao;
        }
        // Turn rate from successive courses, smoothed: the prediction of the interception
        // geometry continues it for a while.
        let speed = v.speed_mps();
        if speed > 30.0 {
            // Over a baseline of at least TURN_BASELINE_S: a radar-only track's velocity is
            // noisy from one plot to the next, and a turn rate taken over one second would
            // swing the predicted path by kilometres.
            if let Some((t0, [e0, n0])) = st.course {
                let dt = v.time.since(t0);
                if (TURN_BASELINE_S..=60.0).contains(&dt) {
                    // Signed angle between the two velocities (positive clockwise, a right
                    // turn): atan2 of their cross and dot products.
                    let [e1, n1] = v.vel_en;
                    let cross = e0 * n1 - n0 * e1;
                    let dot = e0 * e1 + n0 * n1;
                    let raw = -cross.atan2(dot).to_degrees() / dt;
                    st.turn_dps = (0.5 * st.turn_dps + 0.5 * raw).clamp(-6.0, 6.0);
                    st.course = Some((v.time, v.vel_en));
                } else if !(0.0..=60.0).contains(&dt) {
                    st.turn_dps = 0.0;
                    st.course = Some((v.time, v.vel_en));
                }
            } else {
                st.course = Some((v.time, v.vel_en));
            }
        }
        // Correlate when due (identity may have arrived since).
        let due = st
            .correlated_at
            .is_none_or(|t| now.since(t) >= self.config.correlate_every_s);
        if due && !self.plans.is_empty() {
            let plan = correlate(
                &self.plans,
                &self.plans_by_callsign,
                &self.plans_by_icao,
                &self.plans_by_ssr,
                v,
                st.plan,
                now,
            );
            // Re-borrow after the immutable use of the plan tables.
            let st = self.tracks.get_mut(&v.id).expect_state();
            st.plan = plan;
            st.correlated_at = Some(now);
        }
        let Some(st) = self.tracks.get(&v.id) else {
            return;
        };
        let plan = st.plan.and_then(|i| self.plans.get(i));
        if plan.is_some() {
            self.correlated_now += 1;
        }
        let active = !v.military && v.confirmed;
        let cfg = &self.config;
        let mut conds = [NO; ALL_KINDS.len()];
        if active {
            let sq = v.squawk.unwrap_or(0);
            let emergency_code = matches!(sq, 0x7500 | 0x7600 | 0x7700);
            conds[IndicatorKind::Squawk7500.index()] = cond(sq == 0x7500, 7500.0);
            conds[IndicatorKind::Squawk7600.index()] = cond(sq == 0x7600, 7600.0);
            conds[IndicatorKind::Squawk7700.index()] = cond(sq == 0x7700, 7700.0);
            conds[IndicatorKind::AdsbUnlawfulInterference.index()] =
                cond(v.emergency == EmergencyStatus::UnlawfulInterference, 0.0);
            conds[IndicatorKind::AdsbEmergency.index()] = cond(
                !matches!(
                    v.emergency,
                    EmergencyStatus::None
                        | EmergencyStatus::UnlawfulInterference
                        | EmergencyStatus::Reserved
                ),
                0.0,
            );
            conds[IndicatorKind::TransponderLost.index()] = cond(v.transponder_lost, 0.0);
            if let Some(alt) = v.alt_ft {
                conds[IndicatorKind::SteepDescent.index()] = cond(
                    v.vrate_fpm <= -cfg.steep_descent_fpm && alt >= cfg.steep_descent_min_alt_ft,
                    v.vrate_fpm,
                );
            }
            conds[IndicatorKind::RadioContactLost.index()] = cond(st.radio_lost.is_some(), 0.0);
            conds[IndicatorKind::NotFollowingAtc.index()] = cond(st.not_following.is_some(), 0.0);
            // Look-ahead along a straight line: cheap, and enough for "heading toward".
            let alt = v.alt_ft.unwrap_or(0.0);
            let flat = Flat::new(v.pos);
            let ahead_xy = (v.vel_en[0] * cfg.lookahead_s, v.vel_en[1] * cfg.lookahead_s);
            let speed = v.speed_mps();
            if let Some(r) = &self.restricted {
                if r.restricted_at(v.pos, alt).is_some() {
                    conds[IndicatorKind::RestrictedAreaEntry.index()] = yes(0.0);
                } else if speed > 1.0 {
                    let ahead = flat.latlon(ahead_xy.0, ahead_xy.1);
                    if let Some((_, f)) = r.first_entry(v.pos, ahead, alt) {
                        conds[IndicatorKind::TowardRestrictedArea.index()] =
                            yes(f * cfg.lookahead_s);
                    }
                }
            }
            if let Some(p) = plan {
                if let (Some(s), false) = (p.ssr, emergency_code) {
                    conds[IndicatorKind::SquawkChange.index()] =
                        cond(v.squawk.is_some_and(|c| c != s), f64::from(sq));
                }
                let airborne = p.departed.or(p.eobt).is_none_or(|t| now.0 >= t.0);
                if let (Some(c), true) = (&p.corridor, airborne)
                    && let Some(d) = c.deviation(v.pos)
                {
                    conds[IndicatorKind::LateralDeviation.index()] = cond(
                        d.cross_track_m > cfg.lateral_deviation_nm * NM,
                        d.cross_track_m / NM,
                    );
                    if let (Some(alt), Some(cruise), Some(planned)) = (
                        v.alt_ft,
                        p.cruise_level_ft,
                        c.planned_level_ft(d.along_track_m),
                    ) && planned >= cruise - 1.0
                    {
                        let diff = alt - planned;
                        conds[IndicatorKind::LevelDeviation.index()] =
                            cond(diff.abs() > cfg.level_deviation_ft, diff);
                    }
                    if speed > 1.0 && !cfg.cities.is_empty() {
                        let flat = Flat::new(v.pos);
                        let reach = speed * cfg.lookahead_s;
                        for city in &cfg.cities {
                            let radius = city.radius_km * 1_000.0;
                            // Out of reach within the look-ahead: no need for the segment.
                            let (cx, cy) = flat.xy(city.centre());
                            let r = reach + radius;
                            if cx * cx + cy * cy > r * r {
                                continue;
                            }
                            let (d_city, f) =
                                point_segment(flat.xy(city.centre()), (0.0, 0.0), ahead_xy);
                            if d_city <= radius && !c.passes_within(city.centre(), radius) {
                                conds[IndicatorKind::TowardCity.index()] = yes(f * cfg.lookahead_s);
                                break;
                            }
                        }
                    }
                }
            }
        }
        // Persistence and alerts.
        let persist_of = |k: IndicatorKind| -> f64 {
            match k {
                IndicatorKind::Squawk7500
                | IndicatorKind::Squawk7600
                | IndicatorKind::Squawk7700
                | IndicatorKind::AdsbUnlawfulInterference
                | IndicatorKind::AdsbEmergency => cfg.squawk_persist_s,
                IndicatorKind::SquawkChange => cfg.squawk_change_persist_s,
                IndicatorKind::TransponderLost => cfg.transponder_lost_persist_s,
                IndicatorKind::LateralDeviation => cfg.lateral_persist_s,
                IndicatorKind::LevelDeviation => cfg.level_persist_s,
                IndicatorKind::SteepDescent => cfg.steep_descent_persist_s,
                IndicatorKind::TowardRestrictedArea | IndicatorKind::TowardCity => {
                    cfg.toward_persist_s
                }
                IndicatorKind::RestrictedAreaEntry
                | IndicatorKind::RadioContactLost
                | IndicatorKind::NotFollowingAtc => 0.0,
            }
        };
        let clear_of = |k: IndicatorKind| -> f64 {
            match k {
                // A report is withdrawn by another report, at once.
                IndicatorKind::RadioContactLost | IndicatorKind::NotFollowingAtc => 0.0,
                _ => cfg.clear_after_s,
            }
        };
        let mut steps = [Step::None; ALL_KINDS.len()];
        let Some(st) = self.tracks.get_mut(&v.id) else {
            return;
        };
        for k in ALL_KINDS {
            let i = k.index();
            steps[i] = st.persist[i].step(now, conds[i].holds, persist_of(k), clear_of(k));
        }
        if steps.iter().all(|s| *s == Step::None) {
            return;
        }
        for k in ALL_KINDS {
            let i = k.index();
            match steps[i] {
                Step::None => {}
                Step::Raise => {
                    let st = self.tracks.get(&v.id).expect_state();
                    let started = st.persist[i].since().unwrap_or(now);
                    let detail = self.detail(k, v, conds[i].value);
                    let id = self.next_alert;
                    self.next_alert += 1;
                    let alert = Alert {
                        id,
                        track: v.id,
                        callsign: v.callsign.or(st.callsign),
                        icao: v.icao.or(st.icao),
                        kind: k,
                        started,
                        raised: now,
                        cleared: None,
                        value: conds[i].value,
                        detail,
                    };
                    self.stats.raised += 1;
                    report.raised.push(alert.clone());
                    self.alerts.insert(id, alert);
                    self.tracks.get_mut(&v.id).expect_state().persist[i].raised(id);
                }
                Step::Clear => {
                    let st = self.tracks.get_mut(&v.id).expect_state();
                    let a = st.persist[i].reset();
                    if let Some(a) = a {
                        self.clear_alert(now, a, report);
                    }
                }
            }
        }
        let st = self.tracks.get_mut(&v.id).expect_state();
        let cat = auto_category(
            ALL_KINDS
                .into_iter()
                .filter(|k| st.persist[k.index()].active()),
        );
        if cat != st.category {
            report.categories.push(CategoryChange {
                track: v.id,
                from: st.category,
                to: cat,
                at: now,
            });
            st.category = cat;
        }
    }

    fn clear_alert(&mut self, now: UnixTime, id: u64, report: &mut CycleReport) {
        if let Some(mut a) = self.alerts.remove(&id) {
            a.cleared = Some(now);
            self.stats.cleared += 1;
            report.cleared.push(a.clone());
            if self.cleared.len() == CLEARED_HISTORY {
                self.cleared.pop_front();
            }
            self.cleared.push_back(a);
        }
    }

    fn detail(&self, k: IndicatorKind, v: &TrackView, value: f64) -> String {
        let who = v
            .callsign
            .map(|c| c.to_string())
            .or_else(|| v.icao.map(|a| a.to_string()))
            .unwrap_or_else(|| format!("track {}", v.id));
        let plan = self.plan_of(v.id).map(|p| p.key.as_str()).unwrap_or("");
        let st = self.tracks.get(&v.id);
        match k {
            IndicatorKind::Squawk7500 => format!("{who} squawks 7500 (unlawful interference)"),
            IndicatorKind::Squawk7600 => format!("{who} squawks 7600 (radio failure)"),
            IndicatorKind::Squawk7700 => format!("{who} squawks 7700 (emergency)"),
            IndicatorKind::AdsbUnlawfulInterference => {
                format!("{who} ADS-B emergency status: unlawful interference")
            }
            IndicatorKind::AdsbEmergency => {
                format!("{who} ADS-B emergency status: {:?}", v.emergency)
            }
            IndicatorKind::SquawkChange => format!(
                "{who} squawks {} but flight plan {plan} assigns {}",
                v.squawk.map(squawk_str).unwrap_or_default(),
                self.plan_of(v.id)
                    .and_then(|p| p.ssr)
                    .map(squawk_str)
                    .unwrap_or_default()
            ),
            IndicatorKind::TransponderLost => {
                format!("{who}: transponder lost, track continues on primary radar only")
            }
            IndicatorKind::LateralDeviation => format!(
                "{who} is {value:.1} NM off the route of flight plan {plan} (threshold {} NM)",
                self.config.lateral_deviation_nm
            ),
            IndicatorKind::LevelDeviation => format!(
                "{who} is {value:+.0} ft from the planned level of {plan} (threshold {} ft)",
                self.config.level_deviation_ft
            ),
            IndicatorKind::SteepDescent => format!(
                "{who} descends at {:.0} ft/min at {:.0} ft",
                -value,
                v.alt_ft.unwrap_or(0.0)
            ),
            IndicatorKind::TowardRestrictedArea => {
                let area = self.restricted.as_ref().and_then(|r| {
                    let flat = Flat::new(v.pos);
                    let l = self.config.lookahead_s;
                    let ahead = flat.latlon(v.vel_en[0] * l, v.vel_en[1] * l);
                    r.first_entry(v.pos, ahead, v.alt_ft.unwrap_or(0.0))
                        .map(|(id, _)| id)
                });
                format!(
                    "{who} heads into restricted area {} in {value:.0} s",
                    area.unwrap_or_default()
                )
            }
            IndicatorKind::TowardCity => {
                let city = self
                    .nearest_city_ahead(v)
                    .map(|c| c.name.clone())
                    .unwrap_or_default();
                format!(
                    "{who} heads toward {city} (reached in {value:.0} s), off its planned route"
                )
            }
            IndicatorKind::RestrictedAreaEntry => {
                let area = self
                    .restricted
                    .as_ref()
                    .and_then(|r| r.restricted_at(v.pos, v.alt_ft.unwrap_or(0.0)));
                format!(
                    "{who} is inside restricted area {}",
                    area.unwrap_or_default()
                )
            }
            IndicatorKind::RadioContactLost => format!(
                "{who}: loss of radio contact reported by {}",
                st.and_then(|s| s.radio_lost.as_ref())
                    .map(|r| r.1.as_str())
                    .unwrap_or("?")
            ),
            IndicatorKind::NotFollowingAtc => format!(
                "{who} does not follow ATC instructions, reported by {}",
                st.and_then(|s| s.not_following.as_ref())
                    .map(|r| r.1.as_str())
                    .unwrap_or("?")
            ),
        }
    }

    fn nearest_city_ahead(&self, v: &TrackView) -> Option<&crate::config::City> {
        let flat = Flat::new(v.pos);
        let l = self.config.lookahead_s;
        let ahead = (v.vel_en[0] * l, v.vel_en[1] * l);
        self.config
            .cities
            .iter()
            .filter(|c| {
                point_segment(flat.xy(c.centre()), (0.0, 0.0), ahead).0 <= c.radius_km * 1e3
            })
            .min_by(|a, b| {
                let da = v.pos.distance_m(&a.centre());
                let db = v.pos.distance_m(&b.centre());
                da.total_cmp(&db)
            })
    }

    /// The live tracks the engine knows, with their category and correlated plan key.
    pub fn tracks(&self) -> impl Iterator<Item = (u64, Category, Option<&str>)> {
        self.tracks.iter().map(|(id, t)| {
            (
                *id,
                t.category,
                t.plan
                    .and_then(|i| self.plans.get(i))
                    .map(|p| p.key.as_str()),
            )
        })
    }

    /// Position helper for callers: the straight-line position `secs` ahead of a view.
    pub fn ahead(v: &TrackView, secs: f64) -> LatLon {
        Flat::new(v.pos).latlon(v.vel_en[0] * secs, v.vel_en[1] * secs)
    }
}

fn cond(holds: bool, value: f64) -> Cond {
    Cond { holds, value }
}

/// `Option::expect` for the one invariant the engine relies on: a track's state exists from
/// the moment `evaluate` inserted it until the end of that call.
trait ExpectState<T> {
    fn expect_state(self) -> T;
}

impl<T> ExpectState<T> for Option<T> {
    #[allow(clippy::expect_used)]
    fn expect_state(self) -> T {
        self.expect("track state inserted at the start of evaluate")
    }
}

/// Correlates a track with a flight plan: the Mode S address (CODE/ in field 18) and the
/// callsign are strong identities, the SSR code counts when it is not a conspicuity or
/// emergency code and only one live plan has it. A correlation is kept while no stronger one
/// contradicts it (a hijacked aircraft switching to 7500 stays on its plan).
fn correlate(
    plans: &[PlannedFlight],
    by_callsign: &FxHashMap<Callsign, Vec<usize>>,
    by_icao: &FxHashMap<IcaoAddress, Vec<usize>>,
    by_ssr: &FxHashMap<u16, Vec<usize>>,
    v: &TrackView,
    current: Option<usize>,
    now: UnixTime,
) -> Option<usize> {
    // Plans in their time window: from an hour before EOBT to 18 hours after.
    let in_window = |i: usize| {
        plans.get(i).is_some_and(|p| {
            p.departed
                .or(p.eobt)
                .is_none_or(|t| now.since(t) >= -3_600.0 && now.since(t) <= 18.0 * 3_600.0)
        })
    };
    let mut best: Option<(u32, usize)> = None;
    let mut consider = |i: usize, score: u32| {
        if in_window(i) && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, i));
        }
    };
    let mut scores: Vec<(usize, u32)> = Vec::new();
    if let Some(a) = v.icao
        && let Some(ix) = by_icao.get(&a)
    {
        scores.extend(ix.iter().map(|&i| (i, 4)));
    }
    if let Some(c) = v.callsign
        && let Some(ix) = by_callsign.get(&c)
    {
        scores.extend(ix.iter().map(|&i| (i, 3)));
    }
    if let Some(s) = v.squawk
        && !matches!(
            s,
            0x1000 | 0x2000 | 0x7000 | 0x7500 | 0x7600 | 0x7700 | 0x0000
        )
        && let Some(ix) = by_ssr.get(&s)
        && ix.len() == 1
    {
        scores.extend(ix.iter().map(|&i| (i, 2)));
    }
    // Sum the evidence per plan.
    scores.sort_unstable();
    let mut k = 0;
    while k < scores.len() {
        let i = scores[k].0;
        let mut s = 0;
        while k < scores.len() && scores[k].0 == i {
            s += scores[k].1;
            k += 1;
        }
        consider(i, s);
    }
    match (best, current) {
        (Some((_, i)), _) => Some(i),
        // No identity matches any more (e.g. the transponder is off): keep the last plan.
        (None, Some(c)) if in_window(c) => Some(c),
        _ => None,
    }
}
