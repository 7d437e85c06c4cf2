//! Issue 24 (7): an asset manager starts a stocktake of CST from the page and counts it on a
//! phone, the codes typed into the scan box as a USB or Bluetooth scanner types them (the code,
//! then Enter): 相符 in green, 位置不符 with where it should be, 已盘过 for a second scan, 盘盈
//! for a code not expected; uploads a count sheet, whose task says which row was counted
//! before; then completes it. At both sizes.

use crate::harness::{and, any_has, has, not, shown, text_has, Scenario};
use serde_json::json;

/// Types `code` into the scan box and presses Enter, as a keyboard scanner does; waits for the
/// answer to show.
async fn scanner_types(s: &Scenario, code: &str, result: &str) {
    s.type_into("#scan-code", &format!("{code}\u{E007}")).await;
    s.wait(and(
        text_has("#scan-result", &format!("#{code}")),
        text_has("#scan-result .scan-label", result),
    ))
    .await;
}

#[rocket::async_test]
async fn a_manager_counts_a_department_by_scanning_on_a_phone() {
    let Some(s) = Scenario::as_user("liusn").await else {
        return;
    };
    for (width, height) in [(390, 844), (1366, 800)] {
        s.resize(width, height).await;
        let mut ids = Vec::new();
        for name in ["扫码椅", "扫码桌", "扫码灯"] {
            let row = json!({"name": format!("{name}{width}"), "assetClass": 1, "user": "liusn",
                             "price": 100, "count": 1, "assetTree": "条目型资产",
                             "department": "CST", "deadline": 5, "position": "A座301"});
            let answer = s.post_api("post_asset", &row.to_string()).await;
            ids.push(answer["data"]["id"].as_i64().expect("asset id"));
        }
        s.goto("/#stocktake").await;
        s.wait(has("#stocktake-name")).await;
        s.assert_fits_viewport(&format!("stocktake list ({width})"))
            .await;
        s.type_into("#stocktake-name", &format!("年度盘点{width}"))
            .await;
        s.type_into("#stocktake-department", "CST").await;
        // This round's assets only (the other round's are in CST too).
        s.type_into("#stocktake-asset-name", &width.to_string())
            .await;
        s.click("#stocktake-start").await;
        s.wait(and(
            has("#scan-code"),
            text_has("#stocktake-progress", "已盘 0"),
        ))
        .await;

        scanner_types(&s, &ids[0].to_string(), "相符").await;
        s.wait(has("#scan-result.scan-ok")).await;
        s.screenshot(&format!("stocktake-scan-{width}")).await;
        s.assert_fits_viewport(&format!("stocktake scan ({width})"))
            .await;
        // Found elsewhere: the position typed first, then the code.
        s.type_into("#scan-position", "B座").await;
        scanner_types(&s, &ids[1].to_string(), "位置不符").await;
        s.wait(text_has("#scan-result .scan-detail", "应在「A座301」"))
            .await;
        scanner_types(&s, &ids[0].to_string(), "已盘过").await;
        scanner_types(&s, "ZC-404", "盘盈").await;
        s.wait(text_has("#stocktake-progress", "盘盈 1")).await;

        // The network drops: two scans are kept in the browser (one of them twice), and sent
        // once it is back, each counted once.
        s.js(
            "window.realFetch = window.fetch; \
             window.fetch = (url, init) => String(url).includes('/scan') \
               ? Promise.reject(new TypeError('offline')) : window.realFetch(url, init);",
            vec![],
        )
        .await;
        for code in ["ZC-501", "ZC-502", "ZC-501"] {
            s.type_into("#scan-code", &format!("{code}\u{E007}")).await;
            s.wait(text_has("#scan-result", &format!("#{code}"))).await;
        }
        s.wait(text_has("#scan-queue", "3 条扫码已暂存")).await;
        s.js(
            "window.fetch = window.realFetch; window.dispatchEvent(new Event('online'));",
            vec![],
        )
        .await;
        s.wait(text_has("#stocktake-progress", "盘盈 3")).await;
        s.wait(not(shown("#scan-queue"))).await;

        // A phone's camera (stood in for: a detector that sees one label, a blank stream): the
        // code it reads is scanned once, though it stays in view.
        s.js(
            "window.seen = arguments[0]; \
             window.BarcodeDetector = class { async detect() { return [{ rawValue: window.seen }]; } }; \
             const media = { getUserMedia: async () => { const c = document.createElement('canvas'); \
               c.width = 8; c.height = 8; c.getContext('2d').fillRect(0, 0, 8, 8); return c.captureStream(); } }; \
             Object.defineProperty(navigator, 'mediaDevices', { value: media, configurable: true }); \
             const here = location.hash; location.hash = '#stocktake'; \
             setTimeout(() => { location.hash = here; }, 100);",
            vec![json!("ZC-600")],
        )
        .await;
        s.wait(has("#scan-camera")).await;
        s.click("#scan-camera").await;
        s.wait(text_has("#scan-result", "#ZC-600")).await;
        s.wait(text_has("#stocktake-progress", "盘盈 4")).await;
        s.click("#scan-camera-stop").await;
        s.wait(not(has(".scan-video"))).await;
        s.wait(text_has("#stocktake-progress", "盘盈 4")).await;

        // A count sheet from the page: the third asset found in 二楼, the first again.
        let sheet = format!("资产编号,实盘位置\n{}\n{},二楼\n", ids[0], ids[2]);
        s.js(
            "const dt = new DataTransfer(); \
             dt.items.add(new File([arguments[0]], '盘点表.csv', {type: 'text/csv'})); \
             document.querySelector('#stocktake-sheet-input').files = dt.files;",
            vec![json!(sheet)],
        )
        .await;
        s.click("#stocktake-sheet-send").await;
        s.wait(has("#stocktake-sheet-task")).await;
        s.click("#stocktake-sheet-task").await;
        s.wait(and(
            has(".task-head .tag-approval"),
            text_has("#task-stocktake", "按盘点表盘点"),
        ))
        .await;
        s.wait(any_has("#failed-list tbody tr", "已盘过")).await;
        s.click("#task-stocktake a").await;
        s.wait(text_has("#stocktake-progress", "已盘 3")).await;

        s.js("window.confirm = () => true;", vec![]).await;
        s.click("#stocktake-complete").await;
        s.wait(text_has("#stocktake-state", "已完成")).await;
        s.wait(any_has("#stocktake-chips .chip", "位置不符 2"))
            .await;
        s.choose("#stocktake-line-state", "misplaced").await;
        s.wait(has(&format!(
            "#stocktake-lines tbody tr[data-asset=\"{}\"]",
            ids[2]
        )))
        .await;
        s.screenshot(&format!("stocktake-done-{width}")).await;
        s.assert_fits_viewport(&format!("stocktake done ({width})"))
            .await;
        // The positions found, and the four codes found that the register does not know (盘盈)
        // as new assets, into the register: an import previewed on its task. 盘盈 asks for
        // the new assets' category first.
        s.click("#adjust-extra").await;
        s.click("#stocktake-adjust").await;
        s.wait(any_has(".msg", "接受盘盈须填写新资产的分类")).await;
        s.type_into("#adjust-extra-tree", "条目型资产").await;
        s.click("#stocktake-adjust").await;
        s.wait(and(has(".task-head"), text_has(".task-head", "待确认")))
            .await;
        s.wait(text_has("#succeed-count", "将成功 6 行")).await;
    }
    s.end().await;
}
