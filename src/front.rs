//! The front listener: the public address, in front of Rocket. Rocket 0.5 serves HTTP/1 with no
//! header-read timeout and no connection bound (hyper's `header_read_timeout(None)` is
//! hard-coded), so 1,100 half-open connections once made the server unreachable. Rocket listens
//! on a loopback port only this process uses, and every client connection passes through here:
//!
//! - at most `max_connections` at once; when full, the oldest connection still sending its
//!   request head is closed to make room, and only when none is, the newcomer gets 503;
//! - the request head must arrive within `header_timeout_secs` and fit in 64 KiB;
//! - a client that sends nothing while its request is incomplete, or reads nothing while an
//!   answer waits, for `client_timeout_secs`, is disconnected (a stalled download included);
//! - one request per connection (`Connection: close`), and `X-Real-IP` set to the connection's
//!   address, so Rocket's `client_ip` is the real client (login slowdown per address).

use rocket::tokio::io::{AsyncReadExt, AsyncWriteExt};
use rocket::tokio::net::{TcpListener, TcpStream};
use rocket::tokio::sync::Notify;
use rocket::tokio::time::timeout;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The longest request head taken (request line and headers).
const MAX_HEAD: usize = 64 << 10;
/// Headers about the connection itself: this listener decides them.
const HOP_HEADERS: [&str; 6] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "upgrade",
    "x-real-ip",
    "x-forwarded-for",
];

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub client_timeout: Duration,
}

/// Open connections, and those still sending their head (the ones closed first when full).
#[derive(Default)]
struct Slots {
    open: usize,
    next_id: u64,
    in_head: BTreeMap<u64, Arc<Notify>>,
}

struct Front {
    backend: SocketAddr,
    limits: Limits,
    slots: Mutex<Slots>,
}

/// A connection's place among the open ones; freed on drop.
struct Slot<'a> {
    front: &'a Front,
    id: u64,
}

impl Slot<'_> {
    fn head_done(&self) {
        self.front.slots().in_head.remove(&self.id);
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut slots = self.front.slots();
        slots.open -= 1;
        slots.in_head.remove(&self.id);
    }
}

impl Front {
    fn slots(&self) -> std::sync::MutexGuard<'_, Slots> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A place for a new connection and the signal that evicts it while it sends its head;
    /// None when every place is taken by a connection past its head.
    fn admit(&self) -> Option<(Slot<'_>, Arc<Notify>)> {
        let mut slots = self.slots();
        if slots.open >= self.limits.max_connections {
            let (_, oldest) = slots.in_head.pop_first()?;
            oldest.notify_one();
            // The evicted connection frees its place as it closes; until then one extra.
        }
        slots.open += 1;
        slots.next_id += 1;
        let id = slots.next_id;
        let evict = Arc::new(Notify::new());
        slots.in_head.insert(id, evict.clone());
        Some((Slot { front: self, id }, evict))
    }
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

/// Accepts client connections on `listener` and passes each to Rocket at `backend`, until
/// `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    backend: SocketAddr,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let front = Arc::new(Front {
        backend,
        limits,
        slots: Mutex::default(),
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
            front.connection(client, address).await;
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

async fn refuse(mut client: TcpStream, answer: Vec<u8>) {
    let _ = timeout(Duration::from_secs(1), client.write_all(&answer)).await;
    let _ = client.shutdown().await;
}

enum Head {
    /// The head (rewritten) and the bytes after it.
    Complete(Vec<u8>, Vec<u8>),
    TooLarge,
    /// Timed out, evicted, or the client went away.
    Gone,
}

impl Front {
    async fn connection(&self, mut client: TcpStream, address: SocketAddr) {
        let Some((slot, evict)) = self.admit() else {
            let answer = refusal(
                "503 Service Unavailable",
                10,
                "服务器连接数已满，请稍后再试",
            );
            return refuse(client, answer).await;
        };
        let head = rocket::tokio::select! {
            _ = evict.notified() => Head::Gone,
            head = timeout(self.limits.header_timeout, read_head(&mut client, address)) => {
                head.unwrap_or(Head::Gone)
            }
        };
        slot.head_done();
        let (head, rest) = match head {
            Head::Complete(head, rest) => (head, rest),
            Head::TooLarge => {
                let answer = refusal(
                    "431 Request Header Fields Too Large",
                    -2,
                    "请求头超过大小限制",
                );
                return refuse(client, answer).await;
            }
            Head::Gone => return,
        };
        let Ok(backend) = TcpStream::connect(self.backend).await else {
            let answer = refusal("503 Service Unavailable", 10, "服务器正在停止，请稍后再试");
            return refuse(client, answer).await;
        };
        let _ = backend.set_nodelay(true);
        relay(client, backend, head, rest, self.limits.client_timeout).await;
        drop(slot);
    }
}

/// Reads up to the end of the request head, and returns it with the connection headers
/// replaced (`Connection: close`, `X-Real-IP`).
async fn read_head(client: &mut TcpStream, address: SocketAddr) -> Head {
    let mut buffer = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        let n = match client.read(&mut chunk).await {
            Ok(0) | Err(_) => return Head::Gone,
            Ok(n) => n,
        };
        let searched_from = buffer.len().saturating_sub(3);
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(end) = find(&buffer[searched_from..], b"\r\n\r\n") {
            let end = searched_from + end + 4;
            if end > MAX_HEAD {
                return Head::TooLarge;
            }
            let rest = buffer.split_off(end);
            return Head::Complete(rewrite_head(&buffer, address), rest);
        }
        if buffer.len() > MAX_HEAD {
            return Head::TooLarge;
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn rewrite_head(head: &[u8], address: SocketAddr) -> Vec<u8> {
    let mut out = Vec::with_capacity(head.len() + 64);
    // Drop the blank line at the end; the lines are added back one by one.
    let lines = head[..head.len() - 4].split(|&b| b == b'\n');
    for (i, line) in lines.enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if i > 0 {
            let name = line.split(|&b| b == b':').next().unwrap_or(b"");
            let name = String::from_utf8_lossy(name).trim().to_ascii_lowercase();
            if HOP_HEADERS.contains(&name.as_str()) {
                continue;
            }
        }
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"Connection: close\r\n");
    out.extend_from_slice(format!("X-Real-IP: {}\r\n\r\n", address.ip()).as_bytes());
    out
}

/// Copies the request to Rocket and the answer back, until Rocket closes after its answer.
async fn relay(
    client: TcpStream,
    backend: TcpStream,
    head: Vec<u8>,
    rest: Vec<u8>,
    idle: Duration,
) {
    let (mut from_client, mut to_client) = client.into_split();
    let (mut from_backend, mut to_backend) = backend.into_split();
    let answering = AtomicBool::new(false);
    // Client to Rocket. Ends quietly when either side stops; ends the connection when the
    // client sends nothing for `idle` before any answer began (a slow or stalled request).
    let upstream = async {
        if to_backend.write_all(&head).await.is_err() || to_backend.write_all(&rest).await.is_err()
        {
            return false;
        }
        let mut buffer = vec![0u8; 16 << 10];
        loop {
            let read = timeout(idle, from_client.read(&mut buffer)).await;
            let n = match read {
                Err(_) if answering.load(Ordering::Relaxed) => continue,
                Err(_) => return true,
                // The client is done sending (or gone): Rocket's answer may still come.
                Ok(Ok(0)) | Ok(Err(_)) => return false,
                Ok(Ok(n)) => n,
            };
            if to_backend.write_all(&buffer[..n]).await.is_err() {
                // Rocket answered without reading the rest (e.g. 413): the answer comes.
                return false;
            }
        }
    };
    // Rocket to client. A client that takes nothing for `idle` is cut off.
    let downstream = async {
        let mut buffer = vec![0u8; 64 << 10];
        loop {
            let n = match from_backend.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            answering.store(true, Ordering::Relaxed);
            match timeout(idle, to_client.write_all(&buffer[..n])).await {
                Ok(Ok(())) => {}
                _ => return,
            }
        }
        let _ = timeout(idle, to_client.shutdown()).await;
    };
    {
        rocket::tokio::pin!(upstream, downstream);
        rocket::tokio::select! {
            _ = &mut downstream => {}
            stalled = &mut upstream => {
                if !stalled {
                    downstream.await;
                }
            }
        }
    }
    linger(&mut from_client).await;
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
async fn linger(from_client: &mut rocket::tokio::net::tcp::OwnedReadHalf) {
    let deadline = std::time::Instant::now() + LINGER;
    let mut buffer = vec![0u8; 16 << 10];
    let mut drained = 0;
    while drained < LINGER_BYTES {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
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
mod tests {
    use super::*;

    #[test]
    fn the_head_gets_its_connection_headers_from_here() {
        let head = b"POST /api/login HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\
                     X-Real-IP: 6.6.6.6\r\nx-forwarded-for: 7.7.7.7\r\nContent-Length: 2\r\n\r\n";
        let address: SocketAddr = "10.1.2.3:5555".parse().unwrap();
        let out = String::from_utf8(rewrite_head(head, address)).unwrap();
        assert_eq!(
            out,
            "POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\
             Connection: close\r\nX-Real-IP: 10.1.2.3\r\n\r\n"
        );
    }
}
