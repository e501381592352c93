//! The hosted page in a real browser: headless Chromium (Debian's `chromium`),
//! driven over WebDriver (`chromedriver`, fantoccini). A journey is started
//! through the component, a person opens the absolute hosted URL, fills the
//! form (making one mistake first) and submits it, and the host's `wait`
//! returns `Completed` with what they typed. Screenshots are saved to
//! `artifacts/` at the top of the repository.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client as Browser, ClientBuilder, Locator};
use gbg_go_host::JourneyStatus;
use gbg_go_simulator::end_user::ANSWERS;
use serde_json::{Value, json};

use crate::support;

/// Where Debian installs the browser and its WebDriver server; override with
/// `GBG_GO_CHROMIUM` and `GBG_GO_CHROMEDRIVER`.
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The longest any one browser step may take.
const STEP: Duration = Duration::from_secs(20);

/// The whole browser part of the test.
const WHOLE_TEST: Duration = Duration::from_secs(120);

fn program(variable: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(variable).map_or_else(|| PathBuf::from(default), PathBuf::from);
    assert!(
        path.is_file(),
        "{} is not installed (set {variable} to use another path): run `bash .ci/run`, \
         which installs Debian's chromium and chromium-driver packages when they are missing",
        path.display()
    );
    path
}

/// The git-ignored folder for test artifacts, `artifacts/` at the top of the
/// repository.
fn artifacts() -> PathBuf {
    let folder = crate::support::repository().join("artifacts");
    std::fs::create_dir_all(&folder).unwrap();
    folder.canonicalize().unwrap()
}

/// A `chromedriver` on a free loopback port, in a process group of its own
/// so that it and every browser process it starts end with it.
struct Chromedriver {
    child: Child,
    url: String,
}

impl Chromedriver {
    fn start(log: &Path) -> Chromedriver {
        let program = program("GBG_GO_CHROMEDRIVER", CHROMEDRIVER);
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .unwrap()
            .port();
        let child = Command::new(program)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver starts");
        Chromedriver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Waits until it accepts WebDriver sessions.
    async fn ready(&self) {
        let status = format!("{}/status", self.url);
        for _ in 0..200 {
            if let Ok(answer) = reqwest::get(&status).await
                && let Ok(text) = answer.text().await
                && let Ok(body) = serde_json::from_str::<Value>(&text)
                && body["value"]["ready"] == true
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("chromedriver did not become ready at {}", self.url);
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        crate::support::end_process_group(&mut self.child);
    }
}

/// A fresh headless Chromium session with its own profile folder.
async fn open_browser(driver: &Chromedriver, profile: &Path) -> Browser {
    let chromium = program("GBG_GO_CHROMIUM", CHROMIUM);
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--lang=en-US", "--window-size=900,1500",
                format!("--user-data-dir={}", profile.display()),
            ],
        },
    });
    let Value::Object(capabilities) = capabilities else {
        unreachable!("a JSON object");
    };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    tokio::time::timeout(
        STEP,
        ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&driver.url),
    )
    .await
    .expect("Chromium started in time")
    .expect("a WebDriver session")
}

async fn screenshot(browser: &Browser, name: &str) -> PathBuf {
    let png = browser.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    let path = artifacts().join(name);
    std::fs::write(&path, png).unwrap();
    println!("screenshot: {}", path.display());
    path
}

/// Types `value` into the input `name` as a person would. A date input takes
/// the digits of the en-US format, month first.
async fn type_into(browser: &Browser, name: &str, value: &str) {
    let input = browser.find(Locator::Id(name)).await.unwrap();
    input.clear().await.unwrap();
    let keys = match value.split('-').collect::<Vec<_>>().as_slice() {
        [year, month, day] if name == "dateOfBirth" => format!("{month}{day}{year}"),
        _ => value.to_owned(),
    };
    input.send_keys(&keys).await.unwrap();
    let shown = input.prop("value").await.unwrap();
    assert_eq!(shown.as_deref(), Some(value), "what the {name} input holds");
}

/// Clicks the submit button and waits for the next page's `marker`.
async fn submit(browser: &Browser, marker: &str) {
    browser
        .find(Locator::Id("submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    appears(browser, marker).await;
}

/// Waits until an element matching the CSS `selector` is on the page. While
/// the browser is between pages, WebDriver answers a lookup with errors such
/// as "aborted by navigation" or "no such element"; both mean "not yet", so
/// the lookup is repeated until [`STEP`] runs out, and the last error is
/// reported then.
async fn appears(browser: &Browser, selector: &str) {
    let deadline = tokio::time::Instant::now() + STEP;
    loop {
        match browser.find(Locator::Css(selector)).await {
            Ok(_) => return,
            Err(error) if tokio::time::Instant::now() >= deadline => {
                panic!("{selector} did not appear within {STEP:?}: {error}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// What the person does in the browser; returns the final page's status.
async fn person_completes_the_page(browser: &Browser, url: &str, title: &str) -> String {
    browser.goto(url).await.unwrap();
    appears(browser, "#journey-form").await;
    assert_eq!(browser.title().await.unwrap(), title);
    let steps = browser.find(Locator::Css("ol.steps")).await.unwrap();
    let steps = steps.text().await.unwrap();
    for step in ["Personal details", "Address", "Review"] {
        assert!(steps.contains(step), "step {step} in {steps:?}");
    }
    screenshot(browser, "hosted-page.png").await;

    // Everything but the postcode: the page must say what is missing.
    for (name, value) in ANSWERS.iter().filter(|(name, _)| *name != "postalCode") {
        type_into(browser, name, value).await;
    }
    submit(browser, "#errors").await;
    let summary = browser.find(Locator::Id("errors")).await.unwrap();
    assert!(
        summary
            .text()
            .await
            .unwrap()
            .contains("Enter your postcode.")
    );
    screenshot(browser, "hosted-page-error.png").await;

    // The values typed are kept; the person adds the postcode and sends it.
    let kept = browser.find(Locator::Id("firstName")).await.unwrap();
    assert_eq!(kept.prop("value").await.unwrap().as_deref(), Some("Jane"));
    let postcode = ANSWERS
        .iter()
        .find(|(name, _)| *name == "postalCode")
        .unwrap();
    type_into(browser, postcode.0, postcode.1).await;
    submit(browser, "#outcome").await;
    screenshot(browser, "hosted-page-done.png").await;
    let outcome = browser.find(Locator::Id("outcome")).await.unwrap();
    outcome
        .attr("data-status")
        .await
        .unwrap()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_completes_the_hosted_page_in_headless_chromium() {
    let simulator = support::simulator().await;
    let mut client = support::client(&simulator).await;
    let started = support::start_hosted(&mut client, simulator.resource_id()).await;
    let url = started.instance_url.expect("a hosted URL");
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "an absolute URL: {url}"
    );

    let folder = artifacts();
    let profile = tempfile::tempdir().unwrap();
    let driver = Chromedriver::start(&folder.join("chromedriver.log"));
    driver.ready().await;
    let browser = open_browser(&driver, profile.path()).await;
    let shown = tokio::time::timeout(
        WHOLE_TEST,
        person_completes_the_page(&browser, &url, "Identity check (accept)"),
    )
    .await;
    // Close the session even when the steps failed; the driver's process
    // group is killed on drop either way.
    let _ = browser.close().await;
    drop(driver);
    let shown = shown.expect("the browser steps finished in time");
    assert_eq!(shown, "Completed");

    let state = support::ended(&mut client, &started.instance_id, 100).await;
    assert_eq!(state.status, JourneyStatus::Completed);
    let document: Value = serde_json::from_str(&state.document).unwrap();
    assert_eq!(document["context"]["result"]["outcome"], "Decision: Accept");
    let identity = &document["context"]["subject"]["identity"];
    assert_eq!(identity["firstName"], "Jane");
    assert_eq!(identity["dateOfBirth"], "1992-10-01");
    assert_eq!(identity["currentAddress"]["postalCode"], "SW1A 1AA");

    // The browser, not a script, sent the form: two form-encoded POSTs.
    let posts: Vec<(Option<u16>, Option<String>)> = simulator
        .request_log()
        .iter()
        .filter(|r| r.method == "POST" && r.path.starts_with("/journey/"))
        .map(|r| (r.status, r.header("user-agent").map(str::to_owned)))
        .collect();
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0].0, Some(422));
    assert_eq!(posts[1].0, Some(200));
    assert!(
        posts[1]
            .1
            .as_deref()
            .is_some_and(|ua| ua.contains("Chrome")),
        "{posts:?}"
    );
}
