//! The import-row rules of SPEC §7, rule by rule, on an in-memory database. Each case is a row
//! (a valid row with some fields changed), who sends it, and what must come of it: the asset it
//! becomes, or the exact message.

use super::*;
use crate::auth::Role;
use crate::db::fixture::{self, TaskRow};
use crate::db::org::{ITEM_CATEGORY, QUANTITY_CATEGORY, ROOT_CATEGORY};
use crate::db::tasks::TaskKind;
use serde_json::{json, Value};

/// A field edited to this is left out of the row.
const ABSENT: &str = "〈absent〉";

/// The day every row is checked on: 2024-06-15.
fn today() -> i64 {
    crate::db::day_of(chrono::NaiveDate::from_ymd_opt(2024, 6, 15).unwrap())
}

/// A row liusn may import into CST: ten chairs of his own.
fn base() -> Value {
    json!({
        "name": "行", "parent": "", "assetClass": 0, "user": "liusn", "price": 10.0,
        "description": "", "position": "", "expire": 0, "count": 10,
        "assetTree": ROOT_CATEGORY, "department": "CST", "deadline": 10
    })
}

/// The base row with `edits` applied (a field edited to `ABSENT` is left out), as JSON text.
fn row(edits: &Value) -> String {
    let mut row = base();
    let fields = row.as_object_mut().unwrap();
    for (field, value) in edits.as_object().expect("edits are an object") {
        if *value == ABSENT {
            fields.remove(field);
        } else {
            fields.insert(field.clone(), value.clone());
        }
    }
    row.to_string()
}

/// The base row with `field` written as `text` (a number JSON allows and f64 cannot hold).
fn raw(field: &str, text: &str) -> String {
    let without = row(&json!({ field: ABSENT }));
    format!("{},\"{field}\":{text}}}", &without[..without.len() - 1])
}

/// 示例企业: CST and, below it, 软件组; 财务部 beside them. Its system admin, asset manager
/// liusn (CST) and staff in each department; and 另一企业 with its own department, manager and
/// asset.
struct World {
    conn: Connection,
    company: i64,
    cst: i64,
    software: i64,
    finance: i64,
    liusn: i64,
    zhangsan: i64,
    /// Items of CST: a server with a disk below it, a retired server, two monitors alike.
    server: i64,
    disk: i64,
    old_server: i64,
    /// Quantity assets of CST: chairs (10) and a desk (5, in 办公家具, under maintenance).
    chairs: i64,
    desk: i64,
    /// One quantity asset in 默认分类 (which takes both classes).
    lamp: i64,
    /// A cable whose parent rack was retired after the cable was registered.
    cable: i64,
    rack: i64,
    /// An item of 软件组, one of 财务部, one of the other company.
    team_pc: i64,
    ledger: i64,
    foreign_server: i64,
}

fn world() -> World {
    let conn = fixture::db();
    let company = fixture::insert_entity(&conn, "示例企业");
    let cst = fixture::insert_department(&conn, company, None, "CST");
    let software = fixture::insert_department(&conn, company, Some(cst), "软件组");
    let finance = fixture::insert_department(&conn, company, None, "财务部");
    fixture::insert_category(&conn, cst, QUANTITY_CATEGORY, "办公家具");
    fixture::insert_category(&conn, cst, ITEM_CATEGORY, "电脑");
    fixture::insert_category(&conn, finance, ROOT_CATEGORY, "账本类");
    fixture::insert_user(&conn, "sysadmin", Role::Admin, Some(company), None);
    let liusn = fixture::insert_user(&conn, "liusn", Role::Manager, Some(company), Some(cst));
    let zhangsan = fixture::insert_user(&conn, "zhangsan", Role::Staff, Some(company), Some(cst));
    let ruanjian = fixture::insert_user(
        &conn,
        "ruanjian",
        Role::Staff,
        Some(company),
        Some(software),
    );
    let caiwu = fixture::insert_user(&conn, "caiwu", Role::Staff, Some(company), Some(finance));
    let other = fixture::insert_entity(&conn, "另一企业");
    let sales = fixture::insert_department(&conn, other, None, "销售部");
    let wangwu = fixture::insert_user(&conn, "wangwu", Role::Manager, Some(other), Some(sales));

    let add =
        |department: i64, category: &str, owner: i64, name: &str, edit: &dyn Fn(&mut NewAsset)| {
            let mut asset = fixture::new_asset(&conn, (department, category), owner, name);
            edit(&mut asset);
            fixture::insert_asset(&conn, &asset)
        };
    let item = ITEM_CATEGORY;
    let server = add(cst, item, liusn, "服务器", &|_| {});
    let disk = add(cst, item, liusn, "硬盘", &|a| a.parent_id = Some(server));
    let old_server = add(cst, item, liusn, "旧服务器", &|_| {});
    add(cst, item, liusn, "显示器", &|_| {});
    add(cst, item, liusn, "显示器", &|_| {});
    let chairs = add(cst, QUANTITY_CATEGORY, liusn, "椅子", &|a| a.count = 10);
    let desk = add(cst, "办公家具", zhangsan, "桌子", &|a| {
        a.count = 5;
        a.status = 3;
    });
    let lamp = add(cst, ROOT_CATEGORY, liusn, "台灯", &|_| {});
    let rack = add(cst, item, liusn, "机柜", &|_| {});
    let cable = add(cst, item, liusn, "网线", &|a| a.parent_id = Some(rack));
    let team_pc = add(software, item, ruanjian, "组长电脑", &|_| {});
    let ledger = add(finance, ROOT_CATEGORY, caiwu, "账本", &|_| {});
    let foreign_server = add(sales, item, wangwu, "外企服务器", &|_| {});
    crate::db::assets::retire_assets(&conn, &[old_server, rack]).unwrap();
    World {
        conn,
        company,
        cst,
        software,
        finance,
        liusn,
        zhangsan,
        server,
        disk,
        old_server,
        chairs,
        desk,
        lamp,
        cable,
        rack,
        team_pc,
        ledger,
        foreign_server,
    }
}

impl World {
    /// liusn's reach: CST and 软件组.
    fn manager(&self) -> Scope {
        Scope::Departments(self.company, vec![self.cst, self.software])
    }

    /// The system admin's reach: the whole company.
    fn admin(&self) -> Scope {
        Scope::Entity(self.company)
    }

    /// One row checked on its own, as `post_asset` checks it.
    fn check(&self, scope: Scope, row: &str) -> Result<NewAsset, String> {
        check_row(&self.conn, &mut Lookups::new(scope), row, today()).expect("no database error")
    }

    fn accepted(&self, scope: Scope, row: &str) -> NewAsset {
        self.check(scope, row)
            .unwrap_or_else(|message| panic!("{row}: refused with {message}"))
    }

    /// Every case is refused (as liusn) with exactly its message.
    fn refuses(&self, cases: &[(Value, &str)]) {
        for (edits, message) in cases {
            self.refuses_row(self.manager(), &row(edits), message);
        }
    }

    fn refuses_row(&self, scope: Scope, row: &str, message: &str) {
        match self.check(scope, row) {
            Ok(asset) => panic!("{row}: accepted as {asset:?}, wanted {message}"),
            Err(got) => assert_eq!(got, message, "{row}"),
        }
    }

    /// An update row (one carrying `id`) checked on its own.
    fn update(&self, scope: Scope, edits: &Value) -> Result<Update, String> {
        let text = edits.to_string();
        match check_import_row(
            &self.conn,
            &mut Lookups::new(scope),
            &Fields::read(&text),
            today(),
        )
        .expect("no database error")
        {
            Ok(RowAction::Update(update)) => Ok(*update),
            Ok(RowAction::Create(asset)) => panic!("{text}: a create of {asset:?}"),
            Err(message) => Err(message),
        }
    }

    fn category(&self, department: i64, name: &str) -> i64 {
        crate::db::org::category_by_name(&self.conn, department, name)
            .unwrap()
            .unwrap()
            .id
    }
}

fn field(field: &str, reason: &str) -> String {
    format!("缺少字段或类型错误：[{field}]（{reason}）")
}

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
        (json!({"price": ABSENT}), field("price", "缺少资产价值")),
        (
            json!({"price": "十元"}),
            field("price", "资产价值“十元”不是金额"),
        ),
        (json!({"price": true}), field("price", "资产价值应为金额")),
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
        ("1e400", field("price", "资产价值应为金额")),
        ("1e14", field("price", "资产价值“100000000000000”不是金额")),
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
        let message = field("price", &format!("资产价值“{price}”不是金额"));
        (json!({ "price": price }), message)
    })
    .collect();
    let cases: Vec<(Value, &str)> = cases.iter().map(|(e, m)| (e.clone(), m.as_str())).collect();
    w.refuses(&cases);
    w.refuses(&[
        (json!({"price": -0.01}), "资产价值不可为负"),
        (json!({"price": "¥-5"}), "资产价值不可为负"),
        (json!({"price": "-1,000.5"}), "资产价值不可为负"),
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
    ] {
        let a = w.accepted(w.manager(), &row(&json!({ "create_time": create_time })));
        assert_eq!(a.create_day, day, "{create_time}");
    }
    let late = |shown: &str| {
        field(
            "create_time",
            &format!("创建时间“{shown}”不是不晚于今天的日期"),
        )
    };
    let cases = [
        (json!({"create_time": "2024-06-16"}), late("2024-06-16")),
        (json!({"create_time": "2024-02-30"}), late("2024-02-30")),
        (json!({"create_time": "2024/06/01"}), late("2024/06/01")),
        (json!({"create_time": "昨天"}), late("昨天")),
        (json!({"create_time": 20240101}), late("20240101")),
        (
            json!({"create_time": true}),
            field("create_time", "创建时间应为不晚于今天的日期"),
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

#[test]
fn the_department_is_one_of_the_entity_within_the_callers_reach() {
    let w = world();
    w.refuses(&[
        (json!({"department": "没有的部门"}), "对应部门不存在"),
        // Another company's department and people do not exist for this one.
        (json!({"department": "销售部"}), "对应部门不存在"),
        (
            json!({"department": "销售部", "user": "wangwu"}),
            "对应部门不存在；未找到该资产挂账人",
        ),
        (
            json!({"department": "财务部", "user": "caiwu"}),
            "无权管理该部门的资产",
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
        "无权管理该部门的资产",
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
        (json!({"assetTree": "没有的分类"}), "未找到指定层级分类"),
        // 账本类 is 财务部's.
        (json!({"assetTree": "账本类"}), "未找到指定层级分类"),
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
        (json!({"user": "nobody"}), "未找到该资产挂账人"),
        (json!({"user": "wangwu"}), "未找到该资产挂账人"),
        (json!({"user": "caiwu"}), "指定资产挂账人不处于当前部门"),
        // In a department below CST is not in CST.
        (json!({"user": "ruanjian"}), "指定资产挂账人不处于当前部门"),
        // A system admin belongs to no department.
        (json!({"user": "sysadmin"}), "指定资产挂账人不处于当前部门"),
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
    let refused = "父资产不符合规范";
    w.refuses(&[
        // Quantity assets are never parents.
        (json!({"parent": w.chairs}), refused),
        (json!({"parent": "椅子"}), refused),
        (json!({"parent": w.old_server}), refused),
        (json!({"parent": "旧服务器"}), refused),
        // Items of another department or company.
        (json!({"parent": w.team_pc}), refused),
        (json!({"parent": "组长电脑"}), refused),
        (json!({"parent": w.foreign_server}), refused),
        (json!({"parent": "外企服务器"}), refused),
        (json!({"parent": 99_999}), refused),
        (json!({"parent": "没有的资产"}), refused),
        // Two items of that name: which one is not known.
        (json!({"parent": "显示器"}), refused),
        // "0" is no id, so a name, and no asset has it.
        (json!({"parent": "0"}), refused),
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
                "资产价值不可为负",
                "资产使用期限不可为负",
                "不能导入已清退的资产",
                "资产类别与层级分类不匹配",
                "指定资产挂账人不处于当前部门",
                "父资产不符合规范",
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
                field("price", "资产价值“y”不是金额"),
                field("description", "描述信息“3”不是文字"),
                field("position", "位置信息“4”不是文字"),
                field("expire", "是否清退“5”不是0或1"),
                field("count", "资产数量“z”不是整数"),
                field("assetTree", "所属品类“6”不是文字"),
                field("department", "所属部门“7”不是文字"),
                field("deadline", "使用期限“w”不是整数"),
                field("create_time", "创建时间“昨天”不是不晚于今天的日期"),
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
            "无权管理该部门的资产；资产数量不可小于1；指定资产挂账人不处于当前部门".to_owned(),
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
            "对应部门不存在",
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
            "未找到指定层级分类",
        ),
        // No owner: no department check for them.
        (json!({"user": "nobody"}), "未找到该资产挂账人"),
    ]);
}

#[test]
fn rows_that_are_not_objects_miss_every_required_field() {
    let w = world();
    let missing = [
        field("name", "缺少资产名"),
        field("assetClass", "缺少资产类型"),
        field("user", "缺少挂账人"),
        field("price", "缺少资产价值"),
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
        Err("父资产不符合规范".to_owned())
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
        Err("父资产不符合规范".to_owned())
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
    let task = fixture::insert_task(
        &w.conn,
        &TaskRow {
            dry_run: true,
            ..TaskRow::new(w.company, w.liusn, TaskKind::Import)
        },
    );
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
    w.refuses_row(w.manager(), &parent, "父资产不符合规范");
}

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
               "资产价值": {"old": 10.0, "new": 12.5}})
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

    let refused = [
        // The merged row breaks the rules of a new asset.
        (
            json!({"id": w.desk, "user": "caiwu"}),
            "指定资产挂账人不处于当前部门",
        ),
        (json!({"id": w.desk, "count": 0}), "资产数量不可小于1"),
        (json!({"id": w.desk, "expire": 1}), "不能导入已清退的资产"),
        (
            json!({"id": w.desk, "department": "财务部"}),
            "无权管理该部门的资产；未找到指定层级分类；指定资产挂账人不处于当前部门",
        ),
        (
            json!({"id": w.cable, "parent": "旧服务器"}),
            "父资产不符合规范",
        ),
        // The rules of an update.
        (json!({"id": w.lamp, "assetClass": 1}), "资产类型不可修改"),
        (
            json!({"id": w.server, "department": "软件组", "user": "ruanjian"}),
            "有子资产的资产不能移到其他部门",
        ),
        // Its own child as parent would put it above itself.
        (
            json!({"id": w.server, "parent": w.disk}),
            "父资产不符合规范",
        ),
        // A move takes the parent along, and it must be of the new department.
        (
            json!({"id": w.disk, "department": "软件组", "user": "ruanjian"}),
            "父资产不符合规范",
        ),
    ];
    for (edits, message) in refused {
        assert_eq!(
            update(edits.clone()).map(|_| ()),
            Err(message.to_owned()),
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
