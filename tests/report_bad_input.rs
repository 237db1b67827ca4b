//! Bad input through the whole binary: every rejection reason is counted by `report`, the
//! first few are shown with their line numbers, good lines around them are kept, and
//! unreadable sources give a one-line error and a non-zero exit.
#![allow(clippy::unwrap_used)]

use assert_cmd::Command;
use serde_json::Value;
use std::io::Write;

fn llmmon() -> Command {
    Command::cargo_bin("llmmon").unwrap()
}

const GOOD: &str = r#"{"type":"call","id":"ok-1","ts":"2026-11-26T10:00:00Z","model":"gpt-4o","latency_ms":1200,"tokens":{"input":100,"output":20}}"#;

fn bad_file() -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    let mut body: Vec<u8> = Vec::new();
    body.extend_from_slice(GOOD.as_bytes());
    body.push(b'\n');
    body.extend_from_slice(b"this is not json\n");
    body.extend_from_slice(b"{\"hello\": \"world\"}\n");
    body.extend_from_slice(b"[1, 2, 3]\n");
    body.extend_from_slice(b"{\"type\":\"feedback\",\"kind\":\"thumbs_up\"}\n");
    body.extend_from_slice(b"{\"type\":\"call\",\"id\":\"bad-utf8\",\"output\":\"\xff\xfe\"}\n");
    body.extend_from_slice(b"{\"truncated\": \n");
    body.extend_from_slice(&vec![b'x'; 2 * 1024 * 1024]);
    body.push(b'\n');
    body.extend_from_slice(GOOD.replace("ok-1", "ok-2").as_bytes());
    body.push(b'\n');
    f.write_all(&body).unwrap();
    f
}

#[test]
fn every_rejection_reason_is_counted_and_good_lines_survive() {
    let f = bad_file();
    let out = llmmon()
        .args(["report", "--json"])
        .arg(f.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["calls"], 2, "both good lines are kept");
    // Exact counts per reason: a line counted under the wrong reason fails here.
    // not_json: "this is not json" and the truncated object; unknown_shape: an object of no
    // known format and an array; missing_field: feedback without `call_id`.
    let rejected = &r["sources"][0]["rejected"];
    assert_eq!(
        rejected,
        &serde_json::json!({
            "not_json": 2,
            "unknown_shape": 2,
            "missing_field": 1,
            "invalid_utf8": 1,
            "oversize": 1,
        }),
    );
    assert_eq!(r["sources"][0]["lines"], 9);
}

#[test]
fn text_report_shows_the_first_rejections_with_line_numbers() {
    let f = bad_file();
    let out = llmmon().arg("report").arg(f.path()).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let name = f.path().display().to_string();
    assert!(text.contains(&format!("{name}:2: not_json")), "{text}");
    assert!(text.contains(&format!("{name}:3: unknown_shape")), "{text}");
    assert!(text.contains("more rejected lines"), "{text}");
}

#[test]
fn late_records_are_rejected_only_for_windows() {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    writeln!(f, "{}", GOOD.replace("10:00:00", "12:00:00")).unwrap();
    writeln!(f, "{GOOD}").unwrap();
    let since_start: Value = serde_json::from_slice(
        &llmmon()
            .args(["report", "--json"])
            .arg(f.path())
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(since_start["calls"], 2);
    let windowed: Value = serde_json::from_slice(
        &llmmon()
            .args(["report", "--json", "--window", "5m"])
            .arg(f.path())
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(windowed["calls"], 1);
    assert_eq!(windowed["sources"][0]["rejected"]["late"], 1);
}

#[test]
fn unreadable_path_is_one_line_and_non_zero() {
    let out = llmmon()
        .args(["report", "/nonexistent/llmmon/x.jsonl"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("/nonexistent/llmmon/x.jsonl") && err.contains("No such file"),
        "{err}"
    );
}

#[test]
fn refused_websocket_is_one_line_and_non_zero() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = llmmon()
        .args(["report", &format!("ws://127.0.0.1:{port}/feed")])
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("refused"), "{err}");
}

#[test]
fn stdin_is_a_source() {
    let out = llmmon()
        .args(["report", "--json", "-"])
        .write_stdin(format!("{GOOD}\n{}\n", GOOD.replace("ok-1", "ok-2")))
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["calls"], 2);
    assert_eq!(r["sources"][0]["kind"], "stdin");
}

#[test]
fn bad_source_and_bad_window_are_usage_errors() {
    let out = llmmon().args(["report", "gopher://x"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("gopher"));
    let out = llmmon()
        .args(["report", "--window", "soon", "x"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}
