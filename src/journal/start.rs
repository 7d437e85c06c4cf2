//! The settings a start runs with (`config::Settings`, as read from `Rocket.toml` and
//! `ROCKET_*`), recorded when they differ from those the last start recorded, and at the first
//! start: an auditor sees when a retention period or a bound changed, and to what. A secret is
//! recorded only as whether it is set (`admin_password`).

use super::Kind;
use crate::config::Settings;
use crate::db::journal::{self as sql, NewEntry};
use crate::db::Conn;
use serde_json::{json, Map, Value};

/// The name the settings' entries give as their actor: no user made the change.
pub const SYSTEM: &str = "系统";

fn snapshot(settings: &Settings) -> Result<Map<String, Value>, String> {
    match serde_json::to_value(settings) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(_) => Err("settings are not an object".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// Each setting whose value differs between `before` and `now` (or that only one has), as
/// `[before, now]`.
fn changes(before: &Map<String, Value>, now: &Map<String, Value>) -> Map<String, Value> {
    let mut keys: Vec<&String> = before.keys().chain(now.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| before.get(*k) != now.get(*k))
        .map(|k| {
            let side = |m: &Map<String, Value>| m.get(k).cloned().unwrap_or(Value::Null);
            (k.clone(), json!([side(before), side(now)]))
        })
        .collect()
}

/// Writes a `settings_changed` entry when the settings differ from those of the last one
/// (every setting, and the changed ones with their value before), or when there is none yet.
pub fn record_settings(conn: &mut Conn, settings: &Settings) -> Result<(), String> {
    let fail = |e: &dyn std::fmt::Display| format!("recording the settings: {e}");
    let now = snapshot(settings).map_err(|e| fail(&e))?;
    let tx = crate::db::write_tx(conn).map_err(|e| fail(&e))?;
    let last = sql::last_of_kind(&tx, Kind::SettingsChanged.code()).map_err(|e| fail(&e))?;
    let before = last
        .and_then(|e| e.detail)
        .and_then(|d| serde_json::from_str::<Value>(&d).ok())
        .and_then(|d| d.get("settings").and_then(Value::as_object).cloned());
    let detail = match before {
        None => json!({"first": true, "settings": now}),
        Some(before) => {
            let changed = changes(&before, &now);
            if changed.is_empty() {
                return Ok(());
            }
            json!({"changed": changed, "settings": now})
        }
    };
    let entry = NewEntry {
        at: crate::clock::now_secs(),
        entity_id: None,
        actor_id: None,
        actor_name: SYSTEM.into(),
        kind: Kind::SettingsChanged.code(),
        task_id: None,
        address: None,
        detail: detail.to_string(),
    };
    sql::insert(&tx, &entry).map_err(|e| fail(&e))?;
    tx.commit().map_err(|e| fail(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(conn: &Conn) -> Vec<Value> {
        let mut stmt = conn
            .prepare("SELECT detail FROM journal WHERE kind = 'settings_changed' ORDER BY id")
            .unwrap();
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
        rows.map(|d| serde_json::from_str(&d.unwrap()).unwrap())
            .collect()
    }

    #[test]
    fn the_first_start_records_the_settings_and_a_start_records_only_what_changed() {
        let mut conn = crate::db::fixture::db();
        let mut settings = Settings {
            admin_password: Some("Very-secret-1".into()),
            ..Settings::default()
        };
        record_settings(&mut conn, &settings).unwrap();
        record_settings(&mut conn, &settings).unwrap();
        let first = recorded(&conn);
        assert_eq!(first.len(), 1, "{first:?}");
        assert_eq!(first[0]["first"], json!(true));
        assert_eq!(first[0]["settings"]["task_workers"], json!(2));
        // The secret only as whether it is set.
        assert_eq!(first[0]["settings"]["admin_password"], json!(true));
        assert!(!first[0].to_string().contains("Very-secret-1"));

        settings.task_workers = 4;
        settings.admin_password = None;
        record_settings(&mut conn, &settings).unwrap();
        let all = recorded(&conn);
        assert_eq!(all.len(), 2);
        assert_eq!(
            all[1]["changed"],
            json!({"admin_password": [true, false], "task_workers": [2, 4]})
        );
        assert_eq!(all[1]["settings"]["task_workers"], json!(4));
        let (name, entity): (String, Option<i64>) = conn
            .query_row(
                "SELECT actor_name, entity_id FROM journal ORDER BY id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((name.as_str(), entity), (SYSTEM, None));
    }
}
