//! Compact Position Reporting (CPR): positions from the 17-bit encoded fields, with the state
//! each aircraft needs (its last even and odd frames and its last position).
//!
//! Airborne: globally unambiguous decoding from an even/odd pair received close together,
//! then locally unambiguous decoding of single frames against the aircraft's last position.
//! Surface: local decoding against the aircraft's last position, or against the configured
//! reference (receiver or airfield) for the first fix. Every new fix must be reachable from
//! the last one at a plausible speed; an impossible jump is rejected and counted.

use vigil_core::{LatLon, UnixTime};

use super::CprFields;

/// 2^17: the CPR fields are fractions of a zone in 1/2^17 units.
const CPR_MAX: f64 = 131_072.0;
/// Number of latitude zones between the equator and a pole (NZ).
const NZ: f64 = 15.0;

/// Number of longitude zones at `lat` (NL, DO-260B A.1.7.2), 1..=59.
pub fn nl(lat: f64) -> u32 {
    let lat = lat.abs();
    if lat < 1e-9 {
        return 59;
    }
    if (lat - 87.0).abs() < 1e-9 {
        return 2;
    }
    if lat > 87.0 {
        return 1;
    }
    let a = 1.0 - (std::f64::consts::PI / (2.0 * NZ)).cos();
    let b = (std::f64::consts::PI / 180.0 * lat).cos().powi(2);
    let nl = (2.0 * std::f64::consts::PI / (1.0 - a / b).acos()).floor();
    nl as u32
}

/// Euclidean modulo for positive divisors.
fn modulo(x: f64, y: f64) -> f64 {
    x - y * (x / y).floor()
}

/// The two frames of a pair as zone fractions: (lat_even, lon_even, lat_odd, lon_odd).
fn fractions(even: &CprFields, odd: &CprFields) -> [f64; 4] {
    [even.lat, even.lon, odd.lat, odd.lon].map(|v| f64::from(v) / CPR_MAX)
}

/// The latitudes a pair gives on a grid spanning `span` degrees (360 airborne, 90 surface),
/// as (from the even frame, from the odd frame), in [0, span).
fn pair_latitudes(f: &[f64; 4], span: f64) -> (f64, f64) {
    let j = (59.0 * f[0] - 60.0 * f[2] + 0.5).floor();
    (
        span / 60.0 * (modulo(j, 60.0) + f[0]),
        span / 59.0 * (modulo(j, 59.0) + f[2]),
    )
}

/// The longitude of the newer frame of a pair at latitude `lat`, in [0, span).
fn pair_longitude(f: &[f64; 4], lat: f64, odd_is_newer: bool, span: f64) -> f64 {
    let (p, c) = if odd_is_newer { (1, f[3]) } else { (0, f[1]) };
    let nl_lat = nl(lat);
    let ni = f64::from(nl_lat.saturating_sub(p).max(1));
    let m = (f[1] * f64::from(nl_lat - 1) - f[3] * f64::from(nl_lat) + 0.5).floor();
    span / ni * (modulo(m, ni) + c)
}

/// Globally unambiguous airborne position from an even and an odd frame; the position is
/// the one of the newer frame (`odd_is_newer`). `None` when the two frames straddle a
/// latitude zone boundary (they cannot be combined).
pub fn airborne_global(even: &CprFields, odd: &CprFields, odd_is_newer: bool) -> Option<LatLon> {
    let f = fractions(even, odd);
    // Southern latitudes come out in [270, 360).
    let wrap = |lat: f64| if lat >= 270.0 { lat - 360.0 } else { lat };
    let (lat_e, lat_o) = pair_latitudes(&f, 360.0);
    let (lat_e, lat_o) = (wrap(lat_e), wrap(lat_o));
    if !(-90.0..=90.0).contains(&lat_e) || !(-90.0..=90.0).contains(&lat_o) {
        return None;
    }
    if nl(lat_e) != nl(lat_o) {
        return None;
    }
    let lat = if odd_is_newer { lat_o } else { lat_e };
    let lon = pair_longitude(&f, lat, odd_is_newer, 360.0);
    Some(LatLon::new(
        lat,
        if lon >= 180.0 { lon - 360.0 } else { lon },
    ))
}

/// Globally unambiguous surface position from an even and an odd frame. Surface zones span
/// 90°, so the pair leaves four candidate longitudes and two latitudes; `reference` (any
/// position within about 45°: the receiver, or any aircraft it hears) picks the right one.
pub fn surface_global(
    even: &CprFields,
    odd: &CprFields,
    odd_is_newer: bool,
    reference: LatLon,
) -> Option<LatLon> {
    let f = fractions(even, odd);
    // Northern solution in [0, 90); the southern one is 90° lower.
    let pick = |lat: f64| {
        if (lat - 90.0 - reference.lat).abs() < (lat - reference.lat).abs() {
            lat - 90.0
        } else {
            lat
        }
    };
    let (lat_e, lat_o) = pair_latitudes(&f, 90.0);
    let (lat_e, lat_o) = (pick(lat_e), pick(lat_o));
    if nl(lat_e) != nl(lat_o) {
        return None;
    }
    let lat = if odd_is_newer { lat_o } else { lat_e };
    let lon0 = pair_longitude(&f, lat, odd_is_newer, 90.0);
    // Four candidates 90° apart: the one nearest the reference.
    let lon = (0..4)
        .map(|k| {
            let l = lon0 + 90.0 * f64::from(k);
            if l >= 180.0 { l - 360.0 } else { l }
        })
        .min_by(|a, b| {
            let da = modulo(a - reference.lon + 180.0, 360.0) - 180.0;
            let db = modulo(b - reference.lon + 180.0, 360.0) - 180.0;
            da.abs().total_cmp(&db.abs())
        })?;
    Some(LatLon::new(lat, lon))
}

/// Locally unambiguous position of one frame against a reference within half a zone
/// (airborne: about 180 NM; surface: about 45 NM). `None` when the result would be more
/// than half a zone from the reference.
pub fn local(f: &CprFields, reference: LatLon) -> Option<LatLon> {
    let span = if f.surface { 90.0 } else { 360.0 };
    let (cpr_lat, cpr_lon) = (f64::from(f.lat) / CPR_MAX, f64::from(f.lon) / CPR_MAX);
    let d_lat = if f.odd { span / 59.0 } else { span / 60.0 };
    let j = (0.5 + reference.lat / d_lat - cpr_lat).floor();
    let lat = d_lat * (j + cpr_lat);
    if !(-90.0..=90.0).contains(&lat) || (lat - reference.lat).abs() > d_lat / 2.0 {
        return None;
    }
    let ni = if f.odd {
        nl(lat).saturating_sub(1)
    } else {
        nl(lat)
    };
    let d_lon = if ni > 0 { span / f64::from(ni) } else { span };
    let m = (0.5 + reference.lon / d_lon - cpr_lon).floor();
    let lon = d_lon * (m + cpr_lon);
    if (lon - reference.lon).abs() > d_lon / 2.0 {
        return None;
    }
    Some(LatLon::new(lat, lon))
}

/// Limits of the stateful decoder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CprLimits {
    /// An even and an odd airborne frame further apart than this are not paired.
    pub pair_max_s: f64,
    /// A last position older than this is not used as a local reference.
    pub local_max_age_s: f64,
    /// A fix that needs more than this speed from the last one is rejected (km/h). Set for
    /// supersonic military traffic: the check is there to catch wrong-zone decodes, which
    /// jump tens to hundreds of kilometres.
    pub max_speed_kmh: f64,
    /// Receive-time jitter allowed for in the speed check (s): receivers stamp frames in
    /// batches, so two frames half a second apart may have been sent a second apart.
    pub time_slack_s: f64,
    /// Speed checks are skipped after a gap this long (the aircraft may be anywhere).
    pub speed_check_max_gap_s: f64,
    /// A surface fix decoded against the aircraft's own last position must be this close
    /// to it (km); otherwise the reference is tried.
    pub surface_max_step_km: f64,
}

impl Default for CprLimits {
    fn default() -> Self {
        Self {
            pair_max_s: 30.0,
            local_max_age_s: 180.0,
            max_speed_kmh: 2000.0,
            time_slack_s: 1.0,
            speed_check_max_gap_s: 1800.0,
            surface_max_step_km: 1.0,
        }
    }
}

/// Why a frame gave no position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CprError {
    /// No partner frame recent enough and no usable reference: wait for the next frame.
    #[error("no CPR partner frame or reference yet")]
    NeedMore,
    /// The frame is older than the partner frame held (out-of-order sources).
    #[error("CPR frame older than its partner")]
    OutOfOrder,
    /// The pair or the local decode did not give a consistent position.
    #[error("CPR frames inconsistent (zone mismatch or off-cell)")]
    Inconsistent,
    /// The fix is out of reach of the last one at any plausible speed.
    #[error("implausible CPR jump from the last position")]
    Implausible,
}

/// Per-aircraft CPR state.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CprState {
    even: Option<(UnixTime, CprFields)>,
    odd: Option<(UnixTime, CprFields)>,
    // Surface frames have their own slots: pairing a surface frame with an airborne one
    // (at take-off or landing) mixes two grids and gives garbage.
    surface_even: Option<(UnixTime, CprFields)>,
    surface_odd: Option<(UnixTime, CprFields)>,
    last: Option<(UnixTime, LatLon)>,
}

impl CprState {
    /// The last accepted position and when it was decoded.
    pub fn last(&self) -> Option<(UnixTime, LatLon)> {
        self.last
    }

    /// Decodes the position of `f` received at `t`, updating the state.
    /// `reference` is the receiver or airfield position, used for surface positions.
    pub fn decode(
        &mut self,
        limits: &CprLimits,
        t: UnixTime,
        f: CprFields,
        reference: Option<LatLon>,
    ) -> Result<LatLon, CprError> {
        let res = if f.surface {
            self.decode_surface(limits, t, &f, reference)
        } else {
            self.decode_airborne(limits, t, &f)
        };
        if let Ok(p) = res {
            self.last = Some((t, p));
        }
        res
    }

    fn decode_airborne(
        &mut self,
        limits: &CprLimits,
        t: UnixTime,
        f: &CprFields,
    ) -> Result<LatLon, CprError> {
        let partner = if f.odd { self.even } else { self.odd };
        if let Some((tp, _)) = partner
            && t.since(tp) < 0.0
        {
            return Err(CprError::OutOfOrder);
        }
        // Remember this frame whatever comes of it: it is the newest of its parity.
        if f.odd {
            self.odd = Some((t, *f));
        } else {
            self.even = Some((t, *f));
        }
        let mut pos = None;
        let mut err = CprError::NeedMore;
        if let Some((tp, other)) = partner
            && t.since(tp) < limits.pair_max_s
        {
            let (even, odd) = if f.odd { (&other, f) } else { (f, &other) };
            pos = airborne_global(even, odd, f.odd);
            if pos.is_none() {
                err = CprError::Inconsistent;
            }
        }
        if pos.is_none()
            && let Some((tl, last)) = self.last
            && t.since(tl) < limits.local_max_age_s
        {
            pos = local(f, last);
            if pos.is_none() {
                err = CprError::Inconsistent;
            }
        }
        let pos = pos.ok_or(err)?;
        self.check_plausible(limits, t, pos)?;
        Ok(pos)
    }

    fn decode_surface(
        &mut self,
        limits: &CprLimits,
        t: UnixTime,
        f: &CprFields,
        reference: Option<LatLon>,
    ) -> Result<LatLon, CprError> {
        let partner = if f.odd {
            self.surface_even
        } else {
            self.surface_odd
        };
        if f.odd {
            self.surface_odd = Some((t, *f));
        } else {
            self.surface_even = Some((t, *f));
        }
        // Surface zones are only 90° wide: the aircraft's own last fix is the best
        // reference, and a fix far from it means the reference was wrong, not a jump.
        if let Some((_, last)) = self.last
            && let Some(p) = local(f, last)
            && p.distance_m(&last) / 1000.0 < limits.surface_max_step_km
        {
            return Ok(p);
        }
        let reference = reference.ok_or(CprError::NeedMore)?;
        if let Some(p) = local(f, reference) {
            return Ok(p);
        }
        // The reference is too far for a local decode (an automatic one, say, from an
        // aircraft 100 km away): a recent pair still decodes with it.
        match partner {
            Some((tp, other)) if t.since(tp) >= 0.0 && t.since(tp) < limits.pair_max_s => {
                let (even, odd) = if f.odd { (&other, f) } else { (f, &other) };
                surface_global(even, odd, f.odd, reference).ok_or(CprError::Inconsistent)
            }
            _ => Err(CprError::NeedMore),
        }
    }

    fn check_plausible(&self, limits: &CprLimits, t: UnixTime, p: LatLon) -> Result<(), CprError> {
        let Some((tl, last)) = self.last else {
            return Ok(());
        };
        let dt = t.since(tl).abs();
        let km = p.distance_m(&last) / 1000.0;
        // 0.1 km covers the CPR quantisation (about 5 m airborne) and receiver rounding.
        let reach_km = limits.max_speed_kmh * (dt + limits.time_slack_s) / 3600.0 + 0.1;
        if dt < limits.speed_check_max_gap_s && km > reach_km {
            return Err(CprError::Implausible);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(hex_frame: &str) -> CprFields {
        let b = hex::decode(hex_frame).unwrap();
        crate::modes::decode(&b).unwrap().cpr.unwrap()
    }

    #[test]
    fn nl_matches_known_transitions() {
        assert_eq!(nl(0.0), 59);
        assert_eq!(nl(10.47), 59);
        assert_eq!(nl(10.48), 58);
        assert_eq!(nl(52.2572), 36);
        assert_eq!(nl(86.9), 2);
        assert_eq!(nl(88.0), 1);
        assert_eq!(nl(-52.2572), 36);
    }

    #[test]
    fn book_airborne_pair() {
        // The 1090 MHz Riddle: even frame newer.
        let even = fields("8D40621D58C382D690C8AC2863A7");
        let odd = fields("8D40621D58C386435CC412692AD6");
        let p = airborne_global(&even, &odd, false).unwrap();
        assert!((p.lat - 52.2572021484375).abs() < 1e-9);
        assert!((p.lon - 3.91937255859375).abs() < 1e-9);
        let p = airborne_global(&even, &odd, true).unwrap();
        assert!((p.lat - 52.26578017412606).abs() < 1e-9);
    }

    #[test]
    fn book_local_airborne_and_surface() {
        let p = local(
            &fields("8D40621D58C382D690C8AC2863A7"),
            LatLon::new(52.258, 3.918),
        )
        .unwrap();
        assert!((p.lat - 52.2572021484375).abs() < 1e-9);
        assert!((p.lon - 3.91937255859375).abs() < 1e-9);
        let p = local(
            &fields("8C4841753A9A153237AEF0F275BE"),
            LatLon::new(52.320607, 4.734735),
        )
        .unwrap();
        assert!((p.lat - 52.32056051997815).abs() < 1e-9);
        assert!((p.lon - 4.735735212053571).abs() < 1e-9);
    }

    #[test]
    fn book_surface_pair() {
        // The 1090 MHz Riddle: odd frame newer; a reference 500 km away still resolves it.
        let even = fields("8C4841753AAB238733C8CD4020B1");
        let odd = fields("8C4841753A8A35323FAEBDAC702D");
        for r in [LatLon::new(51.990, 4.375), LatLon::new(48.0, 2.0)] {
            let p = surface_global(&even, &odd, true, r).unwrap();
            assert!((p.lat - 52.320607072215964).abs() < 1e-9, "{p:?}");
            assert!((p.lon - 4.734734671456474).abs() < 1e-9, "{p:?}");
        }
    }

    #[test]
    fn stateful_pair_then_local() {
        let lim = CprLimits::default();
        let mut s = CprState::default();
        let odd = fields("8D40621D58C386435CC412692AD6");
        let even = fields("8D40621D58C382D690C8AC2863A7");
        assert_eq!(
            s.decode(&lim, UnixTime(1457996400.0), odd, None),
            Err(CprError::NeedMore)
        );
        let p = s.decode(&lim, UnixTime(1457996402.0), even, None).unwrap();
        assert!((p.lat - 52.2572021484375).abs() < 1e-9);
        // A single frame much later still decodes locally against the last fix.
        let p2 = s.decode(&lim, UnixTime(1457996460.0), even, None).unwrap();
        assert!((p2.lat - p.lat).abs() < 1e-9);
    }

    #[test]
    fn implausible_jump_is_rejected() {
        let lim = CprLimits::default();
        let mut s = CprState {
            last: Some((UnixTime(100.0), LatLon::new(40.0, 3.9))),
            ..CprState::default()
        };
        let odd = fields("8D40621D58C386435CC412692AD6");
        let even = fields("8D40621D58C382D690C8AC2863A7");
        let _ = s.decode(&lim, UnixTime(101.0), odd, None);
        assert_eq!(
            s.decode(&lim, UnixTime(102.0), even, None),
            Err(CprError::Implausible)
        );
    }
}
