//! Security properties of what users send (SPEC §2–§4): their text is stored and matched
//! verbatim, never read as SQL, wherever it goes (names, passwords, paths, search filters,
//! imports, exports, logins); and no session token reaches a log.

use crate::common;

use common::roles::{self, login_as, SUPER};
use common::server::Server;
use common::{enc, row, App, ADMIN_PASSWORD, DEMO_PASSWORD};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap, HashSet};

/// Quote, comment, statement and LIKE-wildcard characters, and an injection attempt.
const NASTY: &str = r#"'"--/*;%_\ x' OR '1'='1'; DROP TABLE asset; -- */"#;

fn nasty(label: &str) -> String {
    format!("{label}{NASTY}")
}

/// `nasty` for a name that travels as a path segment (entity, department, category), which may
/// not hold `/ \ ? # %` (issue 10, item 19): every other hostile character stays.
fn path_nasty(label: &str) -> String {
    nasty(label).replace(['/', '\\', '?', '#', '%'], "")
}

/// A successful answer's `data` list.
fn list(app: &App, path: &str) -> Vec<Value> {
    app.get(path).ok().as_array().cloned().unwrap_or_default()
}

fn search(app: &App, session: &str, filter: Value) -> Vec<Value> {
    let mut body = filter;
    body["page"] = json!(1);
    body["size"] = json!(1000);
    let a = app.post(&format!("/api/search_assets/{session}"), &body);
    a.ok().as_array().unwrap().clone()
}

fn names(assets: &[Value]) -> BTreeSet<String> {
    assets
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Every row of every table `App::digest` covers, as text, by table.
fn table_rows(app: &App) -> HashMap<String, HashSet<String>> {
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    app.table_counts()
        .into_iter()
        .map(|(table, _)| {
            let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
            let columns = stmt.column_count();
            let rows = stmt
                .query_map([], |r| {
                    (0..columns)
                        .map(|c| {
                            r.get::<_, rusqlite::types::Value>(c)
                                .map(|v| format!("{v:?}"))
                        })
                        .collect::<Result<Vec<_>, _>>()
                        .map(|v| v.join("|"))
                })
                .unwrap()
                .collect::<Result<HashSet<_>, _>>()
                .unwrap();
            (table, rows)
        })
        .collect()
}

#[test]
fn user_text_is_stored_and_matched_verbatim_never_as_sql() {
    let app = App::new();
    let root = login_as(&app, SUPER);
    let counts_before: HashMap<String, i64> = app.table_counts().into_iter().collect();
    let rows_before = table_rows(&app);

    // Entity and its system admin, whose name and password are nasty too.
    let entity = path_nasty("企业");
    app.post(&format!("/api/entity/{root}"), &json!({ "name": entity }))
        .ok();
    let entities = list(&app, &format!("/api/entity/{root}"));
    assert!(entities.iter().any(|e| e["name"] == entity));
    let (admin_name, admin_password) = (nasty("管理员"), nasty("密码"));
    app.post(
        &format!("/api/user/{root}"),
        &json!({"name": admin_name, "password": admin_password, "entity": entity,
                "department": "", "character": 3}),
    )
    .ok();
    let admin = app.login(&admin_name, &admin_password);

    // Departments: a top one and a child named by it.
    let (department, child) = (path_nasty("部门"), path_nasty("子部门"));
    for (name, parent) in [(&department, ""), (&child, department.as_str())] {
        app.post(
            &format!("/api/department/{admin}"),
            &json!({ "name": name, "parent": parent }),
        )
        .ok();
    }
    let listed = list(
        &app,
        &format!("/api/all_departments/{admin}/{}", enc(&entity)),
    );
    let pairs: Vec<(&Value, &Value)> = listed.iter().map(|d| (&d["name"], &d["parent"])).collect();
    let (top, below) = (json!(department), json!(child));
    assert_eq!(pairs, [(&top, &json!("")), (&below, &top)]);

    // An asset manager with a nasty name, email and password; login by name and by email.
    let (manager_name, manager_password) = (nasty("经理"), nasty("经理密码"));
    let email = format!("{}@example.com", nasty("mail"));
    app.post(
        &format!("/api/user/{admin}"),
        &json!({"name": manager_name, "password": manager_password, "entity": entity,
                "department": department, "character": 2, "email": email}),
    )
    .ok();
    let users = list(
        &app,
        &format!("/api/user_entity/{admin}/{}/1", enc(&entity)),
    );
    let listed = users.iter().find(|u| u["name"] == manager_name).unwrap();
    assert_eq!(listed["email"], email);
    assert_eq!(listed["department"], department);
    assert_eq!(listed["entity"], entity);
    let by_email = app.post(
        "/api/login",
        &json!({"identity": email, "password": manager_password}),
    );
    assert_eq!(by_email.ok()["character"], 2);
    let manager = app.login(&manager_name, &manager_password);

    // Categories: a node under the root and one under it.
    let (category, sub) = (path_nasty("分类"), path_nasty("子分类"));
    for (name, parent) in [(&category, ""), (&sub, category.as_str())] {
        app.post(
            &format!("/api/asset_tree/{manager}"),
            &json!({ "name": name, "parent": parent, "department": department }),
        )
        .ok();
    }
    let tree = app.get(&format!(
        "/api/asset_tree_root/{manager}/{}",
        enc(&department)
    ));
    let children = tree.ok()["children"].as_array().unwrap();
    let node = children.iter().find(|c| c["name"] == category).unwrap();
    assert_eq!(node["children"][0]["name"], sub);
    let subtree = app.get(&format!(
        "/api/sub_asset_tree/{manager}/{}/{}",
        enc(&department),
        enc(&category)
    ));
    assert_eq!(subtree.ok()["name"], category);
    assert_eq!(subtree.ok()["children"][0]["name"], sub);

    // post_asset: a nasty parent (by name), owner, department, category, description, position.
    let post = |body: Value| {
        app.post(&format!("/api/post_asset/{manager}"), &body).ok()["id"]
            .as_i64()
            .unwrap()
    };
    let parent = nasty("父资产");
    post(
        json!({"name": parent, "assetClass": 1, "user": manager_name, "price": 1,
                "count": 1, "assetTree": "条目型资产", "department": department,
                "deadline": 1, "description": nasty("父描述"), "position": nasty("父位置")}),
    );
    let asset = json!({"name": nasty("资产"), "parent": parent, "assetClass": 0,
                       "user": manager_name, "price": 2.5, "count": 3, "assetTree": sub,
                       "department": department, "deadline": 5,
                       "description": nasty("描述"), "position": nasty("位置")});
    let id = post(asset.clone());
    let view = search(&app, &manager, json!({ "id": id }));
    assert_eq!(view.len(), 1);
    let view = &view[0];
    for (field, sent) in [
        ("name", "name"),
        ("parentName", "parent"),
        ("userName", "user"),
        ("assetTree", "assetTree"),
        ("departmentName", "department"),
        ("description", "description"),
        ("position", "position"),
    ] {
        assert_eq!(view[field], asset[sent], "{field}");
    }

    // Modify: the new text is stored as sent.
    app.put(
        &format!("/api/asset/{manager}"),
        &json!({"id": id, "description": nasty("新描述"), "position": nasty("新位置")}),
    )
    .ok();
    let view = &search(&app, &manager, json!({ "id": id }))[0];
    assert_eq!(view["description"], nasty("新描述"));
    assert_eq!(view["position"], nasty("新位置"));

    // Import: a good nasty row, and failed ones that come back exactly as sent.
    let good = json!({"name": nasty("导入"), "parent": parent, "assetClass": "数量型",
                      "user": manager_name, "price": "3", "count": "2", "assetTree": category,
                      "department": department, "deadline": 1, "description": nasty("导入描述"),
                      "position": nasty("导入位置")});
    let mut zero = good.clone();
    zero["name"] = json!(nasty("零个"));
    zero["count"] = json!(0);
    let strangers = json!({"name": nasty("陌生"), "parent": "", "assetClass": 0,
                           "user": "' OR '1'='1", "price": 1, "count": 1,
                           "assetTree": "默认分类", "department": "x' OR 1=1 --",
                           "deadline": 1, "description": NASTY, "position": NASTY});
    let lookalike = json!({"name": nasty("同名"), "parent": "", "assetClass": 0,
                           "user": format!("{manager_name}%"), "price": 1, "count": 1,
                           "assetTree": format!("{category}_"), "department": department,
                           "deadline": 1});
    let task = app.import(&manager, &json!([good, zero, strangers, lookalike]));
    assert_eq!(
        (&task["number_succeed"], &task["finish"]),
        (&json!(1), &json!(2))
    );
    let failed = app.get(&format!("/failed_task/{manager}/{}", task["id"]));
    let failed = failed.ok().as_array().unwrap().clone();
    let messages = [
        "资产数量不可小于1",
        "对应部门不存在；未找到该资产挂账人",
        "未找到指定层级分类；未找到该资产挂账人",
    ];
    assert_eq!(failed.len(), 3);
    for ((got, sent), message) in failed
        .iter()
        .zip([&zero, &strangers, &lookalike])
        .zip(messages)
    {
        // The message in the SPEC's words (the values it quotes are checked below).
        let told = got["message"].as_str().unwrap();
        common::assert_spec_message(told, message);
        let mut expected = sent.clone();
        expected["message"] = json!(told);
        assert_eq!(got, &expected);
    }
    // A message quotes what was sent verbatim, as text.
    assert_eq!(
        failed[1]["message"],
        "对应部门不存在（本企业没有部门“x' OR 1=1 --”）；未找到该资产挂账人（本企业没有用户“' OR '1'='1”）"
    );
    {}
    let imported = search(&app, &manager, json!({ "name": nasty("导入") }));
    assert_eq!(imported.len(), 1);
    for field in ["name", "description", "position", "assetTree"] {
        assert_eq!(imported[0][field], good[field], "{field}");
    }
    assert_eq!(imported[0]["parentName"], parent);

    // Names with wildcard and escape characters, to search for.
    let literal = ["a%b", "aXb", "a_b", "aYb", r"a\b", "a%%b", "100%", "1000"];
    for name in literal {
        post(
            json!({"name": name, "assetClass": 0, "user": manager_name, "price": 1,
                    "count": 1, "assetTree": "默认分类", "department": department,
                    "deadline": 1, "description": format!("说明{name}")}),
        );
    }

    // Search filters match text literally: the answer is exactly the assets whose name (or
    // description) contains the text, whatever characters it holds.
    let everything = app.assets(&manager);
    assert_eq!(everything.len(), 3 + literal.len());
    let wildcards = ["%", "_", "a%b", "a_b", "%%", "100%", r"\", r"a\b", "*"];
    let sql = [
        NASTY,
        "'",
        "\"",
        "--",
        "/*",
        ";",
        "' OR '1'='1",
        "%' OR '1'='1' --",
    ];
    for needle in wildcards.into_iter().chain(sql) {
        for field in ["name", "description"] {
            let expected: BTreeSet<String> = everything
                .iter()
                .filter(|a| a[field].as_str().unwrap().contains(needle))
                .map(|a| a["name"].as_str().unwrap().to_owned())
                .collect();
            let found = names(&search(&app, &manager, json!({ field: needle })));
            assert_eq!(found, expected, "{field} contains {needle:?}");
        }
    }
    assert_eq!(
        names(&search(&app, &manager, json!({"name": "a%b"}))),
        BTreeSet::from(["a%b".to_owned()])
    );
    // Exact-match filters take the text as a value, never as a condition.
    let count = |filter: Value| search(&app, &manager, filter).len();
    assert_eq!(count(json!({ "user": manager_name })), everything.len());
    assert_eq!(count(json!({ "department": department })), everything.len());
    assert_eq!(count(json!({ "asset_tree_node": category })), 2);
    assert_eq!(count(json!({ "asset_tree_node": sub })), 1);
    for injection in ["' OR '1'='1", "x' OR 1=1 --", "%", "_", "*"] {
        for field in ["user", "department", "asset_tree_node"] {
            assert_eq!(
                count(json!({ field: injection })),
                0,
                "{field} = {injection:?}"
            );
        }
    }

    // Export: ids that are not ids are refused row by row.
    let export = app.post(
        &format!("/api/export_task/{manager}"),
        &json!([id, "1 OR 1=1", "'; DROP TABLE asset; --"]),
    );
    let export = app.wait_task(&manager, export.ok()["id"].as_i64().unwrap());
    assert_eq!(
        (&export["number_succeed"], &export["number_failed"]),
        (&json!(1), &json!(2))
    );

    // Path segments and login identities are values too.
    app.delete(&format!("/api/department/{admin}/{}", enc("' OR '1'='1")))
        .err(404, 7, "部门不存在");
    app.get(&format!(
        "/api/all_departments/{admin}/{}",
        enc("' OR 1=1 --")
    ))
    .err(404, 7, "业务实体不存在");
    app.post(
        "/api/login",
        &json!({"identity": "' OR '1'='1", "password": "' OR '1'='1"}),
    )
    .err(400, 2, "用户名或密码错误");

    // Nothing else changed: every row there before is still there, unchanged, and each table
    // grew by exactly what was created above.
    let rows_after = table_rows(&app);
    for (table, rows) in &rows_before {
        for row in rows {
            assert!(
                rows_after[table].contains(row),
                "{table}: changed or deleted: {row}"
            );
        }
    }
    let created: HashMap<&str, i64> = HashMap::from([
        ("entity", 1),
        ("user", 2),
        ("department", 2),
        ("category", 3 * 2 + 2),
        ("asset", 3 + literal.len() as i64),
        ("task", 2),
        ("task_chunk", 0),
        // The import's undo record: the ids its batch created.
        ("task_created", 1),
        // The history: a 新建 per asset made through post_asset, the modify, and the
        // import batch's range.
        ("asset_history", literal.len() as i64 + 2 + 1 + 1),
        ("task_failure", 3 + 2),
        ("export_chunk", 1),
        // The kept counts of each department and category per block of ids.
        ("asset_block", 4),
    ]);
    for (table, n) in app.table_counts() {
        let grew = n - counts_before.get(&table).copied().unwrap_or(0);
        assert_eq!(
            grew,
            created.get(table.as_str()).copied().unwrap_or(0),
            "{table}"
        );
    }
}

#[test]
fn logs_never_contain_a_session_token() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("db.sqlite3");
    let server = Server::start(&database, &[]);
    let mut tokens = Vec::new();
    for (name, password) in [
        ("liusn", DEMO_PASSWORD),
        ("liusn", DEMO_PASSWORD),
        ("sysadmin", DEMO_PASSWORD),
        ("zhangsan", DEMO_PASSWORD),
        ("admin", ADMIN_PASSWORD),
    ] {
        tokens.push(server.login(name, password));
    }
    let (status, _) = server.post(
        "/api/login",
        &json!({"identity": "liusn", "password": "wrong-pass"}).to_string(),
    );
    assert_eq!(status, 400);
    let asset = row("日志资产", "liusn", "CST").to_string();
    let import = json!([row("日志导入", "liusn", "CST"), {"name": ""}]).to_string();
    let mut statuses = BTreeSet::new();
    for t in &tokens {
        let requests: Vec<(&str, String, Option<&str>)> = vec![
            ("GET", format!("/api/character/{t}"), None),
            ("GET", format!("/api/character/{t}?session={t}"), None),
            (
                "POST",
                format!("/api/search_assets/{t}"),
                Some(r#"{"page":1}"#),
            ),
            ("POST", format!("/api/search_assets/{t}"), Some("not json")),
            ("POST", format!("/api/post_asset/{t}"), Some(&asset)),
            ("POST", format!("/api/asset/{t}"), Some(&import)),
            ("GET", format!("/api/async_task/{t}"), None),
            ("GET", format!("/api/async_task/{t}/1"), None),
            ("GET", format!("/failed_task/{t}/999999"), None),
            ("GET", format!("/api/export_task/{t}/abc"), None),
            ("GET", format!("/api/asset_template/{t}?format=csv"), None),
            ("GET", format!("/api/asset_template/{t}?format=doc"), None),
            ("GET", format!("/api/entity/{t}"), None),
            (
                "DELETE",
                format!("/api/department/{t}/{}", enc("无此部门")),
                None,
            ),
            ("GET", format!("/api/nope/{t}"), None),
            ("GET", format!("/api/character/{t}/extra"), None),
            // A token with something appended, or with a letter percent-encoded (which Rocket
            // decodes, so it logs in).
            ("GET", format!("/api/character/{t}x"), None),
            ("GET", format!("/api/asset_template/{t}.csv"), None),
            ("GET", format!("/api/character/{t};x=1"), None),
            (
                "GET",
                format!("/api/character/%{:02X}{}", t.as_bytes()[0], &t[1..]),
                None,
            ),
            ("GET", format!("/{t}"), None),
            ("GET", format!("/static/{t}"), None),
            ("POST", format!("/api/character/{t}"), Some("{}")),
        ];
        for (method, path, body) in requests {
            let (status, _) = server.request_bytes(method, &path, body.map(str::as_bytes));
            statuses.insert(status);
        }
        let (status, _) = server.request(
            "PUT",
            "/api/logout",
            Some(&json!({ "session": t }).to_string()),
        );
        assert_eq!(status, 200);
        // And once more after logout.
        let (status, _) = server.get(&format!("/api/character/{t}"));
        assert_eq!(status, 401);
        statuses.insert(status);
    }
    // Successes and failures of every kind were logged.
    for status in [200, 400, 401, 403, 404] {
        assert!(statuses.contains(&status), "{statuses:?}");
    }
    let stderr = server.log.clone();
    server.kill();

    let stderr = std::fs::read_to_string(stderr).unwrap();
    let file = std::fs::read_to_string(dir.path().join("assetport.log")).unwrap();
    for (name, log) in [("stderr", &stderr), ("assetport.log", &file)] {
        // The requests are in the log, with the session masked.
        assert!(log.contains("GET /api/nope/********"), "{name}:\n{log}");
        assert!(log.contains("POST /api/search_assets/********"), "{name}");
        for t in &tokens {
            assert!(!log.contains(&t[1..]), "{name} holds the token {t}");
        }
    }
}

/// Issue 18, item 7: the format characters a name must not hide (bidi overrides and isolates,
/// zero-width characters, the byte-order mark, the soft hyphen).
const HIDDEN: [char; 8] = [
    '\u{202E}', '\u{202A}', '\u{2066}', '\u{200B}', '\u{200D}', '\u{200F}', '\u{FEFF}', '\u{00AD}',
];

#[test]
fn look_alike_identities_are_the_same_user_and_hidden_characters_are_refused() {
    let app = App::new();
    let admin = login_as(&app, roles::ADMIN);
    app.wait_stored(&admin);
    let before = app.digest();
    let user = |name: &str| {
        app.post(
            &format!("/api/user/{admin}"),
            &json!({"name": name, "password": "secret1", "entity": "示例企业",
                    "department": "CST", "character": 2, "lock": false}),
        )
    };
    // Spaces around it, fullwidth letters, a long s (NFKC: s), ASCII case: all liusn.
    for name in ["liusn ", " liusn", "ｌｉｕｓｎ", "liuſn", "\u{3000}LIUSN"] {
        user(name).err(400, 5, "用户名已存在");
    }
    user("x3\u{200B}").err(400, -2, "字段不能包含控制字符：[name]");
    for c in HIDDEN {
        user(&format!("zhang{c}san")).err(400, -2, "字段不能包含控制字符：[name]");
    }
    let email = app.post(
        &format!("/api/user/{admin}"),
        &json!({"name": "wangwu", "password": "secret1", "department": "CST",
                "character": 2, "email": "wang\u{200B}wu@example.com"}),
    );
    email.err(400, -2, "字段不能包含控制字符：[email]");
    assert_eq!(app.digest(), before, "a refused user changed something");

    // A login by a look-alike of the name is the user's login.
    for identity in ["liusn ", " liusn", "ｌｉｕｓｎ", "liuſn"] {
        let s = app.login(identity, DEMO_PASSWORD);
        let me = app.get(&format!("/api/character/{s}"));
        assert_eq!(me.ok()["name"], "liusn", "{identity:?}");
    }
    // A new name is stored in its one spelling, and logs in by any look-alike of it.
    user("\u{3000}ｗａｎｇｗｕ ").ok();
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    let stored: String = conn
        .query_row("SELECT name FROM user ORDER BY id DESC LIMIT 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(stored, "wangwu");
    app.login("wangwu", "secret1");
    app.login("ｗａｎｇｗｕ", "secret1");
}

#[test]
fn names_of_companies_departments_and_categories_fold_look_alikes_and_refuse_hidden_characters() {
    let app = App::new();
    let root = login_as(&app, SUPER);
    let admin = login_as(&app, roles::ADMIN);
    let manager = login_as(&app, roles::MANAGER);
    for s in [&root, &admin, &manager] {
        app.wait_stored(s);
    }
    let before = app.digest();
    let department = |name: &str| {
        app.post(
            &format!("/api/department/{admin}"),
            &json!({"name": name, "parent": ""}),
        )
    };
    let category = |name: &str| {
        app.post(
            &format!("/api/asset_tree/{manager}"),
            &json!({"name": name, "parent": "", "department": "CST"}),
        )
    };
    let entity = |name: &str| app.post(&format!("/api/entity/{root}"), &json!({ "name": name }));
    for c in HIDDEN {
        department(&format!("行政{c}部")).err(400, -2, "字段不能包含控制字符：[name]");
        category(&format!("电脑{c}")).err(400, -2, "字段不能包含控制字符：[name]");
        entity(&format!("某{c}企业")).err(400, -2, "字段不能包含控制字符：[name]");
    }
    for name in ["ＣＳＴ", "CST ", " CST", "\u{3000}CST"] {
        department(name).err(400, 5, "部门名称已存在");
    }
    category("默认分类 ").err(400, 5, "分类名称已存在");
    category("数量型资产\u{3000}").err(400, 5, "分类名称已存在");
    entity("示例企业 ").err(400, 5, "业务实体名称已存在");
    // A fullwidth solidus is a solidus: refused like one.
    let solidus = department("行政／部");
    assert_eq!((solidus.status.code, solidus.code()), (400, -2));
    assert!(
        solidus.info().starts_with("名称不合法：[name]"),
        "{:?}",
        solidus.body
    );
    assert_eq!(app.digest(), before, "a refused name changed something");

    // Stored in one spelling, found by any look-alike of it.
    department(" 行政部（一）").ok();
    let departments = app.get(&format!("/api/all_departments/{admin}/{}", enc("示例企业")));
    assert!(
        departments.ok().to_string().contains("\"行政部(一)\""),
        "{:?}",
        departments.body
    );
    app.post(
        &format!("/api/department/{admin}"),
        &json!({"name": "行政二组", "parent": "行政部（一）"}),
    )
    .ok();
    category("电脑（台式）").ok();
    app.get(&format!(
        "/api/sub_asset_tree/{manager}/CST/{}",
        enc("电脑(台式)")
    ))
    .ok();
    app.get(&format!(
        "/api/sub_asset_tree/{manager}/{}/{}",
        enc("ＣＳＴ"),
        enc("电脑（台式）")
    ))
    .ok();
}

#[test]
fn asset_text_refuses_hidden_characters_and_names_fold_look_alikes() {
    let app = App::new();
    let s = app.demo("liusn");
    app.wait_stored(&s);
    let before = app.digest();
    // The disguised file name: shows as "abcexe.jpg".
    let answer = app.post(
        &format!("/api/post_asset/{s}"),
        &row("abc\u{202e}gpj.exe", "liusn", "CST"),
    );
    answer.err(400, 2, "字段不能包含控制字符：[name]");
    for c in HIDDEN {
        let mut bad = row(&format!("打印{c}机"), "liusn", "CST");
        bad["position"] = json!(format!("三{c}楼"));
        bad["description"] = json!(format!("说明{c}\n第二行"));
        let answer = app.post(&format!("/api/post_asset/{s}"), &bad);
        assert_eq!(answer.status.code, 400, "{:?}", answer.body);
        for field in ["name", "position", "description"] {
            let message = format!("字段不能包含控制字符：[{field}]");
            assert!(answer.info().contains(&message), "{c:?} {:?}", answer.body);
        }
    }
    assert_eq!(app.digest(), before, "a refused asset changed something");
    // A modify is checked by the same rules.
    let id = app.create_asset(&s, &row("打印机", "liusn", "CST"));
    app.wait_stored(&s);
    let before_modify = app.digest();
    let modify = app.put(
        &format!("/api/asset/{s}"),
        &json!({"id": id, "name": "abc\u{202e}gpj.exe"}),
    );
    modify.err(400, 2, "字段不能包含控制字符：[name]");
    assert_eq!(
        app.digest(),
        before_modify,
        "a refused modify changed something"
    );

    // In an import the row fails with that message; the others go in, names in one spelling
    // (an owner, a department and a parent found by look-alikes of theirs).
    let mut parent = common::item("\u{3000}ＰＣ-1 ");
    parent["description"] = json!("第一行\n第二行");
    let mut child = row("键盘", "ｌｉｕｓｎ ", "ＣＳＴ");
    child["parent"] = json!("PC-1");
    let task = app.import(
        &s,
        &json!([row("abc\u{202e}gpj.exe", "liusn", "CST"), parent, child]),
    );
    assert_eq!(
        (&task["number_failed"], &task["number_succeed"]),
        (&json!(1), &json!(2)),
        "{task}"
    );
    let assets = app.assets(&s);
    let named = |name: &str| assets.iter().find(|a| a["name"] == name).cloned();
    let pc = named("PC-1").expect("PC-1 stored in its one spelling");
    assert_eq!(pc["description"], "第一行\n第二行");
    assert_eq!(named("键盘").expect("键盘")["parentName"], "PC-1");
    assert!(named("abc\u{202e}gpj.exe").is_none());
    // The printer made above and the two accepted rows: nothing else.
    assert_eq!(assets.len(), 3, "{assets:?}");
}
