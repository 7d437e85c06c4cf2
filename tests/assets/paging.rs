//! Paged lists (SPEC §3): default size 6, `size` up to 1000, pages and totals, the last partial
//! page, and pages out of range — on search, the user list and the staff's own list.

use crate::common;

use common::{row, Answer, App};
use serde_json::{json, Value};

use common::enc;

const OUT_OF_RANGE: &str = "请求的页码超出范围";
const BAD_SIZE: &str = "缺少字段或类型错误：[size]（每页条数须在1到1000之间）";

/// (pages, total, names on the page).
fn page(a: &Answer) -> (i64, i64, Vec<String>) {
    let names = a
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_owned())
        .collect();
    (
        a.body["pages"].as_i64().unwrap(),
        a.body["total"].as_i64().unwrap(),
        names,
    )
}

fn names(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("资产{i:02}")).collect()
}

/// 13 assets 资产01…资产13 owned by zhangsan.
fn thirteen() -> (App, String) {
    let app = App::new();
    let s = app.demo("liusn");
    for i in 1..=13 {
        app.post(
            &format!("/api/post_asset/{s}"),
            &row(&format!("资产{i:02}"), "zhangsan", "CST"),
        )
        .ok();
    }
    (app, s)
}

#[test]
fn search_pages() {
    let (app, s) = thirteen();
    let search = |body: Value| app.post(&format!("/api/search_assets/{s}"), &body);
    assert_eq!(page(&search(json!({"page": 1}))), (3, 13, names(1..7)));
    assert_eq!(page(&search(json!({"page": 2}))), (3, 13, names(7..13)));
    assert_eq!(page(&search(json!({"page": 3}))), (3, 13, names(13..14)));
    assert_eq!(page(&search(json!({"page": "2"}))), (3, 13, names(7..13)));
    assert_eq!(
        page(&search(json!({"page": 2, "size": 5}))),
        (3, 13, names(6..11))
    );
    assert_eq!(
        page(&search(json!({"page": 1, "size": "13"}))),
        (1, 13, names(1..14))
    );
    assert_eq!(
        page(&search(json!({"page": 1, "size": 1000}))),
        (1, 13, names(1..14))
    );
    assert_eq!(
        page(&search(json!({"page": 13, "size": 1}))),
        (13, 13, names(13..14))
    );
    search(json!({"page": 4})).err(400, 4, OUT_OF_RANGE);
    search(json!({"page": 14, "size": 1})).err(400, 4, OUT_OF_RANGE);
    search(json!({"page": 0})).err(400, 4, OUT_OF_RANGE);
    search(json!({"page": -1})).err(400, 4, OUT_OF_RANGE);
    search(json!({"page": 1, "size": 1001})).err(400, -2, BAD_SIZE);
    search(json!({"page": 1, "size": 0})).err(400, -2, BAD_SIZE);
    search(json!({"page": 1, "size": -6})).err(400, -2, BAD_SIZE);
    search(json!({"page": "一"})).err(400, -2, "缺少字段或类型错误：[page]");
    search(json!({"page": 1.5})).err(400, -2, "缺少字段或类型错误：[page]");
    // A filter shrinks the pages.
    assert_eq!(
        page(&search(json!({"page": 1, "name": "资产1"}))),
        (1, 4, names(10..14))
    );
    // An empty result is one empty page 1, not an error; page 2 is.
    let empty = search(json!({"page": 1, "name": "无此资产"}));
    assert_eq!(page(&empty), (0, 0, vec![]));
    search(json!({"page": 2, "name": "无此资产"})).err(400, 4, OUT_OF_RANGE);
}

#[test]
fn staff_list_pages() {
    let (app, _) = thirteen();
    let staff = app.demo("zhangsan");
    let list = |tail: &str| app.get(&format!("/api/asset_user_list/{staff}/{tail}"));
    assert_eq!(page(&list("1")), (3, 13, names(1..7)));
    assert_eq!(page(&list("3")), (3, 13, names(13..14)));
    assert_eq!(page(&list("2?size=10")), (2, 13, names(11..14)));
    assert_eq!(page(&list("1?size=1000")), (1, 13, names(1..14)));
    list("4").err(400, 4, OUT_OF_RANGE);
    list("0").err(400, 4, OUT_OF_RANGE);
    list("-1").err(400, 4, OUT_OF_RANGE);
    list("1?size=1001").err(400, -2, BAD_SIZE);
    list("1?size=0").err(400, -2, BAD_SIZE);

    let app = App::new();
    let staff = app.demo("zhangsan");
    let empty = app.get(&format!("/api/asset_user_list/{staff}/1"));
    assert_eq!(page(&empty), (0, 0, vec![]));
    app.get(&format!("/api/asset_user_list/{staff}/2"))
        .err(400, 4, OUT_OF_RANGE);
}

#[test]
fn user_list_pages() {
    let app = App::new();
    let s = app.demo("sysadmin");
    for i in 1..=5 {
        app.post(
            &format!("/api/user/{s}"),
            &json!({"name": format!("员工{i}"), "password": "secret1",
                    "department": "CST", "character": 1}),
        )
        .ok();
    }
    let list = |tail: &str| app.get(&format!("/api/user_entity/{s}/{}/{tail}", enc("示例企业")));
    let first = ["sysadmin", "liusn", "zhangsan", "员工1", "员工2", "员工3"].map(String::from);
    assert_eq!(page(&list("1")), (2, 8, first.to_vec()));
    assert_eq!(
        page(&list("2")),
        (2, 8, vec!["员工4".to_owned(), "员工5".to_owned()])
    );
    assert_eq!(
        page(&list("3?size=3")),
        (3, 8, vec!["员工4".to_owned(), "员工5".to_owned()])
    );
    assert_eq!(page(&list("1?size=1000")).2.len(), 8);
    list("3").err(400, 4, OUT_OF_RANGE);
    list("0").err(400, 4, OUT_OF_RANGE);
    list("1?size=1001").err(400, -2, BAD_SIZE);
}

/// Page and size in the path and query are the client's text: checked after the session, and a
/// bad one is named like any other field.
#[test]
fn page_and_size_text_in_paths() {
    let (app, _) = thirteen();
    let staff = app.demo("zhangsan");
    let list = |tail: &str| app.get(&format!("/api/asset_user_list/{staff}/{tail}"));
    list("abc").err(400, -2, "缺少字段或类型错误：[page]");
    list("1?size=abc").err(400, -2, BAD_SIZE);
    list("1?size=0").err(400, -2, BAD_SIZE);
    // An empty size is the default.
    assert_eq!(page(&list("1?size=")), (3, 13, names(1..7)));
    // The session comes first, whatever the page says.
    app.get("/api/asset_user_list/short/abc")
        .err(401, 2, "用户的会话标识符信息不正确");
    let admin = app.demo("sysadmin");
    app.get(&format!("/api/user_entity/{admin}/{}/x", enc("示例企业")))
        .err(400, -2, "缺少字段或类型错误：[page]");
    app.get(&format!("/api/user_entity/short/{}/x", enc("示例企业")))
        .err(401, 2, "用户的会话标识符信息不正确");
}
