#![allow(dead_code)] // shared by the desktop test binaries; each uses part of it
//! The desktop test harness: a demo backend in-process, the real app started through
//! tauri-driver (WebDriver) on the display, keyring and session bus that
//! `scripts/with-keyring.sh --desktop` set up, and helpers that wait with deadlines.

use std::collections::BTreeSet;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use jiff::SignedDuration;
use serde_json::{Value, json};
use std::sync::Arc;
use thirtyfour::prelude::*;
use tokio::sync::{Mutex, MutexGuard};
use trade_demo::{self as demo, DemoAccounts, DemoOptions};
use trade_server::Running;
use trade_server::clock::Clock;
use trade_server::payments::gateway::PaymentGateway;
use trade_test_api::Api;

/// How long a wait for something on screen may take by default.
pub const PATIENCE: Duration = Duration::from_secs(30);
/// The first sync of the demo account, from pressing "Sign in".
pub const FIRST_SYNC: Duration = Duration::from_secs(90);
/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(40);
/// The session bus name a running app holds (tauri-plugin-single-instance: the app's
/// identifier and `.SingleInstance`).
const SINGLE_INSTANCE_NAME: &str = "com.tradecenter.desktop.SingleInstance";

/// The process holding the app's single-instance name on the session bus, if any.
fn single_instance_owner() -> Option<u32> {
    let out = Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.GetConnectionUnixProcessID",
        ])
        .arg(format!("string:{SINGLE_INSTANCE_NAME}"))
        .stderr(Stdio::null())
        .output()
        .ok()?;
    // No owner: an error reply (NameHasNoOwner) and a failed exit.
    if !out.status.success() {
        return None;
    }
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .skip_while(|w| *w != "uint32")
        .nth(1)
        .and_then(|pid| pid.parse().ok())
}
/// How long the demo bot waits before it answers.
const BOT_DELAY: Duration = Duration::from_millis(300);
const WEBKIT_DRIVER: &str = "/usr/bin/WebKitWebDriver";
/// Marks every process of one app launch (tauri-driver, WebKitWebDriver, the app), so
/// that all of them can be found and stopped, whoever their parent is by then.
const MARKER: &str = "TRADE_E2E_DESKTOP_LAUNCH";

/// The app instances share one session bus (the keyring lives there) and the app is a
/// single-instance app: one test at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

// ---------------------------------------------------------------------------------------
// Waiting

/// Runs `check` until it returns `Ok`, every [`POLL`], for at most `patience`. An `Err`
/// means "not yet" and says what was seen instead; the last one is in the failure.
pub async fn until<T>(
    what: &str,
    patience: Duration,
    check: impl AsyncFnMut() -> anyhow::Result<T>,
) -> T {
    until_explained(what, patience, check, async || String::new()).await
}

/// [`until`], and on a timeout `explain` adds what else was on screen. Only then: a
/// check runs every [`POLL`] and costs the webview a round trip each time, so it stays
/// as small as what it decides.
pub async fn until_explained<T>(
    what: &str,
    patience: Duration,
    mut check: impl AsyncFnMut() -> anyhow::Result<T>,
    explain: impl AsyncFnOnce() -> String,
) -> T {
    let deadline = Instant::now() + patience;
    loop {
        let err = match check().await {
            Ok(found) => return found,
            Err(e) => e,
        };
        if Instant::now() >= deadline {
            let more = explain().await;
            panic!("timed out after {patience:?} waiting for {what}; last seen: {err:#}{more}");
        }
        tokio::time::sleep(POLL).await;
    }
}

// ---------------------------------------------------------------------------------------
// Environment

fn require_desktop() {
    match std::env::var("TRADE_DESKTOP").as_deref() {
        Ok("1") => {}
        _ => panic!(
            "TRADE_DESKTOP is not set. These tests drive the real app on a throwaway desktop \
             (Xvfb, a private session bus with an unlocked keyring and a notification server): \
             run them with `./dev test`, or after `cargo build --workspace --bins` as \
             `scripts/with-keyring.sh --desktop cargo test -p trade-e2e --test desktop`"
        ),
    }
}

/// Where screenshots go: `<target>/screenshots/`, so that a test run leaves the checkout
/// as it was; with `TRADE_UPDATE_SCREENSHOTS=1`, `docs/screenshots/` (the README's copies).
fn screenshot_dir() -> PathBuf {
    if std::env::var("TRADE_UPDATE_SCREENSHOTS").as_deref() == Ok("1") {
        return repo_root().join("docs/screenshots");
    }
    profile_dir()
        .parent()
        .expect("the profile dir lives in the target dir")
        .join("screenshots")
}

/// `<target>/debug` (the test binary is `<target>/debug/deps/desktop-xxxx`).
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    exe.parent()
        .and_then(Path::parent)
        .expect("the test binary lives in <target>/<profile>/deps")
        .to_owned()
}

/// `<target>/debug/trade-center-desktop`, built beside the tests.
pub fn app_binary() -> PathBuf {
    let app = profile_dir().join("trade-center-desktop");
    assert!(
        app.is_file(),
        "the app binary {} is missing: build it first: cargo build --workspace --bins",
        app.display()
    );
    app
}

fn tauri_driver() -> PathBuf {
    trade_e2e::tauri_driver().unwrap_or_else(|| {
        panic!("tauri-driver is not installed: cargo install tauri-driver --locked --version '^2'")
    })
}

fn free_port() -> u16 {
    trade_test_api::listen_port()
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the repository")
        .to_owned()
}

// ---------------------------------------------------------------------------------------
// The backend

/// The backend's clock: the real one, set back or ahead by what a test asks (to file a
/// dispute "4 days ago" while the app's clock stays real).
#[derive(Clone, Default)]
pub struct SkewClock {
    offset: Arc<std::sync::Mutex<SignedDuration>>,
    changed: Arc<tokio::sync::Notify>,
}

impl SkewClock {
    pub fn set_offset(&self, offset: SignedDuration) {
        *self.offset.lock().unwrap() = offset;
        self.changed.notify_waiters();
    }
}

impl Clock for SkewClock {
    fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::now()
            .checked_add(*self.offset.lock().unwrap())
            .expect("a small offset")
    }

    fn changed(&self) -> Option<Arc<tokio::sync::Notify>> {
        Some(self.changed.clone())
    }
}

/// The demo backend, in-process, restartable on the same port and data directory.
pub struct Backend {
    pub dir: PathBuf,
    pub addr: SocketAddr,
    pub running: Option<Running>,
    pub accounts: DemoAccounts,
    pub ca_path: PathBuf,
    /// The server's clock (real time unless a test sets an offset).
    pub clock: SkewClock,
    /// The card provider, when a test brings its own (else the sandbox).
    gateway: Option<Arc<dyn PaymentGateway>>,
    /// Its JSON API (`send`, `get`, `post`).
    api: Api,
}

impl std::ops::Deref for Backend {
    type Target = Api;
    fn deref(&self) -> &Api {
        &self.api
    }
}

impl Backend {
    async fn start(dir: PathBuf, gateway: Option<Arc<dyn PaymentGateway>>) -> Backend {
        let clock = SkewClock::default();
        // A port it can have again after a restart (not one from the ephemeral range).
        let (running, accounts) = Backend::boot(
            &dir,
            SocketAddr::from(([127, 0, 0, 1], trade_test_api::listen_port())),
            &clock,
            gateway.clone(),
        )
        .await;
        let ca_path = running.ca_path.clone().expect("the demo makes its own CA");
        let api = Api::new(
            format!("https://localhost:{}", running.addr.port()),
            trade_test_api::client(&std::fs::read(&ca_path).unwrap()),
        );
        Backend {
            dir,
            addr: running.addr,
            running: Some(running),
            accounts,
            ca_path,
            clock,
            gateway,
            api,
        }
    }

    async fn boot(
        dir: &Path,
        listen: SocketAddr,
        clock: &SkewClock,
        gateway: Option<Arc<dyn PaymentGateway>>,
    ) -> (Running, DemoAccounts) {
        let mut opts = DemoOptions::new(dir.to_owned(), listen);
        opts.bot_delay = BOT_DELAY;
        opts.clock = Arc::new(clock.clone());
        if let Some(gateway) = gateway {
            // A provider of the test's own: "still processing" and asking it about
            // unanswered payments come soon.
            opts.gateway = Some(gateway);
            opts.settle_card_payments_after = SignedDuration::from_secs(1);
            opts.pay_now_hold = Duration::from_secs(1);
        }
        demo::start(opts).await.expect("the demo backend starts")
    }

    /// Takes the server away: the app sees connection errors.
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await;
        }
    }

    /// Brings it back on the same port with the same data (the world is kept).
    pub async fn restart(&mut self) {
        self.stop().await;
        let (running, _) =
            Backend::boot(&self.dir, self.addr, &self.clock, self.gateway.clone()).await;
        self.running = Some(running);
    }

    /// What the app is told to use (and what a user types).
    pub fn url(&self) -> String {
        format!("https://localhost:{}", self.addr.port())
    }

    /// `PUT /v1/orders/{id}/terms` with `If-Match` (a party modifies an order).
    pub async fn modify_terms(
        &self,
        token: &str,
        order: &str,
        version: i64,
        terms: Value,
    ) -> Value {
        let resp = self
            .client
            .put(format!("{}/v1/orders/{order}/terms", self.url()))
            .bearer_auth(token)
            .header("If-Match", format!("\"{version}\""))
            .json(&json!({ "terms": terms }))
            .send()
            .await
            .expect("the request reaches the server");
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "modify {order} -> {status}: {body}");
        body
    }

    /// An access token for the demo's operator (Trade Center staff).
    pub async fn operator_token(&self) -> String {
        self.login(
            &self.accounts.operator.email,
            self.accounts.operator.password,
        )
        .await
    }

    /// An access token for the demo buyer.
    pub async fn buyer_token(&self) -> String {
        self.login(&self.accounts.buyer.email, self.accounts.buyer.password)
            .await
    }

    /// An access token for the supplier with account id `id`.
    pub async fn supplier_token(&self, id: &str) -> String {
        let supplier = self
            .accounts
            .suppliers
            .iter()
            .find(|s| s.id.to_string() == id)
            .unwrap_or_else(|| panic!("{id} is one of the demo suppliers"));
        self.login(&supplier.email, supplier.password).await
    }

    /// The first page of the caller's inquiries, as `GET /v1/inquiries` returns it
    /// (`filter` = all | unread).
    pub async fn inquiries(&self, token: &str, filter: &str) -> Vec<Value> {
        let page = self
            .get(&format!("/v1/inquiries?filter={filter}"), token)
            .await;
        assert!(
            page["next_cursor"].is_null(),
            "the demo's inquiries fit on the first page: {page}"
        );
        page["items"].as_array().unwrap().clone()
    }

    pub async fn messages(&self, token: &str, inquiry: &str) -> Vec<Value> {
        let page = self
            .get(
                &format!("/v1/inquiries/{inquiry}/messages?limit=200"),
                token,
            )
            .await;
        page["items"].as_array().unwrap().clone()
    }

    /// `GET /v1/unread`'s total of unread messages.
    pub async fn unread_total(&self, token: &str) -> i64 {
        self.get("/v1/unread", token).await["total"]
            .as_i64()
            .expect("a total")
    }
}

// ---------------------------------------------------------------------------------------
// The app

/// How to start the app.
#[derive(Debug, Clone, Default)]
pub struct Launch {
    /// Give it the demo password: it signs in by itself when no session resumes.
    pub sign_in: bool,
    /// Start it with a dark GTK theme (`GTK_THEME=Adwaita:dark`).
    pub dark: bool,
    /// Its command line (after the program's name), e.g. a `tradecenter://` link or
    /// `--minimized`, as the desktop would start it.
    pub args: Vec<String>,
    /// Start it with animations turned off in GTK's settings (`gtk-enable-animations`,
    /// from `$XDG_CONFIG_HOME/gtk-3.0/settings.ini`): WebKitGTK then reports
    /// `prefers-reduced-motion: reduce`.
    pub reduced_motion: bool,
    /// Start it with this UI font in GTK's settings (`gtk-font-name`, e.g. "Cantarell
    /// 11", in the same `settings.ini`), as a desktop sets it.
    pub font: Option<&'static str>,
    /// The program to start: this build's `<target>/debug/trade-center-desktop` when
    /// `None`, else this one (a package's installed copy, `package.rs`).
    pub binary: Option<PathBuf>,
}

impl Launch {
    /// The program this launch starts (see [`Launch::binary`]).
    fn program(&self) -> PathBuf {
        self.binary.clone().unwrap_or_else(app_binary)
    }
}

/// The processes of one launch: tauri-driver and, found through [`MARKER`], whatever it
/// started (WebKitWebDriver, the app).
struct Processes {
    marker: String,
    driver: Child,
    log: PathBuf,
}

impl Processes {
    fn marked(&self) -> Vec<u32> {
        trade_e2e::processes_with_env(MARKER, &self.marker)
    }

    fn signal(pids: &[u32], signal: &str) {
        if pids.is_empty() {
            return;
        }
        let _ = Command::new("kill")
            .arg(signal)
            .args(pids.iter().map(u32::to_string))
            .stderr(Stdio::null())
            .status();
    }

    /// Stops every process of the launch and waits until they are gone (the next launch
    /// must not find the single-instance name still taken).
    fn stop(&mut self) {
        Processes::signal(&self.marked(), "-TERM");
        let _ = self.driver.kill();
        let deadline = Instant::now() + Duration::from_secs(5);
        while !self.marked().is_empty() && Instant::now() < deadline {
            std::thread::sleep(POLL);
        }
        Processes::signal(&self.marked(), "-KILL");
        let _ = self.driver.wait();
        let deadline = Instant::now() + Duration::from_secs(5);
        while !self.marked().is_empty() {
            assert!(
                Instant::now() < deadline,
                "the app's processes {:?} outlived SIGKILL",
                self.marked()
            );
            std::thread::sleep(POLL);
        }
    }

    /// Every process of the launch as `pid state wchan command`: which of tauri-driver,
    /// WebKitWebDriver and the app is still there, and what it waits on, when a session
    /// does not open (their log can be empty then).
    fn describe(&self) -> String {
        let read = |pid: u32, file: &str| {
            std::fs::read(format!("/proc/{pid}/{file}"))
                .map(|b| {
                    String::from_utf8_lossy(&b)
                        .replace('\0', " ")
                        .trim()
                        .to_owned()
                })
                .unwrap_or_default()
        };
        let lines: Vec<String> = self
            .marked()
            .into_iter()
            .map(|pid| {
                let stat = read(pid, "stat");
                // The state follows the command name in parentheses.
                let state = stat
                    .rsplit_once(") ")
                    .and_then(|(_, rest)| rest.split(' ').next())
                    .unwrap_or("?")
                    .to_owned();
                format!(
                    "{pid} {state} {} {}",
                    read(pid, "wchan"),
                    read(pid, "cmdline").chars().take(160).collect::<String>()
                )
            })
            .collect();
        if lines.is_empty() {
            "no process of the launch is left".to_owned()
        } else {
            lines.join("\n")
        }
    }

    fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

/// One running app and its WebDriver session.
pub struct App {
    pub driver: Option<WebDriver>,
    processes: Processes,
}

fn testid(id: &str) -> By {
    By::Css(format!("[data-testid=\"{id}\"]"))
}

impl App {
    pub fn driver(&self) -> &WebDriver {
        self.driver.as_ref().expect("a WebDriver session")
    }

    /// Quits the session and stops every process of the launch.
    pub async fn close(self) {
        if let Some(driver) = self.driver.as_ref() {
            // A clone: if quitting takes too long, the abandoned request does not end the
            // session handle; Drop stops the processes and forgets it.
            let _ = tokio::time::timeout(Duration::from_secs(15), driver.clone().quit()).await;
        }
        // Drop stops the processes.
    }

    /// Sends `signal` ("-TERM", "-HUP"…) to the app's own process, as the desktop
    /// session does when it ends, and waits until the process has exited.
    pub async fn signal_and_wait_for_exit(&self, signal: &str) {
        let pids = self.app_processes();
        assert!(!pids.is_empty(), "no app process to send {signal} to");
        Processes::signal(&pids, signal);
        until("the app to exit", PATIENCE, async || {
            let left = self.app_processes();
            anyhow::ensure!(left.is_empty(), "still running: {left:?}");
            Ok(())
        })
        .await;
    }

    /// The app's own process (not WebKit's, not the WebDriver pair): none once it exited.
    pub fn app_processes(&self) -> Vec<u32> {
        self.processes
            .marked()
            .into_iter()
            .filter(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/comm"))
                    .is_ok_and(|comm| comm.starts_with("trade-"))
            })
            .collect()
    }

    /// The value of `var` in the environment of the app's web process (WebKit's process
    /// that runs the page), if it has one; `None` also when there is no web process.
    pub fn web_process_env(&self, var: &str) -> Option<String> {
        let prefix = format!("{var}=");
        self.processes.marked().into_iter().find_map(|pid| {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
            if comm.trim() != "WebKitWebProces" {
                return None;
            }
            let env = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
            env.split(|b| *b == 0).find_map(|v| {
                let v = String::from_utf8_lossy(v);
                v.strip_prefix(&prefix).map(str::to_owned)
            })
        })
    }

    /// The label of this app's tray icon (the unread count, empty without one), read
    /// from its StatusNotifierItem (`XAyatanaLabel`); `None` while it has no icon. The
    /// icon is found by the process that exports it: other tests' apps share the bus.
    pub fn tray_label(&self) -> Option<String> {
        let ours = self.processes.marked();
        let item = tray_items()
            .into_iter()
            .find(|i| i.item.ends_with("unread") && i.pid.is_some_and(|p| ours.contains(&p)))?;
        let reply = bus(&[
            &format!("--dest={}", item.connection),
            &format!("/org/ayatana/NotificationItem/{}", item.item),
            "org.freedesktop.DBus.Properties.Get",
            "string:org.kde.StatusNotifierItem",
            "string:XAyatanaLabel",
        ]);
        // `variant       string "6"`
        Some(reply.split('"').nth(1).unwrap_or_default().to_owned())
    }

    /// Runs `script` in the page; returns its value.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.driver()
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
            .json()
            .clone()
    }

    /// Like [`App::js`] for a script that ends by calling its last argument.
    pub async fn js_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.driver()
            .execute_async(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
            .json()
            .clone()
    }

    /// Every element with this test id, in document order.
    pub async fn all(&self, id: &str) -> Vec<WebElement> {
        self.driver().find_all(testid(id)).await.unwrap_or_default()
    }

    pub async fn present(&self, id: &str) -> bool {
        !self.all(id).await.is_empty()
    }

    /// The test ids on screen now (for failure messages).
    pub async fn test_ids(&self) -> Vec<String> {
        let ids = self
            .driver()
            .execute(
                "return [...new Set([...document.querySelectorAll('[data-testid]')]\
                 .map(e => e.getAttribute('data-testid')))];",
                Vec::new(),
            )
            .await;
        match ids.map(|r| r.json().clone()) {
            Ok(Value::Array(ids)) => ids
                .into_iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            other => vec![format!("<could not list test ids: {other:?}>")],
        }
    }

    /// The first element with this test id that a user can see: rendered with a size,
    /// not hidden by CSS (`display`, `visibility`, `opacity`). WebKitWebDriver's own
    /// "is displayed" answers false for some visible elements (e.g. a block with
    /// `overflow: hidden` and `text-overflow: ellipsis`), so the page is asked instead.
    pub async fn visible(&self, id: &str) -> Option<WebElement> {
        let ret = self
            .driver()
            .execute(
                "for (const e of document.querySelectorAll(`[data-testid=\"${arguments[0]}\"]`)) {\
                   const r = e.getBoundingClientRect();\
                   if (r.width > 0 && r.height > 0 &&\
                       e.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) return e;\
                 }\
                 return null;",
                vec![json!(id)],
            )
            .await
            .ok()?;
        if ret.json().is_null() {
            return None;
        }
        ret.element().ok()
    }

    /// Waits until an element with this test id is visible (see [`App::visible`]);
    /// returns it.
    pub async fn wait_for(&self, id: &str) -> WebElement {
        self.wait_for_within(id, PATIENCE).await
    }

    pub async fn wait_for_within(&self, id: &str, patience: Duration) -> WebElement {
        until_explained(
            &format!("[data-testid={id}] on screen"),
            patience,
            async || match self.visible(id).await {
                Some(e) => Ok(e),
                None => bail!("none visible"),
            },
            async || {
                format!(
                    "; {} in the page; test ids in the page: {:?}",
                    self.all(id).await.len(),
                    self.test_ids().await
                )
            },
        )
        .await
    }

    /// Waits until no element has this test id.
    pub async fn wait_gone(&self, id: &str) {
        until(&format!("[data-testid={id}] to go"), PATIENCE, async || {
            let n = self.all(id).await.len();
            if n == 0 {
                Ok(())
            } else {
                bail!("{n} still there")
            }
        })
        .await
    }

    /// Clicks the element with this test id once it is on screen, in the middle of its
    /// scrolling pane and not covered: the point clicked is the element's own (a control
    /// that just moved, or sits under a sticky footer, is not clicked through).
    pub async fn click(&self, id: &str) {
        let e = until_explained(
            &format!("[data-testid={id}] clickable"),
            PATIENCE,
            async || {
                let Some(e) = self.visible(id).await else {
                    bail!("not on screen")
                };
                // The element must be on top at its centre and keep its place for a
                // moment: a click sent while the screen re-lays out (a re-read order
                // dropping a button before this one) lands where the element was.
                let hit = self
                    .js_async(
                        "const e = arguments[0], done = arguments[arguments.length - 1];\
                         e.scrollIntoView({ block: 'center' });\
                         const a = e.getBoundingClientRect();\
                         setTimeout(() => {\
                           const r = e.getBoundingClientRect();\
                           const still = e.isConnected && r.left === a.left && r.top === a.top\
                             && r.width === a.width && r.height === a.height;\
                           const at = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);\
                           done(still && at !== null && (at === e || e.contains(at)));\
                         }, 60);",
                        vec![e.to_json()?],
                    )
                    .await;
                anyhow::ensure!(hit == json!(true), "covered, or moving");
                Ok(e)
            },
            async || format!("; test ids in the page: {:?}", self.test_ids().await),
        )
        .await;
        e.click()
            .await
            .unwrap_or_else(|err| panic!("clicking [data-testid={id}]: {err}"));
    }

    pub async fn type_into(&self, id: &str, text: &str) {
        let e = self.wait_for(id).await;
        e.send_keys(text)
            .await
            .unwrap_or_else(|err| panic!("typing into [data-testid={id}]: {err}"));
    }

    /// The text a user sees in the first element with this test id.
    pub async fn text(&self, id: &str) -> String {
        let e = self.wait_for(id).await;
        self.inner_text(&e).await
    }

    /// An element's text as rendered (`innerText`).
    pub async fn inner_text(&self, e: &WebElement) -> String {
        let v = self
            .js(
                "return arguments[0].innerText;",
                vec![e.to_json().expect("an element reference")],
            )
            .await;
        v.as_str().unwrap_or_default().to_owned()
    }

    /// The text of the first element with test id `id` inside `e`.
    pub async fn inner_text_of(&self, e: &WebElement, id: &str) -> String {
        let inner = e
            .find(testid(id))
            .await
            .unwrap_or_else(|err| panic!("[data-testid={id}] inside the element: {err}"));
        self.inner_text(&inner).await
    }

    /// Sets an input's or select's value as a user's choice would (`input` and `change`
    /// events), for controls WebDriver cannot type into reliably (selects, dates).
    pub async fn set_value(&self, id: &str, value: &str) {
        let e = self.wait_for(id).await;
        self.js(
            "const e = arguments[0]; e.value = arguments[1];\
             e.dispatchEvent(new Event('input', { bubbles: true }));\
             e.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![e.to_json().unwrap(), json!(value)],
        )
        .await;
    }

    /// Replaces an input's text by typing (select all, then the new text).
    pub async fn retype(&self, id: &str, text: &str) {
        let e = self.wait_for(id).await;
        e.clear()
            .await
            .unwrap_or_else(|err| panic!("clearing {id}: {err}"));
        e.send_keys(text)
            .await
            .unwrap_or_else(|err| panic!("typing into [data-testid={id}]: {err}"));
    }

    /// Answers the native file dialog the app opened (GTK, titled `title`) with `path`,
    /// as a user types it: focus the dialog, type the path into its location field,
    /// press Enter. Needs xdotool on the test display.
    pub async fn answer_file_dialog(&self, title: &str, path: &Path) {
        let window = until(
            &format!("the file dialog \"{title}\""),
            PATIENCE,
            async || {
                let out = Command::new("xdotool")
                    .args(["search", "--onlyvisible", "--name", title])
                    .output()
                    .context("xdotool runs (apt install xdotool)")?;
                let ids = String::from_utf8_lossy(&out.stdout);
                match ids.lines().next() {
                    Some(id) if !id.trim().is_empty() => Ok(id.trim().to_owned()),
                    _ => bail!("no such window yet"),
                }
            },
        )
        .await;
        let path = path.to_str().expect("a UTF-8 path");
        let xdo = |args: &[&str]| {
            let status = Command::new("xdotool")
                .args(args)
                .status()
                .expect("xdotool runs");
            assert!(status.success(), "xdotool {args:?}: {status}");
        };
        xdo(&["windowfocus", "--sync", &window]);
        // Ctrl+L opens the location field (the name field of a save dialog already has
        // focus); select what is there and type the whole path over it.
        xdo(&["key", "--window", &window, "--clearmodifiers", "ctrl+l"]);
        xdo(&["key", "--clearmodifiers", "ctrl+a"]);
        xdo(&["type", "--delay", "8", path]);
        // The location field may first take Enter for its completion: press it until the
        // dialog has taken the path and closed (a few times at most).
        let open = || {
            Command::new("xdotool")
                .args(["search", "--onlyvisible", "--name", title])
                .output()
                .map(|o| !String::from_utf8_lossy(&o.stdout).trim().is_empty())
                .unwrap_or(false)
        };
        let mut closed = false;
        for _ in 0..5 {
            xdo(&["key", "--clearmodifiers", "Return"]);
            let deadline = Instant::now() + Duration::from_secs(3);
            while Instant::now() < deadline {
                if !open() {
                    closed = true;
                    break;
                }
                tokio::time::sleep(POLL).await;
            }
            if closed {
                break;
            }
        }
        assert!(closed, "the file dialog \"{title}\" did not take {path}");
    }

    /// An input's current value.
    pub async fn value(&self, id: &str) -> String {
        let e = self.wait_for(id).await;
        e.prop("value").await.ok().flatten().unwrap_or_default()
    }

    pub async fn attr(&self, id: &str, name: &str) -> Option<String> {
        let e = self.all(id).await.into_iter().next()?;
        e.attr(name).await.ok().flatten()
    }

    /// Waits for two animation frames (so the last DOM change is painted), then saves a
    /// PNG of the window as `<name>.png` in [`screenshot_dir`].
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        self.js_async(
            "const done = arguments[arguments.length - 1];\
             requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            Vec::new(),
        )
        .await;
        // The window's content never scrolls as a whole (only its panes do).
        let shifted = self
            .js(
                "const s = document.scrollingElement; return [s.scrollTop, s.scrollLeft];",
                Vec::new(),
            )
            .await;
        assert_eq!(
            shifted,
            json!([0, 0]),
            "screenshot {name}: the whole page scrolled"
        );
        // WebKit takes the screenshot after the window's next drawing. The app draws
        // without GL compositing (`draw_without_gl`), and in that mode a page with
        // nothing left to draw never draws again: the request would wait forever. A
        // pixel in the corner changes its (invisible) colour each frame until the
        // screenshot is in, and is removed after it.
        self.js(
            "const px = document.createElement('div');\
             px.setAttribute('aria-hidden', 'true');\
             px.id = 'screenshot-tick';\
             Object.assign(px.style, { position: 'fixed', right: '0', bottom: '0', width: '1px',\
               height: '1px', pointerEvents: 'none' });\
             document.body.append(px);\
             let n = 0;\
             const tick = () => {\
               if (!px.isConnected) return;\
               px.style.backgroundColor = n++ % 2 ? 'rgba(0,0,0,0)' : 'rgba(0,0,0,0.01)';\
               requestAnimationFrame(tick);\
             };\
             tick();",
            Vec::new(),
        )
        .await;
        let png = self.driver().screenshot_as_png().await;
        self.js(
            "document.getElementById('screenshot-tick')?.remove();",
            Vec::new(),
        )
        .await;
        let png = png.unwrap_or_else(|e| panic!("screenshot {name}: {e}"));
        assert!(png.starts_with(b"\x89PNG"), "screenshot {name} is a PNG");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        eprintln!("screenshot: {}", path.display());
        path
    }
}

impl Drop for App {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "---- last lines of the app / tauri-driver log ----\n{}\n----",
                self.processes.log_tail(80)
            );
        }
        // A WebDriver dropped without quitting ends its session synchronously, retrying
        // for up to two minutes while nothing answers, and the app may be waiting for
        // the in-process backend, which cannot run while Drop blocks. Stop the processes
        // (the session dies with them) and forget the handle instead.
        self.processes.stop();
        if let Some(driver) = self.driver.take() {
            std::mem::forget(driver);
        }
    }
}

// ---------------------------------------------------------------------------------------
// One test's world

/// A test's backend, data directories and app. One at a time (see [`ONE_AT_A_TIME`]).
pub struct Desktop {
    pub app: Option<App>,
    pub backend: Backend,
    /// XDG_{DATA,CONFIG,CACHE}_HOME of the app.
    pub home: PathBuf,
    /// Where the Notify log stood when the test began.
    notify_from: usize,
    _temp: tempfile::TempDir,
    _turn: MutexGuard<'static, ()>,
}

/// One call of the desktop's opener: its arguments and its whole environment
/// (`NAME=value` lines, as `env` prints them).
#[derive(Debug, Default)]
pub struct Opened {
    pub args: Vec<String>,
    pub env: Vec<String>,
}

fn opener_dir(home: &Path) -> PathBuf {
    home.with_file_name("opener")
}

fn opened_log(home: &Path) -> PathBuf {
    home.with_file_name("opened.log")
}

/// The stand-in `xdg-open` of a launch (next to its `home`): it appends its arguments and
/// its environment to `$TRADE_TEST_OPENED`, then "END", and exits successfully.
fn write_opener(home: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let dir = opener_dir(home);
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("xdg-open");
    std::fs::write(
        &script,
        "#!/bin/sh\n{ for a in \"$@\"; do printf 'ARG %s\\n' \"$a\"; done; env | sed 's/^/ENV /'; echo END; } >> \"$TRADE_TEST_OPENED\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Signed in (by the app itself, from the demo password) and showing the inbox.
pub async fn signed_in(launch: Launch) -> Desktop {
    signed_in_with(launch, None).await
}

/// As [`signed_in`], with the backend's card provider replaced by `gateway`.
pub async fn signed_in_with(launch: Launch, gateway: Option<Arc<dyn PaymentGateway>>) -> Desktop {
    let d = Desktop::start_with(
        Launch {
            sign_in: true,
            ..launch
        },
        gateway,
    )
    .await;
    d.app().wait_for_within("inbox", FIRST_SYNC).await;
    d.app().wait_for_within("inquiry-row", FIRST_SYNC).await;
    d
}

impl Desktop {
    /// Waits for its turn, starts a fresh demo backend and launches the app.
    pub async fn start(launch: Launch) -> Desktop {
        Desktop::start_with(launch, None).await
    }

    /// As [`Desktop::start`], with the backend's card provider replaced by `gateway`.
    pub async fn start_with(launch: Launch, gateway: Option<Arc<dyn PaymentGateway>>) -> Desktop {
        require_desktop();
        let program = launch.program();
        let turn = ONE_AT_A_TIME.lock().await;
        let temp = tempfile::Builder::new()
            .prefix("trade-desktop-")
            .tempdir()
            .unwrap();
        let home = temp.path().join("home");
        for dir in ["data", "config", "cache"] {
            std::fs::create_dir_all(home.join(dir)).unwrap();
        }
        write_opener(&home);
        let began = Instant::now();
        let backend = Backend::start(temp.path().join("server"), gateway).await;
        eprintln!(
            "demo backend on {} after {:.1?}",
            backend.url(),
            began.elapsed()
        );
        let notify_from = std::fs::metadata(notify_log()).map_or(0, |m| m.len() as usize);
        let mut desktop = Desktop {
            app: None,
            backend,
            home,
            notify_from,
            _temp: temp,
            _turn: turn,
        };
        desktop.app = Some(desktop.launch(&program, launch).await);
        desktop
    }

    /// What the app handed to the desktop's opener (`xdg-open`), in order: a stand-in
    /// first on the app's `PATH` records each call instead of opening anything.
    pub fn opened(&self) -> Vec<Opened> {
        let log = std::fs::read_to_string(opened_log(&self.home)).unwrap_or_default();
        log.split_terminator("END\n")
            .map(|call| {
                let mut opened = Opened::default();
                for line in call.lines() {
                    if let Some(arg) = line.strip_prefix("ARG ") {
                        opened.args.push(arg.to_owned());
                    } else if let Some(var) = line.strip_prefix("ENV ") {
                        opened.env.push(var.to_owned());
                    }
                }
                opened
            })
            .collect()
    }

    /// Quits the app and stops the backend.
    pub async fn finish(mut self) {
        if let Some(app) = self.app.take() {
            app.close().await;
        }
        self.backend.stop().await;
    }

    pub fn app(&self) -> &App {
        self.app.as_ref().expect("the app is running")
    }

    /// Quits the app; the backend keeps running (`relaunch` starts the app again).
    pub async fn quit(&mut self) {
        if let Some(app) = self.app.take() {
            app.close().await;
        }
    }

    /// Quits the app and starts it again with the same data directories.
    pub async fn relaunch(&mut self, launch: Launch) {
        self.quit().await;
        let program = launch.program();
        self.app = Some(self.launch(&program, launch).await);
    }

    async fn launch(&self, binary: &Path, launch: Launch) -> App {
        let began = Instant::now();
        // A start while the single-instance name is still held (the bus has not yet seen
        // the last instance go, or an instance was left behind) hands its command line
        // over and exits at once, silently: WebKitWebDriver then waits for a window that
        // never comes. Start only once the name is free.
        let deadline = Instant::now() + Duration::from_secs(30);
        while let Some(owner) = single_instance_owner() {
            if Instant::now() >= deadline {
                let cmdline = std::fs::read(format!("/proc/{owner}/cmdline"))
                    .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
                    .unwrap_or_default();
                panic!(
                    "the app's single-instance name {SINGLE_INSTANCE_NAME} is still held after 30 s by process {owner}: {cmdline}"
                );
            }
            tokio::time::sleep(POLL).await;
        }
        let port = free_port();
        let native_port = free_port();
        let marker = uuid::Uuid::now_v7().simple().to_string();
        let log = self
            .home
            .join(format!("app-{}.log", &marker[marker.len() - 8..]));
        let log_file = std::fs::File::create(&log).unwrap();
        let gtk = self.home.join("config/gtk-3.0");
        let mut settings = String::new();
        if launch.reduced_motion {
            settings.push_str("gtk-enable-animations=false\n");
        }
        if let Some(font) = launch.font {
            settings.push_str(&format!("gtk-font-name={font}\n"));
        }
        if !settings.is_empty() {
            std::fs::create_dir_all(&gtk).unwrap();
            std::fs::write(gtk.join("settings.ini"), format!("[Settings]\n{settings}")).unwrap();
        } else {
            let _ = std::fs::remove_file(gtk.join("settings.ini"));
        }
        let mut cmd = Command::new(tauri_driver());
        cmd.arg("--port")
            .arg(port.to_string())
            .arg("--native-port")
            .arg(native_port.to_string())
            .arg("--native-driver")
            .arg(WEBKIT_DRIVER)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file);
        self.app_env(&mut cmd, &marker, &launch);
        let driver = cmd.spawn().expect("tauri-driver starts");
        let mut processes = Processes {
            marker,
            driver,
            log,
        };

        // Ready once tauri-driver and the WebKitWebDriver it started both listen (it
        // forwards the new-session request at once: refused if WebKitWebDriver is late).
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err()
            || TcpStream::connect(("127.0.0.1", native_port)).is_err()
        {
            if let Ok(Some(status)) = processes.driver.try_wait() {
                panic!(
                    "tauri-driver exited ({status}) before accepting connections:\n{}",
                    processes.log_tail(40)
                );
            }
            if Instant::now() >= deadline {
                processes.stop();
                panic!(
                    "tauri-driver (port {port}, WebKitWebDriver on {native_port}) did not accept connections within 20 s:\n{}",
                    processes.log_tail(40)
                );
            }
            tokio::time::sleep(POLL).await;
        }

        // thirtyfour's HTTP client is reqwest 0.13, whose rustls (a feature the object
        // store's S3 client turns on in this build) needs a process-wide crypto provider:
        // ring, as the server's. Err: one is installed already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut caps = thirtyfour::Capabilities::new();
        caps.set("browserName", "wry").unwrap();
        caps.set(
            "tauri:options",
            json!({
                "application": binary.to_str().expect("a UTF-8 path"),
                "args": launch.args,
            }),
        )
        .unwrap();
        let session = tokio::time::timeout(
            Duration::from_secs(90),
            WebDriver::new(format!("http://127.0.0.1:{port}"), caps),
        )
        .await;
        let driver = match session {
            Ok(Ok(driver)) => driver,
            Ok(Err(e)) => {
                let tail = processes.log_tail(60);
                processes.stop();
                panic!("no WebDriver session with the app: {e}\n{tail}")
            }
            Err(_) => {
                let tail = processes.log_tail(60);
                let left = processes.describe();
                processes.stop();
                panic!(
                    "the WebDriver session did not open within 90 s\nprocesses:\n{left}\nlog:\n{tail}"
                )
            }
        };
        // The wait above looks for this name: the running app must hold it.
        assert!(
            single_instance_owner().is_some(),
            "the running app holds no {SINGLE_INSTANCE_NAME} on the session bus"
        );
        eprintln!("app started ({launch:?}) after {:.1?}", began.elapsed());
        App {
            driver: Some(driver),
            processes,
        }
    }

    /// The environment every process of a launch gets (tauri-driver passes it on to the
    /// app): the test's data directories, the backend, [`MARKER`].
    fn app_env(&self, cmd: &mut Command, marker: &str, launch: &Launch) {
        cmd.env(MARKER, marker)
            .env("XDG_DATA_HOME", self.home.join("data"))
            .env("XDG_CONFIG_HOME", self.home.join("config"))
            .env("XDG_CACHE_HOME", self.home.join("cache"))
            .env("NO_AT_BRIDGE", "1")
            // Xvfb has no GPU: WebKit's GPU rasterizing would run on Mesa's software GL
            // (llvmpipe). Its CPU rasterizer draws the same pixels with about a fifth
            // less CPU over the suite (measured in the repeat `./dev test`).
            .env("WEBKIT_SKIA_ENABLE_CPU_RENDERING", "1")
            .env("TRADE_CENTER_SERVER", self.backend.url())
            .env("TRADE_CENTER_CA_FILE", &self.backend.ca_path)
            .env("TRADE_CENTER_EMAIL", &self.backend.accounts.buyer.email)
            .env(
                "GTK_THEME",
                if launch.dark {
                    "Adwaita:dark"
                } else {
                    "Adwaita"
                },
            )
            .env_remove("TRADE_CENTER_DEMO_PASSWORD");
        // The desktop's opener: a stand-in that records the call (`Desktop::opened`),
        // before the command's own PATH if it has one (`run_beside`), else the test's.
        let path = cmd
            .get_envs()
            .find(|(name, _)| *name == "PATH")
            .and_then(|(_, value)| value.map(std::ffi::OsStr::to_owned))
            .or_else(|| std::env::var_os("PATH"))
            .unwrap_or_default();
        let path = std::env::join_paths(
            std::iter::once(opener_dir(&self.home)).chain(std::env::split_paths(&path)),
        )
        .unwrap();
        cmd.env("PATH", path)
            .env("TRADE_TEST_OPENED", opened_log(&self.home));
        if launch.sign_in {
            cmd.env(
                "TRADE_CENTER_DEMO_PASSWORD",
                self.backend.accounts.buyer.password,
            );
        }
    }

    /// Starts the app binary a second time, directly (what `xdg-open` does with the
    /// package's desktop file, `Exec=trade-center-desktop %u`), with `args`, in the
    /// same environment, and waits until it exits: single-instance hands its command
    /// line to the running app. Its exit status and output.
    pub async fn second_start(&self, args: &[&str]) -> (std::process::ExitStatus, String) {
        let mut cmd = Command::new(app_binary());
        cmd.args(args);
        self.run_beside(cmd, "the second start").await
    }

    /// Runs `cmd` (named `what` in failures) in the app's environment (its data
    /// directories, the backend, the session bus and display of this desktop) beside the
    /// running app, and waits until it exits (at most [`PATIENCE`]): a second start of
    /// the app, or a desktop tool that starts one (`gio open` a link). Its exit status
    /// and output.
    pub async fn run_beside(
        &self,
        mut cmd: Command,
        what: &str,
    ) -> (std::process::ExitStatus, String) {
        let marker = uuid::Uuid::now_v7().simple().to_string();
        let log = self
            .home
            .join(format!("second-{}.log", &marker[marker.len() - 8..]));
        let log_file = std::fs::File::create(&log).unwrap();
        cmd.stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file);
        self.app_env(&mut cmd, &marker, &Launch::default());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("{what} does not start: {e}"));
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "{what} did not exit within {PATIENCE:?} (single-instance did not hand over?):\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            tokio::time::sleep(POLL).await;
        };
        (status, std::fs::read_to_string(&log).unwrap_or_default())
    }

    /// Notify calls made on the session bus since this test began.
    pub fn notifications(&self) -> Vec<Notify> {
        let raw = std::fs::read(notify_log()).unwrap_or_default();
        let since = String::from_utf8_lossy(&raw[self.notify_from.min(raw.len())..]).into_owned();
        parse_notify_log(&since)
    }

    /// The keyring items (item path, attributes) whose `service` attribute is `service`.
    pub fn keyring_items(&self, service: &str) -> Vec<BTreeSet<String>> {
        keyring_items(service)
    }
}

// ---------------------------------------------------------------------------------------
// Notifications

fn notify_log() -> PathBuf {
    PathBuf::from(
        std::env::var_os("TRADE_NOTIFY_LOG")
            .expect("TRADE_NOTIFY_LOG is not set: run through scripts/with-keyring.sh --desktop"),
    )
}

/// One `org.freedesktop.Notifications.Notify` call seen by dbus-monitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notify {
    pub app_name: String,
    pub summary: String,
    pub body: String,
}

impl Notify {
    /// The body as a user reads it (the app escapes markup for the server).
    pub fn body_text(&self) -> String {
        self.body
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    }
}

/// dbus-monitor prints a method call as a header line and one indented line per argument
/// (`   string "…"`, where a string may run over several lines). Notify's strings are,
/// in order: app_name, app_icon, summary, body.
fn parse_notify_log(log: &str) -> Vec<Notify> {
    let mut out = Vec::new();
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    for line in log.lines() {
        if line.starts_with("method call ") || line.starts_with("signal ") {
            blocks.push(vec![line]);
        } else if let Some(block) = blocks.last_mut() {
            block.push(line);
        }
    }
    for block in blocks {
        if !block[0].starts_with("method call ") || !block[0].contains("member=Notify") {
            continue;
        }
        let mut strings = Vec::new();
        let mut current: Option<String> = None;
        for line in &block[1..] {
            if let Some(s) = current.as_mut() {
                s.push('\n');
                s.push_str(line);
                if line.ends_with('"') {
                    s.pop();
                    strings.push(current.take().unwrap());
                }
                continue;
            }
            if let Some(rest) = line.strip_prefix("   string \"") {
                match rest.strip_suffix('"') {
                    Some(whole) => strings.push(whole.to_owned()),
                    None => current = Some(rest.to_owned()),
                }
            }
        }
        if strings.len() >= 4 {
            out.push(Notify {
                app_name: strings[0].clone(),
                summary: strings[2].clone(),
                body: strings[3].clone(),
            });
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Keyring

/// The items `secret-tool search --all service SERVICE` lists, each as its
/// `attribute.* = …` lines.
fn keyring_items(service: &str) -> Vec<BTreeSet<String>> {
    let out = Command::new("secret-tool")
        .args(["search", "--all", "service", service])
        .output()
        .expect("secret-tool runs (Debian: libsecret-tools)");
    // Item headers and secrets on stdout, attributes on stderr, in the same order.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let items = stdout.lines().filter(|l| l.starts_with('[')).count();
    let attrs: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("attribute."))
        .collect();
    let per_item = attrs.len().checked_div(items).unwrap_or(0);
    (0..items)
        .map(|i| {
            attrs[i * per_item..(i + 1) * per_item]
                .iter()
                .map(|s| (*s).to_owned())
                .collect()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Reading the screen

/// One inquiry row as placed in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub id: String,
    /// `data-unread` as rendered.
    pub unread: String,
}

impl Row {
    /// Whether the row says it has unread messages, and how many when it says a number.
    pub fn unread_count(&self) -> Option<i64> {
        match self.unread.as_str() {
            "true" => None,
            "false" | "" => Some(0),
            n => n.parse().ok(),
        }
    }

    pub fn is_unread(&self) -> bool {
        self.unread_count() != Some(0)
    }
}

/// The inbox as a user can see it: `initial` are the rows rendered at the top (nothing
/// scrolled), `all` every row reached by scrolling the (virtualized) list to its end, in
/// the order they are placed.
#[derive(Debug, Clone)]
pub struct Rows {
    pub initial: Vec<Row>,
    pub all: Vec<Row>,
}

impl Rows {
    pub fn ids(rows: &[Row]) -> Vec<String> {
        rows.iter().map(|r| r.id.clone()).collect()
    }
}

const ROWS_SCRIPT: &str = r#"
const done = arguments[arguments.length - 1];
const frames = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
const rows = () => [...document.querySelectorAll('[data-testid="inquiry-row"]')];
const scroller = (el) => {
  for (let e = el && el.parentElement; e; e = e.parentElement) {
    const s = getComputedStyle(e);
    if (/(auto|scroll)/.test(s.overflowY) && e.scrollHeight > e.clientHeight) return e;
  }
  return null;
};
const read = (box, seen) => {
  for (const r of rows()) {
    const id = r.getAttribute('data-inquiry-id');
    if (seen.has(id)) continue;
    const top = r.getBoundingClientRect().top + (box ? box.scrollTop : 0);
    seen.set(id, { id, unread: r.getAttribute('data-unread') ?? '', top });
  }
};
const ordered = (seen) => [...seen.values()].sort((a, b) => a.top - b.top)
  .map(({ id, unread }) => ({ id, unread }));
(async () => {
  const box = scroller(rows()[0]);
  if (box && box.scrollTop !== 0) { box.scrollTop = 0; await frames(); }
  const initial = new Map();
  read(box, initial);
  const all = new Map(initial);
  if (box) {
    for (let i = 0; i < 500; i++) {
      const before = box.scrollTop;
      box.scrollTop = before + Math.max(1, Math.floor(box.clientHeight * 0.7));
      await frames();
      read(box, all);
      if (box.scrollTop === before) break;
    }
    box.scrollTop = 0;
    await frames();
  }
  done({ initial: ordered(initial), all: ordered(all) });
})().catch(e => done({ error: String(e) }));
"#;

impl App {
    /// Reads the inbox list (see [`Rows`]); scrolls it back to the top afterwards.
    pub async fn rows(&self) -> anyhow::Result<Rows> {
        let v = self
            .driver()
            .execute_async(ROWS_SCRIPT, Vec::new())
            .await
            .context("reading the inbox rows")?
            .json()
            .clone();
        if let Some(e) = v.get("error") {
            return Err(anyhow!("the rows script failed: {e}"));
        }
        let parse = |v: &Value| -> Vec<Row> {
            v.as_array()
                .map(|rows| {
                    rows.iter()
                        .map(|r| Row {
                            id: r["id"].as_str().unwrap_or_default().to_owned(),
                            unread: r["unread"].as_str().unwrap_or_default().to_owned(),
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        Ok(Rows {
            initial: parse(&v["initial"]),
            all: parse(&v["all"]),
        })
    }

    /// The row of inquiry `id`, scrolled into view.
    pub async fn row(&self, id: &str) -> WebElement {
        let by = By::Css(format!(
            "[data-testid=\"inquiry-row\"][data-inquiry-id=\"{id}\"]"
        ));
        let row = until(&format!("the row of inquiry {id}"), PATIENCE, async || {
            self.driver().find(by.clone()).await.map_err(Into::into)
        })
        .await;
        let _ = row.scroll_into_view().await;
        row
    }

    /// The message element with this id, once it is there.
    pub async fn message(&self, id: &str) -> WebElement {
        let by = By::Css(format!(
            "[data-testid=\"message\"][data-message-id=\"{id}\"]"
        ));
        until(
            &format!("message {id} in the thread"),
            PATIENCE,
            async || self.driver().find(by.clone()).await.map_err(Into::into),
        )
        .await
    }

    /// The thread's messages as shown: (data-message-id, data-delivery, body text).
    pub async fn messages(&self) -> Vec<(String, String, String)> {
        let v = self
            .js(
                "return [...document.querySelectorAll('[data-testid=\"message\"]')].map(m => {\
                   const b = m.querySelector('[data-testid=\"message-body\"]');\
                   return [m.getAttribute('data-message-id') || '',\
                           m.getAttribute('data-delivery') || '',\
                           b ? b.innerText : ''];\
                 });",
                Vec::new(),
            )
            .await;
        v.as_array()
            .map(|ms| {
                ms.iter()
                    .map(|m| {
                        let s = |i: usize| m[i].as_str().unwrap_or_default().to_owned();
                        (s(0), s(1), s(2))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Starts recording every `data-delivery` the message whose body is `body` shows
    /// (a MutationObserver, so that even a state shown for a moment is seen).
    pub async fn record_deliveries(&self, body: &str) {
        self.js(
            r#"
            const needle = arguments[0];
            window.__e2eDeliveries = [];
            const record = () => {
              for (const m of document.querySelectorAll('[data-testid="message"]')) {
                const b = m.querySelector('[data-testid="message-body"]');
                if (!b || b.textContent.trim() !== needle) continue;
                const d = m.getAttribute('data-delivery') || '';
                const log = window.__e2eDeliveries;
                if (log[log.length - 1] !== d) log.push(d);
              }
            };
            record();
            new MutationObserver(record).observe(document.body, {
              subtree: true, childList: true, characterData: true, attributes: true,
              attributeFilter: ['data-delivery', 'data-message-id'],
            });
            return true;
            "#,
            vec![json!(body)],
        )
        .await;
    }

    /// What [`App::record_deliveries`] saw so far, in order (repeats collapsed).
    pub async fn deliveries(&self) -> Vec<String> {
        let v = self
            .js("return window.__e2eDeliveries || [];", Vec::new())
            .await;
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether the page reports a dark colour scheme.
    pub async fn prefers_dark(&self) -> bool {
        self.js(
            "return matchMedia('(prefers-color-scheme: dark)').matches;",
            Vec::new(),
        )
        .await
            == Value::Bool(true)
    }

    /// The relative luminance (0 black … 1 white) of the background behind the element
    /// with this test id (its own, or its nearest ancestor's that is not transparent).
    pub async fn background_luminance(&self, id: &str) -> f64 {
        let v = self
            .js(
                r#"
                let e = document.querySelector(`[data-testid="${arguments[0]}"]`);
                for (; e; e = e.parentElement) {
                  const c = getComputedStyle(e).backgroundColor;
                  const m = c.match(/rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?/);
                  if (m && (m[4] === undefined || Number(m[4]) > 0.5)) {
                    const lin = (x) => { x /= 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; };
                    return 0.2126 * lin(+m[1]) + 0.7152 * lin(+m[2]) + 0.0722 * lin(+m[3]);
                  }
                }
                return 1.0; // nothing painted: the default white canvas
                "#,
                vec![json!(id)],
            )
            .await;
        v.as_f64().unwrap_or(1.0)
    }
}

#[cfg(test)]
mod parse_tests {
    use super::*;

    #[test]
    fn notify_calls_are_read_from_the_monitor_log() {
        let log = "signal time=1 sender=org.freedesktop.DBus -> destination=:1.4 serial=2 path=/org/freedesktop/DBus; interface=org.freedesktop.DBus; member=NameAcquired\n   string \":1.4\"\n\
method call time=2 sender=:1.8 -> destination=org.freedesktop.Notifications serial=3 path=/org/freedesktop/Notifications; interface=org.freedesktop.Notifications; member=Notify\n   string \"Trade Center\"\n   uint32 0\n   string \"icon\"\n   string \"Li Wei\"\n   string \"two\nlines &lt;b&gt;\"\n   array [\n   ]\n   int32 -1\n";
        let calls = parse_notify_log(log);
        assert_eq!(
            calls,
            vec![Notify {
                app_name: "Trade Center".into(),
                summary: "Li Wei".into(),
                body: "two\nlines &lt;b&gt;".into(),
            }]
        );
        assert_eq!(calls[0].body_text(), "two\nlines <b>");
    }
}

// ---------------------------------------------------------------------------------------
// Accessibility

/// axe-core's minified script, as npm installed it for the front end (a devDependency in
/// `ui/package.json`; not a copy in the repository).
fn axe_script() -> &'static str {
    static SCRIPT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SCRIPT.get_or_init(|| {
        let path = repo_root().join("ui/node_modules/axe-core/axe.min.js");
        std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}: install the front end's packages first (cd ui && npm ci)",
                path.display()
            )
        })
    })
}

/// Runs axe on the page with the WCAG 2 A/AA rules and the best practices; answers
/// `{ violations: [{ id, impact, help, helpUrl, nodes: [{ target, summary }] }],
///    passes, incomplete }` or `{ error }`. Frames are not visited: the app has none.
const AXE_RUN: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, {
  runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
  resultTypes: ['violations'],
  iframes: false,
}).then(r => done({
  violations: r.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({
      target: n.target.map(String),
      summary: (n.failureSummary || '').replace(/\s+/g, ' ').slice(0, 300),
      html: n.html.slice(0, 160),
    })),
  })),
  passes: r.passes.length,
  incomplete: r.incomplete.map(v => v.id),
})).catch(e => done({ error: String(e && e.stack || e) }));
"#;

/// One screen's audit, as kept in the report.
#[derive(Debug, Clone)]
pub struct Audit {
    pub screen: String,
    pub passed: usize,
    /// (rule, impact, nodes).
    pub violations: Vec<(String, String, usize)>,
    /// Rules axe could not decide (e.g. contrast over an image).
    pub incomplete: Vec<String>,
}

/// `<target>/a11y/`: one file per audited screen; `<target>/a11y-report.md` is
/// rewritten from them after every audit.
fn a11y_dir() -> PathBuf {
    profile_dir()
        .parent()
        .expect("the profile dir lives in the target dir")
        .join("a11y")
}

fn write_a11y_report(audit: &Audit) {
    let dir = a11y_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let violations = if audit.violations.is_empty() {
        "none".to_owned()
    } else {
        audit
            .violations
            .iter()
            .map(|(id, impact, n)| format!("{id} ({impact}, {n})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let incomplete = if audit.incomplete.is_empty() {
        "-".to_owned()
    } else {
        audit.incomplete.join(", ")
    };
    let line = format!(
        "| {} | {} | {} | {} |\n",
        audit.screen, audit.passed, violations, incomplete
    );
    std::fs::write(dir.join(format!("{}.md", audit.screen)), line).unwrap();
    let mut rows: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let e = e.ok()?;
            let name = e.file_name().into_string().ok()?;
            if !name.ends_with(".md") {
                return None;
            }
            Some((name, std::fs::read_to_string(e.path()).ok()?))
        })
        .collect();
    rows.sort();
    let mut report = String::from(
        "# Accessibility: axe-core in the app's webview, per screen\n\n\
         WCAG 2 A/AA (2.0, 2.1, 2.2 AA) and best-practice rules. A serious or critical \
         violation fails the test that visited the screen; minor and moderate ones are \
         listed here.\n\n\
         | Screen | Rules passed | Violations (impact, elements) | Needs review |\n\
         |---|---|---|---|\n",
    );
    for (_, row) in rows {
        report.push_str(&row);
    }
    let path = dir.with_file_name("a11y-report.md");
    std::fs::write(&path, report).unwrap();
}

impl App {
    /// Runs axe-core in the page as it is now (injected from `ui/node_modules` on first
    /// use in this page) and fails, naming `screen`, on any serious or critical
    /// violation: rule, impact, the elements (CSS selectors) and what to fix. Every audit
    /// is summarized in `<target>/a11y-report.md`.
    pub async fn audit(&self, screen: &str) -> Audit {
        // Painted and settled: two frames after the last change.
        self.js_async(
            "const done = arguments[arguments.length - 1];\
             requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            Vec::new(),
        )
        .await;
        let loaded = self
            .js("return typeof window.axe === 'object';", Vec::new())
            .await;
        if loaded != json!(true) {
            let script = format!("{}\nreturn typeof window.axe;", axe_script());
            let kind = self.js(&script, Vec::new()).await;
            assert_eq!(kind, json!("object"), "axe-core did not load in the page");
        }
        let result = self.js_async(AXE_RUN, Vec::new()).await;
        if let Some(e) = result.get("error") {
            panic!("axe failed on {screen}: {e}");
        }
        let violations = result["violations"].as_array().cloned().unwrap_or_default();
        let audit = Audit {
            screen: screen.to_owned(),
            passed: result["passes"].as_u64().unwrap_or(0) as usize,
            violations: violations
                .iter()
                .map(|v| {
                    (
                        v["id"].as_str().unwrap_or("?").to_owned(),
                        v["impact"].as_str().unwrap_or("?").to_owned(),
                        v["nodes"].as_array().map_or(0, Vec::len),
                    )
                })
                .collect(),
            incomplete: result["incomplete"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        };
        let describe = |v: &Value| {
            let nodes = v["nodes"]
                .as_array()
                .map(|nodes| {
                    nodes
                        .iter()
                        .map(|n| {
                            format!(
                                "      {} — {}\n        {}",
                                n["target"],
                                n["html"].as_str().unwrap_or_default(),
                                n["summary"].as_str().unwrap_or_default()
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default();
            format!(
                "  {} ({}): {} <{}>\n{nodes}",
                v["id"].as_str().unwrap_or("?"),
                v["impact"].as_str().unwrap_or("?"),
                v["help"].as_str().unwrap_or_default(),
                v["helpUrl"].as_str().unwrap_or_default(),
            )
        };
        write_a11y_report(&audit);
        // Every finding in full beside the report (`<target>/a11y/<screen>.txt`).
        let details: Vec<String> = violations.iter().map(describe).collect();
        std::fs::write(
            a11y_dir().join(format!("{screen}.txt")),
            format!("{screen}\n{}\n", details.join("\n")),
        )
        .unwrap();
        let (blocking, other): (Vec<&Value>, Vec<&Value>) = violations
            .iter()
            .partition(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")));
        for v in &other {
            eprintln!("a11y {screen}: minor/moderate:\n{}", describe(v));
        }
        eprintln!(
            "a11y {screen}: {} rules passed, {} violations",
            audit.passed,
            audit.violations.len()
        );
        if !blocking.is_empty() {
            let shot = self.screenshot(&format!("a11y-{screen}")).await;
            panic!(
                "axe: {} serious or critical accessibility violation(s) on {screen} \
                 (screenshot {}):\n{}",
                blocking.len(),
                shot.display(),
                blocking
                    .iter()
                    .map(|v| describe(v))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
        audit
    }
}

/// `dbus-send --session --print-reply` with `args`: its output.
/// Runs `cmd` to success (a test's tool: readelf, fc-list, dpkg-deb…); its standard
/// output.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?} does not start: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn bus(args: &[&str]) -> String {
    let out = Command::new("dbus-send")
        .args(["--session", "--print-reply", "--reply-timeout=2000"])
        .args(args)
        .output()
        .expect("dbus-send runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A tray icon on the session bus (see [`tray_items`]).
#[derive(Debug)]
pub struct TrayItem {
    /// The unique name of the bus connection that exports it.
    pub connection: String,
    /// That connection's process.
    pub pid: Option<u32>,
    /// The item's id: the last part of its object path.
    pub item: String,
}

/// The tray icons on the session bus: the StatusNotifierItems that connections export
/// (libayatana-appindicator, which Tauri's tray uses on Linux, exports its item at
/// `/org/ayatana/NotificationItem/<id>` whether or not a tray host shows it).
pub fn tray_items() -> Vec<TrayItem> {
    let names = bus(&[
        "--dest=org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus.ListNames",
    ]);
    let mut items = Vec::new();
    for name in names.split('"').filter(|n| n.starts_with(':')) {
        let xml = bus(&[
            &format!("--dest={name}"),
            "/org/ayatana/NotificationItem",
            "org.freedesktop.DBus.Introspectable.Introspect",
        ]);
        let exported: Vec<&str> = xml
            .split("<node name=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect();
        if exported.is_empty() {
            continue;
        }
        // `uint32 1234`
        let pid = bus(&[
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.GetConnectionUnixProcessID",
            &format!("string:{name}"),
        ])
        .split_whitespace()
        .last()
        .and_then(|p| p.parse().ok());
        items.extend(exported.into_iter().map(|item| TrayItem {
            connection: name.to_owned(),
            pid,
            item: item.to_owned(),
        }));
    }
    items
}
