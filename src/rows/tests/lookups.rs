//! The rules that look things up: department and reach, category and class, owner, parent, and what several broken rules say together.

use super::*;

#[test]
fn the_department_is_one_of_the_entity_within_the_callers_reach() {
    let w = world();
    w.refuses(&[
        (
            json!({"department": "没有的部门"}),
            &no_department("没有的部门"),
        ),
        // Another company's department and people do not exist for this one.
        (json!({"department": "销售部"}), &no_department("销售部")),
        (
            json!({"department": "销售部", "user": "wangwu"}),
            &[no_department("销售部"), no_owner("wangwu")].join("；"),
        ),
        (
            json!({"department": "财务部", "user": "caiwu"}),
            &not_reached("财务部"),
        ),
    ]);
    // A sub-department is within the manager's reach.
    let a = w.accepted(
        w.manager(),
        &row(&json!({"department": "软件组", "user": "ruanjian"})),
    );
    assert_eq!(a.department_id, w.software);
    // The system admin reaches every department of the company.
    let a = w.accepted(
        w.admin(),
        &row(&json!({"department": "财务部", "user": "caiwu"})),
    );
    assert_eq!(a.department_id, w.finance);
    // The name's one spelling finds it.
    for department in [" CST ", "ＣＳＴ"] {
        let a = w.accepted(w.manager(), &row(&json!({ "department": department })));
        assert_eq!(a.department_id, w.cst, "{department}");
    }
    // Staff manage no department.
    w.refuses_row(
        Scope::Owner(w.company, w.zhangsan),
        &row(&json!({})),
        &not_reached("CST"),
    );
}

#[test]
fn counts_prices_service_lives_and_retirement() {
    let w = world();
    let item = |edits: Value| {
        let mut all = json!({"assetClass": 1, "assetTree": ITEM_CATEGORY});
        all.as_object_mut()
            .unwrap()
            .extend(edits.as_object().unwrap().clone());
        all
    };
    w.refuses(&[
        (json!({"count": 0}), "资产数量不可小于1"),
        (json!({"count": -1}), "资产数量不可小于1"),
        (json!({"count": "-1"}), "资产数量不可小于1"),
        (item(json!({"count": 2})), "仅数量型资产的数量可大于1"),
        // Below one is the one rule an item of no count breaks.
        (item(json!({"count": 0})), "资产数量不可小于1"),
        (json!({"deadline": -1}), "资产使用期限不可为负"),
        (json!({"expire": 1}), "不能导入已清退的资产"),
        (json!({"expire": "1"}), "不能导入已清退的资产"),
    ]);
    assert_eq!(w.accepted(w.manager(), &row(&json!({"count": 1}))).count, 1);
    let a = w.accepted(w.manager(), &row(&item(json!({"count": 1}))));
    assert_eq!((a.asset_class, a.count), (1, 1));
    assert_eq!(
        w.accepted(w.manager(), &row(&json!({"deadline": 0})))
            .deadline,
        0
    );
}

#[test]
fn the_category_is_of_the_department_and_takes_the_class() {
    let w = world();
    w.refuses(&[
        (
            json!({"assetTree": "没有的分类"}),
            &no_category("没有的分类", "CST"),
        ),
        // 账本类 is 财务部's.
        (
            json!({"assetTree": "账本类"}),
            &no_category("账本类", "CST"),
        ),
        (
            json!({"assetClass": 1, "count": 1, "assetTree": QUANTITY_CATEGORY}),
            "资产类别与层级分类不匹配",
        ),
        (
            json!({"assetClass": 0, "assetTree": ITEM_CATEGORY}),
            "资产类别与层级分类不匹配",
        ),
        (
            json!({"assetClass": 1, "count": 1, "assetTree": "办公家具"}),
            "资产类别与层级分类不匹配",
        ),
        (
            json!({"assetClass": 0, "assetTree": "电脑"}),
            "资产类别与层级分类不匹配",
        ),
    ]);
    for (edits, category) in [
        (json!({"assetClass": 1, "count": 1}), ROOT_CATEGORY),
        (json!({"assetClass": 0}), ROOT_CATEGORY),
        (json!({"assetTree": "办公家具"}), "办公家具"),
        (
            json!({"assetClass": 1, "count": 1, "assetTree": "电脑"}),
            "电脑",
        ),
        (json!({"assetTree": " 办公家具 "}), "办公家具"),
    ] {
        let a = w.accepted(w.manager(), &row(&edits));
        assert_eq!(a.category_id, w.category(w.cst, category), "{edits}");
    }
}

#[test]
fn the_owner_is_a_user_of_the_entity_in_that_very_department() {
    let w = world();
    w.refuses(&[
        (json!({"user": "nobody"}), &no_owner("nobody")),
        (json!({"user": "wangwu"}), &no_owner("wangwu")),
        (
            json!({"user": "caiwu"}),
            &owner_elsewhere("caiwu", Some("财务部"), "CST"),
        ),
        // In a department below CST is not in CST.
        (
            json!({"user": "ruanjian"}),
            &owner_elsewhere("ruanjian", Some("软件组"), "CST"),
        ),
        // A system admin belongs to no department.
        (
            json!({"user": "sysadmin"}),
            &owner_elsewhere("sysadmin", None, "CST"),
        ),
    ]);
    for user in ["LIUSN", " liusn", "ｌｉｕｓｎ"] {
        let a = w.accepted(w.manager(), &row(&json!({ "user": user })));
        assert_eq!((a.owner_id, a.status), (w.liusn, 1), "{user}");
    }
}

#[test]
fn a_parent_is_one_unretired_item_of_the_department() {
    let w = world();
    for parent in [
        json!(w.server),
        json!(w.server.to_string()),
        json!(format!(" {} ", w.server)),
        json!("服务器"),
        json!(" 服务器 "),
    ] {
        let a = w.accepted(w.manager(), &row(&json!({ "parent": parent })));
        assert_eq!(a.parent_id, Some(w.server), "{parent}");
    }
    let (id, named) = (|id| bad_parent_id(id, "CST"), |n| bad_parent_name(n, "CST"));
    w.refuses(&[
        // Quantity assets are never parents.
        (json!({"parent": w.chairs}), &id(w.chairs)),
        (json!({"parent": "椅子"}), &named("椅子")),
        (json!({"parent": w.old_server}), &id(w.old_server)),
        (json!({"parent": "旧服务器"}), &named("旧服务器")),
        // Items of another department or company.
        (json!({"parent": w.team_pc}), &id(w.team_pc)),
        (json!({"parent": "组长电脑"}), &named("组长电脑")),
        (json!({"parent": w.foreign_server}), &id(w.foreign_server)),
        (json!({"parent": "外企服务器"}), &named("外企服务器")),
        (json!({"parent": 99_999}), &id(99_999)),
        (json!({"parent": "没有的资产"}), &named("没有的资产")),
        // Two items of that name: which one is not known.
        (json!({"parent": "显示器"}), &named("显示器")),
        // "0" is no id, so a name, and no asset has it.
        (json!({"parent": "0"}), &named("0")),
    ]);
}

#[test]
fn several_broken_rules_are_joined_in_table_order() {
    let w = world();
    let every_rule = json!({
        "name": "", "assetClass": 1, "count": 2, "price": -1, "deadline": -1, "expire": 1,
        "assetTree": QUANTITY_CATEGORY, "user": "caiwu", "parent": "椅子"
    });
    let every_field = json!({
        "name": 1, "parent": true, "assetClass": "x", "user": 2, "price": "y",
        "description": 3, "position": 4, "expire": 5, "count": "z", "assetTree": 6,
        "department": 7, "deadline": "w", "create_time": "昨天"
    });
    let every_text = json!({
        "name": "a\u{0}b", "position": "p".repeat(257), "description": "\u{200b}"
    });
    let joined: Vec<(Value, String)> = vec![
        (
            every_rule,
            [
                "字段长度不合法：[name]（资产名不能为空）",
                "仅数量型资产的数量可大于1",
                "原值不可为负",
                "资产使用期限不可为负",
                "不能导入已清退的资产",
                "资产类别与层级分类不匹配",
                &owner_elsewhere("caiwu", Some("财务部"), "CST"),
                &bad_parent_name("椅子", "CST"),
            ]
            .join("；"),
        ),
        (
            every_field,
            [
                field("name", "资产名“1”不是文字"),
                field("parent", "父资产应为资产编号或名称"),
                field("assetClass", "资产类型“x”不是数量型或条目型"),
                field("user", "挂账人“2”不是文字"),
                field("price", "原值“y”不是金额"),
                field("description", "描述信息“3”不是文字"),
                field("position", "位置信息“4”不是文字"),
                field("expire", "是否清退“5”不是0或1"),
                field("count", "资产数量“z”不是整数"),
                field("assetTree", "所属品类“6”不是文字"),
                field("department", "所属部门“7”不是文字"),
                field("deadline", "使用期限“w”不是整数"),
                field(
                    "create_time",
                    "创建时间“昨天”不是日期，如2024-03-05或2024/3/5",
                ),
            ]
            .join("；"),
        ),
        (
            every_text,
            [
                "字段长度不合法：[position]（位置信息超过256字）",
                "字段不能包含控制字符：[name]",
                "字段不能包含控制字符：[description]",
            ]
            .join("；"),
        ),
        // Refused the department, the row is still checked against it.
        (
            json!({"department": "财务部", "assetTree": "账本类", "count": 0}),
            [
                not_reached("财务部"),
                "资产数量不可小于1".to_owned(),
                owner_elsewhere("liusn", Some("CST"), "财务部"),
            ]
            .join("；"),
        ),
    ];
    let joined: Vec<(Value, &str)> = joined
        .iter()
        .map(|(e, m)| (e.clone(), m.as_str()))
        .collect();
    w.refuses(&joined);
}

#[test]
fn rules_that_depend_on_a_failed_lookup_are_skipped() {
    let w = world();
    w.refuses(&[
        // No department: no category, owner-department or parent check.
        (
            json!({"department": "没有的部门", "assetTree": "没有的分类", "user": "caiwu",
                   "parent": "没有的资产"}),
            &no_department("没有的部门"),
        ),
        (
            json!({"department": 1, "assetTree": "没有的分类", "user": "caiwu", "parent": "x"}),
            &field("department", "所属部门“1”不是文字"),
        ),
        // No class: no class check against the category or the count.
        (
            json!({"assetClass": 2, "assetTree": ITEM_CATEGORY, "count": 5}),
            &field("assetClass", "资产类型“2”不是数量型或条目型"),
        ),
        // No category: no class check.
        (
            json!({"assetClass": 1, "count": 1, "assetTree": "没有的分类"}),
            &no_category("没有的分类", "CST"),
        ),
        // No owner: no department check for them.
        (json!({"user": "nobody"}), &no_owner("nobody")),
    ]);
}

#[test]
fn rows_that_are_not_objects_miss_every_required_field() {
    let w = world();
    let missing = [
        field("name", "缺少资产名"),
        field("assetClass", "缺少资产类型"),
        field("user", "缺少挂账人"),
        field("price", "缺少原值"),
        field("count", "缺少资产数量"),
        field("assetTree", "缺少所属品类"),
        field("department", "缺少所属部门"),
        field("deadline", "缺少使用期限"),
    ]
    .join("；");
    for text in ["[1, 2]", "null", "\"椅子\"", "3", "{}", "{not json"] {
        w.refuses_row(w.manager(), text, &missing);
    }
}

#[test]
fn later_rows_of_a_task_name_items_created_by_earlier_ones() {
    let w = world();
    let mut lookups = Lookups::new(w.manager());
    let check = |lookups: &mut Lookups, edits: Value| {
        check_row(&w.conn, lookups, &row(&edits), today()).unwrap()
    };
    let new_item =
        json!({"name": "新机柜", "assetClass": 1, "count": 1, "assetTree": ITEM_CATEGORY});
    // Named before it exists: refused (and the miss is cached) ...
    assert_eq!(
        check(&mut lookups, json!({"parent": "新机柜"})),
        Err(bad_parent_name("新机柜", "CST"))
    );
    // ... then created by a row of the task ...
    let asset = check(&mut lookups, new_item.clone()).unwrap();
    let id = fixture::insert_asset(&w.conn, &asset);
    lookups.created(id, &asset);
    // ... and found by name and by id.
    assert_eq!(
        check(&mut lookups, json!({"parent": "新机柜"}))
            .unwrap()
            .parent_id,
        Some(id)
    );
    assert_eq!(
        check(&mut lookups, json!({"parent": id}))
            .unwrap()
            .parent_id,
        Some(id)
    );
    // A second of that name makes the name ambiguous.
    let second = check(&mut lookups, new_item).unwrap();
    let second_id = fixture::insert_asset(&w.conn, &second);
    lookups.created(second_id, &second);
    assert_eq!(
        check(&mut lookups, json!({"parent": "新机柜"})),
        Err(bad_parent_name("新机柜", "CST"))
    );
    assert_eq!(
        check(&mut lookups, json!({"parent": second_id}))
            .unwrap()
            .parent_id,
        Some(second_id)
    );
}

#[test]
fn a_dry_run_names_items_its_earlier_batches_would_have_created() {
    let w = world();
    let task = w.dry_run_task();
    crate::db::changes::record_dry_item(&w.conn, task, w.cst, "虚拟柜", 4).unwrap();
    let parent = row(&json!({"parent": "虚拟柜"}));
    // A stand-in below zero for the row (seq 4) that would have created it.
    let mut lookups = Lookups::new(w.manager()).for_dry_run(task);
    let a = check_row(&w.conn, &mut lookups, &parent, today())
        .unwrap()
        .unwrap();
    assert_eq!(a.parent_id, Some(-5));
    // Still a dry run once the cache is cleared after a rolled-back batch.
    lookups.clear();
    let a = check_row(&w.conn, &mut lookups, &parent, today())
        .unwrap()
        .unwrap();
    assert_eq!(a.parent_id, Some(-5));
    // Outside the dry run nothing has that name.
    w.refuses_row(w.manager(), &parent, &bad_parent_name("虚拟柜", "CST"));
}
