//! Invariants of the integrator: whatever the command, one step never turns, climbs or
//! changes speed faster than the performance allows, and moves the distance the speed says.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use vigil_core::LatLon;
use vigil_sim::flight::{Command, Performance, State, Turn, step};
use vigil_sim::geo::{MPS_PER_KT, wrap180};

proptest! {
    #[test]
    fn one_step_respects_the_envelope(
        lat in -70.0f64..70.0, lon in -179.0f64..179.0,
        course in 0.0f64..360.0, kt in 140.0f64..700.0, alt in 0.0f64..45_000.0,
        c_course in 0.0f64..360.0, c_kt in 100.0f64..800.0, c_alt in 0.0f64..45_000.0,
        fighter: bool, right: bool,
    ) {
        let perf = if fighter { Performance::FIGHTER } else { Performance::AIRLINER };
        let s = State { pos: LatLon::new(lat, lon), alt_ft: alt, course_deg: course, speed_kt: kt, vs_fpm: 0.0 };
        let cmd = Command {
            course_deg: c_course,
            speed_kt: c_kt,
            alt_ft: c_alt,
            turn: if right { Turn::Right } else { Turn::Shortest },
        };
        let n = step(&s, &cmd, &perf, 1.0);
        let turned = wrap180(n.course_deg - s.course_deg).abs();
        // Plus the great circle's own drift over one step (under 0.05° below 70°).
        prop_assert!(turned <= perf.turn_rate_deg_s(kt) + 0.05, "turned {turned}");
        prop_assert!(perf.turn_rate_deg_s(kt) <= perf.max_turn_deg_s);
        prop_assert!((n.speed_kt - s.speed_kt).abs() <= perf.accel_kt_s + 1e-9);
        prop_assert!(n.alt_ft - s.alt_ft <= perf.climb_fpm / 60.0 + 1e-9);
        prop_assert!(s.alt_ft - n.alt_ft <= perf.descent_fpm / 60.0 + 1e-9);
        // Never past the commanded altitude.
        prop_assert!((n.alt_ft - c_alt).abs() <= (s.alt_ft - c_alt).abs() + 1e-9);
        let d = s.pos.distance_m(&n.pos);
        let want = 0.5 * (s.speed_kt + n.speed_kt) * MPS_PER_KT;
        prop_assert!((d - want).abs() < 0.01, "{d} vs {want}");
        prop_assert!(n.pos.is_valid());
    }
}
