//! The report of a run, as the JSON report writes it (schema `docker-pkg/report`, version 1,
//! described in the README) and as the JUnit and HTML reports read it.

use std::path::Path;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::process::ProcessError;
use crate::report::summary::{Summary, skipped_reason};
use crate::run::graph::base_short_name;
use crate::run::image_state::ImageState;
use crate::run::plan::Plan;
use crate::run::record::{ImageRecord, StepRun, Tested};
use crate::run::scheduler::JobOutcome;
use crate::run::step::{Step, StepError};
use crate::run::workspace::Workspace;
use crate::tree::{ImageId, ImageMap};

pub const SCHEMA: &str = "docker-pkg/report";
pub const VERSION: u32 = 1;

/// What the run was, besides what happened to each image.
pub struct RunFacts<'a> {
    pub started: SystemTime,
    pub finished: SystemTime,
    pub exit_code: u8,
    pub directory: &'a Path,
    pub options: RunOptions,
    pub log_file: Option<&'a Path>,
    pub base_images: &'a [String],
}

/// The options of the run that change what it does.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunOptions {
    pub dry_run: bool,
    pub pull: bool,
    pub publish: bool,
    pub select: Option<String>,
    pub jobs: usize,
    pub use_cache: bool,
    pub engine: String,
    pub registry: String,
    pub namespace: String,
    pub build_timeout_seconds: Option<f64>,
    pub verify_timeout_seconds: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    pub version: u32,
    pub run: RunReport,
    pub totals: Totals,
    pub base_images: Vec<BaseImage>,
    /// Every image of the tree, each after the images it is built on.
    pub images: Vec<ImageReport>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunReport {
    pub started: String,
    pub finished: String,
    pub duration_ms: u64,
    pub exit_code: u8,
    pub docker_pkg_version: String,
    pub command_line: Vec<String>,
    pub directory: String,
    pub options: RunOptions,
    pub log_file: Option<String>,
    pub refreshes_base_images: bool,
    /// The reports `report merge` made this one of; absent from the report of a run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Totals {
    pub images: usize,
    pub built: usize,
    pub verified: usize,
    pub published: usize,
    pub failed: usize,
    pub skipped: usize,
    pub up_to_date: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BaseImage {
    pub name: String,
    pub label: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ImageReport {
    pub name: String,
    pub label: String,
    pub directory: String,
    /// The images of the tree it is built on, by name.
    pub dependencies: Vec<String>,
    /// Those of `dependencies` only its template names (through `image_tag`).
    pub undeclared_dependencies: Vec<String>,
    /// The base images its control file names, by name.
    pub base_images: Vec<String>,
    /// `to_build`, `built` or `published`; `null` when the scan could not tell.
    pub initial_state: Option<String>,
    /// The steps the plan gives it: `pull`, `build`, `verify`, `publish`.
    pub planned: Vec<String>,
    /// Why: see [`crate::run::plan::Reason::code`].
    pub plan_reason: String,
    pub plan_reason_text: String,
    /// Images of the tree it is pulled for, before they build.
    pub pulled_for: Vec<String>,
    /// `published`, `verified`, `built`, `failed`, `skipped`, `interrupted`, `up_to_date` or
    /// `untouched`; `null` in a dry run.
    pub outcome: Option<String>,
    /// Why it failed, was skipped or left alone, on one line.
    pub reason: Option<String>,
    pub failure: Option<FailureReport>,
    /// The image whose failure made it skipped.
    pub skipped_because: Option<String>,
    pub steps: Vec<StepReport>,
    /// The digest of the manifest pushed.
    pub digest: Option<String>,
    pub test: Option<TestReport>,
    /// The log holding the tool's output for it, each line prefixed with `[name]`.
    pub log_file: Option<String>,
    /// Each platform's build and test, for an image built as a manifest list; absent
    /// otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<PlatformReport>,
}

/// What one platform of an image built as a manifest list went through.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlatformReport {
    /// `linux/arm64`, as OCI names it.
    pub platform: String,
    /// Its `build` and `verify` steps, in the order they ran.
    pub steps: Vec<StepReport>,
    /// Its test, when it was tested.
    pub test: Option<TestReport>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FailureReport {
    pub step: String,
    /// See [`crate::run::step::Failure::kind`].
    pub kind: String,
    /// The reason on one line.
    pub message: String,
    /// The whole error.
    pub detail: String,
    /// `exit status: 1`, when a process failed.
    pub exit_status: Option<String>,
    /// The last lines the failed process printed.
    pub output: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepReport {
    pub step: String,
    pub started: String,
    /// From the start of the run.
    pub offset_ms: u64,
    pub duration_ms: u64,
    pub succeeded: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TestReport {
    /// Whether a test ran; `false` when its file does not exist (the image passes).
    pub ran: bool,
    pub passed: bool,
    /// What it printed (the last lines of a long output).
    pub output: Option<String>,
    /// The test file that does not exist.
    pub missing: Option<String>,
}

impl Report {
    /// The report of a run that ended with `records` (one per image, in tree order), or of
    /// the plan alone when `records` is `None` (a dry run).
    pub fn new(
        facts: &RunFacts<'_>,
        workspace: &Workspace,
        plan: &Plan,
        records: Option<&ImageMap<ImageRecord>>,
    ) -> Report {
        let images = workspace
            .graph
            .order()
            .iter()
            .map(|&image| image_report(facts, workspace, plan, image, records))
            .collect();
        let mut totals = Totals {
            images: workspace.tree.len(),
            ..Totals::default()
        };
        if let Some(records) = records {
            let summary = Summary::new(workspace, records);
            totals.built = summary.built;
            totals.verified = summary.verified;
            totals.published = summary.published;
            totals.failed = summary.failed;
            totals.skipped = summary.skipped;
            totals.up_to_date = summary.up_to_date;
        }
        Report {
            schema: SCHEMA.to_owned(),
            version: VERSION,
            run: run_report(facts, plan),
            totals,
            base_images: facts
                .base_images
                .iter()
                .map(|label| BaseImage {
                    name: base_short_name(label).to_owned(),
                    label: label.clone(),
                })
                .collect(),
            images,
        }
    }
}

fn run_report(facts: &RunFacts<'_>, plan: &Plan) -> RunReport {
    let duration = facts
        .finished
        .duration_since(facts.started)
        .unwrap_or_default();
    RunReport {
        started: timestamp(facts.started),
        finished: timestamp(facts.finished),
        duration_ms: millis(duration),
        exit_code: facts.exit_code,
        docker_pkg_version: env!("CARGO_PKG_VERSION").to_owned(),
        command_line: std::env::args().collect(),
        directory: facts.directory.display().to_string(),
        options: facts.options.clone(),
        log_file: facts.log_file.map(|p| p.display().to_string()),
        refreshes_base_images: plan.refreshes_base_images(),
        merged_from: Vec::new(),
    }
}

fn image_report(
    facts: &RunFacts<'_>,
    workspace: &Workspace,
    plan: &Plan,
    id: ImageId,
    records: Option<&ImageMap<ImageRecord>>,
) -> ImageReport {
    let tree = &workspace.tree;
    let graph = &workspace.graph;
    let image = tree.get(id);
    let names = |images: &[ImageId]| -> Vec<String> {
        images
            .iter()
            .map(|&i| tree.get(i).name().to_owned())
            .collect()
    };
    let pulled_for: Vec<ImageId> = graph
        .dependents(id)
        .iter()
        .copied()
        .filter(|&d| plan.works_on(d) && plan.pulls(workspace, d).contains(&id))
        .collect();
    let reason = plan.reason(id);
    let mut report = ImageReport {
        name: image.name().to_owned(),
        label: image.label.to_string(),
        directory: image.definition.dir.display().to_string(),
        dependencies: names(graph.dependencies(id)),
        undeclared_dependencies: names(graph.undeclared(id)),
        base_images: graph
            .base_dependencies(id)
            .iter()
            .map(|&b| base_short_name(&facts.base_images[b]).to_owned())
            .collect(),
        initial_state: plan.initial(id).map(|state| state.to_string()),
        planned: plan
            .planned(workspace, id)
            .iter()
            .map(|s| s.name().to_owned())
            .collect(),
        plan_reason: reason.code().to_owned(),
        plan_reason_text: reason.to_string(),
        pulled_for: names(&pulled_for),
        ..ImageReport::default()
    };
    if let Some(record) = records.map(|records| &records[id]) {
        add_record(&mut report, facts, workspace, plan, id, record);
    }
    report
}

/// What happened to the image in the run.
fn add_record(
    report: &mut ImageReport,
    facts: &RunFacts<'_>,
    workspace: &Workspace,
    plan: &Plan,
    id: ImageId,
    record: &ImageRecord,
) {
    let (outcome, reason) = match &record.outcome {
        None if record.initial == Some(ImageState::Published) => ("up_to_date", None),
        None => ("untouched", Some(plan.reason(id).to_string())),
        Some(JobOutcome::Succeeded) => (record.done().last().copied().unwrap_or("untouched"), None),
        Some(JobOutcome::Failed(error)) => {
            report.failure = Some(failure_report(error));
            ("failed", Some(error.brief()))
        }
        Some(JobOutcome::Skipped { failed_dependency }) => {
            let dependency = workspace.tree.get(*failed_dependency).name();
            report.skipped_because = Some(dependency.to_owned());
            ("skipped", Some(skipped_reason(dependency)))
        }
        Some(JobOutcome::NotStarted) => (
            "interrupted",
            Some("not started: the run was interrupted".to_owned()),
        ),
    };
    report.outcome = Some(outcome.to_owned());
    report.reason = reason;
    report.steps = step_reports(facts, &record.steps);
    report.digest = record.digest.clone();
    report.test = record
        .tested
        .as_ref()
        .map(|tested| test_report(tested, record.did(Step::Verify)));
    report.platforms = record
        .platforms
        .iter()
        .map(|run| PlatformReport {
            platform: run.platform.to_string(),
            steps: step_reports(facts, &run.steps),
            test: run
                .tested
                .as_ref()
                .map(|tested| test_report(tested, run.did(Step::Verify))),
        })
        .collect();
    if !record.steps.is_empty() {
        report.log_file = facts.log_file.map(|p| p.display().to_string());
    }
}

fn step_reports(facts: &RunFacts<'_>, steps: &[StepRun]) -> Vec<StepReport> {
    steps
        .iter()
        .map(|run| StepReport {
            step: run.step.name().to_owned(),
            started: timestamp(run.started),
            offset_ms: millis(
                run.started
                    .duration_since(facts.started)
                    .unwrap_or_default(),
            ),
            duration_ms: millis(run.duration),
            succeeded: run.succeeded,
        })
        .collect()
}

fn failure_report(error: &StepError) -> FailureReport {
    let (exit_status, output) = match error.failure.process() {
        Some(ProcessError::Failed { status, tail, .. }) => {
            (Some(status.to_string()), Some(tail.clone()))
        }
        _ => (None, None),
    };
    FailureReport {
        step: error.step.name().to_owned(),
        kind: error.failure.kind().to_owned(),
        message: error.brief(),
        detail: error.to_string(),
        exit_status,
        output,
    }
}

fn test_report(tested: &Tested, passed: bool) -> TestReport {
    match tested {
        Tested::Ran { output } => TestReport {
            ran: true,
            passed,
            output: Some(output.clone()),
            missing: None,
        },
        Tested::NoTest { missing } => TestReport {
            ran: false,
            passed,
            output: None,
            missing: Some(missing.display().to_string()),
        },
    }
}

/// RFC 3339 in UTC, to the millisecond.
pub fn timestamp(time: SystemTime) -> String {
    DateTime::<Utc>::from(time).to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(platforms: Vec<PlatformReport>) -> ImageReport {
        ImageReport {
            name: "app".into(),
            label: "r.org/app:1.0".into(),
            directory: "images/app".into(),
            plan_reason: "missing".into(),
            platforms,
            ..ImageReport::default()
        }
    }

    /// Version 1 gains `platforms` for lists alone: the report of a single-platform run, and
    /// a report written before the field existed, read and written the same.
    #[test]
    fn an_image_of_one_platform_has_no_platforms_field() {
        let json = serde_json::to_value(image(Vec::new())).unwrap();
        assert!(json.get("platforms").is_none(), "{json}");
        let read: ImageReport = serde_json::from_value(json).unwrap();
        assert!(read.platforms.is_empty());
    }

    #[test]
    fn a_list_reports_each_platform() {
        let arm64 = PlatformReport {
            platform: "linux/arm64".into(),
            steps: vec![StepReport {
                step: "verify".into(),
                started: "2026-12-07T08:00:00.000Z".into(),
                offset_ms: 5,
                duration_ms: 700,
                succeeded: true,
            }],
            test: Some(TestReport {
                ran: true,
                passed: true,
                output: Some("aarch64\n".into()),
                missing: None,
            }),
        };
        let json = serde_json::to_value(image(vec![arm64])).unwrap();
        assert_eq!(
            json["platforms"],
            serde_json::json!([{
                "platform": "linux/arm64",
                "steps": [{"step": "verify", "started": "2026-12-07T08:00:00.000Z",
                           "offset_ms": 5, "duration_ms": 700, "succeeded": true}],
                "test": {"ran": true, "passed": true, "output": "aarch64\n", "missing": null},
            }])
        );
    }
}
