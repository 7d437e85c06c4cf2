//! The stocktake rules on an in-memory database: the frozen expected list, each line state a
//! scan can give, a second scan counting nothing, 盘盈, an asset changed after the snapshot,
//! 盘亏 on completion, and who may count.

use super::*;
use crate::db::fixture;
use crate::db::history::Source;

struct World {
    conn: crate::db::Conn,
    manager: Caller,
    admin: Caller,
    staff: Caller,
    /// Three assets of CST held by the manager, at 「A座」, ten of each.
    assets: Vec<i64>,
}

fn world() -> World {
    let conn = fixture::db();
    let c = fixture::insert_company(&conn);
    let liusn = fixture::insert_user(&conn, "liusn", Role::Manager, Some(c.id), Some(c.cst));
    let zhangsan = fixture::insert_user(&conn, "zhangsan", Role::Staff, Some(c.id), Some(c.cst));
    let admin = fixture::insert_user(&conn, "sysadmin", Role::Admin, Some(c.id), None);
    let assets = (0..3)
        .map(|i| {
            let mut a =
                fixture::new_asset(&conn, (c.cst, "数量型资产"), liusn, &format!("椅子{i}"));
            a.position = "A座".into();
            a.count = 10;
            fixture::insert_asset(&conn, &a)
        })
        .collect();
    World {
        manager: fixture::caller(liusn, "liusn", Role::Manager, (c.id, c.cst)),
        admin: fixture::caller(admin, "sysadmin", Role::Admin, (c.id, c.cst)),
        staff: fixture::caller(zhangsan, "zhangsan", Role::Staff, (c.id, c.cst)),
        conn,
        assets,
    }
}

fn new(name: &str) -> NewStocktake {
    NewStocktake {
        name: name.into(),
        filter: None,
    }
}

fn scan_of(code: Value) -> Scan {
    Scan {
        code,
        position: None,
        count: None,
        holder: None,
        note: None,
    }
}

#[test]
fn each_scan_gives_its_line_state_once_and_completion_marks_the_rest_missing() {
    let w = world();
    let id = start(&w.conn, &w.manager, new("年度盘点")).unwrap();
    let summary = detail(&w.conn, &w.manager, id).unwrap();
    assert_eq!(
        (
            &summary["expected"],
            &summary["counted"],
            &summary["state_label"]
        ),
        (&json!(3), &json!(0), &json!("进行中"))
    );
    // As expected: 相符.
    let first = scan(&w.conn, &w.manager, id, &scan_of(json!(w.assets[0]))).unwrap();
    assert_eq!(first["result_label"], "相符", "{first}");
    // Again, by someone else: 已盘过, by whom, counting nothing.
    let again = scan(
        &w.conn,
        &w.admin,
        id,
        &scan_of(json!(w.assets[0].to_string())),
    )
    .unwrap();
    assert_eq!(
        (&again["result_label"], &again["counted_by"]),
        (&json!("已盘过"), &json!("liusn")),
        "{again}"
    );
    // Elsewhere: 位置不符, with where it was found.
    let moved = Scan {
        position: Some("B座".into()),
        ..scan_of(json!(w.assets[1]))
    };
    let found = scan(&w.conn, &w.manager, id, &moved).unwrap();
    assert_eq!(found["result_label"], "位置不符");
    assert_eq!(found["line"]["found_position"], "B座");
    assert_eq!(found["line"]["expected_position"], "A座");
    // A code nobody expected: 盘盈, once.
    let extra = scan(&w.conn, &w.manager, id, &scan_of(json!("X-0042"))).unwrap();
    assert_eq!(extra["result_label"], "盘盈");
    let extra = scan(&w.conn, &w.admin, id, &scan_of(json!("X-0042"))).unwrap();
    assert_eq!(extra["result_label"], "已盘过");
    let summary = detail(&w.conn, &w.manager, id).unwrap();
    assert_eq!(
        (
            &summary["counted"],
            &summary["extras"],
            &summary["by_state"]["misplaced"]
        ),
        (&json!(2), &json!(1), &json!(1))
    );
    // Completed: the line never counted is 盘亏, and no more scans.
    let done = end(&w.conn, &w.manager, id, true).unwrap();
    assert_eq!(done["state_label"], "已完成");
    assert_eq!(done["by_state"]["missing"], 1);
    let page = Page { page: 1, size: 10 };
    let missing = lines(&w.conn, &w.manager, id, Some("盘亏"), &page).unwrap();
    assert_eq!(missing.data.len(), 1);
    assert_eq!(missing.data[0]["asset"], w.assets[2]);
    assert!(matches!(
        scan(&w.conn, &w.manager, id, &scan_of(json!(w.assets[2]))),
        Err(Error::Rule(why)) if why == "该盘点已完成，不能再盘点"
    ));
    assert!(matches!(
        end(&w.conn, &w.manager, id, false),
        Err(Error::Rule(_))
    ));
}

#[test]
fn a_count_or_holder_that_differs_and_an_asset_changed_since_are_told_apart() {
    let w = world();
    let id = start(&w.conn, &w.manager, new("复盘")).unwrap();
    // An unknown holder is refused and counts nothing.
    let unknown = Scan {
        holder: Some("nobody".into()),
        ..scan_of(json!(w.assets[0]))
    };
    assert!(matches!(
        scan(&w.conn, &w.manager, id, &unknown),
        Err(Error::Rule(why)) if why == "用户「nobody」不存在"
    ));
    let short = Scan {
        count: Some(8),
        ..scan_of(json!(w.assets[0]))
    };
    assert_eq!(
        scan(&w.conn, &w.manager, id, &short).unwrap()["result_label"],
        "数量不符"
    );
    let held = Scan {
        holder: Some("zhangsan".into()),
        ..scan_of(json!(w.assets[1]))
    };
    let found = scan(&w.conn, &w.manager, id, &held).unwrap();
    assert_eq!(found["result_label"], "持有人不符");
    assert_eq!(found["line"]["found_holder"], "zhangsan");
    // Changed in the register after the snapshot: flagged on its line.
    let before = changes::stored_asset(&w.conn, w.assets[2])
        .unwrap()
        .unwrap();
    let mut after = before.values.clone();
    after.position = "仓库".into();
    let source = Source {
        entity_id: after.entity_id,
        actor_id: w.manager.user_id,
        task_id: None,
        request_id: None,
    };
    let change = (&source, crate::db::history::Kind::Modified);
    changes::rewrite_asset(&w.conn, w.assets[2], &before.values, (&after, None), change).unwrap();
    let found = scan(&w.conn, &w.manager, id, &scan_of(json!(w.assets[2]))).unwrap();
    assert_eq!(found["result_label"], "相符", "compared with the snapshot");
    assert_eq!(found["line"]["changed_since"], true);
    let page = Page { page: 1, size: 10 };
    let all = lines(&w.conn, &w.manager, id, None, &page).unwrap();
    assert_eq!(all.total, 3);
    assert_eq!(detail(&w.conn, &w.manager, id).unwrap()["counted"], 3);
}

#[test]
fn staff_neither_start_nor_count_and_bad_scans_are_refused() {
    let w = world();
    assert!(matches!(
        start(&w.conn, &w.staff, new("x")),
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        start(&w.conn, &w.manager, new("  ")),
        Err(Error::Rule(_))
    ));
    let id = start(&w.conn, &w.admin, new("全公司")).unwrap();
    assert!(matches!(
        detail(&w.conn, &w.staff, id),
        Err(Error::Forbidden)
    ));
    // The whole company's stocktake is the system admin's: a manager does not see it.
    assert!(matches!(
        detail(&w.conn, &w.manager, id),
        Err(Error::NotFound(_))
    ));
    for code in [json!(""), json!(null), json!([1]), json!("a\u{0}b")] {
        assert!(
            matches!(
                scan(&w.conn, &w.admin, id, &scan_of(code.clone())),
                Err(Error::BadBody(_))
            ),
            "{code}"
        );
    }
    let negative = Scan {
        count: Some(-1),
        ..scan_of(json!(w.assets[0]))
    };
    assert!(matches!(
        scan(&w.conn, &w.admin, id, &negative),
        Err(Error::BadBody(_))
    ));
    assert_eq!(detail(&w.conn, &w.admin, id).unwrap()["counted"], 0);
}

/// Over the batch size a stocktake starts 准备中: no scan, no completion, a void allowed; its
/// freeze task lists a batch per transaction (an id that is no asset a failed row) and the last
/// batch makes it 进行中.
#[test]
fn a_large_stocktake_is_prepared_batch_by_batch_then_counted() {
    let mut w = world();
    let started = start_with(&w.conn, &w.manager, new("大盘点"), 2).unwrap();
    let (id, mut ids) = (started.id, started.to_freeze.unwrap());
    assert_eq!(ids, w.assets);
    let row = found(&w.conn, &w.manager, id).unwrap();
    assert_eq!((row.state, state_label(row.state)), (PREPARING, "准备中"));
    let scanned = scan(&w.conn, &w.manager, id, &scan_of(json!(w.assets[0])));
    assert!(
        matches!(&scanned, Err(Error::Rule(why)) if why == "盘点清单正在生成，请稍候再盘点"),
        "{scanned:?}"
    );
    assert!(
        matches!(end(&w.conn, &w.manager, id, true),
            Err(Error::Rule(why)) if why == "盘点清单正在生成，请稍候再完成盘点"),
        "not completed while 准备中"
    );
    assert!(
        listed(&w.conn, &w.manager, id).is_err(),
        "no partial report or template"
    );

    ids.push(999_999);
    // Retired after the start, before its batch: left out like a deleted one.
    w.conn
        .execute("UPDATE asset SET expire = 1 WHERE id = ?1", [w.assets[2]])
        .unwrap();
    let manager = w.manager.clone();
    let task = freeze::create(&mut w.conn, &manager, id, &ids, 2).unwrap();
    let mut batches = 0;
    loop {
        let state = crate::db::tasks::task_state(&w.conn, task)
            .unwrap()
            .unwrap();
        if !state.running() || state.next_seq >= state.end_seq {
            break;
        }
        let tx = w.conn.transaction().unwrap();
        let chunk = crate::db::tasks::chunk_at(&tx, task, state.next_seq)
            .unwrap()
            .unwrap();
        let batch = crate::tasks::Batch::parse(chunk.first_seq, &chunk.rows, None).unwrap();
        let last = chunk.first_seq + chunk.row_count >= state.end_seq;
        let counts = freeze::run_batch(&tx, &state, (&batch, 0), last).unwrap();
        let next = chunk.first_seq + chunk.row_count;
        crate::db::tasks::advance(&tx, task, next, &counts).unwrap();
        crate::db::tasks::delete_chunk(&tx, task, chunk.first_seq).unwrap();
        tx.commit().unwrap();
        batches += 1;
        let row = found(&w.conn, &w.manager, id).unwrap();
        assert_eq!(
            row.state == IN_PROGRESS,
            last,
            "进行中 with the last batch only"
        );
    }
    assert_eq!(batches, 2);
    let d = detail(&w.conn, &w.manager, id).unwrap();
    assert_eq!(
        (&d["expected"], &d["freeze_task"]),
        (&json!(2), &json!(task))
    );
    let failed: Vec<String> = w
        .conn
        .prepare("SELECT message FROM task_failure WHERE task_id = ?1 ORDER BY seq")
        .unwrap()
        .query_map([task], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(failed, ["资产已删除或已清退，未列入盘点"; 2]);
    let counted = scan(&w.conn, &w.manager, id, &scan_of(json!(w.assets[0]))).unwrap();
    assert_eq!(counted["result_label"], "相符");

    // A stocktake not wanted is voided while 准备中; its task's last batch leaves it voided.
    let other = start_with(&w.conn, &w.admin, new("作废的"), 2).unwrap().id;
    end(&w.conn, &w.admin, other, false).unwrap();
    assert!(!crate::db::stocktake::ready(&w.conn, other).unwrap());
    assert_eq!(found(&w.conn, &w.admin, other).unwrap().state, VOIDED);
}
