//! Key bindings: what each key does in each pane, written as strings users can put in their
//! config (`"ctrl+f"`, `"shift+tab"`, `"G"`, `"pgdn"`, `"space"`). The defaults follow the
//! keys people already have in their fingers; user overrides patch them; conflicts are
//! reported, never silently resolved. Ctrl-C always quits and cannot be rebound. The footer
//! and the `?` overlay are generated from the effective map, so they never lie.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// One key with its modifiers, normalised so that a terminal's report and a config string
/// compare equal (`G` and `shift+g` are the same key; Shift-Tab is `BackTab`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyBinding {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

impl KeyBinding {
    /// A key with modifiers, normalised.
    pub fn new(code: KeyCode, modifiers: KeyModifiers) -> KeyBinding {
        let mut modifiers =
            modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match code {
            // Terminals cannot tell ctrl+C from ctrl+c, so neither do we.
            KeyCode::Char(c) if modifiers.contains(KeyModifiers::CONTROL) => {
                modifiers.remove(KeyModifiers::SHIFT);
                KeyCode::Char(c.to_ascii_lowercase())
            }
            KeyCode::Char(c) if modifiers.contains(KeyModifiers::SHIFT) => {
                modifiers.remove(KeyModifiers::SHIFT);
                KeyCode::Char(c.to_ascii_uppercase())
            }
            KeyCode::BackTab => {
                modifiers.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            KeyCode::Tab if modifiers.contains(KeyModifiers::SHIFT) => {
                modifiers.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        KeyBinding { code, modifiers }
    }

    /// A key without modifiers.
    pub fn plain(code: KeyCode) -> KeyBinding {
        KeyBinding::new(code, KeyModifiers::NONE)
    }

    /// A character key (upper case means shifted).
    pub fn char(c: char) -> KeyBinding {
        KeyBinding::plain(KeyCode::Char(c))
    }

    /// Ctrl plus a character.
    pub fn ctrl(c: char) -> KeyBinding {
        KeyBinding::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    /// The binding of a terminal key event.
    pub fn from_event(ev: &KeyEvent) -> KeyBinding {
        KeyBinding::new(ev.code, ev.modifiers)
    }

    /// Ctrl-C, the key that always quits.
    pub fn is_ctrl_c(&self) -> bool {
        self.code == KeyCode::Char('c') && self.modifiers == KeyModifiers::CONTROL
    }
}

const NAMED_KEYS: &[(&str, KeyCode)] = &[
    ("space", KeyCode::Char(' ')),
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("shift+tab", KeyCode::BackTab),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("insert", KeyCode::Insert),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pgup", KeyCode::PageUp),
    ("pgdn", KeyCode::PageDown),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
];

const KEY_ALIASES: &[(&str, KeyCode)] = &[
    ("return", KeyCode::Enter),
    ("escape", KeyCode::Esc),
    ("backtab", KeyCode::BackTab),
    ("bs", KeyCode::Backspace),
    ("del", KeyCode::Delete),
    ("ins", KeyCode::Insert),
    ("pageup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("plus", KeyCode::Char('+')),
    ("minus", KeyCode::Char('-')),
];

/// Why a key string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read key '{key}': {reason}")]
pub struct KeyParseError {
    pub key: String,
    pub reason: String,
}

impl FromStr for KeyBinding {
    type Err = KeyParseError;

    fn from_str(s: &str) -> Result<KeyBinding, KeyParseError> {
        let err = |reason: &str| KeyParseError {
            key: s.to_string(),
            reason: reason.to_string(),
        };
        if s.chars().count() == 1 {
            return s
                .chars()
                .next()
                .map(KeyBinding::char)
                .ok_or_else(|| err("empty"));
        }
        let (mods, key) = match s.strip_suffix("++") {
            Some(prefix) => (prefix, "+"),
            None => s.rsplit_once('+').unwrap_or(("", s)),
        };
        if key.is_empty() {
            return Err(err("no key after the modifiers"));
        }
        let mut modifiers = KeyModifiers::NONE;
        if !mods.is_empty() {
            for m in mods.split('+') {
                modifiers |= match m.to_ascii_lowercase().as_str() {
                    "ctrl" | "control" => KeyModifiers::CONTROL,
                    "alt" | "meta" | "option" => KeyModifiers::ALT,
                    "shift" => KeyModifiers::SHIFT,
                    _ => {
                        return Err(err(&format!(
                            "unknown modifier '{m}'; use ctrl, alt or shift"
                        )))
                    }
                };
            }
        }
        let lower = key.to_ascii_lowercase();
        let code = if key.chars().count() == 1 {
            key.chars().next().map(KeyCode::Char)
        } else if let Some(n) = lower.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
            (1..=12).contains(&n).then_some(KeyCode::F(n))
        } else {
            NAMED_KEYS
                .iter()
                .chain(KEY_ALIASES)
                .find(|(name, _)| *name == lower)
                .map(|&(_, c)| c)
        };
        let code = code.ok_or_else(|| {
            err(
                "unknown key name; use a single character, space, enter, esc, tab, shift+tab, \
                 backspace, delete, insert, home, end, pgup, pgdn, up, down, left, right or f1-f12",
            )
        })?;
        Ok(KeyBinding::new(code, modifiers))
    }
}

impl fmt::Display for KeyBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl+")?;
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            f.write_str("alt+")?;
        }
        if self.modifiers.contains(KeyModifiers::SHIFT) {
            f.write_str("shift+")?;
        }
        if let Some((name, _)) = NAMED_KEYS.iter().find(|(_, c)| *c == self.code) {
            return f.write_str(name);
        }
        match self.code {
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// Where a binding applies. A pane's own bindings are looked up first, then the global ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    Global,
    Overview,
    Conversations,
    Traces,
    Flagged,
    Drift,
    Alerts,
    Calls,
    Review,
    /// The drill-down detail of a record or conversation.
    Detail,
    /// The raw JSON view.
    Json,
}

impl Context {
    /// Every context, in help order.
    pub const ALL: [Context; 11] = [
        Context::Global,
        Context::Overview,
        Context::Conversations,
        Context::Traces,
        Context::Flagged,
        Context::Drift,
        Context::Alerts,
        Context::Calls,
        Context::Review,
        Context::Detail,
        Context::Json,
    ];

    /// Lower-case name, used as the `context.` prefix of an override.
    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Overview => "overview",
            Context::Conversations => "conversations",
            Context::Traces => "traces",
            Context::Flagged => "flagged",
            Context::Drift => "drift",
            Context::Alerts => "alerts",
            Context::Calls => "calls",
            Context::Review => "review",
            Context::Detail => "detail",
            Context::Json => "json",
        }
    }
}

/// Everything a key can ask the UI to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Quit,
    Help,
    Filter,
    NextHit,
    PrevHit,
    Up,
    Down,
    PageUp,
    PageDown,
    HalfPageDown,
    HalfPageUp,
    Top,
    /// Jump to the newest row and resume following.
    Bottom,
    NextPane,
    PrevPane,
    /// Jump to pane 1..=8.
    Pane(u8),
    Enter,
    Back,
    Pause,
    Follow,
    Copy,
    WindowLonger,
    WindowShorter,
    ToggleMouse,
    RawJson,
    JumpTrace,
    ToggleColorBy,
    Redact,
    SortNext,
    SortReverse,
    Export,
    Annotate,
    Mark,
    /// Take back the last label or mark made in this session.
    Undo,
    Rebaseline,
    /// Open or close the sources inspector.
    Sources,
    /// Review queue: label the call `good` and go to the next unreviewed one.
    LabelGood,
    /// Review queue: label the call `bad` and go on.
    LabelBad,
    /// Review queue: label the call `hallucination` and go on.
    LabelHallucination,
    /// Review queue: label the call `unsafe` and go on.
    LabelUnsafe,
    /// Review queue: add a note to the call's label.
    Note,
    /// Review queue: go to the next unreviewed call without labelling this one.
    Skip,
}

impl Action {
    /// Every action, in help order.
    pub const ALL: [Action; 49] = [
        Action::Quit,
        Action::Help,
        Action::Filter,
        Action::NextHit,
        Action::PrevHit,
        Action::Up,
        Action::Down,
        Action::PageUp,
        Action::PageDown,
        Action::HalfPageDown,
        Action::HalfPageUp,
        Action::Top,
        Action::Bottom,
        Action::NextPane,
        Action::PrevPane,
        Action::Pane(1),
        Action::Pane(2),
        Action::Pane(3),
        Action::Pane(4),
        Action::Pane(5),
        Action::Pane(6),
        Action::Pane(7),
        Action::Pane(8),
        Action::Enter,
        Action::Back,
        Action::Pause,
        Action::Follow,
        Action::Copy,
        Action::WindowLonger,
        Action::WindowShorter,
        Action::ToggleMouse,
        Action::RawJson,
        Action::JumpTrace,
        Action::ToggleColorBy,
        Action::Redact,
        Action::SortNext,
        Action::SortReverse,
        Action::Export,
        Action::Annotate,
        Action::Mark,
        Action::Undo,
        Action::Rebaseline,
        Action::Sources,
        Action::LabelGood,
        Action::LabelBad,
        Action::LabelHallucination,
        Action::LabelUnsafe,
        Action::Note,
        Action::Skip,
    ];

    /// The snake_case name used in config (`[keys] half_page_down = "ctrl+d"`).
    pub fn name(self) -> String {
        let s = match self {
            Action::Pane(n) => return format!("pane_{n}"),
            Action::Quit => "quit",
            Action::Help => "help",
            Action::Filter => "filter",
            Action::NextHit => "next_hit",
            Action::PrevHit => "prev_hit",
            Action::Up => "up",
            Action::Down => "down",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::HalfPageDown => "half_page_down",
            Action::HalfPageUp => "half_page_up",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::NextPane => "next_pane",
            Action::PrevPane => "prev_pane",
            Action::Enter => "enter",
            Action::Back => "back",
            Action::Pause => "pause",
            Action::Follow => "follow",
            Action::Copy => "copy",
            Action::WindowLonger => "window_longer",
            Action::WindowShorter => "window_shorter",
            Action::ToggleMouse => "toggle_mouse",
            Action::RawJson => "raw_json",
            Action::JumpTrace => "jump_trace",
            Action::ToggleColorBy => "toggle_color_by",
            Action::Redact => "redact",
            Action::SortNext => "sort_next",
            Action::SortReverse => "sort_reverse",
            Action::Export => "export",
            Action::Annotate => "annotate",
            Action::Mark => "mark",
            Action::Undo => "undo",
            Action::Rebaseline => "rebaseline",
            Action::Sources => "sources",
            Action::LabelGood => "label_good",
            Action::LabelBad => "label_bad",
            Action::LabelHallucination => "label_hallucination",
            Action::LabelUnsafe => "label_unsafe",
            Action::Note => "note",
            Action::Skip => "skip",
        };
        s.to_string()
    }

    /// Finds an action by its config name.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }

    /// One line for the help overlay.
    pub fn description(self) -> &'static str {
        match self {
            Action::Quit => "quit (ctrl+c always quits)",
            Action::Help => "show or hide this help",
            Action::Filter => "filter with a query (model:x latency>2s ...)",
            Action::NextHit => "next filter hit",
            Action::PrevHit => "previous filter hit",
            Action::Up => "move up",
            Action::Down => "move down",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::HalfPageDown => "half a page down",
            Action::HalfPageUp => "half a page up",
            Action::Top => "go to the top (stops following)",
            Action::Bottom => "go to the newest row and follow",
            Action::NextPane => "next pane",
            Action::PrevPane => "previous pane",
            Action::Pane(1) => "overview pane",
            Action::Pane(2) => "conversations pane",
            Action::Pane(3) => "traces pane",
            Action::Pane(4) => "flagged pane",
            Action::Pane(5) => "drift pane",
            Action::Pane(6) => "alerts pane",
            Action::Pane(7) => "calls pane",
            Action::Pane(_) => "review pane: the calls that need a person",
            Action::Enter => "open the selected row",
            Action::Back => "back / close",
            Action::Pause => "pause the view (ingest continues)",
            Action::Follow => "toggle follow",
            Action::Copy => "copy the selection to the clipboard (OSC 52)",
            Action::WindowLonger => "longer metrics window",
            Action::WindowShorter => "shorter metrics window",
            Action::ToggleMouse => "toggle mouse capture",
            Action::RawJson => "show the raw JSON",
            Action::JumpTrace => "jump to the trace",
            Action::ToggleColorBy => "colour bars by latency or cost",
            Action::Redact => "hide or show PII on screen",
            Action::SortNext => "sort by the next column",
            Action::SortReverse => "reverse the sort",
            Action::Export => "export what the pane shows (asks before overwriting)",
            Action::Annotate => "label the selection, then add a note",
            Action::Mark => "mark the selection",
            Action::Undo => "undo the last label or mark of this session",
            Action::Rebaseline => "take the current window as the drift baseline",
            Action::Sources => "sources inspector: state, counters, last rejected lines",
            Action::LabelGood => "label good, then the next unreviewed call",
            Action::LabelBad => "label bad, then the next unreviewed call",
            Action::LabelHallucination => "label hallucination, then the next unreviewed call",
            Action::LabelUnsafe => "label unsafe, then the next unreviewed call",
            Action::Note => "add a note to the call's label",
            Action::Skip => "skip to the next unreviewed call",
        }
    }

    /// The help line in `context`, where a key means something more precise there.
    pub fn description_in(self, context: Context) -> &'static str {
        match (context, self) {
            (Context::Review, Action::NextHit) => "next call in the queue",
            (Context::Review, Action::PrevHit) => "previous call in the queue",
            (Context::Review, Action::Annotate) => {
                "label with any word (then tab for a note), then the next unreviewed call"
            }
            _ => self.description(),
        }
    }

    /// The footer label in `context` (see [`Action::description_in`]).
    pub fn short_in(self, context: Context) -> &'static str {
        match (context, self) {
            (Context::Review, Action::NextHit) => "next",
            (Context::Review, Action::Annotate) => "label",
            _ => self.short(),
        }
    }

    /// A one-word label for the footer.
    pub fn short(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "help",
            Action::Filter => "filter",
            Action::NextHit | Action::PrevHit => "hit",
            Action::Up | Action::Down => "move",
            Action::PageUp | Action::PageDown | Action::HalfPageDown | Action::HalfPageUp => "page",
            Action::Top => "top",
            Action::Bottom => "follow",
            Action::NextPane | Action::PrevPane | Action::Pane(_) => "pane",
            Action::Enter => "open",
            Action::Back => "back",
            Action::Pause => "pause",
            Action::Follow => "follow",
            Action::Copy => "copy",
            Action::WindowLonger | Action::WindowShorter => "window",
            Action::ToggleMouse => "mouse",
            Action::RawJson => "json",
            Action::JumpTrace => "trace",
            Action::ToggleColorBy => "colour",
            Action::Redact => "redact",
            Action::SortNext => "sort",
            Action::SortReverse => "reverse",
            Action::Export => "export",
            Action::Annotate => "note",
            Action::Mark => "mark",
            Action::Undo => "undo",
            Action::Rebaseline => "rebaseline",
            Action::Sources => "sources",
            Action::LabelGood => "good",
            Action::LabelBad => "bad",
            Action::LabelHallucination => "hallucination",
            Action::LabelUnsafe => "unsafe",
            Action::Note => "note",
            Action::Skip => "skip",
        }
    }
}

/// One key list from config: `quit = "q"` or `down = ["j", "down"]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum KeyList {
    One(String),
    Many(Vec<String>),
}

impl KeyList {
    fn keys(&self) -> &[String] {
        match self {
            KeyList::One(k) => std::slice::from_ref(k),
            KeyList::Many(ks) => ks,
        }
    }
}

/// User overrides as read from config: action name (optionally `context.action`) → keys.
pub type KeyOverrides = BTreeMap<String, KeyList>;

/// One thing wrong with a set of overrides.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeymapProblem {
    #[error("unknown action '{0}'")]
    UnknownAction(String),
    #[error("action '{action}': {error}")]
    BadKey {
        action: String,
        error: KeyParseError,
    },
    #[error("action '{0}': ctrl+c always quits and cannot be bound")]
    CtrlCReserved(String),
    #[error("key '{key}' in {context} is bound to both {first} and {second}")]
    Conflict {
        key: String,
        context: &'static str,
        first: String,
        second: String,
    },
}

/// Every problem found in a set of overrides, reported together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid key bindings: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct KeymapError(pub Vec<KeymapProblem>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    context: Context,
    action: Action,
    keys: Vec<KeyBinding>,
}

/// One row of generated help: the keys, the action and what it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpLine {
    /// Keys joined with `/`, e.g. `j/down`.
    pub keys: String,
    pub action: Action,
    pub description: &'static str,
}

/// The effective key bindings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    entries: Vec<Entry>,
}

impl Default for Keymap {
    fn default() -> Keymap {
        Keymap::defaults()
    }
}

fn keys(list: &[&str]) -> Vec<KeyBinding> {
    list.iter().filter_map(|k| k.parse().ok()).collect()
}

impl Keymap {
    /// The built-in bindings.
    pub fn defaults() -> Keymap {
        use Action as A;
        use Context as C;
        let mut entries = Vec::new();
        let mut add = |context, action, k: &[&str]| {
            entries.push(Entry {
                context,
                action,
                keys: keys(k),
            })
        };
        add(C::Global, A::Quit, &["q"]);
        add(C::Global, A::Help, &["?"]);
        add(C::Global, A::Filter, &["/"]);
        add(C::Global, A::NextHit, &["n"]);
        add(C::Global, A::PrevHit, &["N"]);
        add(C::Global, A::Up, &["k", "up"]);
        add(C::Global, A::Down, &["j", "down"]);
        add(C::Global, A::PageUp, &["pgup"]);
        add(C::Global, A::PageDown, &["pgdn"]);
        add(C::Global, A::HalfPageDown, &["ctrl+d"]);
        add(C::Global, A::HalfPageUp, &["ctrl+u"]);
        add(C::Global, A::Top, &["g", "home"]);
        add(C::Global, A::Bottom, &["G", "end"]);
        add(C::Global, A::NextPane, &["tab"]);
        add(C::Global, A::PrevPane, &["shift+tab"]);
        for (n, k) in ["1", "2", "3", "4", "5", "6", "7", "8"]
            .into_iter()
            .enumerate()
        {
            add(C::Global, A::Pane(n as u8 + 1), &[k]);
        }
        add(C::Global, A::Enter, &["enter"]);
        add(C::Global, A::Back, &["esc"]);
        add(C::Global, A::Pause, &["space"]);
        add(C::Global, A::Follow, &["f"]);
        add(C::Global, A::Copy, &["y"]);
        add(C::Global, A::WindowLonger, &["+", "="]);
        add(C::Global, A::WindowShorter, &["-"]);
        add(C::Global, A::ToggleMouse, &["m"]);
        add(C::Global, A::RawJson, &["J"]);
        add(C::Global, A::JumpTrace, &["t"]);
        add(C::Global, A::Redact, &["r"]);
        add(C::Global, A::Export, &["e"]);
        add(C::Overview, A::SortNext, &["s"]);
        add(C::Overview, A::SortReverse, &["S"]);
        for ctx in [C::Conversations, C::Flagged] {
            add(ctx, A::SortNext, &["s"]);
            add(ctx, A::SortReverse, &["S"]);
            add(ctx, A::Annotate, &["a"]);
            add(ctx, A::Mark, &["x"]);
            add(ctx, A::Undo, &["u"]);
        }
        add(C::Calls, A::SortNext, &["s"]);
        add(C::Calls, A::Annotate, &["a"]);
        add(C::Calls, A::Mark, &["x"]);
        add(C::Calls, A::Undo, &["u"]);
        add(C::Traces, A::ToggleColorBy, &["c"]);
        add(C::Traces, A::SortNext, &["s"]);
        add(C::Traces, A::SortReverse, &["S"]);
        add(C::Drift, A::Rebaseline, &["b"]);
        add(C::Global, A::Sources, &["i"]);
        add(C::Review, A::LabelGood, &["o"]);
        add(C::Review, A::LabelBad, &["b"]);
        add(C::Review, A::LabelHallucination, &["h"]);
        add(C::Review, A::LabelUnsafe, &["!"]);
        add(C::Review, A::Annotate, &["a"]);
        add(C::Review, A::Note, &["c"]);
        add(C::Review, A::Skip, &["s"]);
        add(C::Review, A::Undo, &["u"]);
        add(C::Detail, A::Annotate, &["a"]);
        add(C::Detail, A::Mark, &["x"]);
        add(C::Detail, A::Undo, &["u"]);
        Keymap { entries }
    }

    /// The defaults patched by user overrides. An override replaces all keys of the action
    /// (in every context it has, or only in `context.action`); an empty list unbinds it.
    /// All problems are collected and returned together.
    pub fn with_overrides(overrides: &KeyOverrides) -> Result<Keymap, KeymapError> {
        let mut map = Keymap::defaults();
        let mut problems = Vec::new();
        for (name, list) in overrides {
            let (context, action_name) = match name.split_once('.') {
                Some((c, a)) => match Context::ALL.into_iter().find(|ctx| ctx.name() == c) {
                    Some(ctx) => (Some(ctx), a),
                    None => {
                        problems.push(KeymapProblem::UnknownAction(name.clone()));
                        continue;
                    }
                },
                None => (None, name.as_str()),
            };
            let Some(action) = Action::from_name(action_name) else {
                problems.push(KeymapProblem::UnknownAction(name.clone()));
                continue;
            };
            let mut parsed = Vec::new();
            for k in list.keys() {
                match k.parse::<KeyBinding>() {
                    Ok(b) if b.is_ctrl_c() => {
                        problems.push(KeymapProblem::CtrlCReserved(name.clone()))
                    }
                    Ok(b) => parsed.push(b),
                    Err(error) => problems.push(KeymapProblem::BadKey {
                        action: name.clone(),
                        error,
                    }),
                }
            }
            let mut found = false;
            for e in &mut map.entries {
                if e.action == action && context.is_none_or(|c| c == e.context) {
                    e.keys.clone_from(&parsed);
                    found = true;
                }
            }
            if !found {
                map.entries.push(Entry {
                    context: context.unwrap_or(Context::Global),
                    action,
                    keys: parsed,
                });
            }
        }
        problems.extend(map.conflicts());
        if problems.is_empty() {
            Ok(map)
        } else {
            Err(KeymapError(problems))
        }
    }

    /// Keys bound to two actions in one context, or a pane key hiding a global action.
    pub fn conflicts(&self) -> Vec<KeymapProblem> {
        let mut seen: BTreeMap<(Context, String), Action> = BTreeMap::new();
        let mut out = Vec::new();
        for ctx in Context::ALL {
            for e in self.entries.iter().filter(|e| e.context == ctx) {
                for k in &e.keys {
                    let key = k.to_string();
                    let clash = seen
                        .get(&(ctx, key.clone()))
                        .or_else(|| seen.get(&(Context::Global, key.clone())))
                        .copied();
                    match clash {
                        Some(other) if other != e.action => out.push(KeymapProblem::Conflict {
                            key,
                            context: ctx.name(),
                            first: other.name(),
                            second: e.action.name(),
                        }),
                        _ => {
                            seen.insert((ctx, key), e.action);
                        }
                    }
                }
            }
        }
        out
    }

    /// The action a key press asks for in `context`; `None` for unbound keys and key
    /// releases. Ctrl-C is always [`Action::Quit`].
    pub fn action(&self, context: Context, ev: &KeyEvent) -> Option<Action> {
        if ev.kind == KeyEventKind::Release {
            return None;
        }
        let key = KeyBinding::from_event(ev);
        if key.is_ctrl_c() {
            return Some(Action::Quit);
        }
        let lookup = |ctx: Context| {
            self.entries
                .iter()
                .find(|e| e.context == ctx && e.keys.contains(&key))
                .map(|e| e.action)
        };
        lookup(context).or_else(|| lookup(Context::Global))
    }

    /// The keys bound to `action` in `context` (pane bindings first, then global ones).
    pub fn keys_for(&self, context: Context, action: Action) -> Vec<KeyBinding> {
        let mut out = Vec::new();
        for ctx in [context, Context::Global] {
            for e in self
                .entries
                .iter()
                .filter(|e| e.context == ctx && e.action == action)
            {
                out.extend(e.keys.iter().copied());
            }
            if !out.is_empty() {
                break;
            }
        }
        out
    }

    /// Help for `context`: its own bindings first, then the global ones; unbound actions
    /// are left out.
    pub fn help(&self, context: Context) -> Vec<HelpLine> {
        let mut out = Vec::new();
        let mut ctxs = vec![context];
        if context != Context::Global {
            ctxs.push(Context::Global);
        }
        for ctx in ctxs {
            for e in self
                .entries
                .iter()
                .filter(|e| e.context == ctx && !e.keys.is_empty())
            {
                if out.iter().any(|h: &HelpLine| h.action == e.action) {
                    continue;
                }
                out.push(HelpLine {
                    keys: join_keys(&e.keys),
                    action: e.action,
                    description: e.action.description_in(context),
                });
            }
        }
        out
    }

    /// The footer hints for `context`: (first key, short label) for the actions worth
    /// showing there, in order, skipping unbound ones.
    pub fn footer(&self, context: Context) -> Vec<(String, &'static str)> {
        use Action as A;
        let pane_actions: &[Action] = match context {
            Context::Global => &[],
            Context::Overview => &[A::SortNext, A::WindowLonger],
            Context::Conversations | Context::Flagged => &[A::Enter, A::SortNext, A::JumpTrace],
            Context::Traces => &[A::Enter, A::ToggleColorBy],
            Context::Drift => &[A::Rebaseline],
            Context::Alerts => &[A::Enter],
            Context::Calls => &[A::Enter, A::Back, A::SortNext, A::JumpTrace],
            Context::Review => &[
                A::LabelGood,
                A::LabelBad,
                A::LabelHallucination,
                A::LabelUnsafe,
                A::Annotate,
                A::Note,
                A::Skip,
                A::NextHit,
                A::Enter,
                A::Undo,
            ],
            Context::Detail => &[A::Back, A::RawJson, A::JumpTrace, A::Copy],
            Context::Json => &[A::Back, A::Copy],
        };
        let common = [A::Filter, A::Pause, A::Help, A::Quit];
        pane_actions
            .iter()
            .chain(common.iter())
            .filter_map(|&a| {
                self.keys_for(context, a)
                    .first()
                    .map(|k| (k.to_string(), a.short_in(context)))
            })
            .collect()
    }
}

fn join_keys(keys: &[KeyBinding]) -> String {
    keys.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    #[test]
    fn key_strings_round_trip() {
        for s in [
            "q",
            "G",
            "?",
            "/",
            "+",
            "-",
            " ",
            "ctrl+f",
            "ctrl+d",
            "alt+x",
            "ctrl+alt+k",
            "shift+tab",
            "tab",
            "pgdn",
            "pgup",
            "space",
            "enter",
            "esc",
            "home",
            "end",
            "up",
            "down",
            "left",
            "right",
            "backspace",
            "delete",
            "insert",
            "f1",
            "f12",
            "ctrl++",
            "shift+up",
            "é",
        ] {
            let k: KeyBinding = s.parse().unwrap();
            let printed = k.to_string();
            assert_eq!(
                printed.parse::<KeyBinding>().unwrap(),
                k,
                "{s} -> {printed}"
            );
        }
        assert_eq!("space".parse::<KeyBinding>().unwrap().to_string(), "space");
        assert_eq!(" ".parse::<KeyBinding>().unwrap().to_string(), "space");
    }

    #[test]
    fn aliases_and_normalisation() {
        let p = |s: &str| s.parse::<KeyBinding>().unwrap();
        assert_eq!(p("shift+g"), p("G"));
        assert_eq!(p("backtab"), p("shift+tab"));
        assert_eq!(p("PageDown"), p("pgdn"));
        assert_eq!(p("Ctrl+F"), p("ctrl+f"));
        assert_eq!(p("plus"), p("+"));
        assert_eq!(p("escape"), p("esc"));
        assert_eq!(p("ctrl+C"), p("ctrl+c"));
        // What terminals send: 'G' with SHIFT, BackTab with SHIFT.
        assert_eq!(
            KeyBinding::from_event(&ev(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            p("G")
        );
        assert_eq!(
            KeyBinding::from_event(&ev(KeyCode::BackTab, KeyModifiers::SHIFT)),
            p("shift+tab")
        );
    }

    #[test]
    fn bad_key_strings_explain_themselves() {
        let e = "hyper+x".parse::<KeyBinding>().unwrap_err();
        assert!(e.to_string().contains("unknown modifier 'hyper'"), "{e}");
        let e = "pagedwn".parse::<KeyBinding>().unwrap_err();
        assert!(e.to_string().contains("unknown key name"), "{e}");
        assert!("ctrl+".parse::<KeyBinding>().is_err());
        assert!("".parse::<KeyBinding>().is_err());
        assert!("f13".parse::<KeyBinding>().is_err());
    }

    #[test]
    fn defaults_have_no_conflicts_and_cover_every_action() {
        let k = Keymap::defaults();
        assert_eq!(k.conflicts(), vec![]);
        for a in Action::ALL {
            assert!(
                Context::ALL.iter().any(|&c| !k.keys_for(c, a).is_empty()),
                "{a:?} unbound"
            );
            assert_eq!(Action::from_name(&a.name()), Some(a));
        }
    }

    #[test]
    fn lookup_prefers_pane_bindings_then_global() {
        let k = Keymap::defaults();
        let press = |c: char| ev(KeyCode::Char(c), KeyModifiers::NONE);
        assert_eq!(
            k.action(Context::Traces, &press('c')),
            Some(Action::ToggleColorBy)
        );
        assert_eq!(k.action(Context::Overview, &press('c')), None);
        assert_eq!(k.action(Context::Traces, &press('q')), Some(Action::Quit));
        assert_eq!(
            k.action(
                Context::Conversations,
                &ev(KeyCode::Char('d'), KeyModifiers::CONTROL)
            ),
            Some(Action::HalfPageDown)
        );
        assert_eq!(
            k.action(
                Context::Global,
                &ev(KeyCode::Char('G'), KeyModifiers::SHIFT)
            ),
            Some(Action::Bottom)
        );
        assert_eq!(
            k.action(Context::Global, &press('3')),
            Some(Action::Pane(3))
        );
        assert_eq!(k.action(Context::Global, &press(' ')), Some(Action::Pause));
        let mut release = press('q');
        release.kind = KeyEventKind::Release;
        assert_eq!(k.action(Context::Global, &release), None);
    }

    #[test]
    fn overrides_patch_defaults() {
        let mut o = KeyOverrides::new();
        o.insert("quit".into(), KeyList::One("ctrl+q".into()));
        o.insert(
            "down".into(),
            KeyList::Many(vec!["j".into(), "ctrl+n".into()]),
        );
        o.insert("traces.toggle_color_by".into(), KeyList::One("C".into()));
        o.insert("redact".into(), KeyList::Many(vec![]));
        let k = Keymap::with_overrides(&o).unwrap();
        let press = |s: &str| {
            let b: KeyBinding = s.parse().unwrap();
            ev(b.code, b.modifiers)
        };
        assert_eq!(
            k.action(Context::Global, &press("ctrl+q")),
            Some(Action::Quit)
        );
        assert_eq!(k.action(Context::Global, &press("q")), None);
        assert_eq!(k.action(Context::Global, &press("down")), None);
        assert_eq!(
            k.action(Context::Global, &press("ctrl+n")),
            Some(Action::Down)
        );
        assert_eq!(
            k.action(Context::Traces, &press("C")),
            Some(Action::ToggleColorBy)
        );
        assert_eq!(k.action(Context::Global, &press("r")), None);
        assert_eq!(k.action(Context::Global, &press("k")), Some(Action::Up));
        assert!(k
            .help(Context::Global)
            .iter()
            .all(|h| h.action != Action::Redact));
    }

    #[test]
    fn ctrl_c_always_quits_and_cannot_be_bound() {
        let mut o = KeyOverrides::new();
        o.insert("quit".into(), KeyList::Many(vec![]));
        let k = Keymap::with_overrides(&o).unwrap();
        assert_eq!(
            k.action(
                Context::Detail,
                &ev(KeyCode::Char('c'), KeyModifiers::CONTROL)
            ),
            Some(Action::Quit)
        );
        o.insert("copy".into(), KeyList::One("ctrl+c".into()));
        let e = Keymap::with_overrides(&o).unwrap_err();
        assert_eq!(e.0, vec![KeymapProblem::CtrlCReserved("copy".into())]);
    }

    #[test]
    fn problems_are_all_reported() {
        let mut o = KeyOverrides::new();
        o.insert("jump".into(), KeyList::One("x".into()));
        o.insert("nowhere.quit".into(), KeyList::One("x".into()));
        o.insert("help".into(), KeyList::One("hyper+h".into()));
        o.insert("follow".into(), KeyList::One("q".into()));
        o.insert("filter".into(), KeyList::One("a".into()));
        let e = Keymap::with_overrides(&o).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("unknown action 'jump'"), "{text}");
        assert!(text.contains("unknown action 'nowhere.quit'"), "{text}");
        assert!(text.contains("unknown modifier 'hyper'"), "{text}");
        assert!(
            text.contains("key 'q' in global is bound to both"),
            "{text}"
        );
        assert!(
            text.contains("key 'a' in conversations is bound to both filter and annotate"),
            "{text}"
        );
    }

    #[test]
    fn overrides_read_from_toml() {
        #[derive(Deserialize)]
        struct Cfg {
            keys: KeyOverrides,
        }
        let cfg: Cfg =
            toml::from_str("[keys]\nquit = \"ctrl+q\"\ndown = [\"j\", \"down\"]\n").unwrap();
        assert_eq!(cfg.keys["quit"], KeyList::One("ctrl+q".into()));
        assert!(Keymap::with_overrides(&cfg.keys).is_ok());
    }

    #[test]
    fn help_and_footer_follow_the_effective_map() {
        let k = Keymap::defaults();
        let help = k.help(Context::Traces);
        assert_eq!(help[0].action, Action::ToggleColorBy);
        let down = help.iter().find(|h| h.action == Action::Down).unwrap();
        assert_eq!(down.keys, "j/down");
        assert_eq!(
            k.footer(Context::Conversations),
            vec![
                ("enter".to_string(), "open"),
                ("s".to_string(), "sort"),
                ("t".to_string(), "trace"),
                ("/".to_string(), "filter"),
                ("space".to_string(), "pause"),
                ("?".to_string(), "help"),
                ("q".to_string(), "quit"),
            ]
        );
        let mut o = KeyOverrides::new();
        o.insert("help".into(), KeyList::One("f1".into()));
        let k = Keymap::with_overrides(&o).unwrap();
        assert!(k
            .footer(Context::Global)
            .contains(&("f1".to_string(), "help")));
        // `h` labels hallucinations on the Review pane: taking it for help says so.
        o.insert("help".into(), KeyList::One("h".into()));
        let e = Keymap::with_overrides(&o).unwrap_err().to_string();
        assert!(
            e.contains("key 'h' in review is bound to both help and label_hallucination"),
            "{e}"
        );
        o.insert(
            "review.label_hallucination".into(),
            KeyList::One("H".into()),
        );
        assert!(Keymap::with_overrides(&o).is_ok());
    }

    #[test]
    fn review_keys_label_skip_and_name_next_in_footer_and_help() {
        let k = Keymap::defaults();
        let press = |c: char| ev(KeyCode::Char(c), KeyModifiers::NONE);
        for (c, a) in [
            ('o', Action::LabelGood),
            ('b', Action::LabelBad),
            ('h', Action::LabelHallucination),
            ('!', Action::LabelUnsafe),
            ('a', Action::Annotate),
            ('c', Action::Note),
            ('s', Action::Skip),
            ('u', Action::Undo),
            ('n', Action::NextHit),
            ('8', Action::Pane(8)),
        ] {
            assert_eq!(k.action(Context::Review, &press(c)), Some(a), "{c}");
        }
        assert_eq!(k.action(Context::Calls, &press('o')), None);
        let footer = k.footer(Context::Review);
        assert_eq!(
            &footer[..8],
            &[
                ("o".to_string(), "good"),
                ("b".to_string(), "bad"),
                ("h".to_string(), "hallucination"),
                ("!".to_string(), "unsafe"),
                ("a".to_string(), "label"),
                ("c".to_string(), "note"),
                ("s".to_string(), "skip"),
                ("n".to_string(), "next"),
            ]
        );
        let help = k.help(Context::Review);
        let next = help.iter().find(|h| h.action == Action::NextHit).unwrap();
        assert_eq!(next.description, "next call in the queue");
    }
}
