//! Serialisable outputs for the UI and the links: one row per track (own or joint).

use nalgebra::Vector3;
use serde::{Deserialize, Serialize};

use crate::filter::Estimate;
use crate::impact::{Ellipse, GroundPrediction};
use crate::planning::{EngagementAdvice, PlanningConfig, advise};
use crate::threat::{City, Threat, assess};
use crate::tracker::{MissileTrack, TrackPhase, TrackStatus};

/// A predicted ground point for display.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PointReport {
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Time, s.
    pub t: f64,
    /// Standard deviation of the time, s.
    pub t_sd: f64,
    /// 95 % ellipse.
    pub ellipse: Ellipse,
}

impl From<&GroundPrediction> for PointReport {
    fn from(g: &GroundPrediction) -> Self {
        Self {
            lat: g.point.lat,
            lon: g.point.lon,
            t: g.t,
            t_sd: g.t_sd,
            ellipse: g.ellipse,
        }
    }
}

/// One track as the UI shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackReport {
    /// Party whose picture it is (or "joint").
    pub party: String,
    /// Track identifier in that picture.
    pub id: u64,
    /// Whether confirmed.
    pub confirmed: bool,
    /// Time of the estimate, s.
    pub t: f64,
    /// Phase.
    pub phase: TrackPhase,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Height above the ellipsoid, metres.
    pub height_m: f64,
    /// ECEF velocity, m/s.
    pub velocity_ecef: [f64; 3],
    /// Speed, m/s.
    pub speed_m_s: f64,
    /// Estimated ballistic coefficient, kg/m² (null when not finite).
    pub beta_kg_m2: Option<f64>,
    /// Predicted impact with its 95 % ellipse.
    pub impact: Option<PointReport>,
    /// Time to impact, s.
    pub time_to_impact_s: Option<f64>,
    /// Estimated launch point.
    pub launch: Option<PointReport>,
    /// Threatened party, country and cities.
    pub threat: Option<Threat>,
    /// Engagement advice (advice only).
    pub engagement: Option<EngagementAdvice>,
}

/// What the report needs besides the track.
#[derive(Debug, Clone, Copy)]
pub struct ReportContext<'a> {
    /// City list.
    pub cities: &'a [City],
    /// Margin around the ellipse for threatened cities, km.
    pub city_margin_km: f64,
    /// Planning configuration (no engagement advice without it).
    pub planning: Option<&'a PlanningConfig>,
}

fn phase_of(est: &Estimate) -> TrackPhase {
    let r = Vector3::new(est.x[0], est.x[1], est.x[2]);
    let v = Vector3::new(est.x[3], est.x[4], est.x[5]);
    if crate::dynamics::height_m(&r) >= crate::dynamics::ATMOSPHERE_M {
        TrackPhase::Midcourse
    } else if r.dot(&v) > 0.0 {
        TrackPhase::Ascent
    } else {
        TrackPhase::Reentry
    }
}

/// The report of an estimate with its predictions.
#[allow(clippy::too_many_arguments)]
pub fn report(
    party: &str,
    id: u64,
    confirmed: bool,
    est: &Estimate,
    t: f64,
    impact: Option<&GroundPrediction>,
    launch: Option<&GroundPrediction>,
    ctx: &ReportContext<'_>,
) -> TrackReport {
    let r = Vector3::new(est.x[0], est.x[1], est.x[2]);
    let v = Vector3::new(est.x[3], est.x[4], est.x[5]);
    let g = vigil_track::geo::ecef_to_geodetic(&r);
    let beta = crate::dynamics::beta_of_kappa(est.x[6]);
    let threat = impact.map(|ip| assess(ip, ctx.cities, ctx.city_margin_km));
    let engagement = match (impact, ctx.planning) {
        (Some(ip), Some(p)) => Some(advise(
            p,
            est,
            t,
            ip.t,
            &ip.point,
            threat.as_ref().and_then(|th| th.party.as_deref()),
        )),
        _ => None,
    };
    TrackReport {
        party: party.to_string(),
        id,
        confirmed,
        t,
        phase: phase_of(est),
        lat: g.pos.lat,
        lon: g.pos.lon,
        height_m: g.height_m,
        velocity_ecef: [v.x, v.y, v.z],
        speed_m_s: v.norm(),
        beta_kg_m2: beta.is_finite().then_some(beta),
        impact: impact.map(PointReport::from),
        time_to_impact_s: impact.map(|ip| ip.t - t),
        launch: launch.map(PointReport::from),
        threat,
        engagement,
    }
}

/// The report of a party's own track.
pub fn track_report(party: &str, tr: &MissileTrack, ctx: &ReportContext<'_>) -> TrackReport {
    report(
        party,
        tr.id.0,
        tr.status == TrackStatus::Confirmed,
        &tr.est,
        tr.t,
        tr.impact.as_ref(),
        tr.launch.as_ref(),
        ctx,
    )
}
