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
    crate::clock::day_of(chrono::NaiveDate::from_ymd_opt(2024, 6, 15).unwrap())
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
    conn: crate::db::Conn,
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
    let c = fixture::insert_company(&conn);
    let (company, cst, software, finance) = (c.id, c.cst, c.software, c.finance);
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
    let source = crate::db::history::Source {
        entity_id: company,
        actor_id: liusn,
        task_id: None,
        request_id: None,
    };
    crate::db::assets::retire_assets(&conn, &[old_server, rack], &source).unwrap();
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

    /// A dry-run import task of liusn's.
    fn dry_run_task(&self) -> i64 {
        fixture::insert_task(
            &self.conn,
            &TaskRow {
                dry_run: true,
                ..TaskRow::new(self.company, self.liusn, TaskKind::Import)
            },
        )
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

// The lookup rules' messages: the SPEC's text, then the value and where it was looked for.
fn no_department(named: &str) -> String {
    format!("对应部门不存在（本企业没有部门“{named}”）")
}
fn not_reached(named: &str) -> String {
    format!("无权管理该部门的资产（部门“{named}”不在您管理的部门中）")
}
fn no_category(category: &str, department: &str) -> String {
    format!("未找到指定层级分类（分类“{category}”不在部门「{department}」的分类树中）")
}
fn no_owner(user: &str) -> String {
    format!("未找到该资产挂账人（本企业没有用户“{user}”）")
}
/// `theirs`: the owner's department, None for a system admin (of none).
fn owner_elsewhere(user: &str, theirs: Option<&str>, department: &str) -> String {
    let theirs = theirs.map_or("不属于任何部门".to_owned(), |d| {
        format!("属于部门「{d}」")
    });
    format!("指定资产挂账人不处于当前部门（“{user}”{theirs}，资产在部门「{department}」）")
}
fn bad_parent_id(id: i64, department: &str) -> String {
    format!("父资产不符合规范（编号“{id}”不是部门「{department}」在用的条目型资产）")
}
fn bad_parent_name(name: &str, department: &str) -> String {
    format!(
        "父资产不符合规范（部门「{department}」没有恰好一项名为“{name}”的在用条目型资产；可写资产编号）"
    )
}

mod columns;
mod fields;
mod lookups;
mod update;
