//! The test scenario: one missile's RV coasting from burnout (H1's flight model, fixed
//! truth), seen by one radar of each party from different directions.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use nalgebra::Vector3;
use vigil_ballistic::earth::{self, Dynamics};
use vigil_ballistic::flight::{FlightOptions, ObjectKind, Trajectory, coast};
use vigil_core::{Geodetic, LatLon};
use vigil_missile::radar::RadarConfig;

/// RV ballistic coefficient, kg/m².
pub const RV_BETA: f64 = 8_000.0;

/// Burnout at 34°N 48°E, 120 km, heading north-west: about 2,000 km of flight.
pub fn rv_truth() -> Trajectory {
    let site = LatLon::new(34.0, 48.0);
    let r0 = earth::geodetic_to_ecef(&Geodetic {
        pos: site,
        height_m: 120e3,
    });
    let rot = earth::ecef_to_enu_rotation(&site).transpose();
    let v0 = rot * Vector3::new(-2_200.0, 2_600.0, 2_200.0);
    coast(
        &Dynamics::EARTH,
        ObjectKind::Rv,
        RV_BETA,
        0.0,
        r0,
        v0,
        &FlightOptions::default(),
    )
    .unwrap()
}

/// Party "RU": a 6,000 km class radar north of the launch area looking south.
pub fn radar_ru() -> RadarConfig {
    RadarConfig {
        name: "Gabala".into(),
        party: "RU".into(),
        lat: 40.87,
        lon: 47.80,
        height_m: 100.0,
        boresight_az_deg: 180.0,
        half_fov_deg: 60.0,
        max_range_km: 6_000.0,
        min_elevation_deg: 0.0,
        sigma_range_m: 100.0,
        sigma_az_mrad: 1.5,
        sigma_el_mrad: 1.5,
    }
}

/// Party "RU": a second radar further north-west looking south-west, which sees the
/// re-entry.
pub fn radar_ru2() -> RadarConfig {
    RadarConfig {
        name: "Armavir".into(),
        party: "RU".into(),
        lat: 44.92,
        lon: 40.98,
        height_m: 150.0,
        boresight_az_deg: 225.0,
        half_fov_deg: 60.0,
        max_range_km: 4_000.0,
        min_elevation_deg: 0.0,
        sigma_range_m: 60.0,
        sigma_az_mrad: 1.2,
        sigma_el_mrad: 1.2,
    }
}

/// Party "NATO": a forward X-band radar west of the launch area looking east.
pub fn radar_nato() -> RadarConfig {
    RadarConfig {
        name: "Kurecik".into(),
        party: "NATO".into(),
        lat: 38.35,
        lon: 37.80,
        height_m: 1_900.0,
        boresight_az_deg: 100.0,
        half_fov_deg: 60.0,
        max_range_km: 2_500.0,
        min_elevation_deg: 0.0,
        sigma_range_m: 30.0,
        sigma_az_mrad: 1.0,
        sigma_el_mrad: 1.0,
    }
}

/// Revisit period of both radars, s.
pub const REVISIT_S: f64 = 4.0;
