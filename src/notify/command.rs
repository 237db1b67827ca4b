//! The optional notification command: `sh -c COMMAND` with the alert JSON on stdin, killed
//! when it outlives its timeout.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `cmd` with `input` on stdin; true when it exited successfully within `timeout`.
pub fn run(cmd: &str, input: &str, timeout: Duration) -> bool {
    let Ok(mut child) = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    else {
        return false;
    };
    if let Some(mut stdin) = child.stdin.take() {
        // A command that ignores its input closes the pipe early; that is not a failure.
        let _ = stdin.write_all(input.as_bytes());
    }
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status.success(),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_gets_stdin_and_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("got.json");
        let cmd = format!("cat > '{}'", out.display());
        assert!(run(&cmd, "{\"a\":1}", Duration::from_secs(5)));
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "{\"a\":1}");
        assert!(!run("sleep 5", "", Duration::from_millis(100)));
        assert!(!run("exit 3", "", Duration::from_secs(5)));
    }
}
