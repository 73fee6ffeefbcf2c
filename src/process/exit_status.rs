//! How a program that did not succeed ended: the code it exited with, or the signal that
//! stopped it.

use std::fmt;
use std::os::unix::process::ExitStatusExt;

/// A program's end, typed so that callers match on its code rather than on text. It reads
/// as the standard library writes an exit status (`exit status: 1`, `signal: 9 (SIGKILL)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitStatus {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub core_dumped: bool,
}

impl ExitStatus {
    /// How a shell reports a command it found but could not run (no executable bit, say).
    pub const NOT_EXECUTABLE: i32 = 126;

    /// A program that exited with `code`.
    pub const fn exited(code: i32) -> ExitStatus {
        ExitStatus {
            code: Some(code),
            signal: None,
            core_dumped: false,
        }
    }
}

impl From<std::process::ExitStatus> for ExitStatus {
    fn from(status: std::process::ExitStatus) -> ExitStatus {
        ExitStatus {
            code: status.code(),
            signal: status.signal(),
            core_dumped: status.core_dumped(),
        }
    }
}

impl fmt::Display for ExitStatus {
    /// Written by the standard library from the wait status this stands for, so that the
    /// text stays what it has always been, signal names included.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let wait_status = match (self.code, self.signal) {
            (Some(code), _) => (code & 0xff) << 8,
            (None, Some(signal)) => signal | if self.core_dumped { 0x80 } else { 0 },
            (None, None) => return f.write_str("no exit status"),
        };
        fmt::Display::fmt(&std::process::ExitStatus::from_raw(wait_status), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end_of(script: &str) -> std::process::ExitStatus {
        std::process::Command::new("/bin/sh")
            .args(["-c", script])
            .status()
            .unwrap()
    }

    #[test]
    fn reads_as_the_standard_library_writes_it() {
        for script in [
            "exit 3",
            "exit 255",
            "kill -KILL $$",
            "kill -TERM $$",
            "kill -SEGV $$",
        ] {
            let status = end_of(script);
            assert_eq!(ExitStatus::from(status).to_string(), status.to_string());
        }
    }

    #[test]
    fn codes_and_signals_are_told_apart() {
        assert_eq!(
            ExitStatus::from(end_of("exit 126")),
            ExitStatus::exited(126)
        );
        let killed = ExitStatus::from(end_of("kill -KILL $$"));
        assert_eq!((killed.code, killed.signal), (None, Some(9)));
    }
}
