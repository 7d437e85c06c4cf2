//! What the browser tests stand on: the real server on a free port, chromedriver driving a
//! headless Chromium with a fresh profile, and small helpers to wait for what a user would see.
//! A test is a `Scenario` (server, browser, perhaps a login) and steps on it: `goto`, `click`,
//! `type_into`, and `wait` until a condition (`has`, `count`, `badge`, `text_has`, `and`, …)
//! holds.

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const DEMO_PASSWORD: &str = "demo123";
pub const ADMIN_PASSWORD: &str = "admin-pass";
const WAIT: Duration = Duration::from_secs(30);

fn on_path(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Chromium and chromedriver, or `None` (with the SKIPPED line) when they are missing outside
/// CI. In CI a missing browser is a failure: the suite must not pass by running nothing.
pub fn browser_tools() -> Option<(PathBuf, PathBuf)> {
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .filter(|p| p.is_file())
        .or_else(|| on_path("chromium"))
        .or_else(|| on_path("chromium-browser"))
        .or_else(|| on_path("google-chrome"));
    let driver = std::env::var_os("CHROMEDRIVER")
        .map(PathBuf::from)
        .filter(|p| p.is_file())
        .or_else(|| on_path("chromedriver"));
    match (chromium, driver) {
        (Some(c), Some(d)) => Some((c, d)),
        _ if std::env::var_os("CI").is_some() => panic!(
            "browser tests need chromium and chromedriver (apt-get install chromium chromium-driver); \
             CI is set, so a missing browser fails the suite instead of skipping it"
        ),
        _ => {
            // Straight to stderr, past the test harness's capture, so the skip is seen.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: browser tests need chromium and chromedriver (apt-get install chromium chromium-driver)"
            );
            None
        }
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn wait_for_port(port: u16, what: &str) {
    let start = Instant::now();
    while rocket::tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            start.elapsed() < WAIT,
            "{what} did not start listening on {port}"
        );
        rocket::tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The real server (demo company on), on a free port, in this test's runtime.
pub struct Server {
    pub base: String,
    shutdown: rocket::Shutdown,
    handle: rocket::tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl Server {
    pub async fn start() -> Server {
        Self::start_with(true, ADMIN_PASSWORD).await
    }

    /// With `demo` or not, and the super admin's password (empty: set on the first-start page).
    pub async fn start_with(demo: bool, admin_password: &str) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let figment = assetport::figment()
            .merge(("database", dir.path().join("db.sqlite3")))
            .merge(("demo", demo))
            .merge(("admin_password", admin_password))
            .merge(("open_browser", false))
            .merge(("address", "127.0.0.1"))
            .merge(("port", port))
            // Small batches so a task of a few thousand rows shows its progress moving.
            .merge(("task_batch_rows", 50))
            .merge(("log_level", "off"))
            .merge(("shutdown.ctrlc", false))
            .merge(("shutdown.grace", 1))
            .merge(("shutdown.mercy", 1));
        let (figment, front) = assetport::bind_front(figment).expect("listen");
        let rocket = assetport::build(figment)
            .expect("build")
            .ignite()
            .await
            .expect("ignite");
        let shutdown = rocket.shutdown();
        let handle = rocket::tokio::spawn(async move {
            let _ = assetport::launch(rocket, Some(front)).await;
        });
        wait_for_port(port, "assetport").await;
        Server {
            base: format!("http://127.0.0.1:{port}"),
            shutdown,
            handle,
            _dir: dir,
        }
    }

    pub async fn stop(self) {
        self.shutdown.notify();
        let _ = rocket::tokio::time::timeout(Duration::from_secs(10), self.handle).await;
    }
}

/// One browser test: the real server, a browser on it, and (after `as_user`) a login. It derefs
/// to its `Browser`, so a test's steps read `s.goto(…)`, `s.click(…)`, `s.wait(…)`.
pub struct Scenario {
    browser: Browser,
    server: Server,
}

impl Scenario {
    /// A fresh server and browser; `None` where the browser tests are skipped.
    pub async fn start() -> Option<Scenario> {
        let tools = browser_tools()?;
        let server = Server::start().await;
        let browser = Browser::open(&tools, &server.base).await;
        Some(Scenario { browser, server })
    }

    /// A server on a fresh database as a double-click makes it: no demo company, no super
    /// admin password (the first-start page asks for it).
    pub async fn first_start() -> Option<Scenario> {
        let tools = browser_tools()?;
        let server = Server::start_with(false, "").await;
        let browser = Browser::open(&tools, &server.base).await;
        Some(Scenario { browser, server })
    }

    /// A fresh server and browser, logged in as the demo account `name`.
    pub async fn as_user(name: &str) -> Option<Scenario> {
        let scenario = Scenario::start().await?;
        scenario.login_as(name).await;
        Some(scenario)
    }

    pub async fn end(self) {
        self.browser.close().await;
        self.server.stop().await;
    }
}

impl std::ops::Deref for Scenario {
    type Target = Browser;
    fn deref(&self) -> &Browser {
        &self.browser
    }
}

/// A condition on the page (a JavaScript expression) for `Browser::wait`.
#[derive(Debug, Clone)]
pub struct Cond(String);

/// A JavaScript string literal.
fn lit(text: &str) -> String {
    Value::from(text).to_string()
}

/// Any JavaScript expression.
pub fn expr(js: &str) -> Cond {
    Cond(format!("({js})"))
}

pub fn not(cond: Cond) -> Cond {
    Cond(format!("!({})", cond.0))
}

pub fn and(a: Cond, b: Cond) -> Cond {
    Cond(format!("({} && {})", a.0, b.0))
}

/// Every one of `conds` at once.
pub fn all<const N: usize>(conds: [Cond; N]) -> Cond {
    let all: Vec<String> = conds.into_iter().map(|c| c.0).collect();
    Cond(format!("({})", all.join(" && ")))
}

pub fn or(a: Cond, b: Cond) -> Cond {
    Cond(format!("({} || {})", a.0, b.0))
}

/// An element matches `css`.
pub fn has(css: &str) -> Cond {
    Cond(format!("!!document.querySelector({})", lit(css)))
}

/// An element matches `css` and is not hidden.
pub fn shown(css: &str) -> Cond {
    Cond(format!(
        "((e) => !!e && !e.hidden)(document.querySelector({}))",
        lit(css)
    ))
}

/// Exactly `n` elements match `css`.
pub fn count(css: &str, n: usize) -> Cond {
    Cond(format!(
        "(document.querySelectorAll({}).length === {n})",
        lit(css)
    ))
}

/// The first element matching `css` has exactly this text.
pub fn text_is(css: &str, text: &str) -> Cond {
    Cond(format!(
        "(document.querySelector({})?.textContent === {})",
        lit(css),
        lit(text)
    ))
}

/// The first element matching `css` contains this text.
pub fn text_has(css: &str, text: &str) -> Cond {
    Cond(format!(
        "!!document.querySelector({})?.textContent.includes({})",
        lit(css),
        lit(text)
    ))
}

/// The status badge within `scope` (a task's row, the task page's `.task-head`) says `text`.
pub fn badge(scope: &str, text: &str) -> Cond {
    text_is(&format!("{scope} .badge"), text)
}

/// Some element matching `css` contains this text.
pub fn any_has(css: &str, text: &str) -> Cond {
    Cond(format!(
        "[...document.querySelectorAll({})].some((e) => e.textContent.includes({}))",
        lit(css),
        lit(text)
    ))
}

/// Exactly `n` elements matching `css` contain this text.
pub fn count_having(css: &str, text: &str, n: usize) -> Cond {
    Cond(format!(
        "([...document.querySelectorAll({})].filter((e) => e.textContent.includes({})).length === {n})",
        lit(css),
        lit(text)
    ))
}

/// Some element matching `css` (an <option>) has this value.
pub fn any_value(css: &str, value: &str) -> Cond {
    Cond(format!(
        "[...document.querySelectorAll({})].some((e) => e.value === {})",
        lit(css),
        lit(value)
    ))
}

/// The first element matching `css` (an input) has this value.
pub fn value_is(css: &str, value: &str) -> Cond {
    Cond(format!(
        "(document.querySelector({})?.value === {})",
        lit(css),
        lit(value)
    ))
}

/// chromedriver on a free port, killed when dropped.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A headless Chromium session with its own profile and download folder.
pub struct Browser {
    pub client: Client,
    pub base: String,
    pub downloads: tempfile::TempDir,
    _profile: tempfile::TempDir,
    _driver: Driver,
}

pub fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

impl Browser {
    pub async fn open(tools: &(PathBuf, PathBuf), base: &str) -> Browser {
        let (chromium, chromedriver) = tools;
        let port = free_port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let driver = Driver(child);
        wait_for_port(port, "chromedriver").await;
        let profile = tempfile::tempdir().expect("profile dir");
        let downloads = tempfile::tempdir().expect("download dir");
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1440,900",
                    "--lang=zh-CN",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                "prefs": {
                    "download.default_directory": downloads.path(),
                    "download.prompt_for_download": false,
                    "safebrowsing.enabled": false,
                },
            },
        });
        let caps = match caps {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("connect to chromedriver");
        Browser {
            client,
            base: base.to_owned(),
            downloads,
            _profile: profile,
            _driver: driver,
        }
    }

    /// POSTs the JSON text `body` to `/api/{what}/{the page's session}` from the page, as a
    /// script would, and returns the answer.
    pub async fn post_api(&self, what: &str, body: &str) -> Value {
        self.js_async(
            "const done = arguments[arguments.length - 1]; \
             fetch('/api/' + arguments[0] + '/' + localStorage.getItem('assetport.session'), \
               {method: 'POST', headers: {'Content-Type': 'application/json'}, body: arguments[1]}) \
             .then(r => r.json()).then(done);",
            vec![json!(what), json!(body)],
        )
        .await
    }

    /// Chooses `value` in the <select> at `css`, as a user would (its change event fires).
    pub async fn choose(&self, css: &str, value: &str) {
        self.js(
            "const s = document.querySelector(arguments[0]); s.value = arguments[1]; \
             s.dispatchEvent(new Event('change'));",
            vec![json!(css), json!(value)],
        )
        .await;
    }

    /// Sets the browser window to `width` × `height` CSS pixels (a phone, a laptop).
    pub async fn resize(&self, width: u32, height: u32) {
        self.client
            .set_window_size(width, height)
            .await
            .expect("resize the window");
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }

    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .expect("navigate");
    }

    /// Runs `script` (a function body; `arguments` as usual) and returns its value.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Runs an async `script` whose last argument is the callback.
    pub async fn js_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute_async(script, args)
            .await
            .unwrap_or_else(|e| panic!("async script failed: {e}\n{script}"))
    }

    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(screenshot_dir().join(format!("{name}.png")), png)
            .expect("write screenshot");
    }

    /// Polls `condition` (a JS expression) until it is true; on timeout saves a screenshot and
    /// fails with `what`.
    pub async fn wait_until(&self, what: &str, condition: &str) {
        let script = format!("return !!({condition});");
        let start = Instant::now();
        loop {
            if self.js(&script, vec![]).await == Value::Bool(true) {
                return;
            }
            if start.elapsed() > WAIT {
                let name: String = what.chars().take(80).collect();
                let shot = format!(
                    "failed-{}",
                    name.replace(|c: char| !c.is_alphanumeric(), "-")
                );
                self.screenshot(&shot).await;
                let body = self
                    .js("return document.body.innerText.slice(0, 2000);", vec![])
                    .await;
                panic!("timed out waiting for: {what} ({condition}); see target/screenshots/{shot}.png\npage text: {body}");
            }
            rocket::tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until `cond` holds (on a timeout the failure names the condition).
    pub async fn wait(&self, cond: Cond) {
        self.wait_until(&cond.0, &cond.0).await;
    }

    /// The value of a JavaScript expression.
    pub async fn eval(&self, expr: &str) -> Value {
        self.js(&format!("return ({expr});"), vec![]).await
    }

    /// Whether an element matches `css` now.
    pub async fn exists(&self, css: &str) -> bool {
        self.js(
            "return !!document.querySelector(arguments[0]);",
            vec![json!(css)],
        )
        .await
            == Value::Bool(true)
    }

    /// The text of every element matching `css`.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let texts = self
            .js(
                "return [...document.querySelectorAll(arguments[0])].map((e) => e.textContent);",
                vec![json!(css)],
            )
            .await;
        serde_json::from_value(texts).expect("texts")
    }

    /// An attribute of the first element matching `css`.
    pub async fn attr(&self, css: &str, name: &str) -> String {
        let v = self
            .js(
                "return document.querySelector(arguments[0])?.getAttribute(arguments[1]);",
                vec![json!(css), json!(name)],
            )
            .await;
        v.as_str()
            .unwrap_or_else(|| panic!("no {name} on {css}"))
            .to_owned()
    }

    /// Pastes `text` into the input or textarea at `css`: the whole text arrives at once.
    pub async fn paste(&self, css: &str, text: &str) {
        self.js(
            "const t = document.querySelector(arguments[0]); t.value = arguments[1]; \
             t.dispatchEvent(new Event('input'));",
            vec![json!(css), json!(text)],
        )
        .await;
    }

    /// Sets the value of the input or <select> at `css`, with no event (a script's doing, or a
    /// choice the page reads only when the form is sent).
    pub async fn set_value(&self, css: &str, value: &str) {
        self.js(
            "document.querySelector(arguments[0]).value = arguments[1];",
            vec![json!(css), json!(value)],
        )
        .await;
    }

    pub async fn click(&self, css: &str) {
        self.wait_until(&format!("{css} clickable"), &format!("(() => {{ const e = document.querySelector({css:?}); return e && !e.disabled && e.offsetParent !== null; }})()")).await;
        // Into the middle of the screen first, as a user scrolls to it: the top bar stays over
        // the page's top edge (sticky), where the driver's own scrolling would leave it.
        self.js(
            "const e = document.querySelector(arguments[0]); \
             if (e) e.scrollIntoView({block: 'center', inline: 'nearest'});",
            vec![json!(css)],
        )
        .await;
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find {css}: {e}"))
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Clears an input and types `text` into it, as a user would.
    pub async fn type_into(&self, css: &str, text: &str) {
        self.wait_until(
            &format!("{css} present"),
            &format!("document.querySelector({css:?})"),
        )
        .await;
        // A dialog drawn again between the find and the typing (its data arrived) leaves a
        // stale element behind: find the field again, as a user would look again.
        let mut tries = 0;
        loop {
            tries += 1;
            let el = self
                .client
                .find(Locator::Css(css))
                .await
                .unwrap_or_else(|e| panic!("find {css}: {e}"));
            let typed = match el.clear().await {
                Ok(()) => el.send_keys(text).await,
                Err(e) => Err(e),
            };
            match typed {
                Ok(()) => return,
                Err(e) if tries < 3 && e.to_string().contains("stale element") => {
                    rocket::tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => panic!("type into {css}: {e}"),
            }
        }
    }

    pub async fn text(&self, css: &str) -> String {
        let v = self
            .js(
                "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
                vec![json!(css)],
            )
            .await;
        v.as_str()
            .unwrap_or_else(|| panic!("no element {css}"))
            .to_owned()
    }

    /// Types a name and password into the login form and sends it.
    pub async fn fill_login(&self, name: &str, password: &str) {
        self.type_into("#login-identity", name).await;
        self.type_into("#login-password", password).await;
        self.click("#login-submit").await;
    }

    /// Logs in through the form and waits for the app.
    pub async fn login(&self, name: &str, password: &str) {
        self.goto("/").await;
        self.fill_login(name, password).await;
        self.wait_until("app shown", "!document.getElementById('app-screen').hidden && document.getElementById('who-name').textContent.length > 0").await;
    }

    /// Logs in a demo account (`admin` with its own password).
    pub async fn login_as(&self, name: &str) {
        let password = if name == "admin" {
            ADMIN_PASSWORD
        } else {
            DEMO_PASSWORD
        };
        self.login(name, password).await;
    }

    /// Clicks a download link and returns the file that arrives: (name, bytes).
    pub async fn download(&self, css: &str) -> (String, Vec<u8>) {
        let dir = self.downloads.path();
        for e in std::fs::read_dir(dir).expect("download dir").flatten() {
            let _ = std::fs::remove_file(e.path());
        }
        self.click(css).await;
        let start = Instant::now();
        loop {
            let done: Vec<_> = std::fs::read_dir(dir)
                .expect("download dir")
                .flatten()
                .map(|e| e.path())
                // Chromium writes a download under a temporary name first: a hidden
                // `.org.chromium.Chromium.*` file or one ending in `.crdownload`.
                .filter(|p| {
                    let name = p.file_name().unwrap_or_default().to_string_lossy();
                    !name.starts_with('.')
                        && !name.ends_with(".crdownload")
                        && !name.ends_with(".tmp")
                })
                .collect();
            if let [file] = done.as_slice() {
                if let Ok(bytes) = std::fs::read(file) {
                    if !bytes.is_empty() {
                        let name = file.file_name().unwrap_or_default().to_string_lossy();
                        return (name.into_owned(), bytes);
                    }
                }
            }
            assert!(
                start.elapsed() < WAIT,
                "clicking {css} downloaded nothing into {}",
                dir.display()
            );
            rocket::tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Browser {
    /// Fails, naming what sticks out, when any shown element of the page reaches past the
    /// viewport's width (a phone must never scroll sideways). An element inside a box that
    /// scrolls or clips sideways itself (the failed-rows editor, the nav bar) is that box's
    /// business: the box is measured instead.
    pub async fn assert_fits_viewport(&self, screen: &str) {
        let found = self
            .js(
                "const width = document.documentElement.clientWidth; \
                 const contained = (e) => { \
                   for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) { \
                     if (getComputedStyle(p).overflowX !== 'visible') return true; } \
                   return false; }; \
                 const out = [...document.querySelectorAll('body *')].filter((e) => { \
                   const r = e.getBoundingClientRect(); \
                   return r.width > 0 && r.height > 0 && r.right > width + 1 \
                     && getComputedStyle(e).visibility !== 'hidden' && !contained(e); }); \
                 return { width, scroll: document.documentElement.scrollWidth, \
                   out: out.slice(0, 5).map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className} \
                     right=${Math.round(e.getBoundingClientRect().right)} \
                     \"${(e.textContent || '').trim().slice(0, 30)}\"`) };",
                vec![],
            )
            .await;
        let width = found["width"].as_i64().unwrap_or_default();
        let scroll = found["scroll"].as_i64().unwrap_or_default();
        let out = found["out"].as_array().cloned().unwrap_or_default();
        assert!(
            out.is_empty() && scroll <= width + 1,
            "{screen}: wider than the viewport ({width} px; the page scrolls to {scroll} px): {out:#?}"
        );
    }
}
