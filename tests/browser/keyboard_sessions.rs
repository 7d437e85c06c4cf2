//! Issue 22 (11): the keyboard and the session. After login the focus is in the view; an
//! asset row takes the focus and Enter opens it; the price inputs have labels; a new tab of the
//! same browser is logged in as the first, and a logout in one tab ends the other. On a laptop
//! and on a phone.

use crate::harness::{and, expr, has, not, Scenario};
use fantoccini::Locator;

#[rocket::async_test]
async fn rows_open_from_the_keyboard_and_a_new_tab_keeps_the_session() {
    for (width, height, shot) in [(1366, 800, "desktop"), (390, 844, "phone")] {
        let Some(s) = Scenario::start().await else {
            return;
        };
        s.resize(width, height).await;
        s.login_as("liusn").await;
        let created = s
            .post_api(
                "post_asset",
                &serde_json::json!({"name": "键盘打开的椅子", "assetClass": 0, "price": 99,
                    "count": 2, "deadline": 5, "assetTree": "数量型资产", "department": "CST",
                    "user": "liusn"})
                .to_string(),
            )
            .await;
        assert_eq!(created["code"], 0, "{created}");
        s.goto("/#assets").await;
        s.js("location.reload();", vec![]).await;
        // The keyboard starts in the view, at its first field.
        s.wait(expr(
            "document.activeElement && document.activeElement.id === 'search-name'",
        ))
        .await;
        for id in ["search-price-inf", "search-price-sup"] {
            let label = s.attr(&format!("#{id}"), "aria-label").await;
            assert!(label.contains("价值"), "#{id}: {label:?}");
        }
        // A row takes the focus in Tab order; Enter opens the asset.
        s.wait(has("#asset-table tbody tr[data-id]")).await;
        let name = s.text("#asset-table tbody tr[data-id] td.asset-name").await;
        assert_eq!(
            s.attr("#asset-table tbody tr[data-id]", "tabindex").await,
            "0"
        );
        s.js(
            "document.querySelector('#asset-table tbody tr[data-id]').focus();",
            vec![],
        )
        .await;
        let row = s.client.active_element().await.expect("the focused row");
        row.send_keys("\u{E007}").await.expect("press Enter");
        s.wait(and(
            has("#dialog[open]"),
            expr(&format!(
                "document.querySelector('#dialog').textContent.includes({})",
                serde_json::Value::from(name.lines().next().unwrap_or_default())
            )),
        ))
        .await;
        s.screenshot(&format!("90-keyboard-row-opened-{shot}"))
            .await;
        s.js("document.querySelector('#dialog').close();", vec![])
            .await;

        // A new tab (as Ctrl-click on a link opens one) is logged in as this one.
        let first = s.client.window().await.expect("this tab");
        let tab = s.client.new_window(true).await.expect("a new tab");
        s.client
            .switch_to_window(tab.handle)
            .await
            .expect("to the new tab");
        s.resize(width, height).await;
        s.goto("/#tasks").await;
        s.wait(and(
            expr("!document.getElementById('app-screen').hidden"),
            expr("document.getElementById('who-name').textContent === 'liusn'"),
        ))
        .await;
        assert!(!s.exists("#login-screen:not([hidden])").await);
        // Logging out there ends the session here too.
        s.click("#logout").await;
        s.wait(expr("!document.getElementById('login-screen').hidden"))
            .await;
        s.client.close_window().await.expect("close the new tab");
        s.client
            .switch_to_window(first)
            .await
            .expect("back to the first tab");
        s.wait(and(
            expr("!document.getElementById('login-screen').hidden"),
            not(has("#app-screen:not([hidden])")),
        ))
        .await;
        let _ = s.client.find(Locator::Css("#login-identity")).await;
        s.end().await;
    }
}
