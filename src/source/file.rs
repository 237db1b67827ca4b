//! Files: read once to the end (`report`), or followed like `tail -F` (`watch`).
//!
//! Following uses lnav's rules, checked once per poll interval when the reader is at the end:
//! - the path now names another file (rename rotation, or delete then recreate): read the
//!   old file to its end, emit its unterminated last line if any, then read the new file
//!   from its start;
//! - the path is gone: keep the old file open and report `Retrying` until it reappears;
//! - the open file is shorter than the read offset, or its first bytes are no longer the
//!   ones read (copy-truncate, even when it was refilled past the offset within one poll,
//!   as lnav and Vector detect it): read again from 0;
//! - an unterminated last line waits for its newline.

use super::lines::LineSplitter;
use super::outbox::{Closed, Outbox};
use super::{SourceEvent, SourceId, SourceOptions, SourceState};
use std::io::{ErrorKind, SeekFrom};
use std::path::{Path, PathBuf};
use tokio::fs::File;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio::sync::mpsc::Sender;
use tokio::task::JoinHandle;

/// Bytes per read: large reads keep a warm file at memory speed.
const READ_CHUNK: usize = 1 << 20;

/// How many of a file's first bytes are kept as its fingerprint: a truncated file refilled
/// past the old offset before the next poll is told apart by them changing.
const FINGERPRINT: usize = 1024;

/// Reads the file at `path`. With `opts.follow` it keeps following the path through
/// rotation and truncation (starting at the end unless `opts.from_start`); without it, it
/// reads from the start to EOF, emits a final unterminated line, and reports `Done`. A path
/// that cannot be opened is reported as `Error` with the OS cause.
pub fn spawn_file(
    id: SourceId,
    path: PathBuf,
    opts: SourceOptions,
    tx: Sender<SourceEvent>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tail = Tail {
            splitter: LineSplitter::new(opts.max_line_bytes),
            out: Outbox::new(id, tx, opts.batch_lines, opts.batch_bytes),
            buf: vec![0u8; READ_CHUNK],
            path,
            opts,
        };
        match tail.run().await {
            Ok(()) | Err(Halt::Closed) => {}
            Err(Halt::Failed(msg)) => {
                let _ = tail.out.set_state(SourceState::Error(msg)).await;
            }
        }
    })
}

/// Why reading stopped early.
enum Halt {
    /// Nobody listens any more.
    Closed,
    /// The file cannot be read; the message names the path and the OS cause.
    Failed(String),
}

impl From<Closed> for Halt {
    fn from(_: Closed) -> Self {
        Halt::Closed
    }
}

/// Which file a path names, to notice when it names another one.
#[cfg(unix)]
type FileIdentity = (u64, u64);
#[cfg(not(unix))]
type FileIdentity = ();

#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> Option<FileIdentity> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn identity(_meta: &std::fs::Metadata) -> Option<FileIdentity> {
    None
}

/// The file currently being read.
struct OpenFile {
    file: File,
    identity: Option<FileIdentity>,
    offset: u64,
    /// The first bytes read from it (up to [`FINGERPRINT`]).
    head: Vec<u8>,
}

/// One followed (or once-read) path.
struct Tail {
    path: PathBuf,
    opts: SourceOptions,
    out: Outbox,
    splitter: LineSplitter,
    buf: Vec<u8>,
}

impl Tail {
    async fn run(&mut self) -> Result<(), Halt> {
        self.out.set_state(SourceState::Connecting).await?;
        let mut cur = match open(&self.path).await {
            Ok(mut cur) => {
                if self.opts.follow && !self.opts.from_start {
                    self.start_at_end(&mut cur).await?;
                }
                cur
            }
            // `tail -F`: a followed file that does not exist yet is waited for, and read
            // from its first line once it appears (everything in it is new).
            Err(_) if self.opts.follow && !self.path.exists() => self.wait_for_file().await?,
            Err(e) => return Err(Halt::Failed(e)),
        };
        self.out.set_state(SourceState::Connected).await?;
        if !self.opts.follow {
            self.drain(&mut cur).await?;
            self.splitter.finish(&mut self.out);
            self.out.set_state(SourceState::Done).await?;
            return Ok(());
        }
        let mut missing: Option<String> = None;
        loop {
            self.drain(&mut cur).await?;
            let idle = match &missing {
                Some(why) => SourceState::Retrying {
                    in_ms: u64::try_from(self.opts.poll_interval.as_millis()).unwrap_or(u64::MAX),
                    attempt: 1,
                    last_error: why.clone(),
                },
                None => SourceState::AtEnd,
            };
            self.out.set_state(idle).await?;
            tokio::time::sleep(self.opts.poll_interval).await;
            if self.out.is_closed() {
                return Err(Halt::Closed);
            }
            missing = None;
            match tokio::fs::metadata(&self.path).await {
                Ok(meta) if identity(&meta).is_some() && identity(&meta) != cur.identity => {
                    // Replaced: finish the old file, then switch.
                    self.drain(&mut cur).await?;
                    self.splitter.finish(&mut self.out);
                    match open(&self.path).await {
                        Ok(new) => cur = new,
                        Err(why) => missing = Some(why),
                    }
                }
                Ok(_) => self.check_truncation(&mut cur).await?,
                Err(e) => {
                    missing = Some(format!(
                        "{}: {e}; waiting for it to reappear",
                        self.path.display()
                    ));
                }
            }
        }
    }

    /// Positions a followed file at its end. A last line still being written is skipped
    /// when it completes: it began before we started.
    /// Polls until the path can be opened, saying so in the source's state meanwhile.
    async fn wait_for_file(&mut self) -> Result<OpenFile, Halt> {
        let in_ms = u64::try_from(self.opts.poll_interval.as_millis()).unwrap_or(u64::MAX);
        let mut attempt = 0u32;
        loop {
            match open(&self.path).await {
                Ok(cur) => return Ok(cur),
                Err(e) if self.path.exists() => return Err(Halt::Failed(e)),
                Err(_) => {}
            }
            attempt = attempt.saturating_add(1);
            self.out
                .set_state(SourceState::Retrying {
                    in_ms,
                    attempt,
                    last_error: format!("{}: waiting for the file to appear", self.path.display()),
                })
                .await?;
            tokio::time::sleep(self.opts.poll_interval).await;
            if self.out.is_closed() {
                return Err(Halt::Closed);
            }
        }
    }

    async fn start_at_end(&mut self, cur: &mut OpenFile) -> Result<(), Halt> {
        let io = |e: std::io::Error| Halt::Failed(format!("{}: {e}", self.path.display()));
        let len = cur.file.metadata().await.map_err(io)?.len();
        let head_len = usize::try_from(len).map_or(FINGERPRINT, |l| l.min(FINGERPRINT));
        cur.head = vec![0u8; head_len];
        cur.file.read_exact(&mut cur.head).await.map_err(io)?;
        if len > 0 {
            cur.file.seek(SeekFrom::Start(len - 1)).await.map_err(io)?;
            let mut last = [0u8; 1];
            let n = cur.file.read(&mut last).await.map_err(io)?;
            if n == 1 && last[0] != b'\n' {
                self.splitter.discard_until_newline();
            }
        }
        cur.file.seek(SeekFrom::Start(len)).await.map_err(io)?;
        cur.offset = len;
        Ok(())
    }

    /// Copy-truncate leaves the same file shorter than what was read, or (refilled quickly)
    /// with other first bytes: start it over.
    async fn check_truncation(&mut self, cur: &mut OpenFile) -> Result<(), Halt> {
        let io = |e: std::io::Error| Halt::Failed(format!("{}: {e}", self.path.display()));
        let len = cur.file.metadata().await.map_err(io)?.len();
        let rewritten = len >= cur.offset && !cur.head.is_empty() && {
            let mut now = vec![0u8; cur.head.len()];
            cur.file.seek(SeekFrom::Start(0)).await.map_err(io)?;
            let same = match cur.file.read_exact(&mut now).await {
                Ok(_) => now == cur.head,
                Err(e) if e.kind() == ErrorKind::UnexpectedEof => false,
                Err(e) => return Err(io(e)),
            };
            cur.file
                .seek(SeekFrom::Start(cur.offset))
                .await
                .map_err(io)?;
            !same
        };
        if len < cur.offset || rewritten {
            cur.file.seek(SeekFrom::Start(0)).await.map_err(io)?;
            cur.offset = 0;
            cur.head.clear();
            self.splitter.reset_partial();
        }
        Ok(())
    }

    /// Reads `cur` to its current end, sending lines after every read.
    async fn drain(&mut self, cur: &mut OpenFile) -> Result<(), Halt> {
        loop {
            let n = match cur.file.read(&mut self.buf).await {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(Halt::Failed(format!(
                        "{}: read failed: {e}",
                        self.path.display()
                    )))
                }
            };
            if let Some(room) = usize::try_from(cur.offset)
                .ok()
                .and_then(|at| FINGERPRINT.checked_sub(at))
            {
                cur.head.extend_from_slice(&self.buf[..n.min(room)]);
            }
            cur.offset += n as u64;
            self.out.read(n);
            if self.out.state() != Some(&SourceState::Connected) {
                self.out.set_state(SourceState::Connected).await?;
            }
            self.splitter.feed(&self.buf[..n], &mut self.out);
            self.out.flush().await?;
        }
    }
}

/// Opens a regular file for reading; the error names the path and the OS cause.
async fn open(path: &Path) -> Result<OpenFile, String> {
    let fail = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut file = File::open(path).await.map_err(fail)?;
    let meta = file.metadata().await.map_err(fail)?;
    if meta.is_dir() {
        return Err(format!("{}: is a directory", path.display()));
    }
    file.set_max_buf_size(READ_CHUNK);
    Ok(OpenFile {
        file,
        identity: identity(&meta),
        offset: 0,
        head: Vec::new(),
    })
}
