//! One entity never reads or changes another's data (SPEC §4): every endpoint that takes an id
//! or a name answers for another entity's exactly as for one that does not exist, and changes
//! nothing.

use crate::common;

use common::{item, row, Answer, App};
use serde_json::{json, Value};

use common::enc;

/// What one company holds, as the other might try to name it.
struct Company {
    entity: &'static str,
    department: &'static str,
    category: &'static str,
    user: &'static str,
    user_id: i64,
    asset_id: i64,
    item_name: &'static str,
    item_id: i64,
}

/// Things that exist nowhere.
const MISSING: Company = Company {
    entity: "无此企业",
    department: "无此部门",
    category: "无此分类",
    user: "nobody",
    user_id: 999_999,
    asset_id: 999_998,
    item_name: "无此资产",
    item_id: 999_997,
};

fn user_id(app: &App, admin: &str, entity: &str, name: &str) -> i64 {
    app.get(&format!(
        "/api/user_entity/{admin}/{}/1?size=1000",
        enc(entity)
    ))
    .ok()
    .as_array()
    .unwrap()
    .iter()
    .find(|u| u["name"] == name)
    .unwrap()["id"]
        .as_i64()
        .unwrap()
}

struct Setup {
    app: App,
    sysadmin: String,
    liusn: String,
    admin2: String,
    wangwu: String,
    demo: Company,
    other: Company,
}

fn setup() -> Setup {
    let app = App::new();
    let (admin2, wangwu, foreign_asset) = app.second_entity();
    let sysadmin = app.demo("sysadmin");
    let liusn = app.demo("liusn");
    for (s, department, category) in [(&liusn, "CST", "演示分类"), (&wangwu, "销售部", "外企分类")]
    {
        app.post(
            &format!("/api/asset_tree/{s}"),
            &json!({"name": category, "parent": "条目型资产", "department": department}),
        )
        .ok();
    }
    let mut demo_item = item("演示电脑");
    demo_item["assetTree"] = json!("演示分类");
    let demo_item = app.post(&format!("/api/post_asset/{liusn}"), &demo_item);
    let demo_item = demo_item.ok()["id"].as_i64().unwrap();
    let demo_asset = app.post(
        &format!("/api/post_asset/{liusn}"),
        &row("演示椅子", "liusn", "CST"),
    );
    let demo_asset = demo_asset.ok()["id"].as_i64().unwrap();
    let mut foreign_item = item("外企电脑");
    foreign_item["user"] = json!("wangwu");
    foreign_item["department"] = json!("销售部");
    foreign_item["assetTree"] = json!("外企分类");
    let foreign_item = app.post(&format!("/api/post_asset/{wangwu}"), &foreign_item);
    let foreign_item = foreign_item.ok()["id"].as_i64().unwrap();
    let demo = Company {
        entity: "示例企业",
        department: "CST",
        category: "演示分类",
        user: "zhangsan",
        user_id: user_id(&app, &sysadmin, "示例企业", "zhangsan"),
        asset_id: demo_asset,
        item_name: "演示电脑",
        item_id: demo_item,
    };
    let other = Company {
        entity: "另一企业",
        department: "销售部",
        category: "外企分类",
        user: "wangwu",
        user_id: user_id(&app, &admin2, "另一企业", "wangwu"),
        asset_id: foreign_asset,
        item_name: "外企电脑",
        item_id: foreign_item,
    };
    Setup {
        app,
        sysadmin,
        liusn,
        admin2,
        wangwu,
        demo,
        other,
    }
}

/// An answer's body with the values its message quotes (“…”, what the request itself sent: an
/// id, a name) blanked: what the answer tells beyond the request.
fn beyond_request(body: &Value) -> Value {
    let mut body = body.clone();
    if let Some(info) = body["info"].as_str() {
        let mut out = String::new();
        let mut rest = info;
        while let (Some(open), Some(close)) = (rest.find('“'), rest.find('”')) {
            if close < open {
                break;
            }
            out.push_str(&rest[..open]);
            out.push_str("“…”");
            rest = &rest[close + '”'.len_utf8()..];
        }
        out.push_str(rest);
        body["info"] = json!(out);
    }
    body
}

/// Asserts the answer about another company's thing equals the one about a missing thing
/// (but for the value each request sent, which the message quotes), and that it is what
/// `expected` says.
fn alike(what: &str, foreign: Answer, missing: Answer, expected: impl Fn(&Answer)) {
    assert_eq!(
        (foreign.status, beyond_request(&foreign.body)),
        (missing.status, beyond_request(&missing.body)),
        "{what}: another company's answers unlike a missing one"
    );
    expected(&foreign);
}

fn not_found(what: &'static str) -> impl Fn(&Answer) {
    move |a: &Answer| a.err(404, 7, &format!("{what}不存在"))
}

/// Refused with the row rule `message` (in the SPEC's words).
fn rejected(message: &'static str) -> impl Fn(&Answer) {
    move |a: &Answer| a.err_spec(400, 2, message)
}

fn empty_page(a: &Answer) {
    assert_eq!(a.ok(), &json!([]));
    assert_eq!(a.body["total"], 0);
}

/// Every probe an asset manager or system admin of `own` can make at `theirs`.
fn probe_assets(app: &App, s: &str, own: &Company, home: &str, owner: &str, theirs: &Company) {
    let both = |f: &dyn Fn(&Company) -> Answer| (f(theirs), f(&MISSING));

    let (f, m) = both(&|c| {
        app.put(
            &format!("/api/asset/{s}"),
            &json!({"id": c.asset_id, "name": "偷改"}),
        )
    });
    alike("PUT asset", f, m, not_found("资产"));
    let (f, m) = both(&|c| {
        app.put(
            &format!("/api/asset/{s}"),
            &json!({"id": c.item_id, "price": 0}),
        )
    });
    alike("PUT asset (item)", f, m, not_found("资产"));
    let (f, m) = both(&|c| app.put(&format!("/api/expire_asset/{s}"), &json!([c.asset_id])));
    alike("PUT expire_asset", f, m, not_found("资产"));
    // All or nothing: one foreign id stops the caller's own asset being retired too.
    let (f, m) = both(&|c| {
        app.put(
            &format!("/api/expire_asset/{s}"),
            &json!([own.asset_id, c.asset_id]),
        )
    });
    alike("PUT expire_asset (mixed)", f, m, not_found("资产"));
    // Own asset made a child of theirs: moving under their parent by id or name.
    let (f, m) = both(&|c| {
        app.put(
            &format!("/api/asset/{s}"),
            &json!({"id": own.asset_id, "parent": c.item_id}),
        )
    });
    alike("PUT asset parent", f, m, rejected("父资产不符合规范"));

    let post = |edit: &dyn Fn(&mut Value)| {
        let mut r = row("新资产", owner, home);
        edit(&mut r);
        app.post(&format!("/api/post_asset/{s}"), &r)
    };
    let (f, m) = both(&|c| post(&|r| r["department"] = json!(c.department)));
    alike("post_asset department", f, m, rejected("对应部门不存在"));
    let (f, m) = both(&|c| post(&|r| r["user"] = json!(c.user)));
    alike("post_asset user", f, m, rejected("未找到该资产挂账人"));
    let (f, m) = both(&|c| post(&|r| r["parent"] = json!(c.item_id)));
    alike("post_asset parent id", f, m, rejected("父资产不符合规范"));
    let (f, m) = both(&|c| post(&|r| r["parent"] = json!(c.item_id.to_string())));
    alike(
        "post_asset parent id text",
        f,
        m,
        rejected("父资产不符合规范"),
    );
    let (f, m) = both(&|c| post(&|r| r["parent"] = json!(c.item_name)));
    alike("post_asset parent name", f, m, rejected("父资产不符合规范"));
    let (f, m) = both(&|c| post(&|r| r["assetTree"] = json!(c.category)));
    alike("post_asset category", f, m, rejected("未找到指定层级分类"));

    let search = |body: Value| app.post(&format!("/api/search_assets/{s}"), &body);
    let (f, m) = both(&|c| search(json!({"page": 1, "id": c.asset_id})));
    alike("search id", f, m, empty_page);
    let (f, m) = both(&|c| search(json!({"page": 1, "name": c.item_name})));
    alike("search name", f, m, empty_page);
    let (f, m) = both(&|c| search(json!({"page": 1, "user": c.user})));
    alike("search user", f, m, empty_page);
    let (f, m) = both(&|c| search(json!({"page": 1, "department": c.department})));
    alike("search department", f, m, empty_page);
    let (f, m) = both(&|c| search(json!({"page": 1, "asset_tree_node": c.category})));
    alike("search category", f, m, empty_page);

    let (f, m) = both(&|c| app.get(&format!("/api/asset_tree_root/{s}/{}", enc(c.department))));
    alike("asset_tree_root", f, m, not_found("部门"));
    let (f, m) = both(&|c| {
        app.get(&format!(
            "/api/sub_asset_tree/{s}/{}/{}",
            enc(c.department),
            enc(c.category)
        ))
    });
    alike("sub_asset_tree", f, m, not_found("部门"));
    let (f, m) = both(&|c| {
        app.delete(&format!(
            "/api/sub_asset_tree/{s}/{}/{}",
            enc(c.department),
            enc(c.category)
        ))
    });
    alike("DELETE sub_asset_tree", f, m, not_found("部门"));
    let (f, m) = both(&|c| {
        app.post(
            &format!("/api/asset_tree/{s}"),
            &json!({"name": "偷建", "parent": "", "department": c.department}),
        )
    });
    alike("POST asset_tree", f, m, not_found("部门"));
    // Their category name in the caller's own department is simply unknown.
    let (f, m) = both(&|c| {
        app.get(&format!(
            "/api/sub_asset_tree/{s}/{}/{}",
            enc(own.department),
            enc(c.category)
        ))
    });
    alike("sub_asset_tree own department", f, m, not_found("分类"));
    let (f, m) = both(&|c| app.get(&format!("/api/all_departments/{s}/{}", enc(c.entity))));
    alike("all_departments", f, m, not_found("业务实体"));
}

/// The probes only a system admin can make.
fn probe_admin(app: &App, s: &str, theirs: &Company) {
    let both = |f: &dyn Fn(&Company) -> Answer| (f(theirs), f(&MISSING));
    let (f, m) = both(&|c| app.get(&format!("/api/user_entity/{s}/{}/1", enc(c.entity))));
    alike("user_entity", f, m, not_found("业务实体"));
    let (f, m) = both(&|c| {
        app.put(
            &format!("/api/user/{s}"),
            &json!({"id": c.user_id, "lock": true, "password": "stolen-pass"}),
        )
    });
    alike("PUT user", f, m, not_found("用户"));
    let (f, m) = both(&|c| {
        app.post(
            &format!("/api/user/{s}"),
            &json!({"name": "间谍", "password": "secret1", "department": c.department,
                    "character": 1}),
        )
    });
    alike("POST user department", f, m, not_found("部门"));
    let (f, m) = both(&|c| {
        app.post(
            &format!("/api/user/{s}"),
            &json!({"name": "间谍", "password": "secret1", "entity": c.entity,
                    "department": c.department, "character": 2}),
        )
    });
    alike("POST user entity", f, m, not_found("业务实体"));
    let (f, m) = both(&|c| app.delete(&format!("/api/department/{s}/{}", enc(c.department))));
    alike("DELETE department", f, m, not_found("部门"));
    let (f, m) = both(&|c| {
        app.post(
            &format!("/api/department/{s}"),
            &json!({"name": "偷建部门", "parent": c.department}),
        )
    });
    alike("POST department parent", f, m, not_found("上级部门"));
}

#[test]
fn demo_company_cannot_reach_the_other() {
    let t = setup();
    let app = &t.app;
    let before = app.digest();
    probe_assets(app, &t.sysadmin, &t.demo, "CST", "liusn", &t.other);
    probe_assets(app, &t.liusn, &t.demo, "CST", "liusn", &t.other);
    probe_admin(app, &t.sysadmin, &t.other);
    assert_eq!(app.digest(), before);
}

#[test]
fn other_company_cannot_reach_the_demo() {
    let t = setup();
    let app = &t.app;
    let before = app.digest();
    probe_assets(app, &t.admin2, &t.other, "销售部", "wangwu", &t.demo);
    probe_assets(app, &t.wangwu, &t.other, "销售部", "wangwu", &t.demo);
    probe_admin(app, &t.admin2, &t.demo);
    assert_eq!(app.digest(), before);
}

#[test]
fn each_company_sees_only_its_own() {
    let t = setup();
    let app = &t.app;
    let names = |s: &str| -> Vec<String> {
        app.assets(s)
            .iter()
            .map(|a| a["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&t.sysadmin), ["演示电脑", "演示椅子"]);
    assert_eq!(names(&t.liusn), ["演示电脑", "演示椅子"]);
    assert_eq!(names(&t.admin2), ["外企资产", "外企电脑"]);
    assert_eq!(names(&t.wangwu), ["外企资产", "外企电脑"]);

    // The same department name in both companies names two different departments.
    app.post(
        &format!("/api/department/{}", t.sysadmin),
        &json!({"name": "销售部", "parent": ""}),
    )
    .ok();
    app.post(
        &format!("/api/user/{}", t.sysadmin),
        &json!({"name": "xiaoshou", "password": "secret1", "department": "销售部",
                "character": 1}),
    )
    .ok();
    app.post(
        &format!("/api/post_asset/{}", t.sysadmin),
        &row("本企销售资产", "xiaoshou", "销售部"),
    )
    .ok();
    let found = app.post(
        &format!("/api/search_assets/{}", t.sysadmin),
        &json!({"page": 1, "department": "销售部"}),
    );
    assert_eq!(found.body["total"], 1);
    assert_eq!(found.ok()[0]["name"], "本企销售资产");
    let found = app.post(
        &format!("/api/search_assets/{}", t.admin2),
        &json!({"page": 1, "department": "销售部"}),
    );
    assert_eq!(found.body["total"], 2);
    let departments = app.get(&format!(
        "/api/all_departments/{}/{}",
        t.admin2,
        enc("另一企业")
    ));
    assert_eq!(departments.ok().as_array().unwrap().len(), 1);
    assert_eq!(departments.ok()[0]["users"], 1);
    let users = app.get(&format!(
        "/api/user_entity/{}/{}/1",
        t.admin2,
        enc("另一企业")
    ));
    assert_eq!(users.body["total"], 2);
}
