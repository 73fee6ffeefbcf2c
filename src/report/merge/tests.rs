use super::*;
use crate::report::model::StepReport;

/// The report of the job of `name`, which worked on it alone (ending with `outcome`), the
/// other images of the tree `tree` being up to date or untouched.
fn job_report(name: &str, outcome: &str, started: &str, finished: &str, tree: &[&str]) -> Report {
    let images = tree
        .iter()
        .map(|&image| {
            let mut entry = unknown_image(&Expected {
                name: image.into(),
                needs: Vec::new(),
            });
            entry.label = format!("r.org/{image}:1.0");
            if image == name {
                entry.outcome = Some(outcome.into());
                entry.steps = vec![StepReport {
                    step: "build".into(),
                    started: started.into(),
                    offset_ms: 0,
                    duration_ms: 1000,
                    succeeded: outcome != "failed",
                }];
                if outcome == "failed" {
                    entry.reason = Some("build failed".into());
                }
            } else {
                entry.outcome = Some("up_to_date".into());
            }
            entry
        })
        .collect();
    Report {
        schema: SCHEMA.into(),
        version: VERSION,
        run: RunReport {
            started: started.into(),
            finished: finished.into(),
            duration_ms: 0,
            exit_code: u8::from(outcome == "failed"),
            docker_pkg_version: "0".into(),
            command_line: Vec::new(),
            directory: "images".into(),
            options: RunOptions {
                select: Some(format!("r.org/{name}:1.0")),
                ..RunOptions::default()
            },
            log_file: None,
            refreshes_base_images: true,
            merged_from: Vec::new(),
        },
        totals: Totals::default(),
        base_images: Vec::new(),
        images,
    }
}

fn source(report: Report) -> Source {
    Source {
        path: PathBuf::from(format!("reports/{}.json", report.images.len())),
        report,
    }
}

fn expected(specs: &[&str]) -> Vec<Expected> {
    specs.iter().map(|s| s.parse().unwrap()).collect()
}

fn outcome<'a>(report: &'a Report, name: &str) -> (&'a str, Option<&'a str>) {
    let image = report.images.iter().find(|i| i.name == name).unwrap();
    (
        image.outcome.as_deref().unwrap_or("none"),
        image.skipped_because.as_deref(),
    )
}

const TREE: [&str; 5] = ["base", "old", "lib", "app", "tool"];

#[test]
fn each_image_as_its_own_job_reports_it_timed_from_the_first_start() {
    let sources = [
        source(job_report(
            "base",
            "published",
            "2026-11-26T10:00:00.000Z",
            "2026-11-26T10:00:02.000Z",
            &TREE,
        )),
        source(job_report(
            "lib",
            "published",
            "2026-11-26T10:00:03.500Z",
            "2026-11-26T10:00:05.000Z",
            &TREE,
        )),
    ];
    let report = merge(
        &sources,
        &expected(&["base", "lib=base"]),
        SystemTime::now(),
    );
    assert_eq!(outcome(&report, "base").0, "published");
    assert_eq!(outcome(&report, "lib").0, "published");
    assert_eq!(outcome(&report, "old").0, "up_to_date");
    let lib = report.images.iter().find(|i| i.name == "lib").unwrap();
    assert_eq!(lib.steps[0].offset_ms, 3500);
    assert_eq!(report.run.started, "2026-11-26T10:00:00.000Z");
    assert_eq!(report.run.finished, "2026-11-26T10:00:05.000Z");
    assert_eq!(report.run.duration_ms, 5000);
    assert_eq!(report.run.exit_code, 0);
    assert_eq!(report.run.options.select, None);
    assert_eq!(report.run.merged_from.len(), 2);
    let t = &report.totals;
    assert_eq!(
        (
            t.images,
            t.built,
            t.published,
            t.failed,
            t.skipped,
            t.up_to_date
        ),
        (5, 2, 0, 0, 0, 3)
    );
}

#[test]
fn jobs_that_did_not_run_are_skipped_because_of_the_failure_they_follow() {
    let sources = [
        source(job_report(
            "base",
            "published",
            "2026-11-26T10:00:00.000Z",
            "2026-11-26T10:00:01.000Z",
            &TREE,
        )),
        source(job_report(
            "lib",
            "failed",
            "2026-11-26T10:00:02.000Z",
            "2026-11-26T10:00:03.000Z",
            &TREE,
        )),
    ];
    let pipeline = expected(&["base", "lib=base", "app=lib", "tool=app,base", "old"]);
    let report = merge(&sources, &pipeline, SystemTime::now());
    assert_eq!(outcome(&report, "lib"), ("failed", None));
    assert_eq!(outcome(&report, "app"), ("skipped", Some("lib")));
    assert_eq!(outcome(&report, "tool"), ("skipped", Some("lib")));
    let app = report.images.iter().find(|i| i.name == "app").unwrap();
    assert_eq!(app.reason.as_deref(), Some("dependency lib failed"));
    assert!(app.steps.is_empty());
    // A job that needs nothing that failed, yet left no report, failed.
    let (old, _) = outcome(&report, "old");
    assert_eq!(old, "failed");
    assert_eq!(report.run.exit_code, 1);
    assert_eq!((report.totals.failed, report.totals.skipped), (2, 2));
}

#[test]
fn without_any_report_the_pipeline_still_says_what_failed_and_what_it_skipped() {
    let report = merge(
        &[],
        &expected(&["base", "lib=base"]),
        SystemTime::UNIX_EPOCH,
    );
    assert_eq!(outcome(&report, "base"), ("failed", None));
    assert_eq!(outcome(&report, "lib"), ("skipped", Some("base")));
    assert_eq!(report.run.started, "1970-01-01T00:00:00.000Z");
    assert_eq!(report.images[1].label, "lib");
}

#[test]
fn a_job_tried_again_is_reported_by_its_last_try() {
    let sources = [
        source(job_report(
            "base",
            "failed",
            "2026-11-26T10:00:00.000Z",
            "2026-11-26T10:00:01.000Z",
            &TREE,
        )),
        source(job_report(
            "base",
            "published",
            "2026-11-26T10:05:00.000Z",
            "2026-11-26T10:05:01.000Z",
            &TREE,
        )),
    ];
    let report = merge(&sources, &expected(&["base"]), SystemTime::now());
    assert_eq!(outcome(&report, "base").0, "published");
}

#[test]
fn a_job_that_found_its_image_published_by_another_run_did_not_fail() {
    let report = job_report(
        "base",
        "up_to_date",
        "2026-11-26T10:00:00.000Z",
        "2026-11-26T10:00:01.000Z",
        &TREE,
    );
    let merged = merge(
        &[source(report)],
        &expected(&["base", "lib=base"]),
        SystemTime::now(),
    );
    assert_eq!(outcome(&merged, "base"), ("up_to_date", None));
    // lib's job left no report, and needs nothing that failed.
    assert_eq!(outcome(&merged, "lib"), ("failed", None));
}

#[test]
fn expectations_name_an_image_and_what_its_job_needs() {
    assert_eq!(
        "app=lib,base".parse::<Expected>(),
        Ok(Expected {
            name: "app".into(),
            needs: vec!["lib".into(), "base".into()]
        })
    );
    assert_eq!(
        "base".parse::<Expected>().unwrap().needs,
        Vec::<String>::new()
    );
    assert!("=lib".parse::<Expected>().is_err());
}

#[test]
fn reports_are_read_from_files_and_folders() {
    let dir = tempfile::tempdir().unwrap();
    let text = |r: &Report| serde_json::to_string(r).unwrap();
    let base = job_report(
        "base",
        "published",
        "2026-11-26T10:00:00.000Z",
        "2026-11-26T10:00:01.000Z",
        &TREE,
    );
    std::fs::write(dir.path().join("base.json"), text(&base)).unwrap();
    std::fs::write(dir.path().join("base.log"), "not a report").unwrap();
    let missing = dir.path().join("nowhere");
    let sources = read(&[dir.path().to_owned(), missing]).unwrap();
    assert_eq!(sources.len(), 1);
    assert_eq!(sources[0].path, dir.path().join("base.json"));

    std::fs::write(dir.path().join("other.json"), r#"{"schema": "other"}"#).unwrap();
    let error = read(&[dir.path().to_owned()]).unwrap_err().to_string();
    assert!(
        error.starts_with(&format!(
            "{} is not a docker-pkg report: its schema is",
            dir.path().join("other.json").display()
        )),
        "{error}"
    );
}
