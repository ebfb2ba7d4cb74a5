//! Planning and operations advice: which interceptor sites could engage a threat track and
//! when, whose sector it falls in under a sectoral arrangement, and which sites each party
//! has under coordinated independent defence; pre-planned responses from configuration
//! (`config/missile/interceptors.toml`).
//!
//! **Advice only.** Nothing here, or anywhere in Vigil, commands an interceptor: the types
//! are reports for the duty officers of each party, who keep their own chains of command.

use std::collections::BTreeMap;

use nalgebra::Vector3;
use serde::{Deserialize, Serialize};
use vigil_core::{Geodetic, LatLon};

use crate::dynamics;
use crate::filter::Estimate;

/// An interceptor site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterceptorSite {
    /// Name.
    pub name: String,
    /// Owning party.
    pub party: String,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Maximum ground range of an intercept from the site, km.
    pub max_range_km: f64,
    /// Highest intercept altitude, km.
    pub max_altitude_km: f64,
    /// Lowest intercept altitude, km.
    pub min_altitude_km: f64,
    /// Mean fly-out speed of the interceptor, km/s.
    pub flyout_speed_km_s: f64,
    /// Time from the decision to the launch, s.
    pub reaction_time_s: f64,
}

/// A party's sector under a sectoral arrangement: a polygon of (lat, lon) vertices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sector {
    /// The party defending it.
    pub party: String,
    /// Vertices, degrees `[lat, lon]`, in order.
    pub polygon: Vec<[f64; 2]>,
}

/// The threat classes the tracker can tell apart, by its ballistic coefficient estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThreatClass {
    /// β not yet observable (above the atmosphere).
    Unknown,
    /// Heavy (β ≥ 2,000 kg/m²): a re-entry vehicle or a stage.
    Heavy,
    /// Light (β < 2,000 kg/m²): debris or a decoy.
    Light,
    /// Any class (responses only).
    Any,
}

/// A pre-planned response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Response {
    /// Name.
    pub name: String,
    /// Class it applies to.
    pub threat_class: ThreatClass,
    /// The threatened party it applies to (`"any"` for all).
    pub threatened_party: String,
    /// Sites it names.
    pub sites: Vec<String>,
    /// Advice text for the duty officers.
    pub advice: String,
}

/// The planning configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanningConfig {
    /// Interceptor sites.
    #[serde(rename = "site")]
    pub sites: Vec<InterceptorSite>,
    /// Sectors of the sectoral arrangement.
    #[serde(rename = "sector", default)]
    pub sectors: Vec<Sector>,
    /// Pre-planned responses.
    #[serde(rename = "response", default)]
    pub responses: Vec<Response>,
}

/// The planning configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PlanningError {
    /// Not valid TOML for the schema.
    #[error("planning config: {0}")]
    Parse(#[from] toml::de::Error),
    /// A site's values are not physical.
    #[error("interceptor site {0}: values out of range")]
    Site(String),
}

impl PlanningConfig {
    /// Parses and checks the configuration.
    pub fn from_toml(text: &str) -> Result<Self, PlanningError> {
        let cfg: PlanningConfig = toml::from_str(text)?;
        for s in &cfg.sites {
            let ok = (-90.0..=90.0).contains(&s.lat)
                && (-180.0..=180.0).contains(&s.lon)
                && s.max_range_km > 0.0
                && s.flyout_speed_km_s > 0.0
                && s.reaction_time_s >= 0.0
                && s.min_altitude_km >= 0.0
                && s.max_altitude_km > s.min_altitude_km;
            if !ok {
                return Err(PlanningError::Site(s.name.clone()));
            }
        }
        Ok(cfg)
    }
}

/// When a site could intercept: the span of predicted times at which an interceptor
/// launched after the reaction time reaches the threat inside the site's envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngagementWindow {
    /// Site.
    pub site: String,
    /// Its party.
    pub party: String,
    /// First feasible intercept time, s.
    pub t_first: f64,
    /// Last feasible intercept time, s.
    pub t_last: f64,
    /// Latest launch time for the first intercept (decision deadline), s.
    pub launch_by: f64,
    /// Altitude of the threat at the first feasible intercept, km.
    pub altitude_first_km: f64,
}

/// The advice for one threat track.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngagementAdvice {
    /// Always true: this is advice, never a command.
    pub advice_only: bool,
    /// Threat class from the β estimate.
    pub threat_class: ThreatClass,
    /// Sites that could engage, with their windows.
    pub windows: Vec<EngagementWindow>,
    /// Sectoral arrangement: the party whose sector holds the predicted impact point.
    pub sector_party: Option<String>,
    /// Sectoral arrangement: that party's sites able to engage.
    pub sectoral_sites: Vec<String>,
    /// Coordinated independent defence: each party's sites able to engage (each defends its
    /// own territory; the threatened party leads).
    pub independent_sites: BTreeMap<String, Vec<String>>,
    /// Pre-planned responses that match (name and advice text).
    pub responses: Vec<(String, String)>,
}

/// Time step of the predicted trajectory searched for intercepts, s.
pub const SEARCH_STEP_S: f64 = 2.0;

/// The threat class of an estimate.
pub fn threat_class(est: &Estimate) -> ThreatClass {
    let r = Vector3::new(est.x[0], est.x[1], est.x[2]);
    // κ is observable only once drag has acted: before that, the prior says nothing.
    if dynamics::height_m(&r) > dynamics::ATMOSPHERE_M {
        return ThreatClass::Unknown;
    }
    if dynamics::beta_of_kappa(est.x[6]) >= 2_000.0 {
        ThreatClass::Heavy
    } else {
        ThreatClass::Light
    }
}

/// Whether `p` is inside a polygon of `[lat, lon]` vertices (even-odd rule on the plate
/// carrée, adequate for sectors a few hundred km across away from the date line).
pub fn in_polygon(p: &LatLon, poly: &[[f64; 2]]) -> bool {
    let mut inside = false;
    let n = poly.len();
    for i in 0..n {
        let [ya, xa] = poly[i];
        let [yb, xb] = poly[(i + n - 1) % n];
        if (ya > p.lat) != (yb > p.lat) {
            let x = xa + (p.lat - ya) / (yb - ya) * (xb - xa);
            if p.lon < x {
                inside = !inside;
            }
        }
    }
    inside
}

/// The advice for a threat: its estimate `est` at `t_now`, its predicted impact time and
/// point, the threatened party (from [`crate::threat::assess`]).
pub fn advise(
    cfg: &PlanningConfig,
    est: &Estimate,
    t_now: f64,
    impact_t: f64,
    impact_point: &LatLon,
    threatened_party: Option<&str>,
) -> EngagementAdvice {
    // The mean trajectory to the ground, sampled every SEARCH_STEP_S.
    let mut path = Vec::new();
    let mut x = est.x;
    let mut t = t_now;
    while t <= impact_t && path.len() < 4_000 {
        let r = Vector3::new(x[0], x[1], x[2]);
        if dynamics::height_m(&r) < 0.0 {
            break;
        }
        path.push((t, r));
        x = dynamics::propagate(&x, SEARCH_STEP_S, true);
        t += SEARCH_STEP_S;
    }
    let mut windows = Vec::new();
    for s in &cfg.sites {
        let site_pos = LatLon::new(s.lat, s.lon);
        let site_ecef = vigil_track::geo::geodetic_to_ecef(&Geodetic {
            pos: site_pos,
            height_m: 0.0,
        });
        let mut first: Option<(f64, f64, f64)> = None;
        let mut last = None;
        for &(ti, r) in &path {
            let g = vigil_track::geo::ecef_to_geodetic(&r);
            let alt_km = g.height_m / 1e3;
            if alt_km < s.min_altitude_km || alt_km > s.max_altitude_km {
                continue;
            }
            if site_pos.distance_m(&g.pos) / 1e3 > s.max_range_km {
                continue;
            }
            let flyout = (r - site_ecef).norm() / (s.flyout_speed_km_s * 1e3);
            let launch = ti - flyout;
            if launch < t_now + s.reaction_time_s {
                continue;
            }
            if first.is_none() {
                first = Some((ti, launch, alt_km));
            }
            last = Some(ti);
        }
        if let (Some((t_first, launch_by, altitude_first_km)), Some(t_last)) = (first, last) {
            windows.push(EngagementWindow {
                site: s.name.clone(),
                party: s.party.clone(),
                t_first,
                t_last,
                launch_by,
                altitude_first_km,
            });
        }
    }
    let sector_party = cfg
        .sectors
        .iter()
        .find(|s| in_polygon(impact_point, &s.polygon))
        .map(|s| s.party.clone());
    let sectoral_sites = windows
        .iter()
        .filter(|w| Some(&w.party) == sector_party.as_ref())
        .map(|w| w.site.clone())
        .collect();
    let mut independent_sites: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for w in &windows {
        independent_sites
            .entry(w.party.clone())
            .or_default()
            .push(w.site.clone());
    }
    let class = threat_class(est);
    let responses = cfg
        .responses
        .iter()
        .filter(|r| {
            (r.threat_class == ThreatClass::Any || r.threat_class == class)
                && (r.threatened_party == "any"
                    || Some(r.threatened_party.as_str()) == threatened_party)
        })
        .map(|r| (r.name.clone(), r.advice.clone()))
        .collect();
    EngagementAdvice {
        advice_only: true,
        threat_class: class,
        windows,
        sector_party,
        sectoral_sites,
        independent_sites,
        responses,
    }
}
