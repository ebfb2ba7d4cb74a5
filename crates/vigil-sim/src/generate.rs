//! From a [`Scenario`] to its [`Truth`].
//!
//! Order of work: the scenario's flights first (their paths do not depend on anybody), then
//! the places where each escorted flight enters each FIR a mission names, then each fighter
//! against those fixed paths, then background traffic. Everything steps on whole seconds
//! after the start, so two runs give identical output.

use std::collections::BTreeMap;

use vigil_airspace::{Airspace, AirspaceConfig};
use vigil_core::{Geodetic, IcaoAddress, LatLon};
use vigil_track::sim::{Trajectory, TruthPoint};

use crate::ScenarioError;
use crate::flight::{
    Approach, CAPTURE_M, Command, Navigator, Performance, State, TargetState, escort_command,
    formation_error, orbit_command, pursuit_command, station,
};
use crate::geo::{M_PER_FT, MPS_PER_KT, bearing_deg, destination, enu_offset, from_enu, wrap180};
use crate::scenario::{
    Aerodrome, AircraftSpec, Emergency, FighterSpec, MissionSpec, OnOff, Radio, Scenario, Side,
    parse_icao, parse_squawk, resolve_waypoint,
};
use crate::truth::{EscortTruth, HandoverTruth, ReportKind, SimAircraft, TimedReport, Truth};

/// An escort breaks off and pursues again when it falls this far behind its station, metres.
const REJOIN_M: f64 = 6_000.0;

/// An escort whose mission ends at a FIR boundary (`until_fir`) breaks off this many seconds
/// before its target crosses, so that its turn home keeps it (within a kilometre or so) on
/// its own side.
const BREAK_OFF_LEAD_S: usize = 10;

/// A fighter on patrol for a `from_fir` take-over stands by (formation on the target, not
/// faster than it) once the target is this close, metres.
const STANDBY_M: f64 = 40_000.0;

/// A fighter this close ahead of its station waits for the target rather than chasing,
/// metres.
const AHEAD_M: f64 = 20_000.0;

/// A fighter standing by orbits its gate until the target is this close to it, metres.
const GATE_WAIT_M: f64 = 8_000.0;

/// How far ahead of the target the stand-by station is at least, metres.
const STANDBY_LEAD_M: f64 = 2_000.0;

/// Escorts stay this far above the ground level of the aerodrome their target lands at, feet.
const ESCORT_FLOOR_FT: f64 = 1_000.0;

/// Generates the truth of a scenario (reads the airspace and background files it names).
pub fn generate(s: &Scenario) -> Result<Truth, ScenarioError> {
    s.validate()?;
    let start = s.start_unix();
    let steps = s.duration_s.floor() as usize;
    let end = start + steps as f64;
    let aero = s.aerodrome_table();
    let mut notes = Vec::new();
    let airspace = build_airspace(s, &mut notes)?;

    let mut aircraft = Vec::new();
    let mut reports = Vec::new();
    for spec in &s.aircraft {
        let (a, r) = fly_aircraft(spec, &aero, start, steps)?;
        aircraft.push(a);
        reports.extend(r);
    }

    // Boundary entries of every (target, FIR) pair a mission names.
    let mut entries: BTreeMap<(String, String), Vec<FirEntry>> = BTreeMap::new();
    if let Some(air) = &airspace {
        for m in s.fighters.iter().flat_map(|f| &f.missions) {
            for fir in [&m.until_fir, &m.from_fir].into_iter().flatten() {
                let key = (m.intercept.clone(), fir.clone());
                if entries.contains_key(&key) {
                    continue;
                }
                let Some(target) = aircraft.iter().find(|a| a.callsign == m.intercept) else {
                    continue;
                };
                let list = fir_entries(air, fir, &target.trajectory, start).ok_or_else(|| {
                    ScenarioError::Invalid(format!("no FIR {fir} in the airspace"))
                })?;
                entries.insert(key, list);
            }
        }
    }

    let mut escorts = Vec::new();
    let mut halves = Vec::new();
    let mut fighters = Vec::new();
    for f in &s.fighters {
        let run = FighterRun {
            spec: f,
            base: aero
                .get(&f.base)
                .ok_or_else(|| ScenarioError::Invalid(format!("unknown base {}", f.base)))?,
            targets: &aircraft,
            entries: &entries,
            start,
            duration: steps as f64,
            airspace: airspace.as_ref(),
        };
        let (a, e, h) = run.fly(steps)?;
        fighters.push(a);
        escorts.extend(e);
        halves.extend(h);
    }
    aircraft.extend(fighters);
    let handovers = assemble_handovers(halves, &entries);
    escorts.sort_by(|a, b| a.start.total_cmp(&b.start).then(a.fighter.cmp(&b.fighter)));

    if let Some(bg) = &s.background {
        let taken: Vec<IcaoAddress> = aircraft.iter().map(|a| a.icao).collect();
        aircraft.extend(background(s, bg, start, end, &taken, &mut notes)?);
    }
    reports.sort_by(|a, b| a.t.total_cmp(&b.t).then(a.callsign.cmp(&b.callsign)));
    Ok(Truth {
        start,
        end,
        exercise: s.exercise,
        seed: s.seed,
        aircraft,
        reports,
        handovers,
        escorts,
        notes,
    })
}

/// The scenario's airspace: `eurofirs.json` plus the configuration when the file is there,
/// else the configuration plus its coarse fallback.
pub fn build_airspace(
    s: &Scenario,
    notes: &mut Vec<String>,
) -> Result<Option<Airspace>, ScenarioError> {
    let Some(spec) = &s.airspace else {
        return Ok(None);
    };
    let mut config = match &spec.config {
        Some(p) => AirspaceConfig::from_file(&s.resolve(p))?,
        None => AirspaceConfig::default(),
    };
    if let Some(path) = spec
        .eurofirs
        .as_ref()
        .map(|p| s.resolve(p))
        .filter(|p| p.exists())
    {
        let text = std::fs::read_to_string(&path).map_err(|source| ScenarioError::Io {
            path: path.clone(),
            source,
        })?;
        // Only the FIRs near the exercise: indexing all 58 costs more than the rest of the
        // generation put together.
        let area = scenario_area(s, AREA_MARGIN_DEG);
        let firs: Vec<_> = vigil_airspace::parse_firs(&text)?
            .into_iter()
            .filter(|f| {
                let pts = || f.rings.iter().flatten();
                let min = |g: fn(&LatLon) -> f64| pts().map(g).fold(f64::INFINITY, f64::min);
                let max = |g: fn(&LatLon) -> f64| pts().map(g).fold(f64::NEG_INFINITY, f64::max);
                area.is_some_and(|(lo, hi)| {
                    min(|p| p.lat) <= hi.lat
                        && max(|p| p.lat) >= lo.lat
                        && min(|p| p.lon) <= hi.lon
                        && max(|p| p.lon) >= lo.lon
                })
            })
            .collect();
        notes.push(format!(
            "airspace: {} FIRs from {} near the exercise, and the configuration",
            firs.len(),
            path.display()
        ));
        return Ok(Some(Airspace::from_parts(firs, &config)?));
    }
    if let Some(fb) = &spec.without_eurofirs {
        let extra = AirspaceConfig::from_file(&s.resolve(fb))?;
        config.firs.extend(extra.firs);
        config.parties.extend(extra.parties);
        config.restricted.extend(extra.restricted);
        config.release.extend(extra.release);
        notes.push(format!(
            "airspace: eurofirs.json not found; using the coarse FIRs of {fb} (approximate \
             boundaries: a real centre uses eurofirs.json)"
        ));
    } else if spec.eurofirs.is_some() {
        notes.push("airspace: eurofirs.json not found; configured FIRs only".into());
    }
    Ok(Some(Airspace::from_parts(Vec::new(), &config)?))
}

/// FIRs whose bounding box meets the exercise's box grown by this many degrees are loaded.
const AREA_MARGIN_DEG: f64 = 0.5;

/// The box round every position the scenario names (aerodromes, route points, initial
/// positions, patrols), grown by `margin` degrees.
fn scenario_area(s: &Scenario, margin: f64) -> Option<(LatLon, LatLon)> {
    let aero = s.aerodrome_table();
    let mut pts: Vec<LatLon> = aero.values().map(|a| a.pos).collect();
    for a in &s.aircraft {
        pts.extend(a.at.map(|x| LatLon::new(x.lat, x.lon)));
        let events = a.events.iter().flat_map(|e| e.deviate_to.iter().flatten());
        for w in a.route.iter().chain(events) {
            pts.extend(resolve_waypoint(w, &aero).ok().map(|w| w.pos));
        }
    }
    for m in s.fighters.iter().flat_map(|f| &f.missions) {
        pts.extend(m.cap.map(|c| LatLon::new(c.lat, c.lon)));
    }
    let first = *pts.first()?;
    let (lo, hi) = pts.iter().fold((first, first), |(lo, hi), p| {
        (
            LatLon::new(lo.lat.min(p.lat), lo.lon.min(p.lon)),
            LatLon::new(hi.lat.max(p.lat), hi.lon.max(p.lon)),
        )
    });
    Some((
        LatLon::new(lo.lat - margin, lo.lon - margin),
        LatLon::new(hi.lat + margin, hi.lon + margin),
    ))
}

fn point(t: f64, s: &State) -> TruthPoint {
    TruthPoint {
        t,
        pos: Geodetic {
            pos: s.pos,
            height_m: s.alt_ft * M_PER_FT,
        },
        vel: s.velocity_enu(),
    }
}

/// Sets the last sample on the ground: the aircraft has landed and leaves the picture.
fn touch_down(points: &mut [TruthPoint], elevation_ft: f64) {
    if let Some(p) = points.last_mut() {
        p.pos.height_m = elevation_ft * M_PER_FT;
        p.vel[2] = 0.0;
    }
}

fn target_state(p: &TruthPoint) -> TargetState {
    let [ve, vn, _] = p.vel;
    TargetState {
        pos: p.pos.pos,
        alt_ft: p.pos.height_m / M_PER_FT,
        course_deg: crate::geo::wrap360(ve.atan2(vn).to_degrees()),
        speed_kt: ve.hypot(vn) / MPS_PER_KT,
    }
}

/// Closes the open interval of an on/off timeline at `t`, or opens one.
fn toggle(iv: &mut Vec<(f64, Option<f64>)>, t: f64, off: bool) {
    let open = iv.last().is_some_and(|(_, e)| e.is_none());
    match (off, open) {
        (true, false) => iv.push((t, None)),
        (false, true) => {
            if let Some(last) = iv.last_mut() {
                last.1 = Some(t);
            }
        }
        _ => {} // already in that state
    }
}

fn push_squawk(sq: &mut Vec<(f64, u16)>, em: &mut Vec<(f64, Emergency)>, t: f64, code: u16) {
    sq.push((t, code));
    let derived = Emergency::from_squawk(code);
    let previous = em.last().map(|&(_, e)| e).unwrap_or_default();
    if derived != previous {
        em.push((t, derived));
    }
}

/// Flies one `[[aircraft]]` and builds its timelines and ATC reports.
fn fly_aircraft(
    spec: &AircraftSpec,
    aero: &BTreeMap<String, Aerodrome>,
    start: f64,
    steps: usize,
) -> Result<(SimAircraft, Vec<TimedReport>), ScenarioError> {
    let invalid = |m: String| ScenarioError::Invalid(format!("aircraft {}: {m}", spec.callsign));
    let icao = parse_icao(&spec.icao).map_err(invalid)?;
    let perf = Performance::AIRLINER;
    let mut route = spec
        .route
        .iter()
        .map(|w| resolve_waypoint(w, aero))
        .collect::<Result<Vec<_>, _>>()
        .map_err(invalid)?;

    // Initial state: on the runway at the departure time, or airborne at t = 0.
    let (mut state, k0) = match (&spec.from, &spec.at) {
        (Some(id), _) => {
            let a = aero
                .get(id)
                .ok_or_else(|| invalid(format!("unknown aerodrome {id}")))?;
            // A route written from the departure aerodrome starts after it.
            if route
                .first()
                .is_some_and(|w| w.pos.distance_m(&a.pos) < 1.0)
            {
                route.remove(0);
            }
            let course = route.first().map_or(0.0, |w| bearing_deg(a.pos, w.pos));
            let s = State {
                pos: a.pos,
                alt_ft: a.elevation_ft,
                course_deg: course,
                speed_kt: perf.takeoff_kt,
                vs_fpm: 0.0,
            };
            (s, spec.depart_s.max(0.0).ceil() as usize)
        }
        (None, Some(at)) => (
            State {
                pos: LatLon::new(at.lat, at.lon),
                alt_ft: at.alt_ft,
                course_deg: at.course,
                speed_kt: at.speed_kt,
                vs_fpm: 0.0,
            },
            0,
        ),
        (None, None) => return Err(invalid("give `from` or `at`".into())),
    };
    let mut nav = Navigator::new(route, spec.alt_ft, spec.speed_kt);

    // Timelines (independent of the kinematics).
    let mut events: Vec<_> = spec.events.iter().collect();
    events.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
    let mut squawk = Vec::new();
    let mut emergency = Vec::new();
    let mut transponder_off = Vec::new();
    let mut radio_silent = Vec::new();
    let mut reports = Vec::new();
    let initial = spec
        .squawk
        .as_deref()
        .map(parse_squawk)
        .transpose()
        .map_err(invalid)?;
    if let Some(code) = initial {
        push_squawk(&mut squawk, &mut emergency, start, code);
    }
    for e in &events {
        let t = start + e.at_s;
        if let Some(sq) = &e.squawk {
            push_squawk(
                &mut squawk,
                &mut emergency,
                t,
                parse_squawk(sq).map_err(invalid)?,
            );
        }
        if let Some(em) = e.emergency {
            emergency.push((t, em));
        }
        if let Some(tx) = e.transponder {
            toggle(&mut transponder_off, t, tx == OnOff::Off);
        }
        let source = e.reported_by.clone().unwrap_or_else(|| "ATC".into());
        let mut report = |kind| {
            reports.push(TimedReport {
                t: t + e.report_delay_s,
                fact_t: t,
                callsign: spec.callsign.clone(),
                icao,
                kind,
                source: source.clone(),
            })
        };
        if let Some(r) = e.radio {
            toggle(&mut radio_silent, t, r == Radio::Silent);
            report(match r {
                Radio::Silent => ReportKind::RadioContactLost,
                Radio::Restored => ReportKind::RadioContactRestored,
            });
        }
        if e.not_following_atc {
            report(ReportKind::NotFollowingAtc);
        }
    }

    // Kinematics.
    let mut points = Vec::with_capacity(steps + 1 - k0.min(steps));
    let mut next_event = 0;
    for k in k0..=steps {
        while let Some(e) = events.get(next_event).filter(|e| e.at_s <= k as f64) {
            next_event += 1;
            if let Some(d) = &e.deviate_to {
                let r = d
                    .iter()
                    .map(|w| resolve_waypoint(w, aero))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(invalid)?;
                nav.replace_route(r);
            }
            if let Some(id) = &e.land_at {
                let a = aero
                    .get(id)
                    .ok_or_else(|| invalid(format!("unknown aerodrome {id}")))?;
                nav.land_at(a.pos, a.elevation_ft, &state);
            }
            if let Some(v) = e.speed_kt {
                nav.cruise_kt = v;
            }
            if let Some(a) = e.alt_ft {
                nav.cruise_alt_ft = a;
            }
        }
        points.push(point(start + k as f64, &state));
        match nav.command(&state, &perf) {
            Some(cmd) => state = crate::flight::step(&state, &cmd, &perf, 1.0),
            None => {
                let elev = nav.approach().map_or(state.alt_ft, |a| a.elevation_ft);
                touch_down(&mut points, elev);
                break;
            }
        }
    }
    let a = SimAircraft {
        callsign: spec.callsign.clone(),
        icao,
        military: spec.military,
        fighter: false,
        party: spec.party.clone(),
        aircraft_type: spec.aircraft_type.clone(),
        trajectory: Trajectory {
            icao,
            callsign: Some(spec.callsign.clone()),
            squawk: initial,
            points,
        },
        squawk,
        emergency,
        transponder_off,
        radio_silent,
        flight_plan: spec.flight_plan.clone(),
        background: false,
    };
    Ok((a, reports))
}

/// One entry of a target into a FIR.
#[derive(Debug, Clone, PartialEq)]
struct FirEntry {
    /// Crossing time, interpolated, Unix seconds.
    t: f64,
    pos: LatLon,
    alt_ft: f64,
    /// Step (seconds after start) of the first sample inside.
    k_inside: usize,
    fir_from: Option<String>,
}

/// Every entry of `traj` into FIR `fir` (lateral limits: FIRs here extend to the sky).
fn fir_entries(air: &Airspace, fir: &str, traj: &Trajectory, start: f64) -> Option<Vec<FirEntry>> {
    let v = air.firs().find(|v| v.id == fir)?;
    let mut out = Vec::new();
    for (i, w) in traj.points.windows(2).enumerate() {
        let (a, b) = (&w[0], &w[1]);
        if v.contains_lateral(a.pos.pos) || !v.contains_lateral(b.pos.pos) {
            continue;
        }
        // Bisect the 1-second segment (linear in lat/lon, centimetres from the great circle)
        // down to a millisecond.
        let lerp = |f: f64| {
            LatLon::new(
                a.pos.pos.lat + f * (b.pos.pos.lat - a.pos.pos.lat),
                a.pos.pos.lon + f * (b.pos.pos.lon - a.pos.pos.lon),
            )
        };
        let (mut lo, mut hi) = (0.0, 1.0);
        for _ in 0..12 {
            let mid = 0.5 * (lo + hi);
            if v.contains_lateral(lerp(mid)) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        let f = hi;
        let alt_ft = (a.pos.height_m + f * (b.pos.height_m - a.pos.height_m)) / M_PER_FT;
        // The FIR it came from: the last one containing it before the entry (looking back up
        // to two minutes, across the small gaps between FIR polygons of different sources).
        let fir_from = traj.points[..=i]
            .iter()
            .rev()
            .take(120)
            .find_map(|q| {
                air.fir_at(q.pos.pos, q.pos.height_m / M_PER_FT)
                    .filter(|x| x.id != fir)
                    .or_else(|| {
                        air.firs()
                            .find(|x| x.id != fir && x.contains_lateral(q.pos.pos))
                    })
            })
            .map(|x| x.id.clone());
        out.push(FirEntry {
            t: a.t + f * (b.t - a.t),
            pos: lerp(f),
            alt_ft,
            k_inside: (b.t - start).round() as usize,
            fir_from,
        });
    }
    Some(out)
}

/// Half of a hand-over, seen by one fighter.
struct HandoverHalf {
    target: String,
    fir: String,
    entry: usize,
    fighter: String,
    /// The fighter took the target over (`from_fir`); otherwise it handed it over.
    taking: bool,
}

fn assemble_handovers(
    halves: Vec<HandoverHalf>,
    entries: &BTreeMap<(String, String), Vec<FirEntry>>,
) -> Vec<HandoverTruth> {
    // (target, FIR, entry index) -> (fighters handing over, fighters taking over)
    type Sides = (Vec<String>, Vec<String>);
    let mut by_key: BTreeMap<(String, String, usize), Sides> = BTreeMap::new();
    for h in halves {
        let slot = by_key.entry((h.target, h.fir, h.entry)).or_default();
        if h.taking {
            slot.1.push(h.fighter);
        } else {
            slot.0.push(h.fighter);
        }
    }
    let mut out: Vec<HandoverTruth> = by_key
        .into_iter()
        .filter_map(|((target, fir, i), (from, to))| {
            let e = entries.get(&(target.clone(), fir.clone()))?.get(i)?;
            Some(HandoverTruth {
                t: e.t,
                pos: e.pos,
                alt_ft: e.alt_ft,
                target,
                fir_from: e.fir_from.clone(),
                fir_to: fir,
                from_fighters: from,
                to_fighters: to,
            })
        })
        .collect();
    out.sort_by(|a, b| a.t.total_cmp(&b.t).then(a.target.cmp(&b.target)));
    out
}

/// What a fighter is doing.
#[derive(Debug, Clone, PartialEq)]
enum Phase {
    /// On the ground (before take-off or after landing).
    Ground,
    /// Orbiting on a combat air patrol, waiting for the target's FIR entry (index).
    Cap {
        /// Index of the entry that triggers the join.
        join_entry: Option<usize>,
    },
    /// Flying to join the target.
    Pursuit,
    /// Alongside the target since the given time.
    Escort { since: f64 },
    /// Going home.
    Return(Box<Approach>),
}

struct FighterRun<'a> {
    spec: &'a FighterSpec,
    base: &'a Aerodrome,
    targets: &'a [SimAircraft],
    entries: &'a BTreeMap<(String, String), Vec<FirEntry>>,
    start: f64,
    duration: f64,
    airspace: Option<&'a Airspace>,
}

/// The mission state kept across steps.
struct Active<'m> {
    m: &'m MissionSpec,
    target: &'m Trajectory,
    /// Ground level under the target's landing, plus the escort floor (feet).
    floor_ft: f64,
    /// The `until_fir` entry that ends the mission: (index, step inside).
    until_entry: Option<(usize, usize)>,
}

/// What one evaluation of the fighter's phase decided.
enum Tr {
    /// Stay in the phase and fly this (`None`: on the ground).
    Fly(Option<Command>),
    /// Change phase and evaluate again.
    To(Phase),
    /// The mission is over: start the next or go home, and evaluate again.
    MissionDone,
}

impl<'a> FighterRun<'a> {
    fn fly(
        &self,
        steps: usize,
    ) -> Result<(SimAircraft, Vec<EscortTruth>, Vec<HandoverHalf>), ScenarioError> {
        let f = self.spec;
        let invalid = |m: String| ScenarioError::Invalid(format!("fighter {}: {m}", f.callsign));
        let icao = parse_icao(&f.icao).map_err(invalid)?;
        let squawk_code = f
            .squawk
            .as_deref()
            .map(parse_squawk)
            .transpose()
            .map_err(invalid)?;
        let perf = Performance::FIGHTER;
        let mut out = Outputs::default();
        let mut points = Vec::new();
        let mut phase = Phase::Ground;
        let mut mi = 0usize;
        let mut active: Option<Active<'a>> = None;
        let mut state = self.on_base();

        for k in 0..=steps {
            let t = self.start + k as f64;
            if phase == Phase::Ground {
                let Some(m) = f.missions.get(mi) else { break };
                if m.scramble_s.is_some_and(|s| s > k as f64) {
                    continue;
                }
                state = self.on_base();
                let (a, p) = self.begin(m, k)?;
                if let Some(aim) = self.first_aim(&a, t) {
                    state.course_deg = bearing_deg(state.pos, aim);
                }
                active = Some(a);
                phase = p;
            }
            let mut cmd = None;
            // A few transitions can chain in one step (a mission ends, the next begins).
            for _ in 0..6 {
                match self.decide(&mut phase, active.as_ref(), &state, k, &mut out) {
                    Tr::Fly(c) => {
                        cmd = c;
                        break;
                    }
                    Tr::To(p) => phase = p,
                    Tr::MissionDone => {
                        mi += 1;
                        if let Some(m) = f.missions.get(mi) {
                            let (a, p) = self.begin(m, k)?;
                            active = Some(a);
                            phase = p;
                        } else {
                            active = None;
                            phase = Phase::Return(Box::new(Approach::new(
                                self.base.pos,
                                self.base.elevation_ft,
                                &state,
                            )));
                        }
                    }
                }
            }
            points.push(point(t, &state));
            match cmd {
                Some(c) => state = crate::flight::step(&state, &c, &perf, 1.0),
                None => {
                    if let Phase::Return(app) = &phase {
                        touch_down(&mut points, app.elevation_ft);
                    }
                    phase = Phase::Ground;
                    active = None;
                }
            }
        }

        let sq: Vec<(f64, u16)> = squawk_code
            .map(|c| vec![(self.start, c)])
            .unwrap_or_default();
        let a = SimAircraft {
            callsign: f.callsign.clone(),
            icao,
            military: true,
            fighter: true,
            party: f.party.clone(),
            aircraft_type: f.aircraft_type.clone(),
            trajectory: Trajectory {
                icao,
                callsign: Some(f.callsign.clone()),
                squawk: squawk_code,
                points,
            },
            emergency: derived_emergency(&sq),
            squawk: sq,
            transponder_off: Vec::new(),
            radio_silent: Vec::new(),
            flight_plan: None,
            background: false,
        };
        Ok((a, out.escorts, out.halves))
    }

    /// One evaluation of the current phase at step `k`.
    fn decide(
        &self,
        phase: &mut Phase,
        active: Option<&Active<'a>>,
        state: &State,
        k: usize,
        out: &mut Outputs,
    ) -> Tr {
        let f = self.spec;
        let perf = Performance::FIGHTER;
        let t = self.start + k as f64;
        let a = match (&mut *phase, active) {
            (Phase::Return(app), _) => {
                return Tr::Fly(app.command(state, &perf, f.alt_ft, f.cruise_kt));
            }
            (Phase::Ground, _) | (_, None) => return Tr::Fly(None),
            (_, Some(a)) => a,
        };
        let m = a.m;
        let side = side_sign(m.side);
        let target = a.target.at(t);
        match *phase {
            Phase::Cap { join_entry } => {
                let joined = join_entry.filter(|&i| {
                    self.entries_of(m, m.from_fir.as_deref())
                        .and_then(|l| l.get(i))
                        .is_some_and(|e| k >= e.k_inside)
                });
                if let (Some(i), Some(fir)) = (joined, &m.from_fir) {
                    out.halves.push(HandoverHalf {
                        target: m.intercept.clone(),
                        fir: fir.clone(),
                        entry: i,
                        fighter: f.callsign.clone(),
                        taking: true,
                    });
                    return Tr::To(Phase::Pursuit);
                }
                if self.mission_over(a, k, t) {
                    return Tr::MissionDone;
                }
                // Stand-by: with the target close, wait at the gate (the first point of its
                // track, 2 km ahead or more, inside the fighter's own FIR: the fighter does
                // not cross the boundary to meet it), orbiting just beyond it until the
                // target is near, then ahead of it on its course, so the join after the
                // entry is quick.
                if let Some(p) = target {
                    let mut ts = target_state(&p);
                    let own = m.from_fir.as_deref().and_then(|id| self.airspace_fir(id));
                    let gate = own.and_then(|v| {
                        (0..60)
                            .map(|i| STANDBY_LEAD_M + 500.0 * f64::from(i))
                            .find_map(|d| {
                                let q = destination(ts.pos, ts.course_deg, d).0;
                                v.contains_lateral(q).then_some(q)
                            })
                    });
                    if let Some(gate) = gate.filter(|_| state.pos.distance_m(&ts.pos) < STANDBY_M) {
                        let alt = ts.alt_ft.max(a.floor_ft);
                        if ts.pos.distance_m(&gate) > GATE_WAIT_M {
                            // The orbit lies wholly beyond the gate, on the fighter's side.
                            let centre = destination(gate, ts.course_deg, 4_000.0).0;
                            return Tr::Fly(Some(orbit_command(
                                state,
                                centre,
                                3_000.0,
                                alt,
                                f.cruise_kt,
                            )));
                        }
                        ts.pos = gate;
                        return Tr::Fly(Some(escort_command(
                            state,
                            &ts,
                            side,
                            m.offset_m,
                            f.speed_kt,
                            perf.min_kt,
                            alt,
                        )));
                    }
                }
                let c = m.cap.map_or(self.base.pos, |p| LatLon::new(p.lat, p.lon));
                let alt = m.alt_ft.unwrap_or(f.alt_ft);
                Tr::Fly(Some(orbit_command(
                    state,
                    c,
                    m.cap_radius_km * 1_000.0,
                    alt,
                    f.cruise_kt,
                )))
            }
            Phase::Pursuit => {
                if self.mission_over(a, k, t) {
                    self.handed_over(a, k, out);
                    return Tr::MissionDone;
                }
                let Some(p) = target else {
                    // Not airborne yet: wait over base.
                    return Tr::Fly(Some(orbit_command(
                        state,
                        self.base.pos,
                        8_000.0,
                        f.alt_ft,
                        f.cruise_kt,
                    )));
                };
                let ts = target_state(&p);
                let range = state.pos.distance_m(&ts.pos);
                let aligned = wrap180(state.course_deg - ts.course_deg).abs() < 45.0;
                if range < CAPTURE_M && aligned {
                    return if m.escort {
                        Tr::To(Phase::Escort { since: t })
                    } else {
                        Tr::MissionDone
                    };
                }
                let alt = ts.alt_ft.max(a.floor_ft);
                // Already ahead of the station (from a stand-by): take the target's course,
                // slow down and let it come, rather than turning round to chase it.
                let (along, across) = formation_error(state, &ts, side, m.offset_m);
                if along < 0.0 && across.abs() < 5_000.0 && range < AHEAD_M {
                    return Tr::Fly(Some(escort_command(
                        state,
                        &ts,
                        side,
                        m.offset_m,
                        f.speed_kt,
                        perf.min_kt,
                        alt,
                    )));
                }
                Tr::Fly(Some(pursuit_command(
                    state, &ts, side, m.offset_m, f.speed_kt, alt,
                )))
            }
            Phase::Escort { since } => {
                let over = self.mission_over(a, k, t);
                let lost = target.is_some_and(|p| {
                    let ts = target_state(&p);
                    state.pos.distance_m(&station(&ts, side, m.offset_m)) > REJOIN_M
                });
                if over || lost || target.is_none() {
                    out.escorts.push(EscortTruth {
                        fighter: f.callsign.clone(),
                        target: m.intercept.clone(),
                        start: since,
                        end: t,
                    });
                }
                if over || target.is_none() {
                    self.handed_over(a, k, out);
                    return Tr::MissionDone;
                }
                if lost {
                    return Tr::To(Phase::Pursuit);
                }
                let Some(p) = target else {
                    return Tr::MissionDone;
                };
                let ts = target_state(&p);
                let alt = ts.alt_ft.max(a.floor_ft);
                Tr::Fly(Some(escort_command(
                    state,
                    &ts,
                    side,
                    m.offset_m,
                    f.speed_kt,
                    perf.min_kt,
                    alt,
                )))
            }
            Phase::Ground | Phase::Return(_) => Tr::Fly(None),
        }
    }

    /// Records the hand-over half when the mission ends at its `until_fir` entry.
    fn handed_over(&self, a: &Active<'_>, k: usize, out: &mut Outputs) {
        if let (Some((i, ki)), Some(fir)) = (a.until_entry, &a.m.until_fir)
            && k + BREAK_OFF_LEAD_S >= ki
        {
            out.halves.push(HandoverHalf {
                target: a.m.intercept.clone(),
                fir: fir.clone(),
                entry: i,
                fighter: self.spec.callsign.clone(),
                taking: false,
            });
        }
    }

    fn airspace_fir(&self, id: &str) -> Option<&'a vigil_airspace::Volume> {
        self.airspace?.firs().find(|v| v.id == id)
    }

    fn on_base(&self) -> State {
        State {
            pos: self.base.pos,
            alt_ft: self.base.elevation_ft,
            course_deg: 0.0,
            speed_kt: Performance::FIGHTER.takeoff_kt,
            vs_fpm: 0.0,
        }
    }

    /// Where the fighter heads first after take-off.
    fn first_aim(&self, a: &Active<'_>, t: f64) -> Option<LatLon> {
        if let Some(c) = a.m.cap {
            return Some(LatLon::new(c.lat, c.lon));
        }
        a.target
            .at(t)
            .or_else(|| a.target.points.first().copied())
            .map(|p| p.pos.pos)
    }

    fn entries_of(&self, m: &MissionSpec, fir: Option<&str>) -> Option<&'a Vec<FirEntry>> {
        self.entries.get(&(m.intercept.clone(), fir?.to_owned()))
    }

    /// Sets up mission `m` starting at step `k`.
    fn begin(&self, m: &'a MissionSpec, k: usize) -> Result<(Active<'a>, Phase), ScenarioError> {
        let target = self
            .targets
            .iter()
            .find(|a| a.callsign == m.intercept)
            .map(|a| &a.trajectory)
            .ok_or_else(|| ScenarioError::Invalid(format!("no aircraft {}", m.intercept)))?;
        // A target that lands (its last sample on the ground, before the end) is escorted
        // down to a floor above that aerodrome, not onto the runway.
        let end = self.start + self.steps_hint();
        let floor_ft = target
            .points
            .last()
            .filter(|p| p.t < end && p.vel[2] == 0.0)
            .map_or(f64::NEG_INFINITY, |p| {
                p.pos.height_m / M_PER_FT + ESCORT_FLOOR_FT
            });
        let first_after = |fir: Option<&str>| {
            self.entries_of(m, fir).and_then(|list| {
                list.iter()
                    .enumerate()
                    .find(|(_, e)| e.k_inside > k)
                    .map(|(i, e)| (i, e.k_inside))
            })
        };
        let until_entry = first_after(m.until_fir.as_deref());
        let phase = if m.from_fir.is_some() {
            Phase::Cap {
                join_entry: first_after(m.from_fir.as_deref()).map(|(i, _)| i),
            }
        } else {
            Phase::Pursuit
        };
        Ok((
            Active {
                m,
                target,
                floor_ft,
                until_entry,
            },
            phase,
        ))
    }

    fn steps_hint(&self) -> f64 {
        self.duration
    }

    /// Whether the mission's end condition holds at step `k`.
    fn mission_over(&self, a: &Active<'_>, k: usize, t: f64) -> bool {
        let gone = a.target.points.last().is_some_and(|p| p.t < t);
        let fir = a
            .until_entry
            .is_some_and(|(_, ki)| k + BREAK_OFF_LEAD_S >= ki);
        let time = a.m.until_s.is_some_and(|u| k as f64 >= u);
        gone || fir || time
    }
}

/// What the fighters produce besides their trajectories.
#[derive(Default)]
struct Outputs {
    escorts: Vec<EscortTruth>,
    halves: Vec<HandoverHalf>,
}

fn derived_emergency(squawk: &[(f64, u16)]) -> Vec<(f64, Emergency)> {
    squawk
        .iter()
        .filter(|(_, c)| Emergency::from_squawk(*c) != Emergency::None)
        .map(|&(t, c)| (t, Emergency::from_squawk(c)))
        .collect()
}

fn side_sign(s: Side) -> f64 {
    match s {
        Side::Left => -1.0,
        Side::Right => 1.0,
    }
}

/// Loads, shifts, selects and moves the background recording.
fn background(
    s: &Scenario,
    bg: &crate::scenario::BackgroundSpec,
    start: f64,
    end: f64,
    taken: &[IcaoAddress],
    notes: &mut Vec<String>,
) -> Result<Vec<SimAircraft>, ScenarioError> {
    let path = s.resolve(&bg.file);
    if !path.exists() {
        notes.push(format!(
            "background: {} not found; no background traffic",
            path.display()
        ));
        return Ok(Vec::new());
    }
    let mut trajs = vigil_track::sim::load_traffic(&path)?;
    let rec_start = trajs
        .iter()
        .filter_map(|t| t.points.first().map(|p| p.t))
        .fold(f64::INFINITY, f64::min);
    let shift = if bg.shift_to_start && rec_start.is_finite() {
        start - rec_start
    } else {
        0.0
    };
    for t in &mut trajs {
        for p in &mut t.points {
            p.t += shift;
        }
        t.points.retain(|p| p.t >= start && p.t <= end);
    }
    trajs.retain(|t| t.points.len() >= 2 && !taken.contains(&t.icao));
    // The busiest first; ties by address, so the choice is stable.
    trajs.sort_by(|a, b| {
        b.points
            .len()
            .cmp(&a.points.len())
            .then(a.icao.cmp(&b.icao))
    });
    if let Some(n) = bg.max_aircraft {
        trajs.truncate(n);
    }
    trajs.sort_by_key(|t| t.icao);
    if let Some(to) = bg.translate_to {
        let n = trajs.iter().map(|t| t.points.len()).sum::<usize>().max(1) as f64;
        let (slat, slon) = trajs
            .iter()
            .flat_map(|t| &t.points)
            .fold((0.0, 0.0), |(a, b), p| {
                (a + p.pos.pos.lat, b + p.pos.pos.lon)
            });
        let centroid = LatLon::new(slat / n, slon / n);
        let target = LatLon::new(to.lat, to.lon);
        for t in &mut trajs {
            for p in &mut t.points {
                let (e, nn) = enu_offset(centroid, p.pos.pos);
                p.pos.pos = from_enu(target, e, nn);
            }
        }
    }
    notes.push(format!(
        "background: {} aircraft from {}",
        trajs.len(),
        path.display()
    ));
    Ok(trajs
        .into_iter()
        .map(|t| {
            let first = t.points.first().map_or(start, |p| p.t);
            let squawk: Vec<(f64, u16)> = t.squawk.map(|c| vec![(first, c)]).unwrap_or_default();
            let emergency = derived_emergency(&squawk);
            SimAircraft {
                callsign: t.callsign.clone().unwrap_or_else(|| t.icao.to_string()),
                icao: t.icao,
                military: false,
                fighter: false,
                party: None,
                aircraft_type: None,
                squawk,
                emergency,
                transponder_off: Vec::new(),
                radio_silent: Vec::new(),
                flight_plan: None,
                background: true,
                trajectory: t,
            }
        })
        .collect())
}
