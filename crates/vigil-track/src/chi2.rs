//! Chi-square gates: the squared Mahalanobis distance of a correct association is chi-square
//! distributed with as many degrees of freedom as the measurement has components, so a gate at
//! probability `p` accepts that fraction of correct associations.

/// ln Γ(x) for x > 0 (Lanczos approximation, g = 7, n = 9; relative error below 1e-15).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 − x) = π / sin(πx).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularised lower incomplete gamma function P(a, x).
fn gamma_p(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let ln_prefix = a * x.ln() - x - ln_gamma(a);
    if x < a + 1.0 {
        // Series: P = e^{-x} x^a / Γ(a) Σ x^n / (a (a+1) … (a+n)).
        let (mut term, mut sum, mut ap) = (1.0 / a, 1.0 / a, a);
        for _ in 0..500 {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * 1e-16 {
                break;
            }
        }
        (sum.ln() + ln_prefix).exp()
    } else {
        // Continued fraction for Q = 1 − P (modified Lentz).
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..500 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-16 {
                break;
            }
        }
        1.0 - (ln_prefix.exp() * h)
    }
}

/// The chi-square cumulative distribution function with `dof` degrees of freedom.
pub fn chi2_cdf(x: f64, dof: u32) -> f64 {
    gamma_p(f64::from(dof) / 2.0, x / 2.0)
}

/// The chi-square quantile: the gate `g` with `P(χ²_dof ≤ g) = p`, for `p` in (0, 1).
/// Bisection on the CDF to 1e-12 relative; `p` outside (0, 1) is clamped.
pub fn chi2_gate(dof: u32, p: f64) -> f64 {
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    while chi2_cdf(hi, dof) < p {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if chi2_cdf(mid, dof) < p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-12 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// Published chi-square critical values (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.4).
    #[test]
    fn gates_match_tables() {
        let check = |dof: u32, p: f64, expected: f64| {
            let g = chi2_gate(dof, p);
            assert!(
                (g - expected).abs() < 1e-5,
                "dof {dof} p {p}: {g} not {expected}"
            );
        };
        check(1, 0.95, 3.841459);
        check(2, 0.95, 5.991465);
        check(2, 0.99, 9.210340);
        check(3, 0.95, 7.814728);
        check(3, 0.99, 11.344867);
        check(4, 0.999, 18.466827);
        check(10, 0.9, 15.987179);
    }

    #[test]
    fn two_dof_has_a_closed_form() {
        for p in [0.5, 0.9, 0.999, 0.999_999] {
            assert!((chi2_gate(2, p) - (-2.0 * (1.0f64 - p).ln())).abs() < 1e-8);
        }
    }
}
