//! The one vocabulary of asset columns: each field an import row or the asset view carries, the
//! Chinese header the files and the page show for it, and where it appears. The files (template,
//! upload, failed rows, export), the row rules' messages, the dry run's preview and the page
//! (through `GET /api/columns`) all read this table; nothing else spells a header.

use serde::Serialize;
use std::borrow::Cow;

/// One column.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Column {
    /// The key in an import row (JSON), e.g. `user`.
    pub field: &'static str,
    /// The key in the asset view, which an export's records are: `userName` where the view
    /// names a thing the row gives by name, else the same as `field`.
    pub view: &'static str,
    /// The Chinese header of the files (and the page's label), e.g. 挂账人.
    pub header: &'static str,
    /// What else an uploaded file's header may say for it (ASCII case ignored), besides
    /// `header`: the JSON key, common synonyms and the headers of older files.
    pub aliases: &'static [&'static str],
    /// The header of the full export where it names something else than the import's column:
    /// the export's 当前价值 (depreciated) against the import's 原值. None: `header`.
    pub export_header: Option<&'static str>,
    /// Its place among the import columns (资产编号, then the template's): the failed-rows
    /// file and the import-compatible export have exactly these, and an upload reads them.
    /// None: not an import column.
    pub import: Option<u8>,
    /// In the import template (every import column but 资产编号: a new asset has none).
    pub template: bool,
    /// Its place in the export file (the asset view's order). None: not exported.
    pub export: Option<u8>,
    /// An import row may leave it out (and an uploaded file may lack the column).
    pub optional: bool,
    /// Its value is a number (or a numeric string, as file cells are).
    pub numeric: bool,
    /// Its width in the XLSX files: wide enough for what it usually holds.
    pub width: f64,
}

const fn column(field: &'static str, header: &'static str) -> Column {
    Column {
        field,
        view: field,
        header,
        aliases: &[],
        export_header: None,
        import: None,
        template: false,
        export: None,
        optional: false,
        numeric: false,
        width: 14.0,
    }
}

/// Every column, in the order the row rules check an import row's fields (the original API's
/// row order), 资产编号 first and the view's own fields last.
pub const COLUMNS: &[Column] = &[
    Column {
        aliases: &["id"],
        import: Some(0),
        export: Some(0),
        optional: true,
        numeric: true,
        width: 10.0,
        ..column("id", "资产编号")
    },
    Column {
        aliases: &["name", "资产名称", "名称"],
        import: Some(1),
        template: true,
        export: Some(2),
        width: 24.0,
        ..column("name", "资产名")
    },
    Column {
        view: "parentName",
        aliases: &["parent", "父资产编号", "上级资产"],
        import: Some(11),
        template: true,
        export: Some(1),
        optional: true,
        width: 18.0,
        ..column("parent", "父资产")
    },
    Column {
        aliases: &["assetClass"],
        import: Some(2),
        template: true,
        export: Some(3),
        numeric: true,
        ..column("assetClass", "资产类型")
    },
    Column {
        view: "userName",
        aliases: &["user", "使用人", "责任人", "实盘持有人"],
        import: Some(9),
        template: true,
        export: Some(4),
        ..column("user", "挂账人")
    },
    Column {
        // Old files named the original value 资产价值 (which the full export now calls 当前价值).
        aliases: &["price", "资产价值", "资产原值"],
        export_header: Some("当前价值"),
        import: Some(3),
        template: true,
        export: Some(5),
        numeric: true,
        ..column("price", "原值")
    },
    Column {
        aliases: &["description", "描述"],
        import: Some(7),
        template: true,
        export: Some(6),
        optional: true,
        width: 30.0,
        ..column("description", "描述信息")
    },
    Column {
        aliases: &["position", "位置", "存放位置", "实盘位置"],
        import: Some(8),
        template: true,
        export: Some(7),
        optional: true,
        width: 18.0,
        ..column("position", "位置信息")
    },
    Column {
        export: Some(8),
        optional: true,
        numeric: true,
        width: 10.0,
        ..column("expire", "是否清退")
    },
    Column {
        aliases: &["count", "数量", "实盘数量"],
        import: Some(4),
        template: true,
        export: Some(9),
        numeric: true,
        width: 10.0,
        ..column("count", "资产数量")
    },
    Column {
        aliases: &["assetTree", "品类", "分类", "层级分类", "资产分类"],
        import: Some(6),
        template: true,
        export: Some(10),
        width: 18.0,
        ..column("assetTree", "所属品类")
    },
    Column {
        view: "departmentName",
        aliases: &["department", "部门"],
        import: Some(10),
        template: true,
        export: Some(11),
        ..column("department", "所属部门")
    },
    Column {
        aliases: &["deadline", "使用年限"],
        import: Some(5),
        template: true,
        export: Some(13),
        numeric: true,
        width: 10.0,
        ..column("deadline", "使用期限")
    },
    Column {
        aliases: &["create_time", "购入日期"],
        import: Some(12),
        template: true,
        export: Some(12),
        optional: true,
        width: 12.0,
        ..column("create_time", "创建时间")
    },
    Column {
        export: Some(14),
        numeric: true,
        ..column("initial_price", "原值")
    },
    Column {
        export: Some(15),
        numeric: true,
        ..column("warning_amount", "预警数量")
    },
    Column {
        export: Some(16),
        numeric: true,
        ..column("warning_date", "预警时间")
    },
    Column {
        export: Some(17),
        numeric: true,
        width: 10.0,
        ..column("expire_date", "剩余年限")
    },
    Column {
        export: Some(18),
        numeric: true,
        width: 10.0,
        ..column("status", "状态")
    },
];

/// The import columns in their order: 资产编号, then the template's.
pub const IMPORT_COLUMNS: [&Column; count(Which::Import)] = ordered(Which::Import);

/// The template's columns in their order: the import columns but 资产编号.
pub const TEMPLATE_COLUMNS: [&Column; count(Which::Template)] = ordered(Which::Template);

/// The export file's columns in their order: the asset view's.
pub const EXPORT_COLUMNS: [&Column; count(Which::Export)] = ordered(Which::Export);

/// The column of `field` (an import row's key).
///
/// # Panics
/// On a field the table lacks: a mistake in the code, which the tests catch.
pub fn by_field(field: &str) -> &'static Column {
    COLUMNS
        .iter()
        .find(|c| c.field == field)
        .unwrap_or_else(|| panic!("no column for field {field}"))
}

/// The legacy header of the full export's original value (now 原值): an old export uploaded
/// again takes its price from it, not from its 资产价值 (then the depreciated value).
pub const LEGACY_INITIAL_PRICE: &str = "初始价值";

impl Column {
    /// Its header in the full export.
    pub fn export_header(&self) -> &'static str {
        self.export_header.unwrap_or(self.header)
    }

    /// Whether an uploaded file's header names it (its header or an alias, ASCII case ignored).
    pub fn named_by(&self, text: &str) -> bool {
        text == self.header || self.aliases.iter().any(|a| text.eq_ignore_ascii_case(a))
    }
}

/// A stocktake's count sheet template shows what is expected beside what a counter fills in
/// (实盘位置, 实盘数量, 实盘持有人, aliases of the import's columns): read back, these are left.
const STOCKTAKE_REFERENCE: [&str; 3] = ["应盘位置", "应盘数量", "应盘持有人"];

/// Whether a header is one of the vocabulary's words though the import does not read it (the
/// full export's derived columns such as 剩余年限, uploaded again): not reported as unknown.
pub fn is_known_header(text: &str) -> bool {
    text == LEGACY_INITIAL_PRICE
        || STOCKTAKE_REFERENCE.contains(&text)
        || COLUMNS
            .iter()
            .any(|c| c.named_by(text) || c.export_header() == text)
}

/// The header of `field` (an import row's key), or the field itself when it is not a column:
/// what a message shows to name it.
pub fn header_of(field: &str) -> &str {
    COLUMNS
        .iter()
        .find(|c| c.field == field)
        .map_or(field, |c| c.header)
}

#[derive(Clone, Copy)]
enum Which {
    Import,
    Template,
    Export,
}

/// A column's place in a file, if it is in it. Template columns keep their import order.
const fn place(c: &Column, which: Which) -> Option<u8> {
    match which {
        Which::Import => c.import,
        Which::Template if c.template => c.import,
        Which::Template => None,
        Which::Export => c.export,
    }
}

const fn count(which: Which) -> usize {
    let (mut i, mut n) = (0, 0);
    while i < COLUMNS.len() {
        if place(&COLUMNS[i], which).is_some() {
            n += 1;
        }
        i += 1;
    }
    n
}

/// The columns of a file in their places. The places must be distinct; together they may skip
/// numbers (the template starts at 1).
const fn ordered<const N: usize>(which: Which) -> [&'static Column; N] {
    let mut out = [&COLUMNS[0]; N];
    let mut filled = 0;
    let mut slot: usize = 0;
    // Places run from 0 to at most the table's length: take them in turn.
    while slot <= COLUMNS.len() {
        let mut i = 0;
        let mut found = false;
        while i < COLUMNS.len() {
            if let Some(p) = place(&COLUMNS[i], which) {
                if p as usize == slot {
                    assert!(!found, "two columns in one place");
                    assert!(filled < N, "more columns than counted");
                    out[filled] = &COLUMNS[i];
                    filled += 1;
                    found = true;
                }
            }
            i += 1;
        }
        slot += 1;
    }
    assert!(filled == N, "a column's place is past the table's length");
    out
}

/// A rule message as a file shows it to a reader: a field the API's text names by its key in
/// brackets (`缺少字段或类型错误：[price]`, the SPEC's wording) named by its column's header
/// instead (`缺少字段或类型错误：「原值」`). A key that is no column, or brackets elsewhere than
/// after the message's colon, stay as they are.
pub fn readable(message: &str) -> Cow<'_, str> {
    if !message.contains('[') {
        return Cow::Borrowed(message);
    }
    let mut out = String::with_capacity(message.len() + 8);
    let mut rest = message;
    while let Some(open) = rest.find('[') {
        let (before, from) = rest.split_at(open);
        out.push_str(before);
        let key = from[1..]
            .split(']')
            .next()
            .filter(|k| from[1..].len() > k.len());
        // Only where the SPEC's messages put a key: right after their colon (a value in a
        // message is quoted, “[name]”, and stays).
        let key = key.filter(|_| before.ends_with('：'));
        match key.and_then(|k| COLUMNS.iter().find(|c| c.field == k)) {
            Some(column) => {
                out.push('「');
                out.push_str(column.header);
                out.push('」');
                rest = &from[column.field.len() + 2..];
            }
            None => {
                out.push('[');
                rest = &from[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_message_names_columns_by_their_headers() {
        use super::readable;
        assert_eq!(readable("资产数量不可小于1"), "资产数量不可小于1");
        assert_eq!(
            readable("缺少字段或类型错误：[price]（原值“很贵”不是数字）"),
            format!(
                "缺少字段或类型错误：「{}」（原值“很贵”不是数字）",
                super::header_of("price")
            )
        );
        assert_eq!(
            readable("字段长度不合法：[name]；缺少字段或类型错误：[count]"),
            format!(
                "字段长度不合法：「{}」；缺少字段或类型错误：「{}」",
                super::header_of("name"),
                super::header_of("count")
            )
        );
        // Not a column, unclosed, or a value that merely holds brackets: left as written.
        for kept in [
            "缺少字段或类型错误：[page]",
            "名称“[name”",
            "[",
            "a[]b",
            "“[价格]”",
        ] {
            assert_eq!(readable(kept), kept);
        }
    }

    use super::*;
    use std::collections::HashSet;

    fn headers(columns: &[&Column]) -> Vec<&'static str> {
        columns.iter().map(|c| c.header).collect()
    }

    #[test]
    fn the_files_columns_are_the_specs() {
        // SPEC §9: the template's headers, in order.
        assert_eq!(
            headers(&TEMPLATE_COLUMNS),
            [
                "资产名",
                "资产类型",
                "原值",
                "资产数量",
                "使用期限",
                "所属品类",
                "描述信息",
                "位置信息",
                "挂账人",
                "所属部门",
                "父资产",
                "创建时间"
            ]
        );
        assert_eq!(headers(&IMPORT_COLUMNS[..1]), ["资产编号"]);
        assert_eq!(&IMPORT_COLUMNS[1..], &TEMPLATE_COLUMNS[..]);
        // The export's headers, as docs/api.md shows them, in the asset view's order (SPEC §5).
        let export: Vec<&str> = EXPORT_COLUMNS.iter().map(|c| c.export_header()).collect();
        assert_eq!(
            export,
            [
                "资产编号",
                "父资产",
                "资产名",
                "资产类型",
                "挂账人",
                "当前价值",
                "描述信息",
                "位置信息",
                "是否清退",
                "资产数量",
                "所属品类",
                "所属部门",
                "创建时间",
                "使用期限",
                "原值",
                "预警数量",
                "预警时间",
                "剩余年限",
                "状态"
            ]
        );
        let view: Vec<&str> = EXPORT_COLUMNS.iter().map(|c| c.view).collect();
        assert_eq!(
            view,
            [
                "id",
                "parentName",
                "name",
                "assetClass",
                "userName",
                "price",
                "description",
                "position",
                "expire",
                "count",
                "assetTree",
                "departmentName",
                "create_time",
                "deadline",
                "initial_price",
                "warning_amount",
                "warning_date",
                "expire_date",
                "status"
            ]
        );
    }

    #[test]
    fn names_are_unique() {
        let mut fields = HashSet::new();
        let mut views = HashSet::new();
        // The import's headers and aliases share one space: a file's header names one column.
        let mut spellings = HashSet::from([LEGACY_INITIAL_PRICE.to_owned()]);
        let mut exported = HashSet::new();
        for c in COLUMNS {
            assert!(fields.insert(c.field), "field {} twice", c.field);
            assert!(views.insert(c.view), "view field {} twice", c.view);
            assert!(exported.insert(c.export_header()), "export {}", c.field);
            if c.import.is_none() {
                continue;
            }
            assert!(spellings.insert(c.header.to_owned()), "header {}", c.header);
            for alias in c.aliases {
                let alias = alias.to_ascii_lowercase();
                assert!(spellings.insert(alias.clone()), "alias {alias}");
            }
        }
        // A view field is a field or no row's: never another column's field.
        for c in COLUMNS {
            assert!(
                c.view == c.field || !fields.contains(c.view),
                "{} shadows a field",
                c.view
            );
        }
    }

    #[test]
    fn memberships_agree() {
        for c in COLUMNS {
            // The template is a part of the import columns, and an uploaded file is read by
            // header or alias.
            assert!(!c.template || c.import.is_some(), "{}", c.field);
            assert_eq!(c.import.is_some(), !c.aliases.is_empty(), "{}", c.field);
            assert!(c.width > 0.0, "{}", c.field);
        }
        // Every import column but 资产编号 is in the template; every column is exported.
        assert_eq!(TEMPLATE_COLUMNS.len(), IMPORT_COLUMNS.len() - 1);
        assert_eq!(EXPORT_COLUMNS.len(), COLUMNS.len());
        // An uploaded file may leave out exactly these.
        let optional: Vec<&str> = IMPORT_COLUMNS
            .iter()
            .filter(|c| c.optional)
            .map(|c| c.field)
            .collect();
        assert_eq!(
            optional,
            ["id", "description", "position", "parent", "create_time"]
        );
    }

    #[test]
    fn lookups() {
        assert_eq!(by_field("user").view, "userName");
        assert_eq!(header_of("expire"), "是否清退");
        assert_eq!(header_of("body"), "body");
    }

    #[test]
    fn synonyms_name_their_column() {
        let named = |text: &str| {
            IMPORT_COLUMNS
                .iter()
                .find(|c| c.named_by(text))
                .map(|c| c.field)
        };
        for (text, field) in [
            ("资产名称", "name"),
            ("NAME", "name"),
            ("分类", "assetTree"),
            ("品类", "assetTree"),
            ("层级分类", "assetTree"),
            ("所属品类", "assetTree"),
            ("描述", "description"),
            ("资产价值", "price"),
            ("原值", "price"),
            ("购入日期", "create_time"),
            ("创建时间", "create_time"),
        ] {
            assert_eq!(named(text), Some(field), "{text}");
        }
        assert_eq!(named("保修期"), None);
        assert_eq!(named("当前价值"), None);
        assert!(is_known_header("当前价值"));
        assert!(is_known_header("剩余年限"));
        assert!(is_known_header("初始价值"));
        assert!(!is_known_header("保修期"));
    }
}
