//! Issue 22 (7): every screen of the page, on a phone (390 × 844) and on a laptop (1366 × 800),
//! has nothing wider than the viewport: one-column forms, tables as card rows on a phone (each
//! value under its column's name), the failed-rows editor scrolling inside its own box.

use crate::harness::{and, expr, has, Scenario};

/// Opens `hash`, waits for `ready`, and measures the screen.
async fn screen(s: &Scenario, hash: &str, ready: &str, shot: &str) {
    s.goto(hash).await;
    s.wait(has(ready)).await;
    s.assert_fits_viewport(&format!("{hash} ({shot})")).await;
}

#[rocket::async_test]
async fn every_screen_fits_a_phone_and_a_laptop() {
    for (width, height, size) in [(390, 844, "phone"), (1366, 800, "desktop")] {
        let Some(s) = Scenario::start().await else {
            return;
        };
        s.resize(width, height).await;
        s.goto("/").await;
        s.wait(has("#login-identity")).await;
        s.assert_fits_viewport(&format!("login ({size})")).await;

        // The asset manager: assets, one asset, import, tasks, a task with failed rows.
        s.login_as("liusn").await;
        let task = super::import_json(&s, &super::mixed_rows()).await;
        screen(&s, &format!("/#task/{task}"), "#failed-table", size).await;
        s.screenshot(&format!("95-{size}-task-failed-rows")).await;
        screen(&s, "/#assets", "#asset-table tbody tr[data-id]", size).await;
        if size == "phone" {
            // A name reads on a line of its own, not three characters a line.
            let lines = s
                .eval(
                    "(() => { const td = document.querySelector('#asset-table td.asset-name'); \
                     return Math.round(td.getBoundingClientRect().height \
                       / parseFloat(getComputedStyle(td).lineHeight || '20')); })()",
                )
                .await;
            assert!(
                lines.as_i64().unwrap_or(9) <= 2,
                "the name takes {lines} lines"
            );
        }
        // The price range's inputs are wide enough to read a price (they were 22 px).
        for id in ["search-price-inf", "search-price-sup"] {
            let width = s
                .eval(&format!(
                    "document.getElementById('{id}').getBoundingClientRect().width"
                ))
                .await;
            assert!(width.as_f64().unwrap_or(0.0) >= 60.0, "#{id}: {width} px");
        }
        s.js(
            "document.getElementById('asset-table').scrollIntoView({ block: 'center' });",
            vec![],
        )
        .await;
        s.screenshot(&format!("95-{size}-assets")).await;
        s.js("window.scrollTo(0, 0);", vec![]).await;
        s.click("#asset-table tbody tr[data-id] td.asset-name")
            .await;
        s.wait(has("#dialog[open]")).await;
        s.assert_fits_viewport(&format!("asset panel ({size})"))
            .await;
        s.js("document.querySelector('#dialog').close();", vec![])
            .await;
        screen(&s, "/#import", "#import-upload", size).await;
        screen(&s, "/#tasks", "#task-table tbody tr", size).await;
        if size == "phone" {
            // The list's 状态 and 进度 show without sideways scrolling.
            s.wait(and(
                has("#task-table tbody tr td[data-label=\"状态\"]"),
                expr(
                    "[...document.querySelectorAll('#task-table tbody tr:first-child td')] \
                       .filter((td) => /状态|进度/.test(td.dataset.label || '')) \
                       .every((td) => td.getBoundingClientRect().right <= window.innerWidth)",
                ),
            ))
            .await;
            s.screenshot("95-phone-tasks").await;
        }
        screen(&s, "/#categories", "#view .card", size).await;

        // The system admin: departments, users, the journal.
        s.click("#logout").await;
        s.login_as("sysadmin").await;
        screen(&s, "/#departments", "#department-table", size).await;
        screen(&s, "/#users", "#user-table tbody tr", size).await;
        screen(&s, "/#journal", "#journal-table tbody tr", size).await;

        // The super admin: companies and backups.
        s.click("#logout").await;
        s.login_as("admin").await;
        screen(&s, "/#entities", "#entity-table tbody tr", size).await;
        screen(&s, "/#backups", "#view .card", size).await;

        // A staff member: their own assets.
        s.click("#logout").await;
        s.login_as("zhangsan").await;
        screen(&s, "/#mine", "#view .card", size).await;
        s.end().await;
    }
}
