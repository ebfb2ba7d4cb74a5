//! Motion models: state transition and process noise for a time step.
//!
//! States are Cartesian in a local frame. Constant velocity and coordinated turn share the
//! 6-state `[x, y, z, vx, vy, vz]` (so an IMM can mix them); constant acceleration has the
//! 9-state `[x, y, z, vx, vy, vz, ax, ay, az]`. Process noise is continuous white noise on the
//! highest derivative (Bar-Shalom, Li, Kirubarajan, *Estimation with Applications to Tracking
//! and Navigation*, §6.2), with separate spectral densities for the horizontal axes and the
//! vertical one: aircraft manoeuvre far more in the horizontal than in the vertical, and other
//! domains (missiles, pedestrians) choose their own values.

use nalgebra::{SMatrix, SVector};
use serde::{Deserialize, Serialize};

/// A discrete-time linear motion model for an `N`-dimensional state.
pub trait MotionModel<const N: usize> {
    /// The state transition matrix over `dt` seconds.
    fn transition(&self, dt: f64) -> SMatrix<f64, N, N>;
    /// The process noise covariance accumulated over `dt` seconds.
    fn process_noise(&self, dt: f64) -> SMatrix<f64, N, N>;

    /// The predicted mean and covariance `(F x, F P Fᵀ + Q)` over `dt` seconds. The default
    /// multiplies the matrices; models with a sparse transition override it.
    fn propagate(
        &self,
        x: &SVector<f64, N>,
        p: &SMatrix<f64, N, N>,
        dt: f64,
    ) -> (SVector<f64, N>, SMatrix<f64, N, N>) {
        let f = self.transition(dt);
        (f * x, f * p * f.transpose() + self.process_noise(dt))
    }

    /// `(F x, F P Fᵀ)` over `dt` seconds (any sign: retrodiction uses a negative one), without
    /// process noise. The default multiplies the matrices; models with a sparse transition
    /// override it with the same sums in the same order.
    fn transition_products(
        &self,
        x: &SVector<f64, N>,
        p: &SMatrix<f64, N, N>,
        dt: f64,
    ) -> (SVector<f64, N>, SMatrix<f64, N, N>) {
        let f = self.transition(dt);
        (f * x, f * p * f.transpose())
    }
}

/// Constant velocity (white-noise acceleration).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ConstantVelocity {
    /// Spectral density of the horizontal acceleration noise, m²/s³.
    pub q_horizontal: f64,
    /// Spectral density of the vertical acceleration noise, m²/s³.
    pub q_vertical: f64,
}

impl ConstantVelocity {
    /// A model with the given noise densities (m²/s³).
    pub const fn new(q_horizontal: f64, q_vertical: f64) -> Self {
        Self {
            q_horizontal,
            q_vertical,
        }
    }
}

/// Process noise of a white-noise-acceleration model, per axis density.
fn cv_noise(dt: f64, q: [f64; 3]) -> SMatrix<f64, 6, 6> {
    let mut m = SMatrix::<f64, 6, 6>::zeros();
    let (d2, d3) = (dt * dt, dt * dt * dt);
    for (i, qi) in q.into_iter().enumerate() {
        m[(i, i)] = qi * d3 / 3.0;
        m[(i, i + 3)] = qi * d2 / 2.0;
        m[(i + 3, i)] = qi * d2 / 2.0;
        m[(i + 3, i + 3)] = qi * dt;
    }
    m
}

/// `(F x, F P Fᵀ)` for the constant-velocity transition `F = [[I, dt I], [0, I]]` without
/// the matrix products: with `P = [[A, B], [Bᵀ, D]]`, `F P Fᵀ = [[A + dt (B + Bᵀ) + dt² D,
/// B + dt D], [Bᵀ + dt D, D]]`.
fn cv_propagate(
    x: &SVector<f64, 6>,
    p: &SMatrix<f64, 6, 6>,
    dt: f64,
) -> (SVector<f64, 6>, SMatrix<f64, 6, 6>) {
    let mut xo = *x;
    for i in 0..3 {
        xo[i] += dt * x[i + 3];
    }
    let mut po = *p;
    // Rows first (F P), then columns ((F P) Fᵀ), in place.
    for r in 0..3 {
        for c in 0..6 {
            po[(r, c)] += dt * po[(r + 3, c)];
        }
    }
    for c in 0..3 {
        for r in 0..6 {
            po[(r, c)] += dt * po[(r, c + 3)];
        }
    }
    (xo, po)
}

/// `F v` for the coordinated-turn transition with coefficients `[a, b, c, s, dt]` (see
/// [`CoordinatedTurn::transition`]), summed in the order `sparse_propagate` uses.
#[inline(always)]
fn ct_apply(v: [f64; 6], [a, b, c, s, dt]: [f64; 5]) -> [f64; 6] {
    [
        0.0 + v[0] + a * v[3] + -b * v[4],
        0.0 + v[1] + b * v[3] + a * v[4],
        0.0 + v[2] + dt * v[5],
        0.0 + c * v[3] + -s * v[4],
        0.0 + s * v[3] + c * v[4],
        0.0 + v[5],
    ]
}

/// `(F x, F P Fᵀ)` for a coordinated turn whose transition entries are all non-zero:
/// `sparse_propagate` with the pattern written out.
fn ct_propagate(
    x: &SVector<f64, 6>,
    p: &SMatrix<f64, 6, 6>,
    k: [f64; 5],
) -> (SVector<f64, 6>, SMatrix<f64, 6, 6>) {
    let xo = SVector::<f64, 6>::from(ct_apply([x[0], x[1], x[2], x[3], x[4], x[5]], k));
    // F P, column by column.
    let mut fp = [[0.0f64; 6]; 6];
    for (col, out) in fp.iter_mut().enumerate() {
        let v = std::array::from_fn(|r| p[(r, col)]);
        *out = ct_apply(v, k);
    }
    // (F P) Fᵀ, row by row: row r is F times row r of F P.
    let mut po = SMatrix::<f64, 6, 6>::zeros();
    for r in 0..6 {
        let row = ct_apply(std::array::from_fn(|c| fp[c][r]), k);
        for (c, v) in row.into_iter().enumerate() {
            po[(r, c)] = v;
        }
    }
    (xo, po)
}

/// `(F x, F P Fᵀ)` skipping the zero entries of `F` (a coordinated turn's transition has 13
/// non-zeros out of 36).
fn sparse_propagate(
    f: &SMatrix<f64, 6, 6>,
    x: &SVector<f64, 6>,
    p: &SMatrix<f64, 6, 6>,
) -> (SVector<f64, 6>, SMatrix<f64, 6, 6>) {
    let mut nz = [[0usize; 6]; 6];
    let mut len = [0usize; 6];
    for r in 0..6 {
        for c in 0..6 {
            if f[(r, c)] != 0.0 {
                nz[r][len[r]] = c;
                len[r] += 1;
            }
        }
    }
    let mut xo = SVector::<f64, 6>::zeros();
    // fp = F P
    let mut fp = SMatrix::<f64, 6, 6>::zeros();
    for r in 0..6 {
        for &k in &nz[r][..len[r]] {
            let a = f[(r, k)];
            xo[r] += a * x[k];
            for c in 0..6 {
                fp[(r, c)] += a * p[(k, c)];
            }
        }
    }
    // (F P) Fᵀ: column c of the result is (F P) times row c of F.
    let mut po = SMatrix::<f64, 6, 6>::zeros();
    for c in 0..6 {
        for &k in &nz[c][..len[c]] {
            let a = f[(c, k)];
            for r in 0..6 {
                po[(r, c)] += fp[(r, k)] * a;
            }
        }
    }
    (xo, po)
}

impl MotionModel<6> for ConstantVelocity {
    fn propagate(
        &self,
        x: &SVector<f64, 6>,
        p: &SMatrix<f64, 6, 6>,
        dt: f64,
    ) -> (SVector<f64, 6>, SMatrix<f64, 6, 6>) {
        let (x, p) = cv_propagate(x, p, dt);
        (x, p + self.process_noise(dt))
    }

    fn transition_products(
        &self,
        x: &SVector<f64, 6>,
        p: &SMatrix<f64, 6, 6>,
        dt: f64,
    ) -> (SVector<f64, 6>, SMatrix<f64, 6, 6>) {
        cv_propagate(x, p, dt)
    }

    fn transition(&self, dt: f64) -> SMatrix<f64, 6, 6> {
        let mut f = SMatrix::<f64, 6, 6>::identity();
        for i in 0..3 {
            f[(i, i + 3)] = dt;
        }
        f
    }

    fn process_noise(&self, dt: f64) -> SMatrix<f64, 6, 6> {
        cv_noise(dt, [self.q_horizontal, self.q_horizontal, self.q_vertical])
    }
}

/// Coordinated turn at a known, constant turn rate in the horizontal plane (positive =
/// counter-clockwise seen from above, a left turn), constant vertical velocity. With a fixed
/// rate the model is linear; an IMM with a left and a right turn model beside constant velocity
/// follows a manoeuvring aircraft without the numerical fragility of estimating the rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CoordinatedTurn {
    /// Turn rate, radians per second.
    pub omega_rad_s: f64,
    /// Spectral density of the horizontal acceleration noise, m²/s³.
    pub q_horizontal: f64,
    /// Spectral density of the vertical acceleration noise, m²/s³.
    pub q_vertical: f64,
}

impl CoordinatedTurn {
    /// A model turning at `omega_rad_s`.
    pub const fn new(omega_rad_s: f64, q_horizontal: f64, q_vertical: f64) -> Self {
        Self {
            omega_rad_s,
            q_horizontal,
            q_vertical,
        }
    }
}

impl CoordinatedTurn {
    /// The transition's coefficients over `dt`: `[sin(ωT)/ω, (1 − cos ωT)/ω, cos ωT, sin ωT,
    /// T]` (see [`CoordinatedTurn::transition`]).
    pub(crate) fn coefficients(&self, dt: f64) -> [f64; 5] {
        let w = self.omega_rad_s;
        let (s, c) = (w * dt).sin_cos();
        let (a, b) = if w.abs() < 1e-9 {
            (dt, 0.0)
        } else {
            (s / w, (1.0 - c) / w)
        };
        [a, b, c, s, dt]
    }

    /// The coefficients of the turn at the opposite rate (`-ω`) over the same step, from
    /// this turn's: `sin` is odd and `cos` even, and negating a divisor negates the quotient
    /// exactly, so they equal [`CoordinatedTurn::coefficients`] of the mirrored model (the
    /// IMM's left and right turns share one `sin_cos`). Only for `|ω| ≥ 1e-9` (below, the
    /// limits are used and the sign of a zero would differ).
    pub(crate) fn mirrored([a, b, c, s, dt]: [f64; 5]) -> [f64; 5] {
        [a, -b, c, -s, dt]
    }

    /// `(F x, F P Fᵀ)` with the transition of coefficients `k`.
    pub(crate) fn products_with(
        &self,
        x: &SVector<f64, 6>,
        p: &SMatrix<f64, 6, 6>,
        k: [f64; 5],
    ) -> (SVector<f64, 6>, SMatrix<f64, 6, 6>) {
        let [a, b, c, s, dt] = k;
        // The transition has 13 non-zeros in a fixed pattern (see `transition`); with all of
        // them non-zero (the usual case) the products are written out, in the same order of
        // operations as `sparse_propagate`, so the results are identical.
        if a != 0.0 && b != 0.0 && c != 0.0 && s != 0.0 && dt != 0.0 {
            ct_propagate(x, p, k)
        } else {
            sparse_propagate(&transition_from(k), x, p)
        }
    }

    /// `(F x, F P Fᵀ + Q)` with the transition of coefficients `k` over `dt`.
    pub(crate) fn propagate_with(
        &self,
        x: &SVector<f64, 6>,
        p: &SMatrix<f64, 6, 6>,
        dt: f64,
        k: [f64; 5],
    ) -> (SVector<f64, 6>, SMatrix<f64, 6, 6>) {
        let (x, p) = self.products_with(x, p, k);
        (x, p + self.process_noise(dt))
    }
}

/// The coordinated-turn transition of coefficients `[a, b, c, s, dt]`.
fn transition_from([a, b, c, s, dt]: [f64; 5]) -> SMatrix<f64, 6, 6> {
    let mut f = SMatrix::<f64, 6, 6>::identity();
    f[(0, 3)] = a;
    f[(0, 4)] = -b;
    f[(1, 3)] = b;
    f[(1, 4)] = a;
    f[(3, 3)] = c;
    f[(3, 4)] = -s;
    f[(4, 3)] = s;
    f[(4, 4)] = c;
    f[(2, 5)] = dt;
    f
}

impl MotionModel<6> for CoordinatedTurn {
    fn propagate(
        &self,
        x: &SVector<f64, 6>,
        p: &SMatrix<f64, 6, 6>,
        dt: f64,
    ) -> (SVector<f64, 6>, SMatrix<f64, 6, 6>) {
        let (x, p) = self.transition_products(x, p, dt);
        (x, p + self.process_noise(dt))
    }

    fn transition_products(
        &self,
        x: &SVector<f64, 6>,
        p: &SMatrix<f64, 6, 6>,
        dt: f64,
    ) -> (SVector<f64, 6>, SMatrix<f64, 6, 6>) {
        self.products_with(x, p, self.coefficients(dt))
    }

    fn transition(&self, dt: f64) -> SMatrix<f64, 6, 6> {
        // sin(wT)/w and (1 - cos wT)/w tend to T and 0 as w → 0; `coefficients` uses the
        // limits near zero so that a zero rate is exactly constant velocity instead of 0/0.
        transition_from(self.coefficients(dt))
    }

    fn process_noise(&self, dt: f64) -> SMatrix<f64, 6, 6> {
        cv_noise(dt, [self.q_horizontal, self.q_horizontal, self.q_vertical])
    }
}

/// Constant acceleration (white-noise jerk), 9 states.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ConstantAcceleration {
    /// Spectral density of the horizontal jerk noise, m²/s⁵.
    pub q_horizontal: f64,
    /// Spectral density of the vertical jerk noise, m²/s⁵.
    pub q_vertical: f64,
}

impl ConstantAcceleration {
    /// A model with the given noise densities (m²/s⁵).
    pub const fn new(q_horizontal: f64, q_vertical: f64) -> Self {
        Self {
            q_horizontal,
            q_vertical,
        }
    }
}

impl MotionModel<9> for ConstantAcceleration {
    fn transition(&self, dt: f64) -> SMatrix<f64, 9, 9> {
        let mut f = SMatrix::<f64, 9, 9>::identity();
        for i in 0..3 {
            f[(i, i + 3)] = dt;
            f[(i, i + 6)] = dt * dt / 2.0;
            f[(i + 3, i + 6)] = dt;
        }
        f
    }

    fn process_noise(&self, dt: f64) -> SMatrix<f64, 9, 9> {
        let mut m = SMatrix::<f64, 9, 9>::zeros();
        let t = [1.0, dt, dt * dt, dt.powi(3), dt.powi(4), dt.powi(5)];
        // Blocks [p, v, a] × [p, v, a] of ∫ F(s) G Gᵀ F(s)ᵀ ds for white jerk.
        let block = [
            [t[5] / 20.0, t[4] / 8.0, t[3] / 6.0],
            [t[4] / 8.0, t[3] / 3.0, t[2] / 2.0],
            [t[3] / 6.0, t[2] / 2.0, t[1]],
        ];
        let q = [self.q_horizontal, self.q_horizontal, self.q_vertical];
        for (axis, qa) in q.into_iter().enumerate() {
            for (r, row) in block.iter().enumerate() {
                for (c, v) in row.iter().enumerate() {
                    m[(axis + 3 * r, axis + 3 * c)] = qa * v;
                }
            }
        }
        m
    }
}

/// One of the 6-state models an IMM can mix.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Model6 {
    /// Constant velocity.
    Cv(ConstantVelocity),
    /// Coordinated turn at a fixed rate.
    Ct(CoordinatedTurn),
}

impl MotionModel<6> for Model6 {
    fn transition(&self, dt: f64) -> SMatrix<f64, 6, 6> {
        match self {
            Self::Cv(m) => m.transition(dt),
            Self::Ct(m) => m.transition(dt),
        }
    }

    fn process_noise(&self, dt: f64) -> SMatrix<f64, 6, 6> {
        match self {
            Self::Cv(m) => m.process_noise(dt),
            Self::Ct(m) => m.process_noise(dt),
        }
    }

    fn propagate(
        &self,
        x: &SVector<f64, 6>,
        p: &SMatrix<f64, 6, 6>,
        dt: f64,
    ) -> (SVector<f64, 6>, SMatrix<f64, 6, 6>) {
        match self {
            Self::Cv(m) => m.propagate(x, p, dt),
            Self::Ct(m) => m.propagate(x, p, dt),
        }
    }

    fn transition_products(
        &self,
        x: &SVector<f64, 6>,
        p: &SMatrix<f64, 6, 6>,
        dt: f64,
    ) -> (SVector<f64, 6>, SMatrix<f64, 6, 6>) {
        match self {
            Self::Cv(m) => m.transition_products(x, p, dt),
            Self::Ct(m) => m.transition_products(x, p, dt),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use nalgebra::SVector;

    #[test]
    fn zero_rate_turn_is_constant_velocity() {
        let cv = ConstantVelocity::new(1.0, 0.5);
        let ct = CoordinatedTurn::new(0.0, 1.0, 0.5);
        assert_eq!(cv.transition(7.0), ct.transition(7.0));
        assert_eq!(cv.process_noise(7.0), ct.process_noise(7.0));
    }

    /// A quarter turn at 3°/s takes 30 s and ends heading west after a left turn from north,
    /// having moved by the turn radius in each axis.
    #[test]
    fn coordinated_turn_follows_a_circle() {
        let w = 3f64.to_radians();
        let ct = CoordinatedTurn::new(w, 0.0, 0.0);
        let v = 150.0;
        let x0 = SVector::<f64, 6>::new(0.0, 0.0, 0.0, 0.0, v, 0.0);
        let x = ct.transition(30.0) * x0;
        let r = v / w;
        assert!((x[0] + r).abs() < 1e-6, "x {}", x[0]);
        assert!((x[1] - r).abs() < 1e-6, "y {}", x[1]);
        assert!((x[3] + v).abs() < 1e-9 && x[4].abs() < 1e-9);
        // Speed is conserved whatever the step.
        let x2 = ct.transition(7.3) * x0;
        assert!((x2.fixed_rows::<2>(3).norm() - v).abs() < 1e-9);
    }

    #[test]
    fn noise_matrices_are_symmetric_positive_semidefinite() {
        let cv = ConstantVelocity::new(3.0, 0.2).process_noise(4.0);
        let ca = ConstantAcceleration::new(3.0, 0.2).process_noise(4.0);
        assert_eq!(cv, cv.transpose());
        assert_eq!(ca, ca.transpose());
        assert!(cv.symmetric_eigenvalues().iter().all(|e| *e > -1e-9));
        assert!(ca.symmetric_eigenvalues().iter().all(|e| *e > -1e-9));
    }

    /// The transition of two half steps equals one full step (models are time-invariant).
    #[test]
    fn transitions_compose() {
        let ct = CoordinatedTurn::new(-0.04, 1.0, 1.0);
        let ca = ConstantAcceleration::new(1.0, 1.0);
        assert!((ct.transition(3.0) * ct.transition(2.0) - ct.transition(5.0)).amax() < 1e-12);
        assert!((ca.transition(3.0) * ca.transition(2.0) - ca.transition(5.0)).amax() < 1e-12);
    }

    #[test]
    fn structured_propagation_equals_the_matrix_products() {
        let x = SVector::<f64, 6>::from_fn(|i, _| (i as f64 + 1.0) * 3.7 - 5.0);
        let a = SMatrix::<f64, 6, 6>::from_fn(|r, c| ((r * 7 + c * 3) % 11) as f64 - 4.0);
        let p = a * a.transpose() + SMatrix::<f64, 6, 6>::identity();
        let models = [
            Model6::Cv(ConstantVelocity::new(2.0, 0.5)),
            Model6::Ct(CoordinatedTurn::new(3f64.to_radians(), 4.0, 1.0)),
            Model6::Ct(CoordinatedTurn::new(-3f64.to_radians(), 4.0, 1.0)),
        ];
        for (m, dt) in models
            .iter()
            .flat_map(|m| [0.5, 1.0, 7.25].map(|dt| (m, dt)))
        {
            let (xs, ps) = m.propagate(&x, &p, dt);
            let f = m.transition(dt);
            let (xf, pf) = (f * x, f * p * f.transpose() + m.process_noise(dt));
            assert!((xs - xf).amax() <= 1e-12 * xf.amax());
            assert!((ps - pf).amax() <= 1e-12 * pf.amax(), "{ps} vs {pf}");
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod ct_propagate_tests {
    use super::*;

    /// The written-out coordinated-turn products equal the generic sparse ones bit for bit.
    #[test]
    fn ct_propagate_matches_sparse_propagate_exactly() {
        let x = SVector::<f64, 6>::new(1234.5, -987.25, 10_000.0, 210.3, -45.7, 2.5);
        let mut p = SMatrix::<f64, 6, 6>::from_fn(|r, c| ((r * 7 + c * 3) % 11) as f64 * 0.37);
        p = p * p.transpose() + SMatrix::<f64, 6, 6>::identity() * 50.0;
        for w in [3f64.to_radians(), -3f64.to_radians(), 0.2] {
            for dt in [0.013, 1.0, 4.0, 11.7] {
                let m = CoordinatedTurn::new(w, 3.0, 1.0);
                let (a, b) = m.propagate(&x, &p, dt);
                let (xs, ps) = sparse_propagate(&m.transition(dt), &x, &p);
                assert_eq!(a, xs);
                assert_eq!(b, ps + m.process_noise(dt));
            }
        }
    }

    /// The mirrored coefficients equal those of the opposite turn bit for bit (one `sin_cos`
    /// serves both turn modes of the IMM).
    #[test]
    fn mirrored_coefficients_equal_the_opposite_turn() {
        for w in [3f64.to_radians(), 0.2, 1e-3, 1e-9] {
            let (left, right) = (
                CoordinatedTurn::new(w, 3.0, 1.0),
                CoordinatedTurn::new(-w, 3.0, 1.0),
            );
            for k in 0..2000 {
                let dt = f64::from(k) * 0.0137 + 1e-3;
                let mirrored = CoordinatedTurn::mirrored(left.coefficients(dt));
                let direct = right.coefficients(dt);
                assert_eq!(
                    mirrored.map(f64::to_bits),
                    direct.map(f64::to_bits),
                    "w {w} dt {dt}"
                );
            }
        }
    }

    /// The transition products (used to retrodict) equal the full matrix products bit for
    /// bit, forwards and backwards, for every model of the IMM.
    #[test]
    fn transition_products_match_full_products_exactly() {
        let x = SVector::<f64, 6>::new(1234.5, -987.25, 10_000.0, 210.3, -45.7, 2.5);
        let mut p = SMatrix::<f64, 6, 6>::from_fn(|r, c| ((r * 7 + c * 3) % 11) as f64 * 0.37);
        p = p * p.transpose() + SMatrix::<f64, 6, 6>::identity() * 50.0;
        let models = [
            Model6::Cv(ConstantVelocity::new(2.0, 1.0)),
            Model6::Ct(CoordinatedTurn::new(3f64.to_radians(), 3.0, 1.0)),
            Model6::Ct(CoordinatedTurn::new(-3f64.to_radians(), 3.0, 1.0)),
        ];
        for m in &models {
            for dt in [-11.7, -4.0, -0.5, -0.013, 0.013, 1.0, 4.0, 11.7] {
                let f = m.transition(dt);
                let (a, b) = m.transition_products(&x, &p, dt);
                assert_eq!(a, f * x);
                assert_eq!(b, f * p * f.transpose());
            }
        }
    }
}
