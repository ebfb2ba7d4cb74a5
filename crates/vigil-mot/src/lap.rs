//! Minimum-cost assignment on `f64` costs.

/// Assigns each row of the `rows × cols` matrix `cost` (row-major) to a distinct column, or
/// each column to a distinct row when there are more rows than columns, minimising the total
/// cost: `min(rows, cols)` pairs `(row, col)`, sorted by row. Costs must be finite.
///
/// The shortest augmenting path Hungarian method with dual potentials, O(n² m): exact on
/// floats (no scaling), like SciPy's `linear_sum_assignment` which the Python references use.
pub fn min_cost_assignment(rows: usize, cols: usize, cost: &[f64]) -> Vec<(usize, usize)> {
    debug_assert_eq!(cost.len(), rows * cols);
    if rows == 0 || cols == 0 {
        return Vec::new();
    }
    if rows > cols {
        let t: Vec<f64> = (0..cols * rows)
            .map(|k| cost[(k % rows) * cols + k / rows])
            .collect();
        let mut out: Vec<(usize, usize)> = solve(cols, rows, &t)
            .into_iter()
            .map(|(c, r)| (r, c))
            .collect();
        out.sort_unstable();
        return out;
    }
    solve(rows, cols, cost)
}

/// `n ≤ m`. Potentials `u` (rows) and `v` (columns), 1-based with a virtual column 0.
fn solve(n: usize, m: usize, a: &[f64]) -> Vec<(usize, usize)> {
    let mut u = vec![0.0f64; n + 1];
    let mut v = vec![0.0f64; m + 1];
    let mut p = vec![0usize; m + 1];
    let mut way = vec![0usize; m + 1];
    let mut minv = vec![0.0f64; m + 1];
    let mut used = vec![false; m + 1];
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0usize;
        minv.fill(f64::INFINITY);
        used.fill(false);
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let mut delta = f64::INFINITY;
            let mut j1 = 0usize;
            for j in 1..=m {
                if !used[j] {
                    let cur = a[(i0 - 1) * m + (j - 1)] - u[i0] - v[j];
                    if cur < minv[j] {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if minv[j] < delta {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            // Finite costs always leave an unused column with a finite reduced cost (n ≤ m).
            if j1 == 0 {
                break;
            }
            for j in 0..=m {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut out: Vec<(usize, usize)> = (1..=m)
        .filter(|&j| p[j] != 0)
        .map(|j| (p[j] - 1, j - 1))
        .collect();
    out.sort_unstable();
    out
}

/// Assignment with forbidden pairs (`NaN` or infinite costs), as `motmetrics.lap` does with
/// SciPy: forbidden pairs get a cost large enough that the fewest possible are used (so the
/// valid pairs form a maximum-cardinality matching of least cost), then they are dropped.
pub fn assignment_with_forbidden(rows: usize, cols: usize, cost: &[f64]) -> Vec<(usize, usize)> {
    let valid = |c: f64| c.is_finite();
    if !cost.iter().any(|&c| valid(c)) {
        return Vec::new();
    }
    let c = cost
        .iter()
        .filter(|c| valid(**c))
        .fold(0.0f64, |m, c| m.max(c.abs()))
        + 1.0;
    let large = 2.0 * rows.min(cols) as f64 * c + 1.0;
    let filled: Vec<f64> = cost
        .iter()
        .map(|&x| if valid(x) { x } else { large })
        .collect();
    min_cost_assignment(rows, cols, &filled)
        .into_iter()
        .filter(|&(r, c)| valid(cost[r * cols + c]))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn brute(rows: usize, cols: usize, a: &[f64]) -> f64 {
        fn go(r: usize, rows: usize, cols: usize, used: &mut [bool], a: &[f64]) -> f64 {
            if r == rows {
                return 0.0;
            }
            let mut best = f64::INFINITY;
            for c in 0..cols {
                if !used[c] {
                    used[c] = true;
                    best = best.min(a[r * cols + c] + go(r + 1, rows, cols, used, a));
                    used[c] = false;
                }
            }
            best
        }
        if rows <= cols {
            go(0, rows, cols, &mut vec![false; cols], a)
        } else {
            let t: Vec<f64> = (0..cols * rows)
                .map(|k| a[(k % rows) * cols + k / rows])
                .collect();
            go(0, cols, rows, &mut vec![false; rows], &t)
        }
    }

    #[test]
    fn matches_brute_force_on_small_matrices() {
        let mut seed = 12345u64;
        let mut rnd = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as f64) / f64::from(1u32 << 31) - 0.3
        };
        for rows in 1..6 {
            for cols in 1..6 {
                for _ in 0..20 {
                    let a: Vec<f64> = (0..rows * cols).map(|_| rnd()).collect();
                    let sol = min_cost_assignment(rows, cols, &a);
                    assert_eq!(sol.len(), rows.min(cols));
                    let total: f64 = sol.iter().map(|&(r, c)| a[r * cols + c]).sum();
                    assert!((total - brute(rows, cols, &a)).abs() < 1e-12);
                }
            }
        }
    }

    #[test]
    fn forbidden_pairs_maximise_cardinality_first() {
        let n = f64::NAN;
        // Row 0 alone could take column 0 cheaply, but then row 1 (only column 0) is lost.
        let a = [0.1, 0.4, 0.2, n];
        assert_eq!(assignment_with_forbidden(2, 2, &a), vec![(0, 1), (1, 0)]);
        assert!(assignment_with_forbidden(2, 2, &[n, n, n, n]).is_empty());
    }
}
