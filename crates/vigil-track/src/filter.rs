//! Gaussian state estimates and the Kalman predict / update steps, on fixed-size matrices
//! (no allocation).
//!
//! Convention shared by every motion model here: the first three state components are the
//! position (east, north, up in a [`crate::geo::LocalFrame`], metres), so measurement models
//! only need the position block.

use nalgebra::{SMatrix, SVector};

use crate::models::MotionModel;

/// A Gaussian estimate of an `N`-dimensional state: mean and covariance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gaussian<const N: usize> {
    /// Mean.
    pub x: SVector<f64, N>,
    /// Covariance (symmetric positive definite).
    pub p: SMatrix<f64, N, N>,
}

/// Why a filter step was refused. The estimate is left as it was: a bad measurement never
/// poisons a track.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// The innovation covariance is not positive definite (bad measurement noise).
    #[error("innovation covariance is not positive definite")]
    SingularInnovation,
    /// An input or the result had NaN or infinite values.
    #[error("non-finite value in filter step")]
    NonFinite,
    /// The updated covariance lost positive definiteness (numerical breakdown).
    #[error("updated covariance is not positive definite")]
    NotPositiveDefinite,
    /// The measurement is undefined at the predicted state (a target over the radar head).
    #[error("measurement function singular at the predicted state")]
    Singular,
}

/// What a successful update tells the caller.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UpdateInfo {
    /// Squared Mahalanobis distance of the innovation.
    pub d2: f64,
    /// Log of the Gaussian likelihood of the measurement (the IMM weighs its modes by it).
    pub log_likelihood: f64,
}

/// The innovation of a `K`-dimensional measurement against an `N`-state prediction: the
/// residual, its Jacobian and the measurement noise. Nonlinear measurement models produce it by
/// linearising at the predicted state (extended Kalman filter).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Innovation<const K: usize, const N: usize> {
    /// Measurement minus predicted measurement (angles wrapped).
    pub nu: SVector<f64, K>,
    /// Measurement Jacobian at the predicted state.
    pub h: SMatrix<f64, K, N>,
    /// Measurement noise covariance.
    pub r: SMatrix<f64, K, K>,
}

impl<const K: usize, const N: usize> Innovation<K, N> {
    /// The squared Mahalanobis distance of the innovation against `g`'s covariance, or
    /// `None` when the innovation covariance is not positive definite.
    pub fn mahalanobis2(&self, g: &Gaussian<N>) -> Option<f64> {
        let s = self.h * g.p * self.h.transpose() + self.r;
        let chol = s.cholesky()?;
        let d2 = self.nu.dot(&chol.solve(&self.nu));
        d2.is_finite().then_some(d2)
    }
}

impl<const N: usize> Gaussian<N> {
    /// An estimate from its mean and covariance.
    pub fn new(x: SVector<f64, N>, p: SMatrix<f64, N, N>) -> Self {
        Self { x, p }
    }

    /// Whether every value is finite and the covariance symmetric positive definite.
    pub fn is_valid(&self) -> bool {
        all_finite(self.x.as_slice())
            && all_finite(self.p.as_slice())
            && is_symmetric(&self.p)
            && cholesky_succeeds(&self.p)
    }

    /// Predicts `dt` seconds ahead with `model` (in place). A non-positive `dt` is a no-op:
    /// the tracker never runs a filter backwards (out-of-sequence data is refused before).
    pub fn predict<M: MotionModel<N> + ?Sized>(&mut self, model: &M, dt: f64) {
        if dt <= 0.0 || !dt.is_finite() {
            return;
        }
        let (x, p) = model.propagate(&self.x, &self.p, dt);
        self.x = x;
        self.p = symmetrize(&p);
    }

    /// Like [`Gaussian::predict`] with the propagation `(F x, F P Fᵀ + Q)` given as a
    /// function (a model whose transition the caller has already computed).
    pub(crate) fn predict_with(
        &mut self,
        propagate: impl FnOnce(
            &SVector<f64, N>,
            &SMatrix<f64, N, N>,
        ) -> (SVector<f64, N>, SMatrix<f64, N, N>),
        dt: f64,
    ) {
        if dt <= 0.0 || !dt.is_finite() {
            return;
        }
        let (x, p) = propagate(&self.x, &self.p);
        self.x = x;
        self.p = symmetrize(&p);
    }

    /// The prediction `dt` seconds ahead, leaving `self` unchanged.
    pub fn predicted<M: MotionModel<N> + ?Sized>(&self, model: &M, dt: f64) -> Self {
        let mut g = *self;
        g.predict(model, dt);
        g
    }

    /// Retrodicts the estimate `lag` seconds into the past, for a measurement that arrives
    /// after later ones were applied (out of sequence). The mean goes back through the inverse
    /// transition; the covariance first gains the process noise of the interval, a
    /// conservative stand-in for the exact cross-covariance of Bar-Shalom's one-lag algorithm.
    /// Predicting forward again after the update adds the noise a second time, so the result
    /// is never over-confident.
    pub fn retrodicted<M: MotionModel<N> + ?Sized>(&self, model: &M, lag: f64) -> Self {
        if lag <= 0.0 || !lag.is_finite() {
            return *self;
        }
        // `F(-lag) x` and `F(-lag) (P + Q) F(-lag)ᵀ`, by the model's (sparse) products.
        let (x, p) = model.transition_products(&self.x, &(self.p + model.process_noise(lag)), -lag);
        Self {
            x,
            p: symmetrize(&p),
        }
    }

    /// Kalman update with a linear(ised) measurement. The covariance update uses the standard
    /// form, falling back to the Joseph form when rounding breaks it; the result is checked
    /// (finite, positive variances). On error the estimate is unchanged.
    pub fn update<const K: usize>(
        &mut self,
        inn: &Innovation<K, N>,
    ) -> Result<UpdateInfo, FilterError> {
        if !(all_finite(inn.nu.as_slice())
            && all_finite(inn.h.as_slice())
            && all_finite(inn.r.as_slice()))
        {
            return Err(FilterError::NonFinite);
        }
        let (pht, hph) = sparse_products(&self.p, &inn.h);
        let s = symmetrize(&(hph + inn.r));
        let chol = s.cholesky().ok_or(FilterError::SingularInnovation)?;
        // K = P Hᵀ S⁻¹, computed as (S⁻¹ H P)ᵀ since S and P are symmetric.
        let l = chol.l_dirty();
        let mut gain = SMatrix::<f64, N, K>::zeros();
        for r in 0..N {
            let mut b = [0.0f64; K];
            for k in 0..K {
                b[k] = pht[(r, k)];
            }
            cholesky_solve(l, &mut b);
            for k in 0..K {
                gain[(r, k)] = b[k];
            }
        }
        let x = self.x + gain * inn.nu;
        // Standard form P − K (H P), symmetrised: a third of the Joseph form's cost. Each pair
        // of mirrored entries is computed once, with the operations of
        // `symmetrize(&(P - gain * phtᵀ))`.
        let mut p = SMatrix::<f64, N, N>::zeros();
        for c in 0..N {
            for r in c..N {
                let mut m_rc = gain[(r, 0)] * pht[(c, 0)];
                let mut m_cr = gain[(c, 0)] * pht[(r, 0)];
                for k in 1..K {
                    m_rc += gain[(r, k)] * pht[(c, k)];
                    m_cr += gain[(c, k)] * pht[(r, k)];
                }
                let v = ((self.p[(r, c)] - m_rc) + (self.p[(c, r)] - m_cr)) * 0.5;
                p[(r, c)] = v;
                p[(c, r)] = v;
            }
        }
        // When rounding makes a variance non-positive (ill-conditioned updates: very precise
        // measurements of very uncertain states), fall back to the Joseph form, which keeps P
        // positive semi-definite whenever the prior and R are.
        if (0..N).any(|i| p[(i, i)] <= 0.0) {
            let i_kh = SMatrix::<f64, N, N>::identity() - gain * inn.h;
            p = symmetrize(&(i_kh * self.p * i_kh.transpose() + gain * inn.r * gain.transpose()));
        }
        let mut sol: [f64; K] = std::array::from_fn(|k| inn.nu[k]);
        cholesky_solve(l, &mut sol);
        let d2 = inn.nu.dot(&SVector::<f64, K>::from(sol));
        let log_det_s = 2.0 * chol.l().diagonal().iter().map(|d| d.ln()).sum::<f64>();
        let log_likelihood = -0.5 * (d2 + log_det_s + K as f64 * (2.0 * std::f64::consts::PI).ln());
        if !all_finite(x.as_slice()) || !all_finite(p.as_slice()) || !d2.is_finite() {
            return Err(FilterError::NonFinite);
        }
        // A non-positive variance is the cheap sign that rounding broke positive
        // definiteness. (The tracker checks the full Cholesky once per observation.)
        if (0..N).any(|i| p[(i, i)] <= 0.0) {
            return Err(FilterError::NotPositiveDefinite);
        }
        self.x = x;
        self.p = p;
        Ok(UpdateInfo { d2, log_likelihood })
    }

    /// The position block (first three components) of the mean.
    pub fn position(&self) -> nalgebra::Vector3<f64> {
        self.x.fixed_rows::<3>(0).into_owned()
    }

    /// The position block of the covariance.
    pub fn position_cov(&self) -> nalgebra::Matrix3<f64> {
        self.p.fixed_view::<3, 3>(0, 0).into_owned()
    }
}

/// `(P Hᵀ, H P Hᵀ)`. Every measurement here reads three consecutive state components (the
/// position, or the velocity): when the other columns of `H` are zero the products run over
/// those three only, summing the non-zero terms in nalgebra's order (ascending index, from
/// the first term) so that the results equal the dense products bit for bit (a skipped term
/// is an exact zero). Otherwise, the dense products.
#[inline(always)]
fn sparse_products<const N: usize, const K: usize>(
    p: &SMatrix<f64, N, N>,
    h: &SMatrix<f64, K, N>,
) -> (SMatrix<f64, N, K>, SMatrix<f64, K, K>) {
    let zero_outside = |o: usize| {
        (0..N)
            .filter(|i| !(o..o + 3).contains(i))
            .all(|i| (0..K).all(|k| h[(k, i)] == 0.0))
    };
    let offset = if N < 3 {
        None
    } else if zero_outside(0) {
        Some(0)
    } else if N >= 6 && zero_outside(3) {
        Some(3)
    } else {
        None
    };
    let Some(o) = offset else {
        let pht = p * h.transpose();
        return (pht, h * pht);
    };
    let mut pht = SMatrix::<f64, N, K>::zeros();
    for k in 0..K {
        let (h0, h1, h2) = (h[(k, o)], h[(k, o + 1)], h[(k, o + 2)]);
        for r in 0..N {
            pht[(r, k)] = p[(r, o + 2)] * h2 + (p[(r, o + 1)] * h1 + p[(r, o)] * h0);
        }
    }
    let mut hph = SMatrix::<f64, K, K>::zeros();
    for b in 0..K {
        for a in 0..K {
            hph[(a, b)] = h[(a, o + 2)] * pht[(o + 2, b)]
                + (h[(a, o + 1)] * pht[(o + 1, b)] + h[(a, o)] * pht[(o, b)]);
        }
    }
    (pht, hph)
}

/// Solves `L Lᵀ x = b` in place with the lower triangle of `l` (a Cholesky factor):
/// nalgebra's `Cholesky::solve` (forward substitution by columns, then back substitution by
/// dot products) with the same operations in the same order, without its dynamic views.
#[inline(always)]
fn cholesky_solve<const K: usize>(l: &SMatrix<f64, K, K>, b: &mut [f64; K]) {
    for i in 0..K {
        let coeff = b[i] / l[(i, i)];
        b[i] = coeff;
        for r in (i + 1)..K {
            b[r] += -coeff * l[(r, i)];
        }
    }
    for i in (0..K).rev() {
        let mut dot = 0.0;
        for r in (i + 1)..K {
            dot += l[(r, i)] * b[r];
        }
        b[i] = (b[i] - dot) / l[(i, i)];
    }
}

/// Whether every value is finite, without a branch per value: `v · 0` is ±0 for a finite
/// value and NaN for an infinite or NaN one, and NaN survives the sum.
#[inline]
pub fn all_finite(values: &[f64]) -> bool {
    let mut acc = [0.0f64; 4];
    let mut chunks = values.chunks_exact(4);
    for c in &mut chunks {
        for k in 0..4 {
            acc[k] += c[k] * 0.0;
        }
    }
    let rest: f64 = chunks.remainder().iter().map(|v| v * 0.0).sum();
    (acc[0] + acc[1] + acc[2] + acc[3] + rest) == 0.0
}

/// Whether nalgebra's `m.cholesky()` would succeed, without building the factor: the same
/// column-by-column algorithm (same operations in the same order, on the lower triangle) on
/// a copy on the stack.
fn cholesky_succeeds<const N: usize>(m: &SMatrix<f64, N, N>) -> bool {
    let mut a = *m;
    let a = a.as_mut_slice();
    for j in 0..N {
        for k in 0..j {
            let factor = -a[k * N + j];
            for i in j..N {
                a[j * N + i] += factor * a[k * N + i];
            }
        }
        let diag = a[j * N + j];
        // Zero is refused, then `try_sqrt` refuses negative values and NaN.
        if diag.is_nan() || diag <= 0.0 {
            return false;
        }
        let denom = diag.sqrt();
        a[j * N + j] = denom;
        for i in (j + 1)..N {
            a[j * N + i] /= denom;
        }
    }
    true
}

/// `(m + mᵀ) / 2`: removes the asymmetry rounding leaves after products.
pub fn symmetrize<const N: usize>(m: &SMatrix<f64, N, N>) -> SMatrix<f64, N, N> {
    (m + m.transpose()) * 0.5
}

/// Whether `m` is symmetric to a relative tolerance of 1e-9.
pub fn is_symmetric<const N: usize>(m: &SMatrix<f64, N, N>) -> bool {
    // Plain loops over the column-major storage: this runs once per observation per mode.
    let a = m.as_slice();
    // Every filter step symmetrises exactly, so the common case is exact equality: checked
    // first (no data-dependent chain of maxima), with the same answer as the scan below.
    let mut equal = true;
    for c in 0..N {
        for r in (c + 1)..N {
            equal &= a[c * N + r] == a[r * N + c];
        }
    }
    if equal && all_finite(a) {
        return true;
    }
    let scale = a
        .iter()
        .fold(0.0f64, |s, v| s.max(v.abs()))
        .max(f64::MIN_POSITIVE);
    let mut worst = 0.0f64;
    for c in 0..N {
        for r in (c + 1)..N {
            worst = worst.max((a[c * N + r] - a[r * N + c]).abs());
        }
    }
    // NaN entries make the comparison false, as `amax` did.
    worst <= 1e-9 * scale && scale.is_finite()
}

/// The `K × N` matrix that picks the position (first three components) of an `N`-state and
/// projects it on the rows of `axes` (`K` ≤ 3 unit vectors in the state's frame).
pub fn position_projection<const K: usize, const N: usize>(
    axes: &SMatrix<f64, K, 3>,
) -> SMatrix<f64, K, N> {
    let mut h = SMatrix::<f64, K, N>::zeros();
    h.fixed_view_mut::<K, 3>(0, 0).copy_from(axes);
    h
}

/// Like [`position_projection`] for the velocity block (components 3..6).
pub fn velocity_projection<const K: usize, const N: usize>(
    axes: &SMatrix<f64, K, 3>,
) -> SMatrix<f64, K, N> {
    let mut h = SMatrix::<f64, K, N>::zeros();
    h.fixed_view_mut::<K, 3>(0, 3).copy_from(axes);
    h
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::models::{ConstantAcceleration, ConstantVelocity};
    use nalgebra::{Matrix2, Matrix3, SMatrix, Vector2, Vector3};
    use proptest::prelude::*;

    fn cv_prior() -> Gaussian<6> {
        Gaussian::new(
            SVector::<f64, 6>::new(0.0, 0.0, 1000.0, 100.0, 0.0, 0.0),
            SMatrix::<f64, 6, 6>::from_diagonal(&SVector::<f64, 6>::new(
                1e4, 1e4, 1e4, 400.0, 400.0, 100.0,
            )),
        )
    }

    fn pos_meas(z: Vector3<f64>, g: &Gaussian<6>, sigma: f64) -> Innovation<3, 6> {
        let h = position_projection::<3, 6>(&Matrix3::identity());
        Innovation {
            nu: z - h * g.x,
            h,
            r: Matrix3::identity() * sigma * sigma,
        }
    }

    #[test]
    fn cv_prediction_moves_the_mean_and_grows_the_covariance() {
        let mut g = cv_prior();
        let before = g.p;
        g.predict(&ConstantVelocity::new(1.0, 0.1), 10.0);
        assert!((g.x[0] - 1000.0).abs() < 1e-9);
        assert!(g.p[(0, 0)] > before[(0, 0)] + 400.0 * 100.0 - 1.0);
        assert!(g.is_valid());
    }

    #[test]
    fn update_pulls_towards_the_measurement_and_shrinks_the_covariance() {
        let mut g = cv_prior();
        let inn = pos_meas(Vector3::new(100.0, 0.0, 1000.0), &g, 10.0);
        let info = g.update(&inn).unwrap();
        // Prior variance 1e4 against noise 100: the gain is 1e4/(1e4+100) ≈ 0.99.
        assert!((g.x[0] - 100.0 * 1e4 / 10_100.0).abs() < 1e-6);
        assert!(g.p[(0, 0)] < 100.0);
        assert!((info.d2 - 100.0f64.powi(2) / 10_100.0).abs() < 1e-9);
        assert!(g.is_valid());
    }

    #[test]
    fn bad_measurements_leave_the_estimate_untouched() {
        let g0 = cv_prior();
        for (nu, r) in [
            (Vector2::new(f64::NAN, 0.0), Matrix2::identity()),
            (
                Vector2::new(1.0, 0.0),
                Matrix2::new(f64::INFINITY, 0.0, 0.0, 1.0),
            ),
            (Vector2::new(1.0, 0.0), Matrix2::new(-1e9, 0.0, 0.0, -1e9)),
        ] {
            let mut g = g0;
            let inn = Innovation {
                nu,
                h: position_projection::<2, 6>(&SMatrix::<f64, 2, 3>::new(
                    1.0, 0.0, 0.0, 0.0, 1.0, 0.0,
                )),
                r,
            };
            assert!(g.update(&inn).is_err());
            assert_eq!(g, g0);
        }
    }

    /// Deterministic standard normal samples (splitmix64 + Box-Muller): unit tests need no
    /// RNG dependency.
    pub(crate) fn normals(seed: u64) -> impl Iterator<Item = f64> {
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

    /// A constant-velocity target observed with noise: the filter's error settles well below
    /// the measurement noise.
    #[test]
    fn cv_filter_converges_on_a_straight_track() {
        let model = ConstantVelocity::new(0.5, 0.1);
        let mut g = cv_prior();
        let mut sq = 0.0;
        let mut n = 0;
        let mut noise = normals(7);
        for k in 1..=200 {
            let t = k as f64;
            let truth = Vector3::new(200.0 * t, -50.0 * t, 1000.0);
            let noise = Vector3::new(
                noise.next().unwrap_or(0.0),
                noise.next().unwrap_or(0.0),
                noise.next().unwrap_or(0.0),
            ) * 50.0;
            g.predict(&model, 1.0);
            let inn = pos_meas(truth + noise, &g, 50.0);
            g.update(&inn).unwrap();
            if k > 50 {
                sq += (g.position() - truth).norm_squared();
                n += 1;
            }
        }
        let rms = (sq / n as f64).sqrt();
        // Raw noise is 50 m per axis, 87 m in 3-D.
        assert!(rms < 40.0, "rms {rms}");
        assert!((g.x[3] - 200.0).abs() < 5.0 && (g.x[4] + 50.0).abs() < 5.0);
    }

    #[test]
    fn ca_filter_tracks_a_constant_acceleration() {
        let model = ConstantAcceleration::new(0.5, 0.5);
        let mut g = Gaussian::<9>::new(
            SVector::<f64, 9>::zeros(),
            SMatrix::<f64, 9, 9>::from_diagonal(&SVector::<f64, 9>::from_element(1e4)),
        );
        for k in 1..=120 {
            let t = k as f64;
            let truth = Vector3::new(0.5 * 20.0 * t * t, 100.0 * t, 0.0);
            g.predict(&model, 1.0);
            let h = position_projection::<3, 9>(&Matrix3::identity());
            let inn = Innovation {
                nu: truth - h * g.x,
                h,
                r: Matrix3::identity() * 25.0,
            };
            g.update(&inn).unwrap();
        }
        assert!((g.x[6] - 20.0).abs() < 0.5, "ax {}", g.x[6]);
        assert!((g.x[4] - 100.0).abs() < 1.0, "vy {}", g.x[4]);
        assert!(g.is_valid());
    }

    /// The Cholesky check agrees with nalgebra's factorisation, on both sides of the
    /// positive-definite boundary.
    #[test]
    fn cholesky_check_agrees_with_nalgebra() {
        let mut z = normals(11);
        for _ in 0..2000 {
            let a = SMatrix::<f64, 6, 6>::from_fn(|_, _| z.next().unwrap_or(0.0));
            let shift = z.next().unwrap_or(0.0) * 3.0;
            let m =
                symmetrize(&(a * a.transpose())) + SMatrix::<f64, 6, 6>::identity() * (shift - 1.0);
            assert_eq!(cholesky_succeeds(&m), m.cholesky().is_some(), "{m}");
        }
        let mut m = SMatrix::<f64, 6, 6>::identity();
        m[(3, 3)] = f64::NAN;
        assert!(!cholesky_succeeds(&m));
        m[(3, 3)] = 0.0;
        assert!(!cholesky_succeeds(&m));
    }

    proptest! {
        /// Any sequence of predictions and updates with sane noise keeps the covariance
        /// symmetric positive definite.
        #[test]
        fn covariance_stays_spd(
            steps in proptest::collection::vec(
                (0.01f64..30.0, -5e4f64..5e4, -5e4f64..5e4, 0.1f64..5e3, -0.99f64..0.99), 1..60),
        ) {
            let model = ConstantVelocity::new(2.0, 1.0);
            let mut g = cv_prior();
            for (dt, zx, zy, sigma, rho) in steps {
                g.predict(&model, dt);
                let h = position_projection::<2, 6>(&SMatrix::<f64, 2, 3>::new(
                    1.0, 0.0, 0.0, 0.0, 1.0, 0.0));
                let c = rho * sigma * sigma;
                let inn = Innovation {
                    nu: Vector2::new(zx, zy) - h * g.x,
                    h,
                    r: Matrix2::new(sigma * sigma, c, c, sigma * sigma),
                };
                let _ = g.update(&inn);
                prop_assert!(g.is_valid(), "{:?}", g.p);
            }
        }
    }
}
