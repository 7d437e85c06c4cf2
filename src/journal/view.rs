//! How an entry reads: as the list answers it (with a sentence in Chinese), and as a row of its
//! file.

use super::{Kind, LoginFailure};
use crate::db::journal::Entry;
use crate::files::Cell;
use serde::Serialize;
use serde_json::{Map, Value};

/// An entry as the list answers it.
#[derive(Debug, Clone, Serialize)]
pub struct EntryView {
    pub id: i64,
    /// Local time, 'YYYY-MM-DD HH:MM:SS'.
    pub time: String,
    /// The user's name ('' for a failed login naming no user; '系统' for the settings at start).
    pub actor: String,
    pub kind: String,
    pub kind_label: String,
    pub task: Option<i64>,
    pub address: Option<String>,
    pub detail: Value,
    /// What happened, as a sentence.
    pub text: String,
}

impl EntryView {
    pub fn of(e: &Entry) -> EntryView {
        let detail = e
            .detail
            .as_deref()
            .and_then(|d| serde_json::from_str::<Value>(d).ok())
            .filter(Value::is_object)
            .unwrap_or_else(|| Value::Object(Map::new()));
        let kind = Kind::from_code(&e.kind);
        EntryView {
            id: e.id,
            time: crate::clock::local_time(e.at),
            actor: e.actor_name.clone(),
            kind: e.kind.clone(),
            kind_label: kind.map_or_else(|| e.kind.clone(), |k| k.label().to_owned()),
            task: e.task_id,
            address: e.address.clone(),
            text: sentence(kind, e, &detail),
            detail,
        }
    }
}

/// A text field of the detail ('' when absent).
fn text<'a>(detail: &'a Value, key: &str) -> &'a str {
    detail.get(key).and_then(Value::as_str).unwrap_or("")
}

fn role_name(character: Option<i64>) -> &'static str {
    match character {
        Some(1) => "普通用户",
        Some(2) => "资产管理员",
        Some(3) => "系统管理员",
        Some(4) => "超级管理员",
        _ => "用户",
    }
}

/// A settings value as the sentence shows it.
fn shown(value: &Value) -> String {
    match value {
        Value::Null => "（无）".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Where a user's assets went when they left their department (`assets` of the detail).
fn assets_moved(detail: &Value) -> Option<String> {
    let assets = detail.get("assets")?;
    let count = assets.get("count").and_then(Value::as_i64).unwrap_or(0);
    let (department, owner) = (text(assets, "department"), text(assets, "owner"));
    Some(match text(assets, "choice") {
        "move" => format!("{count} 项资产随用户转入部门 {department}"),
        _ => format!("{count} 项资产留在部门 {department}，交给资产管理员 {owner}"),
    })
}

/// What the entry says happened, as a sentence.
fn sentence(kind: Option<Kind>, e: &Entry, detail: &Value) -> String {
    let who = e.actor_name.as_str();
    let task = e.task_id.map(|t| format!("#{t}")).unwrap_or_default();
    let user = text(detail, "user");
    let department = text(detail, "department");
    let Some(kind) = kind else {
        return format!("{who} {}", e.kind);
    };
    match kind {
        Kind::Login => format!("{who} 登录"),
        Kind::LoginFailed => {
            let (who, gap) = match who {
                "" => ("以不存在的用户名", ""),
                who => (who, " "),
            };
            let why = match LoginFailure::from_code(text(detail, "reason")) {
                Some(LoginFailure::UnknownIdentity) => "",
                Some(LoginFailure::Locked) => "：账号已锁定",
                Some(LoginFailure::Throttled) => "：失败次数过多，暂被限制",
                _ => "：密码错误",
            };
            format!("{who}{gap}登录失败{why}")
        }
        Kind::Logout => format!("{who} 退出登录"),
        Kind::PasswordChanged => format!("{who} 修改了自己的密码"),
        Kind::EntityCreated => format!("{who} 新建业务实体「{}」", text(detail, "entity")),
        Kind::UserCreated => {
            let role = role_name(detail.get("character").and_then(Value::as_i64));
            let place = match (department, text(detail, "entity")) {
                ("", "") => String::new(),
                ("", entity) => format!("（业务实体 {entity}）"),
                (department, _) => format!("（部门 {department}）"),
            };
            format!("{who} 新建{role}「{user}」{place}")
        }
        Kind::UserLocked => format!("{who} 锁定用户「{user}」"),
        Kind::UserUnlocked => format!("{who} 解锁用户「{user}」"),
        Kind::PasswordReset => format!("{who} 重置了用户「{user}」的密码"),
        Kind::UserEdited => {
            let mut parts: Vec<String> = Vec::new();
            if let Some(changes) = detail.get("changes").and_then(Value::as_object) {
                for (key, label) in [
                    ("department", "部门"),
                    ("character", "角色"),
                    ("email", "邮箱"),
                ] {
                    let Some(sides) = changes.get(key) else {
                        continue;
                    };
                    let side = |i: usize| {
                        let v = sides.get(i).unwrap_or(&Value::Null);
                        match key {
                            "character" => role_name(v.as_i64()).to_owned(),
                            _ => shown(v),
                        }
                    };
                    parts.push(format!("{label} {} → {}", side(0), side(1)));
                }
            }
            parts.extend(assets_moved(detail));
            format!("{who} 修改用户「{user}」：{}", parts.join("；"))
        }
        Kind::UserDeleted => {
            let role = role_name(detail.get("character").and_then(Value::as_i64));
            let place = match department {
                "" => String::new(),
                department => format!("（部门 {department}）"),
            };
            let mut text = format!("{who} 删除{role}「{user}」{place}");
            if let Some(moved) = assets_moved(detail) {
                text.push_str(&format!("；{moved}"));
            }
            text
        }
        Kind::SetupDone => match detail.get("demo").and_then(Value::as_bool) {
            Some(true) => format!("{who} 完成首次设置：设置超级管理员密码，创建示例企业"),
            _ => format!("{who} 完成首次设置：设置超级管理员密码"),
        },
        Kind::DepartmentCreated => match text(detail, "parent") {
            "" => format!("{who} 新建部门「{department}」"),
            parent => format!("{who} 新建部门「{department}」（上级部门 {parent}）"),
        },
        Kind::DepartmentDeleted => format!("{who} 删除部门「{department}」"),
        Kind::CategoryCreated => format!(
            "{who} 在部门「{department}」新建分类「{}」（上级分类 {}）",
            text(detail, "category"),
            text(detail, "parent")
        ),
        Kind::CategoryDeleted => format!(
            "{who} 删除部门「{department}」的分类「{}」",
            text(detail, "category")
        ),
        Kind::TaskCreated => {
            let kind = match text(detail, "type") {
                "export" => "导出",
                "count" => "盘点表",
                _ => "导入",
            };
            let rows = detail.get("rows").and_then(Value::as_i64).unwrap_or(0);
            let mut more = format!("{rows} 行");
            if detail.get("dry_run") == Some(&Value::Bool(true)) {
                more.push_str("，仅校验");
            }
            if let Some(file) = detail.get("file").and_then(Value::as_str) {
                more.push_str(&format!("，文件 {file}"));
            }
            format!("{who} 创建{kind}任务 {task}（{more}）")
        }
        Kind::TaskConfirmed => format!("{who} 确认执行任务 {task}"),
        Kind::TaskCancelled => format!("{who} 取消任务 {task}"),
        Kind::TaskUndone => match detail.get("undo_task").and_then(Value::as_i64) {
            Some(undo) => format!("{who} 撤销任务 {task}（撤销任务 #{undo}）"),
            None => format!("{who} 撤销任务 {task}"),
        },
        Kind::TaskRerun => {
            let rows = detail.get("rows").and_then(Value::as_i64).unwrap_or(0);
            format!("{who} 重新提交任务 {task} 的 {rows} 个失败行")
        }
        Kind::TaskDeleted => format!("{who} 清除任务 {task} 的数据"),
        Kind::TaskDiscarded => format!("{who} 放弃仅校验任务 {task}（未写入任何数据）"),
        Kind::SettingsChanged => match detail.get("changed").and_then(Value::as_object) {
            Some(changed) if !changed.is_empty() => {
                let each: Vec<String> = changed
                    .iter()
                    .map(|(key, sides)| {
                        let side = |i: usize| shown(sides.get(i).unwrap_or(&Value::Null));
                        format!("{key} {} → {}", side(0), side(1))
                    })
                    .collect();
                format!("启动设置变更：{}", each.join("；"))
            }
            _ => "首次记录启动设置".into(),
        },
    }
}

/// The journal file's columns: (header, width).
pub const FILE_COLUMNS: [(&str, f64); 8] = [
    ("编号", 10.0),
    ("时间", 20.0),
    ("操作人", 14.0),
    ("操作类型", 14.0),
    ("说明", 60.0),
    ("任务", 8.0),
    ("地址", 16.0),
    ("详情", 40.0),
];

/// An entry as a row of the file, in `FILE_COLUMNS`' order.
pub fn file_row(e: &Entry) -> Vec<Cell> {
    let view = EntryView::of(e);
    vec![
        Cell::Number(view.id as f64),
        Cell::Text(view.time),
        Cell::Text(view.actor),
        Cell::Text(view.kind_label),
        Cell::Text(view.text),
        view.task.map_or(Cell::Empty, |t| Cell::Number(t as f64)),
        view.address.map_or(Cell::Empty, Cell::Text),
        Cell::Text(view.detail.to_string()),
    ]
}
