//! The front's framing, unit by unit, and a property test through the real relay: random and
//! mutated requests (every framing trick included), sent in random pieces to a front whose
//! "Rocket" is a recording listener. Whatever the client sends, each connection Rocket gets
//! carries exactly one request, framed as the front framed it, with the front's own address
//! header once and nothing after it.

use super::head::{self, Body, Chunked, Read};
use super::*;
use rocket::tokio;
use std::sync::Mutex;

const HEADER: &str = "X-Assetport-Client-test";

fn local() -> IpAddr {
    IpAddr::from([127, 0, 0, 1])
}

fn framed(raw: &str) -> Result<Framed, Refusal> {
    let mut checked = 0;
    match head::read(
        raw.as_bytes(),
        &mut checked,
        Some(HEADER),
        local(),
        &TrustedProxies::default(),
    ) {
        Read::Complete(framed, _) => Ok(framed),
        Read::Refused(why) => Err(why),
        Read::Partial => panic!("partial: {raw:?}"),
    }
}

fn malformed(raw: &str) -> bool {
    matches!(framed(raw), Err(Refusal::Malformed(_)))
}

#[test]
fn the_head_is_written_anew_with_the_fronts_own_connection_and_address_headers() {
    let raw = "POST /api/login HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\
               X-Real-IP: 6.6.6.6\r\nx-forwarded-for: 7.7.7.7\r\nx-assetport-client-test: 8.8.8.8\r\n\
               Content-Length: 2\r\n\r\n";
    let framed = framed(raw).unwrap();
    assert_eq!(framed.body, Body::Length(2));
    assert_eq!(
        String::from_utf8(framed.head).unwrap(),
        "POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\
         Connection: close\r\nX-Assetport-Client-test: 127.0.0.1\r\n\r\n"
    );
}

#[test]
fn item_1_ambiguous_framing_is_refused() {
    // Bare LF anywhere, as the head's end or inside it (the finding's own request).
    assert!(malformed(
        "GET /api/character/aaaa HTTP/1.1\nHost: x\nContent-Length: 55\n\nAAAA\r\n\r\n"
    ));
    assert!(malformed("GET / HTTP/1.1\r\nHost: x\nA: b\r\n\r\n"));
    // A bare CR.
    assert!(malformed("GET / HTTP/1.1\r\nHost: x\rA: b\r\n\r\n"));
    // obs-fold.
    assert!(malformed(
        "GET / HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n"
    ));
    // Duplicate or conflicting framing.
    for bad in [
        "Content-Length: 5\r\nContent-Length: 5",
        "Content-Length: 5\r\nContent-Length: 6",
        "Content-Length: 5, 5",
        "Content-Length: +5",
        "Content-Length: 0x5",
        "Content-Length: 5 5",
        "Content-Length: -1",
        "Content-Length: 99999999999999999999",
        "Transfer-Encoding: chunked\r\nContent-Length: 5",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
        "Transfer-Encoding: gzip, chunked",
        "Transfer-Encoding: chunked, identity",
        "Transfer-Encoding: identity",
        "Transfer-Encoding: xchunked",
        "Content-Length : 5",
        " Content-Length: 5",
        "Host: y",
    ] {
        let raw = format!("POST / HTTP/1.1\r\nHost: x\r\n{bad}\r\n\r\n");
        assert!(malformed(&raw), "{bad:?} was taken");
    }
    assert!(malformed(
        "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"
    ));
    assert!(malformed("GET / HTTP/2.0\r\n\r\n"));
    assert!(malformed("GET  / HTTP/1.1\r\n\r\n"));
    assert!(malformed("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n"));
    assert!(malformed("GET / HTTP/1.1\r\nA: \x01\r\n\r\n"));
}

#[test]
fn accepted_framing_is_canonical() {
    let chunked = framed("POST / HTTP/1.1\r\nTransfer-Encoding:  Chunked \r\n\r\n").unwrap();
    assert_eq!(chunked.body, Body::Chunked);
    assert!(String::from_utf8(chunked.head)
        .unwrap()
        .contains("\r\nTransfer-Encoding: chunked\r\n"));
    assert_eq!(
        framed("GET / HTTP/1.0\r\n\r\n").unwrap().body,
        Body::Length(0)
    );
    // Empty lines before the request line are skipped, as Rocket skips them.
    let after_blank = framed("\r\n\r\nGET /x HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    assert!(after_blank.head.starts_with(b"GET /x HTTP/1.1\r\n"));
}

#[test]
fn a_head_split_anywhere_reads_the_same_and_a_large_one_is_refused() {
    let raw = b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET";
    for split in 1..raw.len() {
        let mut checked = 0;
        let first = head::read(
            &raw[..split],
            &mut checked,
            Some(HEADER),
            local(),
            &TrustedProxies::default(),
        );
        let whole = head::read(
            raw,
            &mut checked,
            Some(HEADER),
            local(),
            &TrustedProxies::default(),
        );
        let Read::Complete(framed, end) = (match first {
            Read::Partial => whole,
            done => done,
        }) else {
            panic!("split at {split}");
        };
        assert_eq!(framed.body, Body::Length(3));
        assert_eq!(&raw[end..], b"abcGET");
    }
    // Bare line ends in the body (a CSV upload) are the body's business.
    let upload =
        "POST /api/asset_file/x HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n\r\na,b\nc\rd\n";
    assert_eq!(framed(upload).unwrap().body, Body::Length(8));
    let mut checked = 0;
    let big = format!("GET / HTTP/1.1\r\nX: {}", "a".repeat(head::MAX_HEAD));
    assert_eq!(
        head::read(
            big.as_bytes(),
            &mut checked,
            None,
            local(),
            &TrustedProxies::default()
        ),
        Read::Refused(Refusal::TooLarge)
    );
}

#[test]
fn a_chunked_body_ends_exactly_where_its_last_chunk_and_trailer_end() {
    let body = b"5;ext=1\r\nhello\r\n0\r\nX-Trailer: a\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n";
    let end = body.len() - b"GET /smuggled HTTP/1.1\r\n\r\n".len();
    for split in 0..body.len() {
        let mut state = Chunked::default();
        let a = state.take(&body[..split]).unwrap();
        let b = state.take(&body[split..]).unwrap();
        assert_eq!(a + b, end, "split at {split}");
        assert!(state.done());
    }
    for bad in [
        &b"5\nhello\r\n0\r\n\r\n"[..],
        b"5\r\nhelloX\r\n0\r\n\r\n",
        b"x\r\n",
        b";\r\n",
        b"5 \r\nhello\r\n",
        b"fffffffffffffffff\r\n",
        b"0\r\n X: a\r\n\r\n",
        b"0\r\n\n",
    ] {
        let mut state = Chunked::default();
        assert!(
            state.take(bad).is_err(),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
}

/// A small deterministic generator (xorshift), so a failing case can be run again from its
/// seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// A request as a client might send it, with a body of its own framing, sometimes pipelined
/// requests after it, and sometimes a framing trick or a random mutation.
fn request(rng: &mut Rng) -> Vec<u8> {
    let method = rng.pick(&["GET", "POST", "PUT", "DELETE"]);
    let version = rng.pick(&["1.1", "1.1", "1.0"]);
    let mut head = format!(
        "{method} /api/login/{} HTTP/{version}\r\nHost: x\r\n",
        rng.below(100)
    );
    let body_len = rng.below(40);
    let body: String = (0..body_len)
        .map(|i| (b'a' + (i % 26) as u8) as char)
        .collect();
    let mut bytes_after_head = Vec::new();
    match rng.below(3) {
        0 => {}
        1 => {
            head.push_str(&format!("Content-Length: {body_len}\r\n"));
            bytes_after_head.extend_from_slice(body.as_bytes());
        }
        _ => {
            head.push_str("Transfer-Encoding: chunked\r\n");
            let (a, b) = body.split_at(body_len / 2);
            for part in [a, b] {
                if !part.is_empty() {
                    bytes_after_head
                        .extend_from_slice(format!("{:x}\r\n{part}\r\n", part.len()).as_bytes());
                }
            }
            bytes_after_head.extend_from_slice(b"0\r\n\r\n");
        }
    }
    for _ in 0..rng.below(3) {
        let extra = rng.pick(&[
            "X-Real-IP: 10.9.9.9",
            "X-Forwarded-For: 10.9.9.9",
            "X-Assetport-Client-test: 10.9.9.9",
            "Connection: keep-alive",
            "Content-Length: 7",
            "Transfer-Encoding: chunked",
            "Transfer-Encoding: gzip",
            "Content-Length: 5, 5",
            "Host: y",
            "X-Fold: a\r\n b",
            "Content-Length : 3",
            "Accept: */*",
            "Expect: 100-continue",
        ]);
        head.push_str(extra);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let mut raw = head.into_bytes();
    raw.extend_from_slice(&bytes_after_head);
    // Pipelined requests, each claiming an address of its own.
    for i in 0..rng.below(3) {
        raw.extend_from_slice(
            format!("POST /api/login HTTP/1.1\r\nHost: x\r\nX-Real-IP: 127.0.0.{i}\r\nContent-Length: 2\r\n\r\n{{}}")
                .as_bytes(),
        );
    }
    // Mutations: bare line ends, flipped, inserted or removed bytes.
    for _ in 0..rng.below(3) {
        let at = rng.below(raw.len());
        match rng.below(5) {
            0 => {
                if raw[at] == b'\r' {
                    raw.remove(at);
                }
            }
            1 => raw.insert(at, b'\n'),
            2 => raw.insert(at, b' '),
            3 => raw[at] = (rng.next() & 0xff) as u8,
            _ => {
                raw.remove(at);
            }
        }
    }
    raw
}

/// What a recording "Rocket" got on each connection.
type Received = Arc<Mutex<Vec<Vec<u8>>>>;

/// A listener standing in for Rocket: it reads each connection until the request is complete
/// by its own reading, then a little longer for anything after it, records every byte, answers
/// and closes.
async fn recording_backend(listener: TcpListener, received: Received) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            return;
        };
        let received = received.clone();
        tokio::spawn(async move {
            let mut bytes = Vec::new();
            let mut buffer = [0u8; 4096];
            loop {
                let wait = if complete(&bytes).is_some() { 30 } else { 2000 };
                match timeout(Duration::from_millis(wait), stream.read(&mut buffer)).await {
                    Ok(Ok(n)) if n > 0 => bytes.extend_from_slice(&buffer[..n]),
                    _ => break,
                }
            }
            received.lock().unwrap().push(bytes);
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                .await;
            let _ = stream.shutdown().await;
        });
    }
}

/// The length of the one request at the start of `bytes`, read independently of the front:
/// httparse for the head, then the body by its one framing header (a plain reading of chunked
/// coding). None while incomplete or unreadable.
fn complete(bytes: &[u8]) -> Option<usize> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    let httparse::Status::Complete(head) = request.parse(bytes).ok()? else {
        return None;
    };
    let value = |name: &str| {
        request
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).into_owned())
    };
    if let Some(length) = value("content-length") {
        let end = head + length.parse::<usize>().ok()?;
        return (bytes.len() >= end).then_some(end);
    }
    if value("transfer-encoding").is_none() {
        return Some(head);
    }
    let mut at = head;
    loop {
        let line_end = at + bytes[at..].windows(2).position(|w| w == b"\r\n")?;
        let line = std::str::from_utf8(&bytes[at..line_end]).ok()?;
        let size = usize::from_str_radix(line.split(';').next()?, 16).ok()?;
        at = line_end + 2;
        if size == 0 {
            // Trailer lines up to an empty one.
            loop {
                let end = at + bytes[at..].windows(2).position(|w| w == b"\r\n")?;
                let empty = end == at;
                at = end + 2;
                if empty {
                    return Some(at);
                }
            }
        }
        at += size + 2;
        if bytes.len() < at {
            return None;
        }
    }
}

/// Checks what one backend connection received: one request with the front's address header
/// exactly once, naming the client, and nothing after it; or, where the client went away
/// first, the start of one such request, and then the end of the connection.
fn check_one_request(bytes: &[u8], sent: &[u8]) {
    let shown = || {
        format!(
            "sent {:?}\ngot {:?}",
            String::from_utf8_lossy(sent),
            String::from_utf8_lossy(bytes)
        )
    };
    if let Some(end) = complete(bytes) {
        assert_eq!(end, bytes.len(), "bytes after the request\n{}", shown());
    }
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    assert!(
        matches!(request.parse(bytes), Ok(httparse::Status::Complete(_))),
        "no whole head\n{}",
        shown()
    );
    let addresses: Vec<_> = request
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case(HEADER))
        .map(|h| h.value)
        .collect();
    assert_eq!(addresses, [b"127.0.0.1"], "{}", shown());
    for h in request.headers.iter() {
        assert!(!h.name.eq_ignore_ascii_case("x-real-ip"), "{}", shown());
    }
    let framing = request
        .headers
        .iter()
        .filter(|h| {
            h.name.eq_ignore_ascii_case("content-length")
                || h.name.eq_ignore_ascii_case("transfer-encoding")
        })
        .count();
    assert!(framing <= 1, "{}", shown());
}

#[test]
fn property_what_rocket_receives_is_exactly_one_framed_request_per_connection() {
    let seed = std::env::var("FRONT_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_f00d_u64);
    let cases: usize = std::env::var("FRONT_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(400);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(async move {
            let backend = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let backend_address = backend.local_addr().unwrap();
            let received: Received = Arc::default();
            tokio::spawn(recording_backend(backend, received.clone()));
            let front = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let front_address = front.local_addr().unwrap();
            let limits = Limits {
                max_connections: 64,
                max_connections_per_address: 64,
                header_timeout: Duration::from_secs(2),
                client_timeout: Duration::from_secs(2),
                min_body_rate: 0,
            };
            tokio::spawn(serve(
                front,
                backend_address,
                Some(HEADER.to_owned()),
                limits,
                Edge::default(),
                std::future::pending(),
            ));
            let mut rng = Rng(seed);
            let (mut refused, mut passed) = (0, 0);
            for case in 0..cases {
                let raw = request(&mut rng);
                received.lock().unwrap().clear();
                let mut client = TcpStream::connect(front_address).await.unwrap();
                // In random pieces, each on its own write.
                let mut at = 0;
                while at < raw.len() {
                    let n = 1 + rng.below(raw.len() - at);
                    if client.write_all(&raw[at..at + n]).await.is_err() {
                        break;
                    }
                    at += n;
                    if rng.below(4) == 0 {
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                }
                // Done sending: a request still incomplete never will be (the front closes it
                // toward Rocket at once, item 2).
                let _ = client.shutdown().await;
                let mut answer = Vec::new();
                let _ = timeout(Duration::from_secs(10), client.read_to_end(&mut answer)).await;
                // A connection that carried nothing (the body broke its framing before a byte
                // was passed on) is no request.
                let got: Vec<_> = received
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|b| !b.is_empty())
                    .cloned()
                    .collect();
                assert!(
                    got.len() <= 1,
                    "case {case} (seed {seed}): {} backend connections",
                    got.len()
                );
                if let Some(bytes) = got.first() {
                    check_one_request(bytes, &raw);
                    passed += 1;
                } else {
                    refused += 1;
                }
                // Whatever the front did not pass on, it refused in the envelope or it waited
                // for a body that never came (then it said nothing).
                let answer = String::from_utf8_lossy(&answer);
                assert!(
                    answer.is_empty()
                        || answer.starts_with("HTTP/1.1 200")
                        || answer.contains("\"code\":-2"),
                    "case {case}: {answer}"
                );
            }
            println!("{passed} requests passed on, {refused} refused or incomplete");
            assert!(
                passed > cases / 10 && refused > cases / 10,
                "{passed} / {refused}"
            );
        });
}
