//! Seeded radar plots of true trajectories (tests and benchmarks; feature `sim`).

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use vigil_ballistic::flight::Trajectory;

use crate::radar::{Plot, RadarSite};

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
