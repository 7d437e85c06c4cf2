//! Pools of raw JSON values, separated by ` | ` or line breaks. `$missing` drops the field,
//! `$big` is a 1 MB string, `$long<n>` a string of n characters, `$chair`… and `$user:<name>`
//! are ids of the fixture, `$str_wrong`… include another pool.

/// Wrong for a required string field.
pub const STR_WRONG: &str = r#"
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
pub const MATCH_NOTHING: &str =
    r#" % | _ | %% | %_% | ' OR 1=1 -- | " OR ""=" | %' OR '1'='1 | * "#;

/// Values that break an import row whatever its other fields hold.
pub const ROW_BAD: &[(&str, &str)] = &[
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
pub const ROW_FREE: &[(&str, &str)] = &[
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
pub const NAME_SEGMENTS: &str = r#"
    ~CST | ~不存在的部门 | ~示例企业 | ~另一企业 | ~销售部 | ~默认分类 | ~条目型资产 | %25 | _ | %25%25
    ~' OR 1=1 -- | ~"; DROP TABLE asset; -- | ~<img src=x onerror=alert(1)> | %00 | CST%00
    %01%1F%7F | %FF | %FE%FF | %C0%80 | %ED%A0%80 | %E8%BD | %E9 | % | %G1 | %2 | %2F | a%2Fb
    .. | %2E%2E | %20 | CST%20 | cst | $long5000 | -1 | null | 不存在 | a b | a%5Cb | %0A | $empty
"#;
pub const NUMBER_SEGMENTS: &str = r#"
    1 | 2 | 0 | -1 | 9223372036854775807 | -9223372036854775808 | 9223372036854775808
    1537228672809129302 | 99999999999999999999999 | 1.5 | 1e3 | abc | %FF | %00 | %201 | +1
    0x10 | null | %EF%BC%91 | 1%00 | $empty
"#;
pub const SIZE_QUERIES: &str = r#"
    ?size=6 | ?size=1000 | ?size=1001 | ?size=0 | ?size=-1 | ?size=1.5 | ?size=x
    ?size=9223372036854775807 | ?size=9223372036854775808 | ?size=%FF | ?size=1&size=2 | ?size
    ?= | ?&&& | ?%FF=1 | ?size=%00 | ?size=-9223372036854775808
"#;
/// (format query, whether it asks for csv or xlsx; None: the server may take it either way).
pub const FORMATS: &[(&str, Option<bool>)] = &[
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
pub const STATIC_PATHS: &[(&str, bool)] = &[
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
pub const CSV_HEADER: &str =
    "资产名,资产类型,资产价值,资产数量,使用期限,所属品类,描述信息,位置信息,挂账人,所属部门,父资产";
pub const CSV_HEADER_EN: &str =
    "name,assetClass,price,count,deadline,assetTree,description,position,user,department,parent";

/// The values of a pool, other pools included.
pub fn items(pool: &'static str) -> Vec<&'static str> {
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

/// Fields an asset modification keeps as they are whatever is sent: breaking them proves
/// nothing.
pub const MODIFY_IGNORES: &[&str] = &["expire", "create_time", "assetClass", "department"];
pub const STATUS_BAD: &str = r#"0 | 4 | -1 | "x" | "2" | 1.5 | true | [] | {}"#;
