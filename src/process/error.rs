//! Why a program did not run to a successful end.

use std::time::Duration;

use super::ExitStatus;

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("cannot run `{command}`: {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    #[error("`{command}` failed with {status}: {tail}")]
    Failed {
        /// The command line, secrets masked.
        command: String,
        status: ExitStatus,
        /// The last lines it printed, bounded and with secrets masked.
        tail: String,
    },
    #[error("`{command}` timed out after {}", humanize(*.after))]
    TimedOut { command: String, after: Duration },
    #[error("`{command}` was stopped: the run is being interrupted")]
    Interrupted { command: String },
}

impl ProcessError {
    /// The program's own last words when it failed (the last line it printed, without the
    /// `* ` of a list item), else the whole error: a reason that fits on one line.
    pub fn last_words(&self) -> String {
        match self {
            ProcessError::Failed { tail, .. } => tail
                .lines()
                .rev()
                .map(|line| line.trim().trim_start_matches("* "))
                .find(|line| !line.is_empty())
                .unwrap_or("no output")
                .to_owned(),
            other => other.to_string(),
        }
    }
}

/// `90s`, `2m30s`, `1h5m`: a duration as a user wrote it.
pub fn humanize(duration: Duration) -> String {
    let seconds = duration.as_secs();
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let millis = duration.subsec_millis();
    let mut out = String::new();
    if hours > 0 {
        out.push_str(&format!("{hours}h"));
    }
    if minutes > 0 {
        out.push_str(&format!("{minutes}m"));
    }
    if seconds > 0 || millis > 0 || out.is_empty() {
        let fraction = format!("{millis:03}");
        match fraction.trim_end_matches('0') {
            "" => out.push_str(&format!("{seconds}s")),
            digits => out.push_str(&format!("{seconds}.{digits}s")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_words() {
        let error = ProcessError::Failed {
            command: "buildah rmi foo:1".into(),
            status: ExitStatus::exited(125),
            tail: "Error: 1 error occurred:\n\t* image is in use by a container\n\n".into(),
        };
        assert_eq!(error.last_words(), "image is in use by a container");
        let error = ProcessError::TimedOut {
            command: "sh test.sh".into(),
            after: Duration::from_secs(2),
        };
        assert_eq!(error.last_words(), "`sh test.sh` timed out after 2s");
    }

    #[test]
    fn durations() {
        assert_eq!(humanize(Duration::from_secs(0)), "0s");
        assert_eq!(humanize(Duration::from_secs(90)), "1m30s");
        assert_eq!(humanize(Duration::from_secs(3600 + 300)), "1h5m");
        assert_eq!(humanize(Duration::from_millis(1500)), "1.5s");
    }
}
