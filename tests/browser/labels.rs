//! Issue 24 (7): an asset manager prints labels from the asset list: of two selected rows on
//! A4 2×7 from the third place of a sheet partly used, and of a whole search on a label
//! printer's roll. Each lands on its task page: the tag 标签, the layout line, 下载标签PDF (a
//! real PDF). A start place out of range and a search that finds nothing are refused in the
//! dialog; ids that are no assets are listed as an export's are. On a laptop and on a phone.

use crate::harness::{and, any_has, badge, count, expr, has, not, shown, text_has, Scenario};
use serde_json::{json, Value};

/// GETs `url` (a path on the server) from the page, as the link would; the answer's status,
/// headers and first bytes.
async fn fetch(s: &Scenario, url: &str) -> Value {
    s.js_async(
        "const done = arguments[arguments.length - 1]; \
         fetch(arguments[0]).then(async (r) => { \
           const bytes = new Uint8Array(await r.arrayBuffer()); \
           done({ status: r.status, type: r.headers.get('content-type'), \
                  disposition: r.headers.get('content-disposition'), \
                  head: String.fromCharCode(...bytes.slice(0, 5)), size: bytes.length }); });",
        vec![json!(url)],
    )
    .await
}

/// The task record (`GET /api/async_task/{session}/{id}`) from the page.
async fn task_record(s: &Scenario, id: i64) -> Value {
    s.js_async(
        "const done = arguments[arguments.length - 1]; \
         fetch('/api/async_task/' + localStorage.getItem('assetport.session') + '/' + arguments[0]) \
           .then((r) => r.json()).then((a) => done(a.data));",
        vec![json!(id)],
    )
    .await
}

/// Waits for the page to leave for a task page; that task's id.
async fn landed_on_task(s: &Scenario) -> i64 {
    s.wait(expr("location.hash.startsWith('#task/')")).await;
    let hash = s.eval("location.hash").await;
    let id: i64 = hash
        .as_str()
        .and_then(|h| h.strip_prefix("#task/"))
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("task page {hash}"));
    s.wait(text_has(".task-head h2", &format!("任务 #{id}")))
        .await;
    id
}

/// The task page's 下载标签PDF: a primary link to the task's PDF, which is one.
async fn pdf_link_works(s: &Scenario, id: i64) {
    let link = ".task-head a.labels-pdf";
    s.wait(has(link)).await;
    assert_eq!(s.text(link).await, "下载标签PDF");
    assert!(
        s.attr(link, "class").await.contains("btn-primary"),
        "not the primary action"
    );
    let session = s.eval("localStorage.getItem('assetport.session')").await;
    let href = s.attr(link, "href").await;
    assert_eq!(
        href,
        format!("/api/label_task/{}/{id}/file", session.as_str().unwrap())
    );
    let got = fetch(s, &href).await;
    assert_eq!(
        (&got["status"], &got["type"], &got["head"]),
        (&json!(200), &json!("application/pdf"), &json!("%PDF-")),
        "{got}"
    );
    assert_eq!(
        got["disposition"],
        format!("attachment; filename=\"task-{id}-labels.pdf\"")
    );
    // Nothing else to download: the labels' records are not a spreadsheet.
    assert_eq!(
        s.eval("document.querySelectorAll('.task-head a[download]').length")
            .await,
        json!(1)
    );
}

/// Searches the asset list for `name`; waits for `n` rows.
async fn search(s: &Scenario, name: &str, n: usize) {
    s.type_into("#search-name", name).await;
    s.click("#search-submit").await;
    s.wait(count("#asset-table tbody tr[data-id]", n)).await;
}

#[rocket::async_test]
async fn a_manager_prints_labels_of_a_selection_and_of_a_search() {
    let Some(s) = Scenario::as_user("liusn").await else {
        return;
    };
    let mut made: Vec<i64> = Vec::new();
    for (width, height) in [(1366, 800), (390, 844)] {
        s.resize(width, height).await;
        let name = format!("标签椅{width}");
        let mut ids = Vec::new();
        for i in 1..=3 {
            let row = json!({"name": format!("{name}-{i}"), "assetClass": 1, "user": "liusn",
                             "price": 100, "count": 1, "assetTree": "条目型资产",
                             "department": "CST", "deadline": 5, "position": "A座301"});
            let answer = s.post_api("post_asset", &row.to_string()).await;
            ids.push(answer["data"]["id"].as_i64().expect("asset id"));
        }
        made.extend(&ids);

        // Two rows ticked, then 打印标签 on A4 2×7 from the third place.
        s.goto("/#assets").await;
        search(&s, &name, 3).await;
        for id in &ids[..2] {
            s.click(&format!(
                "#asset-table tbody tr[data-id=\"{id}\"] input[type=checkbox]"
            ))
            .await;
        }
        s.click("#print-labels").await;
        s.wait(and(
            has("#labels-of-selected:checked"),
            text_has("#labels-of", "所选的 2 项资产"),
        ))
        .await;
        s.choose("#labels-layout", "a4-2x7").await;
        s.wait(text_has("#labels-start-hint", "1 到 14")).await;
        assert!(s
            .text("#labels-start-hint")
            .await
            .contains("用掉一部分的标签纸"));
        // A place the sheet does not have is refused before anything is sent.
        s.type_into("#labels-start", "15").await;
        s.click("#labels-create").await;
        s.wait(and(
            text_has("#labels-msg", "起始位置须为 1 到 14 的整数"),
            has("#labels-start.field-error"),
        ))
        .await;
        s.type_into("#labels-start", "3").await;
        s.screenshot(&format!("labels-dialog-{width}")).await;
        s.assert_fits_viewport(&format!("labels dialog ({width})"))
            .await;
        s.click("#labels-create").await;
        let task = landed_on_task(&s).await;
        s.wait(and(
            text_has(".task-head .tag-label", "标签"),
            text_has("#task-labels", "A4 2×7（每张14枚），从第一张的第 3 枚开始"),
        ))
        .await;
        s.wait(badge(".task-head", "成功")).await;
        s.wait(text_has("#labels-note", "已生成 2 枚标签")).await;
        pdf_link_works(&s, task).await;
        let record = task_record(&s, task).await;
        assert_eq!(
            (&record["labels"], &record["number_succeed"]),
            (&json!({"layout": "a4-2x7", "offset": 2}), &json!(2)),
            "{record}"
        );
        s.screenshot(&format!("labels-task-{width}")).await;
        s.assert_fits_viewport(&format!("label task ({width})"))
            .await;

        // The whole search, on a label printer's roll: no start place to ask.
        s.goto("/#assets").await;
        search(&s, &name, 3).await;
        s.click("#print-labels").await;
        s.wait(and(
            has("#labels-of-search:checked"),
            has("#labels-of-selected:disabled"),
        ))
        .await;
        assert!(s
            .text("#labels-of")
            .await
            .contains("搜索结果的全部资产（3 项）"));
        s.choose("#labels-layout", "roll-60x40").await;
        s.wait(and(
            not(shown("#labels-start-hint")),
            expr("document.querySelector('#labels-start').offsetParent === null"),
        ))
        .await;
        s.click("#labels-create").await;
        let task = landed_on_task(&s).await;
        s.wait(and(
            text_has("#task-labels", "标签打印机 60×40 mm（每枚一页）"),
            badge(".task-head", "成功"),
        ))
        .await;
        assert!(!s.text("#task-labels").await.contains("第一张"));
        pdf_link_works(&s, task).await;
        let record = task_record(&s, task).await;
        assert_eq!(
            (&record["labels"], &record["number_succeed"]),
            (&json!({"layout": "roll-60x40", "offset": 0}), &json!(3)),
            "{record}"
        );
    }

    // A search that finds nothing: the server's refusal, in the dialog.
    s.resize(1366, 800).await;
    s.goto("/#assets").await;
    search(&s, "没有这种资产", 0).await;
    s.click("#print-labels").await;
    s.wait(has("#labels-of-search:checked")).await;
    s.click("#labels-create").await;
    s.wait(text_has("#labels-msg", "搜索条件没有找到资产"))
        .await;
    s.js("document.querySelector('#dialog').close();", vec![])
        .await;

    // Ids that are no assets are listed with their reasons, as an export's; with none left,
    // there is no PDF to offer.
    let answer = s
        .post_api(
            "label_task",
            &json!({"ids": [made[0], 999_999]}).to_string(),
        )
        .await;
    let some = answer["data"]["id"].as_i64().expect("task id");
    s.goto(&format!("/#task/{some}")).await;
    s.wait(and(
        text_has("#export-failed-table", "资产不存在"),
        any_has(".card-title", "未能打印标签的编号（1）"),
    ))
    .await;
    s.wait(has(".task-head a.labels-pdf")).await;
    let answer = s
        .post_api("label_task", &json!({"ids": [999_998]}).to_string())
        .await;
    let none = answer["data"]["id"].as_i64().expect("task id");
    s.goto(&format!("/#task/{none}")).await;
    s.wait(and(
        text_has("#labels-note", "没有可打印的标签"),
        badge(".task-head", "失败"),
    ))
    .await;
    assert!(!s.exists(".task-head a.labels-pdf").await);

    // The task list filters label tasks and offers each one's PDF.
    s.goto("/#tasks").await;
    s.choose("#tasks-type", "label").await;
    s.wait(and(
        count("#task-table tbody tr[data-id]", 6),
        expr(
            "[...document.querySelectorAll('#task-table tbody tr[data-id]')] \
             .every((tr) => tr.querySelector('.tag-label')?.textContent === '标签')",
        ),
    ))
    .await;
    s.wait(has(&format!(
        "#task-table tr[data-id=\"{some}\"] a.labels-pdf"
    )))
    .await;
    assert!(
        !s.exists(&format!("#task-table tr[data-id=\"{none}\"] a[download]"))
            .await
    );
    s.end().await;
}
