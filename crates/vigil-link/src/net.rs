//! The network side of a centre's links: one gRPC server (for the links the partner
//! dials) and one dialer per link this centre dials, both over mutual TLS.
//!
//! TLS is terminated here, not by tonic, so every connection is checked against the
//! specific link it claims (partner CA, identity, revocation list) before any byte of gRPC
//! is read: a refused peer is logged, counted and dropped after the handshake.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::Stream;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::Connected;
use tonic::{Request, Response, Status, Streaming};
use tracing::{info, warn};
use vigil_core::Clock;
use vigil_ledger::SigningKey;
use vigil_release::Releaser;

use crate::link::{self, Conn, Delivered, LinkError, LinkHandle, LinkParts, LinkSettings};
use crate::store::LinkStore;
use crate::tls::{self, LinkTrust, OwnIdentity};
use crate::wire::{self, pb};

/// One link of a centre.
pub struct LinkSpec {
    /// Its settings.
    pub settings: LinkSettings,
    /// How the partner is authenticated.
    pub trust: LinkTrust,
    /// The partner's address when this centre dials; `None` when the partner dials us.
    pub dial: Option<String>,
    /// The link's release policy, applied to everything offered to it.
    pub releaser: Releaser,
}

/// A centre's links and how to run them.
pub struct CentreLinksConfig {
    /// This centre's certificate and key (the key also signs ledger checkpoints).
    pub own: OwnIdentity,
    /// Where to listen for partners that dial (`None`: this centre only dials).
    pub listen: Option<SocketAddr>,
    /// The links.
    pub links: Vec<LinkSpec>,
}

/// Errors starting a centre's links.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// TLS set-up failed.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// The key does not sign checkpoints.
    #[error(transparent)]
    Cert(#[from] crate::certs::CertError),
    /// A link failed to start.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// The listener could not bind.
    #[error("cannot listen on {addr}: {source} (is another centre using the port?)")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// Two links have the same name.
    #[error("link '{0}' is configured twice")]
    Duplicate(String),
}

/// A running centre's links.
pub struct CentreLinks {
    handles: Vec<LinkHandle>,
    local_addr: Option<SocketAddr>,
    refused: Arc<AtomicU64>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for CentreLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CentreLinks")
            .field("links", &self.handles.len())
            .field("local_addr", &self.local_addr)
            .finish()
    }
}

/// Who a server-side connection is, established at the TLS handshake.
#[derive(Debug, Clone)]
struct PeerInfo {
    link: usize,
    addr: SocketAddr,
    cert: Vec<u8>,
}

/// A TLS connection with its checked peer, as tonic's server takes it.
struct PeerStream {
    io: tokio_rustls::server::TlsStream<TcpStream>,
    info: PeerInfo,
}

impl Connected for PeerStream {
    type ConnectInfo = PeerInfo;
    fn connect_info(&self) -> PeerInfo {
        self.info.clone()
    }
}

impl tokio::io::AsyncRead for PeerStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for PeerStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }
    fn poll_flush(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

/// Outbound envelopes queued per connection before the link waits.
const CONN_QUEUE: usize = 8_192;

type EnvelopeStream = Pin<Box<dyn Stream<Item = Result<pb::Envelope, Status>> + Send + 'static>>;

/// The gRPC service: hands each authenticated stream to its link.
struct Service {
    attach: Vec<mpsc::Sender<Conn>>,
}

#[tonic::async_trait]
impl pb::link_server::Link for Service {
    type ExchangeStream = EnvelopeStream;

    async fn exchange(
        &self,
        request: Request<Streaming<pb::Envelope>>,
    ) -> Result<Response<EnvelopeStream>, Status> {
        let Some(info) = request.extensions().get::<PeerInfo>().cloned() else {
            return Err(Status::unauthenticated("no authenticated peer"));
        };
        let Some(attach) = self.attach.get(info.link) else {
            return Err(Status::internal("unknown link"));
        };
        let (out_tx, out_rx) = mpsc::channel(CONN_QUEUE);
        let (in_tx, in_rx) = mpsc::channel(CONN_QUEUE);
        let conn = Conn {
            peer: info.addr.to_string(),
            peer_cert: info.cert,
            tx: out_tx,
            rx: in_rx,
        };
        attach
            .send(conn)
            .await
            .map_err(|_| Status::unavailable("link shutting down"))?;
        tokio::spawn(read_stream(request.into_inner(), in_tx));
        let out = ReceiverStream::new(out_rx).map(Ok::<_, Status>);
        Ok(Response::new(Box::pin(out)))
    }
}

/// Forwards a gRPC stream's envelopes to the link until it ends.
async fn read_stream(
    mut stream: Streaming<pb::Envelope>,
    tx: mpsc::Sender<Result<pb::Envelope, String>>,
) {
    loop {
        match stream.message().await {
            Ok(Some(env)) => {
                if tx.send(Ok(env)).await.is_err() {
                    return;
                }
            }
            Ok(None) => return,
            Err(status) => {
                let _ = tx.send(Err(status.message().to_owned())).await;
                return;
            }
        }
    }
}

impl CentreLinks {
    /// Starts the links: the listener (if any), a dialer per dialing link, an actor per
    /// link. Partner data arrives on the returned receiver (bounded: a slow consumer
    /// slows the links, it never loses data).
    pub async fn start(
        cfg: CentreLinksConfig,
        store: Arc<Mutex<LinkStore>>,
        clock: Arc<dyn Clock>,
        shutdown: CancellationToken,
    ) -> Result<(CentreLinks, mpsc::Receiver<Delivered>), StartError> {
        let key: SigningKey = crate::certs::signing_key_from_pem(&cfg.own.key_pem)?;
        let (delivered_tx, delivered_rx) = mpsc::channel(16_384);
        let mut handles = Vec::new();
        let mut attach = Vec::new();
        let mut tasks = Vec::new();
        let mut trusts = Vec::new();
        let mut dials = Vec::new();
        for spec in cfg.links {
            if handles
                .iter()
                .any(|h: &LinkHandle| h.name() == spec.settings.name)
            {
                return Err(StartError::Duplicate(spec.settings.name));
            }
            let (h, conn_tx, join) = link::spawn(LinkParts {
                settings: spec.settings,
                releaser: spec.releaser,
                store: store.clone(),
                key: key.clone(),
                clock: clock.clone(),
                delivered: delivered_tx.clone(),
                shutdown: shutdown.clone(),
            })?;
            tasks.push(join);
            if let Some(addr) = spec.dial {
                dials.push((
                    h.name().to_owned(),
                    addr,
                    spec.trust.clone(),
                    conn_tx.clone(),
                ));
            }
            handles.push(h);
            attach.push(conn_tx);
            trusts.push(spec.trust);
        }
        let refused = Arc::new(AtomicU64::new(0));
        let mut local_addr = None;
        if let Some(addr) = cfg.listen {
            let listener = TcpListener::bind(addr)
                .await
                .map_err(|source| StartError::Bind { addr, source })?;
            local_addr = listener.local_addr().ok();
            let server_cfg = tls::server_config(&cfg.own, &trusts)?;
            let (inc_tx, inc_rx) = mpsc::channel::<Result<PeerStream, std::io::Error>>(16);
            tasks.push(tokio::spawn(accept_loop(
                listener,
                tokio_rustls::TlsAcceptor::from(server_cfg),
                Arc::new(trusts.clone()),
                inc_tx,
                refused.clone(),
                clock.clone(),
                shutdown.clone(),
            )));
            let svc = pb::link_server::LinkServer::new(Service { attach })
                .max_decoding_message_size(wire::MAX_ENVELOPE_BYTES);
            let stop = shutdown.clone();
            tasks.push(tokio::spawn(async move {
                let r = tonic::transport::Server::builder()
                    .http2_keepalive_interval(Some(Duration::from_secs(10)))
                    .add_service(svc)
                    .serve_with_incoming_shutdown(ReceiverStream::new(inc_rx), stop.cancelled())
                    .await;
                if let Err(e) = r {
                    warn!("link server stopped: {e}");
                }
            }));
        }
        for (name, addr, trust, conn_tx) in dials {
            let client_cfg = tls::client_config(&cfg.own, &trust)?;
            let server_name = tls::server_name(&trust)?;
            tasks.push(tokio::spawn(dial_loop(
                name,
                addr,
                tokio_rustls::TlsConnector::from(client_cfg),
                server_name,
                conn_tx,
                shutdown.clone(),
            )));
        }
        Ok((
            CentreLinks {
                handles,
                local_addr,
                refused,
                tasks,
            },
            delivered_rx,
        ))
    }

    /// The links, in configuration order.
    pub fn links(&self) -> &[LinkHandle] {
        &self.handles
    }

    /// One link by name.
    pub fn link(&self, name: &str) -> Option<&LinkHandle> {
        self.handles.iter().find(|h| h.name() == name)
    }

    /// The address the listener bound (useful with port 0).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local_addr
    }

    /// Connections refused at the TLS layer (unknown CA, expired, revoked, wrong identity).
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// The counter behind [`CentreLinks::refused`], for status pages.
    pub fn refused_counter(&self) -> Arc<AtomicU64> {
        self.refused.clone()
    }

    /// Waits for every task to end (after the shutdown token is cancelled).
    pub async fn join(self) {
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    trusts: Arc<Vec<LinkTrust>>,
    incoming: mpsc::Sender<Result<PeerStream, std::io::Error>>,
    refused: Arc<AtomicU64>,
    clock: Arc<dyn Clock>,
    shutdown: CancellationToken,
) {
    loop {
        let (tcp, addr) = tokio::select! {
            () = shutdown.cancelled() => return,
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    warn!("link listener: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let trusts = trusts.clone();
        let incoming = incoming.clone();
        let refused = refused.clone();
        let clock = clock.clone();
        tokio::spawn(async move {
            let hs = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await;
            let tls = match hs {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => {
                    refused.fetch_add(1, Ordering::Relaxed);
                    // The classified errors say "refused: <why> (<what to do>)".
                    let why = tls::classify(&e)
                        .map(|c| c.to_string())
                        .unwrap_or_else(|| format!("refused: TLS handshake failed: {e}"));
                    warn!(peer = %addr, "link connection {why}");
                    return;
                }
                Err(_) => {
                    refused.fetch_add(1, Ordering::Relaxed);
                    warn!(peer = %addr, "link connection refused: TLS handshake timed out");
                    return;
                }
            };
            let chain = tls
                .get_ref()
                .1
                .peer_certificates()
                .map(|c| c.to_vec())
                .unwrap_or_default();
            let now = clock.now().0 as i64;
            match tls::identify_peer(&chain, &trusts, now) {
                Ok((link, name)) => {
                    info!(peer = %addr, centre = %name, "link: partner authenticated");
                    let cert = chain.first().map(|c| c.to_vec()).unwrap_or_default();
                    let _ = incoming
                        .send(Ok(PeerStream {
                            io: tls,
                            info: PeerInfo { link, addr, cert },
                        }))
                        .await;
                }
                Err(e) => {
                    refused.fetch_add(1, Ordering::Relaxed);
                    warn!(peer = %addr, "link connection {e}");
                }
            }
        });
    }
}

async fn dial_loop(
    name: String,
    addr: String,
    connector: tokio_rustls::TlsConnector,
    server_name: rustls_pki_types::ServerName<'static>,
    attach: mpsc::Sender<Conn>,
    shutdown: CancellationToken,
) {
    let mut backoff = Duration::from_millis(100);
    loop {
        if shutdown.is_cancelled() {
            return;
        }
        match dial_once(&addr, &connector, &server_name, &attach).await {
            Ok(reader) => {
                backoff = Duration::from_millis(100);
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    _ = reader => {}
                }
            }
            Err(why) => {
                warn!(link = %name, "dialing {addr} failed: {why}; retrying in {backoff:?}");
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

/// Connects once; returns the reader task, which ends with the stream.
async fn dial_once(
    addr: &str,
    connector: &tokio_rustls::TlsConnector,
    server_name: &rustls_pki_types::ServerName<'static>,
    attach: &mpsc::Sender<Conn>,
) -> Result<tokio::task::JoinHandle<()>, String> {
    let tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let _ = tcp.set_nodelay(true);
    let tls = connector
        .connect(server_name.clone(), tcp)
        .await
        .map_err(|e| {
            tls::classify(&e)
                .map(|c| c.to_string())
                .unwrap_or_else(|| e.to_string())
        })?;
    let cert = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| c.to_vec())
        .unwrap_or_default();
    // One pre-established connection: the connector hands it out once.
    let slot = Arc::new(Mutex::new(Some(tls)));
    let channel = tonic::transport::Endpoint::from_static("http://vigil.link")
        .http2_keep_alive_interval(Duration::from_secs(10))
        .connect_with_connector(tower::service_fn(move |_| {
            let slot = slot.clone();
            async move {
                let io = slot
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .take()
                    .ok_or_else(|| std::io::Error::other("connection already used"))?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(io))
            }
        }))
        .await
        .map_err(|e| e.to_string())?;
    let mut client = pb::link_client::LinkClient::new(channel)
        .max_decoding_message_size(wire::MAX_ENVELOPE_BYTES);
    let (out_tx, out_rx) = mpsc::channel(CONN_QUEUE);
    let (in_tx, in_rx) = mpsc::channel(CONN_QUEUE);
    // The link sends its hello as soon as it has the connection; the request stream is
    // open before the call so that hello flows at once.
    attach
        .send(Conn {
            peer: addr.to_owned(),
            peer_cert: cert,
            tx: out_tx,
            rx: in_rx,
        })
        .await
        .map_err(|_| "link shutting down".to_owned())?;
    let response = client
        .exchange(ReceiverStream::new(out_rx))
        .await
        .map_err(|s| format!("partner refused the stream: {}", s.message()))?;
    Ok(tokio::spawn(read_stream(response.into_inner(), in_tx)))
}
