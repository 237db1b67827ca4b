//! Pane 1, Overview: rates as sparklines, totals with cost provenance, latency and TTFT
//! distributions with p50/p90/p95/p99 marked (for the window and for the selected model),
//! and the models and users ranked by cost or by p95 latency, all from the snapshot's
//! [`crate::engine::read::overview::Overview`], so a paused view keeps its numbers.

use super::block;
use crate::engine::alerts::Level as AlertLevel;
use crate::engine::budgets::BudgetLine;
use crate::engine::read::overview::Dist;
use crate::engine::read::Rank;
use crate::engine::GroupSummary;
use crate::present::format::{fit, fmt_ms};
use crate::present::format::{fmt_cost, fmt_count, right};
use crate::present::sanitize;
use crate::tui::app::App;
use crate::tui::theme::Level;
use crate::tui::widgets::histogram::{HistogramBars, Percentile};
use crate::tui::widgets::sparkline::SparklineRow;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table};
use ratatui::Frame;

/// The percentile markers drawn over a distribution.
fn markers(d: &Dist) -> Vec<Percentile> {
    [
        ("p50", d.pct.p50),
        ("p90", d.pct.p90),
        ("p95", d.pct.p95),
        ("p99", d.pct.p99),
    ]
    .into_iter()
    .filter_map(|(l, v)| v.map(|v| Percentile::new(l, v)))
    .collect()
}

/// One line per budget: `daily $1.20 of $5.00 (24%)`.
fn budget_text(b: &BudgetLine) -> String {
    let pct = if b.limit_usd > 0.0 {
        format!(" ({:.0}%)", b.spent_usd / b.limit_usd * 100.0)
    } else {
        String::new()
    };
    format!(
        "{} {} of {}{pct}",
        sanitize::line(&b.name),
        fmt_cost(b.spent_usd),
        fmt_cost(b.limit_usd)
    )
}

/// Draws the overview into `area`.
pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let d = &app.snap.overview;
    let t = &app.theme;
    if !d.has_data {
        let msg = vec![
            Line::styled("No LLM calls in this window yet.", t.title),
            Line::raw(""),
            Line::raw(
                "Latency and TTFT distributions, calls/s, error rate, tokens/s, cost/min and the",
            ),
            Line::raw(
                "models and users ranked by cost and p95 latency appear here as calls arrive.",
            ),
            Line::styled(
                "+/- changes the window; the header shows each source's state.",
                t.dim,
            ),
        ];
        f.render_widget(
            Paragraph::new(msg).block(block(" Overview ", t, true)),
            area,
        );
        return;
    }
    // Rates, then latency over time: p95 and alert markers always, p50 and the top models'
    // p95 when there is room.
    let chart_rows = match (&d.over_time, area.height) {
        (None, _) => 0,
        (Some(_), h) if h < 30 => 2,
        (Some(o), _) => 3 + o.models.len() as u16,
    };
    let [top, mid, bottom] = Layout::vertical([
        Constraint::Length(6 + chart_rows),
        Constraint::Min(7),
        Constraint::Min(6),
    ])
    .areas(area);
    let [spark_area, totals_area] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(top);
    draw_sparklines(f, spark_area, app);
    draw_totals(f, totals_area, app);
    let [a, b, c] = Layout::horizontal([Constraint::Ratio(1, 3); 3]).areas(mid);
    draw_dist(f, a, app, " latency · window ", &d.latency);
    draw_dist(f, b, app, " TTFT · window ", &d.ttft);
    match &d.model_latency {
        Some((name, dist)) => {
            let title = format!(" latency · {} ", fit(&sanitize::line(name), 20));
            draw_dist(f, c, app, &title, dist);
        }
        None => f.render_widget(
            Paragraph::new("select a model below").block(block(" latency · model ", t, false)),
            c,
        ),
    }
    let bottom = if d.budgets.is_empty() {
        bottom
    } else {
        let rows = d.budgets.len() + d.forecasts.len();
        let n = u16::try_from(rows).unwrap_or(u16::MAX).min(4) + 2;
        let [groups, budgets] =
            Layout::vertical([Constraint::Min(4), Constraint::Length(n)]).areas(bottom);
        draw_budgets(f, budgets, app);
        groups
    };
    let [m, u] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(bottom);
    draw_groups(f, m, app, "models", &d.models, Some(app.model_pos));
    draw_groups(f, u, app, "users", &d.users, None);
}

fn draw_budgets(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let lines: Vec<Line> = app
        .snap
        .overview
        .budgets
        .iter()
        .map(|b| {
            let lvl = match b.level {
                Some(AlertLevel::Crit) => Level::Crit,
                Some(AlertLevel::Warn) => Level::Warn,
                None => Level::Ok,
            };
            Line::from(vec![
                Span::styled(format!("{} ", lvl.symbol()), t.level(lvl)),
                Span::raw(budget_text(b)),
            ])
        })
        .chain(
            app.snap
                .overview
                .forecasts
                .iter()
                .map(|text| Line::styled(format!("→ {text}"), t.dim)),
        )
        .collect();
    f.render_widget(
        Paragraph::new(lines).block(block(" budgets ", t, false)),
        area,
    );
}

/// One sparkline row: label, values, style, value text and an optional fixed maximum.
type SparkRow<'a> = (
    String,
    &'a [Option<f64>],
    ratatui::style::Style,
    String,
    Option<f64>,
);

fn draw_sparklines(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let d = &app.snap.overview;
    // Latency lines come from the stored calls; say so when the store no longer holds the
    // whole window (its older buckets are then partial).
    let partial = d.over_time.as_ref().is_some_and(|o| !o.complete);
    let title = if partial {
        " rates · latency from the newest stored calls only "
    } else {
        " rates "
    };
    let outer = block(title, t, false);
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    let secs = d.point_secs;
    let calls: Vec<Option<f64>> = d
        .series
        .iter()
        .map(|p| Some(p.calls as f64 / secs))
        .collect();
    let errs: Vec<Option<f64>> = d
        .series
        .iter()
        .map(|p| (p.calls > 0).then(|| p.errors as f64 / p.calls as f64 * 100.0))
        .collect();
    let toks: Vec<Option<f64>> = d
        .series
        .iter()
        .map(|p| Some(p.tokens as f64 / secs))
        .collect();
    let cost: Vec<Option<f64>> = d
        .series
        .iter()
        .map(|p| Some(p.cost_usd * 60.0 / secs))
        .collect();
    let Some(s) = &d.totals else { return };
    let texts = [
        format!("{:.1}", s.calls_per_sec),
        format!("{:.1}%", s.error_rate * 100.0),
        fmt_count(s.tokens_per_sec.round() as u64),
        format!("${:.3}", s.cost_per_min_usd),
    ];
    let mut rows: Vec<SparkRow> = vec![
        ("calls/s".into(), &calls, t.bar, texts[0].clone(), None),
        (
            "errors".into(),
            &errs,
            if s.errors > 0 { t.crit } else { t.bar },
            texts[1].clone(),
            None,
        ),
        ("tokens/s".into(), &toks, t.bar, texts[2].clone(), None),
        ("cost/min".into(), &cost, t.bar, texts[3].clone(), None),
    ];
    let last = |l: &[Option<f64>]| {
        l.iter()
            .rev()
            .flatten()
            .next()
            .map_or("-".into(), |v| fmt_ms(*v))
    };
    // Latency lines share one logarithmic scale (10 ms at the bottom), so a 5 s spike on one
    // model reads next to another model's steady 9 s.
    let log = |l: &[Option<f64>]| -> Vec<Option<f64>> {
        l.iter()
            .map(|v| v.map(|ms| (ms / 10.0).max(1.0).ln()))
            .collect()
    };
    type Scaled = (Vec<Option<f64>>, Vec<Option<f64>>, Vec<Vec<Option<f64>>>);
    let scaled: Option<Scaled> = d.over_time.as_ref().map(|o| {
        (
            log(&o.p95),
            log(&o.p50),
            o.models.iter().map(|(_, l)| log(l)).collect(),
        )
    });
    if let (Some(o), Some((p95, p50, models))) = (&d.over_time, &scaled) {
        let max = p95
            .iter()
            .chain(models.iter().flatten())
            .flatten()
            .copied()
            .fold(0.0, f64::max);
        rows.push(("p95 lat".into(), p95, t.warn, last(&o.p95), Some(max)));
        let room = usize::from(inner.height).saturating_sub(rows.len() + 1);
        if room > 0 {
            rows.push(("p50 lat".into(), p50, t.bar, last(&o.p50), Some(max)));
        }
        for ((m, l), scaled) in o.models.iter().zip(models).take(room.saturating_sub(1)) {
            rows.push((
                format!("p95 {}", sanitize::line(m)),
                scaled,
                t.bar,
                last(l),
                Some(max),
            ));
        }
        let fired = match o.fired {
            0 => "none fired".to_string(),
            n => format!("{n} fired"),
        };
        rows.push(("alerts".into(), &o.alerts, t.crit, fired, Some(1.0)));
    }
    for (i, (label, values, style, text, max)) in rows.iter().enumerate() {
        let y = inner.y + i as u16;
        if y >= inner.bottom() {
            break;
        }
        let r = Rect::new(inner.x, y, inner.width, 1);
        let row = SparklineRow::new(label, values, text, t)
            .label_width(if d.over_time.is_some() && inner.width >= 70 {
                16
            } else {
                9
            })
            .style(*style);
        f.render_widget(max.map_or(row.clone(), |m| row.max(m)), r);
    }
}

fn draw_totals(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let Some(s) = &app.snap.overview.totals else {
        return;
    };
    let err_style = if s.errors > 0 { t.crit } else { t.ok };
    let mark = if s.errors > 0 { "✗" } else { "✓" };
    let date = app.price_date.as_deref().unwrap_or("built-in");
    let lines = vec![
        Line::from(vec![
            Span::raw(format!("calls {}  ", fmt_count(s.calls))),
            Span::styled(
                format!("{mark} errors {} ({:.1}%)", s.errors, s.error_rate * 100.0),
                err_style,
            ),
        ]),
        Line::raw(format!(
            "cost {} · tok {}/{}",
            fmt_cost(s.cost_usd),
            fmt_count(s.input_tokens),
            fmt_count(s.output_tokens)
        )),
        Line::from(vec![
            Span::styled(
                format!("= {} reported", fmt_cost(s.cost_reported_usd)),
                t.cost_reported,
            ),
            Span::raw("  "),
            Span::styled(
                format!("~ {} computed", fmt_cost(s.cost_computed_usd)),
                t.cost_computed,
            ),
        ]),
        Line::from(vec![
            Span::styled(format!("? {} unpriced", s.unpriced_calls), t.cost_unpriced),
            Span::styled(format!("  prices {}", sanitize::line(date)), t.dim),
        ]),
    ];
    f.render_widget(
        Paragraph::new(lines).block(block(" totals ", t, false)),
        area,
    );
}

fn draw_dist(f: &mut Frame, area: Rect, app: &App, title: &str, d: &Dist) {
    let t = &app.theme;
    let outer = block(title, t, false);
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    let markers = markers(d);
    f.render_widget(
        HistogramBars::new(&d.bounds, &d.counts, t).percentiles(&markers),
        inner,
    );
}

fn draw_groups(
    f: &mut Frame,
    area: Rect,
    app: &App,
    what: &str,
    rows: &[(String, GroupSummary)],
    selected: Option<usize>,
) {
    let t = &app.theme;
    let by = match app.rank {
        Rank::Cost => "cost",
        Rank::P95 => "p95 latency",
    };
    let title = format!(" {what} by {by} ({}) ", rows.len());
    let outer = block(&title, t, selected.is_some());
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    // Columns by width: name, calls, [err%], [p50], p95, cost, [p99]; the name takes the rest.
    let wide = inner.width >= 64;
    let with_err = inner.width >= 44;
    let mut cols: Vec<(&str, u16)> = vec![("calls", 6)];
    if with_err {
        cols.push(("err%", 5));
    }
    if wide {
        cols.push(("p50", 6));
    }
    cols.extend([("p95", 6), ("cost", 9)]);
    if wide {
        cols.push(("p99", 6));
    }
    let fixed: u16 = cols.iter().map(|c| c.1 + 1).sum();
    let name_w = inner.width.saturating_sub(fixed).clamp(6, 24);
    let visible = usize::from(inner.height.saturating_sub(1));
    let sel = selected.unwrap_or(usize::MAX);
    let first = if sel != usize::MAX && sel >= visible {
        sel + 1 - visible
    } else {
        0
    };
    let body: Vec<Row> = rows
        .iter()
        .enumerate()
        .skip(first)
        .take(visible)
        .map(|(i, (name, g))| {
            let p = |v: Option<f64>| v.map_or("-".into(), fmt_ms);
            let mut cells = vec![fit(&sanitize::line(name), usize::from(name_w)).into_owned()];
            for (col, w) in &cols {
                let w = usize::from(*w);
                cells.push(match *col {
                    "calls" => right(&fmt_count(g.calls), w),
                    "err%" if g.errors > 0 => right(&format!("{:.1}", g.error_rate * 100.0), w),
                    "err%" => right("0", w),
                    "p50" => right(&p(g.latency_ms.p50), w),
                    "p95" => right(&p(g.latency_ms.p95), w),
                    "p99" => right(&p(g.latency_ms.p99), w),
                    _ if g.unpriced_calls > 0 => right(&format!("{}?", fmt_cost(g.cost_usd)), w),
                    _ => right(&fmt_cost(g.cost_usd), w),
                });
            }
            let row = Row::new(cells);
            if i == sel {
                row.style(t.selection)
            } else {
                row
            }
        })
        .collect();
    let header: Vec<&str> = std::iter::once("name")
        .chain(cols.iter().map(|c| c.0))
        .collect();
    let widths: Vec<Constraint> = std::iter::once(name_w)
        .chain(cols.iter().map(|c| c.1))
        .map(Constraint::Length)
        .collect();
    let table = Table::new(body, widths).header(Row::new(header).style(t.title));
    f.render_widget(table, inner);
}
