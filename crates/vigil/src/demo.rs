//! `vigil demo`: two parties' centres on one machine play Vigilant Skies 2011 day 1 among
//! background traffic; at the end the demo says what happened and proves both ledgers.
//!
//! What runs: two `vigil run` child processes of this same binary, `warszawa-lu` (NATO) and
//! `kaliningrad-lu` (RU), the pair of `config/links/`. Each has its own sensors, tracker,
//! renegade desk, operator UI and store; they are linked with mutual TLS, with party CAs and
//! centre certificates made here. The demo process plays everything around the centres:
//!
//! - the **sensors**: the scenario's truth as real wire formats, Beast over TCP from each
//!   ADS-B receiver (the demo is the receiver's server, the centre's `[[feed]]` dials it) and
//!   ASTERIX CAT048 over UDP from each radar, made by [`crate::exercise::WireSensors`];
//! - **air traffic control**: the scenario's reports (radio contact lost, not following
//!   instructions) posted to the Polish centre's `POST /api/reports` with a bearer token;
//! - the **duty officers' script**: acknowledge, request interception when the fighters are
//!   scrambled, propose the hand-over when the predicted boundary crossing is near, record
//!   its acceptance when the partner has the request and the aircraft has crossed, close the
//!   incident after the landing; over the same write API an operator uses.
//!
//! Time: both centres run on a virtual clock (`[clock]`) that starts shortly before the
//! scenario's start and runs `--speed` times as fast as the wall clock. Each centre's clock
//! starts when its process does, so the demo reads it (`/data/sensors.json` `now`) once the
//! centre answers and paces that centre's sensors and reports on it: scenario second k
//! reaches the centre when its own clock reads k. Times in the summary are the centres'
//! own, in seconds after the scenario's start.
//!
//! The background traffic is synthetic (seeded cruise traffic over the Baltic and Poland),
//! the project's own like the scenario; `--recording` adds real recorded traffic, moved to
//! the exercise area and re-encoded like the rest.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use serde::Serialize;
use serde_json::{Value, json};
use vigil_core::{Geodetic, IcaoAddress, LatLon, SensorId, UnixTime};
use vigil_incident::{ChannelKind, Incident};
use vigil_release::{HandoverStage, Outbound};
use vigil_renegade::Alert;
use vigil_sim::{Scenario, SimAircraft, Truth};
use vigil_track::sim::{Trajectory, TruthPoint};

use crate::exercise::{AdsbSite, RadarSite, WireSensors};

/// The scenario the demo plays unless told otherwise, from the repository root.
const DEFAULT_SCENARIO: &str = "scenarios/vigilant_skies_2011_day1.toml";

/// The same, from the source tree this binary was built from (a run outside the root).
const BUILT_SCENARIO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../scenarios/vigilant_skies_2011_day1.toml"
);

/// The link between the two centres (its name is in both ledgers' chains).
const LINK: &str = "warszawa-kaliningrad";

/// Wall seconds the centres get to start before the scenario's first second is due: their
/// clocks start this much (times the speed) before the scenario.
const LEAD_WALL_S: f64 = 8.0;

/// Virtual seconds the demo lets the centres run after the scenario's end before the last
/// checkpoints (tracks coast out, the last events go over the link).
const END_MARGIN_S: f64 = 30.0;

/// One step of the sensors, seconds: the transponders are polled this often, as in
/// `vigil exercise`.
const STEP_S: f64 = 0.1;

/// `vigil demo`.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// How many times faster than real time the scenario plays (the centres' clocks and the
    /// sensors). 1 = real time (75 minutes); the default, 10, takes about 8 minutes.
    #[arg(long, default_value_t = 10.0)]
    pub speed: f64,
    /// Folder for the configurations, certificates, stores and logs (made if missing).
    /// Default: a new folder in the system's temporary folder; its path is printed.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// First of eight consecutive loopback ports (the link, then per centre its UI, its
    /// receivers' Beast servers and its radars' UDP ports); 0 = free ports picked by the
    /// system.
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    pub base_port: u16,
    /// Real recorded ADS-B traffic to add as background: Beast binary, `unix_ts,hex` CSV,
    /// AVR, SBS or JSON lines (as `vigil decode` reads them), or a `traffic` state-vector
    /// file (`.json.gz`). Shifted to the scenario's start and moved over the exercise area.
    #[arg(long, value_name = "PATH")]
    pub recording: Option<PathBuf>,
    /// At most this many aircraft are taken from --recording (the busiest).
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub recording_max: usize,
    /// Synthetic background aircraft in the air at any moment, about (0: none).
    #[arg(long, value_name = "N", default_value_t = 40)]
    pub background: usize,
    /// The scenario: Vigilant Skies 2011 day 1 (scenarios/vigilant_skies_2011_day1.toml),
    /// or an edited copy of it (the sensors and the two centres are those of day 1).
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Print the summary as JSON on stdout (the progress and addresses still go to stderr).
    #[arg(long)]
    pub json: bool,
}

// ---- the two centres --------------------------------------------------------------------

/// One party's centre as the demo sets it up.
#[derive(Debug, Clone)]
struct CentrePlan {
    /// Centre name (its certificate's).
    name: &'static str,
    /// Party (its certificate's and its CA's).
    party: &'static str,
    /// The parties its renegade desk notifies.
    partners: &'static [&'static str],
    /// The partner on the link.
    partner_name: &'static str,
    /// The partner's party.
    partner_party: &'static str,
    /// How its own FIRs' party starts in the airspace table (`NATO/PL`, `RU`).
    airspace_party: &'static str,
    /// The release policy's file name and text.
    policy: (&'static str, &'static str),
    /// Whether it has the filed flight plans (the Polish ATS does; Kaliningrad does not).
    flight_plans: bool,
    /// Whether air traffic control reports to it.
    atc: bool,
    /// ADS-B receivers.
    adsb: Vec<AdsbSite>,
    /// Radars.
    radars: Vec<RadarSite>,
}

/// What the Warszawa unit releases to Kaliningrad: the policy of the example pair.
const POLICY_WARSZAWA: &str =
    include_str!("../../../config/links/warszawa-kaliningrad.policy.toml");

/// What the Kaliningrad unit releases to Warszawa: the policy of the example pair.
const POLICY_KALININGRAD: &str =
    include_str!("../../../config/links/kaliningrad-warszawa.policy.toml");

/// The example pair's policy with one change, `events_outside_area = true`: the renegade is
/// notified south of Warszawa, 250 km from the border area, and the partner must hear of it
/// then, not when the aircraft reaches the border. Tracks still go only inside the area.
fn demo_policy(example: &str) -> Result<String> {
    const FROM: &str = "\nevents_outside_area = false\n";
    if !example.contains(FROM) {
        anyhow::bail!("the example release policy no longer says `events_outside_area = false`");
    }
    Ok(format!(
        "# Made by `vigil demo` from the policy in config/links/, with events (alerts, incident\n\
         # transitions, hand-overs) about a track outside the border area released too.\n{}",
        example.replacen(FROM, "\nevents_outside_area = true\n", 1)
    ))
}

/// The Warszawa unit: an ADS-B receiver and a radar at Gdansk, a radar at Warszawa (the
/// sensors of the synchronous day-1 test).
fn warszawa() -> CentrePlan {
    let (adsb, radars) = crate::exercise::warszawa_sensors();
    CentrePlan {
        name: "warszawa-lu",
        party: "NATO",
        partners: &["RU"],
        partner_name: "kaliningrad-lu",
        partner_party: "RU",
        airspace_party: "NATO",
        policy: ("warszawa-kaliningrad.policy.toml", POLICY_WARSZAWA),
        flight_plans: true,
        atc: true,
        adsb,
        radars,
    }
}

/// The Kaliningrad unit: an ADS-B receiver at Kaliningrad and a radar at Chernyakhovsk, east
/// of the city (not under the renegade's path: a radar loses what flies over it).
fn kaliningrad() -> CentrePlan {
    CentrePlan {
        name: "kaliningrad-lu",
        party: "RU",
        partners: &["NATO"],
        partner_name: "warszawa-lu",
        partner_party: "NATO",
        airspace_party: "RU",
        policy: ("kaliningrad-warszawa.policy.toml", POLICY_KALININGRAD),
        flight_plans: false,
        atc: false,
        adsb: vec![AdsbSite {
            name: "adsb-kaliningrad".into(),
            pos: LatLon::new(54.71, 20.45),
            range_km: 400.0,
        }],
        radars: vec![RadarSite {
            name: "radar-chernyakhovsk".into(),
            sac: 0x50,
            sic: 1,
            pos: LatLon::new(54.63, 21.80),
            height_m: 80.0,
            period_s: 6.0,
            range_nm: 200.0,
            false_per_scan: 5.0,
        }],
    }
}

// ---- entry ------------------------------------------------------------------------------

/// Runs the demo. `Ok(true)` when both ledgers verified and the scenario's key facts
/// happened (the exit status is 0 only then); `Ok(false)` when the demo ran but something
/// it checks did not happen; `Err` when it could not run.
pub fn run(args: DemoArgs) -> Result<bool> {
    if !(args.speed.is_finite() && args.speed > 0.0 && args.speed <= 200.0) {
        bail!(
            "--speed must be above 0 and at most 200 (got {}); 10 plays the 75-minute scenario in about 8 minutes",
            args.speed
        );
    }
    let interrupted = Arc::new(AtomicBool::new(false));
    watch_signals(interrupted.clone());

    let scenario_path = find_scenario(args.scenario.as_deref())?;
    let mut scenario = Scenario::load(&scenario_path)
        .with_context(|| format!("cannot load the scenario {}", scenario_path.display()))?;
    // The scenario names recorded traffic from ../shared as its background; the demo's
    // background is its own synthetic traffic (plus --recording).
    scenario.background = None;
    eprintln!("vigil demo: {}", scenario.name);
    let mut truth = vigil_sim::generate(&scenario).context("the scenario does not generate")?;
    let taken: BTreeSet<IcaoAddress> = truth.aircraft.iter().map(|a| a.icao).collect();
    let synthetic = synthetic_background(&truth, args.background, &taken);
    let n_synthetic = synthetic.len();
    truth.aircraft.extend(synthetic);
    let mut n_recorded = 0;
    if let Some(path) = &args.recording {
        let taken: BTreeSet<IcaoAddress> = truth.aircraft.iter().map(|a| a.icao).collect();
        let recorded = recorded_background(path, &truth, args.recording_max, &taken)
            .with_context(|| format!("--recording {}", path.display()))?;
        n_recorded = recorded.len();
        truth.aircraft.extend(recorded);
    }
    let truth = Arc::new(truth);

    let out = match &args.out {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!(
            "vigil-demo-{}-{}",
            wall_unix() as u64,
            std::process::id()
        )),
    };
    std::fs::create_dir_all(&out)
        .with_context(|| format!("cannot create the output folder {}", out.display()))?;
    let out = out.canonicalize().unwrap_or(out);
    eprintln!(
        "  {} aircraft of the scenario, {n_synthetic} synthetic background{}; files in {}",
        truth.aircraft.iter().filter(|a| !a.background).count(),
        if n_recorded > 0 {
            format!(", {n_recorded} recorded")
        } else {
            String::new()
        },
        out.display()
    );

    let setup = Setup::write(&args, &scenario, &truth, &out)?;
    let result = play(&args, &scenario, truth, setup, &interrupted);
    if interrupted.load(Ordering::Relaxed) {
        eprintln!("vigil demo: interrupted; the centres were stopped");
    }
    let summary = result?;
    let path = out.join("summary.json");
    if let Err(e) = std::fs::write(&path, serde_json::to_string_pretty(&summary)?) {
        eprintln!("vigil demo: cannot write {}: {e}", path.display());
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print!("{}", summary.text());
    }
    Ok(summary.ok)
}

/// Ctrl-C and SIGTERM set `flag`: the demo then stops the centres cleanly and still
/// verifies what they stored.
fn watch_signals(flag: Arc<AtomicBool>) {
    let spawned = std::thread::Builder::new()
        .name("demo-signals".into())
        .spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                #[cfg(unix)]
                let term = async {
                    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    {
                        Ok(mut s) => {
                            s.recv().await;
                        }
                        Err(_) => std::future::pending::<()>().await,
                    }
                };
                #[cfg(not(unix))]
                let term = std::future::pending::<()>();
                tokio::select! {
                    r = tokio::signal::ctrl_c() => if r.is_err() {
                        std::future::pending::<()>().await;
                    },
                    () = term => {}
                }
                flag.store(true, Ordering::Relaxed);
            });
        });
    if spawned.is_err() {
        eprintln!("vigil demo: cannot watch Ctrl-C; stop it with `kill` on its process group");
    }
}

fn find_scenario(given: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = given {
        if p.is_file() {
            return Ok(p.to_owned());
        }
        bail!("the scenario {} is not a readable file", p.display());
    }
    for p in [Path::new(DEFAULT_SCENARIO), Path::new(BUILT_SCENARIO)] {
        if p.is_file() {
            return Ok(p.to_owned());
        }
    }
    bail!(
        "cannot find {DEFAULT_SCENARIO}: run `vigil demo` from the repository root, or give \
         the scenario with --scenario FILE"
    )
}

fn wall_unix() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

// ---- background traffic -----------------------------------------------------------------

/// A small seeded generator (SplitMix64): the background is the same on every run.
struct SplitMix(u64);

impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn between(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    fn index(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize % n.max(1)
    }
}

/// Where the background flies: a circle over northern Poland and the Kaliningrad region.
const BACKGROUND_CENTRE: (f64, f64) = (53.4, 19.9);
const BACKGROUND_RADIUS_M: f64 = 380_000.0;

/// Seeded cruise traffic: about `n` aircraft in the air at any moment, each on a great
/// circle across the exercise area at a constant level and speed, entering at the edge
/// (or already on its way at the start). No flight plan, no emergency: ordinary traffic
/// the renegade has to be found among.
fn synthetic_background(
    truth: &Truth,
    n: usize,
    taken: &BTreeSet<IcaoAddress>,
) -> Vec<SimAircraft> {
    if n == 0 {
        return Vec::new();
    }
    const AIRLINES: [&str; 10] = [
        "LOT", "DLH", "SAS", "FIN", "RYR", "WZZ", "AFL", "BTI", "KLM", "AUA",
    ];
    const TYPES: [&str; 5] = ["A320", "B738", "E195", "A321", "B789"];
    let mut rng = SplitMix(truth.seed ^ 0x5EED_BAC6);
    let centre = LatLon::new(BACKGROUND_CENTRE.0, BACKGROUND_CENTRE.1);
    let (start, end) = (truth.start, truth.end);
    // A crossing is about 1.4 radii at 230 m/s: that many seconds in the air.
    let mean_flight_s = 1.4 * BACKGROUND_RADIUS_M / 230.0;
    let mut spawns: Vec<(f64, f64)> = Vec::new(); // (time, fraction flown at that time)
    for _ in 0..n {
        spawns.push((start, rng.between(0.05, 0.9)));
    }
    let rate = n as f64 / mean_flight_s;
    let mut t = start;
    loop {
        t += -rng.unit().max(1e-9).ln() / rate;
        if t >= end - 120.0 {
            break;
        }
        spawns.push((t, 0.0));
    }
    let mut used: BTreeSet<IcaoAddress> = taken.clone();
    let mut out = Vec::new();
    for (k, (t0, flown)) in spawns.into_iter().enumerate() {
        // Entry and exit on the circle, the exit roughly opposite.
        let b_in = rng.between(0.0, 360.0);
        let b_out = b_in + 180.0 + rng.between(-60.0, 60.0);
        let (entry, _) = vigil_sim::geo::destination(centre, b_in, BACKGROUND_RADIUS_M);
        let (exit, _) = vigil_sim::geo::destination(centre, b_out, BACKGROUND_RADIUS_M);
        let length = entry.distance_m(&exit);
        let regional = rng.unit() < 0.2;
        let (alt_ft, speed_kt) = if regional {
            (
                (rng.between(150.0, 250.0) / 10.0).round() * 1000.0,
                rng.between(280.0, 350.0),
            )
        } else {
            (
                (rng.between(280.0, 390.0) / 10.0).round() * 1000.0,
                rng.between(420.0, 490.0),
            )
        };
        let speed = speed_kt * 1852.0 / 3600.0;
        let icao = loop {
            const BLOCKS: [u32; 6] = [0x3C, 0x40, 0x44, 0x4B, 0x50, 0x15];
            let a = (BLOCKS[rng.index(BLOCKS.len())] << 16) | (rng.next_u64() as u32 & 0xFFFF);
            let icao = IcaoAddress::new(a);
            if used.insert(icao) {
                break icao;
            }
        };
        let callsign = format!(
            "{}{}",
            AIRLINES[rng.index(AIRLINES.len())],
            100 + rng.index(8900)
        );
        // An ordinary code: four octal digits, first 1..6 (never 7500/7600/7700).
        let squawk: u16 = (1 + rng.index(6) as u16) << 12
            | (rng.index(8) as u16) << 8
            | (rng.index(8) as u16) << 4
            | rng.index(8) as u16;
        let mut points = Vec::new();
        let mut pos = vigil_sim::geo::destination(
            entry,
            vigil_sim::geo::bearing_deg(entry, exit),
            flown * length,
        )
        .0;
        let mut flown_m = flown * length;
        let mut tt = t0.ceil();
        while tt <= end && flown_m <= length {
            let bearing = vigil_sim::geo::bearing_deg(pos, exit);
            let rad = bearing.to_radians();
            points.push(TruthPoint {
                t: tt,
                pos: Geodetic {
                    pos,
                    height_m: alt_ft * 0.3048,
                },
                vel: [speed * rad.sin(), speed * rad.cos(), 0.0],
            });
            pos = vigil_sim::geo::destination(pos, bearing, speed).0;
            flown_m += speed;
            tt += 1.0;
        }
        if points.len() < 60 {
            continue;
        }
        let first = points[0].t;
        out.push(SimAircraft {
            callsign: callsign.clone(),
            icao,
            military: false,
            fighter: false,
            party: None,
            aircraft_type: Some(TYPES[k % TYPES.len()].to_owned()),
            trajectory: Trajectory {
                icao,
                callsign: Some(callsign),
                squawk: Some(squawk),
                points,
            },
            squawk: vec![(first, squawk)],
            emergency: Vec::new(),
            transponder_off: Vec::new(),
            radio_silent: Vec::new(),
            flight_plan: None,
            background: true,
        });
    }
    out
}

/// Real recorded traffic as background: decoded (positions from the picture's CPR
/// decoding), shifted to the scenario's start, moved so its centre is over the exercise
/// area, the `max` busiest aircraft. Aircraft squawking an emergency code are left out
/// (the scenario's are the only emergencies).
fn recorded_background(
    path: &Path,
    truth: &Truth,
    max: usize,
    taken: &BTreeSet<IcaoAddress>,
) -> Result<Vec<SimAircraft>> {
    let name = path.to_string_lossy().to_lowercase();
    let mut trajs = if name.ends_with(".json.gz") || name.ends_with(".json") {
        vigil_track::sim::load_traffic(path).context("cannot read the state vectors")?
    } else {
        decode_recording(path)?
    };
    let rec_start = trajs
        .iter()
        .filter_map(|t| t.points.first().map(|p| p.t))
        .fold(f64::INFINITY, f64::min);
    if !rec_start.is_finite() {
        bail!("no aircraft position in it: is it ADS-B traffic?");
    }
    let shift = truth.start - rec_start;
    for t in &mut trajs {
        for p in &mut t.points {
            p.t += shift;
        }
        t.points.retain(|p| p.t >= truth.start && p.t <= truth.end);
    }
    trajs.retain(|t| {
        t.points.len() >= 30
            && !taken.contains(&t.icao)
            && !matches!(t.squawk, Some(0x7500 | 0x7600 | 0x7700))
    });
    trajs.sort_by(|a, b| {
        b.points
            .len()
            .cmp(&a.points.len())
            .then(a.icao.cmp(&b.icao))
    });
    trajs.truncate(max);
    let n = trajs.iter().map(|t| t.points.len()).sum::<usize>().max(1) as f64;
    let (slat, slon) = trajs
        .iter()
        .flat_map(|t| &t.points)
        .fold((0.0, 0.0), |(a, b), p| {
            (a + p.pos.pos.lat, b + p.pos.pos.lon)
        });
    let centroid = LatLon::new(slat / n, slon / n);
    let target = LatLon::new(BACKGROUND_CENTRE.0, BACKGROUND_CENTRE.1);
    for t in &mut trajs {
        for p in &mut t.points {
            let (e, nn) = vigil_sim::geo::enu_offset(centroid, p.pos.pos);
            p.pos.pos = vigil_sim::geo::from_enu(target, e, nn);
        }
    }
    Ok(trajs
        .into_iter()
        .map(|t| {
            let first = t.points.first().map_or(truth.start, |p| p.t);
            SimAircraft {
                callsign: t.callsign.clone().unwrap_or_else(|| t.icao.to_string()),
                icao: t.icao,
                military: false,
                fighter: false,
                party: None,
                aircraft_type: None,
                squawk: t.squawk.map(|c| vec![(first, c)]).unwrap_or_default(),
                emergency: Vec::new(),
                transponder_off: Vec::new(),
                radio_silent: Vec::new(),
                flight_plan: None,
                background: true,
                trajectory: t,
            }
        })
        .collect())
}

/// Positions per aircraft from a Mode S recording, at most one a second, with the
/// picture's velocity and altitude.
fn decode_recording(path: &Path) -> Result<Vec<Trajectory>> {
    use vigil_codec::{FeedItem, ModeSFrame};
    use vigil_picture::{Ingested, Picture, PictureConfig};
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut head = vec![0u8; 512];
    let n = file.read(&mut head).context("cannot read it")?;
    head.truncate(n);
    let format = vigil_feed::format::resolve_format(vigil_feed::FileFormat::Auto, path, &head)
        .context("cannot tell its format (Beast, AVR, SBS, `unix_ts,hex` CSV or JSON lines)")?;
    let mut decoder = vigil_feed::StreamDecoder::new(format);
    let mut picture = Picture::new(PictureConfig::default());
    let mut trajs: BTreeMap<IcaoAddress, Trajectory> = BTreeMap::new();
    let mut last = UnixTime(0.0);
    let mut items = Vec::new();
    let mut take = |picture: &mut Picture,
                    items: &mut Vec<(Option<UnixTime>, FeedItem)>,
                    last: &mut UnixTime| {
        for (t, item) in items.drain(..) {
            // The recorded time, else the receiver's 12 MHz counter (relative, but enough
            // to pair CPR frames), else the last time seen.
            let time = match (t, &item) {
                (Some(t), _) => t,
                (
                    None,
                    FeedItem::ModeS(ModeSFrame {
                        mlat_ticks: Some(ticks),
                        ..
                    }),
                ) => UnixTime(*ticks as f64 / 12e6),
                _ => *last,
            };
            *last = time;
            if let Ingested::Updated(icao) = picture.ingest(time, SensorId(0), &item)
                && let Some(ac) = picture.get(icao)
                && let Some(p) = ac.position.filter(|p| p.at == time)
                && let Some(alt) = ac.alt_baro_ft.or(ac.alt_geom_ft)
            {
                let tr = trajs.entry(icao).or_insert_with(|| Trajectory {
                    icao,
                    callsign: None,
                    squawk: None,
                    points: Vec::new(),
                });
                if tr.points.last().is_some_and(|q| time.secs() - q.t < 1.0) {
                    continue;
                }
                if tr.callsign.is_none() {
                    tr.callsign = ac.callsign.map(|c| c.value.to_string().trim().to_owned());
                }
                if let Some(s) = ac.squawk {
                    tr.squawk = Some(s.value);
                }
                let (gs, trk) = (ac.gs_kt.map(|v| v.value), ac.track_deg.map(|v| v.value));
                let vr = ac.vert_rate.map_or(0.0, |v| f64::from(v.value.0));
                let v = match (gs, trk) {
                    (Some(gs), Some(trk)) => {
                        let mps = gs * 1852.0 / 3600.0;
                        let r = trk.to_radians();
                        [mps * r.sin(), mps * r.cos(), vr * 0.3048 / 60.0]
                    }
                    _ => [0.0, 0.0, vr * 0.3048 / 60.0],
                };
                tr.points.push(TruthPoint {
                    t: time.secs(),
                    pos: Geodetic {
                        pos: p.value,
                        height_m: f64::from(alt.value) * 0.3048,
                    },
                    vel: v,
                });
            }
        }
    };
    let mut buf = vec![0u8; 64 * 1024];
    let mut chunk: Vec<u8> = head;
    loop {
        decoder.push(&chunk, &mut |t, item| items.push((t, item)));
        take(&mut picture, &mut items, &mut last);
        let read = file.read(&mut buf).context("cannot read it")?;
        if read == 0 {
            break;
        }
        chunk.clear();
        chunk.extend_from_slice(&buf[..read]);
    }
    decoder.finish(&mut |t, item| items.push((t, item)));
    take(&mut picture, &mut items, &mut last);
    // Drop airborne-less samples (on the ground) and keep time order.
    Ok(trajs
        .into_values()
        .filter(|t| t.points.len() >= 2)
        .collect())
}

// ---- files and ports --------------------------------------------------------------------

/// Secrets of one centre made for this run (only hashes go in its configuration).
#[derive(Debug, Clone)]
struct Secrets {
    /// The UI's `admin` supervisor password.
    admin_password: String,
    /// The duty officers' bearer token (supervisor).
    duty_token: String,
    /// Air traffic control's bearer token (operator), where ATC reports.
    atc_token: Option<String>,
}

/// Everything written before the centres start.
struct Setup {
    centres: Vec<PreparedCentre>,
    clock_start: f64,
}

/// One centre's files, ports and sockets, before it runs.
struct PreparedCentre {
    plan: CentrePlan,
    config: PathBuf,
    log: PathBuf,
    secrets: Secrets,
    /// One listening Beast server per ADS-B receiver (the centre's feeds dial them).
    beast: Vec<TcpListener>,
    /// The UDP port each radar sends to.
    radar_ports: Vec<u16>,
}

/// Hands out the loopback ports: consecutive from `--base-port`, or free ones.
struct Ports {
    next: Option<u16>,
}

impl Ports {
    fn take(&mut self) -> Result<u16> {
        match &mut self.next {
            Some(p) => {
                let port = *p;
                *p = p
                    .checked_add(1)
                    .context("--base-port is too high for eight ports")?;
                Ok(port)
            }
            None => {
                // Free now; the centre binds it a moment later (a small race on a busy host).
                let l = TcpListener::bind("127.0.0.1:0").context("no free loopback port")?;
                Ok(l.local_addr()?.port())
            }
        }
    }

    fn take_udp(&mut self) -> Result<u16> {
        match self.next {
            Some(_) => self.take(),
            None => {
                let s = UdpSocket::bind("127.0.0.1:0").context("no free loopback UDP port")?;
                Ok(s.local_addr()?.port())
            }
        }
    }

    fn listen(&mut self) -> Result<TcpListener> {
        let port = match self.next {
            Some(_) => self.take()?,
            None => 0,
        };
        TcpListener::bind(("127.0.0.1", port)).with_context(|| {
            format!("cannot listen on 127.0.0.1:{port} for a receiver (choose another --base-port)")
        })
    }
}

fn random_token() -> Result<String> {
    // 32 characters of the password alphabet: about 185 bits.
    Ok(vigil_auth::random_password(32)?)
}

fn toml_str(s: &str) -> String {
    // TOML basic strings share JSON's escapes for everything a path or name holds.
    serde_json::Value::String(s.to_owned()).to_string()
}

impl Setup {
    fn write(args: &DemoArgs, scenario: &Scenario, truth: &Truth, out: &Path) -> Result<Setup> {
        // A previous run's stores would carry its ledgers on under new certificates.
        for plan in [warszawa(), kaliningrad()] {
            let store = out.join(format!("{}.db", plan.name));
            if store.exists() {
                bail!(
                    "{} holds the store of a previous demo ({}): give a new or empty --out, \
                     or remove its *.db files",
                    out.display(),
                    store.display()
                );
            }
        }
        let mut ports = Ports {
            next: (args.base_port != 0).then_some(args.base_port),
        };
        write_certificates(&out.join("certs"), truth.start)?;
        write_airspace(scenario, out)?;
        write_aero(scenario, &out.join("aero"))?;
        let plans: String = truth
            .aircraft
            .iter()
            .filter_map(|a| a.flight_plan.as_deref())
            .map(|p| format!("{}\n", p.trim()))
            .collect();
        std::fs::write(out.join("flight_plans.txt"), plans)
            .context("cannot write the flight plans")?;
        let eurofirs = scenario
            .airspace
            .as_ref()
            .and_then(|a| a.eurofirs.as_ref())
            .map(|p| scenario.resolve(p))
            .filter(|p| p.is_file())
            .map(|p| p.canonicalize().unwrap_or(p));
        let military: Vec<String> = truth
            .aircraft
            .iter()
            .filter(|a| a.military || a.fighter)
            .map(|a| a.icao.to_string())
            .collect();
        let lead = LEAD_WALL_S * args.speed;
        let clock_start = truth.start - lead;
        let link_port = ports.take()?;
        let mut centres = Vec::new();
        for plan in [warszawa(), kaliningrad()] {
            let http_port = ports.take()?;
            let mut beast = Vec::new();
            for _ in &plan.adsb {
                beast.push(ports.listen()?);
            }
            let mut radar_ports = Vec::new();
            for _ in &plan.radars {
                radar_ports.push(ports.take_udp()?);
            }
            let secrets = Secrets {
                admin_password: vigil_auth::random_password(16)?,
                duty_token: random_token()?,
                atc_token: if plan.atc {
                    Some(random_token()?)
                } else {
                    None
                },
            };
            std::fs::write(out.join(plan.policy.0), demo_policy(plan.policy.1)?)
                .context("cannot write a release policy")?;
            let text = centre_config(&CentreConfigArgs {
                plan: &plan,
                scenario,
                http_port,
                link_port,
                beast: &beast,
                radar_ports: &radar_ports,
                secrets: &secrets,
                eurofirs: eurofirs.as_deref(),
                military: &military,
                clock_start,
                speed: args.speed,
            })?;
            let config = out.join(format!("{}.toml", plan.name));
            std::fs::write(&config, text)
                .with_context(|| format!("cannot write {}", config.display()))?;
            // Refused here, with the reason, rather than by a child process a moment later.
            let loaded = crate::config::load(&config)?;
            crate::config::validate(&loaded.config)
                .with_context(|| format!("{} is not valid", config.display()))?;
            centres.push(PreparedCentre {
                log: out.join(format!("{}.log", plan.name)),
                plan,
                config,
                secrets,
                beast,
                radar_ports,
            });
        }
        Ok(Setup {
            centres,
            clock_start,
        })
    }
}

/// The NATO and RU CAs and the two local units' certificates, as `vigil certs demo` makes
/// them, but valid from the day before the scenario's date to a year from now: a centre on a
/// virtual clock may check its partner's certificate at the scenario's date.
fn write_certificates(dir: &Path, scenario_start: f64) -> Result<()> {
    use vigil_link::certs::{self, CentreName, PartyCa, Validity};
    let now = wall_unix() as i64;
    let from = (scenario_start as i64).min(now) - 86_400;
    let days = |years: i64| (now - from) / 86_400 + 365 * years;
    for (party, centre) in [("NATO", "warszawa-lu"), ("RU", "kaliningrad-lu")] {
        let ca = PartyCa::generate(party, Validity::days_from(from, days(10)))?;
        certs::write_ca_files(dir, &ca)
            .with_context(|| format!("cannot write the {party} CA in {}", dir.display()))?;
        let cert = ca.issue(
            &CentreName::new(party, centre)?,
            Validity::days_from(from, days(1)),
        )?;
        certs::write_centre_files(dir, &cert)
            .with_context(|| format!("cannot write {centre}'s certificate"))?;
    }
    Ok(())
}

/// The scenario's airspace file for the centres; without EUROCONTROL's FIRs (a fresh clone
/// without ../shared) with the scenario's coarse fallback FIRs appended.
fn write_airspace(scenario: &Scenario, out: &Path) -> Result<()> {
    let spec = scenario
        .airspace
        .as_ref()
        .context("the scenario has no [airspace]: the centres need FIRs for the hand-over")?;
    let config = spec
        .config
        .as_ref()
        .context("the scenario's [airspace] names no config")?;
    let mut text = std::fs::read_to_string(scenario.resolve(config))
        .with_context(|| format!("cannot read the scenario's airspace {config}"))?;
    let eurofirs_present = spec
        .eurofirs
        .as_ref()
        .is_some_and(|p| scenario.resolve(p).is_file());
    if !eurofirs_present && let Some(fb) = &spec.without_eurofirs {
        let more = std::fs::read_to_string(scenario.resolve(fb))
            .with_context(|| format!("cannot read the scenario's fallback airspace {fb}"))?;
        text.push_str("\n# ---- appended by vigil demo: eurofirs.json is absent ----\n");
        text.push_str(&more);
    }
    let path = out.join("airspace.toml");
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// Navigation data for the flight plans' corridors: the scenario's aerodromes (the routes
/// are latitude/longitude points).
fn write_aero(scenario: &Scenario, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for f in ["earth_fix.dat", "earth_nav.dat", "earth_awy.dat"] {
        std::fs::write(dir.join(f), "").with_context(|| format!("cannot write {f}"))?;
    }
    std::fs::write(
        dir.join("airports.json"),
        crate::exercise::aerodromes_json(scenario),
    )
    .context("cannot write airports.json")
}

struct CentreConfigArgs<'a> {
    plan: &'a CentrePlan,
    scenario: &'a Scenario,
    http_port: u16,
    link_port: u16,
    beast: &'a [TcpListener],
    radar_ports: &'a [u16],
    secrets: &'a Secrets,
    eurofirs: Option<&'a Path>,
    military: &'a [String],
    clock_start: f64,
    speed: f64,
}

/// The centre's configuration (TOML, commented: it is there to be read).
fn centre_config(a: &CentreConfigArgs<'_>) -> Result<String> {
    use std::fmt::Write as _;
    let p = a.plan;
    let mut s = String::new();
    let first_radar = p.radars.first().context("a centre without radar")?;
    // Heartbeats are timed on the wall clock but judged late on the centre's clock (after two
    // periods): at speed N a period of N/2 wall seconds keeps a link carrying data "up".
    let heartbeat_s = (0.5 * a.speed).max(3.0);
    writeln!(
        s,
        "# {} ({}): a centre of `vigil demo` ({}).\n# Made for one run; start it with `vigil run --config {}.toml`.\n",
        p.name, p.party, a.scenario.name, p.name
    )?;
    writeln!(
        s,
        "[centre]\nname = {}\nparty = {}\n# Everything it sends on the link is labelled exercise data.\nexercise = true\n",
        toml_str(p.name),
        toml_str(p.party)
    )?;
    writeln!(
        s,
        "[clock]\n# The scenario's date ({} s before its start, so the centre is up in time), {}x the wall clock.\nstart = {:.3}\nspeed = {}\n",
        LEAD_WALL_S * a.speed,
        a.speed,
        a.clock_start,
        a.speed
    )?;
    writeln!(s, "[http]\nlisten = \"127.0.0.1:{}\"\n", a.http_port)?;
    writeln!(
        s,
        "[picture]\nreference = {{ lat = {}, lon = {} }}\n",
        p.adsb.first().map_or(first_radar.pos.lat, |x| x.pos.lat),
        p.adsb.first().map_or(first_radar.pos.lon, |x| x.pos.lon)
    )?;
    writeln!(s, "[pipeline]\nstatus_interval_s = 60.0\n")?;
    for (site, l) in p.adsb.iter().zip(a.beast) {
        writeln!(
            s,
            "# An ADS-B receiver's Beast output, served by the demo.\n[[feed]]\ntype = \"tcp\"\nname = {}\naddress = \"{}\"\nformat = \"beast\"\nreconnect_initial_s = 0.2\nreconnect_max_s = 2.0\n",
            toml_str(&site.name),
            l.local_addr()?
        )?;
    }
    for (r, port) in p.radars.iter().zip(a.radar_ports) {
        writeln!(
            s,
            "# A radar's CAT048 plots, sent by the demo (flagged simulated: an exercise).\n[[radar]]\nname = {}\nposition = {{ lat = {}, lon = {}, height_m = {} }}\nsac = {}\nsic = {}\nexercise = true\n[radar.source]\ntype = \"udp\"\nlisten = \"127.0.0.1:{port}\"\nrecv_buffer_bytes = 4194304\n",
            toml_str(&r.name),
            r.pos.lat,
            r.pos.lon,
            r.height_m,
            r.sac,
            r.sic
        )?;
    }
    writeln!(
        s,
        "[tracker]\ncentre = {{ lat = {}, lon = {} }}\nradar_range_m = {}\n",
        first_radar.pos.lat,
        first_radar.pos.lon,
        p.radars.iter().map(|r| r.range_nm).fold(0.0, f64::max) * 1852.0
    )?;
    writeln!(
        s,
        "[renegade]\npartners = [{}]\naero_dir = \"aero\"\nairspace = \"airspace.toml\"",
        p.partners
            .iter()
            .map(|x| toml_str(x))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    if p.flight_plans {
        writeln!(s, "flight_plans = [\"flight_plans.txt\"]")?;
    }
    if let Some(e) = a.eurofirs {
        writeln!(s, "eurofirs = {}", toml_str(&e.to_string_lossy()))?;
    }
    writeln!(
        s,
        "# The fighters of both parties: never renegade candidates.\nmilitary = [{}]\n",
        a.military
            .iter()
            .map(|x| toml_str(x))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    for c in a
        .scenario
        .airspace
        .as_ref()
        .map(|x| x.cities.as_slice())
        .unwrap_or_default()
    {
        writeln!(
            s,
            "[[renegade.rules.cities]]\nname = {}\nlat = {}\nlon = {}\nradius_km = {}\n",
            toml_str(&c.name),
            c.lat,
            c.lon,
            c.radius_km
        )?;
    }
    writeln!(
        s,
        "# The duty officers (the demo acts for them); tokens are printed by the demo, only\n# their SHA-256 is here.\n[[renegade.user]]\nname = \"duty-{}\"\nrole = \"supervisor\"\ntoken_sha256 = \"{}\"\n",
        p.name.trim_end_matches("-lu"),
        crate::renegade::token_hash(&a.secrets.duty_token)
    )?;
    if let Some(t) = &a.secrets.atc_token {
        writeln!(
            s,
            "# Air traffic control's reports (radio contact lost, not following instructions).\n[[renegade.user]]\nname = \"epww-acc\"\nrole = \"operator\"\ntoken_sha256 = \"{}\"\n",
            crate::renegade::token_hash(t)
        )?;
    }
    writeln!(
        s,
        "# The UI's supervisor; the password is printed by the demo.\n[[user]]\nname = \"admin\"\nrole = \"supervisor\"\npassword_hash = {}\n",
        toml_str(&vigil_auth::hash_password(&a.secrets.admin_password)?)
    )?;
    writeln!(
        s,
        "[links]\ncert = \"certs/{0}.{1}.crt\"\nkey = \"certs/{0}.{1}.key\"\nstore = \"{0}.db\"",
        p.name, p.party
    )?;
    if p.party == "RU" {
        writeln!(s, "listen = \"127.0.0.1:{}\"", a.link_port)?;
    }
    writeln!(
        s,
        "\n[[links.link]]\nname = \"{LINK}\"\npartner_party = {}\npartner_centre = {}\npartner_ca = \"certs/{}-ca.crt\"\npolicy = {}\n# Wall seconds between heartbeats (see above); checkpoints every 60 s of the centre's clock.\nheartbeat_s = {heartbeat_s}\ncheckpoint_s = 60.0",
        toml_str(p.partner_party),
        toml_str(p.partner_name),
        p.partner_party,
        toml_str(p.policy.0)
    )?;
    if p.party != "RU" {
        writeln!(s, "dial = \"127.0.0.1:{}\"", a.link_port)?;
    }
    Ok(s)
}

// ---- a bare HTTP/1.1 client -------------------------------------------------------------

/// One request on its own connection (`Connection: close`); the status and the body
/// (de-chunked). Enough for the centres' JSON API without an HTTP client dependency.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> Result<(u16, Vec<u8>)> {
    let sa: SocketAddr = addr
        .parse()
        .with_context(|| format!("bad address {addr}"))?;
    let mut s = TcpStream::connect_timeout(&sa, Duration::from_secs(3))
        .with_context(|| format!("cannot connect to {addr}"))?;
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    s.set_write_timeout(Some(Duration::from_secs(5)))?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let content = if body.is_empty() {
        String::new()
    } else {
        format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        )
    };
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\n{content}\r\n{body}"
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)
        .with_context(|| format!("{method} {path}: no complete answer"))?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .with_context(|| format!("{method} {path}: no end of headers"))?;
    let head = String::from_utf8_lossy(&raw[..split]).to_lowercase();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .with_context(|| format!("{method} {path}: no status"))?;
    let mut body = raw[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    Ok((status, body))
}

fn dechunk(raw: &[u8]) -> Vec<u8> {
    let (mut out, mut at) = (Vec::new(), 0);
    while let Some(eol) = raw[at..].windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&raw[at..at + eol])
            .ok()
            .and_then(|s| usize::from_str_radix(s.trim(), 16).ok())
            .unwrap_or(0);
        let start = at + eol + 2;
        if size == 0 || raw.len() < start + size {
            break;
        }
        out.extend_from_slice(&raw[start..start + size]);
        at = start + size + 2;
        if at > raw.len() {
            break;
        }
    }
    out
}

fn get_json(addr: &str, path: &str, token: &str) -> Result<Value> {
    let (status, body) = http(addr, "GET", path, token, None)?;
    if status != 200 {
        bail!(
            "GET {path}: HTTP {status}: {}",
            String::from_utf8_lossy(&body).trim()
        );
    }
    serde_json::from_slice(&body).with_context(|| format!("GET {path}: not JSON"))
}

fn post_json(addr: &str, path: &str, token: &str, body: &Value) -> Result<Value> {
    let (status, answer) = http(addr, "POST", path, token, Some(body))?;
    if !(200..300).contains(&status) {
        bail!(
            "POST {path}: HTTP {status}: {}",
            String::from_utf8_lossy(&answer).trim()
        );
    }
    Ok(serde_json::from_slice(&answer).unwrap_or(Value::Null))
}

// ---- the centres' processes -------------------------------------------------------------

/// A running centre.
struct Centre {
    plan: CentrePlan,
    config: PathBuf,
    log: PathBuf,
    secrets: Secrets,
    child: Child,
    /// `host:port` of its HTTP server.
    addr: String,
    /// When its clock read the clock's start (measured once it answered).
    base: Instant,
    /// Its sensors' progress.
    sensors: Arc<SensorProgress>,
    /// What the demo saw of it.
    obs: Observed,
    /// Set when it has exited.
    exited: Option<String>,
}

impl Centre {
    /// Its clock at `at` (Unix seconds of the scenario's day).
    fn clock(&self, at: Instant, clock_start: f64, speed: f64) -> f64 {
        clock_start + at.saturating_duration_since(self.base).as_secs_f64() * speed
    }

    fn get(&self, path: &str) -> Result<Value> {
        get_json(&self.addr, path, &self.secrets.duty_token)
    }
}

impl Drop for Centre {
    fn drop(&mut self) {
        // Only a centre that did not stop cleanly is still running here (an error on the
        // way): it must not outlive the demo.
        if self.exited.is_none() && matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The last lines of a log, for an error message.
fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(12)..].join("\n")
}

/// A centre's process from its start until it has printed its address; killed if dropped
/// before (an error while the other centre starts).
struct Starting {
    child: Option<Child>,
    first_line: std::sync::mpsc::Receiver<String>,
}

impl Drop for Starting {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Starts `vigil run --config` in its own process group: a Ctrl-C in the terminal reaches
/// the demo alone, which stops the centres in order (last checkpoints, SIGTERM).
fn spawn_centre(prep: &PreparedCentre) -> Result<Starting> {
    #[cfg(unix)]
    use std::os::unix::process::CommandExt as _;
    let exe = std::env::current_exe().context("cannot find the vigil binary itself")?;
    let log = std::fs::File::create(&prep.log)
        .with_context(|| format!("cannot create {}", prep.log.display()))?;
    let mut command = Command::new(exe);
    command
        .arg("run")
        .arg("--config")
        .arg(&prep.config)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log);
    #[cfg(unix)]
    command.process_group(0);
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot start the centre {}", prep.plan.name))?;
    let stdout = child.stdout.take().context("the centre's stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    let more_log = std::fs::OpenOptions::new().append(true).open(&prep.log);
    std::thread::spawn(move || {
        let mut more_log = more_log.ok();
        for (i, line) in BufReader::new(stdout).lines().enumerate() {
            let Ok(line) = line else { break };
            if i == 0 {
                let _ = tx.send(line);
            } else if let Some(f) = more_log.as_mut() {
                let _ = writeln!(f, "{line}");
            }
        }
    });
    Ok(Starting {
        child: Some(child),
        first_line: rx,
    })
}

/// Waits for a started centre's first stdout line (the URL); its address.
fn wait_started(s: &mut Starting, prep: &PreparedCentre) -> Result<String> {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        if let Ok(line) = s.first_line.recv_timeout(Duration::from_millis(200)) {
            let addr = line
                .split("http://")
                .nth(1)
                .and_then(|r| r.split('/').next())
                .map(str::to_owned)
                .with_context(|| {
                    format!(
                        "the centre {} printed {line:?} instead of its address",
                        prep.plan.name
                    )
                })?;
            return Ok(addr);
        }
        if let Some(c) = s.child.as_mut()
            && let Ok(Some(status)) = c.try_wait()
        {
            bail!(
                "the centre {} stopped at start ({status}); its log {}:\n{}",
                prep.plan.name,
                prep.log.display(),
                log_tail(&prep.log)
            );
        }
        if Instant::now() > deadline {
            bail!(
                "the centre {} did not start within 3 minutes; its log {}:\n{}",
                prep.plan.name,
                prep.log.display(),
                log_tail(&prep.log)
            );
        }
    }
}

/// Reads a centre's clock and returns when it read `clock_start`. The radar plots carry the
/// scenario's time of day while the centre stamps Beast frames with its clock on arrival:
/// an error here shifts one against the other (by the error times the speed), so the
/// reading with the shortest round trip of several is kept.
fn measure_clock(addr: &str, token: &str, clock_start: f64, speed: f64) -> Result<Instant> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut best: Option<(Duration, Instant)> = None;
    let mut samples = 0;
    while samples < 7 {
        let before = Instant::now();
        match get_json(addr, "/data/sensors.json", token) {
            Ok(v) => {
                samples += 1;
                let after = Instant::now();
                let now = v["now"]
                    .as_f64()
                    .context("/data/sensors.json has no `now`")?;
                let rtt = after.saturating_duration_since(before);
                let mid = before + rtt / 2;
                let elapsed = ((now - clock_start) / speed).max(0.0);
                let base = mid
                    .checked_sub(Duration::from_secs_f64(elapsed))
                    .unwrap_or(mid);
                if best.is_none_or(|(r, _)| rtt < r) {
                    best = Some((rtt, base));
                }
            }
            Err(e) if Instant::now() > deadline => {
                return Err(e.context("the centre does not answer"));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
    best.map(|(_, b)| b).context("no clock reading")
}

/// Asks a centre to stop (SIGTERM: its clean shutdown) and waits for it.
fn stop_centre(c: &mut Centre) {
    if c.exited.is_some() {
        return;
    }
    let pid = c.child.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match c.child.try_wait() {
            Ok(Some(status)) => {
                c.exited = Some(status.to_string());
                return;
            }
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            _ => {
                let _ = c.child.kill();
                let _ = c.child.wait();
                c.exited = Some("killed after 30 s without stopping".into());
                return;
            }
        }
    }
}

// ---- the sensors ------------------------------------------------------------------------

/// A sensor thread's counters, read by the progress line and the summary.
#[derive(Debug, Default)]
struct SensorProgress {
    frames: AtomicU64,
    plots: AtomicU64,
    bytes: AtomicU64,
    /// Steps not sent because the centre's clock had passed them at the start.
    skipped_steps: AtomicU64,
    /// Largest lateness of a step, milliseconds of the centre's clock.
    max_lag_ms: AtomicU64,
    /// Beast connections accepted.
    connections: AtomicU64,
    done: AtomicBool,
}

/// Sends one centre's sensors' frames, each step when the centre's clock reaches it.
struct SensorThread {
    wire: WireSensors,
    beast: Vec<TcpListener>,
    radar_ports: Vec<u16>,
    base: Instant,
    clock_start: f64,
    speed: f64,
    stop: Arc<AtomicBool>,
    progress: Arc<SensorProgress>,
}

impl SensorThread {
    fn run(mut self) {
        let mut streams: Vec<Option<TcpStream>> = self.beast.iter().map(|_| None).collect();
        for l in &self.beast {
            let _ = l.set_nonblocking(true);
        }
        let udp = UdpSocket::bind("127.0.0.1:0").ok();
        let mut sent_any = false;
        while !self.wire.done() && !self.stop.load(Ordering::Relaxed) {
            let step = self.wire.step(STEP_S);
            let due = self.base + Duration::from_secs_f64((step.t - self.clock_start) / self.speed);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            let lag_s = Instant::now().saturating_duration_since(due).as_secs_f64() * self.speed;
            if !sent_any && lag_s > 1.0 {
                // The centre started later than the lead allowed: what its clock has passed
                // is not sent (its frames would be stamped late).
                self.progress.skipped_steps.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            sent_any = true;
            self.progress
                .max_lag_ms
                .fetch_max((lag_s * 1000.0) as u64, Ordering::Relaxed);
            for (i, l) in self.beast.iter().enumerate() {
                if streams[i].is_none()
                    && let Ok((s, _)) = l.accept()
                {
                    let _ = s.set_nonblocking(false);
                    let _ = s.set_nodelay(true);
                    let _ = s.set_write_timeout(Some(Duration::from_secs(5)));
                    streams[i] = Some(s);
                    self.progress.connections.fetch_add(1, Ordering::Relaxed);
                }
                if let (Some(s), Some(bytes)) = (streams[i].as_mut(), step.beast.get(i))
                    && !bytes.is_empty()
                {
                    if s.write_all(bytes).is_ok() {
                        self.progress
                            .bytes
                            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
                    } else {
                        // The centre's feed went away; it dials again.
                        streams[i] = None;
                    }
                }
            }
            if let Some(u) = &udp {
                for (blocks, port) in step.cat048.iter().zip(&self.radar_ports) {
                    for b in blocks {
                        // A radar does not know whether anybody listens: errors are ignored.
                        if u.send_to(b, ("127.0.0.1", *port)).is_ok() {
                            self.progress
                                .bytes
                                .fetch_add(b.len() as u64, Ordering::Relaxed);
                        }
                    }
                }
            }
            self.progress
                .frames
                .fetch_add(step.frames, Ordering::Relaxed);
            self.progress.plots.fetch_add(step.plots, Ordering::Relaxed);
        }
        self.progress.done.store(true, Ordering::Relaxed);
    }
}

// ---- what the demo sees of a centre ----------------------------------------------------

/// One incident as `/data/incidents.json` shows it.
#[derive(Debug, Clone)]
struct IncidentView {
    incident: Incident,
    track: Option<u64>,
    geometry: Value,
}

/// A predicted FIR crossing of a scenario aircraft's track, as a centre showed it.
#[derive(Debug, Clone)]
struct Prediction {
    made_at: f64,
    crossing: vigil_airspace::Crossing,
}

/// A write the demo made for the duty officers or air traffic control.
#[derive(Debug, Clone, Serialize)]
struct ActionRecord {
    /// Seconds after the scenario's start, on the centre's clock.
    at_s: f64,
    /// The incident (none for a report).
    #[serde(skip_serializing_if = "Option::is_none")]
    incident: Option<u64>,
    /// The workflow action, or `report:<kind>`.
    action: String,
    /// The party it names.
    #[serde(skip_serializing_if = "Option::is_none")]
    party: Option<String>,
    /// Whether the centre took it.
    ok: bool,
    /// The centre's refusal, or what was said.
    detail: String,
}

/// An event a centre received from its partner.
#[derive(Debug, Clone)]
struct PartnerEvent {
    msg: Outbound,
    /// When it arrived, on the receiver's clock.
    received: f64,
}

/// Everything the demo gathered from one centre while it ran.
#[derive(Debug, Default)]
struct Observed {
    /// The centre's clock at its last incidents poll.
    now: f64,
    alerts: BTreeMap<u64, Alert>,
    incidents: Vec<IncidentView>,
    /// Predicted crossings of the scenario aircraft's incident tracks.
    predictions: Vec<Prediction>,
    /// Where the scenario aircraft's incident tracks were: (time, FIR, party).
    positions: Vec<(f64, Option<String>, Option<String>)>,
    links: Vec<Value>,
    link_polls: u64,
    link_up: u64,
    partner_events: Vec<PartnerEvent>,
    partner_received: u64,
    tracks: usize,
    tracks_max: usize,
    track_icao: BTreeMap<u64, IcaoAddress>,
    actions: Vec<ActionRecord>,
    done: BTreeSet<(u64, String)>,
    tries: BTreeMap<(u64, String), u32>,
    poll_errors: u64,
    last_error: Option<String>,
}

impl Observed {
    /// What the demo saw of the centre over the run (times after the scenario's start).
    fn dump(&self, start: f64) -> Value {
        json!({
            "positions": self.positions.iter().map(|(t, fir, party)| json!([t - start, fir, party])).collect::<Vec<_>>(),
            "predictions": self.predictions.iter().map(|p| json!({
                "made_at_s": p.made_at - start, "t_s": p.crossing.t - start,
                "lat": p.crossing.pos.lat, "lon": p.crossing.pos.lon,
                "from": p.crossing.from, "to": p.crossing.to,
            })).collect::<Vec<_>>(),
            "alerts": self.alerts.values().collect::<Vec<_>>(),
            "incidents": self.incidents.iter().map(|i| json!({"incident": i.incident, "track": i.track})).collect::<Vec<_>>(),
            "track_icao": self.track_icao.iter().map(|(t, a)| (t.to_string(), a.to_string())).collect::<BTreeMap<_, _>>(),
            "actions": self.actions,
            "poll_errors": self.poll_errors,
        })
    }

    /// The scenario aircraft a track carried (by its address, from the tracks and alerts).
    fn icao_of(&self, track: u64) -> Option<IcaoAddress> {
        self.track_icao.get(&track).copied().or_else(|| {
            self.alerts
                .values()
                .find(|a| a.track == track && a.icao.is_some())
                .and_then(|a| a.icao)
        })
    }

    fn poll(&mut self, addr: &str, token: &str, with_tracks: bool) -> Result<()> {
        let alerts = get_json(addr, "/data/alerts.json", token)?;
        for key in ["active", "cleared"] {
            for a in alerts[key]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                if let Ok(a) = serde_json::from_value::<Alert>(a.clone()) {
                    self.alerts.insert(a.id, a);
                }
            }
        }
        if with_tracks {
            let tracks = get_json(addr, "/data/tracks.json", token)?;
            let list = tracks["tracks"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default();
            self.tracks = list.len();
            self.tracks_max = self.tracks_max.max(list.len());
            for t in list {
                if let (Some(id), Some(hex)) = (t["track"].as_u64(), t["identity"]["hex"].as_str())
                    && let Ok(icao) = hex.parse::<IcaoAddress>()
                {
                    self.track_icao.insert(id, icao);
                }
            }
        }
        let incidents = get_json(addr, "/data/incidents.json", token)?;
        self.now = incidents["now"].as_f64().unwrap_or(self.now);
        self.incidents = incidents["incidents"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|v| {
                Some(IncidentView {
                    incident: serde_json::from_value(v["incident"].clone()).ok()?,
                    track: v["track"].as_u64(),
                    geometry: v["geometry"].clone(),
                })
            })
            .collect();
        let links = get_json(addr, "/data/links.json", token)?;
        self.links = links["links"].as_array().cloned().unwrap_or_default();
        self.link_polls += 1;
        if self.links.iter().all(|l| {
            l["state"]
                .as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case("up"))
        }) {
            self.link_up += 1;
        }
        let partner = get_json(addr, "/data/partner.json", token)?;
        self.partner_received = partner["received"].as_u64().unwrap_or(0);
        self.partner_events = partner["events"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|v| {
                Some(PartnerEvent {
                    msg: serde_json::from_value(v.clone()).ok()?,
                    received: v["received"].as_f64()?,
                })
            })
            .collect();
        Ok(())
    }

    /// Keeps the predicted crossings and the FIR of the scenario aircraft's incident tracks.
    fn note_geometry(&mut self, targets: &[Target]) {
        let mut predictions = Vec::new();
        let mut positions = Vec::new();
        for iv in &self.incidents {
            let Some(track) = iv.track else { continue };
            if !self
                .icao_of(track)
                .is_some_and(|a| targets.iter().any(|t| t.icao == a))
            {
                continue;
            }
            if iv.geometry.is_null() {
                continue;
            }
            let fir = iv.geometry["fir"].as_str().map(str::to_owned);
            let party = iv.geometry["party"].as_str().map(str::to_owned);
            positions.push((self.now, fir, party));
            for c in iv.geometry["crossings"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                if let Ok(crossing) = serde_json::from_value::<vigil_airspace::Crossing>(c.clone())
                {
                    predictions.push(Prediction {
                        made_at: self.now,
                        crossing,
                    });
                }
            }
        }
        self.predictions.extend(predictions);
        self.positions.extend(positions);
    }
}

/// A scenario aircraft the duty officers watch, and what the scenario says of it.
#[derive(Debug, Clone)]
struct Target {
    callsign: String,
    icao: IcaoAddress,
    /// When it landed (its trajectory ends before the scenario does).
    landed: Option<f64>,
    /// Per party (`NATO`, `RU`): the first scramble of its fighters against this aircraft,
    /// and the callsigns of that wave (scrambled within a minute of the first).
    scrambles: BTreeMap<String, (f64, Vec<String>)>,
}

fn targets(scenario: &Scenario, truth: &Truth) -> Vec<Target> {
    truth
        .aircraft
        .iter()
        .filter(|a| !a.background && !a.fighter && !a.military)
        .map(|a| {
            let mut waves: BTreeMap<String, (f64, Vec<(f64, String)>)> = BTreeMap::new();
            for f in &scenario.fighters {
                let party = f
                    .party
                    .as_deref()
                    .unwrap_or("")
                    .split('/')
                    .next()
                    .unwrap_or("")
                    .to_owned();
                for m in f.missions.iter().filter(|m| m.intercept == a.callsign) {
                    let at = truth.start + m.scramble_s.unwrap_or(0.0);
                    let e = waves
                        .entry(party.clone())
                        .or_insert((f64::INFINITY, Vec::new()));
                    e.0 = e.0.min(at);
                    e.1.push((at, f.callsign.clone()));
                }
            }
            let scrambles = waves
                .into_iter()
                .map(|(party, (first, all))| {
                    let wave = all
                        .into_iter()
                        .filter(|(at, _)| *at - first <= 60.0)
                        .map(|(_, c)| c)
                        .collect();
                    (party, (first, wave))
                })
                .collect();
            let landed = a
                .trajectory
                .span()
                .map(|(_, b)| b)
                .filter(|b| *b < truth.end - 1.0);
            Target {
                callsign: a.callsign.clone(),
                icao: a.icao,
                landed,
                scrambles,
            }
        })
        .collect()
}

// ---- the duty officers ------------------------------------------------------------------

/// The centre's tracks the partner received a hand-over of the given stage about.
fn handovers_received(
    partner: &Observed,
    from_party: &str,
    stage: HandoverStage,
) -> Vec<(u64, Option<IcaoAddress>)> {
    partner
        .partner_events
        .iter()
        .filter_map(|e| match &e.msg {
            Outbound::Handover(h) if h.stage == stage && h.subject.origin.party == from_party => {
                Some((h.subject.track, h.subject.identity.icao))
            }
            _ => None,
        })
        .collect()
}

/// One look at a centre's incidents by its duty officers: the next step of the script for
/// each open incident on a scenario aircraft. `requests_seen`: the tracks whose hand-over
/// request the partner has received.
fn duty_officers(
    c: &mut Centre,
    targets: &[Target],
    requests_seen: &[(u64, Option<IcaoAddress>)],
    now: f64,
    start: f64,
) {
    let mut todo: Vec<(u64, &'static str, Value)> = Vec::new();
    for iv in &c.obs.incidents {
        let i = &iv.incident;
        if i.closed.is_some() {
            continue;
        }
        let Some(track) = iv.track else { continue };
        let Some(target) = c
            .obs
            .icao_of(track)
            .and_then(|a| targets.iter().find(|t| t.icao == a))
        else {
            continue;
        };
        let id = i.id.0;
        let done = |a: &str| c.obs.done.contains(&(id, a.to_owned()));
        let state = i.state.as_str();
        let own = c.plan.airspace_party;
        if let Some(landed) = target.landed
            && now >= landed + 60.0
        {
            if done("close") {
                continue;
            }
            todo.push((
                id,
                "close",
                json!({"reason": format!("{} landed at {}; the crew is in custody", target.callsign, clock_text(landed - start))}),
            ));
            continue;
        }
        if state == "detected" && !done("acknowledge") {
            todo.push((id, "acknowledge", json!({})));
            continue;
        }
        if matches!(state, "assessed" | "notified")
            && !done("request_interception")
            && let Some((at, fighters)) = target.scrambles.get(c.plan.party)
            && now >= *at
        {
            todo.push((
                id,
                "request_interception",
                json!({"reason": format!("{} scrambled against {}", fighters.join(", "), target.callsign)}),
            ));
            continue;
        }
        if !matches!(state, "notified" | "interception_coordinated") {
            continue;
        }
        let crossing = iv.geometry["crossings"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|x| serde_json::from_value::<vigil_airspace::Crossing>(x.clone()).ok())
            .find(|x| {
                x.from_party.as_deref().is_some_and(|p| p.starts_with(own))
                    && x.to_party.as_deref().is_some_and(|p| !p.starts_with(own))
            });
        let proposed = c
            .obs
            .actions
            .iter()
            .rfind(|a| a.incident == Some(id) && a.action == "propose_handover" && a.ok)
            .and_then(|a| a.party.clone());
        match proposed {
            None => {
                if let Some(x) = crossing
                    && x.t - now <= 300.0
                    && let Some(to) = &x.to_party
                {
                    todo.push((
                        id,
                        "propose_handover",
                        json!({"party": to, "remark": format!(
                            "predicted to cross {} -> {} at {} near {:.3}N {:.3}E",
                            x.from.as_deref().unwrap_or("?"), x.to.as_deref().unwrap_or("?"),
                            clock_text(x.t - start), x.pos.lat, x.pos.lon)}),
                    ));
                }
            }
            Some(party) => {
                let inside = iv.geometry["party"].as_str() == Some(party.as_str());
                let seen = requests_seen
                    .iter()
                    .any(|(t, a)| *t == track || *a == Some(target.icao));
                if inside && seen && !done("accept_handover") {
                    let fighters = targets
                        .iter()
                        .find(|t| t.icao == target.icao)
                        .and_then(|t| {
                            t.scrambles
                                .get(party.split('/').next().unwrap_or(""))
                                .map(|(_, f)| f.join(", "))
                        })
                        .unwrap_or_default();
                    todo.push((
                        id,
                        "accept_handover",
                        json!({"party": party, "remark": format!(
                            "{} takes {} over at the boundary{}", c.plan.partner_name, target.callsign,
                            if fighters.is_empty() { String::new() } else { format!(" ({fighters})") })}),
                    ));
                }
            }
        }
    }
    for (id, action, mut body) in todo {
        let key = (id, action.to_owned());
        let tries = c.obs.tries.entry(key.clone()).or_insert(0);
        if *tries >= 3 {
            continue;
        }
        *tries += 1;
        body["action"] = json!(action);
        let party = body["party"].as_str().map(str::to_owned);
        let r = post_json(
            &c.addr,
            &format!("/api/incidents/{id}/actions"),
            &c.secrets.duty_token,
            &body,
        );
        let ok = r.is_ok();
        if ok {
            c.obs.done.insert(key);
        }
        c.obs.actions.push(ActionRecord {
            at_s: now - start,
            incident: Some(id),
            action: action.to_owned(),
            party,
            ok,
            detail: match r {
                Ok(_) => body["reason"]
                    .as_str()
                    .or(body["remark"].as_str())
                    .unwrap_or("")
                    .to_owned(),
                Err(e) => format!("{e:#}"),
            },
        });
    }
}

/// `T+h:mm:ss` of seconds after the scenario's start (`T-` before it).
fn clock_text(s: f64) -> String {
    let neg = s < -0.5;
    let s = s.abs().round() as u64;
    format!(
        "T{}{}:{:02}:{:02}",
        if neg { "-" } else { "+" },
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

// ---- the run ----------------------------------------------------------------------------

/// Stops the sensor threads when the run ends, however it ends.
struct StopGuard(Arc<AtomicBool>);

impl Drop for StopGuard {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

fn play(
    args: &DemoArgs,
    scenario: &Scenario,
    truth: Arc<Truth>,
    setup: Setup,
    interrupted: &AtomicBool,
) -> Result<Summary> {
    let wall0 = Instant::now();
    let speed = args.speed;
    let clock_start = setup.clock_start;
    let start = truth.start;
    let stop = Arc::new(AtomicBool::new(false));
    let _guard = StopGuard(stop.clone());
    let targets = targets(scenario, &truth);

    eprintln!("  starting the centres ...");
    let mut centres: Vec<Centre> = Vec::new();
    let mut wires = Vec::new();
    // Both at once: each centre's clock starts with its process, so the two clocks differ
    // by the difference of their start times (times the speed).
    let mut starting = Vec::new();
    for prep in &setup.centres {
        starting.push(spawn_centre(prep)?);
    }
    let mut addrs = Vec::new();
    for (s, prep) in starting.iter_mut().zip(&setup.centres) {
        addrs.push(wait_started(s, prep)?);
    }
    for ((mut s, addr), prep) in starting.into_iter().zip(addrs).zip(setup.centres) {
        let child = s.child.take().context("the centre's process")?;
        let PreparedCentre {
            plan,
            config,
            log,
            secrets,
            beast,
            radar_ports,
            ..
        } = prep;
        wires.push((beast, radar_ports));
        centres.push(Centre {
            plan,
            config,
            log,
            secrets,
            child,
            addr,
            base: Instant::now(),
            sensors: Arc::new(SensorProgress::default()),
            obs: Observed::default(),
            exited: None,
        });
    }
    for c in &mut centres {
        c.base = measure_clock(&c.addr, &c.secrets.duty_token, clock_start, speed)
            .with_context(|| format!("the centre {} (log {})", c.plan.name, c.log.display()))?;
        let late = Instant::now()
            .saturating_duration_since(c.base)
            .as_secs_f64()
            - LEAD_WALL_S;
        if late > 0.0 {
            eprintln!(
                "  note: {} answered {late:.1} s after the scenario's start was due; its first {:.0} s are skipped",
                c.plan.name,
                late * speed
            );
        }
    }
    print_header(args, scenario, &centres);

    let mut threads = Vec::new();
    for (c, (beast, radar_ports)) in centres.iter().zip(wires) {
        let wire = WireSensors::new(truth.clone(), c.plan.adsb.clone(), c.plan.radars.clone())
            .context("the sensors")?;
        let t = SensorThread {
            wire,
            beast,
            radar_ports,
            base: c.base,
            clock_start,
            speed,
            stop: stop.clone(),
            progress: c.sensors.clone(),
        };
        threads.push(
            std::thread::Builder::new()
                .name(format!("sensors-{}", c.plan.name))
                .spawn(move || t.run())
                .context("cannot start a sensor thread")?,
        );
    }

    // Air traffic control's reports, in time order.
    let mut reports: Vec<&vigil_sim::TimedReport> = truth.reports.iter().collect();
    reports.sort_by(|a, b| a.t.total_cmp(&b.t));
    let mut next_report = 0;
    let tty = std::io::stderr().is_terminal();
    let poll_every = Duration::from_millis(250);
    let mut next_poll = Instant::now();
    let mut next_tracks = Instant::now();
    let mut next_progress = Instant::now();
    let mut next_check = Instant::now();
    let end = truth.end + END_MARGIN_S;
    loop {
        if interrupted.load(Ordering::Relaxed) {
            break;
        }
        let now = Instant::now();
        if now >= next_check {
            next_check = now + Duration::from_millis(500);
            for c in &mut centres {
                if let Ok(Some(status)) = c.child.try_wait() {
                    c.exited = Some(status.to_string());
                    if interrupted.load(Ordering::Relaxed) {
                        continue;
                    }
                    bail!(
                        "the centre {} stopped during the run ({status}); its log {}:\n{}",
                        c.plan.name,
                        c.log.display(),
                        log_tail(&c.log)
                    );
                }
            }
        }
        // ATC reports to the centres ATC reports to, on their clocks.
        for c in centres.iter_mut().filter(|c| c.plan.atc) {
            let v = c.clock(now, clock_start, speed);
            while let Some(r) = reports.get(next_report).filter(|r| r.t <= v) {
                next_report += 1;
                let kind = match r.kind {
                    vigil_sim::ReportKind::RadioContactLost => "radio_contact_lost",
                    vigil_sim::ReportKind::RadioContactRestored => "radio_contact_restored",
                    vigil_sim::ReportKind::NotFollowingAtc => "not_following_atc",
                };
                let token = c.secrets.atc_token.clone().unwrap_or_default();
                // By address first, as an ATC system correlating with Mode S would; by
                // callsign when no track carries the address.
                let mut result = Err(anyhow!("no subject"));
                for subject in [
                    json!({"icao": r.icao.to_string()}),
                    json!({"callsign": r.callsign}),
                ] {
                    let body = json!({"subject": subject, "kind": kind, "source": r.source});
                    result = post_json(&c.addr, "/api/reports", &token, &body);
                    if result.is_ok() {
                        break;
                    }
                }
                c.obs.actions.push(ActionRecord {
                    at_s: v - start,
                    incident: None,
                    action: format!("report:{kind}"),
                    party: None,
                    ok: result.is_ok(),
                    detail: match result {
                        Ok(_) => format!("{} about {} ({})", r.source, r.callsign, r.icao),
                        Err(e) => format!("{e:#}"),
                    },
                });
            }
        }
        if now >= next_poll {
            next_poll = now + poll_every;
            let with_tracks = now >= next_tracks;
            if with_tracks {
                next_tracks = now + Duration::from_secs(1);
            }
            for c in &mut centres {
                let token = c.secrets.duty_token.clone();
                match c.obs.poll(&c.addr, &token, with_tracks) {
                    Ok(()) => c.obs.note_geometry(&targets),
                    Err(e) => {
                        c.obs.poll_errors += 1;
                        c.obs.last_error = Some(format!("{e:#}"));
                    }
                }
            }
            for i in 0..centres.len() {
                let j = 1 - i;
                let seen = handovers_received(
                    &centres[j].obs,
                    centres[i].plan.party,
                    HandoverStage::Request,
                );
                let v = centres[i].clock(now, clock_start, speed);
                duty_officers(&mut centres[i], &targets, &seen, v, start);
            }
        }
        if now >= next_progress {
            next_progress = now
                + if tty {
                    Duration::from_secs(1)
                } else {
                    Duration::from_secs(30)
                };
            let line = progress_line(&centres, now, clock_start, speed, &truth);
            if tty {
                eprint!("\r{line:<150}");
            } else {
                eprintln!("{line}");
            }
        }
        let finished = centres.iter().all(|c| {
            c.sensors.done.load(Ordering::Relaxed) && c.clock(now, clock_start, speed) >= end
        });
        if finished {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    if tty {
        eprintln!();
    }
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    let was_interrupted = interrupted.load(Ordering::Relaxed);

    // The last signed checkpoints, so that each ledger's partner checkpoint covers all.
    eprintln!("  last checkpoints, then stopping the centres ...");
    let mut asked = Vec::new();
    for c in &centres {
        let ok = post_json(
            &c.addr,
            &format!("/api/links/{LINK}/checkpoint"),
            &c.secrets.duty_token,
            &json!({}),
        )
        .is_ok();
        asked.push((ok, c.clock(Instant::now(), clock_start, speed)));
    }
    let deadline = Instant::now() + Duration::from_secs(if was_interrupted { 3 } else { 20 });
    while Instant::now() < deadline {
        let settled = centres.iter().zip(&asked).all(|(c, (_, at))| {
            c.get("/data/links.json").is_ok_and(|v| {
                v["links"].as_array().is_some_and(|links| {
                    links.iter().all(|l| {
                        l["unacked"].as_u64() == Some(0)
                            && l["waiting_events"].as_u64() == Some(0)
                            && l["last_partner_checkpoint"][1]
                                .as_f64()
                                .is_some_and(|t| t >= *at)
                    })
                })
            })
        });
        if settled {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    for c in &mut centres {
        let token = c.secrets.duty_token.clone();
        if let Err(e) = c.obs.poll(&c.addr, &token, true) {
            c.obs.poll_errors += 1;
            c.obs.last_error = Some(format!("{e:#}"));
        }
        c.obs.note_geometry(&targets);
    }
    let pids: Vec<String> = centres.iter().map(|c| c.child.id().to_string()).collect();
    for pid in &pids {
        let _ = Command::new("kill").args(["-TERM", pid]).status();
    }
    for c in &mut centres {
        stop_centre(c);
    }
    let mut ledgers = Vec::new();
    for c in &centres {
        ledgers.push(ledger_of(c));
        // What the demo saw, beside the centre's own files, for whoever wants the detail.
        let path = c.log.with_extension("observed.json");
        if let Err(e) = std::fs::write(&path, c.obs.dump(start).to_string()) {
            eprintln!("  cannot write {}: {e}", path.display());
        }
    }
    Ok(Summary::build(SummaryInput {
        args,
        scenario,
        truth: &truth,
        targets: &targets,
        centres: &centres,
        ledgers,
        wall_s: wall0.elapsed().as_secs_f64(),
        interrupted: was_interrupted,
        out: centres
            .first()
            .and_then(|c| c.config.parent())
            .map(Path::to_path_buf)
            .unwrap_or_default(),
    }))
}

fn print_header(args: &DemoArgs, scenario: &Scenario, centres: &[Centre]) {
    eprintln!(
        "\n  {} at {}x: the scenario's 75 minutes take about {:.0} minutes.",
        scenario.name,
        args.speed,
        scenario.duration_s / args.speed / 60.0
    );
    for c in centres {
        eprintln!(
            "  {} ({}): UI http://{}/  user admin  password {}",
            c.plan.name, c.plan.party, c.addr, c.secrets.admin_password
        );
        eprintln!(
            "      API token (supervisor duty-{}): {}",
            c.plan.name.trim_end_matches("-lu"),
            c.secrets.duty_token
        );
        let sensors: Vec<String> = c
            .plan
            .adsb
            .iter()
            .map(|a| format!("{} (ADS-B, Beast over TCP)", a.name))
            .chain(
                c.plan
                    .radars
                    .iter()
                    .map(|r| format!("{} (CAT048 over UDP)", r.name)),
            )
            .collect();
        eprintln!("      sensors: {}", sensors.join(", "));
        eprintln!(
            "      config {}  log {}",
            c.config.display(),
            c.log.display()
        );
    }
    eprintln!(
        "  link {LINK}: mutual TLS, NATO and RU CAs and centre certificates made for this run\n"
    );
}

fn progress_line(
    centres: &[Centre],
    now: Instant,
    clock_start: f64,
    speed: f64,
    truth: &Truth,
) -> String {
    let v = centres
        .first()
        .map_or(truth.start, |c| c.clock(now, clock_start, speed));
    let mut parts = vec![format!(
        "{} / {}",
        clock_text(v - truth.start),
        clock_text(truth.end - truth.start)
    )];
    for c in centres {
        let open: Vec<String> = c
            .obs
            .incidents
            .iter()
            .filter(|i| i.incident.closed.is_none())
            .map(|i| {
                vigil_renegade::Category::from_level(i.incident.level)
                    .map_or("?", vigil_renegade::Category::name)
                    .to_owned()
            })
            .collect();
        let link = c.obs.links.first().map_or_else(
            || "link ?".to_owned(),
            |l| {
                format!(
                    "link {} sent {} recv {}",
                    l["state"].as_str().unwrap_or("?"),
                    l["last_sent"].as_u64().unwrap_or(0),
                    l["received"].as_u64().unwrap_or(0)
                )
            },
        );
        parts.push(format!(
            "{}: {} tracks, {} incident(s){}, {link}",
            c.plan.name,
            c.obs.tracks,
            c.obs.incidents.len(),
            if open.is_empty() {
                String::new()
            } else {
                format!(" open {}", open.join(","))
            }
        ));
    }
    parts.join(" | ")
}

/// `vigil ledger verify` and `vigil ledger report` on a stopped centre's store.
fn ledger_of(c: &Centre) -> LedgerSummary {
    let exe = std::env::current_exe().ok();
    let run = |what: &str| -> Result<(bool, Value)> {
        let exe = exe
            .as_ref()
            .context("cannot find the vigil binary itself")?;
        let out = Command::new(exe)
            .args(["ledger", what, "--json", "--config"])
            .arg(&c.config)
            .output()
            .context("cannot run vigil ledger")?;
        let v: Value = serde_json::from_slice(&out.stdout).with_context(|| {
            format!(
                "vigil ledger {what}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )
        })?;
        Ok((out.status.success(), v))
    };
    let mut s = LedgerSummary {
        centre: c.plan.name.to_owned(),
        ..LedgerSummary::default()
    };
    match run("verify") {
        Ok((ok, v)) => {
            s.verified = ok && v["verified"].as_bool() == Some(true);
            s.entries = v["entries"].as_u64().unwrap_or(0);
            s.own_checkpoints = v["own_checkpoints"].as_u64().unwrap_or(0);
            s.partner_checkpoints = v["partner_checkpoints"].as_u64().unwrap_or(0);
            s.first_divergence = v["first_divergence"]["what"].as_str().map(str::to_owned);
        }
        Err(e) => s.error = Some(format!("{e:#}")),
    }
    match run("report") {
        Ok((_, v)) => {
            for row in v["rows"].as_array().map(Vec::as_slice).unwrap_or_default() {
                let kind = row["kind"].as_str().unwrap_or("?").to_owned();
                *s.sent.entry(kind.clone()).or_default() +=
                    row["sent"]["count"].as_u64().unwrap_or(0);
                *s.received.entry(kind).or_default() +=
                    row["received"]["count"].as_u64().unwrap_or(0);
            }
        }
        Err(e) => {
            s.error.get_or_insert(format!("{e:#}"));
        }
    }
    s
}

// ---- the summary ------------------------------------------------------------------------

/// A centre's ledger after the run: `vigil ledger verify` and the per-kind counts of
/// `vigil ledger report`.
#[derive(Debug, Default, Serialize)]
struct LedgerSummary {
    centre: String,
    verified: bool,
    entries: u64,
    own_checkpoints: u64,
    partner_checkpoints: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_divergence: Option<String>,
    /// Messages sent, per kind.
    sent: BTreeMap<String, u64>,
    /// Messages received, per kind.
    received: BTreeMap<String, u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl LedgerSummary {
    /// Data messages (anything but heartbeats and checkpoints) sent and received.
    fn data(&self) -> (u64, u64) {
        let data = |m: &BTreeMap<String, u64>| {
            m.iter()
                .filter(|(k, _)| !matches!(k.as_str(), "heartbeat" | "checkpoint"))
                .map(|(_, n)| n)
                .sum()
        };
        (data(&self.sent), data(&self.received))
    }
}

#[derive(Debug, Serialize)]
struct SensorSummary {
    frames: u64,
    plots: u64,
    bytes: u64,
    beast_connections: u64,
    /// Scenario seconds not sent at the start (the centre answered late).
    skipped_s: f64,
    /// Largest lateness of a step behind the centre's clock, seconds of that clock.
    max_lag_s: f64,
}

#[derive(Debug, Serialize)]
struct LinkSummary {
    link: String,
    state: String,
    /// Share of the polls that found the link up.
    up_fraction: f64,
    last_sent: u64,
    received: u64,
    duplicates: u64,
    withheld: u64,
    last_checkpoint_seq: Option<u64>,
    partner_checkpoint_agreed: Option<bool>,
}

#[derive(Debug, Serialize)]
struct CentreSummary {
    name: String,
    party: String,
    ui: String,
    config: String,
    log: String,
    /// Its clock minus the first centre's (their processes started apart).
    clock_offset_s: f64,
    tracks_max: usize,
    sensors: SensorSummary,
    link: Option<LinkSummary>,
    /// What the demo did over the write API (reports, workflow actions).
    actions: Vec<ActionRecord>,
    poll_errors: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_poll_error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exit: Option<String>,
}

#[derive(Debug, Serialize)]
struct CategoryStep {
    category: String,
    at_s: f64,
}

#[derive(Debug, Serialize)]
struct NotificationSummary {
    channel: String,
    at_s: f64,
}

#[derive(Debug, Serialize)]
struct IncidentSummary {
    centre: String,
    id: u64,
    subject: String,
    track: Option<u64>,
    callsign: Option<String>,
    icao: Option<String>,
    /// The category ladder as the incident climbed it.
    categories: Vec<CategoryStep>,
    /// The final category.
    category: String,
    state: String,
    opened_s: f64,
    closed_s: Option<f64>,
    /// Indicators in its evidence.
    evidence: Vec<String>,
    notifications: Vec<NotificationSummary>,
    /// Transitions of it the partner centre received over the link: (action, when the
    /// partner received it, on this centre's clock).
    partner_received: Vec<(String, f64)>,
}

#[derive(Debug, Serialize)]
struct DetectionSummary {
    aircraft: String,
    event: String,
    /// When it happened.
    fact_s: f64,
    /// When air traffic control reported it (reported events).
    #[serde(skip_serializing_if = "Option::is_none")]
    reported_s: Option<f64>,
    centre: String,
    indicator: String,
    /// The first alert of that indicator on the aircraft.
    alert_s: Option<f64>,
    delay_s: Option<f64>,
}

#[derive(Debug, Serialize)]
struct PredictedCrossing {
    by: String,
    made_at_s: f64,
    t_s: f64,
    lat: f64,
    lon: f64,
    from_fir: Option<String>,
    to_fir: Option<String>,
    error_km: f64,
    error_s: f64,
}

#[derive(Debug, Serialize)]
struct HandoverSummary {
    aircraft: String,
    /// The crossing (the scenario's truth).
    t_s: f64,
    lat: f64,
    lon: f64,
    alt_ft: f64,
    from_fir: Option<String>,
    to_fir: String,
    from_fighters: Vec<String>,
    to_fighters: Vec<String>,
    /// The centre whose airspace it left.
    responsible: Option<String>,
    /// Its prediction, 2 to 5 minutes before (the one nearest 3 minutes).
    predicted: Option<PredictedCrossing>,
    /// When that centre first showed the aircraft in the new FIR.
    observed_s: Option<f64>,
    proposed_s: Option<f64>,
    accepted_s: Option<f64>,
    /// Who took the incident (the accepted hand-over's party and its centre).
    taken_by: Option<String>,
    /// When the partner centre received the request and the acceptance over the link (on
    /// the responsible centre's clock).
    partner_received_request_s: Option<f64>,
    partner_received_accept_s: Option<f64>,
}

/// The facts the exit status rests on.
#[derive(Debug, Default, Serialize)]
struct Facts {
    /// The Polish centre opened an incident on the renegade...
    renegade_incident: bool,
    /// ...that reached SUSPECTED by the rules...
    suspected: bool,
    /// ...notified to the national chain and to the partner at the same moment...
    notified_national_chain_and_partner: bool,
    /// ...and the partner centre received it over the link.
    partner_received_incident: bool,
    /// The hand-over at the EPWW/UMKK boundary was proposed and accepted, and the partner
    /// received both.
    handover_at_boundary: bool,
    /// Both ledgers verified.
    ledgers_verified: bool,
    /// Both centres sent and received data messages.
    links_both_ways: bool,
}

impl Facts {
    fn all(&self) -> bool {
        self.renegade_incident
            && self.suspected
            && self.notified_national_chain_and_partner
            && self.partner_received_incident
            && self.handover_at_boundary
            && self.ledgers_verified
            && self.links_both_ways
    }
}

/// What `vigil demo` prints at the end.
#[derive(Debug, Serialize)]
struct Summary {
    scenario: String,
    /// The scenario's start, Unix seconds; every `_s` time is seconds after it, on the
    /// centre's own clock.
    start: f64,
    speed: f64,
    out_dir: String,
    wall_s: f64,
    interrupted: bool,
    centres: Vec<CentreSummary>,
    incidents: Vec<IncidentSummary>,
    detection: Vec<DetectionSummary>,
    handovers: Vec<HandoverSummary>,
    ledgers: Vec<LedgerSummary>,
    facts: Facts,
    ok: bool,
}

/// Something the scenario makes happen, and the indicators that should see it.
struct ScenarioEvent {
    name: &'static str,
    /// When it happens (Unix seconds).
    fact: f64,
    /// When air traffic control reports it, for a reported event.
    reported: Option<f64>,
    indicators: Vec<&'static str>,
    /// Which centres can see it (ATC reports to one; one has the flight plans).
    seen_by: fn(&CentrePlan) -> bool,
}

struct SummaryInput<'a> {
    args: &'a DemoArgs,
    scenario: &'a Scenario,
    truth: &'a Truth,
    targets: &'a [Target],
    centres: &'a [Centre],
    ledgers: Vec<LedgerSummary>,
    wall_s: f64,
    interrupted: bool,
    out: PathBuf,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

impl Summary {
    fn build(inp: SummaryInput<'_>) -> Summary {
        let start = inp.truth.start;
        let rel = |t: f64| round1(t - start);
        let centres = inp.centres;
        // Each centre's clock started with its process: a time on one centre's clock, on
        // another's (receipts are shown on the sender's clock, so they follow the sending).
        let speed = inp.args.speed;
        let convert = |t: f64, from: &Centre, to: &Centre| {
            let d = if from.base >= to.base {
                from.base.duration_since(to.base).as_secs_f64()
            } else {
                -to.base.duration_since(from.base).as_secs_f64()
            };
            t + d * speed
        };
        let is_target = |c: &Centre, track: u64| {
            c.obs
                .icao_of(track)
                .and_then(|a| inp.targets.iter().find(|t| t.icao == a))
        };

        // Incidents.
        let mut incidents = Vec::new();
        for (ci, c) in centres.iter().enumerate() {
            let partner = centres.get(1 - ci);
            for iv in &c.obs.incidents {
                let i = &iv.incident;
                let target = iv.track.and_then(|t| is_target(c, t));
                let icao = iv.track.and_then(|t| c.obs.icao_of(t));
                let levels = vigil_renegade::Category::from_level;
                let categories = i
                    .level_reached
                    .iter()
                    .enumerate()
                    .filter_map(|(l, at)| {
                        Some(CategoryStep {
                            category: levels(l)?.name().to_owned(),
                            at_s: rel((*at)?.secs()),
                        })
                    })
                    .filter(|s| s.category != "NONE")
                    .collect();
                let mut evidence: Vec<String> = i
                    .evidence
                    .iter()
                    .map(|e| serde_json::to_value(e).ok())
                    .filter_map(|e| e?["kind"].as_str().map(str::to_owned))
                    .collect();
                evidence.dedup();
                let partner_received = partner
                    .map(|p| {
                        p.obs
                            .partner_events
                            .iter()
                            .filter_map(|e| match &e.msg {
                                Outbound::IncidentTransition(t)
                                    if t.incident == i.id
                                        && t.subject.origin.centre == c.plan.name =>
                                {
                                    Some((t.action.clone(), rel(convert(e.received, p, c))))
                                }
                                _ => None,
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                incidents.push(IncidentSummary {
                    centre: c.plan.name.to_owned(),
                    id: i.id.0,
                    subject: i.subject.to_string(),
                    track: iv.track,
                    callsign: target.map(|t| t.callsign.clone()),
                    icao: icao.map(|a| a.to_string()),
                    categories,
                    category: vigil_renegade::Category::from_level(i.level)
                        .map_or("?", vigil_renegade::Category::name)
                        .to_owned(),
                    state: i.state.clone(),
                    opened_s: rel(i.opened.secs()),
                    closed_s: i.closed.map(|t| rel(t.secs())),
                    evidence,
                    notifications: i
                        .notified
                        .iter()
                        .map(|(ch, at)| NotificationSummary {
                            channel: ch.to_string(),
                            at_s: rel(at.secs()),
                        })
                        .collect(),
                    partner_received,
                });
            }
        }

        // Detection: each scenario event against the first alert of its indicator.
        let mut detection = Vec::new();
        for t in inp.targets {
            let Some(a) = inp.truth.aircraft.iter().find(|a| a.icao == t.icao) else {
                continue;
            };
            let mut events: Vec<ScenarioEvent> = Vec::new();
            for r in inp.truth.reports.iter().filter(|r| r.icao == t.icao) {
                let (name, ind) = match r.kind {
                    vigil_sim::ReportKind::RadioContactLost => {
                        ("radio contact lost", "radio_contact_lost")
                    }
                    vigil_sim::ReportKind::NotFollowingAtc => {
                        ("not following ATC", "not_following_atc")
                    }
                    vigil_sim::ReportKind::RadioContactRestored => continue,
                };
                events.push(ScenarioEvent {
                    name,
                    fact: r.fact_t,
                    reported: Some(r.t),
                    indicators: vec![ind],
                    seen_by: |p| p.atc,
                });
            }
            if let Some(spec) = inp
                .scenario
                .aircraft
                .iter()
                .find(|s| s.callsign == t.callsign)
            {
                for e in spec.events.iter().filter(|e| e.deviate_to.is_some()) {
                    events.push(ScenarioEvent {
                        name: "route deviation",
                        fact: start + e.at_s,
                        reported: None,
                        indicators: vec!["lateral_deviation"],
                        seen_by: |p| p.flight_plans,
                    });
                }
            }
            for (at, code) in &a.squawk {
                if *code == 0x7500 {
                    events.push(ScenarioEvent {
                        name: "squawk 7500",
                        fact: *at,
                        reported: None,
                        indicators: vec!["squawk_7500", "adsb_unlawful_interference"],
                        seen_by: |_| true,
                    });
                }
            }
            for (from, _) in &a.transponder_off {
                events.push(ScenarioEvent {
                    name: "transponder off",
                    fact: *from,
                    reported: None,
                    indicators: vec!["transponder_lost"],
                    seen_by: |_| true,
                });
            }
            for ScenarioEvent {
                name,
                fact,
                reported,
                indicators,
                seen_by,
            } in events
            {
                for c in centres.iter().filter(|c| seen_by(&c.plan)) {
                    for ind in &indicators {
                        let alert = c
                            .obs
                            .alerts
                            .values()
                            .filter(|x| {
                                serde_json::to_value(x.kind)
                                    .ok()
                                    .as_ref()
                                    .and_then(Value::as_str)
                                    == Some(ind)
                            })
                            .filter(|x| {
                                x.icao == Some(t.icao) || c.obs.icao_of(x.track) == Some(t.icao)
                            })
                            .filter(|x| x.raised.secs() >= fact - 5.0)
                            .min_by(|x, y| x.raised.secs().total_cmp(&y.raised.secs()));
                        detection.push(DetectionSummary {
                            aircraft: t.callsign.clone(),
                            event: name.to_owned(),
                            fact_s: rel(fact),
                            reported_s: reported.map(rel),
                            centre: c.plan.name.to_owned(),
                            indicator: (*ind).to_owned(),
                            alert_s: alert.map(|x| rel(x.raised.secs())),
                            delay_s: alert.map(|x| round1(x.raised.secs() - fact)),
                        });
                    }
                }
            }
        }

        // Hand-overs: the scenario's truth, what the centres predicted and recorded.
        let fir_party: BTreeMap<String, String> = inp
            .scenario
            .airspace
            .as_ref()
            .and_then(|s| s.config.as_ref())
            .and_then(|p| vigil_airspace::AirspaceConfig::from_file(&inp.scenario.resolve(p)).ok())
            .map(|c| c.parties)
            .unwrap_or_default();
        let mut handovers = Vec::new();
        for h in &inp.truth.handovers {
            let Some(target) = inp.targets.iter().find(|t| t.callsign == h.target) else {
                continue;
            };
            let from_party = h.fir_from.as_ref().and_then(|f| fir_party.get(f));
            let resp = centres
                .iter()
                .position(|c| from_party.is_some_and(|p| p.starts_with(c.plan.airspace_party)));
            let mut s = HandoverSummary {
                aircraft: h.target.clone(),
                t_s: rel(h.t),
                lat: h.pos.lat,
                lon: h.pos.lon,
                alt_ft: h.alt_ft.round(),
                from_fir: h.fir_from.clone(),
                to_fir: h.fir_to.clone(),
                from_fighters: h.from_fighters.clone(),
                to_fighters: h.to_fighters.clone(),
                responsible: resp.map(|i| centres[i].plan.name.to_owned()),
                predicted: None,
                observed_s: None,
                proposed_s: None,
                accepted_s: None,
                taken_by: None,
                partner_received_request_s: None,
                partner_received_accept_s: None,
            };
            if let Some(ri) = resp {
                let c = &centres[ri];
                let ahead = |p: &&Prediction| {
                    p.crossing.to.as_deref() == Some(h.fir_to.as_str())
                        && p.crossing.from == h.fir_from
                        && p.made_at < h.t
                };
                let best = c
                    .obs
                    .predictions
                    .iter()
                    .filter(ahead)
                    .filter(|p| (120.0..=300.0).contains(&(h.t - p.made_at)))
                    .min_by(|a, b| {
                        (h.t - a.made_at - 180.0)
                            .abs()
                            .total_cmp(&(h.t - b.made_at - 180.0).abs())
                    })
                    .or_else(|| c.obs.predictions.iter().rfind(|p| ahead(p)));
                s.predicted = best.map(|p| PredictedCrossing {
                    by: c.plan.name.to_owned(),
                    made_at_s: rel(p.made_at),
                    t_s: rel(p.crossing.t),
                    lat: p.crossing.pos.lat,
                    lon: p.crossing.pos.lon,
                    from_fir: p.crossing.from.clone(),
                    to_fir: p.crossing.to.clone(),
                    error_km: round1(p.crossing.pos.distance_m(&h.pos) / 1000.0),
                    error_s: round1(p.crossing.t - h.t),
                });
                // The first time the centre showed the aircraft in the new FIR after the old.
                let mut was_in_from = false;
                for (at, fir, _) in &c.obs.positions {
                    if *at < h.t - 900.0 {
                        continue;
                    }
                    if *fir == h.fir_from {
                        was_in_from = true;
                    } else if was_in_from && fir.as_deref() == Some(h.fir_to.as_str()) {
                        s.observed_s = Some(rel(*at));
                        break;
                    }
                }
                let on_target = |a: &&ActionRecord| {
                    a.ok && a.incident.is_some_and(|id| {
                        c.obs.incidents.iter().any(|iv| {
                            iv.incident.id.0 == id
                                && iv.track.and_then(|t| c.obs.icao_of(t)) == Some(target.icao)
                        })
                    })
                };
                let action = |name: &str| {
                    c.obs
                        .actions
                        .iter()
                        .filter(on_target)
                        .find(|a| a.action == name)
                };
                s.proposed_s = action("propose_handover").map(|a| a.at_s);
                if let Some(a) = action("accept_handover") {
                    s.accepted_s = Some(a.at_s);
                    let party = a.party.clone().unwrap_or_default();
                    s.taken_by = Some(format!(
                        "{} ({party})",
                        centres
                            .iter()
                            .find(|x| party.starts_with(x.plan.airspace_party))
                            .map_or("?", |x| x.plan.name)
                    ));
                }
                if let Some(p) = centres.get(1 - ri) {
                    let got = |stage: HandoverStage| {
                        p.obs
                            .partner_events
                            .iter()
                            .find(|e| match &e.msg {
                                Outbound::Handover(x) => {
                                    x.stage == stage
                                        && x.subject.origin.centre == c.plan.name
                                        && (x.subject.identity.icao == Some(target.icao)
                                            || c.obs.icao_of(x.subject.track) == Some(target.icao))
                                }
                                _ => false,
                            })
                            .map(|e| rel(convert(e.received, p, c)))
                    };
                    s.partner_received_request_s = got(HandoverStage::Request);
                    s.partner_received_accept_s = got(HandoverStage::Accept);
                }
            }
            handovers.push(s);
        }

        // The facts.
        let nato = centres.first();
        let mut facts = Facts {
            ledgers_verified: inp.ledgers.len() == centres.len()
                && inp.ledgers.iter().all(|l| l.verified),
            links_both_ways: inp.ledgers.iter().all(|l| {
                let (s, r) = l.data();
                s > 0 && r > 0
            }),
            ..Facts::default()
        };
        if let Some(n) = nato {
            for i in incidents
                .iter()
                .filter(|i| i.centre == n.plan.name && i.callsign.is_some())
            {
                facts.renegade_incident = true;
                facts.suspected |= i.categories.iter().any(|c| c.category == "SUSPECTED");
                let at = |ch: &str| {
                    i.notifications
                        .iter()
                        .find(|x| x.channel == ch)
                        .map(|x| x.at_s)
                };
                let partner = format!("{}", ChannelKind::Partner(n.plan.partner_party.into()));
                facts.notified_national_chain_and_partner |= matches!(
                    (at("national_chain"), at(&partner)),
                    (Some(a), Some(b)) if a == b
                );
                facts.partner_received_incident |= i
                    .partner_received
                    .iter()
                    .any(|(action, _)| action == "notify");
            }
        }
        facts.handover_at_boundary = handovers.iter().any(|h| {
            h.from_fir.as_deref() == Some("EPWW")
                && h.to_fir == "UMKK"
                && h.accepted_s.is_some()
                && h.taken_by
                    .as_deref()
                    .is_some_and(|t| t.starts_with("kaliningrad-lu"))
                && h.partner_received_request_s.is_some()
                && h.partner_received_accept_s.is_some()
        });
        let ok = facts.all() && !inp.interrupted;

        let centres_out = centres
            .iter()
            .map(|c| {
                let link = c.obs.links.first().map(|l| LinkSummary {
                    link: l["link"].as_str().unwrap_or(LINK).to_owned(),
                    state: l["state"].as_str().unwrap_or("?").to_owned(),
                    up_fraction: if c.obs.link_polls > 0 {
                        round1(100.0 * c.obs.link_up as f64 / c.obs.link_polls as f64) / 100.0
                    } else {
                        0.0
                    },
                    last_sent: l["last_sent"].as_u64().unwrap_or(0),
                    received: l["received"].as_u64().unwrap_or(0),
                    duplicates: l["duplicates"].as_u64().unwrap_or(0),
                    withheld: l["withheld"].as_u64().unwrap_or(0),
                    last_checkpoint_seq: l["last_checkpoint"][0].as_u64(),
                    partner_checkpoint_agreed: l["last_partner_checkpoint"][2].as_bool(),
                });
                let p = &c.sensors;
                CentreSummary {
                    clock_offset_s: centres
                        .first()
                        .map_or(0.0, |first| round1(convert(0.0, first, c))),
                    name: c.plan.name.to_owned(),
                    party: c.plan.party.to_owned(),
                    ui: format!("http://{}/", c.addr),
                    config: c.config.display().to_string(),
                    log: c.log.display().to_string(),
                    tracks_max: c.obs.tracks_max,
                    sensors: SensorSummary {
                        frames: p.frames.load(Ordering::Relaxed),
                        plots: p.plots.load(Ordering::Relaxed),
                        bytes: p.bytes.load(Ordering::Relaxed),
                        beast_connections: p.connections.load(Ordering::Relaxed),
                        skipped_s: p.skipped_steps.load(Ordering::Relaxed) as f64 * STEP_S,
                        max_lag_s: p.max_lag_ms.load(Ordering::Relaxed) as f64 / 1000.0,
                    },
                    link,
                    actions: c.obs.actions.clone(),
                    poll_errors: c.obs.poll_errors,
                    last_poll_error: c.obs.last_error.clone(),
                    exit: c.exited.clone(),
                }
            })
            .collect();
        Summary {
            scenario: inp.scenario.name.clone(),
            start,
            speed: inp.args.speed,
            out_dir: inp.out.display().to_string(),
            wall_s: round1(inp.wall_s),
            interrupted: inp.interrupted,
            centres: centres_out,
            incidents,
            detection,
            handovers,
            ledgers: inp.ledgers,
            facts,
            ok,
        }
    }

    /// The summary for people.
    fn text(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let t = clock_text;
        let _ = writeln!(
            s,
            "\n{}\nplayed at {}x in {:.0} s; files in {}",
            self.scenario, self.speed, self.wall_s, self.out_dir
        );
        let _ = writeln!(s, "\nIncidents");
        if self.incidents.is_empty() {
            let _ = writeln!(s, "  none");
        }
        for i in &self.incidents {
            let ladder: Vec<String> = i
                .categories
                .iter()
                .map(|c| format!("{} {}", c.category, t(c.at_s)))
                .collect();
            let _ = writeln!(
                s,
                "  {} #{} {} {} ({}): opened {}, {}; final {}, {}{}",
                i.centre,
                i.id,
                i.callsign.as_deref().unwrap_or("-"),
                i.icao.as_deref().unwrap_or("?"),
                i.subject,
                t(i.opened_s),
                if ladder.is_empty() {
                    "no category".to_owned()
                } else {
                    ladder.join(" -> ")
                },
                i.category,
                i.state,
                i.closed_s
                    .map(|c| format!(" at {}", t(c)))
                    .unwrap_or_default()
            );
            if !i.evidence.is_empty() {
                let _ = writeln!(s, "      evidence: {}", i.evidence.join(", "));
            }
            for n in &i.notifications {
                let _ = writeln!(s, "      notified {} at {}", n.channel, t(n.at_s));
            }
            if let Some((_, first)) = i.partner_received.first() {
                let _ = writeln!(
                    s,
                    "      the partner received {} transition(s), the first at {}",
                    i.partner_received.len(),
                    t(*first)
                );
            }
        }
        let _ = writeln!(s, "\nDetection (scenario event -> first alert)");
        for d in &self.detection {
            let _ = writeln!(
                s,
                "  {:<8} {:<20} at {}{}  {:<15} {:<27} {}",
                d.aircraft,
                d.event,
                t(d.fact_s),
                d.reported_s
                    .map(|r| format!(" (reported {})", t(r)))
                    .unwrap_or_default(),
                d.centre,
                d.indicator,
                match (d.alert_s, d.delay_s) {
                    (Some(a), Some(dl)) => format!("{} (+{dl:.1} s)", t(a)),
                    _ => "not raised".to_owned(),
                }
            );
        }
        let _ = writeln!(s, "\nHand-overs");
        for h in &self.handovers {
            let _ = writeln!(
                s,
                "  {} {} -> {} at {} ({:.3}N {:.3}E, {} ft): {} -> {}",
                h.aircraft,
                h.from_fir.as_deref().unwrap_or("-"),
                h.to_fir,
                t(h.t_s),
                h.lat,
                h.lon,
                h.alt_ft,
                h.from_fighters.join("/"),
                h.to_fighters.join("/")
            );
            if let Some(p) = &h.predicted {
                let _ = writeln!(
                    s,
                    "      predicted by {} at {}: {} at {:.3}N {:.3}E ({:.1} km, {:+.0} s off)",
                    p.by,
                    t(p.made_at_s),
                    t(p.t_s),
                    p.lat,
                    p.lon,
                    p.error_km,
                    p.error_s
                );
            }
            if let Some(o) = h.observed_s {
                let _ = writeln!(s, "      seen in {} by the centre at {}", h.to_fir, t(o));
            }
            let _ = writeln!(
                s,
                "      proposed {}, accepted {}{}; the partner received the request {} and the acceptance {}",
                h.proposed_s.map_or("-".to_owned(), t),
                h.accepted_s.map_or("-".to_owned(), t),
                h.taken_by
                    .as_ref()
                    .map(|x| format!(": taken by {x}"))
                    .unwrap_or_default(),
                h.partner_received_request_s.map_or("-".to_owned(), t),
                h.partner_received_accept_s.map_or("-".to_owned(), t)
            );
        }
        let _ = writeln!(s, "\nCentres and links");
        for c in &self.centres {
            let _ = writeln!(
                s,
                "  {} ({}): up to {} tracks; sensors sent {} Mode S frames and {} plots ({} bytes{}{})",
                c.name,
                c.party,
                c.tracks_max,
                c.sensors.frames,
                c.sensors.plots,
                c.sensors.bytes,
                if c.sensors.skipped_s > 0.0 {
                    format!(", first {:.0} s skipped", c.sensors.skipped_s)
                } else {
                    String::new()
                },
                if c.sensors.max_lag_s > 1.0 {
                    format!(", up to {:.1} s late", c.sensors.max_lag_s)
                } else {
                    String::new()
                }
            );
            if let Some(l) = &c.link {
                let _ = writeln!(
                    s,
                    "      link {}: {} at the end, up {:.0}% of the run; sent up to #{}, received {}, duplicates {}, withheld by policy {}; last partner checkpoint {}",
                    l.link,
                    l.state,
                    l.up_fraction * 100.0,
                    l.last_sent,
                    l.received,
                    l.duplicates,
                    l.withheld,
                    match l.partner_checkpoint_agreed {
                        Some(true) => "agreed",
                        Some(false) => "DISAGREED",
                        None => "none",
                    }
                );
            }
            let failed = c.actions.iter().filter(|a| !a.ok).count();
            let _ = writeln!(
                s,
                "      the demo's writes: {}{}",
                c.actions
                    .iter()
                    .filter(|a| a.ok)
                    .map(|a| format!("{} {}", a.action, t(a.at_s)))
                    .collect::<Vec<_>>()
                    .join(", "),
                if failed > 0 {
                    format!(" ({failed} refused: see the JSON summary)")
                } else {
                    String::new()
                }
            );
        }
        let _ = writeln!(s, "\nLedgers");
        for l in &self.ledgers {
            let kinds = |m: &BTreeMap<String, u64>| {
                m.iter()
                    .map(|(k, n)| format!("{k} {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let _ = writeln!(
                s,
                "  {}: {} ({} entries, {} own and {} partner checkpoints)",
                l.centre,
                if l.verified {
                    "verified".to_owned()
                } else {
                    format!(
                        "NOT VERIFIED: {}",
                        l.first_divergence
                            .as_deref()
                            .or(l.error.as_deref())
                            .unwrap_or("?")
                    )
                },
                l.entries,
                l.own_checkpoints,
                l.partner_checkpoints
            );
            let _ = writeln!(s, "      sent: {}", kinds(&l.sent));
            let _ = writeln!(s, "      received: {}", kinds(&l.received));
        }
        let f = &self.facts;
        let mark = |b: bool| if b { "yes" } else { "NO" };
        let _ = writeln!(
            s,
            "\nKey facts: renegade incident {}, SUSPECTED {}, national chain and partner notified together {}, \
             partner received it {}, hand-over at EPWW/UMKK {}, ledgers verified {}, link traffic both ways {}",
            mark(f.renegade_incident),
            mark(f.suspected),
            mark(f.notified_national_chain_and_partner),
            mark(f.partner_received_incident),
            mark(f.handover_at_boundary),
            mark(f.ledgers_verified),
            mark(f.links_both_ways)
        );
        let _ = writeln!(
            s,
            "{}",
            if self.ok {
                "Result: everything the scenario expects happened."
            } else if self.interrupted {
                "Result: interrupted before the end."
            } else {
                "Result: something the scenario expects did NOT happen (see above)."
            }
        );
        s
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn day1() -> (Scenario, Truth) {
        let mut s = Scenario::load(Path::new(BUILT_SCENARIO)).unwrap();
        s.background = None;
        let truth = vigil_sim::generate(&s).unwrap();
        (s, truth)
    }

    #[test]
    fn synthetic_background_is_seeded_ordinary_traffic_over_the_area() {
        let (_, truth) = day1();
        let taken: BTreeSet<IcaoAddress> = truth.aircraft.iter().map(|a| a.icao).collect();
        let a = synthetic_background(&truth, 40, &taken);
        let b = synthetic_background(&truth, 40, &taken);
        assert_eq!(a, b, "the same every run");
        assert!(a.len() > 60, "{} aircraft", a.len());
        let centre = LatLon::new(BACKGROUND_CENTRE.0, BACKGROUND_CENTRE.1);
        let mut seen = BTreeSet::new();
        for ac in &a {
            assert!(ac.background && !ac.military && ac.flight_plan.is_none());
            assert!(!taken.contains(&ac.icao) && seen.insert(ac.icao));
            let code = ac.squawk[0].1;
            assert!(!matches!(code, 0x7500 | 0x7600 | 0x7700), "{code:04x}");
            assert_eq!(ac.emergency_at(truth.end), vigil_sim::Emergency::None);
            for p in &ac.trajectory.points {
                assert!(p.t >= truth.start && p.t <= truth.end);
                assert!(p.pos.pos.distance_m(&centre) <= BACKGROUND_RADIUS_M + 1_000.0);
            }
        }
        // About 40 in the air at any moment.
        for k in [0.0, 1500.0, 3000.0, 4400.0] {
            let t = truth.start + k;
            let n = a.iter().filter(|ac| ac.trajectory.at(t).is_some()).count();
            assert!((20..=70).contains(&n), "{n} in the air at {k} s");
        }
        assert!(synthetic_background(&truth, 0, &taken).is_empty());
    }

    #[test]
    fn a_recording_becomes_background_over_the_area() {
        let Some(path) = vigil_testdata::path("adsb/long_flight.csv") else {
            return;
        };
        let (_, truth) = day1();
        let taken: BTreeSet<IcaoAddress> = truth.aircraft.iter().map(|a| a.icao).collect();
        let rec = recorded_background(&path, &truth, 50, &taken).unwrap();
        assert!(!rec.is_empty());
        let centre = LatLon::new(BACKGROUND_CENTRE.0, BACKGROUND_CENTRE.1);
        for ac in &rec {
            assert!(ac.background);
            let (a, b) = ac.trajectory.span().unwrap();
            assert!(a >= truth.start && b <= truth.end);
            let p = ac.trajectory.points[0].pos.pos;
            assert!(p.distance_m(&centre) < 1_500_000.0, "{p:?}");
        }
    }

    #[test]
    fn state_vectors_become_background_too() {
        let Some(path) = vigil_testdata::path("traffic/quickstart.json.gz") else {
            return;
        };
        let (_, truth) = day1();
        let taken: BTreeSet<IcaoAddress> = truth.aircraft.iter().map(|a| a.icao).collect();
        let rec = recorded_background(&path, &truth, 20, &taken).unwrap();
        assert_eq!(rec.len(), 20, "the 20 busiest");
    }

    #[test]
    fn the_files_make_two_valid_centres() {
        let (scenario, truth) = day1();
        let out = std::env::temp_dir().join(format!("vigil-demo-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(&out).unwrap();
        let args = DemoArgs {
            speed: 20.0,
            out: Some(out.clone()),
            base_port: 0,
            recording: None,
            recording_max: 50,
            background: 0,
            scenario: None,
            json: false,
        };
        // `write` loads and validates each configuration it writes.
        let setup = Setup::write(&args, &scenario, &truth, &out).unwrap();
        assert_eq!(setup.centres.len(), 2);
        assert_eq!(setup.clock_start, truth.start - LEAD_WALL_S * 20.0);
        for c in &setup.centres {
            let loaded = crate::config::load(&c.config).unwrap();
            let cfg = &loaded.config;
            assert_eq!(cfg.clock.start, Some(setup.clock_start));
            assert_eq!(cfg.clock.speed, 20.0);
            assert!(cfg.links.enabled());
            // The configuration keeps hashes, never the secrets.
            let text = std::fs::read_to_string(&c.config).unwrap();
            assert!(!text.contains(&c.secrets.duty_token));
            assert!(!text.contains(&c.secrets.admin_password));
            assert_eq!(c.beast.len(), c.plan.adsb.len());
            assert_eq!(c.radar_ports.len(), c.plan.radars.len());
            // Its certificate names it (the link refuses a start otherwise).
            let id = cfg.links.identity(&loaded.base_dir).unwrap();
            assert_eq!(id.name.centre, c.plan.name);
        }
        assert!(out.join("certs/NATO-ca.crt").is_file());
        assert!(out.join("airspace.toml").is_file());
        let _ = std::fs::remove_dir_all(&out);
    }

    #[test]
    fn times_read_from_the_scenario_start() {
        assert_eq!(clock_text(0.0), "T+0:00:00");
        assert_eq!(clock_text(2391.7), "T+0:39:52");
        assert_eq!(clock_text(-148.0), "T-0:02:28");
        assert_eq!(clock_text(4500.0), "T+1:15:00");
    }

    #[test]
    fn chunked_bodies_are_joined() {
        assert_eq!(
            dechunk(b"4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n"),
            b"Wikipedia"
        );
        assert_eq!(dechunk(b"4\r\nWi"), b"");
    }
}
