//! Issue 22, items 4 and 6: the task page in the words of the task's phase. A dry run says what
//! it would do, links to its failed rows and can be discarded (放弃); a cancel asks first, and
//! the cancelled import says what it did and offers 撤销此任务 first; 删除任务数据 is on the page,
//! warns when an import can no longer be undone, and leaves no dead links; an undone import's
//! rows are not offered for fixing. At desktop (1366×800) and phone (390×844) sizes.

use crate::harness::{and, badge, expr, has, or, Browser, Scenario};
use serde_json::{json, Value};

const SIZES: [(u32, u32, &str); 2] = [(1366, 800, "desktop"), (390, 844, "phone")];

/// Calls the API from the page with its session: `method` on `/api/{what}/{session}{rest}`.
async fn api(b: &Browser, method: &str, what: &str, rest: &str, body: &Value) -> Value {
    b.js_async(
        "const done = arguments[arguments.length - 1]; \
         const url = '/api/' + arguments[1] + '/' + localStorage.getItem('assetport.session') + arguments[2]; \
         const init = { method: arguments[0], headers: { 'Content-Type': 'application/json' } }; \
         if (arguments[0] !== 'GET' && arguments[0] !== 'DELETE') init.body = arguments[3]; \
         fetch(url, init).then((r) => r.json()).then(done);",
        vec![json!(method), json!(what), json!(rest), json!(body.to_string())],
    )
    .await
}

fn id_of(answer: &Value) -> i64 {
    answer["data"]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no task id in {answer}"))
}

/// One good row and one that fails (count 0).
fn rows(tag: &str) -> Value {
    json!([
        {"name": format!("{tag}椅子"), "assetClass": 0, "price": 99, "count": 2, "deadline": 5,
         "assetTree": "数量型资产", "department": "CST", "user": "liusn"},
        {"name": format!("{tag}坏行"), "assetClass": 0, "price": 99, "count": 0, "deadline": 5,
         "assetTree": "数量型资产", "department": "CST", "user": "liusn"},
    ])
}

/// Opens the task page of `id` and waits until the task has ended.
async fn open_finished(b: &Browser, id: i64) {
    b.goto(&format!("/#task/{id}")).await;
    b.wait(has(".task-head .badge:not([data-finish=\"0\"])"))
        .await;
}

/// From now on a confirmation dialog is accepted and its question kept in `window.__asked`.
async fn accept_and_record(b: &Browser) {
    b.js(
        "window.__asked = []; window.confirm = (m) => { window.__asked.push(m); return true; };",
        vec![],
    )
    .await;
}

async fn last_asked(b: &Browser) -> String {
    b.eval("window.__asked[window.__asked.length - 1]")
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Nothing on the page is wider than the viewport.
async fn fits(b: &Browser, what: &str) {
    let wide = b
        .eval("document.documentElement.scrollWidth <= window.innerWidth + 1")
        .await;
    assert_eq!(wide, json!(true), "{what}: wider than the viewport");
}

#[rocket::async_test]
async fn dry_run_discard_cancel_delete_and_undone_in_the_words_of_their_phase() {
    let Some(s) = Scenario::as_user("liusn").await else {
        return;
    };
    for (width, height, size) in SIZES {
        s.resize(width, height).await;

        // A dry run: what it would do, a link to its failed rows, and 放弃.
        let dry = id_of(&api(&s, "POST", "asset", "?dry_run=true", &rows(size)).await);
        open_finished(&s, dry).await;
        s.wait(badge(".task-head", "待确认")).await;
        assert_eq!(s.text("#succeed-count").await, "将成功 1 行（尚未写入）");
        assert_eq!(s.text("#failed-link").await, "将失败 1 行");
        // The dry run's section and its failed rows are drawn after the head.
        s.wait(and(
            has("#dry-failed-link"),
            has("#failed-editor #failed-table"),
        ))
        .await;
        s.click("#failed-link").await;
        s.wait(expr(
            "document.getElementById('failed-editor').getBoundingClientRect().top < window.innerHeight",
        ))
        .await;
        fits(&s, "dry run").await;
        s.screenshot(&format!("task-page-{size}-dry-run")).await;
        accept_and_record(&s).await;
        s.click("#discard-dry-run").await;
        s.wait(and(has("#discarded-note"), badge(".task-head", "已放弃")))
            .await;
        assert!(last_asked(&s).await.contains("不会写入任何数据"));
        assert!(!s.exists("#confirm-import").await);
        assert!(!s.exists("#failed-link").await);
        assert!(s.text("#pruned-note").await.contains("已放弃"));

        // A real import with a failed row: 删除任务数据 warns that the undo goes with it, and
        // afterwards nothing points at data that is gone.
        let real = id_of(&api(&s, "POST", "asset", "", &rows(&format!("{size}删"))).await);
        open_finished(&s, real).await;
        s.wait(and(has("#undo-task"), has("#failed-link"))).await;
        assert_eq!(s.text("#failed-link").await, "失败 1 行");
        accept_and_record(&s).await;
        s.click("#delete-task-data").await;
        s.wait(has("#pruned-note")).await;
        let asked = last_asked(&s).await;
        assert!(asked.contains("删除后此导入将无法撤销"), "{asked}");
        assert!(s.text("#pruned-note").await.contains("已被删除"));
        for gone in [
            "#undo-task",
            "#failed-link",
            "#failed-editor",
            "#delete-task-data",
            "a[download]",
        ] {
            assert!(!s.exists(gone).await, "{gone} after the data was deleted");
        }
        fits(&s, "deleted data").await;
        s.screenshot(&format!("task-page-{size}-deleted")).await;

        // An undone import: its rows are read-only, and the list offers no 处理失败行.
        let undone = id_of(&api(&s, "POST", "asset", "", &rows(&format!("{size}撤"))).await);
        open_finished(&s, undone).await;
        s.wait(has("#undo-task")).await;
        accept_and_record(&s).await;
        s.click("#undo-task").await;
        s.wait(has(".task-head .tag-undo")).await;
        open_finished(&s, undone).await;
        s.wait(and(has("#undone-note"), has("#failed-readonly")))
            .await;
        assert!(s.text("#failed-readonly").await.contains("已撤销"));
        assert!(!s
            .text("#failed-editor .card-title")
            .await
            .contains("将失败"));
        assert!(!s.exists("#rerun").await);
        s.goto("/#tasks").await;
        let row = format!("#task-table tr[data-id=\"{undone}\"]");
        s.wait(has(&row)).await;
        assert!(!s.text(&row).await.contains("处理失败行"));

        // A cancel asks first and says what it keeps; the cancelled import says what it did
        // and offers 撤销此任务 first.
        let big = id_of(&api(&s, "POST", "asset", "", &super::bulk_rows(200_000)).await);
        s.goto(&format!("/#task/{big}")).await;
        s.wait(or(
            has(".task-cancel"),
            has(".task-head .badge[data-finish=\"1\"]"),
        ))
        .await;
        if s.exists(".task-cancel").await {
            accept_and_record(&s).await;
            s.click(".task-cancel").await;
            let asked = last_asked(&s).await;
            assert!(
                asked.contains("撤销此任务") && asked.contains("确定取消吗"),
                "{asked}"
            );
            s.wait(and(has("#cancelled-note"), has("#undo-task"))).await;
            let note = s.text("#cancelled-note").await;
            assert!(
                note.contains("取消前已新建") && note.contains("撤销此任务"),
                "{note}"
            );
            let first = s
                .eval("document.querySelector('.task-head .actions').firstElementChild.id")
                .await;
            assert_eq!(first, json!("undo-task"));
            assert!(s.attr("#undo-task", "class").await.contains("btn-primary"));
            // Its rows not imported (those never run among them) are drawn after the head.
            s.wait(has("#failed-editor #failed-table")).await;
            let title = s.text("#failed-editor .card-title").await;
            assert!(title.starts_with("未导入的行"), "{title}");
            assert!(!s.attr("#rerun", "class").await.contains("btn-primary"));
            fits(&s, "cancelled").await;
            s.screenshot(&format!("task-page-{size}-cancelled")).await;
            // In the list, the cancelled import is a result to read, not rows to fix.
            s.goto("/#tasks").await;
            let row = format!("#task-table tr[data-id=\"{big}\"]");
            s.wait(badge(&row, "已取消")).await;
            assert!(!s.text(&row).await.contains("处理失败行"));
        } else {
            eprintln!("note: the big import finished before it could be cancelled");
        }
    }
    s.end().await;
}
