//! Multi-target tracking metrics for one time step: OSPA and GOSPA.
//!
//! - OSPA (Schuhmacher, Vo & Vo, "A consistent metric for performance evaluation of
//!   multi-object filters", IEEE TSP 2008), order `p`, cut-off `c`.
//! - GOSPA with α = 2 (Rahmathullah, García-Fernández & Svensson, "Generalized optimal
//!   sub-pattern assignment metric", FUSION 2017), split into localisation, missed and false
//!   parts.
//!
//! Both solve the optimal assignment exactly (Kuhn-Munkres, [`crate::assign`]). Stone Soup
//! computes the same quantities; `tests/peers/stonesoup_metrics.py` checks the values agree.
//! One known difference: Stone Soup's OSPA picks the assignment minimising Σ min(d, c) and then
//! sums the p-th powers, which for p ≠ 1 can exceed the true OSPA minimum over Σ min(d, c)^p
//! that this module computes; they agree whenever the assignment is unambiguous (and always
//! for p = 1).

use nalgebra::SVector;

use crate::assign::min_cost_assignment;

/// The GOSPA distance and its parts (each a sum of p-th powers, as in the definition).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gospa {
    /// The GOSPA distance.
    pub distance: f64,
    /// Σ d^p over assigned pairs closer than the cut-off.
    pub localisation: f64,
    /// c^p / 2 per missed truth.
    pub missed: f64,
    /// c^p / 2 per false track.
    pub false_tracks: f64,
    /// Assigned pairs (track index, truth index).
    pub assigned: usize,
}

fn cutoff_cost<const D: usize>(a: &SVector<f64, D>, b: &SVector<f64, D>, c: f64, p: f64) -> f64 {
    (a - b).norm().min(c).powf(p)
}

/// OSPA distance of order `p` (≥ 1) with cut-off `c` (> 0) between estimates and truths.
/// Zero when both are empty, `c` when exactly one is.
pub fn ospa<const D: usize>(
    estimates: &[SVector<f64, D>],
    truths: &[SVector<f64, D>],
    c: f64,
    p: f64,
) -> f64 {
    let (small, large) = if estimates.len() <= truths.len() {
        (estimates, truths)
    } else {
        (truths, estimates)
    };
    let n = large.len();
    if n == 0 {
        return 0.0;
    }
    if small.is_empty() {
        return c;
    }
    let cp = c.powf(p);
    let total = match min_cost_assignment(small.len(), n, |i, j| {
        Some(cutoff_cost(&small[i], &large[j], c, p))
    }) {
        Ok(a) => a
            .iter()
            .enumerate()
            .map(|(i, &j)| cutoff_cost(&small[i], &large[j], c, p))
            .sum::<f64>(),
        // Unreachable: every pair is allowed and rows ≤ columns. The worst case keeps the
        // metric an upper bound rather than a panic.
        Err(_) => small.len() as f64 * cp,
    };
    ((total + cp * (n - small.len()) as f64) / n as f64).powf(1.0 / p)
}

/// GOSPA distance (α = 2) of order `p` with cut-off `c` between estimates and truths.
pub fn gospa<const D: usize>(
    estimates: &[SVector<f64, D>],
    truths: &[SVector<f64, D>],
    c: f64,
    p: f64,
) -> Gospa {
    let half = c.powf(p) / 2.0;
    let mut g = Gospa {
        distance: 0.0,
        localisation: 0.0,
        missed: 0.0,
        false_tracks: 0.0,
        assigned: 0,
    };
    // Rows are the smaller set; a pair at or beyond the cut-off costs exactly as much as
    // leaving both unassigned (c^p = 2 · c^p/2), so it counts as a miss and a false track.
    let transpose = estimates.len() > truths.len();
    let (rows, cols) = if transpose {
        (truths, estimates)
    } else {
        (estimates, truths)
    };
    let mut localisation = 0.0;
    let mut assigned = 0usize;
    if !rows.is_empty()
        && let Ok(a) = min_cost_assignment(rows.len(), cols.len(), |i, j| {
            Some(cutoff_cost(&rows[i], &cols[j], c, p))
        })
    {
        for (i, &j) in a.iter().enumerate() {
            let d = (rows[i] - cols[j]).norm();
            if d < c {
                localisation += d.powf(p);
                assigned += 1;
            }
        }
    }
    g.localisation = localisation;
    g.assigned = assigned;
    g.missed = half * (truths.len() - assigned) as f64;
    g.false_tracks = half * (estimates.len() - assigned) as f64;
    g.distance = (g.localisation + g.missed + g.false_tracks).powf(1.0 / p);
    g
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use nalgebra::Vector2;

    fn v(x: f64, y: f64) -> Vector2<f64> {
        Vector2::new(x, y)
    }

    /// Data-driven: hand-computed values. (estimates, truths, c, p, ospa, gospa)
    #[test]
    fn hand_computed_cases() {
        #[allow(clippy::type_complexity)]
        let cases: Vec<(Vec<Vector2<f64>>, Vec<Vector2<f64>>, f64, f64, f64, f64)> = vec![
            (vec![], vec![], 10.0, 1.0, 0.0, 0.0),
            (vec![v(0.0, 0.0)], vec![], 10.0, 2.0, 10.0, (50.0f64).sqrt()),
            (vec![v(0.0, 0.0)], vec![v(3.0, 4.0)], 10.0, 1.0, 5.0, 5.0),
            (vec![v(0.0, 0.0)], vec![v(3.0, 4.0)], 10.0, 2.0, 5.0, 5.0),
            // One good pair and one missed truth: OSPA ((3² + 10²)/2)^½, GOSPA (9 + 50)^½.
            (
                vec![v(0.0, 0.0)],
                vec![v(3.0, 0.0), v(100.0, 0.0)],
                10.0,
                2.0,
                (109.0f64 / 2.0).sqrt(),
                59.0f64.sqrt(),
            ),
            // Beyond the cut-off: a miss and a false track.
            (vec![v(0.0, 0.0)], vec![v(30.0, 0.0)], 10.0, 1.0, 10.0, 10.0),
            // Crossing assignment: the optimum pairs (0,1) and (1,0).
            (
                vec![v(0.0, 0.0), v(10.0, 0.0)],
                vec![v(9.0, 0.0), v(1.0, 0.0)],
                20.0,
                1.0,
                1.0,
                2.0,
            ),
        ];
        for (est, tru, c, p, o, g) in cases {
            let got_o = ospa(&est, &tru, c, p);
            let got_g = gospa(&est, &tru, c, p).distance;
            assert!(
                (got_o - o).abs() < 1e-12,
                "ospa {est:?} {tru:?}: {got_o} not {o}"
            );
            assert!(
                (got_g - g).abs() < 1e-12,
                "gospa {est:?} {tru:?}: {got_g} not {g}"
            );
        }
    }

    #[test]
    fn ospa_is_symmetric_and_bounded() {
        let a = [v(0.0, 0.0), v(5.0, 5.0), v(50.0, 1.0)];
        let b = [v(1.0, 0.0), v(40.0, 0.0)];
        let (x, y) = (ospa(&a, &b, 20.0, 2.0), ospa(&b, &a, 20.0, 2.0));
        assert!((x - y).abs() < 1e-12);
        assert!((0.0..=20.0).contains(&x));
        let g = gospa(&a, &b, 20.0, 2.0);
        assert_eq!(g.assigned, 2);
        assert!((g.false_tracks - 200.0).abs() < 1e-12 && g.missed == 0.0);
    }
}
