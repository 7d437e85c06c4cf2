//! The endpoints: every route, who may call it, how many phase A requests it gets, and the
//! object bodies with the values that break them.

use rocket::http::Method;

/// Whose session a request carries: a role of the demo company, the other company's admin or
/// manager, or a session that is no one's.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Who {
    Manager,
    Admin,
    Staff,
    Root,
    Admin2,
    Wangwu,
    Locked,
    LoggedOut,
    Unknown,
    Malformed,
}

use Who::*;

/// Every route of `src/api/*.rs` and `src/page.rs`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[rustfmt::skip]
pub enum Ep {
    Login, Logout, Character, Password, EntityNew, Entities, UserNew, UserModify, UsersOfEntity,
    DepartmentNew, Departments, DepartmentDelete, CategoryNew, CategoryRoot, CategorySub,
    CategoryDelete, PostAsset, ModifyAsset, ExpireAssets, Search, OwnAssets, Import, Export,
    Tasks, Task, TaskCancel, TaskDelete, TaskConfirm, TaskUndo, FailedGet, FailedGetApi,
    FailedPut, FailedPutApi, ExportRecords, ExportFailed, Template, Upload, Download, Index,
    Static,
}

use Ep::*;

/// (endpoint, route, phase A requests).
#[rustfmt::skip]
pub const ENDPOINTS: &[(Ep, &str, usize)] = &[
    (Login,            "POST /api/login",                              200),
    (Logout,           "PUT /api/logout",                              120),
    (Character,        "GET /api/character/{s}",                       120),
    (Password,         "PUT /api/user_password/{s}",                   150),
    (EntityNew,        "POST /api/entity/{s}",                         150),
    (Entities,         "GET /api/entity/{s}",                           80),
    (UserNew,          "POST /api/user/{s}",                           250),
    (UserModify,       "PUT /api/user/{s}",                            200),
    (UsersOfEntity,    "GET /api/user_entity/{s}/{entity}/{page}",     150),
    (DepartmentNew,    "POST /api/department/{s}",                     180),
    (Departments,      "GET /api/all_departments/{s}/{entity}",        100),
    (DepartmentDelete, "DELETE /api/department/{s}/{name}",            150),
    (CategoryNew,      "POST /api/asset_tree/{s}",                     180),
    (CategoryRoot,     "GET /api/asset_tree_root/{s}/{dept}",          100),
    (CategorySub,      "GET /api/sub_asset_tree/{s}/{dept}/{node}",    120),
    (CategoryDelete,   "DELETE /api/sub_asset_tree/{s}/{dept}/{node}", 150),
    (PostAsset,        "POST /api/post_asset/{s}",                     300),
    (ModifyAsset,      "PUT /api/asset/{s}",                           250),
    (ExpireAssets,     "PUT /api/expire_asset/{s}",                    200),
    (Search,           "POST /api/search_assets/{s}",                  250),
    (OwnAssets,        "GET /api/asset_user_list/{s}/{page}",          120),
    (Import,           "POST /api/asset/{s}",                          150),
    (Export,           "POST /api/export_task/{s}",                    120),
    (Tasks,            "GET /api/async_task/{s}",                       80),
    (Task,             "GET /api/async_task/{s}/{id}",                 100),
    (TaskCancel,       "POST /api/async_task/{s}/{id}/cancel",          80),
    (TaskDelete,       "DELETE /api/async_task/{s}/{id}",               80),
    (TaskConfirm,      "POST /api/async_task/{s}/{id}/confirm",         80),
    (TaskUndo,         "POST /api/async_task/{s}/{id}/undo",            80),
    (FailedGet,        "GET /failed_task/{s}/{id}",                     80),
    (FailedGetApi,     "GET /api/failed_task/{s}/{id}",                 80),
    (FailedPut,        "PUT /failed_task/{s}/{id}",                    100),
    (FailedPutApi,     "PUT /api/failed_task/{s}/{id}",                100),
    (ExportRecords,    "GET /api/export_task/{s}/{id}",                100),
    (ExportFailed,     "GET /api/export_task/{s}/{id}/failed",         100),
    (Template,         "GET /api/asset_template/{s}",                   80),
    (Upload,           "POST /api/asset_file/{s}",                     120),
    (Download,         "GET /api/async_task/{s}/{id}/file",            100),
    (Index,            "GET /",                                         40),
    (Static,           "GET /static/{path}",                            80),
];
/// Phase A requests with a method the path does not serve.
pub const WRONG_METHODS: usize = 560;

impl Ep {
    pub fn label(self) -> &'static str {
        ENDPOINTS.iter().find(|e| e.0 == self).map_or("?", |e| e.1)
    }

    pub fn method(self) -> Method {
        match self.label().split(' ').next() {
            Some("POST") => Method::Post,
            Some("PUT") => Method::Put,
            Some("DELETE") => Method::Delete,
            _ => Method::Get,
        }
    }

    /// The path with the session and up to two parameters filled in.
    pub fn path(self, s: &str, params: &[&str]) -> String {
        let template = self.label().split(' ').nth(1).unwrap_or("/");
        let mut params = params.iter();
        let segments: Vec<&str> = template
            .split('/')
            .map(|seg| match seg {
                "{s}" => s,
                _ if seg.starts_with('{') => params.next().copied().unwrap_or(""),
                _ => seg,
            })
            .collect();
        segments.join("/")
    }

    /// Roles (in the demo company) the endpoint serves.
    pub fn roles(self) -> &'static [Who] {
        match self {
            Login | Logout | Index | Static => &[],
            Character | Password => &[Manager, Admin, Staff, Root],
            EntityNew | Entities => &[Root],
            UserNew | UserModify | UsersOfEntity => &[Root, Admin],
            DepartmentNew | DepartmentDelete => &[Admin],
            Departments => &[Root, Admin, Manager],
            OwnAssets => &[Staff],
            Search => &[Manager, Admin, Staff],
            _ => &[Manager, Admin],
        }
    }

    /// Whether the endpoint's valid request names the demo company's data, so that the other
    /// company's users are refused it too (otherwise it would be a valid request of theirs).
    pub fn names_ours(self) -> bool {
        !matches!(
            self,
            Character
                | Password
                | DepartmentNew
                | Search
                | Import
                | Export
                | Tasks
                | Template
                | Upload
        )
    }
}

/// An object body: its valid form (also sent with sessions that must be refused), values that
/// each break it, and values that may ride along with those.
pub struct Spec {
    pub ep: Ep,
    pub valid: &'static [(&'static str, &'static str)],
    pub bad: &'static [(&'static str, &'static str)],
    pub free: &'static [(&'static str, &'static str)],
}

pub const SPECS: &[Spec] = &[
    Spec {
        ep: Login,
        valid: &[("identity", r#""nobody""#), ("password", r#""demo123""#)],
        bad: &[
            ("identity", "$missing | null | 5 | [] | {} | true"),
            ("password", "$missing | null | 5 | [] | {} | false"),
        ],
        free: &[("identity", r#"$exotic | "zhangsan" | "admin""#)],
    },
    Spec {
        ep: Password,
        valid: &[
            ("oldpassword", r#""demo123""#),
            ("newpassword", r#""demo1234""#),
        ],
        bad: &[
            (
                "newpassword",
                r#"$missing | null | 5 | [] | {} | "" | "12345" | $long129 | $big"#,
            ),
            ("oldpassword", "$missing | null | 5 | [] | {} | true"),
        ],
        free: &[("oldpassword", "$exotic")],
    },
    Spec {
        ep: EntityNew,
        valid: &[("name", r#""新企业""#)],
        bad: &[(
            "name",
            r#"$str_wrong | $missing | "" | "   " | "示例企业" | "另一企业" | $long129 | $big
               "a\u0000b" | "\t名" | "a\nb" | "\u007f""#,
        )],
        free: &[],
    },
    Spec {
        ep: UserNew,
        valid: &[
            ("name", r#""lisi""#),
            ("password", r#""secret1""#),
            ("department", r#""CST""#),
            ("character", "1"),
            ("lock", "false"),
            ("email", r#""lisi@example.com""#),
        ],
        bad: &[
            (
                "name",
                r#"$str_wrong | $missing | "" | "  " | "liusn" | "admin" | "wangwu" | $long129
                   $big | "a\u0000b" | "\u001b[31m""#,
            ),
            (
                "password",
                r#"$str_wrong | $missing | "" | "12345" | $long129 | $big"#,
            ),
            (
                "department",
                r#"$str_wrong | "" | "不存在" | "销售部" | "%" | "_" | "' OR 1=1 --""#,
            ),
            (
                "character",
                "$int_wrong | $missing | 0 | 5 | -1 | 3 | 4 | 9223372036854775807",
            ),
            ("lock", "$bool_wrong"),
            ("email", r#""no-at-sign" | 5 | [] | {} | true | $long257"#),
            ("entity", r#""另一企业" | "不存在" | 5 | [] | null | "%""#),
        ],
        free: &[
            ("name", "$exotic"),
            ("email", r#"null | "" | "   ""#),
            ("entity", r#""" | "示例企业""#),
            ("character", "2"),
        ],
    },
    Spec {
        ep: UserModify,
        valid: &[("id", "$user:zhangsan"), ("lock", "false")],
        bad: &[
            (
                "id",
                r#"$lenient_wrong | $missing | 0 | -1 | 999999 | 9223372036854775807 | "-5"
                   $user:admin2 | $user:wangwu | $user:admin | $user:sysadmin"#,
            ),
            (
                "password",
                r#""" | "12345" | $long129 | $big | 5 | [] | {} | true"#,
            ),
            ("lock", r#""true" | 1 | 0 | "yes" | [] | {} | [true]"#),
        ],
        free: &[
            ("id", "$user:liusn | $user:locked1"),
            ("lock", "true | null"),
            ("password", r#"null | "secret8""#),
        ],
    },
    Spec {
        ep: DepartmentNew,
        valid: &[("name", r#""新部门""#), ("parent", r#""""#)],
        bad: &[
            (
                "name",
                r#"$str_wrong | $missing | "" | " " | "CST" | "软件组" | $long129 | $big
                   "a\u0000" | "\u007f""#,
            ),
            (
                "parent",
                r#"$str_wrong | "不存在" | "销售部" | "%" | "_" | "' OR 1=1 --""#,
            ),
        ],
        free: &[("name", "$exotic"), ("parent", r#""CST" | $missing"#)],
    },
    Spec {
        ep: CategoryNew,
        valid: &[
            ("name", r#""新分类""#),
            ("parent", r#""""#),
            ("department", r#""CST""#),
        ],
        bad: &[
            (
                "name",
                r#"$str_wrong | $missing | "" | "默认分类" | "数量型资产" | "条目型资产"
                   $long129 | $big | "\u0000""#,
            ),
            ("parent", r#"$str_wrong | $missing | "不存在" | "%" | "_""#),
            (
                "department",
                r#"$str_wrong | $missing | "" | "不存在" | "销售部" | "%" | "_" | "' OR 1=1 --""#,
            ),
        ],
        free: &[
            ("name", "$exotic"),
            ("parent", r#""数量型资产" | "条目型资产""#),
            ("department", r#""软件组""#),
        ],
    },
    Spec {
        ep: ModifyAsset,
        valid: &[("id", "$chair"), ("name", r#""新椅子""#)],
        bad: &[(
            "id",
            r#"$missing | "x" | -1 | 0 | 999999 | 1.5 | null | [] | {} | true | 9223372036854775808
               "" | "1e3" | 1e400 | $foreign"#,
        )],
        free: &[("price", r#"1 | "2""#), ("status", "3")],
    },
];
