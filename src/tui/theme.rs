//! Colour themes: dark, light and mono, and the `NO_COLOR` convention.
//!
//! Rule for every call site: colour never carries meaning alone. A severity is drawn with its
//! name ([`severity_label`]), a health level with its symbol ([`Level::symbol`]), a cost with
//! its provenance mark ([`cost_mark`]), a waterfall bar's heat with its fill glyph
//! ([`Heat::glyph`]), so the mono theme, colour-blind users and a text capture all read the
//! same. The mono theme uses only bold, dim, underline and reverse.

use crate::model::record::{CostProvenance, Severity};
use ratatui::style::{Color, Modifier, Style};
use std::str::FromStr;

/// Which built-in theme to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThemeName {
    #[default]
    Dark,
    Light,
    Mono,
}

impl FromStr for ThemeName {
    type Err = String;
    fn from_str(s: &str) -> Result<ThemeName, String> {
        match s.to_ascii_lowercase().as_str() {
            "dark" => Ok(ThemeName::Dark),
            "light" => Ok(ThemeName::Light),
            "mono" | "none" | "no-color" => Ok(ThemeName::Mono),
            other => Err(format!("unknown theme '{other}'; use dark, light or mono")),
        }
    }
}

/// Health of a number against its thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Ok,
    Warn,
    Crit,
}

impl Level {
    /// The symbol drawn next to a coloured value so the level reads without colour.
    pub fn symbol(self) -> &'static str {
        match self {
            Level::Ok => "✓",
            Level::Warn => "▲",
            Level::Crit => "✗",
        }
    }
}

/// How hot a waterfall bar is (latency or cost relative to the trace).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Heat {
    Low,
    Medium,
    High,
    Critical,
}

impl Heat {
    /// Buckets a fraction of the trace maximum: < 25 %, < 50 %, < 75 %, else critical.
    pub fn from_fraction(f: f64) -> Heat {
        if f.is_nan() || f < 0.25 {
            Heat::Low
        } else if f < 0.5 {
            Heat::Medium
        } else if f < 0.75 {
            Heat::High
        } else {
            Heat::Critical
        }
    }

    /// The fill glyph of a bar of this heat: denser means hotter, readable without colour.
    pub fn glyph(self) -> char {
        match self {
            Heat::Low => '░',
            Heat::Medium => '▒',
            Heat::High => '▓',
            Heat::Critical => '█',
        }
    }
}

/// Upper-case short label of a severity, always drawn with its colour.
pub fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Info => "INFO",
        Severity::Low => "LOW",
        Severity::Medium => "MED",
        Severity::High => "HIGH",
        Severity::Critical => "CRIT",
    }
}

/// Mark placed after a cost: `=` reported by the source, `~` computed from the price table,
/// `?` unpriced (shown instead of a misleading $0).
pub fn cost_mark(p: Option<&CostProvenance>) -> &'static str {
    match p {
        Some(CostProvenance::Reported) => "=",
        Some(CostProvenance::Computed { .. }) => "~",
        Some(CostProvenance::Unpriced) | None => "?",
    }
}

/// The styles every view draws with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    /// Which theme this is.
    pub name: ThemeName,
    pub base: Style,
    pub header: Style,
    pub footer: Style,
    /// Key names in the footer and help overlay.
    pub key: Style,
    pub title: Style,
    pub border: Style,
    /// The focused pane's border.
    pub border_focus: Style,
    pub dim: Style,
    pub selection: Style,
    /// Full-text hits highlighted in text.
    pub hit: Style,
    /// Escapes produced by sanitising (`\x1b`).
    pub escape: Style,
    pub ok: Style,
    pub warn: Style,
    pub crit: Style,
    /// Severity styles, indexed info, low, medium, high, critical.
    pub severity: [Style; 5],
    pub bar: Style,
    /// Percentile markers on histogram bars.
    pub marker: Style,
    /// Waterfall heat styles, indexed low, medium, high, critical.
    pub heat: [Style; 4],
    pub cost_reported: Style,
    pub cost_computed: Style,
    pub cost_unpriced: Style,
}

impl Theme {
    /// Light text on a dark terminal background.
    pub fn dark() -> Theme {
        let fg = |c| Style::new().fg(c);
        Theme {
            name: ThemeName::Dark,
            base: Style::new(),
            header: Style::new().fg(Color::Black).bg(Color::Cyan),
            footer: Style::new().fg(Color::Gray).bg(Color::DarkGray),
            key: fg(Color::Yellow).add_modifier(Modifier::BOLD),
            title: fg(Color::Cyan).add_modifier(Modifier::BOLD),
            border: fg(Color::DarkGray),
            border_focus: fg(Color::Cyan),
            dim: fg(Color::DarkGray),
            selection: Style::new().bg(Color::Blue).fg(Color::White),
            hit: Style::new().fg(Color::Black).bg(Color::Yellow),
            escape: fg(Color::Magenta),
            ok: fg(Color::Green),
            warn: fg(Color::Yellow),
            crit: fg(Color::Red).add_modifier(Modifier::BOLD),
            severity: [
                fg(Color::Gray),
                fg(Color::Cyan),
                fg(Color::Yellow),
                fg(Color::LightRed),
                fg(Color::Red).add_modifier(Modifier::BOLD),
            ],
            bar: fg(Color::Cyan),
            marker: fg(Color::Yellow).add_modifier(Modifier::BOLD),
            heat: [
                fg(Color::Green),
                fg(Color::Yellow),
                fg(Color::LightRed),
                fg(Color::Red),
            ],
            cost_reported: fg(Color::Green),
            cost_computed: fg(Color::Cyan),
            cost_unpriced: fg(Color::Magenta),
        }
    }

    /// Dark text on a light terminal background.
    pub fn light() -> Theme {
        let fg = |c| Style::new().fg(c);
        Theme {
            name: ThemeName::Light,
            base: Style::new(),
            header: Style::new().fg(Color::White).bg(Color::Blue),
            footer: Style::new().fg(Color::Black).bg(Color::Gray),
            key: fg(Color::Blue).add_modifier(Modifier::BOLD),
            title: fg(Color::Blue).add_modifier(Modifier::BOLD),
            border: fg(Color::Gray),
            border_focus: fg(Color::Blue),
            dim: fg(Color::DarkGray),
            selection: Style::new().bg(Color::LightBlue).fg(Color::Black),
            hit: Style::new().fg(Color::Black).bg(Color::LightYellow),
            escape: fg(Color::Magenta),
            ok: fg(Color::Green),
            warn: fg(Color::Rgb(0xb0, 0x6a, 0x00)),
            crit: fg(Color::Red).add_modifier(Modifier::BOLD),
            severity: [
                fg(Color::DarkGray),
                fg(Color::Blue),
                fg(Color::Rgb(0xb0, 0x6a, 0x00)),
                fg(Color::Red),
                fg(Color::Red).add_modifier(Modifier::BOLD),
            ],
            bar: fg(Color::Blue),
            marker: fg(Color::Red).add_modifier(Modifier::BOLD),
            heat: [
                fg(Color::Green),
                fg(Color::Rgb(0xb0, 0x6a, 0x00)),
                fg(Color::Red),
                fg(Color::Magenta),
            ],
            cost_reported: fg(Color::Green),
            cost_computed: fg(Color::Blue),
            cost_unpriced: fg(Color::Magenta),
        }
    }

    /// No colours at all: emphasis only through bold, dim, underline and reverse.
    pub fn mono() -> Theme {
        let plain = Style::new();
        let bold = Style::new().add_modifier(Modifier::BOLD);
        let dim = Style::new().add_modifier(Modifier::DIM);
        let rev = Style::new().add_modifier(Modifier::REVERSED);
        Theme {
            name: ThemeName::Mono,
            base: plain,
            header: rev,
            footer: rev,
            key: bold,
            title: bold,
            border: plain,
            border_focus: bold,
            dim,
            selection: rev,
            hit: Style::new().add_modifier(Modifier::UNDERLINED | Modifier::BOLD),
            escape: Style::new().add_modifier(Modifier::UNDERLINED),
            ok: plain,
            warn: bold,
            crit: bold.add_modifier(Modifier::UNDERLINED),
            severity: [
                dim,
                plain,
                plain,
                bold,
                bold.add_modifier(Modifier::UNDERLINED),
            ],
            bar: plain,
            marker: bold,
            heat: [plain, plain, plain, bold],
            cost_reported: plain,
            cost_computed: plain,
            cost_unpriced: dim,
        }
    }

    /// The built-in theme with this name.
    pub fn named(name: ThemeName) -> Theme {
        match name {
            ThemeName::Dark => Theme::dark(),
            ThemeName::Light => Theme::light(),
            ThemeName::Mono => Theme::mono(),
        }
    }

    /// The theme to use: mono whenever `no_color` is set, whatever was requested.
    pub fn resolve(requested: Option<ThemeName>, no_color: bool) -> Theme {
        if no_color {
            Theme::mono()
        } else {
            Theme::named(requested.unwrap_or_default())
        }
    }

    /// [`Theme::resolve`] with `no_color` read from the environment ([`no_color_env`]).
    pub fn from_env(requested: Option<ThemeName>) -> Theme {
        Theme::resolve(requested, no_color_env())
    }

    /// Style of a severity (pair it with [`severity_label`]).
    pub fn severity(&self, s: Severity) -> Style {
        let i = match s {
            Severity::Info => 0,
            Severity::Low => 1,
            Severity::Medium => 2,
            Severity::High => 3,
            Severity::Critical => 4,
        };
        self.severity[i]
    }

    /// Style of a health level (pair it with [`Level::symbol`]).
    pub fn level(&self, l: Level) -> Style {
        match l {
            Level::Ok => self.ok,
            Level::Warn => self.warn,
            Level::Crit => self.crit,
        }
    }

    /// Style of a waterfall bar (pair it with [`Heat::glyph`]).
    pub fn heat(&self, h: Heat) -> Style {
        self.heat[h as usize]
    }

    /// Style of a cost figure by provenance (pair it with [`cost_mark`]).
    pub fn cost(&self, p: Option<&CostProvenance>) -> Style {
        match p {
            Some(CostProvenance::Reported) => self.cost_reported,
            Some(CostProvenance::Computed { .. }) => self.cost_computed,
            Some(CostProvenance::Unpriced) | None => self.cost_unpriced,
        }
    }
}

/// True when `NO_COLOR` is set to a non-empty value (<https://no-color.org>).
pub fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has_colour(s: Style) -> bool {
        s.fg.is_some_and(|c| c != Color::Reset) || s.bg.is_some_and(|c| c != Color::Reset)
    }

    fn all_styles(t: &Theme) -> Vec<Style> {
        let mut v = vec![
            t.base,
            t.header,
            t.footer,
            t.key,
            t.title,
            t.border,
            t.border_focus,
            t.dim,
            t.selection,
            t.hit,
            t.escape,
            t.ok,
            t.warn,
            t.crit,
            t.bar,
            t.marker,
            t.cost_reported,
            t.cost_computed,
            t.cost_unpriced,
        ];
        v.extend(t.severity);
        v.extend(t.heat);
        v
    }

    #[test]
    fn mono_has_no_colour() {
        assert!(!all_styles(&Theme::mono()).into_iter().any(has_colour));
    }

    #[test]
    fn no_color_forces_mono() {
        assert_eq!(
            Theme::resolve(Some(ThemeName::Light), true).name,
            ThemeName::Mono
        );
        assert_eq!(Theme::resolve(None, false).name, ThemeName::Dark);
        assert_eq!(
            Theme::resolve(Some(ThemeName::Light), false).name,
            ThemeName::Light
        );
    }

    #[test]
    fn names_parse() {
        assert_eq!("LIGHT".parse::<ThemeName>(), Ok(ThemeName::Light));
        assert_eq!("no-color".parse::<ThemeName>(), Ok(ThemeName::Mono));
        assert!("pink"
            .parse::<ThemeName>()
            .unwrap_err()
            .contains("dark, light or mono"));
    }

    #[test]
    fn meaning_has_text_or_symbols() {
        let labels: Vec<_> = [
            Severity::Info,
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ]
        .into_iter()
        .map(severity_label)
        .collect();
        assert_eq!(labels, ["INFO", "LOW", "MED", "HIGH", "CRIT"]);
        assert_ne!(Level::Ok.symbol(), Level::Crit.symbol());
        assert_eq!(cost_mark(Some(&CostProvenance::Reported)), "=");
        assert_eq!(
            cost_mark(Some(&CostProvenance::Computed {
                table_date: "2026-01-01".into()
            })),
            "~"
        );
        assert_eq!(cost_mark(None), "?");
        let glyphs: Vec<char> = [Heat::Low, Heat::Medium, Heat::High, Heat::Critical]
            .into_iter()
            .map(Heat::glyph)
            .collect();
        assert_eq!(glyphs, ['░', '▒', '▓', '█']);
    }

    #[test]
    fn heat_buckets() {
        assert_eq!(Heat::from_fraction(0.0), Heat::Low);
        assert_eq!(Heat::from_fraction(0.3), Heat::Medium);
        assert_eq!(Heat::from_fraction(0.6), Heat::High);
        assert_eq!(Heat::from_fraction(1.0), Heat::Critical);
        assert_eq!(Heat::from_fraction(f64::NAN), Heat::Low);
    }

    #[test]
    fn severity_styles_escalate_in_colour_themes() {
        let t = Theme::dark();
        assert_ne!(t.severity(Severity::Critical), t.severity(Severity::Info));
        assert_eq!(t.heat(Heat::Critical), t.heat[3]);
    }
}
