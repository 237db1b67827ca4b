//! Makes text from outside safe to draw. Prompts, outputs, tool results and even model names
//! come from untrusted sources; a single `ESC ] 0 ;` could retitle the terminal, `ESC [ 2 J`
//! clear it, and a bidi override or a zero-width character could make text read differently
//! from what it is. Every such character is shown as a visible escape (`\x1b`, `\u{202e}`)
//! instead of reaching the terminal.
//!
//! Clean text (the common case) is returned borrowed, without allocating.

use std::borrow::Cow;
use std::fmt::Write as _;
use unicode_width::UnicodeWidthChar;

/// What to do with line breaks (`\n`, `\r\n`, U+2028, U+2029).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Newlines {
    /// Keep `\n` for multi-line views (a lone `\r` and U+2028/2029 still become `\n`).
    Keep,
    /// Show each line break as `⏎` so a record stays on one row.
    Symbol,
    /// Show each line break as the two characters `\n`.
    Escape,
}

/// How to render text: line breaks and tab handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mode {
    /// Line-break handling.
    pub newlines: Newlines,
    /// `Some(n)` expands tabs to the next multiple of `n` columns; `None` shows them as `\t`.
    pub tab_width: Option<u8>,
}

impl Mode {
    /// One table cell or header line: breaks as `⏎`, tabs as one space-padded stop of 4.
    pub const LINE: Mode = Mode {
        newlines: Newlines::Symbol,
        tab_width: Some(4),
    };
    /// A multi-line text view (detail pane): breaks kept, tabs expanded to 4 columns.
    pub const BLOCK: Mode = Mode {
        newlines: Newlines::Keep,
        tab_width: Some(4),
    };
}

/// Sanitises `s` for a single row (see [`Mode::LINE`]).
pub fn line(s: &str) -> Cow<'_, str> {
    sanitize(s, Mode::LINE)
}

/// Sanitises `s` for a multi-line view (see [`Mode::BLOCK`]).
pub fn block(s: &str) -> Cow<'_, str> {
    sanitize(s, Mode::BLOCK)
}

/// Whether `c` must never reach the terminal as itself.
pub fn is_dangerous(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        // Bidi controls: ALM, LRM, RLM, embeddings/overrides, isolates.
        | '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        // Zero-width and invisible characters.
        | '\u{200b}'..='\u{200d}' | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{180e}'
        | '\u{2028}' | '\u{2029}'
        // Interlinear annotation controls.
        | '\u{fff9}'..='\u{fffb}'
        // Tag characters, used to smuggle invisible instructions into prompts.
        | '\u{e0000}'..='\u{e007f}')
}

/// Replaces control characters, escape sequences' introducers, bidi controls and invisible
/// characters with visible escapes; handles newlines and tabs as `mode` says. Borrows when
/// nothing needs changing.
pub fn sanitize(s: &str, mode: Mode) -> Cow<'_, str> {
    let clean_prefix = s
        .bytes()
        .position(|b| !(0x20..0x7f).contains(&b))
        .unwrap_or(s.len());
    if clean_prefix == s.len() {
        return Cow::Borrowed(s);
    }
    let first_bad = s[clean_prefix..]
        .char_indices()
        .find(|&(_, c)| is_dangerous(c) && !(c == '\n' && mode.newlines == Newlines::Keep))
        .map(|(i, _)| clean_prefix + i);
    let Some(first_bad) = first_bad else {
        return Cow::Borrowed(s);
    };
    // Tabs need the column since the last line break, so restart from that break.
    let restart = s[..first_bad].rfind('\n').map_or(0, |i| i + 1);
    let mut out = String::with_capacity(s.len() + 16);
    out.push_str(&s[..restart]);
    let mut col = 0usize;
    let rest = &s[restart..];
    let bytes = rest.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // Copy runs of printable ASCII in one go.
        let run = bytes[i..]
            .iter()
            .position(|b| !(0x20..0x7f).contains(b))
            .unwrap_or(bytes.len() - i);
        if run > 0 {
            out.push_str(&rest[i..i + run]);
            col += run;
            i += run;
            continue;
        }
        let Some(c) = rest[i..].chars().next() else {
            break;
        };
        i += c.len_utf8();
        match c {
            '\r' if bytes.get(i) == Some(&b'\n') => {}
            '\n' | '\r' | '\u{2028}' | '\u{2029}' => {
                match mode.newlines {
                    Newlines::Keep => out.push('\n'),
                    Newlines::Symbol => out.push('⏎'),
                    Newlines::Escape => out.push_str("\\n"),
                }
                col = if mode.newlines == Newlines::Keep {
                    0
                } else {
                    col + 1
                };
            }
            '\t' => match mode.tab_width {
                Some(w) => {
                    let w = usize::from(w.max(1));
                    let n = w - col % w;
                    out.extend(std::iter::repeat_n(' ', n));
                    col += n;
                }
                None => {
                    out.push_str("\\t");
                    col += 2;
                }
            },
            c if is_dangerous(c) => {
                let before = out.len();
                if (c as u32) < 0x80 {
                    let _ = write!(out, "\\x{:02x}", c as u32);
                } else {
                    let _ = write!(out, "\\u{{{:x}}}", c as u32);
                }
                col += out.len() - before;
            }
            c => {
                out.push(c);
                col += c.width().unwrap_or(0);
            }
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn clean_text_is_borrowed() {
        assert!(matches!(line("plain text, 100%"), Cow::Borrowed(_)));
        assert!(matches!(line("héllo wörld 日本 🙂"), Cow::Borrowed(_)));
        assert!(matches!(block("two\nlines"), Cow::Borrowed(_)));
        assert!(matches!(line(""), Cow::Borrowed(_)));
    }

    #[test]
    fn terminal_attack_is_made_visible() {
        let s = line("ok\x1b[2J\x1b]0;pwned\x07 done");
        assert_eq!(s, "ok\\x1b[2J\\x1b]0;pwned\\x07 done");
        assert!(!s.chars().any(|c| c.is_control()));
    }

    #[test]
    fn c1_controls_and_del() {
        assert_eq!(
            line("a\u{9b}31mb\u{7f}c\u{85}"),
            "a\\u{9b}31mb\\x7fc\\u{85}"
        );
        assert_eq!(line("\0"), "\\x00");
    }

    #[test]
    fn bidi_and_invisible_characters() {
        assert_eq!(line("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(line("pay\u{200b}pal"), "pay\\u{200b}pal");
        assert_eq!(line("\u{feff}x\u{2066}"), "\\u{feff}x\\u{2066}");
        assert_eq!(line("hi\u{e0041}\u{e0042}"), "hi\\u{e0041}\\u{e0042}");
    }

    #[test]
    fn newline_modes() {
        let text = "a\nb\r\nc\rd\u{2028}e";
        assert_eq!(line(text), "a⏎b⏎c⏎d⏎e");
        assert_eq!(block(text), "a\nb\nc\nd\ne");
        let esc = Mode {
            newlines: Newlines::Escape,
            tab_width: None,
        };
        assert_eq!(sanitize(text, esc), "a\\nb\\nc\\nd\\ne");
        assert_eq!(sanitize("a\tb", esc), "a\\tb");
    }

    #[test]
    fn tabs_expand_to_stops_counting_wide_chars() {
        assert_eq!(line("\tx"), "    x");
        assert_eq!(line("ab\tx"), "ab  x");
        assert_eq!(line("abcd\tx"), "abcd    x");
        assert_eq!(line("日\tx"), "日  x");
        assert_eq!(block("abc\nd\tx"), "abc\nd   x");
        assert_eq!(line("\x1b\tx"), "\\x1b    x");
    }

    proptest! {
        #[test]
        fn output_never_contains_dangerous_characters(s in "\\PC*|[\\x00-\\x{ff}\\x{2028}\\x{202e}\\x{200b}\\t\\r\\n]*") {
            let out = line(&s);
            prop_assert!(!out.chars().any(is_dangerous), "{:?}", out);
            let out = block(&s);
            prop_assert!(!out.chars().any(|c| is_dangerous(c) && c != '\n'), "{:?}", out);
        }
    }
}
