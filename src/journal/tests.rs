use super::*;
use crate::auth::Role;
use crate::db::fixture;
use crate::error::Error;

fn caller(conn: &Connection, name: &str) -> Caller {
    let user = crate::db::users::user_by_name(conn, name).unwrap().unwrap();
    Caller {
        user_id: user.id,
        name: user.name,
        role: Role::from_character(user.character).unwrap(),
        entity_id: user.entity_id,
        department_id: user.department_id,
        token: String::new(),
    }
}

/// 示例企业 with sysadmin, liusn and zhangsan; 另一企业 with admin2; the super admin.
fn world() -> crate::db::Conn {
    let conn = fixture::db();
    let demo = fixture::insert_company(&conn);
    fixture::insert_user(&conn, "admin", Role::Super, None, None);
    fixture::insert_user(&conn, "sysadmin", Role::Admin, Some(demo.id), None);
    fixture::insert_user(&conn, "liusn", Role::Manager, Some(demo.id), Some(demo.cst));
    fixture::insert_user(
        &conn,
        "zhangsan",
        Role::Staff,
        Some(demo.id),
        Some(demo.cst),
    );
    let other = fixture::insert_entity(&conn, "另一企业");
    fixture::insert_user(&conn, "admin2", Role::Admin, Some(other), None);
    conn
}

fn asked(query: &[(&str, &str)]) -> Result<Asked> {
    parse_query(query.iter().copied())
}

fn texts(listing: &Listing) -> Vec<String> {
    listing.page.data.iter().map(|e| e.text.clone()).collect()
}

#[test]
fn every_kind_has_one_code_and_a_label() {
    let mut codes: Vec<&str> = Kind::ALL.iter().map(|k| k.code()).collect();
    for kind in Kind::ALL {
        assert_eq!(Kind::from_code(kind.code()), Some(kind));
        assert!(!kind.label().is_empty());
    }
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), Kind::ALL.len());
    assert_eq!(kinds()[0], json!({"kind": "login", "label": "登录"}));
}

#[test]
fn a_query_is_checked_value_by_value() {
    let ok = asked(&[
        ("page", "2"),
        ("size", "20"),
        ("actor", " LiuSN "),
        ("kind", "user_created"),
        ("since", "2026-01-01"),
        ("until", "2026-01-31"),
        ("task", "7"),
        ("other", "x"),
        ("format", "xlsx"),
    ])
    .unwrap();
    assert_eq!(ok.actor.as_deref(), Some("LiuSN"));
    assert_eq!(ok.kind, Some(Kind::UserCreated));
    assert_eq!(ok.task, Some(7));
    assert_eq!(
        asked(&[("kind", ""), ("task", " ")]).unwrap(),
        Asked::default()
    );
    let bad = |query: &[(&str, &str)], message: &str| {
        assert_eq!(
            asked(query),
            Err(Error::BadBody(message.into())),
            "{query:?}"
        );
    };
    bad(
        &[("kind", "nap")],
        "缺少字段或类型错误：[kind]（未知的操作类型）",
    );
    bad(
        &[("since", "2026-13-01")],
        "缺少字段或类型错误：[since]（日期格式为YYYY-MM-DD）",
    );
    bad(
        &[("until", "yesterday")],
        "缺少字段或类型错误：[until]（日期格式为YYYY-MM-DD）",
    );
    bad(
        &[("task", "7a")],
        "缺少字段或类型错误：[task]（任务编号须为整数）",
    );
    bad(
        &[("since", "2026-02-01"), ("until", "2026-01-31")],
        "缺少字段或类型错误：[until]（结束日期不能早于开始日期）",
    );
}

#[test]
fn an_admin_reads_their_companys_acts_and_the_super_admin_the_acts_of_no_company() {
    let conn = world();
    let (admin, sysadmin, admin2) = (
        caller(&conn, "admin"),
        caller(&conn, "sysadmin"),
        caller(&conn, "admin2"),
    );
    record(
        &conn,
        &admin,
        Kind::EntityCreated,
        None,
        json!({"entity": "另一企业"}),
    )
    .unwrap();
    let created = json!({"user": "wangwu", "character": 2, "department": "CST"});
    record(&conn, &sysadmin, Kind::UserCreated, None, created).unwrap();
    let locked = json!({"user": "zhangsan"});
    record(&conn, &sysadmin, Kind::UserLocked, None, locked).unwrap();
    record(
        &conn,
        &admin2,
        Kind::DepartmentCreated,
        None,
        json!({"department": "销售部"}),
    )
    .unwrap();

    let all = list(&conn, &sysadmin, &Asked::default()).unwrap();
    assert_eq!(
        texts(&all),
        [
            "sysadmin 锁定用户「zhangsan」",
            "sysadmin 新建资产管理员「wangwu」（部门 CST）"
        ]
    );
    assert_eq!(
        (all.page.total, all.page.pages, all.total_capped),
        (2, 1, false)
    );
    let own = list(&conn, &admin, &Asked::default()).unwrap();
    assert_eq!(texts(&own), ["admin 新建业务实体「另一企业」"]);
    let other = list(&conn, &admin2, &Asked::default()).unwrap();
    assert_eq!(texts(&other), ["admin2 新建部门「销售部」"]);

    // By actor, named in any case; one of another company finds nothing.
    let by = |who: &Caller, actor: &str| {
        list(&conn, who, &asked(&[("actor", actor)]).unwrap())
            .unwrap()
            .page
            .total
    };
    assert_eq!(by(&sysadmin, "SYSADMIN"), 2);
    assert_eq!(by(&sysadmin, "liusn"), 0);
    assert_eq!(by(&sysadmin, "admin2"), 0);
    assert_eq!(by(&sysadmin, "nobody"), 0);
    assert_eq!(by(&admin, "admin"), 1);
    let kind = asked(&[("kind", "user_locked")]).unwrap();
    assert_eq!(list(&conn, &sysadmin, &kind).unwrap().page.total, 1);
    // Page 2 of one page, and a page of nothing past page 1.
    let page2 = asked(&[("page", "2")]).unwrap();
    assert_eq!(
        list(&conn, &sysadmin, &page2).err(),
        Some(Error::PageOutOfRange)
    );
    let nobody = asked(&[("page", "2"), ("actor", "nobody")]).unwrap();
    assert_eq!(
        list(&conn, &sysadmin, &nobody).err(),
        Some(Error::PageOutOfRange)
    );
    // Managers and staff are refused.
    for name in ["liusn", "zhangsan"] {
        let refused = list(&conn, &caller(&conn, name), &Asked::default());
        assert_eq!(refused.err(), Some(Error::Forbidden), "{name}");
    }
}

#[test]
fn a_failed_login_keeps_the_user_and_address_and_nothing_typed_for_an_unknown_identity() {
    let conn = world();
    let liusn = crate::db::users::user_by_name(&conn, "liusn")
        .unwrap()
        .unwrap();
    let failed = login_failed(Some(&liusn), "LIUSN", "10.0.0.9", LoginFailure::Password);
    assert_eq!(
        (failed.entity_id, failed.actor_id, failed.kind),
        (liusn.entity_id, Some(liusn.id), "login_failed")
    );
    assert_eq!(failed.address.as_deref(), Some("10.0.0.9"));
    assert_eq!(failed.detail, r#"{"reason":"password","identity":"LIUSN"}"#);
    let why = LoginFailure::UnknownIdentity;
    let unknown = login_failed(None, "Pw-typed-as-name", "10.0.0.9", why);
    assert_eq!((unknown.entity_id, unknown.actor_id), (None, None));
    assert_eq!(unknown.detail, r#"{"reason":"unknown_identity"}"#);
    assert_eq!(unknown.actor_name, "");
    assert!(!format!("{unknown:?}").contains("Pw-typed-as-name"));
    let slowed = login_failed(
        None,
        "Pw-typed-as-name",
        "10.0.0.9",
        LoginFailure::Throttled,
    );
    let locked = login_failed(Some(&liusn), "liusn", "10.0.0.9", LoginFailure::Locked);
    for entry in [&failed, &unknown, &slowed, &locked] {
        crate::db::journal::insert(&conn, entry).unwrap();
    }
    let sysadmin = list(&conn, &caller(&conn, "sysadmin"), &Asked::default()).unwrap();
    assert_eq!(
        texts(&sysadmin),
        ["liusn 登录失败：账号已锁定", "liusn 登录失败：密码错误"]
    );
    let admin = list(&conn, &caller(&conn, "admin"), &Asked::default()).unwrap();
    assert_eq!(
        texts(&admin),
        [
            "以不存在的用户名登录失败：失败次数过多，暂被限制",
            "以不存在的用户名登录失败"
        ]
    );
    assert_eq!(admin.page.data[0].kind_label, "登录失败");
}

#[test]
fn an_entry_reads_with_its_local_time_and_a_sentence() {
    let conn = world();
    let liusn = caller(&conn, "liusn");
    let detail = json!({"type": "import", "rows": 3, "file": "资产.xlsx", "dry_run": true});
    record(&conn, &liusn, Kind::TaskCreated, Some(7), detail).unwrap();
    record(
        &conn,
        &liusn,
        Kind::TaskUndone,
        Some(7),
        json!({"undo_task": 8}),
    )
    .unwrap();
    let stored = crate::db::journal::page(
        &conn,
        &crate::db::journal::Filter {
            entity_id: liusn.entity_id,
            ..Default::default()
        },
        10,
        0,
    )
    .unwrap();
    let views: Vec<EntryView> = stored.iter().map(EntryView::of).collect();
    assert_eq!(views[0].text, "liusn 撤销任务 #7（撤销任务 #8）");
    assert_eq!(
        views[1].text,
        "liusn 创建导入任务 #7（3 行，仅校验，文件 资产.xlsx）"
    );
    assert_eq!(views[1].task, Some(7));
    assert_eq!(views[1].detail["rows"], json!(3));
    let time = chrono::NaiveDateTime::parse_from_str(&views[0].time, "%Y-%m-%d %H:%M:%S");
    assert!(time.is_ok(), "{}", views[0].time);
    let row = view::file_row(&stored[0]);
    assert_eq!(row.len(), FILE_COLUMNS.len());
    assert_eq!(row[3], crate::files::Cell::Text("撤销任务".into()));
}
