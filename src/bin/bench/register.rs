//! A register of a million assets: everyday reads timed on it.

use super::harness::*;
use super::PASSWORD;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The demo company grown to `n` assets (`fill`), then the median of 20 calls of each everyday
/// read, in ms.
pub(crate) fn register(n: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let database: PathBuf = dir.path().join("register.sqlite3");
    let server = Server::start(&database);
    let client = server.client;
    let admin = client.login_as("sysadmin");
    let manager = client.login_as("liusn");
    let staff = client.login_as("zhangsan");
    add_register_owner(&client, &admin);
    let started = Instant::now();
    fill(&database, n);
    println!("register_rows={n}");
    println!(
        "register_fill_seconds={:.1}",
        started.elapsed().as_secs_f64()
    );
    // The trigram index of names and descriptions is built in the background once no task
    // runs: wait for it, so substring searches are measured as a settled server answers them.
    let started = Instant::now();
    {
        let conn = rusqlite::Connection::open(&database).expect("open");
        while !conn
            .query_row(
                "SELECT (SELECT indexed_to FROM text_index) >= (SELECT max(id) FROM asset)",
                [],
                |r| r.get::<_, bool>(0),
            )
            .expect("text index")
        {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    println!(
        "register_text_index_seconds={:.1}",
        started.elapsed().as_secs_f64()
    );
    let median = |method: &str, path: &str, body: &str| -> f64 {
        let mut times: Vec<f64> = (0..20)
            .map(|_| {
                let t = Instant::now();
                let (status, answer) =
                    client.request(method, path, "application/json", body.as_bytes());
                assert_eq!(
                    status,
                    200,
                    "{path} {body}: {}",
                    String::from_utf8_lossy(&answer)
                );
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        times.sort_by(|a, b| a.total_cmp(b));
        percentile(&times, 50.0)
    };
    let search = |session: &str, body: Value| {
        median(
            "POST",
            &format!("/api/search_assets/{session}"),
            &body.to_string(),
        )
    };
    let last_page = (n as f64 / 6.0).ceil() as i64;
    // The middle page of a list of `rows` assets, 6 a page.
    let middle = |rows: usize| (rows.div_ceil(6) / 2).max(1);
    let keys: Vec<(&str, f64)> = vec![
        ("register_list_page1_ms", search(&admin, json!({"page": 1}))),
        (
            "register_manager_list_page1_ms",
            search(&manager, json!({"page": 1})),
        ),
        (
            "register_filter_department_ms",
            search(&admin, json!({"page": 1, "department": "软件组"})),
        ),
        (
            "register_filter_owner_ms",
            search(&admin, json!({"page": 1, "user": "zhangsan"})),
        ),
        (
            "register_filter_category_ms",
            search(&admin, json!({"page": 1, "asset_tree_node": "数量型资产"})),
        ),
        (
            "register_filter_expire_ms",
            search(&admin, json!({"page": 1, "expire": 1})),
        ),
        (
            "register_name_substring_ms",
            search(&admin, json!({"page": 1, "name": "投影仪"})),
        ),
        (
            "register_description_substring_ms",
            search(&admin, json!({"page": 1, "description": "备用机房"})),
        ),
        (
            "register_middle_page_ms",
            search(&admin, json!({"page": last_page / 2})),
        ),
        (
            "register_last_page_ms",
            search(&admin, json!({"page": last_page})),
        ),
        (
            "register_manager_middle_page_ms",
            search(&manager, json!({"page": last_page / 2})),
        ),
        (
            "register_department_middle_page_ms",
            search(
                &admin,
                json!({"page": middle(n * 3 / 10), "department": "软件组"}),
            ),
        ),
        (
            "register_category_middle_page_ms",
            search(
                &admin,
                json!({"page": last_page / 2, "asset_tree_node": "数量型资产"}),
            ),
        ),
        (
            "register_name_middle_page_ms",
            search(
                &admin,
                json!({"page": middle(n.div_ceil(1000)), "name": "投影仪"}),
            ),
        ),
        (
            "register_staff_middle_page_ms",
            median(
                "GET",
                &format!("/api/asset_user_list/{staff}/{}", middle(n.div_ceil(70))),
                "",
            ),
        ),
        (
            "register_staff_own_list_ms",
            median("GET", &format!("/api/asset_user_list/{staff}/1"), ""),
        ),
        (
            "register_departments_ms",
            median(
                "GET",
                &format!(
                    "/api/all_departments/{admin}/{}",
                    "%E7%A4%BA%E4%BE%8B%E4%BC%81%E4%B8%9A"
                ),
                "",
            ),
        ),
    ];
    for (key, ms) in keys {
        println!("{key}={ms:.2}");
    }
}

/// Adds ruanjian, the user of 软件组 who owns its assets in the register `fill` grows, as the
/// system admin `admin` (a session).
pub(crate) fn add_register_owner(client: &Client, admin: &str) {
    client.json(
        "POST",
        &format!("/api/user/{admin}"),
        &json!({"name": "ruanjian", "password": PASSWORD, "department": "软件组", "character": 1})
            .to_string(),
    );
}

/// Grows the demo company (with its user ruanjian of 软件组) to `n` assets straight into its
/// table (as `raw_insert` does, then the kept counts and block counts set in the same transaction): 70% in CST,
/// 30% in 软件组, 10,000 owned by zhangsan, one in a hundred retired, a few named and described
/// apart.
pub(crate) fn fill(database: &std::path::Path, n: usize) {
    let mut conn = rusqlite::Connection::open(database).expect("open");
    conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 30000;")
        .expect("pragmas");
    let ids = |c: &rusqlite::Connection, sql: &str| -> i64 {
        c.query_row(sql, [], |r| r.get(0)).expect(sql)
    };
    let entity = ids(&conn, "SELECT id FROM entity WHERE name = '示例企业'");
    let cst = ids(&conn, "SELECT id FROM department WHERE name = 'CST'");
    let software = ids(&conn, "SELECT id FROM department WHERE name = '软件组'");
    let category = |d: i64| {
        ids(
            &conn,
            &format!("SELECT id FROM category WHERE department_id = {d} AND name = '数量型资产'"),
        )
    };
    let (cst_category, software_category) = (category(cst), category(software));
    let user = |name: &str| ids(&conn, &format!("SELECT id FROM user WHERE name = '{name}'"));
    let (liusn, zhangsan, ruanjian) = (user("liusn"), user("zhangsan"), user("ruanjian"));
    let today = assetport::clock::today_day();
    let tx = conn.transaction().expect("tx");
    {
        let mut stmt = tx
            .prepare(
                "INSERT INTO asset (entity_id, department_id, category_id, owner_id, name,
                     asset_class, initial_price_cents, description, position, expire, count,
                     create_day, deadline, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, 0, 1050, ?6, 'A座', ?7, 3, ?8, 10, 1)",
            )
            .expect("prepare");
        for i in 0..n {
            let (department, category, owner) = if i % 10 < 7 {
                let owner = if i % 70 == 0 { zhangsan } else { liusn };
                (cst, cst_category, owner)
            } else {
                (software, software_category, ruanjian)
            };
            let name = if i % 1000 == 0 {
                format!("投影仪-{i}")
            } else {
                format!("设备-{i}")
            };
            let description = if i % 5000 == 0 {
                "备用机房"
            } else {
                "基准测试"
            };
            let expire = i64::from(i % 100 == 0);
            stmt.execute(rusqlite::params![
                entity,
                department,
                category,
                owner,
                name,
                description,
                expire,
                today
            ])
            .expect("insert");
        }
    }
    // The departments' kept counts, as the server's own inserts keep them.
    tx.execute_batch(
        "UPDATE department SET asset_count =
             (SELECT count(*) FROM asset WHERE asset.department_id = department.id);
         UPDATE category SET asset_count =
             (SELECT count(*) FROM asset WHERE asset.category_id = category.id);
         DELETE FROM asset_block;
         INSERT INTO asset_block (department_id, category_id, block, n)
             SELECT department_id, category_id, id >> 14, count(*) FROM asset GROUP BY 1, 2, 3;",
    )
    .expect("counts");
    tx.commit().expect("commit");
}
