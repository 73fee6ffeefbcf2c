//! What a build run reports besides its terminal lines: the JSON, JUnit and HTML reports.

use std::path::Path;
use std::time::SystemTime;

use crate::cli::BuildArgs;
use crate::cli::error::{Error, Outcome, exit_code};
use crate::config::Config;
use crate::label::platform::Platform;
use crate::report::{self, Report, RunFacts, RunOptions};
use crate::run::plan::Plan;
use crate::run::record::ImageRecord;
use crate::run::workspace::Workspace;
use crate::terminal::style::Style;
use crate::tree::ImageMap;

/// A step header on the terminal: `== Step 1: building images ==`.
pub fn header(text: &str) {
    anstream::println!("{}", Style::Header.paint(&format!("== {text} ==")));
}

/// What the reports of one run are made of, but for the records.
pub struct Reports<'a> {
    pub config: &'a Config,
    pub args: &'a BuildArgs,
    pub workspace: &'a Workspace,
    pub plan: &'a Plan,
    pub started: SystemTime,
    pub jobs: usize,
    pub log_file: Option<&'a Path>,
    /// The platforms of each image, when it is built as a manifest list.
    pub lists: Option<&'a ImageMap<Vec<Platform>>>,
    /// The platforms of each image that its published list lacks, when the published check
    /// found a list without every one.
    pub lacking: Option<&'a ImageMap<Vec<Platform>>>,
}

impl Reports<'_> {
    /// Writes the reports asked for: of the run that ended with `records`, or of the plan
    /// when there are none (a dry run).
    pub fn write(
        &self,
        records: Option<&ImageMap<ImageRecord>>,
        outcome: Outcome,
    ) -> Result<(), Error> {
        let args = self.args;
        let junit = args.files.junit.as_deref().filter(|_| records.is_some());
        if args.files.report.is_none() && junit.is_none() && args.files.report_html.is_none() {
            return Ok(());
        }
        let report = Report::new(&self.facts(outcome), self.workspace, self.plan, records);
        report::write(
            &report,
            args.files.report.as_deref(),
            junit,
            args.files.report_html.as_deref(),
        )
    }

    fn facts(&self, outcome: Outcome) -> RunFacts<'_> {
        let (config, args) = (self.config, self.args);
        let seconds = |d: Option<std::time::Duration>| d.map(|d| d.as_secs_f64());
        RunFacts {
            started: self.started,
            finished: SystemTime::now(),
            exit_code: exit_code(&Ok(outcome)),
            directory: &args.directory,
            options: RunOptions {
                dry_run: args.dry_run,
                pull: self.plan.options.pull,
                publish: self.plan.options.publish,
                select: args.select.clone(),
                jobs: self.jobs,
                use_cache: args.use_cache,
                engine: config.engine.name().to_owned(),
                registry: config.repository.registry.clone(),
                namespace: config.repository.namespace.clone(),
                build_timeout_seconds: seconds(args.build_timeout.or(config.build_timeout)),
                verify_timeout_seconds: seconds(args.verify_timeout.or(config.verify_timeout)),
            },
            log_file: self.log_file.filter(|_| !args.dry_run),
            base_images: &config.base_images,
        }
    }
}
