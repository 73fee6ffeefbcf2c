use std::time::SystemTime;

use crate::cli::MergeArgs;
use crate::cli::error::{Error, Outcome};
use crate::report::{self, Expected, Report};
use crate::terminal::style::Style;

/// Merges the reports of the runs that each worked on part of a tree (the jobs of a
/// pipeline) into one, writes it as JSON, JUnit and HTML as asked, and prints what happened
/// to each image the runs worked on, then the failed and skipped images.
pub fn merge(args: &MergeArgs) -> Result<Outcome, Error> {
    let expected = args
        .expect
        .iter()
        .map(|text| {
            text.parse()
                .map_err(|message| Error::Expectation(format!("{text}: {message}")))
        })
        .collect::<Result<Vec<Expected>, Error>>()?;
    let sources = report::read(&args.reports)?;
    let merged = report::merge(&sources, &expected, SystemTime::now());
    report::write(
        &merged,
        args.files.report.as_deref(),
        args.files.junit.as_deref(),
        args.files.report_html.as_deref(),
    )?;
    print_summary(&merged, sources.len());
    Ok(if merged.run.exit_code == 0 {
        Outcome::Success
    } else {
        Outcome::ImagesFailed
    })
}

fn print_summary(merged: &Report, reports: usize) {
    println!(
        "Merged {reports} report{}.",
        if reports == 1 { "" } else { "s" }
    );
    let worked_on = merged.images.iter().filter(|image| {
        let outcome = image.outcome.as_deref().unwrap_or("untouched");
        !matches!(outcome, "up_to_date" | "untouched")
    });
    let rows: Vec<_> = worked_on.collect();
    let width = rows
        .iter()
        .map(|image| image.label.len())
        .max()
        .unwrap_or(0);
    for image in &rows {
        let outcome = image.outcome.as_deref().unwrap_or("untouched");
        let result = Style::of_result(outcome).paint(&format!("{outcome:<11}"));
        match &image.reason {
            Some(reason) => anstream::println!("{result} {:<width$}  {reason}", image.label),
            None => anstream::println!("{result} {}", image.label),
        }
    }
    let t = &merged.totals;
    println!(
        "Built {}, verified {}, published {}, failed {}, skipped {}; {} already published.",
        t.built, t.verified, t.published, t.failed, t.skipped, t.up_to_date
    );
    for (title, outcomes) in [
        ("Failed", &["failed"][..]),
        ("Skipped", &["skipped", "interrupted"]),
    ] {
        let names: Vec<&str> = rows
            .iter()
            .filter(|image| outcomes.contains(&image.outcome.as_deref().unwrap_or("")))
            .map(|image| image.name.as_str())
            .collect();
        if !names.is_empty() {
            println!("{title}: {}", names.join(", "));
        }
    }
}
