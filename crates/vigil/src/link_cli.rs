//! The command-line tools of links: `vigil certs`, `vigil ledger`, `vigil link`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use serde_json::json;
use tokio_util::sync::CancellationToken;
use vigil::config;
use vigil::links::{self, PartnerPicture};
use vigil_core::{Clock, SystemClock};
use vigil_link::certs::{self, CentreName, PartyCa, Validity};
use vigil_link::drill::Drill;

/// `vigil certs`.
#[derive(Debug, Subcommand)]
pub enum CertsCommand {
    /// Create a party's certificate authority: `<out>/<party>-ca.crt` and `.key`.
    Ca {
        /// The party (e.g. NATO, RU, PL).
        #[arg(long)]
        party: String,
        /// Folder to write to.
        #[arg(long, default_value = "certs")]
        out: PathBuf,
        /// Validity in days from now.
        #[arg(long, default_value_t = 3650)]
        days: i64,
    },
    /// Issue a centre's certificate and key from its party's CA:
    /// `<out>/<centre>.<party>.crt` and `.key`.
    Issue {
        /// The CA, as the path without extension (`certs/nato-ca` for nato-ca.crt/.key).
        #[arg(long)]
        ca: PathBuf,
        /// The centre's name (e.g. warszawa-lu).
        #[arg(long)]
        centre: String,
        /// Folder to write to.
        #[arg(long, default_value = "certs")]
        out: PathBuf,
        /// Validity in days.
        #[arg(long, default_value_t = 365)]
        days: i64,
        /// Start of validity, days from now (negative: in the past; tests make expired and
        /// not-yet-valid certificates with it).
        #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
        from_days: i64,
    },
    /// Revoke certificates: adds them to the CA's list (`<ca>.revoked`) and writes its
    /// revocation list (`<ca>.crl`), which partners name in their link's `crls`.
    Revoke {
        /// The CA, as the path without extension.
        #[arg(long)]
        ca: PathBuf,
        /// Certificates to revoke (PEM files).
        #[arg(required = true)]
        certs: Vec<PathBuf>,
    },
    /// Create what the demo and tests need: CAs of NATO and RU, and certificates of their
    /// coordination centres (nato-cc, ru-cc) and of the Warszawa and Kaliningrad local
    /// units.
    Demo {
        /// Folder to write to.
        #[arg(long, default_value = "certs")]
        out: PathBuf,
    },
}

/// `vigil ledger`.
#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Check the centre's ledger end to end and against the partners' signed checkpoints;
    /// print the first divergence (link, sequence, time, kind). Exit status 1 when there is
    /// one.
    Verify {
        /// The centre's configuration (its [links] store and certificate).
        #[arg(long, short)]
        config: PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Reciprocity: messages and bytes sent and received per link, UTC day and kind.
    Report {
        /// The centre's configuration.
        #[arg(long, short)]
        config: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `vigil link`.
#[derive(Debug, Subcommand)]
pub enum LinkCommand {
    /// Run only the centre's links (no sensors): commission a link, or drill it with
    /// synthetic traffic. Prints the links' status every second on stderr and a JSON
    /// summary on stdout at the end. Stops on Ctrl-C / SIGTERM, after --seconds, or with
    /// --until-acked once the drill is sent and acknowledged.
    Serve {
        /// The centre's configuration ([centre], [links]).
        #[arg(long, short)]
        config: PathBuf,
        /// Drill: distinct tracks.
        #[arg(long, default_value_t = 100)]
        tracks: u64,
        /// Drill: track updates per second (0: none).
        #[arg(long, default_value_t = 0.0)]
        track_rate: f64,
        /// Drill: events (alerts, incident transitions, hand-overs in turn) in all.
        #[arg(long, default_value_t = 0)]
        events: u64,
        /// Drill: events per second.
        #[arg(long, default_value_t = 50.0)]
        event_rate: f64,
        /// Drill: number of the first event (to go on with a drill after a restart).
        #[arg(long, default_value_t = 0)]
        first_event: u64,
        /// Stop after this many seconds.
        #[arg(long)]
        seconds: Option<f64>,
        /// Stop once every drill event is sent and acknowledged (after a final checkpoint).
        #[arg(long)]
        until_acked: bool,
    },
    /// Print the events received from partners (the store's inbox), one JSON line each.
    Inbox {
        /// The centre's configuration.
        #[arg(long, short)]
        config: PathBuf,
    },
}

fn now_unix() -> i64 {
    SystemClock.now().0 as i64
}

/// `<ca>.crt`, `.key`, `.crl`, `.revoked`.
fn ca_paths(ca: &Path) -> [PathBuf; 4] {
    let s = ca.as_os_str().to_string_lossy().into_owned();
    ["crt", "key", "crl", "revoked"].map(|ext| PathBuf::from(format!("{s}.{ext}")))
}

fn write_ca(out: &Path, ca: &PartyCa) -> Result<PathBuf> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let base = out.join(format!("{}-ca", ca.party().to_lowercase()));
    let [crt, key, _, _] = ca_paths(&base);
    std::fs::write(&crt, ca.cert_pem())
        .with_context(|| format!("cannot write {}", crt.display()))?;
    write_private(&key, &ca.key_pem())?;
    Ok(base)
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

fn issue(ca: &PartyCa, centre: &str, out: &Path, validity: Validity) -> Result<PathBuf> {
    let name = CentreName::new(ca.party(), centre)?;
    let cert = ca.issue(&name, validity)?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    Ok(certs::write_centre_files(out, &cert)?.cert)
}

/// Runs `vigil certs`.
pub fn certs_cmd(cmd: CertsCommand) -> Result<()> {
    match cmd {
        CertsCommand::Ca { party, out, days } => {
            let ca = PartyCa::generate(&party, Validity::days_from(now_unix(), days))?;
            let base = write_ca(&out, &ca)?;
            println!(
                "{0}.crt (give it to partners) and {0}.key (keep it offline)",
                base.display()
            );
        }
        CertsCommand::Issue {
            ca,
            centre,
            out,
            days,
            from_days,
        } => {
            let [crt, key, _, _] = ca_paths(&ca);
            let ca = PartyCa::load(&crt, &key)?;
            let start = now_unix() + from_days * 86_400;
            let crt = issue(&ca, &centre, &out, Validity::days_from(start, days))?;
            println!("{} and its .key", crt.display());
        }
        CertsCommand::Revoke { ca, certs: files } => {
            let [crt, key, crl, list] = ca_paths(&ca);
            let ca = PartyCa::load(&crt, &key)?;
            let mut serials: Vec<String> = std::fs::read_to_string(&list)
                .unwrap_or_default()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_owned)
                .collect();
            for f in &files {
                let pem = std::fs::read_to_string(f)
                    .with_context(|| format!("cannot read {}", f.display()))?;
                let s = hex::encode(certs::serial_of_cert_pem(&pem)?);
                if !serials.contains(&s) {
                    serials.push(s);
                }
            }
            let raw: Vec<Vec<u8>> = serials
                .iter()
                .map(|s| {
                    hex::decode(s)
                        .with_context(|| format!("bad serial {s:?} in {}", list.display()))
                })
                .collect::<Result<_>>()?;
            let now = now_unix();
            let number = u64::try_from(now).unwrap_or(0);
            let text = ca.revocation_list(&raw, now, now + 30 * 86_400, number)?;
            std::fs::write(&crl, text)
                .with_context(|| format!("cannot write {}", crl.display()))?;
            let mut keep =
                String::from("# Serial numbers revoked by this CA (hex), one per line.\n");
            for s in &serials {
                keep.push_str(s);
                keep.push('\n');
            }
            std::fs::write(&list, keep)
                .with_context(|| format!("cannot write {}", list.display()))?;
            println!(
                "{} revokes {} certificate(s); partners list it in their link's crls",
                crl.display(),
                serials.len()
            );
        }
        CertsCommand::Demo { out } => {
            for (party, centres) in [
                ("NATO", ["nato-cc", "warszawa-lu"]),
                ("RU", ["ru-cc", "kaliningrad-lu"]),
            ] {
                let ca = PartyCa::generate(party, Validity::days_from(now_unix() - 86_400, 3650))?;
                let base = write_ca(&out, &ca)?;
                println!("{}.crt", base.display());
                for c in centres {
                    let v = Validity::days_from(now_unix() - 86_400, 365);
                    println!("{}", issue(&ca, c, &out, v)?.display());
                }
            }
        }
    }
    Ok(())
}

/// A configuration with its links section checked.
struct LinkCentre {
    loaded: config::Loaded,
}

impl LinkCentre {
    fn load(path: &Path) -> Result<LinkCentre> {
        let loaded = config::load(path)?;
        if !loaded.config.links.enabled() {
            bail!(
                "{} has no [[links.link]]: nothing to do (config/links/*.toml are examples)",
                path.display()
            );
        }
        loaded.config.links.validate()?;
        Ok(LinkCentre { loaded })
    }

    fn party(&self) -> &str {
        &self.loaded.config.centre.party
    }

    fn centre(&self) -> &str {
        &self.loaded.config.centre.name
    }

    fn store(&self) -> Result<vigil_link::store::LinkStore> {
        self.loaded
            .config
            .links
            .open_store(&self.loaded.base_dir, self.party(), self.centre())
    }
}

/// Runs `vigil ledger`. Returns whether the ledger verified (a report always does).
pub fn ledger_cmd(cmd: LedgerCommand) -> Result<bool> {
    match cmd {
        LedgerCommand::Verify { config, json } => {
            let c = LinkCentre::load(&config)?;
            let store = c.store()?;
            let own = c.loaded.config.links.identity(&c.loaded.base_dir)?;
            let keys = links::ledger_keys(&store, &own.cert_chain_pem)?;
            let report = store.verify(&keys)?;
            let ok = report.first_divergence.is_none();
            if json {
                let first = report.first_divergence.as_ref().map(|d| {
                    json!({
                        "link": d.link,
                        "seq": d.seq,
                        "time": d.time.map(|t| t.0),
                        "kind": d.kind,
                        "what": d.to_string(),
                    })
                });
                println!(
                    "{}",
                    json!({
                        "verified": ok,
                        "links": report.links,
                        "entries": report.entries,
                        "own_checkpoints": report.own_checkpoints,
                        "partner_checkpoints": report.partner_checkpoints,
                        "first_divergence": first,
                    })
                );
            } else {
                println!(
                    "{} link(s), {} entries, {} own and {} partner checkpoint(s)",
                    report.links,
                    report.entries,
                    report.own_checkpoints,
                    report.partner_checkpoints
                );
                match &report.first_divergence {
                    None => println!("ledger verified"),
                    Some(d) => println!("DIVERGENCE: {d}"),
                }
            }
            Ok(ok)
        }
        LedgerCommand::Report { config, json } => {
            let c = LinkCentre::load(&config)?;
            let store = c.store()?;
            let r = store.ledger().report()?;
            if json {
                let rows: Vec<_> = r
                    .rows
                    .iter()
                    .map(|row| {
                        json!({
                            "link": row.link,
                            "day": row.day.to_string(),
                            "kind": row.kind,
                            "sent": {"count": row.sent.count, "bytes": row.sent.bytes},
                            "received": {"count": row.received.count, "bytes": row.received.bytes},
                        })
                    })
                    .collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({ "rows": rows }))?
                );
            } else {
                println!(
                    "{:<28} {:<10} {:<9} {:>10} {:>12} {:>10} {:>12}",
                    "link", "day", "kind", "sent", "sent bytes", "received", "recv bytes"
                );
                for row in &r.rows {
                    println!(
                        "{:<28} {:<10} {:<9} {:>10} {:>12} {:>10} {:>12}",
                        row.link,
                        row.day.to_string(),
                        row.kind,
                        row.sent.count,
                        row.sent.bytes,
                        row.received.count,
                        row.received.bytes
                    );
                }
            }
            Ok(true)
        }
    }
}

/// Runs `vigil link`.
pub fn link_cmd(cmd: LinkCommand) -> Result<()> {
    match cmd {
        LinkCommand::Inbox { config } => {
            let c = LinkCentre::load(&config)?;
            let store = c.store()?;
            for line in links::inbox_json(&store)? {
                println!("{line}");
            }
            Ok(())
        }
        LinkCommand::Serve {
            config,
            tracks,
            track_rate,
            events,
            event_rate,
            first_event,
            seconds,
            until_acked,
        } => {
            let c = LinkCentre::load(&config)?;
            let drill = Drill {
                tracks,
                track_rate,
                events,
                event_rate,
                area: (54.6, 20.5),
            };
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .thread_name("vigil-link")
                .build()
                .context("cannot start the async runtime")?;
            runtime.block_on(serve(c, drill, first_event, seconds, until_acked))
        }
    }
}

async fn serve(
    c: LinkCentre,
    drill: Drill,
    first_event: u64,
    seconds: Option<f64>,
    until_acked: bool,
) -> Result<()> {
    let cfg = &c.loaded.config;
    let airspace = vigil::renegade::load_airspace(&cfg.renegade, &c.loaded.base_dir)?;
    let links_cfg = cfg.links.build(
        &c.loaded.base_dir,
        c.party(),
        c.centre(),
        cfg.centre.exercise,
        airspace.as_deref(),
    )?;
    let store = Arc::new(Mutex::new(c.store()?));
    let shutdown = CancellationToken::new();
    let clock: Arc<dyn Clock> = links::clock();
    let (running, mut delivered) = vigil_link::net::CentreLinks::start(
        links_cfg,
        store.clone(),
        clock.clone(),
        shutdown.clone(),
    )
    .await?;
    if let Some(a) = running.local_addr() {
        eprintln!("listening for partners on {a}");
    }
    tokio::spawn(crate::signals(shutdown.clone()));
    let picture = Arc::new(Mutex::new(PartnerPicture::default()));
    {
        let picture = picture.clone();
        tokio::spawn(async move {
            while let Some(d) = delivered.recv().await {
                picture.lock().unwrap_or_else(|p| p.into_inner()).add(d);
            }
        });
    }
    let handles: Vec<_> = running.links().to_vec();
    let drill_done = Arc::new(AtomicBool::new(drill.events == 0));
    if drill.events > 0 || drill.track_rate > 0.0 {
        tokio::spawn(run_drill(
            drill,
            first_event,
            vigil_release::Origin::new(c.party(), c.centre()),
            handles.clone(),
            clock.clone(),
            drill_done.clone(),
            shutdown.clone(),
        ));
    }
    let started = std::time::Instant::now();
    let mut status = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            _ = status.tick() => {}
        }
        for h in &handles {
            let s = h.status();
            eprintln!(
                "link {}: {:?} with {}: sent {} (unacked {}, waiting {} events {} tracks), received {} (duplicates {}), refused {}",
                s.link,
                s.state,
                s.partner,
                s.last_sent,
                s.unacked,
                s.waiting_events,
                s.waiting_tracks,
                s.received,
                s.duplicates,
                running.refused(),
            );
        }
        if seconds.is_some_and(|s| started.elapsed().as_secs_f64() >= s) {
            break;
        }
        if until_acked
            && drill_done.load(Ordering::Relaxed)
            && handles.iter().all(|h| {
                let s = h.status();
                s.unacked == 0 && s.waiting_events == 0
            })
        {
            // Everything acknowledged: a last signed checkpoint before leaving.
            for h in &handles {
                let _ = h.checkpoint_now().await;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
            break;
        }
    }
    shutdown.cancel();
    let statuses: Vec<_> = handles.iter().map(|h| h.status()).collect();
    let refused = running.refused();
    running.join().await;
    let received = picture.lock().unwrap_or_else(|p| p.into_inner()).json()["received"].clone();
    println!(
        "{}",
        json!({
            "links": statuses,
            "refused": refused,
            "partner_messages": received,
        })
    );
    Ok(())
}

/// Offers the drill's traffic to every link, paced on the clock.
async fn run_drill(
    drill: Drill,
    first_event: u64,
    origin: vigil_release::Origin,
    handles: Vec<vigil_link::link::LinkHandle>,
    clock: Arc<dyn Clock>,
    done: Arc<AtomicBool>,
    stop: CancellationToken,
) {
    let start = clock.now();
    let mut next_event = first_event;
    let last_event = first_event + drill.events;
    let mut tracks_sent = 0u64;
    let mut tick = tokio::time::interval(Duration::from_millis(5));
    while !stop.is_cancelled() {
        tick.tick().await;
        let now = clock.now();
        let elapsed = now.since(start);
        let due = (first_event + (elapsed * drill.event_rate) as u64 + 1).min(last_event);
        while next_event < due {
            for h in &handles {
                if h.offer(drill.event(next_event, now, &origin))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            next_event += 1;
        }
        if next_event >= last_event {
            done.store(true, Ordering::Relaxed);
        }
        let due_tracks = (elapsed * drill.track_rate) as u64;
        while tracks_sent < due_tracks {
            for h in &handles {
                if h.offer(drill.track(tracks_sent, now, &origin))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            tracks_sent += 1;
        }
    }
}
