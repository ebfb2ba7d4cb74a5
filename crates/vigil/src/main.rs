//! `vigil`: the centre's service and its command-line tools. Glue only: configuration,
//! wiring of feeds, pipeline and HTTP, and the CLI.

use vigil::{config, decode, http, pipeline, radar, tracking};

mod link_cli;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use tokio::time::Duration;
use tokio_util::sync::CancellationToken;
use vigil_core::{Clock, LatLon, SystemClock};
use vigil_feed::{FileFormat, TimeBase};
use vigil_picture::Picture;

/// Vigil: a shared air picture for cooperating coordination centres.
///
/// Decodes real Mode S / ADS-B receiver feeds (Beast, AVR, SBS, and recordings), fuses them
/// into a live air picture and serves it over HTTP in the readsb / tar1090 format.
#[derive(Debug, Parser)]
#[command(name = "vigil", version, propagate_version = true)]
#[command(after_help = "Examples:\n  \
    vigil run                              replay the demo recording, serve http://127.0.0.1:8080/data/aircraft.json\n  \
    vigil run --config config/vigil.example.toml\n  \
    vigil check-config config/vigil.example.toml\n  \
    vigil decode ../shared/data/adsb/long_flight.csv | head\n  \
    vigil certs demo --out certs           certificates for the example links in config/links/\n  \
    vigil link serve -c config/links/kaliningrad-lu.toml\n  \
    vigil ledger verify -c config/links/kaliningrad-lu.toml\n\n\
    Logs go to stderr; RUST_LOG sets the level (e.g. RUST_LOG=vigil=debug).")]
struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "VIGIL_LOG_FORMAT")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the centre: read the feeds, build the air picture, serve it over HTTP.
    ///
    /// Without --config, replays the demo recording ../shared/data/adsb/long_flight.csv
    /// (the built-in config/replay.toml) and serves it at http://127.0.0.1:8080. Stops
    /// cleanly on Ctrl-C or SIGTERM.
    Run {
        /// Configuration file (TOML); see config/vigil.example.toml.
        #[arg(long, short, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Replay recordings through the same pipeline as `vigil run`, on their recorded time:
    /// at real time, N times faster, or as fast as possible; the UI's replay controls pause,
    /// change the speed and skip ahead. With --out, writes the final picture, tracks, alerts
    /// and incidents there as JSON and stops: two replays of one recording write the same
    /// bytes.
    ///
    /// Every [[feed]] of the configuration must be a timestamped recording (csv or jsonl).
    Replay {
        /// Configuration file (TOML); without it, the built-in demo (config/replay.toml).
        #[arg(long, short, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Recorded seconds per wall second (1 = real time).
        #[arg(long, conflicts_with = "fast")]
        speed: Option<f64>,
        /// As fast as the pipeline goes (the default with --out).
        #[arg(long)]
        fast: bool,
        /// Write picture.json, tracks.json, alerts.json, incidents.json here at the end, then stop.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Decode a capture or recording: one JSON line per message on stdout, like decode1090.
    ///
    /// Each line has the timestamp (for recordings), the frame in hex, rs1090's decoded
    /// fields, and latitude/longitude where the air picture resolved a position. A summary
    /// (messages, undecodable, bad lines) goes to stderr.
    Decode {
        /// The file: Beast binary, AVR or SBS text, `unix_ts,hex` CSV, or JSON lines.
        file: PathBuf,
        /// The file's format; `auto` guesses from the name, then the first bytes.
        #[arg(long, value_enum, default_value_t = DecodeFormat::Auto)]
        format: DecodeFormat,
        /// Reference position LAT,LON (decimal degrees) for surface positions.
        #[arg(long, value_name = "LAT,LON", value_parser = parse_latlon, allow_hyphen_values = true)]
        reference: Option<LatLon>,
    },
    /// Parse and validate a configuration file, and print what it sets up.
    CheckConfig {
        /// The configuration file (TOML).
        file: PathBuf,
    },
    /// Play a scenario through the whole chain (frames, tracker, renegade rules, incidents)
    /// as fast as possible, and print what the duty officers would have seen.
    ///
    /// The centre gets an ADS-B receiver and a radar (5 s, 250 NM) in the middle of the
    /// scenario's flights. Scenarios: scenarios/*.toml.
    Exercise {
        /// The scenario file (TOML).
        scenario: PathBuf,
        /// Leave out the scenario's background traffic.
        #[arg(long)]
        no_background: bool,
        /// Print the whole result as JSON instead of the summary.
        #[arg(long)]
        json: bool,
    },
    /// Two parties' centres play Vigilant Skies 2011 day 1 live, and a summary at the end.
    ///
    /// Starts `warszawa-lu` (NATO) and `kaliningrad-lu` (RU) as child processes, each with
    /// its own sensors (Beast over TCP, ASTERIX CAT048 over UDP, fed by the scenario), UI and
    /// store, linked with mutual TLS (certificates made for the run); plays air traffic
    /// control and the duty officers over the API; then verifies both ledgers and prints
    /// incidents, detection and notification times, the hand-over, link figures. Exit status
    /// 0 only if the ledgers verify and the scenario's key facts happened.
    Demo(vigil::demo::DemoArgs),
    /// Make a bearer token for the write API and print the `[[renegade.user]]` table that
    /// admits it (the config keeps only its SHA-256).
    Token {
        /// The user's name.
        name: String,
        /// `operator` or `supervisor`.
        #[arg(long, default_value = "operator")]
        role: String,
    },
    /// Make a UI user: asks for the password (or reads it from stdin with --password-stdin),
    /// hashes it with Argon2id and prints the `[[user]]` table for the centre's config.
    ///
    /// Example: `vigil user add anna --role supervisor >> centre.toml`
    #[command(subcommand)]
    User(UserCommand),
    /// The centre's store: export its recorded frames as a recording `vigil replay` plays.
    #[command(subcommand)]
    Store(StoreCommand),
    /// Certificates for links: party CAs, centre certificates, revocation lists.
    #[command(subcommand)]
    Certs(link_cli::CertsCommand),
    /// The link ledger: verify it, or report what was exchanged.
    #[command(subcommand)]
    Ledger(link_cli::LedgerCommand),
    /// Run or inspect the centre's links on their own.
    #[command(subcommand)]
    Link(link_cli::LinkCommand),
}

#[derive(Debug, Subcommand)]
enum StoreCommand {
    /// Write the Mode S frames a centre recorded (`[store] record_raw`) as a `unix_ts,beast_hex`
    /// CSV recording, the format `vigil replay` and `vigil decode` read.
    ///
    /// Example: `vigil store export centre.db --out day.csv --from 1698140000 --to 1698150000`
    Export {
        /// The store (the file of `[store] path`).
        store: PathBuf,
        /// The CSV file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Only frames received at or after this time (Unix seconds).
        #[arg(long)]
        from: Option<f64>,
        /// Only frames received before this time (Unix seconds).
        #[arg(long)]
        to: Option<f64>,
        /// Only this sensor's frames.
        #[arg(long)]
        sensor: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Print a `[[user]]` table for a new user.
    Add {
        /// Login name (letters, digits, '.', '_', '-').
        name: String,
        /// `operator` or `supervisor`.
        #[arg(long, default_value = "operator")]
        role: String,
        /// Read the password from the first line of stdin instead of asking (for scripts).
        #[arg(long)]
        password_stdin: bool,
        /// Add the user to this centre store (the file of `[store] path`) instead of printing
        /// a `[[user]]` table; the centre reads it at its next start.
        #[arg(long, value_name = "FILE")]
        store: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DecodeFormat {
    /// Guess from the extension, then from the content.
    Auto,
    /// Beast binary (dump1090 / readsb port 30005, `.bin`).
    Beast,
    /// AVR raw hex lines (port 30002).
    Avr,
    /// SBS BaseStation lines (port 30003).
    Sbs,
    /// `unix_ts,hex` lines.
    Csv,
    /// JSON lines with `timestamp` and `frame`.
    Jsonl,
}

impl From<DecodeFormat> for FileFormat {
    fn from(f: DecodeFormat) -> Self {
        match f {
            DecodeFormat::Auto => FileFormat::Auto,
            DecodeFormat::Beast => FileFormat::Beast,
            DecodeFormat::Avr => FileFormat::Avr,
            DecodeFormat::Sbs => FileFormat::Sbs,
            DecodeFormat::Csv => FileFormat::Csv,
            DecodeFormat::Jsonl => FileFormat::Jsonl,
        }
    }
}

fn parse_latlon(s: &str) -> Result<LatLon, String> {
    let (lat, lon) = s
        .split_once(',')
        .ok_or("expected LAT,LON, e.g. 49.0097,2.5479")?;
    let p = LatLon::new(
        lat.trim()
            .parse()
            .map_err(|e| format!("latitude {lat:?}: {e}"))?,
        lon.trim()
            .parse()
            .map_err(|e| format!("longitude {lon:?}: {e}"))?,
    );
    if !p.is_valid() {
        return Err(format!(
            "{s} is not a position (lat -90..90, lon -180..180)"
        ));
    }
    Ok(p)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_level = match cli.command {
        Command::Run { .. } | Command::Link(link_cli::LinkCommand::Serve { .. }) => "info",
        _ => "warn",
    };
    init_logging(cli.log_format, default_level);
    let result = match cli.command {
        Command::Run { config } => run(config, None),
        Command::Replay {
            config,
            speed,
            fast,
            out,
        } => {
            let speed = if fast || (speed.is_none() && out.is_some()) {
                None
            } else {
                Some(speed.unwrap_or(1.0))
            };
            run(config, Some(ReplayMode { speed, out }))
        }
        Command::Decode {
            file,
            format,
            reference,
        } => decode_cmd(&file, format.into(), reference),
        Command::CheckConfig { file } => check_config(&file),
        Command::Exercise {
            scenario,
            no_background,
            json,
        } => exercise_cmd(&scenario, no_background, json),
        Command::Demo(args) => match vigil::demo::run(args) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::FAILURE,
            Err(e) => Err(e),
        },
        Command::Token { name, role } => token_cmd(&name, &role),
        Command::User(UserCommand::Add {
            name,
            role,
            password_stdin,
            store,
        }) => user_add_cmd(&name, &role, password_stdin, store.as_deref()),
        Command::Store(StoreCommand::Export {
            store,
            out,
            from,
            to,
            sensor,
        }) => store_export_cmd(&store, &out, from, to, sensor.as_deref()),
        Command::Certs(c) => link_cli::certs_cmd(c),
        Command::Ledger(c) => match link_cli::ledger_cmd(c) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::FAILURE,
            Err(e) => Err(e),
        },
        Command::Link(c) => link_cli::link_cmd(c),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat, default_level: &str) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn check_config(file: &std::path::Path) -> Result<()> {
    let loaded = config::load(file)?;
    let warnings = config::validate(&loaded.config)?;
    print!("{}", config::summary(&loaded));
    for w in warnings {
        println!("warning: {w}");
    }
    // Files are looked at too, but a missing file is only a warning here: the configuration
    // may be checked on another machine than the one that runs it.
    let mut prepared = Vec::new();
    for (i, feed) in loaded.config.feeds.iter().enumerate() {
        let id = vigil_core::SensorId(u16::try_from(i).unwrap_or(u16::MAX));
        match vigil_feed::prepare_one(id, feed, &loaded.base_dir) {
            Ok(p) => prepared.push(p),
            Err(e) => println!("warning: {e}"),
        }
    }
    if prepared.len() == loaded.config.feeds.len() {
        config::time_base(&prepared)?;
    }
    // Radar sockets are not bound here (the port may be taken by the running centre); their
    // files are looked at like the feeds'.
    for r in &loaded.config.radars {
        let path = match &r.source {
            vigil_radar::SourceConfig::Pcap(p) => &p.path,
            vigil_radar::SourceConfig::Raw(f) => &f.path,
            vigil_radar::SourceConfig::Udp(_) => continue,
        };
        let resolved = if path.is_absolute() {
            path.clone()
        } else {
            loaded.base_dir.join(path)
        };
        if !resolved.is_file() {
            println!(
                "warning: radar {:?}: {} is not a readable file here",
                r.name,
                resolved.display()
            );
        }
    }
    if loaded.config.renegade.enabled && loaded.config.tracker.enabled {
        // The rules and the users are refused here as `vigil run` would; the files it names
        // (plans, navigation data, airspace) are loaded too, but a missing one is only a
        // warning, like the feeds' files: this machine may not be the one that runs it.
        loaded.config.renegade.validate()?;
        match vigil::renegade::CentreDesk::new(&loaded.config.renegade, &loaded.base_dir) {
            Ok(desk) => println!("renegade desk: {desk:?}"),
            Err(e) => println!("warning: [renegade]: {e:#}"),
        }
    }
    if let Some(section) = &loaded.config.station {
        // A bad station file is refused as `vigil run` refuses it, with its typed error.
        vigil::station::check_centre(section, &loaded.config)?;
        let what = vigil::station::describe(section, &loaded.base_dir)?;
        println!("station:       {what}");
    }
    println!("ok");
    Ok(())
}

fn decode_cmd(file: &std::path::Path, format: FileFormat, reference: Option<LatLon>) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let summary = match decode::run(file, format, reference, &mut out) {
        Ok(s) => s,
        // `vigil decode … | head`: the reader has gone; that is not an error.
        Err(e) if is_broken_pipe(&e) => return Ok(()),
        Err(e) => return Err(e),
    };
    let f = summary.framing;
    eprintln!(
        "decoded {} messages from {} ({} items framed, {} undecodable by rs1090, {} positions from the picture); \
         bad lines/records: {} malformed, {} unknown type, {} truncated, {} bad escapes, {} bytes skipped",
        summary.written,
        file.display(),
        summary.items,
        summary.undecodable,
        summary.positions,
        f.malformed,
        f.unknown_type,
        f.truncated,
        f.bad_escape,
        f.skipped_bytes
    );
    if summary.items == 0 && f.errors() + f.skipped_bytes > 0 {
        anyhow::bail!(
            "nothing could be framed from {} read as {}: is the format right? (--format beast, \
             avr, sbs, csv or jsonl)",
            file.display(),
            summary.format
        );
    }
    Ok(())
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

/// `vigil replay`: how fast, and where the outputs go.
#[derive(Debug, Clone)]
struct ReplayMode {
    /// Recorded seconds per wall second; `None`: as fast as possible.
    speed: Option<f64>,
    /// Outputs at the end, then stop.
    out: Option<PathBuf>,
}

fn run(config_path: Option<PathBuf>, replay: Option<ReplayMode>) -> Result<()> {
    let mut loaded = match &config_path {
        Some(p) => config::load(p)?,
        None => config::embedded_default()?,
    };
    if let Some(mode) = &replay {
        // A replay is paced by its control; every feed must be a recording with its times.
        for f in &mut loaded.config.feeds {
            match f {
                vigil_feed::FeedConfig::File(file) => {
                    file.timestamps = vigil_feed::Timestamps::Recorded;
                    file.speed = mode.speed;
                }
                vigil_feed::FeedConfig::Tcp(t) => anyhow::bail!(
                    "feed {:?} is a live TCP feed: `vigil replay` replays recordings only \
                     (use `vigil run` for live feeds)",
                    t.name
                ),
            }
        }
        if loaded.config.clock.start.is_some() {
            anyhow::bail!("`vigil replay` runs on the recordings' own time: remove [clock] start");
        }
    }
    for w in config::validate(&loaded.config)? {
        tracing::warn!("{w}");
    }
    let prepared = vigil_feed::prepare(&loaded.config.feeds, &loaded.base_dir)
        .with_context(|| format!("in {}", loaded.origin))?;
    let time_base = config::time_base(&prepared)?;
    // Radars take the sensor ids after the feeds'. Their sockets are bound here, so that a
    // port in use or a group that cannot be joined stops the start with its reason.
    let first_radar = u16::try_from(loaded.config.feeds.len()).context("too many feeds")?;
    let radars = vigil_radar::prepare(&loaded.config.radars, first_radar, &loaded.base_dir)
        .with_context(|| format!("in {}", loaded.origin))?;
    let outputs = loaded
        .config
        .cat062_out
        .iter()
        .map(vigil_radar::prepare_output)
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("in {}", loaded.origin))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("vigil")
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(loaded, prepared, time_base, radars, outputs, replay))
}

async fn serve(
    loaded: config::Loaded,
    prepared: Vec<vigil_feed::PreparedFeed>,
    time_base: TimeBase,
    radars: Vec<vigil_radar::PreparedRadar>,
    outputs: Vec<vigil_radar::PreparedOutput>,
    replay: Option<ReplayMode>,
) -> Result<()> {
    let cfg = loaded.config;
    let control = replay
        .as_ref()
        .map(|m| Arc::new(vigil_feed::ReplayControl::new(m.speed)));
    let shutdown = CancellationToken::new();
    let clock: Arc<dyn Clock> = match cfg.clock.start {
        Some(start) => {
            tracing::info!(
                start,
                speed = cfg.clock.speed,
                "virtual clock: starts at {start} and runs {}x",
                cfg.clock.speed
            );
            Arc::new(vigil_core::ScaledClock::new(
                SystemClock,
                vigil_core::UnixTime(start),
                cfg.clock.speed,
            ))
        }
        None => Arc::new(SystemClock),
    };

    let listener = tokio::net::TcpListener::bind(cfg.http.listen).await.with_context(|| {
        format!(
            "cannot listen on {} (is another vigil running? set [http] listen to another address, \
             or port 0 for any free port)",
            cfg.http.listen
        )
    })?;
    let addr = listener
        .local_addr()
        .context("cannot read the listening address")?;

    let (tx, rx) = tokio::sync::mpsc::channel(cfg.pipeline.channel_capacity);
    // A centre with radars only: keep the feed channel open, or the pipeline would log at
    // once that every feed has ended.
    let _no_feeds = prepared.is_empty().then(|| tx.clone());
    let feeds = vigil_feed::Feeds::spawn_controlled(
        prepared,
        tx,
        clock.clone(),
        shutdown.clone(),
        control.clone(),
    );
    let (radar_tx, radar_rx) = tokio::sync::mpsc::channel(cfg.pipeline.channel_capacity);
    let positions: Vec<_> = radars.iter().map(|r| r.config.origin()).collect();
    // The tracker runs on the picture's time: recorded when the feeds replay on their own
    // time (or, without feeds, when every radar replays a capture on its recorded time).
    let recorded = time_base == TimeBase::Recorded
        || (cfg.feeds.is_empty()
            && radars.iter().all(|r| {
                matches!(&r.config.source, vigil_radar::SourceConfig::Pcap(p)
                    if p.timestamps == vigil_radar::config::Timestamps::Recorded)
            }));
    if cfg.tracker.enabled && time_base == TimeBase::Recorded {
        for r in radars.iter().filter(|r| {
            !matches!(&r.config.source, vigil_radar::SourceConfig::Pcap(p)
                if p.timestamps == vigil_radar::config::Timestamps::Recorded)
        }) {
            tracing::warn!(
                radar = %r.config.name,
                "the feeds replay on their recorded time but this radar runs on the clock: \
                 the tracker cannot fuse the two (their times do not meet)"
            );
        }
    }
    let store = vigil::store::CentreStore::open(&cfg.store, &loaded.base_dir, cfg.centre.exercise)?
        .map(Arc::new);
    if let Some(st) = &store {
        let text = toml::to_string(&cfg).unwrap_or_default();
        st.store
            .record_config(SystemClock.now().secs(), &loaded.origin.to_string(), &text)
            .context("cannot store the configuration in force")?;
        tracing::info!(path = %st.store.path().display(), "store open");
    }
    let mut airspace = None;
    let (tracker_tx, tracker) = if cfg.tracker.enabled {
        let sensors = tracking::Sensors::new(
            &cfg.feeds
                .iter()
                .map(|f| f.name().to_owned())
                .collect::<Vec<_>>(),
            &cfg.radars
                .iter()
                .map(|r| r.name.clone())
                .zip(positions.iter().copied())
                .collect::<Vec<_>>(),
            &cfg.tracker,
        );
        let mut engine = tracking::Engine::new(
            cfg.tracker.clone(),
            sensors,
            cfg.tracker.configured_centre(&cfg),
            cfg.centre.name.clone(),
        )?;
        if cfg.renegade.enabled {
            let mut desk = vigil::renegade::CentreDesk::new(&cfg.renegade, &loaded.base_dir)
                .context("cannot start the renegade desk ([renegade])")?;
            if let Some(st) = &store {
                let n = st
                    .restore_desk(&mut desk)
                    .context("cannot resume the incidents from the store")?;
                if n > 0 {
                    tracing::info!(incidents = n, "incidents resumed from the store");
                }
            }
            airspace = desk.airspace().cloned();
            engine.desk = Some(desk);
        }
        let shared = Arc::new(tracking::TrackerShared::new(
            engine,
            (!recorded).then(|| clock.clone()),
        ));
        if let Some(st) = &store {
            let _ = shared.store.set(st.clone());
        }
        let (tx, rx) = tokio::sync::mpsc::channel(cfg.pipeline.channel_capacity);
        let task = tokio::spawn(tracking::run(
            shared.clone(),
            rx,
            Duration::from_secs_f64(1.0 / cfg.clock.speed),
            shutdown.clone(),
        ));
        (Some(tx), Some((shared, task)))
    } else {
        (None, None)
    };
    let radars = vigil_radar::Radars::spawn(radars, radar_tx, clock.clone(), shutdown.clone());
    let radar_shared = Arc::new(radar::RadarShared::new(
        cfg.radar_view.limits(),
        radars.sensors().iter().cloned().zip(positions).collect(),
    ));
    let radar_task = tokio::spawn(radar::run(
        radar_shared.clone(),
        radar_rx,
        tracker_tx.clone(),
        shutdown.clone(),
    ));
    // Missile early warning ([missile], docs/missile.md): its own tracker on its own clock.
    let missile = match &cfg.missile {
        Some(m) => Some(Arc::new(vigil::missile::MissileShared::new(
            m,
            &loaded.base_dir,
            &cfg.centre.party,
            &cfg.centre.name,
            clock.clone(),
            cfg.clock.start,
        )?)),
        None => None,
    };
    let links = start_links(
        &cfg,
        &loaded.base_dir,
        tracker.as_ref().map(|(t, _)| t.clone()),
        clock.clone(),
        shutdown.clone(),
        missile.clone(),
    )
    .await?;
    if let Some(m) = &missile {
        let speed = if cfg.clock.start.is_some() {
            cfg.clock.speed
        } else {
            1.0
        };
        tokio::spawn(vigil::missile::run(m.clone(), speed, shutdown.clone()));
    }
    // The metro station ([station], docs/station.md): its scan thread on the centre's clock.
    let station = vigil::station::start(
        &cfg,
        &loaded.base_dir,
        clock.clone(),
        links.as_ref().map(|(l, _)| l.clone()),
        store.clone(),
        shutdown.clone(),
    )?;
    let mut picture = Picture::new(cfg.picture.picture_config());
    // The picture's JSON names each aircraft's sensors; the index is the SensorId (feeds
    // first, then radars).
    picture.set_sensor_names(
        cfg.feeds
            .iter()
            .map(|f| f.name().to_owned())
            .chain(cfg.radars.iter().map(|r| r.name.clone()))
            .collect(),
    );
    let shared = Arc::new(
        pipeline::Shared::new(
            picture,
            feeds.sensors().to_vec(),
            clock,
            time_base,
            cfg.centre.name.clone(),
            (cfg.http.stream_flush_s * 1000.0).round() as u64,
            cfg.http.max_stream_clients,
            shutdown.clone(),
        )
        .with_radar(radar_shared.clone())
        .with_tracks(tracker.as_ref().map(|(t, _)| t.clone()))
        .with_links(links.as_ref().map(|(l, _)| l.clone()))
        .with_identity(cfg.centre.party.clone(), cfg.centre.exercise)
        .with_replay(control.clone())
        .with_store(
            store.clone(),
            cfg.feeds.iter().map(|f| f.name().to_owned()).collect(),
        ),
    );
    let mut output_tasks = Vec::new();
    for output in outputs {
        let max_age = output.config.max_position_age_s;
        let name = output.config.name.clone();
        let picture = shared.clone();
        // Copies the tracks out under the picture lock; encoding and sending happen after.
        let snapshot = move || {
            let st = picture.lock();
            let now = picture.now(&st);
            (
                now,
                vigil_radar::tracks_from_picture(&st.picture, now, max_age),
            )
        };
        let running = vigil_radar::spawn_output(output, snapshot, shutdown.clone())
            .with_context(|| format!("cannot start CAT062 output {name:?}"))?;
        radar_shared.add_output(running.stats);
        output_tasks.push(running.task);
    }
    let settings = pipeline::Settings {
        expire_interval_s: cfg.pipeline.expire_interval_s,
        flush: Duration::from_secs_f64(cfg.http.stream_flush_s),
        heartbeat: Duration::from_secs_f64(cfg.http.stream_heartbeat_s),
        status: (cfg.pipeline.status_interval_s > 0.0)
            .then(|| Duration::from_secs_f64(cfg.pipeline.status_interval_s)),
        tracker: tracker_tx,
    };
    let pipeline = tokio::spawn(pipeline::run(shared.clone(), rx, settings));
    tokio::spawn(signals(shutdown.clone()));

    tracing::info!(
        centre = %cfg.centre.name,
        config = %loaded.origin,
        feeds = feeds.sensors().len(),
        radars = radars.sensors().len(),
        tracker = tracker.is_some(),
        cat062_outputs = output_tasks.len(),
        time = if time_base == TimeBase::Recorded { "recorded" } else { "clock" },
        "vigil started"
    );
    // The first line on stdout is the URL: scripts and tests read it (port 0 picks one).
    println!(
        "vigil: centre {:?} serving the air picture at http://{addr}/data/aircraft.json",
        cfg.centre.name
    );
    let _ = std::io::stdout().flush();
    tracing::info!("the operator UI is at http://{addr}/");

    let access = Arc::new(make_access(&cfg, addr, store.clone())?);
    let live = Arc::new(vigil::live::Live::new(cfg.http.max_ui_clients));
    let live_task = tokio::spawn(vigil::live::run(
        shared.clone(),
        live.clone(),
        shutdown.clone(),
    ));
    let layout = Arc::new(vigil::layout::Layout::new(&cfg, airspace.as_deref()));
    if !vigil::ui::has_basemap() {
        tracing::warn!(
            "the UI was built without its basemap: run `npm ci --prefix ui`, then build vigil again"
        );
    }
    if let Some(out) = replay.and_then(|m| m.out) {
        tokio::spawn(replay_outputs(shared.clone(), out, shutdown.clone()));
    }
    let server_shutdown = shutdown.clone();
    let mut app = http::router(shared, access.clone(), live, layout);
    app = app.merge(vigil::station::router(
        vigil::station::StationApi {
            station,
            links: links.as_ref().map(|(l, _)| l.clone()),
        },
        access.clone(),
    ));
    if let Some(m) = missile {
        app = app.merge(vigil::missile::router(m, access));
    }
    let server = axum::serve(listener, app)
        .with_graceful_shutdown(async move { server_shutdown.cancelled().await });
    let served = server.await;
    // Whatever ended the server (signal or error), everything else stops with it.
    shutdown.cancel();
    if pipeline.await.is_err() {
        tracing::error!("pipeline task ended abnormally");
    }
    if live_task.await.is_err() {
        tracing::error!("UI feed task ended abnormally");
    }
    feeds.join().await;
    radars.join().await;
    if radar_task.await.is_err() {
        tracing::error!("radar observation task ended abnormally");
    }
    if let Some((_, task)) = tracker
        && task.await.is_err()
    {
        tracing::error!("tracker task ended abnormally");
    }
    for task in output_tasks {
        if task.await.is_err() {
            tracing::error!("CAT062 output task ended abnormally");
        }
    }
    if let Some((_, running)) = links {
        running.join().await;
    }
    if let Some(st) = &store
        && let Err(e) = st.store.flush()
    {
        tracing::error!("the store did not take everything before stopping: {e}");
    }
    tracing::info!("vigil stopped");
    served.context("HTTP server failed")
}

/// At the end of a replay (every feed ended, the tracker up to date), writes the picture,
/// tracks, alerts and incidents to `out` and stops the centre.
async fn replay_outputs(shared: Arc<pipeline::Shared>, out: PathBuf, shutdown: CancellationToken) {
    use std::sync::atomic::Ordering;
    loop {
        let done = shared.feeds_ended.load(Ordering::Acquire)
            && shared
                .tracks
                .as_ref()
                .is_none_or(|t| t.ended.load(Ordering::Acquire));
        if done {
            break;
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
    }
    let picture = {
        let st = shared.lock();
        st.picture.readsb_json(shared.now(&st))
    };
    let mut files = vec![("picture.json", picture)];
    if let Some(t) = &shared.tracks {
        files.push(("tracks.json", t.tracks_json()));
        let e = t.lock();
        if let Some(d) = e.desk.as_ref() {
            files.push(("alerts.json", d.alerts_json()));
            files.push(("incidents.json", d.incidents_json()));
        }
    }
    let written = std::fs::create_dir_all(&out).and_then(|()| {
        for (name, v) in &files {
            let mut bytes = serde_json::to_vec_pretty(v).map_err(std::io::Error::other)?;
            bytes.push(b'\n');
            std::fs::write(out.join(name), bytes)?;
        }
        Ok(())
    });
    match written {
        Ok(()) => {
            println!("vigil: replay done; outputs in {}", out.display());
            let _ = std::io::stdout().flush();
        }
        Err(e) => tracing::error!(
            "cannot write the replay's outputs to {}: {e}",
            out.display()
        ),
    }
    shutdown.cancel();
}

/// Users, sessions and tokens. A centre without `[[user]]` on a loopback address gets an
/// `admin` supervisor with a random password for this run (printed on stderr): the demo
/// works on a fresh clone, and no password is ever a default.
fn make_access(
    cfg: &config::Config,
    addr: std::net::SocketAddr,
    store: Option<Arc<vigil::store::CentreStore>>,
) -> Result<vigil::access::Access> {
    let mut users = cfg.users.clone();
    if let Some(st) = &store {
        // Users added with `vigil user add --store`; a name in the config wins.
        for u in st.store.users()? {
            if users.iter().any(|c| c.name == u.name) {
                continue;
            }
            users.push(vigil_auth::UserConfig {
                name: u.name,
                role: u.role.parse()?,
                password_hash: u.password_hash,
            });
        }
    }
    if users.is_empty() {
        // `validate` refuses a non-loopback address without users.
        let password = vigil_auth::random_password(16)?;
        users.push(vigil_auth::UserConfig {
            name: "admin".into(),
            role: vigil_auth::Role::Supervisor,
            password_hash: vigil_auth::hash_password(&password)?,
        });
        eprintln!(
            "\n  UI: http://{addr}/  user: admin  password: {password}\n  \
             (made for this run because no [[user]] is configured; add users with `vigil user add`)\n"
        );
    }
    Ok(vigil::access::Access::new(
        users,
        cfg.renegade.users.clone(),
        cfg.http.open_read,
        cfg.http.secure_cookie,
    )?
    .with_store(store))
}

/// Starts the centre's links when `[links]` configures any: what the renegade desk
/// collects goes out under each link's release policy; what partners send is kept in the
/// partner picture (`/data/partner.json`).
async fn start_links(
    cfg: &config::Config,
    base_dir: &std::path::Path,
    tracker: Option<Arc<tracking::TrackerShared>>,
    clock: Arc<dyn Clock>,
    shutdown: CancellationToken,
    missile: Option<Arc<vigil::missile::MissileShared>>,
) -> Result<Option<(Arc<vigil::links::LinksShared>, vigil_link::net::CentreLinks)>> {
    if !cfg.links.enabled() {
        return Ok(None);
    }
    let airspace = vigil::renegade::load_airspace(&cfg.renegade, base_dir)?;
    let links_cfg = cfg
        .links
        .build(
            base_dir,
            &cfg.centre.party,
            &cfg.centre.name,
            cfg.centre.exercise,
            airspace.as_deref(),
        )
        .context("[links]")?;
    let store = cfg
        .links
        .open_store(base_dir, &cfg.centre.party, &cfg.centre.name)?;
    let store = Arc::new(std::sync::Mutex::new(store));
    let (running, delivered) =
        vigil_link::net::CentreLinks::start(links_cfg, store, clock, shutdown.clone())
            .await
            .context("cannot start the links")?;
    if let Some(a) = running.local_addr() {
        tracing::info!(address = %a, "links: listening for partner centres");
    }
    let shared = Arc::new(vigil::links::LinksShared {
        handles: running.links().to_vec(),
        picture: std::sync::Mutex::new(vigil::links::PartnerPicture::default()),
        refused: running.refused_counter(),
    });
    // Partner missile tracks and warnings are copied to the missile state on the way in.
    let delivered = match &missile {
        Some(m) => {
            m.attach_links(shared.clone());
            vigil::missile::tap(delivered, m.clone())
        }
        None => delivered,
    };
    tokio::spawn(vigil::links::run_inbound(delivered, shared.clone()));
    match tracker {
        Some(t) => {
            if let Some(desk) = t.lock().desk.as_mut() {
                desk.enable_outbound(&cfg.centre.party, &cfg.centre.name);
            }
            tokio::spawn(vigil::links::run_outbound(t, shared.clone(), shutdown));
        }
        None => tracing::warn!(
            "links without the tracker: this centre only receives and relays (enable [tracker] to send its tracks)"
        ),
    }
    Ok(Some((shared, running)))
}

/// Ctrl-C or SIGTERM: the one shutdown path.
async fn signals(shutdown: CancellationToken) {
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch SIGTERM; only Ctrl-C stops vigil");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = shutdown.cancelled() => return,
        r = tokio::signal::ctrl_c() => if let Err(e) = r {
            tracing::warn!(error = %e, "cannot watch Ctrl-C");
            std::future::pending::<()>().await;
        },
        _ = term => {}
    }
    tracing::info!("shutdown requested; stopping feeds, pipeline and HTTP server");
    shutdown.cancel();
}

fn store_export_cmd(
    path: &std::path::Path,
    out: &std::path::Path,
    from: Option<f64>,
    to: Option<f64>,
    sensor: Option<&str>,
) -> Result<()> {
    use std::fmt::Write as _;
    if !path.exists() {
        anyhow::bail!("no store at {} (the file of [store] path)", path.display());
    }
    let store = vigil_store::Store::open(path, vigil_store::StoreOptions::default())
        .with_context(|| format!("cannot open the store {}", path.display()))?;
    let file =
        std::fs::File::create(out).with_context(|| format!("cannot write {}", out.display()))?;
    let mut w = std::io::BufWriter::new(file);
    let (mut line, mut record) = (String::new(), Vec::new());
    let mut failed = None;
    let n = store.raw_frames(from, to, |f| {
        if f.kind != vigil_store::RawKind::ModeS || sensor.is_some_and(|s| s != f.sensor) {
            return true;
        }
        record.clear();
        vigil_codec::encode::beast_frame(&mut record, &f.bytes, 0, 0);
        line.clear();
        let _ = writeln!(line, "{:.6},{}", f.recv_time, hex::encode(&record));
        if let Err(e) = w.write_all(line.as_bytes()) {
            failed = Some(e);
            return false;
        }
        true
    })?;
    if let Some(e) = failed {
        return Err(e).with_context(|| format!("cannot write {}", out.display()));
    }
    w.flush()?;
    store.close()?;
    eprintln!(
        "{n} frames read from {}; recording in {}",
        path.display(),
        out.display()
    );
    Ok(())
}

fn user_add_cmd(
    name: &str,
    role: &str,
    password_stdin: bool,
    store: Option<&std::path::Path>,
) -> Result<()> {
    let role: vigil_auth::Role = role.parse()?;
    vigil_auth::check_name(name)?;
    let password = if password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("cannot read the password from stdin")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        let first = rpassword::prompt_password(format!("password for {name}: "))
            .context("cannot read the password from the terminal (use --password-stdin)")?;
        let again = rpassword::prompt_password("again: ")?;
        if first != again {
            anyhow::bail!("the two passwords differ; nothing was made");
        }
        first
    };
    let hash = vigil_auth::hash_password(&password)?;
    if let Some(path) = store {
        let st = vigil_store::Store::open(path, vigil_store::StoreOptions::default())
            .with_context(|| format!("cannot open the store {}", path.display()))?;
        st.put_user(vigil_store::UserRow {
            name: name.to_owned(),
            role: role.to_string(),
            password_hash: hash,
            created: SystemClock.now().secs(),
        })?;
        st.close()?;
        eprintln!("user {name} ({role}) added to {}", path.display());
        return Ok(());
    }
    println!("[[user]]");
    println!("name = {name:?}");
    println!("role = \"{role}\"");
    println!("password_hash = {hash:?}");
    Ok(())
}

fn token_cmd(name: &str, role: &str) -> Result<()> {
    use std::io::Read;
    let role: vigil_incident::Role = serde_json::from_value(serde_json::Value::String(role.into()))
        .map_err(|_| anyhow::anyhow!("role {role:?}: expected operator or supervisor"))?;
    if !role.is_human() {
        anyhow::bail!("role system is the rules engine's own; give operator or supervisor");
    }
    let mut bytes = [0u8; 24];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .context("cannot read /dev/urandom for a random token")?;
    let token = hex::encode(bytes);
    println!("# Give this token to {name} (it is shown once; only its hash goes in the config):");
    println!("#   Authorization: Bearer {token}");
    println!("[[renegade.user]]");
    println!("name = {name:?}");
    println!("role = \"{role}\"");
    println!("token_sha256 = \"{}\"", vigil::renegade::token_hash(&token));
    Ok(())
}

fn exercise_cmd(path: &std::path::Path, no_background: bool, as_json: bool) -> Result<()> {
    use vigil::exercise::{AdsbSite, ExerciseOptions, RadarSite};
    let mut scenario = vigil_sim::Scenario::load(path)
        .with_context(|| format!("cannot load scenario {}", path.display()))?;
    if no_background {
        scenario.background = None;
    }
    eprintln!("generating {} ...", scenario.name);
    let truth = vigil_sim::generate(&scenario).context("scenario generation failed")?;
    let mut notes = truth.notes.clone();
    let airspace = vigil_sim::build_airspace(&scenario, &mut notes)
        .context("scenario airspace")?
        .map(Arc::new);
    for n in &notes {
        eprintln!("note: {n}");
    }
    // Sensors in the middle of the scenario's own flights.
    let own: Vec<LatLon> = truth
        .aircraft
        .iter()
        .filter(|a| !a.background)
        .flat_map(|a| a.trajectory.points.iter().step_by(60).map(|p| p.pos.pos))
        .collect();
    if own.is_empty() {
        anyhow::bail!("the scenario has no flights of its own");
    }
    let (lat, lon) = own
        .iter()
        .fold((0.0, 0.0), |(a, b), p| (a + p.lat, b + p.lon));
    let centre = LatLon::new(lat / own.len() as f64, lon / own.len() as f64);
    let options = ExerciseOptions::new(
        vec![AdsbSite {
            name: "adsb".into(),
            pos: centre,
            range_km: 500.0,
        }],
        vec![RadarSite {
            name: "radar".into(),
            sac: 1,
            sic: 1,
            pos: centre,
            height_m: 100.0,
            period_s: 5.0,
            range_nm: 250.0,
            false_per_scan: 5.0,
        }],
    );
    eprintln!(
        "sensors at {:.3},{:.3}; running {} aircraft over {:.0} s ...",
        centre.lat,
        centre.lon,
        truth.aircraft.len(),
        truth.end - truth.start
    );
    let r =
        vigil::exercise::run(&scenario, &truth, airspace, &options).context("exercise failed")?;
    if as_json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    let rel = |t: f64| t - truth.start;
    println!("{}", scenario.name);
    println!(
        "frames {} (Beast), radar plots {} (CAT048, {} bytes), reports {}",
        r.stats.frames, r.stats.plots, r.stats.asterix_bytes, r.stats.reports
    );
    for p in &r.plan_problems {
        println!("flight plan problem: {p}");
    }
    for i in &r.incidents {
        let track = vigil_renegade::desk::track_of(&i.subject);
        let who = track
            .and_then(|t| {
                r.tracks_of
                    .iter()
                    .find(|(_, s)| s.contains(&t))
                    .map(|(a, _)| a.clone())
            })
            .unwrap_or_default();
        let name = truth
            .aircraft
            .iter()
            .find(|a| a.icao.to_string() == who)
            .map(|a| a.callsign.clone())
            .unwrap_or_default();
        println!(
            "\nincident {} on {} ({name} {who}): opened at {:.0} s, state {}",
            i.id.0,
            i.subject,
            rel(i.opened.secs()),
            i.state
        );
        for (level, name) in ["NONE", "COMLOSS", "SUSPECTED", "PROBABLE", "CONFIRMED"]
            .iter()
            .enumerate()
            .skip(1)
        {
            if let Some(t) = i.level_since(level) {
                println!("  {name:<10} at {:7.0} s", rel(t.secs()));
            }
        }
        for e in &i.evidence {
            println!(
                "  evidence from {:7.0} s: {}",
                rel(e.started.secs()),
                e.detail
            );
        }
        for n in r.notifications.iter().filter(|n| n.incident == i.id) {
            println!(
                "  notified {} at {:.0} s ({})",
                n.channel,
                rel(n.at.secs()),
                n.level_name
            );
        }
        if let Some(t) = track {
            for h in &truth.handovers {
                if let Some(p) = r
                    .predictions
                    .iter()
                    .rfind(|p| p.track == t && h.t - p.made_at >= 120.0)
                {
                    println!(
                        "  hand-over {:?} -> {:?} at {:.0} s; predicted {:.0} s before: {:.1} km and {:+.0} s off",
                        h.fir_from,
                        h.fir_to,
                        rel(h.t),
                        h.t - p.made_at,
                        p.crossing.pos.distance_m(&h.pos) / 1000.0,
                        p.crossing.t - h.t
                    );
                }
            }
        }
    }
    if r.incidents.is_empty() {
        println!("no incident");
    }
    Ok(())
}
