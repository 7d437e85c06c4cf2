//! Update rows, and parent chains.

use super::*;

#[test]
fn an_update_row_names_an_asset_the_caller_may_change() {
    let w = world();
    let bad_id = "缺少字段或类型错误：[id]（资产编号须为正整数）";
    for id in [
        json!("abc"),
        json!(0),
        json!(-1),
        json!(1.5),
        json!(true),
        json!("0"),
        json!(9e15),
        json!([1]),
    ] {
        let got = w.update(w.manager(), &json!({ "id": id })).map(|_| ());
        assert_eq!(got, Err(bad_id.to_owned()), "{id}");
    }
    for (scope, id, message) in [
        (w.manager(), w.foreign_server + 1000, "资产编号不存在"),
        // Another company's asset answers as if it did not exist.
        (w.admin(), w.foreign_server, "资产编号不存在"),
        (w.manager(), w.ledger, "无权修改该资产"),
        (w.manager(), w.old_server, "已清退的资产不能修改"),
    ] {
        let got = w.update(scope, &json!({ "id": id })).map(|_| ());
        assert_eq!(got, Err(message.to_owned()), "{id}");
    }
    // Blank or absent: a new asset.
    for id in [json!(null), json!(""), json!(" ")] {
        let text = json!({"id": id, "name": "新的", "assetClass": 0, "user": "liusn", "price": 1,
                          "count": 1, "assetTree": ROOT_CATEGORY, "department": "CST",
                          "deadline": 1})
        .to_string();
        let action = check_import_row(
            &w.conn,
            &mut Lookups::new(w.manager()),
            &Fields::read(&text),
            today(),
        )
        .unwrap();
        assert!(matches!(action, Ok(RowAction::Create(_))), "{id}");
    }
}

#[test]
fn an_update_row_keeps_blank_cells_and_passes_the_rules_as_a_whole() {
    let w = world();
    let update = |edits: Value| w.update(w.manager(), &edits);
    // Nothing given, or only blanks: nothing changes.
    for edits in [
        json!({"id": w.desk}),
        json!({"id": w.desk.to_string(), "name": "", "price": " ", "user": null}),
    ] {
        let u = update(edits.clone()).unwrap();
        assert!(u.unchanged(), "{edits}");
        assert_eq!(u.changes(), json!({}));
    }
    // What is given changes; the status (维保中) stays while the owner does.
    let u = update(json!({"id": w.desk, "name": "新桌子", "price": "12.5"})).unwrap();
    assert!(!u.unchanged());
    assert_eq!((u.after.status, u.after.initial_price_cents), (3, 1250));
    assert_eq!(
        u.changes(),
        json!({"资产名": {"old": "桌子", "new": "新桌子"},
               "原值": {"old": 10.0, "new": 12.5}})
    );
    // A new owner sets the status as a create does.
    let u = update(json!({"id": w.desk, "user": "liusn"})).unwrap();
    assert_eq!((u.after.owner_id, u.after.status), (w.liusn, 1));
    assert_eq!(
        u.changes(),
        json!({"挂账人": {"old": "zhangsan", "new": "liusn"}})
    );
    // A parent retired since does not fail a row that leaves it alone.
    for edits in [
        json!({"id": w.cable, "name": "新网线"}),
        json!({"id": w.cable, "parent": w.rack}),
        json!({"id": w.cable, "parent": "机柜"}),
    ] {
        assert_eq!(
            update(edits.clone()).unwrap().after.parent_id,
            Some(w.rack),
            "{edits}"
        );
    }
    // A system admin moves an asset to another department, with an owner and category there.
    let u = w
        .update(
            w.admin(),
            &json!({"id": w.lamp, "department": "财务部", "user": "caiwu"}),
        )
        .unwrap();
    assert_eq!(
        (u.after.department_id, u.after.category_id),
        (w.finance, w.category(w.finance, ROOT_CATEGORY))
    );

    let refused: [(Value, String); 9] = [
        // The merged row breaks the rules of a new asset.
        (
            json!({"id": w.desk, "user": "caiwu"}),
            owner_elsewhere("caiwu", Some("财务部"), "CST"),
        ),
        (
            json!({"id": w.desk, "count": 0}),
            "资产数量不可小于1".into(),
        ),
        (
            json!({"id": w.desk, "expire": 1}),
            "不能导入已清退的资产".into(),
        ),
        (
            json!({"id": w.desk, "department": "财务部"}),
            [
                not_reached("财务部"),
                no_category("办公家具", "财务部"),
                owner_elsewhere("zhangsan", Some("CST"), "财务部"),
            ]
            .join("；"),
        ),
        (
            json!({"id": w.cable, "parent": "旧服务器"}),
            bad_parent_name("旧服务器", "CST"),
        ),
        // The rules of an update.
        (
            json!({"id": w.lamp, "assetClass": 1}),
            "资产类型不可修改".into(),
        ),
        (
            json!({"id": w.server, "department": "软件组", "user": "ruanjian"}),
            "有子资产的资产不能移到其他部门".into(),
        ),
        // Its own child as parent would put it above itself.
        (
            json!({"id": w.server, "parent": w.disk}),
            "父资产不符合规范".into(),
        ),
        // A move takes the parent along, and it must be of the new department.
        (
            json!({"id": w.disk, "department": "软件组", "user": "ruanjian"}),
            bad_parent_id(w.server, "软件组"),
        ),
    ];
    for (edits, message) in refused {
        assert_eq!(
            update(edits.clone()).map(|_| ()),
            Err(message.clone()),
            "{edits}"
        );
    }
}

#[test]
fn a_parent_chain_never_loops() {
    let w = world();
    // server > disk: the disk's parent may not become the disk, nor the server its child's.
    assert!(creates_cycle(&w.conn, w.server, Some(w.disk)).unwrap());
    assert!(creates_cycle(&w.conn, w.server, Some(w.server)).unwrap());
    assert!(!creates_cycle(&w.conn, w.disk, Some(w.server)).unwrap());
    assert!(!creates_cycle(&w.conn, w.disk, None).unwrap());
    assert!(!creates_cycle(&w.conn, w.chairs, Some(w.team_pc)).unwrap());
}

#[test]
fn a_dry_run_reads_its_chunks_assets_ahead_and_decides_each_row_as_if_alone() {
    let w = world();
    let task = w.dry_run_task();
    let missing = w.foreign_server + 1;
    // The desk twice (the second reads its own), a change, a parent, rows refused for an id
    // not stored, another company's asset, a retired one and one out of reach, and a new asset.
    let rows = [
        json!({"id": w.desk, "name": "新桌子"}),
        json!({"id": w.desk.to_string(), "count": 7}),
        json!({"id": w.chairs, "count": 12}),
        json!({"id": w.disk, "name": "新硬盘"}),
        json!({"id": missing}),
        json!({"id": w.foreign_server}),
        json!({"id": w.old_server}),
        json!({"id": w.ledger}),
        json!({"name": "新的", "assetClass": 0, "user": "liusn", "price": 1, "count": 1,
               "assetTree": ROOT_CATEGORY, "department": "CST", "deadline": 1}),
    ];
    let texts: Vec<String> = rows.iter().map(Value::to_string).collect();
    let fields: Vec<Fields> = texts.iter().map(|t| Fields::read(t)).collect();
    let verdict = |lookups: &mut Lookups, raw: &Fields| match check_import_row(
        &w.conn,
        lookups,
        raw,
        today(),
    )
    .expect("no database error")
    {
        Ok(RowAction::Update(u)) => Ok((u.current.values.clone(), u.after.clone(), u.changes())),
        Ok(RowAction::Create(asset)) => Ok((asset.clone(), asset, Value::Null)),
        Err(message) => Err(message),
    };
    let mut ahead = Lookups::new(w.manager()).for_dry_run(task);
    read_ahead(&w.conn, &mut ahead, fields.iter().filter_map(named_id)).unwrap();
    // Every stored asset named (another company's too: the rules refuse it, not the reading).
    assert_eq!(ahead.read_ahead.held(), 6);
    for (raw, text) in fields.iter().zip(&texts) {
        let alone = verdict(&mut Lookups::new(w.manager()).for_dry_run(task), raw);
        assert_eq!(verdict(&mut ahead, raw), alone, "{text}");
    }
    assert_eq!(ahead.read_ahead.held(), 0, "each row took its asset");

    // Ids far apart (a file sorted by name), or a run that writes: each row reads its own.
    let spread = [w.desk, w.desk + 1000];
    read_ahead(&w.conn, &mut ahead, spread.into_iter()).unwrap();
    assert_eq!(ahead.read_ahead.held(), 0);
    let mut real = Lookups::new(w.manager());
    read_ahead(&w.conn, &mut real, [w.desk, w.chairs].into_iter()).unwrap();
    assert_eq!(real.read_ahead.held(), 0);
}
