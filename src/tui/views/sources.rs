//! The sources inspector (`i`): per source its state, counters and rejections by reason,
//! then the latest rejected lines with their number, reason and a sanitised start of the
//! line, newest first. A followed file that started at its end and has delivered nothing
//! says so, with how to replay it. It reads the snapshot, so a paused screen keeps it.

use super::block;
use crate::engine::sources::SourceStats;
use crate::model::source::{SourceKind, SourceState};
use crate::present::format::{fit, fmt_count};
use crate::present::sanitize;
use crate::tui::app::App;
use crate::tui::theme::Theme;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// Latest rejected lines shown per source.
const SHOWN_REJECTS: usize = 8;

/// Draws the inspector over the pane's area.
pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let snap = &app.snap;
    let title = format!(" Sources · {} · i or esc closes ", snap.sources.len());
    let outer = block(&title, t, true);
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    let w = usize::from(inner.width);
    let mut lines = Vec::new();
    for s in &snap.sources {
        lines.extend(source_lines(t, s, app.from_start, w));
        lines.push(Line::raw(""));
    }
    let e = snap.evicted;
    lines.push(Line::styled(
        format!(
            "store evicted {} calls, {} conversations, {} traces, {} pending feedback (oldest first, to stay bounded)",
            fmt_count(e.calls),
            fmt_count(e.conversations),
            fmt_count(e.traces),
            fmt_count(e.pending)
        ),
        t.dim,
    ));
    f.render_widget(Paragraph::new(lines), inner);
}

/// A followed file that started at its end and has delivered nothing yet: the header and
/// the inspector say so, with how to replay it.
pub fn opened_at_end(s: &SourceStats, from_start: bool) -> bool {
    s.kind == SourceKind::File && s.state == SourceState::AtEnd && s.lines == 0 && !from_start
}

/// One source's block: heading, counters, the at-end hint, the latest rejections.
fn source_lines(t: &Theme, s: &SourceStats, from_start: bool, w: usize) -> Vec<Line<'static>> {
    let state_style = match &s.state {
        SourceState::Error(_) => t.crit,
        SourceState::Retrying { .. } => t.warn,
        _ => t.ok,
    };
    let mut out = vec![Line::from(vec![
        Span::styled(
            fit(&sanitize::line(&s.id), w.saturating_sub(30)).into_owned(),
            t.title,
        ),
        Span::raw(format!("  {}  ", s.kind.as_str())),
        Span::styled(
            fit(&sanitize::line(&s.state_label()), 60).into_owned(),
            state_style,
        ),
    ])];
    let reasons: Vec<String> = s
        .rejected
        .iter()
        .map(|(r, n)| format!("{} {}", r.as_str(), fmt_count(*n)))
        .collect();
    let rejected = match reasons.is_empty() {
        true => "rejected 0".to_string(),
        false => format!(
            "rejected {} ({})",
            fmt_count(s.rejected_total()),
            reasons.join(", ")
        ),
    };
    let throttled = match s.throttled {
        0 => String::new(),
        n => format!(" · throttled {} (asked to retry)", fmt_count(n)),
    };
    out.push(Line::raw(
        fit(
            &format!(
                "  lines {} · records {} · bytes {} · {rejected}{throttled}",
                fmt_count(s.lines),
                fmt_count(s.records),
                fmt_count(s.bytes),
            ),
            w,
        )
        .into_owned(),
    ));
    match &s.state {
        SourceState::Retrying {
            last_error,
            attempt,
            ..
        } => out.push(Line::styled(
            fit(
                &format!("  attempt {attempt}: {}", sanitize::line(last_error)),
                w,
            )
            .into_owned(),
            t.warn,
        )),
        SourceState::Error(e) => out.push(Line::styled(
            fit(&format!("  failed: {}", sanitize::line(e)), w).into_owned(),
            t.crit,
        )),
        _ => {}
    }
    if opened_at_end(s, from_start) {
        out.push(Line::styled(
            "  at its end, waiting for new lines: it was opened at its end (llmmon --from-start FILE replays it)",
            t.warn,
        ));
    }
    if s.recent.is_empty() {
        return out;
    }
    out.push(Line::styled(
        format!(
            "  latest rejected lines (newest first, {} kept):",
            s.recent.len()
        ),
        t.dim,
    ));
    for r in s.recent.iter().rev().take(SHOWN_REJECTS) {
        let snippet = if r.snippet.is_empty() {
            String::new()
        } else {
            format!(" «{}»", sanitize::line(&r.snippet))
        };
        let text = format!(
            "  line {} · {}: {}{snippet}",
            r.line_no,
            r.reject.reason.as_str(),
            sanitize::line(&r.reject.detail),
        );
        out.push(Line::raw(fit(&text, w).into_owned()));
    }
    out
}
