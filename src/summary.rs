//! The end of a build run: a line per image of the chain (its result and, for failures, why)
//! and the totals.

use std::fmt;

use crate::image_state::ImageState;
use crate::pipeline::Record;
use crate::scheduler::JobOutcome;
use crate::tree::ImageTree;

/// How one image of the chain ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub label: String,
    /// `published`, `verified`, `built`, `failed` or `skipped`.
    pub result: &'static str,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub rows: Vec<Row>,
    pub built: usize,
    pub verified: usize,
    pub published: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Images outside the chain that were already published.
    pub up_to_date: usize,
}

/// The reason given to an image that was not built because `dependency` failed.
pub fn skipped_reason(dependency: &str) -> String {
    format!("dependency {dependency} failed")
}

impl Summary {
    /// `records` of every image, in tree order; `outcomes` of the images the run worked on.
    pub fn new(tree: &ImageTree, records: &[Record], outcomes: &[(usize, JobOutcome)]) -> Summary {
        let mut summary = Summary::default();
        let mut in_chain = vec![false; records.len()];
        for (image, outcome) in outcomes {
            let image = *image;
            in_chain[image] = true;
            let record = &records[image];
            summary.built += usize::from(record.built);
            summary.verified += usize::from(record.verified);
            summary.published += usize::from(record.published);
            let (result, reason) = match &record.state {
                ImageState::Error(reason) if matches!(outcome, JobOutcome::Skipped { .. }) => {
                    summary.skipped += 1;
                    ("skipped", Some(reason.clone()))
                }
                ImageState::Error(reason) => {
                    summary.failed += 1;
                    ("failed", Some(reason.clone()))
                }
                ImageState::Published => ("published", None),
                ImageState::Verified => ("verified", None),
                ImageState::Built | ImageState::ToBuild => ("built", None),
            };
            summary.rows.push(Row {
                label: tree.get(image).label.to_string(),
                result,
                reason,
            });
        }
        summary.up_to_date = records
            .iter()
            .enumerate()
            .filter(|&(i, r)| r.state == ImageState::Published && !in_chain[i])
            .count();
        summary
    }

    pub fn has_failures(&self) -> bool {
        self.failed + self.skipped > 0
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.rows.iter().map(|r| r.label.len()).max().unwrap_or(0);
        for row in &self.rows {
            match &row.reason {
                Some(reason) => writeln!(
                    f,
                    "{:<9} {:<width$}  {}",
                    row.result,
                    row.label,
                    first_line(reason)
                )?,
                None => writeln!(f, "{:<9} {}", row.result, row.label)?,
            }
        }
        writeln!(
            f,
            "Built {}, verified {}, published {}, failed {}, skipped {}; {} already published.",
            self.built, self.verified, self.published, self.failed, self.skipped, self.up_to_date
        )
    }
}

/// The first line of a reason; the log has the rest.
fn first_line(reason: &str) -> String {
    match reason.split_once('\n') {
        Some((first, _)) => format!("{first} (more in the log)"),
        None => reason.to_owned(),
    }
}
