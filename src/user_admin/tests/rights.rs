use super::*;

#[test]
fn a_system_admin_manages_the_managers_and_staff_of_its_own_company_only() {
    let w = world();
    let sysadmin = caller(&w.conn, "sysadmin");
    let cases = [
        ("zhangsan", Ok(())),
        ("liusn", Ok(())),
        ("caiwu", Ok(())),
        // Itself, and the super admin (of no company: not its to see).
        ("sysadmin", Err(Error::Forbidden)),
        ("admin", Err(Error::NotFound("用户"))),
        // Another company's answer as if they did not exist.
        ("admin2", Err(Error::NotFound("用户"))),
        ("wangwu", Err(Error::NotFound("用户"))),
    ];
    for (name, expected) in cases {
        assert_eq!(
            check_manages(&sysadmin, &user(&w.conn, name)),
            expected,
            "{name}"
        );
    }
}

#[test]
fn a_system_admin_does_not_manage_another_system_admin_of_its_company() {
    let w = world();
    let company = user(&w.conn, "sysadmin").entity_id;
    fixture::insert_user(&w.conn, "sysadmin2", Role::Admin, company, None);
    let sysadmin = caller(&w.conn, "sysadmin");
    assert_eq!(
        check_manages(&sysadmin, &user(&w.conn, "sysadmin2")),
        Err(Error::Forbidden)
    );
}

#[test]
fn the_super_admin_manages_system_admins_of_every_company_and_nobody_else() {
    let w = world();
    let root = caller(&w.conn, "admin");
    for name in ["sysadmin", "admin2"] {
        assert_eq!(check_manages(&root, &user(&w.conn, name)), Ok(()), "{name}");
    }
    for name in ["admin", "liusn", "zhangsan", "wangwu"] {
        assert_eq!(
            check_manages(&root, &user(&w.conn, name)),
            Err(Error::Forbidden),
            "{name}"
        );
    }
}

#[test]
fn managers_and_staff_manage_nobody() {
    let w = world();
    for who in ["liusn", "zhangsan"] {
        let c = caller(&w.conn, who);
        assert_eq!(
            check_manages(&c, &user(&w.conn, "zhangsan")),
            Err(Error::Forbidden),
            "{who}"
        );
    }
}

#[test]
fn nobody_gives_a_role_they_could_not_create() {
    assert_eq!(check_role_given(Role::Admin, 1), Ok(()));
    assert_eq!(check_role_given(Role::Admin, 2), Ok(()));
    assert_eq!(check_role_given(Role::Admin, 3), Err(Error::Forbidden));
    assert_eq!(check_role_given(Role::Admin, 4), Err(Error::Forbidden));
    assert_eq!(check_role_given(Role::Super, 3), Ok(()));
    assert_eq!(check_role_given(Role::Super, 2), Err(Error::Forbidden));
    assert_eq!(check_role_given(Role::Super, 4), Err(Error::Forbidden));
    assert_eq!(check_role_given(Role::Manager, 1), Err(Error::Forbidden));
    for bad in [0, 5, -1] {
        assert_eq!(
            check_role_given(Role::Admin, bad),
            Err(Error::missing_field("character"))
        );
    }
}

#[test]
fn raising_a_user_to_system_admin_is_refused_and_changes_nothing() {
    let w = world();
    let req = EditUserRequest {
        character: Some(3),
        ..Default::default()
    };
    let (result, ended) = edit_as(&w, "sysadmin", w.zhangsan, req);
    assert_eq!(result, Err(Error::Forbidden));
    assert!(ended.is_empty());
    assert_eq!(user(&w.conn, "zhangsan").character, 1);
    assert!(journal_kinds(&w.conn).is_empty());
}

#[test]
fn a_role_change_takes_the_department_along_and_ends_the_users_sessions() {
    let w = world();
    users::insert_session_hash(&w.conn, "h1", w.zhangsan, 1).unwrap();
    let req = EditUserRequest {
        character: Some(2),
        ..Default::default()
    };
    let (result, ended) = edit_as(&w, "sysadmin", w.zhangsan, req);
    assert_eq!(
        result,
        Ok(Edited {
            changed: vec!["character"],
            assets: None
        })
    );
    assert_eq!(ended, [w.zhangsan]);
    assert_eq!(session_count(&w.conn, w.zhangsan), 0);
    let now = user(&w.conn, "zhangsan");
    assert_eq!((now.character, now.department_id), (2, Some(w.cst)));
    assert_eq!(journal_kinds(&w.conn), ["user_edited"]);
    assert_eq!(
        journal_detail(&w.conn),
        json!({"user": "zhangsan", "user_id": w.zhangsan, "changes": {"character": [1, 2]}})
    );
}

#[test]
fn an_edit_that_changes_nothing_records_nothing_and_keeps_the_sessions() {
    let w = world();
    users::insert_session_hash(&w.conn, "h1", w.zhangsan, 1).unwrap();
    let req = EditUserRequest {
        character: Some(1),
        department: Some(" CST ".into()),
        email: Some(None),
        ..Default::default()
    };
    let (result, ended) = edit_as(&w, "sysadmin", w.zhangsan, req);
    assert_eq!(result, Ok(Edited::default()));
    assert!(ended.is_empty());
    assert_eq!(session_count(&w.conn, w.zhangsan), 1);
    assert!(journal_kinds(&w.conn).is_empty());
}

#[test]
fn a_department_is_one_of_the_users_company() {
    let w = world();
    for (department, expected) in [
        ("销售部", Error::NotFound("部门")),
        ("nowhere", Error::NotFound("部门")),
        (
            "",
            Error::BadBody(missing_field_message(
                "department",
                Some("资产管理员和普通用户须属于一个部门"),
            )),
        ),
    ] {
        let (result, _) = edit_as(&w, "sysadmin", w.zhangsan, move_to(department, None));
        assert_eq!(result, Err(expected), "{department}");
    }
    assert_eq!(user(&w.conn, "zhangsan").department_id, Some(w.cst));
}
