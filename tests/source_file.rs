#![allow(clippy::unwrap_used)]
//! File sources against real files: following appends, rename rotation, copy-truncate,
//! delete-then-recreate, partial and oversize lines, and one-shot reads. Every test compares
//! the complete list of lines received with what was written: nothing lost, nothing twice.

use llmmon::source::{
    spawn_file, spawn_reader, SourceDrop, SourceEvent, SourceOptions, SourceState,
};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::time::Duration;
use tokio::sync::mpsc::{self, Receiver};

const WAIT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(15);

/// Everything one source has sent so far.
struct Probe {
    rx: Receiver<SourceEvent>,
    lines: Vec<(u64, String)>,
    dropped: Vec<(u64, u64)>,
    states: Vec<SourceState>,
    bytes: u64,
}

impl Probe {
    fn new(rx: Receiver<SourceEvent>) -> Self {
        Probe {
            rx,
            lines: Vec::new(),
            dropped: Vec::new(),
            states: Vec::new(),
            bytes: 0,
        }
    }

    /// Receives events until `done` holds, failing the test after [`WAIT`].
    async fn until(&mut self, what: &str, done: impl Fn(&Probe) -> bool) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !done(self) {
            let ev = tokio::time::timeout_at(deadline, self.rx.recv()).await;
            match ev {
                Ok(Some(ev)) => self.take(ev),
                Ok(None) => panic!(
                    "source ended while waiting for {what}; states {:?}",
                    self.states
                ),
                Err(_) => panic!(
                    "timed out waiting for {what}; states {:?}, {} lines",
                    self.states,
                    self.lines.len()
                ),
            }
        }
    }

    /// Receives until the source reports `state` as its latest state.
    async fn until_state(&mut self, state: SourceState) {
        let what = format!("state {state}");
        self.until(&what, |p| p.states.last() == Some(&state)).await;
    }

    /// Receives until the source reports `Retrying`.
    async fn until_retrying(&mut self) {
        self.until("state retrying", |p| {
            matches!(p.states.last(), Some(SourceState::Retrying { .. }))
        })
        .await;
    }

    /// Receives everything until the source ends.
    async fn drain_to_end(&mut self) {
        while let Ok(Some(ev)) = tokio::time::timeout(WAIT, self.rx.recv()).await {
            self.take(ev);
        }
    }

    fn take(&mut self, ev: SourceEvent) {
        match ev {
            SourceEvent::Lines(batch) => {
                for l in batch {
                    assert_eq!(l.source, 7);
                    assert!(l.arrival > 0);
                    self.lines
                        .push((l.line_no, String::from_utf8(l.bytes).unwrap()));
                }
            }
            SourceEvent::Dropped {
                line_no,
                reason,
                len,
                ..
            } => {
                assert_eq!(reason, SourceDrop::Oversize);
                self.dropped.push((line_no, len));
            }
            SourceEvent::State { state, .. } => self.states.push(state),
            SourceEvent::Bytes { n, .. } => self.bytes += n,
            SourceEvent::Received(r) => panic!("a file source sent decoded records: {r:?}"),
        }
    }

    fn texts(&self) -> Vec<&str> {
        self.lines.iter().map(|(_, l)| l.as_str()).collect()
    }
}

fn follow_opts(from_start: bool) -> SourceOptions {
    SourceOptions {
        follow: true,
        from_start,
        poll_interval: POLL,
        ..SourceOptions::default()
    }
}

fn follow(path: &Path, opts: SourceOptions) -> Probe {
    let (tx, rx) = mpsc::channel(8);
    spawn_file(7, path.to_path_buf(), opts, tx);
    Probe::new(rx)
}

fn append(path: &Path, text: &str) {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn numbered(prefix: &str, range: std::ops::Range<u32>) -> Vec<String> {
    range.map(|i| format!("{prefix}-{i:05}")).collect()
}

fn joined(lines: &[String]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

#[tokio::test]
async fn following_starts_at_the_end_and_reads_appends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.jsonl");
    // The last old line is still being written when we start: it is not ours.
    fs::write(&path, "old-1\nold-2\nunfini").unwrap();
    let mut p = follow(&path, follow_opts(false));
    p.until_state(SourceState::AtEnd).await;
    append(&path, "shed\n");
    let new = numbered("new", 0..300);
    for chunk in new.chunks(50) {
        append(&path, &joined(chunk));
    }
    p.until("300 appended lines", |p| p.lines.len() >= 300)
        .await;
    assert_eq!(p.texts(), new);
    assert_eq!(p.lines[0].0, 1);
    assert_eq!(p.lines[299].0, 300);
    assert!(p
        .states
        .starts_with(&[SourceState::Connecting, SourceState::Connected]));
}

#[tokio::test]
async fn lines_split_across_writes_arrive_whole_and_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.jsonl");
    File::create(&path).unwrap();
    let mut p = follow(&path, follow_opts(true));
    let lines = numbered("{\"id\":\"call\"}", 0..3000);
    let text = joined(&lines);
    let mut f = OpenOptions::new().append(true).open(&path).unwrap();
    // Uneven writes that cut lines anywhere, with pauses the poller sees.
    let bytes = text.as_bytes();
    let mut at = 0;
    let mut step = 1;
    while at < bytes.len() {
        let end = (at + step).min(bytes.len());
        f.write_all(&bytes[at..end]).unwrap();
        at = end;
        step = (step * 7 + 13) % 9000 + 1;
        if step % 5 == 0 {
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
    }
    p.until("all lines", |p| p.lines.len() >= lines.len()).await;
    assert_eq!(p.texts(), lines);
    tokio::time::sleep(POLL * 4).await;
    while let Ok(ev) = p.rx.try_recv() {
        p.take(ev);
    }
    assert_eq!(p.lines.len(), lines.len(), "a line was read twice");
    assert_eq!(p.bytes, text.len() as u64);
}

#[tokio::test]
async fn rename_rotation_finishes_the_old_file_then_reads_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.jsonl");
    let before = numbered("before", 0..50);
    fs::write(&path, joined(&before)).unwrap();
    let mut writer = OpenOptions::new().append(true).open(&path).unwrap();
    let mut p = follow(&path, follow_opts(true));
    p.until("first lines", |p| p.lines.len() >= 50).await;

    fs::rename(&path, dir.path().join("app.jsonl.1")).unwrap();
    // The writer has not reopened yet: these land in the rotated file.
    let late = numbered("late", 0..20);
    writer.write_all(joined(&late).as_bytes()).unwrap();
    writer.write_all(b"unterminated-tail").unwrap();
    drop(writer);
    let after = numbered("after", 0..50);
    fs::write(&path, joined(&after)).unwrap();

    let mut want = before.clone();
    want.extend(late);
    want.push("unterminated-tail".into());
    want.extend(after);
    p.until("all lines", |p| p.lines.len() >= want.len()).await;
    assert_eq!(p.texts(), want);
    let nos: Vec<u64> = p.lines.iter().map(|(n, _)| *n).collect();
    assert_eq!(nos, (1..=want.len() as u64).collect::<Vec<_>>());

    append(&path, "more\n");
    p.until("line after rotation", |p| p.lines.len() > want.len())
        .await;
    assert_eq!(p.texts().last(), Some(&"more"));
}

#[tokio::test]
async fn copy_truncate_restarts_at_the_beginning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.jsonl");
    let before = numbered("before-a-rather-long-line", 0..40);
    fs::write(&path, joined(&before)).unwrap();
    let mut p = follow(&path, follow_opts(true));
    p.until("first lines", |p| p.lines.len() >= 40).await;
    p.until_state(SourceState::AtEnd).await;

    fs::copy(&path, dir.path().join("app.jsonl.1")).unwrap();
    OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(0)
        .unwrap();
    let after = numbered("after", 0..10);
    append(&path, &joined(&after));

    let mut want = before;
    want.extend(after);
    p.until("lines after truncation", |p| p.lines.len() >= want.len())
        .await;
    assert_eq!(p.texts(), want);
}

/// Copy-truncate and a quick refill past the old offset, all between two polls: the size
/// never shrinks where the poller can see it, so only the file's first bytes (its
/// fingerprint) show that it was rewritten. Every line of the new content arrives.
#[tokio::test]
async fn copy_truncate_refilled_past_the_offset_within_one_poll_is_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.jsonl");
    let before = numbered("before", 0..40);
    fs::write(&path, joined(&before)).unwrap();
    let opts = SourceOptions {
        poll_interval: Duration::from_millis(400),
        ..follow_opts(true)
    };
    let mut p = follow(&path, opts);
    p.until("first lines", |p| p.lines.len() >= 40).await;
    p.until_state(SourceState::AtEnd).await;

    // AtEnd is reported just before the poller sleeps: what follows happens within its sleep.
    fs::copy(&path, dir.path().join("app.jsonl.1")).unwrap();
    let after = numbered("rewritten-with-longer-lines", 0..60);
    let text = joined(&after);
    assert!(text.len() > joined(&before).len());
    let mut f = OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(0).unwrap();
    f.write_all(text.as_bytes()).unwrap();
    drop(f);

    let mut want = before;
    want.extend(after);
    p.until("the rewritten lines", |p| p.lines.len() >= want.len())
        .await;
    assert_eq!(p.texts(), want);
}

/// Following from the end: the fingerprint is taken at start, so a rewrite is seen too.
#[tokio::test]
async fn copy_truncate_refill_is_seen_when_following_from_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.jsonl");
    fs::write(&path, joined(&numbered("old", 0..30))).unwrap();
    let opts = SourceOptions {
        poll_interval: Duration::from_millis(400),
        ..follow_opts(false)
    };
    let mut p = follow(&path, opts);
    p.until_state(SourceState::AtEnd).await;
    let after = numbered("new-content-that-is-longer", 0..40);
    let mut f = OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(0).unwrap();
    f.write_all(joined(&after).as_bytes()).unwrap();
    drop(f);
    p.until("the rewritten lines", |p| p.lines.len() >= after.len())
        .await;
    assert_eq!(p.texts(), after);
}

#[tokio::test]
async fn deleted_file_is_waited_for_and_reopened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.jsonl");
    let before = numbered("before", 0..5);
    fs::write(&path, joined(&before)).unwrap();
    let mut p = follow(&path, follow_opts(true));
    p.until("first lines", |p| p.lines.len() >= 5).await;

    fs::remove_file(&path).unwrap();
    p.until_retrying().await;
    let Some(SourceState::Retrying { last_error, .. }) = p.states.last() else {
        unreachable!()
    };
    assert!(last_error.contains("app.jsonl"), "{last_error}");

    let after = numbered("after", 0..5);
    fs::write(&path, joined(&after)).unwrap();
    let mut want = before;
    want.extend(after);
    p.until("lines of the new file", |p| p.lines.len() >= want.len())
        .await;
    assert_eq!(p.texts(), want);
    p.until_state(SourceState::AtEnd).await;
}

#[tokio::test]
async fn a_file_that_does_not_exist_yet_is_waited_for_and_read_from_its_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("later.jsonl");
    let mut p = follow(&path, follow_opts(false));
    p.until_retrying().await;
    let Some(SourceState::Retrying { last_error, .. }) = p.states.last() else {
        unreachable!()
    };
    assert!(
        last_error.contains("waiting for the file to appear"),
        "{last_error}"
    );
    let lines = numbered("line", 0..3);
    fs::write(&path, joined(&lines)).unwrap();
    p.until("the new file's lines", |p| p.lines.len() >= 3)
        .await;
    assert_eq!(p.texts(), lines);
    p.until_state(SourceState::AtEnd).await;
}

#[tokio::test]
async fn a_partial_last_line_waits_for_its_newline() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.jsonl");
    fs::write(&path, "first\nsec").unwrap();
    let mut p = follow(&path, follow_opts(true));
    p.until_state(SourceState::AtEnd).await;
    tokio::time::sleep(POLL * 3).await;
    while let Ok(ev) = p.rx.try_recv() {
        p.take(ev);
    }
    assert_eq!(p.texts(), ["first"]);
    append(&path, "ond\r\nthird\n");
    p.until("completed lines", |p| p.lines.len() >= 3).await;
    assert_eq!(p.texts(), ["first", "second", "third"]);
}

#[tokio::test]
async fn an_oversize_line_is_skipped_and_counted_and_the_next_line_is_intact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.jsonl");
    fs::write(&path, "first\n").unwrap();
    let opts = SourceOptions {
        max_line_bytes: 100,
        ..follow_opts(true)
    };
    let mut p = follow(&path, opts);
    p.until("first line", |p| p.lines.len() == 1).await;
    // The long line grows across several polls before its newline arrives.
    for _ in 0..4 {
        append(&path, &"x".repeat(250));
        tokio::time::sleep(POLL * 2).await;
    }
    append(&path, "\nnext\n");
    p.until("next line", |p| p.lines.len() >= 2).await;
    assert_eq!(p.texts(), ["first", "next"]);
    assert_eq!(p.dropped, [(2, 1000)]);
    assert_eq!(p.lines[1].0, 3);
}

#[tokio::test]
async fn without_follow_the_file_is_read_to_eof_including_an_unterminated_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.jsonl");
    let lines = numbered("l", 0..5000);
    fs::write(&path, format!("{}last-no-newline", joined(&lines))).unwrap();
    let opts = SourceOptions {
        follow: false,
        batch_lines: 1000,
        ..SourceOptions::default()
    };
    let (tx, rx) = mpsc::channel(4);
    let task = spawn_file(7, path.clone(), opts, tx);
    let mut p = Probe::new(rx);
    p.drain_to_end().await;
    task.await.unwrap();
    let mut want = lines;
    want.push("last-no-newline".into());
    assert_eq!(p.texts(), want);
    assert_eq!(
        p.states,
        [
            SourceState::Connecting,
            SourceState::Connected,
            SourceState::Done
        ]
    );
}

#[tokio::test]
async fn an_unreadable_path_is_an_error_with_the_os_cause() {
    let dir = tempfile::tempdir().unwrap();
    // A missing file read once is an error (followed, it is waited for: see
    // `a_file_that_does_not_exist_yet_is_waited_for_and_read_from_its_start`); a directory
    // is an error either way.
    let once = SourceOptions {
        follow: false,
        ..SourceOptions::default()
    };
    for (path, opts) in [
        (dir.path().join("missing.jsonl"), once),
        (dir.path().to_path_buf(), follow_opts(false)),
    ] {
        let (tx, rx) = mpsc::channel(4);
        let task = spawn_file(7, path.clone(), opts, tx);
        let mut p = Probe::new(rx);
        p.drain_to_end().await;
        task.await.unwrap();
        let Some(SourceState::Error(msg)) = p.states.last() else {
            panic!("no error state: {:?}", p.states)
        };
        assert!(msg.starts_with(&path.display().to_string()), "{msg}");
        assert!(
            msg.contains("No such file") || msg.contains("directory"),
            "{msg}"
        );
    }
}

#[tokio::test]
async fn a_stream_is_split_into_lines_and_ends_done() {
    let (tx, rx) = mpsc::channel(4);
    let input: &'static [u8] = b"a\r\nb\n\nc";
    spawn_reader(7, input, SourceOptions::default(), tx);
    let mut p = Probe::new(rx);
    p.drain_to_end().await;
    assert_eq!(p.texts(), ["a", "b", "", "c"]);
    assert_eq!(p.states.last(), Some(&SourceState::Done));
}

/// Throughput of a one-shot read of a warm file, consumer included. Run with
/// `cargo test --release --test source_file -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement, not a check; run in release"]
async fn measure_one_shot_read_throughput() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.jsonl");
    let line = format!(
        r#"{{"type":"call","id":"c-{{}}","model":"gpt-4o","tokens":{{"input":1200,"output":300}},"output":"{}"}}"#,
        "lorem ipsum ".repeat(25)
    );
    let mut f = std::io::BufWriter::new(File::create(&path).unwrap());
    let mut size = 0u64;
    let mut written = 0u64;
    while size < 256 << 20 {
        writeln!(f, "{line}").unwrap();
        size += line.len() as u64 + 1;
        written += 1;
    }
    drop(f);
    for pass in ["cold-ish", "warm", "warm"] {
        let opts = SourceOptions {
            follow: false,
            ..SourceOptions::default()
        };
        let (tx, mut rx) = mpsc::channel(64);
        let started = std::time::Instant::now();
        spawn_file(7, path.clone(), opts, tx);
        let mut lines = 0u64;
        while let Some(ev) = rx.recv().await {
            if let SourceEvent::Lines(batch) = ev {
                lines += batch.len() as u64;
            }
        }
        let secs = started.elapsed().as_secs_f64();
        assert_eq!(lines, written);
        println!(
            "{pass}: {} MiB, {lines} lines of {} bytes in {secs:.3}s = {:.0} MB/s, {:.2} M lines/s",
            size >> 20,
            line.len() + 1,
            size as f64 / 1e6 / secs,
            lines as f64 / 1e6 / secs
        );
    }
}
