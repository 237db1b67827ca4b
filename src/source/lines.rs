//! Line splitting shared by every byte source: chunks of bytes in, complete lines out, with
//! a hard cap on line length that never buffers an oversize line whole.

use memchr::memchr_iter;

/// Receives what a [`LineSplitter`] finds, in input order.
pub(crate) trait LineSink {
    /// A complete line (without its `\n` or `\r\n`) with its 1-based number.
    fn line(&mut self, line_no: u64, bytes: &[u8]);
    /// A line longer than the cap, skipped; `len` is its length without the newline.
    fn oversize(&mut self, line_no: u64, len: u64);
}

/// Splits a byte stream into lines. Bytes after the last newline are held until the next
/// chunk completes them (or [`LineSplitter::finish`] declares them a line).
#[derive(Debug)]
pub(crate) struct LineSplitter {
    max_line_bytes: usize,
    /// Bytes of the unfinished last line, at most `max_line_bytes`.
    partial: Vec<u8>,
    /// Length so far of an oversize line being skipped.
    skipping: Option<u64>,
    /// Discard everything up to the first newline without reporting it (starting a followed
    /// file at its end, in the middle of a line).
    discard_first: bool,
    /// Number of the last line emitted or dropped.
    line_no: u64,
}

impl LineSplitter {
    /// A splitter whose lines longer than `max_line_bytes` are dropped.
    pub(crate) fn new(max_line_bytes: usize) -> Self {
        LineSplitter {
            max_line_bytes,
            partial: Vec::new(),
            skipping: None,
            discard_first: false,
            line_no: 0,
        }
    }

    /// Ignore the bytes up to and including the next newline: they are the tail of a line
    /// that began before reading started.
    pub(crate) fn discard_until_newline(&mut self) {
        self.discard_first = true;
    }

    /// True when bytes of an unfinished line are held.
    pub(crate) fn has_partial(&self) -> bool {
        !self.partial.is_empty() || self.skipping.is_some()
    }

    /// Counts a whole unit of `len` bytes that was refused before it reached the splitter
    /// (a WebSocket message over the protocol cap) as one oversize line, after any
    /// unfinished line.
    pub(crate) fn skip_oversize(&mut self, len: u64, sink: &mut impl LineSink) {
        self.finish(sink);
        self.line_no += 1;
        sink.oversize(self.line_no, len);
    }

    /// Forgets an unfinished line (its file was truncated under it). Line numbers go on.
    pub(crate) fn reset_partial(&mut self) {
        self.partial.clear();
        self.skipping = None;
        self.discard_first = false;
    }

    /// Feeds the next chunk of the stream.
    pub(crate) fn feed(&mut self, chunk: &[u8], sink: &mut impl LineSink) {
        let mut start = 0;
        for nl in memchr_iter(b'\n', chunk) {
            let segment = &chunk[start..nl];
            start = nl + 1;
            if self.discard_first {
                self.discard_first = false;
                continue;
            }
            self.end_line(segment, sink);
        }
        let rest = &chunk[start..];
        if rest.is_empty() || self.discard_first {
            return;
        }
        match self.skipping.as_mut() {
            Some(len) => *len += rest.len() as u64,
            None => {
                if self.partial.len() + rest.len() > self.max_line_bytes {
                    self.skipping = Some((self.partial.len() + rest.len()) as u64);
                    self.partial = Vec::new();
                } else {
                    self.partial.extend_from_slice(rest);
                }
            }
        }
    }

    /// Declares the end of the stream (or of one WebSocket message): held bytes become the
    /// last line.
    pub(crate) fn finish(&mut self, sink: &mut impl LineSink) {
        self.discard_first = false;
        if self.has_partial() {
            self.end_line(&[], sink);
        }
    }

    /// Completes the held line with `tail` (the bytes before a newline) and emits it.
    fn end_line(&mut self, tail: &[u8], sink: &mut impl LineSink) {
        self.line_no += 1;
        if let Some(len) = self.skipping.take() {
            sink.oversize(self.line_no, len + tail.len() as u64);
            return;
        }
        let total = self.partial.len() + tail.len();
        if total > self.max_line_bytes {
            self.partial.clear();
            sink.oversize(self.line_no, total as u64);
        } else if self.partial.is_empty() {
            sink.line(self.line_no, strip_cr(tail));
        } else {
            self.partial.extend_from_slice(tail);
            sink.line(self.line_no, strip_cr(&self.partial));
            self.partial.clear();
        }
    }
}

/// Drops the `\r` of a `\r\n` line ending.
fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Collect {
        lines: Vec<(u64, String)>,
        dropped: Vec<(u64, u64)>,
    }

    impl LineSink for Collect {
        fn line(&mut self, line_no: u64, bytes: &[u8]) {
            self.lines
                .push((line_no, String::from_utf8_lossy(bytes).into_owned()));
        }
        fn oversize(&mut self, line_no: u64, len: u64) {
            self.dropped.push((line_no, len));
        }
    }

    fn split(chunks: &[&str], max: usize) -> Collect {
        let mut s = LineSplitter::new(max);
        let mut c = Collect::default();
        for ch in chunks {
            s.feed(ch.as_bytes(), &mut c);
        }
        s.finish(&mut c);
        c
    }

    fn texts(c: &Collect) -> Vec<&str> {
        c.lines.iter().map(|(_, l)| l.as_str()).collect()
    }

    #[test]
    fn lines_split_across_chunks_are_joined_and_crlf_stripped() {
        let c = split(&["a\r\nb", "c\n", "\nd"], 100);
        assert_eq!(texts(&c), ["a", "bc", "", "d"]);
        assert_eq!(
            c.lines.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
    }

    #[test]
    fn oversize_lines_are_dropped_with_their_length_and_number() {
        // In one chunk, across chunks, and grown from a held partial.
        let c = split(&["ok\n0123456789\nok2\n012", "345", "6789x\nok3"], 5);
        assert_eq!(texts(&c), ["ok", "ok2", "ok3"]);
        assert_eq!(c.dropped, [(2, 10), (4, 11)]);
        assert_eq!(c.lines[2].0, 5);
    }

    #[test]
    fn held_line_that_ends_exactly_at_the_cap_is_kept() {
        let c = split(&["abc", "de\nabc", "def\n"], 5);
        assert_eq!(texts(&c), ["abcde"]);
        assert_eq!(c.dropped, [(2, 6)]);
    }

    #[test]
    fn discard_skips_only_the_first_fragment() {
        let mut s = LineSplitter::new(100);
        let mut c = Collect::default();
        s.discard_until_newline();
        s.feed(b"tail of old", &mut c);
        s.feed(b" line\nnew\n", &mut c);
        assert_eq!(texts(&c), ["new"]);
        assert_eq!(c.lines[0].0, 1);
    }

    #[test]
    fn reset_forgets_the_held_line() {
        let mut s = LineSplitter::new(100);
        let mut c = Collect::default();
        s.feed(b"half", &mut c);
        assert!(s.has_partial());
        s.reset_partial();
        s.feed(b"whole\n", &mut c);
        assert_eq!(texts(&c), ["whole"]);
    }
}
