//! The attribute panel of the full-height waterfall: everything known about the span under
//! the cursor (ids, kind, model, provider, status, timing, tokens, cost with where it came
//! from, its subtree's totals, tool calls, metadata), one sanitised line each.

use super::{cost_text, subtree_sum};
use crate::engine::read::trace::{known_cost, own_tokens, Cost, SpanRow};
use crate::model::record::{Call, CostProvenance, Status};
use crate::present::format::{fmt_count, fmt_ms};
use crate::present::sanitize;
use crate::tui::theme::Theme;
use crate::tui::views::block;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

/// Draws the panel for `span` (its tree row and its call), or says there is none.
pub(super) fn draw(f: &mut Frame, area: Rect, t: &Theme, span: Option<(&SpanRow, &Call)>) {
    let outer = block(" span ", t, false);
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    let Some((row, call)) = span else {
        f.render_widget(
            Paragraph::new(Line::styled("no span under the cursor", t.dim)),
            inner,
        );
        return;
    };
    let lines: Vec<Line> = fields(row, call)
        .into_iter()
        .map(|(k, v, bad)| {
            let style = if bad { t.crit } else { t.base };
            Line::from(vec![
                Span::styled(format!("{k:<8} "), t.title),
                Span::styled(sanitize::line(&v).into_owned(), style),
            ])
        })
        .collect();
    // Long values (tool arguments, attributes) wrap rather than lose their end; when the
    // wrapped lines outrun the panel, its last row says where the rest is.
    let width = usize::from(inner.width.max(1));
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(width)).sum();
    let height = usize::from(inner.height);
    if rows > height && height > 1 {
        let body = Rect::new(inner.x, inner.y, inner.width, inner.height - 1);
        let last = Rect::new(inner.x, inner.y + inner.height - 1, inner.width, 1);
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);
        f.render_widget(
            Paragraph::new(Line::styled("… more: Enter opens the whole span", t.dim)),
            last,
        );
        return;
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// The panel's lines as (label, value, drawn as an error), most useful first.
fn fields(row: &SpanRow, c: &Call) -> Vec<(&'static str, String, bool)> {
    let mut out = Fields::default();
    let mut span = format!("{} · {}", row.label, c.operation.as_str());
    if c.stream == Some(true) {
        span.push_str(" · stream");
    }
    out.add("span", span);
    if c.status == Status::Error || c.error_type.is_some() {
        let e = [c.error_type.as_deref(), c.error_message.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(": ");
        let e = if e.is_empty() { "error".to_owned() } else { e };
        out.bad("status", e);
    } else {
        out.add("status", "ok".into());
    }
    match (model(c), &c.provider) {
        (Some(m), Some(p)) => out.add("model", format!("{m} · {p}")),
        (Some(m), None) => out.add("model", m),
        (None, Some(p)) => out.add("provider", p.clone()),
        (None, None) => {}
    }
    out.add("cost", cost(c));
    out.add("tokens", tokens(c));
    if row.descendants > 0 {
        let sum = subtree_sum(row).unwrap_or_else(|| "no LLM calls".into());
        out.add(
            "subtree",
            format!("{sum} · LLM calls of its {} spans", row.descendants + 1),
        );
    }
    let mut time = fmt_ms(row.end_ms - row.start_ms);
    if let Some(ttft) = c.ttft_ms {
        time.push_str(&format!(" · ttft {}", fmt_ms(ttft)));
    }
    time.push_str(&format!(" · at +{}", fmt_ms(row.start_ms)));
    out.add("time", time);
    let id = |v: &Option<String>| v.as_deref().unwrap_or("-").to_owned();
    let parent = match (&c.parent_span_id, row.orphan) {
        (Some(p), true) => format!("{p} (not seen)"),
        (p, _) => id(p),
    };
    out.add(
        "ids",
        format!(
            "span {} · parent {parent} · trace {}",
            id(&c.span_id),
            id(&c.trace_id)
        ),
    );
    let who: Vec<String> = [("service", &c.app), ("user", &c.user), ("env", &c.env)]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} {v}")))
        .collect();
    if !who.is_empty() {
        out.add("from", who.join(" · "));
    }
    if let Some(r) = &c.finish_reason {
        out.add("finish", r.clone());
    }
    for tc in &c.tool_calls {
        let mut v = format!("{}({})", tc.name, tc.arguments);
        if let Some(r) = &tc.result {
            v.push_str(&format!(" → {r}"));
        }
        out.add("tool", v);
    }
    for (k, v) in &c.metadata {
        let v = match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        out.add("attr", format!("{k} = {v}"));
    }
    out.0
}

/// Lines being collected: (label, value, drawn as an error).
#[derive(Default)]
struct Fields(Vec<(&'static str, String, bool)>);

impl Fields {
    fn add(&mut self, k: &'static str, v: String) {
        self.0.push((k, v, false));
    }

    fn bad(&mut self, k: &'static str, v: String) {
        self.0.push((k, v, true));
    }
}

/// `gpt-4o`, or `gpt-4o → gpt-4o-2024-08-06` when the answering model differs.
fn model(c: &Call) -> Option<String> {
    match (&c.model, &c.response_model) {
        (Some(m), Some(r)) if m != r => Some(format!("{m} → {r}")),
        (Some(m), _) | (None, Some(m)) => Some(m.clone()),
        (None, None) => None,
    }
}

/// `in 100 · out 40 · cache read 20 · reasoning 8`, or `not reported`.
fn tokens(c: &Call) -> String {
    let k = &c.tokens;
    let parts: Vec<String> = [
        ("in", k.input),
        ("out", k.output),
        ("cache read", k.cache_read),
        ("cache write", k.cache_write),
        ("reasoning", k.reasoning),
    ]
    .into_iter()
    .filter_map(|(name, n)| n.map(|n| format!("{name} {}", fmt_count(n))))
    .collect();
    if parts.is_empty() {
        "not reported".into()
    } else {
        parts.join(" · ")
    }
}

/// The span's own cost and where it came from; `?` when it is not known.
fn cost(c: &Call) -> String {
    let own = Cost::of(c);
    let text = cost_text(own);
    match (c.cost_usd, known_cost(c), &c.cost_source) {
        (None, _, _) if own.unknown && own_tokens(c).is_none() => {
            format!("{text} unpriced: no token counts to price")
        }
        (None, _, _) if own.unknown => {
            format!("{text} unpriced: model not in the price table")
        }
        (None, _, _) => "- none reported".into(),
        (Some(_), None, _) => format!("{text} unknown: no token counts to price"),
        (Some(_), Some(_), Some(CostProvenance::Computed { table_date })) => {
            format!("{text} from the price table of {table_date}")
        }
        (Some(_), Some(_), _) => format!("{text} reported by the source"),
    }
}

#[cfg(test)]
mod tests {
    use super::{cost, draw};
    use crate::engine::read::trace::{Cost, SpanRow};
    use crate::model::record::{Call, CostProvenance, Operation};
    use crate::tui::theme::Theme;
    use ratatui::backend::TestBackend;
    use ratatui::layout::Rect;
    use ratatui::Terminal;

    #[test]
    fn a_panel_too_short_for_its_span_says_where_the_rest_is() {
        let mut c = Call {
            id: "s".into(),
            operation: Operation::Tool,
            ..Call::default()
        };
        for i in 0..30 {
            c.metadata.insert(format!("attr{i}"), serde_json::json!(i));
        }
        let row = SpanRow {
            seq: 0,
            depth: 0,
            start_ms: 0.0,
            end_ms: 5.0,
            label: "search".into(),
            cost: Cost::default(),
            tokens: None,
            subtree_cost: Cost::default(),
            subtree_tokens: 0,
            descendants: 0,
            error: false,
            orphan: false,
            on_critical_path: false,
            on_costliest_branch: false,
        };
        let screen = |h: u16| {
            let mut term = Terminal::new(TestBackend::new(50, h)).unwrap_or_else(|e| panic!("{e}"));
            term.draw(|f| draw(f, Rect::new(0, 0, 50, h), &Theme::dark(), Some((&row, &c))))
                .unwrap_or_else(|e| panic!("{e}"));
            format!("{:?}", term.backend().buffer())
        };
        assert!(screen(12).contains("… more: Enter opens the whole span"));
        let tall = screen(60);
        assert!(!tall.contains("… more"));
        assert!(tall.contains("attr9"));
    }

    #[test]
    fn an_unpriced_span_says_why_it_has_no_price() {
        let mut stream = Call {
            id: "s".into(),
            model: Some("gpt-4o".into()),
            operation: Operation::Chat,
            cost_source: Some(CostProvenance::Unpriced),
            ..Call::default()
        };
        assert!(cost(&stream).contains("unpriced: no token counts to price"));
        stream.model = Some("mystery-model".into());
        stream.tokens.input = Some(100);
        assert!(cost(&stream).contains("unpriced: model not in the price table"));
    }
}
