//! The drill-down: a conversation turn by turn (roles, per-turn model, latency, TTFT,
//! tokens, cost and status; tool calls with arguments and results; feedback, scores and an
//! LLM judge's verdicts with their reasons;
//! flags highlighted in the text at their byte spans), one call or span, or the raw JSON of
//! the record (`J`). Everything is sanitised; a live conversation grows as turns arrive, a
//! paused view stops at the calls retained when Space was pressed.

use super::block;
use crate::annotations::Annotation;
use crate::engine::store::{Seq, StoredCall};
use crate::engine::Engine;
use crate::enrich::safety::redact;
use crate::export::redact::{PatternRedactor, Redactor};
use crate::model::record::{format_time, Feedback, Flag, Status, TextField};
use crate::present::format::fmt_ms;
use crate::present::format::{fmt_cost, fmt_count, token_pair};
use crate::present::sanitize;
use crate::tui::app::{App, Detail, Target};
use crate::tui::theme::{cost_mark, severity_label, Theme};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;
use std::borrow::Cow;

/// Draws a detail or JSON entry of the drill-down stack.
pub fn draw(f: &mut Frame, area: Rect, app: &App, engine: &Engine, d: &Detail) {
    let t = &app.theme;
    let lines = styled(app, engine, d);
    let what = match &d.target {
        Target::Conversation(k) => format!("conversation {}", sanitize::line(k)),
        Target::Call(s) => engine.store.get(*s).map_or("call (evicted)".into(), |c| {
            format!("call {}", sanitize::line(&c.call.id))
        }),
        Target::Trace(id) => format!("trace {}", sanitize::line(id)),
    };
    let kind = if d.json { "raw JSON" } else { "detail" };
    let title = format!(
        " {kind} · {what} · line {}/{} · esc back ",
        d.scroll + 1,
        lines.len().max(1)
    );
    // The scroll counts logical lines (what search and the turn jump land on), so the
    // paragraph starts at that line rather than scrolling wrapped rows.
    let mut lines = lines;
    let shown = lines.split_off(d.scroll.min(lines.len()));
    let para = Paragraph::new(shown).block(block(&title, t, true));
    let para = if d.json {
        para
    } else {
        para.wrap(Wrap { trim: false })
    };
    f.render_widget(para, area);
}

/// The line of a conversation detail where the turn of call `seq` begins (what Enter on a
/// call scrolls to); `None` when `d` is not that call's conversation or the turn is gone.
pub fn turn_line(app: &App, engine: &Engine, d: &Detail, seq: Seq) -> Option<usize> {
    let Target::Conversation(key) = &d.target else {
        return None;
    };
    let c = engine.store.conversations().get(key)?;
    let i = c.turns.iter().position(|&s| s == seq)?;
    let first_no = c.calls.saturating_sub(c.turns.len() as u64);
    let head = format!("── turn {} ·", first_no + i as u64 + 1);
    text(app, engine, d)
        .iter()
        .position(|l| l.starts_with(&head))
}

/// The detail's text without styles, one string per logical line (search, copy, length).
pub fn text(app: &App, engine: &Engine, d: &Detail) -> Vec<String> {
    styled(app, engine, d)
        .into_iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect()
}

fn styled(app: &App, engine: &Engine, d: &Detail) -> Vec<Line<'static>> {
    let max_seq = app.max_seq();
    if d.json {
        let mut json = json_of(engine, &d.target, max_seq)
            .unwrap_or_else(|| "record no longer retained".into());
        if app.redact {
            json = PatternRedactor.redact(&json);
        }
        return sanitize::block(&json)
            .lines()
            .map(|l| Line::raw(l.to_string()))
            .collect();
    }
    let t = &app.theme;
    let store = &engine.store;
    let mut out = Vec::new();
    match &d.target {
        Target::Conversation(key) => {
            let Some(c) = store.conversations().get(key) else {
                out.push(Line::styled(
                    "conversation no longer retained (evicted)",
                    t.dim,
                ));
                return out;
            };
            let derived = if c.derived {
                " (grouped by user and gap: no session id sent)"
            } else {
                ""
            };
            let mark = if app.is_marked(engine, key) {
                "★ marked · "
            } else {
                ""
            };
            out.push(Line::styled(
                format!("{mark}conversation {}{derived}", sanitize::line(key)),
                t.title,
            ));
            for a in app.annotations.for_conversation(key) {
                if a.call_id.is_none() {
                    out.push(annotation_line(t, a));
                }
            }
            out.push(Line::raw(format!(
                "user {} · app {} · {} turns · {} errors · tokens {} in / {} out · cost {}{} · flags {} · feedback +{} -{}",
                sanitize::line(c.user.as_deref().unwrap_or("-")),
                sanitize::line(c.app.as_deref().unwrap_or("-")),
                c.calls,
                c.errors,
                fmt_count(c.input_tokens),
                fmt_count(c.output_tokens),
                fmt_cost(c.cost_usd),
                if c.unpriced_calls > 0 { format!(" (+{} unpriced)", c.unpriced_calls) } else { String::new() },
                c.flags,
                c.feedback_up,
                c.feedback_down,
            )));
            if c.calls > c.turns.len() as u64 {
                out.push(Line::styled(
                    format!(
                        "(older turns not retained; showing the last {})",
                        c.turns.len()
                    ),
                    t.dim,
                ));
            }
            let mut prev_msgs = 0;
            let first_no = c.calls.saturating_sub(c.turns.len() as u64);
            for (i, &seq) in c.turns.iter().enumerate() {
                if max_seq.is_some_and(|m| seq > m) {
                    break;
                }
                let Some(sc) = store.get(seq) else {
                    out.push(Line::styled(
                        format!("── turn {} (evicted) ──", first_no + i as u64 + 1),
                        t.dim,
                    ));
                    continue;
                };
                turn(&mut out, app, sc, first_no + i as u64 + 1, prev_msgs);
                prev_msgs = sc.call.messages.len() + usize::from(sc.call.output.is_some());
            }
        }
        Target::Call(seq) => match store.get(*seq) {
            Some(sc) => {
                let c = &sc.call;
                out.push(Line::styled(
                    format!("call {} · {}", sanitize::line(&c.id), c.operation.as_str()),
                    t.title,
                ));
                let ids = [
                    (
                        "conversation",
                        c.conversation_id.as_deref().or(sc.conversation.as_deref()),
                    ),
                    ("trace", c.trace_id.as_deref()),
                    ("span", c.span_id.as_deref()),
                    ("parent", c.parent_span_id.as_deref()),
                    ("user", c.user.as_deref()),
                    ("app", c.app.as_deref()),
                    ("provider", c.provider.as_deref()),
                ];
                let ids: Vec<String> = ids
                    .iter()
                    .filter_map(|(k, v)| v.map(|v| format!("{k} {}", sanitize::line(v))))
                    .collect();
                out.push(Line::raw(ids.join(" · ")));
                turn(&mut out, app, sc, 1, 0);
            }
            None => out.push(Line::styled("call no longer retained (evicted)", t.dim)),
        },
        Target::Trace(id) => out.push(Line::raw(format!("trace {}", sanitize::line(id)))),
    }
    out
}

/// Appends one turn: a header line with its numbers, then its texts.
fn turn(out: &mut Vec<Line<'static>>, app: &App, sc: &StoredCall, no: u64, skip_msgs: usize) {
    let t = &app.theme;
    let redact = app.redact;
    let c = &sc.call;
    let status = match c.status {
        Status::Ok => Span::styled("✓ ok", t.ok),
        Status::Error => Span::styled("✗ error", t.crit),
    };
    let tokens = token_pair(c.tokens.input, c.tokens.output)
        .map_or("tokens -".to_string(), |p| format!("{p} tok"));
    let cost = match c.cost_usd {
        Some(v) => format!("{}{}", fmt_cost(v), cost_mark(c.cost_source.as_ref())),
        None if c.operation.is_llm_call() => "unpriced?".into(),
        None => "no cost of its own".into(),
    };
    out.push(Line::raw(""));
    out.push(Line::from(vec![
        Span::styled(
            format!("── turn {no} · {} · ", format_time(sc.time)),
            t.title,
        ),
        Span::raw(format!(
            "{} · {} · ttft {} · {tokens} · ",
            sanitize::line(c.model_name().unwrap_or("-")),
            c.effective_latency_ms().map_or("-".into(), fmt_ms),
            c.ttft_ms.map_or("-".into(), fmt_ms),
        )),
        Span::styled(cost, t.cost(c.cost_source.as_ref())),
        Span::raw(" · "),
        status,
        Span::styled(" ──", t.title),
    ]));
    if let Some(s) = &c.system_prompt {
        if skip_msgs == 0 {
            text_block(out, t, "system", s, TextField::System, &c.flags, redact);
        }
    }
    for (i, m) in c
        .messages
        .iter()
        .enumerate()
        .skip(skip_msgs.min(c.messages.len().saturating_sub(1)))
    {
        text_block(
            out,
            t,
            &m.role,
            &m.content,
            TextField::Input(i),
            &c.flags,
            redact,
        );
    }
    for (i, d) in c.context.iter().enumerate() {
        text_block(
            out,
            t,
            "context",
            d,
            TextField::Context(i),
            &c.flags,
            redact,
        );
    }
    for (i, tc) in c.tool_calls.iter().enumerate() {
        out.push(Line::from(vec![
            Span::styled("  tool ", t.key),
            Span::raw(sanitize::line(&tc.name).into_owned()),
        ]));
        if !tc.arguments.is_empty() {
            text_block(
                out,
                t,
                "  args",
                &tc.arguments,
                TextField::ToolArguments(i),
                &c.flags,
                redact,
            );
        }
        if let Some(r) = &tc.result {
            text_block(
                out,
                t,
                "  result",
                r,
                TextField::ToolResult(i),
                &c.flags,
                redact,
            );
        }
    }
    if let Some(o) = &c.output {
        text_block(out, t, "assistant", o, TextField::Output, &c.flags, redact);
    }
    if c.status == Status::Error || c.error_type.is_some() {
        out.push(Line::styled(
            format!(
                "  ✗ {}: {}",
                sanitize::line(c.error_type.as_deref().unwrap_or("error")),
                sanitize::line(c.error_message.as_deref().unwrap_or(""))
            ),
            t.crit,
        ));
    }
    for fl in &c.flags {
        out.push(Line::from(vec![
            Span::raw("  ⚑ "),
            Span::styled(severity_label(fl.severity), t.severity(fl.severity)),
            Span::raw(format!(
                " {}/{} {:.2} in {} «{}»",
                sanitize::line(&fl.detector),
                sanitize::line(&fl.rule),
                fl.score,
                field_name(fl.field),
                sanitize::line(&shown_snippet(fl, redact))
            )),
        ]));
    }
    for fb in &sc.feedback {
        let mut s = format!("  feedback {:?}", fb.kind).to_lowercase();
        if let Some(v) = fb.value {
            s.push_str(&format!(" {v}"));
        }
        if let Some(u) = &fb.user {
            s.push_str(&format!(" by {}", sanitize::line(u)));
        }
        if let Some(cm) = &fb.comment {
            s.push_str(&format!(" \"{}\"", sanitize::line(cm)));
        }
        out.push(Line::styled(s, t.title));
    }
    for v in &sc.verdicts {
        out.push(verdict_line(t, v, redact));
    }
    let judged = |k: &str| sc.verdicts.iter().any(|v| v.criterion() == Some(k));
    let s: Vec<String> = c
        .scores
        .iter()
        .filter(|(k, _)| !judged(k))
        .map(|(k, v)| format!("{} {v:.2}", sanitize::line(k)))
        .collect();
    if !s.is_empty() {
        out.push(Line::raw(format!("  scores {}", s.join(" · "))));
    }
    for a in app.annotations.for_call(&c.id) {
        out.push(annotation_line(t, a));
    }
}

/// One judge verdict: `judge groundedness 0.20 (gpt-4o-mini): reason`, its reason masked by
/// the redaction patterns when redaction is on (it may quote the answer).
fn verdict_line(t: &Theme, v: &Feedback, redact: bool) -> Line<'static> {
    let criterion = v.criterion().unwrap_or("score");
    let mut s = format!("  judge {}", sanitize::line(criterion));
    if let Some(score) = v.value {
        s.push_str(&format!(" {score:.2}"));
    }
    if let Some(j) = &v.judge {
        s.push_str(&format!(" ({})", sanitize::line(j)));
    }
    if let Some(reason) = v.comment.as_deref().filter(|r| !r.trim().is_empty()) {
        let reason = if redact {
            Cow::Owned(PatternRedactor.redact(reason))
        } else {
            Cow::Borrowed(reason)
        };
        s.push_str(&format!(": {}", sanitize::line(reason.trim())));
    }
    let low = v.value.is_some_and(|x| x < 0.5);
    Line::styled(s, if low { t.warn } else { t.key })
}

fn annotation_line(t: &Theme, a: &Annotation) -> Line<'static> {
    let mut s = format!("  ✎ {}", sanitize::line(a.label.as_deref().unwrap_or("-")));
    if let Some(n) = &a.note {
        s.push_str(&format!(" \"{}\"", sanitize::line(n)));
    }
    if let Some(who) = &a.author {
        s.push_str(&format!(" by {}", sanitize::line(who)));
    }
    Line::styled(s, if a.is_negative() { t.warn } else { t.key })
}

/// A flag's matched text as the screen shows it: masked when redaction is on.
pub fn shown_snippet(flag: &Flag, redact: bool) -> String {
    if redact {
        masked(&flag.snippet, flag)
    } else {
        flag.snippet.clone()
    }
}

/// A flagged span's text as shown with redaction on: its type label for PII and secrets
/// (`[EMAIL]`), unchanged for other detectors.
pub fn masked(span: &str, flag: &Flag) -> String {
    let whole = Flag {
        start: 0,
        end: span.len(),
        ..flag.clone()
    };
    redact(span, std::slice::from_ref(&whole))
}

fn field_name(f: TextField) -> String {
    match f {
        TextField::System => "system".into(),
        TextField::Input(i) => format!("message {i}"),
        TextField::Output => "output".into(),
        TextField::ToolArguments(i) => format!("tool {i} args"),
        TextField::ToolResult(i) => format!("tool {i} result"),
        TextField::Context(i) => format!("context {i}"),
    }
}

/// Appends `role: text`, sanitised, with the byte spans of flags on `field` highlighted in
/// their severity style (the flag list under the turn names them in text).
fn text_block(
    out: &mut Vec<Line<'static>>,
    t: &Theme,
    role: &str,
    text: &str,
    field: TextField,
    flags: &[Flag],
    redact: bool,
) {
    let mut spans: Vec<(usize, usize, Style, &Flag)> = flags
        .iter()
        .filter(|f| f.field == field && f.start < f.end && f.end <= text.len())
        .filter(|f| text.is_char_boundary(f.start) && text.is_char_boundary(f.end))
        .map(|f| (f.start, f.end, t.severity(f.severity).patch(t.hit), f))
        .collect();
    spans.sort_by_key(|s| s.0);
    let mut segments: Vec<(Cow<str>, Style)> = Vec::new();
    let mut at = 0;
    for (s, e, style, flag) in spans {
        if s < at {
            continue;
        }
        segments.push((Cow::Borrowed(&text[at..s]), t.base));
        let span = &text[s..e];
        segments.push((
            if redact {
                Cow::Owned(masked(span, flag))
            } else {
                Cow::Borrowed(span)
            },
            style,
        ));
        at = e;
    }
    segments.push((Cow::Borrowed(&text[at..]), t.base));
    let mut line: Vec<Span<'static>> =
        vec![Span::styled(format!("  {}: ", sanitize::line(role)), t.key)];
    for (seg, style) in segments {
        let clean = sanitize::block(&seg);
        let mut parts = clean.split('\n');
        if let Some(first) = parts.next() {
            if !first.is_empty() {
                line.push(Span::styled(first.to_string(), style));
            }
        }
        for p in parts {
            out.push(Line::from(std::mem::take(&mut line)));
            line.push(Span::raw("    "));
            if !p.is_empty() {
                line.push(Span::styled(p.to_string(), style));
            }
        }
    }
    out.push(Line::from(line));
}

/// Pretty JSON of what a target points at: a call, a conversation's retained turns, or a
/// trace's retained spans.
pub fn json_of(engine: &Engine, target: &Target, max_seq: Option<Seq>) -> Option<String> {
    let store = &engine.store;
    let visible = |s: &Seq| max_seq.is_none_or(|m| *s <= m);
    let calls: Vec<&crate::model::record::Call> = match target {
        Target::Call(seq) => {
            return store
                .get(*seq)
                .and_then(|c| serde_json::to_string_pretty(&c.call).ok())
        }
        Target::Conversation(k) => store
            .conversations()
            .get(k)?
            .turns
            .iter()
            .filter(|s| visible(s))
            .filter_map(|&s| store.get(s))
            .map(|c| &c.call)
            .collect(),
        Target::Trace(id) => store
            .traces()
            .get(id)?
            .spans
            .iter()
            .filter(|s| visible(s))
            .filter_map(|&s| store.get(s))
            .map(|c| &c.call)
            .collect(),
    };
    serde_json::to_string_pretty(&calls).ok()
}
