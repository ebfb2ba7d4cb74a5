//! The synthetic picture shared by the tracker benchmark and the profiling example: N
//! aircraft on straight tracks within 300 km of the centre, ADS-B at 1 Hz and three rotating
//! radars, a tracker warmed up on 30 s of data, and the batches of the next second.

use vigil_core::{Geodetic, IcaoAddress, LatLon, SensorId};
use vigil_track::sim::{AdsbSim, RadarSim, SimBatch, SimConfig, Trajectory, TruthPoint, simulate};
use vigil_track::{LocalFrame, PartyId, Track, Tracker, TrackerConfig};

const T0: f64 = 1_700_000_000.0;
const WARMUP_S: f64 = 30.0;

fn geo(lat: f64, lon: f64, h: f64) -> Geodetic {
    Geodetic {
        pos: LatLon::new(lat, lon),
        height_m: h,
    }
}

/// Deterministic pseudo-random numbers in [0, 1) (splitmix64).
fn uniform(i: u64) -> f64 {
    let mut z = i
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(0x1234_5678);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}

fn picture(n: usize, frame: &LocalFrame) -> Vec<Trajectory> {
    (0..n)
        .map(|i| {
            let k = i as u64 * 7;
            let (r, a) = (
                300e3 * uniform(k).sqrt(),
                std::f64::consts::TAU * uniform(k + 1),
            );
            let heading = std::f64::consts::TAU * uniform(k + 2);
            let speed = 120.0 + 130.0 * uniform(k + 3);
            let h = 3_000.0 + 9_000.0 * uniform(k + 4);
            let (e0, n0) = (r * a.sin(), r * a.cos());
            let (ve, vn) = (speed * heading.sin(), speed * heading.cos());
            let points = (0..=7)
                .map(|s| {
                    let t = f64::from(s) * 10.0;
                    let p =
                        frame.enu_to_geodetic(&nalgebra::Vector3::new(e0 + ve * t, n0 + vn * t, h));
                    TruthPoint {
                        t: T0 + t,
                        pos: p,
                        vel: [ve, vn, 0.0],
                    }
                })
                .collect();
            Trajectory {
                icao: IcaoAddress::new(0x100000 + i as u32),
                callsign: None,
                squawk: None,
                points,
            }
        })
        .collect()
}

fn config(centre: Geodetic, seconds: f64) -> SimConfig {
    let radar = |id: u16, lat: f64, lon: f64, period_s: f64, phase_rad: f64| RadarSim {
        sensor: SensorId(id),
        site: geo(lat, lon, 100.0),
        period_s,
        sigma_range_m: 50.0,
        sigma_azimuth_rad: 0.08f64.to_radians(),
        pd_ssr: 0.95,
        pd_psr: 0.85,
        false_per_scan: 20.0,
        max_range_m: 300e3,
        phase_rad,
    };
    SimConfig {
        seed: 1,
        start: T0,
        end: T0 + WARMUP_S + seconds,
        adsb: Some(AdsbSim {
            sensor: SensorId(1),
            rate_hz: 1.0,
            dropout: 0.05,
            nacp: 8,
            nacv: 2,
            max_range_m: 500e3,
            site: centre,
        }),
        radars: vec![
            radar(11, 49.0, 2.5, 4.0, 0.0),
            radar(12, 48.0, 1.8, 8.0, 2.0),
            radar(13, 49.3, 4.0, 12.0, 4.0),
        ],
        silent: vec![],
        party: PartyId(1),
    }
}

/// The tracker warmed up on 30 s and the batches of the next `seconds` seconds, one vector
/// per second.
fn simulate_seconds(n: usize, seconds: usize) -> (Tracker, Vec<Vec<SimBatch>>) {
    let centre = geo(48.9, 2.4, 0.0);
    let frame = LocalFrame::new(centre).unwrap();
    let truth = picture(n, &frame);
    let cfg = config(centre, seconds as f64);
    let batches = simulate(&truth, &cfg).unwrap();
    let mut tracker = Tracker::new(
        TrackerConfig {
            origin: centre,
            ..TrackerConfig::default()
        },
        &cfg.sensor_specs(),
    )
    .unwrap();
    let mut per_second: Vec<Vec<SimBatch>> = (0..=seconds).map(|_| Vec::new()).collect();
    for b in batches {
        // 0: the warm-up; k: the k-th second after it.
        let k = ((b.end - T0 - WARMUP_S).ceil().max(0.0) as usize).min(seconds);
        per_second[k].push(b);
    }
    for b in &per_second[0] {
        tracker.process(&b.batch());
    }
    per_second.remove(0);
    (tracker, per_second)
}

fn describe(n: usize, tracker: &Tracker, second: &[SimBatch]) -> usize {
    let obs = second.iter().map(|b| b.observations.len()).sum();
    eprintln!(
        "{n} aircraft: {} live tracks ({} confirmed) after warm-up, {obs} observations in the \
         measured second ({} batches); size_of::<Track>() = {} bytes",
        tracker.len(),
        tracker.tracks().filter(|t| t.is_confirmed()).count(),
        second.len(),
        std::mem::size_of::<Track>(),
    );
    obs
}

/// The tracker after the warm-up, the batches of the next second and their observation
/// count.
#[allow(dead_code)]
pub fn setup(n: usize) -> (Tracker, Vec<SimBatch>, usize) {
    let (tracker, mut seconds) = simulate_seconds(n, 1);
    let last = seconds.remove(0);
    let obs = describe(n, &tracker, &last);
    (tracker, last, obs)
}

/// The tracker after the warm-up and the batches of the next `seconds` seconds (a different
/// simulation from [`setup`]'s: its random draws depend on the simulated span), with the
/// mean observation count per second.
#[allow(dead_code)]
pub fn setup_steady(n: usize, seconds: usize) -> (Tracker, Vec<Vec<SimBatch>>, usize) {
    let (tracker, per_second) = simulate_seconds(n, seconds);
    describe(n, &tracker, &per_second[0]);
    let total: usize = per_second
        .iter()
        .flatten()
        .map(|b| b.observations.len())
        .sum();
    (tracker, per_second, total / seconds)
}
