//! ADS-B reports to observations, with the accuracy the aircraft reports.
//!
//! An ADS-B position comes with NACp (navigation accuracy category, a 95 % bound on the
//! horizontal position error, the "estimated position uncertainty") and NIC (integrity
//! containment radius, a 1 − 10⁻⁷ bound). The tracker needs a standard deviation: NACp gives
//! it directly (a circular 2-D Gaussian holds 95 % of its mass within 2.448 σ); without NACp the
//! containment radius is a very conservative stand-in (1 − 10⁻⁷ within 5.68 σ). NACv does the
//! same for velocity. Tables: RTCA DO-260B §2.2.3.2.7.2.7 (NACp), §2.2.3.2.6.1.6 (NACv),
//! EUROCAE ED-102A / DO-260B Table 2-14 (NIC radii with supplement bits folded to the wider
//! radius).

use serde::{Deserialize, Serialize};
use vigil_core::{
    IcaoAddress, Identity, LatLon, Measurement, Observation, SensorId, UnixTime, VelocityEnu,
    Vertical,
};

/// √χ²₂(0.95): radius of the 95 % circle of a circular 2-D Gaussian, in σ.
const SIGMA_PER_95: f64 = 2.447_746_830_680_816;
/// √χ²₂(1 − 10⁻⁷): the same for the integrity containment probability.
const SIGMA_PER_RC: f64 = 5.67769242755511;

/// 95 % horizontal position error bound of a NACp value, metres (`None` for 0, unknown).
pub fn nacp_epu_m(nacp: u8) -> Option<f64> {
    Some(match nacp {
        11 => 3.0,
        10 => 10.0,
        9 => 30.0,
        8 => 92.6,
        7 => 185.2,
        6 => 555.6,
        5 => 926.0,
        4 => 1_852.0,
        3 => 3_704.0,
        2 => 7_408.0,
        1 => 18_520.0,
        _ => return None,
    })
}

/// Containment radius of a NIC value, metres (`None` for 0, unknown). Where supplements
/// distinguish two radii for one NIC value, the wider one.
pub fn nic_rc_m(nic: u8) -> Option<f64> {
    Some(match nic {
        11 => 7.5,
        10 => 25.0,
        9 => 75.0,
        8 => 185.2,
        7 => 370.4,
        6 => 1_111.2,
        5 => 1_852.0,
        4 => 3_704.0,
        3 => 7_408.0,
        2 => 14_816.0,
        1 => 37_040.0,
        _ => return None,
    })
}

/// 95 % horizontal velocity error bound of a NACv value, m/s (`None` for 0, unknown).
pub fn nacv_bound_mps(nacv: u8) -> Option<f64> {
    Some(match nacv {
        1 => 10.0,
        2 => 3.0,
        3 => 1.0,
        4 => 0.3,
        _ => return None,
    })
}

/// Per-axis position standard deviation from NACp, else from NIC, else `fallback_m`.
pub fn position_sigma_m(nacp: Option<u8>, nic: Option<u8>, fallback_m: f64) -> f64 {
    nacp.and_then(nacp_epu_m)
        .map(|e| e / SIGMA_PER_95)
        .or_else(|| nic.and_then(nic_rc_m).map(|r| r / SIGMA_PER_RC))
        .unwrap_or(fallback_m)
}

/// One decoded ADS-B report of an aircraft, whatever the decoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdsbReport {
    /// Time of applicability.
    pub time: UnixTime,
    /// Mode S address.
    pub icao: IcaoAddress,
    /// Position.
    pub pos: LatLon,
    /// Barometric altitude, feet.
    pub alt_baro_ft: Option<f64>,
    /// Geometric altitude (above the WGS-84 ellipsoid), feet.
    pub alt_geom_ft: Option<f64>,
    /// Ground speed, knots.
    pub gs_kt: Option<f64>,
    /// Track angle over ground, degrees clockwise from true north.
    pub track_deg: Option<f64>,
    /// Vertical rate, feet per minute.
    pub vert_rate_fpm: Option<f64>,
    /// NACp.
    pub nacp: Option<u8>,
    /// NIC.
    pub nic: Option<u8>,
    /// NACv.
    pub nacv: Option<u8>,
    /// Callsign.
    pub callsign: Option<String>,
    /// Mode 3/A code, one octal digit per nibble.
    pub squawk: Option<u16>,
}

/// Standard deviation used when an aircraft reports neither NACp nor NIC, metres (the
/// accuracy of an old, uncategorised transponder: NACp 5 territory).
pub const UNKNOWN_POSITION_SIGMA_M: f64 = 400.0;
/// Velocity standard deviation when NACv is absent or 0, m/s.
pub const UNKNOWN_VELOCITY_SIGMA_MPS: f64 = 10.0 / SIGMA_PER_95 * 2.0;

impl AdsbReport {
    /// The observation of this report by `sensor`.
    pub fn observation(&self, sensor: SensorId) -> Observation {
        let sigma = position_sigma_m(self.nacp, self.nic, UNKNOWN_POSITION_SIGMA_M);
        let var = sigma * sigma;
        let velocity = match (self.gs_kt, self.track_deg) {
            (Some(gs), Some(trk)) => {
                let v = gs * 1852.0 / 3600.0;
                let (s, c) = trk.to_radians().sin_cos();
                Some(VelocityEnu {
                    east_mps: v * s,
                    north_mps: v * c,
                    up_mps: self.vert_rate_fpm.map(|r| r * 0.3048 / 60.0),
                    sigma_mps: self
                        .nacv
                        .and_then(nacv_bound_mps)
                        .map_or(UNKNOWN_VELOCITY_SIGMA_MPS, |b| b / SIGMA_PER_95),
                })
            }
            _ => None,
        };
        Observation {
            time: self.time,
            sensor,
            measurement: Measurement::Position {
                pos: self.pos,
                cov_en_m2: [[var, 0.0], [0.0, var]],
            },
            vertical: Vertical {
                baro_ft: self.alt_baro_ft,
                geom_m: self.alt_geom_ft.map(|f| f * 0.3048),
            },
            velocity,
            identity: Identity {
                icao: Some(self.icao),
                mode3a: self.squawk,
                callsign: self.callsign.clone(),
                sensor_track: None,
            },
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// Data-driven: (NACp, NIC) → σ.
    #[test]
    fn accuracy_categories_to_sigma() {
        let check = |nacp: Option<u8>, nic: Option<u8>, expected: f64| {
            let s = position_sigma_m(nacp, nic, UNKNOWN_POSITION_SIGMA_M);
            assert!((s - expected).abs() < 0.01, "{nacp:?} {nic:?}: {s}");
        };
        check(Some(8), Some(8), 92.6 / 2.4477);
        check(Some(10), None, 10.0 / 2.4477);
        check(Some(0), Some(7), 370.4 / 5.6777);
        check(None, None, UNKNOWN_POSITION_SIGMA_M);
        check(Some(12), Some(0), UNKNOWN_POSITION_SIGMA_M);
    }

    #[test]
    fn the_95_percent_constants_are_chi_square_quantiles() {
        use crate::chi2::chi2_gate;
        assert!((chi2_gate(2, 0.95).sqrt() - SIGMA_PER_95).abs() < 1e-9);
        assert!((chi2_gate(2, 1.0 - 1e-7).sqrt() - SIGMA_PER_RC).abs() < 1e-6);
    }

    #[test]
    fn report_becomes_an_observation() {
        let r = AdsbReport {
            time: UnixTime(1000.0),
            icao: IcaoAddress::new(0x3c6444),
            pos: LatLon::new(49.0, 2.5),
            alt_baro_ft: Some(35_000.0),
            alt_geom_ft: None,
            gs_kt: Some(450.0),
            track_deg: Some(90.0),
            vert_rate_fpm: Some(0.0),
            nacp: Some(9),
            nic: Some(8),
            nacv: Some(2),
            callsign: Some("DLH123".into()),
            squawk: Some(0x1000),
        };
        let o = r.observation(SensorId(3));
        let Measurement::Position { cov_en_m2, .. } = o.measurement else {
            panic!("not a position")
        };
        assert!((cov_en_m2[0][0].sqrt() - 30.0 / 2.4477).abs() < 0.01);
        let v = o.velocity.unwrap();
        assert!((v.east_mps - 231.5).abs() < 0.01 && v.north_mps.abs() < 1e-9);
        assert!((v.sigma_mps - 3.0 / 2.4477).abs() < 0.01);
        assert_eq!(o.identity.icao, Some(IcaoAddress::new(0x3c6444)));
    }
}
