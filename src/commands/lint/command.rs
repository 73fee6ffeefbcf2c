use serde::Serialize;

use crate::cli::error::{Error, Outcome};
use crate::cli::{LintArgs, LintFormat};
use crate::commands::lint::{self, Check, Finding, Severity};
use crate::config::Config;
use crate::label::TagSuffix;
use crate::process::masked;
use crate::run::workspace::{UnknownDependencies, Workspace};
use crate::terminal::style::Style;

/// Reports what in the tree breaks builds later. Exit 0 with warnings only; an error (a build
/// would fail) makes it exit 2.
pub fn lint(config: &Config, args: &LintArgs) -> Result<Outcome, Error> {
    let loaded = Workspace::load(
        config,
        &args.directory,
        &TagSuffix::None,
        UnknownDependencies::Lint,
    );
    let findings = match loaded {
        Ok(workspace) => lint::lint(config, &workspace),
        Err(error) => match lint::load_findings(&error) {
            Some(findings) => findings,
            None => return Err(error.into()),
        },
    };
    // A template error may quote the password; JSON would escape what masking looks for.
    let findings: Vec<Finding> = findings
        .into_iter()
        .map(|finding| Finding {
            message: masked(&finding.message).into_owned(),
            ..finding
        })
        .collect();
    let errors = count(&findings, Severity::Error);
    let warnings = count(&findings, Severity::Warning);
    match args.format {
        LintFormat::Text => print_text(&findings, errors, warnings),
        LintFormat::Json => print_json(&findings, errors, warnings),
    }
    if errors > 0 {
        return Err(Error::Lint { errors });
    }
    Ok(Outcome::Success)
}

/// Logs every finding as a warning: what `build` and `render` say before they start. A
/// template that does not render is left out: the command says so when it renders it.
pub fn warn(config: &Config, workspace: &Workspace) {
    let findings = lint::lint(config, workspace).into_iter();
    for finding in findings.filter(|f| f.check != Check::TemplateFails) {
        log::warn!("{finding}");
    }
}

fn count(findings: &[Finding], severity: Severity) -> usize {
    findings.iter().filter(|f| f.severity == severity).count()
}

fn print_text(findings: &[Finding], errors: usize, warnings: usize) {
    for finding in findings {
        let severity = match finding.severity {
            Severity::Error => Style::Failed.paint("error"),
            Severity::Warning => Style::Warning.paint("warning"),
        };
        anstream::println!("{severity}: {finding}");
    }
    match (errors, warnings) {
        (0, 0) => println!("No problem found."),
        _ => println!("{errors} errors, {warnings} warnings."),
    }
}

#[derive(Serialize)]
struct Report<'a> {
    findings: &'a [Finding],
    errors: usize,
    warnings: usize,
}

fn print_json(findings: &[Finding], errors: usize, warnings: usize) {
    let report = Report {
        findings,
        errors,
        warnings,
    };
    let text = serde_json::to_string_pretty(&report).expect("findings serialize to JSON");
    println!("{text}");
}
