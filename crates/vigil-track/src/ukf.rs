//! The unscented Kalman filter (Julier & Uhlmann 1997; the scaled sigma points of van der
//! Merwe 2004), on fixed-size matrices (no allocation).
//!
//! For dynamics and measurements too nonlinear to linearise once per step (a body under
//! gravity and drag seen in range / azimuth / elevation), the filter carries `2N + 1` sigma
//! points through the user's functions instead of a Jacobian. Noise is additive: the process
//! noise `Q` is added after the propagation, the measurement noise `R` after the measurement.
//!
//! Every step is checked: non-finite inputs or outputs are refused, and a result whose
//! covariance is not symmetric positive definite is refused, leaving the estimate as it was
//! (the same contract as [`Gaussian::update`]). With the default parameters (α = 1, β = 2,
//! κ = 0) every covariance weight is non-negative, so the predicted covariance is a sum of
//! positive semi-definite terms plus `Q` and stays positive definite by construction.
//!
//! Measurement spaces with angles give a residual function ([`MeasurementModel::residual`])
//! that wraps; the predicted measurement is averaged as deviations from the central sigma
//! point's measurement, so an azimuth near ±π averages correctly.

use nalgebra::{SMatrix, SVector};

use crate::filter::{FilterError, Gaussian, UpdateInfo, all_finite, symmetrize};

/// The sigma-point parameters were unusable.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error(
    "invalid sigma-point parameters: N + lambda = {n_plus_lambda} (must be positive and finite)"
)]
pub struct SigmaError {
    /// `N + λ` as computed from the parameters.
    pub n_plus_lambda: f64,
}

/// The sigma-point set: spread and weights. Points are `x`, and `x ± √(N + λ) Lᵢ` for the
/// columns `Lᵢ` of the Cholesky factor of `P`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SigmaPoints<const N: usize> {
    /// `√(N + λ)`.
    gamma: f64,
    /// Mean weight of the central point.
    wm0: f64,
    /// Covariance weight of the central point.
    wc0: f64,
    /// Weight (mean and covariance) of each of the other `2N` points.
    wi: f64,
}

impl<const N: usize> SigmaPoints<N> {
    /// Van der Merwe's scaled sigma points: `λ = α² (N + κ) − N`, central covariance weight
    /// `λ / (N + λ) + 1 − α² + β` (β = 2 is optimal for Gaussian priors).
    pub fn merwe(alpha: f64, beta: f64, kappa: f64) -> Result<Self, SigmaError> {
        let n = N as f64;
        let lambda = alpha * alpha * (n + kappa) - n;
        let npl = n + lambda;
        if !(npl.is_finite() && npl > 0.0 && beta.is_finite()) {
            return Err(SigmaError { n_plus_lambda: npl });
        }
        let wm0 = lambda / npl;
        Ok(Self {
            gamma: npl.sqrt(),
            wm0,
            wc0: wm0 + 1.0 - alpha * alpha + beta,
            wi: 0.5 / npl,
        })
    }

    /// Julier's original sigma points: `λ = κ` (κ = 3 − N matches the fourth moment of a
    /// Gaussian), equal mean and covariance weights.
    pub fn julier(kappa: f64) -> Result<Self, SigmaError> {
        let npl = N as f64 + kappa;
        if !(npl.is_finite() && npl > 0.0) {
            return Err(SigmaError { n_plus_lambda: npl });
        }
        Ok(Self {
            gamma: npl.sqrt(),
            wm0: kappa / npl,
            wc0: kappa / npl,
            wi: 0.5 / npl,
        })
    }

    /// The weights `(mean of the central point, covariance of the central point, each other
    /// point)`.
    pub fn weights(&self) -> (f64, f64, f64) {
        (self.wm0, self.wc0, self.wi)
    }
}

impl<const N: usize> Default for SigmaPoints<N> {
    /// α = 1, β = 2, κ = 0: λ = 0, so the central point has mean weight 0 and covariance
    /// weight 2, the others `1 / 2N`; no weight is negative.
    fn default() -> Self {
        Self {
            gamma: (N as f64).sqrt(),
            wm0: 0.0,
            wc0: 2.0,
            wi: 0.5 / N as f64,
        }
    }
}

/// A measurement function `h(x) → z` of `K` components, with the residual of its space.
pub trait MeasurementModel<const N: usize, const K: usize> {
    /// The measurement the state `x` would produce, or `None` where it is undefined (a target
    /// over the radar head).
    fn h(&self, x: &SVector<f64, N>) -> Option<SVector<f64, K>>;

    /// `a − b` in the measurement space: angle components wrap here. Plain subtraction by
    /// default.
    fn residual(&self, a: &SVector<f64, K>, b: &SVector<f64, K>) -> SVector<f64, K> {
        a - b
    }
}

impl<const N: usize, const K: usize, F> MeasurementModel<N, K> for F
where
    F: Fn(&SVector<f64, N>) -> Option<SVector<f64, K>>,
{
    fn h(&self, x: &SVector<f64, N>) -> Option<SVector<f64, K>> {
        self(x)
    }
}

/// The predicted measurement of a state estimate: what the update needs, and what a gate
/// needs (the innovation covariance).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PredictedMeasurement<const N: usize, const K: usize> {
    /// Predicted measurement (weighted mean of the sigma points' measurements).
    pub z: SVector<f64, K>,
    /// Innovation covariance `S` (including `R`).
    pub s: SMatrix<f64, K, K>,
    /// State–measurement cross covariance.
    pub pxz: SMatrix<f64, N, K>,
}

impl<const N: usize, const K: usize> PredictedMeasurement<N, K> {
    /// The squared Mahalanobis distance of a residual `nu` (already wrapped), or `None` when
    /// `S` is not positive definite.
    pub fn mahalanobis2(&self, nu: &SVector<f64, K>) -> Option<f64> {
        let chol = self.s.cholesky()?;
        let d2 = nu.dot(&chol.solve(nu));
        d2.is_finite().then_some(d2)
    }
}

/// The unscented Kalman filter's steps for an `N`-dimensional state. It holds only the
/// sigma-point parameters: estimates are [`Gaussian`]s the caller owns.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Ukf<const N: usize> {
    /// The sigma-point set.
    pub sigma: SigmaPoints<N>,
}

/// Weighted mean, covariance, and the deviations from the mean of the `+` and `−` images.
type Moments<const N: usize, const M: usize> = (
    SVector<f64, M>,
    SMatrix<f64, M, M>,
    [SVector<f64, M>; N],
    [SVector<f64, M>; N],
);

/// The sigma points' images: the central one and the `+` / `−` pair of each column.
struct Images<const N: usize, const M: usize> {
    center: SVector<f64, M>,
    plus: [SVector<f64, M>; N],
    minus: [SVector<f64, M>; N],
}

impl<const N: usize> Ukf<N> {
    /// A filter with the given sigma points.
    pub fn new(sigma: SigmaPoints<N>) -> Self {
        Self { sigma }
    }

    /// The scaled Cholesky columns `√(N + λ) Lᵢ` of `g.p`, after checking `g`.
    fn spread(&self, g: &Gaussian<N>) -> Result<SMatrix<f64, N, N>, FilterError> {
        if !(all_finite(g.x.as_slice()) && all_finite(g.p.as_slice())) {
            return Err(FilterError::NonFinite);
        }
        let chol = symmetrize(&g.p)
            .cholesky()
            .ok_or(FilterError::NotPositiveDefinite)?;
        Ok(chol.l() * self.sigma.gamma)
    }

    /// Images of the sigma points of `g` under `f` (any `None` refuses the step).
    fn images<const M: usize>(
        &self,
        g: &Gaussian<N>,
        spread: &SMatrix<f64, N, N>,
        mut f: impl FnMut(&SVector<f64, N>) -> Option<SVector<f64, M>>,
    ) -> Result<Images<N, M>, FilterError> {
        let center = f(&g.x).ok_or(FilterError::Singular)?;
        let mut plus = [SVector::<f64, M>::zeros(); N];
        let mut minus = [SVector::<f64, M>::zeros(); N];
        for i in 0..N {
            let col = spread.column(i);
            plus[i] = f(&(g.x + col)).ok_or(FilterError::Singular)?;
            minus[i] = f(&(g.x - col)).ok_or(FilterError::Singular)?;
        }
        let finite = all_finite(center.as_slice())
            && plus
                .iter()
                .chain(minus.iter())
                .all(|v| all_finite(v.as_slice()));
        if !finite {
            return Err(FilterError::NonFinite);
        }
        Ok(Images {
            center,
            plus,
            minus,
        })
    }

    /// The weighted mean and covariance of images, with `residual` as the space's
    /// subtraction. The mean is accumulated as deviations from the central image: exact for
    /// plain vectors (the weights sum to one) and correct across an angle's wrap.
    fn moments<const M: usize>(
        &self,
        im: &Images<N, M>,
        residual: &impl Fn(&SVector<f64, M>, &SVector<f64, M>) -> SVector<f64, M>,
    ) -> Moments<N, M> {
        let (_, wc0, wi) = self.sigma.weights();
        let mut acc = SVector::<f64, M>::zeros();
        for i in 0..N {
            acc += residual(&im.plus[i], &im.center) + residual(&im.minus[i], &im.center);
        }
        // The central point's own deviation is zero, so its mean weight drops out.
        let mean = im.center + acc * wi;
        let d0 = residual(&im.center, &mean);
        let mut cov = d0 * d0.transpose() * wc0;
        let mut dp = [SVector::<f64, M>::zeros(); N];
        let mut dm = [SVector::<f64, M>::zeros(); N];
        for i in 0..N {
            dp[i] = residual(&im.plus[i], &mean);
            dm[i] = residual(&im.minus[i], &mean);
            cov += (dp[i] * dp[i].transpose() + dm[i] * dm[i].transpose()) * wi;
        }
        (mean, cov, dp, dm)
    }

    /// The unscented transform of `g` through `f`: the mean and covariance of `f(x)`, with
    /// `residual` as the output space's subtraction. `None` from `f` refuses the transform.
    pub fn transform<const M: usize>(
        &self,
        g: &Gaussian<N>,
        f: impl FnMut(&SVector<f64, N>) -> Option<SVector<f64, M>>,
        residual: impl Fn(&SVector<f64, M>, &SVector<f64, M>) -> SVector<f64, M>,
    ) -> Result<(SVector<f64, M>, SMatrix<f64, M, M>), FilterError> {
        let spread = self.spread(g)?;
        let im = self.images(g, &spread, f)?;
        let (mean, cov, _, _) = self.moments(&im, &residual);
        if !(all_finite(mean.as_slice()) && all_finite(cov.as_slice())) {
            return Err(FilterError::NonFinite);
        }
        Ok((mean, symmetrize(&cov)))
    }

    /// Predicts through the propagation `f` (the step `x(t) → x(t + dt)`, the interval
    /// captured by the closure) with additive process noise `q`, in place. On error `g` is
    /// unchanged.
    pub fn predict(
        &self,
        g: &mut Gaussian<N>,
        mut f: impl FnMut(&SVector<f64, N>) -> SVector<f64, N>,
        q: &SMatrix<f64, N, N>,
    ) -> Result<(), FilterError> {
        if !all_finite(q.as_slice()) {
            return Err(FilterError::NonFinite);
        }
        let spread = self.spread(g)?;
        let im = self.images(g, &spread, |x| Some(f(x)))?;
        let (mean, cov, _, _) = self.moments(&im, &|a, b| a - b);
        let p = symmetrize(&(cov + q));
        if !(all_finite(mean.as_slice()) && all_finite(p.as_slice())) {
            return Err(FilterError::NonFinite);
        }
        if p.cholesky().is_none() {
            return Err(FilterError::NotPositiveDefinite);
        }
        g.x = mean;
        g.p = p;
        Ok(())
    }

    /// The predicted measurement of `g` under `model` with measurement noise `r`.
    pub fn measure<const K: usize>(
        &self,
        g: &Gaussian<N>,
        model: &impl MeasurementModel<N, K>,
        r: &SMatrix<f64, K, K>,
    ) -> Result<PredictedMeasurement<N, K>, FilterError> {
        if !all_finite(r.as_slice()) {
            return Err(FilterError::NonFinite);
        }
        let spread = self.spread(g)?;
        let im = self.images(g, &spread, |x| model.h(x))?;
        let residual = |a: &SVector<f64, K>, b: &SVector<f64, K>| model.residual(a, b);
        let (z, cov, dp, dm) = self.moments(&im, &residual);
        let (_, _, wi) = self.sigma.weights();
        // The state deviations are ±spread columns (zero for the central point), so the
        // cross covariance is Σ wᵢ sᵢ (dz⁺ᵢ − dz⁻ᵢ)ᵀ.
        let mut pxz = SMatrix::<f64, N, K>::zeros();
        for i in 0..N {
            pxz += spread.column(i) * (dp[i] - dm[i]).transpose() * wi;
        }
        let s = symmetrize(&(cov + r));
        if !(all_finite(z.as_slice()) && all_finite(s.as_slice()) && all_finite(pxz.as_slice())) {
            return Err(FilterError::NonFinite);
        }
        Ok(PredictedMeasurement { z, s, pxz })
    }

    /// Corrects `g` with the residual `nu` (measurement minus `pm.z`, wrapped) of a
    /// measurement predicted by [`Ukf::measure`] from this same `g`. On error `g` is
    /// unchanged.
    pub fn correct<const K: usize>(
        &self,
        g: &mut Gaussian<N>,
        pm: &PredictedMeasurement<N, K>,
        nu: &SVector<f64, K>,
    ) -> Result<UpdateInfo, FilterError> {
        if !all_finite(nu.as_slice()) {
            return Err(FilterError::NonFinite);
        }
        let chol = pm.s.cholesky().ok_or(FilterError::SingularInnovation)?;
        // K = Pxz S⁻¹ = (S⁻¹ Pxzᵀ)ᵀ since S is symmetric.
        let gain = chol.solve(&pm.pxz.transpose()).transpose();
        let x = g.x + gain * nu;
        let p = symmetrize(&(g.p - gain * pm.s * gain.transpose()));
        let d2 = nu.dot(&chol.solve(nu));
        let log_det_s = 2.0 * chol.l().diagonal().iter().map(|d| d.ln()).sum::<f64>();
        let log_likelihood = -0.5 * (d2 + log_det_s + K as f64 * (2.0 * std::f64::consts::PI).ln());
        if !(all_finite(x.as_slice()) && all_finite(p.as_slice()) && d2.is_finite()) {
            return Err(FilterError::NonFinite);
        }
        if p.cholesky().is_none() {
            return Err(FilterError::NotPositiveDefinite);
        }
        g.x = x;
        g.p = p;
        Ok(UpdateInfo { d2, log_likelihood })
    }

    /// Measures and corrects in one step: [`Ukf::measure`] then [`Ukf::correct`] with the
    /// model's residual of `z`. On error `g` is unchanged.
    pub fn update<const K: usize>(
        &self,
        g: &mut Gaussian<N>,
        model: &impl MeasurementModel<N, K>,
        z: &SVector<f64, K>,
        r: &SMatrix<f64, K, K>,
    ) -> Result<UpdateInfo, FilterError> {
        let pm = self.measure(g, model, r)?;
        let nu = model.residual(z, &pm.z);
        self.correct(g, &pm, &nu)
    }
}

/// Wraps an angle difference to (−π, π].
pub fn wrap_angle(a: f64) -> f64 {
    let two_pi = std::f64::consts::TAU;
    let w = a - two_pi * (a / two_pi).round();
    if w <= -std::f64::consts::PI {
        w + two_pi
    } else {
        w
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::filter::Innovation;
    use nalgebra::{Matrix2, Matrix2x4, Matrix4, Vector2, Vector4};
    use proptest::prelude::*;

    /// Deterministic standard normal samples (splitmix64 + Box-Muller), as in `filter`'s
    /// tests: no RNG dependency.
    fn normals(seed: u64) -> impl Iterator<Item = f64> {
        let mut state = seed;
        let mut next = move || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        };
        std::iter::from_fn(move || {
            let (u1, u2) = (next().max(1e-300), next());
            Some((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos())
        })
    }

    /// A constant-velocity model in 2-D: (x, y, vx, vy).
    fn cv(dt: f64) -> Matrix4<f64> {
        Matrix4::new(
            1.0, 0.0, dt, 0.0, //
            0.0, 1.0, 0.0, dt, //
            0.0, 0.0, 1.0, 0.0, //
            0.0, 0.0, 0.0, 1.0,
        )
    }

    fn q(dt: f64, s: f64) -> Matrix4<f64> {
        let (a, b, c) = (dt.powi(3) / 3.0, dt.powi(2) / 2.0, dt);
        Matrix4::new(
            a, 0.0, b, 0.0, //
            0.0, a, 0.0, b, //
            b, 0.0, c, 0.0, //
            0.0, b, 0.0, c,
        ) * s
    }

    fn hpos() -> Matrix2x4<f64> {
        Matrix2x4::new(1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    }

    /// For linear dynamics and measurements the unscented transform is exact: the UKF and
    /// the Kalman filter agree, whatever the sigma-point parameters, over a long run with
    /// real noise.
    #[test]
    fn linear_case_equals_the_kalman_filter() {
        for sigma in [
            SigmaPoints::default(),
            SigmaPoints::merwe(1e-3, 2.0, 0.0).unwrap(),
            SigmaPoints::julier(-1.0).unwrap(),
        ] {
            let ukf = Ukf::<4>::new(sigma);
            let p0 = Matrix4::from_diagonal(&Vector4::new(100.0, 100.0, 25.0, 25.0));
            let mut a = Gaussian::new(Vector4::new(0.0, 0.0, 10.0, -5.0), p0);
            let mut b = a;
            let r = Matrix2::new(4.0, 1.0, 1.0, 9.0);
            let mut noise = normals(7);
            let mut truth = Vector4::new(1.0, -2.0, 10.0, -5.0);
            let model = |x: &Vector4<f64>| Some(hpos() * x);
            for k in 0..200 {
                let dt = 0.5 + (k % 3) as f64 * 0.7;
                truth = cv(dt) * truth;
                let z = hpos() * truth
                    + Vector2::new(2.0 * noise.next().unwrap(), 3.0 * noise.next().unwrap());
                a.predict_with(
                    |x, p| (cv(dt) * x, cv(dt) * p * cv(dt).transpose() + q(dt, 0.1)),
                    dt,
                );
                ukf.predict(&mut b, |x| cv(dt) * x, &q(dt, 0.1)).unwrap();
                let ia = a
                    .update(&Innovation {
                        nu: z - hpos() * a.x,
                        h: hpos(),
                        r,
                    })
                    .unwrap();
                let ib = ukf.update(&mut b, &model, &z, &r).unwrap();
                let scale = 1.0 + a.x.norm();
                assert!((a.x - b.x).norm() < 1e-8 * scale, "{k}: {} vs {}", a.x, b.x);
                assert!((a.p - b.p).norm() < 1e-8 * (1.0 + a.p.norm()), "{k}");
                assert!((ia.d2 - ib.d2).abs() < 1e-6 * (1.0 + ia.d2));
                let dl = (ia.log_likelihood - ib.log_likelihood).abs();
                // α = 1e-3 gives weights of ±1e6 that cancel: a few digits go to rounding.
                assert!(dl < 1e-6, "{k} {sigma:?}: log-likelihood differs by {dl}");
            }
        }
    }

    /// Range / bearing with the bearing near ±π: the wrapped residual keeps the update
    /// sane where plain subtraction would see a 2π jump.
    #[test]
    fn angle_residual_wraps() {
        struct RangeBearing;
        impl MeasurementModel<4, 2> for RangeBearing {
            fn h(&self, x: &Vector4<f64>) -> Option<Vector2<f64>> {
                let r = x[0].hypot(x[1]);
                (r > 0.0).then(|| Vector2::new(r, x[1].atan2(x[0])))
            }
            fn residual(&self, a: &Vector2<f64>, b: &Vector2<f64>) -> Vector2<f64> {
                Vector2::new(a[0] - b[0], wrap_angle(a[1] - b[1]))
            }
        }
        let ukf = Ukf::<4>::default();
        // A target due "west" (bearing ±π) straddling the wrap.
        let mut g = Gaussian::new(
            Vector4::new(-10_000.0, 0.0, 0.0, 0.0),
            Matrix4::from_diagonal(&Vector4::new(1e4, 1e4, 1.0, 1.0)),
        );
        let pm = ukf
            .measure(&g, &RangeBearing, &Matrix2::new(1.0, 0.0, 0.0, 1e-6))
            .unwrap();
        assert!(
            (pm.z[1].abs() - std::f64::consts::PI).abs() < 1e-3,
            "{}",
            pm.z
        );
        assert!(pm.s[(1, 1)] < 1e-3, "bearing variance {}", pm.s[(1, 1)]);
        let z = Vector2::new(10_010.0, -std::f64::consts::PI + 0.002);
        let info = ukf
            .update(
                &mut g,
                &RangeBearing,
                &z,
                &Matrix2::new(1.0, 0.0, 0.0, 1e-6),
            )
            .unwrap();
        assert!(info.d2 < 20.0, "d2 {}", info.d2);
        // Bearing −π + 0.002 is 20 m south of the x axis at 10 km: y moves negative.
        assert!(g.x[1] < 0.0 && g.x[1] > -40.0, "{}", g.x);
    }

    #[test]
    fn refuses_bad_input_and_leaves_the_estimate() {
        let ukf = Ukf::<4>::default();
        let g0 = Gaussian::new(Vector4::zeros(), Matrix4::identity());
        let mut g = g0;
        assert_eq!(
            ukf.predict(&mut g, |x| x * f64::NAN, &Matrix4::identity()),
            Err(FilterError::NonFinite)
        );
        let mut bad_q = Matrix4::identity();
        bad_q[(0, 0)] = f64::INFINITY;
        assert_eq!(
            ukf.predict(&mut g, |x| *x, &bad_q),
            Err(FilterError::NonFinite)
        );
        let model = |x: &Vector4<f64>| Some(hpos() * x);
        let z = Vector2::new(f64::NAN, 0.0);
        assert!(
            ukf.update(&mut g, &model, &z, &Matrix2::identity())
                .is_err()
        );
        let singular = |_: &Vector4<f64>| -> Option<Vector2<f64>> { None };
        assert_eq!(
            ukf.update(&mut g, &singular, &Vector2::zeros(), &Matrix2::identity()),
            Err(FilterError::Singular)
        );
        assert_eq!(g, g0);
        let mut not_pd = g0;
        not_pd.p[(0, 0)] = -1.0;
        assert_eq!(
            ukf.predict(&mut not_pd, |x| *x, &Matrix4::identity()),
            Err(FilterError::NotPositiveDefinite)
        );
        assert!(SigmaPoints::<4>::merwe(1.0, 2.0, -4.0).is_err());
        assert!(SigmaPoints::<4>::julier(f64::NAN).is_err());
    }

    /// A gently nonlinear drag-like dynamics.
    fn drag_step(x: &Vector4<f64>, dt: f64) -> Vector4<f64> {
        let v = Vector2::new(x[2], x[3]);
        let k = 1.0 / (1.0 + 1e-3 * v.norm() * dt);
        Vector4::new(x[0] + x[2] * dt, x[1] + x[3] * dt, x[2] * k, x[3] * k)
    }

    fn is_spd(p: &Matrix4<f64>) -> bool {
        crate::filter::is_symmetric(p) && p.cholesky().is_some()
    }

    proptest! {
        /// Whatever the (nonlinear) dynamics, noise and measurements, every accepted step
        /// leaves the covariance symmetric positive definite, and a refused one leaves the
        /// estimate unchanged.
        #[test]
        fn covariance_stays_spd(
            seed in 0u64..1_000_000,
            steps in 1usize..60,
            q_scale in 1e-6f64..1e3,
            r_range in 1e-3f64..1e4,
            r_angle in 1e-8f64..1e-1,
            p0 in 1e-2f64..1e8,
        ) {
            let ukf = Ukf::<4>::default();
            let mut g = Gaussian::new(
                Vector4::new(5_000.0, 3_000.0, -20.0, 40.0),
                Matrix4::from_diagonal(&Vector4::new(p0, p0, p0 * 1e-2, p0 * 1e-2)),
            );
            let mut noise = normals(seed);
            let mut truth = Vector4::new(5_050.0, 2_900.0, -25.0, 35.0);
            let rb = |x: &Vector4<f64>| -> Option<Vector2<f64>> {
                let r = x[0].hypot(x[1]);
                (r > 1.0).then(|| Vector2::new(r, x[1].atan2(x[0])))
            };
            let r = Matrix2::new(r_range, 0.0, 0.0, r_angle);
            for _ in 0..steps {
                let dt = 1.0 + noise.next().unwrap().abs();
                truth = drag_step(&truth, dt);
                let before = g;
                if ukf.predict(&mut g, |x| drag_step(x, dt), &q(dt, q_scale)).is_err() {
                    prop_assert_eq!(g, before);
                }
                prop_assert!(is_spd(&g.p));
                let Some(z0) = rb(&truth) else { continue };
                let z = z0 + Vector2::new(
                    r_range.sqrt() * noise.next().unwrap(),
                    r_angle.sqrt() * noise.next().unwrap(),
                );
                let before = g;
                match ukf.update(&mut g, &rb, &z, &r) {
                    Ok(_) => prop_assert!(is_spd(&g.p)),
                    Err(_) => prop_assert_eq!(g, before),
                }
            }
        }
    }
}
