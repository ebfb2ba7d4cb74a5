//! Interception geometry, advice only: the predicted path of a track (with its turn), the
//! time it reaches a place, and a fighter's time to intercept. Nothing here controls a
//! weapon; the figures inform the duty officers of both parties.

use serde::{Deserialize, Serialize};
use vigil_core::LatLon;

use crate::view::TrackView;

pub use vigil_airspace::PathPoint;

/// The point `dist_m` from `from` along the great circle starting at `bearing_deg`.
pub fn destination(from: LatLon, bearing_deg: f64, dist_m: f64) -> LatLon {
    from.destination(bearing_deg, dist_m)
}

/// How a path is predicted.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PredictionSettings {
    /// How far ahead, seconds.
    pub horizon_s: f64,
    /// Step between points, seconds.
    pub step_s: f64,
    /// For how long the current turn is assumed to continue, seconds; straight after. An
    /// aircraft rarely turns for long: assuming it does would curl the path into a circle.
    pub max_turn_s: f64,
    /// At most this much heading change is predicted, degrees.
    pub max_turn_deg: f64,
    /// The vertical rate is assumed to continue for this long, seconds (then level).
    pub max_climb_s: f64,
}

impl Default for PredictionSettings {
    fn default() -> Self {
        PredictionSettings {
            horizon_s: 1_800.0,
            step_s: 10.0,
            max_turn_s: 60.0,
            max_turn_deg: 90.0,
            max_climb_s: 120.0,
        }
    }
}

/// The predicted path of a track: its current turn rate continued for a while, then straight
/// along great circles at constant speed; stepping on the sphere keeps it accurate over the
/// whole horizon (hundreds of kilometres).
pub fn predict_path(v: &TrackView, turn_rate_dps: f64, s: &PredictionSettings) -> Vec<PathPoint> {
    let n = (s.horizon_s / s.step_s).ceil().max(0.0) as usize;
    let mut out = Vec::with_capacity(n + 1);
    let speed = v.speed_mps();
    let mut course = v.course_deg();
    let mut pos = v.pos;
    let alt0 = v.alt_ft.unwrap_or(0.0);
    let mut turned = 0.0_f64;
    out.push(PathPoint {
        t: v.time.0,
        pos,
        alt_ft: alt0,
    });
    for k in 1..=n {
        let t = k as f64 * s.step_s;
        let t_prev = t - s.step_s;
        // Turn over this step (midpoint heading: second-order accurate for a steady turn).
        let turn_time = (s.max_turn_s.min(t) - t_prev).max(0.0);
        let mut dh = turn_rate_dps * turn_time;
        if turned.abs() + dh.abs() > s.max_turn_deg {
            dh = dh.signum() * (s.max_turn_deg - turned.abs()).max(0.0);
        }
        let mid = course + dh / 2.0;
        pos = destination(pos, mid, speed * s.step_s);
        course += dh;
        turned += dh;
        let alt = alt0 + v.vrate_fpm / 60.0 * t.min(s.max_climb_s);
        out.push(PathPoint {
            t: v.time.0 + t,
            pos,
            alt_ft: alt.max(0.0),
        });
    }
    out
}

/// The first time the path comes within `radius_m` of `centre` (interpolated between points).
pub fn time_to_reach(path: &[PathPoint], centre: LatLon, radius_m: f64) -> Option<PathPoint> {
    let first = path.first()?;
    if first.pos.distance_m(&centre) <= radius_m {
        return Some(*first);
    }
    for w in path.windows(2) {
        let (a, b) = (w[0], w[1]);
        let db = b.pos.distance_m(&centre);
        if db <= radius_m {
            // Bisection on the chord: distance is convex enough along a short step.
            let (mut lo, mut hi) = (0.0, 1.0);
            for _ in 0..30 {
                let m = 0.5 * (lo + hi);
                if lerp(a, b, m).pos.distance_m(&centre) <= radius_m {
                    hi = m;
                } else {
                    lo = m;
                }
            }
            return Some(lerp(a, b, hi));
        }
    }
    None
}

/// The point a fraction `f` between `a` and `b` (linear in latitude, longitude, time).
pub fn lerp(a: PathPoint, b: PathPoint, f: f64) -> PathPoint {
    PathPoint {
        t: a.t + (b.t - a.t) * f,
        pos: LatLon::new(
            a.pos.lat + (b.pos.lat - a.pos.lat) * f,
            a.pos.lon + (b.pos.lon - a.pos.lon) * f,
        ),
        alt_ft: a.alt_ft + (b.alt_ft - a.alt_ft) * f,
    }
}

/// A fighter's intercept solution against a predicted path.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Intercept {
    /// Seconds from the path's start to the intercept.
    pub time_to_intercept_s: f64,
    /// Where.
    pub at: PathPoint,
    /// The fighter's straight-line distance to fly, metres.
    pub distance_m: f64,
}

/// The earliest point of `path` a fighter at `from`, leaving at the path's start time and
/// flying straight at `speed_mps`, can reach no later than the target (interpolated).
pub fn intercept(from: LatLon, speed_mps: f64, path: &[PathPoint]) -> Option<Intercept> {
    let t0 = path.first()?.t;
    // NaN or not positive: no solution (written so that NaN fails).
    if speed_mps.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return None;
    }
    // Slack: negative while the fighter cannot get there in time.
    let slack = |p: &PathPoint| speed_mps * (p.t - t0) - from.distance_m(&p.pos);
    let first = path.first()?;
    if slack(first) >= 0.0 {
        return Some(Intercept {
            time_to_intercept_s: 0.0,
            at: *first,
            distance_m: from.distance_m(&first.pos),
        });
    }
    for w in path.windows(2) {
        let (a, b) = (w[0], w[1]);
        if slack(&b) >= 0.0 {
            let (mut lo, mut hi) = (0.0, 1.0);
            for _ in 0..30 {
                let m = 0.5 * (lo + hi);
                if slack(&lerp(a, b, m)) >= 0.0 {
                    hi = m;
                } else {
                    lo = m;
                }
            }
            let at = lerp(a, b, hi);
            return Some(Intercept {
                time_to_intercept_s: at.t - t0,
                at,
                distance_m: from.distance_m(&at.pos),
            });
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::view::EmergencyStatus;
    use vigil_core::UnixTime;

    fn view(lat: f64, lon: f64, ve: f64, vn: f64) -> TrackView {
        TrackView {
            id: 1,
            time: UnixTime(1_000.0),
            pos: LatLon::new(lat, lon),
            alt_ft: Some(30_000.0),
            vel_en: [ve, vn],
            vrate_fpm: 0.0,
            icao: None,
            callsign: None,
            squawk: None,
            emergency: EmergencyStatus::None,
            transponder_lost: false,
            confirmed: true,
            military: false,
        }
    }

    #[test]
    fn straight_path_covers_speed_times_time() {
        let v = view(52.0, 20.0, 0.0, 200.0);
        let p = predict_path(&v, 0.0, &PredictionSettings::default());
        assert_eq!(p.len(), 181);
        let end = p.last().unwrap();
        assert!((end.t - 2_800.0).abs() < 1e-9);
        let d = v.pos.distance_m(&end.pos);
        assert!((d - 360_000.0).abs() < 360.0, "{d}");
        assert!(
            (end.pos.lon - 20.0).abs() < 1e-9,
            "due north stays on the meridian"
        );
    }

    #[test]
    fn a_turn_is_followed_for_its_limit_then_straight() {
        let v = view(52.0, 20.0, 200.0, 0.0); // east
        let s = PredictionSettings::default();
        let p = predict_path(&v, 3.0, &s); // 3°/s right for 60 s = 180°, capped at 90°
        // After the cap the course is south: later points move south along a meridian-ish.
        let a = p[10].pos;
        let b = p[20].pos;
        assert!(
            b.lat < a.lat - 0.1,
            "heading south after the turn: {a:?} -> {b:?}"
        );
        assert!((b.lon - a.lon).abs() < 0.02);
    }

    #[test]
    fn reach_and_intercept() {
        let v = view(52.0, 20.0, 0.0, 200.0);
        let p = predict_path(&v, 0.0, &PredictionSettings::default());
        let city = destination(v.pos, 0.0, 100_000.0);
        let r = time_to_reach(&p, city, 10_000.0).unwrap();
        assert!((r.t - 1_000.0 - 450.0).abs() < 1.0, "{}", r.t);
        // A fighter 100 km east, twice as fast: meets the target where distances balance.
        let f = destination(v.pos, 90.0, 100_000.0);
        let i = intercept(f, 400.0, &p).unwrap();
        let flown_target = 200.0 * i.time_to_intercept_s;
        let d = f.distance_m(&i.at.pos);
        assert!((d - 400.0 * i.time_to_intercept_s).abs() < 50.0);
        // Right triangle: 100² + (200 t)² = (400 t)² → t = 100 km / √(400² − 200²).
        let want = 100_000.0 / (400.0_f64.powi(2) - 200.0_f64.powi(2)).sqrt();
        assert!(
            (i.time_to_intercept_s - want).abs() < 2.0,
            "{} vs {want}",
            i.time_to_intercept_s
        );
        assert!(flown_target > 0.0);
        // Too slow to catch it: no solution within the horizon.
        assert!(intercept(destination(v.pos, 180.0, 50_000.0), 150.0, &p).is_none());
    }
}
