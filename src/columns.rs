//! The one vocabulary of asset columns: each field an import row or the asset view carries, the
//! Chinese header the files and the page show for it, and where it appears. The files (template,
//! upload, failed rows, export), the row rules' messages, the dry run's preview and the page
//! (through `GET /api/columns`) all read this table; nothing else spells a header.

use serde::Serialize;

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
    /// `header`.
    pub aliases: &'static [&'static str],
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
        aliases: &["name"],
        import: Some(1),
        template: true,
        export: Some(2),
        width: 24.0,
        ..column("name", "资产名")
    },
    Column {
        view: "parentName",
        aliases: &["parent"],
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
        aliases: &["user"],
        import: Some(9),
        template: true,
        export: Some(4),
        ..column("user", "挂账人")
    },
    Column {
        aliases: &["price"],
        import: Some(3),
        template: true,
        export: Some(5),
        numeric: true,
        ..column("price", "资产价值")
    },
    Column {
        aliases: &["description"],
        import: Some(7),
        template: true,
        export: Some(6),
        optional: true,
        width: 30.0,
        ..column("description", "描述信息")
    },
    Column {
        aliases: &["position"],
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
        aliases: &["count"],
        import: Some(4),
        template: true,
        export: Some(9),
        numeric: true,
        width: 10.0,
        ..column("count", "资产数量")
    },
    Column {
        aliases: &["assetTree"],
        import: Some(6),
        template: true,
        export: Some(10),
        width: 18.0,
        ..column("assetTree", "所属品类")
    },
    Column {
        view: "departmentName",
        aliases: &["department"],
        import: Some(10),
        template: true,
        export: Some(11),
        ..column("department", "所属部门")
    },
    Column {
        aliases: &["deadline"],
        import: Some(5),
        template: true,
        export: Some(13),
        numeric: true,
        width: 10.0,
        ..column("deadline", "使用期限")
    },
    Column {
        export: Some(12),
        optional: true,
        width: 12.0,
        ..column("create_time", "创建时间")
    },
    Column {
        export: Some(14),
        numeric: true,
        ..column("initial_price", "初始价值")
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

#[cfg(test)]
mod tests {
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
                "资产价值",
                "资产数量",
                "使用期限",
                "所属品类",
                "描述信息",
                "位置信息",
                "挂账人",
                "所属部门",
                "父资产"
            ]
        );
        assert_eq!(headers(&IMPORT_COLUMNS[..1]), ["资产编号"]);
        assert_eq!(&IMPORT_COLUMNS[1..], &TEMPLATE_COLUMNS[..]);
        // The export's headers, as docs/api.md shows them, in the asset view's order (SPEC §5).
        assert_eq!(
            headers(&EXPORT_COLUMNS),
            [
                "资产编号",
                "父资产",
                "资产名",
                "资产类型",
                "挂账人",
                "资产价值",
                "描述信息",
                "位置信息",
                "是否清退",
                "资产数量",
                "所属品类",
                "所属部门",
                "创建时间",
                "使用期限",
                "初始价值",
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
        // Headers and aliases share one space: a file's header names one column.
        let mut spellings = HashSet::new();
        for c in COLUMNS {
            assert!(fields.insert(c.field), "field {} twice", c.field);
            assert!(views.insert(c.view), "view field {} twice", c.view);
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
        assert_eq!(optional, ["id", "description", "position", "parent"]);
    }

    #[test]
    fn lookups() {
        assert_eq!(by_field("user").view, "userName");
        assert_eq!(header_of("expire"), "是否清退");
        assert_eq!(header_of("body"), "body");
    }
}
