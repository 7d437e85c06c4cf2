//! The asset history's rules on an in-memory database: what a change records, taking changes
//! back, an asset as it stood at a moment, created ranges, and retention.

use super::assets::{self, AssetInserter, NewAsset};
use super::changes;
use super::fixture;
use super::history::*;
use super::org::QUANTITY_CATEGORY;
use crate::auth::Role;

struct World {
    conn: crate::db::Conn,
    asset: NewAsset,
    source: Source,
}

fn world() -> World {
    let conn = fixture::db();
    let c = fixture::insert_company(&conn);
    let liusn = fixture::insert_user(&conn, "liusn", Role::Manager, Some(c.id), Some(c.cst));
    let asset = fixture::new_asset(&conn, (c.cst, QUANTITY_CATEGORY), liusn, "椅子");
    let source = fixture::source(&asset);
    World {
        conn,
        asset,
        source,
    }
}

fn state(values: &NewAsset) -> State {
    State {
        values: values.clone(),
        expire: false,
    }
}

#[test]
fn a_diff_names_only_what_changed_and_taking_it_back_restores_the_values() {
    let w = world();
    let before = state(&w.asset);
    let mut after = before.clone();
    after.values.name = "旧椅子".into();
    after.values.count = 7;
    after.values.parent_id = Some(3);
    after.expire = true;
    let changes = diff(Some(&before), Some(&after));
    let keys: Vec<&String> = changes.keys().collect();
    assert_eq!(keys, ["parent_id", "name", "count", "expire"]);
    assert_eq!(changes["count"], serde_json::json!([1, 7]));
    assert_eq!(changes["parent_id"], serde_json::json!([null, 3]));
    let mut back = after.clone();
    take_back(&mut back, &changes).unwrap();
    assert_eq!(back, before);
    assert!(diff(Some(&before), Some(&before)).is_empty());
    // A creation names every column, its old side empty; its new side is the asset whole.
    let created = diff(None, Some(&before));
    assert_eq!(created.len(), 14);
    assert_eq!(whole_side(w.asset.entity_id, &created, 1).unwrap(), before);
}

#[test]
fn every_change_of_an_asset_records_one_entry_in_its_transaction() {
    let w = world();
    let id = assets::insert_asset(&w.conn, &w.asset, &w.source).unwrap();
    let mut renamed = w.asset.clone();
    renamed.name = "会议椅".into();
    let modified = (&w.source, Kind::Modified);
    changes::rewrite_asset(&w.conn, id, &w.asset, (&renamed, None), modified).unwrap();
    assets::retire_assets(&w.conn, &[id, id], &w.source).unwrap();
    let entries = own_since(&w.conn, id, 0).unwrap();
    let kinds: Vec<Kind> = entries.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [Kind::Retired, Kind::Modified, Kind::Created]);
    assert!(entries
        .iter()
        .all(|e| e.actor_id == Some(w.source.actor_id)));
    assert!(entries.iter().all(|e| e.task_id.is_none()));
    // A change that fails writes neither the asset nor its entry (the caller's transaction
    // rolls both back).
    let tx = w.conn.unchecked_transaction().unwrap();
    let mut broken = renamed.clone();
    broken.count = 0;
    assert!(changes::rewrite_asset(&tx, id, &renamed, (&broken, None), modified).is_err());
    drop(tx);
    assert_eq!(count_own(&w.conn, id).unwrap(), 3);
}

#[test]
fn an_import_batch_records_one_range_and_the_asset_as_it_stood_is_walked_back() {
    let w = world();
    let import = Source {
        task_id: Some(9),
        ..w.source
    };
    let mut inserter = AssetInserter::new(&w.conn).unwrap();
    let first = inserter.insert(&w.asset).unwrap();
    let second = inserter.insert(&w.asset).unwrap();
    inserter.finish(&import).unwrap();
    // A second finish records nothing new.
    inserter.finish(&import).unwrap();
    let (range, last) = created_range(&w.conn, second).unwrap().unwrap();
    assert_eq!(
        (range.asset_id, last, range.kind),
        (first, second, Kind::Imported)
    );
    assert_eq!(range.task_id, Some(9));
    assert!(created_range(&w.conn, second + 1).unwrap().is_none());
    assert_eq!(count_own(&w.conn, first).unwrap(), 0);

    // Moved on: the entries from a moment on walk the asset back to that moment.
    let mut moved = w.asset.clone();
    moved.count = 5;
    changes::rewrite_asset(
        &w.conn,
        first,
        &w.asset,
        (&moved, None),
        (&w.source, Kind::Modified),
    )
    .unwrap();
    let later = own_since(&w.conn, first, 0).unwrap();
    let now = Some(state(&moved));
    assert_eq!(
        state_at(now.clone(), &later, &[], first).unwrap(),
        Some(state(&w.asset))
    );
    assert_eq!(state_at(now.clone(), &[], &[], first).unwrap(), now);
    // Created after the moment: it was not there.
    assert_eq!(state_at(now, &[], &[(first, second)], first).unwrap(), None);

    // Deleted since: its deletion entry holds it whole.
    let stored = changes::stored_asset(&w.conn, second).unwrap().unwrap();
    changes::delete_asset(&w.conn, &stored, &import).unwrap();
    let later = own_since(&w.conn, second, 0).unwrap();
    assert_eq!(
        state_at(None, &later, &[], second).unwrap(),
        Some(stored.state())
    );
}

#[test]
fn ranges_are_found_by_binary_search_and_old_entries_go_in_batches() {
    let ranges = [(1, 3), (10, 10), (20, 25)];
    let found: Vec<i64> = (0..=26).filter(|id| in_ranges(&ranges, *id)).collect();
    assert_eq!(found, [1, 2, 3, 10, 20, 21, 22, 23, 24, 25]);
    assert!(!in_ranges(&[], 1));

    let w = world();
    let id = assets::insert_asset(&w.conn, &w.asset, &w.source).unwrap();
    assets::retire_assets(&w.conn, &[id], &w.source).unwrap();
    w.conn
        .execute("UPDATE asset_history SET at = at - 100 WHERE kind = 1", [])
        .unwrap();
    let cutoff = crate::clock::now_secs() - 50;
    assert_eq!(delete_before(&w.conn, cutoff, 10).unwrap(), 1);
    assert_eq!(delete_before(&w.conn, cutoff, 10).unwrap(), 0);
    assert_eq!(
        latest_own(&w.conn, id).unwrap().unwrap().kind,
        Kind::Retired
    );
}

#[test]
fn the_first_entry_after_a_moment_is_found_by_its_id() {
    let w = world();
    assert_eq!(first_id_after(&w.conn, 0).unwrap(), 1, "no entry yet");
    for at in [100, 200, 200, 300, 400, 500] {
        w.conn
            .execute(
                "INSERT INTO asset_history (asset_id, entity_id, at, kind) VALUES (1, 1, ?1, 2)",
                [at],
            )
            .unwrap();
    }
    // A gap in the ids, as retention leaves.
    w.conn
        .execute("DELETE FROM asset_history WHERE id = 4", [])
        .unwrap();
    // The search starts a day before the moment asked for (a clock set back by up to a day).
    let day = 86_400;
    let first_after = |moment: i64| first_id_after(&w.conn, moment + day).unwrap();
    assert_eq!(first_after(50), 1);
    assert_eq!(first_after(100), 2);
    assert_eq!(first_after(199), 2);
    // Id 4 is gone: the later entries are those from 4 on.
    assert_eq!(first_after(200), 4);
    assert_eq!(first_after(250), 4);
    assert_eq!(first_after(450), 6);
    assert_eq!(first_after(500), 7, "past the last");
    assert_eq!(changed_after(&w.conn, 1, 1000).unwrap(), Vec::<i64>::new());
    assert_eq!(changed_after(&w.conn, 1, 450 - day).unwrap(), [1]);
}
