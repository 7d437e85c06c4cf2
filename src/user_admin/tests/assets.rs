use super::*;

#[test]
fn moving_a_user_without_assets_needs_no_choice_and_ends_their_sessions() {
    let w = world();
    users::insert_session_hash(&w.conn, "h1", w.zhangsan, 1).unwrap();
    let (result, ended) = edit_as(&w, "sysadmin", w.zhangsan, move_to("财务部", None));
    assert_eq!(
        result,
        Ok(Edited {
            changed: vec!["department"],
            assets: None
        })
    );
    assert_eq!(ended, [w.zhangsan]);
    assert_eq!(session_count(&w.conn, w.zhangsan), 0);
    assert_eq!(user(&w.conn, "zhangsan").department_id, Some(w.finance));
    assert_eq!(
        journal_detail(&w.conn)["changes"],
        json!({"department": ["CST", "财务部"]})
    );
}

#[test]
fn moving_a_user_who_holds_assets_asks_where_they_go_and_changes_nothing_meanwhile() {
    let w = world();
    zhangsans_assets(&w);
    let before = assets_now(&w.conn);
    let mark = last_history_id(&w.conn);
    let (result, ended) = edit_as(&w, "sysadmin", w.zhangsan, move_to("财务部", None));
    assert_eq!(
        result,
        Err(Error::AssetsNeedChoice {
            count: 4,
            deleting: false
        })
    );
    assert_eq!(result.unwrap_err().code(), 30);
    assert!(ended.is_empty());
    assert_eq!(assets_now(&w.conn), before);
    assert!(history_after(&w.conn, mark).is_empty());
    assert_eq!(user(&w.conn, "zhangsan").department_id, Some(w.cst));
    assert!(journal_kinds(&w.conn).is_empty());
}

#[test]
fn assets_that_move_with_their_owner_keep_what_they_can_in_the_new_department() {
    let w = world();
    let [chair, laptop, charger, mouse, desk, lamp] = zhangsans_assets(&w);
    let mark = last_history_id(&w.conn);
    let (result, _) = edit_as(
        &w,
        "sysadmin",
        w.zhangsan,
        move_to("财务部", Some(AssetsChoice::Move)),
    );
    let moved = AssetsMoved {
        choice: "move",
        count: 4,
        department: "财务部".into(),
        owner: "zhangsan".into(),
    };
    assert_eq!(
        result,
        Ok(Edited {
            changed: vec!["department"],
            assets: Some(moved)
        })
    );
    let (z, l) = (w.zhangsan, w.liusn);
    assert_eq!(
        assets_now(&w.conn),
        [
            // 财务部 has a 椅子类 too; it has no 电脑类: the laptop goes to 条目型资产.
            (chair, w.finance, "椅子类".into(), z, None, 2),
            (laptop, w.finance, ITEM_CATEGORY.into(), z, None, 2),
            // Its charger moves with it and stays below it.
            (charger, w.finance, ITEM_CATEGORY.into(), z, Some(laptop), 2),
            // liusn's mouse stays in CST, without its parent.
            (mouse, w.cst, ITEM_CATEGORY.into(), l, None, 2),
            (desk, w.cst, ITEM_CATEGORY.into(), l, None, 2),
            // The lamp moves, leaving liusn's desk.
            (lamp, w.finance, ITEM_CATEGORY.into(), z, None, 2),
        ]
    );
    let (moved, modified) = (History::MovedWithOwner.code(), 2);
    assert_eq!(
        history_after(&w.conn, mark),
        [
            (chair, moved),
            (laptop, moved),
            (charger, moved),
            (lamp, moved),
            (mouse, modified)
        ]
    );
    assert_eq!(kept_counts(&w.conn, w.finance), 4);
    assert_eq!(kept_counts(&w.conn, w.cst), 2);
    assert_eq!(
        journal_detail(&w.conn)["assets"],
        json!({"choice": "move", "count": 4, "department": "财务部", "owner": "zhangsan"})
    );
}

#[test]
fn assets_kept_in_the_department_go_to_its_asset_manager_idle() {
    let w = world();
    let [chair, laptop, charger, mouse, desk, lamp] = zhangsans_assets(&w);
    let mark = last_history_id(&w.conn);
    let (result, _) = edit_as(
        &w,
        "sysadmin",
        w.zhangsan,
        move_to("软件组", Some(AssetsChoice::Keep)),
    );
    let kept = AssetsMoved {
        choice: "keep",
        count: 4,
        department: "CST".into(),
        owner: "liusn".into(),
    };
    assert_eq!(result.unwrap().assets, Some(kept));
    assert_eq!(user(&w.conn, "zhangsan").department_id, Some(w.software));
    let l = w.liusn;
    assert_eq!(
        assets_now(&w.conn),
        [
            (chair, w.cst, "椅子类".into(), l, None, 1),
            (laptop, w.cst, "电脑类".into(), l, None, 1),
            (charger, w.cst, ITEM_CATEGORY.into(), l, Some(laptop), 1),
            (mouse, w.cst, ITEM_CATEGORY.into(), l, Some(laptop), 2),
            (desk, w.cst, ITEM_CATEGORY.into(), l, None, 2),
            (lamp, w.cst, ITEM_CATEGORY.into(), l, Some(desk), 1),
        ]
    );
    let handed = History::HandedOver.code();
    assert_eq!(
        history_after(&w.conn, mark),
        [
            (chair, handed),
            (laptop, handed),
            (charger, handed),
            (lamp, handed)
        ]
    );
    assert_eq!(kept_counts(&w.conn, w.cst), 6);
}

#[test]
fn assets_cannot_stay_where_no_other_unlocked_asset_manager_would_receive_them() {
    let w = world();
    zhangsans_assets(&w);
    users::set_lock(&w.conn, w.liusn, true).unwrap();
    let before = assets_now(&w.conn);
    let (result, _) = edit_as(
        &w,
        "sysadmin",
        w.zhangsan,
        move_to("财务部", Some(AssetsChoice::Keep)),
    );
    let error = result.unwrap_err();
    assert_eq!(error.code(), 20);
    assert!(
        error
            .to_string()
            .contains("部门「CST」没有其他可接收资产的资产管理员"),
        "{error}"
    );
    assert!(error.to_string().contains("4项资产"), "{error}");
    assert_eq!(assets_now(&w.conn), before);
    // A manager who leaves does not receive their own assets.
    users::set_lock(&w.conn, w.liusn, false).unwrap();
    let mut desk = fixture::new_asset(&w.conn, (w.cst, ROOT_CATEGORY), w.liusn, "办公桌");
    desk.status = 1;
    fixture::insert_asset(&w.conn, &desk);
    let (result, _) = edit_as(
        &w,
        "sysadmin",
        w.liusn,
        move_to("财务部", Some(AssetsChoice::Keep)),
    );
    assert_eq!(result.unwrap_err().code(), 20);
}

#[test]
fn an_email_is_checked_and_nobody_elses() {
    let w = world();
    let with_email = |email: Option<&str>| EditUserRequest {
        email: Some(email.map(str::to_owned)),
        ..Default::default()
    };
    let (ok, ended) = edit_as(
        &w,
        "sysadmin",
        w.liusn,
        with_email(Some(" Liu@Example.com ")),
    );
    assert_eq!(ok.unwrap().changed, ["email"]);
    // An email change alone leaves the sessions alone.
    assert!(ended.is_empty());
    assert_eq!(
        sql::email_of(&w.conn, w.liusn).unwrap().as_deref(),
        Some("Liu@Example.com")
    );
    // Another's email, a name as email, and no email at all.
    for (email, expected) in [
        ("liu@example.com", Error::Duplicate("邮箱已被使用".into())),
        (
            "no-at-sign",
            Error::BadBody("字段长度不合法：[email]".into()),
        ),
    ] {
        let (result, _) = edit_as(&w, "sysadmin", w.zhangsan, with_email(Some(email)));
        assert_eq!(result, Err(expected), "{email}");
    }
    // The same email in another case is still one's own.
    let (ok, _) = edit_as(&w, "sysadmin", w.liusn, with_email(Some("liu@example.com")));
    assert_eq!(ok.unwrap().changed, ["email"]);
    let (ok, _) = edit_as(&w, "sysadmin", w.liusn, with_email(None));
    assert_eq!(ok.unwrap().changed, ["email"]);
    assert_eq!(sql::email_of(&w.conn, w.liusn).unwrap(), None);
}

#[test]
fn the_super_admin_edits_a_system_admins_email_but_gives_no_department() {
    let w = world();
    let sysadmin = user(&w.conn, "sysadmin").id;
    let req = EditUserRequest {
        email: Some(Some("sys@example.com".into())),
        character: Some(3),
        ..Default::default()
    };
    let (result, _) = edit_as(&w, "admin", sysadmin, req);
    assert_eq!(result.unwrap().changed, ["email"]);
    let (result, _) = edit_as(&w, "admin", sysadmin, move_to("CST", None));
    assert_eq!(
        result,
        Err(Error::BadBody(missing_field_message(
            "department",
            Some("系统管理员不属于任何部门")
        )))
    );
    let (result, _) = edit_as(&w, "admin", w.zhangsan, move_to("财务部", None));
    assert_eq!(result, Err(Error::Forbidden));
}

#[test]
fn deleting_a_user_who_holds_assets_needs_them_handed_over() {
    let w = world();
    let [chair, ..] = zhangsans_assets(&w);
    users::insert_session_hash(&w.conn, "h1", w.zhangsan, 1).unwrap();
    for choice in [None, Some(AssetsChoice::Move)] {
        let result = delete_as(&w, "sysadmin", w.zhangsan, choice);
        assert_eq!(
            result.unwrap_err().code(),
            if choice.is_none() { 30 } else { -2 }
        );
    }
    assert_eq!(
        delete_as(&w, "sysadmin", w.zhangsan, None),
        Err(Error::AssetsNeedChoice {
            count: 4,
            deleting: true
        })
    );
    assert!(users::user_by_id(&w.conn, w.zhangsan).unwrap().is_some());
    let mark = last_history_id(&w.conn);
    let moved = delete_as(&w, "sysadmin", w.zhangsan, Some(AssetsChoice::Keep)).unwrap();
    assert_eq!(
        moved.map(|m| (m.count, m.owner)),
        Some((4, "liusn".to_owned()))
    );
    assert!(users::user_by_id(&w.conn, w.zhangsan).unwrap().is_none());
    assert_eq!(session_count(&w.conn, w.zhangsan), 0);
    assert_eq!(
        history_after(&w.conn, mark)[0],
        (chair, History::HandedOver.code())
    );
    assert_eq!(journal_kinds(&w.conn), ["user_deleted"]);
    let detail = journal_detail(&w.conn);
    assert_eq!(
        (&detail["user"], &detail["character"], &detail["department"]),
        (&json!("zhangsan"), &json!(1), &json!("CST"))
    );
}

#[test]
fn a_user_whose_name_tasks_keep_is_not_deleted() {
    let w = world();
    let company = user(&w.conn, "liusn").entity_id.unwrap();
    let task = fixture::TaskRow::new(company, w.liusn, crate::db::tasks::TaskKind::Import);
    fixture::insert_task(&w.conn, &task);
    let error = delete_as(&w, "sysadmin", w.liusn, Some(AssetsChoice::Keep)).unwrap_err();
    assert_eq!(error.code(), 20);
    assert!(users::user_by_id(&w.conn, w.liusn).unwrap().is_some());
    // Nobody deletes beyond their rights either.
    assert_eq!(
        delete_as(&w, "sysadmin", user(&w.conn, "admin2").id, None),
        Err(Error::NotFound("用户"))
    );
    assert_eq!(
        delete_as(&w, "liusn", w.zhangsan, None),
        Err(Error::Forbidden)
    );
    assert!(journal_kinds(&w.conn).is_empty());
}

#[test]
fn the_detail_tells_the_assets_and_who_would_receive_them() {
    let w = world();
    zhangsans_assets(&w);
    let d = detail(&w.conn, &caller(&w.conn, "sysadmin"), w.zhangsan).unwrap();
    assert_eq!(
        (
            d.assets,
            d.receiver.as_deref(),
            d.department.as_str(),
            d.has_tasks
        ),
        (4, Some("liusn"), "CST", false)
    );
    let d = detail(&w.conn, &caller(&w.conn, "sysadmin"), w.liusn).unwrap();
    assert_eq!((d.assets, d.receiver), (2, None));
}
