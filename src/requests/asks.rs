//! What one request asks and whether the caller may ask it of each asset: shared by a request
//! sent as JSON (refused at its first bad line) and one uploaded as a file (every bad line
//! named, as a dry run names an import's).

use super::{Kind, REASON_MAX};
use crate::auth::{Caller, Role};
use crate::db::assets::Scope;
use crate::db::changes::{self, StoredAsset};
use crate::db::requests::{self as sql, LineRow, NewRequest};
use crate::db::{org as org_sql, users};
use crate::error::{Error, Result};
use rusqlite::Connection;
use serde_json::Value;
use std::collections::HashSet;

/// A request being asked: its kind, target and reason, checked; its lines are checked one by
/// one with `line`.
pub(super) struct Asked<'a> {
    caller: &'a Caller,
    entity: i64,
    kind: Kind,
    reason: String,
    scope: Scope,
    target_user: Option<users::UserRow>,
    target_department: Option<i64>,
    seen: HashSet<i64>,
}

/// Why one line cannot be asked.
pub(super) enum Problem {
    Rule(String),
    /// The caller already asked for the asset in a pending request.
    Pending {
        asset: String,
        request: i64,
    },
}

impl Problem {
    /// The error refusing a request at this line (`at`: 第N项 or 第N行).
    pub(super) fn error(self, at: &str) -> Error {
        match self {
            Problem::Rule(why) => Error::Rule(format!("{at}：{why}")),
            Problem::Pending { asset, request } => Error::RequestPending { asset, request },
        }
    }

    /// The line's problem in words.
    pub(super) fn text(&self) -> String {
        match self {
            Problem::Rule(why) => why.clone(),
            Problem::Pending { asset, request } => {
                format!("您对资产“{asset}”已有待审批的申请（申请 #{request}）")
            }
        }
    }
}

impl<'a> Asked<'a> {
    /// Checks the kind (code, API name or label), the target it needs (转移: a user of the
    /// company, not locked; 调拨: a department of the company) and the reason.
    pub(super) fn new(
        conn: &Connection,
        caller: &'a Caller,
        (kind, target_user, target_department): (&Value, Option<&str>, Option<&str>),
        reason: &str,
    ) -> Result<Asked<'a>> {
        let entity = caller.entity()?;
        let kind = Kind::parse(kind)?;
        let reason = reason.trim();
        if reason.chars().count() > REASON_MAX {
            return Err(Error::Rule(format!("申请理由不能超过{REASON_MAX}个字")));
        }
        if caller.role == Role::Staff && kind == Kind::Allocate {
            return Err(Error::Rule("调拨只能由资产管理员或系统管理员申请".into()));
        }
        let target_user = match (kind, target_user.map(str::trim)) {
            (Kind::Transfer, Some(name)) if !name.is_empty() => Some(
                crate::names::find(name, |n| users::user_by_name(conn, n))?
                    .filter(|u| u.entity_id == Some(entity))
                    .ok_or_else(|| Error::Rule(format!("接收人“{name}”不存在")))?,
            ),
            (Kind::Transfer, _) => return Err(Error::Rule("转移须指定接收人".into())),
            _ => None,
        };
        if target_user.as_ref().is_some_and(|u| u.lock) {
            return Err(Error::Rule("接收人已被锁定，不能接收资产".into()));
        }
        let target_department = match (kind, target_department.map(str::trim)) {
            (Kind::Allocate, Some(name)) if !name.is_empty() => Some(
                crate::names::find(name, |n| org_sql::department_by_name(conn, entity, n))?
                    .ok_or_else(|| Error::Rule(format!("调入部门“{name}”不存在")))?
                    .id,
            ),
            (Kind::Allocate, _) => return Err(Error::Rule("调拨须指定调入部门".into())),
            _ => None,
        };
        if let Some(to) = target_department {
            // Its asset manager receives the assets: without one, approval could not execute.
            super::department_receiver(conn, to)?;
        }
        Ok(Asked {
            caller,
            entity,
            kind,
            reason: reason.to_owned(),
            scope: crate::org::scope(conn, caller)?,
            target_user,
            target_department,
            seen: Default::default(),
        })
    }

    pub(super) fn kind(&self) -> Kind {
        self.kind
    }

    /// The line asking `count` (None: all) of asset `asset_id`, or why it cannot be asked.
    /// Lines are numbered in the order they are checked.
    pub(super) fn line(
        &mut self,
        conn: &Connection,
        asset_id: i64,
        count: Option<i64>,
    ) -> Result<std::result::Result<LineRow, Problem>> {
        if !self.seen.insert(asset_id) {
            return Ok(Err(Problem::Rule(format!("资产{asset_id}重复"))));
        }
        let seq = self.seen.len() as i64;
        let Some(asset) =
            changes::stored_asset(conn, asset_id)?.filter(|a| a.values.entity_id == self.entity)
        else {
            return Ok(Err(Problem::Rule(format!("资产编号{asset_id}不存在"))));
        };
        let count = count.unwrap_or(asset.values.count);
        if let Err(why) = self.check(conn, &asset, count) {
            return Ok(Err(Problem::Rule(why)));
        }
        if let Some(other) = sql::pending_for_asset(conn, asset.id, Some(self.caller.user_id))? {
            return Ok(Err(Problem::Pending {
                asset: asset.values.name.clone(),
                request: other,
            }));
        }
        Ok(Ok(LineRow {
            seq,
            asset_id: asset.id,
            count,
            owner_id: asset.values.owner_id,
            department_id: asset.values.department_id,
            asset_count: asset.values.count,
            state: 0,
            invalid: None,
            split_id: None,
            revision: None,
            rest_revision: None,
        }))
    }

    /// Stores the request with its lines (numbered again from 1, in their order); returns its
    /// id.
    pub(super) fn store(&self, conn: &Connection, lines: &[LineRow]) -> Result<i64> {
        let new = NewRequest {
            entity_id: self.entity,
            kind: self.kind.code(),
            initiator_id: self.caller.user_id,
            reason: &self.reason,
            target_user_id: self.target_user.as_ref().map(|u| u.id),
            target_department_id: self.target_department,
        };
        let id = sql::insert(conn, &new, crate::clock::now_secs())?;
        for (i, line) in lines.iter().enumerate() {
            let line = LineRow {
                seq: i as i64 + 1,
                ..line.clone()
            };
            sql::insert_line(conn, id, &line)?;
        }
        Ok(id)
    }

    /// Whether the caller may ask this of `asset` (and it may be asked at all); the reason if
    /// not.
    fn check(
        &self,
        conn: &Connection,
        asset: &StoredAsset,
        count: i64,
    ) -> std::result::Result<(), String> {
        let a = &asset.values;
        let name = &a.name;
        if asset.expire {
            return Err(format!("资产“{name}”已清退"));
        }
        if count < 1 || count > a.count {
            return Err(format!("资产“{name}”的申请数量须在1到{}之间", a.count));
        }
        let staff = self.caller.role == Role::Staff;
        let mine = a.owner_id == self.caller.user_id;
        let reach = if staff {
            match self.kind {
                Kind::Take => self.caller.department_id == Some(a.department_id),
                _ => mine,
            }
        } else {
            self.scope.covers(a.department_id)
        };
        if !reach {
            return Err(match (staff, self.kind) {
                (true, Kind::Take) => format!("资产“{name}”不属于您的部门"),
                (true, _) => format!("资产“{name}”不是您名下的资产"),
                _ => format!("资产“{name}”不在您管理的部门中"),
            });
        }
        let repairing = a.status == 3;
        match self.kind {
            Kind::Take if self.caller.department_id != Some(a.department_id) => {
                return Err(format!(
                    "资产“{name}”不属于您所在的部门，领用后须由本部门的人挂账"
                ))
            }
            Kind::Take if a.status != 1 => return Err(format!("资产“{name}”不是闲置资产")),
            Kind::Take if mine => return Err(format!("资产“{name}”已在您名下")),
            Kind::Repair if repairing => return Err(format!("资产“{name}”已在维保中")),
            Kind::Return | Kind::Transfer | Kind::Allocate if repairing => {
                return Err(format!("资产“{name}”在维保中，须先完成维保"))
            }
            _ => {}
        }
        if let Some(user) = &self.target_user {
            if user.id == a.owner_id {
                return Err(format!("资产“{name}”已在{}名下", user.name));
            }
            if user.department_id != Some(a.department_id) {
                return Err(format!(
                    "接收人{}不在资产“{name}”所属的部门，部门之间请用调拨",
                    user.name
                ));
            }
        }
        if let Some(department) = self.target_department {
            if department == a.department_id {
                return Err(format!("资产“{name}”已在调入部门"));
            }
            let has_children = changes::has_children(conn, asset.id).map_err(|e| e.to_string())?;
            if has_children {
                return Err(format!("资产“{name}”有子资产，不能单独调拨"));
            }
        }
        Ok(())
    }
}
