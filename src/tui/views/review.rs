//! Pane 8, Review: the calls that need a person, most severe first — flagged calls, alerts'
//! example calls, low judge scores and negative feedback — each with every reason it is
//! there and its label once reviewed. The title counts progress ("12 of 80 reviewed"); the
//! first line shows judge/human agreement (Cohen's κ per criterion) once both exist.

use super::{block, body_rows, scroll_to};
use crate::engine::read::agreement;
use crate::engine::read::review::{ReviewItem, Tier, LOW_JUDGE_SCORE};
use crate::engine::Engine;
use crate::present::format::{clock, fit};
use crate::present::sanitize;
use crate::tui::app::App;
use crate::tui::rows::ReviewRow;
use crate::tui::theme::Theme;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

/// The pane's title: progress, hits under a filter, the selected row.
pub fn title(app: &App) -> String {
    let idx = &app.review_index;
    let n = idx.rows.len();
    let mut t = format!(" Review · {} of {n} reviewed", app.review_reviewed);
    if !app.filter.text.is_empty() || app.filter.range.is_some() {
        t.push_str(&format!(" · {n}/{} hits", idx.total));
    }
    if n > 0 {
        t.push_str(&format!(" · row {}/{n}", app.review.pos + 1));
    }
    let omitted = app.snap.review.as_ref().map_or(0, |q| q.omitted);
    if omitted > 0 {
        t.push_str(&format!(" · {omitted} less severe not listed"));
    }
    t.push_str(" · most severe first ");
    t
}

/// Draws the review queue.
pub fn draw(f: &mut Frame, area: Rect, app: &App, engine: &Engine) {
    let t = &app.theme;
    let idx = &app.review_index;
    let title = title(app);
    let outer = block(&title, t, true);
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    if inner.height == 0 {
        return;
    }
    let agree = match agreement::summary(&app.review_agreement) {
        Some(s) => Line::from(vec![
            Span::styled("judge/human agreement: ", t.title),
            Span::raw(sanitize::line(&s).into_owned()),
        ]),
        None => Line::styled(
            "judge/human κ: none yet (needs judge scores and good/bad/hallucination labels)",
            t.dim,
        ),
    };
    let run = app.judge_run();
    let [top, progress, list] = ratatui::layout::Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(u16::from(run.is_some())),
        Constraint::Min(0),
    ])
    .areas(inner);
    f.render_widget(Paragraph::new(agree), top);
    if let Some(r) = &run {
        f.render_widget(Paragraph::new(judge_line(r, t)), progress);
    }
    if idx.rows.is_empty() {
        let msg = if idx.total == 0 {
            format!(
                "Nothing needs a person yet. Flagged calls, alerts' example calls, judge scores under {LOW_JUDGE_SCORE:.2} and negative feedback appear here, most severe first."
            )
        } else {
            "No call in the queue matches the filter (Esc clears it).".to_string()
        };
        f.render_widget(
            Paragraph::new(Line::styled(msg, t.dim)).wrap(ratatui::widgets::Wrap { trim: true }),
            list,
        );
        return;
    }
    let body = body_rows(list);
    app.review.area.set(body);
    let h = usize::from(body.height);
    let first = scroll_to(&app.review.offset, app.review.pos, h, idx.rows.len());
    let wide = list.width >= 120;
    let (label_w, model_w, user_w) = if wide { (16, 16, 12) } else { (14, 12, 8) };
    let why_w = usize::from(
        list.width
            .saturating_sub(8 + label_w + model_w + user_w + 4),
    );
    let queue = app.snap.review.as_ref();
    let rows: Vec<Row> = idx.rows[first..(first + h).min(idx.rows.len())]
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let item = queue.and_then(|q| q.items.get(r.item));
            let row = match (engine.store.get(r.seq), item) {
                (Some(sc), Some(item)) => {
                    let c = &sc.call;
                    let cell = |s: Option<&str>, w: u16| {
                        Cell::from(
                            fit(&sanitize::line(s.unwrap_or("-")), usize::from(w)).into_owned(),
                        )
                    };
                    Row::new(vec![
                        Cell::from(clock(sc.time)),
                        label_cell(r, label_w, t),
                        cell(c.model_name().or(c.name.as_deref()), model_w),
                        cell(c.user.as_deref(), user_w),
                        Cell::from(why(item, why_w, t)),
                    ])
                }
                _ => Row::new(vec![Cell::from("(evicted)")]),
            };
            let row = if r.label.is_some() {
                row.style(t.dim)
            } else {
                row
            };
            if first + i == app.review.pos {
                row.style(t.selection)
            } else {
                row
            }
        })
        .collect();
    let widths = [
        Constraint::Length(8),
        Constraint::Length(label_w),
        Constraint::Length(model_w),
        Constraint::Length(user_w),
        Constraint::Min(8),
    ];
    let header = Row::new(["time", "reviewed", "model", "user", "why it is here"]).style(t.title);
    f.render_widget(Table::new(rows, widths).header(header), list);
}

/// The judge's progress: judged, dropped, failed, spend, and the last error or the pause.
fn judge_line<'a>(r: &crate::judge::JudgeRun, t: &Theme) -> Line<'a> {
    let mut text = r.line();
    if let Some(e) = &r.last_error {
        text.push_str(&format!(" · last error: {e}"));
    }
    let style = if r.paused || r.last_error.is_some() {
        t.warn
    } else {
        t.dim
    };
    Line::styled(sanitize::line(&text).into_owned(), style)
}

fn label_cell<'a>(r: &ReviewRow, w: u16, t: &Theme) -> Cell<'a> {
    match &r.label {
        Some(l) => {
            let text = format!("✓ {}", sanitize::line(l));
            Cell::from(Span::styled(fit(&text, usize::from(w)).into_owned(), t.ok))
        }
        None => Cell::from(Span::styled("·", t.dim)),
    }
}

/// Every reason, most urgent first, the first coloured by how urgent it is.
fn why<'a>(item: &ReviewItem, w: usize, t: &Theme) -> Line<'a> {
    let text = item
        .reasons
        .iter()
        .map(|r| sanitize::line(&r.to_string()).into_owned())
        .collect::<Vec<_>>()
        .join(" · ");
    let style: Style = match item.tier() {
        Tier::CriticalFlag => t.crit,
        Tier::AlertExample | Tier::Flag => t.warn,
        Tier::LowJudgeScore | Tier::NegativeFeedback => Style::default(),
    };
    Line::styled(fit(&text, w).into_owned(), style)
}
