//! Spans per second the OTLP receiver accepts end to end: the llmmon binary (`report`, TUI
//! off) listens on loopback; clients on keep-alive connections post pre-encoded OTLP/HTTP
//! protobuf requests of 512 GenAI chat spans each, as an SDK's batch processor sends them,
//! and count the 200s. A 503 is retried after a pause, like an exporter does, so the figure
//! is what llmmon sustains, not what it drops. The run ends with the report, whose span
//! count must equal what was sent.
//!
//! `cargo bench --bench otlp_receive` (env: OTLP_BENCH_REQUESTS, OTLP_BENCH_CLIENTS,
//! OTLP_BENCH_CONTENT=1 to add 2 KB of prompt and answer text to every span,
//! OTLP_BENCH_GZIP=1 to send the bodies gzip-compressed, as the Collector does,
//! OTLP_BENCH_DETECTORS=1 to run the safety detectors on every call as the TUI does,
//! OTLP_BENCH_GRPC=1 to send over OTLP/gRPC instead, one tonic client per connection).
#![allow(clippy::unwrap_used)]

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{
    span, status, ResourceSpans, ScopeSpans, Span, Status,
};
use prost::Message;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BATCH: usize = 512;

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn kv(key: &str, v: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(v) }),
        ..KeyValue::default()
    }
}

fn s(v: &str) -> any_value::Value {
    any_value::Value::StringValue(v.into())
}

fn i(v: i64) -> any_value::Value {
    any_value::Value::IntValue(v)
}

/// One request of [`BATCH`] chat spans; ids are unique across requests.
fn request(n: u64, content: bool) -> Vec<u8> {
    let models = [
        "gpt-4o",
        "gpt-4o-mini",
        "claude-sonnet-4-5",
        "gemini-2.5-flash",
    ];
    let start = 1_764_000_000_000_000_000u64 + n * 1_000_000_000;
    let spans = (0..BATCH as u64)
        .map(|k| {
            let id = n * BATCH as u64 + k + 1;
            let model = models[(id % 4) as usize];
            let mut attributes = vec![
                kv("gen_ai.operation.name", s("chat")),
                kv("gen_ai.provider.name", s("openai")),
                kv("gen_ai.request.model", s(model)),
                kv("gen_ai.response.model", s(model)),
                kv("gen_ai.response.id", s(&format!("chatcmpl-{id}"))),
                kv("gen_ai.usage.input_tokens", i(400 + (id % 300) as i64)),
                kv("gen_ai.usage.output_tokens", i(80 + (id % 200) as i64)),
                kv("gen_ai.request.temperature", any_value::Value::DoubleValue(0.2)),
                kv("gen_ai.conversation.id", s(&format!("conv-{}", id % 5000))),
                kv("server.address", s("api.openai.com")),
                kv("user.id", s(&format!("user-{}", id % 200))),
            ];
            if content {
                let text = "The quarterly report shows steady growth in all regions. ".repeat(18);
                let input = serde_json::json!([{"role":"user","parts":[{"type":"text","content":text}]}]);
                let output = serde_json::json!([{"role":"assistant","parts":[{"type":"text","content":text}],"finish_reason":"stop"}]);
                attributes.push(kv("gen_ai.input.messages", s(&input.to_string())));
                attributes.push(kv("gen_ai.output.messages", s(&output.to_string())));
            }
            let t0 = start + k * 1_000_000;
            Span {
                trace_id: id.to_be_bytes().repeat(2),
                span_id: id.to_be_bytes().to_vec(),
                name: format!("chat {model}"),
                kind: span::SpanKind::Client as i32,
                start_time_unix_nano: t0,
                end_time_unix_nano: t0 + 300_000_000 + (id % 700) * 1_000_000,
                attributes,
                status: Some(Status {
                    code: if id % 50 == 0 {
                        status::StatusCode::Error as i32
                    } else {
                        status::StatusCode::Unset as i32
                    },
                    ..Status::default()
                }),
                ..Span::default()
            }
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![kv("service.name", s("bench-app"))],
                ..Resource::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "opentelemetry.instrumentation.openai_v2".into(),
                    ..InstrumentationScope::default()
                }),
                spans,
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    }
    .encode_to_vec()
}

/// Posts on one keep-alive connection; returns the status and `Retry-After`.
fn post(conn: &mut BufReader<TcpStream>, head: &[u8], body: &[u8]) -> (u16, u64) {
    let s = conn.get_mut();
    s.write_all(head).unwrap();
    s.write_all(body).unwrap();
    let mut status = 0;
    let mut len = 0usize;
    let mut retry = 1;
    let mut line = String::new();
    loop {
        line.clear();
        conn.read_line(&mut line).unwrap();
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if status == 0 {
            status = l.split(' ').nth(1).unwrap().parse().unwrap();
        } else if let Some((k, v)) = l.split_once(':') {
            match k.to_ascii_lowercase().as_str() {
                "content-length" => len = v.trim().parse().unwrap(),
                "retry-after" => retry = v.trim().parse().unwrap_or(1),
                _ => {}
            }
        }
    }
    let mut rest = vec![0; len];
    conn.read_exact(&mut rest).unwrap();
    (status, retry)
}

/// Kills llmmon if the bench panics, so no receiver is left listening.
struct Reaper(u32);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-9", &self.0.to_string()])
            .stderr(Stdio::null())
            .status();
    }
}

/// Sends every message over OTLP/gRPC from `clients` connections, retrying UNAVAILABLE.
fn send_grpc(
    port: u16,
    clients: u64,
    messages: &[ExportTraceServiceRequest],
    gzip: bool,
    busy: &AtomicU64,
) {
    use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
    let next = AtomicU64::new(0);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let tasks = (0..clients).map(|_| async {
            let mut client = TraceServiceClient::connect(format!("http://127.0.0.1:{port}"))
                .await
                .unwrap();
            if gzip {
                client = client.send_compressed(tonic::codec::CompressionEncoding::Gzip);
            }
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let Some(m) = messages.get(n as usize) else {
                    return;
                };
                loop {
                    match client.export(m.clone()).await {
                        Ok(_) => break,
                        Err(s) if s.code() == tonic::Code::Unavailable => {
                            busy.fetch_add(1, Ordering::Relaxed);
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                        Err(s) => panic!("{s}"),
                    }
                }
            }
        });
        futures_util::future::join_all(tasks).await;
    });
}

fn main() {
    let requests = env_num("OTLP_BENCH_REQUESTS", 600) as u64;
    let clients = env_num("OTLP_BENCH_CLIENTS", 4) as u64;
    let content = std::env::var("OTLP_BENCH_CONTENT").is_ok_and(|v| v == "1");
    let gzip = std::env::var("OTLP_BENCH_GZIP").is_ok_and(|v| v == "1");
    let detectors = std::env::var("OTLP_BENCH_DETECTORS").is_ok_and(|v| v == "1");
    let grpc = std::env::var("OTLP_BENCH_GRPC").is_ok_and(|v| v == "1");
    let bodies: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..requests)
            .map(|n| {
                let body = request(n, content);
                // gRPC compresses on its own (send_compressed); the bodies stay plain.
                if !gzip || grpc {
                    return body;
                }
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(&body).unwrap();
                e.finish().unwrap()
            })
            .collect(),
    );
    let bytes: usize = bodies.iter().map(Vec::len).sum();
    let free = || {
        TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let (port, grpc_port) = (free(), free());
    let mut child = Command::new(env!("CARGO_BIN_EXE_llmmon"))
        .args(["report", "--json", "--otlp-grpc"])
        .arg(format!("127.0.0.1:{grpc_port}"))
        .args((!detectors).then_some("--no-detectors"))
        .arg(format!("--otlp=127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let _reaper = Reaper(child.id());
    for p in [port, grpc_port] {
        while TcpStream::connect(("127.0.0.1", p)).is_err() {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let next = Arc::new(AtomicU64::new(0));
    let busy = Arc::new(AtomicU64::new(0));
    let messages: Vec<ExportTraceServiceRequest> = if grpc {
        bodies
            .iter()
            .map(|b| ExportTraceServiceRequest::decode(b.as_slice()).unwrap())
            .collect()
    } else {
        Vec::new()
    };
    let started = Instant::now();
    if grpc {
        send_grpc(grpc_port, clients, &messages, gzip, &busy);
    }
    let workers: Vec<_> = (0..if grpc { 0 } else { clients })
        .map(|_| {
            let (bodies, next, busy) = (bodies.clone(), next.clone(), busy.clone());
            std::thread::spawn(move || {
                let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
                stream.set_nodelay(true).unwrap();
                let mut conn = BufReader::new(stream);
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let Some(body) = bodies.get(n as usize) else {
                        return;
                    };
                    let head = format!(
                        "POST /v1/traces HTTP/1.1\r\nHost: bench\r\nContent-Type: application/x-protobuf\r\n{}Content-Length: {}\r\n\r\n",
                        if gzip { "Content-Encoding: gzip\r\n" } else { "" },
                        body.len()
                    );
                    loop {
                        match post(&mut conn, head.as_bytes(), body) {
                            (200, _) => break,
                            (503, _) => {
                                busy.fetch_add(1, Ordering::Relaxed);
                                std::thread::sleep(Duration::from_millis(50));
                            }
                            (s, _) => panic!("status {s}"),
                        }
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    // utime + stime in clock ticks (100 per second on Linux).
    let cpu_secs = std::fs::read_to_string(format!("/proc/{}/stat", child.id()))
        .ok()
        .and_then(|s| {
            let after = s.rsplit_once(')')?.1.split_whitespace().collect::<Vec<_>>();
            let ticks: u64 =
                after.get(11)?.parse::<u64>().ok()? + after.get(12)?.parse::<u64>().ok()?;
            Some(ticks as f64 / 100.0)
        });
    let peak_rss_kib = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        });
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child.wait().unwrap();
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let sent = requests * BATCH as u64;
    let counted = report["sources"][0]["records"].as_u64().unwrap();
    assert_eq!(counted, sent, "llmmon counted {counted} of {sent} spans");
    println!(
        "otlp_receive: {sent} spans in {requests} requests of {BATCH} ({:.1} MB protobuf{}{}{}{}), \
         {clients} clients: {elapsed:.2} s = {:.0} spans/s accepted ({} answers 503, retried), \
         llmmon peak RSS {}, llmmon CPU {}",
        bytes as f64 / 1e6,
        if content { ", with content" } else { "" },
        if gzip { ", gzip" } else { "" },
        if grpc { ", gRPC" } else { "" },
        if detectors { ", detectors on" } else { "" },
        sent as f64 / elapsed,
        busy.load(Ordering::Relaxed),
        peak_rss_kib.map_or("unknown".into(), |k| format!(
            "{:.1} MiB",
            k as f64 / 1024.0
        )),
        cpu_secs.map_or("unknown".into(), |c| format!(
            "{c:.2} s = {:.2} µs/span",
            c * 1e6 / sent as f64
        )),
    );
}
