//! Owning the terminal: raw mode and the alternate screen on the way in, and a guaranteed
//! way back out on every exit path: normal return ([`TerminalGuard`]'s `Drop`), panic
//! ([`install_panic_hook`]) and SIGTERM/SIGHUP/SIGINT ([`ShutdownFlag`], which the app loop
//! polls or awaits before dropping the guard). Also mouse capture and OSC 52 clipboard copy.

use base64::Engine as _;
use crossterm::cursor::{Hide, Show};
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::Notify;

/// Whether the terminal is currently in llmmon's mode; makes [`restore`] idempotent.
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// Whether mouse capture is currently on.
static MOUSE: AtomicBool = AtomicBool::new(false);

/// The ratatui terminal the TUI draws on.
pub type Tui = Terminal<CrosstermBackend<Stdout>>;

/// Puts the terminal back as it was: mouse capture and bracketed paste off, main screen,
/// cursor shown, cooked mode. Safe to call any number of times, from any exit path; does
/// nothing if the terminal was not taken over.
pub fn restore() -> io::Result<()> {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return Ok(());
    }
    let mut out = io::stdout();
    let mouse = if MOUSE.swap(false, Ordering::SeqCst) {
        execute!(out, DisableMouseCapture)
    } else {
        Ok(())
    };
    let screen = execute!(out, DisableBracketedPaste, LeaveAlternateScreen, Show);
    let raw = disable_raw_mode();
    mouse.and(screen).and(raw)
}

/// Holds the terminal in raw mode on the alternate screen; dropping it restores the
/// terminal. Create one per run, before the first draw.
#[derive(Debug)]
pub struct TerminalGuard {
    _private: (),
}

impl TerminalGuard {
    /// Enters raw mode and the alternate screen, hides the cursor, enables bracketed paste
    /// (so a pasted query arrives as one event), and mouse capture if `mouse` is true.
    /// On failure whatever was already changed is undone.
    pub fn enter(mouse: bool) -> io::Result<TerminalGuard> {
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let guard = TerminalGuard { _private: () };
        execute!(
            io::stdout(),
            EnterAlternateScreen,
            Hide,
            EnableBracketedPaste
        )?;
        guard.set_mouse(mouse)?;
        Ok(guard)
    }

    /// Turns mouse capture on or off. Off (the default) leaves native text selection working.
    pub fn set_mouse(&self, on: bool) -> io::Result<()> {
        if MOUSE.load(Ordering::SeqCst) == on {
            return Ok(());
        }
        if on {
            execute!(io::stdout(), EnableMouseCapture)?;
        } else {
            execute!(io::stdout(), DisableMouseCapture)?;
        }
        MOUSE.store(on, Ordering::SeqCst);
        Ok(())
    }

    /// Whether mouse capture is on.
    pub fn mouse(&self) -> bool {
        MOUSE.load(Ordering::SeqCst)
    }

    /// A ratatui terminal on stdout.
    pub fn terminal(&self) -> io::Result<Tui> {
        Terminal::new(CrosstermBackend::new(io::stdout()))
    }

    /// Restores the terminal now, reporting errors (dropping the guard ignores them).
    pub fn restore(self) -> io::Result<()> {
        restore()
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = restore();
    }
}

/// Makes a panic restore the terminal before the panic message is printed, so the message
/// is readable and the shell usable. Call once, before [`TerminalGuard::enter`].
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = restore();
        previous(info);
    }));
}

#[derive(Debug, Default)]
struct ShutdownInner {
    requested: AtomicBool,
    notify: Notify,
}

/// Raised when the process is asked to stop (SIGTERM, SIGHUP when the terminal goes away,
/// SIGINT from `kill -INT`; in raw mode Ctrl-C is a key, handled by the keymap). The app
/// loop checks [`ShutdownFlag::requested`] or awaits [`ShutdownFlag::wait`], then returns
/// normally so the [`TerminalGuard`] restores the terminal.
#[derive(Debug, Clone, Default)]
pub struct ShutdownFlag(Arc<ShutdownInner>);

impl ShutdownFlag {
    /// A flag not yet raised and not yet watching signals.
    pub fn new() -> ShutdownFlag {
        ShutdownFlag::default()
    }

    /// Starts a task that raises the flag on SIGTERM, SIGHUP or SIGINT (Ctrl-Break/Ctrl-C
    /// on Windows). Must be called inside a tokio runtime.
    pub fn watch_signals(&self) -> io::Result<()> {
        let flag = self.clone();
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let mut term = signal(SignalKind::terminate())?;
            let mut hup = signal(SignalKind::hangup())?;
            let mut int = signal(SignalKind::interrupt())?;
            tokio::spawn(async move {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = hup.recv() => {}
                    _ = int.recv() => {}
                }
                flag.trigger();
            });
        }
        #[cfg(not(unix))]
        {
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    flag.trigger();
                }
            });
        }
        Ok(())
    }

    /// Raises the flag (what a signal does; also usable by the app itself).
    pub fn trigger(&self) {
        self.0.requested.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
    }

    /// Whether shutdown was requested.
    pub fn requested(&self) -> bool {
        self.0.requested.load(Ordering::SeqCst)
    }

    /// Resolves once shutdown is requested, for `tokio::select!` in the app loop.
    pub async fn wait(&self) {
        loop {
            let notified = self.0.notify.notified();
            if self.requested() {
                return;
            }
            notified.await;
        }
    }
}

/// Largest base64 payload sent in one OSC 52 sequence. Terminals cap it (xterm and tmux at
/// about 100 kB); beyond that copying fails loudly instead of silently truncating.
pub const OSC52_MAX_PAYLOAD: usize = 100_000;

/// How to get an OSC 52 sequence to the outer terminal.
///
/// Inside tmux the recommended setup is `set -g set-clipboard on`: tmux then accepts the
/// plain sequence, sets its own buffer and forwards it to the outer terminal, including over
/// SSH. With `set -g allow-passthrough on` instead, [`Osc52Wrap::Tmux`] wraps the sequence in
/// tmux's DCS passthrough. Over plain SSH no wrapping is needed: the sequence travels in the
/// byte stream to the local terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Osc52Wrap {
    #[default]
    Plain,
    Tmux,
}

/// Why a copy to the clipboard did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ClipboardError {
    #[error("too large to copy: {bytes} bytes encoded, the limit is {max} bytes")]
    TooLarge { bytes: usize, max: usize },
    #[error("could not write to the terminal: {0}")]
    Io(#[from] io::Error),
}

/// The escape sequence that sets the system clipboard to `text` (`ESC ] 52 ; c ; <base64>
/// BEL`), or an error if the payload exceeds [`OSC52_MAX_PAYLOAD`].
pub fn osc52_sequence(text: &str, wrap: Osc52Wrap) -> Result<String, ClipboardError> {
    let encoded_len = text.len().div_ceil(3) * 4;
    if encoded_len > OSC52_MAX_PAYLOAD {
        return Err(ClipboardError::TooLarge {
            bytes: encoded_len,
            max: OSC52_MAX_PAYLOAD,
        });
    }
    let payload = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    Ok(match wrap {
        Osc52Wrap::Plain => format!("\x1b]52;c;{payload}\x07"),
        Osc52Wrap::Tmux => format!("\x1bPtmux;\x1b\x1b]52;c;{payload}\x07\x1b\\"),
    })
}

/// Writes the OSC 52 sequence for `text` to `out` (the terminal backend) and flushes it.
pub fn copy_osc52<W: Write>(
    out: &mut W,
    text: &str,
    wrap: Osc52Wrap,
) -> Result<(), ClipboardError> {
    let seq = osc52_sequence(text, wrap)?;
    out.write_all(seq.as_bytes())?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_plain_and_tmux() {
        assert_eq!(
            osc52_sequence("hi", Osc52Wrap::Plain).unwrap(),
            "\x1b]52;c;aGk=\x07"
        );
        assert_eq!(
            osc52_sequence("hi", Osc52Wrap::Tmux).unwrap(),
            "\x1bPtmux;\x1b\x1b]52;c;aGk=\x07\x1b\\"
        );
        let mut out = Vec::new();
        copy_osc52(&mut out, "héllo\x1b", Osc52Wrap::Plain).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert_eq!(
            s.matches('\x1b').count(),
            1,
            "text is base64, never raw: {s:?}"
        );
    }

    #[test]
    fn osc52_refuses_oversize() {
        let big = "x".repeat(OSC52_MAX_PAYLOAD);
        match osc52_sequence(&big, Osc52Wrap::Plain) {
            Err(ClipboardError::TooLarge { bytes, max }) => {
                assert!(bytes > max);
            }
            other => panic!("{other:?}"),
        }
        let fits = "x".repeat(OSC52_MAX_PAYLOAD / 4 * 3);
        assert!(osc52_sequence(&fits, Osc52Wrap::Plain).is_ok());
    }

    #[test]
    fn restore_without_enter_is_a_no_op() {
        assert!(restore().is_ok());
        assert!(restore().is_ok());
    }

    #[tokio::test]
    async fn shutdown_flag_wakes_waiters() {
        let flag = ShutdownFlag::new();
        assert!(!flag.requested());
        let waiter = {
            let f = flag.clone();
            tokio::spawn(async move { f.wait().await })
        };
        flag.trigger();
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .unwrap()
            .unwrap();
        assert!(flag.requested());
        flag.wait().await;
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn sighup_raises_the_flag() {
        let flag = ShutdownFlag::new();
        flag.watch_signals().unwrap();
        let status = std::process::Command::new("kill")
            .args(["-HUP", &std::process::id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        tokio::time::timeout(std::time::Duration::from_secs(5), flag.wait())
            .await
            .unwrap();
        assert!(flag.requested());
    }
}
