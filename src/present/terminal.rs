//! The one way headless text reaches a terminal. `report`, `check`, `scan`, `export` and
//! `baseline` print names, error types, file names and rejection details that came from the
//! data; a model named `ESC ] 52 ; …` would otherwise write the clipboard, `ESC ] 0 ;` retitle
//! the terminal and `ESC [ 2 J` clear it. [`Text`] runs everything written through it through
//! [`sanitize`](super::sanitize) (line breaks kept), so no text output can forget a field.

use super::sanitize::{sanitize, Mode, Newlines};
use std::io::{self, Write};

/// Line breaks kept, tabs expanded: the mode of whole text outputs.
const TEXT: Mode = Mode {
    newlines: Newlines::Keep,
    tab_width: Some(8),
};

/// A writer that sanitises UTF-8 text on its way to `inner`. A character split across two
/// writes is held until it is whole (or until [`Text::into_inner`]); bytes that are not
/// UTF-8 are shown as `\xNN`.
pub struct Text<W: Write> {
    inner: W,
    /// The start of a UTF-8 sequence the last write ended inside.
    partial: Vec<u8>,
}

impl<W: Write> Text<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Text<W> {
        Text {
            inner,
            partial: Vec::new(),
        }
    }

    /// The wrapped writer, after writing out anything held back.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.flush_partial()?;
        let Text { inner, .. } = self;
        Ok(inner)
    }

    fn flush_partial(&mut self) -> io::Result<()> {
        let held = std::mem::take(&mut self.partial);
        for b in held {
            write!(self.inner, "\\x{b:02x}")?;
        }
        Ok(())
    }

    fn write_text(&mut self, s: &str) -> io::Result<()> {
        self.inner.write_all(sanitize(s, TEXT).as_bytes())
    }
}

impl<W: Write> Write for Text<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut bytes = std::mem::take(&mut self.partial);
        bytes.extend_from_slice(buf);
        let mut rest = bytes.as_slice();
        loop {
            match std::str::from_utf8(rest) {
                Ok(s) => {
                    self.write_text(s)?;
                    break;
                }
                Err(e) => {
                    let (good, bad) = rest.split_at(e.valid_up_to());
                    self.write_text(std::str::from_utf8(good).unwrap_or_default())?;
                    match e.error_len() {
                        Some(n) => {
                            for b in &bad[..n] {
                                write!(self.inner, "\\x{b:02x}")?;
                            }
                            rest = &bad[n..];
                        }
                        None => {
                            self.partial = bad.to_vec();
                            break;
                        }
                    }
                }
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Writes one message line to standard error, sanitised (`llmmon: …` lines name files,
/// sources and rejection details that came from outside).
pub fn eprintln(msg: impl std::fmt::Display) {
    let mut err = Text::new(io::stderr().lock());
    let _ = writeln!(err, "{msg}");
}

/// `s` made safe for a terminal, line breaks kept: for text written to files people `cat`
/// (the Markdown incident report).
pub fn text(s: &str) -> std::borrow::Cow<'_, str> {
    sanitize(s, TEXT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(chunks: &[&[u8]]) -> String {
        let mut t = Text::new(Vec::new());
        for c in chunks {
            t.write_all(c).expect("write");
        }
        String::from_utf8(t.into_inner().expect("inner")).expect("utf-8")
    }

    /// Bytes no terminal should receive from data: C0 controls but tab and newline, DEL,
    /// and the UTF-8 encodings of C1 controls and bidi overrides.
    fn has_control(s: &str) -> bool {
        s.bytes().any(|b| (b < 0x20 && b != b'\n') || b == 0x7f)
            || ["\u{9b}", "\u{9d}", "\u{202e}", "\u{2066}"]
                .iter()
                .any(|c| s.contains(c))
    }

    #[test]
    fn escapes_from_data_are_shown_not_sent() {
        let out = through(&[b"model \x1b]0;pwned\x07 \x1b]52;c;aGk=\x07 \x1b[2J ok\n"]);
        assert_eq!(
            out,
            "model \\x1b]0;pwned\\x07 \\x1b]52;c;aGk=\\x07 \\x1b[2J ok\n"
        );
        assert!(!has_control(&out));
        let out = through(&["a\u{9b}31m b\u{202e}c\tz\n".as_bytes()]);
        assert!(!has_control(&out), "{out:?}");
        assert!(out.ends_with("z\n"));
    }

    #[test]
    fn characters_split_across_writes_survive() {
        let s = "日本 é\n".as_bytes();
        assert_eq!(through(&[&s[..1], &s[1..4], &s[4..]]), "日本 é\n");
    }

    #[test]
    fn invalid_utf8_is_shown_as_bytes() {
        assert_eq!(through(&[b"a\xffb", b"\xe6"]), "a\\xffb\\xe6");
    }
}
