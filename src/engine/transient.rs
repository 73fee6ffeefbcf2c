//! Which failures of a push or a pull may pass if tried again: the registry or the network
//! hiccuped (a 5xx or 429 answer, a connection refused, reset or cut, a time-out), as the
//! tools report them. An answer that says no (401, 403, 404, a certificate) will say it again.

use crate::engine::EngineError;
use crate::process::ProcessError;

/// What the tools print for a failure worth another try, lowercased. The reasons of 5xx and
/// 429 answers are enough: the tools write them in several ways (`500 Internal Server
/// Error`, `500 (Internal Server Error)`).
const TRANSIENT: [&str; 15] = [
    "internal server error",
    "bad gateway",
    "service unavailable",
    "gateway timeout",
    "too many requests",
    "toomanyrequests",
    "connection refused",
    "connection reset",
    "broken pipe",
    "unexpected eof",
    ": eof",
    "i/o timeout",
    "tls handshake timeout",
    "timeout awaiting response headers",
    "server sent goaway",
];

/// Whether `error` is a failure of the tool that may pass when tried again.
pub fn is_transient(error: &EngineError) -> bool {
    let EngineError::Process(ProcessError::Failed { tail, .. }) = error else {
        return false;
    };
    let text = tail.to_lowercase();
    TRANSIENT.iter().any(|pattern| text.contains(pattern))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::ExitStatus;

    fn failed(tail: &str) -> EngineError {
        EngineError::Process(ProcessError::Failed {
            command: "buildah push".into(),
            status: ExitStatus::exited(125),
            tail: tail.into(),
        })
    }

    #[test]
    fn what_the_tools_say_of_passing_failures() {
        for tail in [
            "Error: writing blob: initiating layer upload to /v2/a/blobs/uploads/ in \
             127.0.0.1:5000: received unexpected HTTP status: 500 Internal Server Error",
            "Error: pushing image: Patch \"https://r/v2/a/blobs/uploads/x\": EOF",
            "Error: initializing source docker://r/a:1: pinging container registry r: Get \
             \"https://r/v2/\": dial tcp 127.0.0.1:5000: connect: connection refused",
            "reading manifest 1 in r/a: toomanyrequests: slow down",
            "read tcp 127.0.0.1:40000->127.0.0.1:5000: read: connection reset by peer",
            "trying to reuse blob sha256:58 at destination: failed to read from destination \
             repository ns/lib: 500 (Internal Server Error)",
            "pinging container registry r: invalid status code from registry 503 (Service \
             Unavailable)",
        ] {
            assert!(is_transient(&failed(tail)), "{tail}");
        }
    }

    #[test]
    fn answers_that_say_no() {
        for tail in [
            "Error: pushing image: authentication required",
            "reading manifest 1.0 in r/a: manifest unknown",
            "x509: certificate signed by unknown authority",
            "requested access to the resource is denied",
        ] {
            assert!(!is_transient(&failed(tail)), "{tail}");
        }
        let interrupted = EngineError::Process(ProcessError::Interrupted {
            command: "buildah push".into(),
        });
        assert!(!is_transient(&interrupted));
    }
}
