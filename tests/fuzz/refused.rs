//! Phase A requests: each starts from a valid one and breaks one to three things (the session,
//! the body, a path segment, a query), or uses a method the path does not serve.

use super::catalogue::{Ep, Ep::*, Spec, Who::*, SPECS};
use super::generator::Gen;
use super::pools::*;
use super::request::{enc, js, object, set, Req};
use crate::common::row;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::RngExt;
use rocket::http::{ContentType, Method};
use serde_json::json;

impl Gen<'_> {
    /// One phase A request for the endpoint.
    pub fn request(&mut self, ep: Ep) -> Req {
        let w = self.w;
        let axis = self.rng.random_range(0..10);
        if let Some(spec) = SPECS.iter().find(|s| s.ep == ep) {
            return self.spec_request(spec, axis);
        }
        match ep {
            Logout => {
                let session = match self.rng.random_range(0..4) {
                    0 => js(&w.sessions["logged_out"]),
                    1 => js(&self.token(Unknown)),
                    2 => js(&self.token(Malformed)),
                    _ => self.pick_in(STR_WRONG).to_owned(),
                };
                let valid = format!("{{\"session\":{session}}}");
                let body = if axis < 3 {
                    self.junk(&valid)
                } else {
                    valid.into_bytes()
                };
                self.req(ep, "/api/logout".into(), body, true)
            }
            Character | Entities | Tasks => {
                let (s, refuse) = if axis < 5 {
                    (self.bad_session(ep), true)
                } else {
                    (self.right(ep), false)
                };
                let mut path = ep.path(&s, &[]);
                if self.chance(20) {
                    path.push_str(self.pick_in(SIZE_QUERIES));
                }
                self.req(ep, path, Vec::new(), refuse)
            }
            UsersOfEntity | Departments | OwnAssets | CategoryRoot | CategorySub => {
                let valid: &[(&str, &'static str)] = match ep {
                    UsersOfEntity => &[("示例企业", NAME_SEGMENTS), ("1", NUMBER_SEGMENTS)],
                    Departments => &[("示例企业", NAME_SEGMENTS)],
                    OwnAssets => &[("1", NUMBER_SEGMENTS)],
                    CategoryRoot => &[("CST", NAME_SEGMENTS)],
                    _ => &[("CST", NAME_SEGMENTS), ("默认分类", NAME_SEGMENTS)],
                };
                if axis < 3 {
                    let s = self.bad_session(ep);
                    let params: Vec<String> = valid.iter().map(|(v, _)| enc(v)).collect();
                    let params: Vec<&str> = params.iter().map(String::as_str).collect();
                    return self.req(ep, ep.path(&s, &params), Vec::new(), true);
                }
                let s = self.right(ep);
                let params = self.params(valid);
                let params: Vec<&str> = params.iter().map(String::as_str).collect();
                let mut path = ep.path(&s, &params);
                if matches!(ep, UsersOfEntity | OwnAssets) && self.chance(40) {
                    path.push_str(self.pick_in(SIZE_QUERIES));
                }
                self.req(ep, path, Vec::new(), false)
            }
            DepartmentDelete | CategoryDelete => {
                // 软件组 is an empty department and 可删分类 an empty leaf: deletable, but only
                // by the right people.
                let (deletable, valid): (&[&str], &[(&str, &'static str)]) = match ep {
                    DepartmentDelete => (&["软件组"], &[("CST", NAME_SEGMENTS)]),
                    _ => (
                        &["CST", "可删分类"],
                        &[("CST", NAME_SEGMENTS), ("默认分类", NAME_SEGMENTS)],
                    ),
                };
                if axis < 4 {
                    let s = self.bad_session(ep);
                    let params: Vec<String> = deletable.iter().map(|v| enc(v)).collect();
                    let params: Vec<&str> = params.iter().map(String::as_str).collect();
                    return self.req(ep, ep.path(&s, &params), Vec::new(), true);
                }
                let s = self.right(ep);
                let mut params = self.params(valid);
                let last = params.len() - 1;
                if params[last] == enc(deletable[last]) {
                    params[last] = enc("条目型资产");
                }
                let params: Vec<&str> = params.iter().map(String::as_str).collect();
                self.req(ep, ep.path(&s, &params), Vec::new(), true)
            }
            PostAsset => {
                let valid = row("新资产", "liusn", "CST").to_string();
                let (s, body) = match axis {
                    0..=2 => (self.bad_session(ep), valid.into_bytes()),
                    3 | 4 => (self.right(ep), self.junk(&valid)),
                    _ => (self.right(ep), self.bad_row().into_bytes()),
                };
                self.req(ep, ep.path(&s, &[]), body, true)
            }
            ExpireAssets => {
                let valid = format!("[{}]", w.chair);
                let (s, body) = match axis {
                    0..=2 => (self.bad_session(ep), valid.into_bytes()),
                    3 | 4 => (self.right(ep), self.list_junk(&valid)),
                    _ => {
                        // All or none: one bad id among good ones retires nothing.
                        let bad = items(
                            r#"999999 | 0 | -1 | $foreign | 9223372036854775807 | "x" | "1" | 1.5
                               null | [] | {} | true | 1e400 | 9223372036854775808"#,
                        );
                        let mut ids: Vec<String> = (0..self.rng.random_range(0..4))
                            .map(|_| self.pick(&[w.chair, w.laptop, w.lamp]).to_string())
                            .collect();
                        for _ in 0..self.rng.random_range(1..3) {
                            let v = self.pick(&bad);
                            ids.extend(self.expand(v));
                        }
                        ids.shuffle(&mut self.rng);
                        (self.right(ep), format!("[{}]", ids.join(",")).into_bytes())
                    }
                };
                self.req(ep, ep.path(&s, &[]), body, true)
            }
            Search => self.search(axis),
            Import | Export => {
                let valid = match ep {
                    Import => json!([row("新资产", "liusn", "CST")]).to_string(),
                    _ => format!("[{}]", w.chair),
                };
                let (s, body) = match axis {
                    0..=4 => (self.bad_session(ep), valid.into_bytes()),
                    // Rows, then the body breaks off: no task, not even a part of one.
                    5 | 6 => {
                        let r = self.bad_row();
                        (self.right(ep), format!("[{r},{r},").into_bytes())
                    }
                    _ => (self.right(ep), self.list_junk(&valid)),
                };
                self.req(ep, ep.path(&s, &[]), body, true)
            }
            Task | FailedGet | FailedGetApi | ExportRecords | ExportFailed | Download => {
                let (who, id) = if axis < 3 {
                    let id = if matches!(ep, ExportRecords | ExportFailed) {
                        w.export_task
                    } else {
                        w.import_task
                    };
                    (None, id.to_string())
                } else {
                    let who = self.pick(&[Manager, Admin, Admin2, Wangwu]);
                    (Some(who), self.task_segment())
                };
                let s = match who {
                    Some(who) => self.token(who),
                    None => self.bad_session(ep),
                };
                let mut ok = who.is_some_and(|who| self.task_ok(ep, who, &id));
                let mut path = ep.path(&s, &[&id]);
                if ep == Download {
                    let (q, format_ok) = self.format_query();
                    path.push_str(&q);
                    ok = ok && format_ok != Some(false);
                }
                self.req(ep, path, Vec::new(), !ok)
            }
            TaskCancel | TaskDelete | TaskConfirm | TaskUndo => {
                // Phase A only refuses: the fixture tasks have finished (nothing to cancel)
                // and are no dry runs (nothing to confirm); an export cannot be undone. Undoing
                // the import or deleting a task's data would be accepted by the right session,
                // so those go to an export or to the other company's task instead.
                let (s, id) = if axis < 4 {
                    let id = self.pick(&[w.import_task, w.export_task]).to_string();
                    (self.bad_session(ep), id)
                } else {
                    let who = self.pick(&[Manager, Admin]);
                    let mut id = self.task_segment();
                    if self.task_ok(Task, who, &id) && !id.is_empty() {
                        match ep {
                            TaskUndo => id = w.export_task.to_string(),
                            TaskDelete => id = w.foreign_task.to_string(),
                            _ => {}
                        }
                    }
                    (self.token(who), id)
                };
                // The actions take no body: one sent is ignored, never read.
                let body = if self.chance(20) {
                    row("新资产", "liusn", "CST").to_string().into_bytes()
                } else {
                    Vec::new()
                };
                self.req(ep, ep.path(&s, &[&id]), body, true)
            }
            FailedPut | FailedPutApi => {
                // The fixture task has two failed rows: any other length is refused.
                let two = format!("[{},{}]", self.bad_row(), self.bad_row());
                let import = w.import_task.to_string();
                let (s, id, body) = match axis {
                    0..=2 => (self.bad_session(ep), import, two.into_bytes()),
                    3 | 4 => {
                        let n = self.pick(&[0, 1, 3, 5]);
                        let rows: Vec<String> = (0..n).map(|_| self.bad_row()).collect();
                        let body = format!("[{}]", rows.join(","));
                        (self.right(ep), import, body.into_bytes())
                    }
                    5 | 6 => (self.right(ep), import, self.list_junk(&two)),
                    _ => {
                        let mut id = self.task_segment();
                        if self.task_ok(ep, Manager, &id) {
                            id = w.export_task.to_string();
                        }
                        (self.right(ep), id, two.into_bytes())
                    }
                };
                self.req(ep, ep.path(&s, &[&id]), body, true)
            }
            Template => {
                let (s, q, refuse) = if axis < 3 {
                    (self.bad_session(ep), String::new(), true)
                } else {
                    let (q, ok) = self.format_query();
                    (self.right(ep), q, ok == Some(false))
                };
                let path = format!("{}{q}", ep.path(&s, &[]));
                self.req(ep, path, Vec::new(), refuse)
            }
            Upload => {
                if axis < 4 {
                    let s = self.bad_session(ep);
                    let csv = self.valid_csv();
                    return self.req(ep, ep.path(&s, &[]), csv, true);
                }
                let s = self.right(ep);
                if axis < 5 {
                    // A readable file, but a format nobody supports.
                    let csv = self.valid_csv();
                    let path = format!("{}?format=pdf", ep.path(&s, &[]));
                    return self.req(ep, path, csv, true);
                }
                let (body, content_type, query) = self.unreadable_file();
                let path = format!("{}{query}", ep.path(&s, &[]));
                let mut req = self.req(ep, path, body, true);
                req.content_type = Some(content_type);
                req
            }
            Index => {
                let path = self.pick(&["/", "/?x=%FF", "/?%00", "/?a=1&a=2", "/?'%20OR%201=1"]);
                self.req(ep, path.to_owned(), Vec::new(), false)
            }
            _ => {
                let (path, ok) = self.pick(STATIC_PATHS);
                self.req(Static, format!("/static/{path}"), Vec::new(), !ok)
            }
        }
    }

    /// A request of an object-body endpoint: a refused session with the valid body, junk, or
    /// the valid body broken.
    fn spec_request(&mut self, spec: &Spec, axis: u32) -> Req {
        let ep = spec.ep;
        let mut valid = self.spec_fields(spec.valid);
        let sessions = !ep.roles().is_empty();
        let s = match ep {
            UserNew | UserModify => self.token(Admin),
            _ => self.right(ep),
        };
        let body = match axis {
            0..=2 if sessions => {
                let s = self.bad_session(ep);
                return self.req(ep, ep.path(&s, &[]), object(&valid), true);
            }
            0..=3 => self.junk(&object(&valid)),
            _ if ep == ModifyAsset && axis >= 6 => {
                // Break a field of one of the assets (the id is fine).
                let target = self.pick(&[self.w.chair, self.w.laptop, self.w.lamp]);
                valid = vec![("id".into(), target.to_string())];
                let mut bad: Vec<(&str, &'static str)> = ROW_BAD
                    .iter()
                    .filter(|(k, _)| !MODIFY_IGNORES.contains(k))
                    .copied()
                    .collect();
                bad.push(("status", STATUS_BAD));
                if self.chance(10) {
                    // An item as its own parent: a cycle.
                    let laptop = self.w.laptop;
                    format!("{{\"id\":{laptop},\"parent\":{laptop}}}").into_bytes()
                } else {
                    self.broken(valid, &bad, ROW_FREE, false).into_bytes()
                }
            }
            _ if ep == Login && axis >= 7 => {
                // Well-formed guesses: nobody's names, or zhangsan with wrong passwords (the
                // slowdown may start and answer 429).
                let (identity, password) = match self.rng.random_range(0..12) {
                    0 => (
                        "zhangsan".to_owned(),
                        self.pick(&["' OR 1=1 --", "", "DEMO123"]).to_owned(),
                    ),
                    1 if self.chance(30) => (self.big(), self.big()),
                    2 => ("x".repeat(255), "demo123".to_owned()),
                    _ => {
                        let i = self.pick(&[
                            "nobody",
                            "",
                            " ",
                            "' OR 1=1 --",
                            "\" OR \"\"=\"",
                            "%",
                            "_",
                            "<img src=x onerror=alert(1)>",
                            "a\u{0}b",
                            "\u{0}",
                            "admin' --",
                            "liusn' --",
                            "*",
                        ]);
                        let p = self.pick(&["demo123", "' OR 1=1 --", "", "\u{0}", "%"]);
                        (i.to_owned(), p.to_owned())
                    }
                };
                json!({ "identity": identity, "password": password })
                    .to_string()
                    .into_bytes()
            }
            _ if ep == Password && self.chance(3) => {
                // Argon2 runs for a wrong old password: only a few of these.
                json!({"oldpassword": "wrong-old", "newpassword": "secret99"})
                    .to_string()
                    .into_bytes()
            }
            _ => self.broken(valid, spec.bad, spec.free, true).into_bytes(),
        };
        let path = if sessions {
            ep.path(&s, &[])
        } else {
            ep.path("", &[])
        };
        self.req(ep, path, body, true)
    }

    fn search(&mut self, axis: u32) -> Req {
        let ep = Search;
        let valid = json!({"page": 1}).to_string();
        if axis < 2 {
            let s = self.bad_session(ep);
            return self.req(ep, ep.path(&s, &[]), valid, true);
        }
        let s = self.right(ep);
        let path = ep.path(&s, &[]);
        if axis < 4 {
            let body = self.junk(&valid);
            return self.req(ep, path, body, true);
        }
        if axis < 6 {
            // LIKE and SQL metacharacters are text: they match nothing here.
            let field = self.pick(&[
                "name",
                "description",
                "user",
                "department",
                "asset_tree_node",
            ]);
            let probe = self.pick_in(MATCH_NOTHING);
            let body = json!({ field: probe, "page": 1, "size": 1000 }).to_string();
            let mut req = self.req(ep, path, body, false);
            req.expect_empty = true;
            return req;
        }
        let strings = r#"$exotic | $str_wrong | "CST" | "椅子" | "liusn" | "默认分类" | $big"#;
        let numbers = r#"$lenient_wrong | null | 1 | "2" | 0 | -1 | 9223372036854775807
                         -9223372036854775808 | 1537228672809129302 | 1000 | 1001"#;
        let prices = r#"$lenient_wrong | 1e13 | 1e14 | -1e13 | 0.005 | "1e400" | "NaN" | -0"#;
        let mut f = vec![("page".to_owned(), "1".to_owned())];
        for (key, pool) in [
            ("department", strings),
            ("asset_tree_node", strings),
            ("id", numbers),
            ("name", strings),
            ("user", strings),
            ("price_inf", prices),
            ("price_sup", prices),
            ("description", strings),
            ("expire", numbers),
            ("page", numbers),
            ("size", numbers),
        ] {
            if self.chance(20) {
                let v = self.pick_in(pool);
                let v = self.expand(v);
                set(&mut f, key, v);
            }
        }
        self.req(ep, path, object(&f), false)
    }

    /// A request with a method its path does not serve (HEAD on a path without GET too).
    pub fn wrong_method(&mut self) -> Req {
        let w = self.w;
        let m = self.token(Manager);
        let a = self.token(Admin);
        let (i, e) = (w.import_task.to_string(), w.export_task.to_string());
        let ours = enc("示例企业");
        let node = enc("默认分类");
        let staff = self.token(Staff);
        let root = self.token(Root);
        use Method::{Delete as D, Get as G, Post as P, Put as U};
        let paths: Vec<(Ep, String, &[Method])> = vec![
            (Login, "/api/login".into(), &[P]),
            (Logout, "/api/logout".into(), &[U]),
            (Character, Character.path(&m, &[]), &[G]),
            (Password, Password.path(&m, &[]), &[U]),
            (EntityNew, EntityNew.path(&root, &[]), &[P, G]),
            (UserNew, UserNew.path(&a, &[]), &[P, U]),
            (UsersOfEntity, UsersOfEntity.path(&a, &[&ours, "1"]), &[G]),
            (DepartmentNew, DepartmentNew.path(&a, &[]), &[P]),
            (Departments, Departments.path(&a, &[&ours]), &[G]),
            (DepartmentDelete, DepartmentDelete.path(&a, &["CST"]), &[D]),
            (CategoryNew, CategoryNew.path(&m, &[]), &[P]),
            (CategoryRoot, CategoryRoot.path(&m, &["CST"]), &[G]),
            (CategorySub, CategorySub.path(&m, &["CST", &node]), &[G, D]),
            (PostAsset, PostAsset.path(&m, &[]), &[P]),
            (ModifyAsset, ModifyAsset.path(&m, &[]), &[P, U]),
            (ExpireAssets, ExpireAssets.path(&m, &[]), &[U]),
            (Search, Search.path(&m, &[]), &[P]),
            (OwnAssets, OwnAssets.path(&staff, &["1"]), &[G]),
            (Export, Export.path(&m, &[]), &[P]),
            (Tasks, Tasks.path(&m, &[]), &[G]),
            (Task, Task.path(&m, &[&i]), &[G, D]),
            (TaskCancel, TaskCancel.path(&m, &[&i]), &[P]),
            (TaskConfirm, TaskConfirm.path(&m, &[&i]), &[P]),
            (TaskUndo, TaskUndo.path(&m, &[&e]), &[P]),
            (FailedGet, FailedGet.path(&m, &[&i]), &[G, U]),
            (FailedGetApi, FailedGetApi.path(&m, &[&i]), &[G, U]),
            (ExportRecords, ExportRecords.path(&m, &[&e]), &[G]),
            (ExportFailed, ExportFailed.path(&m, &[&e]), &[G]),
            (Template, Template.path(&m, &[]), &[G]),
            (Upload, Upload.path(&m, &[]), &[P]),
            (Download, Download.path(&m, &[&i]), &[G]),
            (Index, "/".into(), &[G]),
            (Static, "/static/app.js".into(), &[G]),
        ];
        let (ep, path, allowed) = paths.choose(&mut self.rng).cloned().expect("paths");
        let methods: Vec<Method> = [G, P, U, D, Method::Patch, Method::Options, Method::Head]
            .into_iter()
            .filter(|x| !(allowed.contains(x) || *x == Method::Head && allowed.contains(&G)))
            .collect();
        let mut method = self.pick(&methods);
        // Valid-looking bodies: a wrong method must not run them anyway.
        let mut body = match self.rng.random_range(0..4) {
            0 => json!({"identity": "sysadmin", "password": "demo123"}).to_string(),
            1 => format!("[{}]", w.chair),
            2 => row("新资产", "liusn", "CST").to_string(),
            _ => String::new(),
        }
        .into_bytes();
        let mut content_type = self.content_type();
        if ep == DepartmentDelete && self.chance(20) {
            // Rocket's form method override turns this POST into the DELETE: still refused,
            // CST is not empty.
            method = P;
            content_type = Some(ContentType::Form);
            body = b"_method=delete".to_vec();
        }
        Req {
            method,
            path,
            body,
            content_type,
            label: ep.label(),
            wrong_method: true,
            refuse: true,
            file_ok: matches!(ep, Index | Static),
            expect_empty: false,
        }
    }
}
