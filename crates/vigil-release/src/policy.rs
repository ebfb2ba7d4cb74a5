//! The declarative release policy of one link (TOML).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use vigil_core::LatLon;

use crate::ReleaseError;
use crate::message::Kind;

/// A field (or class of data) a policy withholds: the `withhold` list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// Sensor lineage of tracks.
    Lineage,
    /// Every track flagged military, and every event about one: nothing is sent.
    MilitaryTracks,
    /// Callsigns (of tracks and of event subjects).
    Callsign,
    /// Mode 3/A codes.
    Squawk,
    /// Mode S addresses.
    Icao,
    /// Track velocities.
    Velocity,
    /// Track renegade categories.
    Category,
    /// The transponder-lost flag.
    TransponderLost,
    /// Alert evidence (the measured value and the words).
    Evidence,
    /// The user behind an incident transition.
    Operator,
    /// Incident reasons and remarks, hand-over remarks, station alarm remarks.
    Remarks,
    /// The state vector and covariance of missile tracks (a partner without them sees the
    /// track and its impact prediction but cannot fuse it).
    Estimate,
}

impl Field {
    /// Every field.
    pub const ALL: [Field; 12] = [
        Field::Lineage,
        Field::MilitaryTracks,
        Field::Callsign,
        Field::Squawk,
        Field::Icao,
        Field::Velocity,
        Field::Category,
        Field::TransponderLost,
        Field::Evidence,
        Field::Operator,
        Field::Remarks,
        Field::Estimate,
    ];
}

/// One release area (`[[area]]`): a polygon of its own, or a volume of the centre's
/// airspace (e.g. the `EPWW-UMKK` release band), with an altitude band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaPolicy {
    /// Name, for logs and errors.
    #[serde(default)]
    pub name: Option<String>,
    /// Polygon as `[lat, lon]` pairs (AIP order, closing vertex optional).
    #[serde(default)]
    pub polygon: Option<Vec<[f64; 2]>>,
    /// Id of a volume of the airspace (any kind: a release band, a FIR).
    #[serde(default)]
    pub volume: Option<String>,
    /// Lower limit, feet, inclusive. Required with a polygon; with a volume it narrows the
    /// volume's own band (both apply).
    #[serde(default)]
    pub lower_ft: Option<f64>,
    /// Upper limit, feet, inclusive; as `lower_ft`.
    #[serde(default)]
    pub upper_ft: Option<f64>,
    /// Release tracks without a known altitude when laterally inside (default false: an
    /// unknown altitude is not in any band). Primary-only tracks of a 2-D radar, among them a
    /// renegade with its transponder off, have none.
    #[serde(default)]
    pub unknown_altitude: bool,
}

impl AreaPolicy {
    /// The name used in messages: `name`, else the volume id, else `area #i`.
    pub fn label(&self, index: usize) -> String {
        self.name
            .clone()
            .or_else(|| self.volume.clone())
            .unwrap_or_else(|| format!("area #{index}"))
    }
}

/// Rate limits of track updates (`[rate_limit]`). Alerts, incidents and hand-overs are never
/// rate limited.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Track updates per second on the link (a token bucket holding one second's worth).
    #[serde(default)]
    pub tracks_per_s: Option<f64>,
    /// Minimum interval between two updates of one track, seconds.
    #[serde(default)]
    pub track_min_interval_s: Option<f64>,
}

/// The release policy of one link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleasePolicy {
    /// The link's name, for logs.
    #[serde(default)]
    pub link: Option<String>,
    /// The kinds of data that go out. Absent kinds never do.
    #[serde(default)]
    pub kinds: BTreeSet<Kind>,
    /// Release areas. A track goes out only inside one of them (laterally and in its band);
    /// with none, no track and (unless `events_outside_area`) no event goes out.
    #[serde(default, rename = "area")]
    pub areas: Vec<AreaPolicy>,
    /// Fields withheld: removed from every released copy.
    #[serde(default)]
    pub withhold: BTreeSet<Field>,
    /// Rate limits of track updates; none when absent.
    #[serde(default)]
    pub rate_limit: RateLimit,
    /// Forward data that did not originate at this centre (partner data, or another centre's
    /// of the same party) at all. Default false: never.
    #[serde(default)]
    pub forward_partner_data: bool,
    /// With `forward_partner_data`, the origin parties whose data may be forwarded. Explicit:
    /// list the own party too to forward another own centre's data.
    #[serde(default)]
    pub forward_parties: BTreeSet<String>,
    /// Release alerts, incident transitions and hand-overs (of the released kinds) about
    /// tracks outside every release area. Default false: an event about a track reveals
    /// where it is and who it is, so it needs the track inside an area like the track does.
    #[serde(default)]
    pub events_outside_area: bool,
}

fn check_band(area: &str, lower: Option<f64>, upper: Option<f64>) -> Result<(), ReleaseError> {
    let bad = |v: Option<f64>| v.is_some_and(|v| !v.is_finite());
    if bad(lower) || bad(upper) {
        return Err(ReleaseError::area(area, "altitude limits must be finite"));
    }
    if let (Some(l), Some(u)) = (lower, upper)
        && l > u
    {
        return Err(ReleaseError::area(
            area,
            format!("lower_ft {l} above upper_ft {u}"),
        ));
    }
    Ok(())
}

impl ReleasePolicy {
    /// Parses and validates a policy.
    pub fn from_toml_str(text: &str) -> Result<ReleasePolicy, ReleaseError> {
        let policy: ReleasePolicy = toml::from_str(text)?;
        policy.validate()?;
        Ok(policy)
    }

    /// Checks what serde cannot: each area is either a polygon (of at least three valid
    /// vertices, with both limits) or a volume; limits are finite and ordered; rate limits
    /// are positive; the forwarding switch and its allow-list agree (one without the other
    /// is refused as a probable mistake). Volume ids are checked against the airspace by
    /// [`crate::Releaser::new`].
    pub fn validate(&self) -> Result<(), ReleaseError> {
        for (i, a) in self.areas.iter().enumerate() {
            let label = a.label(i);
            match (&a.polygon, &a.volume) {
                (Some(p), None) => {
                    if p.len() < 3 {
                        return Err(ReleaseError::area(&label, "a polygon needs 3 vertices"));
                    }
                    if let Some(v) = p
                        .iter()
                        .find(|&&[lat, lon]| !LatLon::new(lat, lon).is_valid())
                    {
                        return Err(ReleaseError::area(&label, format!("bad [lat, lon] {v:?}")));
                    }
                    if a.lower_ft.is_none() || a.upper_ft.is_none() {
                        return Err(ReleaseError::area(
                            &label,
                            "a polygon needs lower_ft and upper_ft",
                        ));
                    }
                }
                (None, Some(_)) => {}
                _ => {
                    return Err(ReleaseError::area(
                        &label,
                        "give either `polygon` or `volume`",
                    ));
                }
            }
            check_band(&label, a.lower_ft, a.upper_ft)?;
        }
        let positive = |v: Option<f64>| v.is_none_or(|v| v.is_finite() && v > 0.0);
        if !positive(self.rate_limit.tracks_per_s)
            || !positive(self.rate_limit.track_min_interval_s)
        {
            return Err(ReleaseError::Invalid(
                "rate limits must be positive and finite".into(),
            ));
        }
        match (self.forward_partner_data, self.forward_parties.is_empty()) {
            (true, true) => Err(ReleaseError::Invalid(
                "forward_partner_data = true needs forward_parties (an explicit allow-list)".into(),
            )),
            (false, false) => Err(ReleaseError::Invalid(
                "forward_parties is set but forward_partner_data is false".into(),
            )),
            _ => Ok(()),
        }
    }

    /// Whether a kind is released.
    pub fn releases(&self, kind: Kind) -> bool {
        self.kinds.contains(&kind)
    }

    /// Whether a field is withheld.
    pub fn withholds(&self, field: Field) -> bool {
        self.withhold.contains(&field)
    }
}
