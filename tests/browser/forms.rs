//! Issue 22 (9): 新建资产 in a sub-department (the owner the dialog pre-fills for the manager's
//! own department goes when the department changes), the field an error concerns is marked, and
//! the edit form shows 所属部门. On a laptop and on a phone.

use crate::harness::{and, any_has, expr, has, text_has, value_is, Scenario};
use serde_json::json;

#[rocket::async_test]
async fn a_sub_department_can_be_chosen_and_the_field_in_error_is_marked() {
    let Some(s) = Scenario::as_user("sysadmin").await else {
        return;
    };
    // A member of the sub-department 软件组, who may own its assets.
    let made = s
        .post_api(
            "user",
            &json!({"name": "ruanjian", "password": "demo123", "department": "软件组", "character": 1})
                .to_string(),
        )
        .await;
    assert_eq!(made["code"], 0, "{made}");
    s.click("#logout").await;
    s.login_as("liusn").await;
    for (width, height) in [(1366, 800), (390, 844)] {
        s.resize(width, height).await;
        s.goto("/#assets").await;
        s.click("#new-asset").await;
        s.wait(has("#asset-tree option")).await;
        // The dialog takes the focus, at its first field.
        s.wait(expr(
            "document.getElementById('dialog').contains(document.activeElement)",
        ))
        .await;
        s.wait(value_is("#asset-user", "liusn")).await;
        s.choose("#asset-department", "软件组").await;
        s.wait(value_is("#asset-user", "")).await;
        s.wait(has("#asset-tree option")).await;
        let name = format!("软件组的开发板 {width}");
        s.type_into("#asset-name", &name).await;
        // An owner of another department: the error marks the 挂账人 field.
        s.type_into("#asset-user", "liusn").await;
        s.click("#asset-save").await;
        s.wait(and(
            text_has("#asset-msg", "指定资产挂账人不处于当前部门"),
            has("#asset-user.field-error"),
        ))
        .await;
        s.type_into("#asset-user", "ruanjian").await;
        s.wait(expr(
            "!document.getElementById('asset-user').classList.contains('field-error')",
        ))
        .await;
        s.click("#asset-save").await;
        s.wait(any_has("#asset-table tbody tr", &name)).await;
        s.assert_fits_viewport(&format!("assets after a create ({width})"))
            .await;
    }
    // The edit form shows the asset's department.
    s.resize(1366, 800).await;
    s.click("#asset-table tbody tr[data-id] td.asset-name")
        .await;
    s.wait(has("#dialog[open]")).await;
    s.js(
        "[...document.querySelectorAll('#dialog button')].find((b) => b.textContent.trim() === '编辑').click();",
        vec![],
    )
    .await;
    s.wait(and(
        has("#asset-edit:not([hidden])"),
        has("#edit-department"),
    ))
    .await;
    s.wait(expr(
        "document.getElementById('edit-department').value !== ''",
    ))
    .await;
    s.end().await;
}
