//! Pane 7, Calls: every retained call and span, newest first and live, or the worst first
//! when an alert opened it (its cause as the filter, shown in the title). Calls with no
//! session, user or trace are listed too; Enter opens one inside its conversation at its
//! turn, `t` its trace.

use super::conversations::list_title;
use super::{block, body_rows, scroll_to};
use crate::engine::read::alerts::DrillSort;
use crate::engine::store::StoredCall;
use crate::engine::Engine;
use crate::model::query::Query;
use crate::model::record::Status;
use crate::present::format::{clock, fit, fmt_cost, fmt_ms, token_pair};
use crate::present::sanitize;
use crate::tui::app::App;
use crate::tui::theme::{severity_label, Theme};
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

/// The order as the title names it.
pub fn sort_label(sort: DrillSort) -> &'static str {
    match sort {
        DrillSort::Newest => "newest",
        DrillSort::Latency => "latency ▼ (worst first)",
        DrillSort::Ttft => "ttft ▼ (worst first)",
        DrillSort::Cost => "cost ▼ (worst first)",
        DrillSort::Severity => "severity ▼ (worst first)",
    }
}

/// Draws the calls list.
pub fn draw(f: &mut Frame, area: Rect, app: &App, engine: &Engine) {
    let t = &app.theme;
    let idx = &app.calls_index;
    let filtered = !app.filter.text.is_empty() || app.filter.range.is_some();
    let mut title = list_title(
        "Calls",
        idx.rows.len(),
        idx.total,
        app.calls.pos,
        filtered,
        sort_label(app.calls_sort),
    );
    if !app.filter.text.is_empty() {
        title.push_str(&format!("· {} ", sanitize::line(&app.filter.text)));
    }
    if app.calls_return.is_some() {
        title.push_str("· esc back to the alert ");
    }
    let outer = block(&title, t, true);
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    if idx.rows.is_empty() {
        let msg = if idx.total == 0 {
            "No calls yet. Every call and span appears here as it arrives, newest first."
        } else {
            "No call matches the filter (Esc clears it)."
        };
        f.render_widget(Paragraph::new(Line::styled(msg, t.dim)), inner);
        return;
    }
    let body = body_rows(inner);
    app.calls.area.set(body);
    let h = usize::from(body.height);
    let first = scroll_to(&app.calls.offset, app.calls.pos, h, idx.rows.len());
    // Narrow terminals drop the provider and TTFT columns; `what` takes the rest.
    let wide = inner.width >= 120;
    let cols: &[Col] = if wide { &WIDE } else { &NARROW };
    let fixed: u16 = cols.iter().map(|c| c.width + 1).sum();
    let what_w = usize::from(inner.width.saturating_sub(fixed));
    let rows: Vec<Row> = idx.rows[first..(first + h).min(idx.rows.len())]
        .iter()
        .enumerate()
        .map(|(i, &seq)| {
            let row = match engine.store.get(seq) {
                Some(sc) => call_row(sc, t, &app.filter.query, app.redact, cols, what_w),
                None => Row::new(vec![Cell::from("(evicted)")]),
            };
            if first + i == app.calls.pos {
                row.style(t.selection)
            } else {
                row
            }
        })
        .collect();
    let widths: Vec<Constraint> = cols
        .iter()
        .map(|c| Constraint::Length(c.width))
        .chain([Constraint::Min(8)])
        .collect();
    let header = Row::new(cols.iter().map(|c| c.title).chain(["what"])).style(t.title);
    f.render_widget(Table::new(rows, widths).header(header), inner);
}

/// A fixed-width column of the list.
struct Col {
    title: &'static str,
    width: u16,
    kind: Kind,
}

#[derive(Clone, Copy)]
enum Kind {
    Time,
    Model,
    User,
    Provider,
    Latency,
    Ttft,
    Tokens,
    Cost,
    Status,
}

const fn col(title: &'static str, width: u16, kind: Kind) -> Col {
    Col { title, width, kind }
}

const WIDE: [Col; 9] = [
    col("time", 8, Kind::Time),
    col("model", 18, Kind::Model),
    col("user", 10, Kind::User),
    col("provider", 10, Kind::Provider),
    col("latency", 8, Kind::Latency),
    col("ttft", 7, Kind::Ttft),
    col("tokens", 11, Kind::Tokens),
    col("cost", 9, Kind::Cost),
    col("st", 2, Kind::Status),
];

const NARROW: [Col; 7] = [
    col("time", 8, Kind::Time),
    col("model", 12, Kind::Model),
    col("user", 8, Kind::User),
    col("latency", 7, Kind::Latency),
    col("tokens", 9, Kind::Tokens),
    col("cost", 7, Kind::Cost),
    col("st", 2, Kind::Status),
];

/// One call's cells; the last column says what stands out: its worst flag with the matched
/// text, else its error, else the start of the last user message.
fn call_row<'a>(
    sc: &StoredCall,
    t: &Theme,
    query: &Query,
    redact: bool,
    cols: &[Col],
    what_w: usize,
) -> Row<'a> {
    let c = &sc.call;
    let cell = |s: Option<&str>, w: u16| -> Cell<'a> {
        Cell::from(fit(&sanitize::line(s.unwrap_or("-")), usize::from(w)).into_owned())
    };
    let tokens = token_pair(c.tokens.input, c.tokens.output).unwrap_or_else(|| "-".into());
    let status = match c.status {
        Status::Ok => Span::styled("✓", t.ok),
        Status::Error => Span::styled("✗", t.crit),
    };
    let what: Line<'a> = match crate::tui::rows::shown_flag(c, query) {
        Some(worst) => {
            let shown = super::detail::shown_snippet(worst, redact);
            let text = format!(
                " {}/{} «{}»",
                sanitize::line(&worst.detector),
                sanitize::line(&worst.rule),
                sanitize::line(&shown)
            );
            Line::from(vec![
                Span::styled(severity_label(worst.severity), t.severity(worst.severity)),
                Span::raw(fit(&text, what_w.saturating_sub(4)).into_owned()),
            ])
        }
        None if c.status == Status::Error || c.error_type.is_some() => {
            let kind = c.error_type.as_deref().unwrap_or("error");
            let e = match c.error_message.as_deref().filter(|m| !m.is_empty()) {
                Some(m) => format!("{kind}: {m}"),
                None => kind.to_string(),
            };
            Line::styled(fit(&sanitize::line(&e), what_w).into_owned(), t.crit)
        }
        None => {
            let text = c.last_user_message().unwrap_or(c.operation.as_str());
            Line::raw(fit(&sanitize::line(text), what_w).into_owned())
        }
    };
    let cells = cols.iter().map(|col| match col.kind {
        Kind::Time => Cell::from(clock(sc.time)),
        // A span without a model (tool, chain) is named by its span name.
        Kind::Model => cell(c.model_name().or(c.name.as_deref()), col.width),
        Kind::User => cell(c.user.as_deref(), col.width),
        Kind::Provider => cell(c.provider.as_deref(), col.width),
        Kind::Latency => Cell::from(c.effective_latency_ms().map_or("-".into(), fmt_ms)),
        Kind::Ttft => Cell::from(c.ttft_ms.map_or("-".into(), fmt_ms)),
        Kind::Tokens => Cell::from(fit(&tokens, usize::from(col.width)).into_owned()),
        // Only an LLM call has a price to miss; a tool or workflow span costs nothing itself.
        Kind::Cost => Cell::from(match c.cost_usd {
            Some(v) => fmt_cost(v),
            None if c.operation.is_llm_call() => "?".into(),
            None => "-".into(),
        }),
        Kind::Status => Cell::from(status.clone()),
    });
    Row::new(cells.chain([Cell::from(what)]).collect::<Vec<_>>())
}
