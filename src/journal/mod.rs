//! The operations journal (操作日志): one entry for every act of administration and every login,
//! written in the transaction of the act it records, so that no act exists without its entry
//! and no entry without its act. A refused request writes nothing, except a failed login, which
//! is always recorded (who, from where, why; never what was typed as the password, nor an
//! identity that names no user, which is often a password typed into the name field). Logins
//! and failed logins reach the database through the session writer (`sessions.rs`), a login's
//! entry in the transaction that stores its session.
//!
//! Who reads what: a system admin their company's entries; the super admin the entries of no
//! company: their own acts, the settings recorded at start and failed logins naming no user.
//! The SQL is `db::journal`; how an entry reads (its sentence, its file row) is `view.rs`.

mod list;
mod start;
mod view;

pub use list::{file_name, filter, list, parse_query, write_csv, write_xlsx, Asked, Listing};
pub use start::record_settings;
pub use view::{EntryView, FILE_COLUMNS};

use crate::auth::Caller;
use crate::db::journal::{self as sql, NewEntry};
use crate::db::users::UserRow;
use crate::error::Result;
use rusqlite::Connection;
use serde_json::{json, Value};

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Login,
    LoginFailed,
    Logout,
    PasswordChanged,
    EntityCreated,
    UserCreated,
    UserLocked,
    UserUnlocked,
    PasswordReset,
    UserEdited,
    UserDeleted,
    DepartmentCreated,
    DepartmentDeleted,
    CategoryCreated,
    CategoryDeleted,
    TaskCreated,
    TaskConfirmed,
    TaskCancelled,
    TaskUndone,
    TaskRerun,
    TaskDeleted,
    TaskDiscarded,
    SettingsChanged,
    SetupDone,
}

impl Kind {
    /// Every kind, in the order the page offers them.
    pub const ALL: [Kind; 24] = [
        Kind::Login,
        Kind::LoginFailed,
        Kind::Logout,
        Kind::PasswordChanged,
        Kind::EntityCreated,
        Kind::UserCreated,
        Kind::UserLocked,
        Kind::UserUnlocked,
        Kind::PasswordReset,
        Kind::UserEdited,
        Kind::UserDeleted,
        Kind::DepartmentCreated,
        Kind::DepartmentDeleted,
        Kind::CategoryCreated,
        Kind::CategoryDeleted,
        Kind::TaskCreated,
        Kind::TaskConfirmed,
        Kind::TaskCancelled,
        Kind::TaskUndone,
        Kind::TaskRerun,
        Kind::TaskDeleted,
        Kind::TaskDiscarded,
        Kind::SettingsChanged,
        Kind::SetupDone,
    ];

    /// The table of kinds: each one's code (in the API, the database and the `kind` filter) and
    /// its label.
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            Kind::Login => ("login", "登录"),
            Kind::LoginFailed => ("login_failed", "登录失败"),
            Kind::Logout => ("logout", "退出"),
            Kind::PasswordChanged => ("password_changed", "修改密码"),
            Kind::EntityCreated => ("entity_created", "新建业务实体"),
            Kind::UserCreated => ("user_created", "新建用户"),
            Kind::UserLocked => ("user_locked", "锁定用户"),
            Kind::UserUnlocked => ("user_unlocked", "解锁用户"),
            Kind::PasswordReset => ("password_reset", "重置密码"),
            Kind::UserEdited => ("user_edited", "修改用户"),
            Kind::UserDeleted => ("user_deleted", "删除用户"),
            Kind::DepartmentCreated => ("department_created", "新建部门"),
            Kind::DepartmentDeleted => ("department_deleted", "删除部门"),
            Kind::CategoryCreated => ("category_created", "新建分类"),
            Kind::CategoryDeleted => ("category_deleted", "删除分类"),
            Kind::TaskCreated => ("task_created", "创建任务"),
            Kind::TaskConfirmed => ("task_confirmed", "确认任务"),
            Kind::TaskCancelled => ("task_cancelled", "取消任务"),
            Kind::TaskUndone => ("task_undone", "撤销任务"),
            Kind::TaskRerun => ("task_rerun", "重新提交失败行"),
            Kind::TaskDeleted => ("task_deleted", "清除任务数据"),
            Kind::TaskDiscarded => ("task_discarded", "放弃校验任务"),
            Kind::SettingsChanged => ("settings_changed", "启动设置变更"),
            Kind::SetupDone => ("setup_done", "首次设置"),
        }
    }

    pub fn code(self) -> &'static str {
        self.names().0
    }

    pub fn label(self) -> &'static str {
        self.names().1
    }

    pub fn from_code(code: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// The kinds as the page lists them: `[{kind, label}]`.
pub fn kinds() -> Vec<Value> {
    Kind::ALL
        .iter()
        .map(|k| json!({"kind": k.code(), "label": k.label()}))
        .collect()
}

fn entry(
    (entity_id, actor_id, actor_name): (Option<i64>, Option<i64>, &str),
    kind: Kind,
    task_id: Option<i64>,
    address: Option<&str>,
    detail: Value,
) -> NewEntry {
    NewEntry {
        at: crate::clock::now_secs(),
        entity_id,
        actor_id,
        actor_name: actor_name.to_owned(),
        kind: kind.code(),
        task_id,
        address: address.map(str::to_owned),
        detail: detail.to_string(),
    }
}

/// Records an act of `caller`'s, inside `conn`'s transaction (the act's): in the caller's
/// company (none for the super admin).
pub fn record(
    conn: &Connection,
    caller: &Caller,
    kind: Kind,
    task_id: Option<i64>,
    detail: Value,
) -> Result<()> {
    let actor = (caller.entity_id, Some(caller.user_id), caller.name.as_str());
    sql::insert(conn, &entry(actor, kind, task_id, None, detail))?;
    Ok(())
}

/// The name an act done on the server's machine (`assetport reset-password`) gives as its
/// actor: whoever could run the program there, not a user of the register.
pub const ON_MACHINE: &str = "本机命令";

/// Records an act done to `user` from the server's machine, in `user`'s company.
pub fn record_on_machine(
    conn: &Connection,
    user: &UserRow,
    kind: Kind,
    detail: Value,
) -> Result<()> {
    let actor = (user.entity_id, None, ON_MACHINE);
    sql::insert(conn, &entry(actor, kind, None, None, detail))?;
    Ok(())
}

/// Records an act of `user`'s from `address` done without a session (the first start).
pub fn record_by(
    conn: &Connection,
    user: &UserRow,
    kind: Kind,
    address: Option<&str>,
    detail: Value,
) -> Result<()> {
    let actor = (user.entity_id, Some(user.id), user.name.as_str());
    sql::insert(conn, &entry(actor, kind, None, address, detail))?;
    Ok(())
}

/// The entry of a login of `user` from `address` (written with its session).
pub fn login(user: &UserRow, address: &str) -> NewEntry {
    let actor = (user.entity_id, Some(user.id), user.name.as_str());
    entry(actor, Kind::Login, None, Some(address), json!({}))
}

/// Why a login failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginFailure {
    /// A wrong password for a user.
    Password,
    /// The identity names no user (what was typed is not kept).
    UnknownIdentity,
    /// The right password of a locked user.
    Locked,
    /// Too many failures: refused before the password was checked.
    Throttled,
}

impl LoginFailure {
    fn code(self) -> &'static str {
        match self {
            LoginFailure::Password => "password",
            LoginFailure::UnknownIdentity => "unknown_identity",
            LoginFailure::Locked => "locked",
            LoginFailure::Throttled => "throttled",
        }
    }

    fn from_code(code: &str) -> Option<LoginFailure> {
        [
            LoginFailure::Password,
            LoginFailure::UnknownIdentity,
            LoginFailure::Locked,
            LoginFailure::Throttled,
        ]
        .into_iter()
        .find(|f| f.code() == code)
    }
}

/// The entry of a failed login from `address`: for a user, in their company, with the identity
/// as typed (their name or email); for an identity naming no user, in no company and without
/// it (`why`: `UnknownIdentity`, or `Throttled` when it was refused before the check).
pub fn login_failed(
    user: Option<&UserRow>,
    identity: &str,
    address: &str,
    why: LoginFailure,
) -> NewEntry {
    match user {
        Some(user) => {
            let actor = (user.entity_id, Some(user.id), user.name.as_str());
            let detail = json!({"reason": why.code(), "identity": identity});
            entry(actor, Kind::LoginFailed, None, Some(address), detail)
        }
        None => {
            let detail = json!({"reason": why.code()});
            entry(
                (None, None, ""),
                Kind::LoginFailed,
                None,
                Some(address),
                detail,
            )
        }
    }
}

/// Records the logout of `user` from `address`, inside the transaction that ends the session.
pub fn record_logout(conn: &Connection, user: &UserRow, address: &str) -> Result<()> {
    let actor = (user.entity_id, Some(user.id), user.name.as_str());
    let logout = entry(actor, Kind::Logout, None, Some(address), json!({}));
    sql::insert(conn, &logout)?;
    Ok(())
}

/// Records the creation of task `task_id` by its creator, inside the transaction that makes it
/// visible (`TaskWriter::finish_new`, the one place every new import and export passes).
pub fn record_task_created(conn: &Connection, task_id: i64) -> rusqlite::Result<()> {
    use crate::db::tasks;
    let Some(state) = tasks::task_state(conn, task_id)? else {
        return Ok(());
    };
    let Some(task) = tasks::task_view(conn, state.entity_id, task_id)? else {
        return Ok(());
    };
    let mut detail = json!({"type": task.kind, "rows": task.number_need});
    if let Some(file) = &task.file_name {
        detail["file"] = json!(file);
    }
    if task.dry_run {
        detail["dry_run"] = json!(true);
    }
    let actor = (
        Some(state.entity_id),
        Some(state.creator_id),
        task.manager.as_str(),
    );
    sql::insert(
        conn,
        &entry(actor, Kind::TaskCreated, Some(task_id), None, detail),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests;
