//! The reports of a build run, all read from the run's records: JSON (`--report`, its schema
//! in the README), JUnit XML of the verifications (`--junit`) and a self-contained HTML page
//! (`--report-html`). A dry run reports its plan in the same JSON.

mod html;
mod junit;
mod merge;
mod model;
pub(crate) mod summary;

pub use merge::{Expected, merge, read};
pub use model::{Report, RunFacts, RunOptions};

use std::path::Path;

use crate::cli::error::Error;
use serde_json::Value;

use crate::process::{Secrets, in_messages, masked};

/// Writes each report asked for, the run's secrets masked.
pub fn write(
    report: &Report,
    json: Option<&Path>,
    junit: Option<&Path>,
    html: Option<&Path>,
) -> Result<(), Error> {
    let report = &masked_report(report, &in_messages());
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

/// `report` with `secrets` masked in every text it holds, before a format escapes them: a
/// password holding `"`, `<` or `&` is written escaped in JSON, XML and HTML, where masking
/// the written text would not find it.
fn masked_report(report: &Report, secrets: &Secrets) -> Report {
    fn mask(value: &mut Value, secrets: &Secrets) {
        match value {
            Value::String(text) => *text = secrets.masked(text).into_owned(),
            Value::Array(items) => items.iter_mut().for_each(|item| mask(item, secrets)),
            Value::Object(fields) => fields.values_mut().for_each(|field| mask(field, secrets)),
            _ => {}
        }
    }
    let Ok(mut value) = serde_json::to_value(report) else {
        return report.clone();
    };
    mask(&mut value, secrets);
    serde_json::from_value(value).unwrap_or_else(|_| report.clone())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_before_any_format_escapes_them() {
        let password = r#"p<a"s&s'w\rd"#;
        let secrets = Secrets::new([password.to_owned()]);
        let mut report = merge(&[], &[], std::time::SystemTime::now());
        report.run.command_line = vec![format!("KeyError: '{password}'")];
        let report = masked_report(&report, &secrets);
        assert_eq!(report.run.command_line, ["KeyError: '***'"]);
        let texts = [
            serde_json::to_string(&report).unwrap(),
            junit::junit(&report),
            html::html(&report),
        ];
        for text in texts {
            assert!(
                !text.contains("p<a") && !text.contains("p\\u003ca"),
                "{text}"
            );
            assert!(!text.contains("p&lt;a"), "{text}");
        }
    }
}
