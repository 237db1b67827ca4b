//! Standard input, and any other byte stream read once to its end (a pipe, a child's stdout).

use super::lines::LineSplitter;
use super::outbox::{Closed, Outbox};
use super::{SourceEvent, SourceId, SourceOptions, SourceState};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::mpsc::Sender;
use tokio::task::JoinHandle;

/// Read size for streams; pipes rarely hand over more at once.
const STREAM_CHUNK: usize = 256 * 1024;

/// Reads standard input line by line until EOF, then reports `Done`.
pub fn spawn_stdin(id: SourceId, opts: SourceOptions, tx: Sender<SourceEvent>) -> JoinHandle<()> {
    spawn_reader(id, tokio::io::stdin(), opts, tx)
}

/// Reads any byte stream line by line until EOF, then reports `Done` (or `Error` with the
/// OS cause if a read fails). Lines arrive as soon as a read completes them.
pub fn spawn_reader<R>(
    id: SourceId,
    reader: R,
    opts: SourceOptions,
    tx: Sender<SourceEvent>,
) -> JoinHandle<()>
where
    R: AsyncRead + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let mut out = Outbox::new(id, tx, opts.batch_lines, opts.batch_bytes);
        let _ = read_stream(reader, &opts, &mut out).await;
    })
}

async fn read_stream<R: AsyncRead + Unpin>(
    mut reader: R,
    opts: &SourceOptions,
    out: &mut Outbox,
) -> Result<(), Closed> {
    out.set_state(SourceState::Connected).await?;
    let mut splitter = LineSplitter::new(opts.max_line_bytes);
    let mut buf = vec![0u8; STREAM_CHUNK];
    loop {
        match reader.read(&mut buf).await {
            Ok(0) => {
                splitter.finish(out);
                return out.set_state(SourceState::Done).await;
            }
            Ok(n) => {
                out.read(n);
                splitter.feed(&buf[..n], out);
                out.flush().await?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                splitter.finish(out);
                return out
                    .set_state(SourceState::Error(format!("read failed: {e}")))
                    .await;
            }
        }
    }
}
