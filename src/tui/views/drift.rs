//! Pane 5, Drift: one row per feature (verdict, test, statistic against its threshold, PSI
//! band and the statistic over recent windows), the dataset-drift share and where the
//! reference came from, the prompt terms that appeared or faded, and the quality signals.
//! Enter on a feature shows its reference and current histograms side by side.

use super::{block, body_rows, scroll_to};
use crate::engine::drift::compare::FeatureDrift;
use crate::engine::drift::text::TermShift;
use crate::engine::drift::ReferenceOrigin;
use crate::engine::quality::QualityCounts;
use crate::engine::read::drift::DriftView;
use crate::present::format::fit;
use crate::present::sanitize;
use crate::tui::app::App;
use crate::tui::theme::{Level, Theme};
use crate::tui::widgets::sparkline::SparklineRow;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

/// Terms listed per direction (new, lost).
const TERMS: usize = 5;
/// Columns of a feature row before its sparkline.
const ROW_TEXT: usize = 70;

fn origin_text(o: Option<&ReferenceOrigin>) -> String {
    match o {
        Some(ReferenceOrigin::Baseline(src)) => format!("baseline {}", src.join(", ")),
        Some(ReferenceOrigin::StreamStart) => "first calls of the stream".into(),
        Some(ReferenceOrigin::Pinned) => "pinned with b".into(),
        None => "none yet".into(),
    }
}

fn fmt_stat(v: f64) -> String {
    if v != 0.0 && v.abs() < 0.001 {
        format!("{v:.1e}")
    } else {
        format!("{v:.3}")
    }
}

/// Symbol and style of a feature's verdict, so it reads without colour.
fn look(t: &Theme, f: &FeatureDrift) -> (Style, &'static str) {
    match (f.statistic, f.drift) {
        (None, _) => (t.dim, "·"),
        (Some(_), true) => (t.level(Level::Crit), Level::Crit.symbol()),
        (Some(_), false) => (t.level(Level::Ok), Level::Ok.symbol()),
    }
}

fn feature_text(f: &FeatureDrift) -> String {
    let name = fit(&sanitize::line(&f.name), 18).into_owned();
    let test = f.test.as_str();
    match f.statistic {
        None => format!(
            "{name:<18} {test:<14} not enough data (n {} vs {} ref)",
            f.current_n, f.reference_n
        ),
        Some(s) => {
            let op = match (f.test.is_p_value(), f.drift) {
                (true, true) | (false, false) => "<",
                _ => "≥",
            };
            let psi = f.psi_band.unwrap_or("-");
            format!(
                "{name:<18} {test:<14} {:>8} {op} {:<8} psi {psi}",
                fmt_stat(s),
                fmt_stat(f.threshold)
            )
        }
    }
}

fn term_lines<'a>(t: &Theme, title: &'a str, terms: &[TermShift], w: usize) -> Vec<Line<'a>> {
    let mut out = vec![Line::styled(fit(title, w).into_owned(), t.title)];
    if terms.is_empty() {
        out.push(Line::styled("  none", t.dim));
    }
    for s in terms.iter().take(TERMS) {
        let text = format!(
            "  {} {:.1}% → {:.1}%",
            sanitize::line(&s.term),
            s.reference_share * 100.0,
            s.current_share * 100.0
        );
        out.push(Line::raw(fit(&text, w).into_owned()));
    }
    out
}

fn quality_lines<'a>(
    t: &Theme,
    q: &QualityCounts,
    run: Option<&crate::judge::JudgeRun>,
    w: usize,
) -> Vec<Line<'a>> {
    let fb = &q.feedback;
    let mut texts = vec![
        format!(
            "  negative {:.1}% of {} feedback",
            fb.negative_rate() * 100.0,
            fb.up + fb.down
        ),
        format!(
            "  rephrased {:.1}% of {} follow-ups",
            q.rephrase_rate() * 100.0,
            q.followups
        ),
    ];
    if let Some(rate) = q.hallucination.rate() {
        texts.push(format!(
            "  hallucinated {:.1}% of {} judged",
            rate * 100.0,
            q.hallucination.judged
        ));
    }
    for name in q.judges.keys().take(TERMS - 2) {
        if let Some(m) = q.judge_mean(name) {
            texts.push(format!("  judge {} {m:.2}", sanitize::line(name)));
        }
    }
    let mut out = vec![Line::styled(
        fit("Quality (since start)", w).into_owned(),
        t.title,
    )];
    out.extend(texts.iter().map(|s| Line::raw(fit(s, w).into_owned())));
    match run {
        Some(r) => {
            let spend = match r.spend_usd {
                Some(s) => format!("${s:.4}"),
                None => "spend ?".into(),
            };
            let text = format!(
                "  judge {}: {}/{} calls judged, {} dropped, {spend}{}",
                sanitize::line(&r.model),
                r.calls_done,
                r.sampled,
                r.dropped,
                if r.paused { ", PAUSED (spend cap)" } else { "" }
            );
            let style = if r.paused { t.warn } else { t.dim };
            out.push(Line::styled(fit(&text, w).into_owned(), style));
        }
        None if q.judges.is_empty() => out.push(Line::styled("  no judge scores", t.dim)),
        None => {}
    }
    out
}

/// Draws the Drift pane (or the open feature's histograms).
pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let empty = DriftView::default();
    let data = app.snap.drift.as_ref().unwrap_or(&empty);
    if let Some(name) = &app.drift_open {
        draw_histograms(f, area, app, data, name);
        return;
    }
    let t = &app.theme;
    let origin = origin_text(data.origin.as_ref());
    let title = match &data.latest {
        Some(w) => format!(
            " Drift · {}/{} features drifted ({:.0}%){} · reference: {} ",
            w.drifted,
            w.evaluated,
            w.share * 100.0,
            if w.dataset_drift {
                " · DATASET DRIFT"
            } else {
                ""
            },
            sanitize::line(&origin)
        ),
        None => " Drift ".into(),
    };
    let outer = block(&title, t, true);
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    let side = if inner.height >= 20 { 8 } else { 6 };
    if data.rows.is_empty() {
        let msg = if data.enabled {
            format!(
                "Collecting the reference: the first {} LLM calls (or a baseline file) are compared with each later window. Rows appear once there is a reference.",
                data.reference_calls
            )
        } else {
            "Drift detection is off in this configuration.".into()
        };
        // Quality does not wait for a reference: a judge's scores and the feedback rates
        // show from the first call.
        let [top, bottom] =
            Layout::vertical([Constraint::Min(2), Constraint::Length(side)]).areas(inner);
        f.render_widget(
            Paragraph::new(Line::styled(msg, t.dim)).wrap(Wrap { trim: false }),
            top,
        );
        draw_quality(f, bottom, app, data);
        return;
    }
    let [table, bottom] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(side)]).areas(inner);
    f.render_widget(
        Paragraph::new(Line::styled(
            "  feature            test           statistic   threshold psi band  history",
            t.title,
        )),
        table,
    );
    let body = body_rows(table);
    let len = data.rows.len();
    let pos = app.drift_pos.min(len.saturating_sub(1));
    let h = usize::from(body.height);
    let first = scroll_to(&app.drift_offset, pos, h, len);
    let text_w = ROW_TEXT.min(usize::from(body.width));
    for (i, row) in data.rows.iter().enumerate().skip(first).take(h) {
        let y = body.y + (i - first) as u16;
        let (style, sym) = look(t, &row.feature);
        let mut line = Line::from(vec![
            Span::styled(format!("{sym} "), style),
            Span::raw(fit(&feature_text(&row.feature), text_w.saturating_sub(2)).into_owned()),
        ]);
        if i == pos {
            line = line.patch_style(t.selection);
        }
        f.render_widget(Paragraph::new(line), Rect::new(body.x, y, text_w as u16, 1));
        let spark = Rect::new(
            body.x + text_w as u16 + 1,
            y,
            body.width.saturating_sub(text_w as u16 + 1),
            1,
        );
        f.render_widget(
            SparklineRow::new("", &row.history, "", t).label_width(0),
            spark,
        );
    }
    let [left, mid, right] = Layout::horizontal([
        Constraint::Ratio(1, 3),
        Constraint::Ratio(1, 3),
        Constraint::Ratio(1, 3),
    ])
    .areas(bottom);
    let prompt = data.latest.as_ref().and_then(|w| w.prompt.as_ref());
    let (new, lost) = prompt.map_or((&[][..], &[][..]), |p| {
        (&p.top_new_terms[..], &p.top_lost_terms[..])
    });
    let js = prompt.map_or(String::new(), |p| format!(" (JS {:.3})", p.js));
    let new_title = format!("New prompt terms{js}");
    f.render_widget(
        Paragraph::new(term_lines(t, &new_title, new, gap(left))),
        left,
    );
    f.render_widget(
        Paragraph::new(term_lines(t, "Lost prompt terms", lost, gap(mid))),
        mid,
    );
    draw_quality(f, right, app, data);
}

/// The quality signals (feedback, rephrases, the judge's means and progress) in `area`.
fn draw_quality(f: &mut Frame, area: Rect, app: &App, data: &DriftView) {
    let run = app.judge_run();
    let lines = quality_lines(
        &app.theme,
        &data.quality,
        run.as_ref(),
        usize::from(area.width),
    );
    f.render_widget(Paragraph::new(lines), area);
}

/// Width of a column's text, keeping one blank column before the next one.
fn gap(area: Rect) -> usize {
    usize::from(area.width).saturating_sub(1)
}

fn bar(share: f64, w: usize) -> String {
    let n = (share.clamp(0.0, 1.0) * w as f64).round() as usize;
    "█".repeat(n.min(w))
}

fn draw_histograms(f: &mut Frame, area: Rect, app: &App, data: &DriftView, name: &str) {
    let t = &app.theme;
    let title = format!(
        " Drift · {} · reference vs current (Esc back) ",
        sanitize::line(name)
    );
    let outer = block(&title, t, true);
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    let Some(h) = data.histograms.get(name) else {
        f.render_widget(
            Paragraph::new(Line::styled("No histogram for this feature yet.", t.dim)),
            inner,
        );
        return;
    };
    let halves = Layout::horizontal([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)]);
    let [l, r] = halves.areas(inner);
    let label_w = h
        .labels
        .iter()
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(0)
        .min(16);
    let max = h
        .reference
        .iter()
        .chain(&h.current)
        .copied()
        .fold(0.0, f64::max);
    for (side, title, values) in [(l, "reference", &h.reference), (r, "current", &h.current)] {
        let bar_w = usize::from(side.width).saturating_sub(label_w + 9);
        let mut lines = vec![Line::styled(title, t.title)];
        for (label, v) in h.labels.iter().zip(values.iter()) {
            let label = fit(&sanitize::line(label), label_w).into_owned();
            lines.push(Line::from(vec![
                Span::styled(format!("{label:<label_w$} "), t.dim),
                Span::raw(format!("{:>5.1}% ", v * 100.0)),
                Span::styled(bar(if max > 0.0 { v / max } else { 0.0 }, bar_w), t.bar),
            ]));
        }
        f.render_widget(Paragraph::new(lines), side);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::quality::Hallucination;

    #[test]
    fn the_quality_panel_shows_the_hallucination_rate_and_judge_means() {
        let mut q = QualityCounts::default();
        q.feedback.down = 1;
        q.hallucination = Hallucination {
            judged: 40,
            below: 10,
        };
        q.judges.insert("groundedness".into(), (24.0, 40));
        let text: Vec<String> = quality_lines(&Theme::dark(), &q, None, 40)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            text,
            [
                "Quality (since start)",
                "  negative 100.0% of 1 feedback",
                "  rephrased 0.0% of 0 follow-ups",
                "  hallucinated 25.0% of 40 judged",
                "  judge groundedness 0.60",
            ]
        );
    }
}
