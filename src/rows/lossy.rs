//! A row as the client sent it, read back as far as it can be, to show it again (failed-row
//! lists and files): one value serde_json cannot hold — a number like 1e400, a lone surrogate
//! such as "\ud800" — must not hide the others.

use serde::de::{self, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// The JSON text with every escaped lone surrogate (`\ud800` without its pair) replaced by
/// `\ufffd`, the replacement character: what a browser shows for one.
fn without_lone_surrogates(text: &str) -> Cow<'_, str> {
    if !text.contains("\\u") && !text.contains("\\U") {
        return Cow::Borrowed(text);
    }
    let surrogate = |hex: &str| {
        u16::from_str_radix(hex, 16)
            .ok()
            .filter(|u| (0xD800..0xE000).contains(u))
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    // Backslashes occur only inside strings in JSON: escapes can be walked without tracking
    // whether we are in one.
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let escape = rest.get(..6).filter(|e| e.as_bytes()[1] == b'u');
        let Some(code) = escape.and_then(|e| surrogate(&e[2..])) else {
            // Any other escape (`\\`, `\"`, `\n`, a plain `\u00e9`): copied as is.
            let len = rest.chars().take(2).map(char::len_utf8).sum::<usize>();
            out.push_str(&rest[..len]);
            rest = &rest[len..];
            continue;
        };
        let low = rest
            .get(6..12)
            .filter(|e| e.starts_with("\\u"))
            .and_then(|e| surrogate(&e[2..]))
            .filter(|low| *low >= 0xDC00);
        if code < 0xDC00 && low.is_some() {
            out.push_str(&rest[..12]);
            rest = &rest[12..];
        } else {
            out.push_str("\\ufffd");
            rest = &rest[6..];
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// One value: as JSON where it can be read, else its text as sent (1e400 stays "1e400").
pub fn value(raw: &str) -> Value {
    let text = without_lone_surrogates(raw);
    serde_json::from_str(&text).unwrap_or_else(|_| Value::String(raw.trim().to_owned()))
}

/// The row's fields in the order sent, each read on its own by `value`; None when the row is not
/// a JSON object.
pub fn object(row: &str) -> Option<Map<String, Value>> {
    struct RawFields(Vec<(String, Box<RawValue>)>);
    impl<'de> de::Deserialize<'de> for RawFields {
        fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct Fields;
            impl<'de> Visitor<'de> for Fields {
                type Value = RawFields;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a JSON object")
                }
                fn visit_map<A: de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<RawFields, A::Error> {
                    let mut fields = Vec::new();
                    while let Some(field) = map.next_entry()? {
                        fields.push(field);
                    }
                    Ok(RawFields(fields))
                }
            }
            d.deserialize_map(Fields)
        }
    }
    let text = without_lone_surrogates(row);
    let RawFields(fields) = serde_json::from_str(&text).ok()?;
    Some(
        fields
            .into_iter()
            .map(|(k, v)| (k, value(v.get())))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_field_is_read_on_its_own() {
        let row =
            r#"{"name":"a\ud800b","price":1e400,"count":3,"user":"\ud83d\ude00","x":"\\ud800"}"#;
        let fields = object(row).unwrap();
        assert_eq!(fields["name"], json!("a\u{fffd}b"));
        assert_eq!(fields["price"], json!("1e400"));
        assert_eq!(fields["count"], json!(3));
        assert_eq!(fields["user"], json!("😀"));
        // An escaped backslash followed by "ud800" is text, not an escape.
        assert_eq!(fields["x"], json!("\\ud800"));
        let keys: Vec<&String> = fields.keys().collect();
        assert_eq!(keys, ["name", "price", "count", "user", "x"]);
        assert_eq!(object("[1]"), None);
        assert_eq!(value("\"\\udc00\""), json!("\u{fffd}"));
        assert_eq!(value("-1e999"), json!("-1e999"));
    }
}
