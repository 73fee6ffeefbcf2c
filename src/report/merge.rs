//! One report made of the reports of several runs that each worked on part of a tree: the
//! jobs of a pipeline made by `ci gitlab`, one image each. Each image is reported as the run
//! that worked on it reports it; an image the pipeline has a job for but no report names is
//! skipped when an image its job needs failed or left no report (its job did not run), and
//! failed otherwise (its job ended before docker-pkg could write its report).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::SystemTime;

use chrono::{DateTime, Utc};

use super::model::{
    ImageReport, Report, RunOptions, RunReport, SCHEMA, Totals, VERSION, millis, timestamp,
};
use crate::cli::error::Error;
use crate::report::summary::skipped_reason;

/// The outcomes of an image a run worked on (the others are `up_to_date` or `untouched`).
const WORKED_ON: [&str; 6] = [
    "published",
    "verified",
    "built",
    "failed",
    "skipped",
    "interrupted",
];

/// An image a pipeline has a job for, and the images of the pipeline that job needs:
/// `NAME` or `NAME=NEEDED,NEEDED`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub name: String,
    pub needs: Vec<String>,
}

impl FromStr for Expected {
    type Err = String;

    fn from_str(text: &str) -> Result<Expected, String> {
        let (name, needs) = text.split_once('=').unwrap_or((text, ""));
        let needs: Vec<String> = needs
            .split(',')
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .collect();
        if name.is_empty()
            || needs
                .iter()
                .chain([&name.to_owned()])
                .any(|n| n.contains(' '))
        {
            return Err("not IMAGE or IMAGE=NEEDED,NEEDED… (image names)".to_owned());
        }
        Ok(Expected {
            name: name.to_owned(),
            needs,
        })
    }
}

/// A report and the file it was read from.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub report: Report,
}

/// The reports at `paths`: files, and the `*.json` files of folders. A path that does not
/// exist holds none (a pipeline whose jobs all ended early left no folder of reports).
pub fn read(paths: &[PathBuf]) -> Result<Vec<Source>, Error> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|source| Error::ReadReport {
                path: path.clone(),
                source,
            })?;
            let mut found: Vec<PathBuf> = entries
                .flatten()
                .map(|entry| entry.path())
                .filter(|p| p.extension().is_some_and(|e| e == "json") && p.is_file())
                .collect();
            found.sort();
            files.extend(found);
        } else if path.exists() {
            files.push(path.clone());
        } else {
            log::warn!("{} does not exist: no report there", path.display());
        }
    }
    files.into_iter().map(|path| read_one(&path)).collect()
}

fn read_one(path: &Path) -> Result<Source, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::ReadReport {
        path: path.to_owned(),
        source,
    })?;
    let not_a_report = |message: String| Error::NotAReport {
        path: path.to_owned(),
        message,
    };
    let header: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| not_a_report(e.to_string()))?;
    let (schema, version) = (header.get("schema"), header.get("version"));
    if schema.and_then(|s| s.as_str()) != Some(SCHEMA)
        || version.and_then(|v| v.as_u64()) != Some(u64::from(VERSION))
    {
        return Err(not_a_report(format!(
            "its schema is {schema:?} version {version:?}, not \"{SCHEMA}\" version {VERSION}"
        )));
    }
    let report: Report = serde_json::from_value(header).map_err(|e| not_a_report(e.to_string()))?;
    for time in [&report.run.started, &report.run.finished] {
        parse_time(time).ok_or_else(|| not_a_report(format!("`{time}` is not a time")))?;
    }
    Ok(Source {
        path: path.to_owned(),
        report,
    })
}

/// What the pipeline did to one of its images.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fate {
    Done,
    Failed,
    /// Skipped, because the image named failed.
    Skipped(String),
}

/// The report of the whole pipeline: the images of `expected` and every other image the
/// reports name, each reported by the run that worked on it. `now` stands for the times
/// when no report says any.
pub fn merge(sources: &[Source], expected: &[Expected], now: SystemTime) -> Report {
    let own = own_entries(sources);
    let mut images = tree_order(sources, expected);
    let mut fates: HashMap<String, Fate> = HashMap::new();
    for wanted in expected {
        let fate = match own.get(&wanted.name) {
            Some(entry) => fate_of(entry),
            None => fate_without_report(wanted, &fates),
        };
        fates.insert(wanted.name.clone(), fate);
    }
    let started = earliest(sources).unwrap_or_else(|| now.into());
    for image in &mut images {
        match (own.get(&image.name), fates.get(&image.name)) {
            (Some(entry), _) => *image = (*entry).clone(),
            (None, Some(fate)) => without_report(image, fate),
            (None, None) => {}
        }
        for step in &mut image.steps {
            let offset = parse_time(&step.started).map(|t| t - started);
            let offset = offset.and_then(|d| d.to_std().ok()).unwrap_or_default();
            step.offset_ms = millis(offset);
        }
    }
    let finished = latest(sources).unwrap_or_else(|| now.into());
    let totals = totals(&images);
    let first = sources.first().map(|s| &s.report);
    Report {
        schema: SCHEMA.to_owned(),
        version: VERSION,
        run: RunReport {
            started: timestamp(started.into()),
            finished: timestamp(finished.into()),
            duration_ms: millis((finished - started).to_std().unwrap_or_default()),
            exit_code: u8::from(totals.failed + totals.skipped > 0),
            docker_pkg_version: env!("CARGO_PKG_VERSION").to_owned(),
            command_line: std::env::args().collect(),
            directory: first.map(|r| r.run.directory.clone()).unwrap_or_default(),
            options: RunOptions {
                select: None,
                dry_run: false,
                ..first.map(|r| r.run.options.clone()).unwrap_or_default()
            },
            log_file: None,
            refreshes_base_images: sources.iter().any(|s| s.report.run.refreshes_base_images),
            merged_from: sources
                .iter()
                .map(|s| s.path.display().to_string())
                .collect(),
        },
        totals,
        base_images: first.map(|r| r.base_images.clone()).unwrap_or_default(),
        images,
    }
}

/// Each image's entry in the report of the run that worked on it, or that selected it alone
/// and found it published; of two such runs (a job tried again), the one that did more than
/// skip it, then the one that finished last.
fn own_entries(sources: &[Source]) -> BTreeMap<String, &ImageReport> {
    let mut own: BTreeMap<String, (&ImageReport, (bool, &str))> = BTreeMap::new();
    for source in sources {
        for image in &source.report.images {
            let Some(outcome) = image.outcome.as_deref() else {
                continue;
            };
            // A job whose image another run published meanwhile (a pipeline made at the
            // same time, say) found it up to date.
            let selected_alone = source.report.run.options.select.as_deref() == Some(&image.label);
            let found_published = outcome == "up_to_date" && selected_alone;
            if !WORKED_ON.contains(&outcome) && !found_published {
                continue;
            }
            let rank = (
                !matches!(outcome, "skipped" | "interrupted"),
                source.report.run.finished.as_str(),
            );
            if own.get(&image.name).is_none_or(|(_, best)| rank > *best) {
                own.insert(image.name.clone(), (image, rank));
            }
        }
    }
    own.into_iter()
        .map(|(name, (entry, _))| (name, entry))
        .collect()
}

/// Every image the reports name, in their order (each image after those it is built on),
/// then those of `expected` no report names.
fn tree_order(sources: &[Source], expected: &[Expected]) -> Vec<ImageReport> {
    let mut images: Vec<ImageReport> = Vec::new();
    for image in sources.iter().flat_map(|s| &s.report.images) {
        if !images.iter().any(|known| known.name == image.name) {
            images.push(image.clone());
        }
    }
    for wanted in expected {
        if !images.iter().any(|known| known.name == wanted.name) {
            images.push(unknown_image(wanted));
        }
    }
    images
}

/// An image only the pipeline names: what its job would have reported.
fn unknown_image(wanted: &Expected) -> ImageReport {
    ImageReport {
        name: wanted.name.clone(),
        label: wanted.name.clone(),
        dependencies: wanted.needs.clone(),
        plan_reason: "missing".to_owned(),
        plan_reason_text: "not published and not in local storage".to_owned(),
        ..ImageReport::default()
    }
}

fn fate_of(entry: &ImageReport) -> Fate {
    match entry.outcome.as_deref() {
        Some("failed") => Fate::Failed,
        Some("skipped" | "interrupted") => Fate::Skipped(
            entry
                .skipped_because
                .clone()
                .unwrap_or_else(|| entry.name.clone()),
        ),
        _ => Fate::Done,
    }
}

/// A job without a report did not run when a job it needs failed (GitLab's `needs:`); else
/// it ended before docker-pkg wrote its report.
fn fate_without_report(wanted: &Expected, fates: &HashMap<String, Fate>) -> Fate {
    let cause = wanted
        .needs
        .iter()
        .find_map(|needed| match fates.get(needed) {
            Some(Fate::Failed) => Some(needed.clone()),
            Some(Fate::Skipped(cause)) => Some(cause.clone()),
            _ => None,
        });
    cause.map_or(Fate::Failed, Fate::Skipped)
}

/// The entry of an image whose job left no report.
fn without_report(image: &mut ImageReport, fate: &Fate) {
    image.steps.clear();
    image.failure = None;
    image.test = None;
    image.digest = None;
    image.log_file = None;
    image.skipped_because = None;
    match fate {
        Fate::Skipped(cause) => {
            image.outcome = Some("skipped".to_owned());
            image.reason = Some(skipped_reason(cause));
            image.skipped_because = Some(cause.clone());
        }
        Fate::Failed | Fate::Done => {
            image.outcome = Some("failed".to_owned());
            image.reason = Some(
                "its job left no report: it failed before docker-pkg could write one, or was \
                 cancelled"
                    .to_owned(),
            );
        }
    }
}

fn totals(images: &[ImageReport]) -> Totals {
    let did =
        |image: &ImageReport, step: &str| image.steps.iter().any(|s| s.step == step && s.succeeded);
    let count = |f: &dyn Fn(&ImageReport) -> bool| images.iter().filter(|i| f(i)).count();
    let outcome =
        |i: &ImageReport, o: &[&str]| i.outcome.as_deref().is_some_and(|x| o.contains(&x));
    Totals {
        images: images.len(),
        built: count(&|i| did(i, "build")),
        verified: count(&|i| did(i, "verify")),
        published: count(&|i| did(i, "publish")),
        failed: count(&|i| outcome(i, &["failed"])),
        skipped: count(&|i| outcome(i, &["skipped", "interrupted"])),
        up_to_date: count(&|i| outcome(i, &["up_to_date"])),
    }
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn earliest(sources: &[Source]) -> Option<DateTime<Utc>> {
    sources
        .iter()
        .filter_map(|s| parse_time(&s.report.run.started))
        .min()
}

fn latest(sources: &[Source]) -> Option<DateTime<Utc>> {
    sources
        .iter()
        .filter_map(|s| parse_time(&s.report.run.finished))
        .max()
}

#[cfg(test)]
mod tests;
