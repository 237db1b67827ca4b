//! The two header rows: the pane tabs with the window and FOLLOW / PAUSED +N, then the
//! firing-alert banner (if any) and each source with its state, records/s, rejected and evicted counts.

use crate::engine::sources::SourceStats;
use crate::engine::Engine;
use crate::model::source::SourceState;
use crate::present::format::fit;
use crate::present::sanitize;
use crate::tui::app::{App, Pane};
use crate::tui::theme::Level;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// Draws the header.
pub fn draw(f: &mut Frame, area: Rect, app: &App, engine: &Engine) {
    let t = &app.theme;
    let mut tabs = vec![Span::styled(" llmmon ", t.header)];
    for (i, p) in Pane::ALL.iter().enumerate() {
        let text = format!(" {}:{} ", i + 1, p.title());
        tabs.push(if *p == app.pane {
            Span::styled(text, t.selection)
        } else {
            Span::styled(text, t.dim)
        });
    }
    let mode = match app.paused_behind(engine) {
        Some(n) => Span::styled(format!(" ‖ PAUSED +{n} "), t.warn),
        None if app.follow => Span::styled(" ▶ FOLLOW ", t.ok),
        None => Span::styled(" ■ SCROLL ", t.dim),
    };
    let window = Span::styled(format!(" window {} ", app.window_label()), t.title);
    let used: usize = tabs.iter().map(|s| s.width()).sum::<usize>() + mode.width() + window.width();
    if used > usize::from(area.width) {
        // Narrow terminals: keep only the focused tab's number and title.
        tabs.retain(|s| s.style == t.selection || s.style == t.header);
    }
    tabs.push(window);
    tabs.push(mode);
    if app.redact {
        tabs.push(Span::styled(" ▒ REDACTED ", t.warn));
    }
    let mut spans = Vec::new();
    let snap = &app.snap;
    if let Some(banner) = &snap.alerts.banner {
        let (lvl, style) = if snap.alerts.critical {
            (Level::Crit, t.crit)
        } else {
            (Level::Warn, t.warn)
        };
        spans.push(Span::styled(
            format!("{} {} ", lvl.symbol(), sanitize::line(banner)),
            style.add_modifier(Modifier::BOLD),
        ));
        spans.push(Span::raw(" "));
    }
    let evicted = snap.evicted;
    for (i, s) in snap.sources.iter().enumerate() {
        let (mark, style) = match &s.state {
            SourceState::Connected | SourceState::AtEnd => ("●", t.ok),
            SourceState::Connecting | SourceState::Retrying { .. } => ("◌", t.warn),
            SourceState::Done => ("○", t.dim),
            SourceState::Error(_) => ("✗", t.crit),
        };
        let rate = app.rates.per_source.get(i).copied().unwrap_or(0.0);
        let name = sanitize::line(&s.id);
        let name = fit(&name, 28);
        spans.push(Span::styled(format!("{mark} "), style));
        spans.push(Span::raw(format!("{name} ")));
        spans.push(Span::styled(
            sanitize::line(&s.state_label()).into_owned(),
            style,
        ));
        if crate::tui::views::sources::opened_at_end(s, app.from_start) {
            spans.push(Span::styled(
                " (opened at its end: --from-start replays)",
                t.warn,
            ));
        }
        if let Some(text) = loading(s, app.load_sizes.get(i).copied().flatten()) {
            spans.push(Span::styled(text, t.warn));
        }
        spans.push(Span::raw(format!(" {rate:.0} rec/s")));
        let rej = s.rejected_total();
        if rej > 0 {
            spans.push(Span::styled(format!(" rej {rej} (i shows them)"), t.warn));
        }
        if s.throttled > 0 {
            spans.push(Span::styled(format!(" busy {}", s.throttled), t.warn));
        }
        spans.push(Span::raw("  "));
    }
    if snap.sources.is_empty() {
        spans.push(Span::styled("no sources", t.dim));
    }
    let ev = evicted.calls + evicted.conversations + evicted.traces;
    spans.push(Span::styled(
        format!("evicted {ev}  records {}", snap.records),
        t.dim,
    ));
    f.render_widget(
        Paragraph::new(vec![Line::from(tabs), Line::from(spans)]),
        area,
    );
}

/// " loading 45% of 907 MB" while a file replayed from its start (`--from-start`) is still
/// being read, so a large log shows how far it has come instead of a silent screen.
fn loading(s: &SourceStats, size: Option<u64>) -> Option<String> {
    let size = size.filter(|&n| n > 0)?;
    if s.state != SourceState::Connected || s.bytes >= size {
        return None;
    }
    let pct = s.bytes as f64 / size as f64 * 100.0;
    let size = if size >= 10_000_000 {
        format!("{:.0} MB", size as f64 / 1e6)
    } else {
        format!("{:.1} MB", size as f64 / 1e6)
    };
    Some(format!(" loading {pct:.0}% of {size}"))
}

#[cfg(test)]
mod tests {
    use super::loading;
    use crate::engine::sources::SourceStats;
    use crate::model::source::{SourceKind, SourceState};

    #[test]
    fn a_file_replayed_from_its_start_shows_how_far_loading_is() {
        let mut s = SourceStats::new("big.jsonl", SourceKind::File);
        s.state = SourceState::Connected;
        s.bytes = 453_500_000;
        assert_eq!(
            loading(&s, Some(907_000_000)).as_deref(),
            Some(" loading 50% of 907 MB")
        );
        assert_eq!(loading(&s, None), None, "not replayed from its start");
        s.state = SourceState::AtEnd;
        assert_eq!(loading(&s, Some(907_000_000)), None, "loaded");
    }
}
