//! The request rules on an in-memory database: kinds as clients name them, who may ask what of
//! which asset, and an approval's lines (executed, stale, and the other requests it ends).

use super::*;
use crate::db::fixture;
use crate::db::history::Source;

struct World {
    conn: crate::db::Conn,
    manager: Caller,
    staff: Caller,
    other_staff: Caller,
    /// An idle asset of the manager's in CST, and one in use by `staff`.
    idle: i64,
    held: i64,
}

fn caller(id: i64, name: &str, role: Role, entity: i64, department: i64) -> Caller {
    Caller {
        user_id: id,
        name: name.into(),
        role,
        entity_id: Some(entity),
        department_id: Some(department),
        token: String::new(),
    }
}

fn world() -> World {
    let conn = fixture::db();
    let c = fixture::insert_company(&conn);
    let liusn = fixture::insert_user(&conn, "liusn", Role::Manager, Some(c.id), Some(c.cst));
    let zhangsan = fixture::insert_user(&conn, "zhangsan", Role::Staff, Some(c.id), Some(c.cst));
    let lisi = fixture::insert_user(&conn, "lisi", Role::Staff, Some(c.id), Some(c.cst));
    let mut idle = fixture::new_asset(&conn, (c.cst, "数量型资产"), liusn, "投影仪");
    idle.status = 1;
    let idle = fixture::insert_asset(&conn, &idle);
    let held = fixture::new_asset(&conn, (c.cst, "数量型资产"), zhangsan, "笔记本");
    let held = fixture::insert_asset(&conn, &held);
    World {
        manager: caller(liusn, "liusn", Role::Manager, c.id, c.cst),
        staff: caller(zhangsan, "zhangsan", Role::Staff, c.id, c.cst),
        other_staff: caller(lisi, "lisi", Role::Staff, c.id, c.cst),
        conn,
        idle,
        held,
    }
}

fn body(kind: &str, assets: &[i64]) -> RequestBody {
    RequestBody {
        kind: json!(kind),
        reason: String::new(),
        target_user: None,
        target_department: None,
        lines: assets
            .iter()
            .map(|&asset| LineBody { asset, count: None })
            .collect(),
    }
}

fn state(w: &World, id: i64) -> (i64, Vec<(i64, Option<String>)>) {
    let request = sql::request(&w.conn, w.manager.entity_id.unwrap(), id)
        .unwrap()
        .unwrap();
    let lines = sql::lines(&w.conn, id).unwrap();
    (
        request.state,
        lines.into_iter().map(|l| (l.state, l.invalid)).collect(),
    )
}

#[test]
fn a_kind_is_named_by_code_api_name_or_label() {
    for (value, kind) in [
        (json!(1), Kind::Take),
        (json!("2"), Kind::Return),
        (json!("repair"), Kind::Repair),
        (json!(" 转移 "), Kind::Transfer),
        (json!("调拨"), Kind::Allocate),
    ] {
        assert_eq!(Kind::parse(&value).unwrap(), kind, "{value}");
    }
    for value in [json!(0), json!(6), json!("借用"), json!(null), json!([1])] {
        assert!(Kind::parse(&value).is_err(), "{value}");
    }
}

#[test]
fn staff_ask_of_their_own_assets_and_idle_ones_of_their_department() {
    let w = world();
    let refused =
        |who: &Caller, kind: &str, asset: i64| match create(&w.conn, who, &body(kind, &[asset])) {
            Err(Error::Rule(why)) => why,
            other => panic!("{kind} of {asset} by {}: {other:?}", who.name),
        };
    assert!(refused(&w.staff, "退库", w.idle).contains("不是您名下的资产"));
    assert!(refused(&w.staff, "领用", w.held).contains("不是闲置资产"));
    assert!(refused(&w.other_staff, "维保", w.held).contains("不是您名下的资产"));
    assert_eq!(
        refused(&w.staff, "调拨", w.held),
        "调拨只能由资产管理员或系统管理员申请"
    );
    // What they may ask is stored, a line per asset with what the asset was.
    let id = create(&w.conn, &w.staff, &body("维保", &[w.held])).unwrap();
    assert_eq!(state(&w, id), (PENDING, vec![(0, None)]));
    let id = create(&w.conn, &w.manager, &body("维保", &[w.idle])).unwrap();
    assert_eq!(state(&w, id), (PENDING, vec![(0, None)]));
}

#[test]
fn an_approval_executes_valid_lines_and_ends_the_other_requests_on_them() {
    let w = world();
    let first = create(&w.conn, &w.staff, &body("领用", &[w.idle])).unwrap();
    let second = create(&w.conn, &w.other_staff, &body("领用", &[w.idle])).unwrap();
    approve(&w.conn, &w.manager, first).unwrap();
    assert_eq!(state(&w, first), (APPROVED, vec![(1, None)]));
    let why = format!("资产已由申请#{first}处理");
    assert_eq!(state(&w, second), (INVALID, vec![(2, Some(why))]));
    let asset = changes::stored_asset(&w.conn, w.idle).unwrap().unwrap();
    assert_eq!(
        (asset.values.owner_id, asset.values.status),
        (w.staff.user_id, 2)
    );
    assert!(matches!(
        approve(&w.conn, &w.manager, second),
        Err(Error::RequestNotPending("已失效"))
    ));
    // Staff review nothing.
    let third = create(&w.conn, &w.staff, &body("维保", &[w.held])).unwrap();
    assert!(matches!(
        approve(&w.conn, &w.staff, third),
        Err(Error::Forbidden)
    ));
    // A line whose asset moved to another holder since is not executed.
    let mut moved = changes::stored_asset(&w.conn, w.held).unwrap().unwrap();
    let before = moved.values.clone();
    moved.values.owner_id = w.other_staff.user_id;
    let source = Source {
        entity_id: before.entity_id,
        actor_id: w.manager.user_id,
        task_id: None,
        request_id: None,
    };
    let change = (&source, crate::db::history::Kind::Modified);
    changes::rewrite_asset(&w.conn, w.held, &before, (&moved.values, None), change).unwrap();
    approve(&w.conn, &w.manager, third).unwrap();
    let why = "挂账人已变更（现为lisi）".to_owned();
    assert_eq!(state(&w, third), (INVALID, vec![(2, Some(why))]));
}
