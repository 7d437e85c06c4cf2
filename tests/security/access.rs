//! Security properties users rely on (SPEC §2–§4), endpoint by endpoint: one table lists every
//! route with a session in its path, and on every one of them a locked user and an expired
//! session are refused and change nothing.

use crate::common;

use common::roles::{account, login_as, user_id, ADMIN, DEMO, MANAGER, STAFF, SUPER};
use common::{enc, item, row, Answer, App};
use rocket::http::{ContentType, Method};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};

const LOCKED: &str = "你已被锁定，无法进行该操作";

/// Any request; an answer that is not JSON (a file) is kept as a JSON string.
fn call(app: &App, method: Method, path: &str, body: Option<&str>) -> Answer {
    let mut req = app.client.req(method, path).header(ContentType::JSON);
    if let Some(body) = body {
        req = req.body(body);
    }
    let res = req.dispatch();
    let status = res.status();
    let text = res.into_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer { status, body }
}

/// Things the endpoints act on, so a call that wrongly got through would change data.
struct Fixture {
    task: i64,
    export: i64,
    /// A finished label task (its PDF is downloaded).
    labels: i64,
    to_modify: i64,
    to_retire: i64,
    /// An asset of zhangsan's (staff), whose history every asset role may read.
    staffs: i64,
    sysadmin_id: i64,
    zhangsan_id: i64,
    /// A system admin and a staff member the DELETE line may delete (the demo ones' sessions
    /// serve the lines after it).
    spare_admin: i64,
    spare_staff: i64,
}

fn fixture(app: &App) -> Fixture {
    let admin = login_as(app, ADMIN);
    let manager = login_as(app, MANAGER);
    let root = login_as(app, SUPER);
    let spare = |session: &str, name: &str, character: i64, department: &str| {
        let body = json!({"name": name, "password": "secret1", "entity": DEMO,
                          "department": department, "character": character});
        let a = app.post(&format!("/api/user/{session}"), &body);
        a.ok()["id"].as_i64().unwrap()
    };
    let spare_admin = spare(&root, "待删管理员", 3, "");
    let spare_staff = spare(&admin, "待删员工", 1, "CST");
    app.post(
        &format!("/api/department/{admin}"),
        &json!({"name": "待删部门", "parent": ""}),
    )
    .ok();
    app.post(
        &format!("/api/asset_tree/{manager}"),
        &json!({"name": "待删分类", "parent": "", "department": "CST"}),
    )
    .ok();
    let create = |name: &str| app.create_asset(&manager, &row(name, "liusn", "CST"));
    let to_modify = create("待改资产");
    let to_retire = create("待退资产");
    let staffs = app.create_asset(&manager, &row("张三的资产", "zhangsan", "CST"));
    let mut broken = item("坏行");
    broken["count"] = json!(0);
    let task = app.post(
        &format!("/api/asset/{manager}"),
        &json!([item("好行"), broken]),
    );
    let task = task.ok()["id"].as_i64().unwrap();
    app.wait_task(&manager, task);
    let export = app.post(&format!("/api/export_task/{manager}"), &json!([to_modify]));
    let export = export.ok()["id"].as_i64().unwrap();
    app.wait_task(&manager, export);
    let labels = app.post(
        &format!("/api/label_task/{manager}"),
        &json!({"ids": [to_modify]}),
    );
    let labels = labels.ok()["id"].as_i64().unwrap();
    app.wait_task(&manager, labels);
    Fixture {
        task,
        export,
        labels,
        to_modify,
        to_retire,
        staffs,
        sysadmin_id: user_id(app, "sysadmin"),
        zhangsan_id: user_id(app, "zhangsan"),
        spare_admin,
        spare_staff,
    }
}

/// Every endpoint with a session in its path, one a line: method, route as mounted, the roles
/// (characters) that may call it, and a valid body, so a call that got through would change or
/// show data. In a body `{old}` is the caller's password and the other placeholders are filled
/// from the `Fixture`.
const ENDPOINTS: &str = r#"
GET    /api/character/<_>                           1234
PUT    /api/user_password/<_>                       1234  {"oldpassword": "{old}", "newpassword": "changed-pass"}
POST   /api/entity/<_>                              4     {"name": "新企业"}
GET    /api/entity/<_>                              4
POST   /api/user/<_>                                4     {"name": "新管理员", "password": "secret1", "entity": "示例企业", "character": 3}
POST   /api/user/<_>                                3     {"name": "新员工", "password": "secret1", "department": "CST", "character": 1}
PUT    /api/user/<_>                                4     {"id": {sysadmin}, "lock": false}
PUT    /api/user/<_>                                3     {"id": {zhangsan}, "lock": false}
GET    /api/user_entity/<_>/<entity>/<page>         34
GET    /api/user/<_>/<id>                           34
POST   /api/user/<_>/<id>                           34    {"email": "changed@example.com"}
DELETE /api/user/<_>/<id>                           34
POST   /api/department/<_>                          3     {"name": "新部门", "parent": ""}
GET    /api/all_departments/<_>/<entity>            234
DELETE /api/department/<_>/<name>                   3
POST   /api/asset_tree/<_>                          23    {"name": "新分类", "parent": "", "department": "CST"}
GET    /api/asset_tree_root/<_>/<department>        23
GET    /api/sub_asset_tree/<_>/<department>/<node>  23
DELETE /api/sub_asset_tree/<_>/<department>/<node>  23
POST   /api/post_asset/<_>                          23    {row}
PUT    /api/asset/<_>                               23    {"id": {asset}, "name": "改名"}
PUT    /api/expire_asset/<_>                        23    [{retire}]
POST   /api/search_assets/<_>                       123   {"page": 1}
GET    /api/asset_user_list/<_>/<page>              1
GET    /api/owner_names/<_>                         23
GET    /api/columns/<_>                             1234
GET    /api/asset_history/<_>/<id>                  123
GET    /api/asset_history/<_>/<id>/file             123
POST   /api/asset/<_>                               23    [{row}]
POST   /api/export_task/<_>                         23    [{asset}]
GET    /api/async_task/<_>                          23
GET    /api/async_task/<_>/<id>                     23
POST   /api/async_task/<_>/<id>/cancel              23
GET    /failed_task/<_>/<id>                        23
GET    /api/failed_task/<_>/<id>                    23
PUT    /failed_task/<_>/<id>                        23    [{item}]
PUT    /api/failed_task/<_>/<id>                    23    [{item}]
GET    /api/export_task/<_>/<id>                    23
GET    /api/export_task/<_>/<id>/failed             23
POST   /api/label_task/<_>                          23    {"ids": [{asset}], "layout": "a4-2x7", "offset": 3}
GET    /api/label_task/<_>/<id>/file                23
GET    /api/asset_template/<_>                      23
POST   /api/asset_file/<_>                          23    {csv}
GET    /api/async_task/<_>/<id>/file                23
GET    /api/failed_task/<_>/<id>/summary            23
GET    /api/failed_task/<_>/<id>/rows               23
PUT    /api/failed_task/<_>/<id>/rows/<seq>         23    {"name": "改过的行"}
POST   /api/failed_task/<_>/<id>/replace            23    {"field": "name", "from": "x", "to": "y"}
POST   /api/failed_task/<_>/<id>/drop               23    []
POST   /api/failed_task/<_>/<id>/rerun              23
POST   /api/async_task/<_>/<id>/confirm             23
POST   /api/async_task/<_>/<id>/discard             23
POST   /api/async_task/<_>/<id>/undo                23
DELETE /api/async_task/<_>/<id>                     23
GET    /api/journal/<_>                             34
GET    /api/journal/<_>/file                        34
GET    /api/journal/<_>/kinds                       34
GET    /api/backups/<_>                             4
POST   /api/backups/<_>                             4
GET    /api/backups/<_>/<backup>/file               4
POST   /api/requests/<_>                            123   {"kind": "维保", "lines": [{"asset": {staffs}}]}
GET    /api/requests/<_>                            123
GET    /api/requests/<_>/to_do                      123
GET    /api/requests/<_>/idle                       123
GET    /api/request_template/<_>                    123
POST   /api/request_file/<_>                        123   {request_csv}
GET    /api/requests/<_>/<id>                       123
POST   /api/requests/<_>/<id>/reject                23    {"reason": "不需要"}
POST   /api/requests/<_>/<id>/withdraw              3
POST   /api/requests/<_>/<id>/approve               23
POST   /api/requests/<_>/<id>/finish                23
POST   /api/requests/<_>/<id>/undo                  23
POST   /api/stocktake/<_>                           23    {"name": "年度盘点", "filter": {"department": "CST"}}
GET    /api/stocktake/<_>                           23
GET    /api/stocktake/<_>/<id>                      23
GET    /api/stocktake/<_>/<id>/lines                23
GET    /api/stocktake/<_>/<id>/extras               23
GET    /api/stocktake/<_>/<id>/report               23
GET    /api/stocktake/<_>/<id>/template             23
POST   /api/stocktake_file/<_>/<id>                 23    {count_csv}
POST   /api/stocktake/<_>/<id>/scan                 23    {"code": "{staffs}", "position": "二楼"}
POST   /api/stocktake/<_>/<id>/complete             23
POST   /api/stocktake/<_>/<id>/adjust               23
POST   /api/stocktake/<_>/<id>/void                 23
"#;

struct Endpoint {
    method: Method,
    route: &'static str,
    roles: Vec<i64>,
    body: &'static str,
}

fn endpoints() -> Vec<Endpoint> {
    ENDPOINTS
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let mut rest = line;
            let mut word = || {
                rest = rest.trim_start();
                let (word, tail) = rest.split_at(rest.find(' ').unwrap_or(rest.len()));
                rest = tail;
                word
            };
            let (method, route, roles) = (word(), word(), word());
            Endpoint {
                method: method.parse().unwrap(),
                route,
                roles: roles.bytes().map(|b| i64::from(b - b'0')).collect(),
                body: rest.trim(),
            }
        })
        .collect()
}

/// The name of a backup the POST line above took (none taken: a backup's name all the same,
/// for the session checks that come first).
fn newest_backup(app: &App) -> String {
    let dir = app.db_path().with_file_name("backups");
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".sqlite3"))
        .max()
        .unwrap_or_else(|| "assetport-20260101-000000.sqlite3".to_owned())
}

impl Endpoint {
    /// Sends this endpoint's request as `role` with `session`.
    fn send(&self, app: &App, fx: &Fixture, role: i64, session: &str) -> Answer {
        let node = if self.method == Method::Delete {
            "待删分类"
        } else {
            "数量型资产"
        };
        let id = if self.route.starts_with("/api/export_task") {
            fx.export
        } else if self.route.starts_with("/api/label_task") {
            fx.labels
        } else if self.route.starts_with("/api/asset_history") {
            fx.staffs
        } else if self.route.starts_with("/api/requests") {
            // The POST line above asks 维保 of the staff member's asset as each role: request
            // 1 the staff member's, 2 the manager's (rejected), 3 the admin's (withdrawn by
            // them); 1 is approved and finished.
            if self.route.ends_with("/reject") {
                2
            } else if self.route.ends_with("/withdraw") {
                3
            } else {
                1
            }
        } else if self.route.starts_with("/api/stocktake") {
            // The POST line above starts stocktakes 1 and 2 of CST (as the manager, then the
            // admin): 1 is counted and completed, 2 voided.
            if self.route.ends_with("/void") {
                2
            } else {
                1
            }
        } else if self.route.starts_with("/api/user/") {
            match (self.method, role) {
                (Method::Delete, SUPER) => fx.spare_admin,
                (Method::Delete, _) => fx.spare_staff,
                (_, SUPER) => fx.sysadmin_id,
                _ => fx.zhangsan_id,
            }
        } else {
            fx.task
        };
        let mut path = [
            ("<_>", session.to_owned()),
            ("<id>", id.to_string()),
            ("<entity>", enc(DEMO)),
            ("<page>", "1".to_owned()),
            ("<name>", enc("待删部门")),
            ("<department>", "CST".to_owned()),
            ("<node>", enc(node)),
            ("<seq>", "0".to_owned()),
            ("<backup>", newest_backup(app)),
        ]
        .iter()
        .fold(self.route.to_owned(), |p, (from, to)| p.replace(from, to));
        if path.contains("/asset_template/")
            || path.contains("/asset_file/")
            || path.ends_with("/file")
        {
            path.push_str("?format=csv");
        }
        if path.contains("/request_file/") {
            // A dry run of a 维保 of the staff member's asset: it changes nothing.
            path.push_str(&format!("?kind={}&dry_run=true", enc("维保")));
        }
        let csv = "name,assetClass,price,count,deadline,assetTree,user,department\n\
                   文件资产,1,5,1,3,条目型资产,liusn,CST\n";
        let body = [
            ("{old}", account(role).1.to_owned()),
            ("{sysadmin}", fx.sysadmin_id.to_string()),
            ("{zhangsan}", fx.zhangsan_id.to_string()),
            ("{asset}", fx.to_modify.to_string()),
            ("{retire}", fx.to_retire.to_string()),
            ("{staffs}", fx.staffs.to_string()),
            ("{row}", row("新资产", "liusn", "CST").to_string()),
            ("{item}", item("修好的行").to_string()),
            ("{csv}", csv.to_owned()),
            ("{request_csv}", format!("资产编号\n{}\n", fx.staffs)),
            (
                "{count_csv}",
                format!("资产编号,实盘位置\n{},二楼\n", fx.staffs),
            ),
        ]
        .iter()
        .fold(self.body.to_owned(), |b, (from, to)| b.replace(from, to));
        call(
            app,
            self.method,
            &path,
            (!body.is_empty()).then_some(body.as_str()),
        )
    }
}

/// The table above is every route with a session segment (a new endpoint must be added to
/// it), and each of its requests, sent by a live unlocked user, gets past the session checks.
#[test]
fn the_endpoint_table_covers_every_session_route() {
    let mounted: BTreeSet<(String, String)> = assetport::api::routes()
        .iter()
        .filter(|r| r.uri.path().contains("<_>"))
        .map(|r| (r.method.to_string(), r.uri.path().to_owned()))
        .collect();
    let listed: BTreeSet<(String, String)> = endpoints()
        .iter()
        .map(|e| (e.method.to_string(), e.route.to_owned()))
        .collect();
    assert_eq!(listed, mounted);

    let app = App::new();
    let fx = fixture(&app);
    let sessions = sessions(&app);
    for e in endpoints() {
        for (n, role) in e.roles.iter().enumerate() {
            // Deleting a task's data, or undoing it, waits for the re-runs above to finish.
            let undo = e.route.starts_with("/api/async_task") && e.route.ends_with("/undo");
            let in_place = e.route.starts_with("/api/failed_task/<_>/<id>/");
            if undo
                || in_place
                || (e.method == Method::Delete && e.route == "/api/async_task/<_>/<id>")
            {
                app.wait_task(&sessions[&ADMIN], fx.task);
            }
            let a = e.send(&app, &fx, *role, &sessions[role]);
            let refused = matches!((a.status.code, a.code()), (401, _) | (403, 1 | 4));
            assert!(!refused, "{} {} as {role}: {:?}", e.method, e.route, a.body);
            // The first caller of a line succeeds; later ones may meet what it created, and
            // the second re-run line meets the re-run of the first.
            let rerun_again = e.method == Method::Put && e.route == "/api/failed_task/<_>/<id>";
            // The fixture's task has finished: a cancel gets past the checks and is refused
            // for that (code 12).
            let cancel = e.route.ends_with("/cancel");
            if cancel {
                assert_eq!(a.code(), 12, "{:?}", a.body);
            }
            // It was no dry run: a confirm or a discard gets past the checks and is refused
            // for that.
            let confirm = e.route.ends_with("/confirm") || e.route.ends_with("/discard");
            if confirm {
                assert_eq!(a.code(), 14, "{:?}", a.body);
            }
            // The second undo meets the first (code 15).
            if undo && n > 0 {
                assert_eq!(a.code(), 15, "{:?}", a.body);
            }
            // The fixture's failed row 0 may be gone by now: a clean "not found" is past the
            // checks too.
            let one_row = e.route.ends_with("/rows/<seq>");
            let row_gone = one_row && a.status.code == 404;
            if row_gone {
                assert_eq!(a.code(), 7, "{:?}", a.body);
            }
            if n == 0 && !rerun_again && !cancel && !confirm && !row_gone {
                assert_eq!(a.status.code, 200, "{} {}: {:?}", e.method, e.route, a.body);
            }
        }
    }
}

/// A session of each demo role.
fn sessions(app: &App) -> HashMap<i64, String> {
    [STAFF, MANAGER, ADMIN, SUPER]
        .into_iter()
        .map(|role| (role, login_as(app, role)))
        .collect()
}

/// Locks all four demo roles in the database, their sessions left open: what a lock set while
/// a request is under way meets. (A lock through the API ends the user's sessions as well:
/// then every request answers code 1, checked at the end of the test.)
fn lock_everyone(app: &App) {
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    conn.execute(
        "UPDATE user SET lock = 1 WHERE name IN ('admin', 'sysadmin', 'liusn', 'zhangsan')",
        [],
    )
    .unwrap();
}

#[test]
fn a_locked_user_is_refused_on_every_endpoint_of_their_role() {
    let app = App::new();
    let fx = fixture(&app);
    let sessions = sessions(&app);
    lock_everyone(&app);
    let before = app.digest();
    let mut checked = 0;
    for e in endpoints() {
        for role in &e.roles {
            let a = e.send(&app, &fx, *role, &sessions[role]);
            assert_eq!(
                (a.status.code, a.code(), a.info()),
                (403, 4, LOCKED),
                "{} {} as {role}: {:?}",
                e.method,
                e.route,
                a.body
            );
            checked += 1;
        }
    }
    assert_eq!(app.digest(), before, "a locked user changed data");
    assert!(checked > 40, "{checked}");
    // And none of them can log in again.
    for role in [STAFF, MANAGER, ADMIN, SUPER] {
        let (name, password) = account(role);
        let a = app.post(
            "/api/login",
            &json!({"identity": name, "password": password}),
        );
        a.err(403, 4, LOCKED);
    }
    // Locked through the API (unlocked, logged in, locked again), the user's sessions end.
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    conn.execute(
        "UPDATE user SET lock = 0 WHERE name IN ('sysadmin', 'zhangsan')",
        [],
    )
    .unwrap();
    let admin = login_as(&app, ADMIN);
    let staff = login_as(&app, STAFF);
    app.put(
        &format!("/api/user/{admin}"),
        &json!({"id": fx.zhangsan_id, "lock": true}),
    )
    .ok();
    app.get(&format!("/api/character/{staff}"))
        .err(401, 1, "你无此权限");
}

#[test]
fn an_expired_session_is_refused_on_every_endpoint() {
    let app = App::new();
    let fx = fixture(&app);
    let conn = rusqlite::Connection::open(app.db_path()).unwrap();
    // Idle for 169 hours: past the default session_ttl_hours of 168.
    let long_ago = chrono::Utc::now().timestamp() - 169 * 3600;
    let before = app.digest();
    for e in endpoints() {
        for role in &e.roles {
            let session = login_as(&app, *role);
            app.wait_stored(&session);
            conn.execute(
                "UPDATE session SET last_seen = ?1 WHERE token_hash = ?2",
                rusqlite::params![long_ago, assetport::db::users::token_hash(&session)],
            )
            .unwrap();
            let a = e.send(&app, &fx, *role, &session);
            assert_eq!(
                (a.status.code, a.code(), a.info()),
                (401, 1, "你无此权限"),
                "{} {} as {role}: {:?}",
                e.method,
                e.route,
                a.body
            );
            // The expired session is gone, not merely refused once.
            let left: i64 = conn
                .query_row(
                    "SELECT count(*) FROM session WHERE token_hash = ?1",
                    [assetport::db::users::token_hash(&session)],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(left, 0, "{} {}", e.method, e.route);
        }
    }
    assert_eq!(app.digest(), before, "an expired session changed data");
}
