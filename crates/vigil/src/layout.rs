//! `/data/layout.json`: what the map draws beside the tracks, fixed at start: the sensors and
//! their coverage, the FIRs with the party responsible, restricted and release areas, and
//! the cities the renegade rules protect. GeoJSON for the areas, so other tools read it too.

use serde_json::{Value, json};
use vigil_airspace::{Airspace, VolumeKind};
use vigil_core::LatLon;

use crate::config::Config;

/// The layout, built once.
#[derive(Debug)]
pub struct Layout {
    /// The JSON served.
    pub json: Value,
}

impl Layout {
    /// From the configuration and the desk's airspace.
    pub fn new(cfg: &Config, airspace: Option<&Airspace>) -> Layout {
        let reference = cfg
            .picture
            .reference
            .map(|r| LatLon::new(r.lat, r.lon))
            .or_else(|| cfg.tracker.centre.map(|r| LatLon::new(r.lat, r.lon)));
        let mut sensors = Vec::new();
        for r in &cfg.radars {
            if let Some(o) = r.origin() {
                sensors.push(json!({
                    "name": r.name,
                    "kind": "radar",
                    "lat": o.pos.lat,
                    "lon": o.pos.lon,
                    "range_km": cfg.tracker.radar_range_m / 1e3,
                }));
            }
        }
        // An ADS-B feed has no position of its own: it is the receiver at the reference.
        if let Some(r) = reference {
            for f in &cfg.feeds {
                sensors.push(json!({
                    "name": f.name(),
                    "kind": "adsb",
                    "lat": r.lat,
                    "lon": r.lon,
                    "range_km": cfg.tracker.adsb_range_m / 1e3,
                }));
            }
        }
        let mut features = Vec::new();
        if let Some(a) = airspace {
            for v in a.volumes() {
                let kind = match v.kind {
                    VolumeKind::Fir => "fir",
                    VolumeKind::Restricted => "restricted",
                    VolumeKind::Release => "release",
                };
                let rings: Vec<Vec<[f64; 2]>> = v
                    .rings()
                    .iter()
                    .map(|ring| ring.iter().map(|p| [p.lon, p.lat]).collect())
                    .collect();
                features.push(json!({
                    "type": "Feature",
                    "properties": {
                        "kind": kind,
                        "id": v.id,
                        "name": v.name,
                        "party": v.party,
                        "lower_ft": v.lower_ft,
                        "upper_ft": v.upper_ft,
                    },
                    "geometry": {"type": "Polygon", "coordinates": rings},
                }));
            }
        }
        if cfg.renegade.enabled {
            for c in &cfg.renegade.rules.cities {
                let p = c.centre();
                features.push(json!({
                    "type": "Feature",
                    "properties": {"kind": "city", "name": c.name, "radius_km": c.radius_km},
                    "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
                }));
            }
        }
        Layout {
            json: json!({
                "centre": cfg.centre.name,
                "reference": reference.map(|r| json!({"lat": r.lat, "lon": r.lon})),
                "sensors": sensors,
                "airspace": {"type": "FeatureCollection", "features": features},
            }),
        }
    }
}
