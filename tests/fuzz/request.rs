//! One request and what its answer must be, and the text it is made of.

use rocket::http::{ContentType, Method};
use serde_json::Value;

/// One request and what its answer must be.
pub struct Req {
    pub method: Method,
    pub path: String,
    pub body: Vec<u8>,
    pub content_type: Option<ContentType>,
    pub label: &'static str,
    pub wrong_method: bool,
    /// The answer must not be code 0.
    pub refuse: bool,
    /// A 200 answer may be a file (page, template, download) instead of the envelope.
    pub file_ok: bool,
    /// A success must list nothing (a metacharacter matched as a pattern otherwise).
    pub expect_empty: bool,
}

pub fn describe(req: &Req) -> String {
    let head = &req.body[..req.body.len().min(200)];
    format!(
        "{} {:.300} (body of {} bytes: {:?}) [{}]",
        req.method,
        req.path,
        req.body.len(),
        String::from_utf8_lossy(head),
        req.label
    )
}

/// Percent-encodes every byte but ASCII letters and digits.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn js(s: &str) -> String {
    Value::from(s).to_string()
}

pub type Fields = Vec<(String, String)>;

/// An object's text from (field, raw JSON) pairs, in order.
pub fn object(fields: &Fields) -> String {
    let inner: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}:{v}", js(k)))
        .collect();
    format!("{{{}}}", inner.join(","))
}

pub fn set(fields: &mut Fields, key: &str, value: Option<String>) {
    fields.retain(|(k, _)| k != key);
    if let Some(v) = value {
        fields.push((key.to_owned(), v));
    }
}
