//! Optimal assignment (minimum total cost), on `pathfinding`'s Kuhn-Munkres solver.
//!
//! `pathfinding::kuhn_munkres` maximises integer weights (it needs a totally ordered type, so
//! not `f64`). Costs are therefore scaled to integers: the largest finite cost of a problem is
//! mapped so that any full assignment totals at most 2⁴⁰, which leaves a resolution of about
//! `max_cost · n / 2⁴⁰` per pair (a few nanometres for metric distances, 1e-9 for Mahalanobis
//! gates) and keeps every intermediate sum far from `i64` overflow. Forbidden pairs get a
//! weight far below any feasible total, so they are chosen only when no feasible assignment
//! exists, which [`min_cost_assignment`] reports.

use pathfinding::kuhn_munkres::kuhn_munkres;
use pathfinding::matrix::Matrix;

/// The assignment problem had no feasible full assignment of rows, or a bad shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AssignError {
    /// More rows than columns: some row could not be assigned.
    #[error("{rows} rows cannot all be assigned to {cols} columns")]
    Shape {
        /// Rows.
        rows: usize,
        /// Columns.
        cols: usize,
    },
    /// Every full assignment uses a forbidden pair.
    #[error("no feasible assignment")]
    Infeasible,
}

const BUDGET: f64 = (1u64 << 40) as f64;
const FORBIDDEN: i64 = -(1i64 << 46);

/// Assigns every row to a distinct column minimising the total cost; `cost(r, c)` is `None`
/// for a forbidden pair. Costs must be finite and non-negative (others are treated as
/// forbidden). Returns the column of each row.
pub fn min_cost_assignment(
    rows: usize,
    cols: usize,
    cost: impl Fn(usize, usize) -> Option<f64>,
) -> Result<Vec<usize>, AssignError> {
    if rows > cols {
        return Err(AssignError::Shape { rows, cols });
    }
    if rows == 0 {
        return Ok(Vec::new());
    }
    let valid = |v: Option<f64>| v.filter(|c| c.is_finite() && *c >= 0.0);
    let mut max_cost = 0.0f64;
    for r in 0..rows {
        for c in 0..cols {
            if let Some(v) = valid(cost(r, c)) {
                max_cost = max_cost.max(v);
            }
        }
    }
    let scale = if max_cost > 0.0 {
        BUDGET / (max_cost * (rows as f64 + 1.0))
    } else {
        1.0
    };
    let mut m = Matrix::new(rows, cols, FORBIDDEN);
    for r in 0..rows {
        for c in 0..cols {
            if let Some(v) = valid(cost(r, c)) {
                // Rounded to the nearest integer; the scale keeps |v · scale| < 2⁴⁰.
                m[(r, c)] = -((v * scale).round() as i64);
            }
        }
    }
    let (_, assignment) = kuhn_munkres(&m);
    if assignment
        .iter()
        .enumerate()
        .any(|(r, &c)| m[(r, c)] == FORBIDDEN)
    {
        return Err(AssignError::Infeasible);
    }
    Ok(assignment)
}

/// Global nearest neighbour: assigns tracks (rows) to measurements (columns) with each track
/// free to stay unassigned at `miss_cost` (its gate), minimising the total. `cost(t, m)` is
/// `None` outside the gate. Returns the measurement of each track, if any.
pub fn gnn(
    tracks: usize,
    measurements: usize,
    miss_cost: f64,
    cost: impl Fn(usize, usize) -> Option<f64>,
) -> Vec<Option<usize>> {
    // One private "unassigned" column per track makes a full assignment always feasible.
    let result = min_cost_assignment(tracks, measurements + tracks, |t, c| {
        if c < measurements {
            cost(t, c)
        } else if c - measurements == t {
            Some(miss_cost)
        } else {
            None
        }
    });
    match result {
        Ok(a) => a
            .into_iter()
            .map(|c| (c < measurements).then_some(c))
            .collect(),
        // Unreachable by construction (the private columns are always feasible); stay safe
        // by assigning nothing rather than panicking.
        Err(_) => vec![None; tracks],
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn brute_force(rows: usize, cols: usize, cost: &[Vec<f64>]) -> f64 {
        fn go(r: usize, rows: usize, used: &mut Vec<bool>, cost: &[Vec<f64>]) -> f64 {
            if r == rows {
                return 0.0;
            }
            let mut best = f64::INFINITY;
            for c in 0..used.len() {
                if !used[c] {
                    used[c] = true;
                    best = best.min(cost[r][c] + go(r + 1, rows, used, cost));
                    used[c] = false;
                }
            }
            best
        }
        go(0, rows, &mut vec![false; cols], cost)
    }

    /// Data-driven: small matrices against exhaustive search.
    #[test]
    fn matches_brute_force() {
        let cases: &[&[&[f64]]] = &[
            &[&[4.0, 1.0, 3.0], &[2.0, 0.0, 5.0], &[3.0, 2.0, 2.0]],
            &[&[0.5, 0.4], &[0.4, 0.5]],
            &[&[10.0, 1.0, 7.0, 3.0], &[1.0, 10.0, 3.0, 7.0]],
            &[
                &[1e-3, 2e-3, 3e-3],
                &[2e-3, 4e-3, 6e-3],
                &[3e-3, 6e-3, 9e-3],
            ],
        ];
        for case in cases {
            let m: Vec<Vec<f64>> = case.iter().map(|r| r.to_vec()).collect();
            let (rows, cols) = (m.len(), m[0].len());
            let a = min_cost_assignment(rows, cols, |r, c| Some(m[r][c])).unwrap();
            let total: f64 = a.iter().enumerate().map(|(r, &c)| m[r][c]).sum();
            assert!(
                (total - brute_force(rows, cols, &m)).abs() < 1e-12,
                "{m:?}: {a:?}"
            );
        }
    }

    #[test]
    fn gnn_leaves_tracks_unassigned_when_cheaper() {
        // Track 0 is close to measurement 0; track 1 is close to nothing; track 2 competes
        // with track 0 for measurement 0 but has measurement 1 inside its gate.
        let d = [[Some(1.0), None], [None, None], [Some(2.0), Some(8.0)]];
        let a = gnn(3, 2, 9.0, |t, m| d[t][m]);
        assert_eq!(a, vec![Some(0), None, Some(1)]);
        // With a tighter miss cost track 2 prefers to stay unassigned.
        let a = gnn(3, 2, 5.0, |t, m| d[t][m]);
        assert_eq!(a, vec![Some(0), None, None]);
    }

    #[test]
    fn infeasible_and_bad_shapes_are_errors() {
        assert_eq!(
            min_cost_assignment(2, 1, |_, _| Some(1.0)),
            Err(AssignError::Shape { rows: 2, cols: 1 })
        );
        assert_eq!(
            min_cost_assignment(2, 2, |_, c| (c == 0).then_some(1.0)),
            Err(AssignError::Infeasible)
        );
        assert_eq!(min_cost_assignment(0, 3, |_, _| Some(1.0)), Ok(vec![]));
    }
}
