//! The records an undo works from, and the changes it makes, on an in-memory database: stored
//! assets with their names, rewrites and deletions that keep the counts, the id ranges a task
//! created, the values an update replaced, a dry run's would-be items and its preview.

use super::assets::{self, NewAsset};
use super::changes::*;
use super::fixture::{self, TaskRow};
use super::history::{self, Kind};
use super::org::{ITEM_CATEGORY, QUANTITY_CATEGORY, ROOT_CATEGORY};
use super::tasks::TaskKind;
use crate::auth::Role;
use serde_json::json;

struct World {
    conn: crate::db::Conn,
    cst: i64,
    finance: i64,
    liusn: i64,
    caiwu: i64,
    /// An import task of liusn's.
    task: i64,
    /// An item of CST and a quantity asset below it.
    server: i64,
    chairs: i64,
}

fn world() -> World {
    let conn = fixture::db();
    let c = fixture::insert_company(&conn);
    let (company, cst, finance) = (c.id, c.cst, c.finance);
    let liusn = fixture::insert_user(&conn, "liusn", Role::Manager, Some(company), Some(cst));
    let caiwu = fixture::insert_user(&conn, "caiwu", Role::Staff, Some(company), Some(finance));
    let task = fixture::insert_task(&conn, &TaskRow::new(company, liusn, TaskKind::Import));
    let server = fixture::insert_asset(
        &conn,
        &fixture::new_asset(&conn, (cst, ITEM_CATEGORY), liusn, "服务器"),
    );
    let mut chairs = fixture::new_asset(&conn, (cst, QUANTITY_CATEGORY), liusn, "椅子");
    chairs.parent_id = Some(server);
    chairs.count = 10;
    let chairs = fixture::insert_asset(&conn, &chairs);
    World {
        conn,
        cst,
        finance,
        liusn,
        caiwu,
        task,
        server,
        chairs,
    }
}

impl World {
    fn stored(&self, id: i64) -> StoredAsset {
        stored_asset(&self.conn, id)
            .unwrap()
            .expect("a stored asset")
    }

    /// (department count, category count) as kept.
    fn kept(&self, department: i64, category: i64) -> (i64, i64) {
        self.conn
            .query_row(
                "SELECT d.asset_count, c.asset_count FROM department d, category c
                 WHERE d.id = ?1 AND c.id = ?2",
                [department, category],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
    }

    fn category(&self, department: i64, name: &str) -> i64 {
        super::org::category_by_name(&self.conn, department, name)
            .unwrap()
            .unwrap()
            .id
    }
}

#[test]
fn a_stored_asset_comes_with_the_names_a_blank_cell_falls_back_to() {
    let w = world();
    let chairs = w.stored(w.chairs);
    assert_eq!(chairs.id, w.chairs);
    assert_eq!(
        (
            chairs.department_name.as_str(),
            chairs.category_name.as_str(),
            chairs.owner_name.as_str(),
            chairs.parent_name.as_str()
        ),
        ("CST", QUANTITY_CATEGORY, "liusn", "服务器")
    );
    assert_eq!(
        (chairs.values.count, chairs.values.parent_id),
        (10, Some(w.server))
    );
    assert_eq!((chairs.expire, chairs.revision), (false, 0));
    assert_eq!(w.stored(w.server).parent_name, "");
    assert!(stored_asset(&w.conn, 999).unwrap().is_none());
}

#[test]
fn a_rewrite_moves_the_kept_counts_and_the_revision() {
    let w = world();
    let quantity = w.category(w.cst, QUANTITY_CATEGORY);
    let finance_root = w.category(w.finance, ROOT_CATEGORY);
    assert_eq!(w.kept(w.cst, quantity), (2, 1));
    let before = w.stored(w.chairs).values;
    let moved = NewAsset {
        department_id: w.finance,
        category_id: finance_root,
        owner_id: w.caiwu,
        parent_id: None,
        name: "财务椅".into(),
        ..before.clone()
    };
    let source = fixture::source(&before);
    let modified = (&source, Kind::Modified);
    let (revision, entry) =
        rewrite_asset(&w.conn, w.chairs, &before, (&moved, None), modified).unwrap();
    assert_eq!(revision, 1);
    // Its history entry names what changed, old and new.
    let entry = history::own_since(&w.conn, w.chairs, entry.unwrap()).unwrap();
    let changed: Vec<&String> = entry[0].changes.as_ref().unwrap().keys().collect();
    assert_eq!(
        changed,
        [
            "department_id",
            "category_id",
            "parent_id",
            "owner_id",
            "name"
        ]
    );
    assert_eq!(w.stored(w.chairs).values, moved);
    assert_eq!(w.kept(w.cst, quantity), (1, 0));
    assert_eq!(w.kept(w.finance, finance_root), (1, 1));
    // Within one department and category nothing moves; the revision may be set back.
    let renamed = NewAsset {
        name: "旧椅".into(),
        ..moved.clone()
    };
    assert_eq!(
        rewrite_asset(&w.conn, w.chairs, &moved, (&renamed, Some(7)), modified)
            .unwrap()
            .0,
        7
    );
    // Values rewritten as they were change nothing, and the history says nothing.
    let same = rewrite_asset(&w.conn, w.chairs, &renamed, (&renamed, Some(7)), modified);
    assert_eq!(same.unwrap(), (7, None));
    assert_eq!(history::count_own(&w.conn, w.chairs).unwrap(), 1 + 2);
    assert_eq!(w.kept(w.finance, finance_root), (1, 1));
    assert_eq!(w.stored(w.chairs).revision, 7);
    // Values the asset's row refuses change nothing, the counts included.
    let broken = NewAsset {
        count: 0,
        department_id: w.cst,
        category_id: quantity,
        ..renamed.clone()
    };
    assert!(rewrite_asset(&w.conn, w.chairs, &renamed, (&broken, None), modified).is_err());
    assert_eq!(w.stored(w.chairs).values, renamed);
    assert_eq!(w.kept(w.finance, finance_root), (1, 1));
    assert_eq!(w.kept(w.cst, quantity), (1, 0));
}

#[test]
fn an_undone_asset_is_deleted_and_its_id_never_given_again() {
    let w = world();
    let quantity = w.category(w.cst, QUANTITY_CATEGORY);
    let chairs = w.stored(w.chairs);
    assert_eq!(assets::next_asset_id(&w.conn).unwrap(), w.chairs + 1);
    delete_asset(&w.conn, &chairs, &fixture::source(&chairs.values)).unwrap();
    // The deletion's history entry keeps every value it had.
    let deleted = history::latest_own(&w.conn, w.chairs).unwrap().unwrap();
    assert_eq!(deleted.kind, Kind::UndoDeleted);
    let kept = history::whole_side(deleted.entity_id, deleted.changes.as_ref().unwrap(), 0);
    assert_eq!(kept.unwrap(), chairs.state());
    assert!(stored_asset(&w.conn, w.chairs).unwrap().is_none());
    assert_eq!(w.kept(w.cst, quantity), (1, 0));
    // The highest id went, yet the next asset does not take it.
    assert_eq!(assets::next_asset_id(&w.conn).unwrap(), w.chairs + 1);
    assert!(!has_children(&w.conn, w.server).unwrap());
}

#[test]
fn children_added_since_a_task_changed_an_asset_are_told_from_its_own() {
    let w = world();
    assert!(has_children(&w.conn, w.server).unwrap());
    assert!(!has_children(&w.conn, w.chairs).unwrap());
    // The chairs were there when the task changed the server (mark: their id).
    assert!(!child_added_since(&w.conn, w.server, w.chairs, w.task).unwrap());
    let child = |name: &str| {
        let mut a = fixture::new_asset(&w.conn, (w.cst, ITEM_CATEGORY), w.liusn, name);
        a.parent_id = Some(w.server);
        fixture::insert_asset(&w.conn, &a)
    };
    // One the task created itself does not count ...
    let own = child("硬盘");
    record_created(&w.conn, w.task, (own, own)).unwrap();
    assert!(!child_added_since(&w.conn, w.server, w.chairs, w.task).unwrap());
    // ... one added by anyone else does.
    child("网卡");
    assert!(child_added_since(&w.conn, w.server, w.chairs, w.task).unwrap());
}

#[test]
fn created_ranges_are_taken_back_from_the_highest() {
    let w = world();
    record_created(&w.conn, w.task, (10, 12)).unwrap();
    record_created(&w.conn, w.task, (20, 20)).unwrap();
    assert_eq!(undo_size(&w.conn, w.task).unwrap(), (0, 4));
    assert_eq!(last_created(&w.conn, w.task).unwrap(), Some((20, 20)));
    shrink_created(&w.conn, w.task, 20, 19).unwrap();
    assert_eq!(last_created(&w.conn, w.task).unwrap(), Some((10, 12)));
    shrink_created(&w.conn, w.task, 10, 11).unwrap();
    assert_eq!(last_created(&w.conn, w.task).unwrap(), Some((10, 11)));
    assert_eq!(undo_size(&w.conn, w.task).unwrap(), (0, 2));
    shrink_created(&w.conn, w.task, 10, 9).unwrap();
    assert_eq!(last_created(&w.conn, w.task).unwrap(), None);
    assert_eq!(undo_size(&w.conn, w.task).unwrap(), (0, 0));
}

#[test]
fn a_change_record_keeps_the_history_entry_of_the_tasks_first_update() {
    let w = world();
    let first = w.stored(w.chairs);
    // The task's first update changed nothing; its second is the first with an entry.
    record_change(&w.conn, w.task, &first, (1, None), 5).unwrap();
    let mut later = first.clone();
    later.values.name = "改过的椅子".into();
    later.revision = 1;
    record_change(&w.conn, w.task, &later, (2, Some(40)), 9).unwrap();
    // A third moves only the revision it left.
    record_change(&w.conn, w.task, &later, (3, Some(41)), 9).unwrap();
    record_change(&w.conn, w.task, &w.stored(w.server), (1, Some(42)), 5).unwrap();
    assert_eq!(undo_size(&w.conn, w.task).unwrap(), (2, 0));
    let records = changes(&w.conn, w.task, 10).unwrap();
    let ids: Vec<i64> = records.iter().map(|c| c.asset_id).collect();
    assert_eq!(ids, [w.chairs, w.server], "highest asset id first");
    let chairs = &records[0];
    assert_eq!(
        (chairs.before_revision, chairs.revision, chairs.id_mark),
        (0, 3, 5)
    );
    assert_eq!((chairs.history_id, &chairs.before), (Some(40), &None));
    assert_eq!(changes(&w.conn, w.task, 1).unwrap().len(), 1);
    forget_change(&w.conn, w.task, w.chairs).unwrap();
    let left: Vec<i64> = changes(&w.conn, w.task, 10)
        .unwrap()
        .iter()
        .map(|c| c.asset_id)
        .collect();
    assert_eq!(left, [w.server]);
}

#[test]
fn a_dry_runs_would_be_items_are_found_by_department_and_name() {
    let w = world();
    for seq in [3, 3, 8, 9] {
        record_dry_item(&w.conn, w.task, w.cst, "机柜", seq).unwrap();
    }
    record_dry_item(&w.conn, w.task, w.finance, "账柜", 4).unwrap();
    // At most two: enough to tell one from several.
    assert_eq!(
        dry_items_named(&w.conn, w.task, w.cst, "机柜").unwrap(),
        [3, 8]
    );
    assert_eq!(
        dry_items_named(&w.conn, w.task, w.finance, "账柜").unwrap(),
        [4]
    );
    assert!(dry_items_named(&w.conn, w.task, w.cst, "账柜")
        .unwrap()
        .is_empty());
}

#[test]
fn a_preview_keeps_the_first_changes_up_to_its_size() {
    let w = world();
    add_preview(&w.conn, w.task, &[], 3).unwrap();
    assert_eq!(preview(&w.conn, w.task).unwrap(), None);
    add_preview(&w.conn, w.task, &[json!({"row": 1}), json!({"row": 2})], 3).unwrap();
    add_preview(&w.conn, w.task, &[json!({"row": 3}), json!({"row": 4})], 3).unwrap();
    add_preview(&w.conn, w.task, &[json!({"row": 5})], 3).unwrap();
    let kept: serde_json::Value =
        serde_json::from_str(&preview(&w.conn, w.task).unwrap().unwrap()).unwrap();
    assert_eq!(kept, json!([{"row": 1}, {"row": 2}, {"row": 3}]));
}
