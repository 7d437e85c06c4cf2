//! Issue 20's operations journal, as it is read: `GET /api/journal/{session}` newest first with
//! its filters and paging, the same list as a file, each company kept to its own entries, the
//! super admin to the entries of no company, every other role refused, and every bad parameter
//! answered in the envelope.

use crate::common;
use crate::filekit::{fetch, read_csv, read_xlsx, texts};
use crate::journal::Journal;

use common::{enc, row, Answer, App};
use serde_json::{json, Value};

fn journal(app: &App, session: &str, query: &str) -> Answer {
    app.get(&format!("/api/journal/{session}{query}"))
}

/// The sentences of a page of the journal, newest first.
fn sentences(app: &App, session: &str, query: &str) -> Vec<String> {
    let a = journal(app, session, query);
    a.ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["text"].as_str().unwrap().to_owned())
        .collect()
}

fn total(app: &App, session: &str, query: &str) -> i64 {
    let a = journal(app, session, query);
    a.ok();
    a.body["total"].as_i64().unwrap()
}

/// The demo company's system admin makes three departments, its asset manager an import:
/// returns (sysadmin's session, liusn's, the task's id), every entry written.
fn company_at_work(app: &App) -> (String, String, i64) {
    let mut j = Journal::new(app);
    let admin = app.demo("sysadmin");
    let manager = app.demo("liusn");
    j.since(2);
    for name in ["一部", "二部", "三部"] {
        app.post(
            &format!("/api/department/{admin}"),
            &json!({"name": name, "parent": ""}),
        )
        .ok();
    }
    let task = app.post(
        &format!("/api/asset/{manager}"),
        &json!([row("椅子", "liusn", "CST")]),
    );
    let task = task.ok()["id"].as_i64().unwrap();
    app.wait_task(&manager, task);
    j.since(4);
    (admin, manager, task)
}

#[test]
fn a_system_admin_reads_the_company_newest_first_filtered_and_a_page_at_a_time() {
    let app = App::new();
    let (admin, _, task) = company_at_work(&app);
    let all = journal(&app, &admin, "?size=4");
    let entries = all.ok().as_array().unwrap().clone();
    assert_eq!(
        (all.body["total"].clone(), all.body["pages"].clone()),
        (json!(6), json!(2))
    );
    assert_eq!(all.body["total_capped"], json!(false));
    let first = &entries[0];
    assert_eq!(first["kind"], "task_created");
    assert_eq!(first["kind_label"], "创建任务");
    assert_eq!(first["actor"], "liusn");
    assert_eq!(first["task"], json!(task));
    assert_eq!(first["detail"], json!({"type": "import", "rows": 1}));
    assert_eq!(first["text"], format!("liusn 创建导入任务 #{task}（1 行）"));
    let time = first["time"].as_str().unwrap();
    assert!(
        chrono::NaiveDateTime::parse_from_str(time, "%Y-%m-%d %H:%M:%S").is_ok(),
        "{time}"
    );
    let ids: Vec<i64> = entries.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    assert_eq!(
        sentences(&app, &admin, "?size=4&page=2"),
        ["liusn 登录", "sysadmin 登录"]
    );
    journal(&app, &admin, "?size=4&page=3").err(400, 4, "请求的页码超出范围");
    // The default page size is the API's (6).
    assert_eq!(sentences(&app, &admin, "").len(), 6);

    // Each filter, and two at once; an actor named in any case, as identities are.
    assert_eq!(
        sentences(&app, &admin, "?actor=LIUSN"),
        [
            format!("liusn 创建导入任务 #{task}（1 行）"),
            "liusn 登录".into()
        ]
    );
    assert_eq!(total(&app, &admin, "?kind=department_created"), 3);
    assert_eq!(total(&app, &admin, "?actor=sysadmin&kind=login"), 1);
    assert_eq!(total(&app, &admin, &format!("?task={task}")), 1);
    assert_eq!(total(&app, &admin, "?actor=nobody"), 0);
    assert_eq!(total(&app, &admin, "?task=999999"), 0);
    let today = chrono::Local::now().date_naive();
    let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    let (yesterday, tomorrow) = (today.pred_opt().unwrap(), today.succ_opt().unwrap());
    assert_eq!(
        total(
            &app,
            &admin,
            &format!("?since={}&until={}", day(today), day(today))
        ),
        6
    );
    assert_eq!(total(&app, &admin, &format!("?since={}", day(tomorrow))), 0);
    assert_eq!(
        total(&app, &admin, &format!("?until={}", day(yesterday))),
        0
    );
    assert_eq!(
        total(&app, &admin, &format!("?until={}&kind=login", day(today))),
        2
    );
    // Empty values are no filter (the page sends every field).
    assert_eq!(total(&app, &admin, "?actor=&kind=&since=&until=&task="), 6);
}

#[test]
fn a_company_never_reads_another_companys_journal_and_the_super_admin_reads_its_own() {
    let app = App::new();
    let (admin, _, task) = company_at_work(&app);
    let (admin2, wangwu, _) = app.second_entity();
    // Logins are stored a moment after they answer, in order: the last one stored, all are.
    app.wait_stored(&wangwu);
    let root = app.login("admin", common::ADMIN_PASSWORD);
    app.wait_stored(&root);

    let own = sentences(&app, &admin, "?size=100");
    assert_eq!(own.len(), 6, "{own:?}");
    for sentence in &own {
        for other in ["admin2", "wangwu", "销售部", "另一企业"] {
            assert!(!sentence.contains(other), "{sentence}");
        }
    }
    let theirs = sentences(&app, &admin2, "?size=100");
    assert_eq!(
        theirs,
        [
            "wangwu 登录",
            "admin2 新建资产管理员「wangwu」（部门 销售部）",
            "admin2 新建部门「销售部」",
            "admin2 登录"
        ]
    );
    // Filters cannot reach across: another company's user or task finds nothing.
    assert_eq!(total(&app, &admin2, "?actor=sysadmin"), 0);
    assert_eq!(total(&app, &admin2, &format!("?task={task}")), 0);
    assert_eq!(total(&app, &admin, "?actor=wangwu"), 0);

    // The super admin: its own acts (and the settings at start), none of a company's.
    assert_eq!(
        sentences(&app, &root, "?size=100"),
        [
            "admin 登录",
            "admin 新建系统管理员「admin2」（业务实体 另一企业）",
            "admin 新建业务实体「另一企业」",
            "admin 登录",
            "首次记录启动设置"
        ]
    );
    assert_eq!(total(&app, &root, "?actor=admin&kind=entity_created"), 1);
    assert_eq!(total(&app, &root, "?actor=sysadmin"), 0);
}

#[test]
fn only_system_admins_and_the_super_admin_may_read_the_journal() {
    let app = App::new();
    let manager = app.demo("liusn");
    let staff = app.demo("zhangsan");
    for route in ["", "/file", "/kinds"] {
        for session in [&manager, &staff] {
            app.get(&format!("/api/journal/{session}{route}"))
                .err(403, 1, "你无此权限");
        }
        app.get(&format!("/api/journal/short{route}"))
            .err(401, 2, "用户的会话标识符信息不正确");
        app.get(&format!("/api/journal/{}{route}", "A".repeat(32)))
            .err(401, 1, "你无此权限");
    }
}

#[test]
fn bad_parameters_are_answered_in_the_envelope_never_with_a_500() {
    let app = App::new();
    let admin = app.demo("sysadmin");
    let field = |key: &str, why: &str| format!("缺少字段或类型错误：[{key}]（{why}）");
    let cases = [
        ("?kind=nap", field("kind", "未知的操作类型")),
        ("?since=2026-02-30", field("since", "日期格式为YYYY-MM-DD")),
        ("?until=31/01/2026", field("until", "日期格式为YYYY-MM-DD")),
        (
            "?since=2026-02-01&until=2026-01-31",
            field("until", "结束日期不能早于开始日期"),
        ),
        ("?task=abc", field("task", "任务编号须为整数")),
        (
            "?task=99999999999999999999",
            field("task", "任务编号须为整数"),
        ),
        ("?size=0", field("size", "每页条数须在1到1000之间")),
        ("?size=1001", field("size", "每页条数须在1到1000之间")),
        ("?page=x", "缺少字段或类型错误：[page]".into()),
    ];
    for (query, info) in &cases {
        journal(&app, &admin, query).err(400, -2, info);
        let file = fetch(&app, &format!("/api/journal/{admin}/file{query}"));
        if !query.starts_with("?size") && !query.starts_with("?page") {
            file.answer().err(400, -2, info);
        }
    }
    journal(&app, &admin, "?page=0").err(400, 4, "请求的页码超出范围");
    journal(&app, &admin, "?page=9223372036854775807").err(400, 4, "请求的页码超出范围");
    fetch(&app, &format!("/api/journal/{admin}/file?format=pdf"))
        .answer()
        .err(400, -2, "不支持的文件格式：pdf，只支持 csv 或 xlsx");
    // Text that is no trouble: an actor with quotes, percent signs and Chinese.
    let odd = enc("x' OR 1=1 -- %_张");
    assert_eq!(total(&app, &admin, &format!("?actor={odd}")), 0);
}

#[test]
fn the_filtered_list_downloads_as_xlsx_and_csv() {
    let app = App::new();
    let (admin, _, _) = company_at_work(&app);
    let listed = sentences(&app, &admin, "?kind=department_created");
    let file = fetch(
        &app,
        &format!("/api/journal/{admin}/file?kind=department_created"),
    );
    let name = file.disposition.clone();
    assert!(
        name.starts_with("attachment; filename=\"journal-") && name.ends_with(".xlsx\""),
        "{name}"
    );
    assert_eq!(
        file.content_type,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let rows = texts(&read_xlsx(&file.bytes));
    assert_eq!(
        rows[0],
        [
            "编号",
            "时间",
            "操作人",
            "操作类型",
            "说明",
            "任务",
            "地址",
            "详情"
        ]
    );
    assert_eq!(rows.len(), 4, "{rows:?}");
    let said: Vec<&str> = rows[1..].iter().map(|r| r[4].as_str()).collect();
    assert_eq!(said, listed);
    assert_eq!(rows[1][2], "sysadmin");
    assert_eq!(rows[1][3], "新建部门");
    let detail: Value = serde_json::from_str(&rows[1][7]).unwrap();
    assert_eq!(detail["department"], "三部");

    let csv = fetch(
        &app,
        &format!("/api/journal/{admin}/file?format=csv&actor=liusn"),
    );
    assert!(
        csv.content_type.starts_with("text/csv"),
        "{}",
        csv.content_type
    );
    let rows = read_csv(&csv.bytes);
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(rows[2][4], "liusn 登录");
    // A list of nothing is a file of its header.
    let none = fetch(&app, &format!("/api/journal/{admin}/file?actor=nobody"));
    assert_eq!(read_xlsx(&none.bytes).len(), 1);
}

#[test]
fn the_kinds_are_listed_with_their_labels() {
    let app = App::new();
    let admin = app.demo("sysadmin");
    let a = app.get(&format!("/api/journal/{admin}/kinds"));
    let kinds = a.ok().as_array().unwrap();
    assert!(kinds.contains(&json!({"kind": "login_failed", "label": "登录失败"})));
    assert!(kinds.contains(&json!({"kind": "settings_changed", "label": "启动设置变更"})));
    for kind in kinds {
        let code = kind["kind"].as_str().unwrap();
        journal(&app, &admin, &format!("?kind={code}")).ok();
    }
}
