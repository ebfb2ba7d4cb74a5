//! Kinematics: a deterministic 1 Hz point-mass integrator on the sphere and the guidance
//! laws that command it (route following with fly-by turns, approach and landing, orbits,
//! lead pursuit, formation escort).
//!
//! The model is deliberately simple: no wind (speed is ground speed), no vertical
//! acceleration, turns at the rate the bank limit allows at the current speed (capped by a
//! type-specific maximum), speed and altitude changes at constant rates. Each step moves along
//! the great circle leaving the current position on the mean of the old and new course, then
//! carries the course along that great circle, so a straight leg is a true great circle.
//! Every function is a pure function of its arguments: the same inputs give the same
//! trajectory bit for bit.

use vigil_core::LatLon;

use crate::geo::{
    M_PER_FT, M_PER_NM, MPS_PER_KT, bearing_deg, destination, enu_offset, wrap180, wrap360,
};

/// Standard gravity, m/s².
const G: f64 = 9.806_65;

/// A waypoint counts as reached within this distance, metres.
pub const CAPTURE_M: f64 = 2_000.0;

/// Glide path angle of the final approach, degrees.
pub const GLIDE_DEG: f64 = 3.0;

/// Length of the final approach (where the 3° path starts), nautical miles.
pub const FINAL_NM: f64 = 10.0;

/// Descent planning gradient before the final approach (the 3:1 rule), feet per nautical
/// mile.
const DESCENT_FT_PER_NM: f64 = 300.0;

/// Civil aircraft fly at most this speed below [`SPEED_LIMIT_ALT_FT`] (ICAO airspace
/// classes C-G; the usual European rule).
const SPEED_LIMIT_KT: f64 = 250.0;
const SPEED_LIMIT_ALT_FT: f64 = 10_000.0;

/// The performance envelope the integrator respects.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Performance {
    /// Turn rate cap, degrees per second.
    pub max_turn_deg_s: f64,
    /// Bank angle limit, degrees: at speed `v` the turn rate is at most `g tan(bank) / v`.
    pub max_bank_deg: f64,
    /// Speed change rate, knots per second.
    pub accel_kt_s: f64,
    /// Climb rate, feet per minute.
    pub climb_fpm: f64,
    /// Descent rate, feet per minute.
    pub descent_fpm: f64,
    /// Speed at lift-off, knots.
    pub takeoff_kt: f64,
    /// Speed flown on the way to the final approach, knots.
    pub approach_kt: f64,
    /// Speed flown in a holding orbit, knots.
    pub hold_kt: f64,
    /// Speed on the final approach, knots.
    pub final_kt: f64,
    /// Slowest speed flown in the air, knots.
    pub min_kt: f64,
    /// Keep to 250 kt below 10,000 ft (civil traffic).
    pub speed_limit_below_fl100: bool,
}

impl Performance {
    /// A jet airliner: standard rate (3°/s) at most, 25° bank, 1 kt/s, 2,000 ft/min.
    pub const AIRLINER: Performance = Performance {
        max_turn_deg_s: 3.0,
        max_bank_deg: 25.0,
        accel_kt_s: 1.0,
        climb_fpm: 2_000.0,
        descent_fpm: 2_000.0,
        takeoff_kt: 150.0,
        approach_kt: 250.0,
        hold_kt: 220.0,
        final_kt: 140.0,
        min_kt: 130.0,
        speed_limit_below_fl100: true,
    };

    /// A fighter: up to 8°/s (bank 80°, about 6 g), 10 kt/s, 10,000 ft/min.
    pub const FIGHTER: Performance = Performance {
        max_turn_deg_s: 8.0,
        max_bank_deg: 80.0,
        accel_kt_s: 10.0,
        climb_fpm: 10_000.0,
        descent_fpm: 10_000.0,
        takeoff_kt: 170.0,
        approach_kt: 300.0,
        hold_kt: 300.0,
        final_kt: 160.0,
        min_kt: 140.0,
        speed_limit_below_fl100: false,
    };

    /// The turn rate available at `speed_kt`, degrees per second.
    pub fn turn_rate_deg_s(&self, speed_kt: f64) -> f64 {
        let v = (speed_kt * MPS_PER_KT).max(1.0);
        let bank_limited = (G * self.max_bank_deg.to_radians().tan() / v).to_degrees();
        bank_limited.min(self.max_turn_deg_s)
    }

    /// Turn radius at `speed_kt` and the available rate, metres.
    pub fn turn_radius_m(&self, speed_kt: f64) -> f64 {
        speed_kt * MPS_PER_KT / self.turn_rate_deg_s(speed_kt).to_radians()
    }
}

/// The aircraft's state at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct State {
    /// Position.
    pub pos: LatLon,
    /// Altitude, feet (taken as height above the ellipsoid in the truth).
    pub alt_ft: f64,
    /// Course over ground, degrees true.
    pub course_deg: f64,
    /// Ground speed, knots.
    pub speed_kt: f64,
    /// Vertical rate, feet per minute.
    pub vs_fpm: f64,
}

impl State {
    /// East, north, up velocity, metres per second.
    pub fn velocity_enu(&self) -> [f64; 3] {
        let v = self.speed_kt * MPS_PER_KT;
        let (s, c) = self.course_deg.to_radians().sin_cos();
        [v * s, v * c, self.vs_fpm * M_PER_FT / 60.0]
    }
}

/// Which way to turn toward the commanded course.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Turn {
    /// The shorter way.
    #[default]
    Shortest,
    /// Always right (clockwise), e.g. in a holding orbit.
    Right,
}

/// What the guidance asks of the integrator for the next step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Command {
    /// Course, degrees true.
    pub course_deg: f64,
    /// Ground speed, knots.
    pub speed_kt: f64,
    /// Altitude, feet.
    pub alt_ft: f64,
    /// Turn direction.
    pub turn: Turn,
}

/// Integrates one step of `dt` seconds toward `cmd` within `perf`.
pub fn step(s: &State, cmd: &Command, perf: &Performance, dt: f64) -> State {
    let rate = perf.turn_rate_deg_s(s.speed_kt) * dt;
    let want = match cmd.turn {
        Turn::Shortest => wrap180(cmd.course_deg - s.course_deg),
        Turn::Right => wrap360(cmd.course_deg - s.course_deg),
    };
    let turn = want.clamp(-rate, rate);
    let dv = (cmd.speed_kt - s.speed_kt).clamp(-perf.accel_kt_s * dt, perf.accel_kt_s * dt);
    let speed = s.speed_kt + dv;
    let vs_fpm = ((cmd.alt_ft - s.alt_ft) / dt * 60.0).clamp(-perf.descent_fpm, perf.climb_fpm);
    let mid_course = wrap360(s.course_deg + turn / 2.0);
    let dist = 0.5 * (s.speed_kt + speed) * MPS_PER_KT * dt;
    let (pos, arrive) = destination(s.pos, mid_course, dist);
    // The great circle's bearing drifts along the step; carry the course with it.
    let drift = wrap180(arrive - mid_course);
    State {
        pos,
        alt_ft: s.alt_ft + vs_fpm * dt / 60.0,
        course_deg: wrap360(s.course_deg + turn + drift),
        speed_kt: speed,
        vs_fpm,
    }
}

/// Applies the civil speed limit below FL100.
fn limited_speed(perf: &Performance, alt_ft: f64, kt: f64) -> f64 {
    if perf.speed_limit_below_fl100 && alt_ft < SPEED_LIMIT_ALT_FT {
        kt.min(SPEED_LIMIT_KT)
    } else {
        kt
    }
}

/// Whether `target` lies ahead of the aircraft (within 90° of its course).
fn is_ahead(s: &State, target: LatLon) -> bool {
    wrap180(bearing_deg(s.pos, target) - s.course_deg).abs() < 90.0
}

/// One point of a route.
#[derive(Debug, Clone, PartialEq)]
pub struct Waypoint {
    /// Name for messages (aerodrome id, or the coordinates).
    pub name: String,
    /// Position.
    pub pos: LatLon,
    /// Fly the leg to this point at this altitude (and keep it after), feet.
    pub alt_ft: Option<f64>,
    /// Fly the leg to this point at this speed (and keep it after), knots.
    pub speed_kt: Option<f64>,
    /// The point is an aerodrome at this elevation (feet): when it ends the route the
    /// aircraft lands there.
    pub aerodrome_elevation_ft: Option<f64>,
}

/// Phases of an approach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApproachPhase {
    /// Flying to the initial approach fix, descending on a 3:1 profile.
    ToFix,
    /// Too high at the fix: orbiting right, descending, until on the glide path.
    Hold,
    /// On the 3° final approach to the threshold.
    Final,
    /// On the ground: the aircraft leaves the picture.
    Landed,
}

/// An approach to an aerodrome: to a fix [`FINAL_NM`] out on the side the aircraft comes
/// from, an orbit there while too high, then the 3° path to the threshold (taken as the
/// aerodrome reference point: scenarios carry no runway data).
#[derive(Debug, Clone, PartialEq)]
pub struct Approach {
    /// Threshold (aerodrome reference point).
    pub threshold: LatLon,
    /// Aerodrome elevation, feet.
    pub elevation_ft: f64,
    /// Initial approach fix.
    pub fix: LatLon,
    /// Current phase.
    pub phase: ApproachPhase,
    fix_ahead: bool,
}

impl Approach {
    /// An approach for an aircraft at `from`.
    pub fn new(threshold: LatLon, elevation_ft: f64, from: &State) -> Self {
        let brg = if threshold.distance_m(&from.pos) < 1.0 {
            wrap360(from.course_deg + 180.0)
        } else {
            bearing_deg(threshold, from.pos)
        };
        let (fix, _) = destination(threshold, brg, FINAL_NM * M_PER_NM);
        Approach {
            threshold,
            elevation_ft,
            fix,
            phase: ApproachPhase::ToFix,
            fix_ahead: is_ahead(from, fix),
        }
    }

    /// Altitude of the 3° path at `dist_m` from the threshold, feet.
    pub fn glide_alt_ft(&self, dist_m: f64) -> f64 {
        self.elevation_ft + dist_m.max(0.0) * GLIDE_DEG.to_radians().tan() / M_PER_FT
    }

    /// The next command, or `None` once on the ground.
    pub fn command(
        &mut self,
        s: &State,
        perf: &Performance,
        cruise_alt_ft: f64,
        cruise_kt: f64,
    ) -> Option<Command> {
        let fix_alt = self.glide_alt_ft(FINAL_NM * M_PER_NM);
        if self.phase == ApproachPhase::ToFix {
            let d = s.pos.distance_m(&self.fix);
            let ahead = is_ahead(s, self.fix);
            if d < CAPTURE_M || (self.fix_ahead && !ahead && d < 4.0 * CAPTURE_M) {
                let d_thr = s.pos.distance_m(&self.threshold);
                self.phase = if s.alt_ft > self.glide_alt_ft(d_thr) + 300.0 {
                    ApproachPhase::Hold
                } else {
                    ApproachPhase::Final
                };
            } else {
                self.fix_ahead = ahead;
                let profile = fix_alt + d / M_PER_NM * DESCENT_FT_PER_NM;
                let alt = profile.min(cruise_alt_ft.max(fix_alt));
                let near = d < 15.0 * M_PER_NM || s.alt_ft < SPEED_LIMIT_ALT_FT;
                let kt = if near {
                    perf.approach_kt.min(cruise_kt)
                } else {
                    cruise_kt
                };
                return Some(Command {
                    course_deg: bearing_deg(s.pos, self.fix),
                    speed_kt: limited_speed(perf, s.alt_ft, kt),
                    alt_ft: alt,
                    turn: Turn::Shortest,
                });
            }
        }
        let d_thr = s.pos.distance_m(&self.threshold);
        let to_thr = bearing_deg(s.pos, self.threshold);
        if self.phase == ApproachPhase::Hold {
            let inbound = wrap180(to_thr - s.course_deg).abs() < 20.0;
            if inbound && s.alt_ft <= self.glide_alt_ft(d_thr) + 300.0 {
                self.phase = ApproachPhase::Final;
            } else {
                return Some(Command {
                    course_deg: wrap360(s.course_deg + 170.0),
                    speed_kt: perf.hold_kt,
                    alt_ft: fix_alt - 300.0,
                    turn: Turn::Right,
                });
            }
        }
        if self.phase == ApproachPhase::Final {
            let ahead = wrap180(to_thr - s.course_deg).abs() < 90.0;
            if d_thr < 200.0 || (!ahead && d_thr < 3_000.0) {
                self.phase = ApproachPhase::Landed;
                return None;
            }
            let next_d = d_thr - s.speed_kt * MPS_PER_KT;
            return Some(Command {
                course_deg: to_thr,
                speed_kt: perf.final_kt,
                alt_ft: self.glide_alt_ft(next_d),
                turn: Turn::Shortest,
            });
        }
        None
    }
}

/// Follows a route of waypoints with fly-by turns, then lands when the route ends at an
/// aerodrome (or flies straight on when it does not).
#[derive(Debug, Clone, PartialEq)]
pub struct Navigator {
    route: Vec<Waypoint>,
    next: usize,
    next_ahead: Option<bool>,
    applied: Option<usize>,
    approach: Option<Approach>,
    /// Cruise altitude, feet (waypoint altitudes replace it).
    pub cruise_alt_ft: f64,
    /// Cruise speed, knots (waypoint speeds replace it).
    pub cruise_kt: f64,
}

impl Navigator {
    /// A navigator for `route` at the given cruise altitude and speed.
    pub fn new(route: Vec<Waypoint>, cruise_alt_ft: f64, cruise_kt: f64) -> Self {
        Navigator {
            route,
            next: 0,
            next_ahead: None,
            applied: None,
            approach: None,
            cruise_alt_ft,
            cruise_kt,
        }
    }

    /// Replaces the rest of the route (a deviation); cancels an approach in progress.
    pub fn replace_route(&mut self, route: Vec<Waypoint>) {
        self.route = route;
        self.next = 0;
        self.next_ahead = None;
        self.applied = None;
        self.approach = None;
    }

    /// Starts an approach to an aerodrome now, whatever the route.
    pub fn land_at(&mut self, threshold: LatLon, elevation_ft: f64, s: &State) {
        self.route.clear();
        self.next = 0;
        self.approach = Some(Approach::new(threshold, elevation_ft, s));
    }

    /// The waypoint being flown to.
    pub fn active(&self) -> Option<&Waypoint> {
        self.route.get(self.next)
    }

    /// The approach in progress.
    pub fn approach(&self) -> Option<&Approach> {
        self.approach.as_ref()
    }

    /// The next command, or `None` once landed.
    pub fn command(&mut self, s: &State, perf: &Performance) -> Option<Command> {
        loop {
            if let Some(a) = self.approach.as_mut() {
                return a.command(s, perf, self.cruise_alt_ft, self.cruise_kt);
            }
            let Some(wp) = self.route.get(self.next).cloned() else {
                // Route flown: straight on.
                return Some(Command {
                    course_deg: s.course_deg,
                    speed_kt: limited_speed(perf, s.alt_ft, self.cruise_kt),
                    alt_ft: self.cruise_alt_ft,
                    turn: Turn::Shortest,
                });
            };
            // A waypoint's altitude and speed apply once, when its leg starts, so a later
            // clearance (an event) can still change them.
            if self.applied != Some(self.next) {
                self.applied = Some(self.next);
                if let Some(a) = wp.alt_ft {
                    self.cruise_alt_ft = a;
                }
                if let Some(v) = wp.speed_kt {
                    self.cruise_kt = v;
                }
            }
            let last = self.next + 1 == self.route.len();
            if let (true, Some(elev)) = (last, wp.aerodrome_elevation_ft) {
                self.approach = Some(Approach::new(wp.pos, elev, s));
                continue;
            }
            if self.captured(s, &wp, perf) {
                self.next += 1;
                self.next_ahead = None;
                continue;
            }
            return Some(Command {
                course_deg: bearing_deg(s.pos, wp.pos),
                speed_kt: limited_speed(perf, s.alt_ft, self.cruise_kt),
                alt_ft: self.cruise_alt_ft,
                turn: Turn::Shortest,
            });
        }
    }

    /// Whether the active waypoint `wp` is reached: within [`CAPTURE_M`], within the
    /// fly-by turn anticipation distance, or passed abeam (it was ahead and now is behind,
    /// close enough that this is overflying it rather than turning round).
    fn captured(&mut self, s: &State, wp: &Waypoint, perf: &Performance) -> bool {
        let d = s.pos.distance_m(&wp.pos);
        let ahead = is_ahead(s, wp.pos);
        let was_ahead = self.next_ahead.replace(ahead);
        let radius = perf.turn_radius_m(s.speed_kt);
        // Fly-by: start the turn onto the next leg one turn radius times tan(half the
        // course change) before the point, capped at 15 km.
        let lead = match self.route.get(self.next + 1) {
            Some(n) => {
                let change = wrap180(bearing_deg(wp.pos, n.pos) - bearing_deg(s.pos, wp.pos)).abs();
                (radius * (change.to_radians() / 2.0).tan()).min(15_000.0)
            }
            None => 0.0,
        };
        d < CAPTURE_M.max(lead) || (was_ahead == Some(true) && !ahead && d < 2.0 * radius + 5_000.0)
    }
}

/// A clockwise orbit of `radius_m` round `centre` (a combat air patrol).
pub fn orbit_command(s: &State, centre: LatLon, radius_m: f64, alt_ft: f64, kt: f64) -> Command {
    let d = s.pos.distance_m(&centre);
    let course = if d > radius_m * 2.0 {
        bearing_deg(s.pos, centre)
    } else {
        let from_centre = bearing_deg(centre, s.pos);
        // Tangent (clockwise), turned inward when outside the circle and outward inside.
        let err = ((d - radius_m) / radius_m).clamp(-1.0, 1.0) * 60.0;
        wrap360(from_centre + 90.0 + err)
    };
    Command {
        course_deg: course,
        speed_kt: kt,
        alt_ft,
        turn: Turn::Shortest,
    }
}

/// What a fighter knows of the aircraft it intercepts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetState {
    /// Position.
    pub pos: LatLon,
    /// Altitude, feet.
    pub alt_ft: f64,
    /// Course, degrees true.
    pub course_deg: f64,
    /// Ground speed, knots.
    pub speed_kt: f64,
}

/// The escort station: `offset_m` abeam the target, on its left for a negative `side`
/// (-1.0) and right for +1.0.
pub fn station(t: &TargetState, side: f64, offset_m: f64) -> LatLon {
    destination(t.pos, wrap360(t.course_deg + side * 90.0), offset_m).0
}

/// Lead pursuit of the escort station at `max_kt`: aims where the station will be when the
/// fighter gets there (time to go capped at two minutes), so a head-on start passes the
/// target abeam and turns in behind it rather than aiming at it.
pub fn pursuit_command(
    s: &State,
    t: &TargetState,
    side: f64,
    offset_m: f64,
    max_kt: f64,
    alt_ft: f64,
) -> Command {
    let st = station(t, side, offset_m);
    let range = s.pos.distance_m(&st);
    let t_go = (range / (max_kt * MPS_PER_KT).max(1.0)).min(120.0);
    let (aim, _) = destination(st, t.course_deg, t.speed_kt * MPS_PER_KT * t_go);
    // Close fast but not so fast that the join overshoots.
    let kt = (t.speed_kt + range / M_PER_NM * 20.0 + 40.0).min(max_kt);
    Command {
        course_deg: bearing_deg(s.pos, aim),
        speed_kt: kt,
        alt_ft,
        turn: Turn::Shortest,
    }
}

/// Where the escort station is from the fighter, in the target's frame: metres along the
/// target's course (positive: the station is ahead of the fighter) and across it (positive:
/// the station is to the right).
pub fn formation_error(s: &State, t: &TargetState, side: f64, offset_m: f64) -> (f64, f64) {
    let st = station(t, side, offset_m);
    let (e, n) = enu_offset(s.pos, st);
    let (su, cu) = t.course_deg.to_radians().sin_cos();
    (e * su + n * cu, e * cu - n * su)
}

/// Formation keeping on the escort station: course is the target's, corrected toward the
/// station across track (look-ahead of 1.5 km), speed the target's, corrected along track
/// (0.05 per second of the along-track error).
pub fn escort_command(
    s: &State,
    t: &TargetState,
    side: f64,
    offset_m: f64,
    max_kt: f64,
    min_kt: f64,
    alt_ft: f64,
) -> Command {
    let (along, across) = formation_error(s, t, side, offset_m);
    let correction = across.atan2(1_500.0).to_degrees().clamp(-60.0, 60.0);
    let kt = (t.speed_kt + along * 0.05 / MPS_PER_KT).clamp(min_kt, max_kt);
    Command {
        course_deg: wrap360(t.course_deg + correction),
        speed_kt: kt,
        alt_ft,
        turn: Turn::Shortest,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn level(lat: f64, lon: f64, course: f64, kt: f64, alt: f64) -> State {
        State {
            pos: LatLon::new(lat, lon),
            alt_ft: alt,
            course_deg: course,
            speed_kt: kt,
            vs_fpm: 0.0,
        }
    }

    /// Runs `n` steps of a navigator and returns the states.
    fn fly(mut s: State, nav: &mut Navigator, perf: &Performance, n: usize) -> Vec<State> {
        let mut out = vec![s];
        for _ in 0..n {
            let Some(c) = nav.command(&s, perf) else {
                break;
            };
            s = step(&s, &c, perf, 1.0);
            out.push(s);
        }
        out
    }

    fn wp(lat: f64, lon: f64) -> Waypoint {
        Waypoint {
            name: format!("{lat},{lon}"),
            pos: LatLon::new(lat, lon),
            alt_ft: None,
            speed_kt: None,
            aerodrome_elevation_ft: None,
        }
    }

    #[test]
    fn turn_rate_is_bank_limited_and_capped() {
        let a = Performance::AIRLINER;
        // 450 kt at 25° bank: about 1.1°/s; 140 kt: the 3°/s cap.
        assert!((a.turn_rate_deg_s(450.0) - 1.14).abs() < 0.02);
        assert_eq!(a.turn_rate_deg_s(140.0), 3.0);
        assert_eq!(Performance::FIGHTER.turn_rate_deg_s(450.0), 8.0);
    }

    #[test]
    fn a_reversal_respects_the_turn_rate() {
        for (perf, kt) in [
            (Performance::AIRLINER, 300.0),
            (Performance::FIGHTER, 500.0),
        ] {
            let mut s = level(54.0, 19.0, 0.0, kt, 30_000.0);
            let cmd = Command {
                course_deg: 180.0,
                speed_kt: kt,
                alt_ft: 30_000.0,
                turn: Turn::Shortest,
            };
            let limit = perf.turn_rate_deg_s(kt);
            let mut turned = 0.0;
            for _ in 0..200 {
                let n = step(&s, &cmd, &perf, 1.0);
                let d = wrap180(n.course_deg - s.course_deg).abs();
                // The great-circle drift adds a few thousandths of a degree.
                assert!(d <= limit + 0.01, "turned {d}°/s, limit {limit}");
                turned += d;
                s = n;
            }
            assert!(turned >= 179.9, "reversal incomplete: {turned}");
            assert!(wrap180(s.course_deg - 180.0).abs() < 0.05);
        }
    }

    #[test]
    fn climb_and_speed_rates_are_respected() {
        let perf = Performance::AIRLINER;
        let mut s = level(50.0, 20.0, 0.0, 250.0, 1_000.0);
        let cmd = Command {
            course_deg: 0.0,
            speed_kt: 450.0,
            alt_ft: 33_000.0,
            turn: Turn::Shortest,
        };
        for _ in 0..600 {
            let n = step(&s, &cmd, &perf, 1.0);
            assert!(n.alt_ft - s.alt_ft <= 2_000.0 / 60.0 + 1e-9);
            assert!(n.speed_kt - s.speed_kt <= 1.0 + 1e-9);
            s = n;
        }
        // Ten minutes at 2,000 ft/min and 1 kt/s.
        assert!((s.alt_ft - 21_000.0).abs() < 1e-6);
        assert!((s.speed_kt - 450.0).abs() < 1e-9);
        // Level off exactly.
        for _ in 0..600 {
            s = step(&s, &cmd, &perf, 1.0);
        }
        assert_eq!(s.alt_ft, 33_000.0);
        assert_eq!(s.vs_fpm, 0.0);
    }

    #[test]
    fn straight_flight_is_a_great_circle_at_the_right_speed() {
        let perf = Performance::AIRLINER;
        let start = level(50.0, 19.0, 45.0, 360.0, 30_000.0);
        let mut s = start;
        let cmd_course = |s: &State| Command {
            course_deg: s.course_deg,
            speed_kt: 360.0,
            alt_ft: 30_000.0,
            turn: Turn::Shortest,
        };
        for _ in 0..600 {
            s = step(&s, &cmd_course(&s), &perf, 1.0);
        }
        // 600 s at 360 kt = 60 NM, on the initial great circle.
        let d = start.pos.distance_m(&s.pos);
        assert!((d - 60.0 * M_PER_NM).abs() < 1.0, "{d}");
        assert!(wrap180(bearing_deg(start.pos, s.pos) - 45.0).abs() < 1e-3);
    }

    #[test]
    fn waypoints_are_captured_in_order() {
        let perf = Performance::AIRLINER;
        let route = vec![wp(51.0, 20.0), wp(51.5, 21.0), wp(52.0, 20.0)];
        let mut nav = Navigator::new(route.clone(), 30_000.0, 420.0);
        let s = level(50.5, 19.5, 0.0, 420.0, 30_000.0);
        let mut closest = [f64::MAX; 3];
        let mut order = Vec::new();
        let mut st = s;
        for _ in 0..3_000 {
            let before = nav.next;
            let Some(c) = nav.command(&st, &perf) else {
                break;
            };
            if nav.next != before {
                order.push(nav.next);
            }
            st = step(&st, &c, &perf, 1.0);
            for (k, w) in route.iter().enumerate() {
                closest[k] = closest[k].min(st.pos.distance_m(&w.pos));
            }
        }
        assert_eq!(order, vec![1, 2, 3]);
        // Fly-by turns cut the corners, by less than the anticipation cap.
        for (k, c) in closest.iter().enumerate() {
            assert!(*c < 15_000.0, "waypoint {k} missed by {c} m");
        }
        // The last one (no turn after it) is overflown within the capture radius.
        assert!(closest[2] < CAPTURE_M + 300.0);
    }

    #[test]
    fn a_waypoint_behind_is_turned_to_not_skipped() {
        let perf = Performance::AIRLINER;
        let mut nav = Navigator::new(vec![wp(53.5, 20.0)], 30_000.0, 400.0);
        let s = level(54.0, 20.0, 0.0, 400.0, 30_000.0);
        let states = fly(s, &mut nav, &perf, 1_500);
        let min = states
            .iter()
            .map(|x| x.pos.distance_m(&LatLon::new(53.5, 20.0)))
            .fold(f64::MAX, f64::min);
        assert!(min < CAPTURE_M, "never reached: {min}");
    }

    #[test]
    fn landing_ends_on_the_threshold_at_ground_level() {
        for perf in [Performance::AIRLINER, Performance::FIGHTER] {
            let thr = LatLon::new(54.0269, 19.1342);
            let mut nav = Navigator::new(vec![], 33_000.0, 450.0);
            // 40 NM out at FL330: far too high, so it has to hold.
            let s = level(54.6, 19.5, 200.0, 450.0, 33_000.0);
            nav.land_at(thr, 16.0, &s);
            let states = fly(s, &mut nav, &perf, 4_000);
            assert_eq!(
                nav.approach().map(|a| a.phase),
                Some(ApproachPhase::Landed),
                "did not land"
            );
            let last = states.last().unwrap();
            assert!(last.pos.distance_m(&thr) < 300.0);
            assert!(last.alt_ft - 16.0 < 50.0, "{}", last.alt_ft);
            // On the last 10 NM the aircraft is on the 3° path (within 150 ft).
            let a = nav.approach().unwrap();
            for x in &states {
                let d = x.pos.distance_m(&thr);
                if d < 9.0 * M_PER_NM
                    && wrap180(bearing_deg(x.pos, thr) - x.course_deg).abs() < 30.0
                {
                    assert!(x.alt_ft <= a.glide_alt_ft(d) + 150.0, "high on final");
                }
            }
        }
    }

    #[test]
    fn escort_converges_on_the_station_and_holds_it() {
        let perf = Performance::FIGHTER;
        let mut tgt = level(53.0, 20.0, 30.0, 420.0, 30_000.0);
        let mut f = level(52.9, 19.9, 90.0, 550.0, 25_000.0);
        let tperf = Performance::AIRLINER;
        let mut joined_at = None;
        for k in 0..1_800 {
            // The target turns left by 90° half way.
            let tc = if k < 900 { 30.0 } else { 300.0 };
            let ts = TargetState {
                pos: tgt.pos,
                alt_ft: tgt.alt_ft,
                course_deg: tgt.course_deg,
                speed_kt: tgt.speed_kt,
            };
            let range = f.pos.distance_m(&tgt.pos);
            if joined_at.is_none()
                && range < CAPTURE_M
                && wrap180(f.course_deg - tgt.course_deg).abs() < 45.0
            {
                joined_at = Some(k);
            }
            let c = if joined_at.is_some() {
                escort_command(&f, &ts, -1.0, 1_000.0, 600.0, perf.min_kt, ts.alt_ft)
            } else {
                pursuit_command(&f, &ts, -1.0, 1_000.0, 600.0, ts.alt_ft)
            };
            f = step(&f, &c, &perf, 1.0);
            let tc = Command {
                course_deg: tc,
                speed_kt: 420.0,
                alt_ft: 30_000.0,
                turn: Turn::Shortest,
            };
            tgt = step(&tgt, &tc, &tperf, 1.0);
            if let Some(j) = joined_at
                && k > j
            {
                let d = f.pos.distance_m(&tgt.pos);
                assert!(d < 3_000.0, "lost the target at {k}: {d} m");
            }
        }
        assert!(joined_at.is_some_and(|j| j < 600), "{joined_at:?}");
        let ts = TargetState {
            pos: tgt.pos,
            alt_ft: tgt.alt_ft,
            course_deg: tgt.course_deg,
            speed_kt: tgt.speed_kt,
        };
        assert!(f.pos.distance_m(&station(&ts, -1.0, 1_000.0)) < 300.0);
    }
}
