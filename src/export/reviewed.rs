//! `export --reviewed`: an evaluation dataset from human review, one JSON object per labelled
//! call the sources hold — what the model was given, what it answered, the reviewer's label
//! and note, and the judge's verdicts when there are any:
//!
//! ```json
//! {"call_id": "a2", "conversation": "trip-1", "time": "2026-11-26T10:00:30Z", "model": "gpt-4o",
//!  "input": {"system": "...", "messages": [{"role": "user", "content": "..."}]},
//!  "output": "...", "context": ["..."],
//!  "label": "hallucination", "note": "made up a fare", "labelled_by": "ana",
//!  "labelled_at": "2026-11-26T11:02:13.000Z",
//!  "judge": [{"criterion": "groundedness", "score": 0.2, "pass": false,
//!             "reason": "...", "judge": "gpt-4o-mini"}]}
//! ```
//!
//! The label is the one in effect on the call (its latest, undone ones left out). `system`,
//! `note`, `labelled_by`, `reason` and `judge` are left out when unknown; `context` and the
//! `judge` list when empty. With `--redact` the texts and the note are masked.

use super::redact::{redact_call, Redactor};
use super::{Range, Written};
use crate::annotations::{Annotation, Annotations};
use crate::engine::read::agreement::{self, Agreement};
use crate::engine::read::review::{judge_passes, verdicts};
use crate::engine::store::StoredCall;
use crate::engine::Engine;
use crate::model::record::{format_time, Message};
use serde::Serialize;
use std::collections::BTreeMap;

/// A labelled call and the label line in effect on it.
pub type Labelled<'a> = (&'a StoredCall, &'a Annotation);

/// The labelled calls the store holds with event time in `range`, oldest first.
pub fn select<'a>(engine: &'a Engine, ann: &'a Annotations, range: Range) -> Vec<Labelled<'a>> {
    let mut rows: Vec<Labelled<'a>> = ann
        .labelled_calls()
        .filter(|(_, a)| a.label.is_some())
        .filter_map(|(id, a)| Some((engine.store.by_id(id)?, a)))
        .filter(|(sc, _)| range.contains(sc.time))
        .collect();
    rows.sort_by_key(|(sc, _)| sc.seq);
    rows
}

#[derive(Serialize)]
struct Input<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<&'a str>,
    messages: &'a [Message],
}

#[derive(Serialize)]
struct JudgeVerdict {
    criterion: String,
    score: f64,
    pass: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    judge: Option<String>,
}

#[derive(Serialize)]
struct Line<'a> {
    call_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    conversation: Option<&'a str>,
    time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<&'a str>,
    input: Input<'a>,
    output: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    context: &'a [String],
    label: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    labelled_by: Option<&'a str>,
    labelled_at: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    judge: Vec<JudgeVerdict>,
}

/// What [`write`] wrote, for the summary on stderr.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub written: Written,
    /// Calls per label.
    pub labels: BTreeMap<String, u64>,
    /// Written calls that carry at least one judge verdict.
    pub judged: u64,
    /// Judge/human agreement per criterion over the written calls.
    pub agreement: Vec<Agreement>,
}

/// Writes one line per labelled call (see the module docs).
pub fn write(
    out: &mut dyn std::io::Write,
    rows: &[Labelled<'_>],
    redactor: Option<&dyn Redactor>,
) -> std::io::Result<Summary> {
    let mut s = Summary::default();
    for (sc, a) in rows {
        let Some(label) = a.label.as_deref() else {
            continue;
        };
        let call = match redactor {
            Some(r) => redact_call(&sc.call, r),
            None => sc.call.clone(),
        };
        let judge: Vec<JudgeVerdict> = verdicts(sc)
            .into_iter()
            .map(|v| JudgeVerdict {
                pass: judge_passes(v.score),
                reason: match redactor {
                    Some(r) => v.reason.as_deref().map(|t| r.redact(t)),
                    None => v.reason,
                },
                criterion: v.criterion,
                score: v.score,
                judge: v.judge,
            })
            .collect();
        let line = Line {
            call_id: &call.id,
            conversation: sc.conversation.as_deref(),
            time: format_time(sc.time),
            model: call.model_name(),
            input: Input {
                system: call.system_prompt.as_deref().filter(|s| !s.is_empty()),
                messages: &call.messages,
            },
            output: call.output.as_deref(),
            context: &call.context,
            label,
            note: match redactor {
                Some(r) => a.note.as_deref().map(|n| r.redact(n)),
                None => a.note.clone(),
            },
            labelled_by: a.author.as_deref(),
            labelled_at: &a.at,
            judge,
        };
        serde_json::to_writer(&mut *out, &line)?;
        writeln!(out)?;
        s.written.items += 1;
        s.written.calls += 1;
        *s.labels.entry(label.to_string()).or_default() += 1;
        s.judged += u64::from(!line.judge.is_empty());
    }
    s.agreement = agreement(
        rows.iter()
            .filter_map(|(sc, a)| Some((*sc, a.label.as_deref()?))),
    );
    Ok(s)
}

/// Judge/human agreement per criterion over labelled calls: each judge verdict on a call
/// paired with its reviewer's label.
pub fn agreement<'a>(calls: impl IntoIterator<Item = (&'a StoredCall, &'a str)>) -> Vec<Agreement> {
    agreement::per_criterion(calls.into_iter().flat_map(|(sc, label)| {
        verdicts(sc)
            .into_iter()
            .map(move |v| (v.criterion, v.score, label))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::EngineConfig;
    use crate::model::record::{Call, Feedback, FeedbackKind, Record};
    use crate::model::source::SourceKind;

    fn engine() -> Engine {
        let mut e = Engine::new(EngineConfig::default());
        let src = e.add_source("t", SourceKind::File);
        let call = |id: &str, t: i64, score: Option<f64>| {
            let mut c = Call {
                id: id.into(),
                ts: Some(1_795_687_200_000_000_000 + t),
                model: Some("gpt-4o".into()),
                system_prompt: Some("Answer from the documents.".into()),
                messages: vec![Message {
                    role: "user".into(),
                    content: format!("question {id}"),
                }],
                output: Some(format!("answer {id}")),
                context: vec!["doc one".into()],
                ..Call::default()
            };
            if let Some(s) = score {
                c.scores.insert("helpfulness".into(), s);
            }
            Record::Call(Box::new(c))
        };
        let verdict = Record::Feedback(Feedback {
            call_id: "b".into(),
            time: None,
            kind: FeedbackKind::Score,
            value: Some(0.2),
            comment: Some("the fare is not in the documents".into()),
            user: None,
            name: Some("judge.groundedness".into()),
            judge: Some("gpt-4o-mini".into()),
        });
        let recs = vec![
            call("a", 0, Some(0.9)),
            call("b", 1, None),
            call("c", 2, Some(0.1)),
            call("unlabelled", 3, Some(0.1)),
            verdict,
        ];
        e.ingest(
            src,
            recs.into_iter()
                .enumerate()
                .map(|(i, r)| (i as u64 + 1, r))
                .collect(),
        );
        e
    }

    #[test]
    fn one_line_per_labelled_call_with_input_output_label_and_verdicts() {
        let e = engine();
        let mut ann = Annotations::in_memory();
        ann.label(Some("c"), None, "good", None).unwrap();
        ann.label(Some("b"), None, "bad", None).unwrap();
        ann.label(Some("b"), None, "hallucination", Some("made up a fare"))
            .unwrap();
        ann.label(Some("a"), None, "good", None).unwrap();
        ann.label(Some("gone"), None, "bad", None).unwrap();
        let rows = select(&e, &ann, Range::default());
        let mut out = Vec::new();
        let s = write(&mut out, &rows, None).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let ids: Vec<&str> = lines
            .iter()
            .map(|l| l["call_id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            ["a", "b", "c"],
            "store order; the unknown call left out"
        );
        let b = &lines[1];
        assert_eq!(b["label"], "hallucination", "the latest label wins");
        assert_eq!(b["note"], "made up a fare");
        assert_eq!(b["input"]["system"], "Answer from the documents.");
        assert_eq!(b["input"]["messages"][0]["content"], "question b");
        assert_eq!(b["output"], "answer b");
        assert_eq!(b["context"][0], "doc one");
        assert_eq!(b["judge"][0]["criterion"], "groundedness");
        assert_eq!(b["judge"][0]["pass"], false);
        assert_eq!(b["judge"][0]["reason"], "the fare is not in the documents");
        assert_eq!(b["judge"][0]["judge"], "gpt-4o-mini");
        assert_eq!(lines[0]["judge"][0]["score"], 0.9);
        assert_eq!(s.written.items, 3);
        assert_eq!(s.judged, 3);
        assert_eq!(s.labels.get("good"), Some(&2));
        // helpfulness: a (pass, good) and c (fail, good); groundedness: b (fail, fail).
        let names: Vec<&str> = s.agreement.iter().map(|a| a.criterion.as_str()).collect();
        assert_eq!(names, ["groundedness", "helpfulness"]);
        assert_eq!(s.agreement[1].table.agree(), 1);
        assert_eq!(s.agreement[1].table.n(), 2);
    }

    #[test]
    fn redaction_masks_texts_and_the_note() {
        let e = engine();
        let mut ann = Annotations::in_memory();
        ann.label(Some("a"), None, "bad", Some("mail jane.doe@example.com"))
            .unwrap();
        let rows = select(&e, &ann, Range::default());
        let mut out = Vec::new();
        write(
            &mut out,
            &rows,
            Some(&super::super::redact::PatternRedactor),
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("jane.doe"), "{text}");
        assert!(text.contains("[EMAIL]"), "{text}");
    }
}
