//! Adaptive Dormand–Prince 5(4) integration (the method of MATLAB's `ode45` and Hairer's
//! DOPRI5), with the standard error-per-step control on mixed relative / absolute tolerances.
//!
//! The state is a fixed-size vector (`SVector<f64, N>`), so a step never allocates. The
//! stepper is "first same as last": the derivative at the end of an accepted step is the
//! first stage of the next, six derivative evaluations per step.

use nalgebra::SVector;
use thiserror::Error;

/// Step-size control settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerances {
    /// Relative tolerance per step (on each component).
    pub rel: f64,
    /// Absolute tolerance per step (on each component, in its units).
    pub abs: f64,
    /// Smallest step allowed, seconds; a step below it fails with [`IntegrateError::StepTooSmall`].
    pub h_min: f64,
    /// Largest step allowed, seconds.
    pub h_max: f64,
}

impl Default for Tolerances {
    /// Scenario accuracy: 1e-10 relative, 1e-4 absolute (0.1 mm, 0.1 mm/s), steps 1e-6 to 60 s.
    fn default() -> Self {
        Self {
            rel: 1e-10,
            abs: 1e-4,
            h_min: 1e-6,
            h_max: 60.0,
        }
    }
}

/// An integration failure.
#[derive(Debug, Clone, Copy, PartialEq, Error)]
pub enum IntegrateError {
    /// The step control asked for a step below [`Tolerances::h_min`] (a singularity or a
    /// discontinuity inside the interval).
    #[error("step size {h} s below the minimum at t = {t} s")]
    StepTooSmall {
        /// Time of the failing step, s.
        t: f64,
        /// Step that was asked for, s.
        h: f64,
    },
    /// The derivative produced NaN or infinity.
    #[error("non-finite state at t = {t} s")]
    NonFinite {
        /// Time of the failing step, s.
        t: f64,
    },
}

/// Counters of an integration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Accepted steps.
    pub accepted: u64,
    /// Rejected steps.
    pub rejected: u64,
    /// Derivative evaluations.
    pub evaluations: u64,
}

/// One accepted step: the new time, state and its derivative.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step<const N: usize> {
    /// Time at the end of the step, s.
    pub t: f64,
    /// State at the end of the step.
    pub y: SVector<f64, N>,
    /// Derivative at the end of the step.
    pub dy: SVector<f64, N>,
}

// Dormand–Prince coefficients (Hairer, Nørsett and Wanner, table 5.2).
const C2: f64 = 1.0 / 5.0;
const C3: f64 = 3.0 / 10.0;
const C4: f64 = 4.0 / 5.0;
const C5: f64 = 8.0 / 9.0;
const A21: f64 = 1.0 / 5.0;
const A31: f64 = 3.0 / 40.0;
const A32: f64 = 9.0 / 40.0;
const A41: f64 = 44.0 / 45.0;
const A42: f64 = -56.0 / 15.0;
const A43: f64 = 32.0 / 9.0;
const A51: f64 = 19372.0 / 6561.0;
const A52: f64 = -25360.0 / 2187.0;
const A53: f64 = 64448.0 / 6561.0;
const A54: f64 = -212.0 / 729.0;
const A61: f64 = 9017.0 / 3168.0;
const A62: f64 = -355.0 / 33.0;
const A63: f64 = 46732.0 / 5247.0;
const A64: f64 = 49.0 / 176.0;
const A65: f64 = -5103.0 / 18656.0;
const B1: f64 = 35.0 / 384.0;
const B3: f64 = 500.0 / 1113.0;
const B4: f64 = 125.0 / 192.0;
const B5: f64 = -2187.0 / 6784.0;
const B6: f64 = 11.0 / 84.0;
// Error coefficients: 5th-order weights minus the embedded 4th-order ones.
const E1: f64 = 71.0 / 57600.0;
const E3: f64 = -71.0 / 16695.0;
const E4: f64 = 71.0 / 1920.0;
const E5: f64 = -17253.0 / 339200.0;
const E6: f64 = 22.0 / 525.0;
const E7: f64 = -1.0 / 40.0;

/// An adaptive Dormand–Prince 5(4) stepper. Keeps the current time, state, derivative and
/// the next step size between calls, so a caller can stop at chosen times (samples, events).
#[derive(Debug, Clone)]
pub struct Dopri5<const N: usize> {
    tol: Tolerances,
    t: f64,
    y: SVector<f64, N>,
    dy: SVector<f64, N>,
    h: f64,
    stats: Stats,
}

impl<const N: usize> Dopri5<N> {
    /// A stepper at `(t0, y0)`; `f(t, y)` is the derivative (evaluated once here).
    pub fn new<F>(f: &mut F, t0: f64, y0: SVector<f64, N>, tol: Tolerances) -> Self
    where
        F: FnMut(f64, &SVector<f64, N>) -> SVector<f64, N>,
    {
        let dy = f(t0, &y0);
        // Initial guess from the scale of the state and its rate (Hairer's simple rule).
        let sc = y0.map(|v| tol.abs + tol.rel * v.abs());
        let d0 = y0.component_div(&sc).norm() / (N as f64).sqrt();
        let d1 = dy.component_div(&sc).norm() / (N as f64).sqrt();
        let h = if d0 < 1e-5 || d1 < 1e-5 {
            1e-3
        } else {
            0.01 * d0 / d1
        };
        Self {
            tol,
            t: t0,
            y: y0,
            dy,
            h: h.clamp(tol.h_min, tol.h_max),
            stats: Stats {
                evaluations: 1,
                ..Stats::default()
            },
        }
    }

    /// Current time, s.
    pub fn t(&self) -> f64 {
        self.t
    }
    /// Current state.
    pub fn y(&self) -> &SVector<f64, N> {
        &self.y
    }
    /// Derivative at the current state.
    pub fn dy(&self) -> &SVector<f64, N> {
        &self.dy
    }
    /// Counters so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Restarts at a new state (after an impulse or a change of the equations of motion),
    /// keeping the step-size guess and the counters.
    pub fn reset<F>(&mut self, f: &mut F, t: f64, y: SVector<f64, N>)
    where
        F: FnMut(f64, &SVector<f64, N>) -> SVector<f64, N>,
    {
        self.t = t;
        self.y = y;
        self.dy = f(t, &y);
        self.stats.evaluations += 1;
    }

    /// Takes one accepted step, never beyond `t_stop` (which must be after the current
    /// time; a step ends exactly on it when it would pass it).
    pub fn step<F>(&mut self, f: &mut F, t_stop: f64) -> Result<Step<N>, IntegrateError>
    where
        F: FnMut(f64, &SVector<f64, N>) -> SVector<f64, N>,
    {
        let (t, y, k1) = (self.t, self.y, self.dy);
        loop {
            let mut h = self.h.min(self.tol.h_max);
            let last = t + h >= t_stop;
            if last {
                h = t_stop - t;
            }
            if h < self.tol.h_min && !last {
                return Err(IntegrateError::StepTooSmall { t, h });
            }
            let k2 = f(t + C2 * h, &(y + h * (A21 * k1)));
            let k3 = f(t + C3 * h, &(y + h * (A31 * k1 + A32 * k2)));
            let k4 = f(t + C4 * h, &(y + h * (A41 * k1 + A42 * k2 + A43 * k3)));
            let k5 = f(
                t + C5 * h,
                &(y + h * (A51 * k1 + A52 * k2 + A53 * k3 + A54 * k4)),
            );
            let k6 = f(
                t + h,
                &(y + h * (A61 * k1 + A62 * k2 + A63 * k3 + A64 * k4 + A65 * k5)),
            );
            let y_new = y + h * (B1 * k1 + B3 * k3 + B4 * k4 + B5 * k5 + B6 * k6);
            let k7 = f(t + h, &y_new);
            self.stats.evaluations += 6;
            let err_vec = h * (E1 * k1 + E3 * k3 + E4 * k4 + E5 * k5 + E6 * k6 + E7 * k7);
            let mut err2 = 0.0;
            for i in 0..N {
                let sc = self.tol.abs + self.tol.rel * y[i].abs().max(y_new[i].abs());
                err2 += (err_vec[i] / sc).powi(2);
            }
            let err = (err2 / N as f64).sqrt();
            if !err.is_finite() || !y_new.iter().all(|v| v.is_finite()) {
                // A non-finite trial: shrink hard and retry, unless already tiny.
                if h <= self.tol.h_min {
                    return Err(IntegrateError::NonFinite { t });
                }
                self.h = (h * 0.1).max(self.tol.h_min);
                self.stats.rejected += 1;
                continue;
            }
            // Standard controller: safety 0.9, factor bounded to [0.2, 5].
            let factor = if err == 0.0 {
                5.0
            } else {
                (0.9 * err.powf(-0.2)).clamp(0.2, 5.0)
            };
            if err <= 1.0 {
                self.stats.accepted += 1;
                let t_new = if last { t_stop } else { t + h };
                // Keep the natural step size when the step was cut short to land on t_stop.
                if !last || factor < 1.0 {
                    self.h = (h * factor).clamp(self.tol.h_min, self.tol.h_max);
                }
                self.t = t_new;
                self.y = y_new;
                self.dy = k7;
                return Ok(Step {
                    t: t_new,
                    y: y_new,
                    dy: k7,
                });
            }
            self.stats.rejected += 1;
            let h_next = h * factor.min(1.0);
            if h_next < self.tol.h_min {
                return Err(IntegrateError::StepTooSmall { t, h: h_next });
            }
            self.h = h_next;
        }
    }

    /// Integrates to exactly `t_end`.
    pub fn advance_to<F>(&mut self, f: &mut F, t_end: f64) -> Result<Step<N>, IntegrateError>
    where
        F: FnMut(f64, &SVector<f64, N>) -> SVector<f64, N>,
    {
        let mut last = Step {
            t: self.t,
            y: self.y,
            dy: self.dy,
        };
        while self.t < t_end {
            last = self.step(f, t_end)?;
        }
        Ok(last)
    }
}

/// Integrates `dy/dt = f(t, y)` from `(t0, y0)` to `t1` (> t0) and returns the final state
/// with the counters.
pub fn propagate<const N: usize, F>(
    mut f: F,
    t0: f64,
    y0: SVector<f64, N>,
    t1: f64,
    tol: Tolerances,
) -> Result<(SVector<f64, N>, Stats), IntegrateError>
where
    F: FnMut(f64, &SVector<f64, N>) -> SVector<f64, N>,
{
    let mut s = Dopri5::new(&mut f, t0, y0, tol);
    let step = s.advance_to(&mut f, t1)?;
    Ok((step.y, s.stats()))
}

/// Cubic Hermite interpolation of a value at `t` in `[t0, t1]` from its values and rates at
/// both ends (positions from velocities, velocities from accelerations).
pub fn hermite<const N: usize>(
    t0: f64,
    y0: &SVector<f64, N>,
    d0: &SVector<f64, N>,
    t1: f64,
    y1: &SVector<f64, N>,
    d1: &SVector<f64, N>,
    t: f64,
) -> SVector<f64, N> {
    let h = t1 - t0;
    if h <= 0.0 {
        return *y0;
    }
    let s = (t - t0) / h;
    let s2 = s * s;
    let s3 = s2 * s;
    let h00 = 2.0 * s3 - 3.0 * s2 + 1.0;
    let h10 = s3 - 2.0 * s2 + s;
    let h01 = -2.0 * s3 + 3.0 * s2;
    let h11 = s3 - s2;
    y0 * h00 + d0 * (h10 * h) + y1 * h01 + d1 * (h11 * h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::Vector2;

    #[test]
    fn harmonic_oscillator_period() {
        // y'' = -y over 10 periods returns to the start.
        let tol = Tolerances {
            rel: 1e-12,
            abs: 1e-12,
            h_min: 1e-9,
            h_max: 1.0,
        };
        let f = |_t: f64, y: &Vector2<f64>| Vector2::new(y[1], -y[0]);
        let t1 = 20.0 * std::f64::consts::PI;
        let (y, stats) = propagate(f, 0.0, Vector2::new(1.0, 0.0), t1, tol).unwrap();
        assert!((y[0] - 1.0).abs() < 1e-9 && y[1].abs() < 1e-9, "{y:?}");
        assert!(stats.accepted > 10);
    }

    #[test]
    fn hermite_exact_on_cubics() {
        let p = |t: f64| Vector2::new(t * t * t - 2.0 * t, 3.0 * t * t);
        let d = |t: f64| Vector2::new(3.0 * t * t - 2.0, 6.0 * t);
        let got = hermite(1.0, &p(1.0), &d(1.0), 3.0, &p(3.0), &d(3.0), 2.3);
        assert!((got - p(2.3)).norm() < 1e-12);
    }
}
