//! The metro-station desk of a running centre (STANDEX, issue 10): `[station]` in the
//! centre's configuration, the station exercise run as the centre's sensors, alarms as
//! incidents, `/data/station.json` and `POST /api/station/alarms/{id}/actions`, and the alarm
//! summaries offered to the links.
//!
//! ```text
//! crowd simulator (vigil-station, seeded) --truth--> cameras (homography, misses, clutter)
//!        |                                                  | floor detections, no truth label
//!        | truth (sensing only)                        vigil-people tracker (anonymous ids)
//!        v                                                  |
//! stand-off sensor looks (vigil-standex SensorSim) --> Standex::step (evidence, cascade, alarm)
//!                                                           | alarm
//!                                       incident engine (workflows/station_alarm.toml)
//!                                       | transitions                  | operator actions
//!                      StationAlarmOut summaries to the links    /api/station/alarms/{id}/actions
//! ```
//!
//! **Exercise.** The only source is the crowd exercise: the centre runs the simulator and the
//! cameras as its sensors, 10 scans per second of the centre's clock (a virtual clock runs it
//! faster). Everything is labelled exercise in `/data/station.json` and the UI; on links the
//! centre's `[centre] exercise` label applies, and `[station]` with `share_alarms` refuses to
//! start on a centre that is not an exercise centre.
//!
//! **Anonymous, bounded.** No image and no identity exists anywhere in the chain. Alarm
//! evidence (positions, predicted position, the chain of sensor looks, the response team's
//! target) is kept `retention_s` after the alarm, then pruned; the incident keeps its
//! workflow states and a text without positions. Partner centres get summaries only (station,
//! zone, state, level, body location, sensor kinds, remark): never a position or a track.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use vigil_core::{Clock, UnixTime};
use vigil_incident::{ActionArgs, Actor, AuditRecord, Evidence, IncidentEngine, IncidentId};
use vigil_people::{FloorDetection, PeopleConfig, PeopleTracker, PersonId};
use vigil_standex::site::{floor_detections, sensors_from_site, track_views, truth_people};
use vigil_standex::{Reading, SensorSim, Standex, StandexConfig, TrackView, TruthPerson};
use vigil_station::{BodyLocation, CameraDetection, CarrierConfig, Crowd, ScenarioConfig, Site};

use crate::access::{Access, Who, refuse};
use crate::links::LinksShared;

/// Scan period of the exercise (10 Hz), seconds of the centre's clock.
const SCAN_S: f64 = 0.1;
/// Audit records kept in memory for `/data/station.json`.
const KEEP_AUDIT: usize = 2_000;
/// The exercise runs "for ever": the simulator's run length, seconds (about 30 years).
const FOREVER_S: f64 = 1e9;
/// At most this many scans under one hold of the lock (readers wait at most that long).
const SCANS_PER_LOCK: usize = 5;

// ---- configuration -------------------------------------------------------------------------

/// `[station]`: a metro station watched by STANDEX (stand-off explosives detection).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StationSection {
    /// The station file (zones, walls, flows, cameras, stand-off sensors; the format of
    /// `config/stations/example.toml`), relative to the configuration's folder.
    pub file: PathBuf,
    /// The crowd exercise the centre runs as its sensors (`[station.exercise]`).
    #[serde(default)]
    pub exercise: ExerciseSource,
    /// STANDEX engine settings inline (`[station.standex]`: thresholds, decay, tasking;
    /// every field has a default). Not together with `standex_file`.
    #[serde(default)]
    pub standex: Option<StandexConfig>,
    /// STANDEX engine settings in a file of their own (the same fields).
    #[serde(default)]
    pub standex_file: Option<PathBuf>,
    /// The people tracker's settings (`[station.people]`; defaults are the tracker's).
    #[serde(default)]
    pub people: Option<PeopleConfig>,
    /// Whether alarm summaries (station, zone, state, level, body location, sensor kinds,
    /// remark: never a position or a track) are offered to the links; each link's release
    /// policy must still list `station_alarms`.
    #[serde(default)]
    pub share_alarms: bool,
    /// How long an alarm's evidence (positions, predicted position, the chain of sensor
    /// looks, the response team's target) is kept after the alarm, seconds of the centre's
    /// clock; then it is pruned. No image and no identity is ever kept at all.
    #[serde(default = "default_retention")]
    pub retention_s: f64,
}

fn default_retention() -> f64 {
    // A shift: the evidence is there for the debrief, then goes.
    8.0 * 3600.0
}

/// `[station.exercise]`: the crowd simulator the centre runs as its sensors. What is not set
/// here comes from the station file's `[scenario]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExerciseSource {
    /// Seed of every random draw (crowd, cameras, sensor looks): one seed, one run.
    pub seed: u64,
    /// Factor on every arrival rate of the station file.
    pub arrival_scale: Option<f64>,
    /// People placed in the station at the start.
    pub initial_people: Option<usize>,
    /// Carriers by entry time only, seconds after the start (one carrier each, at an
    /// entrance chosen by the simulator, explosives on the torso). Not with `carrier`.
    pub carrier_entry_s: Option<Vec<f64>>,
    /// Carriers in full (`[[station.exercise.carrier]]`: entry_time_s, entrance, platform,
    /// body, mass_kg), replacing the station file's.
    pub carrier: Option<Vec<CarrierConfig>>,
    /// Exercise debrief: each alarm also records how far the nearest carrier truly was
    /// (the simulator knows; the operators normally should not see it during the exercise).
    pub debrief: bool,
}

impl Default for ExerciseSource {
    fn default() -> Self {
        ExerciseSource {
            seed: 1,
            arrival_scale: None,
            initial_people: None,
            carrier_entry_s: None,
            carrier: None,
            debrief: false,
        }
    }
}

fn resolve(p: &Path, base: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_owned()
    } else {
        base.join(p)
    }
}

impl StationSection {
    /// Checks what needs no file.
    pub fn validate(&self) -> Result<()> {
        if !(self.retention_s >= 0.0 && self.retention_s.is_finite()) {
            bail!("[station] retention_s must be a number of seconds >= 0");
        }
        if self.standex.is_some() && self.standex_file.is_some() {
            bail!("[station] has both [station.standex] and standex_file: keep one");
        }
        if let Some(c) = &self.standex {
            c.validate().context("[station.standex] is not valid")?;
        }
        let e = &self.exercise;
        if e.carrier.is_some() && e.carrier_entry_s.is_some() {
            bail!("[station.exercise] has both carrier and carrier_entry_s: keep one");
        }
        if let Some(s) = e.arrival_scale
            && !(s >= 0.0 && s.is_finite())
        {
            bail!("[station.exercise] arrival_scale must be >= 0");
        }
        for t in e.carrier_entry_s.iter().flatten() {
            if !(*t >= 0.0 && t.is_finite()) {
                bail!("[station.exercise] carrier_entry_s: {t} is not a time >= 0");
            }
        }
        Ok(())
    }

    /// The engine settings: inline, from their file, or the defaults.
    pub fn standex_config(&self, base: &Path) -> Result<StandexConfig> {
        match (&self.standex, &self.standex_file) {
            (Some(c), _) => Ok(c.clone()),
            (None, Some(f)) => {
                let p = resolve(f, base);
                let text = std::fs::read_to_string(&p)
                    .with_context(|| format!("cannot read the STANDEX settings {}", p.display()))?;
                StandexConfig::from_toml(&text)
                    .with_context(|| format!("STANDEX settings {}", p.display()))
            }
            (None, None) => Ok(StandexConfig::default()),
        }
    }

    /// The scenario the centre runs: the station file's, changed by `[station.exercise]`,
    /// at 10 Hz and without end.
    pub fn scenario(&self, site: &Site) -> ScenarioConfig {
        let e = &self.exercise;
        let mut s = site.scenario.clone().unwrap_or_else(|| ScenarioConfig {
            duration_s: FOREVER_S,
            dt_s: SCAN_S,
            seed: e.seed,
            arrival_scale: 1.0,
            arrival_per_min: BTreeMap::new(),
            initial_people: 0,
            carrier: Vec::new(),
        });
        s.duration_s = FOREVER_S;
        s.dt_s = SCAN_S;
        s.seed = e.seed;
        if let Some(a) = e.arrival_scale {
            s.arrival_scale = a;
        }
        if let Some(n) = e.initial_people {
            s.initial_people = n;
        }
        if let Some(c) = &e.carrier {
            s.carrier = c.clone();
        } else if let Some(times) = &e.carrier_entry_s {
            s.carrier = times
                .iter()
                .map(|&t| CarrierConfig {
                    entry_time_s: t,
                    entrance: None,
                    platform: None,
                    body: BodyLocation::Torso,
                    mass_kg: 0.25,
                })
                .collect();
        }
        s
    }
}

// ---- the running station --------------------------------------------------------------------

/// An alarm as the station desk keeps it: its incident, what may be shared, and the evidence
/// that is pruned after `retention_s`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct AlarmRecord {
    /// The incident (alarm) number.
    id: u64,
    /// When the engine raised it (the centre's clock).
    at: UnixTime,
    /// Zone where the person was.
    zone: Option<String>,
    /// Zone of the predicted position.
    predicted_zone: Option<String>,
    /// Where on the body, when a sensor said.
    body: Option<String>,
    /// Log-likelihood ratio at the alarm.
    llr: f64,
    /// Kinds of the sensors whose detections are in the chain.
    sensor_kinds: Vec<String>,
    /// Positions and the chain: `None` once pruned.
    evidence: Option<AlarmEvidence>,
    /// When the evidence was pruned.
    pruned_at: Option<UnixTime>,
    /// Exercise debrief: distance to the nearest carrier at the alarm, metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nearest_carrier_m: Option<f64>,
    /// Raised before the centre's last restart: its track belongs to the tracker of that
    /// run, so a team is sent to the alarm's own prediction.
    #[serde(default)]
    previous_run: bool,
}

/// The part of an alarm that says where the person was and why: pruned after retention.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct AlarmEvidence {
    /// The anonymous people track (this centre's only: never shared).
    track: u64,
    /// Position at the alarm, metres.
    position: [f64; 2],
    /// Velocity at the alarm, metres per second.
    velocity: [f64; 2],
    /// Predicted position for the response team, metres.
    predicted: [f64; 2],
    /// Time of the prediction (the centre's clock).
    predicted_at: UnixTime,
    /// The chain of evidence (sensor looks), oldest first.
    chain: Vec<vigil_standex::EvidenceItem>,
    /// Where the response team was sent, metres, and for when.
    team_target: Option<([f64; 2], UnixTime)>,
}

/// Counters of the station desk.
#[derive(Debug, Clone, Copy, Default, Serialize)]
struct Counters {
    scans: u64,
    camera_detections: u64,
    sensor_looks: u64,
    cues: u64,
    alarms: u64,
    evidence_pruned: u64,
    /// People in the station now (the simulator's count: the exercise's ground truth size).
    people_now: usize,
    /// Confirmed people tracks now.
    tracks_now: usize,
    /// How far the exercise is behind the centre's clock, seconds.
    lag_s: f64,
}

/// What a restart resumes: the station's incidents and their alarms. The crowd, the cameras
/// and the tracks are the exercise's and start afresh.
#[derive(Serialize, Deserialize)]
struct DeskSnapshot {
    /// The run that wrote it: 0 for the centre's first, one more after each restart.
    #[serde(default)]
    run: u64,
    incidents: vigil_incident::EngineSnapshot,
    alarms: Vec<AlarmRecord>,
}

/// Everything the scan thread and the API share, under one lock.
struct Desk {
    name: String,
    site: Site,
    crowd: Crowd,
    tracker: PeopleTracker,
    engine: Standex,
    sensing: SensorSim,
    cam_rng: ChaCha8Rng,
    cams: Vec<CameraDetection>,
    floor: Vec<FloorDetection>,
    tracks: Vec<TrackView>,
    truth: Vec<TruthPerson>,
    readings: Vec<Reading>,
    incidents: IncidentEngine,
    alarms: BTreeMap<u64, AlarmRecord>,
    audit: VecDeque<AuditRecord>,
    unsaved: Vec<AuditRecord>,
    counters: Counters,
    /// The centre's time of simulation time 0.
    t0: UnixTime,
    /// The alarms changed without an audit record (evidence pruned): the next save writes
    /// a snapshot.
    snapshot_due: bool,
    /// Which run of the centre this is (0, then one more after each restart that resumed
    /// incidents from the store).
    run: u64,
    /// Summaries for the links (when shared).
    outbound: Vec<vigil_release::Outbound>,
    origin: vigil_release::Origin,
    share: bool,
    retention_s: f64,
    debrief: bool,
    /// The static plan for the UI (zones, walls, cameras with coverage), built once.
    plan: Value,
}

/// The station desk of a running centre: shared by its scan thread, the HTTP API and the
/// links' outbound task.
pub struct StationShared {
    desk: Mutex<Desk>,
    store: Option<Arc<crate::store::CentreStore>>,
}

impl std::fmt::Debug for StationShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = self.lock();
        f.debug_struct("StationShared")
            .field("station", &d.name)
            .field("scans", &d.counters.scans)
            .field("alarms", &d.alarms.len())
            .finish()
    }
}

impl StationShared {
    fn lock(&self) -> MutexGuard<'_, Desk> {
        // Each scan leaves the desk consistent before the next; a panic mid-scan leaves at
        // worst one scan half applied, which the next scan overwrites.
        self.desk.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Loads the station and builds the chain; simulation time 0 is `now`.
    pub fn new(
        section: &StationSection,
        base: &Path,
        centre: &crate::config::CentreConfig,
        now: UnixTime,
        store: Option<Arc<crate::store::CentreStore>>,
    ) -> Result<Self> {
        let (path, site, engine, sensors) = load(section, base)?;
        let scenario = section.scenario(&site);
        let crowd = Crowd::new(&site.station, &scenario)
            .with_context(|| format!("[station.exercise] on {}", path.display()))?;
        // Independent streams for the sensors and the cameras (the crowd has its own), as in
        // vigil-standex's evaluation, so one seed gives one run.
        let seed = scenario.seed;
        let sensing = SensorSim::new(sensors, seed ^ 0x5354_414e_4445_5801);
        let cam_rng = ChaCha8Rng::seed_from_u64(seed ^ 0x4341_4d45_5241_5301);
        let wf = vigil_incident::Workflow::from_toml_str(vigil_incident::builtin::STATION_ALARM)
            .context("the station alarm workflow does not load")?;
        let incidents = IncidentEngine::new(wf).context("the station alarm workflow")?;
        let plan = plan_json(&site);
        let name = site.station.name().to_owned();
        let restored = match &store {
            Some(st) => resume_from(&st.store)?,
            None => None,
        };
        tracing::info!(station = %name, seed, people = crowd.people().len(), carriers = scenario.carrier.len(), "station exercise ready");
        StationShared {
            desk: Mutex::new(Desk {
                name,
                crowd,
                tracker: PeopleTracker::new(section.people.unwrap_or_default()),
                engine,
                sensing,
                cam_rng,
                cams: Vec::new(),
                floor: Vec::new(),
                tracks: Vec::new(),
                truth: Vec::new(),
                readings: Vec::new(),
                incidents,
                alarms: BTreeMap::new(),
                audit: VecDeque::new(),
                unsaved: Vec::new(),
                counters: Counters::default(),
                t0: now,
                run: 0,
                snapshot_due: false,
                outbound: Vec::new(),
                origin: vigil_release::Origin::new(&centre.party, &centre.name),
                share: section.share_alarms,
                retention_s: section.retention_s,
                debrief: section.exercise.debrief,
                plan,
                site,
            }),
            store,
        }
        .resumed(restored)
    }

    /// Applies what [`resume_from`] read from the store.
    fn resumed(self, restored: Option<(String, Vec<AuditRecord>)>) -> Result<Self> {
        if let Some((json, audit)) = restored {
            let mut d = self.lock();
            let n = d.restore(&json, audit)?;
            tracing::info!(incidents = n, "station: incidents resumed from the store");
        }
        Ok(self)
    }

    /// Runs the scans due at `now` (10 per second of the centre's clock since the start), at
    /// most `max` of them; returns how many ran.
    pub fn run_due(&self, now: UnixTime, max: usize) -> usize {
        let mut d = self.lock();
        let target = now.since(d.t0);
        let mut n = 0;
        while n < max && d.crowd.time() + SCAN_S <= target + 1e-9 {
            d.scan();
            n += 1;
        }
        d.counters.lag_s = (target - d.crowd.time()).max(0.0);
        let audit = std::mem::take(&mut d.unsaved);
        let snapshot = d.take_snapshot(!audit.is_empty());
        drop(d);
        self.save(audit, snapshot);
        n
    }

    /// Keeps station audit records in the centre's store (kind `station_incident`: the
    /// renegade desk's restore reads only its own kind), with the desk's snapshot
    /// ([`vigil_store::STATION_DESK`]) in the same transaction.
    fn save(&self, audit: Vec<AuditRecord>, snapshot: Option<String>) {
        let Some(st) = &self.store else { return };
        if audit.is_empty() && snapshot.is_none() {
            return;
        }
        let entries = audit
            .iter()
            .map(|r| vigil_store::AuditEntry {
                seq: 0,
                at: r.at().secs(),
                kind: "station_incident".into(),
                actor: match r {
                    AuditRecord::Transition(t) => t.actor.user.clone(),
                    _ => "system".into(),
                },
                json: r.to_json(),
                exercise: true,
            })
            .collect();
        if let Err(e) = st
            .store
            .append_audit_of(vigil_store::STATION_DESK, entries, snapshot)
        {
            tracing::error!("cannot store the station's audit records: {e}");
        }
    }

    /// Takes the alarm summaries collected for the links since the last call.
    pub fn drain_outbound(&self) -> Vec<vigil_release::Outbound> {
        std::mem::take(&mut self.lock().outbound)
    }

    /// A workflow action on an alarm by `actor`: `dispatch_team` also records the predicted
    /// position of the person for the response team.
    pub fn act(
        &self,
        actor: &Actor,
        id: u64,
        action: &str,
        args: ActionArgs,
    ) -> Result<Value, crate::renegade::ApiError> {
        use crate::renegade::ApiError;
        let mut d = self.lock();
        let now = d.now();
        let t = d
            .incidents
            .act(now, IncidentId(id), actor, action, args)
            .map_err(|e| match e {
                vigil_incident::IncidentError::UnknownIncident(_) => {
                    ApiError::NotFound(e.to_string())
                }
                _ => ApiError::BadRequest(e.to_string()),
            })?;
        let mut team = Value::Null;
        if action == "dispatch_team" {
            let lead = d.engine.config().response_lead_s;
            let sim_t = d.crowd.time();
            let at = UnixTime(now.secs() + lead);
            let target = d
                .alarms
                .get(&id)
                .and_then(|a| Some((a.evidence.as_ref()?, a.previous_run)))
                .map(|(e, previous_run)| {
                    // The person's track now, predicted ahead; the alarm's prediction when the
                    // track has ended or belongs to the run before a restart.
                    if previous_run {
                        return e.predicted;
                    }
                    d.tracker
                        .predict(PersonId(e.track), sim_t + lead)
                        .map_or(e.predicted, |(p, _)| p)
                });
            if let (Some(p), Some(ev)) = (
                target,
                d.alarms.get_mut(&id).and_then(|a| a.evidence.as_mut()),
            ) {
                ev.team_target = Some((p, at));
                team = json!({"x": round2(p[0]), "y": round2(p[1]), "at": at.secs()});
            }
        }
        d.collect();
        let audit = std::mem::take(&mut d.unsaved);
        let snapshot = d.take_snapshot(!audit.is_empty());
        drop(d);
        self.save(audit, snapshot);
        Ok(json!({"transition": t, "team_target": team}))
    }

    /// `/data/station.json`.
    pub fn json(&self) -> Value {
        self.lock().json()
    }
}

impl Desk {
    fn now(&self) -> UnixTime {
        UnixTime(self.t0.secs() + self.crowd.time())
    }

    /// One scan: the crowd moves, the cameras see it, the tracker follows it, the sensors look,
    /// STANDEX weighs the evidence; alarms open incidents.
    fn scan(&mut self) {
        self.crowd.step(SCAN_S);
        // The simulator keeps everyone who left for its own evaluation; an exercise that runs
        // for days must not.
        if !self.crowd.departed().is_empty() {
            drop(self.crowd.drain_departed());
        }
        let t = self.crowd.time();
        self.cams.clear();
        self.crowd
            .detect_all(&self.site.cameras, &mut self.cam_rng, &mut self.cams);
        self.floor.clear();
        floor_detections(&self.cams, &mut self.floor);
        self.tracker.process(t, &self.floor);
        self.tracks.clear();
        track_views(&self.tracker, &mut self.tracks);
        self.truth.clear();
        truth_people(self.crowd.people(), &mut self.truth);
        self.readings.clear();
        self.sensing.sense(
            t,
            &self.truth,
            self.engine.sensor_states(),
            &mut self.readings,
        );
        let out = self
            .engine
            .step(t, &self.tracks, &self.readings, &self.site.station);
        let c = &mut self.counters;
        c.scans += 1;
        c.camera_detections += self.cams.len() as u64;
        c.sensor_looks += self.readings.len() as u64;
        c.cues += out.cues.len() as u64;
        c.people_now = self.truth.len();
        c.tracks_now = self.tracks.len();
        for a in &out.alarms {
            self.open_alarm(a);
        }
        if !out.alarms.is_empty() {
            self.collect();
        }
        self.prune();
    }

    fn open_alarm(&mut self, a: &vigil_standex::Alarm) {
        let now = self.now();
        let kind_of = |sensor: &str| {
            self.engine
                .sensors()
                .iter()
                .find(|s| s.id == sensor)
                .map(|s| name_of(&s.kind))
        };
        let mut kinds: Vec<String> = a
            .chain
            .iter()
            .filter(|i| i.detected)
            .filter_map(|i| kind_of(&i.sensor))
            .collect();
        kinds.sort();
        kinds.dedup();
        let body = a.body.map(|b| name_of(&b));
        let detail = format!(
            "STANDEX alarm: evidence {:.1} (log-likelihood ratio) from {}{}{}",
            a.llr,
            if kinds.is_empty() {
                "no detection".to_owned()
            } else {
                kinds.join(", ")
            },
            body.as_ref()
                .map_or(String::new(), |b| format!("; body: {b}")),
            a.zone
                .as_ref()
                .map_or(String::new(), |z| format!("; zone: {z}")),
        );
        // The subject names the anonymous track: one open incident per person. Track numbers
        // start again after a restart, so the subject carries the run: a new person never
        // joins an incident restored from the run before. Evidence in the incident is text
        // without a position, so that it may outlive the retention.
        let id = self.incidents.open(
            now,
            format!("person:{}:{}", self.run, a.track),
            2,
            vec![Evidence::new("standex_alarm", now, detail)],
        );
        self.counters.alarms += 1;
        let nearest_carrier_m = self.debrief.then(|| {
            self.crowd
                .people()
                .iter()
                .filter(|p| p.carrier.is_some())
                .map(|p| (p.position[0] - a.position[0]).hypot(p.position[1] - a.position[1]))
                .fold(f64::INFINITY, f64::min)
        });
        tracing::warn!(
            alarm = id.0,
            zone = a.zone.as_deref().unwrap_or("?"),
            llr = a.llr,
            "station alarm (exercise)"
        );
        self.alarms.insert(
            id.0,
            AlarmRecord {
                id: id.0,
                at: now,
                zone: a.zone.clone(),
                predicted_zone: a.predicted_zone.clone(),
                body,
                llr: a.llr,
                sensor_kinds: kinds,
                evidence: Some(AlarmEvidence {
                    track: a.track,
                    position: a.position,
                    velocity: a.velocity,
                    predicted: a.predicted,
                    predicted_at: UnixTime(self.t0.secs() + a.predicted_t),
                    chain: a.chain.clone(),
                    team_target: None,
                }),
                pruned_at: None,
                nearest_carrier_m: nearest_carrier_m.filter(|d| d.is_finite()),
                previous_run: false,
            },
        );
    }

    /// The snapshot to store with `changed` incidents, or after the evidence was pruned
    /// (so that a restart never brings pruned evidence back); `None` when nothing changed.
    fn take_snapshot(&mut self, changed: bool) -> Option<String> {
        if !(changed || self.snapshot_due) {
            return None;
        }
        self.snapshot_due = false;
        self.snapshot_json()
    }

    /// The desk's incidents and their alarms as JSON, for the store ([`DeskSnapshot`]).
    fn snapshot_json(&self) -> Option<String> {
        let snap = DeskSnapshot {
            run: self.run,
            incidents: self.incidents.snapshot(),
            alarms: self.alarms.values().cloned().collect(),
        };
        match serde_json::to_string(&snap) {
            Ok(j) => Some(j),
            Err(e) => {
                tracing::error!("cannot write the station's snapshot: {e}");
                None
            }
        }
    }

    /// Resumes the incidents and alarms of a snapshot, and the latest audit records for
    /// the API. Returns how many incidents came back.
    fn restore(&mut self, json: &str, audit: Vec<AuditRecord>) -> Result<usize> {
        let snap: DeskSnapshot =
            serde_json::from_str(json).context("the stored station snapshot is not readable")?;
        let engine = IncidentEngine::restore(snap.incidents)
            .context("the stored station snapshot does not fit the station alarm workflow")?;
        let n = engine.all().count();
        self.incidents = engine;
        self.run = snap.run + 1;
        self.alarms = snap
            .alarms
            .into_iter()
            .map(|mut a| {
                a.previous_run = true;
                (a.id, a)
            })
            .collect();
        let keep = audit.len().saturating_sub(KEEP_AUDIT);
        self.audit = audit.into_iter().skip(keep).collect();
        Ok(n)
    }

    /// Drains the incident engine: audit records kept, summaries offered to the links.
    fn collect(&mut self) {
        let audit = self.incidents.drain_audit();
        // Notifications would go to channels; none are configured for the station (the
        // summaries to the links are its partner channel).
        let _ = self.incidents.drain_outbox();
        for r in &audit {
            if self.share
                && let Some(s) = self.summary(r)
            {
                self.outbound.push(vigil_release::Outbound::StationAlarm(s));
            }
        }
        self.unsaved.extend(audit.iter().cloned());
        for r in audit {
            if self.audit.len() == KEEP_AUDIT {
                self.audit.pop_front();
            }
            self.audit.push_back(r);
        }
    }

    /// The summary of an opening or a transition: no position, no track.
    fn summary(&self, r: &AuditRecord) -> Option<vigil_release::StationAlarmOut> {
        let (seq, at, id, state, level, remark) = match r {
            AuditRecord::Opened {
                seq,
                at,
                incident,
                state,
                level,
                ..
            } => (*seq, *at, *incident, state.clone(), *level, None),
            AuditRecord::Transition(t) => (
                t.seq,
                t.at,
                t.incident,
                t.to_state.clone(),
                t.to_level,
                t.remark.clone().or_else(|| t.reason.clone()),
            ),
            _ => return None,
        };
        let a = self.alarms.get(&id.0)?;
        let wf = self.incidents.workflow();
        Some(vigil_release::StationAlarmOut {
            alarm: id.0,
            seq,
            time: at,
            origin: self.origin.clone(),
            station: self.name.clone(),
            zone: a.zone.clone().unwrap_or_else(|| "unknown".into()),
            state,
            level: wf.level_name(level).unwrap_or("?").to_owned(),
            body_location: a.body.clone(),
            sensor_kinds: a.sensor_kinds.clone(),
            remark,
        })
    }

    /// Drops the evidence of alarms older than the retention.
    fn prune(&mut self) {
        let now = self.now();
        let keep = self.retention_s;
        // The engine's own copies (positions and evidence chains) go at the same age.
        let cutoff = self.engine.time() - keep;
        self.engine.prune_alarms(cutoff);
        for a in self.alarms.values_mut() {
            if a.evidence.is_some() && now.since(a.at) >= keep {
                a.evidence = None;
                a.pruned_at = Some(now);
                self.counters.evidence_pruned += 1;
                self.snapshot_due = true;
                tracing::info!(alarm = a.id, "station alarm evidence pruned (retention)");
            }
        }
    }

    fn json(&self) -> Value {
        let now = self.now();
        let wf = self.incidents.workflow();
        let sensors: Vec<Value> = self
            .engine
            .sensors()
            .iter()
            .zip(self.engine.sensor_states())
            .map(|(spec, st)| {
                let state = if !st.on {
                    "off"
                } else if st.tasks.is_empty() {
                    "on"
                } else {
                    "tasked"
                };
                json!({
                    "id": spec.id,
                    "kind": name_of(&spec.kind),
                    "x": spec.x, "y": spec.y,
                    "heading_deg": spec.heading_deg,
                    "range_m": spec.range_m,
                    "always_on": st.always_on,
                    "state": state,
                    "tasked": st.tasks.len(),
                    "coverage": spec.coverage_polygon(12).iter().map(|p| [round2(p[0]), round2(p[1])]).collect::<Vec<_>>(),
                })
            })
            .collect();
        let alarmed: std::collections::BTreeSet<u64> = self
            .alarms
            .values()
            .filter(|a| {
                self.incidents
                    .get(IncidentId(a.id))
                    .is_some_and(|i| i.closed.is_none())
            })
            .filter_map(|a| a.evidence.as_ref().map(|e| e.track))
            .collect();
        let people: Vec<Value> = self
            .tracks
            .iter()
            .map(|t| {
                json!({
                    "id": t.id,
                    "x": round2(t.x), "y": round2(t.y),
                    "llr": round2(self.engine.llr(t.id).unwrap_or(0.0)),
                    "cued": self.engine.is_cued(t.id),
                    "alarmed": alarmed.contains(&t.id),
                })
            })
            .collect();
        let alarms: Vec<Value> = self
            .alarms
            .values()
            .rev()
            .map(|a| {
                let inc = self.incidents.get(IncidentId(a.id));
                json!({
                    "id": a.id,
                    "at": a.at.secs(),
                    "state": inc.map(|i| i.state.as_str()),
                    "level": inc.map(|i| i.level),
                    "level_name": inc.and_then(|i| wf.level_name(i.level)),
                    "proposed_level": inc.and_then(|i| i.proposed_level),
                    "closed": inc.and_then(|i| i.closed).map(UnixTime::secs),
                    "zone": a.zone,
                    "predicted_zone": a.predicted_zone,
                    "body": a.body,
                    "llr": round2(a.llr),
                    "sensor_kinds": a.sensor_kinds,
                    "evidence": a.evidence.as_ref().map(|e| json!({
                        "track": e.track,
                        "position": [round2(e.position[0]), round2(e.position[1])],
                        "velocity": [round2(e.velocity[0]), round2(e.velocity[1])],
                        "predicted": [round2(e.predicted[0]), round2(e.predicted[1])],
                        "predicted_at": e.predicted_at.secs(),
                        "chain": e.chain,
                        "team_target": e.team_target.map(|(p, at)| json!({"x": round2(p[0]), "y": round2(p[1]), "at": at.secs()})),
                    })),
                    "pruned_at": a.pruned_at.map(UnixTime::secs),
                    "nearest_carrier_m": a.nearest_carrier_m.map(round2),
                    "previous_run": a.previous_run,
                    "timeline": inc.map(|i| &i.timeline),
                })
            })
            .collect();
        json!({
            "exercise": true,
            "station": self.name,
            "now": now.secs(),
            "sim_t": round2(self.crowd.time()),
            "retention_s": self.retention_s,
            "share_alarms": self.share,
            "plan": self.plan,
            "sensors": sensors,
            "people": people,
            "alarms": alarms,
            "counters": self.counters,
            "workflow": {
                "states": wf.states,
                "levels": wf.levels,
                "actions": wf.actions.iter().map(|a| json!({"name": a.name, "role": a.role, "needs_reason": a.needs_reason, "needs_remark": a.needs_remark})).collect::<Vec<_>>(),
            },
            "audit": self.audit.iter().rev().take(200).collect::<Vec<_>>(),
        })
    }
}

/// The snake-case name serde gives a unit enum variant (sensor kinds, body locations).
fn name_of<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        _ => "unknown".into(),
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The station's plan for the UI: bounds, zones, walls, cameras with their floor coverage.
fn plan_json(site: &Site) -> Value {
    let st = &site.station;
    let (lo, hi) = st.bounds();
    let zones: Vec<Value> = st
        .zones()
        .iter()
        .map(|z| {
            json!({
                "id": z.id,
                "kind": name_of(&z.kind),
                "polygon": z.polygon.vertices,
                "centroid": z.polygon.centroid(),
            })
        })
        .collect();
    let walls: Vec<Value> = st.walls().iter().map(|w| json!([w.a, w.b])).collect();
    let cameras: Vec<Value> = site
        .cameras
        .iter()
        .map(|c| {
            json!({
                "id": c.id(),
                "position": c.spec().position,
                "yaw_deg": c.spec().yaw_deg,
                "coverage": camera_coverage(c),
            })
        })
        .collect();
    json!({
        "bounds": [lo, hi],
        "zones": zones,
        "walls": walls,
        "cameras": cameras,
    })
}

/// Where a camera sees people's feet, as a polygon: along rays across its field of view, the
/// nearest and farthest floor points it sees (image and maximum range both bound it).
fn camera_coverage(c: &vigil_station::Camera) -> Vec<[f64; 2]> {
    let spec = c.spec();
    let range = c.model().max_range_m.min(200.0);
    let rays = 24;
    let (mut far, mut near) = (Vec::new(), Vec::new());
    for k in 0..=rays {
        let a = (spec.yaw_deg - spec.hfov_deg / 2.0
            + spec.hfov_deg * f64::from(k) / f64::from(rays))
        .to_radians();
        let (sin, cos) = a.sin_cos();
        let mut first = None;
        let mut last = None;
        let mut r = 0.25;
        while r <= range {
            let p = [spec.position[0] + r * cos, spec.position[1] + r * sin];
            if c.sees(p) {
                first.get_or_insert(p);
                last = Some(p);
            }
            r += 0.25;
        }
        if let (Some(f), Some(l)) = (first, last) {
            near.push([round2(f[0]), round2(f[1])]);
            far.push([round2(l[0]), round2(l[1])]);
        }
    }
    near.reverse();
    far.extend(near);
    far
}

// ---- tasks ----------------------------------------------------------------------------------

/// The scan thread: the scans due on the centre's clock, until shutdown. A thread of its own
/// (not an async task): a scan is CPU work and must not hold up the HTTP server.
pub fn spawn_scans(
    station: Arc<StationShared>,
    clock: Arc<dyn Clock>,
    shutdown: CancellationToken,
) -> Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("vigil-station".into())
        .spawn(move || {
            let mut warned_at = None::<std::time::Instant>;
            while !shutdown.is_cancelled() {
                let n = station.run_due(clock.now(), SCANS_PER_LOCK);
                if n < SCANS_PER_LOCK {
                    std::thread::sleep(Duration::from_millis(10));
                } else {
                    let lag = station.lock().counters.lag_s;
                    if lag > 5.0 && warned_at.is_none_or(|w| w.elapsed().as_secs() >= 60) {
                        tracing::warn!(lag_s = lag, "the station exercise runs behind the centre's clock (too fast a clock for this machine)");
                        warned_at = Some(std::time::Instant::now());
                    }
                }
            }
        })
        .context("cannot start the station's scan thread")
}

/// Offers the alarm summaries to every link twice a second (each link's policy decides; a
/// link must release `station_alarms`). Waits when a link's input is full.
pub async fn run_outbound(
    station: Arc<StationShared>,
    links: Arc<LinksShared>,
    shutdown: CancellationToken,
) {
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        for msg in station.drain_outbound() {
            for h in &links.handles {
                if h.offer(msg.clone()).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Loads `[station]`, starts its scan thread and, with links and `share_alarms`, its
/// outbound task. `None` without `[station]`.
///
/// A centre with a store resumes the station's incidents from it ([`resume_from`]).
pub fn start(
    cfg: &crate::config::Config,
    base: &Path,
    clock: Arc<dyn Clock>,
    links: Option<Arc<LinksShared>>,
    store: Option<Arc<crate::store::CentreStore>>,
    shutdown: CancellationToken,
) -> Result<Option<Arc<StationShared>>> {
    let Some(section) = cfg.station.as_ref() else {
        return Ok(None);
    };
    check_centre(section, cfg)?;
    let station = Arc::new(StationShared::new(
        section,
        base,
        &cfg.centre,
        clock.now(),
        store,
    )?);
    spawn_scans(station.clone(), clock, shutdown.clone())?;
    if let (Some(l), true) = (links, section.share_alarms) {
        tokio::spawn(run_outbound(station.clone(), l, shutdown));
    }
    Ok(Some(station))
}

/// The station desk's latest snapshot in the store and the station audit records (kind
/// `station_incident`) up to it, oldest first; `None` when the desk never saved one.
fn resume_from(store: &vigil_store::Store) -> Result<Option<(String, Vec<AuditRecord>)>> {
    let Some((seq, json)) = store
        .latest_snapshot_of(vigil_store::STATION_DESK)
        .context("cannot read the station's snapshot from the store")?
    else {
        return Ok(None);
    };
    let mut audit = Vec::new();
    let mut after = 0;
    loop {
        let page = store
            .audit(Some("station_incident"), after, 5_000)
            .context("cannot read the station's audit records from the store")?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        audit.extend(
            page.iter()
                .filter(|e| e.seq <= seq)
                .filter_map(|e| serde_json::from_str(&e.json).ok()),
        );
        if after >= seq {
            break;
        }
    }
    Ok(Some((json, audit)))
}

/// A simulated crowd's alarms must never reach a partner as real ones: with links and
/// `share_alarms`, the centre must be an exercise centre.
pub fn check_centre(section: &StationSection, cfg: &crate::config::Config) -> Result<()> {
    section.validate()?;
    if section.share_alarms && cfg.links.enabled() && !cfg.centre.exercise {
        bail!(
            "[station] runs a crowd exercise and share_alarms sends its alarms on the links: set \
             [centre] exercise = true so that partners receive them labelled exercise"
        );
    }
    Ok(())
}

/// The station file (its path, as resolved) and the STANDEX engine on its sensors, checked:
/// what `vigil run` and `vigil check-config` both load, with the same errors.
fn load(
    section: &StationSection,
    base: &Path,
) -> Result<(
    PathBuf,
    Site,
    Standex,
    Vec<vigil_standex::sensor::SensorSpec>,
)> {
    section.validate()?;
    let path = resolve(&section.file, base);
    let site = Site::load(&path).with_context(|| format!("[station] file {}", path.display()))?;
    let cfg = section.standex_config(base)?;
    let sensors = sensors_from_site(&site.sensors, &cfg).context("STANDEX sensor settings")?;
    let engine = Standex::new(cfg, sensors.clone()).context("STANDEX settings")?;
    Ok((path, site, engine, sensors))
}

/// For `vigil check-config`: loads the station file and the STANDEX settings as `vigil run`
/// would (the same typed errors) and says what they hold.
pub fn describe(section: &StationSection, base: &Path) -> Result<String> {
    let (_, site, _, _) = load(section, base)?;
    Ok(format!(
        "{}: {} zones, {} cameras, {} stand-off sensors",
        site.station.name(),
        site.station.zones().len(),
        site.cameras.len(),
        site.sensors.len()
    ))
}

// ---- HTTP -----------------------------------------------------------------------------------

/// What the station's routes need.
#[derive(Debug, Clone)]
pub struct StationApi {
    /// The station desk, when `[station]` is configured.
    pub station: Option<Arc<StationShared>>,
    /// The links (partner station alarms).
    pub links: Option<Arc<LinksShared>>,
}

/// `GET /data/station.json` and `POST /api/station/alarms/{id}/actions`, behind the same
/// login gate as the rest of `/data` and `/api`.
pub fn router(api: StationApi, access: Arc<Access>) -> Router {
    Router::new()
        .route("/data/station.json", get(station_json))
        .route("/api/station/alarms/{id}/actions", post(alarm_action))
        .layer(axum::middleware::from_fn_with_state(
            access.clone(),
            crate::access::require_login,
        ))
        .layer(Extension(access))
        .with_state(Arc::new(api))
}

/// Station alarm summaries partners sent (kept by the links' partner picture).
fn partner_alarms(links: Option<&Arc<LinksShared>>) -> Vec<Value> {
    let Some(l) = links else { return Vec::new() };
    let mut v = l.partner_json();
    let Some(events) = v.get_mut("events").and_then(Value::as_array_mut) else {
        return Vec::new();
    };
    events
        .drain(..)
        .filter(|e| e["type"] == "station_alarm")
        .rev()
        .take(500)
        .collect()
}

async fn station_json(State(api): State<Arc<StationApi>>) -> Response {
    let partner = partner_alarms(api.links.as_ref());
    match &api.station {
        Some(s) => {
            let mut v = s.json();
            v["partner_alarms"] = Value::Array(partner);
            Json(v).into_response()
        }
        None if api.links.is_some() => Json(json!({
            "station": null,
            "partner_alarms": partner,
        }))
        .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "this centre watches no station: add [station] to its configuration (docs/station.md)\n",
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct ActionBody {
    action: String,
    #[serde(flatten)]
    args: ActionArgs,
}

async fn alarm_action(
    State(api): State<Arc<StationApi>>,
    Extension(access): Extension<Arc<Access>>,
    Extension(who): Extension<Who>,
    UrlPath(id): UrlPath<u64>,
    body: Bytes,
) -> Response {
    use crate::renegade::ApiError;
    let what = format!("station alarm {id} action");
    let Some(station) = &api.station else {
        return refuse(StatusCode::NOT_FOUND, "this centre watches no station");
    };
    let actor = &who.actor;
    let b = match serde_json::from_slice::<ActionBody>(&body) {
        Ok(b) => b,
        Err(e) => {
            let e = ApiError::BadRequest(format!(
                "an action is {{\"action\": \"acknowledge\" | \"dispatch_team\" | \"resolve\" | \
                 \"false_alarm\" | ..., \"reason\": \"...\", \"remark\": \"...\"}}: {e}"
            ));
            access.record(&actor.user, &what, false, e.to_string());
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": e.to_string()})),
            )
                .into_response();
        }
    };
    let what = format!("{what} {}", b.action);
    tracing::info!(user = %actor.user, role = %actor.role, alarm = id, action = %b.action, "station API write");
    let r = station.act(actor, id, &b.action, b.args);
    match r {
        Ok(v) => {
            access.record(&actor.user, &what, true, "");
            Json(v).into_response()
        }
        Err(e) => {
            access.record(&actor.user, &what, false, e.to_string());
            let status = match e {
                ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
                ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
                ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            };
            (status, Json(json!({"error": e.to_string()}))).into_response()
        }
    }
}
