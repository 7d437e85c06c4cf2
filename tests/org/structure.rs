//! Entities, users, departments and category trees through HTTP: SPEC §4, §5 (categories), §6.

use crate::common;

use common::{item, row, App, ADMIN_PASSWORD};
use serde_json::{json, Value};

use common::enc;

const DEMO: &str = "示例企业";

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_owned())
        .collect()
}

/// A category node as `name(class)[children…]`, so a whole tree compares in one line.
fn tree(node: &Value) -> String {
    let class = match node["class"].as_i64() {
        Some(c) => c.to_string(),
        None => "*".into(),
    };
    let children: Vec<String> = node["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(tree)
        .collect();
    if children.is_empty() {
        format!("{}({class})", node["name"].as_str().unwrap())
    } else {
        format!(
            "{}({class})[{}]",
            node["name"].as_str().unwrap(),
            children.join(",")
        )
    }
}

#[test]
fn super_admin_creates_entities_and_their_system_admins() {
    let app = App::new();
    let root = app.login("admin", ADMIN_PASSWORD);
    let id = app
        .post(&format!("/api/entity/{root}"), &json!({"name": "新企业"}))
        .ok()["id"]
        .as_i64()
        .unwrap();
    assert!(id > 0);
    let before = app.digest();
    app.post(&format!("/api/entity/{root}"), &json!({"name": "新企业"}))
        .err(400, 5, "业务实体名称已存在");
    app.post(&format!("/api/entity/{root}"), &json!({"name": ""}))
        .err(400, -2, "字段长度不合法：[name]");
    app.post(&format!("/api/entity/{root}"), &json!({"name": "  "}))
        .err(400, -2, "字段长度不合法：[name]");
    // Only system admins: a super admin makes no managers or staff.
    app.post(
        &format!("/api/user/{root}"),
        &json!({"name": "经理", "password": "secret1", "entity": "新企业",
                "department": "", "character": 2}),
    )
    .err(403, 1, "你无此权限");
    app.post(
        &format!("/api/user/{root}"),
        &json!({"name": "管理员", "password": "secret1", "entity": "无此企业",
                "department": "", "character": 3}),
    )
    .err(404, 7, "业务实体不存在");
    app.post(
        &format!("/api/user/{root}"),
        &json!({"name": "管理员", "password": "secret1", "entity": "新企业",
                "department": "", "character": 9}),
    )
    .err(400, -2, "缺少字段或类型错误：[character]");
    assert_eq!(app.digest(), before);

    app.post(
        &format!("/api/user/{root}"),
        &json!({"name": "新管理员", "password": "secret1", "entity": "新企业",
                "department": "", "character": 3, "lock": false}),
    )
    .ok();
    let s = app.login("新管理员", "secret1");
    assert_eq!(
        app.get(&format!("/api/character/{s}")).ok(),
        &json!({"character": 3, "name": "新管理员", "entity": "新企业", "department": null,
                "departments": []})
    );
    assert_eq!(
        app.get(&format!("/api/all_departments/{s}/{}", enc("新企业")))
            .ok(),
        &json!([])
    );
    let entities = app.get(&format!("/api/entity/{root}"));
    let entities = entities.ok().clone();
    assert_eq!(names(&entities), [DEMO, "新企业"]);
    assert_eq!(entities[1]["users"], 1);
    assert_eq!(entities[1]["departments"], 0);
    let users = app.get(&format!("/api/user_entity/{root}/{}/1", enc("新企业")));
    assert_eq!(
        users.ok(),
        &json!([{"id": users.ok()[0]["id"], "name": "新管理员", "email": null,
                 "character": 3, "lock": false, "entity": "新企业", "department": ""}])
    );
}

#[test]
fn system_admin_creates_managers_and_staff() {
    let app = App::new();
    let s = app.demo("sysadmin");
    let user = |name: &str, character: i64, department: &str| {
        json!({"name": name, "password": "secret1", "entity": DEMO,
               "department": department, "character": character, "lock": false})
    };
    app.post(&format!("/api/user/{s}"), &user("wangwu", 2, "软件组"))
        .ok();
    let mut staff = user("zhaoliu", 1, "CST");
    staff["email"] = json!("zhaoliu@example.com");
    app.post(&format!("/api/user/{s}"), &staff).ok();

    let manager = app.login("wangwu", "secret1");
    assert_eq!(
        app.get(&format!("/api/character/{manager}")).ok()["character"],
        2
    );
    let listed = app.get(&format!("/api/user_entity/{s}/{}/1?size=10", enc(DEMO)));
    let listed = listed.ok().clone();
    assert_eq!(
        names(&listed),
        ["sysadmin", "liusn", "zhangsan", "wangwu", "zhaoliu"]
    );
    assert_eq!(listed[3]["department"], "软件组");
    assert_eq!(listed[3]["character"], 2);
    assert_eq!(listed[4]["email"], "zhaoliu@example.com");

    let before = app.digest();
    app.post(&format!("/api/user/{s}"), &user("wangwu", 1, "CST"))
        .err(400, 5, "用户名已存在");
    // Names are unique across the whole system: the super admin's too.
    app.post(&format!("/api/user/{s}"), &user("admin", 1, "CST"))
        .err(400, 5, "用户名已存在");
    let mut same_email = user("sunqi", 1, "CST");
    same_email["email"] = json!("zhaoliu@example.com");
    app.post(&format!("/api/user/{s}"), &same_email)
        .err(400, 5, "邮箱已被使用");
    let mut bad_email = user("sunqi", 1, "CST");
    bad_email["email"] = json!("not-an-email");
    app.post(&format!("/api/user/{s}"), &bad_email)
        .err(400, -2, "字段长度不合法：[email]");
    app.post(&format!("/api/user/{s}"), &user("sunqi", 3, ""))
        .err(403, 1, "你无此权限");
    app.post(&format!("/api/user/{s}"), &user("sunqi", 1, "无此部门"))
        .err(404, 7, "部门不存在");
    app.post(&format!("/api/user/{s}"), &user("", 1, "CST"))
        .err(400, -2, "字段长度不合法：[name]");
    let mut weak = user("sunqi", 1, "CST");
    weak["password"] = json!("12345");
    app.post(&format!("/api/user/{s}"), &weak).err(
        400,
        -2,
        "字段长度不合法：[password]（密码长度须在6到128之间）",
    );
    assert_eq!(app.digest(), before);

    // A user created locked cannot log in.
    let mut locked = user("sunqi", 1, "CST");
    locked["lock"] = json!(true);
    app.post(&format!("/api/user/{s}"), &locked).ok();
    app.post(
        "/api/login",
        &json!({"identity": "sunqi", "password": "secret1"}),
    )
    .err(403, 4, "你已被锁定，无法进行该操作");
}

#[test]
fn departments_create_list_and_delete_only_when_empty() {
    let app = App::new();
    let s = app.demo("sysadmin");
    let create = |name: &str, parent: &str| {
        app.post(
            &format!("/api/department/{s}"),
            &json!({"name": name, "parent": parent}),
        )
    };
    create("财务部", "").ok();
    create("会计组", "财务部").ok();
    let before = app.digest();
    create("财务部", "").err(400, 5, "部门名称已存在");
    create("CST", "财务部").err(400, 5, "部门名称已存在");
    create("出纳组", "无此部门").err(404, 7, "上级部门不存在");
    create("", "").err(400, -2, "字段长度不合法：[name]");
    create(&"长".repeat(129), "").err(400, -2, "字段长度不合法：[name]");
    assert_eq!(app.digest(), before);

    let list = app.get(&format!("/api/all_departments/{s}/{}", enc(DEMO)));
    let list = list.ok().clone();
    assert_eq!(names(&list), ["CST", "软件组", "财务部", "会计组"]);
    assert_eq!(list[0]["users"], 2);
    assert_eq!(list[3]["parent"], "财务部");
    // An asset manager sees its entity's departments too.
    let manager = app.demo("liusn");
    assert_eq!(
        app.get(&format!("/api/all_departments/{manager}/{}", enc(DEMO)))
            .ok(),
        &list
    );

    let delete = |name: &str| app.delete(&format!("/api/department/{s}/{}", enc(name)));
    let before = app.digest();
    delete("财务部").err(400, 20, "该部门下还有子部门，无法删除");
    delete("CST").err(400, 20, "该部门下还有子部门，无法删除");
    delete("无此部门").err(404, 7, "部门不存在");
    assert_eq!(app.digest(), before);

    app.post(
        &format!("/api/user/{s}"),
        &json!({"name": "kuaiji", "password": "secret1", "department": "会计组", "character": 1}),
    )
    .ok();
    delete("会计组").err(400, 20, "该部门下还有用户，无法删除");
    app.post(
        &format!("/api/post_asset/{s}"),
        &row("账本", "kuaiji", "会计组"),
    )
    .ok();
    // Every asset's owner works in the asset's department, so users block first.
    delete("会计组").err(400, 20, "该部门下还有用户，无法删除");

    delete("软件组").ok();
    let list = app.get(&format!("/api/all_departments/{s}/{}", enc(DEMO)));
    assert_eq!(names(list.ok()), ["CST", "财务部", "会计组"]);
    // Its name is free again, with a fresh category tree.
    create("软件组", "CST").ok();
    let root = app.get(&format!("/api/asset_tree_root/{s}/{}", enc("软件组")));
    assert_eq!(tree(root.ok()), "默认分类(*)[数量型资产(0),条目型资产(1)]");
}

#[test]
fn department_view_counts_users_and_assets() {
    let app = App::new();
    let s = app.demo("sysadmin");
    app.post(
        &format!("/api/department/{s}"),
        &json!({"name": "仓库", "parent": ""}),
    )
    .ok();
    app.post(
        &format!("/api/user/{s}"),
        &json!({"name": "keeper", "password": "secret1", "department": "仓库", "character": 1}),
    )
    .ok();
    app.post(
        &format!("/api/post_asset/{s}"),
        &row("货架", "keeper", "仓库"),
    )
    .ok();
    app.post(
        &format!("/api/post_asset/{s}"),
        &row("推车", "keeper", "仓库"),
    )
    .ok();
    let list = app.get(&format!("/api/all_departments/{s}/{}", enc(DEMO)));
    let warehouse = list.ok().as_array().unwrap()[2].clone();
    assert_eq!(
        warehouse,
        json!({"id": warehouse["id"], "name": "仓库", "parent": "", "users": 1, "assets": 2})
    );
}

#[test]
fn category_trees() {
    let app = App::new();
    let s = app.demo("liusn");
    let root = app.get(&format!("/api/asset_tree_root/{s}/CST"));
    let root = root.ok().clone();
    assert_eq!(tree(&root), "默认分类(*)[数量型资产(0),条目型资产(1)]");
    assert_eq!(root["fixed"], true);
    assert!(root["children"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["fixed"] == true));

    let create = |name: &str, parent: &str, department: &str| {
        app.post(
            &format!("/api/asset_tree/{s}"),
            &json!({"name": name, "parent": parent, "department": department}),
        )
    };
    create("桌椅", "数量型资产", "CST").ok();
    create("办公椅", "桌椅", "CST").ok();
    create("电子设备", "条目型资产", "CST").ok();
    create("杂项", "", "CST").ok();
    // The manager's subtree includes 软件组.
    create("服务器", "条目型资产", "软件组").ok();
    // Names are per department.
    create("桌椅", "数量型资产", "软件组").ok();

    let root = app.get(&format!("/api/asset_tree_root/{s}/CST"));
    assert_eq!(
        tree(root.ok()),
        "默认分类(*)[数量型资产(0)[桌椅(0)[办公椅(0)]],条目型资产(1)[电子设备(1)],杂项(*)]"
    );
    let sub = app.get(&format!(
        "/api/sub_asset_tree/{s}/CST/{}",
        enc("数量型资产")
    ));
    assert_eq!(tree(sub.ok()), "数量型资产(0)[桌椅(0)[办公椅(0)]]");
    assert_eq!(sub.ok()["fixed"], true);
    assert_eq!(sub.ok()["children"][0]["fixed"], false);

    // A node below 数量型资产 takes only quantity assets; below the root, both.
    let mut chair = row("椅子", "liusn", "CST");
    chair["assetTree"] = json!("办公椅");
    app.post(&format!("/api/post_asset/{s}"), &chair).ok();
    let mut wrong = item("电脑");
    wrong["assetTree"] = json!("办公椅");
    app.post(&format!("/api/post_asset/{s}"), &wrong)
        .err(400, 2, "资产类别与层级分类不匹配");
    let mut misc = item("电脑");
    misc["assetTree"] = json!("杂项");
    app.post(&format!("/api/post_asset/{s}"), &misc).ok();

    let before = app.digest();
    create("桌椅", "", "CST").err(400, 5, "分类名称已存在");
    create("默认分类", "", "CST").err(400, 5, "分类名称已存在");
    create("新分类", "无此分类", "CST").err(404, 7, "上级分类不存在");
    create("新分类", "", "无此部门").err(404, 7, "部门不存在");
    create("", "", "CST").err(400, -2, "字段长度不合法：[name]");
    let delete = |department: &str, node: &str| {
        app.delete(&format!(
            "/api/sub_asset_tree/{s}/{}/{}",
            enc(department),
            enc(node)
        ))
    };
    for fixed in ["默认分类", "数量型资产", "条目型资产"] {
        delete("CST", fixed).err(400, 20, "不能删除默认的层级分类");
    }
    delete("CST", "桌椅").err(400, 20, "只能删除没有子分类的层级分类");
    delete("CST", "办公椅").err(400, 20, "该分类下还有资产，无法删除");
    delete("CST", "无此分类").err(404, 7, "分类不存在");
    app.get(&format!("/api/sub_asset_tree/{s}/CST/{}", enc("无此分类")))
        .err(404, 7, "分类不存在");
    assert_eq!(app.digest(), before);

    delete("CST", "电子设备").ok();
    delete("软件组", "桌椅").ok();
    let root = app.get(&format!("/api/asset_tree_root/{s}/CST"));
    assert_eq!(
        tree(root.ok()),
        "默认分类(*)[数量型资产(0)[桌椅(0)[办公椅(0)]],条目型资产(1),杂项(*)]"
    );
    let sub = app.get(&format!("/api/asset_tree_root/{s}/{}", enc("软件组")));
    assert_eq!(
        tree(sub.ok()),
        "默认分类(*)[数量型资产(0),条目型资产(1)[服务器(1)]]"
    );
}

#[test]
fn a_manager_reaches_only_its_own_department_subtree() {
    let app = App::new();
    let sysadmin = app.demo("sysadmin");
    app.post(
        &format!("/api/department/{sysadmin}"),
        &json!({"name": "财务部", "parent": ""}),
    )
    .ok();
    // The system admin manages every department's categories.
    app.post(
        &format!("/api/asset_tree/{sysadmin}"),
        &json!({"name": "账册", "parent": "", "department": "财务部"}),
    )
    .ok();
    let s = app.demo("liusn");
    let before = app.digest();
    app.get(&format!("/api/asset_tree_root/{s}/{}", enc("财务部")))
        .err(404, 7, "部门不存在");
    app.get(&format!(
        "/api/sub_asset_tree/{s}/{}/{}",
        enc("财务部"),
        enc("账册")
    ))
    .err(404, 7, "部门不存在");
    app.delete(&format!(
        "/api/sub_asset_tree/{s}/{}/{}",
        enc("财务部"),
        enc("账册")
    ))
    .err(404, 7, "部门不存在");
    app.post(
        &format!("/api/asset_tree/{s}"),
        &json!({"name": "新分类", "parent": "", "department": "财务部"}),
    )
    .err(404, 7, "部门不存在");
    assert_eq!(app.digest(), before);
}
