//! Reading FIRs from a GeoJSON FeatureCollection such as EUROCONTROL's `eurofirs.json`
//! (properties `IDENT`, `NAME`, `LOWERLIMIT`/`LOWERUNIT`, `UPPERLIMIT`/`UPPERUNIT`; limits are
//! strings or numbers in `FL`, `FT` or `M`).

use serde::Deserialize;
use serde_json::Value;
use vigil_core::LatLon;

use crate::{AirspaceError, FirSpec};

#[derive(Deserialize)]
struct Collection {
    features: Vec<Feature>,
}

#[derive(Deserialize)]
struct Feature {
    properties: serde_json::Map<String, Value>,
    geometry: Geometry,
}

/// GeoJSON positions may carry a third (altitude) element: read each as a list.
#[derive(Deserialize)]
#[serde(tag = "type", content = "coordinates")]
enum Geometry {
    Polygon(Vec<Vec<Vec<f64>>>),
    MultiPolygon(Vec<Vec<Vec<Vec<f64>>>>),
}

/// Parses every feature into a FIR (no party: parties come from the configuration).
pub fn parse_firs(text: &str) -> Result<Vec<FirSpec>, AirspaceError> {
    let c: Collection =
        serde_json::from_str(text).map_err(|e| AirspaceError::GeoJson(e.to_string()))?;
    c.features.into_iter().map(feature).collect()
}

fn feature(f: Feature) -> Result<FirSpec, AirspaceError> {
    let p = &f.properties;
    let id =
        text(p, "IDENT").ok_or_else(|| AirspaceError::GeoJson("feature without IDENT".into()))?;
    let name = text(p, "NAME").unwrap_or_else(|| id.clone());
    let lower_ft = limit_ft(&id, p, "LOWERLIMIT", "LOWERUNIT")?;
    let upper_ft = limit_ft(&id, p, "UPPERLIMIT", "UPPERUNIT")?;
    let polygons = match f.geometry {
        Geometry::Polygon(rings) => vec![rings],
        Geometry::MultiPolygon(polys) => polys,
    };
    let mut rings = Vec::new();
    for ring in polygons.into_iter().flatten() {
        let mut r = Vec::with_capacity(ring.len());
        for pos in ring {
            match pos.as_slice() {
                [lon, lat, ..] => r.push(LatLon::new(*lat, *lon)),
                _ => {
                    return Err(AirspaceError::invalid(
                        &id,
                        "position with fewer than 2 numbers",
                    ));
                }
            }
        }
        rings.push(r);
    }
    Ok(FirSpec {
        id,
        name,
        party: None,
        rings,
        lower_ft,
        upper_ft,
    })
}

fn text(p: &serde_json::Map<String, Value>, key: &str) -> Option<String> {
    match p.get(key)? {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn limit_ft(
    id: &str,
    p: &serde_json::Map<String, Value>,
    value: &str,
    unit: &str,
) -> Result<f64, AirspaceError> {
    let v: f64 = text(p, value)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| AirspaceError::invalid(id, format!("missing or bad {value}")))?;
    let unit = text(p, unit).unwrap_or_else(|| "FT".into());
    match unit.to_ascii_uppercase().as_str() {
        "FL" => Ok(v * 100.0),
        "FT" => Ok(v),
        "M" => Ok(v / 0.3048),
        other => Err(AirspaceError::invalid(
            id,
            format!("unknown altitude unit {other}"),
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn units_and_multipolygons() {
        let text = r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{"IDENT":"XXXX","NAME":"TEST FIR","LOWERLIMIT":"0",
            "LOWERUNIT":"M","UPPERLIMIT":"195","UPPERUNIT":"FL"},
           "geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],
             [[[2,0,100],[3,0,100],[3,1,100],[2,0,100]]]]}}]}"#;
        let firs = parse_firs(text).unwrap();
        assert_eq!(firs.len(), 1);
        assert_eq!(firs[0].upper_ft, 19_500.0);
        assert_eq!(firs[0].lower_ft, 0.0);
        assert_eq!(firs[0].rings.len(), 2);
        assert_eq!(firs[0].rings[1][1], LatLon::new(0.0, 3.0));
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(parse_firs("{").is_err());
        assert!(
            parse_firs(
                r#"{"features":[{"properties":{},"geometry":{"type":"Polygon","coordinates":[]}}]}"#
            )
            .is_err()
        );
    }
}
