//! One link's protocol engine: release, sequencing, transmission, acknowledgement, resume,
//! duplicate suppression, heartbeats, checkpoints and the link's state.
//!
//! A link is one task (the actor) that owns its [`Releaser`] and its outbound queues; the
//! network side hands it connections ([`Conn`]) as they come and go. Nothing reaches the
//! wire except through [`Releaser::release`] or [`Releaser::due`]: the actor is the only
//! writer of a connection's outbound channel.
//!
//! Delivery, both ends:
//! - A released message is encoded at once. Events (alerts, incident transitions,
//!   hand-overs) queue in order and are never dropped. A track update waits in a map keyed
//!   by track: a newer update replaces one not yet sequenced (newest wins).
//! - Sequencing gives a message its sequence number, ledgers it as sent and keeps it in the
//!   store's outbound buffer, in one transaction per batch. Events are sequenced at once;
//!   track updates only while fewer than `window` messages wait for an acknowledgement, so
//!   under backpressure the track map absorbs the load and only superseded updates are lost.
//! - On a new connection both ends send `Hello` with the last sequence number they stored;
//!   each resends what the other has not stored, in order.
//! - The receiver drops what it already stored (duplicates after a resume), ledgers and
//!   stores the rest in one transaction per batch, delivers it, then acknowledges it. An
//!   acknowledged message is therefore in the receiver's store: a crash after the ack
//!   cannot lose it, and a crash before it makes the sender resend it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};
use vigil_core::{Clock, UnixTime};
use vigil_ledger::{SigningKey, VerifyingKey};
use vigil_release::{Decision, Outbound, Releaser};

use crate::certs::CentreName;
use crate::store::{LinkStore, Received, Sequenced};
use crate::wire::{self, Inbound, pb};

/// The settings of one link.
#[derive(Debug, Clone)]
pub struct LinkSettings {
    /// The link's name, the same at both ends (ledger key).
    pub name: String,
    /// This centre.
    pub own: CentreName,
    /// The partner centre.
    pub partner: CentreName,
    /// Heartbeat period (3 s by default).
    pub heartbeat: Duration,
    /// Period of signed checkpoints (60 s by default).
    pub checkpoint_every: Duration,
    /// Messages sequenced but not yet acknowledged beyond which track updates wait (and
    /// coalesce, newest wins). Events are sequenced regardless.
    pub window: usize,
    /// Most messages per ledger transaction.
    pub batch: usize,
    /// This centre runs an exercise: everything it sends is labelled so.
    pub exercise: bool,
}

impl LinkSettings {
    /// Settings with the defaults.
    pub fn new(name: impl Into<String>, own: CentreName, partner: CentreName) -> Self {
        LinkSettings {
            name: name.into(),
            own,
            partner,
            heartbeat: Duration::from_secs(3),
            checkpoint_every: Duration::from_secs(60),
            window: 32_768,
            batch: 4_096,
            exercise: false,
        }
    }
}

/// A data message received from a partner.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivered {
    /// The link it came on.
    pub link: String,
    /// The authenticated partner centre that sent it (the message's own `origin` says
    /// where the data comes from; they differ only when the partner forwards).
    pub from: CentreName,
    /// The partner's sequence number.
    pub seq: u64,
    /// Exercise data.
    pub exercise: bool,
    /// When this centre stored it.
    pub received: UnixTime,
    /// The message.
    pub msg: Outbound,
}

/// A link's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    /// No connection.
    Down,
    /// Connected, waiting for the partner's hello.
    Connecting,
    /// Exchanging.
    Up,
    /// Connected but the partner is late (no message for two heartbeat periods) or the
    /// outbound window is full.
    Degraded,
}

/// What a link reports (the UI's link panel, `/data/links.json`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LinkStatus {
    /// The link.
    pub link: String,
    /// The partner centre (`centre.party`).
    pub partner: String,
    /// State.
    pub state: LinkState,
    /// When the last message from the partner arrived.
    pub last_heard: Option<UnixTime>,
    /// When the last heartbeat from the partner arrived.
    pub last_heartbeat: Option<UnixTime>,
    /// The partner's clock minus ours at its last heartbeat, seconds (includes transit).
    pub lag_s: Option<f64>,
    /// Messages sent and not yet acknowledged.
    pub unacked: usize,
    /// Track updates waiting for the window.
    pub waiting_tracks: usize,
    /// Events waiting to be sequenced.
    pub waiting_events: usize,
    /// Highest sequence number sent.
    pub last_sent: u64,
    /// Highest partner sequence number stored.
    pub last_received: u64,
    /// Data messages received on the link.
    pub received: u64,
    /// Duplicates dropped (resends after a resume).
    pub duplicates: u64,
    /// Messages the release policy withheld.
    pub withheld: u64,
    /// Inbound envelopes refused as malformed.
    pub malformed: u64,
    /// Connections closed for a bad hello.
    pub refused: u64,
    /// Connections made.
    pub connections: u64,
    /// The last own checkpoint sent: sequence number and time.
    pub last_checkpoint: Option<(u64, UnixTime)>,
    /// The last partner checkpoint received and whether it agreed with our chain.
    pub last_partner_checkpoint: Option<(u64, UnixTime, bool)>,
}

/// A connection handed to the link by the network side.
#[derive(Debug)]
pub struct Conn {
    /// Where the connection comes from, for logs.
    pub peer: String,
    /// The partner's certificate (DER) as authenticated by TLS.
    pub peer_cert: Vec<u8>,
    /// Outbound envelopes.
    pub tx: mpsc::Sender<pb::Envelope>,
    /// Inbound envelopes, decoded by tonic; `None` when the stream ends.
    pub rx: mpsc::Receiver<Result<pb::Envelope, String>>,
}

/// Commands to a link.
#[derive(Debug)]
pub(crate) enum Control {
    /// Sign and send a checkpoint now.
    Checkpoint,
}

/// Errors a link reports to the code that feeds it.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The link has shut down.
    #[error("link '{0}' has shut down")]
    Closed(String),
    /// The store failed: the link stops rather than lose what it acknowledged.
    #[error("link '{link}': {source}")]
    Store {
        /// The link.
        link: String,
        /// The error.
        #[source]
        source: crate::store::StoreError,
    },
}

/// The handle the centre feeds a link with.
#[derive(Debug, Clone)]
pub struct LinkHandle {
    name: String,
    tx: mpsc::Sender<Outbound>,
    ctl: mpsc::Sender<Control>,
    status: watch::Receiver<LinkStatus>,
}

impl LinkHandle {
    /// The link's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Offers a message to the link's release policy (waits when the link's input is full).
    pub async fn offer(&self, msg: Outbound) -> Result<(), LinkError> {
        self.tx
            .send(msg)
            .await
            .map_err(|_| LinkError::Closed(self.name.clone()))
    }

    /// Offers a message without waiting; gives it back when the input is full (`None` when
    /// the link has shut down).
    // The message comes back unboxed: a caller retries it, and boxing would cost an
    // allocation on the path that is busy already.
    #[allow(clippy::result_large_err)]
    pub fn try_offer(&self, msg: Outbound) -> Result<(), Option<Outbound>> {
        self.tx.try_send(msg).map_err(|e| match e {
            mpsc::error::TrySendError::Full(m) => Some(m),
            mpsc::error::TrySendError::Closed(_) => None,
        })
    }

    /// The link's status now.
    pub fn status(&self) -> LinkStatus {
        self.status.borrow().clone()
    }

    /// A receiver of status changes.
    pub fn watch(&self) -> watch::Receiver<LinkStatus> {
        self.status.clone()
    }

    /// Asks for a signed checkpoint to be sent now (once everything sequenced is sent).
    pub async fn checkpoint_now(&self) -> Result<(), LinkError> {
        self.ctl
            .send(Control::Checkpoint)
            .await
            .map_err(|_| LinkError::Closed(self.name.clone()))
    }
}

/// Everything a link's actor needs.
pub(crate) struct LinkParts {
    pub settings: LinkSettings,
    pub releaser: Releaser,
    pub store: Arc<Mutex<LinkStore>>,
    pub key: SigningKey,
    pub clock: Arc<dyn Clock>,
    pub delivered: mpsc::Sender<Delivered>,
    pub shutdown: CancellationToken,
}

/// Starts a link's actor. Returns its handle and the sender of its connections.
pub(crate) fn spawn(
    parts: LinkParts,
) -> Result<(LinkHandle, mpsc::Sender<Conn>, tokio::task::JoinHandle<()>), LinkError> {
    let (tx, rx) = mpsc::channel(8_192);
    let (ctl_tx, ctl_rx) = mpsc::channel(16);
    let (conn_tx, conn_rx) = mpsc::channel(4);
    let name = parts.settings.name.clone();
    let mut actor = Actor::new(parts, rx, ctl_rx, conn_rx)?;
    let status = actor.status_rx.clone();
    let join = tokio::spawn(async move {
        if let Err(e) = actor.run().await {
            warn!(link = %actor.s.name, "link stopped: {e}");
        }
    });
    Ok((
        LinkHandle {
            name,
            tx,
            ctl: ctl_tx,
            status,
        },
        conn_tx,
        join,
    ))
}

/// The live connection and what the link knows of it.
struct Live {
    conn: Conn,
    /// The partner's hello has arrived.
    hello: bool,
    /// Highest sequence number written to this connection.
    sent_upto: u64,
    /// The last ack value written to this connection.
    ack_sent: u64,
    /// The partner's verifying key (from its certificate).
    key: Option<VerifyingKey>,
    /// When the connection came.
    since: UnixTime,
}

struct Actor {
    s: LinkSettings,
    releaser: Releaser,
    store: Arc<Mutex<LinkStore>>,
    key: SigningKey,
    clock: Arc<dyn Clock>,
    delivered: mpsc::Sender<Delivered>,
    shutdown: CancellationToken,
    input: mpsc::Receiver<Outbound>,
    ctl: mpsc::Receiver<Control>,
    conns: mpsc::Receiver<Conn>,
    status_tx: watch::Sender<LinkStatus>,
    status_rx: watch::Receiver<LinkStatus>,
    st: LinkStatus,

    /// Events released, encoded, waiting to be sequenced: (kind code, ledger kind, payload).
    events: VecDeque<(u8, &'static str, Vec<u8>)>,
    /// Track updates released, encoded, waiting for the window: newest per track.
    tracks: HashMap<u64, Vec<u8>>,
    /// Order of the tracks waiting (a track keeps its place when its update is replaced).
    track_order: VecDeque<u64>,
    /// Sequenced, not yet acknowledged, in sequence order.
    unacked: VecDeque<Sequenced>,
    /// Highest sequence number acknowledged by the partner; persisted lazily.
    acked: u64,
    acked_stored: u64,
    live: Option<Live>,
    checkpoint_wanted: bool,
    last_checkpoint_at: UnixTime,
    scratch: Vec<Outbound>,
}

/// A data message received: seq, kind, exercise, payload, and the checked message (or why
/// it was refused: then it is ledgered and kept in the inbox, not delivered).
type InboundData = (u64, pb::Kind, bool, Vec<u8>, Result<Outbound, String>);

fn data_code(kind: pb::Kind) -> u8 {
    kind as i32 as u8
}

impl Actor {
    fn new(
        p: LinkParts,
        input: mpsc::Receiver<Outbound>,
        ctl: mpsc::Receiver<Control>,
        conns: mpsc::Receiver<Conn>,
    ) -> Result<Actor, LinkError> {
        let name = p.settings.name.clone();
        let store_err = |source| LinkError::Store {
            link: name.clone(),
            source,
        };
        let (acked, unacked, last_sent, last_received) = {
            let db = lock(&p.store);
            let acked = db.acked(&name).map_err(store_err)?;
            let unacked: VecDeque<Sequenced> = db.unacked(&name, acked).map_err(store_err)?.into();
            let last_sent = db.last_sent(&name).map_err(store_err)?;
            (acked, unacked, last_sent, db.last_received(&name))
        };
        if !unacked.is_empty() {
            info!(link = %name, "resuming with {} unacknowledged messages from the store", unacked.len());
        }
        let st = LinkStatus {
            link: name.clone(),
            partner: p.settings.partner.to_string(),
            state: LinkState::Down,
            last_heard: None,
            last_heartbeat: None,
            lag_s: None,
            unacked: unacked.len(),
            waiting_tracks: 0,
            waiting_events: 0,
            last_sent,
            last_received,
            received: 0,
            duplicates: 0,
            withheld: 0,
            malformed: 0,
            refused: 0,
            connections: 0,
            last_checkpoint: None,
            last_partner_checkpoint: None,
        };
        let (status_tx, status_rx) = watch::channel(st.clone());
        let now = p.clock.now();
        Ok(Actor {
            s: p.settings,
            releaser: p.releaser,
            store: p.store,
            key: p.key,
            clock: p.clock,
            delivered: p.delivered,
            shutdown: p.shutdown,
            input,
            ctl,
            conns,
            status_tx,
            status_rx,
            st,
            events: VecDeque::new(),
            tracks: HashMap::new(),
            track_order: VecDeque::new(),
            unacked,
            acked,
            acked_stored: acked,
            live: None,
            checkpoint_wanted: false,
            last_checkpoint_at: now,
            scratch: Vec::new(),
        })
    }

    fn store_err(&self, source: crate::store::StoreError) -> LinkError {
        LinkError::Store {
            link: self.s.name.clone(),
            source,
        }
    }

    async fn run(&mut self) -> Result<(), LinkError> {
        let mut heartbeat = tokio::time::interval(self.s.heartbeat);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The releaser's rate limits release held-back tracks over time.
        let mut due = tokio::time::interval(Duration::from_millis(100));
        due.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut input_buf: Vec<Outbound> = Vec::with_capacity(1_024);
        // Inbound envelopes are taken as they come, up to a ledger batch at a time: one
        // store transaction per batch on the receiving side too.
        let batch = self.s.batch.max(1);
        let mut inbound_buf: Vec<Result<pb::Envelope, String>> = Vec::with_capacity(batch);
        let mut input_open = true;
        loop {
            let live_rx = self.live.as_mut().map(|l| &mut l.conn.rx);
            tokio::select! {
                biased;
                () = self.shutdown.cancelled() => break,
                Some(conn) = self.conns.recv() => self.attach(conn),
                n = async {
                    match live_rx {
                        Some(rx) => rx.recv_many(&mut inbound_buf, batch).await,
                        None => std::future::pending().await,
                    }
                } => {
                    if n == 0 {
                        self.detach("stream ended");
                    } else {
                        self.inbound(&mut inbound_buf).await?;
                    }
                }
                n = self.input.recv_many(&mut input_buf, 1_024), if input_open => {
                    if n == 0 {
                        input_open = false;
                    }
                    let now = self.clock.now();
                    for msg in input_buf.drain(..) {
                        match self.releaser.release(&msg, now) {
                            Decision::Release(copy) => self.queue(&copy),
                            Decision::Deferred => {}
                            Decision::Withhold(_) => {}
                        }
                    }
                }
                Some(c) = self.ctl.recv() => match c {
                    Control::Checkpoint => self.checkpoint_wanted = true,
                },
                _ = due.tick() => {
                    let now = self.clock.now();
                    let mut out = std::mem::take(&mut self.scratch);
                    self.releaser.due(now, &mut out);
                    for m in out.drain(..) {
                        self.queue(&m);
                    }
                    self.scratch = out;
                    self.persist_ack()?;
                }
                _ = heartbeat.tick() => self.heartbeat()?,
            }
            self.pump()?;
        }
        // Clean shutdown: what is sequenced is in the store; what is acknowledged is noted.
        self.persist_ack()?;
        self.st.state = LinkState::Down;
        self.publish();
        Ok(())
    }

    /// Encodes a released message into the event queue or the track map.
    fn queue(&mut self, msg: &Outbound) {
        let Some((kind, payload)) = wire::encode_data(msg) else {
            return;
        };
        match msg {
            Outbound::Track(t) => {
                if self.tracks.insert(t.id, payload).is_none() {
                    self.track_order.push_back(t.id);
                }
            }
            _ => self
                .events
                .push_back((data_code(kind), wire::kind_name(kind), payload)),
        }
    }

    /// Sequences what may be sequenced, writes what may be written, acknowledges, and
    /// sends a checkpoint when one is due and everything sequenced has been written.
    fn pump(&mut self) -> Result<(), LinkError> {
        let now = self.clock.now();
        loop {
            let mut batch: Vec<(u8, &'static str, Vec<u8>)> = Vec::new();
            while batch.len() < self.s.batch {
                match self.events.pop_front() {
                    Some(e) => batch.push(e),
                    None => break,
                }
            }
            while batch.len() < self.s.batch && self.unacked.len() + batch.len() < self.s.window {
                let Some(id) = self.track_order.pop_front() else {
                    break;
                };
                if let Some(payload) = self.tracks.remove(&id) {
                    batch.push((data_code(pb::Kind::Track), "track", payload));
                }
            }
            if batch.is_empty() {
                break;
            }
            let seqd = blocking(|| lock(&self.store).sequence(&self.s.name, now, &batch))
                .map_err(|e| self.store_err(e))?;
            if let Some(last) = seqd.last() {
                self.st.last_sent = last.seq;
            }
            self.unacked.extend(seqd);
            if !self.write_data() {
                break;
            }
        }
        self.write_data();
        self.maybe_checkpoint(now)?;
        self.write_ack(now);
        self.st.unacked = self.unacked.len();
        self.st.waiting_tracks = self.tracks.len();
        self.st.waiting_events = self.events.len();
        Ok(())
    }

    /// Writes sequenced messages the connection has not had yet, while it takes them.
    /// Returns false when the connection is full (or absent).
    fn write_data(&mut self) -> bool {
        let ack = self.st.last_received;
        let exercise = self.s.exercise;
        let Some(live) = self.live.as_mut().filter(|l| l.hello) else {
            return false;
        };
        let start = self.unacked.partition_point(|m| m.seq <= live.sent_upto);
        for m in self.unacked.range(start..) {
            let env = wire::data_envelope(
                m.seq,
                ack,
                kind_from_code(m.kind),
                m.payload.clone(),
                exercise,
            );
            match live.conn.tx.try_send(env) {
                Ok(()) => {
                    live.sent_upto = m.seq;
                    live.ack_sent = ack;
                }
                Err(_) => return false,
            }
        }
        true
    }

    /// Acknowledges stored messages when no data envelope carried the ack.
    fn write_ack(&mut self, now: UnixTime) {
        let ack = self.st.last_received;
        let last_sent = self.st.last_sent;
        if let Some(live) = self.live.as_mut().filter(|l| l.hello && l.ack_sent < ack)
            && live
                .conn
                .tx
                .try_send(wire::heartbeat_envelope(ack, now, last_sent))
                .is_ok()
        {
            live.ack_sent = ack;
        }
    }

    fn maybe_checkpoint(&mut self, now: UnixTime) -> Result<(), LinkError> {
        let due = now.since(self.last_checkpoint_at) >= self.s.checkpoint_every.as_secs_f64();
        if !(self.checkpoint_wanted || due) {
            return Ok(());
        }
        // The checkpoint must follow every message it covers on the stream: only when all
        // that is sequenced has been written.
        let all_written = self
            .live
            .as_ref()
            .is_some_and(|l| l.hello && self.unacked.back().is_none_or(|m| m.seq <= l.sent_upto));
        if !all_written {
            return Ok(());
        }
        let cp = lock(&self.store)
            .checkpoint(&self.s.name, &self.key, now)
            .map_err(|e| self.store_err(e))?;
        let ack = self.st.last_received;
        if let Some(live) = self.live.as_mut()
            && live
                .conn
                .tx
                .try_send(wire::checkpoint_envelope(ack, &cp))
                .is_ok()
        {
            live.ack_sent = ack;
            self.checkpoint_wanted = false;
            self.last_checkpoint_at = now;
            self.st.last_checkpoint = Some((cp.seq, now));
            debug!(link = %self.s.name, seq = cp.seq, "checkpoint sent");
        }
        Ok(())
    }

    fn attach(&mut self, conn: Conn) {
        let key = match crate::certs::verifying_key_from_cert_der(&conn.peer_cert) {
            Ok(k) => Some(k),
            Err(e) => {
                warn!(link = %self.s.name, "partner certificate has no usable ed25519 key ({e}); its checkpoints cannot be verified");
                None
            }
        };
        let now = self.clock.now();
        let name = self.s.name.clone();
        if let Err(e) = lock(&self.store).remember_peer(
            &name,
            &self.s.partner.party,
            &self.s.partner.centre,
            &conn.peer_cert,
            now,
        ) {
            warn!(link = %name, "could not remember the partner's certificate: {e}");
        }
        let hello = wire::hello(
            &self.s.name,
            &self.s.own.party,
            &self.s.own.centre,
            self.st.last_received,
            self.s.exercise,
        );
        if conn.tx.try_send(hello).is_err() {
            warn!(link = %self.s.name, "new connection closed before hello");
            return;
        }
        if self.live.is_some() {
            info!(link = %self.s.name, "a new connection replaces the current one");
        }
        info!(link = %self.s.name, peer = %conn.peer, "connected; waiting for the partner's hello");
        self.st.connections += 1;
        self.st.state = LinkState::Connecting;
        self.live = Some(Live {
            conn,
            hello: false,
            sent_upto: 0,
            ack_sent: self.st.last_received,
            key,
            since: now,
        });
        self.publish();
    }

    fn detach(&mut self, why: &str) {
        if self.live.take().is_some() {
            info!(link = %self.s.name, "disconnected: {why}");
        }
        self.st.state = LinkState::Down;
        self.publish();
    }

    async fn inbound(
        &mut self,
        buf: &mut Vec<Result<pb::Envelope, String>>,
    ) -> Result<(), LinkError> {
        let now = self.clock.now();
        // Data is stored in one transaction per run of data envelopes; a control envelope
        // first flushes the run before it (a checkpoint covers what came before it).
        let mut run: Vec<InboundData> = Vec::new();
        let mut close: Option<String> = None;
        for item in buf.drain(..) {
            if close.is_some() {
                continue;
            }
            let env = match item {
                Ok(env) => env,
                Err(e) => {
                    close = Some(format!("stream error: {e}"));
                    continue;
                }
            };
            let checked = match env {
                pb::Envelope {
                    seq,
                    ack,
                    body: Some(pb::envelope::Body::Data(data)),
                } => {
                    wire::check_data(seq, ack, data).map_err(|(e, data)| (e, seq, ack, Some(data)))
                }
                env => wire::check(env).map_err(|e| (e, 0, 0, None)),
            };
            let checked = match checked {
                Ok(c) => c,
                Err((e, seq, ack, data)) => {
                    self.st.malformed += 1;
                    warn!(link = %self.s.name, seq, "malformed envelope refused: {e}");
                    // A numbered data message the partner sent (and ledgered) is ledgered
                    // here too, as what crossed, but not delivered: both chains stay
                    // comparable and the record shows what the partner sent.
                    let hello_seen = self.live.as_ref().is_some_and(|l| l.hello);
                    if let (Some(d), true) = (data.filter(|_| seq > 0), hello_seen) {
                        self.on_ack(ack);
                        let last = run.last().map(|r| r.0).unwrap_or(self.st.last_received);
                        if seq > last {
                            let kind = pb::Kind::try_from(d.kind).unwrap_or(pb::Kind::Unspecified);
                            run.push((seq, kind, d.exercise, d.payload, Err(e.to_string())));
                        }
                    }
                    continue;
                }
            };
            self.st.last_heard = Some(now);
            let hello_seen = self.live.as_ref().is_some_and(|l| l.hello);
            match checked {
                Inbound::Hello { hello, .. } => {
                    if let Err(why) = self.on_hello(&hello) {
                        self.st.refused += 1;
                        close = Some(why);
                    }
                }
                _ if !hello_seen => {
                    close = Some("data before hello".into());
                }
                Inbound::Data {
                    seq,
                    ack,
                    kind,
                    exercise,
                    payload,
                    msg,
                } => {
                    self.on_ack(ack);
                    let last = run.last().map(|r| r.0).unwrap_or(self.st.last_received);
                    if seq <= last {
                        self.st.duplicates += 1;
                    } else {
                        run.push((seq, kind, exercise, payload, Ok(msg)));
                    }
                }
                Inbound::Heartbeat { ack, time, .. } => {
                    self.on_ack(ack);
                    self.st.last_heartbeat = Some(now);
                    self.st.lag_s = Some(now.since(time));
                }
                Inbound::Checkpoint { ack, checkpoint } => {
                    self.on_ack(ack);
                    self.store_run(&mut run, now).await?;
                    self.on_checkpoint(&checkpoint, now);
                }
            }
        }
        self.store_run(&mut run, now).await?;
        if let Some(why) = close {
            warn!(link = %self.s.name, "closing connection: {why}");
            self.detach(&why);
        } else if self.live.as_ref().is_some_and(|l| l.hello) {
            self.st.state = LinkState::Up;
        }
        self.publish();
        Ok(())
    }

    fn on_hello(&mut self, h: &pb::Hello) -> Result<(), String> {
        if h.link != self.s.name {
            return Err(format!(
                "hello names link '{}', expected '{}'",
                h.link, self.s.name
            ));
        }
        if h.party != self.s.partner.party || h.centre != self.s.partner.centre {
            return Err(format!(
                "hello from {}.{}, but the certificate is {}",
                h.centre, h.party, self.s.partner
            ));
        }
        self.on_ack(h.last_received);
        let Some(live) = self.live.as_mut() else {
            return Err("hello without a connection".into());
        };
        live.hello = true;
        // Resend everything after what the partner stored.
        live.sent_upto = h.last_received.max(self.acked);
        // And a signed checkpoint once that is written: each connection gives the partner
        // this side's word on the chain at once, not only after `checkpoint_every`.
        self.checkpoint_wanted = true;
        info!(link = %self.s.name, resume_after = live.sent_upto, unacked = self.unacked.len(), "link up");
        Ok(())
    }

    fn on_ack(&mut self, ack: u64) {
        if ack <= self.acked {
            return;
        }
        self.acked = ack;
        while self.unacked.front().is_some_and(|m| m.seq <= ack) {
            self.unacked.pop_front();
        }
    }

    fn persist_ack(&mut self) -> Result<(), LinkError> {
        if self.acked > self.acked_stored {
            lock(&self.store)
                .ack(&self.s.name, self.acked)
                .map_err(|e| self.store_err(e))?;
            self.acked_stored = self.acked;
        }
        Ok(())
    }

    async fn store_run(
        &mut self,
        run: &mut Vec<InboundData>,
        now: UnixTime,
    ) -> Result<(), LinkError> {
        if run.is_empty() {
            return Ok(());
        }
        for chunk in run.chunks(self.s.batch.max(1)) {
            let rows: Vec<Received<'_>> = chunk
                .iter()
                .map(|(seq, kind, exercise, payload, msg)| Received {
                    seq: *seq,
                    // The kind the sender ledgered (both chains must agree on it).
                    kind: wire::kind_name(*kind),
                    payload,
                    // Events, and what was refused (for the record), go to the inbox.
                    keep: *kind != pb::Kind::Track || msg.is_err(),
                    exercise: *exercise,
                    refused: msg.as_ref().err().map(String::as_str),
                })
                .collect();
            blocking(|| lock(&self.store).receive(&self.s.name, now, &rows))
                .map_err(|e| self.store_err(e))?;
        }
        for (seq, _, exercise, _, msg) in run.drain(..) {
            self.st.last_received = seq;
            self.st.received += 1;
            let Ok(msg) = msg else {
                continue;
            };
            let d = Delivered {
                link: self.s.name.clone(),
                from: self.s.partner.clone(),
                seq,
                exercise,
                received: now,
                msg,
            };
            // Stored before delivery: a closed consumer (centre shutting down) loses
            // nothing, the inbox has it.
            if self.delivered.send(d).await.is_err() {
                debug!(link = %self.s.name, "delivery consumer gone");
            }
        }
        Ok(())
    }

    fn on_checkpoint(&mut self, cp: &vigil_ledger::Checkpoint, now: UnixTime) {
        let Some(key) = self.live.as_ref().and_then(|l| l.key) else {
            warn!(link = %self.s.name, "partner checkpoint ignored: no partner key");
            return;
        };
        if cp.link != self.s.name
            || cp.party != self.s.partner.party
            || cp.centre != self.s.partner.centre
        {
            warn!(link = %self.s.name, "partner checkpoint for another link or centre refused");
            return;
        }
        match lock(&self.store).partner_checkpoint(cp, &key) {
            Ok(None) => self.st.last_partner_checkpoint = Some((cp.seq, now, true)),
            Ok(Some(d)) => {
                warn!(link = %self.s.name, "partner checkpoint disagrees with our ledger: {d}");
                self.st.last_partner_checkpoint = Some((cp.seq, now, false));
            }
            Err(e) => warn!(link = %self.s.name, "partner checkpoint refused: {e}"),
        }
    }

    fn heartbeat(&mut self) -> Result<(), LinkError> {
        let now = self.clock.now();
        self.persist_ack()?;
        // A connection whose partner never says hello (another program on the port, a
        // stuck peer) is dropped after three heartbeat periods; the dialer tries again.
        let silent = self
            .live
            .as_ref()
            .is_some_and(|l| !l.hello && now.since(l.since) > 3.0 * self.s.heartbeat.as_secs_f64());
        if silent {
            warn!(link = %self.s.name, "no hello from the partner: closing the connection");
            self.detach("no hello");
        }
        let ack = self.st.last_received;
        let last_sent = self.st.last_sent;
        if let Some(live) = self.live.as_mut().filter(|l| l.hello) {
            if live
                .conn
                .tx
                .try_send(wire::heartbeat_envelope(ack, now, last_sent))
                .is_ok()
            {
                live.ack_sent = ack;
            }
            let late = self
                .st
                .last_heard
                .is_none_or(|t| now.since(t) > 2.0 * self.s.heartbeat.as_secs_f64());
            self.st.state = if late || self.unacked.len() >= self.s.window {
                LinkState::Degraded
            } else {
                LinkState::Up
            };
        }
        self.publish();
        Ok(())
    }

    fn publish(&mut self) {
        self.st.unacked = self.unacked.len();
        self.st.waiting_tracks = self.tracks.len();
        self.st.waiting_events = self.events.len();
        self.st.withheld = Reasons::total(&self.releaser);
        self.status_tx.send_replace(self.st.clone());
    }
}

/// Sum of the releaser's withheld counters.
struct Reasons;
impl Reasons {
    fn total(r: &Releaser) -> u64 {
        vigil_release::Reason::ALL
            .iter()
            .map(|&x| r.counters().withheld(x))
            .sum()
    }
}

fn kind_from_code(code: u8) -> pb::Kind {
    pb::Kind::try_from(i32::from(code)).unwrap_or(pb::Kind::Unspecified)
}

/// Runs a store transaction (milliseconds of SQLite work) without stalling the other tasks
/// of this worker thread (TLS, gRPC, the partner's link): on a multi-threaded runtime the
/// worker hands its other tasks over first. Elsewhere (tests on a current-thread runtime)
/// it just runs.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// Locks the link store. A poisoned lock means another link panicked mid-transaction;
/// SQLite rolled that transaction back, so the store itself is consistent: carry on.
pub(crate) fn lock(store: &Mutex<LinkStore>) -> std::sync::MutexGuard<'_, LinkStore> {
    store.lock().unwrap_or_else(|p| p.into_inner())
}
