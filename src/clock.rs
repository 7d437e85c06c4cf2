//! The clock as assetport stores it: task times as local 'YYYY-MM-DD HH:MM:SS' text, session
//! times as Unix seconds, asset dates as days since 1970-01-01.

/// Now, local time, as the task times are stored ('YYYY-MM-DD HH:MM:SS').
pub fn now_text() -> String {
    chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Unix seconds as local time, as the task times are stored and shown ('YYYY-MM-DD HH:MM:SS').
pub fn local_time(secs: i64) -> String {
    use chrono::TimeZone;
    chrono::Local
        .timestamp_opt(secs, 0)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// Unix seconds now.
pub fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Today's local date as days since 1970-01-01.
pub fn today_day() -> i64 {
    day_of(chrono::Local::now().date_naive())
}

pub fn day_of(date: chrono::NaiveDate) -> i64 {
    date.signed_duration_since(epoch()).num_days()
}

pub fn date_of(day: i64) -> chrono::NaiveDate {
    epoch() + chrono::Duration::days(day)
}

/// A day as `YYYY-MM-DD` (a million update rows format one each: no format string parsed).
pub fn day_text(day: i64) -> String {
    use chrono::Datelike;
    let date = date_of(day);
    format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day())
}

fn epoch() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}
