//! Malformed requests (SPEC §3): bodies that are not JSON of the expected shape answer code -2
//! naming the field and change nothing; unknown paths and methods answer the JSON envelope.

use crate::common;

use common::{row, Answer, App, ADMIN_PASSWORD};
use rocket::http::{ContentType, Method, Status};
use serde_json::json;

const NOT_JSON: &str = "请求体不是合法的JSON";

fn field(name: &str) -> String {
    format!("缺少字段或类型错误：[{name}]")
}

/// A string past every length rule (5,000 characters, 15 KB) that still fits the small-body
/// limit of 64 KiB: bodies past that limit are refused as too large (requests.rs).
fn huge() -> String {
    "长".repeat(5000)
}

/// Sends a raw body with a method.
fn send(app: &App, method: Method, path: &str, body: &str) -> Answer {
    match method {
        Method::Post => app.post_raw(path, body),
        Method::Put => app.put_raw(path, body),
        _ => unreachable!(),
    }
}

/// Every body-taking endpoint with the caller who may use it and one valid body.
fn endpoints(app: &App) -> Vec<(Method, String, String)> {
    let admin = app.demo("sysadmin");
    let manager = app.demo("liusn");
    let root = app.login("admin", ADMIN_PASSWORD);
    vec![
        (
            Method::Post,
            "/api/login".into(),
            json!({"identity": "sysadmin", "password": "demo123"}).to_string(),
        ),
        (
            Method::Put,
            "/api/logout".into(),
            json!({ "session": app.demo("zhangsan") }).to_string(),
        ),
        (
            Method::Put,
            format!("/api/user_password/{manager}"),
            json!({"oldpassword": "demo123", "newpassword": "demo123"}).to_string(),
        ),
        (
            Method::Post,
            format!("/api/entity/{root}"),
            json!({"name": "新企业"}).to_string(),
        ),
        (
            Method::Post,
            format!("/api/user/{admin}"),
            json!({"name": "lisi", "password": "secret1", "department": "CST", "character": 1})
                .to_string(),
        ),
        (
            Method::Put,
            format!("/api/user/{admin}"),
            json!({"id": 3, "lock": false}).to_string(),
        ),
        (
            Method::Post,
            format!("/api/department/{admin}"),
            json!({"name": "新部门", "parent": ""}).to_string(),
        ),
        (
            Method::Post,
            format!("/api/asset_tree/{manager}"),
            json!({"name": "新分类", "parent": "", "department": "CST"}).to_string(),
        ),
        (
            Method::Post,
            format!("/api/post_asset/{manager}"),
            row("椅子", "liusn", "CST").to_string(),
        ),
        (
            Method::Put,
            format!("/api/asset/{manager}"),
            json!({"id": 1, "name": "桌子"}).to_string(),
        ),
        (
            Method::Put,
            format!("/api/expire_asset/{manager}"),
            json!([1]).to_string(),
        ),
        (
            Method::Post,
            format!("/api/search_assets/{manager}"),
            json!({"page": 1}).to_string(),
        ),
    ]
}

#[test]
fn bodies_that_are_not_json_are_refused_everywhere() {
    let app = App::new();
    let calls = endpoints(&app);
    let before = app.digest();
    let valid_then_junk = |valid: &str| format!("{valid} x");
    for (method, path, valid) in &calls {
        let truncated = &valid[..valid.len() - 1];
        let over_long = format!("{{\"name\": \"{}", huge());
        for body in [
            "",
            "hello",
            "{",
            truncated,
            &valid_then_junk(valid),
            "{'name': 'x'}",
            "{\"name\": \"x\",}",
            &over_long,
        ] {
            let a = send(&app, *method, path, body);
            // An endpoint taking a list sees an object's `{` as the wrong type before it
            // sees the broken syntax.
            let info = if valid.starts_with('[') && body.starts_with('{') {
                field("body")
            } else {
                NOT_JSON.to_owned()
            };
            assert_eq!(
                (a.status.code, a.code(), a.info()),
                (400, -2, info.as_str()),
                "{method} {path} with {:.40}",
                body
            );
        }
        // A body in another encoding is not JSON either.
        let latin1: Vec<u8> = vec![b'{', b'"', 0xE9, b'"', b':', b'1', b'}'];
        let a = match method {
            Method::Post => app.post_raw(path, latin1),
            _ => app.put_raw(path, latin1),
        };
        assert_eq!((a.status.code, a.code()), (400, -2), "{method} {path}");
    }
    assert_eq!(app.digest(), before);
}

#[test]
fn wrong_shapes_name_the_field() {
    let app = App::new();
    let admin = app.demo("sysadmin");
    let manager = app.demo("liusn");
    let root = app.login("admin", ADMIN_PASSWORD);
    let before = app.digest();
    let cases: Vec<(Method, String, serde_json::Value, String)> = vec![
        (
            Method::Post,
            "/api/login".into(),
            json!({}),
            field("identity"),
        ),
        (
            Method::Post,
            "/api/login".into(),
            json!({"identity": "sysadmin"}),
            field("password"),
        ),
        (
            Method::Post,
            "/api/login".into(),
            json!({"identity": 5, "password": "demo123"}),
            field("identity"),
        ),
        (Method::Post, "/api/login".into(), json!([]), field("body")),
        (
            Method::Post,
            "/api/login".into(),
            json!(null),
            field("body"),
        ),
        (
            Method::Post,
            "/api/login".into(),
            json!("sysadmin"),
            field("body"),
        ),
        (
            Method::Put,
            "/api/logout".into(),
            json!({}),
            field("session"),
        ),
        (
            Method::Put,
            "/api/logout".into(),
            json!({"session": 12}),
            field("session"),
        ),
        (
            Method::Put,
            format!("/api/user_password/{manager}"),
            json!({"oldpassword": 1, "newpassword": "secret1"}),
            field("oldpassword"),
        ),
        (
            Method::Post,
            format!("/api/entity/{root}"),
            json!({}),
            field("name"),
        ),
        (
            Method::Post,
            format!("/api/entity/{root}"),
            json!({"name": ["新企业"]}),
            field("name"),
        ),
        (
            Method::Post,
            format!("/api/user/{admin}"),
            json!({"password": "secret1", "department": "CST", "character": 1}),
            field("name"),
        ),
        (
            Method::Post,
            format!("/api/user/{admin}"),
            json!({"name": "lisi", "password": "secret1", "department": "CST"}),
            field("character"),
        ),
        (
            Method::Post,
            format!("/api/user/{admin}"),
            json!({"name": "lisi", "password": "secret1", "department": "CST",
                   "character": 1, "lock": "no"}),
            field("lock"),
        ),
        (
            Method::Put,
            format!("/api/user/{admin}"),
            json!({"lock": true}),
            field("id"),
        ),
        (
            Method::Put,
            format!("/api/user/{admin}"),
            json!({"id": "三", "lock": true}),
            field("id"),
        ),
        (
            Method::Put,
            format!("/api/user/{admin}"),
            json!({"id": 3, "lock": "yes"}),
            field("lock"),
        ),
        (
            Method::Post,
            format!("/api/department/{admin}"),
            json!({"parent": ""}),
            field("name"),
        ),
        (
            Method::Post,
            format!("/api/department/{admin}"),
            json!({"name": "新部门", "parent": 1}),
            field("parent"),
        ),
        (
            Method::Post,
            format!("/api/department/{admin}"),
            json!([]),
            field("body"),
        ),
        (
            Method::Post,
            format!("/api/asset_tree/{manager}"),
            json!({"name": "新分类", "department": "CST"}),
            field("parent"),
        ),
        (
            Method::Post,
            format!("/api/asset_tree/{manager}"),
            json!({"name": "新分类", "parent": ""}),
            field("department"),
        ),
        (
            Method::Post,
            format!("/api/post_asset/{manager}"),
            json!([row("椅子", "liusn", "CST")]),
            field("body"),
        ),
        (
            Method::Post,
            format!("/api/post_asset/{manager}"),
            json!("椅子"),
            field("body"),
        ),
        (
            Method::Put,
            format!("/api/asset/{manager}"),
            json!([1]),
            field("body"),
        ),
        (
            Method::Put,
            format!("/api/expire_asset/{manager}"),
            json!({"ids": [1]}),
            field("body"),
        ),
        (
            Method::Put,
            format!("/api/expire_asset/{manager}"),
            json!(["一"]),
            field("body[0]"),
        ),
        (
            Method::Post,
            format!("/api/search_assets/{manager}"),
            json!({"page": "x"}),
            field("page"),
        ),
        (
            Method::Post,
            format!("/api/search_assets/{manager}"),
            json!({"page": 1, "name": 5}),
            field("name"),
        ),
        (
            Method::Post,
            format!("/api/search_assets/{manager}"),
            json!({"page": 1, "price_inf": "便宜"}),
            field("price_inf"),
        ),
        (
            Method::Post,
            format!("/api/search_assets/{manager}"),
            json!({"page": 1, "expire": true}),
            field("expire"),
        ),
    ];
    for (method, path, body, info) in &cases {
        let a = send(&app, *method, path, &body.to_string());
        assert_eq!(
            (a.status.code, a.code(), a.info()),
            (400, -2, info.as_str()),
            "{method} {path} with {body}"
        );
    }
    assert_eq!(app.digest(), before);
}

#[test]
fn huge_strings_are_refused_by_their_length() {
    let app = App::new();
    let admin = app.demo("sysadmin");
    let manager = app.demo("liusn");
    let root = app.login("admin", ADMIN_PASSWORD);
    let big = huge();
    let before = app.digest();
    app.post(&format!("/api/entity/{root}"), &json!({ "name": big }))
        .err(400, -2, "字段长度不合法：[name]");
    app.post(
        &format!("/api/user/{admin}"),
        &json!({"name": big, "password": "secret1", "department": "CST", "character": 1}),
    )
    .err(400, -2, "字段长度不合法：[name]");
    app.post(
        &format!("/api/user/{admin}"),
        &json!({"name": "lisi", "password": big, "department": "CST", "character": 1}),
    )
    .err(
        400,
        -2,
        "字段长度不合法：[password]（密码长度须在6到128之间）",
    );
    app.post(
        &format!("/api/department/{admin}"),
        &json!({"name": big, "parent": ""}),
    )
    .err(400, -2, "字段长度不合法：[name]");
    app.post(
        &format!("/api/asset_tree/{manager}"),
        &json!({"name": big, "parent": "", "department": "CST"}),
    )
    .err(400, -2, "字段长度不合法：[name]");
    app.put(
        &format!("/api/user_password/{manager}"),
        &json!({"oldpassword": "demo123", "newpassword": big}),
    )
    .err(
        400,
        -2,
        "字段长度不合法：[password]（密码长度须在6到128之间）",
    );
    // A single asset breaks the row rules (SPEC §7 table), answered like a rejected row.
    let mut r = row(&big, "liusn", "CST");
    r["description"] = json!(big);
    r["position"] = json!(big);
    app.post(&format!("/api/post_asset/{manager}"), &r)
        .err_spec(
            400,
            2,
            "字段长度不合法：[name]；字段长度不合法：[position]；字段长度不合法：[description]",
        );
    // Unknown names, however long, are simply not found.
    let found = app.post(
        &format!("/api/search_assets/{manager}"),
        &json!({"page": 1, "name": big}),
    );
    assert_eq!(found.ok(), &json!([]));
    app.post("/api/login", &json!({"identity": big, "password": big}))
        .err(400, 2, "用户名或密码错误");
    assert_eq!(app.digest(), before);
}

#[test]
fn a_body_over_the_limit_is_refused() {
    let app = App::with(&[("limits", json!({"json": "64 KiB", "bulk": "64 KiB"}))]);
    let s = app.demo("liusn");
    let before = app.digest();
    let mut r = row("椅子", "liusn", "CST");
    r["description"] = json!("x".repeat(100 * 1024));
    app.post(&format!("/api/post_asset/{s}"), &r)
        .err(413, -2, "请求体超过大小限制");
    app.post(&format!("/api/asset/{s}"), &json!(vec![r; 2]))
        .err(413, -2, "请求体超过大小限制");
    assert_eq!(app.digest(), before);
    // Under the limit it still works.
    app.post(
        &format!("/api/post_asset/{s}"),
        &row("椅子", "liusn", "CST"),
    )
    .ok();
}

/// Arrays where objects belong: a struct must not be filled from a list by position.
#[test]
fn arrays_instead_of_objects_are_refused() {
    let app = App::new();
    let admin = app.demo("sysadmin");
    let manager = app.demo("liusn");
    let before = app.digest();
    app.post("/api/login", &json!(["sysadmin", "demo123"]))
        .err(400, -2, &field("body"));
    app.post(&format!("/api/department/{admin}"), &json!(["新部门", ""]))
        .err(400, -2, &field("body"));
    app.post(
        &format!("/api/asset_tree/{manager}"),
        &json!(["新分类", "", "CST"]),
    )
    .err(400, -2, &field("body"));
    app.post(&format!("/api/search_assets/{manager}"), &json!([]))
        .err(400, -2, &field("body"));
    assert_eq!(app.digest(), before);
}

#[test]
fn unknown_paths_and_methods_answer_the_envelope() {
    let app = App::new();
    let s = app.demo("sysadmin");
    let before = app.digest();
    let cases: Vec<(Method, String)> = vec![
        (Method::Get, "/api/nope".into()),
        (Method::Get, "/nope".into()),
        (Method::Get, "/api".into()),
        (Method::Get, "/static/nope.js".into()),
        (Method::Get, "/api/login".into()),
        (Method::Delete, "/api/login".into()),
        (Method::Post, format!("/api/character/{s}")),
        (Method::Get, format!("/api/post_asset/{s}")),
        (Method::Delete, format!("/api/asset/{s}")),
        (Method::Put, format!("/api/search_assets/{s}")),
        (Method::Post, format!("/api/department/{s}/CST")),
        (Method::Get, format!("/api/user_entity/{s}")),
        (Method::Get, format!("/api/character/{s}/extra")),
        (Method::Patch, format!("/api/asset/{s}")),
        (Method::Get, "/api/character".into()),
    ];
    for (method, path) in &cases {
        let res = app
            .client
            .req(*method, path.as_str())
            .header(ContentType::JSON)
            .body("{}")
            .dispatch();
        let status = res.status();
        let content_type = res.content_type();
        let text = res.into_string().unwrap_or_default();
        assert_eq!(status, Status::NotFound, "{method} {path}: {text}");
        assert_eq!(content_type, Some(ContentType::JSON), "{method} {path}");
        let body: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            body,
            json!({"code": -3, "info": "请求的接口不存在"}),
            "{method} {path}"
        );
    }
    assert_eq!(app.digest(), before);
}
