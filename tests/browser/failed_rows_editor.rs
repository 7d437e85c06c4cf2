//! Issue 22 (2, 3): the failed-rows editor keeps what is typed (saved as a cell is left, kept
//! across a visit to 任务 and a drop of other rows), selects a page's rows at once, drops every
//! row of a reason (or of one bad value) in one step with its message and filter kept across
//! the reload, groups a reason's bad values inside it, and moves the counts after 全部替换 at
//! once; at desktop and phone sizes.

use super::harness::{and, count, expr, has, not, text_has, value_is, Scenario};
use super::{task_id, task_row};
use serde_json::{json, Value};

/// 6 rows whose count is “十”, 4 with an empty count, 3 with “两台”, 5 of a department that
/// does not exist, 2 good ones.
fn rows() -> Value {
    let mut rows = Vec::new();
    for (n, count) in [(6, json!("十")), (4, json!("")), (3, json!("两台"))] {
        for i in 0..n {
            rows.push(
                json!({"name": format!("数量椅 {i}"), "assetClass": 0, "price": 99,
                "count": count, "deadline": 5, "assetTree": "数量型资产", "department": "CST",
                "user": "liusn"}),
            );
        }
    }
    for i in 0..7 {
        let department = if i < 5 { "研发部" } else { "CST" };
        rows.push(
            json!({"name": format!("研发椅 {i}"), "assetClass": 0, "price": 99, "count": 1,
            "deadline": 5, "assetTree": "数量型资产", "department": department, "user": "liusn"}),
        );
    }
    Value::Array(rows)
}

const NAME0: &str = "#failed-table tr[data-row=\"0\"] [data-key=\"name\"]";
const DEPARTMENT_CHIP: &str =
    ".chip-group[data-reason=\"对应部门不存在（本企业没有部门）\"] > button";

async fn editor_keeps_edits_and_works_in_bulk(width: u32, height: u32, shot: &str) {
    let Some(s) = Scenario::as_user("liusn").await else {
        return;
    };
    s.resize(width, height).await;
    s.js("window.confirm = () => true;", vec![]).await;
    let task = task_id(s.post_api("asset", &rows().to_string()).await);
    s.goto("/#tasks").await;
    s.wait(super::harness::badge(&task_row(task), "部分成功"))
        .await;
    s.goto(&format!("/#task/{task}")).await;
    s.wait(count("#failed-table tbody tr", 18)).await;

    // One chip per reason, the bad values inside it.
    s.wait(and(
        has("#failed-summary .chip-group [data-value=\"十\"]"),
        has(DEPARTMENT_CHIP),
    ))
    .await;
    assert_eq!(
        s.eval("document.querySelectorAll('#failed-summary .chip-group').length")
            .await,
        json!(2)
    );
    let group = s.text("#failed-summary .chip-group").await;
    assert!(
        group.contains("资产数量不是整数")
            && group.contains("“十”（6）")
            && group.contains("“”（4）")
            && group.contains("“两台”（3）"),
        "{group}"
    );

    // A name typed and the cell left: saved; still there after 任务 and back.
    s.type_into(NAME0, "改好的名字").await;
    s.js("document.activeElement.blur()", vec![]).await;
    s.wait(has("#failed-table tr[data-row=\"0\"] .cell-saved"))
        .await;
    s.goto("/#tasks").await;
    s.goto(&format!("/#task/{task}")).await;
    s.wait(value_is(NAME0, "改好的名字")).await;

    // 放弃所选 on another row keeps it.
    s.type_into(NAME0, "再改的名字").await;
    s.click("#failed-table tr[data-row=\"1\"] .drop-pick").await;
    s.click("#drop-selected").await;
    s.wait(and(
        text_has("#failed-msg", "已放弃 1 行"),
        count("#failed-table tbody tr", 17),
    ))
    .await;
    s.wait(value_is(NAME0, "再改的名字")).await;

    // Select all on the page.
    s.click("#pick-all").await;
    s.wait(expr(
        "[...document.querySelectorAll('.drop-pick')].every((p) => p.checked)",
    ))
    .await;
    s.click("#pick-all").await;

    // Every row of one value of a reason at once: the message and the reason stay chosen.
    s.click("#failed-summary [data-value=\"两台\"]").await;
    s.wait(and(
        count("#failed-table tbody tr", 3),
        text_has("#drop-reason", "全部 3 行"),
    ))
    .await;
    s.click("#drop-reason").await;
    s.wait(and(
        text_has("#failed-msg", "的全部 3 行"),
        not(has("#failed-summary [data-value=\"两台\"]")),
    ))
    .await;
    s.wait(expr(
        "document.querySelector('#failed-summary .chip-group > button').classList.contains('chip-active')",
    ))
    .await;
    assert!(s.text("#failed-msg").await.contains("已放弃"));

    // A whole reason at once.
    s.click(DEPARTMENT_CHIP).await;
    s.wait(count("#failed-table tbody tr", 5)).await;
    s.screenshot(shot).await;
    s.click("#drop-reason").await;
    s.wait(and(
        text_has(
            "#failed-msg",
            "已放弃「对应部门不存在（本企业没有部门）」的全部 5 行",
        ),
        not(has(DEPARTMENT_CHIP)),
    ))
    .await;

    // 全部替换 moves the counts at once: “十” leaves the reason (the first row's, edited, too).
    s.click("#failed-summary [data-reason=\"\"]").await;
    s.choose("#replace-field", "count").await;
    s.type_into("#replace-from", "十").await;
    s.type_into("#replace-to", "10").await;
    s.click("#replace-go").await;
    s.wait(and(
        text_has(".msg-ok", "已在 5 行中"),
        not(has("#failed-summary [data-value=\"十\"]")),
    ))
    .await;
    s.wait(text_has("#failed-summary", "已修改，待重新执行"))
        .await;
    s.end().await;
}

#[rocket::async_test]
async fn failed_rows_editor_keeps_edits_and_drops_by_reason_on_desktop() {
    editor_keeps_edits_and_works_in_bulk(1366, 800, "failed-rows").await;
}

#[rocket::async_test]
async fn failed_rows_editor_keeps_edits_and_drops_by_reason_on_a_phone() {
    editor_keeps_edits_and_works_in_bulk(390, 844, "failed-rows-phone").await;
}
