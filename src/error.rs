//! Errors. The domain and database layers return `Error`, which keeps the source of an
//! internal failure and knows nothing of HTTP; the API answers with `ApiError`, which maps an
//! `Error` to `{code, info}` and an HTTP status by the single `match` in `answer`.

use rocket::http::{ContentType, Status};
use rocket::response::{self, Responder, Response};
use rocket::Request;
use std::io::Cursor;

/// The domain's result; `E` may be named for the odd function with another error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A handler's result: a domain error (through `?`) answered as the API's envelope.
pub type ApiResult<T> = std::result::Result<T, ApiError>;

/// The cause behind an internal error.
pub type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug)]
pub enum Error {
    /// The session segment is not 32 ASCII letters/digits.
    MalformedSession,
    /// No live session with that token (unknown, logged out or expired).
    NoSession,
    /// The caller's role may not use this endpoint (or the resource is not theirs to touch).
    Forbidden,
    /// The caller is locked.
    Locked,
    /// The body is not JSON of the expected shape; the text names the field or the problem.
    BadBody(String),
    /// The body is larger than the configured limit.
    TooLarge,
    /// Wrong login name/email or password.
    LoginFailed,
    /// Too many failed logins for one identity in a short time.
    LoginThrottled(u64),
    /// More logins at once than the password checks can queue; retry shortly.
    LoginsBusy,
    /// A page number past the last page.
    PageOutOfRange,
    /// A name that must be unique is taken; the text says which.
    Duplicate(String),
    /// A resource that does not exist in the caller's entity; the text names it.
    NotFound(&'static str),
    /// A business rule forbids the change; the text says which.
    Rule(String),
    /// A single asset (post_asset) broke the row rules; the text lists them.
    RowRejected(String),
    /// No such task in the caller's entity.
    TaskNotFound,
    /// The failed-rows API was used on an export task (GET or PUT wording).
    NotAnImportTask { rerun: bool },
    /// A re-run body whose length differs from the failed rows'.
    RerunLengthMismatch,
    /// A re-run while the task still runs.
    TaskRunning,
    /// The export-records API was used on an import task.
    NotAnExportTask,
    /// A cancel of a task that has already finished.
    TaskFinished,
    /// The super admin has no password yet: only the first-start page and its endpoints answer.
    SetupPending,
    /// The first start was already completed.
    SetupDone,
    /// The first start asked from another machine (or a page not opened as localhost).
    SetupNotLocal,
    /// The task's stored rows, records and failed rows were deleted (retention, or on request).
    TaskPruned,
    /// A confirm of a task that is not a finished, unconfirmed dry run; the text says why.
    NotConfirmable(&'static str),
    /// An undo of a task that cannot be undone (again); the text says why.
    NotUndoable(&'static str),
    /// An upload asked to be checked (`check_duplicate`) would create assets and has the content
    /// of a file imported in the last day by the task `task` at `time`.
    SameFile { task: i64, time: String },
    /// A user who holds `count` assets leaves their department (an edit, or a deletion when
    /// `deleting`) without saying where the assets go.
    AssetsNeedChoice { count: i64, deleting: bool },
    /// The caller already has a pending request (`request`) on this asset.
    RequestPending { asset: String, request: i64 },
    /// An approve, reject or withdraw of a request no longer pending; the text is its state.
    RequestNotPending(&'static str),
    /// No route for this path and method.
    UnknownPath,
    /// The server is at a bound it keeps for everyone's sake (connections, password checks,
    /// downloads, the write lock); the text says which. The client may retry.
    Busy(&'static str),
    /// The disk (or the database's size cap) is full; nothing was changed.
    DiskFull,
    /// Anything else: logged with its context and source, never shown.
    Internal {
        context: String,
        source: Option<Source>,
    },
}

/// The HTTP status, code and message a client sees for `error`: the one place they are decided.
pub fn answer(error: &Error) -> (Status, i64, String) {
    use Error::*;
    let (status, code, info): (Status, i64, String) = match error {
        MalformedSession => (Status::Unauthorized, 2, "用户的会话标识符信息不正确".into()),
        NoSession => (Status::Unauthorized, 1, "你无此权限".into()),
        Forbidden => (Status::Forbidden, 1, "你无此权限".into()),
        Locked => (Status::Forbidden, 4, "你已被锁定，无法进行该操作".into()),
        BadBody(what) => (Status::BadRequest, -2, what.clone()),
        TooLarge => (Status::PayloadTooLarge, -2, "请求体超过大小限制".into()),
        LoginFailed => (Status::BadRequest, 2, "用户名或密码错误".into()),
        LoginThrottled(secs) => (
            Status::TooManyRequests,
            3,
            format!("登录失败次数过多，请{secs}秒后再试"),
        ),
        LoginsBusy => (
            Status::TooManyRequests,
            10,
            "同时登录的请求过多，请稍后再试".into(),
        ),
        PageOutOfRange => (Status::BadRequest, 4, "请求的页码超出范围".into()),
        Duplicate(what) => (Status::BadRequest, 5, what.clone()),
        NotFound(what) => (Status::NotFound, 7, format!("{what}不存在")),
        Rule(what) => (Status::BadRequest, 20, what.clone()),
        RowRejected(message) => (Status::BadRequest, 2, message.clone()),
        TaskNotFound => (Status::NotFound, 6, "对应id的异步任务不存在".into()),
        NotAnImportTask { rerun: false } => (
            Status::BadRequest,
            8,
            "不能通过此API获取导出的异步任务".into(),
        ),
        NotAnImportTask { rerun: true } => (
            Status::BadRequest,
            8,
            "不能通过此API重新评测某导出任务".into(),
        ),
        RerunLengthMismatch => (
            Status::BadRequest,
            8,
            "新传入的POST资产信息一定要与之前的失败信息长度相同".into(),
        ),
        TaskRunning => (
            Status::BadRequest,
            9,
            "该异步任务正在执行，请稍后再试".into(),
        ),
        NotAnExportTask => (
            Status::BadRequest,
            4,
            "该API只可用于查看导出异步任务的成功记录".into(),
        ),
        TaskFinished => (Status::BadRequest, 12, "该异步任务已结束，无法取消".into()),
        SetupPending => (
            Status::ServiceUnavailable,
            17,
            "尚未完成首次设置：请在运行 assetport 的电脑上用浏览器打开本页设置超级管理员密码，或在该电脑上运行 assetport reset-password admin".into(),
        ),
        SetupDone => (Status::Conflict, 18, "首次设置已完成".into()),
        SetupNotLocal => (
            Status::Forbidden,
            19,
            "首次设置只能在运行 assetport 的电脑上进行（用 localhost 或 127.0.0.1 打开本页）".into(),
        ),
        TaskPruned => (
            Status::Gone,
            13,
            "该异步任务的数据已清除（超过保留期限或已被删除）".into(),
        ),
        NotConfirmable(why) => (Status::BadRequest, 14, (*why).into()),
        NotUndoable(why) => (Status::BadRequest, 15, (*why).into()),
        SameFile { task, time } => (
            Status::Conflict,
            16,
            format!("同样内容的文件已于{time}导入（任务 #{task}），再次导入会重复创建资产"),
        ),
        AssetsNeedChoice { count, deleting: false } => (
            Status::BadRequest,
            30,
            format!("该用户名下有{count}项资产，请选择这些资产的去向：随用户转入新部门，或留在原部门交给该部门的资产管理员"),
        ),
        AssetsNeedChoice { count, deleting: true } => (
            Status::BadRequest,
            30,
            format!("该用户名下有{count}项资产，删除前须将这些资产交给原部门的资产管理员"),
        ),
        RequestPending { asset, request } => (
            Status::Conflict,
            31,
            format!("您对资产“{asset}”已有待审批的申请（申请 #{request}），请勿重复申请"),
        ),
        RequestNotPending(state) => (
            Status::Conflict,
            32,
            format!("该申请{state}，不能再审批或撤回"),
        ),
        UnknownPath => (Status::NotFound, -3, "请求的接口不存在".into()),
        Busy(what) => (Status::ServiceUnavailable, 10, (*what).into()),
        DiskFull => (
            Status::InsufficientStorage,
            11,
            "磁盘空间不足，请释放空间后重试".into(),
        ),
        Internal { .. } => (Status::InternalServerError, -1, "服务器内部错误".into()),
    };
    (status, code, info)
}

impl Error {
    /// An internal error with no source beyond its context.
    pub fn internal(context: impl Into<String>) -> Error {
        Error::Internal {
            context: context.into(),
            source: None,
        }
    }

    /// An internal error caused by `source`, which is kept (and logged), never shown.
    pub fn caused(context: impl Into<String>, source: impl Into<Source>) -> Error {
        Error::Internal {
            context: context.into(),
            source: Some(source.into()),
        }
    }

    /// The code a client sees for it.
    pub fn code(&self) -> i64 {
        answer(self).1
    }

    /// What to write in the log: the context and the chain of sources of an internal error
    /// (never sent to a client), else the code and message a client saw.
    pub fn cause(&self) -> String {
        match self {
            Error::Internal { context, source } => {
                let mut text = context.clone();
                let mut next = source
                    .as_deref()
                    .map(|s| s as &(dyn std::error::Error + 'static));
                while let Some(source) = next {
                    text.push_str(&format!(": {source}"));
                    next = source.source();
                }
                text
            }
            other => other.to_string(),
        }
    }

    pub fn missing_field(field: &str) -> Error {
        Error::BadBody(crate::rows::missing_field_message(field, None))
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (_, code, info) = answer(self);
        write!(f, "{code} {info}")
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Internal {
                source: Some(source),
                ..
            } => Some(source.as_ref()),
            _ => None,
        }
    }
}

/// A copy answers the same; an internal error's source, which cannot be copied, is kept as text
/// in its context (the session check hands one error to both the guard and the body reader).
impl Clone for Error {
    fn clone(&self) -> Error {
        use Error::*;
        match self {
            Internal { .. } => Error::internal(self.cause()),
            MalformedSession => MalformedSession,
            NoSession => NoSession,
            Forbidden => Forbidden,
            Locked => Locked,
            BadBody(what) => BadBody(what.clone()),
            TooLarge => TooLarge,
            LoginFailed => LoginFailed,
            LoginThrottled(secs) => LoginThrottled(*secs),
            LoginsBusy => LoginsBusy,
            PageOutOfRange => PageOutOfRange,
            Duplicate(what) => Duplicate(what.clone()),
            NotFound(what) => NotFound(what),
            Rule(what) => Rule(what.clone()),
            RowRejected(message) => RowRejected(message.clone()),
            TaskNotFound => TaskNotFound,
            NotAnImportTask { rerun } => NotAnImportTask { rerun: *rerun },
            RerunLengthMismatch => RerunLengthMismatch,
            TaskRunning => TaskRunning,
            NotAnExportTask => NotAnExportTask,
            TaskFinished => TaskFinished,
            SetupPending => SetupPending,
            SetupDone => SetupDone,
            SetupNotLocal => SetupNotLocal,
            TaskPruned => TaskPruned,
            RequestPending { asset, request } => RequestPending {
                asset: asset.clone(),
                request: *request,
            },
            RequestNotPending(state) => RequestNotPending(state),
            NotConfirmable(why) => NotConfirmable(why),
            NotUndoable(why) => NotUndoable(why),
            SameFile { task, time } => SameFile {
                task: *task,
                time: time.clone(),
            },
            AssetsNeedChoice { count, deleting } => AssetsNeedChoice {
                count: *count,
                deleting: *deleting,
            },
            UnknownPath => UnknownPath,
            Busy(what) => Busy(what),
            DiskFull => DiskFull,
        }
    }
}

/// Two errors are the same when a client would see the same answer (and, internal ones, the
/// same context): what tests compare.
impl PartialEq for Error {
    fn eq(&self, other: &Error) -> bool {
        match (self, other) {
            (Error::Internal { context: a, .. }, Error::Internal { context: b, .. }) => a == b,
            _ => answer(self) == answer(other),
        }
    }
}

/// The message of `Busy` when the database's write lock or a connection could not be had in time.
pub const DATABASE_BUSY: &str = "服务器繁忙，请稍后再试";

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match e.sqlite_error_code() {
            // Waited the whole busy timeout for the write lock: a clear answer, never a 500.
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                log::warn!("database busy: {e}");
                Error::Busy(DATABASE_BUSY)
            }
            Some(ErrorCode::DiskFull) => {
                log::error!("database: {e}");
                Error::DiskFull
            }
            _ => Error::caused("database", e),
        }
    }
}

impl From<r2d2::Error> for Error {
    fn from(e: r2d2::Error) -> Self {
        // r2d2's only error is a timeout waiting for a pooled connection: every connection busy.
        log::warn!("connection pool: {e}");
        Error::Busy(DATABASE_BUSY)
    }
}

/// The envelope body for a failure.
pub fn envelope(code: i64, info: &str) -> String {
    serde_json::json!({ "code": code, "info": info }).to_string()
}

/// A domain error as the API answers it.
#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        ApiError(e.into())
    }
}

impl<'r> Responder<'r, 'static> for ApiError {
    fn respond_to(self, _: &'r Request<'_>) -> response::Result<'static> {
        if let Error::Internal { .. } = &self.0 {
            log::error!("internal error: {}", self.0.cause());
        }
        let (status, code, info) = answer(&self.0);
        let body = envelope(code, &info);
        Response::build()
            .status(status)
            .header(ContentType::JSON)
            .sized_body(body.len(), Cursor::new(body))
            .ok()
    }
}
