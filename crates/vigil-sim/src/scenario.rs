//! The scenario file format (TOML). See `scenarios/*.toml` at the repository root for
//! commented examples; every key is described on the field below.
//!
//! Times inside a scenario are seconds after `start` (`at_s`, `depart_s`, `scramble_s`):
//! an exercise is written once and can be replayed at any date by changing `start`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use vigil_core::{IcaoAddress, LatLon};

use crate::ScenarioError;

/// A whole scenario file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Name shown to operators.
    pub name: String,
    /// Free text: what the exercise tests.
    #[serde(default)]
    pub description: Option<String>,
    /// Start time, RFC 3339 UTC (`2011-06-07T09:00:00Z`).
    pub start: String,
    /// Length, seconds.
    pub duration_s: f64,
    /// Seed for anything random downstream (sensor noise, dropouts). The truth itself is not
    /// random; the seed travels with it so the frames made from it are reproducible too.
    #[serde(default)]
    pub seed: u64,
    /// Exercise data: everything made from this scenario must carry an exercise label.
    #[serde(default)]
    pub exercise: bool,
    /// Airspace for FIR membership (hand-overs).
    #[serde(default)]
    pub airspace: Option<AirspaceSpec>,
    /// Aerodromes used by the scenario, so it needs no external aeronautical data.
    #[serde(default, rename = "aerodrome")]
    pub aerodromes: Vec<AerodromeSpec>,
    /// The scenario's own flights.
    #[serde(default, rename = "aircraft")]
    pub aircraft: Vec<AircraftSpec>,
    /// Interceptors.
    #[serde(default, rename = "fighter")]
    pub fighters: Vec<FighterSpec>,
    /// Recorded traffic replayed around the exercise.
    #[serde(default)]
    pub background: Option<BackgroundSpec>,
    /// Folder relative paths are read from (the scenario file's folder).
    #[serde(skip)]
    pub base_dir: PathBuf,
}

/// `[airspace]`: where FIR polygons come from.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AirspaceSpec {
    /// A vigil-airspace configuration (TOML), relative to the scenario file: the FIRs that
    /// `eurofirs.json` lacks (UMKK, URRV) and the FIR-to-party table.
    #[serde(default)]
    pub config: Option<String>,
    /// EUROCONTROL's `eurofirs.json`, relative to the scenario file; used when present.
    #[serde(default)]
    pub eurofirs: Option<String>,
    /// A second configuration used only when `eurofirs` is absent: coarse polygons of the
    /// FIRs it would have given, so the scenario runs on a fresh clone.
    #[serde(default)]
    pub without_eurofirs: Option<String>,
    /// Cities (for rules about aircraft heading for populated areas).
    #[serde(default, rename = "city")]
    pub cities: Vec<CitySpec>,
}

/// A city.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CitySpec {
    /// Name.
    pub name: String,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Radius, kilometres.
    pub radius_km: f64,
}

/// `[[aerodrome]]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AerodromeSpec {
    /// ICAO location indicator, or a local name for a military base without one.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Latitude of the reference point (taken as the runway threshold), degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Elevation, feet.
    #[serde(default)]
    pub elevation_ft: f64,
}

/// A position.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointSpec {
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
}

/// A route point: an aerodrome id or an ICAO coordinate (`"5130N01930E"`, `"54N020E"`) as a
/// string, or a table `{ lat, lon, alt_ft, speed_kt }` / `{ aerodrome, alt_ft, speed_kt }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum WaypointSpec {
    /// An aerodrome id or an ICAO coordinate.
    Name(String),
    /// A table.
    Table(WaypointTable),
}

/// The table form of a route point.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaypointTable {
    /// Latitude, degrees (with `lon`).
    #[serde(default)]
    pub lat: Option<f64>,
    /// Longitude, degrees (with `lat`).
    #[serde(default)]
    pub lon: Option<f64>,
    /// Or an aerodrome id (or ICAO coordinate) instead of `lat`/`lon`.
    #[serde(default)]
    pub aerodrome: Option<String>,
    /// Fly the leg to this point at this altitude, and keep it after, feet.
    #[serde(default)]
    pub alt_ft: Option<f64>,
    /// Fly the leg to this point at this speed, and keep it after, knots.
    #[serde(default)]
    pub speed_kt: Option<f64>,
}

/// An initial state in the air at t = 0.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AirborneSpec {
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Altitude, feet.
    pub alt_ft: f64,
    /// Course, degrees true.
    pub course: f64,
    /// Ground speed, knots.
    pub speed_kt: f64,
}

/// `[[aircraft]]`: one of the scenario's own flights.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AircraftSpec {
    /// Callsign (aircraft identification), e.g. `"VSX101"`.
    pub callsign: String,
    /// Mode S address, six hex digits.
    pub icao: String,
    /// Mode 3/A code at the start, four octal digits.
    #[serde(default)]
    pub squawk: Option<String>,
    /// ICAO type designator, e.g. `"B738"`.
    #[serde(default, rename = "type")]
    pub aircraft_type: Option<String>,
    /// Party the aircraft belongs to (free string, as in the airspace table).
    #[serde(default)]
    pub party: Option<String>,
    /// State aircraft.
    #[serde(default)]
    pub military: bool,
    /// Filed ICAO ATS flight plan, carried through untouched.
    #[serde(default)]
    pub flight_plan: Option<String>,
    /// Departure aerodrome (give this or `at`).
    #[serde(default)]
    pub from: Option<String>,
    /// Take-off time, seconds after start (with `from`).
    #[serde(default)]
    pub depart_s: f64,
    /// Airborne at t = 0 here (give this or `from`).
    #[serde(default)]
    pub at: Option<AirborneSpec>,
    /// Route; when it ends at an aerodrome the aircraft lands there.
    #[serde(default)]
    pub route: Vec<WaypointSpec>,
    /// Cruise altitude, feet.
    pub alt_ft: f64,
    /// Cruise ground speed, knots.
    pub speed_kt: f64,
    /// What happens on board, in time order.
    #[serde(default, rename = "event")]
    pub events: Vec<EventSpec>,
}

/// Radio contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Radio {
    /// The aircraft stops answering ATC.
    Silent,
    /// Contact is restored.
    Restored,
}

/// Transponder power.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnOff {
    /// Transmitting.
    On,
    /// Silent (primary radar only).
    Off,
}

/// ADS-B emergency / priority status (DO-260B, the 3-bit field of the aircraft status
/// message, type code 28).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Emergency {
    /// No emergency (0).
    #[default]
    None,
    /// General emergency (1; squawk 7700).
    General,
    /// Lifeguard / medical (2).
    Lifeguard,
    /// Minimum fuel (3).
    MinimumFuel,
    /// No communications (4; squawk 7600).
    NoCommunications,
    /// Unlawful interference (5; squawk 7500).
    UnlawfulInterference,
    /// Downed aircraft (6).
    Downed,
}

impl Emergency {
    /// The 3-bit code sent in the aircraft status message.
    pub fn code(self) -> u8 {
        match self {
            Emergency::None => 0,
            Emergency::General => 1,
            Emergency::Lifeguard => 2,
            Emergency::MinimumFuel => 3,
            Emergency::NoCommunications => 4,
            Emergency::UnlawfulInterference => 5,
            Emergency::Downed => 6,
        }
    }

    /// The status a DO-260B transponder derives from a Mode 3/A code (one octal digit per
    /// nibble): 7500, 7600 and 7700 set it, any other code clears it.
    pub fn from_squawk(code: u16) -> Emergency {
        match code {
            0x7500 => Emergency::UnlawfulInterference,
            0x7600 => Emergency::NoCommunications,
            0x7700 => Emergency::General,
            _ => Emergency::None,
        }
    }
}

/// `[[aircraft.event]]`: what happens at `at_s`. Several actions may share one event; they
/// apply together.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    /// Seconds after start.
    pub at_s: f64,
    /// New Mode 3/A code (four octal digits).
    #[serde(default)]
    pub squawk: Option<String>,
    /// ADS-B emergency status.
    #[serde(default)]
    pub emergency: Option<Emergency>,
    /// Transponder on or off.
    #[serde(default)]
    pub transponder: Option<OnOff>,
    /// Radio contact lost or restored: ATC reports it after `report_delay_s`.
    #[serde(default)]
    pub radio: Option<Radio>,
    /// The aircraft ignores ATC instructions: ATC reports it after `report_delay_s`.
    #[serde(default)]
    pub not_following_atc: bool,
    /// Who reports (`radio`, `not_following_atc`), e.g. `"EPWW ACC sector"`.
    #[serde(default)]
    pub reported_by: Option<String>,
    /// Delay between the fact and ATC's report of it, seconds.
    #[serde(default)]
    pub report_delay_s: f64,
    /// Replace the rest of the route.
    #[serde(default)]
    pub deviate_to: Option<Vec<WaypointSpec>>,
    /// Fly to this aerodrome and land.
    #[serde(default)]
    pub land_at: Option<String>,
    /// New cruise speed, knots.
    #[serde(default)]
    pub speed_kt: Option<f64>,
    /// New cruise altitude, feet.
    #[serde(default)]
    pub alt_ft: Option<f64>,
    /// Free text for the exercise log (ignored by the generator).
    #[serde(default)]
    pub note: Option<String>,
}

/// Which side of the target an escort flies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Off the target's left (the interception procedure's usual side: the intercepted
    /// pilot, in the left seat, sees the fighter).
    #[default]
    Left,
    /// Off its right (a wingman).
    Right,
}

/// `[[fighter]]`: an interceptor.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FighterSpec {
    /// Callsign.
    pub callsign: String,
    /// Mode S address, six hex digits.
    pub icao: String,
    /// Mode 3/A code, four octal digits.
    #[serde(default)]
    pub squawk: Option<String>,
    /// ICAO type designator, e.g. `"F16"`, `"SU27"`.
    #[serde(default, rename = "type")]
    pub aircraft_type: Option<String>,
    /// Party.
    #[serde(default)]
    pub party: Option<String>,
    /// Home aerodrome: take-off and return.
    pub base: String,
    /// Full (intercept) speed, knots.
    pub speed_kt: f64,
    /// Speed on patrol and on the way home, knots.
    #[serde(default = "default_cruise_kt")]
    pub cruise_kt: f64,
    /// Patrol altitude, feet.
    #[serde(default = "default_fighter_alt")]
    pub alt_ft: f64,
    /// Missions, flown in order; after the last the fighter returns to base and lands.
    #[serde(default, rename = "mission")]
    pub missions: Vec<MissionSpec>,
}

fn default_cruise_kt() -> f64 {
    420.0
}

fn default_fighter_alt() -> f64 {
    25_000.0
}

fn default_offset_m() -> f64 {
    1_000.0
}

fn default_cap_radius_km() -> f64 {
    8.0
}

/// `[[fighter.mission]]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissionSpec {
    /// Take-off time (seconds after start) when on the ground; when airborne, the mission
    /// starts when the previous one ends.
    #[serde(default)]
    pub scramble_s: Option<f64>,
    /// Callsign of the aircraft to intercept.
    pub intercept: String,
    /// After joining (within 2 km), fly alongside; otherwise the mission ends at the join.
    #[serde(default)]
    pub escort: bool,
    /// Escort side.
    #[serde(default)]
    pub side: Side,
    /// Lateral distance of the escort station from the target, metres.
    #[serde(default = "default_offset_m")]
    pub offset_m: f64,
    /// The escort ends when the target enters this FIR (the hand-over at the border).
    #[serde(default)]
    pub until_fir: Option<String>,
    /// Wait on a combat air patrol at `cap` until the target enters this FIR, then join.
    #[serde(default)]
    pub from_fir: Option<String>,
    /// Centre of the combat air patrol.
    #[serde(default)]
    pub cap: Option<PointSpec>,
    /// Radius of the patrol orbit, kilometres.
    #[serde(default = "default_cap_radius_km")]
    pub cap_radius_km: f64,
    /// Patrol altitude, feet (default: the fighter's).
    #[serde(default)]
    pub alt_ft: Option<f64>,
    /// The escort ends when the target has landed.
    #[serde(default)]
    pub until_landed: bool,
    /// The escort ends at this time at the latest, seconds after start.
    #[serde(default)]
    pub until_s: Option<f64>,
}

/// `[background]`: recorded traffic around the exercise.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackgroundSpec {
    /// A gzipped JSON array of state vectors (the `traffic` library's format), relative to
    /// the scenario file. Skipped with a note when absent.
    pub file: String,
    /// Shift the recording in time so that it starts at the scenario's start.
    #[serde(default)]
    pub shift_to_start: bool,
    /// Keep at most this many aircraft (those with the most samples in the window).
    #[serde(default)]
    pub max_aircraft: Option<usize>,
    /// Move the traffic so that its centroid is here (shapes, distances and velocities are
    /// kept in a local east/north frame).
    #[serde(default)]
    pub translate_to: Option<PointSpec>,
}

/// An aerodrome resolved for the generator.
#[derive(Debug, Clone, PartialEq)]
pub struct Aerodrome {
    /// Id.
    pub id: String,
    /// Reference point.
    pub pos: LatLon,
    /// Elevation, feet.
    pub elevation_ft: f64,
}

impl Scenario {
    /// Parses a scenario; relative paths in it are read from `base_dir`.
    pub fn from_toml_str(s: &str, base_dir: &Path) -> Result<Self, ScenarioError> {
        let mut sc: Scenario = toml::from_str(s).map_err(|e| ScenarioError::Toml(Box::new(e)))?;
        sc.base_dir = base_dir.to_path_buf();
        sc.validate()?;
        Ok(sc)
    }

    /// Reads and parses a scenario file.
    pub fn load(path: &Path) -> Result<Self, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::from_toml_str(&text, base)
    }

    /// The start time, Unix seconds.
    pub fn start_unix(&self) -> f64 {
        // Checked in `validate`, which every constructor runs.
        parse_rfc3339_utc(&self.start).unwrap_or(f64::NAN)
    }

    /// A path in the scenario resolved against its folder.
    pub fn resolve(&self, rel: &str) -> PathBuf {
        self.base_dir.join(rel)
    }

    /// The aerodromes by id.
    pub fn aerodrome_table(&self) -> BTreeMap<String, Aerodrome> {
        self.aerodromes
            .iter()
            .map(|a| {
                (
                    a.id.clone(),
                    Aerodrome {
                        id: a.id.clone(),
                        pos: LatLon::new(a.lat, a.lon),
                        elevation_ft: a.elevation_ft,
                    },
                )
            })
            .collect()
    }

    /// Checks everything that does not need files: times, codes, addresses, references
    /// between sections.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        let bad = |what: String| Err(ScenarioError::Invalid(what));
        if parse_rfc3339_utc(&self.start).is_none() {
            return bad(format!(
                "start {:?}: expected YYYY-MM-DDTHH:MM:SSZ",
                self.start
            ));
        }
        if !(self.duration_s.is_finite() && self.duration_s > 0.0 && self.duration_s <= 86_400.0) {
            return bad(format!("duration_s {} (0 < d <= 86400)", self.duration_s));
        }
        let aero = self.aerodrome_table();
        if aero.len() != self.aerodromes.len() {
            return bad("two aerodromes share an id".into());
        }
        for a in &self.aerodromes {
            if !LatLon::new(a.lat, a.lon).is_valid() {
                return bad(format!("aerodrome {}: bad position", a.id));
            }
        }
        let mut names = std::collections::BTreeSet::new();
        let mut addrs = std::collections::BTreeSet::new();
        let callsigns: Vec<&str> = self.aircraft.iter().map(|a| a.callsign.as_str()).collect();
        for a in &self.aircraft {
            let ctx = |m: String| ScenarioError::Invalid(format!("aircraft {}: {m}", a.callsign));
            if !names.insert(a.callsign.clone()) {
                return Err(ctx("callsign used twice".into()));
            }
            if !addrs.insert(parse_icao(&a.icao).map_err(ctx)?) {
                return Err(ctx("Mode S address used twice".into()));
            }
            if let Some(sq) = &a.squawk {
                parse_squawk(sq).map_err(ctx)?;
            }
            match (&a.from, &a.at) {
                (Some(f), None) => {
                    if !aero.contains_key(f) {
                        return Err(ctx(format!("unknown aerodrome {f}")));
                    }
                }
                (None, Some(at)) => {
                    if !LatLon::new(at.lat, at.lon).is_valid() {
                        return Err(ctx("bad `at` position".into()));
                    }
                }
                _ => return Err(ctx("give exactly one of `from` and `at`".into())),
            }
            check_speed_alt(a.speed_kt, a.alt_ft).map_err(ctx)?;
            for w in &a.route {
                resolve_waypoint(w, &aero).map_err(ctx)?;
            }
            for e in &a.events {
                let ectx = |m: String| ctx(format!("event at {} s: {m}", e.at_s));
                if !(e.at_s.is_finite() && e.at_s >= 0.0) {
                    return Err(ectx("bad at_s".into()));
                }
                let any = e.squawk.is_some()
                    || e.emergency.is_some()
                    || e.transponder.is_some()
                    || e.radio.is_some()
                    || e.not_following_atc
                    || e.deviate_to.is_some()
                    || e.land_at.is_some()
                    || e.speed_kt.is_some()
                    || e.alt_ft.is_some();
                if !any {
                    return Err(ectx("no action".into()));
                }
                if let Some(sq) = &e.squawk {
                    parse_squawk(sq).map_err(ectx)?;
                }
                if (e.reported_by.is_some() || e.report_delay_s != 0.0)
                    && e.radio.is_none()
                    && !e.not_following_atc
                {
                    return Err(ectx(
                        "`reported_by` / `report_delay_s` go with `radio` or `not_following_atc`"
                            .into(),
                    ));
                }
                if !(e.report_delay_s.is_finite() && e.report_delay_s >= 0.0) {
                    return Err(ectx("bad report_delay_s".into()));
                }
                for w in e.deviate_to.iter().flatten() {
                    resolve_waypoint(w, &aero).map_err(ectx)?;
                }
                if let Some(l) = &e.land_at
                    && !aero.contains_key(l)
                {
                    return Err(ectx(format!("unknown aerodrome {l}")));
                }
                if e.speed_kt
                    .is_some_and(|v| !(v.is_finite() && v > 0.0 && v < 2_000.0))
                {
                    return Err(ectx("bad speed_kt".into()));
                }
                if e.alt_ft
                    .is_some_and(|v| !(v.is_finite() && (-1_000.0..=70_000.0).contains(&v)))
                {
                    return Err(ectx("bad alt_ft".into()));
                }
            }
        }
        for f in &self.fighters {
            let ctx = |m: String| ScenarioError::Invalid(format!("fighter {}: {m}", f.callsign));
            if !names.insert(f.callsign.clone()) {
                return Err(ctx("callsign used twice".into()));
            }
            if !addrs.insert(parse_icao(&f.icao).map_err(ctx)?) {
                return Err(ctx("Mode S address used twice".into()));
            }
            if let Some(sq) = &f.squawk {
                parse_squawk(sq).map_err(ctx)?;
            }
            if !aero.contains_key(&f.base) {
                return Err(ctx(format!("unknown base {}", f.base)));
            }
            check_speed_alt(f.speed_kt, f.alt_ft).map_err(ctx)?;
            check_speed_alt(f.cruise_kt, f.alt_ft).map_err(ctx)?;
            for (i, m) in f.missions.iter().enumerate() {
                let mctx = |s: String| ctx(format!("mission {}: {s}", i + 1));
                if i == 0 && m.scramble_s.is_none() {
                    return Err(mctx("the first mission needs `scramble_s`".into()));
                }
                if !callsigns.contains(&m.intercept.as_str()) {
                    return Err(mctx(format!("no aircraft {} to intercept", m.intercept)));
                }
                let ends = m.until_fir.is_some() || m.until_landed || m.until_s.is_some();
                if ends && !m.escort {
                    return Err(mctx("`until_*` needs `escort = true`".into()));
                }
                if m.from_fir.is_some() != m.cap.is_some() {
                    return Err(mctx("`from_fir` and `cap` go together".into()));
                }
                if (m.until_fir.is_some() || m.from_fir.is_some()) && self.airspace.is_none() {
                    return Err(mctx("FIR conditions need an [airspace] section".into()));
                }
                if !(m.offset_m.is_finite() && m.offset_m >= 0.0 && m.cap_radius_km > 0.0) {
                    return Err(mctx("bad offset_m or cap_radius_km".into()));
                }
            }
        }
        Ok(())
    }
}

fn check_speed_alt(kt: f64, alt: f64) -> Result<(), String> {
    if !(kt.is_finite() && kt > 0.0 && kt < 2_000.0) {
        return Err(format!("bad speed {kt} kt"));
    }
    if !(alt.is_finite() && (-1_000.0..=70_000.0).contains(&alt)) {
        return Err(format!("bad altitude {alt} ft"));
    }
    Ok(())
}

/// Parses a Mode S address written as six hex digits.
pub fn parse_icao(s: &str) -> Result<IcaoAddress, String> {
    let t = s.trim();
    if t.len() != 6 {
        return Err(format!("Mode S address {s:?}: six hex digits"));
    }
    u32::from_str_radix(t, 16)
        .map(IcaoAddress::new)
        .map_err(|_| format!("Mode S address {s:?}: six hex digits"))
}

/// Parses a Mode 3/A code (four octal digits) to one digit per nibble (`"7500"` is 0x7500).
pub fn parse_squawk(s: &str) -> Result<u16, String> {
    vigil_track::sim::parse_squawk(s).ok_or_else(|| format!("squawk {s:?}: four octal digits"))
}

/// A route point resolved to a position.
pub(crate) fn resolve_waypoint(
    w: &WaypointSpec,
    aero: &BTreeMap<String, Aerodrome>,
) -> Result<crate::flight::Waypoint, String> {
    let named = |n: &str| -> Result<crate::flight::Waypoint, String> {
        if let Some(a) = aero.get(n) {
            return Ok(crate::flight::Waypoint {
                name: a.id.clone(),
                pos: a.pos,
                alt_ft: None,
                speed_kt: None,
                aerodrome_elevation_ft: Some(a.elevation_ft),
            });
        }
        let pos = parse_icao_coordinate(n).ok_or_else(|| {
            format!("{n:?} is neither an aerodrome nor a coordinate like 5130N01930E")
        })?;
        Ok(crate::flight::Waypoint {
            name: n.to_owned(),
            pos,
            alt_ft: None,
            speed_kt: None,
            aerodrome_elevation_ft: None,
        })
    };
    match w {
        WaypointSpec::Name(n) => named(n),
        WaypointSpec::Table(t) => {
            let mut wp = match (&t.aerodrome, t.lat, t.lon) {
                (Some(n), None, None) => named(n)?,
                (None, Some(lat), Some(lon)) => {
                    let pos = LatLon::new(lat, lon);
                    if !pos.is_valid() {
                        return Err(format!("bad waypoint {lat}, {lon}"));
                    }
                    crate::flight::Waypoint {
                        name: format!("{lat:.4},{lon:.4}"),
                        pos,
                        alt_ft: None,
                        speed_kt: None,
                        aerodrome_elevation_ft: None,
                    }
                }
                _ => return Err("a waypoint table needs `lat` and `lon`, or `aerodrome`".into()),
            };
            if let Some(a) = t.alt_ft {
                check_speed_alt(t.speed_kt.unwrap_or(1.0), a)?;
            }
            wp.alt_ft = t.alt_ft;
            wp.speed_kt = t.speed_kt;
            Ok(wp)
        }
    }
}

/// Parses an ICAO coordinate as written in a flight plan: `DDMMNDDDMME` (`5130N01930E`) or
/// `DDNDDDE` (`54N020E`).
pub fn parse_icao_coordinate(s: &str) -> Option<LatLon> {
    let b = s.as_bytes();
    let num = |r: &[u8]| -> Option<f64> {
        if r.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(r).ok()?.parse::<f64>().ok()
        } else {
            None
        }
    };
    let (lat, ns, lon, ew) = match b.len() {
        11 => (
            num(&b[0..2])? + num(&b[2..4])? / 60.0,
            b[4],
            num(&b[5..8])? + num(&b[8..10])? / 60.0,
            b[10],
        ),
        7 => (num(&b[0..2])?, b[2], num(&b[3..6])?, b[6]),
        _ => return None,
    };
    let lat = match ns {
        b'N' => lat,
        b'S' => -lat,
        _ => return None,
    };
    let lon = match ew {
        b'E' => lon,
        b'W' => -lon,
        _ => return None,
    };
    let p = LatLon::new(lat, lon);
    p.is_valid().then_some(p)
}

/// Parses `YYYY-MM-DDTHH:MM:SSZ` (UTC only, no fraction, no offset) to Unix seconds.
pub fn parse_rfc3339_utc(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' || b[19] != b'Z' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (y, mo, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (h, mi, se) = (n(11..13)?, n(14..16)?, n(17..19)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let mdays = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let max_day = *mdays.get(usize::try_from(mo - 1).ok()?)?;
    if !(1..=max_day).contains(&d) || h > 23 || mi > 59 || se > 59 {
        return None;
    }
    Some((days_from_civil(y, mo, d) * 86_400 + h * 3_600 + mi * 60 + se) as f64)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_is_parsed() {
        let check = |s: &str, want: Option<f64>| assert_eq!(parse_rfc3339_utc(s), want, "{s}");
        check("1970-01-01T00:00:00Z", Some(0.0));
        check("2011-06-07T09:00:00Z", Some(1_307_437_200.0));
        check("2000-02-29T23:59:59Z", Some(951_868_799.0));
        check("2011-02-29T00:00:00Z", None);
        check("2011-06-07T09:00:00+02:00", None);
        check("2011-06-07 09:00:00Z", None);
        check("2011-06-07T24:00:00Z", None);
    }

    #[test]
    fn icao_coordinates_are_parsed() {
        let p = parse_icao_coordinate("5130N01930E").unwrap();
        assert!((p.lat - 51.5).abs() < 1e-12 && (p.lon - 19.5).abs() < 1e-12);
        let p = parse_icao_coordinate("54N020W").unwrap();
        assert_eq!((p.lat, p.lon), (54.0, -20.0));
        assert!(parse_icao_coordinate("EPKK").is_none());
        assert!(parse_icao_coordinate("5130X01930E").is_none());
        assert!(parse_icao_coordinate("9530N01930E").is_none());
    }
}
