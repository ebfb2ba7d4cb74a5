//! The flight of a ballistic missile: a staged boost with a pitch programme, burnout, the
//! separation of the re-entry vehicle (RV), the spent stages and debris, and each object's
//! coast and re-entry with drag, until it reaches the ellipsoid.
//!
//! Every object is integrated in ECEF with [`Dynamics::EARTH`] (J2 gravity, Coriolis and
//! centrifugal terms, USSA-76 atmosphere) by the adaptive integrator, and sampled on a regular
//! grid (1 s by default) with positions, velocities and accelerations, so
//! [`Trajectory::state_at`] interpolates by cubic Hermite between samples. Heights are above
//! the ellipsoid; terrain is not modelled.
//!
//! [`aim`] finds the azimuth and the final thrust elevation of the pitch programme that put the
//! RV on a target point (on the lofted side of the range curve, like a minimum-energy shot).

use nalgebra::{Vector3, Vector6};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use vigil_core::{Geodetic, LatLon};

use crate::earth::{self, Dynamics, G0};
use crate::integrate::{Dopri5, IntegrateError, Tolerances, hermite};

/// Height below which a descending object is in re-entry, metres.
pub const REENTRY_HEIGHT_M: f64 = 100_000.0;
/// Longest flight simulated for one object, seconds (a 12,000 km flight takes about 2,200 s).
pub const MAX_FLIGHT_S: f64 = 4.0 * 3600.0;

/// A flight failure.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum FlightError {
    /// The missile description is not physical.
    #[error("invalid missile {name}: {reason}")]
    InvalidMissile {
        /// Missile type name.
        name: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The integrator failed.
    #[error("integration: {0}")]
    Integrate(#[from] IntegrateError),
    /// An object did not come down within [`MAX_FLIGHT_S`].
    #[error("no impact within {MAX_FLIGHT_S} s")]
    NoImpact,
    /// The aim solver did not converge to the tolerance.
    #[error("aim missed the target by {miss_m:.0} m")]
    AimFailed {
        /// Best miss distance, metres.
        miss_m: f64,
    },
    /// The target is beyond the missile's reach (or too close for the lofted branch).
    #[error("target at {range_km:.0} km out of reach ({min_km:.0} to {max_km:.0} km)")]
    OutOfReach {
        /// Ground range to the target, km.
        range_km: f64,
        /// Shortest range on the lofted branch, km.
        min_km: f64,
        /// Longest range, km.
        max_km: f64,
    },
}

/// One stage of a missile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// Vacuum-equivalent thrust, newtons (constant over the burn).
    pub thrust_n: f64,
    /// Burn time, seconds (constant mass flow `propellant_kg / burn_time_s`).
    pub burn_time_s: f64,
    /// Propellant mass, kg.
    pub propellant_kg: f64,
    /// Dry (empty) mass, kg: what falls back as the spent stage.
    pub dry_kg: f64,
    /// Ballistic coefficient of the spent stage, kg/m^2 (tumbling tanks: low, 200 to 1,000).
    pub beta_kg_m2: f64,
}

impl Stage {
    /// Mass flow, kg/s.
    pub fn mass_flow(&self) -> f64 {
        self.propellant_kg / self.burn_time_s
    }
    /// Specific impulse, seconds.
    pub fn isp_s(&self) -> f64 {
        self.thrust_n / (self.mass_flow() * G0)
    }
}

/// The pitch programme: the thrust's elevation above the local horizontal (geocentric) is 90
/// degrees for `vertical_s`, turns linearly to `final_elevation_deg` over `pitch_over_s`, then
/// holds until the last burnout. The thrust stays in the launch great-circle plane.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PitchProgram {
    /// Vertical rise, seconds after lift-off.
    pub vertical_s: f64,
    /// Duration of the pitch-over, seconds.
    pub pitch_over_s: f64,
    /// Thrust elevation held after the pitch-over, degrees (the aim solver sets it).
    pub final_elevation_deg: f64,
}

impl PitchProgram {
    /// Thrust elevation at `t` seconds after lift-off, radians.
    pub fn elevation_rad(&self, t: f64) -> f64 {
        let e = if t <= self.vertical_s {
            90.0
        } else if t >= self.vertical_s + self.pitch_over_s || self.pitch_over_s <= 0.0 {
            self.final_elevation_deg
        } else {
            let s = (t - self.vertical_s) / self.pitch_over_s;
            90.0 + s * (self.final_elevation_deg - 90.0)
        };
        e.to_radians()
    }
}

/// A group of debris pieces released at RV separation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DebrisSpec {
    /// Number of pieces.
    pub count: u32,
    /// Ballistic coefficient of each piece, kg/m^2.
    pub beta_kg_m2: f64,
    /// Separation speed of each piece relative to the RV, m/s (directions spread evenly).
    pub dv_m_s: f64,
}

/// A missile type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Missile {
    /// Type name (scenarios refer to it).
    pub name: String,
    /// Stages, first (lowest) first.
    pub stages: Vec<Stage>,
    /// Payload (the RV) mass, kg.
    pub payload_kg: f64,
    /// RV ballistic coefficient, kg/m^2.
    pub rv_beta_kg_m2: f64,
    /// Drag area `Cd * A` of the stack during boost, m^2.
    pub boost_cd_area_m2: f64,
    /// Pitch programme.
    pub pitch: PitchProgram,
    /// Retro speed of each spent stage at separation, m/s (so it falls behind the RV).
    #[serde(default = "default_separation_dv")]
    pub separation_dv_m_s: f64,
    /// Debris released with the RV.
    #[serde(default)]
    pub debris: Vec<DebrisSpec>,
}

fn default_separation_dv() -> f64 {
    2.0
}

impl Missile {
    /// Checks that the description is physical.
    pub fn validate(&self) -> Result<(), FlightError> {
        let bad = |reason| {
            Err(FlightError::InvalidMissile {
                name: self.name.clone(),
                reason,
            })
        };
        if self.stages.is_empty() {
            return bad("no stage");
        }
        for s in &self.stages {
            let ok = [
                s.thrust_n,
                s.burn_time_s,
                s.propellant_kg,
                s.dry_kg,
                s.beta_kg_m2,
            ]
            .iter()
            .all(|v| v.is_finite() && *v > 0.0);
            if !ok {
                return bad("stage values must be positive");
            }
        }
        if !(self.payload_kg > 0.0 && self.rv_beta_kg_m2 > 0.0 && self.boost_cd_area_m2 >= 0.0) {
            return bad("payload, RV beta must be positive, drag area non-negative");
        }
        if self
            .debris
            .iter()
            .any(|d| !(d.beta_kg_m2 > 0.0 && d.dv_m_s >= 0.0))
        {
            return bad("debris beta must be positive");
        }
        let p = &self.pitch;
        if !(p.vertical_s >= 0.0
            && p.pitch_over_s >= 0.0
            && (0.0..=90.0).contains(&p.final_elevation_deg))
        {
            return bad("pitch programme out of range");
        }
        let m0 = self.launch_mass_kg();
        // `stages` is not empty (checked above).
        if self.stages[0].thrust_n <= m0 * G0 {
            return bad("first stage thrust below launch weight");
        }
        Ok(())
    }

    /// Mass at lift-off, kg.
    pub fn launch_mass_kg(&self) -> f64 {
        self.payload_kg
            + self
                .stages
                .iter()
                .map(|s| s.propellant_kg + s.dry_kg)
                .sum::<f64>()
    }

    /// Total burn time, seconds.
    pub fn burn_time_s(&self) -> f64 {
        self.stages.iter().map(|s| s.burn_time_s).sum()
    }
}

/// Flight phase of an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Phase {
    /// Powered flight (the stack).
    Boost,
    /// Unpowered, above [`REENTRY_HEIGHT_M`] or still climbing.
    Coast,
    /// Unpowered, descending below [`REENTRY_HEIGHT_M`].
    Reentry,
}

/// What an object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ObjectKind {
    /// The re-entry vehicle (its trajectory includes the boost of the stack).
    Rv,
    /// A spent stage.
    Stage,
    /// A debris piece.
    Debris,
}

/// One sample of a trajectory (ECEF).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Time, s (the scenario's time scale).
    pub t: f64,
    /// Position, m.
    pub pos: Vector3<f64>,
    /// Velocity, m/s.
    pub vel: Vector3<f64>,
    /// Acceleration (including thrust in boost), m/s^2.
    pub acc: Vector3<f64>,
    /// Phase.
    pub phase: Phase,
}

/// A state at an instant (ECEF).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StateAt {
    /// Time, s.
    pub t: f64,
    /// Position, m.
    pub pos: Vector3<f64>,
    /// Velocity, m/s.
    pub vel: Vector3<f64>,
}

/// Where and when an object reached the surface.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Impact {
    /// Time, s.
    pub t: f64,
    /// Position, m (in the frame of the dynamics that flew it: ECEF for missiles).
    pub pos: Vector3<f64>,
    /// Velocity, m/s.
    pub vel: Vector3<f64>,
    /// The impact point (geodetic for WGS-84 dynamics).
    pub point: Geodetic,
}

/// The sampled trajectory of one object, from its release (lift-off for the RV) to impact.
#[derive(Debug, Clone, PartialEq)]
pub struct Trajectory {
    /// What the object is.
    pub kind: ObjectKind,
    /// Its ballistic coefficient after release, kg/m^2.
    pub beta_kg_m2: f64,
    /// Samples in time order: the first at release, then the grid, the last at impact. A
    /// time appears twice where the acceleration jumps (staging, burnout): the sample before
    /// the jump, then the one after.
    pub samples: Vec<Sample>,
    /// The impact.
    pub impact: Impact,
}

impl Trajectory {
    /// First sampled time, s.
    pub fn t_start(&self) -> f64 {
        self.samples.first().map_or(f64::NAN, |s| s.t)
    }
    /// Impact time, s.
    pub fn t_end(&self) -> f64 {
        self.impact.t
    }

    /// Position, velocity and phase at `t` by cubic Hermite interpolation of the samples
    /// (positions from velocities, velocities from accelerations); `None` outside the flight.
    pub fn state_at(&self, t: f64) -> Option<(Vector3<f64>, Vector3<f64>, Phase)> {
        let s = &self.samples;
        let first = s.first()?;
        let last = s.last()?;
        if !(t >= first.t && t <= last.t) {
            return None;
        }
        // Index of the last sample at or before t.
        let i = s.partition_point(|x| x.t <= t).saturating_sub(1);
        let a = &s[i];
        let Some(b) = s.get(i + 1) else {
            return Some((a.pos, a.vel, a.phase));
        };
        let pos = hermite(a.t, &a.pos, &a.vel, b.t, &b.pos, &b.vel, t);
        let vel = hermite(a.t, &a.vel, &a.acc, b.t, &b.vel, &b.acc, t);
        // The phase changes at a sample: take the later one's if past the middle.
        let phase = if b.phase == Phase::Boost || t - a.t < b.t - t {
            a.phase
        } else {
            b.phase
        };
        Some((pos, vel, phase))
    }

    /// Highest sampled height above the ellipsoid, metres, with its time.
    pub fn apogee(&self) -> (f64, f64) {
        self.samples
            .iter()
            .map(|s| (earth::geodetic_height_m(&s.pos), s.t))
            .fold(
                (f64::NEG_INFINITY, f64::NAN),
                |m, x| if x.0 > m.0 { x } else { m },
            )
    }
}

/// The whole flight of one missile.
#[derive(Debug, Clone, PartialEq)]
pub struct Flight {
    /// Missile type name.
    pub missile: String,
    /// Launch point.
    pub launch: Geodetic,
    /// Launch azimuth, degrees from north.
    pub azimuth_deg: f64,
    /// Lift-off time, s.
    pub t_launch: f64,
    /// The state at the last stage's burnout (RV separation).
    pub burnout: StateAt,
    /// Objects: the RV first, then the spent stages (lowest first), then the debris.
    pub objects: Vec<Trajectory>,
}

impl Flight {
    /// The RV's trajectory.
    pub fn rv(&self) -> &Trajectory {
        // Invariant: `simulate` always puts the RV first.
        &self.objects[0]
    }
}

/// Simulation settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlightOptions {
    /// Sample spacing, s.
    pub sample_dt: f64,
    /// Integrator tolerances.
    pub tol: Tolerances,
    /// Whether to fly the spent stages and debris (the aim solver needs only the RV).
    pub all_objects: bool,
}

impl Default for FlightOptions {
    fn default() -> Self {
        Self {
            sample_dt: 1.0,
            tol: Tolerances::default(),
            all_objects: true,
        }
    }
}

/// Integrates `f` from `(t0, y0)` until `t_end` or (with `impact`) until the height falls to
/// zero, appending samples on the grid `t_grid0 + k dt` (and at the end) to `out`. Returns the
/// final time, state and the impact if one happened.
#[allow(clippy::too_many_arguments)]
fn fly<F, H, P>(
    f: &mut F,
    height: &H,
    phase: &P,
    t0: f64,
    y0: Vector6<f64>,
    t_end: f64,
    t_grid0: f64,
    opts: &FlightOptions,
    impact: bool,
    out: &mut Vec<Sample>,
) -> Result<(f64, Vector6<f64>, Option<Impact>), FlightError>
where
    F: FnMut(f64, &Vector6<f64>) -> Vector6<f64>,
    H: Fn(&Vector3<f64>) -> f64,
    P: Fn(f64, &Vector6<f64>) -> Phase,
{
    let mut st = Dopri5::new(f, t0, y0, opts.tol);
    let push = |out: &mut Vec<Sample>, t: f64, y: &Vector6<f64>, dy: &Vector6<f64>| {
        // A sample at the time of the last one is kept only when the acceleration jumps there
        // (staging, burnout), so interpolation on each side uses that side's acceleration.
        if let Some(last) = out.last() {
            let jump = (last.acc - dy.fixed_rows::<3>(3)).norm() > 1e-6;
            if last.t > t || (last.t == t && !jump) {
                return;
            }
        }
        out.push(Sample {
            t,
            pos: y.fixed_rows::<3>(0).into_owned(),
            vel: y.fixed_rows::<3>(3).into_owned(),
            acc: dy.fixed_rows::<3>(3).into_owned(),
            phase: phase(t, y),
        });
    };
    push(out, t0, &y0, st.dy());
    let dt = opts.sample_dt;
    let mut h_prev = height(&y0.fixed_rows::<3>(0).into_owned());
    while st.t() < t_end {
        let k = ((st.t() - t_grid0) / dt).floor() + 1.0;
        let mut next = t_grid0 + k * dt;
        if next <= st.t() {
            next += dt;
        }
        let stop = next.min(t_end);
        let (ta, ya, da) = (st.t(), *st.y(), *st.dy());
        let step = st.step(f, stop)?;
        let pos = step.y.fixed_rows::<3>(0).into_owned();
        let h = height(&pos);
        if impact && h_prev > 0.0 && h <= 0.0 {
            // Bisection on the Hermite interpolant of the step for the zero of height.
            let (mut lo, mut hi) = (ta, step.t);
            for _ in 0..60 {
                let mid = 0.5 * (lo + hi);
                let y = hermite(ta, &ya, &da, step.t, &step.y, &step.dy, mid);
                if height(&y.fixed_rows::<3>(0).into_owned()) > 0.0 {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let t_hit = 0.5 * (lo + hi);
            let y = hermite(ta, &ya, &da, step.t, &step.y, &step.dy, t_hit);
            let dy = f(t_hit, &y);
            push(out, t_hit, &y, &dy);
            let pos = y.fixed_rows::<3>(0).into_owned();
            let hit = Impact {
                t: t_hit,
                pos,
                vel: y.fixed_rows::<3>(3).into_owned(),
                point: earth::ecef_to_geodetic(&pos),
            };
            return Ok((t_hit, y, Some(hit)));
        }
        h_prev = h;
        if step.t >= next - 1e-9 || step.t >= t_end {
            push(out, step.t, &step.y, &step.dy);
        }
    }
    Ok((st.t(), *st.y(), None))
}

/// Coasts an unpowered object from `(t0, pos, vel)` under `dynamics` until it reaches the
/// surface (height zero in `dynamics`), sampling every `opts.sample_dt` seconds from `t0`.
/// Works in either frame; the impact point is geodetic of the final position as given.
pub fn coast(
    dynamics: &Dynamics,
    kind: ObjectKind,
    beta_kg_m2: f64,
    t0: f64,
    pos: Vector3<f64>,
    vel: Vector3<f64>,
    opts: &FlightOptions,
) -> Result<Trajectory, FlightError> {
    coast_on_grid(dynamics, kind, beta_kg_m2, t0, pos, vel, t0, opts)
}

fn coast_phase(dynamics: &Dynamics, y: &Vector6<f64>) -> Phase {
    let r = y.fixed_rows::<3>(0).into_owned();
    let v = y.fixed_rows::<3>(3).into_owned();
    if r.dot(&v) < 0.0 && dynamics.height_m(&r) < REENTRY_HEIGHT_M {
        Phase::Reentry
    } else {
        Phase::Coast
    }
}

/// Simulates a launch: the boost of the stack, then every object to impact (see
/// [`FlightOptions::all_objects`]). `azimuth_deg` is the launch azimuth from north; times are
/// on the caller's scale with lift-off at `t_launch`.
pub fn simulate(
    missile: &Missile,
    launch: &Geodetic,
    azimuth_deg: f64,
    t_launch: f64,
) -> Result<Flight, FlightError> {
    simulate_with(
        missile,
        launch,
        azimuth_deg,
        t_launch,
        &FlightOptions::default(),
    )
}

/// [`simulate`] with explicit options.
pub fn simulate_with(
    missile: &Missile,
    launch: &Geodetic,
    azimuth_deg: f64,
    t_launch: f64,
    opts: &FlightOptions,
) -> Result<Flight, FlightError> {
    missile.validate()?;
    let dyn_e = Dynamics::EARTH;
    let r0 = earth::geodetic_to_ecef(launch);
    // The launch great-circle plane's normal (fixed in ECEF): thrust stays in this plane.
    let enu = earth::ecef_to_enu_rotation(&launch.pos);
    let (east, north) = (enu.row(0).transpose(), enu.row(1).transpose());
    let az = azimuth_deg.to_radians();
    let heading = north * az.cos() + east * az.sin();
    let plane_n = r0.normalize().cross(&heading).normalize();

    let mut rv_samples = Vec::new();
    let mut objects = Vec::new();
    let mut spent: Vec<(usize, StateAt)> = Vec::new();
    // Launch from rest on the ground (ECEF velocity zero).
    let mut y = Vector6::new(r0.x, r0.y, r0.z, 0.0, 0.0, 0.0);
    let mut t = t_launch;
    let mut mass_above: f64 = missile.launch_mass_kg();
    let height = |r: &Vector3<f64>| earth::geodetic_height_m(r);
    for (k, stage) in missile.stages.iter().enumerate() {
        let t_ign = t;
        let m_ign = mass_above;
        let mdot = stage.mass_flow();
        let pitch = &missile.pitch;
        let mut f = |tt: f64, s: &Vector6<f64>| {
            let r = s.fixed_rows::<3>(0).into_owned();
            let v = s.fixed_rows::<3>(3).into_owned();
            let m = m_ign - mdot * (tt - t_ign).clamp(0.0, stage.burn_time_s);
            let beta = if missile.boost_cd_area_m2 > 0.0 {
                m / missile.boost_cd_area_m2
            } else {
                f64::INFINITY
            };
            let up = r.normalize();
            let horiz = plane_n.cross(&up);
            let el = pitch.elevation_rad(tt - t_launch);
            let thrust_dir = horiz * el.cos() + up * el.sin();
            let a = dyn_e.accel(&r, &v, beta) + thrust_dir * (stage.thrust_n / m);
            Vector6::new(v.x, v.y, v.z, a.x, a.y, a.z)
        };
        let phase = |_t: f64, _y: &Vector6<f64>| Phase::Boost;
        // Stop at the pitch programme's corners too (the thrust direction has a kink there).
        let corners = [
            t_launch + pitch.vertical_s,
            t_launch + pitch.vertical_s + pitch.pitch_over_s,
        ];
        let t_bo = t_ign + stage.burn_time_s;
        let mut cuts: Vec<f64> = corners
            .iter()
            .copied()
            .filter(|&c| c > t && c < t_bo)
            .collect();
        cuts.push(t_bo);
        for cut in cuts {
            let (t1, y1, _) = fly(
                &mut f,
                &height,
                &phase,
                t,
                y,
                cut,
                t_launch,
                opts,
                false,
                &mut rv_samples,
            )?;
            t = t1;
            y = y1;
        }
        if height(&y.fixed_rows::<3>(0).into_owned()) <= 0.0 {
            return Err(FlightError::InvalidMissile {
                name: missile.name.clone(),
                reason: "the stack fell back during boost",
            });
        }
        mass_above -= stage.propellant_kg + stage.dry_kg;
        spent.push((
            k,
            StateAt {
                t,
                pos: y.fixed_rows::<3>(0).into_owned(),
                vel: y.fixed_rows::<3>(3).into_owned(),
            },
        ));
    }
    let burnout = StateAt {
        t,
        pos: y.fixed_rows::<3>(0).into_owned(),
        vel: y.fixed_rows::<3>(3).into_owned(),
    };
    // The RV coasts on from burnout; its trajectory continues the boost samples.
    let beta_rv = missile.rv_beta_kg_m2;
    let mut f = |_t: f64, s: &Vector6<f64>| dyn_e.derivative(s, beta_rv);
    let phase = |_t: f64, s: &Vector6<f64>| coast_phase(&dyn_e, s);
    let (_, _, hit) = fly(
        &mut f,
        &height,
        &phase,
        t,
        y,
        t + MAX_FLIGHT_S,
        t_launch,
        opts,
        true,
        &mut rv_samples,
    )?;
    let impact = hit.ok_or(FlightError::NoImpact)?;
    objects.push(Trajectory {
        kind: ObjectKind::Rv,
        beta_kg_m2: beta_rv,
        samples: rv_samples,
        impact,
    });
    if opts.all_objects {
        for (k, s) in &spent {
            let stage = &missile.stages[*k];
            let dir = s.vel.try_normalize(1e-9).unwrap_or_else(Vector3::zeros);
            let vel = s.vel - dir * missile.separation_dv_m_s;
            objects.push(coast_on_grid(
                &dyn_e,
                ObjectKind::Stage,
                stage.beta_kg_m2,
                s.t,
                s.pos,
                vel,
                t_launch,
                opts,
            )?);
        }
        let (t_dir, n1, n2) = velocity_basis(&burnout.pos, &burnout.vel);
        let total: u32 = missile.debris.iter().map(|d| d.count).sum();
        let mut i = 0u32;
        for d in &missile.debris {
            for _ in 0..d.count {
                // Evenly spread directions (a golden-angle spiral on the sphere): same pieces
                // every run, no random draw.
                let z = 1.0 - 2.0 * (f64::from(i) + 0.5) / f64::from(total.max(1));
                let phi = f64::from(i) * 2.399_963_229_728_653;
                let rho = (1.0 - z * z).max(0.0).sqrt();
                let dir = t_dir * z + n1 * (rho * phi.cos()) + n2 * (rho * phi.sin());
                objects.push(coast_on_grid(
                    &dyn_e,
                    ObjectKind::Debris,
                    d.beta_kg_m2,
                    burnout.t,
                    burnout.pos,
                    burnout.vel + dir * d.dv_m_s,
                    t_launch,
                    opts,
                )?);
                i += 1;
            }
        }
    }
    Ok(Flight {
        missile: missile.name.clone(),
        launch: *launch,
        azimuth_deg,
        t_launch,
        burnout,
        objects,
    })
}

/// An orthonormal basis: along the velocity, and two normals.
fn velocity_basis(
    r: &Vector3<f64>,
    v: &Vector3<f64>,
) -> (Vector3<f64>, Vector3<f64>, Vector3<f64>) {
    let t = v.try_normalize(1e-9).unwrap_or_else(|| r.normalize());
    let n1 = t.cross(r).try_normalize(1e-9).unwrap_or_else(Vector3::x);
    let n2 = t.cross(&n1);
    (t, n1, n2)
}

/// [`coast`], sampling on the grid of `t_grid0` (the launch's) instead of from `t0`.
#[allow(clippy::too_many_arguments)]
fn coast_on_grid(
    dynamics: &Dynamics,
    kind: ObjectKind,
    beta: f64,
    t0: f64,
    pos: Vector3<f64>,
    vel: Vector3<f64>,
    t_grid0: f64,
    opts: &FlightOptions,
) -> Result<Trajectory, FlightError> {
    let mut f = |_t: f64, s: &Vector6<f64>| dynamics.derivative(s, beta);
    let height = |r: &Vector3<f64>| dynamics.height_m(r);
    let phase = |_t: f64, s: &Vector6<f64>| coast_phase(dynamics, s);
    let y0 = Vector6::new(pos.x, pos.y, pos.z, vel.x, vel.y, vel.z);
    let mut samples = Vec::new();
    let (_, _, hit) = fly(
        &mut f,
        &height,
        &phase,
        t0,
        y0,
        t0 + MAX_FLIGHT_S,
        t_grid0,
        opts,
        true,
        &mut samples,
    )?;
    Ok(Trajectory {
        kind,
        beta_kg_m2: beta,
        samples,
        impact: hit.ok_or(FlightError::NoImpact)?,
    })
}

/// The aim found for a target.
#[derive(Debug, Clone, PartialEq)]
pub struct Aim {
    /// Launch azimuth, degrees.
    pub azimuth_deg: f64,
    /// Final thrust elevation of the pitch programme, degrees.
    pub final_elevation_deg: f64,
    /// Distance from the RV's impact to the target, metres.
    pub miss_m: f64,
}

/// Ground range and azimuth from the launch point of the RV's impact for one aim.
fn shoot(
    missile: &Missile,
    launch: &Geodetic,
    az: f64,
    el: f64,
) -> Result<(f64, LatLon), FlightError> {
    let mut m = missile.clone();
    m.pitch.final_elevation_deg = el;
    m.debris.clear();
    let opts = FlightOptions {
        sample_dt: 1.0e9,
        all_objects: false,
        ..FlightOptions::default()
    };
    let fl = simulate_with(&m, launch, az, 0.0, &opts)?;
    let p = fl.rv().impact.point.pos;
    Ok((earth::ground_range(&launch.pos, &p), p))
}

/// Finds the launch azimuth and final thrust elevation that put the RV of `missile` on
/// `target` within `tol_m` metres: a scan of elevations for the range curve, then a secant
/// (Illinois) search on its lofted branch, alternating with azimuth corrections for the
/// Earth's rotation.
pub fn aim(
    missile: &Missile,
    launch: &Geodetic,
    target: &LatLon,
    tol_m: f64,
) -> Result<Aim, FlightError> {
    missile.validate()?;
    let want = earth::ground_range(&launch.pos, target);
    let want_az = earth::azimuth_deg(&launch.pos, target);
    let mut az = want_az;
    // Range curve over elevations (coarse): the maximum, then the lofted branch.
    let els: Vec<f64> = (0..=15).map(|k| 10.0 + 5.0 * f64::from(k)).collect();
    let mut ranges = Vec::with_capacity(els.len());
    for &el in &els {
        ranges.push(shoot(missile, launch, az, el)?.0);
    }
    let (i_max, &max_r) =
        ranges.iter().enumerate().fold(
            (0, &f64::NEG_INFINITY),
            |m, x| if x.1 > m.1 { x } else { m },
        );
    let min_r = ranges[ranges.len() - 1];
    if want > max_r || want < min_r {
        return Err(FlightError::OutOfReach {
            range_km: want / 1e3,
            min_km: min_r / 1e3,
            max_km: max_r / 1e3,
        });
    }
    // Bracket on the lofted (decreasing) side.
    let mut lo = els[i_max];
    let mut hi = els[els.len() - 1];
    for j in i_max..els.len() - 1 {
        if ranges[j] >= want && ranges[j + 1] <= want {
            lo = els[j];
            hi = els[j + 1];
            break;
        }
    }
    let mut el = 0.5 * (lo + hi);
    let mut miss = f64::INFINITY;
    for _outer in 0..6 {
        // Illinois regula falsi on range(el) - want over [lo, hi].
        let (mut a, mut b) = (lo, hi);
        let mut fa = shoot(missile, launch, az, a)?.0 - want;
        let mut fb = shoot(missile, launch, az, b)?.0 - want;
        if fa.signum() == fb.signum() {
            // The azimuth change moved the bracket: widen back to the scan's lofted branch.
            a = els[i_max];
            b = els[els.len() - 1];
            fa = shoot(missile, launch, az, a)?.0 - want;
            fb = shoot(missile, launch, az, b)?.0 - want;
        }
        let mut side = 0;
        for _ in 0..40 {
            el = (a * fb - b * fa) / (fb - fa);
            let fc = shoot(missile, launch, az, el)?.0 - want;
            if fc.abs() < 0.2 * tol_m {
                break;
            }
            if fc.signum() == fb.signum() {
                b = el;
                fb = fc;
                if side == -1 {
                    fa /= 2.0;
                }
                side = -1;
            } else {
                a = el;
                fa = fc;
                if side == 1 {
                    fb /= 2.0;
                }
                side = 1;
            }
        }
        let (_, p) = shoot(missile, launch, az, el)?;
        miss = earth::ground_range(&p, target);
        if miss <= tol_m {
            break;
        }
        // Turn the azimuth by the bearing error of the impact.
        let got_az = earth::azimuth_deg(&launch.pos, &p);
        let d = (want_az - got_az + 540.0).rem_euclid(360.0) - 180.0;
        az = (az + d).rem_euclid(360.0);
        lo = (el - 2.0).max(els[i_max]);
        hi = (el + 2.0).min(90.0);
    }
    if miss > tol_m {
        return Err(FlightError::AimFailed { miss_m: miss });
    }
    Ok(Aim {
        azimuth_deg: az,
        final_elevation_deg: el,
        miss_m: miss,
    })
}
