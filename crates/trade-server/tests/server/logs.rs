//! The built `trade-server` binary logs one JSON object per line when asked
//! (`--log-format json` or `TRADE_LOG_FORMAT=json`), an error that stops it included,
//! and people's text by default. SIGTERM shuts it down gracefully.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The server binary, with nothing of the environment that would change its format.
fn trade_server(data_dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trade-server"));
    cmd.arg("--data-dir")
        .arg(data_dir)
        .env_remove("TRADE_LOG_FORMAT")
        .env_remove("TRADE_DATABASE_URL")
        .env_remove("TRADE_OPERATOR_PASSWORD")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// A log line: a JSON object with a timestamp, a level, a target and fields.
fn json_line(line: &str) -> Value {
    let event: Value = serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line:?}"));
    assert!(event["timestamp"].is_string(), "{line}");
    assert!(
        ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"].contains(&event["level"].as_str().unwrap()),
        "{line}"
    );
    assert!(event["target"].is_string(), "{line}");
    assert!(event["fields"].is_object(), "{line}");
    event
}

/// Waits (up to 30 s) for `child` to exit.
fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "trade-server did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Kills the child if the test fails before it exits.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_server_logs_json_lines_when_asked_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Reaped(
        trade_server(dir.path())
            .args(["--log-format", "json", "serve", "--listen", "127.0.0.1:0"])
            .spawn()
            .expect("start trade-server"),
    );
    let stdout = child.0.stdout.take().unwrap();
    let mut stderr = child.0.stderr.take().unwrap();
    let (lines_tx, lines) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = lines_tx.send(line);
        }
    });
    let mut seen = Vec::new();
    // Where it serves, from its own (JSON) announcement.
    let deadline = Instant::now() + Duration::from_secs(60);
    let url = loop {
        let line = lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the server announces where it serves");
        let event = json_line(&line);
        seen.push(event.clone());
        if event["fields"]["message"] == "serving" {
            break event["fields"]["url"].as_str().unwrap().to_owned();
        }
    };
    let client = trade_test_api::client(&trade_test_api::ca_in(dir.path()));
    let resp = client.get(format!("{url}/v1/health")).send().await.unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::OK);

    let pid = child.0.id().to_string();
    let signalled = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(signalled.success());
    let status = wait_exit(&mut child.0);
    assert!(status.success(), "a graceful exit on SIGTERM: {status}");
    reader.join().unwrap();
    seen.extend(lines.try_iter().map(|line| json_line(&line)));
    let mut errors = String::new();
    stderr.read_to_string(&mut errors).unwrap();
    for line in errors.lines() {
        json_line(line);
    }
    let messages: Vec<&str> = seen
        .iter()
        .filter_map(|e| e["fields"]["message"].as_str())
        .collect();
    for expected in [
        "trade server listening (HTTPS)",
        "serving",
        "shutting down",
        "stopped",
    ] {
        assert!(
            messages.contains(&expected),
            "{expected:?} not in {messages:?}"
        );
    }
    assert!(
        seen.iter()
            .any(|e| e["level"] == "INFO" && e["target"] == "trade_server::app"),
        "the library's events too"
    );
}

#[tokio::test]
async fn the_log_format_comes_from_the_environment_and_defaults_to_text() {
    let dir = tempfile::tempdir().unwrap();
    // A command that fails at once: creating an operator without its password.
    let attempt = |format: Option<&str>| {
        let mut cmd = trade_server(dir.path());
        cmd.args([
            "create-operator",
            "--email",
            "ops@example.com",
            "--name",
            "Ops",
        ]);
        if let Some(format) = format {
            cmd.env("TRADE_LOG_FORMAT", format);
        }
        cmd.output().expect("run trade-server")
    };

    let json = attempt(Some("json"));
    assert!(!json.status.success());
    let stdout = String::from_utf8(json.stdout).unwrap();
    let stderr = String::from_utf8(json.stderr).unwrap();
    let events: Vec<Value> = stdout
        .lines()
        .chain(stderr.lines())
        .map(json_line)
        .collect();
    let failure = events
        .iter()
        .find(|e| e["level"] == "ERROR")
        .unwrap_or_else(|| panic!("no ERROR line in {stdout}{stderr}"));
    assert!(
        failure["fields"]["error"]
            .as_str()
            .unwrap()
            .contains("TRADE_OPERATOR_PASSWORD"),
        "{failure}"
    );

    let text = attempt(None);
    assert!(!text.status.success());
    let stderr = String::from_utf8(text.stderr).unwrap();
    assert!(
        stderr.starts_with("Error: ") && stderr.contains("TRADE_OPERATOR_PASSWORD"),
        "people's text by default: {stderr}"
    );
    assert!(serde_json::from_str::<Value>(stderr.lines().next().unwrap()).is_err());
}
