//! The values of an import row's cells as the rules read them: texts, numbers, money in cents,
//! the asset class, a parent, and dates (text or Excel serial).

use super::fields::Val;
use super::{Parent, INT_MAX, MONEY_MAX};

/// A JSON string.
pub(super) fn text<'v>(v: &'v Val) -> Option<&'v str> {
    match v {
        Val::Str(s) => Some(s),
        _ => None,
    }
}

/// A JSON string or nothing.
pub(super) fn optional_text<'v>(v: &'v Val) -> Option<Option<&'v str>> {
    match v {
        Val::Absent => Some(None),
        Val::Str(s) => Some(Some(s)),
        _ => None,
    }
}

/// A number, or a string holding one (Excel hands out both).
pub(super) fn number(v: &Val) -> Option<f64> {
    let n = match v {
        Val::Num(n) => *n,
        Val::Str(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    n.is_finite().then_some(n)
}

pub(super) fn integer(v: &Val) -> Option<i64> {
    let n = number(v)?;
    (n.fract() == 0.0 && n.abs() <= INT_MAX).then_some(n as i64)
}

/// Money as people write it in Excel: a number, or text with an optional leading ¥ / ￥ and
/// thousands separators in their places (1,299.50).
pub(super) fn cents(v: &Val) -> Option<i64> {
    let n = match v {
        Val::Str(s) => {
            let t = s.trim();
            let t = t.strip_prefix(['¥', '￥']).unwrap_or(t).trim_start();
            let plain = if t.contains(',') {
                let (whole, fraction) = t.split_once('.').map_or((t, None), |(w, f)| (w, Some(f)));
                let digits = whole.strip_prefix('-').unwrap_or(whole);
                let groups: Vec<&str> = digits.split(',').collect();
                let grouped = groups[0].len() <= 3
                    && !groups[0].is_empty()
                    && groups[1..].iter().all(|g| g.len() == 3)
                    && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()));
                if !grouped {
                    return None;
                }
                let mut plain = whole.replace(',', "");
                if let Some(f) = fraction {
                    plain.push('.');
                    plain.push_str(f);
                }
                plain
            } else {
                t.to_owned()
            };
            number(&Val::Str(plain.into()))?
        }
        _ => number(v)?,
    };
    (n.abs() <= MONEY_MAX).then(|| (n * 100.0).round() as i64)
}

pub(super) fn asset_class(v: &Val) -> Option<i64> {
    if let Val::Str(s) = v {
        match s.trim() {
            "条目型" => return Some(1),
            "数量型" => return Some(0),
            _ => {}
        }
    }
    integer(v).filter(|c| *c == 0 || *c == 1)
}

pub(super) fn parent(v: &Val) -> Option<Option<Parent>> {
    match v {
        Val::Absent => Some(None),
        Val::Str(s) if s.trim().is_empty() => Some(None),
        Val::Str(s) => match s.trim().parse::<i64>() {
            Ok(id) if id > 0 => Some(Some(Parent::Id(id))),
            _ => Some(Some(Parent::Name(s.to_string()))),
        },
        Val::Num(_) => integer(v)
            .filter(|id| *id > 0)
            .map(|id| Some(Parent::Id(id))),
        Val::Other => None,
    }
}

pub(super) fn create_day(v: &Val, today: i64) -> Option<i64> {
    let date = match v {
        Val::Absent => return Some(today),
        Val::Str(s) if s.trim().is_empty() => return Some(today),
        Val::Str(s) => parse_date(s)?,
        // An Excel date serial (a date cell read as its number).
        Val::Num(n) => excel_serial_date(*n)?,
        Val::Other => return None,
    };
    let day = crate::clock::day_of(date);
    (day <= today).then_some(day)
}

/// A date as people write it: `yyyy-mm-dd`, `yyyy/m/d` (one or two digits each), a time after
/// it ignored (`2024-03-05 08:00:00`, as an Excel date-time cell reads), or an Excel date serial
/// (`45356`, a date cell a program saved as a plain number).
pub fn parse_date(s: &str) -> Option<chrono::NaiveDate> {
    let s = s.trim();
    let day = s.split([' ', 'T']).next().unwrap_or(s);
    // The common `yyyy-mm-dd` read without a format string (a million rows have one each);
    // whatever else goes the general way below.
    if let [y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2] = *day.as_bytes() {
        let digits = [y1, y2, y3, y4, m1, m2, d1, d2];
        if digits.iter().all(u8::is_ascii_digit) {
            let n = |ds: &[u8]| ds.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
            let (year, month, date) = (n(&digits[..4]), n(&digits[4..6]), n(&digits[6..]));
            return chrono::NaiveDate::from_ymd_opt(year as i32, month, date);
        }
    }
    for format in ["%Y-%m-%d", "%Y/%m/%d"] {
        if let Ok(date) = chrono::NaiveDate::parse_from_str(day, format) {
            // chrono takes 1- to 4-digit years; a date a register holds has four.
            if day.len() >= 8 && day.as_bytes()[4].is_ascii_punctuation() {
                return Some(date);
            }
        }
    }
    if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return excel_serial_date(s.parse().ok()?);
    }
    None
}

/// The day of an Excel date serial (1900 date system: 25569 is 1970-01-01); a time of day in
/// the fraction is dropped. Serials before 1900-03-01 (Excel's own leap-year mistake) and
/// past 9999 are no dates.
pub(super) fn excel_serial_date(n: f64) -> Option<chrono::NaiveDate> {
    if !n.is_finite() || !(61.0..2_958_466.0).contains(&n) {
        return None;
    }
    let base = chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?;
    base.checked_add_days(chrono::Days::new(n.trunc() as u64))
}

/// A whole number a client or a file sent in JSON (a number or text, as `integer` reads it):
/// Some(None) when absent or blank, None when it is not one.
pub fn whole_number(v: &serde_json::Value) -> Option<Option<i64>> {
    match v {
        serde_json::Value::Null => Some(None),
        serde_json::Value::String(s) if s.trim().is_empty() => Some(None),
        serde_json::Value::Number(n) => integer(&Val::Num(n.as_f64()?)).map(Some),
        serde_json::Value::String(s) => integer(&Val::Str(s.as_str().into())).map(Some),
        _ => None,
    }
}

/// Money as text with two decimals (12.50).
pub fn yuan_text(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", (cents / 100).abs(), (cents % 100).abs())
}

/// Money a client sent in JSON (a number or text as `cents` reads it), in cents.
pub fn money_cents(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::Number(n) => cents(&Val::Num(n.as_f64()?)),
        serde_json::Value::String(s) => cents(&Val::Str(s.as_str().into())),
        _ => None,
    }
}
