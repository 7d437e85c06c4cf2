//! Editing and deleting users within the caller's rights: the super admin manages the system
//! admins, a system admin the asset managers and staff of its own company (as they create
//! them, `org::create_user`). Nobody raises a user to a role they could not create, nor touches
//! a user above them or themselves.
//!
//! A user who leaves their department (moved, or deleted) while holding assets must say where
//! the assets go (`AssetsChoice`): with the user to the new department, or to the old
//! department's asset manager. The assets' changes, their history entries, the user's row and
//! the journal's entry are one transaction (the caller's).

mod assets;
#[cfg(test)]
mod tests;

use crate::auth::{Caller, Role};
use crate::db::history::Source;
use crate::db::org as org_sql;
use crate::db::user_changes as sql;
use crate::db::users::{self, UserRow};
use crate::error::{Error, Result};
use crate::journal::{self, Kind};
use crate::names;
use crate::org::check_email;
use crate::rows::missing_field_message;
use rusqlite::Connection;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Map, Value};

/// Where the assets of a user who leaves their department go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AssetsChoice {
    /// With the user, to the new department.
    Move,
    /// They stay in the old department, handed to its asset manager.
    Keep,
}

impl AssetsChoice {
    fn name(self) -> &'static str {
        match self {
            AssetsChoice::Move => "move",
            AssetsChoice::Keep => "keep",
        }
    }
}

/// `POST /api/user/{session}/{id}`: each field given replaces the user's; one left out stays.
#[derive(Debug, Default, Deserialize)]
pub struct EditUserRequest {
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default, deserialize_with = "crate::api::lenient::opt_i64")]
    pub character: Option<i64>,
    /// Absent: unchanged; null or "": no email.
    #[serde(default, deserialize_with = "present")]
    pub email: Option<Option<String>>,
    #[serde(default)]
    pub assets: Option<AssetsChoice>,
}

/// A field that may be sent as null: `Some(None)` then, `None` when it is left out.
fn present<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// What an edit changed, as the API answers it.
#[derive(Debug, Default, Serialize, PartialEq)]
pub struct Edited {
    /// The fields that changed: `department`, `character`, `email`.
    pub changed: Vec<&'static str>,
    /// Where the user's assets went, when they left their department holding some.
    pub assets: Option<AssetsMoved>,
}

/// Where a leaving user's assets went.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AssetsMoved {
    pub choice: &'static str,
    pub count: i64,
    /// The department they are in now.
    pub department: String,
    /// Who holds them now.
    pub owner: String,
}

impl AssetsMoved {
    fn detail(&self) -> Value {
        json!({"choice": self.choice, "count": self.count,
               "department": self.department, "owner": self.owner})
    }
}

/// A user as the edit dialog needs them: their fields, how many assets they hold, who would
/// receive those if they stayed behind, and whether tasks keep the user from being deleted.
#[derive(Debug, Serialize)]
pub struct UserDetail {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub character: i64,
    pub lock: bool,
    pub department: String,
    pub assets: i64,
    /// The department's asset manager who would receive the assets (None: nobody could).
    pub receiver: Option<String>,
    /// The user created or re-ran tasks, which keep them: they can be locked, not deleted.
    pub has_tasks: bool,
}

/// Whether `caller` may edit or delete `target`. A user of another company answers as if it
/// did not exist; one of the caller's own company the caller may not manage (a system admin,
/// the caller itself) is refused.
pub fn check_manages(caller: &Caller, target: &UserRow) -> Result<()> {
    let visible = caller.role == Role::Super
        || (target.entity_id.is_some() && target.entity_id == caller.entity_id);
    if !visible {
        return Err(Error::NotFound("用户"));
    }
    let allowed = match caller.role {
        Role::Super => target.character == Role::Admin as i64,
        Role::Admin => matches!(target.character, 1 | 2),
        _ => false,
    };
    if !allowed || target.id == caller.user_id {
        return Err(Error::Forbidden);
    }
    Ok(())
}

/// Whether `caller` may give a user the role `character`: those it may create.
pub fn check_role_given(caller: Role, character: i64) -> Result<()> {
    match (caller, character) {
        (Role::Super, 3) | (Role::Admin, 1 | 2) => Ok(()),
        (_, 1..=4) => Err(Error::Forbidden),
        _ => Err(Error::missing_field("character")),
    }
}

/// The user `id`, if the caller may manage them.
fn managed(conn: &Connection, caller: &Caller, id: i64) -> Result<UserRow> {
    let target = users::user_by_id(conn, id)?.ok_or(Error::NotFound("用户"))?;
    check_manages(caller, &target)?;
    Ok(target)
}

fn department_name(conn: &Connection, id: Option<i64>) -> Result<String> {
    Ok(match id {
        Some(id) => org_sql::department_by_id(conn, id)?.map_or_else(String::new, |d| d.name),
        None => String::new(),
    })
}

pub fn detail(conn: &Connection, caller: &Caller, id: i64) -> Result<UserDetail> {
    let target = managed(conn, caller, id)?;
    let receiver = match target.department_id {
        Some(d) => sql::department_manager(conn, d, target.id)?.map(|u| u.name),
        None => None,
    };
    Ok(UserDetail {
        id: target.id,
        email: sql::email_of(conn, id)?,
        character: target.character,
        lock: target.lock,
        department: department_name(conn, target.department_id)?,
        assets: sql::assets_held(conn, id)?,
        receiver,
        has_tasks: sql::has_tasks(conn, id)?,
        name: target.name,
    })
}

/// The department a user of role `character` is to be in: None for a system admin, else the
/// one named (the current one when none is named), which must be of the user's company.
fn wanted_department(
    conn: &Connection,
    target: &UserRow,
    character: i64,
    named: Option<&str>,
) -> Result<Option<i64>> {
    let named = named.map(str::trim);
    if character == Role::Admin as i64 {
        return match named {
            None | Some("") => Ok(None),
            Some(_) => Err(Error::BadBody(missing_field_message(
                "department",
                Some("系统管理员不属于任何部门"),
            ))),
        };
    }
    let entity = target.entity_id.ok_or(Error::Forbidden)?;
    match named {
        None => target.department_id.map(Some).ok_or_else(|| {
            Error::BadBody(missing_field_message(
                "department",
                Some("资产管理员和普通用户须属于一个部门"),
            ))
        }),
        Some("") => Err(Error::BadBody(missing_field_message(
            "department",
            Some("资产管理员和普通用户须属于一个部门"),
        ))),
        Some(name) => Ok(Some(
            names::find(name, |n| org_sql::department_by_name(conn, entity, n))?
                .ok_or(Error::NotFound("部门"))?
                .id,
        )),
    }
}

/// The email the user is to have: `Some(new)` from the request, else the current one. A new
/// one must be nobody else's identity.
fn wanted_email(
    conn: &Connection,
    current: Option<&str>,
    given: Option<Option<&str>>,
) -> Result<Option<String>> {
    let Some(given) = given else {
        return Ok(current.map(str::to_owned));
    };
    let email = check_email(given)?;
    if let Some(e) = &email {
        let own = current.is_some_and(|c| c.eq_ignore_ascii_case(e));
        if !own && users::identity_taken(conn, e)? {
            return Err(Error::Duplicate("邮箱已被使用".into()));
        }
    }
    Ok(email)
}

/// Edits a user (department, role, email) within the caller's rights. A department change of
/// a user holding assets needs `assets`. A role or department change ends the user's sessions
/// (`end_pending` forgets those not yet stored): what they may do changed, and their page
/// shows it after the next login.
pub fn edit(
    conn: &Connection,
    end_pending: &dyn Fn(i64),
    caller: &Caller,
    id: i64,
    req: &EditUserRequest,
) -> Result<Edited> {
    let target = managed(conn, caller, id)?;
    let character = req.character.unwrap_or(target.character);
    if req.character.is_some() {
        check_role_given(caller.role, character)?;
    }
    let department = wanted_department(conn, &target, character, req.department.as_deref())?;
    let current_email = sql::email_of(conn, id)?;
    let given_email = req.email.as_ref().map(|e| e.as_deref());
    let email = wanted_email(conn, current_email.as_deref(), given_email)?;

    let mut edited = Edited::default();
    let mut changes = Map::new();
    if department != target.department_id {
        edited.changed.push("department");
        let sides = [
            department_name(conn, target.department_id)?,
            department_name(conn, department)?,
        ];
        changes.insert("department".into(), json!(sides));
    }
    if character != target.character {
        edited.changed.push("character");
        changes.insert("character".into(), json!([target.character, character]));
    }
    if email != current_email {
        edited.changed.push("email");
        changes.insert("email".into(), json!([current_email, email]));
    }
    if edited.changed.is_empty() {
        return Ok(edited);
    }
    // Leaving a department: the assets held there go where the caller said.
    if let (Some(from), Some(to)) = (target.department_id, department) {
        if from != to {
            let held = sql::assets_held(conn, id)?;
            if held > 0 {
                let choice = req.assets.ok_or(Error::AssetsNeedChoice {
                    count: held,
                    deleting: false,
                })?;
                let source = source_of(caller, &target)?;
                edited.assets = Some(match choice {
                    AssetsChoice::Move => assets::move_with_owner(conn, &source, &target, to)?,
                    AssetsChoice::Keep => assets::hand_over(conn, &source, &target, from)?,
                });
            }
        }
    }
    sql::set_user(conn, id, character, department, email.as_deref())?;
    if changes.contains_key("department") || changes.contains_key("character") {
        end_pending(id);
        users::end_sessions(conn, id, None)?;
    }
    let mut detail = json!({"user": target.name, "user_id": id, "changes": changes});
    if let Some(moved) = &edited.assets {
        detail["assets"] = moved.detail();
    }
    journal::record(conn, caller, Kind::UserEdited, None, detail)?;
    Ok(edited)
}

/// Deletes a user within the caller's rights. One holding assets is deleted only with
/// `assets: keep` (they go to the department's asset manager); one whose name tasks keep is
/// refused (lock them instead). Their sessions end.
pub fn delete(
    conn: &Connection,
    end_pending: &dyn Fn(i64),
    caller: &Caller,
    id: i64,
    choice: Option<AssetsChoice>,
) -> Result<Option<AssetsMoved>> {
    let target = managed(conn, caller, id)?;
    if sql::has_tasks(conn, id)? {
        return Err(Error::Rule(
            "该用户创建或执行过异步任务，任务记录须保留其创建人，不能删除；如需停用，请锁定该用户"
                .into(),
        ));
    }
    let held = sql::assets_held(conn, id)?;
    let moved = match (held, choice, target.department_id) {
        (0, ..) => None,
        (_, Some(AssetsChoice::Keep), Some(from)) => Some(assets::hand_over(
            conn,
            &source_of(caller, &target)?,
            &target,
            from,
        )?),
        (_, Some(AssetsChoice::Move), _) => {
            return Err(Error::BadBody(missing_field_message(
                "assets",
                Some("删除用户时资产只能留在原部门，交给该部门的资产管理员"),
            )))
        }
        (count, ..) => {
            return Err(Error::AssetsNeedChoice {
                count,
                deleting: true,
            })
        }
    };
    end_pending(id);
    users::end_sessions(conn, id, None)?;
    sql::delete_user(conn, id)?;
    let mut detail = json!({"user": target.name, "user_id": id, "character": target.character});
    match target.department_id {
        Some(_) => detail["department"] = json!(department_name(conn, target.department_id)?),
        None => {
            let entity = match target.entity_id {
                Some(e) => org_sql::entity_name(conn, e)?,
                None => None,
            };
            detail["entity"] = json!(entity);
        }
    }
    if let Some(moved) = &moved {
        detail["assets"] = moved.detail();
    }
    journal::record(conn, caller, Kind::UserDeleted, None, detail)?;
    Ok(moved)
}

/// The history's source of the assets' changes: the caller, in the user's company.
fn source_of(caller: &Caller, target: &UserRow) -> Result<Source> {
    Ok(Source {
        entity_id: target.entity_id.ok_or(Error::Forbidden)?,
        actor_id: caller.user_id,
        task_id: None,
        request_id: None,
    })
}
