//! Issue 22 (3): the rows of one reason run again in one step from the failed-rows editor (the
//! rows fixed by 全部替换, gathered under 已修改，待重新执行); the other reason's rows stay
//! failed; at desktop and phone sizes.

use super::harness::{and, count, has, not, text_has, Scenario};
use super::task_id;
use serde_json::{json, Value};

/// 4 rows of a department that does not exist, 2 with a count of 0.
fn rows() -> Value {
    let mut rows = Vec::new();
    for i in 0..6 {
        let (department, count) = if i < 4 { ("研发部", 1) } else { ("CST", 0) };
        rows.push(
            json!({"name": format!("重跑椅 {i}"), "assetClass": 0, "price": 99,
            "count": count, "deadline": 5, "assetTree": "数量型资产",
            "department": department, "user": "liusn"}),
        );
    }
    Value::Array(rows)
}

const CHANGED_CHIP: &str = ".chip-group[data-reason=\"已修改，待重新执行\"] > button";

async fn one_reason_runs_again(width: u32, height: u32) {
    let Some(s) = Scenario::as_user("liusn").await else {
        return;
    };
    s.resize(width, height).await;
    let task = task_id(s.post_api("asset", &rows().to_string()).await);
    s.goto(&format!("/#task/{task}")).await;
    s.wait(count("#failed-table tbody tr", 6)).await;
    // No reason chosen: only the re-run of every row is offered.
    s.wait(has("#rerun-reason[hidden]")).await;

    // The department fixed on every row: they gather under 已修改，待重新执行.
    s.choose("#replace-field", "department").await;
    s.type_into("#replace-from", "研发部").await;
    s.type_into("#replace-to", "CST").await;
    s.click("#replace-go").await;
    s.wait(has(CHANGED_CHIP)).await;
    s.click(CHANGED_CHIP).await;
    s.wait(and(
        count("#failed-table tbody tr", 4),
        text_has("#rerun-reason:not([hidden])", "重新执行此原因的 4 行"),
    ))
    .await;
    s.assert_fits_viewport(&format!("a reason chosen ({width})"))
        .await;
    s.click("#rerun-reason").await;

    // They run; the other reason's two rows are what is left.
    s.wait(and(
        count("#failed-table tbody tr", 2),
        has(".chip-group[data-reason=\"资产数量不可小于1\"]"),
    ))
    .await;
    s.wait(and(not(has(CHANGED_CHIP)), text_has("#rerun", "2 行")))
        .await;
    s.wait(text_has("#rerun-result", "4 行成功，2 行仍失败"))
        .await;
    s.end().await;
}

#[rocket::async_test]
async fn the_rows_of_one_reason_run_again_on_desktop() {
    one_reason_runs_again(1366, 800).await;
}

#[rocket::async_test]
async fn the_rows_of_one_reason_run_again_on_a_phone() {
    one_reason_runs_again(390, 844).await;
}
