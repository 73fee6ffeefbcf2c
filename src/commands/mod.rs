//! One top-level function per command.

mod build;
mod build_report;
mod ci;
mod completions;
mod dry_run;
mod graph;
mod lint;
mod prune;
mod render;
mod report_merge;
mod update;

pub use build::build;
pub use ci::{Caller, gitlab};
pub use completions::{completions, manpage};
pub use graph::graph;
pub use lint::command::lint;
pub use prune::prune;
pub use render::render;
pub use report_merge::merge as merge_reports;
pub use update::update;
