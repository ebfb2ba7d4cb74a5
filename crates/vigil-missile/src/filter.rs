//! The ballistic filter: an unscented Kalman filter ([`vigil_track::ukf`]) on the state of
//! [`crate::dynamics`], updated with radar range / azimuth / elevation plots, and initiated
//! from three plots of one radar.

use nalgebra::{Matrix3, SMatrix, Vector3};
use serde::{Deserialize, Serialize};
use vigil_track::Gaussian;
use vigil_track::filter::{FilterError, UpdateInfo};
use vigil_track::ukf::{MeasurementModel, PredictedMeasurement, Ukf};

use crate::dynamics::{self, ATMOSPHERE_M, State};
use crate::radar::{Plot, RadarSite};

/// A ballistic state estimate.
pub type Estimate = Gaussian<7>;

/// The filter's tuning.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FilterConfig {
    /// White-noise acceleration density in vacuum, m²/s³ (what the J2 model and the
    /// integration leave out).
    pub q_vacuum: f64,
    /// White-noise acceleration density in the atmosphere, m²/s³ (air density and lift
    /// errors).
    pub q_air: f64,
    /// Random-walk density of the drag parameter κ = 1000/β in the atmosphere, per second.
    pub q_kappa: f64,
    /// Prior mean of κ at initiation (β = 1000 / κ kg/m²).
    pub kappa_prior: f64,
    /// Prior standard deviation of κ.
    pub kappa_prior_sd: f64,
    /// Unmodelled acceleration allowed for at initiation (the object may still be under
    /// thrust), m/s².
    pub init_accel: f64,
}

impl Default for FilterConfig {
    fn default() -> Self {
        Self {
            q_vacuum: 1e-4,
            q_air: 1.0,
            q_kappa: 1e-3,
            kappa_prior: 0.3,
            kappa_prior_sd: 0.5,
            init_accel: 5.0,
        }
    }
}

/// The ballistic filter.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BallisticFilter {
    /// Tuning.
    pub cfg: FilterConfig,
    ukf: Ukf<7>,
}

/// Whether a state is in the atmosphere (height below [`ATMOSPHERE_M`]).
pub fn in_atmosphere(x: &State) -> bool {
    dynamics::height_m(&Vector3::new(x[0], x[1], x[2])) < ATMOSPHERE_M
}

impl BallisticFilter {
    /// A filter with the given tuning.
    pub fn new(cfg: FilterConfig) -> Self {
        Self {
            cfg,
            ukf: Ukf::default(),
        }
    }

    /// The unscented filter in use.
    pub fn ukf(&self) -> &Ukf<7> {
        &self.ukf
    }

    /// The process noise over `dt` seconds at state `x`: white-noise acceleration on
    /// position / velocity, and on κ only in the atmosphere (above it κ is unobservable and
    /// keeps its uncertainty).
    pub fn process_noise(&self, x: &State, dt: f64) -> SMatrix<f64, 7, 7> {
        let air = in_atmosphere(x);
        let q = if air {
            self.cfg.q_air
        } else {
            self.cfg.q_vacuum
        };
        let (a, b, c) = (dt.powi(3) / 3.0 * q, dt * dt / 2.0 * q, dt * q);
        let mut m = SMatrix::<f64, 7, 7>::zeros();
        for i in 0..3 {
            m[(i, i)] = a;
            m[(i, i + 3)] = b;
            m[(i + 3, i)] = b;
            m[(i + 3, i + 3)] = c;
        }
        // A floor keeps κ's variance positive whatever happened to it.
        m[(6, 6)] = if air {
            self.cfg.q_kappa * dt
        } else {
            1e-12 * dt
        };
        m
    }

    /// Predicts `g` by `dt` seconds (forward only; non-positive `dt` is a no-op).
    pub fn predict(&self, g: &mut Estimate, dt: f64) -> Result<(), FilterError> {
        if !dt.is_finite() {
            return Err(FilterError::NonFinite);
        }
        if dt <= 0.0 {
            return Ok(());
        }
        let q = self.process_noise(&g.x, dt);
        self.ukf
            .predict(g, |x| dynamics::propagate(x, dt, true), &q)
    }

    /// The predicted plot of `g` at `radar`.
    pub fn measure(
        &self,
        g: &Estimate,
        radar: &RadarSite,
    ) -> Result<PredictedMeasurement<7, 3>, FilterError> {
        self.ukf.measure(g, radar, &radar.noise())
    }

    /// Corrects `g` with `plot` given its predicted measurement `pm` at `radar`.
    pub fn correct(
        &self,
        g: &mut Estimate,
        radar: &RadarSite,
        pm: &PredictedMeasurement<7, 3>,
        plot: &Plot,
    ) -> Result<UpdateInfo, FilterError> {
        let nu = radar.residual(&plot.z(), &pm.z);
        self.ukf.correct(g, pm, &nu)
    }

    /// The estimate at the time of the last of three plots of one radar (time order): the
    /// velocity from the first and last positions with the mean gravity of the interval
    /// added back, the middle plot checked against the straight line; a wide covariance
    /// (plot noise, the velocity's difference noise, and [`FilterConfig::init_accel`] over
    /// the interval). `None` when the plots are not a plausible ballistic object (speed above
    /// 8 km/s, middle plot off the line by more than the noise and the unmodelled
    /// acceleration allow, or times not increasing).
    pub fn initiate(&self, radar: &RadarSite, plots: [&Plot; 3]) -> Option<Estimate> {
        let r = radar.noise();
        self.initiate_with_noise(radar, plots, [&r, &r, &r])
    }

    /// [`BallisticFilter::initiate`] with each plot's own noise covariance.
    pub fn initiate_with_noise(
        &self,
        radar: &RadarSite,
        plots: [&Plot; 3],
        noise: [&Matrix3<f64>; 3],
    ) -> Option<Estimate> {
        let [a, b, c] = plots;
        if !(a.t < b.t && b.t < c.t) {
            return None;
        }
        let (pa, pb, pc) = (
            radar.to_ecef(&a.z()),
            radar.to_ecef(&b.z()),
            radar.to_ecef(&c.z()),
        );
        let dt = c.t - a.t;
        let grav = dynamics::accel(&pc, &Vector3::zeros(), 0.0, f64::INFINITY);
        // Constant-acceleration fit through a and c: v(c) = (pc − pa)/dt + g dt/2.
        let v = (pc - pa) / dt + grav * (dt / 2.0);
        if v.norm() > 8_000.0 {
            return None;
        }
        let cc = radar.ecef_cov_with(&c.z(), noise[2]);
        let ca = radar.ecef_cov_with(&a.z(), noise[0]);
        let cb = radar.ecef_cov_with(&b.z(), noise[1]);
        // The middle plot against the chord (with the gravity sag): its residual covariance
        // includes the three plots' noise and the unmodelled acceleration.
        let s = (b.t - a.t) / dt;
        let chord = pa + (pc - pa) * s - grav * (0.5 * (b.t - a.t) * (c.t - b.t));
        let acc_pos = 0.5 * self.cfg.init_accel * (b.t - a.t) * (c.t - b.t);
        let cov_mid =
            cb + ca * (1.0 - s).powi(2) + cc * s * s + Matrix3::identity() * acc_pos * acc_pos;
        let d = pb - chord;
        let d2 = d.dot(&cov_mid.cholesky()?.solve(&d));
        // χ²(3) at 0.9999.
        if d2.is_nan() || d2 >= 21.1 {
            return None;
        }
        let acc_vel = self.cfg.init_accel * dt;
        let pvv = (cc + ca) / (dt * dt) + Matrix3::identity() * acc_vel * acc_vel;
        let ppv = cc / dt;
        let mut p = SMatrix::<f64, 7, 7>::zeros();
        p.fixed_view_mut::<3, 3>(0, 0).copy_from(&cc);
        p.fixed_view_mut::<3, 3>(0, 3).copy_from(&ppv);
        p.fixed_view_mut::<3, 3>(3, 0).copy_from(&ppv.transpose());
        p.fixed_view_mut::<3, 3>(3, 3).copy_from(&pvv);
        p[(6, 6)] = self.cfg.kappa_prior_sd.powi(2);
        let x = State::from([pc.x, pc.y, pc.z, v.x, v.y, v.z, self.cfg.kappa_prior]);
        let g = Gaussian::new(x, vigil_track::filter::symmetrize(&p));
        g.is_valid().then_some(g)
    }
}
