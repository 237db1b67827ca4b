//! The OTLP receiver against the real OpenTelemetry Python SDK: `tests/otel_python/emit.py`
//! sends GenAI chat spans over OTLP/HTTP protobuf (gzip), OTLP/HTTP JSON and OTLP/gRPC to one
//! `llmmon report --otlp ... --otlp-grpc ...`, and llmmon's totals must equal what the SDK
//! says it exported. A second test checks the bearer token (`LLMMON_OTLP_TOKEN`).
//!
//! Needs a Python with the pinned SDK packages (`.ci/run` makes `target/otel-venv`), named in
//! `LLMMON_OTEL_PYTHON`. Without it the tests say SKIPPED and pass, unless
//! `LLMMON_REQUIRE_OTEL_PYTHON=1` (as in CI), which makes that a failure.
#![allow(clippy::unwrap_used)]

use serde_json::{json, Map, Value};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const EMIT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/otel_python/emit.py");
/// How long each llmmon listens; the emitters finish in a few seconds of it.
const LISTEN: &str = "20s";
const LISTEN_LIMIT: Duration = Duration::from_secs(20 + 40);
const SPANS: u32 = 1200;
const IMPORTS: &str = "import google.protobuf, opentelemetry.sdk.trace, \
    opentelemetry.exporter.otlp.proto.http.trace_exporter, \
    opentelemetry.exporter.otlp.proto.grpc.trace_exporter, \
    opentelemetry.exporter.otlp.proto.common.trace_encoder";

/// The venv Python, or `None` after saying why the test is skipped.
fn python() -> Option<PathBuf> {
    let required = std::env::var("LLMMON_REQUIRE_OTEL_PYTHON").is_ok_and(|v| v == "1");
    let skip = |why: String| {
        assert!(!required, "LLMMON_REQUIRE_OTEL_PYTHON=1 but {why}");
        println!(
            "skipped: {why} (set LLMMON_OTEL_PYTHON to a venv python with the packages \
             .ci/run installs; LLMMON_REQUIRE_OTEL_PYTHON=1 makes this a failure)"
        );
        None
    };
    let Some(py) = std::env::var_os("LLMMON_OTEL_PYTHON") else {
        return skip("LLMMON_OTEL_PYTHON is not set".into());
    };
    let py = PathBuf::from(py);
    match Command::new(&py).args(["-c", IMPORTS]).output() {
        Ok(o) if o.status.success() => Some(py),
        Ok(o) => skip(format!(
            "{} cannot import the OpenTelemetry SDK: {}",
            py.display(),
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => skip(format!("{} does not run: {e}", py.display())),
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `llmmon report --json` with both OTLP listeners; output goes to files so a
/// chatty stderr can never block it.
struct Llmmon {
    child: Child,
    http: u16,
    grpc: u16,
    dir: tempfile::TempDir,
}

impl Llmmon {
    fn start(token: Option<&str>) -> Self {
        let (http, grpc) = (free_port(), free_port());
        let dir = tempfile::tempdir().unwrap();
        // CI builds the release binary once and names it in LLMMON_BIN.
        let bin =
            std::env::var("LLMMON_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_llmmon").into());
        let mut cmd = Command::new(bin);
        cmd.args(["report", "--json", "--no-detectors", "--duration", LISTEN])
            .arg(format!("--otlp=127.0.0.1:{http}"))
            .arg("--otlp-grpc")
            .arg(format!("127.0.0.1:{grpc}"))
            .env_remove("LLMMON_OTLP_TOKEN")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.path().join("out")).unwrap())
            .stderr(std::fs::File::create(dir.path().join("err")).unwrap());
        if let Some(t) = token {
            cmd.env("LLMMON_OTLP_TOKEN", t);
        }
        let mut me = Llmmon {
            child: cmd.spawn().unwrap(),
            http,
            grpc,
            dir,
        };
        me.wait_ready();
        me
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("err")).unwrap_or_default()
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        for port in [self.http, self.grpc] {
            while TcpStream::connect(("127.0.0.1", port)).is_err() {
                if let Some(status) = self.child.try_wait().unwrap() {
                    panic!("llmmon exited early ({status}): {}", self.stderr());
                }
                if Instant::now() > deadline {
                    self.child.kill().ok();
                    panic!("llmmon did not listen on {port} in 10 s: {}", self.stderr());
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    fn http_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.http)
    }

    fn grpc_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.grpc)
    }

    /// Waits for the duration to end and parses the report.
    fn report(mut self) -> Value {
        let deadline = Instant::now() + LISTEN_LIMIT;
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                self.child.kill().ok();
                panic!(
                    "llmmon still running after {LISTEN_LIMIT:?}: {}",
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        assert!(status.success(), "llmmon: {status}: {}", self.stderr());
        let out = std::fs::read(self.dir.path().join("out")).unwrap();
        serde_json::from_slice(&out).unwrap_or_else(|e| {
            panic!(
                "report is not JSON ({e}): {}\nstderr: {}",
                String::from_utf8_lossy(&out),
                self.stderr()
            )
        })
    }
}

/// A failed assertion must not leave llmmon listening.
impl Drop for Llmmon {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.child.kill().ok();
            self.child.wait().ok();
        }
    }
}

/// What one emit.py run did.
struct Emitted {
    ok: bool,
    sent: Value,
    stderr: String,
}

/// Runs emit.py; `args` after the interpreter and script.
fn emit(py: &PathBuf, run: &Run) -> Emitted {
    let args = &run.0;
    let out = assert_cmd::Command::new(py)
        .arg(EMIT)
        .args(args)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let sent = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "emit.py {args:?} printed no report ({e}): {}\nstderr: {stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    Emitted {
        ok: out.status.success(),
        sent,
        stderr,
    }
}

/// emit.py's arguments for one run; the service name and seed follow from the model prefix.
struct Run(Vec<String>);

impl Run {
    fn new(endpoint: &str, protocol: &str, prefix: &str, spans: u32) -> Self {
        let seed: u32 = prefix.bytes().map(u32::from).sum();
        let service = format!("svc-{}", prefix.trim_end_matches('-'));
        let args = [
            "--endpoint",
            endpoint,
            "--protocol",
            protocol,
            "--model-prefix",
            prefix,
            "--service-name",
            &service,
            "--seed",
            &seed.to_string(),
            "--spans",
            &spans.to_string(),
        ];
        Run(args.iter().map(|s| s.to_string()).collect())
    }

    fn token(mut self, token: &str) -> Self {
        self.0.extend(["--token".into(), token.into()]);
        self
    }

    fn gzip(mut self) -> Self {
        self.0.push("--gzip".into());
        self
    }
}

const FIELDS: [&str; 4] = ["calls", "errors", "input_tokens", "output_tokens"];

/// The union of several emit.py reports (their model names are disjoint).
fn union(parts: &[&Value]) -> Value {
    let mut total = json!({"calls": 0, "errors": 0, "input_tokens": 0, "output_tokens": 0});
    let mut by_model = Map::new();
    for p in parts {
        for f in FIELDS {
            total[f] = json!(total[f].as_u64().unwrap() + p[f].as_u64().unwrap());
        }
        for (model, g) in p["by_model"].as_object().unwrap() {
            assert!(
                by_model.insert(model.clone(), g.clone()).is_none(),
                "model {model} sent twice"
            );
        }
    }
    total["by_model"] = Value::Object(by_model);
    total
}

fn assert_report_matches(report: &Value, sent: &Value) {
    for f in FIELDS {
        assert_eq!(report[f], sent[f], "{f}: llmmon vs what the SDK exported");
    }
    let got = report["by_model"].as_object().unwrap();
    let want = sent["by_model"].as_object().unwrap();
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "by_model keys"
    );
    for (model, w) in want {
        for f in FIELDS {
            assert_eq!(got[model][f], w[f], "by_model.{model}.{f}");
        }
    }
}

#[test]
fn sdk_spans_over_http_protobuf_http_json_and_grpc_all_arrive() {
    let Some(py) = python() else { return };
    let llmmon = Llmmon::start(None);
    let (http, grpc) = (llmmon.http_endpoint(), llmmon.grpc_endpoint());
    let runs = [
        // The Collector's otlphttp exporter compresses with gzip by default; so does this run.
        Run::new(&http, "http/protobuf", "hp-", SPANS).gzip(),
        Run::new(&http, "http/json", "hj-", SPANS),
        Run::new(&grpc, "grpc", "gr-", SPANS),
    ];
    // All three at once: one receiver serving both listeners and both encodings concurrently.
    let done: Vec<Emitted> = std::thread::scope(|s| {
        let handles: Vec<_> = runs.iter().map(|r| s.spawn(|| emit(&py, r))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for e in &done {
        assert!(e.ok, "emit.py failed: {}\n{}", e.sent, e.stderr);
        assert_eq!(e.sent["calls"], SPANS, "{}", e.sent);
        println!(
            "emit.py {}: {} spans in {} s",
            e.sent["protocol"], e.sent["calls"], e.sent["seconds"]
        );
    }
    let report = llmmon.report();
    let sent = union(&done.iter().map(|e| &e.sent).collect::<Vec<_>>());
    assert_report_matches(&report, &sent);
    // service.name on the resource becomes the app, per protocol.
    for (svc, e) in ["svc-hp", "svc-hj", "svc-gr"].into_iter().zip(&done) {
        assert_eq!(
            report["by_app"][svc]["calls"], e.sent["calls"],
            "by_app.{svc}"
        );
    }
}

#[test]
fn bearer_token_admits_the_right_client_and_refuses_the_rest() {
    let Some(py) = python() else { return };
    const TOKEN: &str = "otlp-test-token-5b1f";
    let llmmon = Llmmon::start(Some(TOKEN));
    let (http, grpc) = (llmmon.http_endpoint(), llmmon.grpc_endpoint());
    let good = emit(
        &py,
        &Run::new(&http, "http/protobuf", "ok-", 600).token(TOKEN),
    );
    assert!(
        good.ok,
        "right token refused: {}\n{}",
        good.sent, good.stderr
    );
    let refused = [
        Run::new(&http, "http/protobuf", "bad-hp-", 300).token("wrong"),
        Run::new(&http, "http/json", "bad-hj-", 300),
        Run::new(&grpc, "grpc", "bad-gr-", 300).token("wrong"),
    ];
    for run in &refused {
        let args = &run.0;
        let e = emit(&py, run);
        assert!(!e.ok, "{args:?} was accepted without the right token");
        assert_eq!(e.sent["calls"], 0, "{args:?}: {}", e.sent);
        assert_eq!(e.sent["failed_spans"], 300, "{args:?}: {}", e.sent);
    }
    let report = llmmon.report();
    assert_report_matches(&report, &union(&[&good.sent]));
}
