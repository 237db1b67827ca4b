//! The event loop. The UI thread owns the engine: each turn drains pipeline updates for a
//! bounded time, applies them, and polls the terminal for input. It draws only when the
//! engine or the UI state changed, at most `fps` times a second; a key press draws at once.
//! With nothing arriving it sleeps in long polls and does not redraw. The terminal is
//! restored on every way out: return, error, panic (hook) and SIGTERM/SIGHUP (flag).

use super::app::App;
use super::terminal::{copy_osc52, install_panic_hook, Osc52Wrap, ShutdownFlag, TerminalGuard};
use super::views;
use crate::engine::Engine;
use crate::notify::Notifier;
use crate::pipeline::{Pipeline, Step};
use crossterm::event::{self, Event};
use std::io::{self, Write};
use std::time::{Duration, Instant};

/// Longest time spent applying pipeline updates before the UI gets a turn.
const INGEST_BUDGET: Duration = Duration::from_millis(8);
/// Poll timeout when nothing is pending: bounds how late new data shows up, keeps idle CPU low.
const IDLE_POLL: Duration = Duration::from_millis(100);
/// How often the watchdog checks that the terminal still exists. A hung-up terminal (tmux
/// server killed, SSH dropped under a shell that does not pass SIGHUP on) reads as an
/// endless end-of-file, and crossterm's reader spins on that inside `event::poll` without
/// returning, so the check runs on the signal thread, not in the event loop.
const TERMINAL_PROBE: Duration = Duration::from_secs(1);
/// How long a stop request (signal or lost terminal) may take before the process exits
/// from the watchdog: the event loop may be stuck in that reader.
const EXIT_GRACE: Duration = Duration::from_secs(2);

/// Fault injection for the end-to-end test of the panic path: when this variable is set,
/// the TUI panics right after drawing its first frame, so the test can watch the panic hook
/// restore the terminal and print the message on the normal screen.
const FAULT_PANIC: &str = "LLMMON_FAULT_PANIC";

/// Runs the TUI until the user quits or a signal arrives. Alert transitions go to
/// `notifier` as they come out of the engine.
pub fn run(
    app: &mut App,
    engine: &mut Engine,
    pipeline: &mut Pipeline,
    notifier: &Notifier,
    fps: u32,
) -> io::Result<()> {
    let frame = Duration::from_secs_f64(1.0 / f64::from(fps.clamp(1, 240)));
    let signals = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let shutdown = ShutdownFlag::new();
    // The current-thread runtime drives the signal task on a thread of its own.
    let watcher = shutdown.clone();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let stop = ShutdownFlag::new();
    let stop_wait = stop.clone();
    let signal_thread = std::thread::Builder::new()
        .name("llmmon-signals".into())
        .spawn(move || {
            signals.block_on(async move {
                let _ = ready_tx.send(watcher.watch_signals());
                tokio::select! {
                    () = stop_wait.wait() => {}
                    () = watchdog(&watcher) => {}
                }
            });
        })?;
    ready_rx
        .recv()
        .map_err(|_| io::Error::other("signal watcher did not start"))??;
    install_panic_hook();
    let guard = TerminalGuard::enter(app.mouse)?;
    let mut terminal = guard.terminal()?;
    terminal.clear()?;
    let result = event_loop(
        app,
        engine,
        pipeline,
        notifier,
        frame,
        &shutdown,
        &guard,
        &mut terminal,
    );
    drop(terminal);
    let restored = guard.restore();
    stop.trigger();
    let _ = signal_thread.join();
    result.and(restored)
}

/// Raises the stop flag when the terminal disappears, and ends the process when the event
/// loop has not stopped [`EXIT_GRACE`] after the flag went up. Never returns.
async fn watchdog(flag: &ShutdownFlag) {
    loop {
        tokio::time::sleep(TERMINAL_PROBE).await;
        if crossterm::terminal::window_size().is_err() {
            flag.trigger();
        }
        if flag.requested() {
            tokio::time::sleep(EXIT_GRACE).await;
            std::process::exit(1);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn event_loop(
    app: &mut App,
    engine: &mut Engine,
    pipeline: &mut Pipeline,
    notifier: &Notifier,
    frame: Duration,
    shutdown: &ShutdownFlag,
    guard: &TerminalGuard,
    terminal: &mut super::terminal::Tui,
) -> io::Result<()> {
    let mut last_draw: Option<Instant> = None;
    let mut drawn_gen = None;
    let mut notified = 0;
    let inject_panic = std::env::var_os(FAULT_PANIC).is_some();
    loop {
        if shutdown.requested() || app.quit {
            return Ok(());
        }

        let start = Instant::now();
        // Still true after the loop when the budget ran out with records waiting: then the
        // loop only checks keys and the frame clock before ingesting more, instead of
        // sleeping until the next frame (which held a `--from-start` load to ~16k records/s).
        let mut backlog = false;
        while pipeline.step(engine, Duration::ZERO) == Step::Applied {
            if start.elapsed() >= INGEST_BUDGET {
                backlog = true;
                break;
            }
        }
        // Queued without waiting: a slow or dead webhook never holds up ingest or drawing.
        let events = engine.alerts.take_notifications();
        if !events.is_empty() && notifier.dispatch(events) {
            let out = terminal.backend_mut();
            out.write_all(b"\x07")?;
            out.flush()?;
        }
        let settled = notifier.stats.settled();
        if settled != notified {
            // A delivery finished: the Alerts pane's counters changed.
            notified = settled;
            app.dirty = true;
        }
        let now = Instant::now();
        if app.rates.tick(engine, now) {
            app.dirty = true;
        }
        let changed = drawn_gen != Some(engine.generation);
        let due = last_draw.is_none_or(|t| now.duration_since(t) >= frame);
        if app.dirty || (changed && due) {
            app.refresh(engine, now, false);
            terminal.draw(|f| views::draw(f, app, engine))?;
            last_draw = Some(now);
            drawn_gen = Some(engine.generation);
            app.dirty = false;
            if inject_panic {
                panic!("{FAULT_PANIC} is set: panicking after the first frame, as asked");
            }
        }
        if let Some(text) = app.clipboard.take() {
            if let Err(e) = copy_osc52(terminal.backend_mut(), &text, Osc52Wrap::Plain) {
                app.status = Some(e.to_string());
                app.dirty = true;
            }
        }
        if guard.mouse() != app.mouse {
            guard.set_mouse(app.mouse)?;
        }
        let pending = drawn_gen != Some(engine.generation) || app.stale(engine);
        let timeout = if backlog {
            Duration::ZERO
        } else if pending {
            frame.saturating_sub(last_draw.map_or(Duration::ZERO, |t| t.elapsed()))
        } else {
            IDLE_POLL
        };
        if event::poll(timeout)? {
            // Take everything that is queued, then draw once.
            loop {
                match event::read()? {
                    Event::Key(k) => app.on_key(&k, engine),
                    Event::Mouse(m) if app.mouse => app.on_mouse(&m, engine),
                    Event::Resize(..) => app.dirty = true,
                    Event::Paste(text) if app.filter.editing.is_some() => {
                        if let Some(line) = app.filter.editing.as_mut() {
                            line.push_str(&text.replace(['\n', '\r'], " "));
                        }
                        app.dirty = true;
                    }
                    _ => {}
                }
                if app.quit || !event::poll(Duration::ZERO)? {
                    break;
                }
            }
            app.apply_requests(engine);
        }
    }
}
