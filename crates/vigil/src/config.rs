//! The service configuration: one TOML file, strict (unknown keys are errors), every section
//! optional except the sensors (at least one `[[feed]]` or `[[radar]]`).

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use vigil_core::LatLon;
use vigil_feed::{FeedConfig, PreparedFeed, TimeBase};
use vigil_picture::PictureConfig;
use vigil_radar::{Cat062OutConfig, RadarConfig, SourceConfig};

/// The default replay configuration, built into the binary so that `vigil run` works on a
/// fresh clone beside `../shared/data`.
pub const EMBEDDED_DEFAULT: &str = include_str!("../../../config/replay.toml");

/// Where relative paths in the embedded default are taken from: the `config/` folder of the
/// source tree this binary was built from (where `replay.toml` lives).
const EMBEDDED_BASE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config");

/// The whole configuration file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Who this centre is.
    #[serde(default)]
    pub centre: CentreConfig,
    /// The HTTP API.
    #[serde(default)]
    pub http: HttpConfig,
    /// The air picture.
    #[serde(default)]
    pub picture: PictureSection,
    /// The pipeline between feeds and picture.
    #[serde(default)]
    pub pipeline: PipelineConfig,
    /// The sensors: one `[[feed]]` table each.
    #[serde(default, rename = "feed")]
    pub feeds: Vec<FeedConfig>,
    /// The ASTERIX sensors: one `[[radar]]` table each. Their sensor ids follow the feeds'.
    #[serde(default, rename = "radar")]
    pub radars: Vec<RadarConfig>,
    /// What `/data/radar.json` keeps of the ASTERIX sensors' observations.
    #[serde(default)]
    pub radar_view: RadarViewConfig,
    /// The picture sent out as CAT062: one `[[cat062_out]]` table per destination.
    #[serde(default)]
    pub cat062_out: Vec<Cat062OutConfig>,
    /// The multi-sensor tracker: system tracks from every sensor.
    #[serde(default)]
    pub tracker: TrackerSection,
    /// Renegade-aircraft detection on the system tracks.
    #[serde(default)]
    pub renegade: crate::renegade::RenegadeSection,
    /// Links to partner centres.
    #[serde(default)]
    pub links: crate::links::LinksSection,
    /// The centre's store: raw inputs, incidents, audit, alerts, users, configuration.
    #[serde(default)]
    pub store: crate::store::StoreSection,
    /// The centre's clock: the wall clock, or a virtual one (a scenario's date, faster).
    #[serde(default)]
    pub clock: ClockSection,
    /// Who may log in to the centre's UI and API: one `[[user]]` table each (`vigil user
    /// add` prints one). Without any, `vigil run` on a loopback address makes an `admin`
    /// supervisor with a random password for that run only and prints it.
    #[serde(default, rename = "user")]
    pub users: Vec<vigil_auth::UserConfig>,
    /// Missile early warning (issue 9, docs/missile.md): the exercise scenario, this
    /// centre's own radars, cities, interceptors, whether it is a data fusion centre.
    #[serde(default)]
    pub missile: Option<crate::missile::MissileSection>,
    /// A metro station watched by STANDEX, run as a crowd exercise (issue 10,
    /// docs/station.md).
    #[serde(default)]
    pub station: Option<crate::station::StationSection>,
}

/// `[clock]`: what time the centre runs on. By default the wall clock. With `start`, a
/// virtual clock that reads `start` when the centre starts and runs `speed` times as fast as
/// the wall clock: a scenario played at its own date, faster than real time (`vigil demo`).
/// Frames received are stamped with it, the tracker, the rules and the links run on it (the
/// ledger records it, and partner certificates are checked against it: issue them for the
/// scenario's dates, as `vigil demo` does).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClockSection {
    /// Unix seconds the virtual clock starts at; none: the wall clock.
    pub start: Option<f64>,
    /// How many virtual seconds pass per wall second (with `start`).
    pub speed: f64,
}

impl Default for ClockSection {
    fn default() -> Self {
        ClockSection {
            start: None,
            speed: 1.0,
        }
    }
}

/// `[tracker]`: the multi-sensor tracker (`vigil-track`). The settings not exposed here keep
/// the tracker's own defaults.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrackerSection {
    /// Whether the centre runs the tracker (`/data/tracks.json`).
    pub enabled: bool,
    /// Origin of the local tracking frame; default: `picture.reference`, else the first
    /// `[[radar]]` with a position, else the first observation.
    pub centre: Option<Reference>,
    /// ADS-B positions of one receiver are handed to the tracker in batches of this many
    /// seconds (of their own time): one detection opportunity each.
    pub adsb_batch_s: f64,
    /// Horizontal acceleration noise density, constant-velocity mode, m²/s³.
    pub q_cv: f64,
    /// Horizontal acceleration noise density, turn modes, m²/s³.
    pub q_turn: f64,
    /// Vertical acceleration noise density, m²/s³.
    pub q_vertical: f64,
    /// Turn rate of the coordinated-turn modes, degrees per second; 0: constant velocity only.
    pub turn_rate_dps: f64,
    /// Probability that a correct association falls inside the kinematic gate.
    pub gate_probability: f64,
    /// Confirmation: `confirm_m` hits among the first `confirm_n` opportunities.
    pub confirm_m: u32,
    /// See `confirm_m`.
    pub confirm_n: u32,
    /// A track without update for this long is coasting, seconds.
    pub coast_after_s: f64,
    /// A track without update for this long is deleted, seconds.
    pub delete_after_s: f64,
    /// A track whose position standard deviation exceeds this is deleted, metres.
    pub max_sigma_m: f64,
    /// Plots without identity for this long after the last identified one flag the track
    /// "transponder lost", seconds.
    pub transponder_lost_after_s: f64,
    /// A track's lineage lists the sensors that fed it within this many seconds.
    pub lineage_window_s: f64,
    /// Instrumented range of the radars (plots beyond 1.2 × this are refused), metres.
    pub radar_range_m: f64,
    /// Reach of an ADS-B receiver, metres.
    pub adsb_range_m: f64,
}

impl Default for TrackerSection {
    fn default() -> Self {
        let d = vigil_track::TrackerConfig::default();
        Self {
            enabled: true,
            centre: None,
            adsb_batch_s: 1.0,
            q_cv: d.q_cv,
            q_turn: d.q_turn,
            q_vertical: d.q_vertical,
            turn_rate_dps: d.turn_rate_dps,
            gate_probability: d.gate_probability,
            confirm_m: d.confirm_m,
            confirm_n: d.confirm_n,
            coast_after_s: d.coast_after_s,
            delete_after_s: d.delete_after_s,
            max_sigma_m: d.max_sigma_m,
            transponder_lost_after_s: d.transponder_lost_after_s,
            lineage_window_s: d.lineage_window_s,
            radar_range_m: 256.0 * 1852.0,
            adsb_range_m: 600_000.0,
        }
    }
}

impl TrackerSection {
    /// The tracker's configuration around `origin`.
    pub fn tracker_config(&self, origin: vigil_core::Geodetic) -> vigil_track::TrackerConfig {
        vigil_track::TrackerConfig {
            origin,
            q_cv: self.q_cv,
            q_turn: self.q_turn,
            q_vertical: self.q_vertical,
            turn_rate_dps: self.turn_rate_dps,
            gate_probability: self.gate_probability,
            confirm_m: self.confirm_m,
            confirm_n: self.confirm_n,
            coast_after_s: self.coast_after_s,
            delete_after_s: self.delete_after_s,
            max_sigma_m: self.max_sigma_m,
            transponder_lost_after_s: self.transponder_lost_after_s,
            lineage_window_s: self.lineage_window_s,
            ..vigil_track::TrackerConfig::default()
        }
    }

    /// The local frame's origin when it is known from the configuration.
    pub fn configured_centre(&self, config: &Config) -> Option<vigil_core::Geodetic> {
        let at = |r: Reference| vigil_core::Geodetic {
            pos: LatLon::new(r.lat, r.lon),
            height_m: 0.0,
        };
        self.centre
            .map(at)
            .or(config.picture.reference.map(at))
            .or_else(|| config.radars.iter().find_map(RadarConfig::origin))
    }
}

/// `[radar_view]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RadarViewConfig {
    /// Keep each sensor's observations of the last this many seconds (of its own time).
    pub keep_s: f64,
    /// And at most this many per sensor.
    pub max_plots: usize,
}

impl Default for RadarViewConfig {
    fn default() -> Self {
        let d = vigil_radar::StoreLimits::default();
        Self {
            keep_s: d.keep_s,
            max_plots: d.max_per_sensor,
        }
    }
}

impl RadarViewConfig {
    /// The store's limits.
    pub fn limits(&self) -> vigil_radar::StoreLimits {
        vigil_radar::StoreLimits {
            keep_s: self.keep_s,
            max_per_sensor: self.max_plots,
        }
    }
}

/// `[centre]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CentreConfig {
    /// The centre's name, shown in logs and `receiver.json`; with links, the centre named
    /// by its certificate.
    pub name: String,
    /// The party the centre belongs to (its certificate's party), e.g. `NATO` or `RU`.
    pub party: String,
    /// The centre runs an exercise: what it sends on links is labelled exercise data.
    pub exercise: bool,
}

impl Default for CentreConfig {
    fn default() -> Self {
        Self {
            name: "vigil".into(),
            party: "NATO".into(),
            exercise: false,
        }
    }
}

/// `[http]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Address to listen on; port 0 picks a free port (printed at start).
    pub listen: SocketAddr,
    /// How often `/data/stream` sends the aircraft that changed, coalesced, in seconds.
    pub stream_flush_s: f64,
    /// A `heartbeat` line on `/data/stream` after this many seconds without other lines.
    pub stream_heartbeat_s: f64,
    /// At most this many `/data/stream` clients at once; more get 503.
    pub max_stream_clients: usize,
    /// Let the read-only `/data/*` endpoints answer without a login (for tar1090 and other
    /// readsb clients on a trusted network). Off by default: every API needs a login
    /// (session cookie) or a bearer token.
    pub open_read: bool,
    /// Mark the session cookie `Secure` (only sent over HTTPS): set it when a TLS reverse
    /// proxy fronts the centre.
    pub secure_cookie: bool,
    /// At most this many UI WebSocket clients at once; more get 503.
    pub max_ui_clients: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            stream_flush_s: 1.0,
            stream_heartbeat_s: 15.0,
            max_stream_clients: 64,
            open_read: false,
            secure_cookie: false,
            max_ui_clients: 32,
        }
    }
}

/// `[picture]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PictureSection {
    /// Drop an aircraft not heard for this many seconds.
    pub expire_after_s: f64,
    /// The receiver's or airfield's position, for surface positions and first fixes.
    pub reference: Option<Reference>,
    /// Highest ground speed a new position may imply from the last one, in km/h; faster
    /// jumps are rejected as CPR decoding errors.
    pub max_speed_kmh: f64,
}

impl Default for PictureSection {
    fn default() -> Self {
        let d = PictureConfig::default();
        Self {
            expire_after_s: d.expire_after_s,
            reference: None,
            max_speed_kmh: d.max_speed_kmh,
        }
    }
}

impl PictureSection {
    /// The picture's own configuration.
    // Every field is set today; the update keeps this compiling when the picture adds one.
    #[allow(clippy::needless_update)]
    pub fn picture_config(&self) -> PictureConfig {
        PictureConfig {
            expire_after_s: self.expire_after_s,
            reference: self.reference.map(|r| LatLon::new(r.lat, r.lon)),
            max_speed_kmh: self.max_speed_kmh,
            // Fields the picture adds later keep their defaults until exposed here.
            ..PictureConfig::default()
        }
    }
}

/// A position in decimal degrees.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    /// Latitude, degrees north.
    pub lat: f64,
    /// Longitude, degrees east.
    pub lon: f64,
}

/// `[pipeline]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PipelineConfig {
    /// Batches (one per chunk read, up to a few thousand frames) the feed channel holds before
    /// feeds wait for the picture to catch up.
    pub channel_capacity: usize,
    /// How often aircraft are checked for expiry, in (picture-time) seconds.
    pub expire_interval_s: f64,
    /// How often a status line (frames/s, aircraft) is logged, in seconds; 0 turns it off.
    pub status_interval_s: f64,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            channel_capacity: 64,
            expire_interval_s: 1.0,
            status_interval_s: 10.0,
        }
    }
}

/// Where the configuration came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// A file given on the command line.
    File(PathBuf),
    /// The built-in replay default.
    Embedded,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::File(p) => write!(f, "{}", p.display()),
            Origin::Embedded => f.write_str("built-in default (config/replay.toml)"),
        }
    }
}

/// A parsed configuration and where its relative paths start.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The configuration.
    pub config: Config,
    /// Where it came from.
    pub origin: Origin,
    /// Relative feed paths are taken from here: the configuration file's directory.
    pub base_dir: PathBuf,
}

/// Parses TOML text; errors name the source and, from the TOML parser, the line and column.
pub fn parse(text: &str, origin: &Origin) -> Result<Config> {
    toml::from_str(text).map_err(|e| anyhow::anyhow!("invalid configuration in {origin}:\n{e}"))
}

/// Reads and parses a configuration file.
pub fn load(path: &Path) -> Result<Loaded> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read configuration file {}", path.display()))?;
    let origin = Origin::File(path.to_owned());
    let config = parse(&text, &origin)?;
    let base_dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    Ok(Loaded {
        config,
        origin,
        base_dir,
    })
}

/// The built-in replay of `../shared/data/adsb/long_flight.csv`, looked for beside the
/// source tree, under `$VIGIL_SHARED_DATA`, and beside the working directory.
pub fn embedded_default() -> Result<Loaded> {
    let origin = Origin::Embedded;
    let mut config = parse(EMBEDDED_DEFAULT, &origin)?;
    let base_dir = PathBuf::from(EMBEDDED_BASE_DIR);
    for feed in &mut config.feeds {
        let FeedConfig::File(f) = feed else { continue };
        if f.resolved_path(&base_dir).is_file() {
            continue;
        }
        let Some(file_name) = f.path.file_name() else {
            continue;
        };
        let mut candidates = Vec::new();
        if let Some(dir) = std::env::var_os("VIGIL_SHARED_DATA") {
            candidates.push(PathBuf::from(dir).join("adsb").join(file_name));
        }
        candidates.push(Path::new("../shared/data/adsb").join(file_name));
        match candidates.into_iter().find(|c| c.is_file()) {
            Some(found) => f.path = std::path::absolute(&found).unwrap_or(found),
            None => bail!(
                "no --config given, and the demo recording {} is not there (nor under \
                 $VIGIL_SHARED_DATA/adsb or ../shared/data/adsb).\n\n\
                 To watch a real receiver, write a configuration with a [[feed]] for it, e.g.\n\n  \
                 [[feed]]\n  type = \"tcp\"\n  name = \"my-receiver\"\n  \
                 address = \"127.0.0.1:30005\"   # readsb / dump1090 Beast output (AVR: 30002, SBS: 30003)\n  \
                 format = \"beast\"\n\n\
                 and run `vigil run --config my.toml` (config/vigil.example.toml shows every option).\n\
                 To replay the demo recording, set VIGIL_SHARED_DATA to the folder that holds adsb/{}.",
                f.resolved_path(&base_dir).display(),
                Path::new(file_name).display()
            ),
        }
    }
    Ok(Loaded {
        config,
        origin,
        base_dir,
    })
}

/// Checks values the types cannot; returns warnings worth showing.
pub fn validate(config: &Config) -> Result<Vec<String>> {
    let mut warnings = Vec::new();
    if config.feeds.is_empty()
        && config.radars.is_empty()
        && config.missile.is_none()
        && config.station.is_none()
    {
        bail!(
            "no [[feed]] configured: add one (a receiver over tcp, or a file to replay), or an \
             ASTERIX [[radar]]; config/vigil.example.toml shows them all"
        );
    }
    vigil_feed::validate_all(&config.feeds)?;
    vigil_radar::validate_all(&config.radars)?;
    vigil_radar::validate_outputs(&config.cat062_out)?;
    config.links.validate()?;
    if let Some(m) = &config.missile {
        m.validate()?;
    }
    if let Some(s) = &config.station {
        crate::station::check_centre(s, config)?;
    }
    // One sensor table: feeds take the ids from 0, radars the ones after them.
    if config.feeds.len() + config.radars.len() > usize::from(u16::MAX) {
        bail!(
            "too many sensors: at most {} feeds and radars in all",
            u16::MAX
        );
    }
    let mut names = std::collections::HashSet::new();
    for name in config
        .feeds
        .iter()
        .map(FeedConfig::name)
        .chain(config.radars.iter().map(|r| r.name.as_str()))
    {
        if !names.insert(name) {
            bail!(
                "sensor name {name:?} is used twice (by a [[feed]] and a [[radar]]); each sensor needs its own"
            );
        }
    }
    if !(config.radar_view.keep_s.is_finite() && config.radar_view.keep_s > 0.0) {
        bail!(
            "`radar_view.keep_s` must be a positive number of seconds, got {}",
            config.radar_view.keep_s
        );
    }
    if config.radar_view.max_plots == 0 {
        bail!("`radar_view.max_plots` must be at least 1");
    }
    let positive = |name: &str, v: f64| -> Result<()> {
        if !(v.is_finite() && v > 0.0) {
            bail!("`{name}` must be a positive number of seconds, got {v}");
        }
        Ok(())
    };
    positive("picture.expire_after_s", config.picture.expire_after_s)?;
    if !(config.picture.max_speed_kmh.is_finite() && config.picture.max_speed_kmh > 0.0) {
        bail!(
            "`picture.max_speed_kmh` must be a positive speed, got {}",
            config.picture.max_speed_kmh
        );
    }
    positive("http.stream_flush_s", config.http.stream_flush_s)?;
    positive("http.stream_heartbeat_s", config.http.stream_heartbeat_s)?;
    positive(
        "pipeline.expire_interval_s",
        config.pipeline.expire_interval_s,
    )?;
    let status = config.pipeline.status_interval_s;
    if !(status.is_finite() && status >= 0.0) {
        bail!(
            "`pipeline.status_interval_s` must be 0 (off) or a positive number of seconds, got {status}"
        );
    }
    if config.pipeline.channel_capacity == 0 {
        bail!("`pipeline.channel_capacity` must be at least 1");
    }
    if config.http.max_stream_clients == 0 {
        bail!("`http.max_stream_clients` must be at least 1");
    }
    if let Some(r) = config
        .picture
        .reference
        .filter(|r| !LatLon::new(r.lat, r.lon).is_valid())
    {
        bail!(
            "`picture.reference` must be lat in -90..=90 and lon in -180..=180, got {}, {}",
            r.lat,
            r.lon
        );
    }
    if config.centre.name.trim().is_empty() {
        bail!("`centre.name` must not be empty");
    }
    validate_tracker(config)?;
    if !(config.clock.speed.is_finite() && config.clock.speed > 0.0 && config.clock.speed <= 1000.0)
    {
        bail!(
            "`clock.speed` must be a number above 0 and at most 1000, got {}",
            config.clock.speed
        );
    }
    if config
        .clock
        .start
        .is_some_and(|s| !s.is_finite() || s < 0.0)
    {
        bail!("`clock.start` must be Unix seconds (0 or more)");
    }
    if config.clock.start.is_none() && config.clock.speed != 1.0 {
        bail!("`clock.speed` needs `clock.start` (the wall clock runs at its own speed)");
    }
    if config
        .store
        .raw_retention_s
        .is_some_and(|r| !(r.is_finite() && r > 0.0))
    {
        bail!("`store.raw_retention_s` must be a positive number of seconds (or absent: keep all)");
    }
    if config.http.max_ui_clients == 0 {
        bail!("`http.max_ui_clients` must be at least 1");
    }
    vigil_auth::Auth::new(config.users.clone(), vigil_auth::SessionPolicy::default())
        .context("in [[user]]")?;
    if !config.http.listen.ip().is_loopback() {
        if config.users.is_empty() {
            bail!(
                "http.listen = {} is reachable from other machines but no [[user]] is configured: \
                 add one with `vigil user add NAME --role supervisor` (or listen on 127.0.0.1)",
                config.http.listen
            );
        }
        if config.http.open_read {
            warnings.push(format!(
                "http.listen = {} is reachable from other machines and http.open_read = true: \
                 anyone who can reach it reads the picture without a login",
                config.http.listen
            ));
        }
        if !config.http.secure_cookie {
            warnings.push(format!(
                "http.listen = {} is reachable from other machines over plain HTTP: put a TLS \
                 reverse proxy in front and set http.secure_cookie = true",
                config.http.listen
            ));
        }
    }
    Ok(warnings)
}

fn validate_tracker(config: &Config) -> Result<()> {
    let t = &config.tracker;
    if let Some(r) = t.centre.filter(|r| !LatLon::new(r.lat, r.lon).is_valid()) {
        bail!(
            "`tracker.centre` must be lat in -90..=90 and lon in -180..=180, got {}, {}",
            r.lat,
            r.lon
        );
    }
    for (name, v) in [
        ("tracker.adsb_batch_s", t.adsb_batch_s),
        ("tracker.radar_range_m", t.radar_range_m),
        ("tracker.adsb_range_m", t.adsb_range_m),
    ] {
        if !(v.is_finite() && v > 0.0) {
            bail!("`{name}` must be a positive number, got {v}");
        }
    }
    if t.delete_after_s <= t.coast_after_s {
        bail!(
            "`tracker.delete_after_s` ({}) must be longer than `tracker.coast_after_s` ({})",
            t.delete_after_s,
            t.coast_after_s
        );
    }
    // The tracker checks its own settings: build one (with no sensor) to ask it.
    let origin = vigil_core::Geodetic {
        pos: LatLon::new(0.0, 0.0),
        height_m: 0.0,
    };
    vigil_track::Tracker::new(t.tracker_config(origin), &[])
        .map_err(|e| anyhow::anyhow!("[tracker]: {e}"))?;
    Ok(())
}

/// Whether the picture runs on recorded time (all feeds are recordings replayed on their
/// own time) or on the clock (all feeds are stamped on receipt). A mix would put two time
/// bases in one picture, so it is refused.
pub fn time_base(feeds: &[PreparedFeed]) -> Result<TimeBase> {
    let recorded: Vec<&str> = feeds
        .iter()
        .filter(|f| f.time_base() == TimeBase::Recorded)
        .map(|f| f.config.name())
        .collect();
    if recorded.is_empty() {
        return Ok(TimeBase::Receipt);
    }
    if recorded.len() != feeds.len() {
        bail!(
            "feeds {recorded:?} replay on their recorded time, the others run on the clock: one \
             picture cannot have both. Set `timestamps = \"receipt\"` (with `speed = 1.0` for real \
             pace) on those replays to mix them with live feeds"
        );
    }
    Ok(TimeBase::Recorded)
}

/// A human summary of a configuration.
pub fn summary(loaded: &Loaded) -> String {
    use std::fmt::Write;
    let c = &loaded.config;
    let mut s = String::new();
    let _ = writeln!(s, "configuration: {}", loaded.origin);
    let _ = writeln!(s, "centre:        {}", c.centre.name);
    let _ = writeln!(
        s,
        "http:          http://{}/data/aircraft.json",
        c.http.listen
    );
    let _ = writeln!(
        s,
        "picture:       expire after {} s, reference {}",
        c.picture.expire_after_s,
        c.picture
            .reference
            .map_or("none".to_owned(), |r| format!("{}, {}", r.lat, r.lon))
    );
    let _ = writeln!(s, "feeds:         {}", c.feeds.len());
    for (i, f) in c.feeds.iter().enumerate() {
        let what = match f {
            FeedConfig::File(f) => format!(
                "file {} (format {}, timestamps {}, speed {})",
                f.resolved_path(&loaded.base_dir).display(),
                lower(f.format),
                lower(f.timestamps),
                f.speed.map_or("max".to_owned(), |s| format!("{s}x"))
            ),
            FeedConfig::Tcp(t) => format!(
                "tcp {} (format {}, stall after {} s, reconnect {} s doubling to {} s)",
                t.address,
                lower(t.format),
                t.stall_timeout_s,
                t.reconnect_initial_s,
                t.reconnect_max_s
            ),
        };
        let _ = writeln!(s, "  [{i}] {:<16} {what}", f.name());
    }
    if !c.radars.is_empty() {
        let _ = writeln!(s, "radars:        {}", c.radars.len());
    }
    for (i, r) in c.radars.iter().enumerate() {
        let id = c.feeds.len() + i;
        let position = r
            .position
            .map_or("not set (CAT034 I120 when sent)".to_owned(), |p| {
                format!("{}, {}, {} m", p.lat, p.lon, p.height_m)
            });
        let extra = match &r.source {
            SourceConfig::Pcap(p) => format!(
                " (timestamps {}, speed {})",
                lower(p.timestamps),
                p.speed.map_or("max".to_owned(), |s| format!("{s}x"))
            ),
            _ => String::new(),
        };
        let _ = writeln!(
            s,
            "  [{id}] {:<16} {}{extra}; position {position}; sigma {} m / {} deg",
            r.name,
            r.source_label(&loaded.base_dir),
            r.sigma_range_m,
            r.sigma_azimuth_deg
        );
    }
    for o in &c.cat062_out {
        let _ = writeln!(
            s,
            "cat062 out:    {} to {} every {} s (SAC {} SIC {})",
            o.name, o.destination, o.period_s, o.sac, o.sic
        );
    }
    let t = &c.tracker;
    if t.enabled {
        let _ = writeln!(
            s,
            "tracker:       centre {}; confirm {} of {}, coast after {} s, delete after {} s",
            t.configured_centre(c)
                .map_or("the first observation".to_owned(), |g| format!(
                    "{}, {}",
                    g.pos.lat, g.pos.lon
                )),
            t.confirm_m,
            t.confirm_n,
            t.coast_after_s,
            t.delete_after_s
        );
    } else {
        let _ = writeln!(s, "tracker:       off");
    }
    s
}

/// A unit enum's name as configuration files spell it.
fn lower(v: impl std::fmt::Debug) -> String {
    format!("{v:?}").to_lowercase()
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used)] // tests: a failed expectation is the report
mod tests {
    use super::*;

    fn config_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config")
    }

    /// Every file in config/ parses and validates: the examples are documentation that must
    /// not rot.
    #[test]
    fn every_example_config_parses_and_validates() {
        let mut seen = 0;
        for entry in std::fs::read_dir(config_dir()).expect("config/ exists") {
            let path = entry.expect("entry").path();
            if path.extension().is_none_or(|e| e != "toml") {
                continue;
            }
            let loaded = load(&path).unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
            validate(&loaded.config).unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
            assert!(!summary(&loaded).is_empty());
            seen += 1;
        }
        assert!(
            seen >= 2,
            "expected at least vigil.example.toml and replay.toml, found {seen}"
        );
    }

    #[test]
    fn the_example_covers_every_option() {
        let text =
            std::fs::read_to_string(config_dir().join("vigil.example.toml")).expect("example");
        for key in [
            "[centre]",
            "name",
            "[http]",
            "listen",
            "stream_flush_s",
            "stream_heartbeat_s",
            "max_stream_clients",
            "[picture]",
            "expire_after_s",
            "reference",
            "max_speed_kmh",
            "[pipeline]",
            "channel_capacity",
            "expire_interval_s",
            "status_interval_s",
            "[[feed]]",
            "type = \"file\"",
            "type = \"tcp\"",
            "path",
            "format",
            "timestamps",
            "speed",
            "address",
            "stall_timeout_s",
            "reconnect_initial_s",
            "reconnect_max_s",
            "connect_timeout_s",
            ":30005",
            ":30002",
            ":30003",
            "[[radar]]",
            "position",
            "height_m",
            "sigma_range_m",
            "sigma_azimuth_deg",
            "sigma_position_m",
            "sigma_velocity_mps",
            "sac",
            "sic",
            "editions",
            "[radar.source]",
            "type = \"udp\"",
            "listen",
            "group",
            "interface",
            "recv_buffer_bytes",
            "quiet_after_s",
            "type = \"pcap\"",
            "type = \"raw\"",
            "port",
            "[radar_view]",
            "keep_s",
            "max_plots",
            "[[cat062_out]]",
            "destination",
            "bind",
            "ttl",
            "period_s",
            "service_id",
            "max_block_bytes",
            "max_position_age_s",
            "[tracker]",
            "enabled",
            "centre",
            "adsb_batch_s",
            "q_cv",
            "q_turn",
            "q_vertical",
            "turn_rate_dps",
            "gate_probability",
            "confirm_m",
            "confirm_n",
            "coast_after_s",
            "delete_after_s",
            "max_sigma_m",
            "transponder_lost_after_s",
            "lineage_window_s",
            "radar_range_m",
            "adsb_range_m",
        ] {
            assert!(
                text.contains(key),
                "config/vigil.example.toml does not mention {key}"
            );
        }
    }

    #[test]
    fn embedded_default_is_the_replay_file() {
        let c = parse(EMBEDDED_DEFAULT, &Origin::Embedded).expect("embedded default parses");
        validate(&c).expect("embedded default validates");
        assert_eq!(c.http.listen, SocketAddr::from(([127, 0, 0, 1], 8080)));
        assert!(
            matches!(&c.feeds[..], [FeedConfig::File(f)] if f.path.ends_with("long_flight.csv"))
        );
    }

    #[test]
    fn unknown_keys_are_errors_that_name_the_file_and_line() {
        let origin = Origin::File("centre.toml".into());
        let err = parse("[http]\nlisten = \"127.0.0.1:1\"\nlsten = 3\n", &origin)
            .expect_err("unknown key");
        let msg = format!("{err:#}");
        assert!(msg.contains("centre.toml"), "{msg}");
        assert!(msg.contains("line 3"), "{msg}");
        assert!(msg.contains("unknown field `lsten`"), "{msg}");
        let err = parse(
            "[picture]\nreference = { lat = 1.0, lon = 2.0, alt = 3.0 }\n",
            &origin,
        )
        .expect_err("alt");
        assert!(format!("{err:#}").contains("alt"));
    }

    #[test]
    fn validation_catches_what_types_cannot() {
        let base = "[[feed]]\ntype = \"tcp\"\nname = \"a\"\naddress = \"127.0.0.1:30005\"\nformat = \"beast\"\n";
        let check = |extra: &str, want: &str| {
            let c = parse(&format!("{extra}\n{base}"), &Origin::Embedded).expect("parses");
            let err = format!("{:#}", validate(&c).expect_err("invalid"));
            assert!(err.contains(want), "{err:?} should mention {want:?}");
        };
        check("[picture]\nexpire_after_s = 0", "expire_after_s");
        check(
            "[picture]\nreference = { lat = 91.0, lon = 0.0 }",
            "reference",
        );
        check("[pipeline]\nchannel_capacity = 0", "channel_capacity");
        check(
            "[[radar]]\nname = \"a\"\nsource = { type = \"raw\", path = \"x\" }",
            "used twice",
        );
        check("[radar_view]\nkeep_s = 0.0", "keep_s");
        check("[tracker]\nq_cv = -1.0", "q_cv");
        check("[tracker]\ncoast_after_s = 50.0", "delete_after_s");
        check(
            "[tracker]\ncentre = { lat = 0.0, lon = 200.0 }",
            "tracker.centre",
        );
        check("[tracker]\nconfirm_m = 6", "confirm_m");
        let radar_only = parse(
            "[[radar]]\nname = \"r\"\nsource = { type = \"udp\", listen = \"127.0.0.1:8600\" }\n",
            &Origin::Embedded,
        )
        .expect("parses");
        validate(&radar_only).expect("a centre may have radars only");
        let none = parse("[centre]\nname = \"x\"\n", &Origin::Embedded).expect("parses");
        assert!(format!("{:#}", validate(&none).expect_err("no feeds")).contains("[[feed]]"));
    }
}
