//! JSON that keeps the exact text yet cannot drive a terminal when printed. serde_json
//! escapes only `"`, `\` and C0 controls; a C1 control (U+009B is a CSI introducer for some
//! terminals), DEL, a bidi override or a zero-width character would still reach the screen
//! raw when someone runs `llmmon report --json` in a terminal. Here every character that
//! [`is_dangerous`] names is written as a `\uXXXX` escape, so a JSON reader gets exactly the
//! original string back.

use super::sanitize::is_dangerous;
use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};
use std::io::{self, Write};

/// A formatter that escapes what [`is_dangerous`] names inside strings.
struct Safe<F>(F);

impl<F: Formatter> Formatter for Safe<F> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if is_dangerous(c) {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    write!(writer, "\\u{u:04x}")?;
                }
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    // Everything else as the wrapped formatter does it.
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// `value` as one line of JSON with dangerous characters escaped.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    write(value, Safe(CompactFormatter))
}

/// `value` as indented JSON with dangerous characters escaped.
pub fn to_string_pretty<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    write(value, Safe(PrettyFormatter::new()))
}

fn write<T: Serialize + ?Sized, F: Formatter>(value: &T, f: F) -> serde_json::Result<String> {
    let mut out = Vec::with_capacity(256);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, f);
    value.serialize(&mut ser)?;
    // The serializer writes only valid UTF-8 (strings are &str, escapes are ASCII).
    String::from_utf8(out).map_err(|e| serde::ser::Error::custom(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dangerous_characters_are_escaped_and_round_trip() {
        let s = "m\u{1b}]0;x\u{7}\u{9b}31m\u{202e}\u{200b}\u{e0041}é日";
        let v = serde_json::json!({ "model": s, "n": [1, 2] });
        for out in [
            to_string(&v).expect("json"),
            to_string_pretty(&v).expect("json"),
        ] {
            assert!(
                !out.chars().any(|c| is_dangerous(c) && c != '\n'),
                "{out:?}"
            );
            let back: serde_json::Value = serde_json::from_str(&out).expect("parses");
            assert_eq!(back["model"], s);
        }
        assert!(to_string(&v).expect("json").contains("\\u009b"));
        assert!(to_string(&v).expect("json").contains("\\udb40\\udc41"));
    }

    #[test]
    fn clean_json_is_what_serde_json_writes() {
        let v = serde_json::json!({ "a": "plain", "b": 1.5, "c": [true, null] });
        assert_eq!(
            to_string(&v).expect("json"),
            serde_json::to_string(&v).expect("json")
        );
        assert_eq!(
            to_string_pretty(&v).expect("json"),
            serde_json::to_string_pretty(&v).expect("json")
        );
    }
}
