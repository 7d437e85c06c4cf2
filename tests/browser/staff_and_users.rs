//! Issue 22 (8): staff search their own assets and open them read-only; a new company's system
//! admin is led from an empty register to 部门; a user is edited (department, role, email) and
//! deleted from the page, and moving one who holds assets asks where the assets go. On a laptop
//! and on a phone.

use crate::harness::{and, any_has, count, expr, has, not, text_has, Scenario};
use serde_json::json;

#[rocket::async_test]
async fn staff_search_their_assets_and_open_them_read_only() {
    let Some(s) = Scenario::as_user("liusn").await else {
        return;
    };
    for (name, user) in [
        ("员工笔记本", "zhangsan"),
        ("员工显示器", "zhangsan"),
        ("经理的椅子", "liusn"),
    ] {
        let row = json!({"name": name, "assetClass": 1, "user": user, "price": 3000, "count": 1,
                         "assetTree": "条目型资产", "department": "CST", "deadline": 5,
                         "description": format!("{name}的描述")});
        let answer = s.post_api("post_asset", &row.to_string()).await;
        assert_eq!(answer["code"], 0, "{answer}");
    }
    s.click("#logout").await;
    s.login_as("zhangsan").await;
    for (width, height) in [(1366, 800), (390, 844)] {
        s.resize(width, height).await;
        s.goto("/#mine").await;
        s.wait(and(
            count("#own-asset-table tbody tr[data-id]", 2),
            text_has("#own-summary", "2 项"),
        ))
        .await;
        // A search finds within their own assets only: another's asset never shows.
        s.type_into("#own-search-name", "显示器").await;
        s.click("#own-search-submit").await;
        s.wait(and(
            count("#own-asset-table tbody tr[data-id]", 1),
            any_has("#own-asset-table tbody tr", "员工显示器"),
        ))
        .await;
        s.type_into("#own-search-name", "椅子").await;
        s.click("#own-search-submit").await;
        s.wait(and(
            text_has("#own-asset-table td.empty", "没有符合条件的资产"),
            text_has("#own-summary", "0 项"),
        ))
        .await;
        s.assert_fits_viewport(&format!("staff search ({width})"))
            .await;
        s.click("#own-search-form button[type=button]").await;
        s.wait(count("#own-asset-table tbody tr[data-id]", 2)).await;
        // A row opens from the keyboard too; the panel reads, it does not edit.
        s.js(
            "document.querySelector('#own-asset-table tbody tr[data-id]').focus();",
            vec![],
        )
        .await;
        s.js(
            "document.activeElement.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true}));",
            vec![],
        )
        .await;
        s.wait(and(has("#dialog[open]"), has("#asset-panel-fields")))
            .await;
        s.wait(text_has("#asset-children", "没有下级资产")).await;
        assert!(!s.exists("#asset-edit").await, "staff get no edit form");
        assert!(!s.exists("#asset-retire").await, "staff get no 清退");
        s.assert_fits_viewport(&format!("staff asset panel ({width})"))
            .await;
        s.js("document.querySelector('#dialog').close();", vec![])
            .await;
    }
    s.end().await;
}

#[rocket::async_test]
async fn a_new_companys_admin_is_led_to_departments() {
    let Some(s) = Scenario::as_user("admin").await else {
        return;
    };
    let made = s
        .post_api("entity", &json!({"name": "新公司"}).to_string())
        .await;
    assert_eq!(made["code"], 0, "{made}");
    let made = s
        .post_api(
            "user",
            &json!({"name": "newadmin", "password": "secret12", "entity": "新公司",
                    "department": "", "character": 3, "lock": false})
            .to_string(),
        )
        .await;
    assert_eq!(made["code"], 0, "{made}");
    s.click("#logout").await;
    s.login("newadmin", "secret12").await;
    for (width, height) in [(1366, 800), (390, 844)] {
        s.resize(width, height).await;
        s.goto("/#assets").await;
        s.wait(and(
            text_has("#tree-empty", "还没有部门"),
            text_has("#asset-empty", "登记表还是空的"),
        ))
        .await;
        s.assert_fits_viewport(&format!("empty register ({width})"))
            .await;
        s.click("#tree-empty-link").await;
        s.wait(and(
            expr("location.hash === '#departments'"),
            has("#department-table"),
        ))
        .await;
    }
    s.end().await;
}

#[rocket::async_test]
async fn users_are_edited_moved_with_their_assets_and_deleted() {
    let Some(s) = Scenario::as_user("liusn").await else {
        return;
    };
    for name in ["随人走的笔记本", "随人走的显示器"] {
        let row = json!({"name": name, "assetClass": 1, "user": "zhangsan", "price": 3000,
                         "count": 1, "assetTree": "条目型资产", "department": "CST",
                         "deadline": 5});
        let answer = s.post_api("post_asset", &row.to_string()).await;
        assert_eq!(answer["code"], 0, "{answer}");
    }
    s.click("#logout").await;
    s.login_as("sysadmin").await;
    for (i, (width, height)) in [(1366, 800), (390, 844)].into_iter().enumerate() {
        s.resize(width, height).await;
        let spare = format!("spare{i}");
        let made = s
            .post_api(
                "user",
                &json!({"name": spare, "password": "secret12", "entity": "示例企业",
                        "department": "CST", "character": 1, "lock": false})
                .to_string(),
            )
            .await;
        assert_eq!(made["code"], 0, "{made}");
        s.goto("/#tasks").await;
        s.goto("/#users").await;
        // An email and a role changed; nothing held, so nothing is asked.
        let row = format!("#user-table tr[data-user=\"{spare}\"]");
        s.wait(has(&row)).await;
        s.click(&format!("{row} button[data-action=edit]")).await;
        s.wait(has("#edit-user-save")).await;
        s.wait(text_has("#edit-user-holds", "0 项")).await;
        s.type_into("#edit-user-email", &format!("{spare}@example.com"))
            .await;
        s.choose("#edit-user-character", "2").await;
        s.assert_fits_viewport(&format!("user edit ({width})"))
            .await;
        s.click("#edit-user-save").await;
        s.wait(and(
            not(has("#dialog[open]")),
            any_has(&row, &format!("{spare}@example.com")),
        ))
        .await;
        s.wait(any_has(&row, "资产管理员")).await;
        // Deleted: nothing held, no tasks.
        s.click(&format!("{row} button[data-action=edit]")).await;
        s.wait(has("#edit-user-delete:not([disabled])")).await;
        s.js("window.confirm = () => true;", vec![]).await;
        s.click("#edit-user-delete").await;
        s.wait(and(not(has(&row)), text_has(".msg-ok", "已删除用户")))
            .await;
    }
    // zhangsan holds two assets: moving him to 软件组 asks where they go; 随用户转入 takes them.
    s.resize(1366, 800).await;
    let row = "#user-table tr[data-user=\"zhangsan\"]";
    s.click(&format!("{row} button[data-action=edit]")).await;
    s.wait(text_has("#edit-user-holds", "2 项")).await;
    s.choose("#edit-user-department", "软件组").await;
    s.wait(has("#edit-user-assets:not([hidden])")).await;
    s.click("#edit-user-save").await;
    s.wait(text_has("#dialog .msg-error", "请选择")).await;
    s.click("#assets-move").await;
    s.click("#edit-user-save").await;
    s.wait(and(
        not(has("#dialog[open]")),
        text_has(".msg-ok", "2 项资产现在由「zhangsan」在「软件组」保管"),
    ))
    .await;
    s.wait(any_has(row, "软件组")).await;
    s.end().await;
}
