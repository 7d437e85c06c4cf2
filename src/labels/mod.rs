//! Asset labels (`POST /api/label_task/{session}`): a task snapshots the assets (given by id or
//! by a search), like an export, a batch per transaction; its download
//! (`GET /api/label_task/{session}/{id}/file`) is a vector PDF of their labels, drawn from the
//! snapshots as it is sent. Each label carries the QR code of the asset id and a Code128 barcode
//! of it, so the stocktake's scan screen and 1D scanners read the same code.

mod draw;
pub mod pdf;

pub use draw::code128_modules;

use crate::auth::Caller;
use crate::db::results::{ResultRows, Source};
use crate::db::tasks::{self as tasks_sql, NewTask, TaskKind, TaskWriter};
use crate::db::{Conn, Pool};
use crate::error::{Error, Result};
use crate::rows::missing_field_message;
use crate::tasks::lifecycle::{self, Action, Results};
use draw::{Frame, Label};
use pdf::{Pdf, PT_PER_MM};
use serde_json::value::RawValue;
use serde_json::Value;
use std::io::Write;

/// The most labels one task prints (4,167 A4 sheets of 24).
pub const LABELS_MAX: usize = 100_000;

/// A sheet (or roll) of labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// A4, 3 columns × 8 rows of 70 × 37 mm, edge to edge.
    A4By3x8,
    /// A4, 2 columns × 7 rows of 99.1 × 38.1 mm (margins as on common sheets).
    A4By2x7,
    /// One 60 × 40 mm label per page, for a label printer's roll.
    Roll60x40,
}

const LAYOUTS: [(&str, Layout); 3] = [
    ("a4-3x8", Layout::A4By3x8),
    ("a4-2x7", Layout::A4By2x7),
    ("roll-60x40", Layout::Roll60x40),
];

/// A layout's geometry in millimetres.
struct Geometry {
    page: (f64, f64),
    grid: (usize, usize),
    label: (f64, f64),
    /// Left and top margins.
    margin: (f64, f64),
    /// Between columns and between rows.
    gap: (f64, f64),
}

impl Layout {
    pub fn parse(text: &str) -> Result<Layout> {
        LAYOUTS
            .iter()
            .find(|(name, _)| *name == text.trim())
            .map(|(_, layout)| *layout)
            .ok_or_else(|| {
                Error::BadBody(missing_field_message(
                    "layout",
                    Some("a4-3x8、a4-2x7 或 roll-60x40"),
                ))
            })
    }

    pub fn name(self) -> &'static str {
        LAYOUTS
            .iter()
            .find(|(_, layout)| *layout == self)
            .map_or("a4-3x8", |(name, _)| name)
    }

    fn geometry(self) -> Geometry {
        match self {
            Layout::A4By3x8 => Geometry {
                page: (210.0, 297.0),
                grid: (3, 8),
                label: (70.0, 37.0),
                margin: (0.0, 0.5),
                gap: (0.0, 0.0),
            },
            Layout::A4By2x7 => Geometry {
                page: (210.0, 297.0),
                grid: (2, 7),
                label: (99.1, 38.1),
                margin: (4.65, 15.15),
                gap: (2.5, 0.0),
            },
            Layout::Roll60x40 => Geometry {
                page: (60.0, 40.0),
                grid: (1, 1),
                label: (60.0, 40.0),
                margin: (0.0, 0.0),
                gap: (0.0, 0.0),
            },
        }
    }

    /// Labels on one page.
    pub fn per_page(self) -> usize {
        let (columns, rows) = self.geometry().grid;
        columns * rows
    }

    /// The page's size in points.
    fn page_size(self) -> (f64, f64) {
        let (w, h) = self.geometry().page;
        (w * PT_PER_MM, h * PT_PER_MM)
    }

    /// Where label `slot` of a page goes (0 the top left, along the rows), in points.
    fn frame(self, slot: usize) -> Frame {
        let g = self.geometry();
        let (column, row) = (slot % g.grid.0, slot / g.grid.0);
        let x = g.margin.0 + column as f64 * (g.label.0 + g.gap.0);
        let top = g.margin.1 + row as f64 * (g.label.1 + g.gap.1);
        Frame {
            x: x * PT_PER_MM,
            y: (g.page.1 - top - g.label.1) * PT_PER_MM,
            width: g.label.0 * PT_PER_MM,
            height: g.label.1 * PT_PER_MM,
        }
    }
}

/// Stores a label task; returns its id. The body is `{"ids": [...]}` or `{"filter": {…}}` (the
/// search form's fields, its paging ignored), with `layout` (default `a4-3x8`) and `offset`:
/// how many labels of the first sheet are already used (default 0).
pub fn create(conn: &mut Conn, caller: &Caller, bytes: &[u8], chunk_rows: usize) -> Result<i64> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body<'a> {
        #[serde(borrow)]
        ids: Option<&'a RawValue>,
        filter: Option<Value>,
        layout: Option<Value>,
        offset: Option<Value>,
    }
    let body: Body = serde_json::from_slice(bytes).map_err(|e| {
        let text = e.to_string();
        let unknown = text
            .strip_prefix("unknown field `")
            .and_then(|t| t.split('`').next());
        Error::BadBody(match unknown {
            _ if e.is_syntax() || e.is_eof() => "请求体不是合法的JSON".into(),
            Some(field) => missing_field_message(
                "body",
                Some(&format!(
                    "未知字段「{field}」：可用 ids、filter、layout、offset"
                )),
            ),
            None => missing_field_message(
                "body",
                Some(
                    "请求体须为对象：ids（资产编号数组）或 filter（搜索条件），以及 layout、offset",
                ),
            ),
        })
    })?;
    let layout = match &body.layout {
        None | Some(Value::Null) => Layout::A4By3x8,
        Some(Value::String(text)) => Layout::parse(text)?,
        Some(_) => return Err(Error::missing_field("layout")),
    };
    let per_page = layout.per_page() as i64;
    let offset = match &body.offset {
        None | Some(Value::Null) => 0,
        Some(value) => value
            .as_i64()
            .filter(|n| (0..per_page).contains(n))
            .ok_or_else(|| {
                Error::BadBody(format!(
                    "offset（第一张已用去的标签数）须为0到{}的整数",
                    per_page - 1
                ))
            })?,
    };
    let new = NewTask {
        labels: Some((layout.name().to_owned(), offset)),
        ..NewTask::default()
    };
    let owner = (caller.entity()?, caller.user_id);
    let none = || Error::BadBody("没有要打印标签的资产".into());
    let too_many = || {
        Error::BadBody(format!(
            "一次最多打印{LABELS_MAX}枚标签，请分批打印（例如按部门或分类）"
        ))
    };
    match (body.ids, body.filter) {
        (Some(ids), None) => {
            if !ids.get().trim_start().starts_with('[') {
                return Err(Error::BadBody(missing_field_message(
                    "ids",
                    Some("须为资产编号数组"),
                )));
            }
            let mut writer = TaskWriter::create(conn, owner, TaskKind::Label, &new, chunk_rows)?;
            crate::tasks::create::store_new(&mut writer, |writer| {
                let mut rows = 0;
                crate::tasks::create::for_each_element(ids.get().as_bytes(), |raw| {
                    rows += 1;
                    if rows > LABELS_MAX {
                        return Err(too_many());
                    }
                    Ok(writer.push(raw, None)?)
                })?;
                if rows == 0 {
                    return Err(none());
                }
                Ok(())
            })
        }
        (None, Some(filter)) => {
            let search =
                serde_json::from_value(filter).map_err(|_| Error::missing_field("filter"))?;
            let ids = crate::assets::search_ids(conn, caller, search)?;
            if ids.is_empty() {
                return Err(Error::BadBody(
                    "搜索条件没有找到资产，没有要打印的标签".into(),
                ));
            }
            crate::tasks::create::store_ids(conn, caller, (TaskKind::Label, &new), &ids, chunk_rows)
        }
        _ => Err(Error::BadBody(
            "请给出 ids（资产编号数组）或 filter（搜索条件）之一".into(),
        )),
    }
}

/// Checks that the task is a finished label task the caller sees with at least one label;
/// returns its layout and offset.
pub fn label_task(conn: &rusqlite::Connection, caller: &Caller, id: i64) -> Result<(Layout, i64)> {
    let task = crate::tasks::results::task_of(conn, caller, id)?;
    if task.kind() != TaskKind::Label {
        return Err(Error::BadBody("该任务不是标签任务".into()));
    }
    lifecycle::check(&task.status, Action::Read(Results::File))?;
    if task.running() {
        return Err(Error::TaskRunning);
    }
    let (layout, offset, labels) = tasks_sql::label_spec(conn, id)?
        .ok_or_else(|| Error::internal(format!("label task {id} has no layout")))?;
    if labels == 0 {
        return Err(Error::Rule(
            "该任务没有可打印的标签：每个资产都未能打印，原因见失败列表".into(),
        ));
    }
    Ok((Layout::parse(&layout)?, offset))
}

/// Writes the PDF of the task's labels into `out`, reading its snapshots a chunk at a time:
/// label i goes to place `offset + i` (counting along the first sheet's rows, then on).
pub fn write_pdf(
    pool: &Pool,
    task_id: i64,
    (layout, offset): (Layout, i64),
    out: impl Write,
) -> Result<()> {
    #[derive(serde::Deserialize)]
    struct Snapshot {
        id: i64,
        name: String,
        #[serde(rename = "departmentName")]
        department: String,
        position: String,
    }
    let io = |e: std::io::Error| Error::caused("label PDF", e);
    let mut pdf = Pdf::start(out).map_err(io)?;
    let per_page = layout.per_page();
    let mut slot = offset as usize % per_page;
    let mut page = String::with_capacity(64 * 1024);
    for row in ResultRows::new(pool.clone(), task_id, Source::Snapshots) {
        let (text, _) = row.map_err(Error::internal)?;
        let asset: Snapshot =
            serde_json::from_str(&text).map_err(|e| Error::caused("label snapshot", e))?;
        let label = Label {
            id: asset.id,
            name: &asset.name,
            department: &asset.department,
            position: &asset.position,
        };
        draw::label(&mut page, layout.frame(slot), &label);
        slot += 1;
        if slot == per_page {
            pdf.page(layout.page_size(), page.as_bytes()).map_err(io)?;
            page.clear();
            slot = 0;
        }
    }
    if !page.is_empty() {
        pdf.page(layout.page_size(), page.as_bytes()).map_err(io)?;
    }
    pdf.finish().map_err(io)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_fill_their_page_without_overlap() {
        for (name, layout) in LAYOUTS {
            assert_eq!(Layout::parse(name).unwrap(), layout);
            assert_eq!(layout.name(), name);
            let (w, h) = layout.page_size();
            let frames: Vec<Frame> = (0..layout.per_page()).map(|s| layout.frame(s)).collect();
            for (i, a) in frames.iter().enumerate() {
                assert!(a.x >= -0.01 && a.y >= -0.01, "{name} {i} {a:?}");
                assert!(
                    a.x + a.width <= w + 0.01 && a.y + a.height <= h + 0.01,
                    "{name} {i}"
                );
                for b in &frames[i + 1..] {
                    let apart = a.x + a.width <= b.x + 0.01
                        || b.x + b.width <= a.x + 0.01
                        || a.y + a.height <= b.y + 0.01
                        || b.y + b.height <= a.y + 0.01;
                    assert!(apart, "{name}: {a:?} overlaps {b:?}");
                }
            }
        }
        assert_eq!(Layout::A4By3x8.per_page(), 24);
        assert_eq!(Layout::A4By2x7.per_page(), 14);
        assert_eq!(Layout::Roll60x40.per_page(), 1);
        // Slot 0 is the top left, slot 1 right of it.
        let (first, second) = (Layout::A4By3x8.frame(0), Layout::A4By3x8.frame(1));
        assert!(first.y > Layout::A4By3x8.frame(3).y);
        assert!(second.x > first.x && (second.y - first.y).abs() < 0.01);
        assert!(Layout::parse("a4").is_err());
    }
}
