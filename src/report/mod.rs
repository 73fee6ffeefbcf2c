//! The reports of a build run, all read from the run's records: JSON (`--report`, its schema
//! in the README), JUnit XML of the verifications (`--junit`) and a self-contained HTML page
//! (`--report-html`). A dry run reports its plan in the same JSON.

mod html;
mod junit;
mod merge;
mod model;

pub use merge::{Expected, merge, read};
pub use model::{Report, RunFacts, RunOptions};

use std::path::Path;

use crate::error::Error;
use crate::process::masked;

/// Writes each report asked for.
pub fn write(
    report: &Report,
    json: Option<&Path>,
    junit: Option<&Path>,
    html: Option<&Path>,
) -> Result<(), Error> {
    if let Some(path) = json {
        let mut text = serde_json::to_string_pretty(report).expect("a report serializes");
        text.push('\n');
        write_file(path, &masked(&text))?;
    }
    if let Some(path) = junit {
        write_file(path, &masked(&junit::junit(report)))?;
    }
    if let Some(path) = html {
        write_file(path, &masked(&html::html(report)))?;
    }
    Ok(())
}

/// Writes `text` to `path`, making its folder first.
pub fn write_file(path: &Path, text: &str) -> Result<(), Error> {
    let error = |source| Error::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder).map_err(error)?;
    }
    std::fs::write(path, text).map_err(error)
}
