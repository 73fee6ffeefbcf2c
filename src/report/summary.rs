//! The end of a build run: a line per image of the chain (its result and, for failures, why)
//! and the totals, read from the run's records.

use std::fmt;

use crate::run::image_state::ImageState;
use crate::run::record::ImageRecord;
use crate::run::scheduler::JobOutcome;
use crate::run::step::Step;
use crate::run::workspace::Workspace;
use crate::terminal::style::Style;
use crate::tree::ImageMap;

/// How one image of the chain ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub label: String,
    /// `published`, `verified`, `built`, `up-to-date` (another run did the work), `failed`,
    /// `skipped` or `interrupted`.
    pub result: &'static str,
    /// Why it failed, or the digest it was published as.
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
    /// The summary of `records`, one per image of the workspace (in tree order), in build
    /// order.
    pub fn new(workspace: &Workspace, records: &ImageMap<ImageRecord>) -> Summary {
        let tree = &workspace.tree;
        let mut summary = Summary::default();
        for &image in workspace.graph.order() {
            let record = &records[image];
            let Some(outcome) = &record.outcome else {
                summary.up_to_date += usize::from(record.initial == Some(ImageState::Published));
                continue;
            };
            summary.built += usize::from(record.did(Step::Build));
            summary.verified += usize::from(record.did(Step::Verify));
            summary.published += usize::from(record.did(Step::Publish));
            let (result, reason) = match outcome {
                JobOutcome::Succeeded => {
                    let digest = record.digest.as_deref().map(short_digest);
                    (
                        record.done().last().copied().unwrap_or("up-to-date"),
                        digest,
                    )
                }
                JobOutcome::Failed(error) => {
                    summary.failed += 1;
                    ("failed", Some(error.brief()))
                }
                JobOutcome::Skipped { failed_dependency } => {
                    summary.skipped += 1;
                    let dependency = tree.get(*failed_dependency).name();
                    ("skipped", Some(skipped_reason(dependency)))
                }
                JobOutcome::NotStarted => {
                    summary.skipped += 1;
                    (
                        "interrupted",
                        Some("not started: the run was interrupted".to_owned()),
                    )
                }
            };
            summary.rows.push(Row {
                label: tree.get(image).label.to_string(),
                result,
                reason,
            });
        }
        summary
    }

    pub fn has_failures(&self) -> bool {
        self.failed + self.skipped > 0
    }
}

/// `sha256:` and the first 12 digits, as the tools show image ids.
fn short_digest(digest: &str) -> String {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    format!("sha256:{}", &hex[..hex.len().min(12)])
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.rows.iter().map(|r| r.label.len()).max().unwrap_or(0);
        for row in &self.rows {
            let result = Style::of_result(row.result).paint(&format!("{:<11}", row.result));
            match &row.reason {
                Some(reason) => writeln!(f, "{result} {:<width$}  {reason}", row.label)?,
                None => writeln!(f, "{result} {}", row.label)?,
            }
        }
        writeln!(
            f,
            "Built {}, verified {}, published {}, failed {}, skipped {}; {} already published.",
            self.built, self.verified, self.published, self.failed, self.skipped, self.up_to_date
        )
    }
}
