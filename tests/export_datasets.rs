#![allow(clippy::unwrap_used)]
//! `llmmon export`: redaction leaves no email, card number or secret; the chat format
//! validates against its documented shape; annotations survive a restart and ride along.

use assert_cmd::Command;
use llmmon::annotations::Annotations;
use llmmon::export::validate_chat_line;
use std::io::Write;

const EMAIL: &str = "jane.doe@example.com";
const CARD: &str = "4111 1111 1111 1111";
const SECRET: &str = "sk-live-9fQ2xT7mB4nR8vK1pZ3w";
const AWS: &str = "AKIAIOSFODNN7EXAMPLE";

fn log(dir: &tempfile::TempDir) -> String {
    let p = dir.path().join("app.jsonl");
    let mut f = std::fs::File::create(&p).unwrap();
    let base = 1_795_687_200;
    let lines = [
        format!(
            r#"{{"type":"call","id":"a1","ts":{},"conversation_id":"conv-a","model":"gpt-4o","system_prompt":"Support bot. Escalate to {EMAIL}.","messages":[{{"role":"user","content":"My card is {CARD}, refund please"}}],"output":"Refund sent to {EMAIL}.","metadata":{{"api_key":"{SECRET}"}}}}"#,
            base
        ),
        format!(
            r#"{{"type":"call","id":"a2","ts":{},"conversation_id":"conv-a","model":"gpt-4o","system_prompt":"Support bot. Escalate to {EMAIL}.","messages":[{{"role":"user","content":"My card is {CARD}, refund please"}},{{"role":"assistant","content":"Refund sent to {EMAIL}."}},{{"role":"user","content":"use key {SECRET} and {AWS}"}}],"output":"Done.","tool_calls":[{{"name":"charge","arguments":"{{\"card\":\"{CARD}\"}}"}}]}}"#,
            base + 5
        ),
        format!(
            r#"{{"type":"call","id":"b1","ts":{},"conversation_id":"conv-b","model":"gpt-4o-mini","messages":[{{"role":"user","content":"hello"}}],"output":"Hi! How can I help?"}}"#,
            base + 9
        ),
        format!(
            r#"{{"type":"call","id":"c1","ts":{},"conversation_id":"conv-c","model":"gpt-4o-mini","messages":[{{"role":"user","content":"ping"}}],"status":"error","error_message":"timeout"}}"#,
            base + 12
        ),
    ];
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
    p.display().to_string()
}

fn export(dir: &tempfile::TempDir, args: &[&str]) -> assert_cmd::assert::Assert {
    let cfg = dir.path().join("empty.toml");
    std::fs::write(&cfg, "").unwrap();
    Command::cargo_bin("llmmon")
        .unwrap()
        .env("LLMMON_ANNOTATIONS", dir.path().join("ann.jsonl"))
        .arg("export")
        .arg("--config")
        .arg(&cfg)
        .args(args)
        .assert()
}

fn assert_clean(text: &str) {
    for leaked in [EMAIL, CARD, "4111111111111111", SECRET, AWS, "jane.doe"] {
        assert!(!text.contains(leaked), "{leaked} leaked:\n{text}");
    }
}

#[test]
fn redacted_exports_leak_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let src = log(&dir);
    for format in ["chat", "raw"] {
        let out = dir.path().join(format!("out.{format}.jsonl"));
        let report = dir.path().join(format!("incident.{format}.md"));
        export(
            &dir,
            &[
                &src,
                "--filter",
                "model:gpt-4o*",
                "--format",
                format,
                "--redact",
                "-o",
                out.to_str().unwrap(),
                "--incident-report",
                report.to_str().unwrap(),
            ],
        )
        .success();
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(
            text.contains("[EMAIL]") && text.contains("[CARD]"),
            "{text}"
        );
        assert_clean(&text);
        let md = std::fs::read_to_string(&report).unwrap();
        assert!(md.starts_with("# llmmon incident report"), "{md}");
        assert!(md.contains("## Top conversations by cost"));
        assert_clean(&md);
    }
    // Without --redact the text is there (the test input really holds it).
    let out = dir.path().join("plain.jsonl");
    export(
        &dir,
        &[
            &src,
            "--filter",
            "model:gpt-4o",
            "-o",
            out.to_str().unwrap(),
        ],
    )
    .success();
    assert!(std::fs::read_to_string(&out).unwrap().contains(EMAIL));
}

#[test]
fn chat_lines_have_the_documented_shape() {
    let dir = tempfile::tempdir().unwrap();
    let src = log(&dir);
    let out = dir.path().join("chat.jsonl");
    export(
        &dir,
        &[
            &src,
            "--filter",
            "model:gpt-4o*",
            "-o",
            out.to_str().unwrap(),
        ],
    )
    .success()
    .stderr(predicates::str::contains("1 without an answer skipped"));
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    for l in &lines {
        validate_chat_line(l).unwrap();
    }
    let a: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    let roles: Vec<&str> = a["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    // Turn two repeats turn one's history: it is not duplicated.
    assert_eq!(roles, ["system", "user", "assistant", "user", "assistant"]);
    assert_eq!(a["metadata"]["conversation"], "conv-a");
    assert_eq!(a["metadata"]["calls"], serde_json::json!(["a1", "a2"]));
    for bad in [
        r#"{"messages":[]}"#,
        r#"{"messages":[{"role":"user","content":"x"}]}"#,
        r#"{"messages":[{"role":"tool","content":"x"},{"role":"assistant","content":"y"}]}"#,
        r#"{"messages":[{"role":"user","content":"x","weight":0},{"role":"assistant","content":"y"}]}"#,
        r#"{"messages":[{"role":"assistant","content":"y"}],"extra":1}"#,
    ] {
        assert!(validate_chat_line(bad).is_err(), "{bad}");
    }
}

#[test]
fn annotations_survive_a_restart_and_drive_marked_exports() {
    let dir = tempfile::tempdir().unwrap();
    let src = log(&dir);
    let path = dir.path().join("ann.jsonl");
    {
        let mut ann = Annotations::open(&path).unwrap();
        ann.label(
            Some("b1"),
            Some("conv-b"),
            "hallucination",
            Some("made up a greeting"),
        )
        .unwrap();
        assert!(ann.toggle_mark("conv-a", Some("a1")).unwrap());
    }
    let again = Annotations::open(&path).unwrap();
    assert_eq!(again.all().len(), 2);
    assert!(again.is_marked("conv-a", None));
    assert_eq!(
        again.for_call("b1").next().unwrap().label.as_deref(),
        Some("hallucination")
    );

    let out = dir.path().join("marked.jsonl");
    export(&dir, &[&src, "--marked", "-o", out.to_str().unwrap()]).success();
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| {
            validate_chat_line(l).unwrap();
            serde_json::from_str(l).unwrap()
        })
        .collect();
    let convs: Vec<&str> = lines
        .iter()
        .map(|v| v["metadata"]["conversation"].as_str().unwrap())
        .collect();
    assert_eq!(convs, ["conv-a", "conv-b"]);
    let b = &lines[1];
    assert_eq!(
        b["messages"][1]["weight"], 0,
        "a hallucination is not learned from"
    );
    assert_eq!(
        b["metadata"]["annotations"][0]["note"],
        "made up a greeting"
    );

    let raw = dir.path().join("marked.raw.jsonl");
    export(
        &dir,
        &[
            &src,
            "--marked",
            "--format",
            "raw",
            "-o",
            raw.to_str().unwrap(),
        ],
    )
    .success();
    let text = std::fs::read_to_string(&raw).unwrap();
    assert!(text.contains("llmmon_annotations"), "{text}");
}

/// `--reviewed`: one line per labelled call with input, output, the label and note and the
/// judge's verdicts; the label in effect is the latest; kappa per criterion on stderr.
#[test]
fn reviewed_export_writes_labelled_calls_with_judge_verdicts_and_agreement() {
    let dir = tempfile::tempdir().unwrap();
    let src = log(&dir);
    // Judge verdicts: a score carried by b1, and a judge's feedback record on a2.
    let mut f = std::fs::OpenOptions::new().append(true).open(&src).unwrap();
    writeln!(
        f,
        r#"{{"type":"call","id":"d1","ts":1795687215,"conversation_id":"conv-d","model":"gpt-4o","messages":[{{"role":"user","content":"fare?"}}],"output":"90 EUR","context":["Fares from 90 EUR."],"scores":{{"groundedness":0.95}}}}"#
    )
    .unwrap();
    writeln!(
        f,
        r#"{{"type":"feedback","call_id":"a2","ts":1795687216,"kind":"score","value":0.1,"name":"judge.groundedness","judge":"gpt-4o-mini","comment":"nothing was done"}}"#
    )
    .unwrap();
    drop(f);
    {
        let mut ann = Annotations::open(&dir.path().join("ann.jsonl")).unwrap();
        ann.label(Some("a2"), Some("conv-a"), "good", None).unwrap();
        ann.label(
            Some("a2"),
            Some("conv-a"),
            "hallucination",
            Some("claims it is done"),
        )
        .unwrap();
        ann.label(Some("d1"), Some("conv-d"), "good", None).unwrap();
        ann.label(Some("b1"), Some("conv-b"), "unsafe", None)
            .unwrap();
        assert!(ann.toggle_mark("conv-c", Some("c1")).unwrap());
    }
    let out = dir.path().join("eval.jsonl");
    let assert = export(&dir, &[&src, "--reviewed", "-o", out.to_str().unwrap()]).success();
    let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        err.contains("wrote 3 reviewed calls") && err.contains("2 with a judge verdict"),
        "{err}"
    );
    assert!(
        err.contains("judge/human agreement (Cohen's kappa): groundedness κ 1.00 (2/2 agree)"),
        "{err}"
    );
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ids: Vec<&str> = rows
        .iter()
        .map(|r| r["call_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a2", "b1", "d1"], "a mark is no review");
    assert_eq!(rows[0]["label"], "hallucination");
    assert_eq!(rows[0]["note"], "claims it is done");
    assert_eq!(
        rows[0]["input"]["system"],
        format!("Support bot. Escalate to {EMAIL}.")
    );
    assert_eq!(rows[0]["output"], "Done.");
    assert_eq!(rows[0]["judge"][0]["reason"], "nothing was done");
    assert_eq!(rows[0]["judge"][0]["pass"], false);
    assert!(rows[1].get("judge").is_none(), "{}", rows[1]);
    assert_eq!(rows[2]["context"][0], "Fares from 90 EUR.");
    // --redact masks the texts of the dataset too.
    let red = dir.path().join("eval.redacted.jsonl");
    export(
        &dir,
        &[&src, "--reviewed", "--redact", "-o", red.to_str().unwrap()],
    )
    .success();
    assert_clean(&std::fs::read_to_string(&red).unwrap());
    // --reviewed writes its own shape: --format does not apply.
    export(
        &dir,
        &[&src, "--reviewed", "--format", "raw", "-o", "x.jsonl"],
    )
    .failure()
    .stderr(predicates::str::contains("cannot be used with"));
}

#[test]
fn export_usage_errors_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let src = log(&dir);
    export(&dir, &[&src, "--flagged"])
        .failure()
        .stderr(predicates::str::contains("-o FILE"));
    export(&dir, &[&src, "--flagged", "--marked", "-o", "x"]).failure();
    export(&dir, &[&src, "--filter", "colour:red", "-o", "x"])
        .failure()
        .stderr(predicates::str::contains("--filter"));
}

/// The incident report's cost cells: an unpriced conversation is `?`, never `$0` or the
/// `$-0.0000` an empty float sum printed; a priced one is dollars.
#[test]
fn incident_report_marks_unknown_cost_and_never_prints_negative_zero() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("unpriced.jsonl");
    let base = 1_795_687_200;
    std::fs::write(
        &p,
        format!(
            "{}\n{}\n",
            format_args!(
                r#"{{"type":"call","id":"u1","ts":{base},"conversation_id":"conv-u","model":"house-model-7","messages":[{{"role":"user","content":"hi"}}],"output":"hello","latency_ms":900}}"#
            ),
            format_args!(
                r#"{{"type":"call","id":"p1","ts":{},"conversation_id":"conv-p","model":"gpt-4o","tokens":{{"input":1000,"output":500}},"messages":[{{"role":"user","content":"hi"}}],"output":"hello","latency_ms":1200}}"#,
                base + 5
            ),
        ),
    )
    .unwrap();
    let report = dir.path().join("incident.md");
    export(
        &dir,
        &[
            p.to_str().unwrap(),
            "--incident-report",
            report.to_str().unwrap(),
        ],
    )
    .success();
    let md = std::fs::read_to_string(&report).unwrap();
    assert!(!md.contains("$-"), "{md}");
    let row = |conv: &str| {
        md.lines()
            .find(|l| l.starts_with(&format!("| {conv} ")))
            .unwrap_or_else(|| panic!("no row for {conv}:\n{md}"))
            .to_string()
    };
    assert!(row("conv-u").contains("| ? (unpriced) |"), "{md}");
    assert!(row("conv-p").contains("| $0.0"), "{md}");
}

#[test]
fn headless_filter_on_label_reads_the_review_labels() {
    let dir = tempfile::tempdir().unwrap();
    let src = log(&dir);
    {
        let mut ann = Annotations::open(&dir.path().join("ann.jsonl")).unwrap();
        ann.label(Some("b1"), Some("conv-b"), "bad", None).unwrap();
        ann.label(None, Some("conv-a"), "escalate", None).unwrap();
    }
    let cfg = dir.path().join("empty.toml");
    std::fs::write(&cfg, "").unwrap();
    let calls = |filter: &str| -> u64 {
        let out = Command::cargo_bin("llmmon")
            .unwrap()
            .env("LLMMON_ANNOTATIONS", dir.path().join("ann.jsonl"))
            .args(["report", "--json", "--config"])
            .arg(&cfg)
            .arg(&src)
            .arg(format!("--filter={filter}"))
            .assert()
            .success();
        let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        v["calls"].as_u64().unwrap()
    };
    assert_eq!(calls("label:bad"), 1, "only b1 carries the label");
    assert_eq!(
        calls("label:escalate"),
        2,
        "a conversation label covers its calls"
    );
    assert_eq!(calls("has:label"), 3);
    assert_eq!(calls("-has:label"), 1, "c1 alone is unlabelled");
    assert_eq!(calls("label:nothing-like-this"), 0);
}
