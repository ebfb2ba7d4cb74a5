//! Seeded radar plots of true trajectories (tests and benchmarks; feature `sim`).

use nalgebra::Vector3;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use vigil_ballistic::earth::{self, Dynamics};
use vigil_ballistic::flight::{FlightError, FlightOptions, ObjectKind, Trajectory, coast};
use vigil_core::{Geodetic, LatLon};

use crate::radar::{Plot, RadarConfig, RadarSite};

/// A seeded plot generator.
#[derive(Debug, Clone)]
pub struct PlotSim {
    rng: ChaCha8Rng,
    /// Detection probability per object and scan.
    pub pd: f64,
}

impl PlotSim {
    /// A generator with its seed and detection probability.
    pub fn new(seed: u64, pd: f64) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            pd,
        }
    }

    /// The plots of one scan of `site` at `t` over the objects (those in coverage and
    /// detected), with Gaussian noise of the radar's σ, in object order.
    pub fn scan(&mut self, site: &RadarSite, t: f64, objects: &[&Trajectory]) -> Vec<Plot> {
        self.scan_labelled(site, t, objects).0
    }

    /// [`PlotSim::scan`] with each plot's truth: the index in `objects` of the object it
    /// measured (the same draws, so the same plots as `scan` from the same state).
    pub fn scan_labelled(
        &mut self,
        site: &RadarSite,
        t: f64,
        objects: &[&Trajectory],
    ) -> (Vec<Plot>, Vec<usize>) {
        let mut out = Vec::new();
        let mut truth = Vec::new();
        let r = site.noise();
        for (i, traj) in objects.iter().enumerate() {
            let Some((pos, _, _)) = traj.state_at(t) else {
                continue;
            };
            if !site.covers(&pos) {
                continue;
            }
            if self.rng.random::<f64>() >= self.pd {
                continue;
            }
            let Some(z) = site.measure(&pos) else {
                continue;
            };
            let mut n = [0.0; 3];
            for (k, v) in n.iter_mut().enumerate() {
                let s: f64 = StandardNormal.sample(&mut self.rng);
                *v = s * r[(k, k)].sqrt();
            }
            out.push(Plot {
                t,
                radar: site.id,
                range_m: z[0] + n[0],
                az_rad: z[1] + n[1],
                el_rad: z[2] + n[2],
            });
            truth.push(i);
        }
        (out, truth)
    }
}

/// The dense cloud of the benchmark and the association test: 10 launches a few tens of km
/// apart, each an RV (beta 8,000 kg/m²), two spent stages falling behind (1,500) and seven
/// debris pieces spread 15 m/s around the RV (200), 100 objects coasting from 120 km.
pub fn dense_cloud() -> Result<Vec<Trajectory>, FlightError> {
    let opts = FlightOptions::default();
    let mut out = Vec::with_capacity(100);
    for m in 0..10 {
        let site = LatLon::new(33.0 + 0.3 * f64::from(m), 46.0 + 0.4 * f64::from(m));
        let r0 = earth::geodetic_to_ecef(&Geodetic {
            pos: site,
            height_m: 120e3,
        });
        let rot = earth::ecef_to_enu_rotation(&site).transpose();
        let v_enu = Vector3::new(
            -2_000.0 - 50.0 * f64::from(m),
            2_500.0 + 30.0 * f64::from(m),
            2_200.0,
        );
        let v0 = rot * v_enu;
        let unit = v0.normalize();
        let fly = |kind, beta, v| coast(&Dynamics::EARTH, kind, beta, 0.0, r0, v, &opts);
        out.push(fly(ObjectKind::Rv, 8_000.0, v0)?);
        for s in 1..=2 {
            out.push(fly(
                ObjectKind::Stage,
                1_500.0,
                v0 - unit * (30.0 * f64::from(s)),
            )?);
        }
        for d in 0..7 {
            let a = f64::from(d) * std::f64::consts::TAU / 7.0;
            let dv = rot * Vector3::new(15.0 * a.cos(), 15.0 * a.sin(), 5.0);
            out.push(fly(ObjectKind::Debris, 200.0, v0 + dv)?);
        }
    }
    Ok(out)
}

/// The radars that watch [`dense_cloud`] in the benchmark and the association test: RU's
/// Gabala and Armavir north of the launch area, NATO's Kürecik and a ship to the west, each
/// 70° either side of its boresight. Returns (RU's, NATO's).
pub fn dense_cloud_radars() -> (Vec<RadarConfig>, Vec<RadarConfig>) {
    // σ range 50·s metres, σ angles s mrad.
    let radar = |name: &str, party: &str, lat, lon, az, range_km, s: f64| RadarConfig {
        name: name.into(),
        party: party.into(),
        lat,
        lon,
        height_m: 100.0,
        boresight_az_deg: az,
        half_fov_deg: 70.0,
        max_range_km: range_km,
        min_elevation_deg: 0.0,
        sigma_range_m: 50.0 * s,
        sigma_az_mrad: s,
        sigma_el_mrad: s,
    };
    (
        vec![
            radar("Gabala", "RU", 40.87, 47.80, 180.0, 6_000.0, 1.5),
            radar("Armavir", "RU", 44.92, 40.98, 170.0, 4_000.0, 1.2),
        ],
        vec![
            radar("Kurecik", "NATO", 38.35, 37.80, 100.0, 2_500.0, 1.0),
            radar("Ship", "NATO", 36.0, 36.0, 80.0, 2_000.0, 1.0),
        ],
    )
}
