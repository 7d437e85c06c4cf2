//! The front listener: the public address, in front of Rocket. Rocket 0.5 serves HTTP/1 with no
//! header-read timeout and no connection bound (hyper's `header_read_timeout(None)` is
//! hard-coded), and it would take the client's word for its address and for where one request
//! ends. Rocket listens on a loopback port of this process, and every client connection passes
//! through here:
//!
//! - one request per connection: the head is parsed here, once, with the parser hyper uses
//!   (`head.rs`), refused if it is ambiguous, and written anew; exactly its body follows it to
//!   Rocket, and nothing the client sends after it (Rocket keeps no connection alive either);
//! - the client's address goes to Rocket under a header name drawn at random for each process
//!   (Rocket's `ip_header`), and every copy of it a client sends is dropped: no client, and no
//!   local process talking to Rocket's own port, can claim an address;
//! - at most `max_connections` at once, at most `max_connections_per_address` from one address;
//!   when full, a place is taken back from the address holding the most (`slots.rs`);
//! - the request head must arrive within `header_timeout_secs` and fit in 64 KiB; the body must
//!   keep coming: a client that sends nothing for `client_timeout_secs`, or less than
//!   `min_body_rate_kib` KiB/s on average once that time has passed, is cut off;
//! - a client that goes away before its request is complete ends it toward Rocket at once;
//! - Rocket that says nothing for `client_timeout_secs` once the request is complete, and a
//!   client that reads nothing for as long while an answer waits, end the connection;
//! - with `tls.certs` and `tls.key` it speaks TLS (rustls, TLS 1.2 and 1.3): the handshake
//!   counts against the connection's place and against `header_timeout_secs` with its head
//!   (`tls.rs`);
//! - a client's address is the TCP peer's, or, only for a peer in `trusted_proxies`, the one
//!   it forwards in `X-Forwarded-For` (`proxies.rs`).

mod head;
mod proxies;
mod slots;
mod tls;

pub use proxies::TrustedProxies;
pub use tls::{acceptor, plain_http_warning, TlsFiles};

use head::{Framed, Refusal, Remaining};

use rocket::tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use rocket::tokio::net::{TcpListener, TcpStream};
use rocket::tokio::time::{timeout, timeout_at};
use slots::{Full, Phase, Slot, Slots};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_connections: usize,
    pub max_connections_per_address: usize,
    pub header_timeout: Duration,
    pub client_timeout: Duration,
    /// Bytes a second a request body must average once `client_timeout` has passed (0: no
    /// bound).
    pub min_body_rate: u64,
}

/// What the listener speaks and whom it believes: TLS (None: plain HTTP) and the proxies whose
/// forwarded client address is taken.
#[derive(Clone, Default)]
pub struct Edge {
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    pub trusted: TrustedProxies,
}

struct Front {
    backend: SocketAddr,
    limits: Limits,
    /// The header Rocket reads the client's address from (its `ip_header`).
    address_header: Option<String>,
    edge: Edge,
    slots: Slots,
}

/// A client connection, plain or TLS.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<S: AsyncRead + AsyncWrite + Unpin + Send> Stream for S {}

/// A header name for the client's address that no client can guess: Rocket's `ip_header` for
/// this process.
pub fn address_header_name() -> String {
    let mut bytes = [0u8; 12];
    rand::fill(&mut bytes);
    let suffix: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("X-Assetport-Client-{suffix}")
}

/// Rocket's own address and shutdown handle, once it listens.
pub struct Ready(rocket::tokio::sync::watch::Sender<Option<(SocketAddr, rocket::Shutdown)>>);

impl Default for Ready {
    fn default() -> Self {
        Ready(rocket::tokio::sync::watch::channel(None).0)
    }
}

impl Ready {
    pub fn started(&self, backend: SocketAddr, shutdown: rocket::Shutdown) {
        self.0.send_replace(Some((backend, shutdown)));
    }

    pub fn subscribe(
        &self,
    ) -> rocket::tokio::sync::watch::Receiver<Option<(SocketAddr, rocket::Shutdown)>> {
        self.0.subscribe()
    }
}

/// Raises this process's open-file limit to its hard limit: each connection takes two
/// descriptors here and one in Rocket.
pub fn raise_file_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => log::debug!("open file limit {n}"),
        Err(e) => log::warn!("cannot raise the open file limit: {e}"),
    }
}

/// The receive buffer of the connection to Rocket. Left to the kernel, a loopback buffer grows
/// to `net.ipv4.tcp_rmem`'s maximum (32 MiB on some hosts) while the relay reads: Rocket could
/// then finish writing an answer a stalled client never reads, and end its download (whose
/// place and whose guard against a deletion last only while Rocket writes). Kept small, a slow
/// client slows Rocket down, as it does without the relay.
const BACKEND_RECEIVE_BUFFER: u32 = 256 * 1024;

async fn connect_backend(backend: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = match backend {
        SocketAddr::V4(_) => rocket::tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => rocket::tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_recv_buffer_size(BACKEND_RECEIVE_BUFFER)?;
    socket.connect(backend).await
}

/// Accepts client connections on `listener` and passes each to Rocket at `backend`, with the
/// client's address in `address_header`, until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    backend: SocketAddr,
    address_header: Option<String>,
    limits: Limits,
    edge: Edge,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let front = Arc::new(Front {
        backend,
        limits,
        address_header,
        edge,
        slots: Slots::new(limits.max_connections, limits.max_connections_per_address),
    });
    rocket::tokio::pin!(shutdown);
    loop {
        let accepted = rocket::tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => accepted,
        };
        let (client, address) = match accepted {
            Ok(c) => c,
            Err(e) => {
                // Out of descriptors, most often: let connections close, then go on.
                log::warn!("accept failed: {e}");
                rocket::tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let front = front.clone();
        rocket::tokio::spawn(async move {
            let _ = client.set_nodelay(true);
            front.connection(client, address.ip().to_canonical()).await;
        });
    }
}

/// A complete answer in the API's envelope, for the cases Rocket never sees.
fn refusal(status: &str, code: i64, info: &str) -> Vec<u8> {
    let body = serde_json::json!({"code": code, "info": info}).to_string();
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Sends a refusal and closes; with `lingering`, as `linger` does, so that the answer survives
/// a client still sending (a refused head: the client holds its place meanwhile).
async fn refuse(client: impl Stream, answer: Vec<u8>, lingering: bool) {
    let (mut from_client, mut to_client) = rocket::tokio::io::split(client);
    let _ = timeout(Duration::from_secs(1), to_client.write_all(&answer)).await;
    let _ = timeout(Duration::from_secs(1), to_client.shutdown()).await;
    if lingering {
        linger(&mut from_client).await;
    }
}

enum Head {
    /// The head as Rocket gets it, and the bytes after it.
    Complete(Framed, Vec<u8>),
    Refused(Refusal),
    /// Timed out or the client went away.
    Gone,
}

impl Front {
    async fn connection(&self, client: TcpStream, address: IpAddr) {
        let (slot, evict) = match self.slots.admit(address) {
            Ok(admitted) => admitted,
            // A TLS client could not read a plain answer.
            Err(_) if self.edge.tls.is_some() => return,
            Err(full) => {
                let info = match full {
                    Full::Server => "服务器连接数已满，请稍后再试",
                    Full::Address => {
                        "来自同一地址的连接过多（设置 max_connections_per_address），请稍后再试"
                    }
                };
                return refuse(client, refusal("503 Service Unavailable", 10, info), false).await;
            }
        };
        // A connection whose place is taken back ends wherever it is.
        rocket::tokio::select! {
            _ = evict.notified() => {}
            _ = self.exchange(client, address, &slot) => {}
        }
    }

    /// The TLS handshake, if any, then the request: both within `header_timeout` of the
    /// connection's start, so that a client saying nothing (or plain HTTP to a TLS port) holds
    /// its place no longer than one that sends half a head.
    async fn exchange(&self, client: TcpStream, address: IpAddr, slot: &Slot<'_>) {
        let deadline = rocket::tokio::time::Instant::now() + self.limits.header_timeout;
        match &self.edge.tls {
            None => self.request(client, address, slot, deadline).await,
            Some(acceptor) => match timeout_at(deadline, acceptor.accept(client)).await {
                Ok(Ok(client)) => self.request(client, address, slot, deadline).await,
                Ok(Err(e)) => log::debug!("TLS handshake from {address} failed: {e}"),
                Err(_) => {}
            },
        }
    }

    async fn request(
        &self,
        mut client: impl Stream,
        address: IpAddr,
        slot: &Slot<'_>,
        deadline: rocket::tokio::time::Instant,
    ) {
        let head = timeout_at(deadline, self.read_head(&mut client, address))
            .await
            .unwrap_or(Head::Gone);
        let (framed, rest) = match head {
            Head::Complete(framed, rest) => (framed, rest),
            Head::Refused(why) => {
                slot.set_phase(Phase::Lingering);
                let answer = refusal(why.status(), -2, &why.info());
                return refuse(client, answer, true).await;
            }
            Head::Gone => return,
        };
        slot.set_phase(Phase::Body);
        let Ok(backend) = connect_backend(self.backend).await else {
            let answer = refusal("503 Service Unavailable", 10, "服务器正在停止，请稍后再试");
            return refuse(client, answer, false).await;
        };
        let _ = backend.set_nodelay(true);
        let request = Request {
            remaining: Remaining::of(framed.body),
            head: framed.head,
            rest,
        };
        relay(client, backend, request, self.limits, slot).await;
    }

    /// Reads up to the end of the request head, and frames it.
    async fn read_head(&self, client: &mut impl Stream, address: IpAddr) -> Head {
        let mut buffer = Vec::with_capacity(4096);
        let mut chunk = [0u8; 4096];
        let mut checked = 0;
        loop {
            let n = match client.read(&mut chunk).await {
                Ok(0) | Err(_) => return Head::Gone,
                Ok(n) => n,
            };
            buffer.extend_from_slice(&chunk[..n]);
            match head::read(
                &buffer,
                &mut checked,
                self.address_header.as_deref(),
                address,
                &self.edge.trusted,
            ) {
                head::Read::Partial => continue,
                head::Read::Complete(framed, end) => {
                    return Head::Complete(framed, buffer.split_off(end))
                }
                head::Read::Refused(why) => return Head::Refused(why),
            }
        }
    }
}

/// A framed request: its head, what of its body is still to come, and the bytes read after
/// the head.
struct Request {
    head: Vec<u8>,
    remaining: Remaining,
    rest: Vec<u8>,
}

/// How sending the request to Rocket ended.
enum Sent {
    /// Every byte of the request is with Rocket.
    Complete,
    /// Rocket stopped reading (it answered without the rest, e.g. 413): its answer comes.
    BackendClosed,
    /// The client went away, stalled or sent too slowly before its request was complete.
    ClientGone,
    /// The body broke its own framing (a chunked body that is not).
    Malformed(&'static str),
}

/// Copies the request to Rocket and its answer back, until Rocket closes after its answer.
async fn relay(
    client: impl Stream,
    backend: TcpStream,
    request: Request,
    limits: Limits,
    slot: &Slot<'_>,
) {
    let (mut from_client, mut to_client) = rocket::tokio::io::split(client);
    let (mut from_backend, mut to_backend) = backend.into_split();
    let answering = AtomicBool::new(false);
    let sent = AtomicBool::new(false);
    let idle = limits.client_timeout;
    let upstream = async {
        let Request {
            head,
            mut remaining,
            rest,
        } = request;
        let first = match remaining.take(&rest) {
            Ok(n) => n,
            Err(why) => return Sent::Malformed(why),
        };
        if to_backend.write_all(&head).await.is_err()
            || to_backend.write_all(&rest[..first]).await.is_err()
        {
            return Sent::BackendClosed;
        }
        let mut buffer = vec![0u8; 16 << 10];
        // Time spent waiting for the client, and what it sent in it: a body must keep up the
        // minimum rate once `idle` has passed. Time Rocket takes to read is not the client's.
        let mut waited = Duration::ZERO;
        let mut received = 0u64;
        while !remaining.done() {
            let allowed = if limits.min_body_rate == 0 {
                idle
            } else {
                let earned = Duration::from_secs_f64(received as f64 / limits.min_body_rate as f64);
                (idle + earned).saturating_sub(waited).min(idle)
            };
            let started = Instant::now();
            let read = timeout(allowed, from_client.read(&mut buffer)).await;
            waited += started.elapsed();
            let n = match read {
                Err(_) | Ok(Ok(0)) | Ok(Err(_)) => return Sent::ClientGone,
                Ok(Ok(n)) => n,
            };
            received += n as u64;
            let take = match remaining.take(&buffer[..n]) {
                Ok(take) => take,
                Err(why) => return Sent::Malformed(why),
            };
            if to_backend.write_all(&buffer[..take]).await.is_err() {
                return Sent::BackendClosed;
            }
        }
        Sent::Complete
    };
    // Rocket to client. Rocket silent for `idle` once the request is complete, or a client
    // that takes nothing for `idle`, ends the connection.
    let downstream = async {
        let mut buffer = vec![0u8; 64 << 10];
        loop {
            let n = match timeout(idle, from_backend.read(&mut buffer)).await {
                Err(_) if !sent.load(Ordering::Relaxed) && !answering.load(Ordering::Relaxed) => {
                    continue
                }
                Err(_) => return false,
                Ok(Ok(0)) | Ok(Err(_)) => break,
                Ok(Ok(n)) => n,
            };
            if !answering.swap(true, Ordering::Relaxed) {
                slot.set_phase(Phase::Answer);
            }
            match timeout(idle, to_client.write_all(&buffer[..n])).await {
                Ok(Ok(())) => {}
                _ => return false,
            }
        }
        let _ = timeout(idle, to_client.shutdown()).await;
        true
    };
    let end = {
        rocket::tokio::pin!(upstream, downstream);
        rocket::tokio::select! {
            answered = &mut downstream => End::from(answered),
            outcome = &mut upstream => match outcome {
                Sent::Complete | Sent::BackendClosed => {
                    sent.store(true, Ordering::Relaxed);
                    slot.set_phase(Phase::Answer);
                    End::from(downstream.await)
                }
                // The answer has begun (Rocket answered before the body ended): let it finish.
                Sent::ClientGone | Sent::Malformed(_) if answering.load(Ordering::Relaxed) => {
                    End::from(downstream.await)
                }
                // The request will never be complete: Rocket's side is closed now, not left
                // waiting for bytes that will not come.
                Sent::ClientGone => End::Cut,
                Sent::Malformed(why) => End::Malformed(why),
            }
        }
    };
    match end {
        End::Answered => {
            slot.set_phase(Phase::Lingering);
            linger(&mut from_client).await
        }
        End::Cut => {}
        End::Malformed(why) => {
            drop((from_backend, to_backend));
            let answer = refusal("400 Bad Request", -2, &format!("请求格式错误：{why}"));
            let _ = timeout(Duration::from_secs(1), to_client.write_all(&answer)).await;
            let _ = timeout(Duration::from_secs(1), to_client.shutdown()).await;
        }
    }
}

/// How a relayed exchange ended.
enum End {
    /// Rocket's whole answer went to the client.
    Answered,
    /// Cut off: a stalled side, or a request that will never be complete.
    Cut,
    /// The body broke its own framing before any answer.
    Malformed(&'static str),
}

impl From<bool> for End {
    fn from(answered: bool) -> End {
        if answered {
            End::Answered
        } else {
            End::Cut
        }
    }
}

/// How long, and how much, a client may still send once its answer is out.
const LINGER: Duration = Duration::from_secs(2);
const LINGER_PAUSE: Duration = Duration::from_millis(200);
const LINGER_BYTES: usize = 64 << 20;

/// A lingering close (nginx's `lingering_close`): a client still sending a body the server
/// refused without reading it (413) would otherwise meet a reset, which can destroy the answer
/// already sent before the client reads it. What it still sends is read and dropped, while it
/// keeps sending (pauses under 200 ms), for at most 2 s or 64 MiB; a client that is done closes
/// at once.
async fn linger(from_client: &mut (impl AsyncRead + Unpin)) {
    let deadline = Instant::now() + LINGER;
    let mut buffer = vec![0u8; 16 << 10];
    let mut drained = 0;
    while drained < LINGER_BYTES {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match timeout(left.min(LINGER_PAUSE), from_client.read(&mut buffer)).await {
            Ok(Ok(n)) if n > 0 => drained += n,
            _ => break,
        }
    }
}

#[cfg(test)]
mod tests;
