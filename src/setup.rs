//! The first start in the browser. A database created without `admin_password` has a super
//! admin without a password; until one is set every endpoint but the first-start page's answers
//! code 17 (`SetupPending`). The page asks for the password (twice) and offers the demo
//! company; it is served to this machine only — a client on loopback that named the server as
//! loopback (`localhost`, `127.0.0.1`, `[::1]`), so neither another machine nor a web page
//! rebinding its own name to 127.0.0.1 can take the register. On a server without a browser,
//! `assetport reset-password admin` on the machine does the same.

use crate::bootstrap;
use crate::db::{users, Conn, Db};
use crate::error::{Error, Result};
use crate::journal::{self, Kind};
use crate::org::check_password_strength;
use rocket::fairing::{Fairing, Info, Kind as FairingKind};
use rocket::http::Method;
use rocket::{Data, Request};
use serde_json::json;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Whether the first start is still to be completed (managed state). Once it is, it stays so.
#[derive(Clone, Default)]
pub struct Setup {
    pending: Arc<AtomicBool>,
}

/// The path every blocked request is sent to; it answers code 17.
pub const BLOCKED: &str = "/api/setup/required";

impl Setup {
    pub fn new(pending: bool) -> Setup {
        Setup {
            pending: Arc::new(AtomicBool::new(pending)),
        }
    }

    /// Whether the first start is still to be completed. While it is, the database is asked
    /// again (the super admin's password may have been set on the command line meanwhile).
    pub async fn pending(&self, db: &Db) -> bool {
        if !self.pending.load(Ordering::Acquire) {
            return false;
        }
        let still = db
            .run(|conn| Ok(users::super_admin_unset(conn)?))
            .await
            .unwrap_or(true);
        if !still {
            self.pending.store(false, Ordering::Release);
        }
        still
    }

    /// Whether the first start was pending when last looked at (no database read).
    pub fn flagged(&self) -> bool {
        self.pending.load(Ordering::Acquire)
    }

    fn done(&self) {
        self.pending.store(false, Ordering::Release);
    }
}

/// Whether a request may be answered while the first start is pending: the page and its files,
/// the first-start endpoints and `GET /api/about`.
fn open_while_pending(method: Method, path: &str) -> bool {
    let page = method == Method::Get && (path == "/" || path.starts_with("/static/"));
    let about = method == Method::Get && path == "/api/about";
    page || about || path == "/api/setup"
}

/// Sends every other request to `BLOCKED` while the first start is pending.
pub struct Gate;

/// The method and path a request the gate turned away was sent with (request-local), for the
/// request log.
pub struct Asked(pub Option<(Method, String)>);

#[rocket::async_trait]
impl Fairing for Gate {
    fn info(&self) -> Info {
        Info {
            name: "first-start gate",
            kind: FairingKind::Request,
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        if open_while_pending(req.method(), req.uri().path().as_str()) {
            return;
        }
        let (Some(setup), Some(db)) = (req.rocket().state::<Setup>(), req.rocket().state::<Db>())
        else {
            return;
        };
        if setup.pending(db).await {
            let asked = (req.method(), req.uri().path().to_string());
            req.local_cache(|| Asked(Some(asked)));
            req.set_method(Method::Get);
            if let Ok(uri) = rocket::http::uri::Origin::parse(BLOCKED) {
                req.set_uri(uri);
            }
        }
    }
}

/// Whether the request comes from this machine and names it as such: the client's address is
/// loopback, and so is the host the page was opened at.
pub fn local(address: Option<IpAddr>, host: Option<&str>) -> bool {
    let loopback_address = address.is_some_and(|a| a.to_canonical().is_loopback());
    let host = host.map(|h| h.to_ascii_lowercase());
    let loopback_host = match host.as_deref() {
        Some("localhost") => true,
        Some(h) => h
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    };
    loopback_address && loopback_host
}

/// What the first-start form sends.
#[derive(serde::Deserialize)]
pub struct SetupForm {
    pub password: String,
    pub password_again: String,
    #[serde(default)]
    pub demo: bool,
}

/// Sets the super admin's first password and, when asked, creates the demo company, in one
/// transaction; journalled as the super admin's act from `address`. Returns whether the demo
/// was created.
pub fn complete(conn: &mut Conn, setup: &Setup, form: &SetupForm, address: &str) -> Result<bool> {
    check_password_strength(&form.password)?;
    if form.password != form.password_again {
        return Err(Error::BadBody(
            "两次输入的密码不一致：[password_again]".into(),
        ));
    }
    let hash = crate::auth::hash_password(&form.password)?;
    let tx = crate::db::write_tx(conn)?;
    let admin = users::set_unset_super_admin_password(&tx, &hash)?.ok_or(Error::SetupDone)?;
    let demo = form.demo && bootstrap::insert_demo(&tx)?;
    if let Some(admin) = users::user_by_id(&tx, admin)? {
        let detail = json!({"demo": demo});
        journal::record_by(&tx, &admin, Kind::SetupDone, Some(address), detail)?;
    }
    tx.commit()?;
    setup.done();
    Ok(demo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machine_named_as_itself_is_local() {
        let lo: Option<IpAddr> = "127.0.0.1".parse().ok();
        let lo6: Option<IpAddr> = "::1".parse().ok();
        let lan: Option<IpAddr> = "192.168.1.20".parse().ok();
        assert!(local(lo, Some("localhost")));
        assert!(local(lo, Some("127.0.0.1")));
        assert!(local(lo6, Some("[::1]")));
        assert!(local("::ffff:127.0.0.1".parse().ok(), Some("LOCALHOST")));
        // Another machine, whatever it calls the server.
        assert!(!local(lan, Some("localhost")));
        assert!(!local(None, Some("localhost")));
        // A page that made its own name point at 127.0.0.1 (DNS rebinding), or a proxy on this
        // machine passing the public name on.
        assert!(!local(lo, Some("evil.example")));
        assert!(!local(lo, Some("assets.example.com")));
        assert!(!local(lo, None));
    }

    #[test]
    fn while_pending_only_the_page_and_its_endpoints_answer() {
        assert!(open_while_pending(Method::Get, "/"));
        assert!(open_while_pending(Method::Get, "/static/app.js"));
        assert!(open_while_pending(Method::Get, "/api/setup"));
        assert!(open_while_pending(Method::Post, "/api/setup"));
        assert!(open_while_pending(Method::Get, "/api/about"));
        assert!(!open_while_pending(Method::Post, "/api/login"));
        assert!(!open_while_pending(Method::Post, "/static/app.js"));
        assert!(!open_while_pending(Method::Get, "/api/setup/required/x"));
        assert!(!open_while_pending(Method::Get, "/async_task/x/1"));
    }
}
