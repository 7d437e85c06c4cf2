//! The asset history (资产履历): every write path leaves exactly one entry per change, with its
//! actor, source, kind and fields; the history outlives the task's data; who may read it.

use crate::common::roles::{login_as, user_id, ADMIN, MANAGER, STAFF};
use crate::common::{row, App};
use serde_json::{json, Value};

/// Every entry of the database as (asset, kind, task) rows, in the order written: what a test
/// compares before and after an act.
fn stored(app: &App) -> Vec<(i64, Option<i64>, i64, Option<i64>)> {
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let mut stmt = conn
        .prepare("SELECT asset_id, last_id, kind, task_id FROM asset_history ORDER BY id")
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap();
    rows.map(Result::unwrap).collect()
}

fn history(app: &App, s: &str, id: i64) -> Vec<Value> {
    let a = app.get(&format!("/api/asset_history/{s}/{id}?page=1&size=100"));
    a.ok().as_array().cloned().unwrap()
}

/// The fields an entry changed, as (field, old, new).
fn fields(entry: &Value) -> Vec<(String, Value, Value)> {
    entry["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let field = c["field"].as_str().unwrap().to_owned();
            (field, c["old"].clone(), c["new"].clone())
        })
        .collect()
}

fn task_id(task: &Value) -> i64 {
    task["id"].as_i64().unwrap()
}

/// The ids of the assets named `name` the session sees.
fn named(app: &App, s: &str, name: &str) -> Vec<i64> {
    let found = app.post(
        &format!("/api/search_assets/{s}"),
        &json!({"name": name, "page": 1, "size": 100}),
    );
    found
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect()
}

#[test]
fn every_write_path_leaves_exactly_one_entry_per_change() {
    let app = App::new();
    let s = app.demo("liusn");
    let liusn = user_id(&app, "liusn");
    let mut count = 0;
    let mut grew = |app: &App, by: usize, what: &str| {
        let now = stored(app).len();
        assert_eq!(now, count + by, "{what}");
        count = now;
    };

    // Created through the API: 新建, every value new.
    let id = app.create_asset(&s, &row("打印机", "liusn", "CST"));
    grew(&app, 1, "post_asset");
    let h = history(&app, &s, id);
    assert_eq!(h.len(), 1);
    assert_eq!(
        (
            &h[0]["kind"],
            &h[0]["actor"],
            &h[0]["source"],
            &h[0]["task"]
        ),
        (
            &json!("created"),
            &json!("liusn"),
            &json!("页面/API"),
            &Value::Null
        )
    );
    let created = fields(&h[0]);
    assert!(created.contains(&("name".into(), Value::Null, json!("打印机"))));
    assert!(created.contains(&("user".into(), Value::Null, json!("liusn"))));
    assert!(created.contains(&("department".into(), Value::Null, json!("CST"))));
    assert!(created.contains(&("price".into(), Value::Null, json!(10.0))));

    // Modified: only what changed, old → new.
    app.put(
        &format!("/api/asset/{s}"),
        &json!({"id": id, "name": "彩色打印机", "position": "三楼"}),
    )
    .ok();
    grew(&app, 1, "modify");
    let h = history(&app, &s, id);
    assert_eq!(h[0]["kind"], "modified");
    assert_eq!(
        fields(&h[0]),
        [
            ("name".into(), json!("打印机"), json!("彩色打印机")),
            ("position".into(), json!(""), json!("三楼")),
        ]
    );
    assert!(h[0]["text"]
        .as_str()
        .unwrap()
        .contains("资产名「打印机」→「彩色打印机」"));
    // A modify that changes nothing records nothing.
    app.put(
        &format!("/api/asset/{s}"),
        &json!({"id": id, "name": "彩色打印机"}),
    )
    .ok();
    grew(&app, 0, "modify without change");

    // Retired: 清退 once; retiring it again changes nothing.
    app.put(&format!("/api/expire_asset/{s}"), &json!([id]))
        .ok();
    grew(&app, 1, "retire");
    assert_eq!(history(&app, &s, id)[0]["kind"], "retired");
    assert_eq!(
        fields(&history(&app, &s, id)[0]),
        [("expire".into(), json!(0), json!(1))]
    );
    // The sentence words the codes, and a creation tells only the values it had.
    let h = history(&app, &s, id);
    let retired = h[0]["text"].as_str().unwrap();
    assert!(
        retired.ends_with("清退：是否清退「在用」→「已清退」"),
        "{retired}"
    );
    let created = h.last().unwrap()["text"].as_str().unwrap();
    assert!(created.contains("原值「10.00」"), "{created}");
    assert!(created.contains("状态「闲置」"), "{created}");
    assert!(!created.contains("描述信息「」"), "{created}");
    app.put(&format!("/api/expire_asset/{s}"), &json!([id]))
        .ok();
    grew(&app, 0, "retire again");

    // An import: one entry for the batch's created range, and one per updated asset.
    let target = app.create_asset(&s, &row("台式机", "liusn", "CST"));
    grew(&app, 1, "post_asset");
    let mut update = row("台式机", "zhangsan", "CST");
    update["id"] = json!(target);
    let rows = json!([
        row("导入甲", "liusn", "CST"),
        row("导入乙", "liusn", "CST"),
        update
    ]);
    let import = app.import(&s, &rows);
    let import_id = task_id(&import);
    grew(&app, 2, "an import of two new rows and one update");
    let h = history(&app, &s, target);
    assert_eq!(
        (&h[0]["kind"], &h[0]["task"], &h[0]["source"]),
        (
            &json!("import_updated"),
            &json!(import_id),
            &json!(format!("导入任务 #{import_id}"))
        )
    );
    // (An asset given to someone is in use: 使用状态 follows.)
    assert_eq!(
        fields(&h[0]),
        [
            ("user".into(), json!("liusn"), json!("zhangsan")),
            ("status".into(), json!(1), json!(2))
        ]
    );
    for name in ["导入甲", "导入乙"] {
        let id = named(&app, &s, name)[0];
        let h = history(&app, &s, id);
        assert_eq!(h.len(), 1, "{name}");
        assert_eq!(
            (&h[0]["kind"], &h[0]["task"]),
            (&json!("imported"), &json!(import_id))
        );
        assert!(fields(&h[0]).contains(&("name".into(), Value::Null, json!(name))));
    }

    // A dry run writes no entry; its confirm writes them as an import does.
    let dry = app
        .post(
            &format!("/api/asset/{s}?dry_run=true"),
            &json!([row("试运行", "liusn", "CST")]),
        )
        .ok()["id"]
        .as_i64()
        .unwrap();
    app.wait_task(&s, dry);
    grew(&app, 0, "a dry run");
    app.post(&format!("/api/async_task/{s}/{dry}/confirm"), &json!({}))
        .ok();
    app.wait_task(&s, dry);
    grew(&app, 1, "its confirm");
    let confirmed = named(&app, &s, "试运行")[0];
    assert_eq!(history(&app, &s, confirmed)[0]["task"], dry);

    // Failed rows run again: in place, and through the seed's PUT.
    let mut bad = row("零数", "liusn", "CST");
    bad["count"] = json!(0);
    let failing = task_id(&app.import(&s, &json!([bad.clone(), bad])));
    grew(&app, 0, "an import whose rows all failed");
    let fixed = json!({"field": "count", "from": "0", "to": "3"});
    app.post(&format!("/api/failed_task/{s}/{failing}/replace"), &fixed)
        .ok();
    app.post(&format!("/api/failed_task/{s}/{failing}/rerun"), &json!({}))
        .ok();
    app.wait_task(&s, failing);
    grew(
        &app,
        1,
        "an in-place rerun creating two assets in one batch",
    );
    let mut bad = row("再试", "liusn", "CST");
    bad["count"] = json!(0);
    let seed = task_id(&app.import(&s, &json!([bad])));
    app.put(
        &format!("/failed_task/{s}/{seed}"),
        &json!([row("再试", "liusn", "CST")]),
    )
    .ok();
    app.wait_task(&s, seed);
    grew(&app, 1, "the seed's rerun");
    assert_eq!(
        history(&app, &s, named(&app, &s, "再试")[0])[0]["task"],
        seed
    );

    // Undo: a restore per updated asset, a deletion per created one.
    let undo = app.post(&format!("/api/async_task/{s}/{import_id}/undo"), &json!({}));
    let undo_id = undo.ok()["id"].as_i64().unwrap();
    app.wait_task(&s, undo_id);
    grew(&app, 3, "an undo of one update and two creations");
    let h = history(&app, &s, target);
    assert_eq!(
        (&h[0]["kind"], &h[0]["task"], &h[0]["source"]),
        (
            &json!("undo_restored"),
            &json!(undo_id),
            &json!(format!("撤销任务 #{undo_id}"))
        )
    );
    assert_eq!(
        fields(&h[0]),
        [
            ("user".into(), json!("zhangsan"), json!("liusn")),
            ("status".into(), json!(2), json!(1))
        ]
    );
    // A deleted asset keeps its history, the deletion with every value it had.
    let entries = stored(&app);
    let deleted: Vec<i64> = entries.iter().filter(|e| e.2 == 7).map(|e| e.0).collect();
    assert_eq!(deleted.len(), 2);
    let h = history(&app, &s, deleted[0]);
    assert_eq!(h.len(), 2);
    assert_eq!(h[0]["kind"], "undo_deleted");
    assert!(fields(&h[0])
        .iter()
        .any(|(f, old, new)| f == "name" && old.is_string() && new.is_null()));
    assert_eq!(h[1]["kind"], "imported");
    // Every entry names the user whose rights applied.
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let others: i64 = conn
        .query_row(
            "SELECT count(*) FROM asset_history WHERE actor_id IS NOT ?1",
            [liusn],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(others, 0);
    crate::common::assert_history_matches_changes(&app.db_path());
}

#[test]
fn the_history_outlives_the_tasks_data_and_is_paged_newest_first() {
    let app = App::new();
    let s = app.demo("liusn");
    let import = app.import(&s, &json!([row("甲", "liusn", "CST")]));
    let id = named(&app, &s, "甲")[0];
    for n in 1..=4 {
        app.put(
            &format!("/api/asset/{s}"),
            &json!({"id": id, "count": 10 + n}),
        )
        .ok();
    }
    let task = task_id(&import);
    app.delete(&format!("/api/async_task/{s}/{task}")).ok();
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let records: i64 = conn
        .query_row(
            "SELECT count(*) FROM task_created WHERE task_id = ?1",
            [task],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(records, 0, "the task's own records went with its data");
    let page = |n: i64| app.get(&format!("/api/asset_history/{s}/{id}?page={n}&size=2"));
    let first = page(1);
    assert_eq!(first.body["total"], 5);
    assert_eq!(first.body["pages"], 3);
    let counts: Vec<Value> = first
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| fields(e)[0].2.clone())
        .collect();
    assert_eq!(counts, [json!(14), json!(13)]);
    let last = page(3);
    let last = last.ok().as_array().unwrap();
    assert_eq!(last.len(), 1);
    assert_eq!(
        (&last[0]["kind"], &last[0]["task"]),
        (&json!("imported"), &json!(task))
    );
    // The values it was created with, not the ones it has now.
    assert!(fields(&last[0]).contains(&("count".into(), Value::Null, json!(10))));
    page(4).err(400, 4, "请求的页码超出范围");
}

#[test]
fn who_may_read_an_assets_history() {
    let app = App::new();
    let manager = login_as(&app, MANAGER);
    let admin = login_as(&app, ADMIN);
    let staff = login_as(&app, STAFF);
    let own = app.create_asset(&manager, &row("张三的电脑", "zhangsan", "CST"));
    let other = app.create_asset(&manager, &row("刘的电脑", "liusn", "CST"));
    for s in [&manager, &admin, &staff] {
        assert_eq!(history(&app, s, own).len(), 1);
    }
    let path = |s: &str, id: i64| format!("/api/asset_history/{s}/{id}");
    // Staff: their own assets only.
    app.get(&path(&staff, other)).err(403, 1, "你无此权限");
    // Another company's people see nothing of it, and its asset is not found here.
    let (admin2, wangwu, foreign) = app.second_entity();
    app.get(&path(&admin2, own)).err(404, 7, "资产不存在");
    app.get(&path(&wangwu, own)).err(404, 7, "资产不存在");
    app.get(&path(&admin, foreign)).err(404, 7, "资产不存在");
    assert_eq!(history(&app, &admin2, foreign).len(), 1);
    // The super admin belongs to no company.
    let root = login_as(&app, 4);
    assert_eq!(app.get(&path(&root, own)).code(), 1);
    // Bad ids and pages answer in the envelope.
    for bad in ["abc", "0", "-1", "99999", "1.5"] {
        app.get(&format!("/api/asset_history/{admin}/{bad}"))
            .err(404, 7, "资产不存在");
    }
    let bad_size = app.get(&format!("/api/asset_history/{admin}/{own}?size=5000"));
    assert_eq!(bad_size.status.code, 400);
    let bad_page = app.get(&format!("/api/asset_history/{admin}/{own}?page=x"));
    assert_eq!(bad_page.status.code, 400);
    // The XLSX of the whole history.
    let res = app
        .client
        .get(format!("/api/asset_history/{admin}/{own}/file"))
        .dispatch();
    assert_eq!(res.status().code, 200);
    let bytes = res.into_bytes().unwrap();
    assert!(bytes.starts_with(b"PK"), "an XLSX is a zip");
    let res = app
        .client
        .get(format!("/api/asset_history/{staff}/{other}/file"))
        .dispatch();
    assert_eq!(res.status().code, 403);
}

#[test]
fn an_undo_whose_history_is_gone_leaves_the_asset_and_says_why() {
    let app = App::new();
    let s = app.demo("liusn");
    let id = app.create_asset(&s, &row("台式机", "liusn", "CST"));
    let mut update = row("台式机", "zhangsan", "CST");
    update["id"] = json!(id);
    let import = task_id(&app.import(&s, &json!([update])));
    // history_retention_days deleted the import's entry (the undo record points at it).
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    conn.execute("DELETE FROM asset_history WHERE task_id = ?1", [import])
        .unwrap();
    let undo = app.post(&format!("/api/async_task/{s}/{import}/undo"), &json!({}));
    let undo = app.wait_task(&s, undo.ok()["id"].as_i64().unwrap());
    assert_eq!(
        (&undo["number_succeed"], &undo["number_failed"]),
        (&json!(0), &json!(1)),
        "{undo}"
    );
    let failed = app.get(&format!("/api/failed_task/{s}/{}", task_id(&undo)));
    assert_eq!(
        failed.ok()[0]["message"],
        "该资产的履历已超过保留期限被清除，无法还原原值，未撤销"
    );
    let now = app.assets(&s);
    assert_eq!(now[0]["userName"], "zhangsan", "left as the import made it");
}
