//! Interacting multiple model (IMM) estimator over 6-state models (Blom & Bar-Shalom 1988;
//! Bar-Shalom et al., *Estimation with Applications to Tracking and Navigation*, §11.6).
//!
//! Up to [`MAX_MODES`] mode-matched Kalman filters run side by side; before each prediction
//! their estimates are mixed according to a Markov switching model, and each update re-weighs
//! the modes by their measurement likelihood. With one mode it is exactly a Kalman filter.
//!
//! The state is fixed-size (no allocation): a track carries one [`ImmState`].

use nalgebra::{SMatrix, SVector};
use serde::{Deserialize, Serialize};

use crate::filter::{FilterError, Gaussian, Innovation};
use crate::models::{ConstantVelocity, CoordinatedTurn, Model6};

/// Most modes an IMM may have.
pub const MAX_MODES: usize = 3;

/// An IMM: its modes and how they switch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Imm {
    modes: Vec<Model6>,
    /// Mean time spent in one mode before switching, seconds. The switching probability over a
    /// step of `dt` is `1 - exp(-dt / sojourn)`, spread evenly over the other modes, so the
    /// chain behaves the same whatever the sensors' revisit times.
    sojourn_s: f64,
}

/// The IMM configuration was unusable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ImmError {
    /// Between 1 and [`MAX_MODES`] modes are needed.
    #[error("an IMM needs 1 to {MAX_MODES} modes, got {0}")]
    ModeCount(usize),
    /// The sojourn time must be positive and finite.
    #[error("mode sojourn time must be positive, got {0}")]
    Sojourn(f64),
}

impl Imm {
    /// An IMM with `modes` and a mean sojourn time per mode.
    pub fn new(modes: Vec<Model6>, sojourn_s: f64) -> Result<Self, ImmError> {
        if modes.is_empty() || modes.len() > MAX_MODES {
            return Err(ImmError::ModeCount(modes.len()));
        }
        if !(sojourn_s.is_finite() && sojourn_s > 0.0) {
            return Err(ImmError::Sojourn(sojourn_s));
        }
        Ok(Self { modes, sojourn_s })
    }

    /// Constant velocity alone: a plain Kalman filter.
    pub fn constant_velocity(q_horizontal: f64, q_vertical: f64) -> Self {
        Self {
            modes: vec![Model6::Cv(ConstantVelocity::new(q_horizontal, q_vertical))],
            sojourn_s: 60.0,
        }
    }

    /// The usual air-surveillance set: constant velocity plus left and right coordinated
    /// turns at `turn_rate_dps` (3°/s is a standard-rate turn).
    pub fn cv_ct(
        q_cv: f64,
        q_turn: f64,
        q_vertical: f64,
        turn_rate_dps: f64,
        sojourn_s: f64,
    ) -> Self {
        let w = turn_rate_dps.to_radians();
        Self {
            modes: vec![
                Model6::Cv(ConstantVelocity::new(q_cv, q_vertical)),
                Model6::Ct(CoordinatedTurn::new(w, q_turn, q_vertical)),
                Model6::Ct(CoordinatedTurn::new(-w, q_turn, q_vertical)),
            ],
            sojourn_s: sojourn_s.max(1e-3),
        }
    }

    /// The modes.
    pub fn modes(&self) -> &[Model6] {
        &self.modes
    }

    /// A state starting from one estimate, equally likely in every mode.
    pub fn init(&self, g: Gaussian<6>) -> ImmState {
        let n = self.modes.len();
        let mut mu = [0.0; MAX_MODES];
        mu[..n].fill(1.0 / n as f64);
        ImmState {
            n: n as u8,
            mu,
            modes: [g; MAX_MODES],
        }
    }

    fn switch_matrix(&self, dt: f64) -> SMatrix<f64, MAX_MODES, MAX_MODES> {
        let n = self.modes.len();
        let mut pi = SMatrix::<f64, MAX_MODES, MAX_MODES>::zeros();
        if n == 1 {
            pi[(0, 0)] = 1.0;
            return pi;
        }
        let stay = (-dt.max(0.0) / self.sojourn_s).exp();
        let leave = (1.0 - stay) / (n - 1) as f64;
        for i in 0..n {
            for j in 0..n {
                pi[(i, j)] = if i == j { stay } else { leave };
            }
        }
        pi
    }

    /// Mixes the modes and predicts each `dt` seconds ahead (in place).
    pub fn predict(&self, s: &mut ImmState, dt: f64) {
        if dt <= 0.0 || !dt.is_finite() {
            return;
        }
        let n = self.modes.len().min(s.n as usize);
        let pi = self.switch_matrix(dt);
        // c_j = Σ_i π_ij μ_i, the predicted mode probabilities.
        let mut c = [0.0; MAX_MODES];
        for (j, cj) in c.iter_mut().enumerate().take(n) {
            *cj = (0..n).map(|i| pi[(i, j)] * s.mu[i]).sum();
        }
        // Mixed estimates are written over `s.modes`; the mixing reads the prior ones.
        let prior = s.modes;
        for j in 0..n {
            if c[j] <= 0.0 {
                continue;
            }
            let w: [f64; MAX_MODES] = std::array::from_fn(|i| {
                if i < n {
                    pi[(i, j)] * s.mu[i] / c[j]
                } else {
                    0.0
                }
            });
            s.modes[j] = mixture(&prior[..n], &w[..n]);
        }
        // The turn modes' transitions: one `sin_cos` for a pair of opposite turns.
        let mut turn: [Option<(f64, [f64; 5])>; MAX_MODES] = [None; MAX_MODES];
        for (j, model) in self.modes[..n].iter().enumerate() {
            if let Model6::Ct(m) = model {
                let w = m.omega_rad_s;
                let shared = turn[..j]
                    .iter()
                    .flatten()
                    .find(|(wi, _)| *wi == -w && w.abs() >= 1e-9)
                    .map(|(_, k)| CoordinatedTurn::mirrored(*k));
                turn[j] = Some((w, shared.unwrap_or_else(|| m.coefficients(dt))));
            }
        }
        for (j, (g, model)) in s.modes[..n].iter_mut().zip(&self.modes).enumerate() {
            match (model, turn[j]) {
                (Model6::Ct(m), Some((_, k))) => {
                    g.predict_with(|x, p| m.propagate_with(x, p, dt, k), dt)
                }
                _ => g.predict(model, dt),
            }
        }
        s.mu = c;
        s.normalise();
    }

    /// The state `lag` seconds in the past (each mode retrodicted with its own model, see
    /// [`Gaussian::retrodicted`]), for gating an out-of-sequence measurement.
    pub fn retrodicted(&self, s: &ImmState, lag: f64) -> ImmState {
        let mut r = *s;
        for j in 0..s.n as usize {
            r.modes[j] = s.modes[j].retrodicted(&self.modes[j], lag);
        }
        r
    }

    /// Updates every mode with the innovation `make` computes for it (nonlinear measurements
    /// linearise at each mode's own prediction), and re-weighs the modes by likelihood.
    /// Modes whose update fails keep their prediction and lose weight; if every mode fails
    /// the state is unchanged and the first error is returned.
    pub fn update<const K: usize>(
        &self,
        s: &mut ImmState,
        make: impl Fn(&Gaussian<6>) -> Result<Innovation<K, 6>, FilterError>,
    ) -> Result<(), FilterError> {
        self.update_delayed(s, 0.0, make)
    }

    /// Like [`Imm::update`] for a measurement `lag` seconds older than the state (out of
    /// sequence, see [`Gaussian::retrodicted`]): each mode is retrodicted with its own model,
    /// updated, and predicted forward again. The state keeps its time.
    pub fn update_delayed<const K: usize>(
        &self,
        s: &mut ImmState,
        lag: f64,
        make: impl Fn(&Gaussian<6>) -> Result<Innovation<K, 6>, FilterError>,
    ) -> Result<(), FilterError> {
        let n = s.n as usize;
        let mut ll = [f64::NEG_INFINITY; MAX_MODES];
        let mut first_err = None;
        if lag <= 0.0 || !lag.is_finite() {
            // In sequence (the common case): update the modes in place. A failed update
            // leaves its mode unchanged, so when every mode fails `s` is untouched.
            for (g, l) in s.modes[..n].iter_mut().zip(ll.iter_mut()) {
                let inn = make(g);
                match inn.and_then(|inn| g.update(&inn)) {
                    Ok(info) => *l = info.log_likelihood,
                    Err(e) => {
                        first_err.get_or_insert(e);
                    }
                }
            }
            return self.reweigh(s, &ll, first_err);
        }
        // Updated in place; `saved` restores a mode whose update fails, or everything when
        // the re-weighing fails.
        let saved = s.modes;
        for j in 0..n {
            let model = &self.modes[j];
            // In place: an in-sequence update (lag 0) needs no retrodiction, and a failed
            // update leaves the estimate unchanged.
            let g = &mut s.modes[j];
            if lag > 0.0 {
                *g = g.retrodicted(model, lag);
            }
            let inn = make(g);
            match inn.and_then(|inn| g.update(&inn)) {
                Ok(info) => {
                    g.predict(model, lag);
                    ll[j] = info.log_likelihood;
                }
                Err(e) => {
                    *g = saved[j];
                    first_err.get_or_insert(e);
                }
            }
        }
        // The state changes only when the re-weighing succeeds.
        let mu = match self.reweighed(s, &ll, first_err) {
            Ok(mu) => mu,
            Err(e) => {
                s.modes = saved;
                return Err(e);
            }
        };
        s.mu = mu;
        s.normalise();
        Ok(())
    }

    /// Re-weighs the mode probabilities by the update likelihoods `ll` (log, −∞ for a mode
    /// whose update failed). On error the probabilities are unchanged.
    fn reweigh(
        &self,
        s: &mut ImmState,
        ll: &[f64; MAX_MODES],
        first_err: Option<FilterError>,
    ) -> Result<(), FilterError> {
        s.mu = self.reweighed(s, ll, first_err)?;
        s.normalise();
        Ok(())
    }

    /// The mode probabilities of `s` re-weighed by `ll`, before normalisation.
    fn reweighed(
        &self,
        s: &ImmState,
        ll: &[f64; MAX_MODES],
        first_err: Option<FilterError>,
    ) -> Result<[f64; MAX_MODES], FilterError> {
        let n = s.n as usize;
        let best = ll[..n].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if !best.is_finite() {
            return Err(first_err.unwrap_or(FilterError::NonFinite));
        }
        let mut mu = s.mu;
        for j in 0..n {
            // Likelihoods relative to the best one: exp() of a large negative log-likelihood
            // underflows otherwise.
            mu[j] *= (ll[j] - best).exp();
        }
        let total: f64 = mu[..n].iter().sum();
        if !(total.is_finite() && total > 0.0) {
            return Err(FilterError::NonFinite);
        }
        Ok(mu)
    }

    /// Applies `f` to every mode's estimate (track-to-track fusion, which has no likelihood
    /// to re-weigh the modes by). Modes where it fails keep their estimate.
    pub fn apply(
        &self,
        s: &mut ImmState,
        f: impl Fn(&mut Gaussian<6>) -> Result<(), FilterError>,
    ) -> Result<(), FilterError> {
        let mut first_err = None;
        let mut ok = false;
        for j in 0..s.n as usize {
            match f(&mut s.modes[j]) {
                Ok(()) => ok = true,
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        if ok {
            Ok(())
        } else {
            Err(first_err.unwrap_or(FilterError::NonFinite))
        }
    }
}

/// The moment-matched mixture of `modes` with weights `w`: `x = Σ wᵢ xᵢ`, `P = Σ wᵢ (Pᵢ +
/// dᵢ dᵢᵀ)` with `dᵢ = xᵢ − x`. The covariance sum runs element by element in one pass, with
/// the same operations in the same order as the matrix expression `p += (m.p + d * dᵀ) * w`
/// followed by `symmetrize`, without its temporaries. The modes' covariances are symmetric
/// (every filter step symmetrises them), so each term is the same for `(r, c)` and `(c, r)`
/// and symmetrising the sum would change nothing: the lower triangle is computed and
/// mirrored. (A covariance that is not exactly symmetric is read by its lower triangle.)
fn mixture(modes: &[Gaussian<6>], w: &[f64]) -> Gaussian<6> {
    let mut x = SVector::<f64, 6>::zeros();
    for (m, wi) in modes.iter().zip(w) {
        x += m.x * *wi;
    }
    let mut p = SMatrix::<f64, 6, 6>::zeros();
    for (m, &wi) in modes.iter().zip(w) {
        let d = m.x - x;
        let src = m.p.as_slice();
        let dst = p.as_mut_slice();
        for c in 0..6 {
            for r in 0..6 {
                if r >= c {
                    let k = c * 6 + r;
                    dst[k] += (src[k] + d[r] * d[c]) * wi;
                }
            }
        }
    }
    for c in 0..6 {
        for r in (c + 1)..6 {
            p[(c, r)] = p[(r, c)];
        }
    }
    Gaussian::new(x, p)
}

/// The state of one IMM estimate: mode probabilities and mode-matched estimates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImmState {
    n: u8,
    mu: [f64; MAX_MODES],
    modes: [Gaussian<6>; MAX_MODES],
}

impl ImmState {
    fn normalise(&mut self) {
        let n = self.n as usize;
        let total: f64 = self.mu[..n].iter().sum();
        if total > 0.0 && total.is_finite() {
            for m in &mut self.mu[..n] {
                *m /= total;
            }
        } else {
            self.mu[..n].fill(1.0 / n as f64);
        }
    }

    /// Mode probabilities (one per mode).
    pub fn probabilities(&self) -> &[f64] {
        &self.mu[..self.n as usize]
    }

    /// The mode-matched estimates.
    pub fn modes(&self) -> &[Gaussian<6>] {
        &self.modes[..self.n as usize]
    }

    /// The combined estimate: the mixture's mean and covariance (moment matching).
    pub fn combined(&self) -> Gaussian<6> {
        let n = self.n as usize;
        if n == 1 {
            return self.modes[0];
        }
        mixture(&self.modes[..n], &self.mu[..n])
    }

    /// Whether every mode estimate is finite with a symmetric positive definite covariance
    /// and the probabilities sum to one.
    pub fn is_valid(&self) -> bool {
        let n = self.n as usize;
        self.modes[..n].iter().all(Gaussian::is_valid)
            && (self.mu[..n].iter().sum::<f64>() - 1.0).abs() < 1e-9
            && self.mu[..n].iter().all(|m| (0.0..=1.0).contains(m))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::filter::position_projection;
    use nalgebra::{Matrix3, Vector3};

    fn prior(v: Vector3<f64>) -> Gaussian<6> {
        Gaussian::new(
            SVector::<f64, 6>::new(0.0, 0.0, 0.0, v.x, v.y, v.z),
            SMatrix::<f64, 6, 6>::from_diagonal(&SVector::<f64, 6>::new(
                2500.0, 2500.0, 2500.0, 100.0, 100.0, 25.0,
            )),
        )
    }

    fn position_update(
        p: Vector3<f64>,
        sigma: f64,
    ) -> impl Fn(&Gaussian<6>) -> Result<Innovation<3, 6>, FilterError> {
        move |g| {
            let h = position_projection::<3, 6>(&Matrix3::identity());
            Ok(Innovation {
                nu: p - h * g.x,
                h,
                r: Matrix3::identity() * sigma * sigma,
            })
        }
    }

    /// A target flying straight, then a 3°/s left turn for 60 s, then straight again.
    fn truth(t: f64) -> Vector3<f64> {
        let v = 200.0;
        let w = 3f64.to_radians();
        let r = v / w;
        if t <= 100.0 {
            Vector3::new(0.0, v * t, 0.0)
        } else if t <= 160.0 {
            let a = w * (t - 100.0);
            Vector3::new(-r * (1.0 - a.cos()), v * 100.0 + r * a.sin(), 0.0)
        } else {
            let a = w * 60.0;
            let end = Vector3::new(-r * (1.0 - a.cos()), v * 100.0 + r * a.sin(), 0.0);
            let dir = Vector3::new(-a.sin(), a.cos(), 0.0);
            end + dir * v * (t - 160.0)
        }
    }

    fn run(imm: &Imm, sigma: f64, dt: f64) -> (f64, f64) {
        let mut s = imm.init(prior(Vector3::new(0.0, 200.0, 0.0)));
        let (mut sq_turn, mut n_turn, mut max_turn_prob) = (0.0, 0, 0.0f64);
        let mut k = 1;
        loop {
            let t = k as f64 * dt;
            if t > 240.0 {
                break;
            }
            imm.predict(&mut s, dt);
            let noise = Vector3::new((t * 12.9898).sin(), (t * 78.233).sin(), 0.0) * sigma;
            imm.update(&mut s, position_update(truth(t) + noise, sigma))
                .unwrap();
            assert!(s.is_valid());
            if (110.0..=170.0).contains(&t) {
                sq_turn += (s.combined().position() - truth(t)).norm_squared();
                n_turn += 1;
                if s.probabilities().len() > 1 {
                    max_turn_prob = max_turn_prob.max(s.probabilities()[1]);
                }
            }
            k += 1;
        }
        ((sq_turn / n_turn as f64).sqrt(), max_turn_prob)
    }

    /// The IMM follows the turn better than constant velocity with the same low noise, and
    /// its left-turn mode takes over during the turn.
    #[test]
    fn imm_follows_a_turn_better_than_cv() {
        let cv = Imm::constant_velocity(0.5, 0.1);
        let imm = Imm::cv_ct(0.5, 0.5, 0.1, 3.0, 60.0);
        let (rms_cv, _) = run(&cv, 50.0, 4.0);
        let (rms_imm, p_left) = run(&imm, 50.0, 4.0);
        assert!(rms_imm < 0.6 * rms_cv, "imm {rms_imm} cv {rms_cv}");
        assert!(p_left > 0.8, "left-turn probability {p_left}");
    }

    #[test]
    fn one_mode_imm_is_a_kalman_filter() {
        let imm = Imm::constant_velocity(1.0, 0.1);
        let model = ConstantVelocity::new(1.0, 0.1);
        let mut s = imm.init(prior(Vector3::new(0.0, 200.0, 0.0)));
        let mut g = prior(Vector3::new(0.0, 200.0, 0.0));
        for k in 1..20 {
            let z = Vector3::new(3.0 * k as f64, 199.0 * k as f64, 1.0);
            imm.predict(&mut s, 1.0);
            g.predict(&model, 1.0);
            imm.update(&mut s, position_update(z, 30.0)).unwrap();
            g.update(&position_update(z, 30.0)(&g).unwrap()).unwrap();
        }
        assert!((s.combined().x - g.x).amax() < 1e-9);
        assert!((s.combined().p - g.p).amax() < 1e-9);
    }

    /// A measurement applied one second late, after a later one, ends close to applying both
    /// in order, and never more confident.
    #[test]
    fn delayed_update_is_close_to_in_order_and_conservative() {
        let imm = Imm::constant_velocity(1.0, 0.1);
        let z1 = Vector3::new(205.0, 3.0, 0.0);
        let z2 = Vector3::new(398.0, -2.0, 0.0);
        let mut in_order = imm.init(prior(Vector3::new(200.0, 0.0, 0.0)));
        imm.predict(&mut in_order, 1.0);
        imm.update(&mut in_order, position_update(z1, 20.0))
            .unwrap();
        imm.predict(&mut in_order, 1.0);
        imm.update(&mut in_order, position_update(z2, 20.0))
            .unwrap();
        let mut late = imm.init(prior(Vector3::new(200.0, 0.0, 0.0)));
        imm.predict(&mut late, 2.0);
        imm.update(&mut late, position_update(z2, 20.0)).unwrap();
        imm.update_delayed(&mut late, 1.0, position_update(z1, 20.0))
            .unwrap();
        let (a, b) = (in_order.combined(), late.combined());
        assert!(
            (a.position() - b.position()).norm() < 5.0,
            "{:?} {:?}",
            a.x,
            b.x
        );
        assert!(b.p[(0, 0)] >= a.p[(0, 0)] * 0.999 && b.p[(1, 1)] >= a.p[(1, 1)] * 0.999);
        assert!(late.is_valid());
    }

    #[test]
    fn bad_configurations_are_refused() {
        let cv = Model6::Cv(ConstantVelocity::new(1.0, 1.0));
        assert_eq!(Imm::new(vec![], 10.0), Err(ImmError::ModeCount(0)));
        assert_eq!(Imm::new(vec![cv; 4], 10.0), Err(ImmError::ModeCount(4)));
        assert!(matches!(
            Imm::new(vec![cv], f64::NAN),
            Err(ImmError::Sojourn(_))
        ));
    }
}
