//! Shared evaluation scenario: real trajectories from `traffic/quickstart.json.gz`, simulated
//! ADS-B and three radars around Paris, one transponder switched off, the tracker, and the
//! truth / track sets at regular evaluation times.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use nalgebra::Vector2;
use vigil_core::{Geodetic, IcaoAddress, LatLon, SensorId, UnixTime};
use vigil_track::sim::{
    AdsbSim, RadarSim, SimBatch, SimConfig, Trajectory, load_traffic, simulate,
};
use vigil_track::{PartyId, TrackId, Tracker, TrackerConfig};

/// The centre: Paris.
pub const CENTRE: (f64, f64) = (48.9, 2.4);

pub fn truth() -> Option<Vec<Trajectory>> {
    let path = vigil_testdata::path("traffic/quickstart.json.gz")?;
    Some(load_traffic(&path).expect("load quickstart.json.gz"))
}

fn geo(lat: f64, lon: f64, h: f64) -> Geodetic {
    Geodetic {
        pos: LatLon::new(lat, lon),
        height_m: h,
    }
}

/// ADS-B (1 Hz, NACp 8, 10 % dropouts) and three radars (4, 8 and 12 s).
pub fn sim_config(start: f64, end: f64, silent: Vec<(IcaoAddress, f64)>) -> SimConfig {
    SimConfig {
        seed: 20_211_007,
        start,
        end,
        adsb: Some(AdsbSim {
            sensor: SensorId(1),
            rate_hz: 1.0,
            dropout: 0.1,
            nacp: 8,
            nacv: 2,
            max_range_m: 500e3,
            site: geo(CENTRE.0, CENTRE.1, 100.0),
        }),
        radars: vec![
            RadarSim {
                sensor: SensorId(11),
                site: geo(49.01, 2.55, 120.0),
                period_s: 4.0,
                sigma_range_m: 40.0,
                sigma_azimuth_rad: 0.07f64.to_radians(),
                pd_ssr: 0.95,
                pd_psr: 0.85,
                false_per_scan: 20.0,
                max_range_m: 250e3,
                phase_rad: 0.0,
            },
            RadarSim {
                sensor: SensorId(12),
                site: geo(47.98, 1.76, 130.0),
                period_s: 8.0,
                sigma_range_m: 60.0,
                sigma_azimuth_rad: 0.1f64.to_radians(),
                pd_ssr: 0.9,
                pd_psr: 0.8,
                false_per_scan: 20.0,
                max_range_m: 300e3,
                phase_rad: 2.0,
            },
            RadarSim {
                sensor: SensorId(13),
                site: geo(49.31, 4.04, 95.0),
                period_s: 12.0,
                sigma_range_m: 60.0,
                sigma_azimuth_rad: 0.1f64.to_radians(),
                pd_ssr: 0.9,
                pd_psr: 0.8,
                false_per_scan: 20.0,
                max_range_m: 300e3,
                phase_rad: 4.0,
            },
        ],
        silent,
        party: PartyId(1),
    }
}

pub fn tracker_config() -> TrackerConfig {
    TrackerConfig {
        origin: geo(CENTRE.0, CENTRE.1, 0.0),
        ..TrackerConfig::default()
    }
}

/// The truth and the confirmed tracks at one evaluation time, as horizontal positions in the
/// tracker's frame.
pub struct Snapshot {
    pub t: f64,
    pub truths: Vec<(IcaoAddress, Vector2<f64>)>,
    pub tracks: Vec<(TrackId, Vector2<f64>)>,
}

pub struct Outcome {
    pub snapshots: Vec<Snapshot>,
    pub tracker: Tracker,
    pub batches: Vec<SimBatch>,
    /// Horizontal errors of the raw ADS-B positions against the truth, metres.
    pub adsb_errors: Vec<f64>,
    /// Track of the silent aircraft at each snapshot (by nearest confirmed track).
    pub silent_track: Vec<(f64, Option<TrackId>, bool, f64)>,
}

/// Runs the scenario from `start` for `duration` s, switching `silent` off at `off_at`.
pub fn run(
    truth: &[Trajectory],
    start: f64,
    duration: f64,
    silent: Option<(IcaoAddress, f64)>,
    eval_every: f64,
    warmup: f64,
) -> Outcome {
    let end = start + duration;
    let mut cfg = sim_config(start, end, silent.into_iter().collect());
    if let Ok(v) = std::env::var("VIGIL_EVAL_SENSORS") {
        // Debugging aid: "adsb", "radar" or "11,12" restrict the simulated sensors.
        if v == "radar" {
            cfg.adsb = None;
        } else if v == "adsb" {
            cfg.radars.clear();
        }
        if v.contains("nofalse") {
            cfg.radars.iter_mut().for_each(|r| r.false_per_scan = 0.0);
        }
    }
    let batches = simulate(truth, &cfg).expect("simulate");
    let mut tracker = Tracker::new(tracker_config(), &cfg.sensor_specs()).expect("tracker");
    let frame = *tracker.frame();

    let mut adsb_errors = Vec::new();
    for b in batches.iter().filter(|b| b.sensor == SensorId(1)) {
        for (o, who) in b.observations.iter().zip(&b.truth) {
            let (Some(icao), vigil_core::Measurement::Position { pos, .. }) = (who, o.measurement)
            else {
                continue;
            };
            let traj = truth.iter().find(|t| t.icao == *icao).unwrap();
            let tp = traj.at(o.time.secs()).unwrap();
            adsb_errors.push(tp.pos.pos.distance_m(&pos));
        }
    }

    let horiz = |g: &Geodetic| {
        let p = frame.geodetic_to_enu(g);
        Vector2::new(p.x, p.y)
    };
    let mut snapshots = Vec::new();
    let mut silent_track = Vec::new();
    let mut next_eval = start + warmup;
    for b in &batches {
        while next_eval <= b.end && next_eval < end {
            let t = next_eval;
            let truths: Vec<_> = truth
                .iter()
                .filter_map(|tr| tr.at(t).map(|p| (tr.icao, horiz(&p.pos))))
                .collect();
            let tracks: Vec<_> = tracker
                .tracks()
                .filter(|tk| tk.is_confirmed())
                .map(|tk| {
                    let p = tracker.predict(tk, UnixTime(t)).position();
                    (tk.id(), Vector2::new(p.x, p.y))
                })
                .collect();
            if let Some((icao, _)) = silent {
                let truth_pos = truths.iter().find(|(a, _)| *a == icao).map(|(_, p)| *p);
                let nearest = truth_pos.and_then(|tp| {
                    tracks
                        .iter()
                        .map(|(id, p)| (*id, (p - tp).norm()))
                        .min_by(|a, b| a.1.total_cmp(&b.1))
                });
                let lost = nearest
                    .and_then(|(id, _)| tracker.track(id))
                    .is_some_and(|tk| tk.transponder_lost());
                silent_track.push((
                    t,
                    nearest.map(|n| n.0),
                    lost,
                    nearest.map_or(f64::INFINITY, |n| n.1),
                ));
            }
            snapshots.push(Snapshot { t, truths, tracks });
            next_eval += eval_every;
        }
        tracker.process(&b.batch());
    }
    Outcome {
        snapshots,
        tracker,
        batches,
        adsb_errors,
        silent_track,
    }
}

/// The aircraft present over the whole window with the most samples: the one whose
/// transponder goes silent.
pub fn pick_silent(truth: &[Trajectory], start: f64, end: f64) -> IcaoAddress {
    truth
        .iter()
        .filter(|t| {
            let mut k = start;
            while k <= end {
                if t.at(k).is_none() {
                    return false;
                }
                k += 5.0;
            }
            true
        })
        .max_by_key(|t| (t.points.len(), t.icao))
        .map(|t| t.icao)
        .expect("an aircraft over the whole window")
}

pub fn rms(v: &[f64]) -> f64 {
    (v.iter().map(|x| x * x).sum::<f64>() / v.len().max(1) as f64).sqrt()
}
