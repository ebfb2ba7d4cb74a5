//! Track-to-track fusion: covariance intersection (Julier & Uhlmann 1997) when the
//! correlation of the two estimates is unknown, and decorrelated fusion when it is known to
//! be one common prior ([`decorrelated_fusion`]).
//!
//! A partner centre's system track and ours may share information (the same radar feeds both,
//! or an earlier exchange of tracks), with an unknown correlation. A Kalman update would count
//! that shared information twice and the fused covariance would shrink without reason, a bit
//! more at each exchange. Covariance intersection fuses in information form with weights ω and
//! 1 − ω:
//!
//! ```text
//! P⁻¹ = ω Pa⁻¹ + (1 − ω) Hᵀ R⁻¹ H        x = P (ω Pa⁻¹ xa + (1 − ω) Hᵀ R⁻¹ z)
//! ```
//!
//! which is consistent for every possible correlation. ω minimises the determinant of P (a
//! choice independent of the units of the state components); `log det P⁻¹` is concave in ω, so
//! a golden-section search finds the optimum. `H` lets the partner estimate cover part of the
//! state only (a horizontal position and velocity against our 3-D position and velocity).

use nalgebra::{SMatrix, SVector};

use crate::filter::{FilterError, Gaussian, symmetrize};

/// Result of a covariance intersection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fused<const N: usize> {
    /// The fused estimate.
    pub estimate: Gaussian<N>,
    /// The weight given to our own estimate, in [0, 1].
    pub omega: f64,
}

/// Fuses our estimate `a` with a partner's estimate `z` (covariance `r`) of `h · state` by
/// covariance intersection.
pub fn covariance_intersection<const N: usize, const K: usize>(
    a: &Gaussian<N>,
    z: &SVector<f64, K>,
    h: &SMatrix<f64, K, N>,
    r: &SMatrix<f64, K, K>,
) -> Result<Fused<N>, FilterError> {
    let finite = |s: &[f64]| s.iter().all(|v| v.is_finite());
    if ![
        a.x.as_slice(),
        a.p.as_slice(),
        z.as_slice(),
        h.as_slice(),
        r.as_slice(),
    ]
    .into_iter()
    .all(finite)
    {
        return Err(FilterError::NonFinite);
    }
    let pa_inv =
        a.p.cholesky()
            .ok_or(FilterError::NotPositiveDefinite)?
            .inverse();
    let r_chol = r.cholesky().ok_or(FilterError::SingularInnovation)?;
    // Hᵀ R⁻¹ H and Hᵀ R⁻¹ z: the partner's information.
    let r_inv_h = r_chol.solve(h);
    let info_b = symmetrize(&(h.transpose() * r_inv_h));
    let vec_b = h.transpose() * r_chol.solve(z);
    let info_a = symmetrize(&pa_inv);
    let vec_a = info_a * a.x;

    let log_det = |w: f64| -> f64 {
        match (info_a * w + info_b * (1.0 - w)).cholesky() {
            Some(c) => 2.0 * c.l().diagonal().iter().map(|d| d.ln()).sum::<f64>(),
            None => f64::NEG_INFINITY,
        }
    };
    // Golden-section search for the maximum of the concave log det over [0, 1]; 60 steps
    // narrow the interval below 1e-12.
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    let mut c = hi - g * (hi - lo);
    let mut d = lo + g * (hi - lo);
    let (mut fc, mut fd) = (log_det(c), log_det(d));
    for _ in 0..60 {
        if fc >= fd {
            hi = d;
            d = c;
            fd = fc;
            c = hi - g * (hi - lo);
            fc = log_det(c);
        } else {
            lo = c;
            c = d;
            fc = fd;
            d = lo + g * (hi - lo);
            fd = log_det(d);
        }
    }
    let mut omega = 0.5 * (lo + hi);
    // The ends are candidates too (the optimum is often ω = 1: the partner adds nothing).
    for end in [0.0, 1.0] {
        if log_det(end) >= log_det(omega) {
            omega = end;
        }
    }
    let info = symmetrize(&(info_a * omega + info_b * (1.0 - omega)));
    let chol = info.cholesky().ok_or(FilterError::NotPositiveDefinite)?;
    let p = symmetrize(&chol.inverse());
    let x = chol.solve(&(vec_a * omega + vec_b * (1.0 - omega)));
    let estimate = Gaussian::new(x, p);
    if !estimate.is_valid() {
        return Err(FilterError::NotPositiveDefinite);
    }
    Ok(Fused { estimate, omega })
}

/// Fuses two estimates of one state whose errors are independent except for one piece of
/// information both contain: a common prior, given in information form (`common_info` =
/// Pc⁻¹, `common_vec` = Pc⁻¹ xc). This is the channel filter's decorrelation (Grime &
/// Durrant-Whyte 1994): the fused information is both estimates' information less the
/// common information, which the plain sum would count twice:
///
/// ```text
/// P⁻¹ = Pa⁻¹ + Pb⁻¹ − Pc⁻¹        x = P (Pa⁻¹ xa + Pb⁻¹ xb − Pc⁻¹ xc)
/// ```
///
/// Exact (and consistent) when the estimates' errors are independent apart from that prior;
/// use [`covariance_intersection`] when the correlation is unknown. With a zero common
/// information it is the independent-information sum. Refused (`NotPositiveDefinite`) when
/// the common information exceeds what either estimate holds, so that the difference is
/// not positive definite.
pub fn decorrelated_fusion<const N: usize>(
    a: &Gaussian<N>,
    b: &Gaussian<N>,
    common_info: &SMatrix<f64, N, N>,
    common_vec: &SVector<f64, N>,
) -> Result<Gaussian<N>, FilterError> {
    let finite = |s: &[f64]| s.iter().all(|v| v.is_finite());
    if ![
        a.x.as_slice(),
        a.p.as_slice(),
        b.x.as_slice(),
        b.p.as_slice(),
        common_info.as_slice(),
        common_vec.as_slice(),
    ]
    .into_iter()
    .all(finite)
    {
        return Err(FilterError::NonFinite);
    }
    let ca = a.p.cholesky().ok_or(FilterError::NotPositiveDefinite)?;
    let cb = b.p.cholesky().ok_or(FilterError::NotPositiveDefinite)?;
    let info = symmetrize(&(ca.inverse() + cb.inverse() - common_info));
    let vec = ca.solve(&a.x) + cb.solve(&b.x) - common_vec;
    let chol = info.cholesky().ok_or(FilterError::NotPositiveDefinite)?;
    let estimate = Gaussian::new(chol.solve(&vec), symmetrize(&chol.inverse()));
    if !estimate.is_valid() {
        return Err(FilterError::NotPositiveDefinite);
    }
    Ok(estimate)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use nalgebra::{Matrix2, Matrix4, SMatrix, Vector2, Vector4};
    use proptest::prelude::*;

    fn gauss2(x: [f64; 2], p: [[f64; 2]; 2]) -> Gaussian<2> {
        Gaussian::new(
            Vector2::new(x[0], x[1]),
            Matrix2::new(p[0][0], p[0][1], p[1][0], p[1][1]),
        )
    }

    /// Fusing an estimate with itself (fully shared information) gives it back: nothing is
    /// counted twice. A Kalman update would halve the covariance.
    #[test]
    fn fusing_the_same_information_twice_adds_nothing() {
        let a = gauss2([10.0, -4.0], [[400.0, 120.0], [120.0, 900.0]]);
        let f = covariance_intersection(&a, &a.x, &Matrix2::identity(), &a.p).unwrap();
        assert!((f.estimate.p - a.p).amax() < 1e-6, "{:?}", f.estimate.p);
        assert!((f.estimate.x - a.x).amax() < 1e-9);
        // Repeated exchanges do not shrink it either.
        let mut g = a;
        for _ in 0..10 {
            g = covariance_intersection(&g, &a.x, &Matrix2::identity(), &a.p)
                .unwrap()
                .estimate;
        }
        assert!(g.p.determinant() >= a.p.determinant() * (1.0 - 1e-9));
    }

    /// Complementary estimates (each precise along a different axis) fuse into one better
    /// than either in determinant, with an interior weight.
    #[test]
    fn complementary_estimates_improve() {
        let a = gauss2([0.0, 0.0], [[100.0, 0.0], [0.0, 10_000.0]]);
        let b = gauss2([10.0, 50.0], [[10_000.0, 0.0], [0.0, 100.0]]);
        let f = covariance_intersection(&a, &b.x, &Matrix2::identity(), &b.p).unwrap();
        assert!((f.omega - 0.5).abs() < 1e-6, "omega {}", f.omega);
        assert!(f.estimate.p.determinant() < a.p.determinant() / 10.0);
        assert!((f.estimate.x - Vector2::new(0.1 * 0.5 / 0.505, 50.0 * 0.5 / 0.505)).amax() < 1e-3);
    }

    /// A partial observation (position only) of a position-velocity state.
    #[test]
    fn partial_state_fusion_updates_the_observed_block() {
        let a = Gaussian::<4>::new(
            Vector4::new(0.0, 0.0, 100.0, 0.0),
            Matrix4::from_diagonal(&Vector4::new(10_000.0, 10_000.0, 100.0, 100.0)),
        );
        let h = SMatrix::<f64, 2, 4>::new(1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0);
        let z = Vector2::new(100.0, -100.0);
        let f = covariance_intersection(&a, &z, &h, &(Matrix2::identity() * 100.0)).unwrap();
        assert!(f.omega > 0.0 && f.omega < 1.0);
        assert!(f.estimate.p[(0, 0)] < 1_000.0);
        assert!((f.estimate.x[0] - 100.0).abs() < 20.0);
        assert!(f.estimate.is_valid());
    }

    /// Two estimates that each combine the same prior with their own independent
    /// measurement fuse, with the prior taken out once, into exactly the Kalman estimate
    /// of the prior with both measurements.
    #[test]
    fn decorrelation_removes_the_common_prior_exactly() {
        let prior = gauss2([0.0, 0.0], [[400.0, 0.0], [0.0, 400.0]]);
        let y0 = prior.p.try_inverse().unwrap();
        // Measurement a: x precise; measurement b: y precise.
        let (ra, za) = (Matrix2::new(4.0, 0.0, 0.0, 900.0), Vector2::new(3.0, 20.0));
        let (rb, zb) = (Matrix2::new(900.0, 0.0, 0.0, 9.0), Vector2::new(-10.0, 5.0));
        let post = |r: &Matrix2<f64>, z: &Vector2<f64>| {
            let yi = y0 + r.try_inverse().unwrap();
            let p = yi.try_inverse().unwrap();
            Gaussian::new(p * (r.try_inverse().unwrap() * z), p)
        };
        let (a, b) = (post(&ra, &za), post(&rb, &zb));
        let both = y0 + ra.try_inverse().unwrap() + rb.try_inverse().unwrap();
        let p = both.try_inverse().unwrap();
        let x = p * (ra.try_inverse().unwrap() * za + rb.try_inverse().unwrap() * zb);
        let f = decorrelated_fusion(&a, &b, &y0, &(y0 * prior.x)).unwrap();
        assert!((f.p - p).amax() < 1e-9, "{:?} vs {p:?}", f.p);
        assert!((f.x - x).amax() < 1e-9, "{:?} vs {x:?}", f.x);
        // Smaller than either estimate alone in determinant.
        assert!(f.p.determinant() < a.p.determinant().min(b.p.determinant()));
        // Taking out more than an estimate holds is refused.
        let too_much = Matrix2::identity() * 10.0;
        assert_eq!(
            decorrelated_fusion(&a, &b, &too_much, &Vector2::zeros()),
            Err(FilterError::NotPositiveDefinite)
        );
    }

    #[test]
    fn non_finite_inputs_are_refused() {
        let a = gauss2([0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]]);
        let z = Vector2::new(f64::NAN, 0.0);
        assert_eq!(
            covariance_intersection(&a, &z, &Matrix2::identity(), &a.p),
            Err(FilterError::NonFinite)
        );
    }

    proptest! {
        /// Consistency whatever the correlation: for any joint covariance of the two errors,
        /// the true covariance of the fused error never exceeds the reported one.
        #[test]
        fn ci_is_consistent_for_any_correlation(l in proptest::collection::vec(-10.0f64..10.0, 16)) {
            // A random joint covariance [[Pa, Pab], [Pba, Pb]] = L Lᵀ + εI.
            let lm = Matrix4::from_row_slice(&l);
            let joint = lm * lm.transpose() + Matrix4::identity() * 0.1;
            let pa: Matrix2<f64> = joint.fixed_view::<2, 2>(0, 0).into_owned();
            let pb: Matrix2<f64> = joint.fixed_view::<2, 2>(2, 2).into_owned();
            let pab: Matrix2<f64> = joint.fixed_view::<2, 2>(0, 2).into_owned();
            let a = Gaussian::new(Vector2::zeros(), pa);
            let f = covariance_intersection(&a, &Vector2::zeros(), &Matrix2::identity(), &pb).unwrap();
            let pf = f.estimate.p;
            let wa = pf * pa.try_inverse().unwrap() * f.omega;
            let wb = pf * pb.try_inverse().unwrap() * (1.0 - f.omega);
            let actual = wa * pa * wa.transpose() + wb * pb * wb.transpose()
                + wa * pab * wb.transpose() + wb * pab.transpose() * wa.transpose();
            let slack = (pf - actual).symmetric_eigenvalues();
            let scale = pf.amax();
            prop_assert!(slack.iter().all(|e| *e >= -1e-7 * scale), "{slack:?}");
        }

        /// Two estimates, each a common prior updated with its own independent measurement
        /// (any prior, any partial observation of the state, any noise), fuse with the prior
        /// taken out once into the centralised estimate of the prior with both measurements.
        #[test]
        fn decorrelation_equals_the_centralised_estimate(
            l0 in proptest::collection::vec(-3.0f64..3.0, 9),
            x0 in proptest::collection::vec(-100.0f64..100.0, 3),
            ha in proptest::collection::vec(-2.0f64..2.0, 6),
            hb in proptest::collection::vec(-2.0f64..2.0, 6),
            ra in 0.1f64..10.0,
            rb in 0.1f64..10.0,
            za in proptest::collection::vec(-100.0f64..100.0, 2),
            zb in proptest::collection::vec(-100.0f64..100.0, 2),
        ) {
            use nalgebra::{Matrix3, Vector3};
            let l0 = Matrix3::from_row_slice(&l0);
            let p0 = l0 * l0.transpose() + Matrix3::identity();
            let y0 = p0.try_inverse().unwrap();
            let x0 = Vector3::from_row_slice(&x0);
            let info = |h: &[f64], r: f64, z: &[f64]| {
                let h = SMatrix::<f64, 2, 3>::from_row_slice(h);
                let z = Vector2::from_row_slice(z);
                (h.transpose() * h / r, h.transpose() * z / r)
            };
            let (ia, va) = info(&ha, ra, &za);
            let (ib, vb) = info(&hb, rb, &zb);
            let post = |i: Matrix3<f64>, v: Vector3<f64>| {
                let p = (y0 + i).try_inverse().unwrap();
                Gaussian::new(p * (y0 * x0 + v), p)
            };
            let (a, b) = (post(ia, va), post(ib, vb));
            let central = post(ia + ib, va + vb);
            let f = decorrelated_fusion(&a, &b, &y0, &(y0 * x0)).unwrap();
            let scale = central.p.amax().max(1.0);
            prop_assert!((f.p - central.p).amax() < 1e-6 * scale, "{:?} vs {:?}", f.p, central.p);
            prop_assert!((f.x - central.x).amax() < 1e-6 * central.x.amax().max(1.0),
                "{:?} vs {:?}", f.x, central.x);
        }
    }
}
