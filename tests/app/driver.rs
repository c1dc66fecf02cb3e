//! The app in a real window: Xvfb for a display, tauri-driver (which runs WebKitWebDriver)
//! and a fantoccini client, with the app's data and XDG folders in a scratch directory.

use std::io::{BufRead as _, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};

/// A virtual display, gone when dropped.
pub struct Display {
    child: Child,
    pub name: String,
}

impl Display {
    pub fn start() -> Display {
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1920x1200x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb runs (apt package xvfb)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        Display {
            child,
            name: format!(":{}", line.trim()),
        }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// tauri-driver serving WebDriver on a free port; stopped with SIGTERM so it also stops
/// the WebKitWebDriver it started (SIGKILL would leave that running).
pub struct Driver {
    child: Child,
    pub port: u16,
}

impl Driver {
    pub fn start(display: &Display, scratch: &Path, env: &[(&str, String)]) -> Driver {
        let port = free_port();
        let native = free_port();
        let xdg = |d: &str| {
            let p = scratch.join(d);
            std::fs::create_dir_all(&p).unwrap();
            p
        };
        let mut cmd = Command::new("tauri-driver");
        cmd.args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native.to_string(),
        ])
        .env("DISPLAY", &display.name)
        .env("XDG_DATA_HOME", xdg("xdg-data"))
        .env("XDG_CONFIG_HOME", xdg("xdg-config"))
        .env("XDG_CACHE_HOME", xdg("xdg-cache"))
        // Software rendering: Xvfb has no GPU, and WebKit's compositor can stall on it.
        .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
        .env("LIBGL_ALWAYS_SOFTWARE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .spawn()
            .expect("tauri-driver runs (cargo install tauri-driver)");
        wait_listening(port, "tauri-driver");
        Driver { child, port }
    }

    /// A session is the app started in its window.
    pub async fn launch(&self, app: &Path) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": app }),
        );
        caps.insert("browserName".into(), "wry".into());
        session(self.port, caps).await
    }
}

/// Waits until a WebDriver server accepts connections on `port`.
pub fn wait_listening(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A WebDriver session with these capabilities on the server at `port`.
/// Retried: tauri-driver listens before the WebKitWebDriver it starts per session does,
/// and now and then drops the first request while that one comes up.
pub async fn session(port: u16, caps: serde_json::Map<String, serde_json::Value>) -> Client {
    let mut failures = Vec::new();
    for _ in 0..3 {
        match ClientBuilder::native()
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => return c,
            Err(e) => {
                eprintln!("WebDriver session not created, retrying: {e}");
                failures.push(e.to_string());
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    }
    panic!("no WebDriver session after 3 attempts: {failures:?}")
}

impl Drop for Driver {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for an element, failing with the selector named.
pub async fn wait(c: &Client, css: &str) -> Element {
    match c
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(css))
        .await
    {
        Ok(e) => e,
        Err(e) => {
            let at = failure_evidence(c).await;
            panic!("no {css} within 30 s: {e} (the page is in {at})")
        }
    }
}

/// What the window showed when a step failed: its HTML.
pub async fn failure_evidence(c: &Client) -> String {
    let dir = screenshots_dir();
    if let Ok(html) = c.source().await {
        let _ = std::fs::write(dir.join("app-failure.html"), html);
    }
    if let Ok(v) = c
        .execute(
            "return JSON.stringify({tauri: typeof window.__TAURI__, wasm: typeof window.wasmBindings, ready: document.readyState, wa: typeof WebAssembly})",
            Vec::new(),
        )
        .await
    {
        eprintln!("window state at failure: {v}");
    }
    dir.display().to_string()
}

/// Waits for a screen's data: its container present without the `loading` class.
pub async fn loaded(c: &Client, id: &str) -> Element {
    wait(c, &format!("#{id}:not(.loading)")).await
}

pub async fn all(c: &Client, css: &str) -> Vec<Element> {
    c.find_all(Locator::Css(css)).await.unwrap()
}

pub async fn click(c: &Client, css: &str) {
    // A sync landing between finding the element and clicking it draws the screen anew,
    // and the handle then names a node that is gone (the click did not happen): find it
    // again. Any other failure, or the third stale handle, fails the step.
    for attempt in 1.. {
        let el = wait(c, css).await;
        // Into the middle of the view first: WebKitWebDriver scrolls an element only to
        // the window's edge, where the fixed header or the tab bar covers it.
        let at = serde_json::to_value(&el).unwrap();
        let clicked = match c
            .execute("arguments[0].scrollIntoView({block: 'center'})", vec![at])
            .await
        {
            Ok(_) => el.click().await.map(drop),
            Err(e) => Err(e),
        };
        match clicked {
            Ok(()) => return,
            Err(e) if attempt < 3 && is_gone(&e) => continue,
            Err(e) => panic!("clicking {css}: {e}"),
        }
    }
}

/// The element's node was replaced since it was found. WebKitWebDriver says so with
/// "Node … was not found" under another status as often as with the standard one.
fn is_gone(e: &fantoccini::error::CmdError) -> bool {
    use fantoccini::error::{CmdError, ErrorStatus};
    match e {
        CmdError::Standard(w) => {
            w.error == ErrorStatus::StaleElementReference || w.message.contains("was not found")
        }
        _ => false,
    }
}

pub async fn text(c: &Client, css: &str) -> String {
    wait(c, css).await.text().await.unwrap()
}

/// Polls until `f` holds, for up to `secs`.
pub async fn eventually<F, Fut>(secs: u64, what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("not within {secs} s: {what}");
}

/// Screenshots land in target/screenshots/, for a person to look at.
pub fn screenshots_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("target")
        .join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Resizes the window unless it already has that size: WebKitWebDriver waits for a
/// resize event, which never comes for the size the window already has.
pub async fn resize(c: &Client, w: u32, h: u32) {
    let (_, _, cw, ch) = c.get_window_rect().await.unwrap();
    if (cw as u32, ch as u32) != (w, h) {
        c.set_window_size(w, h).await.unwrap();
    }
}

/// The window at a phone's and at a laptop's size, a screenshot of each. Taken from the
/// X display (ImageMagick's `import`) rather than WebDriver's screenshot, which stalls
/// in WebKitWebDriver once the page has talked to the shell; the window sits at 0,0
/// (no window manager), so the crop is the window.
pub async fn screenshot(c: &Client, display: &Display, name: &str) {
    for (w, h, label) in [(390, 844, "phone"), (1280, 800, "laptop")] {
        resize(c, w, h).await;
        tokio::time::sleep(Duration::from_millis(600)).await;
        let out = screenshots_dir().join(format!("app-{name}-{label}.png"));
        let status = Command::new("import")
            .args(["-display", &display.name, "-window", "root", "-crop"])
            .arg(format!("{w}x{h}+0+0"))
            .arg(&out)
            .status()
            .expect("ImageMagick's import runs (apt package imagemagick)");
        assert!(status.success(), "screenshot {name} at {label} size");
    }
}
