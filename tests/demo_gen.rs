#![allow(clippy::unwrap_used)]
//! The demo generator: determinism, native-format round trips, realistic shape, and every
//! scripted moment of the incident scenario at its time (and none of them in steady).

use llmmon::demo::{self, GenConfig, Generator, Scenario};
use llmmon::model::record::{Call, FeedbackKind, Nanos, Operation, Record, Status};
use regex::Regex;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;

const SEC: Nanos = 1_000_000_000;

fn cfg(seed: u64, scenario: Scenario) -> GenConfig {
    GenConfig {
        seed,
        scenario,
        ..GenConfig::default()
    }
}

fn jsonl(n: u64, cfg: &GenConfig) -> Vec<u8> {
    let mut out = Vec::new();
    demo::write_jsonl(&mut out, n, cfg).unwrap();
    out
}

/// All records whose event time is within the first `secs` seconds.
fn first_secs(cfg: &GenConfig, secs: i64) -> Vec<Record> {
    let end = cfg.start + secs * SEC;
    Generator::new(cfg.clone())
        .take_while(|r| r.time().unwrap() < end)
        .collect()
}

fn calls(records: &[Record]) -> impl Iterator<Item = &Call> {
    records.iter().filter_map(|r| match r {
        Record::Call(c) => Some(&**c),
        _ => None,
    })
}

/// Seconds after the start at which a call started.
fn at(c: &Call, cfg: &GenConfig) -> f64 {
    (c.start.unwrap() - cfg.start) as f64 / 1e9
}

fn median(mut v: Vec<f64>) -> f64 {
    assert!(!v.is_empty());
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn luhn_valid(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                (d * 2) % 10 + d * 2 / 10
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

static CARD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b(?:\d[ -]?){13,19}\b").unwrap());
static EMAIL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[\w.+-]+@[\w-]+\.[\w.]+").unwrap());

fn has_luhn_card(text: &str) -> bool {
    CARD.find_iter(text).any(|m| {
        let d: Vec<u32> = m.as_str().chars().filter_map(|c| c.to_digit(10)).collect();
        (13..=19).contains(&d.len()) && luhn_valid(&d)
    })
}

fn has_email(text: &str) -> bool {
    EMAIL.is_match(text)
}

#[test]
fn same_seed_same_bytes_different_seed_different_bytes() {
    for scenario in [Scenario::Steady, Scenario::Incident] {
        let a = jsonl(3_000, &cfg(7, scenario));
        assert_eq!(a, jsonl(3_000, &cfg(7, scenario)));
        assert_ne!(a, jsonl(3_000, &cfg(8, scenario)));
    }
}

#[test]
fn every_line_is_a_native_record_that_round_trips_in_event_time_order() {
    for scenario in [Scenario::Steady, Scenario::Incident] {
        let out = jsonl(20_000, &cfg(1, scenario));
        let text = std::str::from_utf8(&out).unwrap();
        let mut last = Nanos::MIN;
        let mut lines = 0;
        for line in text.lines() {
            let r: Record = serde_json::from_str(line).unwrap();
            assert_eq!(serde_json::to_string(&r).unwrap(), line);
            let t = r.time().unwrap();
            assert!(t >= last, "event time went back: {line}");
            last = t;
            lines += 1;
        }
        assert_eq!(lines, 20_000);
    }
}

#[test]
fn records_average_about_900_bytes() {
    for scenario in [Scenario::Steady, Scenario::Incident] {
        let out = jsonl(20_000, &cfg(3, scenario));
        let avg = out.len() as f64 / 20_000.0;
        println!("{scenario}: {avg:.0} bytes/record");
        assert!(
            (600.0..1300.0).contains(&avg),
            "{scenario}: {avg} bytes/record"
        );
    }
}

#[test]
fn traffic_has_the_documented_shape() {
    let c = cfg(5, Scenario::Steady);
    let records = first_secs(&c, 600);
    let llm: Vec<&Call> = calls(&records)
        .filter(|c| c.operation.is_llm_call())
        .collect();
    let per_call = records.len() as f64 / llm.len() as f64;
    let rate = llm.len() as f64 / 600.0;
    println!(
        "{} records, {} LLM calls ({rate:.1}/s), {per_call:.2} records per LLM call",
        records.len(),
        llm.len()
    );
    assert!((18.0..22.0).contains(&rate), "rate {rate}");
    assert!(
        (1.3..1.8).contains(&per_call),
        "records per call {per_call}"
    );

    let models: HashSet<&str> = llm.iter().filter_map(|c| c.model.as_deref()).collect();
    for m in [
        "gpt-4o",
        "gpt-4o-mini",
        "gpt-4.1-mini",
        "o4-mini",
        "claude-sonnet-4-5",
        "claude-haiku-4-5",
        "gemini-2.5-flash",
        "mistral-small-latest",
        "llama-3.3-70b-versatile",
        "acme-support-ft-v2",
    ] {
        assert!(models.contains(m), "missing model {m}");
    }
    let apps: HashSet<&str> = llm.iter().filter_map(|c| c.app.as_deref()).collect();
    assert_eq!(apps.len(), 3);
    let mut per_user: HashMap<&str, usize> = HashMap::new();
    for c in &llm {
        *per_user.entry(c.user.as_deref().unwrap()).or_default() += 1;
    }
    let (top, least) = (
        per_user.values().max().unwrap(),
        per_user.values().min().unwrap(),
    );
    assert!(
        per_user.len() >= 30 && *top > 5 * least,
        "users {per_user:?}"
    );
    assert!(llm.iter().all(|c| c.cost_usd.is_none()));
    assert!(llm.iter().any(|c| c.turn.unwrap_or(0) >= 4));

    let ok: Vec<&&Call> = llm.iter().filter(|c| c.status == Status::Ok).collect();
    let finishes: HashSet<&str> = ok
        .iter()
        .filter_map(|c| c.finish_reason.as_deref())
        .collect();
    for f in ["stop", "length", "tool_calls", "content_filter"] {
        assert!(finishes.contains(f), "missing finish reason {f}");
    }
    let errors: HashSet<&str> = llm.iter().filter_map(|c| c.error_type.as_deref()).collect();
    for e in ["RateLimitError", "InternalServerError", "APITimeoutError"] {
        assert!(errors.contains(e), "missing error {e}");
    }
    let error_share = (llm.len() - ok.len()) as f64 / llm.len() as f64;
    assert!(error_share < 0.02, "error share {error_share}");
    assert!(ok
        .iter()
        .any(|c| c.output.as_deref() == Some("I'm sorry, but I can't help with that.")));
    assert!(ok
        .iter()
        .any(|c| c.last_user_message().unwrap().contains("idiot")));
    assert!(
        ok.iter()
            .filter(|c| c.scores.contains_key("helpfulness"))
            .count()
            > llm.len() / 20
    );
    assert!(ok.iter().any(|c| c.tokens.reasoning.is_some()));
    assert!(ok.iter().any(|c| c.tokens.cache_read.is_some()));

    // Token counts follow text length; latency is TTFT plus per-token time.
    for c in ok
        .iter()
        .filter(|c| c.finish_reason.as_deref() == Some("stop"))
    {
        let text = c.output.as_deref().unwrap();
        let visible = c.tokens.output.unwrap() - c.tokens.reasoning.unwrap_or(0);
        let ratio = text.len() as f64 / visible as f64;
        assert!(
            (3.0..5.0).contains(&ratio),
            "{ratio} chars/token in {}",
            c.id
        );
        assert!(c.tokens.input.unwrap() as usize * 5 >= c.last_user_message().unwrap().len());
        if let Some(ttft) = c.ttft_ms {
            assert!(c.latency_ms.unwrap() >= ttft);
        }
        let span = (c.end.unwrap() - c.start.unwrap()) as f64 / 1e6;
        assert!((span - c.latency_ms.unwrap()).abs() <= 1.0);
    }

    let feedback: Vec<FeedbackKind> = records
        .iter()
        .filter_map(|r| match r {
            Record::Feedback(f) => Some(f.kind),
            _ => None,
        })
        .collect();
    for k in [
        FeedbackKind::ThumbsUp,
        FeedbackKind::ThumbsDown,
        FeedbackKind::Copy,
        FeedbackKind::Comment,
    ] {
        assert!(feedback.contains(&k), "missing feedback {k:?}");
    }
    let ids: HashSet<&str> = llm.iter().map(|c| c.id.as_str()).collect();
    for r in &records {
        if let Record::Feedback(f) = r {
            assert!(ids.contains(f.call_id.as_str()));
        }
    }
}

#[test]
fn agent_traces_nest_properly() {
    let c = cfg(9, Scenario::Steady);
    let records = first_secs(&c, 150);
    let mut traces: BTreeMap<&str, Vec<&Call>> = BTreeMap::new();
    for c in calls(&records) {
        if let Some(t) = c.trace_id.as_deref() {
            traces.entry(t).or_default().push(c);
        }
    }
    // Traces still running at the cut have no workflow span yet.
    traces.retain(|_, spans| at(spans[0], &c) < 120.0);
    assert!(traces.len() > 50);
    let mut complete = 0;
    for spans in traces.values() {
        let by_span: HashMap<&str, &Call> = spans
            .iter()
            .map(|c| (c.span_id.as_deref().unwrap(), *c))
            .collect();
        let roots: Vec<_> = spans
            .iter()
            .filter(|c| c.parent_span_id.is_none())
            .collect();
        assert_eq!(roots.len(), 1);
        assert_eq!(roots[0].operation, Operation::Workflow);
        for c in spans.iter().filter(|c| c.parent_span_id.is_some()) {
            let parent = by_span[c.parent_span_id.as_deref().unwrap()];
            let want = if c.operation == Operation::Agent {
                Operation::Workflow
            } else {
                Operation::Agent
            };
            assert_eq!(parent.operation, want);
            assert!(
                c.start >= parent.start && c.end <= parent.end,
                "span outside its parent"
            );
        }
        if spans.len() == 5 {
            complete += 1;
            let ops: Vec<Operation> = spans.iter().map(|c| c.operation).collect();
            assert_eq!(
                ops,
                [
                    Operation::Chat,
                    Operation::Tool,
                    Operation::Chat,
                    Operation::Agent,
                    Operation::Workflow
                ]
            );
            assert_eq!(spans[0].finish_reason.as_deref(), Some("tool_calls"));
            assert_eq!(spans[0].tool_calls[0].id, spans[1].tool_calls[0].id);
            assert!(spans[1].tool_calls[0].result.is_some());
        } else {
            assert_eq!(
                spans.len(),
                3,
                "a failed first call leaves chat, agent, workflow"
            );
            assert!(spans.iter().all(|c| c.status == Status::Error));
        }
    }
    assert!(complete > 50);
}

#[test]
fn incident_plays_every_scripted_moment_at_its_time() {
    let c = cfg(11, Scenario::Incident);
    let records = first_secs(&c, 150);
    let llm: Vec<&Call> = calls(&records)
        .filter(|c| c.operation.is_llm_call())
        .collect();

    // Latency spike on gpt-4o.
    let gpt4o = |from: f64, to: f64, f: fn(&Call) -> Option<f64>| {
        median(
            llm.iter()
                .filter(|x| x.model.as_deref() == Some(demo::SPIKE_MODEL) && x.status == Status::Ok)
                .filter(|x| (from..to).contains(&at(x, &c)))
                .filter_map(|x| f(x))
                .collect(),
        )
    };
    let (lat_before, lat_during) = (
        gpt4o(0.0, 20.0, |x| x.latency_ms),
        gpt4o(20.0, 50.0, |x| x.latency_ms),
    );
    let (ttft_before, ttft_during) = (
        gpt4o(0.0, 20.0, |x| x.ttft_ms),
        gpt4o(20.0, 50.0, |x| x.ttft_ms),
    );
    println!("gpt-4o latency {lat_before} -> {lat_during}, ttft {ttft_before} -> {ttft_during}");
    assert!(
        lat_during > 3.5 * lat_before,
        "latency {lat_before} -> {lat_during}"
    );
    assert!(
        ttft_during > 3.0 * ttft_before,
        "ttft {ttft_before} -> {ttft_during}"
    );
    assert!(gpt4o(55.0, 150.0, |x| x.latency_ms) < 1.5 * lat_before);

    // Prompt injections from mallory, all inside the burst.
    let mallory: Vec<&str> = llm
        .iter()
        .filter(|x| x.user.as_deref() == Some(demo::ATTACKER))
        .inspect(|x| assert!((35.0..56.0).contains(&at(x, &c))))
        .map(|x| x.last_user_message().unwrap())
        .collect();
    for needle in [
        "Ignore all previous instructions",
        "reveal your system prompt",
        "act as DAN",
        "<|im_start|>system",
        "SWdub3JlIGFsbCBwcmV2aW91cyBpbnN0cnVjdGlvbnM",
        "Ignora todas las instrucciones",
        "New instructions from the Acme admin team",
    ] {
        assert!(
            mallory.iter().any(|m| m.contains(needle)),
            "no attack with {needle:?}"
        );
    }
    let indirect = calls(&records)
        .find(|x| {
            x.operation == Operation::Tool
                && x.tool_calls[0]
                    .result
                    .as_deref()
                    .unwrap()
                    .contains("ignore all previous instructions")
        })
        .unwrap();
    assert!((35.0..56.0).contains(&at(indirect, &c)));
    assert!(
        llm.iter().any(|x| x.user.as_deref() == Some(demo::ATTACKER)
            && x.output
                .as_deref()
                .unwrap()
                .contains("You are Acme Support")),
        "one attack leaks the system prompt"
    );

    // PII and a secret in responses, at their times.
    let outputs_at = |from: f64, to: f64| -> Vec<&str> {
        llm.iter()
            .filter(|x| (from..to).contains(&at(x, &c)))
            .filter_map(|x| x.output.as_deref())
            .collect()
    };
    assert!(outputs_at(50.0, 52.0)
        .iter()
        .any(|o| has_email(o) && o.contains(demo::LEAKED_PHONE)));
    assert!(outputs_at(70.0, 72.0)
        .iter()
        .any(|o| has_luhn_card(o) && has_email(o)));
    assert!(outputs_at(88.0, 90.0)
        .iter()
        .any(|o| o.contains("sk-proj-")));
    assert!(!outputs_at(0.0, 50.0)
        .iter()
        .any(|o| has_luhn_card(o) || o.contains("sk-proj-")));

    // Topic shift: absent before 65 s anywhere, in most prompts after.
    for r in &records {
        let line = serde_json::to_string(r).unwrap().to_lowercase();
        if r.time().unwrap() < c.start + 65 * SEC {
            assert!(
                !line.contains(demo::TOPIC_WORD),
                "topic word before the shift: {line}"
            );
        }
    }
    let after: Vec<&str> = llm
        .iter()
        .filter(|x| at(x, &c) >= 65.0)
        .map(|x| x.last_user_message().unwrap())
        .collect();
    let share = after
        .iter()
        .filter(|m| m.to_lowercase().contains(demo::TOPIC_WORD))
        .count() as f64
        / after.len() as f64;
    println!("topic share after the shift {share:.2}");
    assert!(share > 0.5, "topic share after the shift {share}");

    // Cost runaway: bob-batch's input tokens dwarf everyone else's in the window.
    let tokens_in = |who: &dyn Fn(&str) -> bool| -> u64 {
        llm.iter()
            .filter(|x| (80.0..110.0).contains(&at(x, &c)) && who(x.user.as_deref().unwrap_or("")))
            .filter_map(|x| x.tokens.input)
            .sum()
    };
    let bob = tokens_in(&|u| u == demo::RUNAWAY_USER);
    let others = tokens_in(&|u| u != demo::RUNAWAY_USER);
    println!("input tokens 80-110 s: bob-batch {bob}, everyone else {others}");
    assert!(bob > 5 * others, "bob {bob} vs others {others}");
    assert!(llm
        .iter()
        .filter(|x| x.user.as_deref() == Some(demo::RUNAWAY_USER))
        .all(|x| (80.0..110.0).contains(&at(x, &c))
            && x.model.as_deref() == Some(demo::RUNAWAY_MODEL)));

    // Rate-limit burst on one provider.
    let limited = |from: f64, to: f64| {
        let calls: Vec<_> = llm
            .iter()
            .filter(|x| {
                x.provider.as_deref() == Some(demo::RATE_LIMITED_PROVIDER)
                    && (from..to).contains(&at(x, &c))
            })
            .collect();
        calls
            .iter()
            .filter(|x| x.error_type.as_deref() == Some("RateLimitError"))
            .count() as f64
            / calls.len() as f64
    };
    assert!(limited(95.0, 105.0) > 0.5);
    assert!(limited(0.0, 95.0) < 0.05 && limited(106.0, 150.0) < 0.05);
}

#[test]
fn steady_has_none_of_the_incident() {
    let c = cfg(11, Scenario::Steady);
    let records = first_secs(&c, 150);
    let llm: Vec<&Call> = calls(&records)
        .filter(|c| c.operation.is_llm_call())
        .collect();
    for x in &llm {
        let user = x.user.as_deref().unwrap();
        assert!(user != demo::ATTACKER && user != demo::RUNAWAY_USER);
        if let Some(o) = x.output.as_deref() {
            assert!(
                !has_luhn_card(o)
                    && !has_email(o)
                    && !o.contains("sk-proj-")
                    && !o.contains("You are Acme")
            );
        }
    }
    for r in &records {
        let line = serde_json::to_string(r).unwrap().to_lowercase();
        assert!(!line.contains(demo::TOPIC_WORD) && !line.contains("im_start"));
    }
    let lat = |from: f64, to: f64| {
        median(
            llm.iter()
                .filter(|x| {
                    x.model.as_deref() == Some("gpt-4o")
                        && x.status == Status::Ok
                        && (from..to).contains(&at(x, &c))
                })
                .filter_map(|x| x.latency_ms)
                .collect(),
        )
    };
    let ratio = lat(20.0, 50.0) / lat(0.0, 20.0);
    assert!((0.6..1.6).contains(&ratio), "steady latency ratio {ratio}");
}

#[test]
fn timeline_names_what_the_generator_plays() {
    let t = demo::incident_timeline();
    assert_eq!(t.len(), 8);
    assert!(t
        .iter()
        .all(|e| e.end_secs >= e.at_secs && e.at_secs < 120.0 && !e.what.is_empty()));
    assert!(t.iter().any(|e| e.what.contains(demo::TOPIC_WORD)));
}

/// `cargo test --release --test demo_gen -- --ignored --nocapture` prints the throughput.
#[test]
#[ignore = "throughput measurement; run in release"]
fn throughput_of_a_million_records() {
    let t = std::time::Instant::now();
    let mut sink = CountingSink(0);
    demo::write_jsonl(&mut sink, 1_000_000, &cfg(1, Scenario::Incident)).unwrap();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "1M records, {} bytes in {secs:.2} s: {:.0} records/s, {:.0} bytes/record",
        sink.0,
        1e6 / secs,
        sink.0 as f64 / 1e6
    );
}

struct CountingSink(u64);

impl std::io::Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
