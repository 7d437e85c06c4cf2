//! Framing a request exactly once, here: the head is parsed with `httparse` (the parser hyper,
//! and so Rocket, uses) and written anew for Rocket, and the body is measured by the same rules
//! Rocket will apply. Whatever the client sent after its one request is never passed on.
//!
//! Refused (400, before Rocket sees a byte): a bare LF or CR as a line end, obs-fold (a header
//! line starting with white space), a header line without a colon or with white space before it,
//! more than one `Content-Length`, `Transfer-Encoding` or `Host`, a `Content-Length` that is not
//! plain digits, a `Transfer-Encoding` other than `chunked` alone, both framing headers at once,
//! `Transfer-Encoding` in HTTP/1.0, and versions other than 1.0 and 1.1.

use super::proxies::TrustedProxies;
use std::net::IpAddr;

/// The longest request head taken (request line and headers).
pub const MAX_HEAD: usize = 64 << 10;
/// Headers a request may carry.
const MAX_HEADERS: usize = 128;

/// Headers about the connection or the client's address: this listener decides them. The
/// framing headers are dropped too and written back in canonical form.
const DROPPED: [&str; 12] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "upgrade",
    "te",
    "trailer",
    "x-real-ip",
    "x-forwarded-for",
    "forwarded",
    "client-ip",
    "content-length",
    "transfer-encoding",
];

/// How the body of a framed request ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    /// Exactly this many bytes (0: no body).
    Length(u64),
    /// Chunked transfer coding, up to and including its last chunk and trailer.
    Chunked,
}

/// A request head as Rocket gets it.
#[derive(Debug, PartialEq, Eq)]
pub struct Framed {
    pub head: Vec<u8>,
    pub body: Body,
}

/// Why a head is refused: the answer's status line and message.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    Malformed(&'static str),
    TooLarge,
}

impl Refusal {
    pub fn status(&self) -> &'static str {
        match self {
            Refusal::Malformed(_) => "400 Bad Request",
            Refusal::TooLarge => "431 Request Header Fields Too Large",
        }
    }

    pub fn info(&self) -> String {
        match self {
            Refusal::Malformed(why) => format!("请求格式错误：{why}"),
            Refusal::TooLarge => "请求头超过大小限制".into(),
        }
    }
}

/// Where reading a head stands.
#[derive(Debug, PartialEq, Eq)]
pub enum Read {
    /// More bytes are needed.
    Partial,
    /// The head, and where the bytes after it start in the buffer.
    Complete(Framed, usize),
    Refused(Refusal),
}

/// Reads a request head from what a client sent so far. `checked` is how far an earlier call got
/// (0 at first); it is advanced so that each byte is looked at a bounded number of times however
/// the client splits its head.
pub fn read(
    buffer: &[u8],
    checked: &mut usize,
    address_header: Option<&str>,
    address: IpAddr,
    trusted: &TrustedProxies,
) -> Read {
    // Empty lines before the request line are skipped (RFC 9112 §2.2), by Rocket too: they are
    // not the end of a head.
    let start = leading_empty_lines(buffer);
    let search_from = checked.saturating_sub(3).max(start);
    let end = find(&buffer[search_from..], b"\r\n\r\n").map(|e| search_from + e + 4);
    // Within the head (never the body after it), every LF ends a line only after a CR, and
    // every CR comes before an LF.
    let head = &buffer[..end.unwrap_or(buffer.len())];
    for i in checked.saturating_sub(1)..head.len() {
        let bad_lf = head[i] == b'\n' && (i == 0 || head[i - 1] != b'\r');
        let bad_cr = head[i] == b'\r' && i + 1 < head.len() && head[i + 1] != b'\n';
        if bad_lf || bad_cr {
            return Read::Refused(Refusal::Malformed("行尾必须是CRLF"));
        }
    }
    *checked = buffer.len();
    let Some(end) = end else {
        return if buffer.len() > MAX_HEAD {
            Read::Refused(Refusal::TooLarge)
        } else {
            Read::Partial
        };
    };
    if end > MAX_HEAD {
        return Read::Refused(Refusal::TooLarge);
    }
    match frame(&buffer[start..end], address_header, address, trusted) {
        Ok(framed) => Read::Complete(framed, end),
        Err(refusal) => Read::Refused(refusal),
    }
}

fn leading_empty_lines(buffer: &[u8]) -> usize {
    let mut at = 0;
    while buffer[at..].starts_with(b"\r\n") {
        at += 2;
    }
    at
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Parses one complete head (ending in CRLF CRLF) and writes it anew: the request line as sent,
/// every header but the dropped ones, the framing header, `Connection: close` and the client's
/// address under `address_header`: the peer's `address`, or the one a trusted proxy forwarded.
pub fn frame(
    head: &[u8],
    address_header: Option<&str>,
    address: IpAddr,
    trusted: &TrustedProxies,
) -> Result<Framed, Refusal> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(head) {
        Ok(httparse::Status::Complete(n)) if n == head.len() => {}
        Ok(_) => return Err(Refusal::Malformed("请求头不完整")),
        Err(httparse::Error::TooManyHeaders) => return Err(Refusal::TooLarge),
        Err(_) => return Err(Refusal::Malformed("请求行或请求头不合法")),
    }
    let (Some(method), Some(path), Some(version)) = (request.method, request.path, request.version)
    else {
        return Err(Refusal::Malformed("请求头不完整"));
    };
    if version > 1 {
        return Err(Refusal::Malformed("不支持的HTTP版本"));
    }
    let mut length: Option<u64> = None;
    let mut chunked = false;
    let mut hosts = 0;
    let mut forwarded: Vec<&[u8]> = Vec::new();
    let mut out = Vec::with_capacity(head.len() + 96);
    out.extend_from_slice(format!("{method} {path} HTTP/1.{version}\r\n").as_bytes());
    for header in request.headers.iter() {
        let name = header.name;
        if name.eq_ignore_ascii_case("content-length") {
            if length.is_some() {
                return Err(Refusal::Malformed("Content-Length重复"));
            }
            length = Some(content_length(header.value)?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            if chunked {
                return Err(Refusal::Malformed("Transfer-Encoding重复"));
            }
            if !trim(header.value).eq_ignore_ascii_case(b"chunked") {
                return Err(Refusal::Malformed("Transfer-Encoding只接受chunked"));
            }
            chunked = true;
        } else if name.eq_ignore_ascii_case("x-forwarded-for") {
            forwarded.push(header.value);
        } else if name.eq_ignore_ascii_case("host") {
            hosts += 1;
            if hosts > 1 {
                return Err(Refusal::Malformed("Host重复"));
            }
        }
        let dropped = DROPPED.iter().any(|d| name.eq_ignore_ascii_case(d))
            || address_header.is_some_and(|a| name.eq_ignore_ascii_case(a));
        if dropped {
            continue;
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(trim(header.value));
        out.extend_from_slice(b"\r\n");
    }
    let body = match (length, chunked) {
        (Some(_), true) => {
            return Err(Refusal::Malformed(
                "Content-Length与Transfer-Encoding不能同时出现",
            ))
        }
        (_, true) if version == 0 => {
            return Err(Refusal::Malformed("HTTP/1.0不支持Transfer-Encoding"))
        }
        (_, true) => {
            out.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
            Body::Chunked
        }
        (Some(n), false) => {
            out.extend_from_slice(format!("Content-Length: {n}\r\n").as_bytes());
            Body::Length(n)
        }
        (None, false) => Body::Length(0),
    };
    out.extend_from_slice(b"Connection: close\r\n");
    if let Some(name) = address_header {
        let address = trusted.client(address, &forwarded);
        out.extend_from_slice(format!("{name}: {address}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    Ok(Framed { head: out, body })
}

fn trim(value: &[u8]) -> &[u8] {
    let start = value.iter().position(|b| !matches!(b, b' ' | b'\t'));
    let end = value.iter().rposition(|b| !matches!(b, b' ' | b'\t'));
    match (start, end) {
        (Some(s), Some(e)) => &value[s..=e],
        _ => &[],
    }
}

fn content_length(value: &[u8]) -> Result<u64, Refusal> {
    let digits = trim(value);
    let bad = Refusal::Malformed("Content-Length不合法");
    if digits.is_empty() || digits.len() > 18 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(bad);
    }
    std::str::from_utf8(digits)
        .ok()
        .and_then(|d| d.parse().ok())
        .ok_or(bad)
}

/// Where a chunked body stands, byte by byte (RFC 9112 §7.1), so that the front knows where it
/// ends without holding it. Stricter than hyper where they differ: what one refuses never reaches
/// the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chunked {
    /// Reading a chunk's size: its hex digits so far.
    Size {
        size: u64,
        digits: u8,
    },
    /// In a chunk extension (`;name=value`), up to the CR.
    Extension {
        size: u64,
        length: usize,
    },
    /// After the size line's CR.
    SizeLf {
        size: u64,
    },
    /// Inside a chunk's data: bytes left.
    Data(u64),
    DataCr,
    DataLf,
    /// After the last chunk: in a trailer line of this length (0: at a line start).
    Trailer {
        line: usize,
        total: usize,
    },
    TrailerLf {
        empty: bool,
        total: usize,
    },
    Done,
}

/// The longest chunk extension and the largest trailer taken.
const MAX_EXTENSION: usize = 4096;
const MAX_TRAILER: usize = 16 << 10;

impl Default for Chunked {
    fn default() -> Self {
        Chunked::Size { size: 0, digits: 0 }
    }
}

impl Chunked {
    /// Takes bytes of the body in order; returns how many belong to it (all of them until the
    /// end, then none).
    pub fn take(&mut self, bytes: &[u8]) -> Result<usize, &'static str> {
        let mut at = 0;
        while at < bytes.len() {
            if let Chunked::Data(left) = *self {
                let n = (left as usize).min(bytes.len() - at);
                at += n;
                let left = left - n as u64;
                *self = if left == 0 {
                    Chunked::DataCr
                } else {
                    Chunked::Data(left)
                };
                continue;
            }
            if *self == Chunked::Done {
                break;
            }
            *self = self.step(bytes[at])?;
            at += 1;
        }
        Ok(at)
    }

    pub fn done(&self) -> bool {
        *self == Chunked::Done
    }

    fn step(self, byte: u8) -> Result<Chunked, &'static str> {
        const BAD: &str = "分块编码不合法";
        Ok(match (self, byte) {
            (Chunked::Size { size, digits }, b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F') => {
                if digits >= 15 {
                    return Err(BAD);
                }
                let digit = (byte as char).to_digit(16).unwrap_or(0) as u64;
                Chunked::Size {
                    size: size * 16 + digit,
                    digits: digits + 1,
                }
            }
            (Chunked::Size { size, digits }, b';') if digits > 0 => {
                Chunked::Extension { size, length: 0 }
            }
            (Chunked::Size { size, digits }, b'\r') if digits > 0 => Chunked::SizeLf { size },
            (Chunked::Extension { size, .. }, b'\r') => Chunked::SizeLf { size },
            (Chunked::Extension { size, length }, b)
                if b == b'\t' || (b' '..=b'~').contains(&b) =>
            {
                if length >= MAX_EXTENSION {
                    return Err(BAD);
                }
                Chunked::Extension {
                    size,
                    length: length + 1,
                }
            }
            (Chunked::SizeLf { size: 0 }, b'\n') => Chunked::Trailer { line: 0, total: 0 },
            (Chunked::SizeLf { size }, b'\n') => Chunked::Data(size),
            (Chunked::DataCr, b'\r') => Chunked::DataLf,
            (Chunked::DataLf, b'\n') => Chunked::default(),
            (Chunked::Trailer { line, total }, b'\r') => Chunked::TrailerLf {
                empty: line == 0,
                total,
            },
            (Chunked::Trailer { line, total }, b) if b == b'\t' || b >= b' ' && b != 0x7f => {
                // A trailer line is a header field: it may not start with white space.
                if line == 0 && matches!(b, b' ' | b'\t') || total >= MAX_TRAILER {
                    return Err(BAD);
                }
                Chunked::Trailer {
                    line: line + 1,
                    total: total + 1,
                }
            }
            (Chunked::TrailerLf { empty: true, .. }, b'\n') => Chunked::Done,
            (
                Chunked::TrailerLf {
                    empty: false,
                    total,
                },
                b'\n',
            ) => Chunked::Trailer { line: 0, total },
            _ => return Err(BAD),
        })
    }
}

/// What of a body is still to come.
#[derive(Clone, Copy, Debug)]
pub enum Remaining {
    Length(u64),
    Chunked(Chunked),
}

impl Remaining {
    pub fn of(body: Body) -> Remaining {
        match body {
            Body::Length(n) => Remaining::Length(n),
            Body::Chunked => Remaining::Chunked(Chunked::default()),
        }
    }

    /// How many of `bytes` belong to the body.
    pub fn take(&mut self, bytes: &[u8]) -> Result<usize, &'static str> {
        match self {
            Remaining::Length(left) => {
                let n = (*left).min(bytes.len() as u64);
                *left -= n;
                Ok(n as usize)
            }
            Remaining::Chunked(state) => state.take(bytes),
        }
    }

    pub fn done(&self) -> bool {
        match self {
            Remaining::Length(left) => *left == 0,
            Remaining::Chunked(state) => state.done(),
        }
    }
}
