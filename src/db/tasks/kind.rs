//! What a task does: its kind, stored as `port_type`.

/// What a task does; stored (and shown) as `port_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    Export = 0,
    Import = 1,
    /// Takes back what an import did (`undo_of`).
    Undo = 2,
    /// Executes the lines of an approved request (`request_id`), batch by batch.
    Approval = 3,
    /// Takes back what an approved request's lines did (`request_id`).
    RequestUndo = 4,
    /// Counts a stocktake's lines from the rows of an uploaded count sheet (`stocktake_id`).
    Count = 5,
    /// Snapshots assets for a PDF of their labels (`label_layout`, `label_offset`), like an
    /// export: the PDF is drawn from the snapshots when it is downloaded.
    Label = 6,
    /// Lists a large stocktake's expected assets (`stocktake_id`), a batch of asset ids at a
    /// time; the stocktake is 准备中 until the last batch.
    Freeze = 7,
}

impl TaskKind {
    /// Whether it works through a request's lines (an approval, or its undo), not stored rows.
    pub fn of_request(self) -> bool {
        matches!(self, TaskKind::Approval | TaskKind::RequestUndo)
    }

    /// Whether its rows are asset ids snapshotted for a download (an export, or labels).
    pub fn exports(self) -> bool {
        matches!(self, TaskKind::Export | TaskKind::Label)
    }

    pub fn code(self) -> i64 {
        self as i64
    }

    pub fn name(self) -> &'static str {
        match self {
            TaskKind::Export => "export",
            TaskKind::Import => "import",
            TaskKind::Undo => "undo",
            TaskKind::Approval => "approval",
            TaskKind::RequestUndo => "request_undo",
            TaskKind::Count => "count",
            TaskKind::Label => "label",
            TaskKind::Freeze => "freeze",
        }
    }

    pub fn from_code(code: i64) -> Option<TaskKind> {
        match code {
            0 => Some(TaskKind::Export),
            1 => Some(TaskKind::Import),
            2 => Some(TaskKind::Undo),
            3 => Some(TaskKind::Approval),
            4 => Some(TaskKind::RequestUndo),
            5 => Some(TaskKind::Count),
            6 => Some(TaskKind::Label),
            7 => Some(TaskKind::Freeze),
            _ => None,
        }
    }
}
