//! The tracker's side of the centre: observations of every sensor in, system tracks out for
//! `/data/tracks.json`.
//!
//! A task of its own, fed by one bounded channel: ADS-B observations made by the pipeline
//! from the Mode S picture (one per fresh position, at the position's own time), and the
//! ASTERIX sensors' observations forwarded by the radar task. The tracker (`vigil-track`) is
//! synchronous and takes its time from the observations; [`Engine`] is the synchronous glue
//! (batching, coverage, sensor table, JSON) and the task only dispatches, so a replay gives
//! the same tracks every time.
//!
//! Time: on recorded time the present is the latest time the pipeline or a sensor reported;
//! on the clock, the injected clock's. Coasting and the hiding of tracks older than
//! `delete_after_s` follow that present (the tracker deletes them itself at its next batch).

use serde_json::{Value, json};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::mpsc;
use tokio::time::{Duration, MissedTickBehavior};
use tokio_util::sync::CancellationToken;
use vigil_core::IcaoAddress;
use vigil_core::{Clock, Geodetic, Measurement, Observation, SensorId, UnixTime};
use vigil_picture::Aircraft;
use vigil_radar::RadarBatch;
use vigil_renegade::EmergencyStatus;
use vigil_track::adsb::AdsbReport;
use vigil_track::{Batch, Coverage, PartyId, SensorKind, SensorSpec, Track, Tracker};

use crate::renegade::CentreDesk;

use crate::config::TrackerSection;

/// What the tracker task is given.
#[derive(Debug)]
pub enum Input {
    /// ADS-B observations from the picture (possibly none), and the picture's present time.
    Adsb {
        /// The picture's time.
        now: UnixTime,
        /// One per fresh position.
        observations: Vec<Observation>,
        /// ADS-B emergency / priority statuses decoded in this batch: address, status, time.
        emergencies: Vec<(IcaoAddress, EmergencyStatus, UnixTime)>,
    },
    /// The observations of one datagram of an ASTERIX sensor.
    Radar(RadarBatch),
    /// Every feed has ended: hand over what is buffered.
    FeedsEnded,
}

/// The ADS-B observation of a picture aircraft's position, if it has one: made with the
/// tracker's ADS-B adapter, at the position's own time. Kinematics older than a few seconds
/// than the position are left out. Accuracy comes from the aircraft's last NACp / NACv (its
/// operational status and velocity messages); without them the adapter's "unknown accuracy"
/// applies.
pub fn adsb_observation(a: &Aircraft, sensor: SensorId) -> Option<Observation> {
    let pos = a.position?;
    let t = pos.at;
    let fresh = |at: UnixTime, max_s: f64| t.since(at).abs() <= max_s;
    let report = AdsbReport {
        time: t,
        icao: a.icao,
        pos: pos.value,
        // On the ground a transponder reports no altitude: take the ground as pressure
        // altitude 0 rather than leave the tracker's default height (thousands of metres)
        // to drift; the error is the airfield's elevation, which the horizontal estimate
        // does not feel.
        alt_baro_ft: a
            .alt_baro_ft
            .filter(|v| fresh(v.at, 10.0))
            .map(|v| f64::from(v.value))
            .or_else(|| {
                a.on_ground
                    .filter(|g| g.value && fresh(g.at, 10.0))
                    .map(|_| 0.0)
            }),
        alt_geom_ft: a
            .alt_geom_ft
            .filter(|v| fresh(v.at, 10.0))
            .map(|v| f64::from(v.value)),
        gs_kt: a.gs_kt.filter(|v| fresh(v.at, 5.0)).map(|v| v.value),
        track_deg: a.track_deg.filter(|v| fresh(v.at, 5.0)).map(|v| v.value),
        vert_rate_fpm: a
            .vert_rate
            .filter(|v| fresh(v.at, 5.0))
            .map(|v| f64::from(v.value.0)),
        nacp: a.nac_p.map(|v| v.value),
        nic: None,
        nacv: a.nac_v.map(|v| v.value),
        callsign: a.callsign.map(|c| c.value.as_str().trim().to_owned()),
        squawk: a.squawk.map(|s| s.value),
    };
    let mut obs = report.observation(sensor);
    if a.non_icao {
        // Not an ICAO address (TIS-B, anonymous): it could collide with a real one, so it
        // is no identity; the position is still a position.
        obs.identity.icao = None;
    }
    Some(obs)
}

/// The sensors as the tracker sees them.
#[derive(Debug, Clone)]
pub struct Sensors {
    /// The tracker's sensor table.
    pub specs: Vec<SensorSpec>,
    /// Names indexed by tracker sensor id (feeds, radars, then the radars' reported
    /// positions).
    pub names: Vec<String>,
    /// Number of ADS-B feeds (sensor ids `0..feeds`).
    pub feeds: u16,
    /// Number of ASTERIX sensors (ids `feeds..feeds + radars`).
    pub radars: u16,
}

impl Sensors {
    /// Feeds `0..`, then radars, each with its antenna if configured. An ASTERIX sensor's
    /// reported positions (CAT062 system tracks, CAT021 reports) come in as its own second
    /// sensor (`feeds + radars + i`), fused as a partner's tracks: covariance intersection
    /// counts nothing twice, whatever the other system already fused.
    pub fn new(
        feed_names: &[String],
        radars: &[(String, Option<Geodetic>)],
        section: &TrackerSection,
    ) -> Self {
        let party = PartyId(0);
        let mut specs = Vec::new();
        let mut names: Vec<String> = feed_names.to_vec();
        let feeds = u16::try_from(feed_names.len()).unwrap_or(u16::MAX);
        let n_radars = u16::try_from(radars.len()).unwrap_or(u16::MAX);
        for i in 0..feeds {
            specs.push(SensorSpec {
                id: SensorId(i),
                party,
                kind: SensorKind::Adsb,
                max_range_m: section.adsb_range_m,
            });
        }
        for (i, (name, site)) in radars.iter().enumerate() {
            names.push(name.clone());
            let Some(i) = u16::try_from(i).ok() else {
                break;
            };
            if let (Some(site), Some(id)) = (site, feeds.checked_add(i)) {
                specs.push(SensorSpec {
                    id: SensorId(id),
                    party,
                    kind: SensorKind::Radar { site: *site },
                    max_range_m: section.radar_range_m,
                });
            }
        }
        for (i, (name, _)) in radars.iter().enumerate() {
            let Some(id) = u16::try_from(i)
                .ok()
                .and_then(|i| feeds.checked_add(n_radars)?.checked_add(i))
            else {
                break;
            };
            names.push(name.clone());
            specs.push(SensorSpec {
                id: SensorId(id),
                party,
                kind: SensorKind::Partner,
                max_range_m: section.adsb_range_m,
            });
        }
        Self {
            specs,
            names,
            feeds,
            radars: n_radars,
        }
    }

    fn has(&self, id: SensorId) -> bool {
        self.specs.iter().any(|s| s.id == id)
    }

    /// The tracker sensor that takes an ASTERIX sensor's reported positions.
    fn positions_of(&self, radar: SensorId) -> Option<SensorId> {
        let i = radar.0.checked_sub(self.feeds)?;
        let id = SensorId(self.feeds.checked_add(self.radars)?.checked_add(i)?);
        self.has(id).then_some(id)
    }
}

/// One receiver's ADS-B observations of the current batch window.
#[derive(Debug, Default)]
struct Pending {
    start: f64,
    observations: Vec<Observation>,
}

/// Counters of what the glue did (the tracker's own are in its stats).
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct GlueStats {
    /// ADS-B observations received from the picture.
    pub adsb_observations: u64,
    /// ASTERIX observations received.
    pub radar_observations: u64,
    /// Batches handed to the tracker.
    pub batches: u64,
    /// Plots of a radar without a configured position (the tracker needs its antenna).
    pub dropped_no_radar_position: u64,
    /// Observations before the tracker's frame could be placed (none so far).
    pub dropped_no_centre: u64,
    /// Every feed has ended and everything buffered has been handed over.
    pub feeds_ended: bool,
}

/// The synchronous glue around the tracker: batching, coverage, time, JSON.
#[derive(Debug)]
pub struct Engine {
    section: TrackerSection,
    sensors: Sensors,
    tracker: Option<Tracker>,
    pending: Vec<Pending>,
    /// Last azimuth each radar's beam reached, radians, and when.
    sweep: Vec<Option<(f64, f64)>>,
    /// Latest time reported by the pipeline or seen in an observation.
    latest: Option<UnixTime>,
    stats: GlueStats,
    party: String,
    scratch: Vec<Observation>,
    /// `/data/stream`: the tracker time of the last lines sent, and the tracks they showed.
    stream_mark: Option<UnixTime>,
    streamed: std::collections::BTreeSet<u64>,
    /// The renegade desk, when enabled.
    pub desk: Option<CentreDesk>,
}

impl Engine {
    /// An engine; the tracker is made now if `centre` is known, else at the first observation
    /// (its position becomes the centre).
    pub fn new(
        section: TrackerSection,
        sensors: Sensors,
        centre: Option<Geodetic>,
        party: String,
    ) -> anyhow::Result<Self> {
        let mut e = Self {
            pending: (0..sensors.feeds).map(|_| Pending::default()).collect(),
            sweep: vec![None; usize::from(sensors.radars)],
            section,
            sensors,
            tracker: None,
            latest: None,
            stats: GlueStats::default(),
            party,
            scratch: Vec::new(),
            stream_mark: None,
            streamed: std::collections::BTreeSet::new(),
            desk: None,
        };
        if let Some(c) = centre {
            e.make_tracker(c)?;
        }
        Ok(e)
    }

    fn make_tracker(&mut self, centre: Geodetic) -> anyhow::Result<()> {
        let t = Tracker::new(self.section.tracker_config(centre), &self.sensors.specs)
            .map_err(|e| anyhow::anyhow!("cannot start the tracker: {e}"))?;
        tracing::info!(
            lat = centre.pos.lat,
            lon = centre.pos.lon,
            sensors = self.sensors.specs.len(),
            "tracker started"
        );
        self.tracker = Some(t);
        Ok(())
    }

    /// The tracker, placed at the first observation if no centre was configured.
    fn tracker_for(&mut self, obs: &Observation) -> Option<&mut Tracker> {
        if self.tracker.is_none() {
            let pos = match obs.measurement {
                Measurement::Position { pos, .. } => pos,
                Measurement::Polar { origin, .. } => origin.pos,
            };
            if pos.is_valid() {
                let centre = Geodetic { pos, height_m: 0.0 };
                if let Err(e) = self.make_tracker(centre) {
                    tracing::warn!("{e:#}");
                }
            }
        }
        self.tracker.as_mut()
    }

    fn see(&mut self, t: UnixTime) {
        if t.secs().is_finite() && self.latest.is_none_or(|l| t.since(l) > 0.0) {
            self.latest = Some(t);
        }
    }

    fn process(&mut self, sensor: SensorId, coverage: Coverage, observations: &[Observation]) {
        let Some(first) = observations.first() else {
            return;
        };
        let Some(tracker) = self.tracker_for(first) else {
            self.stats.dropped_no_centre += observations.len() as u64;
            return;
        };
        tracker.process(&Batch {
            sensor,
            coverage,
            observations,
        });
        self.stats.batches += 1;
    }

    /// ADS-B observations from the picture, and the picture's time.
    pub fn adsb(&mut self, now: UnixTime, observations: Vec<Observation>) {
        self.stats.adsb_observations += observations.len() as u64;
        let window = self.section.adsb_batch_s;
        for obs in observations {
            let i = usize::from(obs.sensor.0);
            let Some(p) = self.pending.get_mut(i) else {
                continue;
            };
            let t = obs.time.secs();
            if !p.observations.is_empty() && !(p.start..p.start + window).contains(&t) {
                self.flush(i);
            }
            let p = &mut self.pending[i];
            if p.observations.is_empty() {
                p.start = t;
            }
            p.observations.push(obs);
        }
        self.advance(now);
    }

    /// Moves the present to `now`: hands over the ADS-B windows that have closed.
    pub fn advance(&mut self, now: UnixTime) {
        self.see(now);
        let window = self.section.adsb_batch_s;
        let mut due: Vec<(f64, usize)> = self
            .pending
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.observations.is_empty() && now.secs() >= p.start + window)
            .map(|(i, p)| (p.start, i))
            .collect();
        due.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (_, i) in due {
            self.flush(i);
        }
        self.tick_desk();
    }

    /// Runs the renegade rules at once (after an operator's write).
    pub fn rerun_desk(&mut self, now: UnixTime) {
        if let (Some(d), Some(t)) = (self.desk.as_mut(), self.tracker.as_ref()) {
            d.run_now(t, now);
        }
    }

    /// Runs the renegade rules when a second has passed (their own pacing).
    fn tick_desk(&mut self) {
        if let (Some(d), Some(t), Some(now)) =
            (self.desk.as_mut(), self.tracker.as_ref(), self.latest)
        {
            d.tick(t, now);
        }
    }

    /// Every feed has ended: hands over what is buffered.
    pub fn feeds_ended(&mut self) {
        self.flush_all();
        self.stats.feeds_ended = true;
    }

    /// Hands over every buffered observation.
    pub fn flush_all(&mut self) {
        let mut due: Vec<(f64, usize)> = self
            .pending
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.observations.is_empty())
            .map(|(i, p)| (p.start, i))
            .collect();
        due.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (_, i) in due {
            self.flush(i);
        }
    }

    fn flush(&mut self, i: usize) {
        let observations = std::mem::take(&mut self.pending[i].observations);
        let Some(sensor) = u16::try_from(i).ok().map(SensorId) else {
            return;
        };
        self.process(sensor, Coverage::Full, &observations);
        // Keep the allocation for the next window.
        let mut observations = observations;
        observations.clear();
        self.pending[i].observations = observations;
    }

    /// The observations of one ASTERIX datagram.
    pub fn radar(&mut self, batch: RadarBatch) {
        self.stats.radar_observations += batch.observations.len() as u64;
        let sensor = batch.sensor;
        let mut polar = std::mem::take(&mut self.scratch);
        polar.clear();
        let mut positions = Vec::new();
        for obs in batch.observations {
            self.see(obs.time);
            match obs.measurement {
                Measurement::Polar { .. } => polar.push(obs),
                Measurement::Position { .. } => positions.push(obs),
            }
        }
        if !polar.is_empty() {
            if self.sensors.has(sensor) {
                let coverage = self.coverage(sensor, &mut polar);
                self.process(sensor, coverage, &polar);
            } else {
                self.stats.dropped_no_radar_position += polar.len() as u64;
            }
        }
        if !positions.is_empty()
            && let Some(id) = self.sensors.positions_of(sensor)
        {
            for o in &mut positions {
                o.sensor = id;
            }
            self.process(id, Coverage::None, &positions);
        }
        self.scratch = polar;
        self.tick_desk();
    }

    /// What the beam swept: from where it was at the last datagram to the last plot of this
    /// one (plots in time order), or this datagram's first to last plot after a gap.
    fn coverage(&mut self, sensor: SensorId, plots: &mut [Observation]) -> Coverage {
        plots.sort_by(|a, b| a.time.secs().total_cmp(&b.time.secs()));
        let az = |o: &Observation| match o.measurement {
            Measurement::Polar { azimuth_rad, .. } => azimuth_rad.rem_euclid(std::f64::consts::TAU),
            Measurement::Position { .. } => 0.0,
        };
        let (Some(first), Some(last)) = (plots.first(), plots.last()) else {
            return Coverage::None;
        };
        let (a0, a1, t1) = (az(first), az(last), last.time.secs());
        let Some(slot) = sensor
            .0
            .checked_sub(self.sensors.feeds)
            .and_then(|i| self.sweep.get_mut(usize::from(i)))
        else {
            return Coverage::None;
        };
        let from = match *slot {
            // A beam turns in 4 to 12 s: a datagram within 2 s continues the last sweep.
            Some((a, t)) if (0.0..2.0).contains(&(first.time.secs() - t)) => a,
            _ => a0,
        };
        *slot = Some((a1, t1));
        if !(a1 - from).rem_euclid(std::f64::consts::TAU).is_finite() {
            return Coverage::None;
        }
        Coverage::Sector {
            from_rad: from,
            to_rad: a1,
        }
    }

    /// The present: the latest time seen (recorded time), or `clock` on the clock.
    pub fn now(&self, clock: Option<&dyn Clock>) -> Option<UnixTime> {
        match clock {
            Some(c) => Some(c.now()),
            None => self.latest,
        }
    }

    /// Counters.
    pub fn stats(&self) -> GlueStats {
        self.stats
    }

    /// The live tracker, once placed.
    pub fn tracker(&self) -> Option<&Tracker> {
        self.tracker.as_ref()
    }

    /// `/data/tracks.json` at `now`: confirmed tracks not older than `delete_after_s`.
    pub fn tracks_json(&self, now: Option<UnixTime>) -> Value {
        let Some(tracker) = &self.tracker else {
            return json!({
                "now": now.map(UnixTime::secs),
                "centre": Value::Null,
                "tracks": [],
                "stats": {"glue": self.stats},
            });
        };
        let now = now.or(tracker.now());
        let tracks: Vec<Value> = self
            .shown(tracker, now)
            .map(|t| self.track_json(tracker, t, now.unwrap_or(t.time())))
            .collect();
        let origin = tracker.frame().origin();
        json!({
            "now": now.map(UnixTime::secs),
            "centre": {"lat": origin.pos.lat, "lon": origin.pos.lon},
            "tracks": tracks,
            "stats": {"glue": self.stats, "tracker": tracker.stats(), "live": tracker.len()},
        })
    }

    /// The tracks `/data/tracks.json` shows at `now`.
    fn shown<'a>(
        &'a self,
        tracker: &'a Tracker,
        now: Option<UnixTime>,
    ) -> impl Iterator<Item = &'a Track> + 'a {
        let delete_after_s = tracker.config().delete_after_s;
        tracker
            .tracks()
            .filter(|t| t.is_confirmed())
            .filter(move |t| now.is_none_or(|n| n.since(t.last_update()) <= delete_after_s))
    }

    /// `/data/stream` lines: every shown track as a `track` line (a new client's snapshot).
    pub fn snapshot_lines(&self, now: Option<UnixTime>) -> Vec<Value> {
        let Some(tracker) = &self.tracker else {
            return Vec::new();
        };
        let now = now.or(tracker.now());
        self.shown(tracker, now)
            .map(|t| self.track_line(tracker, t, now))
            .collect()
    }

    /// `/data/stream` lines since the last call: a `track` line per track updated (or newly
    /// shown) since, and a `track_ended` line per track no longer shown.
    pub fn stream_lines(&mut self, now: Option<UnixTime>) -> Vec<Value> {
        let Some(tracker) = &self.tracker else {
            return Vec::new();
        };
        let now = now.or(tracker.now());
        let mark = self.stream_mark;
        let mut lines = Vec::new();
        let mut shown = std::collections::BTreeSet::new();
        for t in self.shown(tracker, now) {
            shown.insert(t.id().0);
            if !self.streamed.contains(&t.id().0)
                || mark.is_none_or(|m| t.last_update().since(m) > 0.0)
            {
                lines.push(self.track_line(tracker, t, now));
            }
        }
        for ended in self.streamed.difference(&shown) {
            lines.push(json!({
                "type": "track_ended",
                "now": now.map(UnixTime::secs),
                "track": ended,
            }));
        }
        self.stream_mark = tracker.now();
        self.streamed = shown;
        lines
    }

    fn track_line(&self, tracker: &Tracker, t: &Track, now: Option<UnixTime>) -> Value {
        json!({
            "type": "track",
            "now": now.map(UnixTime::secs),
            "track": self.track_json(tracker, t, now.unwrap_or(t.time())),
        })
    }

    /// Where a track is at `now` (not where it was last updated) and its velocity there,
    /// east, north, up in m/s.
    fn kinematics(tracker: &Tracker, t: &Track, now: UnixTime) -> (Geodetic, [f64; 3]) {
        let at = if now.since(t.time()) > 0.0 {
            now
        } else {
            t.time()
        };
        let g = tracker.predict(t, at);
        let p = tracker.frame().enu_to_geodetic(&g.position());
        let v_frame = g.x.fixed_rows::<3>(3).into_owned();
        let v = tracker.frame().axes_at(&p.pos) * v_frame;
        (p, [v[0], v[1], v[2]])
    }

    /// The UI map's view of every shown track at `now` (see `crate::live`).
    pub fn ui_rows(&self, now: Option<UnixTime>) -> Vec<(String, crate::live::UiRow)> {
        let Some(tracker) = &self.tracker else {
            return Vec::new();
        };
        let now = now.or(tracker.now());
        let flagged = self
            .desk
            .as_ref()
            .map(crate::renegade::CentreDesk::flagged_tracks)
            .unwrap_or_default();
        let coast = tracker.config().coast_after_s;
        self.shown(tracker, now)
            .map(|t| {
                let at = now.unwrap_or(t.time());
                let (p, [ve, vn, _]) = Self::kinematics(tracker, t, at);
                let id = t.identity();
                let mut flags = 0;
                if t.is_coasting(at, coast) {
                    flags |= crate::live::COASTING;
                }
                if t.transponder_lost() {
                    flags |= crate::live::TRANSPONDER_LOST;
                }
                if flagged.contains(&t.id().0) {
                    flags |= crate::live::FLAGGED;
                }
                let row = crate::live::UiRow {
                    lat: round(p.pos.lat, 1e5),
                    lon: round(p.pos.lon, 1e5),
                    alt_ft: Some((p.height_m / 0.3048 / 10.0).round() * 10.0),
                    gs_kt: Some(round(ve.hypot(vn) * 3600.0 / 1852.0, 1.0)),
                    track_deg: Some(round(ve.atan2(vn).to_degrees().rem_euclid(360.0), 1.0)),
                    squawk: id.mode3a.map(|c| format!("{c:04x}")),
                    callsign: id.callsign.clone(),
                    flags,
                };
                (format!("T{}", t.id().0), row)
            })
            .collect()
    }

    /// `/data/tracks/T<n>`: the track as in `/data/tracks.json`, with what the renegade desk
    /// knows of it (alerts, incident, flight plans).
    pub fn track_detail(&self, track: u64, now: Option<UnixTime>) -> Option<Value> {
        let tracker = self.tracker.as_ref()?;
        let now = now.or(tracker.now());
        let t = self.shown(tracker, now).find(|t| t.id().0 == track)?;
        let mut v = self.track_json(tracker, t, now.unwrap_or(t.time()));
        if let (Some(desk), Value::Object(o)) = (&self.desk, &mut v) {
            let callsign = t.identity().callsign.clone();
            if let Value::Object(ctx) = desk.track_context(track, callsign.as_deref()) {
                o.extend(ctx);
            }
        }
        Some(v)
    }

    fn track_json(&self, tracker: &Tracker, t: &Track, now: UnixTime) -> Value {
        let cfg = tracker.config();
        let (p, [ve, vn, vu]) = Self::kinematics(tracker, t, now);
        let gs = ve.hypot(vn);
        let quality = tracker.quality(t, now);
        let id = t.identity();
        let coasting = t.is_coasting(now, cfg.coast_after_s);
        let lineage: Vec<Value> = t
            .lineage()
            .contributions()
            .iter()
            .map(|c| {
                json!({
                    "sensor": self.sensors.names.get(usize::from(c.sensor.0)),
                    "party": if c.party == PartyId(0) { Some(self.party.as_str()) } else { None },
                    "time": c.time.secs(),
                })
            })
            .collect();
        json!({
            "track": t.id().0,
            "status": if coasting { "coasting" } else { "confirmed" },
            "lat": round(p.pos.lat, 1e6),
            "lon": round(p.pos.lon, 1e6),
            "alt_m": round(p.height_m, 10.0),
            "alt_ft": (p.height_m / 0.3048).round(),
            "gs_kt": round(gs * 3600.0 / 1852.0, 10.0),
            "track_deg": round(ve.atan2(vn).to_degrees().rem_euclid(360.0), 10.0),
            "vert_rate_fpm": (vu * 60.0 / 0.3048).round(),
            "velocity": {"east_mps": round(ve, 100.0), "north_mps": round(vn, 100.0), "up_mps": round(vu, 100.0)},
            "quality": {
                "score": round(quality.score, 1000.0),
                "hit_ratio": round(quality.hit_ratio, 1000.0),
                "sigma_m": round(quality.sigma_horizontal_m, 10.0),
                "age_s": round(quality.age_s, 10.0),
            },
            "identity": {
                "hex": id.icao.map(|a| a.to_string()),
                "squawk": id.mode3a.map(|c| format!("{c:04x}")),
                "flight": id.callsign,
            },
            "flags": {"transponder_lost": t.transponder_lost()},
            "lineage": lineage,
            "updates": t.updates(),
            "created": t.created().secs(),
            "last_update": t.last_update().secs(),
        })
    }
}

fn round(v: f64, scale: f64) -> f64 {
    (v * scale).round() / scale
}

/// What the HTTP handlers read: the engine behind a lock, and the present.
pub struct TrackerShared {
    engine: Mutex<Engine>,
    /// The injected clock when the centre runs on it; `None` on recorded time.
    clock: Option<Arc<dyn Clock>>,
    /// Every feed has ended and the tracker has taken all they sent (a replay's end).
    pub ended: std::sync::atomic::AtomicBool,
    /// The centre's store, where the desk's audit records go.
    pub store: std::sync::OnceLock<Arc<crate::store::CentreStore>>,
}

impl TrackerShared {
    /// Shared state around `engine`; `clock` is `None` on recorded time.
    pub fn new(engine: Engine, clock: Option<Arc<dyn Clock>>) -> Self {
        Self {
            engine: Mutex::new(engine),
            clock,
            ended: std::sync::atomic::AtomicBool::new(false),
            store: std::sync::OnceLock::new(),
        }
    }

    /// Writes what the desk did since the last call to the store (durably), if there is one.
    /// Called under the engine's lock, so records go in the order they were made.
    pub fn persist(&self, engine: &mut Engine) -> anyhow::Result<()> {
        match (self.store.get(), engine.desk.as_mut()) {
            (Some(store), Some(desk)) => store.persist_desk(desk),
            _ => Ok(()),
        }
    }

    /// Locks the engine (held for one batch or one rendering).
    pub fn lock(&self) -> MutexGuard<'_, Engine> {
        // A panic in the tracker while locked would be a bug there; keep serving.
        self.engine
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `/data/stream` lines since the last call (see [`Engine::stream_lines`]).
    pub fn stream_lines(&self) -> Vec<Value> {
        let mut e = self.lock();
        let now = e.now(self.clock.as_deref());
        e.stream_lines(now)
    }

    /// `/data/stream` lines of every shown track.
    pub fn snapshot_lines(&self) -> Vec<Value> {
        let e = self.lock();
        let now = e.now(self.clock.as_deref());
        e.snapshot_lines(now)
    }

    /// The present of the desk: the clock's, or the latest recorded time.
    pub fn now(&self) -> Option<UnixTime> {
        self.lock().now(self.clock.as_deref())
    }

    /// `/data/tracks.json`.
    pub fn tracks_json(&self) -> Value {
        let e = self.lock();
        let now = e.now(self.clock.as_deref());
        e.tracks_json(now)
    }
}

/// Runs until shutdown or until every producer has gone. On the clock, the present moves
/// every second (closing ADS-B windows even when nothing arrives).
pub async fn run(
    shared: Arc<TrackerShared>,
    mut rx: mpsc::Receiver<Input>,
    tick: Duration,
    shutdown: CancellationToken,
) {
    // One second of the centre's clock (shorter on a virtual clock that runs faster).
    let mut tick = tokio::time::interval(tick.max(Duration::from_millis(5)));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last_alerts = std::time::Instant::now();
    loop {
        tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            input = rx.recv() => match input {
                Some(Input::Adsb { now, observations, emergencies }) => {
                    // On the clock, the pipeline's time is the clock's too.
                    let mut e = shared.lock();
                    if let Some(d) = e.desk.as_mut() {
                        for (a, s, t) in emergencies {
                            d.emergency(a, s, t);
                        }
                    }
                    e.adsb(now, observations);
                }
                Some(Input::Radar(batch)) => shared.lock().radar(batch),
                Some(Input::FeedsEnded) => {
                    let mut e = shared.lock();
                    e.feeds_ended();
                    shared.ended.store(true, std::sync::atomic::Ordering::Release);
                    let confirmed = e.tracker().map_or(0, |t| t.tracks().filter(|t| t.is_confirmed()).count());
                    let stats = e.stats();
                    tracing::info!(
                        confirmed,
                        batches = stats.batches,
                        adsb_observations = stats.adsb_observations,
                        radar_observations = stats.radar_observations,
                        "every feed has ended; tracker up to date"
                    );
                }
                None => break,
            },
            _ = tick.tick(), if shared.clock.is_some() => {
                if let Some(c) = &shared.clock {
                    let now = c.now();
                    shared.lock().advance(now);
                }
            }
        }
        save(&shared, &mut last_alerts);
    }
    save(&shared, &mut last_alerts);
    tracing::debug!("tracker task stopped");
}

/// Writes the desk's new audit records (and, once a second, its alerts) to the store.
fn save(shared: &TrackerShared, last_alerts: &mut std::time::Instant) {
    let Some(store) = shared.store.get() else {
        return;
    };
    let mut e = shared.lock();
    if let Err(err) = shared.persist(&mut e) {
        tracing::error!("{err:#}");
    }
    if last_alerts.elapsed() >= Duration::from_secs(1)
        && let Some(d) = e.desk.as_ref()
    {
        *last_alerts = std::time::Instant::now();
        if let Err(err) = store.alerts(d) {
            tracing::error!("cannot store the alerts: {err:#}");
        }
    }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)] // tests: a failed expectation is the report
mod tests {
    use super::*;
    use vigil_core::{IcaoAddress, LatLon};

    fn section() -> TrackerSection {
        TrackerSection::default()
    }

    /// An aircraft flying east at 200 m/s from near Toulouse, seen by ADS-B feed 0 every
    /// second.
    fn adsb(t: f64) -> Observation {
        let start = LatLon::new(43.6, 1.3);
        let east_m = 200.0 * (t - 1000.0);
        let dlon = east_m / (111_320.0 * start.lat.to_radians().cos());
        AdsbReport {
            time: UnixTime(t),
            icao: IcaoAddress::new(0x39_8564),
            pos: LatLon::new(start.lat, start.lon + dlon),
            alt_baro_ft: Some(30_000.0),
            alt_geom_ft: None,
            gs_kt: Some(200.0 * 3600.0 / 1852.0),
            track_deg: Some(90.0),
            vert_rate_fpm: Some(0.0),
            nacp: Some(9),
            nic: Some(8),
            nacv: Some(2),
            callsign: Some("AFR123".into()),
            squawk: Some(0x4321),
        }
        .observation(SensorId(0))
    }

    fn engine() -> Engine {
        let sensors = Sensors::new(&["rx".to_owned()], &[("psr".to_owned(), None)], &section());
        let centre = Geodetic {
            pos: LatLon::new(43.6293, 1.3638),
            height_m: 0.0,
        };
        Engine::new(section(), sensors, Some(centre), "centre-a".into()).unwrap()
    }

    #[test]
    fn sensors_are_feeds_then_radars_then_their_reported_positions() {
        let site = Geodetic {
            pos: LatLon::new(43.0, 1.0),
            height_m: 100.0,
        };
        let s = Sensors::new(
            &["a".into(), "b".into()],
            &[("r1".into(), Some(site)), ("r2".into(), None)],
            &section(),
        );
        assert_eq!(s.names, ["a", "b", "r1", "r2", "r1", "r2"]);
        let kinds: Vec<_> = s.specs.iter().map(|x| (x.id.0, x.kind)).collect();
        assert_eq!(
            kinds,
            [
                (0, SensorKind::Adsb),
                (1, SensorKind::Adsb),
                (2, SensorKind::Radar { site }),
                (4, SensorKind::Partner),
                (5, SensorKind::Partner),
            ]
        );
        assert!(
            s.has(SensorId(2)) && !s.has(SensorId(3)),
            "r2 has no antenna"
        );
        assert_eq!(s.positions_of(SensorId(3)), Some(SensorId(5)));
    }

    #[test]
    fn adsb_observations_become_a_confirmed_track_that_coasts_then_goes() {
        let mut e = engine();
        // The pipeline hands observations over as they come, with the picture's time.
        for k in 0..10 {
            let t = 1000.0 + f64::from(k);
            e.adsb(UnixTime(t), vec![adsb(t)]);
        }
        e.flush_all();
        let tracker = e.tracker().unwrap();
        assert_eq!(tracker.len(), 1, "one aircraft, one track");
        assert_eq!(e.stats().adsb_observations, 10);
        assert!(
            e.stats().batches >= 9,
            "one batch per second: {:?}",
            e.stats()
        );

        let v = e.tracks_json(Some(UnixTime(1009.0)));
        let tracks = v["tracks"].as_array().unwrap();
        assert_eq!(tracks.len(), 1, "{v}");
        let t = &tracks[0];
        assert_eq!(t["status"], "confirmed");
        assert_eq!(t["identity"]["hex"], "398564");
        assert_eq!(t["identity"]["squawk"], "4321");
        assert_eq!(t["identity"]["flight"], "AFR123");
        assert_eq!(t["flags"]["transponder_lost"], false);
        assert_eq!(t["lineage"][0]["sensor"], "rx");
        assert_eq!(t["lineage"][0]["party"], "centre-a");
        let last = adsb(1009.0);
        let Measurement::Position { pos, .. } = last.measurement else {
            unreachable!()
        };
        let here = LatLon::new(t["lat"].as_f64().unwrap(), t["lon"].as_f64().unwrap());
        assert!(here.distance_m(&pos) < 100.0, "{t}");
        assert!((t["track_deg"].as_f64().unwrap() - 90.0).abs() < 2.0, "{t}");
        assert!((t["gs_kt"].as_f64().unwrap() - 388.8).abs() < 10.0, "{t}");
        assert!(
            (t["alt_ft"].as_f64().unwrap() - 30_000.0).abs() < 200.0,
            "{t}"
        );

        // 20 s without news: coasting, drawn where it should be by now.
        let v = e.tracks_json(Some(UnixTime(1029.0)));
        let t = &v["tracks"][0];
        assert_eq!(t["status"], "coasting", "{v}");
        let lon_then = t["lon"].as_f64().unwrap();
        assert!(lon_then > here.lon + 0.04, "{t}");
        // Beyond delete_after_s: no longer shown.
        let v = e.tracks_json(Some(UnixTime(1050.0)));
        assert_eq!(v["tracks"].as_array().unwrap().len(), 0, "{v}");
    }

    #[test]
    fn the_stream_gets_updated_tracks_once_and_their_end() {
        let mut e = engine();
        assert!(
            e.stream_lines(Some(UnixTime(999.0))).is_empty(),
            "no track yet"
        );
        for k in 0..6 {
            let t = 1000.0 + f64::from(k);
            e.adsb(UnixTime(t), vec![adsb(t)]);
        }
        let lines = e.stream_lines(Some(UnixTime(1005.0)));
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0]["type"], "track");
        assert_eq!(lines[0]["now"], 1005.0);
        assert_eq!(lines[0]["track"]["identity"]["hex"], "398564");
        assert_eq!(e.snapshot_lines(Some(UnixTime(1005.0))), lines);
        assert!(
            e.stream_lines(Some(UnixTime(1005.5))).is_empty(),
            "nothing new"
        );
        e.adsb(UnixTime(1006.0), vec![adsb(1006.0)]);
        e.flush_all();
        assert_eq!(e.stream_lines(Some(UnixTime(1006.0))).len(), 1, "updated");
        let ended = e.stream_lines(Some(UnixTime(1100.0)));
        assert_eq!(ended.len(), 1, "{ended:?}");
        assert_eq!(ended[0]["type"], "track_ended");
        assert_eq!(ended[0]["track"], lines[0]["track"]["track"]);
        assert!(e.stream_lines(Some(UnixTime(1101.0))).is_empty());
    }

    #[test]
    fn the_same_input_gives_the_same_tracks() {
        let run = || {
            let mut e = engine();
            for k in 0..8 {
                let t = 1000.0 + 0.5 * f64::from(k);
                e.adsb(UnixTime(t), vec![adsb(t)]);
            }
            e.flush_all();
            e.tracks_json(Some(UnixTime(1004.0))).to_string()
        };
        assert_eq!(run(), run());
    }

    #[test]
    fn plots_of_a_radar_without_position_are_counted_not_tracked() {
        let mut e = engine();
        let site = Geodetic {
            pos: LatLon::new(43.0, 1.0),
            height_m: 100.0,
        };
        let plot = Observation {
            time: UnixTime(1000.0),
            sensor: SensorId(1),
            measurement: Measurement::Polar {
                origin: site,
                range_m: 50_000.0,
                azimuth_rad: 0.5,
                elevation_rad: None,
                sigma_range_m: 40.0,
                sigma_azimuth_rad: 0.0014,
                sigma_elevation_rad: None,
            },
            vertical: Default::default(),
            velocity: None,
            identity: Default::default(),
        };
        e.radar(RadarBatch {
            sensor: SensorId(1),
            received: UnixTime(1000.0),
            observations: vec![plot],
        });
        assert_eq!(e.stats().dropped_no_radar_position, 1);
        assert!(e.tracker().unwrap().is_empty());
    }

    /// A radar plot of where `adsb(t)` puts the aircraft, from `site`.
    fn plot(t: f64, site: Geodetic, sensor: SensorId, identified: bool) -> Observation {
        let frame = vigil_track::LocalFrame::new(site).unwrap();
        let o = adsb(t);
        let Measurement::Position { pos, .. } = o.measurement else {
            unreachable!()
        };
        let enu = frame.geodetic_to_enu(&Geodetic {
            pos,
            height_m: 30_000.0 * 0.3048,
        });
        Observation {
            time: UnixTime(t),
            sensor,
            measurement: Measurement::Polar {
                origin: site,
                range_m: enu.norm(),
                azimuth_rad: enu.x.atan2(enu.y),
                elevation_rad: None,
                sigma_range_m: 40.0,
                sigma_azimuth_rad: 0.08f64.to_radians(),
                sigma_elevation_rad: None,
            },
            vertical: vigil_core::Vertical {
                baro_ft: identified.then_some(30_000.0),
                geom_m: None,
            },
            velocity: None,
            identity: if identified {
                o.identity
            } else {
                Default::default()
            },
        }
    }

    /// ADS-B and a Mode S radar, then the transponder goes silent: the track goes on, on the
    /// radar's primary plots alone, with its number, flagged, and its lineage says so.
    #[test]
    fn a_silent_transponder_leaves_a_flagged_track_on_primary_plots() {
        let site = Geodetic {
            pos: LatLon::new(43.3, 1.2),
            height_m: 150.0,
        };
        let sensors = Sensors::new(
            &["rx".to_owned()],
            &[("radar".to_owned(), Some(site))],
            &section(),
        );
        let centre = Geodetic {
            pos: LatLon::new(43.6293, 1.3638),
            height_m: 0.0,
        };
        let mut e = Engine::new(section(), sensors, Some(centre), "centre-a".into()).unwrap();
        let radar = SensorId(1);
        let mut number = None;
        for k in 0..=120u32 {
            let t = 1000.0 + f64::from(k);
            let silent = k > 60;
            let adsb_now = if silent { vec![] } else { vec![adsb(t)] };
            e.adsb(UnixTime(t), adsb_now);
            if k % 4 == 0 {
                e.radar(RadarBatch {
                    sensor: radar,
                    received: UnixTime(t),
                    observations: vec![plot(t, site, radar, !silent)],
                });
            }
            if k == 60 {
                let v = e.tracks_json(Some(UnixTime(t)));
                assert_eq!(v["tracks"].as_array().unwrap().len(), 1, "{v}");
                let tr = &v["tracks"][0];
                assert_eq!(tr["flags"]["transponder_lost"], false);
                let sensors: Vec<_> = tr["lineage"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l["sensor"].as_str().unwrap().to_owned())
                    .collect();
                assert!(sensors.contains(&"rx".to_owned()), "{tr}");
                assert!(sensors.contains(&"radar".to_owned()), "{tr}");
                number = tr["track"].as_u64();
            }
        }
        let v = e.tracks_json(Some(UnixTime(1120.0)));
        let tracks = v["tracks"].as_array().unwrap();
        assert_eq!(tracks.len(), 1, "{v}");
        let tr = &tracks[0];
        assert_eq!(tr["track"].as_u64(), number, "the same track number: {tr}");
        assert_eq!(tr["status"], "confirmed", "{tr}");
        assert_eq!(tr["flags"]["transponder_lost"], true, "{tr}");
        assert_eq!(tr["lineage"].as_array().unwrap().len(), 1, "{tr}");
        assert_eq!(tr["lineage"][0]["sensor"], "radar", "{tr}");
        assert_eq!(tr["identity"]["hex"], "398564", "identity is kept: {tr}");
        let Measurement::Position { pos, .. } = adsb(1120.0).measurement else {
            unreachable!()
        };
        let here = LatLon::new(tr["lat"].as_f64().unwrap(), tr["lon"].as_f64().unwrap());
        assert!(here.distance_m(&pos) < 1000.0, "{tr}");
    }

    #[tokio::test]
    async fn the_task_takes_inputs_from_its_channel() {
        let shared = Arc::new(TrackerShared::new(engine(), None));
        let (tx, rx) = mpsc::channel(4);
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(run(
            shared.clone(),
            rx,
            Duration::from_secs(1),
            shutdown.clone(),
        ));
        for k in 0..6 {
            let t = 1000.0 + f64::from(k);
            tx.send(Input::Adsb {
                emergencies: Vec::new(),
                now: UnixTime(t),
                observations: vec![adsb(t)],
            })
            .await
            .unwrap();
        }
        tx.send(Input::FeedsEnded).await.unwrap();
        drop(tx);
        task.await.unwrap();
        let v = shared.tracks_json();
        assert_eq!(v["now"], 1005.0, "recorded time: the latest seen");
        assert_eq!(v["tracks"].as_array().unwrap().len(), 1, "{v}");
    }
}
