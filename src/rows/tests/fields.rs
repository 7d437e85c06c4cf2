//! Each field on its own: types, the forms Excel writes, money, dates, lengths, hidden characters.

use super::*;

#[test]
fn a_valid_row_becomes_exactly_this_asset() {
    let w = world();
    let asset = w.accepted(w.manager(), &row(&json!({})));
    assert_eq!(
        asset,
        NewAsset {
            entity_id: w.company,
            department_id: w.cst,
            category_id: w.category(w.cst, ROOT_CATEGORY),
            parent_id: None,
            owner_id: w.liusn,
            name: "行".into(),
            asset_class: 0,
            initial_price_cents: 1000,
            description: String::new(),
            position: String::new(),
            count: 10,
            create_day: today(),
            deadline: 10,
            // Owned by an asset manager: idle.
            status: 1,
        }
    );
    // Owned by staff: in use.
    let staff = w.accepted(w.manager(), &row(&json!({"user": "zhangsan"})));
    assert_eq!((staff.owner_id, staff.status), (w.zhangsan, 2));
}

#[test]
fn a_field_missing_or_of_the_wrong_type_names_the_field_and_what_was_sent() {
    let w = world();
    let cases = [
        (json!({"name": ABSENT}), field("name", "缺少资产名")),
        (json!({"name": null}), field("name", "缺少资产名")),
        (json!({"name": 5}), field("name", "资产名“5”不是文字")),
        (json!({"name": true}), field("name", "资产名应为文字")),
        (json!({"name": ["椅子"]}), field("name", "资产名应为文字")),
        (
            json!({"parent": 0}),
            field("parent", "父资产“0”不是资产编号或名称"),
        ),
        (
            json!({"parent": -3}),
            field("parent", "父资产“-3”不是资产编号或名称"),
        ),
        (
            json!({"parent": 1.5}),
            field("parent", "父资产“1.5”不是资产编号或名称"),
        ),
        (
            json!({"parent": {}}),
            field("parent", "父资产应为资产编号或名称"),
        ),
        (
            json!({"assetClass": ABSENT}),
            field("assetClass", "缺少资产类型"),
        ),
        (
            json!({"assetClass": 2}),
            field("assetClass", "资产类型“2”不是数量型或条目型"),
        ),
        (
            json!({"assetClass": -1}),
            field("assetClass", "资产类型“-1”不是数量型或条目型"),
        ),
        (
            json!({"assetClass": 0.5}),
            field("assetClass", "资产类型“0.5”不是数量型或条目型"),
        ),
        (
            json!({"assetClass": "家具"}),
            field("assetClass", "资产类型“家具”不是数量型或条目型"),
        ),
        (
            json!({"assetClass": false}),
            field("assetClass", "资产类型应为数量型或条目型"),
        ),
        (json!({"user": ABSENT}), field("user", "缺少挂账人")),
        (json!({"user": 7}), field("user", "挂账人“7”不是文字")),
        (json!({"price": ABSENT}), field("price", "缺少原值")),
        (
            json!({"price": "十元"}),
            field("price", "原值“十元”不是金额"),
        ),
        (json!({"price": true}), field("price", "原值应为金额")),
        (
            json!({"description": 5}),
            field("description", "描述信息“5”不是文字"),
        ),
        (
            json!({"position": []}),
            field("position", "位置信息应为文字"),
        ),
        (json!({"expire": 2}), field("expire", "是否清退“2”不是0或1")),
        (
            json!({"expire": "是"}),
            field("expire", "是否清退“是”不是0或1"),
        ),
        (json!({"expire": true}), field("expire", "是否清退应为0或1")),
        (json!({"count": ABSENT}), field("count", "缺少资产数量")),
        (
            json!({"count": 1.5}),
            field("count", "资产数量“1.5”不是整数"),
        ),
        (
            json!({"count": "abc"}),
            field("count", "资产数量“abc”不是整数"),
        ),
        (json!({"count": ""}), field("count", "资产数量“”不是整数")),
        (
            json!({"assetTree": ABSENT}),
            field("assetTree", "缺少所属品类"),
        ),
        (
            json!({"assetTree": 3}),
            field("assetTree", "所属品类“3”不是文字"),
        ),
        (
            json!({"department": ABSENT}),
            field("department", "缺少所属部门"),
        ),
        (
            json!({"department": 1}),
            field("department", "所属部门“1”不是文字"),
        ),
        (
            json!({"deadline": ABSENT}),
            field("deadline", "缺少使用期限"),
        ),
        (
            json!({"deadline": 2.5}),
            field("deadline", "使用期限“2.5”不是整数"),
        ),
        (
            json!({"deadline": true}),
            field("deadline", "使用期限应为整数"),
        ),
    ];
    let cases: Vec<(Value, &str)> = cases.iter().map(|(e, m)| (e.clone(), m.as_str())).collect();
    w.refuses(&cases);

    // A long value is shown by its first 40 characters.
    let long = "x".repeat(45);
    w.refuses_row(
        w.manager(),
        &row(&json!({ "count": long })),
        &field("count", &format!("资产数量“{}…”不是整数", "x".repeat(40))),
    );
    // Numbers past what the register keeps exact are not numbers to it.
    for (text, message) in [
        ("1e400", field("price", "原值应为金额")),
        ("1e14", field("price", "原值“100000000000000”不是金额")),
    ] {
        w.refuses_row(w.manager(), &raw("price", text), &message);
    }
    w.refuses_row(
        w.manager(),
        &raw("count", "1e16"),
        &field("count", "资产数量“10000000000000000”不是整数"),
    );
    w.refuses_row(
        w.manager(),
        &raw("deadline", "1e400"),
        &field("deadline", "使用期限应为整数"),
    );
}

#[test]
fn fields_may_come_as_excel_writes_them() {
    let w = world();
    let item = json!({"count": 1, "assetTree": ITEM_CATEGORY});
    let with = |edits: Value| {
        let mut all = item.clone();
        all.as_object_mut()
            .unwrap()
            .extend(edits.as_object().unwrap().clone());
        w.accepted(w.manager(), &row(&all))
    };
    let cases = [
        (json!({"assetClass": "条目型"}), 1),
        (json!({"assetClass": " 条目型 "}), 1),
        (json!({"assetClass": "1"}), 1),
        (json!({"assetClass": 1.0}), 1),
    ];
    for (edits, class) in cases {
        assert_eq!(with(edits.clone()).asset_class, class, "{edits}");
    }
    for (edits, class) in [
        (json!({"assetClass": "数量型"}), 0),
        (json!({"assetClass": "0"}), 0),
    ] {
        assert_eq!(
            w.accepted(w.manager(), &row(&edits)).asset_class,
            class,
            "{edits}"
        );
    }
    for (edits, count, deadline) in [
        (json!({"count": "3", "deadline": "5"}), 3, 5),
        (json!({"count": " 3 ", "deadline": " 5 "}), 3, 5),
        (json!({"count": 3.0, "deadline": 0}), 3, 0),
        (json!({"count": 1, "deadline": "0"}), 1, 0),
    ] {
        let a = w.accepted(w.manager(), &row(&edits));
        assert_eq!((a.count, a.deadline), (count, deadline), "{edits}");
    }
    // Optional fields: absent, null or empty.
    for edits in [
        json!({"parent": ABSENT, "description": ABSENT, "position": ABSENT, "expire": ABSENT}),
        json!({"parent": null, "description": null, "position": null, "expire": null}),
        json!({"parent": "", "description": "", "position": "", "expire": "0"}),
        json!({"parent": "  ", "expire": 0}),
    ] {
        let a = w.accepted(w.manager(), &row(&edits));
        assert_eq!(
            (a.parent_id, a.description.as_str(), a.position.as_str()),
            (None, "", ""),
            "{edits}"
        );
    }
}

#[test]
fn money_is_read_as_people_write_it_and_kept_in_cents() {
    let w = world();
    for (price, cents) in [
        (json!(10), 1000),
        (json!(0), 0),
        (json!("10.5"), 1050),
        (json!(" 10.5 "), 1050),
        (json!(0.125), 13),
        (json!(10.004), 1000),
        (json!("19.999"), 2000),
        (json!("1,200"), 120_000),
        (json!("¥1,299.00"), 129_900),
        (json!("￥ 3,000.5"), 300_050),
        (json!("¥88"), 8800),
        (json!("-0"), 0),
        // Rounds to nothing: not negative.
        (json!(-0.001), 0),
        (json!("1,234,567.25"), 123_456_725),
        // The largest amount kept exact.
        (json!(1e13), 1_000_000_000_000_000),
    ] {
        let a = w.accepted(w.manager(), &row(&json!({ "price": price })));
        assert_eq!(a.initial_price_cents, cents, "{price}");
    }
    let cases: Vec<(Value, String)> = [
        "1,2,3", "12,34", "¥", "1.200,50", "1,000,00", ",100", "NaN", "inf", "",
    ]
    .iter()
    .map(|price| {
        let message = field("price", &format!("原值“{price}”不是金额"));
        (json!({ "price": price }), message)
    })
    .collect();
    let cases: Vec<(Value, &str)> = cases.iter().map(|(e, m)| (e.clone(), m.as_str())).collect();
    w.refuses(&cases);
    w.refuses(&[
        (json!({"price": -0.01}), "原值不可为负"),
        (json!({"price": "¥-5"}), "原值不可为负"),
        (json!({"price": "-1,000.5"}), "原值不可为负"),
    ]);
}

#[test]
fn the_creation_date_is_a_day_no_later_than_today() {
    let w = world();
    for (create_time, day) in [
        (json!(ABSENT), today()),
        (json!(null), today()),
        (json!(""), today()),
        (json!("2024-06-15"), today()),
        (json!(" 2024-06-15 "), today()),
        (json!("2024-06-14"), today() - 1),
        (json!("1970-01-01"), 0),
        (json!("2024/6/1"), today() - 14),
        (json!("2024/06/01"), today() - 14),
        (json!("2024-06-01 08:30:00"), today() - 14),
        // Excel date serials, as a number or as a cell's text: 25569 is 1970-01-01.
        (json!(25569 + today() - 1), today() - 1),
        (json!(format!("{}", 25569 + today() - 14)), today() - 14),
        (json!(25569.75), 0),
    ] {
        let a = w.accepted(w.manager(), &row(&json!({ "create_time": create_time })));
        assert_eq!(a.create_day, day, "{create_time}");
    }
    // A day to come is said so; what is no day at all is shown the forms that are.
    let late = |shown: &str| field("create_time", &format!("创建时间“{shown}”晚于今天"));
    let no_date = |shown: &str| {
        field(
            "create_time",
            &format!("创建时间“{shown}”不是日期，如2024-03-05或2024/3/5"),
        )
    };
    let cases = [
        (json!({"create_time": "2024-06-16"}), late("2024-06-16")),
        (json!({"create_time": "2024-02-30"}), no_date("2024-02-30")),
        (json!({"create_time": "2024/6/31"}), no_date("2024/6/31")),
        (json!({"create_time": "24-6-1"}), no_date("24-6-1")),
        (json!({"create_time": "2024.6.1"}), no_date("2024.6.1")),
        (
            json!({"create_time": 25569 + today() + 1}),
            late(&format!("{}", 25569 + today() + 1)),
        ),
        (json!({"create_time": "昨天"}), no_date("昨天")),
        (json!({"create_time": 20240101}), no_date("20240101")),
        (
            json!({"create_time": true}),
            field("create_time", "创建时间应为日期，如2024-03-05或2024/3/5"),
        ),
    ];
    let cases: Vec<(Value, &str)> = cases.iter().map(|(e, m)| (e.clone(), m.as_str())).collect();
    w.refuses(&cases);
}

#[test]
fn text_lengths_are_checked_at_their_bounds() {
    let w = world();
    for (edits, name) in [
        (json!({"name": "长".repeat(128)}), "长".repeat(128)),
        // Trimmed before it is measured.
        (
            json!({"name": format!(" {} ", "长".repeat(128))}),
            "长".repeat(128),
        ),
        (json!({"name": " 椅子 "}), "椅子".to_owned()),
        // One spelling: fullwidth letters are the plain ones.
        (json!({"name": "ｃｈａｉｒ"}), "chair".to_owned()),
    ] {
        assert_eq!(w.accepted(w.manager(), &row(&edits)).name, name, "{edits}");
    }
    let a = w.accepted(
        w.manager(),
        &row(&json!({"position": "位".repeat(256), "description": "述".repeat(4096)})),
    );
    assert_eq!(
        (a.position.chars().count(), a.description.chars().count()),
        (256, 4096)
    );
    w.refuses(&[
        (
            json!({"name": "长".repeat(129)}),
            "字段长度不合法：[name]（资产名超过128字）",
        ),
        (
            json!({"name": ""}),
            "字段长度不合法：[name]（资产名不能为空）",
        ),
        (
            json!({"name": "   "}),
            "字段长度不合法：[name]（资产名不能为空）",
        ),
        // An ideographic space is a space.
        (
            json!({"name": "\u{3000}"}),
            "字段长度不合法：[name]（资产名不能为空）",
        ),
        (
            json!({"position": "位".repeat(257)}),
            "字段长度不合法：[position]（位置信息超过256字）",
        ),
        (
            json!({"description": "述".repeat(4097)}),
            "字段长度不合法：[description]（描述信息超过4096字）",
        ),
    ]);
}

#[test]
fn hidden_characters_are_refused_except_line_breaks_in_a_description() {
    let w = world();
    let a = w.accepted(
        w.manager(),
        &row(&json!({"description": "第一行\n第二行\r\n\t缩进"})),
    );
    assert_eq!(a.description, "第一行\n第二行\r\n\t缩进");
    w.refuses(&[
        (json!({"name": "a\u{0}b"}), "字段不能包含控制字符：[name]"),
        (
            json!({"name": "abc\u{202e}gpj.exe"}),
            "字段不能包含控制字符：[name]",
        ),
        (
            json!({"name": "椅\u{200b}子"}),
            "字段不能包含控制字符：[name]",
        ),
        // A trailing line break is refused, not trimmed away.
        (json!({"name": "椅子\n"}), "字段不能包含控制字符：[name]"),
        (
            json!({"position": "三楼\t"}),
            "字段不能包含控制字符：[position]",
        ),
        (
            json!({"description": "a\u{0}"}),
            "字段不能包含控制字符：[description]",
        ),
        (
            json!({"description": "a\u{feff}"}),
            "字段不能包含控制字符：[description]",
        ),
    ]);
}
