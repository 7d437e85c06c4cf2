//! A task's life in the database, on an in-memory one: stored in chunks and made visible,
//! advanced batch by batch to its end, failed, cancelled, claimed for a re-run, confirmed after a
//! dry run, undone, pruned; and the lists of tasks, paged and filtered, as each caller sees them.

use super::*;
use crate::auth::Role;
use crate::db::fixture::{self, TaskRow};
use crate::paging::Page;

/// 示例企业 with CST, 软件组 below it and 财务部 beside it, an asset manager in each and a
/// system admin; 另一企业 with a manager of its own.
struct World {
    conn: crate::db::Conn,
    company: i64,
    cst: i64,
    software: i64,
    other: i64,
    sysadmin: i64,
    liusn: i64,
    /// Manager of 软件组 (within liusn's subtree) and of 财务部 (outside it).
    zhao: i64,
    qian: i64,
    wangwu: i64,
}

fn world() -> World {
    let conn = fixture::db();
    let c = fixture::insert_company(&conn);
    let (company, cst, software, finance) = (c.id, c.cst, c.software, c.finance);
    let sysadmin = fixture::insert_user(&conn, "sysadmin", Role::Admin, Some(company), None);
    let liusn = fixture::insert_user(&conn, "liusn", Role::Manager, Some(company), Some(cst));
    let zhao = fixture::insert_user(&conn, "zhao", Role::Manager, Some(company), Some(software));
    let qian = fixture::insert_user(&conn, "qian", Role::Manager, Some(company), Some(finance));
    let other = fixture::insert_entity(&conn, "另一企业");
    let sales = fixture::insert_department(&conn, other, None, "销售部");
    let wangwu = fixture::insert_user(&conn, "wangwu", Role::Manager, Some(other), Some(sales));
    World {
        conn,
        company,
        cst,
        software,
        other,
        sysadmin,
        liusn,
        zhao,
        qian,
        wangwu,
    }
}

impl World {
    fn state(&self, id: i64) -> TaskState {
        task_state(&self.conn, id).unwrap().expect("a stored task")
    }

    fn view(&self, id: i64) -> TaskView {
        task_view(&self.conn, self.company, id)
            .unwrap()
            .expect("a task of the company")
    }

    /// An import of `rows` rows stored through the writer, chunks of 2, as liusn.
    fn stored_import(&mut self, rows: usize) -> i64 {
        let company = (self.company, self.liusn);
        let mut writer = TaskWriter::create(
            &mut self.conn,
            company,
            TaskKind::Import,
            &NewTask::default(),
            2,
        )
        .unwrap();
        for i in 0..rows {
            writer
                .push(&format!("{{\"name\":\"行{i}\"}}"), None)
                .unwrap();
        }
        writer.finish_new().unwrap();
        writer.task_id
    }

    fn count(&self, sql: &str, id: i64) -> i64 {
        self.conn.query_row(sql, [id], |r| r.get(0)).unwrap()
    }

    fn chunks(&self, id: i64) -> i64 {
        self.count("SELECT count(*) FROM task_chunk WHERE task_id = ?1", id)
    }

    /// The ids of a page of the tasks `seen` sees, and the total.
    fn page(&self, seen: Seen, filter: &TaskFilter, page: i64, size: i64) -> (i64, Vec<i64>) {
        let (total, tasks) =
            tasks_page(&self.conn, self.company, seen, filter, Page { page, size }).unwrap();
        (total, tasks.iter().map(|t| t.id).collect())
    }
}

mod data;
mod life;
