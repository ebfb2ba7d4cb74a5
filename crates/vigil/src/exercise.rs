//! The whole chain on a scenario, synchronously and deterministically: the scenario's truth
//! becomes real wire frames (ADS-B squitters in Beast framing, radar plots in ASTERIX
//! CAT048 blocks), which go through the same decoders, picture, tracker glue and renegade
//! desk as a live centre; out come tracks, indicators, categories, incidents, notifications
//! and the predicted hand-over points.
//!
//! Time is the scenario's: one step per second, no clock, no threads, so two runs of one
//! scenario give the same output.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::Serialize;
use vigil_airspace::{Airspace, Crossing};
use vigil_asterix::BlockWriter;
use vigil_asterix::cat048::{FlightLevel, ModeCode, PlotKind, PlotOut};
use vigil_codec::encode::{AircraftState, Squitterer, beast_frame, ticks_12mhz};
use vigil_codec::framing::Framer;
use vigil_codec::framing::beast::BeastFramer;
use vigil_codec::modes::{Callsign as ModeSCallsign, Emergency as ModeSEmergency};
use vigil_core::{Geodetic, IcaoAddress, LatLon, Measurement, SensorId, UnixTime};
use vigil_flightplan::{AtsMessage, FlightPlanBook, NavData, parse_messages};
use vigil_incident::{Incident, Notification};
use vigil_picture::{Ingested, Picture, PictureConfig};
use vigil_radar::{RadarBatch, RadarConfig, RadarStats};
use vigil_renegade::adapters::{AirspaceAreas, planned_flights};
use vigil_renegade::geometry::{PredictionSettings, intercept, predict_path};
use vigil_renegade::{
    Alert, Callsign, Category, EmergencyStatus, RenegadeConfig, RenegadeDesk, RenegadeEngine,
    Report, ReportKind, ReportSubject, TrackView,
};
use vigil_sim::{Emergency as SimEmergency, SimAircraft, Truth};
use vigil_track::sim::{RadarSim, SimBatch, SimConfig, simulate};
use vigil_track::{PartyId, Tracker};

use crate::config::TrackerSection;
use crate::tracking::{Engine, Sensors, adsb_observation};

/// An ADS-B receiver.
#[derive(Debug, Clone, PartialEq)]
pub struct AdsbSite {
    /// Name.
    pub name: String,
    /// Where.
    pub pos: LatLon,
    /// Reception range, km.
    pub range_km: f64,
}

/// A rotating radar (SSR / Mode S with a primary channel).
#[derive(Debug, Clone, PartialEq)]
pub struct RadarSite {
    /// Name.
    pub name: String,
    /// ASTERIX data source.
    pub sac: u8,
    /// ASTERIX data source.
    pub sic: u8,
    /// Antenna.
    pub pos: LatLon,
    /// Antenna height, metres.
    pub height_m: f64,
    /// Rotation period, seconds.
    pub period_s: f64,
    /// Instrumented range, NM (below 256).
    pub range_nm: f64,
    /// Mean number of false plots per rotation.
    pub false_per_scan: f64,
}

/// The Warszawa unit's sensors in the Baltic exercises: an ADS-B receiver and a radar at
/// Gdansk, a radar at Warszawa (`vigil demo` and the scenario tests use them).
pub fn warszawa_sensors() -> (Vec<AdsbSite>, Vec<RadarSite>) {
    (
        vec![AdsbSite {
            name: "adsb-gdansk".into(),
            pos: LatLon::new(54.38, 18.47),
            range_km: 450.0,
        }],
        vec![
            RadarSite {
                name: "radar-gdansk".into(),
                sac: 0x30,
                sic: 1,
                pos: LatLon::new(54.40, 18.60),
                height_m: 120.0,
                period_s: 4.0,
                range_nm: 250.0,
                false_per_scan: 5.0,
            },
            RadarSite {
                name: "radar-warszawa".into(),
                sac: 0x30,
                sic: 2,
                pos: LatLon::new(52.17, 20.97),
                height_m: 150.0,
                period_s: 10.0,
                range_nm: 250.0,
                false_per_scan: 5.0,
            },
        ],
    )
}

/// The centre's sensors and settings for an exercise.
#[derive(Debug, Clone)]
pub struct ExerciseOptions {
    /// ADS-B receivers.
    pub adsb: Vec<AdsbSite>,
    /// Radars.
    pub radars: Vec<RadarSite>,
    /// Partner parties notified with the national chain.
    pub partners: Vec<String>,
    /// The rules' settings.
    pub rules: RenegadeConfig,
    /// The tracker's settings.
    pub tracker: TrackerSection,
    /// Seconds between two predictions of the hand-over point of a track with an incident.
    pub predict_every_s: f64,
}

impl ExerciseOptions {
    /// Default settings with these sensors.
    pub fn new(adsb: Vec<AdsbSite>, radars: Vec<RadarSite>) -> Self {
        ExerciseOptions {
            adsb,
            radars,
            partners: vec!["RU".to_owned()],
            rules: RenegadeConfig::default(),
            tracker: TrackerSection::default(),
            predict_every_s: 10.0,
        }
    }
}

/// A category reached by a track.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryEvent {
    /// When (scenario time, Unix seconds).
    pub t: f64,
    /// The system track.
    pub track: u64,
    /// The category now (the incident's, which an operator may have set).
    pub category: Category,
}

/// A predicted crossing of a FIR boundary between two parties.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HandoverPrediction {
    /// When the prediction was made.
    pub made_at: f64,
    /// The track.
    pub track: u64,
    /// The predicted crossing.
    pub crossing: Crossing,
}

/// A fighter's predicted time to intercept a track with an incident.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InterceptPrediction {
    /// When the prediction was made.
    pub made_at: f64,
    /// The target track.
    pub track: u64,
    /// The fighter's track.
    pub fighter: u64,
    /// The fighter's Mode S address.
    pub fighter_icao: Option<String>,
    /// Seconds to the intercept.
    pub time_to_intercept_s: f64,
}

/// Counters of one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ExerciseStats {
    /// Mode S frames emitted.
    pub frames: u64,
    /// Frames the picture took.
    pub frames_accepted: u64,
    /// Radar plots emitted (including false plots).
    pub plots: u64,
    /// CAT048 bytes emitted.
    pub asterix_bytes: u64,
    /// ADS-B observations handed to the tracker.
    pub adsb_observations: u64,
    /// Radar observations handed to the tracker.
    pub radar_observations: u64,
    /// Reports applied.
    pub reports: u64,
    /// Reports that found no track.
    pub reports_unmatched: u64,
}

/// What a run produced.
#[derive(Debug, Clone, Serialize)]
pub struct ExerciseResult {
    /// Category changes, in time order.
    pub categories: Vec<CategoryEvent>,
    /// Every alert raised (with its clearing time if it cleared).
    pub alerts: Vec<Alert>,
    /// Every incident at the end.
    pub incidents: Vec<Incident>,
    /// Every notification, in order.
    pub notifications: Vec<Notification>,
    /// Hand-over predictions of tracks with an incident.
    pub predictions: Vec<HandoverPrediction>,
    /// Fighters' time to intercept tracks with an incident.
    pub intercepts: Vec<InterceptPrediction>,
    /// For each Mode S address, the system tracks that carried it.
    pub tracks_of: BTreeMap<String, BTreeSet<u64>>,
    /// Tracks flagged "transponder lost" at some point.
    pub transponder_lost: BTreeSet<u64>,
    /// First and last time each confirmed track was shown.
    pub lifetimes: BTreeMap<u64, (f64, f64)>,
    /// Flight plans that could not be used, and why.
    pub plan_problems: Vec<String>,
    /// Counters.
    pub stats: ExerciseStats,
    /// The tracker's and the glue's counters at the end.
    pub tracker_stats: serde_json::Value,
}

impl ExerciseResult {
    /// The tracks that carried `icao`.
    pub fn tracks(&self, icao: IcaoAddress) -> Vec<u64> {
        self.tracks_of
            .get(&icao.to_string())
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default()
    }

    /// First time any of `tracks` reached `category` or above.
    pub fn first(&self, tracks: &[u64], category: Category) -> Option<f64> {
        self.categories
            .iter()
            .find(|c| tracks.contains(&c.track) && c.category >= category)
            .map(|c| c.t)
    }
}

/// Why an exercise could not run.
#[derive(Debug, thiserror::Error)]
pub enum ExerciseError {
    /// A setting is wrong.
    #[error("exercise: {0}")]
    Config(String),
}

fn sim_to_modes(e: SimEmergency) -> ModeSEmergency {
    match e {
        SimEmergency::None => ModeSEmergency::None,
        SimEmergency::General => ModeSEmergency::General,
        SimEmergency::Lifeguard => ModeSEmergency::Lifeguard,
        SimEmergency::MinimumFuel => ModeSEmergency::MinFuel,
        SimEmergency::NoCommunications => ModeSEmergency::NoRadio,
        SimEmergency::UnlawfulInterference => ModeSEmergency::Unlawful,
        SimEmergency::Downed => ModeSEmergency::Downed,
    }
}

/// The renegade rules' view of a decoded emergency status.
pub fn emergency_status(e: ModeSEmergency) -> EmergencyStatus {
    match e {
        ModeSEmergency::None => EmergencyStatus::None,
        ModeSEmergency::General => EmergencyStatus::General,
        ModeSEmergency::Lifeguard => EmergencyStatus::Medical,
        ModeSEmergency::MinFuel => EmergencyStatus::MinimumFuel,
        ModeSEmergency::NoRadio => EmergencyStatus::NoCommunications,
        ModeSEmergency::Unlawful => EmergencyStatus::UnlawfulInterference,
        ModeSEmergency::Downed => EmergencyStatus::Downed,
        ModeSEmergency::Reserved => EmergencyStatus::Reserved,
    }
}

/// The rules' view of every confirmed track at `now`: the tracker's estimate predicted to
/// `now`, its identity, and the picture's ADS-B emergency status when fresh.
pub fn track_views(
    tracker: &Tracker,
    picture: Option<&Picture>,
    now: UnixTime,
    military: &BTreeSet<IcaoAddress>,
    out: &mut Vec<TrackView>,
) {
    let emergency = |a: IcaoAddress, now: UnixTime| {
        picture
            .and_then(|p| p.get(a)?.emergency)
            .filter(|e| now.since(e.at) <= 10.0)
            .map_or(EmergencyStatus::None, |e| emergency_status(e.value))
    };
    track_views_with(tracker, &emergency, now, military, out);
}

/// [`track_views`] with the emergency status from `emergency(address, now)`.
pub fn track_views_with(
    tracker: &Tracker,
    emergency: &dyn Fn(IcaoAddress, UnixTime) -> EmergencyStatus,
    now: UnixTime,
    military: &BTreeSet<IcaoAddress>,
    out: &mut Vec<TrackView>,
) {
    out.clear();
    let delete_after = tracker.config().delete_after_s;
    for t in tracker.tracks().filter(|t| t.is_confirmed()) {
        if now.since(t.last_update()) > delete_after {
            continue;
        }
        let at = if now.since(t.time()) > 0.0 {
            now
        } else {
            t.time()
        };
        let g = tracker.predict(t, at);
        let p = tracker.frame().enu_to_geodetic(&g.position());
        let v_frame = g.x.fixed_rows::<3>(3).into_owned();
        let v = tracker.frame().axes_at(&p.pos) * v_frame;
        let id = t.identity();
        let emergency = id.icao.map_or(EmergencyStatus::None, |a| emergency(a, now));
        out.push(TrackView {
            id: t.id().0,
            time: at,
            pos: p.pos,
            alt_ft: Some(p.height_m / 0.3048),
            vel_en: [v[0], v[1]],
            vrate_fpm: v[2] * 60.0 / 0.3048,
            icao: id.icao,
            callsign: id.callsign.as_deref().and_then(Callsign::new),
            squawk: id.mode3a,
            emergency,
            transponder_lost: t.transponder_lost(),
            confirmed: true,
            military: id.icao.is_some_and(|a| military.contains(&a)),
        });
    }
}

/// The plans filed in the scenario, in a book, with corridors from the scenario's aerodromes
/// (and lat/lon route points; no external navigation data needed).
fn plans(
    truth: &Truth,
    aerodromes_json: &str,
    start: f64,
) -> (Vec<vigil_renegade::PlannedFlight>, Vec<String>) {
    let mut book = FlightPlanBook::new();
    let mut problems = Vec::new();
    for a in &truth.aircraft {
        let Some(text) = &a.flight_plan else { continue };
        for m in parse_messages(text) {
            match m {
                Ok(msg @ AtsMessage::Fpl(_)) => {
                    if let Err(e) = book.apply(msg) {
                        problems.push(format!("{}: {e}", a.callsign));
                    }
                }
                Ok(_) => {}
                Err(e) => problems.push(format!("{}: {e}", a.callsign)),
            }
        }
    }
    let nav = match NavData::from_texts("", "", "", aerodromes_json) {
        Ok(n) => Some(n),
        Err(e) => {
            problems.push(format!("aerodromes: {e}"));
            None
        }
    };
    let (flights, more) = planned_flights(&book, nav.as_ref(), UnixTime(start));
    problems.extend(more);
    (flights, problems)
}

/// The scenario's aerodromes as an `airports.json` text for the navigation data.
pub fn aerodromes_json(scenario: &vigil_sim::Scenario) -> String {
    let list: Vec<serde_json::Value> = scenario
        .aerodromes
        .iter()
        .map(|a| {
            serde_json::json!({
                "name": a.id, "icao": a.id, "iata": "", "lat": a.lat, "lon": a.lon,
                "alt": a.elevation_ft, "country": ""
            })
        })
        .collect();
    serde_json::Value::Array(list).to_string()
}

fn state_at(a: &SimAircraft, t: f64) -> Option<AircraftState> {
    let p = a.trajectory.at(t)?;
    let mut s = AircraftState::new(a.icao, p.pos.pos, (p.pos.height_m / 0.3048).round() as i32);
    s.callsign = Some(ModeSCallsign::from_text(&a.callsign));
    s.gs_kt = p.vel[0].hypot(p.vel[1]) * 3600.0 / 1852.0;
    s.track_deg = p.vel[0].atan2(p.vel[1]).to_degrees().rem_euclid(360.0);
    s.vrate_fpm = (p.vel[2] * 60.0 / 0.3048).round() as i32;
    s.squawk = a.squawk_at(t).unwrap_or(0x2000);
    s.emergency = sim_to_modes(a.emergency_at(t));
    s.nacp = 9;
    s.nacv = 2;
    s.nic = 8;
    s.sil = 3;
    Some(s)
}

/// Runs the chain over a scenario's truth, with the scenario's aerodromes for the flight
/// plans' corridors.
pub fn run(
    scenario: &vigil_sim::Scenario,
    truth: &Truth,
    airspace: Option<Arc<Airspace>>,
    options: &ExerciseOptions,
) -> Result<ExerciseResult, ExerciseError> {
    run_truth(truth, &aerodromes_json(scenario), airspace, options)
}

/// Runs the chain over any truth (a scenario's, or real recorded traffic); `airports_json` is
/// an `airports.json` text naming the aerodromes the flight plans use.
pub fn run_truth(
    truth: &Truth,
    airports_json: &str,
    airspace: Option<Arc<Airspace>>,
    options: &ExerciseOptions,
) -> Result<ExerciseResult, ExerciseError> {
    let start = truth.start.floor();
    let end = truth.end.ceil();
    // Sensors: ADS-B receivers first, then the radars (the tracker glue's numbering).
    let feed_names: Vec<String> = options.adsb.iter().map(|a| a.name.clone()).collect();
    let radar_sites: Vec<(String, Option<Geodetic>)> = options
        .radars
        .iter()
        .map(|r| {
            (
                r.name.clone(),
                Some(Geodetic {
                    pos: r.pos,
                    height_m: r.height_m,
                }),
            )
        })
        .collect();
    let sensors = Sensors::new(&feed_names, &radar_sites, &options.tracker);
    let centre = options
        .radars
        .first()
        .map(|r| r.pos)
        .or_else(|| options.adsb.first().map(|a| a.pos))
        .ok_or_else(|| ExerciseError::Config("no sensor".into()))?;
    let mut engine = Engine::new(
        options.tracker.clone(),
        sensors,
        Some(Geodetic {
            pos: centre,
            height_m: 0.0,
        }),
        "exercise".into(),
    )
    .map_err(|e| ExerciseError::Config(format!("{e:#}")))?;
    let mut picture = Picture::new(PictureConfig {
        expire_after_s: 300.0,
        reference: Some(centre),
        ..PictureConfig::default()
    });
    let mut framers: Vec<BeastFramer> = options
        .adsb
        .iter()
        .map(|_| BeastFramer::default())
        .collect();
    let mut squitterers: Vec<Squitterer> = truth
        .aircraft
        .iter()
        .map(|a| Squitterer::new(a.icao))
        .collect();

    // Radar plots: the tracker's sensor simulator on the truth (detection probability, noise,
    // false plots, primary-only when the transponder is off), then encoded as CAT048.
    let feeds = options.adsb.len() as u16;
    let radar_batches = radar_plots(truth, &options.radars, feeds, start, end)?;
    let by_icao: BTreeMap<IcaoAddress, &SimAircraft> =
        truth.aircraft.iter().map(|a| (a.icao, a)).collect();
    let mut converters = Vec::new();
    let mut radar_stats = Vec::new();
    for (i, r) in options.radars.iter().enumerate() {
        let cfg: RadarConfig = serde_json::from_value(serde_json::json!({
            "name": r.name,
            "position": {"lat": r.pos.lat, "lon": r.pos.lon, "height_m": r.height_m},
            "sac": r.sac, "sic": r.sic, "exercise": truth.exercise,
            "source": {"type": "raw", "path": "exercise"},
        }))
        .map_err(|e| ExerciseError::Config(format!("radar {}: {e}", r.name)))?;
        let id = SensorId(feeds + i as u16);
        converters.push(
            vigil_radar::Converter::new(id, &cfg)
                .map_err(|e| ExerciseError::Config(format!("radar {}: {e}", r.name)))?,
        );
        radar_stats.push(RadarStats::new(id, &r.name, "raw", "exercise".into()));
    }

    let mut desk = RenegadeDesk::new(
        RenegadeEngine::new(options.rules.clone())
            .map_err(|e| ExerciseError::Config(e.to_string()))?,
        &options.partners,
    )
    .map_err(|e| ExerciseError::Config(e.to_string()))?;
    if let Some(a) = &airspace {
        desk.rules
            .set_restricted_areas(Arc::new(AirspaceAreas::new(a.clone())));
    }
    let (flights, plan_problems) = plans(truth, airports_json, start);
    desk.rules.set_plans(flights);
    let military: BTreeSet<IcaoAddress> = truth
        .aircraft
        .iter()
        .filter(|a| a.military)
        .map(|a| a.icao)
        .collect();

    let mut result = ExerciseResult {
        categories: Vec::new(),
        alerts: Vec::new(),
        incidents: Vec::new(),
        notifications: Vec::new(),
        predictions: Vec::new(),
        intercepts: Vec::new(),
        tracks_of: BTreeMap::new(),
        transponder_lost: BTreeSet::new(),
        lifetimes: BTreeMap::new(),
        plan_problems,
        stats: ExerciseStats::default(),
        tracker_stats: serde_json::Value::Null,
    };
    let mut shown: BTreeMap<u64, Category> = BTreeMap::new();
    let mut next_batch = 0usize;
    let mut reports: Vec<_> = truth.reports.iter().collect();
    reports.sort_by(|a, b| a.t.total_cmp(&b.t));
    let mut next_report = 0usize;
    let mut views = Vec::new();
    let mut squitters = Vec::new();
    let mut bytes = Vec::new();
    let mut items = Vec::new();
    let mut observations = Vec::new();
    let mut last_prediction: BTreeMap<u64, f64> = BTreeMap::new();
    let settings = PredictionSettings::default();

    let mut t = start;
    while t < end {
        let now = t + 1.0;
        // ADS-B: each transponder's squitters in (t, now], on the wire and back.
        observations.clear();
        for (ai, a) in truth.aircraft.iter().enumerate() {
            for k in 1..=10 {
                let ts = t + f64::from(k) * 0.1;
                if !a.transponder_on(ts) {
                    continue;
                }
                let Some(state) = state_at(a, ts) else {
                    continue;
                };
                squitters.clear();
                squitterers[ai].poll(&state, UnixTime(ts), &mut |s| squitters.push(s));
                for (si, site) in options.adsb.iter().enumerate() {
                    if site.pos.distance_m(&state.position) > site.range_km * 1_000.0 {
                        continue;
                    }
                    for s in &squitters {
                        let time = &s.time;
                        result.stats.frames += 1;
                        bytes.clear();
                        beast_frame(&mut bytes, s.data(), ticks_12mhz(*time), 120);
                        items.clear();
                        framers[si].push(&bytes, &mut |item| items.push(item));
                        for item in &items {
                            let positions = picture.stats().positions;
                            if let Ingested::Updated(icao) =
                                picture.ingest(*time, SensorId(si as u16), item)
                            {
                                result.stats.frames_accepted += 1;
                                if picture.stats().positions != positions
                                    && let Some(ac) = picture.get(icao)
                                    && ac.position.is_some_and(|p| p.at == *time)
                                    && let Some(o) = adsb_observation(ac, SensorId(si as u16))
                                {
                                    observations.push(o);
                                }
                            }
                        }
                    }
                }
            }
        }
        // A receiver hands positions over in the order it heard them.
        observations.sort_by(|a, b| a.time.secs().total_cmp(&b.time.secs()));
        result.stats.adsb_observations += observations.len() as u64;
        engine.adsb(UnixTime(now), std::mem::take(&mut observations));

        // Radar: every simulated sector batch ending in (t, now], as CAT048 blocks.
        while next_batch < radar_batches.len() && radar_batches[next_batch].end <= now {
            let b = &radar_batches[next_batch];
            next_batch += 1;
            let ri = usize::from(b.sensor.0 - feeds);
            let site = &options.radars[ri];
            let mut writer =
                BlockWriter::new(48, 1_400).map_err(|e| ExerciseError::Config(e.to_string()))?;
            result.stats.plots += encode_plots(&mut writer, b, site, &by_icao, truth.exercise);
            let data = writer.as_bytes().to_vec();
            result.stats.asterix_bytes += data.len() as u64;
            let mut obs = Vec::new();
            converters[ri].blocks(&data, UnixTime(b.end), &mut radar_stats[ri], &mut obs);
            if !obs.is_empty() {
                result.stats.radar_observations += obs.len() as u64;
                engine.radar(RadarBatch {
                    sensor: b.sensor,
                    received: UnixTime(b.end),
                    observations: obs,
                });
            }
        }
        engine.advance(UnixTime(now));
        // Reports from ATC.
        while next_report < reports.len() && reports[next_report].t <= now {
            let r = reports[next_report];
            next_report += 1;
            let kind = match r.kind {
                vigil_sim::ReportKind::RadioContactLost => ReportKind::RadioContactLost,
                vigil_sim::ReportKind::RadioContactRestored => ReportKind::RadioContactRestored,
                vigil_sim::ReportKind::NotFollowingAtc => ReportKind::NotFollowingAtc,
            };
            let mut ok = false;
            for subject in [
                ReportSubject::Icao(r.icao),
                ReportSubject::Callsign(r.callsign.clone()),
            ] {
                let rep = Report {
                    subject,
                    kind,
                    source: r.source.clone(),
                    remark: None,
                };
                if desk.rules.report(UnixTime(now), &rep).is_ok() {
                    ok = true;
                    break;
                }
            }
            if ok {
                result.stats.reports += 1;
            } else {
                result.stats.reports_unmatched += 1;
            }
        }

        // The rules and incidents.
        if let Some(tracker) = engine.tracker() {
            track_views(
                tracker,
                Some(&picture),
                UnixTime(now),
                &military,
                &mut views,
            );
            for v in &views {
                result.lifetimes.entry(v.id).or_insert((now, now)).1 = now;
                if let Some(a) = v.icao {
                    result
                        .tracks_of
                        .entry(a.to_string())
                        .or_default()
                        .insert(v.id);
                }
                if v.transponder_lost {
                    result.transponder_lost.insert(v.id);
                }
            }
        }
        let r = desk.cycle(UnixTime(now), &views);
        result.alerts.extend(r.rules.raised.iter().cloned());
        for c in &r.rules.cleared {
            if let Some(a) = result.alerts.iter_mut().find(|a| a.id == c.id) {
                a.cleared = c.cleared;
            }
        }
        result.notifications.extend(r.notifications);
        for v in &views {
            let cat = desk.category(v.id);
            let before = shown.get(&v.id).copied().unwrap_or(Category::None);
            if cat != before {
                shown.insert(v.id, cat);
                result.categories.push(CategoryEvent {
                    t: now,
                    track: v.id,
                    category: cat,
                });
            }
            // Where will it cross into another party's airspace?
            if cat >= Category::Comloss
                && let Some(a) = &airspace
                && last_prediction
                    .get(&v.id)
                    .is_none_or(|l| now - l >= options.predict_every_s)
            {
                last_prediction.insert(v.id, now);
                let path = predict_path(v, desk.rules.turn_rate(v.id), &settings);
                for f in views.iter().filter(|f| f.military) {
                    if let Some(x) = intercept(f.pos, f.speed_mps().max(231.5), &path) {
                        result.intercepts.push(InterceptPrediction {
                            made_at: now,
                            track: v.id,
                            fighter: f.id,
                            fighter_icao: f.icao.map(|a| a.to_string()),
                            time_to_intercept_s: x.time_to_intercept_s,
                        });
                    }
                }
                if let Some(c) = a.fir_crossings(&path).into_iter().find(|c| {
                    c.from_party.is_some() && c.to_party.is_some() && c.from_party != c.to_party
                }) {
                    result.predictions.push(HandoverPrediction {
                        made_at: now,
                        track: v.id,
                        crossing: c,
                    });
                }
            }
        }
        t = now;
    }
    result.incidents = desk.incidents().all().cloned().collect();
    result.tracker_stats = engine.tracks_json(Some(UnixTime(end)))["stats"].clone();
    Ok(result)
}

/// The radars' plots over `[start, end]`: the tracker's sensor simulator on the truth
/// (detection probability, noise, false plots, primary only once a transponder is off).
/// Radar `i` is sensor `first_sensor + i`.
fn radar_plots(
    truth: &Truth,
    radars: &[RadarSite],
    first_sensor: u16,
    start: f64,
    end: f64,
) -> Result<Vec<SimBatch>, ExerciseError> {
    let trajectories: Vec<_> = truth
        .aircraft
        .iter()
        .map(|a| a.trajectory.clone())
        .collect();
    let sim = SimConfig {
        seed: truth.seed,
        start,
        end,
        adsb: None,
        radars: radars
            .iter()
            .enumerate()
            .map(|(i, r)| RadarSim {
                sensor: SensorId(first_sensor + i as u16),
                site: Geodetic {
                    pos: r.pos,
                    height_m: r.height_m,
                },
                period_s: r.period_s,
                sigma_range_m: 40.0,
                sigma_azimuth_rad: 0.08_f64.to_radians(),
                pd_ssr: 0.97,
                pd_psr: 0.9,
                false_per_scan: r.false_per_scan,
                max_range_m: r.range_nm * 1852.0,
                phase_rad: i as f64,
            })
            .collect(),
        silent: truth
            .aircraft
            .iter()
            .filter_map(|a| a.transponder_off.first().map(|(from, _)| (a.icao, *from)))
            .collect(),
        party: PartyId(0),
    };
    simulate(&trajectories, &sim).map_err(|e| ExerciseError::Config(e.to_string()))
}

/// Encodes one simulated sector batch of `site` as CAT048 plots into `writer` (Mode S
/// roll-call plots with address, code, level and, for the scenario's own flights, callsign;
/// primary plots without); returns how many plots it made.
fn encode_plots(
    writer: &mut BlockWriter,
    b: &SimBatch,
    site: &RadarSite,
    by_icao: &BTreeMap<IcaoAddress, &SimAircraft>,
    exercise: bool,
) -> u64 {
    let mut plots = 0;
    for (o, who) in b.observations.iter().zip(&b.truth) {
        let Measurement::Polar {
            range_m,
            azimuth_rad,
            ..
        } = o.measurement
        else {
            continue;
        };
        let tod = o.time.secs().rem_euclid(86_400.0);
        let rho = range_m / 1852.0;
        if rho >= 255.9 {
            continue;
        }
        let theta = azimuth_rad.to_degrees().rem_euclid(360.0);
        let truth_ac = who.and_then(|a| by_icao.get(&a));
        let identified = o.identity.icao.is_some();
        let mut plot = PlotOut::new(
            site.sac,
            site.sic,
            tod,
            if identified {
                PlotKind::ModeSRollCallPsr
            } else {
                PlotKind::Psr
            },
            rho,
            theta,
        );
        plot.simulated = exercise;
        let cs;
        if identified && let Some(a) = truth_ac {
            let ts = o.time.secs();
            plot.address = Some(a.icao);
            plot.mode3a = a
                .squawk_at(ts)
                .and_then(vigil_radar::convert::from_octal_nibbles)
                .map(ModeCode::new);
            plot.flight_level = a
                .trajectory
                .at(ts)
                .map(|p| FlightLevel::new((p.pos.height_m / 0.3048 / 100.0 * 4.0).round() / 4.0));
            cs = a.callsign.clone();
            if !a.background {
                plot.callsign = Some(cs.as_str());
            }
        }
        plots += 1;
        // A plot that cannot be encoded (out of range) is not sent, as a radar would not.
        let _ = writer.push_with(|out| plot.encode_into(out));
    }
    plots
}

/// One centre's sensors on a scenario, as the bytes they put on the wire, a step at a
/// time: Beast frames from each ADS-B receiver (the transponders' squitters within its
/// range) and CAT048 data blocks from each radar (the same plot simulator and encoder as
/// [`run_truth`]). `vigil demo` sends them live to running centres; the frames are the ones
/// an exercise decodes, but a live centre stamps them with its own clock on arrival.
pub struct WireSensors {
    truth: Arc<Truth>,
    adsb: Vec<AdsbSite>,
    radars: Vec<RadarSite>,
    squitterers: Vec<Squitterer>,
    batches: Vec<SimBatch>,
    next_batch: usize,
    /// End of the last step, Unix seconds.
    t: f64,
    /// Scratch.
    squitters: Vec<vigil_codec::encode::Squitter>,
}

/// What a centre's sensors put on the wire in one step of [`WireSensors`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WireStep {
    /// End of the step (scenario time, Unix seconds): the frames are due then.
    pub t: f64,
    /// Beast bytes, one buffer per ADS-B receiver in the order of the sites.
    pub beast: Vec<Vec<u8>>,
    /// CAT048 data blocks (each fits a UDP datagram), one list per radar in the order of
    /// the sites.
    pub cat048: Vec<Vec<Vec<u8>>>,
    /// Mode S frames in `beast`, all receivers together.
    pub frames: u64,
    /// Plots in `cat048`, all radars together.
    pub plots: u64,
}

impl std::fmt::Debug for WireSensors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WireSensors")
            .field("adsb", &self.adsb.len())
            .field("radars", &self.radars.len())
            .field("t", &self.t)
            .field("radar_batches", &self.batches.len())
            .finish()
    }
}

impl WireSensors {
    /// The sensors over the whole truth, from its start. The radar plots of the whole
    /// scenario are simulated here (seeded by the truth).
    pub fn new(
        truth: Arc<Truth>,
        adsb: Vec<AdsbSite>,
        radars: Vec<RadarSite>,
    ) -> Result<Self, ExerciseError> {
        if adsb.is_empty() && radars.is_empty() {
            return Err(ExerciseError::Config("no sensor".into()));
        }
        let start = truth.start.floor();
        let end = truth.end.ceil();
        // Sensor numbering as in `run_truth`: the receivers first, then the radars.
        let batches = radar_plots(&truth, &radars, adsb.len() as u16, start, end)?;
        let squitterers = truth
            .aircraft
            .iter()
            .map(|a| Squitterer::new(a.icao))
            .collect();
        Ok(WireSensors {
            truth,
            adsb,
            radars,
            squitterers,
            batches,
            next_batch: 0,
            t: start,
            squitters: Vec::new(),
        })
    }

    /// End of the last step (the truth's start before the first).
    pub fn time(&self) -> f64 {
        self.t
    }

    /// Whether the truth has ended.
    pub fn done(&self) -> bool {
        self.t >= self.truth.end.ceil()
    }

    /// The next `dt` seconds: every squitter due in `(t, t + dt]` (transponders are polled
    /// once, at the end of the step, as [`run_truth`] polls them every tenth of a second)
    /// and every radar sector batch that ends in it.
    pub fn step(&mut self, dt: f64) -> WireStep {
        let now = self.t + dt;
        let mut out = WireStep {
            t: now,
            beast: vec![Vec::new(); self.adsb.len()],
            cat048: vec![Vec::new(); self.radars.len()],
            frames: 0,
            plots: 0,
        };
        let truth = self.truth.clone();
        for (ai, a) in truth.aircraft.iter().enumerate() {
            if !a.transponder_on(now) {
                continue;
            }
            let Some(state) = state_at(a, now) else {
                continue;
            };
            self.squitters.clear();
            let squitters = &mut self.squitters;
            self.squitterers[ai].poll(&state, UnixTime(now), &mut |s| squitters.push(s));
            for (si, site) in self.adsb.iter().enumerate() {
                if site.pos.distance_m(&state.position) > site.range_km * 1_000.0 {
                    continue;
                }
                for s in &self.squitters {
                    out.frames += 1;
                    beast_frame(&mut out.beast[si], s.data(), ticks_12mhz(s.time), 120);
                }
            }
        }
        let due = |b: &&SimBatch| b.end <= now;
        if self.batches.get(self.next_batch).filter(due).is_none() {
            self.t = now;
            return out;
        }
        let by_icao: BTreeMap<IcaoAddress, &SimAircraft> =
            truth.aircraft.iter().map(|a| (a.icao, a)).collect();
        let first_radar = self.adsb.len() as u16;
        while let Some(b) = self.batches.get(self.next_batch).filter(due) {
            self.next_batch += 1;
            let ri = usize::from(b.sensor.0 - first_radar);
            let Some(site) = self.radars.get(ri) else {
                continue;
            };
            // 1,400 octets: a datagram under the usual path MTU; a valid size, so the
            // writer is always made.
            let Ok(mut writer) = BlockWriter::new(48, 1_400) else {
                continue;
            };
            out.plots += encode_plots(&mut writer, b, site, &by_icao, truth.exercise);
            out.cat048[ri].extend(writer.into_blocks());
        }
        self.t = now;
        out
    }
}
