//! Evaluation of the whole chain over seeded runs of the crowd simulator:
//! cameras → people tracker → sensing → association → evidence → cascade → alarm.
//!
//! Each run plays the station's scenario with its own seed (crowd, camera detections and
//! sensor looks all seeded from it). An alarm is the carrier's when a carrier truly stands
//! within `attribution_m` (1.5 m) of the alarmed position at the alarm's time (a response team
//! sent there finds them; in a dense crowd the alarmed track may be a neighbour's); any other
//! alarm is false. A carrier counts as detected before the platform when an alarm
//! attributed to them comes no later than the time they first stood on a platform (or before
//! the run ends if they never reached one).

use std::fmt;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use vigil_people::{FloorDetection, PeopleConfig, PeopleTracker};
use vigil_station::{CameraDetection, Crowd, Site};

use crate::site::{floor_detections, sensors_from_site, track_views, truth_people};
use crate::{Error, Reading, SensorSim, Standex, StandexConfig, TrackView, TruthPerson};

/// How to evaluate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalConfig {
    /// Number of runs.
    pub runs: usize,
    /// Seed of the first run (run `k` uses `seed + k`).
    pub seed: u64,
    /// Length of each run, seconds (default: the scenario's).
    pub duration_s: Option<f64>,
    /// People tracks from the tracker on camera detections (true) or straight from truth
    /// (false: isolates STANDEX from tracking errors).
    pub use_tracker: bool,
    /// The people tracker's settings.
    pub people: PeopleConfig,
    /// An alarm within this distance of a carrier is theirs.
    pub attribution_m: f64,
}

impl Default for EvalConfig {
    fn default() -> Self {
        Self {
            runs: 100,
            seed: 1,
            duration_s: None,
            use_tracker: true,
            people: PeopleConfig::default(),
            attribution_m: 1.5,
        }
    }
}

/// One carrier's outcome in one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CarrierOutcome {
    /// Run seed.
    pub seed: u64,
    /// Time the carrier entered the station, seconds.
    pub entered_at: f64,
    /// Time they first stood on a platform, if they did.
    pub reached_platform_at: Option<f64>,
    /// Time of the first alarm attributed to them.
    pub alarm_t: Option<f64>,
    /// Distance between that alarm's position and the carrier's true position, metres.
    pub localisation_m: Option<f64>,
    /// Alarmed no later than reaching the platform.
    pub before_platform: bool,
    /// Highest evidence of a track within `attribution_m` of the carrier during the run.
    pub peak_llr: f64,
    /// That track's chain of evidence at that moment (what looked at the carrier, for
    /// diagnosis of misses).
    pub chain: Vec<crate::EvidenceItem>,
}

/// One run's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    /// The run's seed.
    pub seed: u64,
    /// Simulated time, seconds.
    pub sim_s: f64,
    /// People who were in the station during the run (entered or placed at the start).
    pub people: u64,
    /// Most people at once.
    pub peak_people: usize,
    /// Carriers and what happened to them.
    pub carriers: Vec<CarrierOutcome>,
    /// Alarms not attributed to a carrier.
    pub false_alarms: usize,
    /// People cued.
    pub cues: usize,
    /// Sensor looks simulated.
    pub looks: u64,
    /// For thresholds 4, 5, ... 12: how many tracks never near a carrier reached that
    /// log-likelihood ratio (what the false-alarm rate would be at that alarm threshold).
    pub innocent_peaks: Vec<(f64, u64)>,
}

/// The summary of many runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Runs.
    pub runs: usize,
    /// Carriers over all runs.
    pub carriers: usize,
    /// Carriers alarmed before reaching the platform.
    pub detected_before_platform: usize,
    /// Carriers alarmed at all during the run.
    pub detected: usize,
    /// Detection probability (before the platform).
    pub pd: f64,
    /// False alarms over all runs.
    pub false_alarms: usize,
    /// Simulated hours over all runs.
    pub hours: f64,
    /// False alarms per simulated hour.
    pub false_alarms_per_hour: f64,
    /// People over all runs.
    pub people: u64,
    /// People cued over all runs.
    pub cues: usize,
    /// Time from entry to alarm, seconds: mean, median, 90th percentile, max.
    pub entry_to_alarm_s: Stats,
    /// Alarm position against the carrier's truth, metres: mean, median, 90th percentile, max.
    pub localisation_m: Stats,
    /// Every run.
    pub per_run: Vec<RunResult>,
}

/// Mean, median, 90th percentile and maximum of a sample.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Number of values.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Median.
    pub median: f64,
    /// 90th percentile (nearest rank).
    pub p90: f64,
    /// Maximum.
    pub max: f64,
}

impl Stats {
    /// Statistics of `v` (sorted here).
    pub fn of(mut v: Vec<f64>) -> Self {
        if v.is_empty() {
            return Self::default();
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let rank = |q: f64| v[((q * n as f64).ceil() as usize).clamp(1, n) - 1];
        Self {
            n,
            mean: v.iter().sum::<f64>() / n as f64,
            median: rank(0.5),
            p90: rank(0.9),
            max: v[n - 1],
        }
    }
}

/// Runs `eval.runs` seeded runs of the site's scenario through the whole chain.
pub fn evaluate(site: &Site, cfg: &StandexConfig, eval: &EvalConfig) -> Result<Report, Error> {
    let mut per_run = Vec::with_capacity(eval.runs);
    for k in 0..eval.runs {
        per_run.push(run_once(site, cfg, eval, eval.seed.wrapping_add(k as u64))?);
    }
    Ok(summarise(per_run))
}

/// The report of a set of runs.
pub fn summarise(per_run: Vec<RunResult>) -> Report {
    let carriers: Vec<&CarrierOutcome> = per_run.iter().flat_map(|r| r.carriers.iter()).collect();
    let detected_before_platform = carriers.iter().filter(|c| c.before_platform).count();
    let detected = carriers.iter().filter(|c| c.alarm_t.is_some()).count();
    let false_alarms = per_run.iter().map(|r| r.false_alarms).sum();
    let hours = per_run.iter().map(|r| r.sim_s).sum::<f64>() / 3600.0;
    let entry = carriers
        .iter()
        .filter_map(|c| c.alarm_t.map(|a| a - c.entered_at))
        .collect();
    let loc = carriers.iter().filter_map(|c| c.localisation_m).collect();
    Report {
        runs: per_run.len(),
        carriers: carriers.len(),
        detected_before_platform,
        detected,
        pd: if carriers.is_empty() {
            0.0
        } else {
            detected_before_platform as f64 / carriers.len() as f64
        },
        false_alarms,
        hours,
        false_alarms_per_hour: if hours > 0.0 {
            false_alarms as f64 / hours
        } else {
            0.0
        },
        people: per_run.iter().map(|r| r.people).sum(),
        cues: per_run.iter().map(|r| r.cues).sum(),
        entry_to_alarm_s: Stats::of(entry),
        localisation_m: Stats::of(loc),
        per_run,
    }
}

/// One seeded run through the whole chain.
pub fn run_once(
    site: &Site,
    cfg: &StandexConfig,
    eval: &EvalConfig,
    seed: u64,
) -> Result<RunResult, Error> {
    let mut scenario = site
        .scenario
        .clone()
        .ok_or_else(|| Error::Config("the station file has no [scenario]".to_owned()))?;
    scenario.seed = seed;
    if let Some(d) = eval.duration_s {
        scenario.duration_s = d;
    }
    let dt = scenario.dt_s;
    let mut crowd = Crowd::new(&site.station, &scenario)?;
    let sensors = sensors_from_site(&site.sensors, cfg)?;
    let mut engine = Standex::new(cfg.clone(), sensors.clone())?;
    // Independent streams for the cameras and the sensors (the crowd has its own).
    let mut sim = SensorSim::new(sensors, seed ^ 0x5354_414e_4445_5801);
    let mut cam_rng = ChaCha8Rng::seed_from_u64(seed ^ 0x4341_4d45_5241_5301);
    let mut tracker = PeopleTracker::new(eval.people);

    let mut cams: Vec<CameraDetection> = Vec::new();
    let mut floor: Vec<FloorDetection> = Vec::new();
    let mut tracks: Vec<TrackView> = Vec::new();
    let mut truth: Vec<TruthPerson> = Vec::new();
    let mut readings: Vec<Reading> = Vec::new();
    // Alarms attributed to carriers: (sim id, alarm time, localisation error).
    let mut carrier_alarms: Vec<(u64, f64, f64)> = Vec::new();
    let mut false_alarms = 0;
    let mut cues = 0;
    let mut looks = 0u64;
    let mut peak_people = 0;
    let mut max_id = 0u64;
    // Per carrier: the best evidence of a track near them (peak llr, chain).
    let mut best: rustc_hash::FxHashMap<u64, (f64, Vec<crate::EvidenceItem>)> = Default::default();
    // Per track: peak ratio and whether it was ever the track nearest a carrier.
    let mut peaks: rustc_hash::FxHashMap<u64, (f64, bool)> = Default::default();

    while !crowd.finished() {
        crowd.step(dt);
        let t = crowd.time();
        peak_people = peak_people.max(crowd.people().len());
        truth.clear();
        truth_people(crowd.people(), &mut truth);
        max_id = truth.iter().map(|p| p.id).fold(max_id, u64::max);

        tracks.clear();
        if eval.use_tracker {
            cams.clear();
            crowd.detect_all(&site.cameras, &mut cam_rng, &mut cams);
            floor.clear();
            floor_detections(&cams, &mut floor);
            tracker.process(t, &floor);
            track_views(&tracker, &mut tracks);
        } else {
            tracks.extend(crowd.people().iter().map(|p| {
                TrackView::from_truth(
                    u64::from(p.id.0),
                    t,
                    p.position[0],
                    p.position[1],
                    p.velocity[0],
                    p.velocity[1],
                    0.15,
                )
            }));
        }

        readings.clear();
        sim.sense(t, &truth, engine.sensor_states(), &mut readings);
        looks += readings.len() as u64;
        let out = engine.step(t, &tracks, &readings, &site.station);
        cues += out.cues.len();
        for tr in &tracks {
            let l = engine.llr(tr.id).unwrap_or(0.0);
            let e = peaks.entry(tr.id).or_insert((0.0, false));
            e.0 = e.0.max(l);
        }
        for c in truth.iter().filter(|p| p.carries.is_some()) {
            let near = tracks
                .iter()
                .map(|tr| (tr.id, (tr.x - c.x).hypot(tr.y - c.y)))
                .filter(|x| x.1 <= eval.attribution_m)
                .min_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((id, _)) = near {
                peaks.entry(id).or_insert((0.0, true)).1 = true;
            }
            if let Some(ev) = near.and_then(|(id, _)| engine.evidence(id)) {
                let e = best.entry(c.id).or_insert((f64::NEG_INFINITY, Vec::new()));
                if ev.llr > e.0 {
                    *e = (ev.llr, ev.chain.iter().cloned().collect());
                }
            }
        }
        for a in &out.alarms {
            // The carrier's alarm when a carrier truly stands within `attribution_m` of the
            // alarmed position (the response team sent there finds them); otherwise false.
            let nearest = truth
                .iter()
                .filter(|p| p.carries.is_some())
                .map(|p| (p, (p.x - a.position[0]).hypot(p.y - a.position[1])))
                .min_by(|x, y| x.1.total_cmp(&y.1));
            match nearest {
                Some((p, d)) if d <= eval.attribution_m => {
                    carrier_alarms.push((p.id, a.t, d));
                }
                _ => false_alarms += 1,
            }
        }
    }

    // Carriers: those still in and those gone.
    let mut carriers: Vec<(u64, f64, Option<f64>)> = crowd
        .people()
        .iter()
        .filter(|p| p.carrier.is_some())
        .map(|p| (u64::from(p.id.0), p.entered_at, p.reached_platform_at))
        .chain(
            crowd
                .departed()
                .iter()
                .filter(|d| d.carrier.is_some())
                .map(|d| (u64::from(d.id.0), d.entered_at, d.reached_platform_at)),
        )
        .collect();
    carriers.sort_by_key(|c| c.0);
    let carriers = carriers
        .into_iter()
        .map(|(id, entered_at, reached)| {
            let first = carrier_alarms
                .iter()
                .filter(|a| a.0 == id)
                .min_by(|a, b| a.1.total_cmp(&b.1));
            let (peak_llr, chain) = best.remove(&id).unwrap_or((0.0, Vec::new()));
            CarrierOutcome {
                seed,
                entered_at,
                reached_platform_at: reached,
                alarm_t: first.map(|a| a.1),
                localisation_m: first.map(|a| a.2),
                before_platform: first.is_some_and(|a| reached.is_none_or(|r| a.1 <= r)),
                peak_llr,
                chain,
            }
        })
        .collect();
    let innocent_peaks = (4..=12)
        .map(|k| {
            let th = f64::from(k);
            (
                th,
                peaks.values().filter(|(p, near)| !near && *p >= th).count() as u64,
            )
        })
        .collect();
    Ok(RunResult {
        innocent_peaks,
        seed,
        sim_s: crowd.time(),
        people: max_id,
        peak_people,
        carriers,
        false_alarms,
        cues,
        looks,
    })
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "STANDEX evaluation: {} runs, {:.2} simulated hours, {} people, {} cued",
            self.runs, self.hours, self.people, self.cues
        )?;
        writeln!(
            f,
            "  carriers alarmed before the platform: {}/{} ({:.1} %); alarmed at all: {}",
            self.detected_before_platform,
            self.carriers,
            100.0 * self.pd,
            self.detected
        )?;
        writeln!(
            f,
            "  false alarms: {} ({:.2} per hour)",
            self.false_alarms, self.false_alarms_per_hour
        )?;
        let s = self.entry_to_alarm_s;
        writeln!(
            f,
            "  entry to alarm, s: mean {:.1}, median {:.1}, p90 {:.1}, max {:.1} (n {})",
            s.mean, s.median, s.p90, s.max, s.n
        )?;
        let mut counts: Vec<(f64, u64)> = Vec::new();
        for r in &self.per_run {
            for (i, (th, n)) in r.innocent_peaks.iter().enumerate() {
                if counts.len() <= i {
                    counts.push((*th, 0));
                }
                counts[i].1 += n;
            }
        }
        if self.hours > 0.0 {
            write!(f, "  innocent tracks reaching llr (per hour):")?;
            for (th, n) in &counts {
                write!(f, " {th}: {:.2}", *n as f64 / self.hours)?;
            }
            writeln!(f)?;
        }
        let l = self.localisation_m;
        write!(
            f,
            "  localisation error, m: mean {:.2}, median {:.2}, p90 {:.2}, max {:.2} (n {})",
            l.mean, l.median, l.p90, l.max, l.n
        )
    }
}
