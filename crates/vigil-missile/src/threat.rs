//! Who is threatened: cities inside (or near) a predicted impact ellipse, from a city list
//! in configuration (`config/missile/cities.toml`), and the countries of the impact point
//! and of the whole ellipse from coarse territory polygons
//! (`config/missile/territories.toml`, [`assess_with_territories`]).

use nalgebra::Vector2;
use serde::{Deserialize, Serialize};
use vigil_core::LatLon;

use crate::impact::{CHI2_2DOF_95, GroundPrediction};

/// One city of the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct City {
    /// Name.
    pub name: String,
    /// Country.
    pub country: String,
    /// Party the country belongs to.
    pub party: String,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Population.
    pub population: u64,
}

/// The city list file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CityList {
    /// Cities.
    #[serde(rename = "city")]
    pub cities: Vec<City>,
}

/// The city list could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CityError {
    /// Not valid TOML for the schema.
    #[error("city list: {0}")]
    Parse(#[from] toml::de::Error),
    /// A city has coordinates out of range.
    #[error("city {0}: coordinates out of range")]
    Coordinates(String),
}

impl CityList {
    /// Parses and checks a city list.
    pub fn from_toml(text: &str) -> Result<Self, CityError> {
        let list: CityList = toml::from_str(text)?;
        for c in &list.cities {
            if !((-90.0..=90.0).contains(&c.lat) && (-180.0..=180.0).contains(&c.lon)) {
                return Err(CityError::Coordinates(c.name.clone()));
            }
        }
        Ok(list)
    }
}

/// A threatened city.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreatenedCity {
    /// Name.
    pub name: String,
    /// Country.
    pub country: String,
    /// Party.
    pub party: String,
    /// Population.
    pub population: u64,
    /// Distance from the predicted impact point, km.
    pub distance_km: f64,
    /// Inside the 95 % ellipse itself (not only within the margin).
    pub inside: bool,
}

/// The threat assessment of one impact prediction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Threat {
    /// The threatened party: that of the city nearest the impact point, when one is within
    /// [`NEAREST_CITY_KM`].
    pub party: Option<String>,
    /// The threatened country, by the same rule.
    pub country: Option<String>,
    /// Cities in the ellipse or within the margin of it, nearest first.
    pub cities: Vec<ThreatenedCity>,
    /// Every country the 95 % ellipse touches (from territories; empty from [`assess`]),
    /// the impact point's first, then by name.
    #[serde(default)]
    pub countries: Vec<String>,
}

/// How far the nearest city may be for its country to count as the one threatened, km.
pub const NEAREST_CITY_KM: f64 = 400.0;

/// The threat of an impact prediction: cities in the 95 % ellipse grown by `margin_km`.
pub fn assess(ip: &GroundPrediction, cities: &[City], margin_km: f64) -> Threat {
    let mut hit = Vec::new();
    let mut nearest: Option<(&City, f64)> = None;
    for c in cities {
        let p = LatLon::new(c.lat, c.lon);
        let d = ip.point.distance_m(&p) / 1e3;
        if nearest.is_none_or(|(_, n)| d < n) {
            nearest = Some((c, d));
        }
        if ip.contains(&p, margin_km * 1e3) {
            hit.push(ThreatenedCity {
                name: c.name.clone(),
                country: c.country.clone(),
                party: c.party.clone(),
                population: c.population,
                distance_km: d,
                inside: ip.contains(&p, 0.0),
            });
        }
    }
    hit.sort_by(|a, b| a.distance_km.total_cmp(&b.distance_km));
    let near = nearest.filter(|(_, d)| *d <= NEAREST_CITY_KM);
    Threat {
        party: near.map(|(c, _)| c.party.clone()),
        country: near.map(|(c, _)| c.country.clone()),
        cities: hit,
        countries: Vec::new(),
    }
}

/// One country's coarse territory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Territory {
    /// Country.
    pub country: String,
    /// Party the country belongs to.
    pub party: String,
    /// Outline rings, each `[[lon, lat], ...]` in degrees (closed or not; several for
    /// islands and exclaves). Plane lon / lat geometry: fine at this coarseness away from
    /// the poles and the antimeridian.
    pub rings: Vec<Vec<[f64; 2]>>,
}

impl Territory {
    /// Whether `p` is inside one of the rings (even-odd rule).
    pub fn contains(&self, p: &LatLon) -> bool {
        self.rings.iter().any(|r| ring_contains(r, p.lon, p.lat))
    }
}

fn ring_contains(ring: &[[f64; 2]], x: f64, y: f64) -> bool {
    let mut inside = false;
    let n = ring.len();
    for i in 0..n {
        let [xi, yi] = ring[i];
        let [xj, yj] = ring[(i + n - 1) % n];
        if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
            inside = !inside;
        }
    }
    inside
}

/// The territories file (`[[territory]]`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Territories {
    /// Territories, first match wins where outlines overlap.
    #[serde(rename = "territory")]
    pub territories: Vec<Territory>,
}

impl Territories {
    /// Parses and checks a territories file.
    pub fn from_toml(text: &str) -> Result<Self, CityError> {
        let list: Territories = toml::from_str(text)?;
        for t in &list.territories {
            let ok = !t.rings.is_empty()
                && t.rings.iter().all(|r| {
                    r.len() >= 3
                        && r.iter().all(|[lon, lat]| {
                            (-180.0..=180.0).contains(lon) && (-90.0..=90.0).contains(lat)
                        })
                });
            if !ok {
                return Err(CityError::Coordinates(t.country.clone()));
            }
        }
        Ok(list)
    }

    /// The territory containing `p`.
    pub fn at(&self, p: &LatLon) -> Option<&Territory> {
        self.territories.iter().find(|t| t.contains(p))
    }
}

/// Points on the boundary of the 95 % ellipse of `ip` (`n` of them), and its centre.
fn ellipse_points(ip: &GroundPrediction, n: usize) -> Vec<LatLon> {
    let mut out = vec![ip.point];
    let Some(ch) = ip.cov_en.cholesky() else {
        return out;
    };
    let l = ch.l() * CHI2_2DOF_95.sqrt();
    for k in 0..n {
        let a = k as f64 * std::f64::consts::TAU / n as f64;
        let en = l * Vector2::new(a.cos(), a.sin());
        out.push(
            ip.point
                .destination(en.x.atan2(en.y).to_degrees(), en.norm()),
        );
    }
    out
}

/// [`assess`], with the threatened country and party those of the territory containing the
/// impact point (the nearest city's within [`NEAREST_CITY_KM`] only when no territory
/// contains it), and [`Threat::countries`] every territory the 95 % ellipse touches: one
/// containing the centre or one of 72 points of its boundary, or with a vertex inside it.
pub fn assess_with_territories(
    ip: &GroundPrediction,
    cities: &[City],
    margin_km: f64,
    territories: &Territories,
) -> Threat {
    let mut th = assess(ip, cities, margin_km);
    if let Some(t) = territories.at(&ip.point) {
        th.country = Some(t.country.clone());
        th.party = Some(t.party.clone());
    }
    let pts = ellipse_points(ip, 72);
    let mut touched: Vec<String> = territories
        .territories
        .iter()
        .filter(|t| {
            pts.iter().any(|p| t.contains(p))
                || t.rings
                    .iter()
                    .flatten()
                    .any(|[lon, lat]| ip.contains(&LatLon::new(*lat, *lon), 0.0))
        })
        .map(|t| t.country.clone())
        .collect();
    touched.sort();
    touched.dedup();
    if let Some(c) = territories.at(&ip.point).map(|t| &t.country)
        && let Some(i) = touched.iter().position(|x| x == c)
    {
        let c = touched.remove(i);
        touched.insert(0, c);
    }
    th.countries = touched;
    th
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use nalgebra::Matrix2;

    use super::*;
    use crate::impact::Ellipse;

    fn config(name: &str) -> String {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../config/missile")
            .join(name);
        std::fs::read_to_string(p).unwrap()
    }

    fn prediction(lat: f64, lon: f64, sd_m: f64) -> GroundPrediction {
        let cov = Matrix2::identity() * sd_m * sd_m;
        GroundPrediction {
            point: LatLon::new(lat, lon),
            t: 0.0,
            t_sd: 1.0,
            cov_en: cov,
            ellipse: Ellipse::from_cov(&cov, CHI2_2DOF_95),
        }
    }

    #[test]
    fn every_listed_city_lies_in_its_countrys_territory() {
        let terr = Territories::from_toml(&config("territories.toml")).unwrap();
        let cities = CityList::from_toml(&config("cities.toml")).unwrap();
        for c in &cities.cities {
            let t = terr.at(&LatLon::new(c.lat, c.lon));
            assert_eq!(
                t.map(|t| t.country.as_str()),
                Some(c.country.as_str()),
                "{}",
                c.name
            );
            assert_eq!(t.unwrap().party, c.party, "{}", c.name);
        }
        for (lat, lon, country) in [
            (54.71, 20.51, "Russia"), // Kaliningrad, the exclave ring
            (39.93, 32.85, "Turkey"),
            (35.69, 51.39, "Iran"),
            (41.72, 44.79, "Georgia"),
            (35.2, 25.1, "Greece"), // Crete
        ] {
            let t = terr.at(&LatLon::new(lat, lon)).map(|t| t.country.as_str());
            assert_eq!(t, Some(country), "{lat} {lon}");
        }
        // The Black Sea is nobody's.
        assert!(terr.at(&LatLon::new(43.0, 34.0)).is_none());
    }

    #[test]
    fn impact_country_by_polygon_and_every_country_the_ellipse_touches() {
        let terr = Territories::from_toml(&config("territories.toml")).unwrap();
        let cities = CityList::from_toml(&config("cities.toml")).unwrap().cities;
        // Just north of the Danube between Romania and Bulgaria (Giurgiu / Ruse), with an
        // ellipse of 95 % radius ~ 37 km: Romania hit, Bulgaria touched.
        let ip = prediction(43.95, 25.9, 15_000.0);
        let th = assess_with_territories(&ip, &cities, 0.0, &terr);
        assert_eq!(th.country.as_deref(), Some("Romania"));
        assert_eq!(th.party.as_deref(), Some("NATO"));
        assert_eq!(th.countries, vec!["Romania".to_string(), "Bulgaria".into()]);
        // Central Anatolia, far from the listed cities: the territory decides.
        let ip = prediction(38.7, 35.5, 5_000.0);
        let th = assess_with_territories(&ip, &cities, 0.0, &terr);
        assert_eq!(th.country.as_deref(), Some("Turkey"));
        assert_eq!(th.countries, vec!["Turkey".to_string()]);
        // At sea: no country, no party, unless the ellipse reaches a coast.
        let ip = prediction(43.0, 34.0, 5_000.0);
        let th = assess_with_territories(&ip, &cities, 0.0, &terr);
        assert!(th.countries.is_empty(), "{:?}", th.countries);
        // Cities inside the ellipse still come from the city list.
        let ip = prediction(44.43, 26.10, 10_000.0);
        let th = assess_with_territories(&ip, &cities, 0.0, &terr);
        assert_eq!(th.cities[0].name, "Bucuresti");
        assert!(th.cities[0].inside);
    }

    #[test]
    fn a_bad_territory_is_refused() {
        let bad =
            "[[territory]]\ncountry = \"X\"\nparty = \"Y\"\nrings = [[[0.0, 0.0], [1.0, 1.0]]]\n";
        assert!(Territories::from_toml(bad).is_err());
    }
}
