//! A real browser for the page tests: headless Chromium driven through a chromedriver that each
//! test starts on a free port, with a fresh profile. Without Chromium or chromedriver the page
//! tests are skipped locally; under CI (`CI` set) or with `BOXOFFICE_REQUIRE_BROWSER=1` a
//! missing browser fails them. `.ci/run` installs both (Debian's `chromium` and
//! `chromium-driver`).

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The flags every page test runs Chromium with: headless, nothing fetched from outside.
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// Where screenshots go: outside the repository.
pub const SHOTS: &str = "/tmp/door-shots";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewport {
    /// 1280 x 800.
    Desktop,
    /// 390 x 844, a phone's CSS pixels, with touch and the page's viewport meta honoured.
    Phone,
}

impl Viewport {
    pub fn name(self) -> &'static str {
        match self {
            Viewport::Desktop => "desktop",
            Viewport::Phone => "phone",
        }
    }
}

fn found(env: &str, candidates: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env) {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in candidates {
        let direct = Path::new(name);
        if direct.is_absolute() && direct.is_file() {
            return Some(direct.to_path_buf());
        }
        for dir in std::env::split_paths(&path) {
            let full = dir.join(name);
            if full.is_file() {
                return Some(full);
            }
        }
    }
    None
}

/// Chromium and chromedriver, when both are installed (`BOXOFFICE_CHROMIUM` and
/// `BOXOFFICE_CHROMEDRIVER` name others). Missing under CI or `BOXOFFICE_REQUIRE_BROWSER=1`
/// fails the test; otherwise it is skipped with a message.
pub fn browser_or_skip() -> Option<(PathBuf, PathBuf)> {
    let chromium = found(
        "BOXOFFICE_CHROMIUM",
        &[
            "/usr/bin/chromium",
            "chromium",
            "chromium-browser",
            "google-chrome",
        ],
    );
    let driver = found(
        "BOXOFFICE_CHROMEDRIVER",
        &["/usr/bin/chromedriver", "chromedriver"],
    );
    let required = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
        || std::env::var("BOXOFFICE_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    match (chromium, driver) {
        (Some(c), Some(d)) => Some((c, d)),
        (c, d) => {
            assert!(
                !required,
                "a browser is required (CI or BOXOFFICE_REQUIRE_BROWSER=1) but missing: \
                 chromium {c:?}, chromedriver {d:?} (apt-get install chromium chromium-driver)"
            );
            eprintln!("skipping: chromium or chromedriver not installed");
            None
        }
    }
}

/// A headless Chromium session; the driver and the profile go when it is dropped.
pub struct Browser {
    pub client: Client,
    pub viewport: Viewport,
    driver: tokio::process::Child,
    /// The driver's process group (its pid), kept after the driver is reaped.
    group: Option<u32>,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver on a free port and opens a session, or `None` when skipped.
    pub async fn start(viewport: Viewport) -> Option<Browser> {
        let (chromium, driver_path) = browser_or_skip()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = tokio::process::Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            // Its own process group, with the browser it starts: a failing test kills both.
            .process_group(0)
            .spawn()
            .expect("start chromedriver");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| f.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let mut options = json!({"binary": chromium, "args": args});
        // Device metrics make the viewport exactly this size (a window size would include
        // the browser's own frame).
        options["mobileEmulation"] = match viewport {
            Viewport::Desktop => json!({
                "deviceMetrics": {"width": 1280, "height": 800, "pixelRatio": 1, "touch": false}
            }),
            Viewport::Phone => json!({
                "deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2, "touch": true},
                "userAgent": "Mozilla/5.0 (Linux; Android 14) Mobile"
            }),
        };
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert("goog:chromeOptions".into(), options);
        let mut last = None;
        // A driver that has just bound its port may not take sessions for a moment.
        for _ in 0..3 {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Some(Browser {
                        client,
                        viewport,
                        group: driver.id(),
                        driver,
                        _profile: profile,
                    })
                }
                Err(e) => {
                    last = Some(e);
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
        panic!("no browser session: {last:?}");
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("open the page");
    }

    /// Runs `script` (a function body; `arguments` are `args`) and returns its value.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Waits up to 10 s for `condition` (a JS expression) to hold.
    pub async fn wait_for(&self, condition: &str) {
        let script = format!("return !!({condition});");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if self.js(&script, vec![]).await == json!(true) {
                return;
            }
            if Instant::now() > deadline {
                let body = self.js("return document.body.innerText;", vec![]).await;
                panic!("timed out waiting for {condition}; the page says:\n{body}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn text(&self, id: &str) -> String {
        self.client
            .find(Locator::Id(id))
            .await
            .unwrap_or_else(|e| panic!("#{id}: {e}"))
            .text()
            .await
            .expect("text")
    }

    pub async fn displayed(&self, id: &str) -> bool {
        self.client
            .find(Locator::Id(id))
            .await
            .unwrap_or_else(|e| panic!("#{id}: {e}"))
            .is_displayed()
            .await
            .expect("displayed")
    }

    /// Types into the input `id` (after clearing it); `"\u{E007}"` at the end presses Enter.
    pub async fn type_into(&self, id: &str, text: &str) {
        let input = self
            .client
            .find(Locator::Id(id))
            .await
            .unwrap_or_else(|e| panic!("#{id}: {e}"));
        input.clear().await.expect("clear");
        input.send_keys(text).await.expect("type");
    }

    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .expect("click");
    }

    /// Clicks the button whose text starts with `name` (its accessible name, as people see it).
    pub async fn click_button(&self, name: &str) {
        self.client
            .find(Locator::XPath(&format!(
                "//button[starts-with(normalize-space(.), '{name}')]"
            )))
            .await
            .unwrap_or_else(|e| panic!("button {name:?}: {e}"))
            .click()
            .await
            .expect("click");
    }

    /// Saves a PNG of the viewport as `SHOTS/{name}-{viewport}.png`, once animations are over.
    pub async fn screenshot(&self, name: &str) {
        self.wait_for("document.getAnimations().length === 0").await;
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::create_dir_all(SHOTS).expect("screenshot folder");
        let path = format!("{SHOTS}/{name}-{}.png", self.viewport.name());
        std::fs::write(&path, png).expect("write screenshot");
    }

    /// The accessibility rule violations axe-core finds on the page as it stands (WCAG 2.1 A
    /// and AA), or `None` when axe-core is not installed (`BOXOFFICE_AXE` names its
    /// `axe.min.js`; `.ci/run` installs it from npm, and under CI a missing one fails).
    pub async fn axe(&self) -> Option<Vec<Value>> {
        let path = std::env::var_os("BOXOFFICE_AXE").map(PathBuf::from);
        let source = match path.as_deref().map(std::fs::read_to_string) {
            Some(Ok(source)) => source,
            other => {
                let required = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
                    || std::env::var("BOXOFFICE_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
                assert!(
                    !required,
                    "axe-core is required but BOXOFFICE_AXE is {path:?}: {other:?}"
                );
                eprintln!("skipping the axe-core check: BOXOFFICE_AXE not set");
                return None;
            }
        };
        self.js(&source, vec![]).await;
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})\
                   .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,\
                     nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ': ' + n.failureSummary)}))))\
                   .catch(e => done([{id: 'axe-error', help: String(e)}]));",
                vec![],
            )
            .await
            .expect("axe.run");
        Some(result.as_array().cloned().unwrap_or_default())
    }

    /// Ends the session (the browser quits) and the driver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill().await;
    }
}

impl Drop for Browser {
    /// However the test ends (a failed assertion too), nothing of the browser is left running:
    /// the driver's process group holds Chromium and every process it started.
    fn drop(&mut self) {
        if let Some(pid) = self.group {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}
