//! Companies, people, departments and category trees: the rules of who may create and change
//! what, on top of the SQL in `db::users` and `db::org`.

use crate::auth::{self, Caller, Role};
use crate::db::assets::Scope;
use crate::db::org::{self as sql, Category, Department};
use crate::db::users;
use crate::db::Conn;
use crate::error::{Error, Result};
use crate::journal::{self, Kind};
use crate::names;
use crate::paging::{Page, Paged};
use crate::sessions::Sessions;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::json;

const NAME_MAX: usize = 128;

/// A name as it is stored: its one spelling (`names::normalize`), 1 to `NAME_MAX` characters,
/// without a control or format character.
fn check_name(field: &str, name: &str) -> Result<String> {
    let folded = names::fold(name);
    let normal = folded.trim();
    if normal.is_empty() || normal.chars().count() > NAME_MAX {
        return Err(Error::BadBody(format!("字段长度不合法：[{field}]")));
    }
    check_visible(field, &folded)?;
    Ok(normal.to_owned())
}

fn check_visible(field: &str, text: &str) -> Result<()> {
    if text.contains(names::is_hidden) {
        return Err(Error::BadBody(format!("字段不能包含控制字符：[{field}]")));
    }
    Ok(())
}

/// A name that travels as a path segment (entity, department, category): one a client could not
/// name again in a path (`..`, or one holding `/`) would make a thing that can be neither
/// managed nor deleted, so such names are refused.
/// Checked in its one spelling: a fullwidth `／` becomes `/`.
fn check_path_name(field: &str, name: &str) -> Result<String> {
    let name = check_name(field, name)?;
    if name == "." || name == ".." || name.contains(['/', '\\', '?', '#', '%']) {
        return Err(Error::BadBody(format!(
            "名称不合法：[{field}]（不能是.或..，不能包含 / \\ ? # % 字符）"
        )));
    }
    Ok(name)
}

/// An email as it is stored: its one spelling, None when empty; up to 254 characters, with
/// an `@`, without a control or format character.
pub fn check_email(email: Option<&str>) -> Result<Option<String>> {
    let email = email.map(names::normalize).filter(|e| !e.is_empty());
    if let Some(e) = &email {
        if e.chars().count() > 254 || !e.contains('@') {
            return Err(Error::BadBody("字段长度不合法：[email]".into()));
        }
        check_visible("email", e)?;
    }
    Ok(email)
}

pub fn check_password_strength(password: &str) -> Result<()> {
    let n = password.chars().count();
    if !(6..=128).contains(&n) {
        return Err(Error::BadBody(
            "字段长度不合法：[password]（密码长度须在6到128之间）".into(),
        ));
    }
    Ok(())
}

/// Changes the caller's own password; every other session of theirs ends (whoever else held
/// one, perhaps with the old password, is out), the one that asked stays.
pub fn change_password(
    conn: &mut Conn,
    sessions: &Sessions,
    caller: &Caller,
    old_password: &str,
    new_password: &str,
) -> Result<()> {
    check_password_strength(new_password)?;
    let hash = users::password_hash(conn, caller.user_id)?;
    if !auth::verify_password(old_password, &hash) {
        return Err(Error::LoginFailed);
    }
    let new_hash = auth::hash_password(new_password)?;
    let tx = crate::db::write_tx(conn)?;
    users::set_password(&tx, caller.user_id, &new_hash)?;
    sessions.end_user(caller.user_id, Some(&caller.token));
    users::end_sessions(&tx, caller.user_id, Some(&caller.token))?;
    journal::record(&tx, caller, Kind::PasswordChanged, None, json!({}))?;
    tx.commit()?;
    Ok(())
}

/// Sets a new password for the user named `name` (any user, the super admin included) from
/// the machine that holds the database (`assetport reset-password`): every session of theirs
/// ends, and the journal says it was done there. Returns the user's name as stored.
pub fn reset_password_on_machine(conn: &mut Conn, name: &str, password: &str) -> Result<String> {
    check_password_strength(password)?;
    let user = users::user_by_name(conn, name)?.ok_or(Error::NotFound("用户"))?;
    let hash = auth::hash_password(password)?;
    let tx = crate::db::write_tx(conn)?;
    users::set_password(&tx, user.id, &hash)?;
    users::end_sessions(&tx, user.id, None)?;
    journal::record_on_machine(&tx, &user, Kind::PasswordReset, json!({"user": user.name}))?;
    tx.commit()?;
    Ok(user.name)
}

pub fn create_entity(conn: &Connection, caller: &Caller, name: &str) -> Result<i64> {
    let name = check_path_name("name", name)?;
    if users::entity_id(conn, &name)?.is_some() {
        return Err(Error::Duplicate("业务实体名称已存在".into()));
    }
    let id = users::insert_entity(conn, &name)?;
    let detail = json!({"entity": name, "entity_id": id});
    journal::record(conn, caller, Kind::EntityCreated, None, detail)?;
    Ok(id)
}

/// The entity a caller names: its own (the name must match, or be empty), or for the super
/// admin any. Another entity answers as if it did not exist.
fn named_entity(conn: &Connection, caller: &Caller, name: &str) -> Result<i64> {
    let found = names::find(name, |n| users::entity_id(conn, n))?;
    match (caller.role, found) {
        (Role::Super, Some(id)) => Ok(id),
        (_, Some(id)) if Some(id) == caller.entity_id => Ok(id),
        (Role::Admin | Role::Manager, None) if name.is_empty() => caller.entity(),
        _ => Err(Error::NotFound("业务实体")),
    }
}

#[derive(Deserialize)]
pub struct NewUserRequest {
    pub name: String,
    pub password: String,
    #[serde(default)]
    pub entity: String,
    #[serde(default)]
    pub department: String,
    pub character: i64,
    #[serde(default)]
    pub lock: bool,
    #[serde(default)]
    pub email: Option<String>,
}

/// Super admin creates system admins of an entity; a system admin creates asset managers and
/// staff in its own entity's departments.
pub fn create_user(conn: &Connection, caller: &Caller, req: &NewUserRequest) -> Result<i64> {
    // Stored, and compared with every other identity, in its one spelling.
    let name = check_name("name", &req.name)?;
    // A login names a user by name or by email: a name that looks like an email could take
    // over another company's user's email login.
    if name.contains('@') {
        return Err(Error::BadBody(
            "用户名不合法：[name]（不能包含@，@只用于邮箱）".into(),
        ));
    }
    check_password_strength(&req.password)?;
    let email = check_email(req.email.as_deref())?;
    let email = email.as_deref();
    let (entity_id, department) = match (caller.role, req.character) {
        (Role::Super, 3) => (named_entity(conn, caller, &req.entity)?, None),
        (Role::Admin, 1 | 2) => {
            let entity = named_entity(conn, caller, &req.entity)?;
            let department = names::find(&req.department, |n| {
                sql::department_by_name(conn, entity, n)
            })?
            .ok_or(Error::NotFound("部门"))?;
            (entity, Some(department))
        }
        (_, 1..=4) => return Err(Error::Forbidden),
        _ => return Err(Error::missing_field("character")),
    };
    // Identities are one space across companies, names and emails alike, case ignored.
    if users::identity_taken(conn, &name)? {
        return Err(Error::Duplicate("用户名已存在".into()));
    }
    if let Some(e) = email {
        if users::identity_taken(conn, e)? {
            return Err(Error::Duplicate("邮箱已被使用".into()));
        }
    }
    let id = users::insert_user(
        conn,
        &users::NewUser {
            name: &name,
            email,
            password_hash: &auth::hash_password(&req.password)?,
            character: req.character,
            lock: req.lock,
            entity_id: Some(entity_id),
            department_id: department.as_ref().map(|d| d.id),
        },
    )?;
    let mut detail = json!({"user": name, "user_id": id, "character": req.character});
    match &department {
        Some(d) => detail["department"] = json!(d.name),
        None => detail["entity"] = json!(sql::entity_name(conn, entity_id)?),
    }
    if let Some(e) = email {
        detail["email"] = json!(e);
    }
    if req.lock {
        detail["lock"] = json!(true);
    }
    journal::record(conn, caller, Kind::UserCreated, None, detail)?;
    Ok(id)
}

#[derive(Deserialize)]
pub struct ModifyUserRequest {
    #[serde(deserialize_with = "crate::api::lenient::opt_i64")]
    pub id: Option<i64>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub lock: Option<bool>,
}

/// Reset a password and/or (un)lock: the super admin for system admins, a system admin for the
/// managers and staff of its entity. Nobody locks themselves out.
pub fn modify_user(
    conn: &Connection,
    sessions: &Sessions,
    caller: &Caller,
    req: &ModifyUserRequest,
) -> Result<()> {
    let id = req.id.ok_or_else(|| Error::missing_field("id"))?;
    let target = users::user_by_id(conn, id)?
        .filter(|t| caller.role == Role::Super || t.entity_id == caller.entity_id)
        .ok_or(Error::NotFound("用户"))?;
    // A user of the caller's own entity is listed to them: refuse, do not deny it exists.
    let allowed = match caller.role {
        Role::Super => target.character == 3,
        Role::Admin => matches!(target.character, 1 | 2),
        _ => false,
    };
    if !allowed {
        return Err(Error::Forbidden);
    }
    let about = || json!({"user": target.name, "user_id": id});
    if let Some(p) = &req.password {
        check_password_strength(p)?;
        users::set_password(conn, id, &auth::hash_password(p)?)?;
        journal::record(conn, caller, Kind::PasswordReset, None, about())?;
    }
    // A lock or unlock is an act when it changes something.
    if let Some(lock) = req.lock.filter(|l| *l != target.lock) {
        users::set_lock(conn, id, lock)?;
        let kind = if lock {
            Kind::UserLocked
        } else {
            Kind::UserUnlocked
        };
        journal::record(conn, caller, kind, None, about())?;
    }
    // A reset (the password may be known to someone else) or a lock ends every session of
    // the user: the next request of any of them must log in again.
    if req.password.is_some() || req.lock == Some(true) {
        sessions.end_user(id, None);
        users::end_sessions(conn, id, None)?;
    }
    Ok(())
}

pub fn users_of_entity(
    conn: &Connection,
    caller: &Caller,
    entity: &str,
    page: Page,
) -> Result<Paged<users::UserView>> {
    let entity_id = named_entity(conn, caller, entity)?;
    let (total, data) = users::users_of_entity(conn, entity_id, page)?;
    let pages = page.check(total)?;
    Ok(Paged { pages, total, data })
}

pub fn create_department(
    conn: &Connection,
    caller: &Caller,
    name: &str,
    parent: &str,
) -> Result<i64> {
    let entity = caller.entity()?;
    let name = check_path_name("name", name)?;
    let parent = if parent.is_empty() {
        None
    } else {
        let found = names::find(parent, |n| sql::department_by_name(conn, entity, n))?
            .ok_or(Error::NotFound("上级部门"))?;
        Some((found.id, found.name))
    };
    if sql::department_by_name(conn, entity, &name)?.is_some() {
        return Err(Error::Duplicate("部门名称已存在".into()));
    }
    let id = sql::insert_department(conn, entity, parent.as_ref().map(|p| p.0), &name)?;
    let parent = parent.map_or(String::new(), |p| p.1);
    let detail = json!({"department": name, "department_id": id, "parent": parent});
    journal::record(conn, caller, Kind::DepartmentCreated, None, detail)?;
    Ok(id)
}

pub fn departments(
    conn: &Connection,
    caller: &Caller,
    entity: &str,
) -> Result<Vec<sql::DepartmentView>> {
    let entity_id = named_entity(conn, caller, entity)?;
    Ok(sql::departments_of_entity(conn, entity_id)?)
}

pub fn delete_department(conn: &Connection, caller: &Caller, name: &str) -> Result<()> {
    let entity = caller.entity()?;
    let department = names::find(name, |n| sql::department_by_name(conn, entity, n))?
        .ok_or(Error::NotFound("部门"))?;
    if let Some(why) = sql::department_in_use(conn, department.id)? {
        return Err(Error::Rule(why.into()));
    }
    sql::delete_department(conn, department.id)?;
    let detail = json!({"department": department.name, "department_id": department.id});
    journal::record(conn, caller, Kind::DepartmentDeleted, None, detail)?;
    Ok(())
}

/// The assets a caller may see and manage.
pub fn scope(conn: &Connection, caller: &Caller) -> Result<Scope> {
    let entity = caller.entity()?;
    match (caller.role, caller.department_id) {
        (Role::Admin, _) => Ok(Scope::Entity(entity)),
        (Role::Manager, Some(d)) => Ok(Scope::Departments(
            entity,
            sql::department_subtree(conn, d)?,
        )),
        (Role::Staff, _) => Ok(Scope::Owner(entity, caller.user_id)),
        _ => Err(Error::Forbidden),
    }
}

/// The import template's example for the caller: their own department's (or, for a system
/// admin, the company's) category and people; None when nothing in reach has both.
pub fn template_example(
    conn: &Connection,
    caller: &Caller,
) -> Result<Option<sql::TemplateExample>> {
    let (entity, departments) = match scope(conn, caller)? {
        Scope::Entity(entity) => (entity, None),
        Scope::Departments(entity, ids) => (entity, Some(ids)),
        Scope::Owner(..) => return Err(Error::Forbidden),
    };
    let caller = (caller.user_id, caller.department_id);
    Ok(sql::template_example(
        conn,
        entity,
        departments.as_deref(),
        caller,
    )?)
}

/// Who the caller is, as the page needs it: role and name, company, own department, and the
/// departments (name and parent, in tree order) whose assets they may manage.
#[derive(Debug, Serialize)]
pub struct Me {
    pub character: i64,
    pub name: String,
    pub entity: Option<String>,
    pub department: Option<String>,
    pub departments: Vec<ManagedDepartment>,
}

#[derive(Debug, Serialize)]
pub struct ManagedDepartment {
    pub name: String,
    /// The parent's name; '' for a top department (and for a manager's own).
    pub parent: String,
}

pub fn me(conn: &Connection, caller: &Caller) -> Result<Me> {
    let entity = match caller.entity_id {
        Some(id) => sql::entity_name(conn, id)?,
        None => None,
    };
    let department = match caller.department_id {
        Some(id) => sql::department_by_id(conn, id)?.map(|d| d.name),
        None => None,
    };
    let managed = match (caller.role, caller.entity_id, caller.department_id) {
        (Role::Admin, Some(entity), _) => Some((entity, None)),
        (Role::Manager, Some(entity), Some(own)) => {
            Some((entity, Some(sql::department_subtree(conn, own)?)))
        }
        _ => None,
    };
    let mut departments = Vec::new();
    if let Some((entity, within)) = managed {
        for d in sql::departments_of_entity(conn, entity)? {
            if within.as_ref().is_some_and(|ids| !ids.contains(&d.id)) {
                continue;
            }
            let top = Some(&d.name) == department.as_ref() && caller.role == Role::Manager;
            departments.push(ManagedDepartment {
                name: d.name,
                parent: if top { String::new() } else { d.parent },
            });
        }
    }
    Ok(Me {
        character: caller.role as i64,
        name: caller.name.clone(),
        entity,
        department,
        departments,
    })
}

/// Names of the users who may own assets the caller manages (a system admin: the company's;
/// an asset manager: those of their departments) containing `part`: suggestions for an owner.
pub fn owner_names(conn: &Connection, caller: &Caller, part: &str) -> Result<Vec<String>> {
    let scope = scope(conn, caller)?;
    let departments = match &scope {
        Scope::Departments(_, ids) => Some(ids.as_slice()),
        _ => None,
    };
    Ok(users::names_containing(
        conn,
        scope.entity_id(),
        departments,
        &names::normalize(part),
        20,
    )?)
}

/// A department the caller manages (asset manager: its own subtree; system admin: its
/// entity). One outside answers as if it did not exist.
pub fn managed_department(conn: &Connection, caller: &Caller, name: &str) -> Result<Department> {
    let scope = scope(conn, caller)?;
    names::find(name, |n| {
        sql::department_by_name(conn, scope.entity_id(), n)
    })?
    .filter(|d| scope.covers(d.id))
    .ok_or(Error::NotFound("部门"))
}

#[derive(Deserialize)]
pub struct NewCategoryRequest {
    pub name: String,
    pub parent: String,
    pub department: String,
}

pub fn create_category(
    conn: &Connection,
    caller: &Caller,
    req: &NewCategoryRequest,
) -> Result<i64> {
    let name = check_path_name("name", &req.name)?;
    let department = managed_department(conn, caller, &req.department)?;
    let parent_name = if req.parent.is_empty() {
        sql::ROOT_CATEGORY
    } else {
        &req.parent
    };
    let parent = names::find(parent_name, |n| {
        sql::category_by_name(conn, department.id, n)
    })?
    .ok_or(Error::NotFound("上级分类"))?;
    if sql::category_by_name(conn, department.id, &name)?.is_some() {
        return Err(Error::Duplicate("分类名称已存在".into()));
    }
    // A node inherits what its parent accepts; only the root accepts both classes.
    let id = sql::insert_category(
        conn,
        department.id,
        Some(parent.id),
        &name,
        parent.class,
        false,
    )?;
    let detail = json!({"department": department.name, "category": name, "category_id": id,
        "parent": parent.name});
    journal::record(conn, caller, Kind::CategoryCreated, None, detail)?;
    Ok(id)
}

#[derive(Serialize)]
pub struct CategoryNode {
    pub id: i64,
    pub name: String,
    /// null: both classes; 0 quantity; 1 item.
    pub class: Option<i64>,
    pub fixed: bool,
    pub children: Vec<CategoryNode>,
}

fn build_node(all: &[Category], node: &Category) -> CategoryNode {
    CategoryNode {
        id: node.id,
        name: node.name.clone(),
        class: node.class,
        fixed: node.fixed,
        children: all
            .iter()
            .filter(|c| c.parent_id == Some(node.id))
            .map(|c| build_node(all, c))
            .collect(),
    }
}

/// The category tree of a department from `node` (None: the root) down.
pub fn category_tree(
    conn: &Connection,
    caller: &Caller,
    department: &str,
    node: Option<&str>,
) -> Result<CategoryNode> {
    let department = managed_department(conn, caller, department)?;
    let all = sql::categories_of_department(conn, department.id)?;
    let start = match node {
        Some(node) => names::find(node, |n| Ok::<_, Error>(all.iter().find(|c| c.name == n)))?,
        None => all.iter().find(|c| c.parent_id.is_none()),
    }
    .ok_or(Error::NotFound("分类"))?;
    Ok(build_node(&all, start))
}

pub fn delete_category(
    conn: &Connection,
    caller: &Caller,
    department: &str,
    node: &str,
) -> Result<()> {
    let department = managed_department(conn, caller, department)?;
    let category = names::find(node, |n| sql::category_by_name(conn, department.id, n))?
        .ok_or(Error::NotFound("分类"))?;
    if let Some(why) = sql::category_in_use(conn, &category)? {
        return Err(Error::Rule(why.into()));
    }
    sql::delete_category(conn, category.id)?;
    let detail = json!({"department": department.name, "category": category.name,
        "category_id": category.id});
    journal::record(conn, caller, Kind::CategoryDeleted, None, detail)?;
    Ok(())
}
