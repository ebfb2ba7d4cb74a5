//! The renegade desk of a running centre: flight plans (files at start, more over HTTP),
//! airspace, the rules run once a second on the system tracks, incidents, and the HTTP API
//! the duty officers and the ATC systems use (reports, workflow actions, flight plans).
//!
//! Operator actions need a user: `[[renegade.user]]` tables give each a name, a role and the
//! SHA-256 of a bearer token (`vigil token` makes one). Without users the write API refuses
//! everything and says how to add one.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use vigil_airspace::{Airspace, AirspaceConfig};
use vigil_core::{IcaoAddress, UnixTime};
use vigil_flightplan::{FlightPlanBook, NavData, parse_messages};
use vigil_incident::{ActionArgs, Actor, AuditRecord, IncidentId, Notification, Role};
use vigil_renegade::adapters::{AirspaceAreas, planned_flights};
use vigil_renegade::geometry::{PredictionSettings, intercept, predict_path, time_to_reach};
use vigil_renegade::{
    Alert, Category, EmergencyStatus, RenegadeConfig, RenegadeDesk, RenegadeEngine, Report,
    TrackView,
};
use vigil_track::Tracker;

/// How many audit records and notifications the desk keeps in memory for the API (the store
/// keeps them all once it lands).
const KEEP: usize = 10_000;

/// A user of the write API.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ApiUser {
    /// User name (in the audit records).
    pub name: String,
    /// `operator` or `supervisor`.
    pub role: Role,
    /// SHA-256 of the user's bearer token, hex.
    pub token_sha256: String,
}

/// `[renegade]`: renegade-aircraft detection.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RenegadeSection {
    /// Whether the centre runs the rules (needs the tracker).
    pub enabled: bool,
    /// Partner parties notified at the same moment as the national chain.
    pub partners: Vec<String>,
    /// ICAO ATS message files (FPL, CHG, DLA, CNL, DEP, ARR) loaded at start.
    pub flight_plans: Vec<PathBuf>,
    /// Folder with the navigation data (earth_fix.dat, earth_nav.dat, earth_awy.dat,
    /// airports.json) to expand routes; without it only plans with coordinates expand.
    pub aero_dir: Option<PathBuf>,
    /// EUROCONTROL FIR polygons (GeoJSON).
    pub eurofirs: Option<PathBuf>,
    /// Airspace configuration (extra FIRs, restricted and release areas; vigil-airspace
    /// format).
    pub airspace: Option<PathBuf>,
    /// Mode S addresses of military aircraft (fighters are never renegade candidates).
    pub military: Vec<String>,
    /// Thresholds and persistence of the rules.
    pub rules: RenegadeConfig,
    /// Users of the write API.
    #[serde(rename = "user")]
    pub users: Vec<ApiUser>,
}

impl Default for RenegadeSection {
    fn default() -> Self {
        RenegadeSection {
            enabled: true,
            partners: Vec::new(),
            flight_plans: Vec::new(),
            aero_dir: None,
            eurofirs: None,
            airspace: None,
            military: Vec::new(),
            rules: RenegadeConfig::default(),
            users: Vec::new(),
        }
    }
}

impl RenegadeSection {
    /// Checks what needs no file: the rules, the military addresses, the users' token hashes.
    pub fn validate(&self) -> Result<()> {
        self.rules
            .validate()
            .context("[renegade.rules] is not valid")?;
        for h in &self.military {
            h.parse::<IcaoAddress>()
                .map_err(|e| anyhow::anyhow!("[renegade] military {h:?}: {e}"))?;
        }
        for u in &self.users {
            if u.token_sha256.len() != 64 || hex::decode(&u.token_sha256).is_err() {
                anyhow::bail!(
                    "[[renegade.user]] {:?}: token_sha256 must be 64 hex digits (make one with \
                     `vigil token`)",
                    u.name
                );
            }
            if !u.role.is_human() {
                anyhow::bail!(
                    "[[renegade.user]] {:?}: role must be operator or supervisor",
                    u.name
                );
            }
        }
        Ok(())
    }
}

fn resolve(p: &Path, base: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_owned()
    } else {
        base.join(p)
    }
}

/// SHA-256 of a token, hex (what `token_sha256` holds).
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Why a write request was refused.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No or unknown token.
    #[error(
        "authentication required: send `Authorization: Bearer <token>` for a user of \
         [[renegade.user]] (make a token and its hash with `vigil token`)"
    )]
    Unauthorized,
    /// The request is wrong.
    #[error("{0}")]
    BadRequest(String),
    /// Nothing by that id.
    #[error("{0}")]
    NotFound(String),
}

/// The desk of a running centre.
pub struct CentreDesk {
    desk: RenegadeDesk,
    book: FlightPlanBook,
    nav: Option<NavData>,
    airspace: Option<Arc<Airspace>>,
    military: BTreeSet<IcaoAddress>,
    users: Vec<ApiUser>,
    emergencies: BTreeMap<IcaoAddress, (EmergencyStatus, UnixTime)>,
    last_cycle: Option<UnixTime>,
    audit: VecDeque<AuditRecord>,
    notifications: VecDeque<Notification>,
    plan_problems: Vec<String>,
    views: Vec<TrackView>,
    /// What the centre offers its links (their release policies decide what goes): set
    /// when the centre has links ([`CentreDesk::enable_outbound`]).
    outbound: Option<Outbound>,
    /// Audit records not yet in the store ([`CentreDesk::take_unsaved`]).
    unsaved: Vec<AuditRecord>,
}

/// What the desk offers the centre's links, labelled with the centre as origin.
#[derive(Debug)]
struct Outbound {
    origin: vigil_release::Origin,
    queue: Vec<vigil_release::Outbound>,
}

/// The centre's airspace from `[renegade]` eurofirs/airspace (`None` when neither is set).
/// The desk's restricted areas and the links' release areas both come from it.
pub fn load_airspace(section: &RenegadeSection, base_dir: &Path) -> Result<Option<Arc<Airspace>>> {
    let airspace_config = match &section.airspace {
        Some(p) => {
            let p = resolve(p, base_dir);
            AirspaceConfig::from_file(&p)
                .with_context(|| format!("airspace config {}", p.display()))?
        }
        None => AirspaceConfig::from_toml_str("").context("empty airspace config")?,
    };
    Ok(match &section.eurofirs {
        Some(p) => {
            let p = resolve(p, base_dir);
            Some(Arc::new(
                Airspace::load(&p, &airspace_config)
                    .with_context(|| format!("cannot load FIRs from {}", p.display()))?,
            ))
        }
        None if section.airspace.is_some() => Some(Arc::new(
            Airspace::from_parts(Vec::new(), &airspace_config)
                .context("airspace config without eurofirs")?,
        )),
        None => None,
    })
}

impl CentreDesk {
    /// The desk from its configuration section; paths relative to `base_dir`.
    pub fn new(section: &RenegadeSection, base_dir: &Path) -> Result<Self> {
        section.validate()?;
        let rules =
            RenegadeEngine::new(section.rules.clone()).context("[renegade.rules] is not valid")?;
        let mut desk = RenegadeDesk::new(rules, &section.partners)
            .context("the renegade workflow does not load")?;
        let nav =
            match &section.aero_dir {
                Some(d) => {
                    let d = resolve(d, base_dir);
                    Some(NavData::load_dir(&d).with_context(|| {
                        format!("cannot load navigation data from {}", d.display())
                    })?)
                }
                None => None,
            };
        let airspace = load_airspace(section, base_dir)?;
        if let Some(a) = &airspace {
            desk.rules
                .set_restricted_areas(Arc::new(AirspaceAreas::new(a.clone())));
        }
        let military = section
            .military
            .iter()
            .map(|h| {
                h.parse::<IcaoAddress>()
                    .map_err(|e| anyhow::anyhow!("[renegade] military {h:?}: {e}"))
            })
            .collect::<Result<_>>()?;
        for u in &section.users {
            if u.token_sha256.len() != 64 || hex::decode(&u.token_sha256).is_err() {
                anyhow::bail!(
                    "[[renegade.user]] {:?}: token_sha256 must be 64 hex digits (make one with \
                     `vigil token`)",
                    u.name
                );
            }
        }
        let mut me = CentreDesk {
            desk,
            book: FlightPlanBook::new(),
            nav,
            airspace,
            military,
            users: section.users.clone(),
            emergencies: BTreeMap::new(),
            last_cycle: None,
            audit: VecDeque::new(),
            notifications: VecDeque::new(),
            plan_problems: Vec::new(),
            views: Vec::new(),
            outbound: None,
            unsaved: Vec::new(),
        };
        for f in &section.flight_plans {
            let p = resolve(f, base_dir);
            let text = std::fs::read_to_string(&p)
                .with_context(|| format!("cannot read flight plans {}", p.display()))?;
            let (ok, errors) = me.add_plans(&text, None);
            tracing::info!(file = %p.display(), messages = ok, errors = errors.len(), "flight plans loaded");
            for e in errors {
                tracing::warn!(file = %p.display(), "{e}");
            }
        }
        Ok(me)
    }

    /// Applies ATS messages; returns how many applied and the errors (one per bad message,
    /// naming the field).
    pub fn add_plans(&mut self, text: &str, now: Option<UnixTime>) -> (usize, Vec<String>) {
        let mut ok = 0;
        let mut errors = Vec::new();
        for m in parse_messages(text) {
            match m
                .map_err(|e| e.to_string())
                .and_then(|m| self.book.apply(m).map_err(|e| e.to_string()))
            {
                Ok(_) => ok += 1,
                Err(e) => errors.push(e),
            }
        }
        self.rebuild_plans(now.or(self.last_cycle));
        (ok, errors)
    }

    fn rebuild_plans(&mut self, now: Option<UnixTime>) {
        let day = now.unwrap_or(UnixTime(0.0));
        let (flights, problems) = planned_flights(&self.book, self.nav.as_ref(), day);
        self.plan_problems = problems;
        self.desk.rules.set_plans(flights);
    }

    /// The ADS-B emergency status of an aircraft, as the picture last decoded it.
    pub fn emergency(&mut self, icao: IcaoAddress, status: EmergencyStatus, at: UnixTime) {
        self.emergencies.insert(icao, (status, at));
    }

    /// Runs the rules when a second has passed since the last cycle.
    pub fn tick(&mut self, tracker: &Tracker, now: UnixTime) {
        if self.last_cycle.is_some_and(|l| now.since(l) < 1.0) {
            return;
        }
        self.run(tracker, now);
    }

    /// Runs the rules now: after an operator's write, so a report takes effect even when no
    /// data arrives (a replay that has ended).
    pub fn run_now(&mut self, tracker: &Tracker, now: UnixTime) {
        self.run(
            tracker,
            self.last_cycle
                .map_or(now, |l| if now.since(l) > 0.0 { now } else { l }),
        );
    }

    fn run(&mut self, tracker: &Tracker, now: UnixTime) {
        if self.last_cycle.is_none() {
            // The plans' dates need the present: date them now.
            self.rebuild_plans(Some(now));
        }
        self.last_cycle = Some(now);
        let emergencies = &self.emergencies;
        crate::exercise::track_views_with(
            tracker,
            &|a, t| {
                emergencies
                    .get(&a)
                    .filter(|(_, at)| t.since(*at) <= 10.0)
                    .map_or(EmergencyStatus::None, |(s, _)| *s)
            },
            now,
            &self.military,
            &mut self.views,
        );
        let r = self.desk.cycle(now, &self.views);
        for a in &r.rules.raised {
            tracing::warn!(track = a.track, kind = a.kind.name(), "{}", a.detail);
        }
        self.offer_cycle(&r.rules.raised);
        for n in &r.notifications {
            tracing::warn!(incident = n.incident.0, channel = %n.channel, level = %n.level_name, "notification: {}", n.summary);
        }
        self.keep(r.audit, r.notifications);
    }

    /// Collects what the centre offers its links from now on: every confirmed track each
    /// cycle, every alert raised, every incident transition and hand-over.
    pub fn enable_outbound(&mut self, party: &str, centre: &str) {
        self.outbound = Some(Outbound {
            origin: vigil_release::Origin::new(party, centre),
            queue: Vec::new(),
        });
    }

    /// Takes what was collected for the links since the last call.
    pub fn drain_outbound(&mut self) -> Vec<vigil_release::Outbound> {
        self.outbound
            .as_mut()
            .map(|o| std::mem::take(&mut o.queue))
            .unwrap_or_default()
    }

    fn subject_of(&self, track: u64) -> Option<vigil_release::Subject> {
        let o = self.outbound.as_ref()?;
        let v = self.views.iter().find(|v| v.id == track)?;
        Some(vigil_release::Subject::of_track(&track_out(
            v,
            &o.origin,
            Category::None,
        )))
    }

    fn offer_cycle(&mut self, raised: &[vigil_renegade::Alert]) {
        let Some(o) = self.outbound.as_ref() else {
            return;
        };
        let mut out = Vec::new();
        for v in self.views.iter().filter(|v| v.confirmed) {
            let category = self.desk.category(v.id);
            out.push(vigil_release::Outbound::Track(track_out(
                v, &o.origin, category,
            )));
        }
        for a in raised {
            if let Some(subject) = self.subject_of(a.track) {
                out.push(vigil_release::Outbound::Alert(
                    vigil_release::AlertOut::from_alert(a, subject),
                ));
            }
        }
        if let Some(o) = self.outbound.as_mut() {
            o.queue.extend(out);
        }
    }

    /// Incident transitions (and the hand-overs among them) for the links.
    fn offer_audit(&mut self, audit: &[AuditRecord], at: UnixTime) {
        if self.outbound.is_none() {
            return;
        }
        let mut out = Vec::new();
        for rec in audit {
            let AuditRecord::Transition(t) = rec else {
                continue;
            };
            let Some(track) = self
                .desk
                .incidents()
                .get(t.incident)
                .and_then(|i| vigil_renegade::desk::track_of(&i.subject))
            else {
                continue;
            };
            let Some(subject) = self.subject_of(track) else {
                continue;
            };
            let stage = match t.action.as_str() {
                "propose_handover" => Some(vigil_release::HandoverStage::Request),
                "accept_handover" => Some(vigil_release::HandoverStage::Accept),
                _ => None,
            };
            if let (Some(stage), Some(o)) = (stage, self.outbound.as_ref()) {
                // `party` names the party that takes the incident, in both actions; the
                // centre recording the action is the other end.
                let from_party = o.origin.party.clone();
                let to_party = t.party.clone().unwrap_or_default();
                // The receiving party's side of the predicted border crossing.
                let point = self.handover_point(track, &to_party);
                out.push(vigil_release::Outbound::Handover(
                    vigil_release::HandoverOut {
                        id: t.seq,
                        subject: subject.clone(),
                        at,
                        stage,
                        from_party,
                        to_party,
                        point,
                        remark: t.remark.clone(),
                    },
                ));
            }
            out.push(vigil_release::Outbound::IncidentTransition(
                vigil_release::IncidentOut::from_transition(t, subject),
            ));
        }
        if let Some(o) = self.outbound.as_mut() {
            o.queue.extend(out);
        }
    }

    /// Where the track is predicted to enter `party`'s airspace (the first such FIR
    /// crossing on its predicted path), for a hand-over.
    fn handover_point(&self, track: u64, party: &str) -> Option<vigil_core::LatLon> {
        let a = self.airspace.as_ref()?;
        let v = self.views.iter().find(|v| v.id == track)?;
        let path = predict_path(
            v,
            self.desk.rules.turn_rate(v.id),
            &PredictionSettings::default(),
        );
        a.fir_crossings(&path)
            .into_iter()
            .find(|c| c.to_party.as_deref() == Some(party))
            .map(|c| c.pos)
    }

    fn keep(&mut self, audit: Vec<AuditRecord>, notifications: Vec<Notification>) {
        let at = self.last_cycle.unwrap_or(UnixTime(0.0));
        self.offer_audit(&audit, at);
        self.unsaved.extend(audit.iter().cloned());
        for a in audit {
            if self.audit.len() == KEEP {
                self.audit.pop_front();
            }
            self.audit.push_back(a);
        }
        for n in notifications {
            if self.notifications.len() == KEEP {
                self.notifications.pop_front();
            }
            self.notifications.push_back(n);
        }
    }

    /// The user a bearer token belongs to.
    pub fn authenticate(&self, token: Option<&str>) -> Result<Actor, ApiError> {
        let token = token.ok_or(ApiError::Unauthorized)?;
        let h = token_hash(token);
        self.users
            .iter()
            .find(|u| constant_time_eq(u.token_sha256.as_bytes(), h.as_bytes()))
            .map(|u| Actor::new(u.name.clone(), u.role))
            .ok_or(ApiError::Unauthorized)
    }

    /// A report from an operator or an ATC system.
    pub fn report(
        &mut self,
        actor: &Actor,
        report: &Report,
        now: UnixTime,
    ) -> Result<u64, ApiError> {
        let mut r = report.clone();
        if r.source.is_empty() {
            r.source = actor.user.clone();
        }
        self.desk
            .rules
            .report(now, &r)
            .map_err(|e| ApiError::BadRequest(e.to_string()))
    }

    /// A workflow action on an incident.
    pub fn act(
        &mut self,
        actor: &Actor,
        id: u64,
        action: &str,
        args: ActionArgs,
        now: UnixTime,
    ) -> Result<Value, ApiError> {
        let (t, notes, audit) = self
            .desk
            .act(now, IncidentId(id), actor, action, args)
            .map_err(|e| match e {
                vigil_incident::IncidentError::UnknownIncident(_) => {
                    ApiError::NotFound(e.to_string())
                }
                _ => ApiError::BadRequest(e.to_string()),
            })?;
        self.keep(audit, notes);
        Ok(serde_json::to_value(t).unwrap_or(Value::Null))
    }

    /// Audit records made since the last call, for the store: every incident transition, in
    /// order.
    pub fn take_unsaved(&mut self) -> Vec<AuditRecord> {
        std::mem::take(&mut self.unsaved)
    }

    /// The incident engine's state as JSON (kept in the store beside the audit records it
    /// follows, so a restart resumes from it).
    pub fn incidents_snapshot(&self) -> Option<String> {
        serde_json::to_string(&self.desk.incidents().snapshot()).ok()
    }

    /// Resumes from the store after a restart: the incident engine's last snapshot, and the
    /// latest audit records for the API. Returns how many incidents came back.
    pub fn restore(&mut self, snapshot: &str, audit: Vec<AuditRecord>) -> Result<usize> {
        let snap: vigil_incident::EngineSnapshot = serde_json::from_str(snapshot)
            .context("the stored incident snapshot is not readable")?;
        let engine = vigil_incident::IncidentEngine::restore(snap)
            .context("the stored incident snapshot does not fit the workflow")?;
        let n = engine.all().count();
        self.desk.restore_incidents(engine);
        for a in audit {
            if self.audit.len() == KEEP {
                self.audit.pop_front();
            }
            self.audit.push_back(a);
        }
        Ok(n)
    }

    /// The workflow the desk's incidents follow (the UI draws its ladder and buttons).
    pub fn workflow_json(&self) -> Value {
        serde_json::to_value(self.desk.incidents().workflow()).unwrap_or(Value::Null)
    }

    /// The airspace the desk predicts crossings in, when configured.
    pub fn airspace(&self) -> Option<&Arc<Airspace>> {
        self.airspace.as_ref()
    }

    /// Tracks with an active alert or an open incident (flagged on the UI's map).
    pub fn flagged_tracks(&self) -> BTreeSet<u64> {
        let mut out: BTreeSet<u64> = self.desk.rules.active_alerts().map(|a| a.track).collect();
        out.extend(
            self.desk
                .incidents()
                .all()
                .filter(|i| i.closed.is_none())
                .filter_map(|i| vigil_renegade::desk::track_of(&i.subject)),
        );
        out
    }

    /// What the desk knows about one track for the UI's details: its alerts (active and
    /// recently cleared), its latest incident, and the flight plans filed under its callsign.
    pub fn track_context(&self, track: u64, callsign: Option<&str>) -> Value {
        let alerts: Vec<&Alert> = self
            .desk
            .rules
            .active_alerts()
            .chain(self.desk.rules.cleared_alerts().rev().take(200))
            .filter(|a| a.track == track)
            .collect();
        let incident = self
            .desk
            .incidents()
            .all()
            .filter(|i| vigil_renegade::desk::track_of(&i.subject) == Some(track))
            .max_by(|a, b| a.opened.0.total_cmp(&b.opened.0));
        let plans: Vec<Value> = callsign
            .map(|c| {
                self.book
                    .entries()
                    .filter(|(_, e)| e.plan.callsign.eq_ignore_ascii_case(c.trim()))
                    .map(|(_, e)| {
                        json!({
                            "callsign": e.plan.callsign,
                            "departure": e.plan.departure,
                            "destination": e.plan.destination,
                            "eobt": e.plan.eobt.to_string(),
                            "speed": e.plan.speed.to_string(),
                            "level": e.plan.level.to_string(),
                            "route": e.plan.route,
                            "status": format!("{:?}", e.status),
                            "updates": e.updates,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        json!({
            "alerts": alerts,
            "incident": incident,
            "flight_plans": plans,
        })
    }

    /// `/data/alerts.json`.
    pub fn alerts_json(&self) -> Value {
        json!({
            "now": self.last_cycle.map(UnixTime::secs),
            "active": self.desk.rules.active_alerts().collect::<Vec<_>>(),
            "cleared": self.desk.rules.cleared_alerts().rev().take(200).collect::<Vec<_>>(),
            "stats": self.desk.rules.stats(),
        })
    }

    /// `/data/incidents.json`: every incident, with the interception geometry of the open
    /// ones (predicted path, FIR crossings with the party responsible after each).
    pub fn incidents_json(&self) -> Value {
        let settings = PredictionSettings::default();
        let incidents: Vec<Value> = self
            .desk
            .incidents()
            .all()
            .map(|i| {
                let track = vigil_renegade::desk::track_of(&i.subject);
                let view = track.and_then(|t| self.views.iter().find(|v| v.id == t));
                let geometry = match (view, &self.airspace) {
                    (Some(v), Some(a)) if i.closed.is_none() => {
                        let path = predict_path(v, self.desk.rules.turn_rate(v.id), &settings);
                        let now = v.time.secs();
                        // Time to reach each protected city and restricted area, and each
                        // fighter's time to intercept: advice for the duty officers, no more.
                        let cities: Vec<Value> = self
                            .desk
                            .rules
                            .config()
                            .cities
                            .iter()
                            .filter_map(|c| {
                                let p = time_to_reach(&path, c.centre(), c.radius_km * 1e3)?;
                                Some(json!({"city": c.name, "in_s": p.t - now, "lat": p.pos.lat, "lon": p.pos.lon}))
                            })
                            .collect();
                        let restricted: Vec<Value> = a
                            .restricted_entries(&path)
                            .into_iter()
                            .map(|e| json!({"area": e.id, "name": e.name, "in_s": e.t - now, "lat": e.pos.lat, "lon": e.pos.lon}))
                            .collect();
                        let fighters: Vec<Value> = self
                            .views
                            .iter()
                            .filter(|f| f.military)
                            .filter_map(|f| {
                                // A fighter's dash speed when it is slower (on the ground or
                                // loitering): 450 kt.
                                let speed = f.speed_mps().max(231.5);
                                let x = intercept(f.pos, speed, &path)?;
                                Some(json!({
                                    "track": f.id,
                                    "callsign": f.callsign.map(|c| c.to_string()),
                                    "party": a.party_at(f.pos, f.alt_ft.unwrap_or(0.0)),
                                    "time_to_intercept_s": x.time_to_intercept_s,
                                    "lat": x.at.pos.lat, "lon": x.at.pos.lon,
                                }))
                            })
                            .collect();
                        json!({
                            "cities": cities,
                            "restricted": restricted,
                            "fighters": fighters,
                            "position": {"lat": v.pos.lat, "lon": v.pos.lon, "alt_ft": v.alt_ft},
                            "fir": a.fir_at(v.pos, v.alt_ft.unwrap_or(0.0)).map(|f| &f.id),
                            "party": a.party_at(v.pos, v.alt_ft.unwrap_or(0.0)),
                            "crossings": a.fir_crossings(&path),
                            "path": path.iter().step_by(6).map(|p| [p.pos.lat, p.pos.lon]).collect::<Vec<_>>(),
                        })
                    }
                    _ => Value::Null,
                };
                json!({
                    "incident": i,
                    "category": Category::from_level(i.level).map(Category::name),
                    "track": track,
                    "plan": track.and_then(|t| self.desk.rules.plan_of(t)).map(|p| &p.key),
                    "geometry": geometry,
                })
            })
            .collect();
        json!({
            "now": self.last_cycle.map(UnixTime::secs),
            "incidents": incidents,
            "notifications": self.notifications.iter().rev().take(200).collect::<Vec<_>>(),
            "audit": self.audit.iter().rev().take(500).collect::<Vec<_>>(),
            "plans": {"filed": self.book.len(), "problems": self.plan_problems},
        })
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl std::fmt::Debug for CentreDesk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CentreDesk")
            .field("plans", &self.book.len())
            .field("airspace", &self.airspace.is_some())
            .field("navdata", &self.nav.is_some())
            .field("users", &self.users.len())
            .field("last_cycle", &self.last_cycle)
            .finish()
    }
}

/// A system track as the links see it.
fn track_out(
    v: &TrackView,
    origin: &vigil_release::Origin,
    category: Category,
) -> vigil_release::TrackOut {
    vigil_release::TrackOut {
        id: v.id,
        time: v.time,
        lat: v.pos.lat,
        lon: v.pos.lon,
        alt_ft: v.alt_ft,
        velocity: Some(vigil_release::Velocity {
            east_mps: v.vel_en[0],
            north_mps: v.vel_en[1],
            // ft/min to m/s.
            up_mps: v.vrate_fpm * 0.3048 / 60.0,
        }),
        identity: vigil_release::Identity {
            icao: v.icao,
            squawk: v.squawk,
            callsign: v.callsign,
        },
        military: v.military,
        origin: origin.clone(),
        lineage: Vec::new(),
        transponder_lost: Some(v.transponder_lost),
        category: (category > Category::None).then_some(category),
    }
}
