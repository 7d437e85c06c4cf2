//! Issue 11's lists at scale, proved on a small register: a list's total comes from kept
//! counts that stay right after every write, and every page, those read from the far end
//! included, holds exactly the assets an id-ordered walk would.

use crate::common;

use common::App;
use serde_json::{json, Value};

fn search(app: &App, s: &str, body: Value) -> Value {
    let answer = app.post(&format!("/api/search_assets/{s}"), &body);
    answer.ok();
    answer.body
}

/// Every id of a list, page by page.
fn walk(app: &App, s: &str, filter: &Value, size: i64) -> (i64, Vec<i64>) {
    let mut body = filter.clone();
    body["size"] = json!(size);
    body["page"] = json!(1);
    let first = search(app, s, body.clone());
    let (total, pages) = (
        first["total"].as_i64().unwrap(),
        first["pages"].as_i64().unwrap(),
    );
    let mut ids = Vec::new();
    for page in 1..=pages.max(1) {
        body["page"] = json!(page);
        let answer = search(app, s, body.clone());
        ids.extend(
            answer["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].as_i64().unwrap()),
        );
    }
    (total, ids)
}

fn counted(app: &App, sql: &str) -> Vec<i64> {
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn totals_stay_exact_and_every_page_holds_what_an_ordered_walk_would() {
    let app = App::new();
    let admin = app.demo("sysadmin");
    let liusn = app.demo("liusn");
    app.post(
        &format!("/api/user/{admin}"),
        &json!({"name": "ruanjian", "password": "secret1", "department": "软件组", "character": 1}),
    )
    .ok();
    let rows = |dept: &str, owner: &str, n: usize| -> Value {
        json!((0..n)
            .map(|i| common::row(&format!("{dept}资产{i}"), owner, dept))
            .collect::<Vec<_>>())
    };
    assert_eq!(
        app.import(&liusn, &rows("CST", "liusn", 130))["number_succeed"],
        130
    );
    // The next assets' ids start in a later block of ids than the first ones' (a list's page
    // starts from its block: what lies before it in the list must be counted right).
    rusqlite::Connection::open(app.db_path())
        .unwrap()
        .execute(
            "UPDATE asset_id_floor SET highest = max(highest, 40000)",
            [],
        )
        .unwrap();
    assert_eq!(
        app.import(&liusn, &rows("软件组", "ruanjian", 47))["number_succeed"],
        47
    );
    app.create_asset(&liusn, &common::row("单个", "ruanjian", "软件组"));
    let mut retired = common::row("清退", "liusn", "CST");
    retired["count"] = json!(1);
    let gone = app.create_asset(&liusn, &retired);
    app.put(&format!("/api/expire_asset/{liusn}"), &json!([gone]))
        .ok();

    // The kept counts equal a count of the table, department by department.
    let kept = counted(&app, "SELECT asset_count FROM department ORDER BY id");
    let real = counted(
        &app,
        "SELECT (SELECT count(*) FROM asset a WHERE a.department_id = d.id) FROM department d ORDER BY id",
    );
    assert_eq!(kept, real);
    let category_counts = |app: &App| {
        (
            counted(app, "SELECT asset_count FROM category ORDER BY id"),
            counted(
                app,
                "SELECT (SELECT count(*) FROM asset a WHERE a.category_id = c.id) FROM category c ORDER BY id",
            ),
        )
    };
    let (kept, real) = category_counts(&app);
    assert_eq!(kept, real);
    // So do the counts of each department and category per block of ids.
    let one = |sql: &str| -> String {
        let conn = rusqlite::Connection::open(app.db_path()).unwrap();
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    };
    let blocks = || {
        (
            one(
                "SELECT group_concat(x, ' ') FROM (SELECT department_id || ':' || category_id
                     || ':' || block || ':' || n AS x FROM asset_block WHERE n <> 0 ORDER BY 1)",
            ),
            one(
                "SELECT group_concat(x, ' ') FROM (SELECT department_id || ':' || category_id
                     || ':' || (id >> 14) || ':' || count(*) AS x FROM asset
                 GROUP BY department_id, category_id, id >> 14 ORDER BY 1)",
            ),
        )
    };
    let (kept, real) = blocks();
    assert_eq!(kept, real);
    assert_eq!(
        one("SELECT CAST((max(id) >> 14) - (min(id) >> 14) AS TEXT) FROM asset"),
        "2"
    );
    let all_ids = counted(&app, "SELECT id FROM asset ORDER BY id");

    // The whole list in pages of 7: totals exact, pages from both ends in order, no gaps.
    let (total, ids) = walk(&app, &admin, &json!({}), 7);
    assert_eq!(total as usize, all_ids.len());
    assert_eq!(ids, all_ids);
    // A department, a manager's scope (CST and 软件组 below it), a filter that is counted.
    let dept_ids = |name: &str| {
        counted(
            &app,
            &format!(
                "SELECT a.id FROM asset a JOIN department d ON d.id = a.department_id
                 WHERE d.name = '{name}' ORDER BY a.id"
            ),
        )
    };
    let software = dept_ids("软件组");
    let (total, ids) = walk(&app, &admin, &json!({"department": "软件组"}), 5);
    assert_eq!((total as usize, &ids), (software.len(), &software));
    let (total, ids) = walk(&app, &liusn, &json!({}), 9);
    let mut scope = dept_ids("CST");
    scope.extend(dept_ids("软件组"));
    scope.sort_unstable();
    assert_eq!((total as usize, &ids), (scope.len(), &scope));
    let (total, ids) = walk(&app, &admin, &json!({"name": "资产1"}), 4);
    let named = counted(
        &app,
        "SELECT id FROM asset WHERE instr(name, '资产1') > 0 ORDER BY id",
    );
    assert_eq!((total as usize, &ids), (named.len(), &named));
    // Once the background trigram index has caught up, substring searches go through it and
    // find the same assets; a renamed asset is found by its new name only.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while counted(
        &app,
        "SELECT (SELECT indexed_to FROM text_index) = (SELECT max(id) FROM asset)",
    ) != [1]
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the text index never caught up"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let (total, ids) = walk(&app, &admin, &json!({"name": "资产1"}), 4);
    assert_eq!((total as usize, &ids), (named.len(), &named));
    let described = walk(&app, &admin, &json!({"description": "说明文字"}), 4).1;
    assert!(described.is_empty());
    app.put(
        &format!("/api/asset/{liusn}"),
        &json!({"id": named[0], "name": "改名后的资产", "description": "新的说明文字"}),
    )
    .ok();
    assert_eq!(
        walk(&app, &admin, &json!({"name": "改名后"}), 4).1,
        [named[0]]
    );
    assert_eq!(
        walk(&app, &admin, &json!({"description": "说明文字"}), 4).1,
        [named[0]]
    );
    let (total, _) = walk(&app, &admin, &json!({"name": "资产1"}), 4);
    assert_eq!(total as usize, named.len() - 1);
    // A category subtree: its total from the categories' kept counts, also after an asset
    // moves to another category.
    app.post(
        &format!("/api/asset_tree/{liusn}"),
        &json!({"name": "椅子类", "parent": "数量型资产", "department": "CST"}),
    )
    .ok();
    app.put(
        &format!("/api/asset/{liusn}"),
        &json!({"id": named[1], "assetTree": "椅子类"}),
    )
    .ok();
    let (kept, real) = blocks();
    assert_eq!(kept, real);
    let (kept, real) = category_counts(&app);
    assert_eq!(kept, real);
    for (category, scope_session) in [
        ("数量型资产", &admin),
        ("椅子类", &admin),
        ("数量型资产", &liusn),
    ] {
        let (total, ids) = walk(
            &app,
            scope_session,
            &json!({"asset_tree_node": category}),
            8,
        );
        assert_eq!(total as usize, ids.len(), "{category}");
        let expected = counted(
            &app,
            &format!(
                "WITH RECURSIVE cats(id) AS (SELECT id FROM category WHERE name = '{category}'
                     UNION SELECT c.id FROM category c JOIN cats ON c.parent_id = cats.id)
                 SELECT id FROM asset WHERE category_id IN (SELECT id FROM cats) ORDER BY id"
            ),
        );
        assert_eq!(ids, expected, "{category}");
    }
    let (total, _) = walk(&app, &admin, &json!({"expire": 1}), 4);
    assert_eq!(total, 1);
    // The staff member's own list (zhangsan owns the demo's assets of his, none of these).
    let zhangsan = app.demo("zhangsan");
    let own = app.get(&format!("/api/asset_user_list/{zhangsan}/1?size=100"));
    let own_ids: Vec<i64> = own
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    let expected = counted(
        &app,
        "SELECT a.id FROM asset a JOIN user u ON u.id = a.owner_id WHERE u.name = 'zhangsan' ORDER BY a.id",
    );
    assert_eq!(own_ids, expected);
}

/// Issue 13 (6): 使用状态 and the children of an asset are filters of their own, apart from
/// 是否清退; a bad status is refused.
#[test]
fn status_and_parent_filters_find_exactly_their_assets() {
    let app = App::new();
    let s = app.demo("liusn");
    let parent = app.create_asset(&s, &common::item("主机"));
    let mut kids = Vec::new();
    for name in ["显卡", "内存", "硬盘"] {
        let mut child = common::item(name);
        child["parent"] = json!(parent);
        kids.push(app.create_asset(&s, &child));
    }
    app.create_asset(&s, &common::row("椅子", "liusn", "CST"));
    app.put(
        &format!("/api/asset/{s}"),
        &json!({"id": kids[1], "status": 3}),
    )
    .ok();
    app.put(&format!("/api/expire_asset/{s}"), &json!([kids[2]]))
        .ok();
    let ids = |body: Value| common::ids(&search(&app, &s, body)["data"]);
    assert_eq!(ids(json!({"parent": parent, "page": 1})), kids);
    assert_eq!(
        ids(json!({"parent": parent, "expire": 0, "page": 1})),
        &kids[..2]
    );
    assert_eq!(
        ids(json!({"parent": parent, "expire": 1, "page": 1})),
        &kids[2..]
    );
    assert_eq!(ids(json!({"status": 3, "page": 1})), &kids[1..2]);
    assert_eq!(
        ids(json!({"status": 1, "expire": 0, "page": 1})).len(),
        3,
        "主机, 显卡, 椅子"
    );
    assert_eq!(search(&app, &s, json!({"status": 3}))["total"], 1);
    for bad in [json!({"status": 4}), json!({"status": "维保"})] {
        app.post(&format!("/api/search_assets/{s}"), &bad).err(
            400,
            -2,
            "缺少字段或类型错误：[status]",
        );
    }
}

/// Issue 13 (6): owner names are suggested as they are typed: any part of the name, ASCII case
/// ignored, only users whose assets the caller may manage, at most 20.
#[test]
fn owner_names_are_suggested_from_a_part_within_the_callers_reach() {
    let app = App::new();
    let s = app.demo("liusn");
    let admin = app.demo("sysadmin");
    app.staff_in(&admin, ("软件组", ""), "Wang Wei");
    app.staff_in(&admin, ("财务部", ""), "wang fang");
    for i in 0..25 {
        app.staff_in(&admin, ("软件组", ""), &format!("员工{i:02}"));
    }
    let names = |s: &str, q: &str| {
        app.get(&format!("/api/owner_names/{s}?q={}", common::enc(q)))
            .ok()
            .clone()
    };
    // liusn reaches CST and 软件组, not 财务部.
    assert_eq!(names(&s, "WANG"), json!(["Wang Wei"]));
    assert_eq!(names(&admin, "wang"), json!(["Wang Wei", "wang fang"]));
    assert_eq!(names(&s, "iusn"), json!(["liusn"]));
    assert_eq!(names(&s, "员工").as_array().unwrap().len(), 20);
    assert_eq!(names(&s, "没有这个人"), json!([]));
    let staff = app.demo("zhangsan");
    app.get(&format!("/api/owner_names/{staff}?q=a"))
        .err(403, 1, "你无此权限");
}
