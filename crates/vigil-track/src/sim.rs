//! Sensor simulator for evaluation: real trajectories as truth, seeded noisy observations.
//!
//! Truth comes from recorded traffic (the `traffic` library's JSON state vectors: timestamp
//! in ms, icao24, callsign, latitude, longitude, altitude in ft, groundspeed in kt, track in
//! degrees, vertical rate in ft/min, squawk, onground). From it the simulator produces
//! - ADS-B at a fixed rate with position noise from a NACp, velocity noise from a NACv,
//!   random dropouts;
//! - rotating radars: one plot per target per rotation when the beam crosses it, with range
//!   and azimuth noise, a detection probability below one (lower for primary-only returns),
//!   a radar horizon, and false plots; identity (Mode S address, Mode 3/A, Mode C altitude)
//!   only while the transponder is on;
//! - transponders switched off at a given time (the aircraft stays visible to primary radar
//!   only).
//!
//! Output is a time-ordered list of [`SimBatch`]es (one second of ADS-B, one sector of a
//! rotation), ready for [`crate::Tracker::process`]. Everything is drawn from one ChaCha8
//! generator seeded by the caller, iterating in a fixed order: the same seed gives the same
//! observations on every machine.

use std::io::Read;
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, Poisson};
use serde::Deserialize;
use vigil_core::{
    Geodetic, IcaoAddress, Identity, LatLon, Measurement, Observation, SensorId, UnixTime,
    VelocityEnu, Vertical,
};

use crate::adsb::{nacp_epu_m, nacv_bound_mps};
use crate::geo::LocalFrame;
use crate::measurement::{RadarSite, wrap_angle};
use crate::track::PartyId;
use crate::tracker::{Batch, Coverage, SensorKind, SensorSpec};

/// Loading truth failed.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// Reading the file.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The JSON did not have the expected shape.
    #[error("parsing {path}: {source}")]
    Json {
        /// The file.
        path: String,
        /// The cause.
        source: serde_json::Error,
    },
    /// A configuration value cannot be simulated.
    #[error("invalid simulation setting: {0}")]
    Config(&'static str),
}

#[derive(Deserialize)]
struct Row {
    timestamp: f64,
    icao24: String,
    callsign: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    altitude: Option<f64>,
    groundspeed: Option<f64>,
    track: Option<f64>,
    vertical_rate: Option<f64>,
    squawk: Option<String>,
    onground: Option<bool>,
}

/// One truth sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TruthPoint {
    /// Time, Unix seconds.
    pub t: f64,
    /// Position (altitude taken as height above the ellipsoid).
    pub pos: Geodetic,
    /// Velocity east, north, up, m/s.
    pub vel: [f64; 3],
}

/// One aircraft's recorded trajectory.
#[derive(Debug, Clone, PartialEq)]
pub struct Trajectory {
    /// Mode S address.
    pub icao: IcaoAddress,
    /// Callsign, when recorded.
    pub callsign: Option<String>,
    /// Mode 3/A code (one octal digit per nibble), when recorded.
    pub squawk: Option<u16>,
    /// Airborne samples in time order.
    pub points: Vec<TruthPoint>,
}

/// Samples further apart than this are a gap: the aircraft is not in the truth between them.
pub const MAX_GAP_S: f64 = 30.0;

impl Trajectory {
    /// The truth at `t`, linearly interpolated between samples; `None` outside the recording
    /// or inside a gap.
    pub fn at(&self, t: f64) -> Option<TruthPoint> {
        let i = self.points.partition_point(|p| p.t <= t);
        if i == 0 {
            return None;
        }
        let a = self.points[i - 1];
        if i == self.points.len() {
            return (t - a.t < 1e-9).then_some(a);
        }
        let b = self.points[i];
        if b.t - a.t > MAX_GAP_S {
            return None;
        }
        let f = (t - a.t) / (b.t - a.t);
        let lerp = |x: f64, y: f64| x + (y - x) * f;
        Some(TruthPoint {
            t,
            pos: Geodetic {
                pos: LatLon::new(
                    lerp(a.pos.pos.lat, b.pos.pos.lat),
                    lerp(a.pos.pos.lon, b.pos.pos.lon),
                ),
                height_m: lerp(a.pos.height_m, b.pos.height_m),
            },
            vel: [
                lerp(a.vel[0], b.vel[0]),
                lerp(a.vel[1], b.vel[1]),
                lerp(a.vel[2], b.vel[2]),
            ],
        })
    }

    /// First and last sample times.
    pub fn span(&self) -> Option<(f64, f64)> {
        Some((self.points.first()?.t, self.points.last()?.t))
    }
}

/// Parses a Mode 3/A code written as four octal digits ("7500") to one digit per nibble.
pub fn parse_squawk(s: &str) -> Option<u16> {
    let s = s.trim();
    if s.len() != 4 || !s.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return None;
    }
    u16::from_str_radix(s, 16).ok()
}

/// Loads a gzip-compressed JSON array of state vectors into trajectories (sorted by address,
/// airborne samples only, altitude carried forward over missing values).
pub fn load_traffic(path: &Path) -> Result<Vec<Trajectory>, SimError> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| SimError::Io {
        path: name.clone(),
        source,
    })?;
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::io::BufReader::new(file))
        .read_to_string(&mut text)
        .map_err(|source| SimError::Io {
            path: name.clone(),
            source,
        })?;
    let rows: Vec<Row> =
        serde_json::from_str(&text).map_err(|source| SimError::Json { path: name, source })?;
    Ok(trajectories(rows))
}

fn trajectories(mut rows: Vec<Row>) -> Vec<Trajectory> {
    rows.sort_by(|a, b| {
        a.icao24
            .cmp(&b.icao24)
            .then(a.timestamp.total_cmp(&b.timestamp))
    });
    let mut out: Vec<Trajectory> = Vec::new();
    let mut last_alt: Option<f64> = None;
    for r in rows {
        let Ok(icao) = r.icao24.parse::<IcaoAddress>() else {
            continue;
        };
        if out.last().is_none_or(|t| t.icao != icao) {
            out.push(Trajectory {
                icao,
                callsign: None,
                squawk: None,
                points: Vec::new(),
            });
            last_alt = None;
        }
        let Some(traj) = out.last_mut() else { continue };
        if let Some(cs) = r
            .callsign
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            traj.callsign = Some(cs.to_owned());
        }
        if let Some(sq) = r.squawk.as_deref().and_then(parse_squawk) {
            traj.squawk = Some(sq);
        }
        if r.altitude.is_some() {
            last_alt = r.altitude;
        }
        let (Some(lat), Some(lon), Some(alt_ft)) = (r.latitude, r.longitude, last_alt) else {
            continue;
        };
        // Airborne samples with a velocity only: parked aircraft report neither.
        if r.onground == Some(true) || r.groundspeed.is_none() || !LatLon::new(lat, lon).is_valid()
        {
            continue;
        }
        let t = r.timestamp / 1000.0;
        // Resampling repeats a position until the next one arrives: keep the first of a run.
        if traj
            .points
            .last()
            .is_some_and(|p| p.t >= t || (p.pos.pos.lat == lat && p.pos.pos.lon == lon))
        {
            continue;
        }
        let gs = r.groundspeed.unwrap_or(0.0) * 1852.0 / 3600.0;
        let (s, c) = r.track.unwrap_or(0.0).to_radians().sin_cos();
        traj.points.push(TruthPoint {
            t,
            pos: Geodetic {
                pos: LatLon::new(lat, lon),
                height_m: alt_ft * 0.3048,
            },
            vel: [
                gs * s,
                gs * c,
                r.vertical_rate.unwrap_or(0.0) * 0.3048 / 60.0,
            ],
        });
    }
    out.retain(|t| t.points.len() >= 2);
    for t in &mut out {
        t.points = smooth(&t.points, SMOOTHING_HALF_WINDOW_S);
    }
    out
}

/// Half-width of the truth smoothing window, seconds.
pub const SMOOTHING_HALF_WINDOW_S: f64 = 10.0;

/// Savitzky-Golay style smoothing: at each sample, a least-squares quadratic in time over the
/// samples within `half_window` seconds (same gap-free segment) gives the position (its value)
/// and the velocity (its slope).
///
/// Why: the recorded state vectors are resampled to whole seconds, so each position carries up
/// to ±0.5 s of timestamp error (±125 m along-track at cruise speed) and the reported speed and
/// track disagree with the position differences by 13 m/s (median). Raw, that jitter would be
/// scored as tracker error; a quadratic over ±10 s removes it while following a rate-one turn
/// to within metres.
pub fn smooth(points: &[TruthPoint], half_window: f64) -> Vec<TruthPoint> {
    use nalgebra::{Matrix3, Vector3};
    let mut out = Vec::with_capacity(points.len());
    for (i, p) in points.iter().enumerate() {
        let (cos_lat, m_per_deg) = (p.pos.pos.lat.to_radians().cos(), 111_194.93);
        // Same segment: stop at gaps.
        let mut lo = i;
        while lo > 0
            && p.t - points[lo - 1].t <= half_window
            && points[lo].t - points[lo - 1].t <= MAX_GAP_S
        {
            lo -= 1;
        }
        let mut hi = i;
        while hi + 1 < points.len()
            && points[hi + 1].t - p.t <= half_window
            && points[hi + 1].t - points[hi].t <= MAX_GAP_S
        {
            hi += 1;
        }
        let n = hi - lo + 1;
        let tau_span = points[hi].t - points[lo].t;
        if n < 5 || tau_span < 4.0 {
            out.push(*p);
            continue;
        }
        let mut ata = Matrix3::<f64>::zeros();
        let mut atb = [Vector3::<f64>::zeros(); 3];
        for q in &points[lo..=hi] {
            let tau = q.t - p.t;
            let row = Vector3::new(1.0, tau, tau * tau);
            ata += row * row.transpose();
            let y = [
                (q.pos.pos.lon - p.pos.pos.lon) * m_per_deg * cos_lat,
                (q.pos.pos.lat - p.pos.pos.lat) * m_per_deg,
                q.pos.height_m - p.pos.height_m,
            ];
            for (k, yk) in y.into_iter().enumerate() {
                atb[k] += row * yk;
            }
        }
        let Some(chol) = ata.cholesky() else {
            out.push(*p);
            continue;
        };
        let c: [Vector3<f64>; 3] = [
            chol.solve(&atb[0]),
            chol.solve(&atb[1]),
            chol.solve(&atb[2]),
        ];
        out.push(TruthPoint {
            t: p.t,
            pos: Geodetic {
                pos: LatLon::new(
                    p.pos.pos.lat + c[1][0] / m_per_deg,
                    p.pos.pos.lon + c[0][0] / (m_per_deg * cos_lat),
                ),
                height_m: p.pos.height_m + c[2][0],
            },
            vel: [c[0][1], c[1][1], c[2][1]],
        });
    }
    out
}

/// An ADS-B receiver's simulation settings.
#[derive(Debug, Clone, PartialEq)]
pub struct AdsbSim {
    /// Sensor id.
    pub sensor: SensorId,
    /// Reports per aircraft per second.
    pub rate_hz: f64,
    /// Probability that a report is lost.
    pub dropout: f64,
    /// NACp every aircraft reports (sets the position noise).
    pub nacp: u8,
    /// NACv every aircraft reports (sets the velocity noise).
    pub nacv: u8,
    /// Reception range around `site`, metres.
    pub max_range_m: f64,
    /// Receiver site.
    pub site: Geodetic,
}

/// A rotating radar's simulation settings.
#[derive(Debug, Clone, PartialEq)]
pub struct RadarSim {
    /// Sensor id.
    pub sensor: SensorId,
    /// Antenna.
    pub site: Geodetic,
    /// Rotation period, seconds.
    pub period_s: f64,
    /// Range noise, metres.
    pub sigma_range_m: f64,
    /// Azimuth noise, radians.
    pub sigma_azimuth_rad: f64,
    /// Detection probability of a target with its transponder on (secondary / Mode S).
    pub pd_ssr: f64,
    /// Detection probability of a target with its transponder off (primary only).
    pub pd_psr: f64,
    /// Mean number of false plots per rotation.
    pub false_per_scan: f64,
    /// Instrumented range, metres.
    pub max_range_m: f64,
    /// Beam azimuth at `t = 0` (Unix epoch), radians.
    pub phase_rad: f64,
}

/// A simulation.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Seed of the one random generator.
    pub seed: u64,
    /// Start of the simulated interval, Unix seconds.
    pub start: f64,
    /// End, Unix seconds.
    pub end: f64,
    /// ADS-B receiver, if any.
    pub adsb: Option<AdsbSim>,
    /// Radars.
    pub radars: Vec<RadarSim>,
    /// Transponders switched off: address and time.
    pub silent: Vec<(IcaoAddress, f64)>,
    /// The party owning every simulated sensor.
    pub party: PartyId,
}

impl SimConfig {
    /// The sensor table for a tracker fed by this simulation.
    pub fn sensor_specs(&self) -> Vec<SensorSpec> {
        let mut v = Vec::new();
        if let Some(a) = &self.adsb {
            v.push(SensorSpec {
                id: a.sensor,
                party: self.party,
                kind: SensorKind::Adsb,
                max_range_m: a.max_range_m,
            });
        }
        for r in &self.radars {
            v.push(SensorSpec {
                id: r.sensor,
                party: self.party,
                kind: SensorKind::Radar { site: r.site },
                max_range_m: r.max_range_m,
            });
        }
        v
    }

    fn transponder_on(&self, icao: IcaoAddress, t: f64) -> bool {
        !self.silent.iter().any(|(a, from)| *a == icao && t >= *from)
    }
}

/// Observations of one sensor over one interval.
#[derive(Debug, Clone, PartialEq)]
pub struct SimBatch {
    /// The sensor.
    pub sensor: SensorId,
    /// End of the interval (batches are ordered by it).
    pub end: f64,
    /// What the sensor covered.
    pub coverage: Coverage,
    /// The observations.
    pub observations: Vec<Observation>,
    /// The truth address behind each observation (`None` for a false plot): for scoring only,
    /// the tracker never sees it.
    pub truth: Vec<Option<IcaoAddress>>,
}

impl SimBatch {
    /// The batch as the tracker takes it.
    pub fn batch(&self) -> Batch<'_> {
        Batch {
            sensor: self.sensor,
            coverage: self.coverage,
            observations: &self.observations,
        }
    }
}

fn normal(sigma: f64) -> Result<Normal<f64>, SimError> {
    Normal::new(0.0, sigma).map_err(|_| SimError::Config("noise standard deviation"))
}

/// Radar horizon for a target at `h_t` seen from an antenna at `h_r` (metres above the
/// ellipsoid, taken as above ground), with standard 4/3-Earth refraction: 4.12 km per √m.
fn radar_horizon_m(h_t: f64, h_r: f64) -> f64 {
    4_120.0 * (h_t.max(0.0).sqrt() + h_r.max(0.0).sqrt())
}

/// Runs the simulation over `truth`.
pub fn simulate(truth: &[Trajectory], config: &SimConfig) -> Result<Vec<SimBatch>, SimError> {
    if config.end.partial_cmp(&config.start) != Some(std::cmp::Ordering::Greater) {
        return Err(SimError::Config("end must be after start"));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut batches = Vec::new();
    if let Some(a) = &config.adsb {
        adsb_batches(truth, config, a, &mut rng, &mut batches)?;
    }
    for r in &config.radars {
        radar_batches(truth, config, r, &mut rng, &mut batches)?;
    }
    // Stable: equal end times keep generation order (ADS-B first, then radars in order).
    batches.sort_by(|a, b| a.end.total_cmp(&b.end));
    Ok(batches)
}

fn adsb_batches(
    truth: &[Trajectory],
    config: &SimConfig,
    a: &AdsbSim,
    rng: &mut ChaCha8Rng,
    out: &mut Vec<SimBatch>,
) -> Result<(), SimError> {
    if !(a.rate_hz > 0.0 && a.rate_hz <= 10.0) {
        return Err(SimError::Config("ADS-B rate"));
    }
    let epu = nacp_epu_m(a.nacp).ok_or(SimError::Config("NACp"))?;
    let sigma = epu / 2.447_746_830_680_816;
    let sigma_v = nacv_bound_mps(a.nacv).ok_or(SimError::Config("NACv"))? / 2.447_746_830_680_816;
    let pos_noise = normal(sigma)?;
    let vel_noise = normal(sigma_v)?;
    let frame = LocalFrame::new(a.site).map_err(|_| SimError::Config("ADS-B site"))?;
    let step = 1.0 / a.rate_hz;
    let mut t0 = config.start;
    while t0 < config.end {
        let t1 = (t0 + 1.0).min(config.end);
        let mut obs = Vec::new();
        let mut who = Vec::new();
        for traj in truth {
            // Each aircraft transmits on its own phase within the second.
            let phase = f64::from(traj.icao.value() % 1000) / 1000.0 * step;
            let mut t = t0 + phase;
            while t < t1 {
                if let Some(p) = traj.at(t)
                    && config.transponder_on(traj.icao, t)
                    && frame.geodetic_to_enu(&p.pos).norm() <= a.max_range_m
                    && rng.random::<f64>() >= a.dropout
                {
                    let (de, dn) = (pos_noise.sample(rng), pos_noise.sample(rng));
                    let pos = offset(&p.pos.pos, de, dn);
                    obs.push(Observation {
                        time: UnixTime(t),
                        sensor: a.sensor,
                        measurement: Measurement::Position {
                            pos,
                            cov_en_m2: [[sigma * sigma, 0.0], [0.0, sigma * sigma]],
                        },
                        // Barometric altitude in 25 ft steps, as encoded in the squitter.
                        vertical: Vertical {
                            baro_ft: Some((p.pos.height_m / 0.3048 / 25.0).round() * 25.0),
                            geom_m: None,
                        },
                        velocity: Some(VelocityEnu {
                            east_mps: p.vel[0] + vel_noise.sample(rng),
                            north_mps: p.vel[1] + vel_noise.sample(rng),
                            up_mps: Some(p.vel[2]),
                            sigma_mps: sigma_v,
                        }),
                        identity: Identity {
                            icao: Some(traj.icao),
                            mode3a: traj.squawk,
                            callsign: traj.callsign.clone(),
                            sensor_track: None,
                        },
                    });
                    who.push(Some(traj.icao));
                }
                t += step;
            }
        }
        out.push(SimBatch {
            sensor: a.sensor,
            end: t1,
            coverage: Coverage::Full,
            observations: obs,
            truth: who,
        });
        t0 = t1;
    }
    Ok(())
}

/// The point `de` metres east and `dn` metres north of `p` (small offsets, local sphere).
fn offset(p: &LatLon, de: f64, dn: f64) -> LatLon {
    let r = LatLon::EARTH_RADIUS_M;
    LatLon::new(
        p.lat + (dn / r).to_degrees(),
        p.lon + (de / (r * p.lat.to_radians().cos())).to_degrees(),
    )
}

fn radar_batches(
    truth: &[Trajectory],
    config: &SimConfig,
    r: &RadarSim,
    rng: &mut ChaCha8Rng,
    out: &mut Vec<SimBatch>,
) -> Result<(), SimError> {
    use std::f64::consts::TAU;
    if !(1.0..=60.0).contains(&r.period_s) {
        return Err(SimError::Config("radar period"));
    }
    let range_noise = normal(r.sigma_range_m)?;
    let az_noise = normal(r.sigma_azimuth_rad)?;
    let frame = LocalFrame::new(r.site).map_err(|_| SimError::Config("radar site"))?;
    let site = RadarSite::new(&frame, r.site).map_err(|_| SimError::Config("radar site"))?;
    // Sectors of about one second, so that radar data interleave with ADS-B in time.
    let sectors = r.period_s.round().max(1.0) as usize;
    let sector_s = r.period_s / sectors as f64;
    let beam = |t: f64| wrap_angle(r.phase_rad + TAU * t / r.period_s);
    // Rotations start when the beam points north: beam(t) = 0 at t = n·P − phase·P/2π.
    let lag = r.phase_rad / TAU * r.period_s;
    let first = ((config.start + lag) / r.period_s).floor();
    let mut n = first;
    loop {
        let t_rot = n * r.period_s - lag;
        if t_rot >= config.end {
            break;
        }
        let mut sector_obs: Vec<Vec<(Observation, Option<IcaoAddress>)>> =
            vec![Vec::new(); sectors];
        for traj in truth {
            let Some(p0) = traj.at(t_rot.max(config.start)) else {
                continue;
            };
            // Time the beam crosses the target: its azimuth at the start of the rotation,
            // refined once with the azimuth at that time (targets move < 0.5° per rotation).
            let mut tc = t_rot;
            let mut pos = p0.pos;
            for _ in 0..2 {
                let az = site_azimuth(&frame, &pos);
                tc = t_rot + (az.rem_euclid(TAU) / TAU) * r.period_s;
                match traj.at(tc) {
                    Some(p) => pos = p.pos,
                    None => break,
                }
            }
            if tc < config.start || tc >= config.end || tc >= t_rot + r.period_s {
                continue;
            }
            let Some(p) = traj.at(tc) else { continue };
            let Some(pol) = site.polar(&frame.geodetic_to_enu(&p.pos)) else {
                continue;
            };
            let horizon = radar_horizon_m(p.pos.height_m, r.site.height_m);
            if pol.range_m > r.max_range_m || pol.range_m > horizon {
                continue;
            }
            let on = config.transponder_on(traj.icao, tc);
            let pd = if on { r.pd_ssr } else { r.pd_psr };
            if rng.random::<f64>() >= pd {
                continue;
            }
            let range_m = pol.range_m + range_noise.sample(rng);
            let azimuth_rad = wrap_angle(pol.azimuth_rad + az_noise.sample(rng));
            let identity = if on {
                Identity {
                    icao: Some(traj.icao),
                    mode3a: traj.squawk,
                    callsign: None,
                    sensor_track: None,
                }
            } else {
                Identity::default()
            };
            // Mode C: 100 ft steps, only with the transponder.
            let vertical = Vertical {
                baro_ft: on.then(|| (p.pos.height_m / 0.3048 / 100.0).round() * 100.0),
                geom_m: None,
            };
            let k = (((tc - t_rot) / sector_s) as usize).min(sectors - 1);
            sector_obs[k].push((
                Observation {
                    time: UnixTime(tc),
                    sensor: r.sensor,
                    measurement: Measurement::Polar {
                        origin: r.site,
                        range_m,
                        azimuth_rad,
                        elevation_rad: None,
                        sigma_range_m: r.sigma_range_m,
                        sigma_azimuth_rad: r.sigma_azimuth_rad,
                        sigma_elevation_rad: None,
                    },
                    vertical,
                    velocity: None,
                    identity,
                },
                Some(traj.icao),
            ));
        }
        // False plots: Poisson per sector, uniform in the sector's sweep and in range.
        if r.false_per_scan > 0.0 {
            let poisson = Poisson::new(r.false_per_scan / sectors as f64)
                .map_err(|_| SimError::Config("false plot rate"))?;
            for (k, plots) in sector_obs.iter_mut().enumerate() {
                let count = poisson.sample(rng) as usize;
                for _ in 0..count {
                    let tc = t_rot + (k as f64 + rng.random::<f64>()) * sector_s;
                    if tc < config.start || tc >= config.end {
                        continue;
                    }
                    plots.push((
                        Observation {
                            time: UnixTime(tc),
                            sensor: r.sensor,
                            measurement: Measurement::Polar {
                                origin: r.site,
                                range_m: rng.random_range(5_000.0..r.max_range_m),
                                azimuth_rad: beam(tc),
                                elevation_rad: None,
                                sigma_range_m: r.sigma_range_m,
                                sigma_azimuth_rad: r.sigma_azimuth_rad,
                                sigma_elevation_rad: None,
                            },
                            vertical: Vertical::default(),
                            velocity: None,
                            identity: Identity::default(),
                        },
                        None,
                    ));
                }
            }
        }
        for (k, plots) in sector_obs.into_iter().enumerate() {
            let end = t_rot + (k + 1) as f64 * sector_s;
            if end <= config.start || t_rot + k as f64 * sector_s >= config.end {
                continue;
            }
            let (observations, truth): (Vec<_>, Vec<_>) = plots.into_iter().unzip();
            out.push(SimBatch {
                sensor: r.sensor,
                end,
                coverage: Coverage::Sector {
                    from_rad: beam(t_rot + k as f64 * sector_s),
                    to_rad: beam(end),
                },
                observations,
                truth,
            });
        }
        n += 1.0;
    }
    Ok(())
}

fn site_azimuth(frame: &LocalFrame, p: &Geodetic) -> f64 {
    let d = frame.geodetic_to_enu(p);
    d.x.atan2(d.y)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn traj() -> Trajectory {
        let p = |t: f64, lat: f64| TruthPoint {
            t,
            pos: Geodetic {
                pos: LatLon::new(lat, 2.5),
                height_m: 10_000.0,
            },
            vel: [0.0, 111.0, 0.0],
        };
        Trajectory {
            icao: IcaoAddress::new(0xabcdef),
            callsign: Some("TEST1".into()),
            squawk: Some(0x1234),
            points: (0..=10)
                .map(|k| p(10.0 * f64::from(k), 49.0 + 0.01 * f64::from(k)))
                .collect(),
        }
    }

    fn gappy() -> Trajectory {
        let mut t = traj();
        t.points.retain(|p| p.t <= 10.0 || p.t >= 100.0);
        t
    }

    #[test]
    fn interpolation_and_gaps() {
        let t = gappy();
        let mid = t.at(5.0).unwrap();
        assert!((mid.pos.pos.lat - 49.005).abs() < 1e-12);
        assert!(t.at(-1.0).is_none());
        assert!(t.at(50.0).is_none(), "a 90 s gap is not interpolated");
        assert!(t.at(100.0).is_some() && t.at(100.5).is_none());
    }

    /// Smoothing removes timestamp jitter and keeps a turn: samples on a 3°/s circle with
    /// ±0.5 s time errors come back within metres of the circle, with its speed.
    #[test]
    fn smoothing_removes_jitter_and_follows_turns() {
        let (v, w, r) = (200.0, 3f64.to_radians(), 200.0 / 3f64.to_radians());
        let m_per_deg = 111_194.93;
        let at = |t: f64| {
            let a = w * t;
            let (e, n) = (r * a.sin(), r * (1.0 - a.cos()));
            LatLon::new(
                48.0 + n / m_per_deg,
                2.0 + e / (m_per_deg * 48f64.to_radians().cos()),
            )
        };
        let points: Vec<TruthPoint> = (0..120)
            .map(|k| {
                let t = f64::from(k);
                // Deterministic ±0.5 s jitter.
                let jitter = ((f64::from(k) * 0.618_034).fract() - 0.5) * 1.0;
                TruthPoint {
                    t,
                    pos: Geodetic {
                        pos: at(t + jitter),
                        height_m: 9_000.0,
                    },
                    vel: [0.0; 3],
                }
            })
            .collect();
        let smoothed = smooth(&points, SMOOTHING_HALF_WINDOW_S);
        for p in &smoothed[15..105] {
            let err = p.pos.pos.distance_m(&at(p.t));
            assert!(err < 25.0, "t {}: {err} m off", p.t);
            let speed = p.vel[0].hypot(p.vel[1]);
            assert!((speed - v).abs() < 10.0, "t {}: speed {speed}", p.t);
        }
    }

    #[test]
    fn squawks_parse_as_octal_nibbles() {
        assert_eq!(parse_squawk("7500"), Some(0x7500));
        assert_eq!(parse_squawk("1000"), Some(0x1000));
        assert_eq!(parse_squawk("7800"), None);
        assert_eq!(parse_squawk("75"), None);
    }

    fn config(seed: u64) -> SimConfig {
        let site = Geodetic {
            pos: LatLon::new(49.0, 2.0),
            height_m: 100.0,
        };
        SimConfig {
            seed,
            start: 0.0,
            end: 100.0,
            adsb: Some(AdsbSim {
                sensor: SensorId(1),
                rate_hz: 1.0,
                dropout: 0.1,
                nacp: 8,
                nacv: 2,
                max_range_m: 400e3,
                site,
            }),
            radars: vec![RadarSim {
                sensor: SensorId(2),
                site,
                period_s: 5.0,
                sigma_range_m: 50.0,
                sigma_azimuth_rad: 0.0015,
                pd_ssr: 0.9,
                pd_psr: 0.8,
                false_per_scan: 3.0,
                max_range_m: 250e3,
                phase_rad: 0.3,
            }],
            silent: vec![],
            party: PartyId(0),
        }
    }

    #[test]
    fn same_seed_same_observations_other_seed_other_noise() {
        let truth = [traj()];
        let a = simulate(&truth, &config(42)).unwrap();
        let b = simulate(&truth, &config(42)).unwrap();
        let c = simulate(&truth, &config(43)).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.windows(2).all(|w| w[0].end <= w[1].end));
    }

    #[test]
    fn radar_sees_each_target_at_most_once_per_rotation() {
        let truth = [traj()];
        let batches = simulate(&truth, &config(7)).unwrap();
        let radar: Vec<&SimBatch> = batches.iter().filter(|b| b.sensor == SensorId(2)).collect();
        let plots: Vec<f64> = radar
            .iter()
            .flat_map(|b| b.observations.iter().zip(&b.truth))
            .filter(|(_, t)| t.is_some())
            .map(|(o, _)| o.time.secs())
            .collect();
        // 100 s of 5 s rotations: about 20 crossings, 90 % detected.
        assert!((14..=20).contains(&plots.len()), "{} plots", plots.len());
        assert!(plots.windows(2).all(|w| w[1] - w[0] > 2.5));
    }

    #[test]
    fn silent_transponder_stops_adsb_and_identity() {
        let truth = [traj()];
        let mut cfg = config(3);
        cfg.silent = vec![(IcaoAddress::new(0xabcdef), 50.0)];
        let batches = simulate(&truth, &cfg).unwrap();
        for b in &batches {
            for (o, t) in b.observations.iter().zip(&b.truth) {
                if t.is_some() && o.time.secs() >= 50.0 {
                    assert_eq!(b.sensor, SensorId(2), "no ADS-B after switch-off");
                    assert_eq!(o.identity, Identity::default());
                    assert_eq!(o.vertical.baro_ft, None);
                }
            }
        }
    }
}
