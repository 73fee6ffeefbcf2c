//! Why a program did not run to a successful end.

use std::time::Duration;

use super::{ExitStatus, humanize};

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
}
