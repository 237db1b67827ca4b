//! Notifications sent by the real binary to a real HTTP server on 127.0.0.1: `check` on a
//! generated incident POSTs every alert and budget that fired, signed, each with its drill
//! (query, window and a `report` command line that runs) and, when firing, its "why"; `--no-notify` sends
//! nothing; `[alerting] command` gets the same JSON on stdin; a hanging, refusing or
//! redirecting webhook does not hold `check` past its bound and is counted. From the TUI
//! (tmux; SKIPPED without it unless LLMMON_REQUIRE_TMUX=1), `demo` POSTs the alert that
//! fires, a hanging webhook neither freezes the screen nor delays quitting, and the bell
//! rings on firing only with `[tui] bell = true`.
#![allow(clippy::unwrap_used)]

mod http_support;

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SECRET: &str = "test-secret";

fn bin() -> String {
    // CI builds the release binary once and names it in LLMMON_BIN.
    std::env::var("LLMMON_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_llmmon").into())
}

/// How the test server answers.
#[derive(Clone, Copy)]
enum Mode {
    Ok,
    /// Reads the request and never answers.
    Hang,
    /// `302 Found` to another place.
    Redirect,
}

/// One request as received.
type Req = http_support::Request;

/// A webhook receiver on an ephemeral port collecting every request.
struct Server {
    port: u16,
    got: Arc<Mutex<Vec<Req>>>,
}

impl Server {
    fn start(mode: Mode) -> Server {
        let got = Arc::new(Mutex::new(Vec::new()));
        let sink = got.clone();
        let port = http_support::serve(move |req, stream| {
            sink.lock().unwrap().push(req);
            answer(stream, mode);
        });
        Server { port, got }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    fn requests(&self) -> Vec<Req> {
        self.got.lock().unwrap().clone()
    }

    /// Waits up to `limit` for at least `n` requests.
    fn wait_for(&self, n: usize, limit: Duration) -> Vec<Req> {
        let start = Instant::now();
        while self.requests().len() < n && start.elapsed() < limit {
            std::thread::sleep(Duration::from_millis(50));
        }
        self.requests()
    }
}

fn answer(mut s: TcpStream, mode: Mode) {
    match mode {
        Mode::Ok => {
            let _ =
                s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
        Mode::Redirect => {
            let _ = s.write_all(
                b"HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:9/elsewhere\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
        }
        Mode::Hang => {
            // Hold the connection open and silent until the client gives up.
            let mut buf = [0u8; 64];
            while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
        }
    }
}

fn hmac_hex(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

/// A generated incident log (`llmmon gen --scenario incident`).
fn incident(dir: &Path) -> PathBuf {
    let out = Command::new(bin())
        .args(["gen", "--scenario", "incident", "--records", "3000"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let path = dir.join("incident.jsonl");
    std::fs::write(&path, out.stdout).unwrap();
    path
}

/// Rules that fire on the generated incident: a 1-minute p95 rule, a per-user budget (an
/// instance with a group) and the default "secrets in traffic" rule.
fn config(dir: &Path, alerting: &str) -> PathBuf {
    let path = dir.join("llmmon.toml");
    std::fs::write(
        &path,
        format!(
            "[alerting]\ndefault_rules = false\nwebhook_secret = \"{SECRET}\"\n{alerting}\n\n\
             [[alerts]]\nname = \"p95 1m\"\nmetric = \"latency.p95\"\nwindow = \"1m\"\nwarn = \"3s\"\n\n\
             [[alerts]]\nname = \"secret\"\nmetric = \"flags.secret\"\nwindow = \"1h\"\nwarn = 0\n\n\
             [budgets]\nper_user = 0.5\n"
        ),
    )
    .unwrap();
    path
}

fn check(cfg: &Path, log: &Path, extra: &[&str]) -> Output {
    Command::new(bin())
        .arg("--config")
        .arg(cfg)
        .arg("check")
        .arg(log)
        .args(extra)
        .env_remove("LLMMON_WEBHOOK_SECRET")
        .output()
        .unwrap()
}

/// `(rule, level, time)` of each transition to firing in `check --json`.
fn fired(out: &Output) -> Vec<(String, String, String)> {
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["fired"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["rule"].as_str().unwrap().to_string(),
                t["level"].as_str().unwrap().to_string(),
                t["at"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The numbers of `llmmon: notifications: A sent · B failed · C dropped` on stderr.
fn counts(out: &Output) -> (u64, u64, u64) {
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err
        .lines()
        .find(|l| l.starts_with("llmmon: notifications: "))
        .unwrap_or_else(|| panic!("no notification summary on stderr: {err}"));
    let n: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    (n[0], n[1], n[2])
}

#[test]
fn check_posts_every_fired_alert_signed() {
    let dir = tempfile::tempdir().unwrap();
    let log = incident(dir.path());
    let server = Server::start(Mode::Ok);
    let cfg = config(dir.path(), &format!("webhook = \"{}\"", server.url()));
    let out = check(&cfg, &log, &["--json"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let want = fired(&out);
    assert!(
        want.len() >= 3,
        "the incident fires rules and a budget: {want:?}"
    );
    // check waited for delivery: everything is there the moment it exits.
    let got = server.requests();
    assert_eq!(counts(&out), (got.len() as u64, 0, 0), "{out:?}");
    let mut posted = Vec::new();
    for r in &got {
        assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/hook"));
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(
            r.header("x-llmmon-signature"),
            Some(hmac_hex(&r.body).as_str()),
            "bad signature"
        );
        let j = r.json();
        assert_eq!(j["source"], "llmmon");
        for key in [
            "rule",
            "level",
            "value",
            "threshold",
            "window",
            "time",
            "filter",
            "open",
        ] {
            assert!(j.get(key).is_some(), "{key} missing from {j}");
        }
        let open = j["open"].as_str().unwrap();
        assert!(
            open.starts_with("llmmon --config ")
                && open.ends_with(&format!(" check {}", log.display())),
            "{open}"
        );
        let drill = &j["drill"];
        for key in ["query", "from", "to", "command"] {
            assert!(drill[key].is_string(), "drill.{key} missing from {j}");
        }
        if j["status"] == "firing" && j["renotify"] == false {
            let why = &j["why"];
            assert!(why["bad"].as_u64().unwrap() > 0, "why missing from {j}");
            assert!(why["items"].as_array().unwrap().len() <= 3, "{j}");
            posted.push((
                j["rule"].as_str().unwrap().to_string(),
                j["level"].as_str().unwrap().to_string(),
                j["time"].as_str().unwrap().to_string(),
            ));
        } else {
            assert_eq!(j["status"], "resolved", "{j}");
        }
    }
    assert_eq!(posted, want, "one POST per alert that fired, in order");
    let budget = got
        .iter()
        .map(Req::json)
        .find(|j| j["rule"].as_str().unwrap().starts_with("budget.user:"))
        .expect("the per-user budget is notified");
    assert!(
        budget["group"].as_str().unwrap().starts_with("user="),
        "{budget}"
    );
    assert_eq!(budget["window"], "24h");
    let p95 = got
        .iter()
        .map(Req::json)
        .find(|j| j["rule"] == "p95 1m")
        .unwrap();
    assert_eq!(
        (p95["threshold"].as_f64(), p95["window_seconds"].as_f64()),
        (Some(3000.0), Some(60.0))
    );
    assert!(p95["value"].as_f64().unwrap() > 3000.0);
    assert!(p95.get("group").is_none());
    assert_eq!(p95["drill"]["query"], "latency>3000ms");
    // The drill command really runs, and summarises exactly the bad calls "why" ranked.
    let command = p95["drill"]["command"].as_str().unwrap();
    let rest = command.strip_prefix("llmmon ").unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("'{}' {rest} --json -q", bin()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{command}: {out:?}");
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["calls"], p95["why"]["bad"], "{command}");
    assert!(summary["latency_ms"]["p50"].as_f64().unwrap() > 3000.0);
}

#[test]
fn no_notify_posts_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let log = incident(dir.path());
    let server = Server::start(Mode::Ok);
    let cfg = config(dir.path(), &format!("webhook = \"{}\"", server.url()));
    let out = check(&cfg, &log, &["--no-notify"]);
    assert_eq!(out.status.code(), Some(2));
    std::thread::sleep(Duration::from_millis(500));
    assert!(server.requests().is_empty(), "{:?}", server.requests());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("notifications"));
}

#[test]
fn command_gets_the_json_on_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let log = incident(dir.path());
    let got = dir.path().join("got.jsonl");
    let cmd = format!("cat >> '{}'; echo >> '{}'", got.display(), got.display());
    let cfg = config(dir.path(), &format!("command = {}", toml_string(&cmd)));
    let out = check(&cfg, &log, &["--json"]);
    assert_eq!(out.status.code(), Some(2));
    let want = fired(&out);
    let text = std::fs::read_to_string(&got).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let rules: Vec<&str> = lines.iter().map(|j| j["rule"].as_str().unwrap()).collect();
    let want_rules: Vec<&str> = want.iter().map(|w| w.0.as_str()).collect();
    assert_eq!(rules, want_rules, "{text}");
    assert!(lines
        .iter()
        .all(|j| j["source"] == "llmmon" && j["time"].is_string()));
}

fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Wall time of `check` with notifications off, to measure what notifying adds.
fn baseline(cfg: &Path, log: &Path) -> Duration {
    let start = Instant::now();
    check(cfg, log, &["--no-notify"]);
    start.elapsed()
}

#[test]
fn a_hanging_webhook_holds_check_only_to_its_bound() {
    let dir = tempfile::tempdir().unwrap();
    let log = incident(dir.path());
    let server = Server::start(Mode::Hang);
    // Worst case of one notification: 1 s + 0.5 s backoff + 1 s = 2.5 s.
    let cfg = config(
        dir.path(),
        &format!(
            "webhook = \"{}\"\nwebhook_timeout = \"1s\"\nwebhook_retries = 2",
            server.url()
        ),
    );
    let base = baseline(&cfg, &log);
    let start = Instant::now();
    let out = check(&cfg, &log, &["--json"]);
    let took = start.elapsed();
    let n = fired(&out).len() as u64;
    assert_eq!(out.status.code(), Some(2));
    // Sequential delivery without the bound would take 3 × 2.5 s.
    assert!(
        took < base + Duration::from_secs(5),
        "check took {took:?} (reading alone {base:?})"
    );
    let (sent, failed, dropped) = counts(&out);
    assert_eq!(sent, 0);
    assert!(n >= 3);
    assert_eq!(failed + dropped, n, "each notification counted once");
    assert!(!server.requests().is_empty(), "the webhook was tried");
}

#[test]
fn refused_and_redirected_webhooks_are_counted_as_failed() {
    let dir = tempfile::tempdir().unwrap();
    let log = incident(dir.path());
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cfg = config(
        dir.path(),
        &format!(
            "webhook = \"http://127.0.0.1:{closed}/hook\"\nwebhook_timeout = \"1s\"\nwebhook_retries = 2"
        ),
    );
    let out = check(&cfg, &log, &["--json"]);
    let n = fired(&out).len() as u64;
    assert_eq!(
        counts(&out),
        (0, n, 0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("last error: webhook:"));

    let server = Server::start(Mode::Redirect);
    let cfg = config(
        dir.path(),
        &format!("webhook = \"{}\"\nwebhook_retries = 3", server.url()),
    );
    let out = check(&cfg, &log, &[]);
    assert_eq!(counts(&out), (0, n, 0));
    // A redirect is final: one attempt per notification, never followed.
    assert_eq!(server.requests().len() as u64, n);
    assert!(String::from_utf8_lossy(&out.stderr).contains("webhook answered 302"));
}

/// A detached 160×48 tmux session on a server of its own; `None` (after saying SKIPPED)
/// without tmux, unless LLMMON_REQUIRE_TMUX=1 makes that a failure.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(name: &str) -> Option<Tmux> {
        let ok = Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            assert!(
                !std::env::var("LLMMON_REQUIRE_TMUX").is_ok_and(|v| v == "1"),
                "tmux is required (LLMMON_REQUIRE_TMUX=1) but not installed"
            );
            println!(
                "SKIPPED: tmux not installed (set LLMMON_REQUIRE_TMUX=1 to make this a failure)"
            );
            return None;
        }
        let t = Tmux {
            socket: format!("{name}-{}", std::process::id()),
        };
        let out = t.run(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            "160",
            "-y",
            "48",
            "-s",
            "t",
            "sh",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(t)
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap()
    }

    fn capture(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.run(&["send-keys", "-t", "t", k]);
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    fn literal(&self, text: &str) {
        self.run(&["send-keys", "-t", "t", "-l", text]);
        std::thread::sleep(Duration::from_millis(200));
    }

    fn wait_for(&self, needle: &str, limit: Duration) -> String {
        let start = Instant::now();
        loop {
            let s = self.capture();
            if s.contains(needle) {
                return s;
            }
            assert!(
                start.elapsed() < limit,
                "timed out waiting for {needle:?}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

/// None of the default rules fires early on the demo (issue 12), so the TUI tests use a
/// rule that does: any traffic at all, evaluated every 10 s of event time.
fn tui_config(dir: &Path, alerting: &str) -> PathBuf {
    let path = dir.join("tui.toml");
    std::fs::write(
        &path,
        format!(
            "[alerting]\ndefault_rules = false\nwebhook_secret = \"{SECRET}\"\n{alerting}\n\n\
             [[alerts]]\nname = \"traffic\"\nmetric = \"calls_per_min\"\nwindow = \"1m\"\nwarn = 1\n"
        ),
    )
    .unwrap();
    path
}

/// The `records N` count in the header.
fn records(screen: &str) -> u64 {
    screen
        .split("records ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn demo_in_tmux_posts_the_alert_that_fires() {
    let Some(tmux) = Tmux::start("llmmon-notify") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(Mode::Ok);
    let cfg = tui_config(dir.path(), &format!("webhook = \"{}\"", server.url()));
    tmux.literal(&format!(
        "{} --config {} demo --speed 8",
        bin(),
        cfg.display()
    ));
    tmux.keys(&["Enter"]);
    tmux.wait_for("1:Overview", Duration::from_secs(15));
    let got = server.wait_for(1, Duration::from_secs(20));
    assert!(
        !got.is_empty(),
        "no POST from the TUI; screen:\n{}",
        tmux.capture()
    );
    let r = &got[0];
    assert_eq!(
        r.header("x-llmmon-signature"),
        Some(hmac_hex(&r.body).as_str())
    );
    let j = r.json();
    assert_eq!(
        (j["rule"].as_str(), j["status"].as_str()),
        (Some("traffic"), Some("firing"))
    );
    assert!(
        j["open"]
            .as_str()
            .unwrap()
            .ends_with("demo --seed 7 --speed 8 --scenario incident"),
        "{j}"
    );
    // The TUI's POST carries "why" too, ranked as the alert fired; the demo cannot be read
    // again, so its drill has no command line.
    assert!(j["why"]["bad"].as_u64().unwrap() > 0, "{j}");
    assert!(j["drill"]["query"].is_string(), "{j}");
    assert!(j["drill"].get("command").is_none(), "{j}");
    tmux.keys(&["6"]);
    tmux.wait_for(
        "notify 1 sent · 0 failed · 0 dropped",
        Duration::from_secs(10),
    );
    tmux.keys(&["q"]);
}

#[test]
fn a_hanging_webhook_does_not_freeze_the_tui() {
    let Some(tmux) = Tmux::start("llmmon-notify-hang") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(Mode::Hang);
    let cfg = tui_config(
        dir.path(),
        &format!(
            "webhook = \"{}\"\nwebhook_timeout = \"1s\"\nwebhook_retries = 2",
            server.url()
        ),
    );
    tmux.literal(&format!(
        "{} --config {} demo --speed 8",
        bin(),
        cfg.display()
    ));
    tmux.keys(&["Enter"]);
    tmux.wait_for("1:Overview", Duration::from_secs(15));
    assert!(!server.wait_for(1, Duration::from_secs(20)).is_empty());
    // The webhook holds its connection; ingest and drawing go on meanwhile.
    let before = records(&tmux.capture());
    std::thread::sleep(Duration::from_millis(1500));
    let after = records(&tmux.capture());
    assert!(after > before, "records stopped at {before} -> {after}");
    tmux.keys(&["6"]);
    tmux.wait_for("notify 0 sent · 1 failed", Duration::from_secs(10));
    // Quitting waits at most 2 s for the queue, not for the webhook.
    let start = Instant::now();
    tmux.keys(&["q"]);
    tmux.literal("echo quit-marker");
    tmux.keys(&["Enter"]);
    tmux.wait_for("\nquit-marker", Duration::from_secs(6));
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "quit took {:?}",
        start.elapsed()
    );
}

/// The tmux window's bell flag.
fn bell_flag(tmux: &Tmux) -> String {
    let out = tmux.run(&["display-message", "-p", "-t", "t", "#{window_bell_flag}"]);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn the_bell_rings_when_an_alert_fires_only_if_asked() {
    for (bell, want) in [(false, "0"), (true, "1")] {
        let Some(tmux) = Tmux::start(&format!("llmmon-bell-{bell}")) else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let cfg = tui_config(dir.path(), "");
        let mut text = std::fs::read_to_string(&cfg).unwrap();
        text.insert_str(0, &format!("[tui]\nbell = {bell}\n\n"));
        std::fs::write(&cfg, text).unwrap();
        tmux.literal(&format!(
            "{} --config {} demo --speed 8",
            bin(),
            cfg.display()
        ));
        tmux.keys(&["Enter"]);
        // The banner shows once the rule fires; the bell goes out in the same turn.
        tmux.wait_for("WARN traffic", Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(bell_flag(&tmux), want, "bell = {bell}");
        tmux.keys(&["q"]);
    }
}
