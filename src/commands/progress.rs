//! A progress bar on stderr while a headless command reads large files: bytes, records per
//! second and the time left. Shown only when stderr is a terminal, the files add up to at
//! least [`MIN_BYTES`] and `--quiet` was not given, so pipes, CI logs and small inputs stay
//! clean.

use crate::gate::RecordGate;
use crate::source::SourceSpec;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Inputs smaller than this finish before a bar would be worth drawing.
pub const MIN_BYTES: u64 = 8 << 20;

/// A running progress bar; dropping it clears the bar.
pub struct Progress {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    /// Starts a bar over the files in `specs` that reads its counts from `gate`, or `None`
    /// when no bar should be shown.
    pub fn start(specs: &[SourceSpec], gate: &Arc<RecordGate>, quiet: bool) -> Option<Progress> {
        if quiet || !std::io::stderr().is_terminal() {
            return None;
        }
        let total: u64 = specs
            .iter()
            .filter_map(|s| match s {
                SourceSpec::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
                _ => None,
            })
            .sum();
        if total < MIN_BYTES {
            return None;
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:30} {bytes}/{total_bytes}  {msg}  ETA {eta}  ({elapsed})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, gate) = (stop.clone(), gate.clone());
        let thread = std::thread::Builder::new()
            .name("llmmon-progress".into())
            .spawn(move || {
                let started = Instant::now();
                while !flag.load(Ordering::Relaxed) {
                    bar.set_position(gate.bytes().min(total));
                    let secs = started.elapsed().as_secs_f64().max(1e-3);
                    bar.set_message(format!(
                        "{} records ({:.0} records/s)",
                        crate::present::format::count(gate.seen()),
                        gate.seen() as f64 / secs
                    ));
                    std::thread::sleep(Duration::from_millis(100));
                }
                bar.finish_and_clear();
            })
            .ok()?;
        Some(Progress {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A reader that tells `gate` how many bytes went through, for inputs read without the
/// pipeline (`scan`).
pub struct Counted<R> {
    inner: R,
    gate: Arc<RecordGate>,
}

impl<R> Counted<R> {
    /// Wraps `inner`.
    pub fn new(inner: R, gate: Arc<RecordGate>) -> Counted<R> {
        Counted { inner, gate }
    }
}

impl<R: std::io::Read> std::io::Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.gate.note_bytes(n as u64);
        Ok(n)
    }
}
