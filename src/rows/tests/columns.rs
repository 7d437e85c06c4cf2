//! The fields the rules read and the message they name them with.

use super::*;

/// The fields a row of nothing but wrong types is refused for, in message order.
fn refused_fields(row: &str) -> Vec<String> {
    // Nothing is looked up when no field can be read.
    let conn = Connection::open_in_memory().unwrap();
    let mut lookups = Lookups::new(Scope::Entity(1));
    let message = check_row(&conn, &mut lookups, row, 0).unwrap().unwrap_err();
    message
        .split('；')
        .map(|m| {
            assert!(m.starts_with("缺少字段或类型错误：["), "{m}");
            m.split(['[', ']']).nth(1).unwrap().to_owned()
        })
        .collect()
}

#[test]
fn every_field_the_rules_read_is_a_column_in_the_tables_order() {
    let every: serde_json::Map<String, serde_json::Value> = COLUMNS
        .iter()
        .map(|c| (c.field.to_owned(), serde_json::json!([])))
        .collect();
    let fields = refused_fields(&serde_json::Value::Object(every).to_string());
    // The original API's row order, then create_time (SPEC §7); 资产编号 is the update
    // rules' (`update::row_id`).
    assert_eq!(
        fields,
        [
            "name",
            "parent",
            "assetClass",
            "user",
            "price",
            "description",
            "position",
            "expire",
            "count",
            "assetTree",
            "department",
            "deadline",
            "create_time"
        ]
    );
    // Each is a column, and one the table puts in that order.
    let order: Vec<&str> = COLUMNS
        .iter()
        .map(|c| c.field)
        .filter(|f| fields.iter().any(|g| g == f))
        .collect();
    assert_eq!(order, fields);
}

#[test]
fn missing_field_messages() {
    assert_eq!(
        missing_field_message("size", None),
        "缺少字段或类型错误：[size]"
    );
    assert_eq!(
        missing_field_message("count", Some("资产数量“abc”不是整数")),
        "缺少字段或类型错误：[count]（资产数量“abc”不是整数）"
    );
    assert_eq!(
        crate::error::Error::missing_field("page"),
        crate::error::Error::BadBody("缺少字段或类型错误：[page]".into())
    );
}
