//! Pane 6, Alerts: every rule with its state (firing first), current value, threshold, since
//! when and scope, then the recent transitions, newest first; under the list, why the
//! selected alert fired (the values over-represented in its bad calls). Enter on a row opens
//! the Calls pane holding only the calls behind it.
use super::{block, body_rows, scroll_to};
use crate::engine::alerts::{AlertStatus, Level as AlertLevel};
use crate::engine::read::alerts::RuleRow;
use crate::engine::read::why::{percent, Why};
use crate::present::format::clock;
use crate::present::format::fit;
use crate::present::sanitize;
use crate::tui::app::App;
use crate::tui::theme::{Level, Theme};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// What the empty pane says; it names the config table `[[alerts]]` that `config` parses,
/// so a user who follows it gets a rule rather than "unknown field".
pub(crate) const EMPTY_HINT: &str = "No alert rules are configured. Add [[alerts]] entries to the config (see llmmon.toml.example, or keep default_rules on) and rules appear here with their value, threshold and state.";

/// Style and symbol of a rule's status, so the state reads without colour.
pub fn status_look(
    t: &Theme,
    status: AlertStatus,
    level: Option<AlertLevel>,
) -> (Style, &'static str) {
    let lvl = match (status, level) {
        (AlertStatus::Firing | AlertStatus::Pending, Some(AlertLevel::Crit)) => Level::Crit,
        (AlertStatus::Firing | AlertStatus::Pending, _) => Level::Warn,
        _ => Level::Ok,
    };
    let style = if status == AlertStatus::Pending {
        t.warn
    } else {
        t.level(lvl)
    };
    let sym = if status == AlertStatus::Pending {
        "…"
    } else {
        lvl.symbol()
    };
    (style, sym)
}

fn rule_line(t: &Theme, r: &RuleRow, width: usize) -> Line<'static> {
    let (style, sym) = status_look(t, r.status, r.level);
    let state = match (r.status, r.level) {
        (AlertStatus::Ok, _) => "OK".to_string(),
        (s, Some(l)) => format!("{} {}", s.as_str().to_uppercase(), l.as_str()),
        (s, None) => s.as_str().to_uppercase(),
    };
    let fmt = |v: f64| r.metric.format_value(v);
    let value = r.value.map_or("no data".into(), fmt);
    let thr = r.threshold.map_or("-".into(), fmt);
    let as_of = r.as_of.map_or(String::new(), |t| format!(" @{}", clock(t)));
    let since = r
        .since
        .map_or(String::new(), |s| format!(" · since {}", clock(s)));
    let op = if r.below { "<" } else { ">" };
    let rest = format!(
        "{}: {} {value}{as_of} {op} {thr}{since} · {} · {}",
        sanitize::line(&r.name),
        r.metric,
        crate::engine::format_duration(r.window_ns),
        sanitize::line(&r.scope),
    );
    let head = format!("{sym} {state:<13}");
    let rest_w = width.saturating_sub(head.chars().count());
    Line::from(vec![
        Span::styled(head, style),
        Span::raw(fit(&rest, rest_w).into_owned()),
    ])
}

/// `model, user` for the title: what the grouped rules split by, each once.
fn group_names(groups: &[crate::engine::read::alerts::GroupRow]) -> String {
    let mut by: Vec<&str> = groups.iter().map(|g| g.by.as_str()).collect();
    by.sort_unstable();
    by.dedup();
    sanitize::line(&by.join(", ")).into_owned()
}

/// Draws the alerts pane.
pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let alerts = &app.snap.alerts;
    let firing = alerts.firing;
    let n = alerts.rules.len();
    let notify = app
        .notify
        .as_ref()
        .map(|s| format!("· notify {} ", s.summary()))
        .unwrap_or_default();
    let over: u64 = alerts.groups.iter().map(|g| g.over_cap).sum();
    let grouped = match alerts.groups.len() {
        0 => String::new(),
        g => format!("({g} grouped by {}) ", group_names(&alerts.groups)),
    };
    let capped = if over > 0 {
        format!("· {over} calls over group caps ")
    } else {
        String::new()
    };
    let title = format!(
        " Alerts · {n} rule{} {grouped}· {firing} firing {capped}{notify}",
        if n == 1 { "" } else { "s" }
    );
    let outer = block(&title, t, true);
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    if alerts.is_empty() {
        f.render_widget(
            Paragraph::new(Line::styled(EMPTY_HINT, t.dim))
                .wrap(ratatui::widgets::Wrap { trim: false }),
            inner,
        );
        return;
    }
    f.render_widget(
        Paragraph::new(Line::styled(
            "state          rule: metric value @as-of vs threshold · since · window · scope",
            t.title,
        )),
        inner,
    );
    let body = body_rows(inner);
    // The selected alert's "why" under the list, when there is one to show.
    let pos = app.alert_pos.min(alerts.len().saturating_sub(1));
    let why = app
        .snap
        .why
        .as_ref()
        .filter(|(p, _)| *p == pos)
        .map(|(_, w)| w);
    let why_h = why.map_or(0, |w| 2 + w.items.len().clamp(1, 5) as u16);
    let (body, why_area) = if why_h > 0 && body.height > why_h + 3 {
        let list = Rect::new(body.x, body.y, body.width, body.height - why_h);
        let below = Rect::new(body.x, body.y + list.height, body.width, why_h);
        (list, Some(below))
    } else {
        (body, None)
    };
    if let (Some(area), Some(why)) = (why_area, why) {
        draw_why(f, area, t, why);
    }
    let w = usize::from(body.width);
    let len = alerts.len();
    let h = usize::from(body.height);
    let first = scroll_to(&app.alert_offset, pos, h, len);
    // Only the rows on screen are formatted: a grouped rule may have hundreds of instances.
    let shown: Vec<Line> = (first..len.min(first + h))
        .map(|i| {
            let line = match alerts.rules.get(i) {
                Some(r) => rule_line(t, r, w),
                None => {
                    let tr = &alerts.recent[i - alerts.rules.len()];
                    let (style, sym) = status_look(t, tr.to, tr.level);
                    let text = format!("{} {}", clock(tr.at), sanitize::line(&tr.describe()));
                    Line::from(vec![
                        Span::styled(format!("{sym} "), style),
                        Span::styled(fit(&text, w.saturating_sub(2)).into_owned(), t.dim),
                    ])
                }
            };
            if i == pos {
                line.patch_style(t.selection)
            } else {
                line
            }
        })
        .collect();
    f.render_widget(Paragraph::new(shown), body);
}

/// The "why" of the selected alert: which values set its bad calls apart from the rest of
/// the window (BubbleUp-style), with shares, counts and lift.
fn draw_why(f: &mut Frame, area: Rect, t: &Theme, why: &Why) {
    let w = usize::from(area.width);
    let mut lines = vec![
        Line::styled("─".repeat(w), t.dim),
        Line::styled(
            format!(
                "why · {} bad calls vs {} others in the window{}",
                why.bad,
                why.rest,
                if why.complete {
                    ""
                } else {
                    " (partly evicted)"
                }
            ),
            t.title,
        ),
    ];
    if why.items.is_empty() {
        lines.push(Line::styled(
            "  nothing stands out: no value is much more common in the bad calls",
            t.dim,
        ));
    }
    for item in why.items.iter().take(5) {
        let text = format!(
            "  {}={}  {} of bad ({}/{}) vs {} of rest ({}/{}) · {}",
            item.dimension.as_str(),
            sanitize::line(&item.value),
            percent(item.bad_share),
            item.bad_count,
            item.bad_of,
            percent(item.rest_share),
            item.rest_count,
            item.rest_of,
            item.lift_text()
        );
        lines.push(Line::raw(fit(&text, w).into_owned()));
    }
    f.render_widget(Paragraph::new(lines), area);
}

#[cfg(test)]
mod hint_tests {
    use super::EMPTY_HINT;
    use crate::config::Config;
    use std::path::Path;

    /// The table the hint names, taken from the hint itself, must be accepted by the config
    /// parser and give a rule (the old hint said `[[alerting.rules]]`, which was refused).
    #[test]
    fn the_empty_hint_names_a_table_the_config_accepts() {
        let start = EMPTY_HINT.find("[[").expect("the hint names a table");
        let end = EMPTY_HINT[start..].find("]]").expect("closed") + start + 2;
        let table = &EMPTY_HINT[start..end];
        let text = format!(
            "[alerting]\ndefault_rules = false\n\n{table}\nname = \"slow\"\nmetric = \"latency.p95\"\nwindow = \"5m\"\nwarn = \"8s\"\n"
        );
        let cfg = Config::parse(&text, Path::new("hint.toml"))
            .unwrap_or_else(|e| panic!("the hinted {table} is refused: {e}"));
        let alerts = cfg.alerts_config().expect("rules compile");
        assert_eq!(alerts.rules.len(), 1, "the hinted table gives one rule");
    }
}
