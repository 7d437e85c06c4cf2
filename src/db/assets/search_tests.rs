//! The search's SQL: plans that use an index, and the trigram lookups by id.

use super::*;

/// The query plan of a list's count and of its page of ids, one line per step.
fn plans(conn: &Connection, scope: &Scope, filter: &Filter) -> Vec<String> {
    let query = ListQuery::new(scope, filter, 0);
    let mut lines = Vec::new();
    for sql in [
        query.count_sql(),
        query.ids_sql(false, 6, 0),
        query.ids_sql(true, 6, 0),
        query.ids_from_sql(1 << 14, 6, 100),
    ] {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let steps = stmt
            .query_map(query.bound().as_slice(), |r| r.get::<_, String>(3))
            .unwrap();
        lines.extend(steps.map(Result::unwrap));
    }
    lines
}

#[test]
fn everyday_lists_use_an_index_never_a_full_scan_of_the_asset_table() {
    let mut conn = Connection::open_in_memory().unwrap();
    crate::db::migrate::migrate(&mut conn).unwrap();
    let everyday: Vec<(&str, Scope, Filter)> = vec![
        ("admin's list", Scope::Entity(1), Filter::default()),
        (
            "manager's list",
            Scope::Departments(1, vec![1, 2]),
            Filter::default(),
        ),
        ("staff's own list", Scope::Owner(1, 7), Filter::default()),
        (
            "by department",
            Scope::Entity(1),
            Filter {
                department_id: Some(2),
                ..Filter::default()
            },
        ),
        (
            "by owner",
            Scope::Entity(1),
            Filter {
                user: Some("liusn".into()),
                ..Filter::default()
            },
        ),
        (
            "by category subtree",
            Scope::Departments(1, vec![1, 2]),
            Filter {
                category: Some("电子设备".into()),
                ..Filter::default()
            },
        ),
        (
            "retired",
            Scope::Entity(1),
            Filter {
                expire: Some(1),
                ..Filter::default()
            },
        ),
        (
            "one id",
            Scope::Entity(1),
            Filter {
                id: Some(5),
                ..Filter::default()
            },
        ),
    ];
    for (what, scope, filter) in everyday {
        let plan = plans(&conn, &scope, &filter);
        let full_scan = plan.iter().find(|step| {
            (step.starts_with("SCAN a") || step.starts_with("SCAN asset"))
                && !step.contains("USING")
        });
        assert!(full_scan.is_none(), "{what}: {plan:#?}");
    }
}

#[test]
fn a_substring_search_looks_up_what_the_trigram_index_found_by_id() {
    let mut conn = Connection::open_in_memory().unwrap();
    crate::db::migrate::migrate(&mut conn).unwrap();
    let name = |text: &str| Filter {
        name: Some(text.into()),
        ..Filter::default()
    };
    let in_department = Filter {
        department_id: Some(2),
        description: Some("备用机房".into()),
        ..Filter::default()
    };
    for (what, scope, filter) in [
        ("admin", Scope::Entity(1), name("投影仪")),
        ("manager", Scope::Departments(1, vec![1, 2]), name("投影仪")),
        ("one department", Scope::Entity(1), in_department),
    ] {
        let plan = plans(&conn, &scope, &filter);
        assert!(
            plan.iter()
                .any(|step| step == "SEARCH a USING INTEGER PRIMARY KEY (rowid=?)"),
            "{what}: {plan:#?}"
        );
        assert!(
            !plan
                .iter()
                .any(|step| step.starts_with("SEARCH a USING INDEX")),
            "{what}: {plan:#?}"
        );
    }
}
