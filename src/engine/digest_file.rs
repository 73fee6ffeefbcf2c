//! A private file into which a tool writes a digest: a push that of the manifest it pushed
//! (`--digestfile`), a build the id of the image it built (`--iidfile`); removed when
//! dropped.

use std::path::PathBuf;

use tempfile::TempDir;

use crate::engine::EngineError;
use crate::process::run_dir;

pub struct DigestFile {
    _dir: TempDir,
    file: PathBuf,
    path: String,
}

impl DigestFile {
    /// A file of the run's, which the tool writes.
    pub fn new() -> Result<DigestFile, EngineError> {
        let dir = run_dir::tempdir("docker-pkg-digest-").map_err(setup)?;
        let file = dir.path().join("digest");
        let path = file.display().to_string();
        Ok(DigestFile {
            _dir: dir,
            file,
            path,
        })
    }

    /// The path to give the tool.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The digest written, when the tool wrote one (a tool that wrote none pushed all the
    /// same).
    pub fn read(&self) -> Result<Option<String>, EngineError> {
        let digest = std::fs::read_to_string(&self.file).unwrap_or_default();
        Ok(Some(digest.trim().to_owned()).filter(|d| !d.is_empty()))
    }
}

fn setup(source: std::io::Error) -> EngineError {
    EngineError::Setup {
        what: "a file for a digest the tool writes".into(),
        source,
    }
}
