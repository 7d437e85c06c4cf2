//! Generated bad input (SPEC §3, §6, §7): thousands of requests from a fixed seed across every
//! endpoint — broken and mistyped JSON, nulls, huge, negative and fractional numbers, 1 MB
//! strings, deep nesting, control characters, SQL and HTML, invalid UTF-8 in bodies, paths and
//! queries, wrong methods, malformed and foreign sessions, bad task ids. Each request starts
//! from a valid one and breaks one to three things, so every check behind the first is reached.
//!
//! Every answer must be the JSON envelope (a file only where a file is asked for) and never a
//! 5xx. Phase A sends requests that must be refused (reads may succeed) and compares the whole
//! database after every one that committed anything. Phase B sends what the task endpoints
//! accept by design — arrays and files of rows that are all broken, ids, re-runs: tasks appear,
//! nothing else changes, and every task finishes with every row counted.

mod common;

use common::{item, row, App, ADMIN_PASSWORD};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rocket::http::{ContentType, Method, Status};
use rusqlite::Connection;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The default seed; `FUZZ_SEED=<n>` explores another.
const SEED: u64 = 0x0A55_E7F0_2200_5EED;
/// 1 MB strings are slow to send and parse: this many, then 5,000 characters.
const BIG_STRINGS: usize = 12;
/// Phase A compares the whole database at least this often, besides after every commit.
const CHECKPOINT: usize = 250;
const TASK_REQUESTS: usize = 800;

/// Which tables a digest covers.
#[derive(Clone, Copy)]
enum Tables {
    /// All but sessions and the login slowdown: what a refused request may not change.
    All,
    /// The register (companies, people, categories, assets): what a task of broken rows may
    /// not change, whatever tables the tasks keep their rows and results in.
    Register,
}

const REGISTER: &[&str] = &["entity", "department", "user", "category", "asset"];

// ---------------------------------------------------------------------------------------------
// Pools of raw JSON values, separated by ` | ` or line breaks. `$missing` drops the field, `$big`
// is a 1 MB string, `$long<n>` a string of n characters, `$chair`… and `$user:<name>` are ids of
// the fixture, `$str_wrong`… include another pool.

/// Wrong for a required string field.
const STR_WRONG: &str = r#"
    null | 0 | -1 | 1.5 | 1e400 | 9223372036854775808 | -1e308 | true | false | [] | ["x"]
    {} | {"a":"b"} | [[[[[[]]]]]] | "\ud800"
"#;
/// Wrong for a strict integer field.
const INT_WRONG: &str = r#"
    null | "x" | "1" | 1.5 | -0.5 | 9223372036854775808 | -9223372036854775809 | -1e308 | 1e400
    true | [] | {} | [1] | "' OR 1=1 --"
"#;
/// Wrong for an integer field that also takes numeric strings.
const LENIENT_WRONG: &str = r#"
    "x" | "1.5" | 1.5 | -0.5 | "1e3" | 9223372036854775808 | "9223372036854775808" | -1e308
    1e400 | true | [] | {} | [1] | "' OR 1=1 --" | "0x10"
"#;
/// Wrong for a boolean field (null too, where the field is not optional).
const BOOL_WRONG: &str = r#" "true" | 1 | 0 | "yes" | [] | {} | [true] | null "#;
/// Valid JSON strings that may be valid values: SQL and LIKE metacharacters, HTML, control
/// characters, odd Unicode.
const EXOTIC: &str = r#"
    "' OR 1=1 --" | "\"; DROP TABLE asset; --" | "Robert'); DROP TABLE user;--" | "%" | "_"
    "%_%" | "<img src=x onerror=alert(1)>" | "<script>alert(1)</script>" | "\u0000" | "a\u0000b"
    "\u0001\u001f\u007f" | "\r\n\t" | "\\" | "🙂𝄞" | "\ufeff" | "\u202eRTL" | "名\u0000字"
    "1; SELECT * FROM session"
"#;
/// Search terms that match nothing here: no name, user, department or category holds them.
const MATCH_NOTHING: &str = r#" % | _ | %% | %_% | ' OR 1=1 -- | " OR ""=" | %' OR '1'='1 | * "#;

/// Values that break an import row whatever its other fields hold.
const ROW_BAD: &[(&str, &str)] = &[
    (
        "name",
        r#"$missing | null | 5 | true | [] | {} | "" | "   " | $long129 | $big | "\ud800""#,
    ),
    (
        "parent",
        r#"-1 | 0 | true | [] | {} | 1.5 | 999999999 | "不存在的父资产" | "' OR 1=1 --" | "%"
           "_" | "-1" | $foreign | $chair"#,
    ),
    (
        "assetClass",
        r#"$missing | null | 2 | -1 | 0.5 | "x" | "条目" | [] | {} | true | 9223372036854775808
           "1e400" | 1e400"#,
    ),
    (
        "user",
        r#"$missing | null | 5 | [] | "nobody" | "' OR 1=1 --" | "%" | "_" | "wangwu" | "admin"
           "sysadmin" | "<img src=x onerror=alert(1)>""#,
    ),
    (
        "price",
        r#"$missing | null | -1 | -0.01 | "-5" | "abc" | -1e308 | 1e300 | "1e400" | 1e400 | true
           [] | {} | "NaN" | "inf" | "-inf""#,
    ),
    ("description", "5 | [] | {} | true | $long4097 | $big"),
    ("position", "5 | [] | false | $long257"),
    ("expire", r#"1 | 2 | -1 | "x" | true | 0.5 | [] | "1""#),
    (
        "count",
        r#"$missing | null | 0 | -1 | 1.5 | "1.5" | "x" | 1e400 | 9223372036854775808 | 1e300
           -1e308 | true | [] | """#,
    ),
    (
        "assetTree",
        r#"$missing | null | 5 | "不存在" | "%" | "_" | "' OR 1=1 --" | []"#,
    ),
    (
        "department",
        r#"$missing | null | 5 | "不存在" | "销售部" | "%" | "_" | "' OR 1=1 --" | []
           "\"; DROP TABLE asset; --" | {} | """#,
    ),
    (
        "deadline",
        r#"$missing | null | -1 | -0.5 | -1e308 | "x" | 1e400 | 9223372036854775808 | true | []"#,
    ),
];
/// Changes that may or may not be valid on their own: they ride along with a breaking one.
const ROW_FREE: &[(&str, &str)] = &[
    ("price", r#""10" | 0 | 10.005 | " 7 ""#),
    ("count", r#""3" | 1"#),
    ("assetClass", r#""数量型" | "0""#),
    ("parent", r#"null | """#),
    ("expire", r#"null | 0 | "0""#),
    ("name", "$exotic"),
    ("description", "null | $exotic"),
    ("position", "$exotic"),
    ("unknown_field", "1 | [1,2]"),
    // Not a field of the SPEC's rows: whatever the server makes of it, the row still fails.
    (
        "create_time",
        r#""2999-01-01" | "x" | 5 | "2020-13-45" | [] | "2020-02-30""#,
    ),
    ("deadline", r#"0.5 | "10""#),
];

/// Path segments naming a department, category or entity; `~` marks text to percent-encode.
const NAME_SEGMENTS: &str = r#"
    ~CST | ~不存在的部门 | ~示例企业 | ~另一企业 | ~销售部 | ~默认分类 | ~条目型资产 | %25 | _ | %25%25
    ~' OR 1=1 -- | ~"; DROP TABLE asset; -- | ~<img src=x onerror=alert(1)> | %00 | CST%00
    %01%1F%7F | %FF | %FE%FF | %C0%80 | %ED%A0%80 | %E8%BD | %E9 | % | %G1 | %2 | %2F | a%2Fb
    .. | %2E%2E | %20 | CST%20 | cst | $long5000 | -1 | null | 不存在 | a b | a%5Cb | %0A | $empty
"#;
const NUMBER_SEGMENTS: &str = r#"
    1 | 2 | 0 | -1 | 9223372036854775807 | -9223372036854775808 | 9223372036854775808
    1537228672809129302 | 99999999999999999999999 | 1.5 | 1e3 | abc | %FF | %00 | %201 | +1
    0x10 | null | %EF%BC%91 | 1%00 | $empty
"#;
const SIZE_QUERIES: &str = r#"
    ?size=6 | ?size=1000 | ?size=1001 | ?size=0 | ?size=-1 | ?size=1.5 | ?size=x
    ?size=9223372036854775807 | ?size=9223372036854775808 | ?size=%FF | ?size=1&size=2 | ?size
    ?= | ?&&& | ?%FF=1 | ?size=%00 | ?size=-9223372036854775808
"#;
/// (format query, whether it asks for csv or xlsx; None: the server may take it either way).
const FORMATS: &[(&str, Option<bool>)] = &[
    ("", Some(true)),
    ("?format=csv", Some(true)),
    ("?format=xlsx", Some(true)),
    ("?format=XlSx", Some(true)),
    ("?format=", Some(true)),
    ("?format=%20csv%20", Some(true)),
    ("?format=pdf", Some(false)),
    ("?format=xls", Some(false)),
    ("?format=csv%00", Some(false)),
    ("?format=%3Cimg%3E", Some(false)),
    ("?format=%FF", None),
    ("?format=csv&format=pdf", None),
    ("?format", None),
    ("?%FF", None),
];
/// (path under /static/, whether it is a file of the page).
const STATIC_PATHS: &[(&str, bool)] = &[
    ("app.js", true),
    ("app.css", true),
    ("index.html", true),
    ("favicon.svg", true),
    ("app.js?x=%FF", true),
    ("nope.js", false),
    ("../Cargo.toml", false),
    ("..%2FCargo.toml", false),
    ("%2E%2E/%2E%2E/etc/passwd", false),
    ("../../../../etc/passwd", false),
    ("%5C..%5CCargo.toml", false),
    ("%FF", false),
    ("a/b/c/d", false),
    ("app.js%00", false),
    ("", false),
    (".env", false),
    ("APP.JS", false),
    ("static/app.js", false),
];
const CSV_HEADER: &str =
    "资产名,资产类型,资产价值,资产数量,使用期限,所属品类,描述信息,位置信息,挂账人,所属部门,父资产";
const CSV_HEADER_EN: &str =
    "name,assetClass,price,count,deadline,assetTree,description,position,user,department,parent";

/// The values of a pool, other pools included.
fn items(pool: &'static str) -> Vec<&'static str> {
    let mut out = Vec::new();
    for item in pool.lines().flat_map(|l| l.split(" | ")).map(str::trim) {
        match item {
            "" => {}
            "$str_wrong" => out.extend(items(STR_WRONG)),
            "$int_wrong" => out.extend(items(INT_WRONG)),
            "$lenient_wrong" => out.extend(items(LENIENT_WRONG)),
            "$bool_wrong" => out.extend(items(BOOL_WRONG)),
            "$exotic" => out.extend(items(EXOTIC)),
            _ => out.push(item),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Endpoints.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Who {
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
enum Ep {
    Login, Logout, Character, Password, EntityNew, Entities, UserNew, UserModify, UsersOfEntity,
    DepartmentNew, Departments, DepartmentDelete, CategoryNew, CategoryRoot, CategorySub,
    CategoryDelete, PostAsset, ModifyAsset, ExpireAssets, Search, OwnAssets, Import, Export,
    Tasks, Task, FailedGet, FailedGetApi, FailedPut, FailedPutApi, ExportRecords, Template,
    Upload, Download, Index, Static,
}

use Ep::*;

/// (endpoint, route, phase A requests).
#[rustfmt::skip]
const ENDPOINTS: &[(Ep, &str, usize)] = &[
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
    (FailedGet,        "GET /failed_task/{s}/{id}",                     80),
    (FailedGetApi,     "GET /api/failed_task/{s}/{id}",                 80),
    (FailedPut,        "PUT /failed_task/{s}/{id}",                    100),
    (FailedPutApi,     "PUT /api/failed_task/{s}/{id}",                100),
    (ExportRecords,    "GET /api/export_task/{s}/{id}",                100),
    (Template,         "GET /api/asset_template/{s}",                   80),
    (Upload,           "POST /api/asset_file/{s}",                     120),
    (Download,         "GET /api/async_task/{s}/{id}/file",            100),
    (Index,            "GET /",                                         40),
    (Static,           "GET /static/{path}",                            80),
];
/// Phase A requests with a method the path does not serve.
const WRONG_METHODS: usize = 560;

impl Ep {
    fn label(self) -> &'static str {
        ENDPOINTS.iter().find(|e| e.0 == self).map_or("?", |e| e.1)
    }

    fn method(self) -> Method {
        match self.label().split(' ').next() {
            Some("POST") => Method::Post,
            Some("PUT") => Method::Put,
            Some("DELETE") => Method::Delete,
            _ => Method::Get,
        }
    }

    /// The path with the session and up to two parameters filled in.
    fn path(self, s: &str, params: &[&str]) -> String {
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
    fn roles(self) -> &'static [Who] {
        match self {
            Login | Logout | Index | Static => &[],
            Character | Password => &[Manager, Admin, Staff, Root],
            EntityNew | Entities => &[Root],
            UserNew | UserModify | UsersOfEntity => &[Root, Admin],
            DepartmentNew | DepartmentDelete => &[Admin],
            Departments => &[Root, Admin, Manager],
            OwnAssets => &[Staff],
            _ => &[Manager, Admin],
        }
    }

    /// Whether the endpoint's valid request names the demo company's data, so that the other
    /// company's users are refused it too (otherwise it would be a valid request of theirs).
    fn names_ours(self) -> bool {
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
struct Spec {
    ep: Ep,
    valid: &'static [(&'static str, &'static str)],
    bad: &'static [(&'static str, &'static str)],
    free: &'static [(&'static str, &'static str)],
}

const SPECS: &[Spec] = &[
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

/// Fields an asset modification keeps as they are whatever is sent: breaking them proves
/// nothing.
const MODIFY_IGNORES: &[&str] = &["expire", "create_time", "assetClass", "department"];
const STATUS_BAD: &str = r#"0 | 4 | -1 | "x" | "2" | 1.5 | true | [] | {}"#;

/// One request and what its answer must be.
struct Req {
    method: Method,
    path: String,
    body: Vec<u8>,
    content_type: Option<ContentType>,
    label: &'static str,
    wrong_method: bool,
    /// The answer must not be code 0.
    refuse: bool,
    /// A 200 answer may be a file (page, template, download) instead of the envelope.
    file_ok: bool,
    /// A success must list nothing (a metacharacter matched as a pattern otherwise).
    expect_empty: bool,
}

fn describe(req: &Req) -> String {
    let head = &req.body[..req.body.len().min(200)];
    format!(
        "{} {:.300} (body of {} bytes: {:?}) [{}]",
        req.method,
        req.path,
        req.body.len(),
        String::from_utf8_lossy(head),
        req.label
    )
}

/// Percent-encodes every byte but ASCII letters and digits.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn js(s: &str) -> String {
    Value::from(s).to_string()
}

type Fields = Vec<(String, String)>;

/// An object's text from (field, raw JSON) pairs, in order.
fn object(fields: &Fields) -> String {
    let inner: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}:{v}", js(k)))
        .collect();
    format!("{{{}}}", inner.join(","))
}

fn set(fields: &mut Fields, key: &str, value: Option<String>) {
    fields.retain(|(k, _)| k != key);
    if let Some(v) = value {
        fields.push((key.to_owned(), v));
    }
}

// ---------------------------------------------------------------------------------------------
// The fixture and the generator.

/// Sessions of every kind and ids of users, assets and tasks.
struct World {
    sessions: BTreeMap<&'static str, String>,
    users: BTreeMap<String, i64>,
    chair: i64,
    laptop: i64,
    lamp: i64,
    foreign_asset: i64,
    import_task: i64,
    export_task: i64,
    foreign_task: i64,
}

struct Gen<'w> {
    rng: StdRng,
    w: &'w World,
    big_left: usize,
    /// Import tasks of the demo company made in phase B: (id, failed rows when last done).
    imports: Vec<(i64, usize)>,
}

impl Gen<'_> {
    fn chance(&mut self, percent: u32) -> bool {
        self.rng.gen_range(0..100) < percent
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        *from.choose(&mut self.rng).expect("a non-empty pool")
    }

    fn pick_in(&mut self, pool: &'static str) -> &'static str {
        let all = items(pool);
        self.pick(&all)
    }

    fn big(&mut self) -> String {
        if self.big_left > 0 {
            self.big_left -= 1;
            "长".repeat((1 << 20) / 3)
        } else {
            "长".repeat(5000)
        }
    }

    /// A pool value as raw JSON text (or path text); None drops the field.
    fn expand(&mut self, value: &str) -> Option<String> {
        let w = self.w;
        Some(match value {
            "$missing" => return None,
            "$empty" => String::new(),
            "$big" => js(&self.big()),
            "$long129" => js(&"名".repeat(129)),
            "$long257" => js(&"p".repeat(257)),
            "$long4097" => js(&"d".repeat(4097)),
            "$long5000" => "a".repeat(5000),
            "$chair" => w.chair.to_string(),
            "$laptop" => w.laptop.to_string(),
            "$foreign" => w.foreign_asset.to_string(),
            v if v.starts_with("$user:") => w.users[&v[6..]].to_string(),
            v if v.starts_with('~') => enc(&v[1..]),
            v => v.to_owned(),
        })
    }

    fn segment(&mut self, pool: &'static str) -> String {
        let v = self.pick_in(pool);
        self.expand(v).unwrap_or_default()
    }

    fn token(&mut self, who: Who) -> String {
        let live = self.w.sessions["liusn"].clone();
        let name = match who {
            Manager => "liusn",
            Admin => "sysadmin",
            Staff => "zhangsan",
            Root => "admin",
            Admin2 => "admin2",
            Wangwu => "wangwu",
            Locked => "locked1",
            LoggedOut => "logged_out",
            Unknown if self.chance(30) => {
                // A live token with its case flipped is nobody's.
                return live
                    .chars()
                    .map(|c| match c {
                        'a'..='z' => c.to_ascii_uppercase(),
                        _ => c.to_ascii_lowercase(),
                    })
                    .collect();
            }
            Unknown => {
                const ALPHANUMERIC: &[u8] =
                    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
                return (0..32).map(|_| self.pick(ALPHANUMERIC) as char).collect();
            }
            Malformed => {
                let cut = &live[..31];
                let pool = [
                    String::new(),
                    "abc".into(),
                    "a".repeat(31),
                    "a".repeat(33),
                    cut.to_owned(),
                    format!("{live}0"),
                    format!("{cut}-"),
                    format!("{cut}_"),
                    format!("{cut}%20"),
                    format!("{cut}%00"),
                    format!("{cut}%FF"),
                    format!("{cut}%2F"),
                    "%FF".repeat(32),
                    "%E4%B8%AD".repeat(32),
                    "%C0%80".repeat(16),
                    enc("' OR 1=1 --"),
                    enc("\"; DROP TABLE session; --"),
                    "' OR 1=1 --".into(),
                    "%".into(),
                    "%G1".into(),
                    "..".into(),
                    "%2E%2E".into(),
                    "a b".into(),
                    "不存在".into(),
                    "x".repeat(3000),
                    "0".repeat(2000),
                ];
                return pool.choose(&mut self.rng).cloned().unwrap_or_default();
            }
        };
        self.w.sessions[name].clone()
    }

    /// A session the endpoint must refuse its valid request with.
    fn bad_session(&mut self, ep: Ep) -> String {
        let allowed = ep.roles();
        let mut who = vec![LoggedOut, Unknown, Malformed, Malformed, Malformed, Locked];
        who.extend(
            [Manager, Admin, Staff, Root]
                .into_iter()
                .filter(|r| !allowed.contains(r)),
        );
        if ep.names_ours() || !allowed.contains(&Admin) {
            who.push(Admin2);
        }
        if ep.names_ours() || !allowed.contains(&Manager) {
            who.push(Wangwu);
        }
        let pick = self.pick(&who);
        self.token(pick)
    }

    /// A session of the demo company the endpoint serves.
    fn right(&mut self, ep: Ep) -> String {
        let who = ep.roles().choose(&mut self.rng).copied().unwrap_or(Manager);
        self.token(who)
    }

    fn content_type(&mut self) -> Option<ContentType> {
        match self.rng.gen_range(0..10) {
            0 => None,
            1 => Some(ContentType::Plain),
            2 => Some(ContentType::Form),
            3 => Some(ContentType::new("application", "json").with_params(("charset", "latin1"))),
            4 => Some(ContentType::new("x", "y")),
            _ => Some(ContentType::JSON),
        }
    }

    fn req(&mut self, ep: Ep, path: String, body: impl Into<Vec<u8>>, refuse: bool) -> Req {
        Req {
            method: ep.method(),
            path,
            body: body.into(),
            content_type: self.content_type(),
            label: ep.label(),
            wrong_method: false,
            refuse,
            file_ok: matches!(ep, Template | Download | Index | Static),
            expect_empty: false,
        }
    }

    /// A body that is not JSON, or JSON that is not an object: every object body refuses it.
    fn junk(&mut self, valid: &str) -> Vec<u8> {
        let v = valid.as_bytes();
        match self.rng.gen_range(0..18) {
            0 => Vec::new(),
            // Every strict prefix of an object or an array is unfinished.
            1 => v[..self.rng.gen_range(0..v.len().max(1))].to_vec(),
            2 => {
                let tail = self.pick(&["x", "}", ",", "{}", "\u{0}", "]", "null"]);
                [v, tail.as_bytes()].concat()
            }
            3 => {
                let mut b = v.to_vec();
                if !b.is_empty() {
                    let at = self.rng.gen_range(0..b.len());
                    // Bytes that never occur in UTF-8 (a continuation byte might make another
                    // valid character).
                    b[at] = self.pick(&[0xFF, 0xFE, 0xC0, 0xC1, 0xF5]);
                }
                b
            }
            4 => "[".repeat(10_000).into_bytes(),
            5 => format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(),
            6 => "{\"a\":".repeat(10_000).into_bytes(),
            7 => self
                .pick(&[
                    "null", "true", "1", "-1e400", "\"x\"", "[]", "[{}]", "[1,2]", "0",
                ])
                .into(),
            8 if valid.contains('"') => valid.replace('"', "'").into_bytes(),
            8 => b"['x']".to_vec(),
            9 => match valid.rfind('}') {
                Some(end) => format!("{},{}", &valid[..end], &valid[end..]).into_bytes(),
                None => b"{,}".to_vec(),
            },
            10 => [b"\0", v].concat(),
            11 => format!("/* comment */{valid}").into_bytes(),
            12 => "{\"page\": NaN, \"name\": Infinity}".into(),
            13 => valid.encode_utf16().flat_map(|u| u.to_le_bytes()).collect(),
            14 => b"{\"name\":\"\xE9\xE8\"}".to_vec(),
            15 => b"\xEF\xBB\xBF{".to_vec(),
            16 => format!("{}{{", " ".repeat(100_000)).into_bytes(),
            _ => {
                let mut b = v.to_vec();
                b.insert(b.len() / 2, 0xFF);
                b
            }
        }
    }

    /// Junk for an endpoint that takes a JSON array: an empty one retires nothing, and the task
    /// endpoints take any array (those go to phase B).
    fn list_junk(&mut self, valid: &str) -> Vec<u8> {
        let b = self.junk(valid);
        let array = b.starts_with(b"[")
            && (b.starts_with(b"[[[[") || serde_json::from_slice::<Value>(&b).is_ok());
        if array {
            b"{\"rows\": []}".to_vec()
        } else {
            b
        }
    }

    /// The valid fields with 0..=2 free changes, then 1..=3 breaking ones. Where a missing
    /// field keeps a stored value (an asset modification), `$missing` breaks nothing.
    fn broken(
        &mut self,
        valid: Fields,
        bad: &[(&str, &'static str)],
        free: &[(&str, &'static str)],
        missing_breaks: bool,
    ) -> String {
        let mut f = valid;
        for _ in 0..self.rng.gen_range(0..3) {
            if let Some(&(key, pool)) = free.choose(&mut self.rng) {
                let v = self.pick_in(pool);
                let v = self.expand(v);
                set(&mut f, key, v);
            }
        }
        for _ in 0..self.rng.gen_range(1..=3) {
            let (key, pool) = self.pick(bad);
            let mut v = self.pick_in(pool);
            while v == "$missing" && !missing_breaks {
                v = self.pick_in(pool);
            }
            let v = self.expand(v);
            set(&mut f, key, v);
        }
        if self.chance(20) {
            f.shuffle(&mut self.rng);
        }
        object(&f)
    }

    fn spec_fields(&mut self, valid: &[(&str, &str)]) -> Fields {
        valid
            .iter()
            .map(|(k, v)| (k.to_string(), self.expand(v).unwrap_or_default()))
            .collect()
    }

    fn valid_row() -> Fields {
        let row = row("椅子", "liusn", "CST");
        let map = row.as_object().cloned().unwrap_or_default();
        map.into_iter().map(|(k, v)| (k, v.to_string())).collect()
    }

    /// An import row that breaks at least one rule.
    fn bad_row(&mut self) -> String {
        if self.chance(8) {
            return self
                .pick(&[
                    "5",
                    "\"x\"",
                    "null",
                    "[]",
                    "true",
                    "[{\"name\":\"x\"}]",
                    "\"\"",
                ])
                .to_owned();
        }
        let row = self.broken(Self::valid_row(), ROW_BAD, ROW_FREE, true);
        if self.chance(5) {
            // A duplicate key, itself broken: first, last or neither wins, the row fails.
            return format!("{},\"name\":null}}", &row[..row.len() - 1]);
        }
        row
    }

    /// One element of an import array in phase B: a broken row, or no row at all.
    fn element(&mut self) -> String {
        match self.rng.gen_range(0..40) {
            0 => format!("{}1{}", "[".repeat(100), "]".repeat(100)),
            1 if self.chance(10) => format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
            2 => format!("{{\"name\":{}1{}}}", "{\"a\":".repeat(60), "}".repeat(60)),
            3 => "1e400".into(),
            4 | 5 => self
                .pick(&[
                    "null",
                    "\"\\u0000\"",
                    "-0",
                    "{}",
                    "[]",
                    "\"<img src=x onerror=alert(1)>\"",
                ])
                .to_owned(),
            _ => self.bad_row(),
        }
    }

    /// A task id segment: one of the fixture's, or any number-like text.
    fn task_segment(&mut self) -> String {
        let w = self.w;
        if self.chance(50) {
            let mut pool = vec![
                w.import_task.to_string(),
                w.export_task.to_string(),
                w.foreign_task.to_string(),
                format!("+{}", w.import_task),
                format!("{}%00", w.import_task),
                format!("{}abc", w.export_task),
                format!("{}.0", w.import_task),
                format!("-{}", w.import_task),
            ];
            pool.extend(self.imports.iter().map(|t| t.0.to_string()));
            pool.choose(&mut self.rng).cloned().unwrap_or_default()
        } else {
            self.segment(NUMBER_SEGMENTS)
        }
    }

    /// Whether `segment` names a task of the caller's company that this endpoint serves. An
    /// empty one names none, but Rocket ignores a trailing slash: `/api/async_task/{s}/` lists.
    fn task_ok(&self, ep: Ep, who: Who, segment: &str) -> bool {
        if ep == Task && segment.is_empty() {
            return true;
        }
        let Ok(id) = segment.parse::<i64>() else {
            return false;
        };
        let w = self.w;
        let import = id == w.import_task || self.imports.iter().any(|t| t.0 == id);
        let (import, export) = match who {
            Manager | Admin => (import, id == w.export_task),
            Admin2 | Wangwu => (id == w.foreign_task, false),
            _ => (false, false),
        };
        match ep {
            FailedGet | FailedGetApi | FailedPut | FailedPutApi => import,
            ExportRecords => export,
            _ => import || export,
        }
    }

    fn format_query(&mut self) -> (String, Option<bool>) {
        let (q, ok) = self.pick(FORMATS);
        (q.to_owned(), ok)
    }

    /// A readable CSV that would create a task.
    fn valid_csv(&mut self) -> String {
        let extra = if self.chance(50) {
            "台灯,0,1,1,1,默认分类,,,liusn,CST,\n"
        } else {
            ""
        };
        format!("{CSV_HEADER}\n办公椅,数量型,120.50,10,5,数量型资产,,,liusn,CST,\n{extra}")
    }

    /// A file upload that cannot be read at all: (body, content type, query).
    fn unreadable_file(&mut self) -> (Vec<u8>, ContentType, &'static str) {
        let csv = ContentType::new("text", "csv");
        let body: Vec<u8> = match self.rng.gen_range(0..10) {
            0 => Vec::new(),
            1 => (0..self.rng.gen_range(50..2000))
                .map(|_| self.rng.gen_range(0x80..=0xFFu8))
                .collect(),
            2 => {
                let mut b = b"PK\x03\x04".to_vec();
                b.extend((0..self.rng.gen_range(10..500)).map(|_| self.rng.gen::<u8>()));
                b
            }
            3 => "资产名,资产类型\n椅子,0\n".into(),
            4 => format!("{CSV_HEADER},资产名\n椅子\n").into_bytes(),
            5 => "\n\n\n   \n,,,\n".into(),
            // Good rows, then a line that is not UTF-8: nothing of the file is stored.
            6 => [self.valid_csv().as_bytes(), b"\xFF\xFE,0\n".as_slice()].concat(),
            7 => "name;assetClass;price\n".into(),
            _ => {
                // A form with the wrong boundary, without a file, or with an empty file name.
                let (boundary, part) = self.pick(&[
                    ("wrong", "--other\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nx\r\n--other--\r\n"),
                    ("b", "--b\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--b--\r\n"),
                    ("b", "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\"\r\n\r\n\r\n--b--\r\n"),
                ]);
                let ct =
                    ContentType::new("multipart", "form-data").with_params(("boundary", boundary));
                return (part.into(), ct, "");
            }
        };
        (body, csv, self.pick(&["", "?format=csv", "?format=xlsx"]))
    }

    /// Valid path parameters, one or two of them replaced from their pools.
    fn params(&mut self, valid: &[(&str, &'static str)]) -> Vec<String> {
        let mut out: Vec<String> = valid.iter().map(|(v, _)| enc(v)).collect();
        let n = if self.chance(80) { 1 } else { 2 };
        for _ in 0..n {
            let i = self.rng.gen_range(0..valid.len());
            out[i] = self.segment(valid[i].1);
        }
        out
    }

    /// One phase A request for the endpoint.
    fn request(&mut self, ep: Ep) -> Req {
        let w = self.w;
        let axis = self.rng.gen_range(0..10);
        if let Some(spec) = SPECS.iter().find(|s| s.ep == ep) {
            return self.spec_request(spec, axis);
        }
        match ep {
            Logout => {
                let session = match self.rng.gen_range(0..4) {
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
                        let mut ids: Vec<String> = (0..self.rng.gen_range(0..4))
                            .map(|_| self.pick(&[w.chair, w.laptop, w.lamp]).to_string())
                            .collect();
                        for _ in 0..self.rng.gen_range(1..3) {
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
            Task | FailedGet | FailedGetApi | ExportRecords | Download => {
                let (who, id) = if axis < 3 {
                    let id = if ep == ExportRecords {
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
                let (identity, password) = match self.rng.gen_range(0..12) {
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
    fn wrong_method(&mut self) -> Req {
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
            (Task, Task.path(&m, &[&i]), &[G]),
            (FailedGet, FailedGet.path(&m, &[&i]), &[G, U]),
            (FailedGetApi, FailedGetApi.path(&m, &[&i]), &[G, U]),
            (ExportRecords, ExportRecords.path(&m, &[&e]), &[G]),
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
        let mut body = match self.rng.gen_range(0..4) {
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

// ---------------------------------------------------------------------------------------------
// Sending and checking.

struct Runner<'a> {
    app: &'a App,
    conn: Connection,
    counts: BTreeMap<&'static str, usize>,
    /// Wrong-method requests per path, by method.
    wrong: BTreeMap<&'static str, std::collections::BTreeSet<String>>,
    wrong_sent: usize,
    answers: BTreeMap<(u16, i64), usize>,
    sent: usize,
}

fn fail(req: &Req, status: Status, text: &str, why: &str) -> ! {
    panic!(
        "{why}\n  request: {}\n  answer: {status} {text:.300}",
        describe(req)
    )
}

impl Runner<'_> {
    /// Sends the request and checks the answer; returns the envelope (None: a file or HEAD).
    fn send(&mut self, req: &Req) -> Option<Value> {
        if req.wrong_method {
            let methods = self.wrong.entry(req.label).or_default();
            methods.insert(req.method.as_str().to_owned());
            self.wrong_sent += 1;
        } else {
            *self.counts.entry(req.label).or_default() += 1;
        }
        self.sent += 1;
        let mut local = self
            .app
            .client
            .req(req.method, req.path.as_str())
            .body(&req.body);
        if let Some(ct) = &req.content_type {
            local = local.header(ct.clone());
        }
        let res = local.dispatch();
        let status = res.status();
        let content_type = res.content_type();
        let bytes = res.into_bytes().unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if status.code >= 500 {
            fail(req, status, &text, "a 5xx answer");
        }
        if req.method == Method::Head {
            if !bytes.is_empty() {
                fail(req, status, &text, "an answer to HEAD with a body");
            }
            return None;
        }
        let is_json = content_type.as_ref().is_some_and(|c| c.is_json());
        if req.file_ok && status == Status::Ok && !is_json {
            if req.refuse {
                fail(
                    req,
                    status,
                    &text,
                    "a file for a request that must be refused",
                );
            }
            *self.answers.entry((200, 0)).or_default() += 1;
            return None;
        }
        if !is_json {
            fail(req, status, &text, "not a JSON content type");
        }
        let body: Value =
            serde_json::from_slice(&bytes).unwrap_or_else(|_| fail(req, status, &text, "not JSON"));
        let Some(code) = body["code"].as_i64() else {
            fail(req, status, &text, "no integer `code`")
        };
        if !body["info"].is_string() {
            fail(req, status, &text, "no string `info`");
        }
        if (code == 0) != (status == Status::Ok) {
            fail(
                req,
                status,
                &text,
                "code 0 without 200, or 200 without code 0",
            );
        }
        if req.refuse && code == 0 {
            fail(req, status, &text, "an invalid request was accepted");
        }
        if req.expect_empty && code == 0 && body["total"] != json!(0) {
            fail(req, status, &text, "a metacharacter matched as a pattern");
        }
        *self.answers.entry((status.code, code)).or_default() += 1;
        Some(body)
    }

    fn data_version(&self) -> i64 {
        self.conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .expect("data_version")
    }

    /// Every row of the tables, as text.
    fn digest(&self, which: Tables) -> String {
        let tx = self.conn.unchecked_transaction().expect("read transaction");
        let tables: Vec<String> = tx
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .expect("tables");
        let mut out = String::new();
        let covered = |t: &str| match which {
            Tables::All => t != "session" && t != "login_failure",
            Tables::Register => REGISTER.contains(&t),
        };
        if let Tables::Register = which {
            assert!(
                REGISTER.iter().all(|t| tables.iter().any(|x| x == t)),
                "{tables:?}"
            );
        }
        for table in tables.iter().filter(|t| covered(t)) {
            let mut stmt = tx
                .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY 1"))
                .expect("select");
            let columns = stmt.column_count();
            let mut rows = stmt.query([]).expect("query");
            while let Some(r) = rows.next().expect("row") {
                out.push_str(table);
                for c in 0..columns {
                    let v: rusqlite::types::Value = r.get(c).expect("value");
                    out.push_str(&format!("|{v:?}"));
                }
                out.push('\n');
            }
        }
        out
    }

    /// Panics, naming `req`, if the digest moved.
    fn unchanged(&self, which: Tables, before: &str, req: &Req) {
        let after = self.digest(which);
        if after != before {
            let mut lines = before.lines().zip(after.lines());
            let (b, a) = lines
                .find(|(b, a)| b != a)
                .unwrap_or(("(a row less)", "(a row more)"));
            panic!(
                "the database changed (by this request or one before it since the last check)\n  \
                 request: {}\n  before: {b:.300}\n  after:  {a:.300}",
                describe(req)
            );
        }
    }
}

/// Polls until the task is done; returns its record.
fn wait_done(app: &App, session: &str, id: i64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let task = app
            .get(&format!("/api/async_task/{session}/{id}"))
            .ok()
            .clone();
        if task["finish"].as_i64() != Some(0) {
            return task;
        }
        assert!(
            Instant::now() < deadline,
            "task {id} did not finish: {task}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn setup(app: &App) -> World {
    let mut sessions = BTreeMap::new();
    for name in ["liusn", "sysadmin", "zhangsan"] {
        sessions.insert(name, app.demo(name));
    }
    sessions.insert("admin", app.login("admin", ADMIN_PASSWORD));
    let (admin2, wangwu, foreign_asset) = app.second_entity();
    sessions.insert("admin2", admin2);
    sessions.insert("wangwu", wangwu.clone());
    let logged_out = app.demo("liusn");
    app.put("/api/logout", &json!({ "session": logged_out }))
        .ok();
    sessions.insert("logged_out", logged_out);
    let (manager, admin) = (sessions["liusn"].clone(), sessions["sysadmin"].clone());
    app.post(
        &format!("/api/user/{admin}"),
        &json!({"name": "locked1", "password": "secret1", "department": "CST", "character": 1}),
    )
    .ok();
    sessions.insert("locked1", app.login("locked1", "secret1"));
    let conn = Connection::open(app.db_path()).expect("open db");
    let users: BTreeMap<String, i64> = conn
        .prepare("SELECT name, id FROM user")
        .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
        .expect("users");
    app.put(
        &format!("/api/user/{admin}"),
        &json!({"id": users["locked1"], "lock": true}),
    )
    .ok();
    let post = |r: Value| {
        app.post(&format!("/api/post_asset/{manager}"), &r).ok()["id"]
            .as_i64()
            .expect("asset id")
    };
    let chair = post(row("椅子", "liusn", "CST"));
    let laptop = post(item("笔记本"));
    let lamp = post(row("台灯", "zhangsan", "CST"));
    app.post(
        &format!("/api/asset_tree/{manager}"),
        &json!({"name": "可删分类", "parent": "", "department": "CST"}),
    )
    .ok();
    let broken = json!({"name": "坏行", "department": "不存在"});
    let import = app.import(
        &manager,
        &json!([row("桌子", "liusn", "CST"), broken, broken]),
    );
    assert_eq!(import["number_failed"], json!(2), "{import}");
    let export = app.post(
        &format!("/api/export_task/{manager}"),
        &json!([chair, 999_999]),
    );
    let export_task = export.ok()["id"].as_i64().expect("task id");
    wait_done(app, &manager, export_task);
    let foreign = app.import(&wangwu, &json!([broken]));
    World {
        users,
        chair,
        laptop,
        lamp,
        foreign_asset,
        import_task: import["id"].as_i64().expect("id"),
        export_task,
        foreign_task: foreign["id"].as_i64().expect("id"),
        sessions,
    }
}

/// Phase A: requests that must be refused (reads may succeed) and change nothing.
fn refused_phase(runner: &mut Runner, gen: &mut Gen) {
    let mut schedule: Vec<Option<Ep>> = ENDPOINTS
        .iter()
        .flat_map(|&(ep, _, n)| std::iter::repeat_n(Some(ep), n))
        .chain(std::iter::repeat_n(None, WRONG_METHODS))
        .collect();
    schedule.shuffle(&mut gen.rng);
    let before = runner.digest(Tables::All);
    let mut version = runner.data_version();
    for (i, step) in schedule.into_iter().enumerate() {
        let req = match step {
            Some(ep) => gen.request(ep),
            None => gen.wrong_method(),
        };
        runner.send(&req);
        // SQLite's data_version moves when another connection commits: only then, and at a
        // checkpoint, compare everything.
        let now = runner.data_version();
        if now != version || i % CHECKPOINT == 0 {
            version = now;
            runner.unchanged(Tables::All, &before, &req);
        }
    }
}

/// What an accepted phase B request made.
enum Made {
    Nothing,
    Import { need: Option<usize> },
    Export { need: usize, succeed: usize },
    Rerun { id: i64 },
}

impl Gen<'_> {
    /// A phase B request: bodies the task endpoints accept, made only of broken rows.
    fn task_request(&mut self) -> (Req, Made) {
        let w = self.w;
        let who = self.pick(&[Manager, Admin]);
        let s = self.token(who);
        match self.rng.gen_range(0..20) {
            0..=6 => {
                let n = match self.rng.gen_range(0..20) {
                    0 => 200,
                    1 => 0,
                    _ => self.rng.gen_range(1..6),
                };
                let rows: Vec<String> = (0..n).map(|_| self.element()).collect();
                let body = format!("[{}]", rows.join(","));
                let req = self.req(Import, Import.path(&s, &[]), body, false);
                (req, Made::Import { need: Some(n) })
            }
            7..=10 => {
                // Ids of its assets (as numbers or numeric strings) succeed, all else fails.
                let bad = items(
                    r#"0 | -1 | 999999 | $foreign | "x" | 5.5 | 1e400 | null | true | [] | {} | [5]
                       {"id":5} | "' OR 1=1 --" | 9223372036854775808 | -9223372036854775809
                       "" | "%""#,
                );
                let n = self.rng.gen_range(0..9);
                let mut succeed = 0;
                let mut ids = Vec::new();
                for _ in 0..n {
                    let id = self.pick(&[w.chair, w.laptop, w.lamp]);
                    let element = match self.rng.gen_range(0..6) {
                        0 => id.to_string(),
                        1 => format!("\"{id}\""),
                        2 => format!("\" {id} \""),
                        _ => {
                            let v = self.pick(&bad);
                            ids.extend(self.expand(v));
                            continue;
                        }
                    };
                    succeed += 1;
                    ids.push(element);
                }
                let body = format!("[{}]", ids.join(","));
                let req = self.req(Export, Export.path(&s, &[]), body, false);
                (req, Made::Export { need: n, succeed })
            }
            11..=14 => {
                let ep = self.pick(&[FailedPut, FailedPutApi]);
                let (id, failed) = match self.imports.choose(&mut self.rng) {
                    Some(&t) if self.rng.gen_range(0..10) < 6 => t,
                    _ => (w.import_task, 2),
                };
                let n = if self.chance(80) {
                    failed
                } else {
                    self.rng.gen_range(0..4)
                };
                let rows: Vec<String> = (0..n).map(|_| self.element()).collect();
                let body = format!("[{}]", rows.join(","));
                let req = self.req(ep, ep.path(&s, &[&id.to_string()]), body, false);
                (req, Made::Rerun { id })
            }
            15 | 16 => {
                // A readable file of broken rows, or a corrupted spreadsheet of them.
                let (body, query) = if self.chance(60) {
                    let header = self.pick(&[CSV_HEADER, CSV_HEADER_EN]);
                    let mut csv = format!("{header}\n");
                    for _ in 0..self.rng.gen_range(0..5) {
                        let cell = self.pick(&[
                            "\"a,b\"",
                            "\"line\nbreak\"",
                            "' OR 1=1 --",
                            "<img src=x onerror=alert(1)>",
                            "\u{0}",
                            "=cmd|' /C calc'!A0",
                            "%",
                        ]);
                        csv.push_str(&format!(
                            "{cell},数量型,-1,0,-1,不存在,{cell},,nobody,不存在,{cell}\n"
                        ));
                    }
                    let mut bytes = csv.into_bytes();
                    if self.chance(20) {
                        bytes.push(0xFF);
                    }
                    (bytes, "?format=csv")
                } else {
                    let mut x = broken_xlsx();
                    if self.chance(50) {
                        x.truncate(self.rng.gen_range(0..x.len()));
                    } else {
                        for _ in 0..self.rng.gen_range(1..20) {
                            let at = self.rng.gen_range(0..x.len());
                            x[at] = self.rng.gen();
                        }
                    }
                    (x, self.pick(&["?format=xlsx", ""]))
                };
                let path = format!("{}{query}", Upload.path(&s, &[]));
                let mut req = self.req(Upload, path, body, false);
                req.content_type = Some(ContentType::Binary);
                (req, Made::Import { need: None })
            }
            _ => {
                // Read what the tasks hold now: failed rows of odd values, records, files.
                let ep = self.pick(&[FailedGet, FailedGetApi, ExportRecords, Download, Task]);
                let id = self.task_segment();
                let ok = self.task_ok(ep, who, &id);
                let mut path = ep.path(&s, &[&id]);
                if ep == Download {
                    path.push_str(self.pick(&["?format=csv", "?format=xlsx"]));
                }
                (self.req(ep, path, Vec::new(), !ok), Made::Nothing)
            }
        }
    }
}

/// An XLSX of broken rows, to be corrupted: read or not, it may only fail its rows.
fn broken_xlsx() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    // A fixed creation time: the same bytes every run, so the same corruptions.
    let created = rust_xlsxwriter::ExcelDateTime::from_ymd(2000, 1, 1).expect("date");
    book.set_properties(&rust_xlsxwriter::DocProperties::new().set_creation_datetime(&created));
    let sheet = book.add_worksheet();
    let rows = [
        CSV_HEADER,
        "坏,数量型,-1,0,-1,不存在,,,nobody,不存在,",
        "坏2,条目型,x,2,-1,不存在,,,nobody,不存在,",
    ];
    for (r, line) in rows.iter().enumerate() {
        for (c, cell) in line.split(',').enumerate() {
            sheet.write_string(r as u32, c as u16, cell).expect("cell");
        }
    }
    book.save_to_buffer().expect("xlsx")
}

/// Phase B: what the task endpoints accept, all of broken rows. Returns the tasks made.
fn task_phase(runner: &mut Runner, gen: &mut Gen) -> Vec<(i64, Made)> {
    let admin = gen.w.sessions["sysadmin"].clone();
    let before = runner.digest(Tables::Register);
    let mut made = Vec::new();
    for i in 0..TASK_REQUESTS {
        let (req, what) = gen.task_request();
        let answer = runner.send(&req);
        let accepted = answer.as_ref().is_some_and(|a| a["code"] == json!(0));
        match what {
            // Wait for each re-run and import: the next re-run of it must not find it running.
            Made::Rerun { id } if accepted => {
                let task = wait_done(runner.app, &admin, id);
                let failed = task["number_failed"].as_u64().unwrap_or(0) as usize;
                if let Some(t) = gen.imports.iter_mut().find(|t| t.0 == id) {
                    t.1 = failed;
                }
            }
            Made::Import { .. } | Made::Export { .. } if accepted => {
                let id = answer
                    .as_ref()
                    .and_then(|a| a["data"]["id"].as_i64())
                    .unwrap_or_else(|| panic!("no task id for {}", describe(&req)));
                if let Made::Import { .. } = what {
                    let task = wait_done(runner.app, &admin, id);
                    let failed = task["number_failed"].as_u64().unwrap_or(0) as usize;
                    gen.imports.push((id, failed));
                }
                made.push((id, what));
            }
            _ => {}
        }
        if i % 100 == 0 {
            runner.unchanged(Tables::Register, &before, &req);
        }
    }
    made
}

/// Waits for every task of the company and returns the list.
fn all_done(app: &App, session: &str) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let list = app.get(&format!("/api/async_task/{session}")).ok().clone();
        let list = list.as_array().cloned().unwrap_or_default();
        if list.iter().all(|t| t["finish"] != json!(0)) {
            return list;
        }
        assert!(Instant::now() < deadline, "tasks did not finish");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn generated_bad_input_is_refused_everywhere() {
    let started = Instant::now();
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEED);
    let app = App::new();
    let world = setup(&app);
    let mut gen = Gen {
        rng: StdRng::seed_from_u64(seed),
        w: &world,
        big_left: BIG_STRINGS,
        imports: Vec::new(),
    };
    let mut runner = Runner {
        app: &app,
        conn: Connection::open(app.db_path()).expect("open db"),
        counts: BTreeMap::new(),
        wrong: BTreeMap::new(),
        wrong_sent: 0,
        answers: BTreeMap::new(),
        sent: 0,
    };
    let assets_before = runner.digest(Tables::Register);

    refused_phase(&mut runner, &mut gen);
    let refused = runner.sent;
    let made = task_phase(&mut runner, &mut gen);

    // Every task of both companies finishes with every row counted.
    let (manager, admin) = (&world.sessions["liusn"], &world.sessions["sysadmin"]);
    let ours = all_done(&app, admin);
    let theirs = all_done(&app, &world.sessions["admin2"]);
    for t in ours.iter().chain(&theirs) {
        let n = |k: &str| t[k].as_i64().unwrap_or(-1);
        assert_eq!(
            n("number_succeed") + n("number_failed"),
            n("number_need"),
            "{t}"
        );
        assert_eq!(n("number_done"), n("number_need"), "{t}");
        assert_eq!(
            n("finish"),
            if n("number_failed") > 0 { 2 } else { 1 },
            "{t}"
        );
    }
    let task = |id: i64| {
        let found = ours.iter().find(|t| t["id"] == json!(id));
        found
            .cloned()
            .unwrap_or_else(|| panic!("task {id} is not listed"))
    };
    let fixture = task(world.import_task);
    assert_eq!(
        (&fixture["number_need"], &fixture["number_succeed"]),
        (&json!(3), &json!(1)),
        "re-runs of broken rows changed the counters"
    );
    assert_eq!(theirs.len(), 1, "{theirs:?}");
    let (mut imports, mut exports) = (0, 0);
    for (id, what) in &made {
        let t = task(*id);
        match what {
            Made::Import { need } => {
                imports += 1;
                if let Some(need) = need {
                    assert_eq!(t["number_need"], json!(need), "{t}");
                }
                assert_eq!(t["number_succeed"], json!(0), "a broken row succeeded: {t}");
                let failed = app.get(&format!("/api/failed_task/{manager}/{id}"));
                let rows = failed.ok().as_array().cloned().unwrap_or_default();
                assert_eq!(json!(rows.len()), t["number_failed"], "{t}");
                assert!(rows.iter().all(|r| r["message"].is_string()), "{t}");
            }
            Made::Export { need, succeed } => {
                exports += 1;
                assert_eq!(t["number_need"], json!(need), "{t}");
                assert_eq!(t["number_succeed"], json!(succeed), "{t}");
                let records = app.get(&format!("/api/export_task/{manager}/{id}"));
                assert_eq!(records.ok().as_array().map(Vec::len), Some(*succeed), "{t}");
            }
            _ => {}
        }
    }
    let assets_after = runner.digest(Tables::Register);
    assert!(
        assets_after == assets_before,
        "assets, users or the organisation changed over the run"
    );

    // The server is still up: a normal login, its role and the task list work.
    let fresh = app.demo("liusn");
    let character = app.get(&format!("/api/character/{fresh}"));
    assert_eq!(character.ok()["character"], json!(2));
    let list = app.get(&format!("/api/async_task/{fresh}"));
    assert_eq!(list.ok().as_array().map(Vec::len), Some(ours.len()));

    println!(
        "fuzz (seed {seed}): {} requests ({refused} refused-only, {} to the task endpoints) in {:.1} s; \
         {imports} import and {exports} export tasks of broken rows; {} strings of 1 MB",
        runner.sent,
        runner.sent - refused,
        started.elapsed().as_secs_f64(),
        BIG_STRINGS - gen.big_left
    );
    for (label, n) in &runner.counts {
        println!("  {label:<46} {n:>4}");
    }
    let methods: std::collections::BTreeSet<&String> = runner.wrong.values().flatten().collect();
    println!(
        "  wrong methods: {} requests on all {} paths ({})",
        runner.wrong_sent,
        runner.wrong.len(),
        methods.into_iter().cloned().collect::<Vec<_>>().join(" ")
    );
    let answers: Vec<String> = runner
        .answers
        .iter()
        .map(|((status, code), n)| format!("{status}/{code}×{n}"))
        .collect();
    println!("  answers (status/code×n): {}", answers.join(" "));
    assert!(runner.sent >= 5000, "only {} requests", runner.sent);
}
