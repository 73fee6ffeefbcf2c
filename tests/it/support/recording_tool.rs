//! A script that stands in for a container tool: it records each call's arguments, then does
//! what the test says (print canned output, or hand over to the real tool).

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use tempfile::TempDir;

/// Separates the arguments of one call in the record; a call is one line.
const SEPARATOR: char = '\u{1f}';

pub struct RecordingTool {
    /// The script, to use as the engine's binary.
    pub path: PathBuf,
    record: PathBuf,
    _dir: TempDir,
}

impl RecordingTool {
    /// A script called `name` that records its arguments and then runs `then`, a piece of
    /// shell (`exec /usr/bin/buildah "$@"`, or `exit 0`).
    pub fn new(name: &str, then: &str) -> RecordingTool {
        let dir = tempfile::Builder::new()
            .prefix("docker-pkg-test-tool-")
            .tempdir()
            .expect("a temporary directory");
        let path = dir.path().join(name);
        let record = dir.path().join("calls");
        let script = format!(
            "#!/bin/sh\nfor arg in \"$@\"; do printf '%s\\037' \"$arg\"; done >> '{}'\n\
             echo >> '{}'\n{then}\n",
            record.display(),
            record.display()
        );
        std::fs::write(&path, script).expect("script written");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .expect("script made executable");
        RecordingTool {
            path,
            record,
            _dir: dir,
        }
    }

    /// The arguments of every call so far, in order.
    pub fn calls(&self) -> Vec<Vec<String>> {
        let text = std::fs::read_to_string(&self.record).unwrap_or_default();
        text.lines()
            .map(|line| {
                line.split_terminator(SEPARATOR)
                    .map(str::to_owned)
                    .collect()
            })
            .collect()
    }

    /// Everything recorded, as one text.
    pub fn record(&self) -> String {
        std::fs::read_to_string(&self.record).unwrap_or_default()
    }
}
