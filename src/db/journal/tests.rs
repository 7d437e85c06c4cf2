use super::*;
use crate::db::fixture;

fn new_entry(at: i64, entity_id: Option<i64>, actor: (i64, &str), kind: &'static str) -> NewEntry {
    NewEntry {
        at,
        entity_id,
        actor_id: Some(actor.0),
        actor_name: actor.1.to_owned(),
        kind,
        task_id: None,
        address: None,
        detail: "{}".into(),
    }
}

fn ids(entries: &[Entry]) -> Vec<i64> {
    entries.iter().map(|e| e.id).collect()
}

/// Company 1's entries by actors 10 and 11, company 2's by 20, and the super admin's (no
/// company, actor 1), one a minute from `START`, in that repeating order.
const START: i64 = 1_750_000_000;

fn journal_of(conn: &Connection, n: i64) {
    for i in 0..n {
        let at = START + i * 60;
        let entry = match i % 4 {
            0 => new_entry(at, Some(1), (10, "liusn"), "login"),
            1 => NewEntry {
                task_id: Some(i),
                ..new_entry(at, Some(1), (11, "sysadmin"), "task_created")
            },
            2 => new_entry(at, Some(2), (20, "admin2"), "login"),
            _ => new_entry(at, None, (1, "admin"), "user_created"),
        };
        insert(conn, &entry).unwrap();
    }
}

fn company(entity_id: Option<i64>) -> Filter {
    Filter {
        entity_id,
        ..Filter::default()
    }
}

#[test]
fn a_page_is_a_companys_entries_newest_first_and_the_filters_narrow_it() {
    let conn = fixture::db();
    journal_of(&conn, 40);
    let page1 = page(&conn, &company(Some(1)), 3, 0).unwrap();
    assert_eq!(ids(&page1), [38, 37, 34]);
    assert_eq!(
        ids(&page(&conn, &company(Some(1)), 3, 3).unwrap()),
        [33, 30, 29]
    );
    assert_eq!(count(&conn, &company(Some(1)), 100).unwrap(), (20, false));
    // Another company's, and those of no company, never mix in.
    assert_eq!(
        ids(&page(&conn, &company(Some(2)), 2, 0).unwrap()),
        [39, 35]
    );
    let none = page(&conn, &company(None), 100, 0).unwrap();
    assert_eq!(none.len(), 10);
    assert!(none.iter().all(|e| e.actor_name == "admin"));

    let by_actor = Filter {
        actor_id: Some(11),
        ..company(Some(1))
    };
    assert_eq!(ids(&page(&conn, &by_actor, 2, 0).unwrap()), [38, 34]);
    assert_eq!(count(&conn, &by_actor, 100).unwrap(), (10, false));
    let by_kind = Filter {
        kind: Some("login"),
        ..company(Some(1))
    };
    assert_eq!(ids(&page(&conn, &by_kind, 2, 0).unwrap()), [37, 33]);
    let by_both = Filter {
        actor_id: Some(11),
        ..by_kind.clone()
    };
    assert!(page(&conn, &by_both, 10, 0).unwrap().is_empty());
    let by_task = Filter {
        task_id: Some(21),
        ..company(Some(1))
    };
    let task = page(&conn, &by_task, 10, 0).unwrap();
    assert_eq!(ids(&task), [22]);
    assert_eq!(task[0].task_id, Some(21));
    // The task of another company's filter: nothing.
    let elsewhere = Filter {
        task_id: Some(21),
        ..company(Some(2))
    };
    assert_eq!(count(&conn, &elsewhere, 100).unwrap(), (0, false));
}

#[test]
fn days_become_an_id_range_by_the_entries_times() {
    let conn = fixture::db();
    journal_of(&conn, 40);
    // Entry i (id i + 1) was written at START + 60 i.
    let between = Filter {
        since: Some(START + 60 * 10),
        until: Some(START + 60 * 20),
        ..company(Some(1))
    };
    assert_eq!(
        ids(&page(&conn, &between, 100, 0).unwrap()),
        [18, 17, 14, 13]
    );
    assert_eq!(first_id_at(&conn, START - 1).unwrap(), 1);
    assert_eq!(first_id_at(&conn, START + 60 * 39 + 1).unwrap(), 41);
    // Ids with gaps (rolled back inserts) are searched alike: every entry below the id found is
    // earlier, every one from it on is not.
    conn.execute("DELETE FROM journal WHERE id BETWEEN 5 AND 30", [])
        .unwrap();
    for at in [
        START - 1,
        START + 60 * 2,
        START + 60 * 10,
        START + 60 * 30,
        START + 60 * 50,
    ] {
        let first = first_id_at(&conn, at).unwrap();
        let wrong: i64 = conn
            .query_row(
                "SELECT count(*) FROM journal WHERE (id < ?1) != (at < ?2)",
                [first, at],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(wrong, 0, "{at}: {first}");
    }
    let empty = fixture::db();
    assert_eq!(first_id_at(&empty, START).unwrap(), 1);
}

#[test]
fn an_entrys_time_never_goes_back_a_little_but_a_clock_set_far_back_is_kept() {
    let conn = fixture::db();
    let at = |id: i64| -> i64 {
        conn.query_row("SELECT at FROM journal WHERE id = ?1", [id], |r| r.get(0))
            .unwrap()
    };
    let e = |at| new_entry(at, Some(1), (10, "liusn"), "login");
    let first = insert(&conn, &e(START)).unwrap();
    let back_a_little = insert(&conn, &e(START - 30)).unwrap();
    let back_far = insert(&conn, &e(START - 2 * CLOCK_BACK_MAX)).unwrap();
    let on = insert(&conn, &e(START + 5)).unwrap();
    assert_eq!(
        [at(first), at(back_a_little), at(back_far), at(on)],
        [START, START, START - 2 * CLOCK_BACK_MAX, START + 5]
    );
}

#[test]
fn a_count_stops_at_its_bound() {
    let conn = fixture::db();
    journal_of(&conn, 40);
    assert_eq!(count(&conn, &company(Some(1)), 5).unwrap(), (5, true));
    assert_eq!(count(&conn, &company(Some(1)), 20).unwrap(), (20, false));
    assert_eq!(count(&conn, &company(Some(1)), 19).unwrap(), (19, true));
}

#[test]
fn all_entries_are_read_a_chunk_at_a_time_newest_first_up_to_the_most_asked() {
    let dir = tempfile::tempdir().unwrap();
    let pool = crate::db::open(&dir.path().join("db.sqlite3")).unwrap();
    journal_of(&pool.get().unwrap(), (CHUNK_ROWS * 2 + 40) * 4);
    let all: Vec<i64> = Entries::new(pool.clone(), company(Some(2)), i64::MAX)
        .map(|e| e.unwrap().id)
        .collect();
    assert_eq!(all.len() as i64, CHUNK_ROWS * 2 + 40);
    assert!(all.windows(2).all(|w| w[0] > w[1]));
    assert_eq!(all.last(), Some(&3));
    let some = Entries::new(pool.clone(), company(Some(2)), CHUNK_ROWS + 1).count();
    assert_eq!(some as i64, CHUNK_ROWS + 1);
    assert_eq!(Entries::new(pool, company(Some(9)), 10).count(), 0);
}

/// Each step of the plan of a list's count and page, and of a file's chunk.
fn plans(conn: &Connection, filter: &Filter) -> Vec<String> {
    let q = Query::new(conn, filter).unwrap();
    let mut lines = Vec::new();
    for (sql, more) in [
        (q.count_sql(), vec![10_001]),
        (q.page_sql(), vec![20, 0]),
        (q.chunk_sql(), vec![i64::MAX, 2000]),
    ] {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let steps = stmt
            .query_map(params_from_iter(q.with(more)), |r| r.get::<_, String>(3))
            .unwrap();
        lines.push(steps.map(Result::unwrap).collect::<Vec<_>>().join(" / "));
    }
    lines
}

/// Every list is served by the index its filter names, in id order (no sort), and a count by
/// that index alone: page 1 reads a page's worth of entries however many there are.
#[test]
fn every_list_reads_its_index_in_order_and_counts_on_the_index_alone() {
    let conn = fixture::db();
    journal_of(&conn, 8);
    let cases = [
        ("company", company(Some(1)), "journal_entity (entity_id=?"),
        ("super admin", company(None), "journal_entity (entity_id=?"),
        (
            "actor",
            Filter {
                actor_id: Some(10),
                ..company(Some(1))
            },
            "journal_actor (entity_id=? AND actor_id=?",
        ),
        (
            "kind",
            Filter {
                kind: Some("login"),
                ..company(Some(1))
            },
            "journal_kind (entity_id=? AND kind=?",
        ),
        (
            "actor and kind",
            Filter {
                actor_id: Some(10),
                kind: Some("login"),
                ..company(Some(1))
            },
            "journal_actor (entity_id=? AND actor_id=?",
        ),
        (
            "days",
            Filter {
                since: Some(START),
                until: Some(START + 600),
                ..company(Some(1))
            },
            "journal_entity (entity_id=? AND id>? AND id<?",
        ),
        (
            "task",
            Filter {
                task_id: Some(1),
                actor_id: Some(11),
                ..company(Some(1))
            },
            "journal_task (task_id=?",
        ),
    ];
    for (what, filter, index) in cases {
        let [count, page, chunk] = <[String; 3]>::try_from(plans(&conn, &filter)).unwrap();
        for plan in [&page, &chunk] {
            assert!(plan.contains(index), "{what}: {plan}");
        }
        // A count reads an index alone: any that starts with what it counts.
        if what != "task" && what != "actor and kind" {
            assert!(count.contains("COVERING INDEX"), "{what}: {count}");
        }
        let counted = index.split(" (").nth(1).unwrap_or("");
        assert!(count.contains(counted), "{what}: {count}");
        if what != "task" {
            assert!(!page.contains("TEMP B-TREE"), "{what}: {page}");
            assert!(!chunk.contains("TEMP B-TREE"), "{what}: {chunk}");
        }
    }
    // The days' binary search starts from the ids' ends, read off the table's ends.
    let mut stmt = conn
        .prepare(&format!(
            "EXPLAIN QUERY PLAN {}",
            crate::db::TimeOrdered::Journal.id_bounds_sql()
        ))
        .unwrap();
    let plan: Vec<String> = stmt
        .query_map([], |r| r.get(3))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        plan.iter().all(|step| !step.starts_with("SCAN journal")),
        "{plan:?}"
    );
}
