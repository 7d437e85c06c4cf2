//! Issue 22 (1, 10): an import carries the asset's date (创建时间 / 购入日期, in each format),
//! names the columns it does not read on the task, and accepts common synonyms as headers.

use crate::common::App;
use crate::filekit::{build_xlsx, n, t, task_id, upload, upload_form};
use serde_json::Value;

fn asset_named(app: &App, s: &str, name: &str) -> Value {
    app.assets(s)
        .into_iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no asset {name}"))
}

#[test]
fn a_file_with_dates_in_each_format_imports_those_dates_and_names_unknown_columns() {
    let app = App::new();
    let s = app.demo("liusn");
    // 资产名称 and 分类 are synonyms; 保修期 is no column of the import.
    let csv = "资产名称,资产类型,原值,资产数量,使用期限,分类,挂账人,所属部门,创建时间,保修期\n\
               甲,数量型,100,1,10,数量型资产,liusn,CST,2020-03-05,3年\n\
               乙,数量型,100,1,10,数量型资产,liusn,CST,2019/7/1,\n\
               丙,数量型,100,1,10,数量型资产,liusn,CST,2999-01-01,\n\
               丁,数量型,100,1,10,数量型资产,liusn,CST,2020/2/30,\n";
    let task = app.wait_task(
        &s,
        task_id(upload(&app, &s, "?format=csv", csv.as_bytes()).ok()),
    );
    assert_eq!(task["number_succeed"], 2, "{task}");
    assert_eq!(task["unread_columns"], serde_json::json!(["保修期"]));
    assert_eq!(asset_named(&app, &s, "甲")["create_time"], "2020-03-05");
    assert_eq!(asset_named(&app, &s, "乙")["create_time"], "2019-07-01");
    // The date drives the depreciation: years left of 10 from 2019 are fewer than 10.
    assert!(asset_named(&app, &s, "乙")["expire_date"].as_i64().unwrap() < 10);
    let messages: Vec<String> = app
        .get(&format!("/failed_task/{s}/{}", task_id(&task)))
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["message"].as_str().unwrap().to_owned())
        .collect();
    assert!(messages[0].contains("创建时间“2999-01-01”"), "{messages:?}");
    assert!(messages[1].contains("创建时间“2020/2/30”"), "{messages:?}");

    // An XLSX: an Excel date cell (a serial with a date format reads as a number here) and
    // the alias 购入日期; no unknown column.
    let xlsx = build_xlsx(
        0,
        &[
            [
                "资产名",
                "资产类型",
                "资产价值",
                "资产数量",
                "使用期限",
                "所属品类",
                "挂账人",
                "所属部门",
                "购入日期",
            ]
            .map(t)
            .to_vec(),
            vec![
                t("戊"),
                t("数量型"),
                n(5.0),
                n(1.0),
                n(3.0),
                t("数量型资产"),
                t("liusn"),
                t("CST"),
                n(43_831.0),
            ],
        ],
    );
    let task = app.wait_task(&s, task_id(upload(&app, &s, "?format=xlsx", &xlsx).ok()));
    assert_eq!(task["number_succeed"], 1, "{task}");
    assert_eq!(task["unread_columns"], serde_json::json!([]));
    // 43831 is 2020-01-01.
    assert_eq!(asset_named(&app, &s, "戊")["create_time"], "2020-01-01");

    // JSON rows carry it in the same field.
    let rows = serde_json::json!([{"name": "己", "assetClass": 0, "user": "liusn", "price": 1,
        "count": 1, "assetTree": "数量型资产", "department": "CST", "deadline": 5,
        "create_time": "2018/1/2"}]);
    assert_eq!(app.import(&s, &rows)["number_succeed"], 1);
    assert_eq!(asset_named(&app, &s, "己")["create_time"], "2018-01-02");
    let _ = upload_form;
}
