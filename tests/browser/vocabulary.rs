//! Issue 22 (10): what a user reads names a field as its column does, never by the API's key
//! (`[count]`), and says 您: in a dialog's error (whose field is still marked) and in the failed
//! rows' reasons and messages; the list, the search and the asset panel take the columns'
//! names from the column table. On a laptop and on a phone.

use crate::harness::{and, has, not, text_has, Scenario};
use serde_json::json;

#[rocket::async_test]
async fn messages_name_columns_and_say_nin() {
    let Some(s) = Scenario::as_user("liusn").await else {
        return;
    };
    let rows = json!([
        {"name": "好椅子", "assetClass": 0, "price": 10, "count": 3, "deadline": 5,
         "assetTree": "数量型资产", "department": "CST", "user": "liusn"},
        {"name": "数量写错的椅子", "assetClass": 0, "price": 10, "count": "三把", "deadline": 5,
         "assetTree": "数量型资产", "department": "CST", "user": "liusn"},
    ]);
    let task = super::import_json(&s, &rows).await;
    for (width, height) in [(1366, 800), (390, 844)] {
        s.resize(width, height).await;
        s.goto(&format!("/#task/{task}")).await;
        s.wait(has("#failed-table")).await;
        s.wait(and(
            text_has(
                "#failed-table .row-message",
                "缺少字段或类型错误：「资产数量」",
            ),
            not(text_has("#failed-table", "[count]")),
        ))
        .await;
        s.wait(text_has(".chip-group", "「资产数量」")).await;
        s.assert_fits_viewport(&format!("failed rows ({width})"))
            .await;

        // The list and the search name the columns as the files do.
        s.goto("/#assets").await;
        s.wait(and(
            text_has("#asset-table thead", "所属品类"),
            text_has("#asset-table thead", "资产名"),
        ))
        .await;
        s.wait(text_has("#search-form", "描述信息")).await;
        // The create dialog: an empty name is named 资产名, and its field is marked.
        s.click("#new-asset").await;
        s.wait(has("#asset-tree option")).await;
        s.click("#asset-save").await;
        s.wait(and(
            text_has("#asset-msg", "「资产名」"),
            has("#asset-name.field-error"),
        ))
        .await;
        s.wait(not(text_has("#asset-msg", "[name]"))).await;
        s.js("document.querySelector('#dialog').close();", vec![])
            .await;
    }
    // The API's 你 (its contract) reads 您 on the page.
    let shown = s
        .js_async(
            "const done = arguments[arguments.length - 1]; \
             import('/static/core.js').then((m) => done(m.readable('你无此权限')));",
            vec![],
        )
        .await;
    assert_eq!(shown, "您无此权限");
    s.end().await;
}
