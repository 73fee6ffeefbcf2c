use std::io::IsTerminal;
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::cli::BuildArgs;
use crate::cli::error::{Error, Outcome};
use crate::config::Config;
use crate::config::settings;
use crate::engine::{DockerShim, Engine, EngineError, LazyEngine, LocalNames};
use crate::label::platform;
use crate::label::platform::Platform;
use crate::label::select::Selection;
use crate::label::{ImageLabel, TagSuffix};
use crate::process::{ProcessError, masked};
use crate::registry::{ListRegistry, Registry, RegistryClient};
use crate::report::summary::{Summary, skipped_reason};
use crate::run::base_images::MissingBases;
use crate::run::image_locks::ImageLocks;
use crate::run::pipeline::{BuildOptions, Pipeline, Tools};
use crate::run::plan::{LocalStorage, Plan, PlanOptions};
use crate::run::record::ImageRecord;
use crate::run::scheduler::{self, Event, JobOutcome};
use crate::run::step::{Step, StepError};
use crate::run::verify::Verifier;
use crate::run::workspace::{self, UnknownDependencies, Workspace};
use crate::template::Renderer;
use crate::terminal::interrupt;
use crate::terminal::logging::Verbosity;
use crate::terminal::progress::Progress;
use crate::terminal::style::Style;
use crate::tree::provenance::Provenance;
use crate::tree::{ImageId, ImageMap};

use super::build_report::{Reports, header};

/// Builds every selected image that is neither in the registry nor in local storage, with the
/// images it needs, in dependency order and independent images at the same time; verifies
/// each; publishes them when credentials (or `--publish`) allow.
pub fn build(
    config: &Config,
    args: &BuildArgs,
    suffix: &TagSuffix,
    verbosity: Verbosity,
    log_file: Option<&Path>,
) -> Result<Outcome, Error> {
    crate::engine::rootless::check(config.engine)?;
    let started = SystemTime::now();
    let selection = Selection::new(args.select.as_deref())?;
    header(&format!("Step 0: scanning {}", args.directory.display()));
    let workspace = Workspace::load(config, &args.directory, suffix, UnknownDependencies::Lint)?;
    super::lint::warn(config, &workspace);
    let platforms =
        workspace::image_platforms(&config.run_platforms(), &workspace.tree, &workspace.graph)?;
    platform::preflight(
        platforms.values().flatten(),
        Path::new(platform::BINFMT_DIR),
    )?;
    // With `platforms` configured every image is a manifest list, even of one platform.
    let lists = config.platforms.is_some().then_some(platforms);
    let publish = publishing(config, args);
    let options = PlanOptions {
        pull: !args.no_pull,
        publish,
        check_signatures: publish && checks_signatures(config, args)?,
    };
    let engine = LazyEngine::new(if publish {
        settings::publishing_engine_settings(config)?
    } else {
        settings::engine_settings(config)
    });
    if lists.is_some() {
        config.engine.check_list_support()?;
    }
    let registry = Registry::new(&settings::registry_settings(config))?;
    let list_registry = lists.as_ref().map(|platforms| {
        ListRegistry::new(
            &registry,
            workspace::platforms_by_label(&workspace.tree, platforms),
        )
    });
    let registry: &dyn RegistryClient = match &list_registry {
        Some(lists) => lists,
        None => &registry,
    };
    let provenance = Provenance::new(
        config.provenance.clone(),
        &workspace.tree,
        &args.directory,
        chrono::DateTime::<chrono::Utc>::from(started),
    );
    let scanned = SystemTime::now();
    let plan = Plan::make(
        &workspace,
        &selection,
        options,
        registry,
        &mut EngineStorage {
            engine: &engine,
            lists: lists.is_some(),
        },
    )?;
    let lacking = list_registry.as_ref().map(|lists| {
        ImageMap::from_fn(workspace.tree.len(), |image| {
            lists.lacking(&workspace.tree.get(image).label)
        })
    });
    let jobs = args.jobs.map(|j| j as usize).or(config.jobs);
    let jobs = jobs.unwrap_or_else(default_jobs);
    let reports = Reports {
        config,
        args,
        workspace: &workspace,
        plan: &plan,
        started,
        jobs,
        log_file,
        lists: lists.as_ref(),
        lacking: lacking.as_ref(),
    };
    if args.dry_run {
        return super::dry_run::dry_run(&reports);
    }
    print_plan(&workspace, &plan, args.select.as_deref());
    if let Some(signal) = interrupt::received() {
        println!(
            "Interrupted by {} before any image was worked on.",
            interrupt::name(signal)
        );
        return Ok(Outcome::Interrupted { signal });
    }

    header("Step 1: building images");
    if !options.publish && would_publish(&workspace, &plan) {
        let why = why_not_publishing(config, args);
        println!("NOT publishing images: {why}");
    }
    let records = if plan.chain().is_empty() {
        untouched(&plan, workspace.tree.len())
    } else {
        let run = Run {
            config,
            workspace: &workspace,
            plan: &plan,
            engine: engine.get()?,
            docker_program: engine.settings().program.as_deref(),
            registry,
            provenance: &provenance,
            lists: lists.as_ref(),
            use_cache: args.use_cache,
            squash_steps: args.squash_steps || config.squash_steps,
            scanned,
            build_timeout: args.build_timeout.or(config.build_timeout),
            verify_timeout: args.verify_timeout.or(config.verify_timeout),
        };
        let live = verbosity == Verbosity::Quiet && std::io::stderr().is_terminal();
        run.chain(jobs, live)?
    };

    let summary = Summary::new(&workspace, &records);
    header("Summary");
    anstream::print!("{}", masked(&summary.to_string()));
    let interrupted = interrupt::received();
    match interrupted {
        Some(signal) => header(&format!("Build interrupted by {}", interrupt::name(signal))),
        None => header("Build done!"),
    }
    if let Some(path) = log_file.filter(|_| !verbosity.logs_to_terminal()) {
        println!("You can see the logs at {}", shown_path(path));
    }
    let outcome = match interrupted {
        Some(signal) => Outcome::Interrupted { signal },
        None if summary.has_failures() => Outcome::ImagesFailed,
        None => Outcome::Success,
    };
    reports.write(Some(&records), outcome)?;
    Ok(outcome)
}

/// A relative path as `./PATH`, as 4.0.4 names its log.
fn shown_path(path: &Path) -> String {
    if path.is_relative() && !path.starts_with(".") {
        format!("./{}", path.display())
    } else {
        path.display().to_string()
    }
}

/// Whether the run verifies an image, which it would then publish if it could.
fn would_publish(workspace: &Workspace, plan: &Plan) -> bool {
    let verifies = |&image: &ImageId| plan.steps(workspace, image).contains(&Step::Verify);
    plan.chain().iter().any(verifies)
}

/// What the run will do: the images it builds, then what it does to the others it works on.
fn print_plan(workspace: &Workspace, plan: &Plan, select: Option<&str>) {
    if let Some(glob) = select.filter(|_| !plan.selected_any()) {
        println!("No image matches --select {glob}: nothing to do.");
        return;
    }
    if plan.chain().is_empty() {
        println!("Every selected image is up to date.");
        return;
    }
    let label = |image: ImageId| &workspace.tree.get(image).label;
    let (builds, others): (Vec<ImageId>, Vec<ImageId>) = plan
        .chain()
        .iter()
        .partition(|&&image| plan.steps(workspace, image).contains(&Step::Build));
    if !builds.is_empty() {
        println!("Will build the following images:");
    }
    for &image in &builds {
        println!("* {}", label(image));
    }
    for &image in &others {
        let work = match plan.blocker(image) {
            Some(_) => plan.reason(image).to_string(),
            None => {
                let steps = plan.steps(workspace, image);
                let steps: Vec<&str> = steps.iter().map(|step| step.name()).collect();
                format!("will {} it ({})", steps.join(" and "), plan.reason(image))
            }
        };
        println!("* {}: {work}", label(image));
    }
}

/// Local storage as the engine lists it, in one call.
struct EngineStorage<'a> {
    engine: &'a LazyEngine,
    /// Whether images are manifest lists, which count as missing from local storage: a list
    /// there may lack a platform the run wants, so what is not published is built again.
    lists: bool,
}

impl LocalStorage for EngineStorage<'_> {
    fn contains(&mut self, labels: &[&ImageLabel]) -> Result<Vec<bool>, EngineError> {
        if self.lists {
            return Ok(vec![false; labels.len()]);
        }
        let names = LocalNames::new(&self.engine.get()?.local_images()?);
        Ok(labels.iter().map(|l| names.contains(l)).collect())
    }
}

/// What working on a chain of images needs.
struct Run<'a> {
    config: &'a Config,
    workspace: &'a Workspace,
    plan: &'a Plan,
    engine: &'a dyn Engine,
    docker_program: Option<&'a std::path::Path>,
    registry: &'a dyn RegistryClient,
    provenance: &'a Provenance,
    /// The platforms of each image, when it is built as a manifest list.
    lists: Option<&'a ImageMap<Vec<Platform>>>,
    use_cache: bool,
    squash_steps: bool,
    /// When the registry and local storage were looked at.
    scanned: SystemTime,
    build_timeout: Option<Duration>,
    verify_timeout: Option<Duration>,
}

impl Run<'_> {
    /// Refreshes the base images when something is to be built, then builds, verifies and
    /// publishes the chain, `jobs` images at a time; `live` shows the progress line.
    fn chain(&self, jobs: usize, live: bool) -> Result<ImageMap<ImageRecord>, Error> {
        let missing_bases = match self.plan.refreshes_base_images() {
            true => {
                let platforms = self.lists.map(run_platforms);
                MissingBases::refresh(&self.config.base_images, self.engine, platforms.as_deref())
            }
            false => MissingBases::default(),
        };
        let options = BuildOptions {
            use_cache: self.use_cache,
            squash_steps: self.squash_steps,
            build_args: build_args(self.config),
            limits: self.config.container_limits.clone(),
            build_timeout: self.build_timeout,
            missing_bases,
            platforms: self.lists.cloned(),
        };
        let docker = DockerShim::for_engine(self.config.engine, self.docker_program)?;
        let verifier = Verifier::new(self.config, &options.build_args, docker)
            .with_timeout(self.verify_timeout)
            .confined_to(self.workspace.confinement.clone());
        let renderer = Renderer::new(self.config, &self.workspace.tree);
        let locks = ImageLocks::new(&self.engine.storage_run_dir()?, self.scanned);
        let tools = Tools {
            renderer: &renderer,
            engine: self.engine,
            registry: self.registry,
            verifier: &verifier,
            locks: &locks,
            provenance: self.provenance,
        };
        let pipeline = Pipeline::new(self.workspace, self.plan, tools, &options, jobs);
        let progress = Progress::new(self.plan.chain().len(), live);
        let outcomes = scheduler::run(
            self.plan.chain(),
            &self.workspace.graph,
            jobs,
            &pipeline,
            &|event| report(self.workspace, &pipeline, &progress, event),
        );
        drop(progress);
        if let Err(error) = self.engine.remove_intermediates() {
            log::warn!("Cannot remove the intermediate images of the builds: {error}");
        }
        Ok(pipeline.into_records(outcomes))
    }
}

/// The records of a run that worked on no image.
fn untouched(plan: &Plan, images: usize) -> ImageMap<ImageRecord> {
    ImageMap::from_fn(images, |image| ImageRecord {
        initial: plan.initial(image),
        ..ImageRecord::default()
    })
}

/// Publishing needs a registry, and credentials or `--publish`; `--no-publish` wins.
fn publishing(config: &Config, args: &BuildArgs) -> bool {
    !args.no_publish
        && !config.repository.registry.is_empty()
        && (args.publish || config.credentials.is_some())
}

/// Whether the tags pushed are checked for signatures: always when signing, on demand
/// otherwise, which needs a key to check with.
fn checks_signatures(config: &Config, args: &BuildArgs) -> Result<bool, Error> {
    match (config.signing.is_some(), args.check_signatures) {
        (false, true) => Err(Error::NoSigningKey),
        (signing, asked) => Ok(signing || asked),
    }
}

fn why_not_publishing(config: &Config, args: &BuildArgs) -> &'static str {
    if args.no_publish {
        "--no-publish was given"
    } else if config.repository.registry.is_empty() {
        "no registry is configured"
    } else {
        "no credentials are configured (set username and password, or log in and pass --publish)"
    }
}

/// The proxies, as build arguments and as the environment of verify scripts.
/// Every platform some image is built for, each once: those a base image is refreshed for.
fn run_platforms(lists: &ImageMap<Vec<Platform>>) -> Vec<Platform> {
    let all: std::collections::BTreeSet<&Platform> = lists.values().flatten().collect();
    all.into_iter().cloned().collect()
}

fn build_args(config: &Config) -> Vec<(String, String)> {
    let Some(proxy) = &config.http_proxy else {
        return Vec::new();
    };
    ["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"]
        .into_iter()
        .map(|key| (key.to_owned(), proxy.clone()))
        .collect()
}

fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The live display and the result line of each image.
fn report(
    workspace: &Workspace,
    pipeline: &Pipeline,
    progress: &Progress,
    event: &Event<'_, StepError>,
) {
    match event {
        Event::Started(image) => progress.started(workspace.tree.get(*image).name()),
        Event::Released(_) => {}
        Event::Finished(image, outcome) => {
            let entry = workspace.tree.get(*image);
            let label = &entry.label;
            let (line, failed) = match outcome {
                JobOutcome::Succeeded => {
                    let done = pipeline.steps_done(*image);
                    let style = if done.contains(&"published") {
                        Style::Published
                    } else {
                        Style::Done
                    };
                    let done = if done.is_empty() {
                        "nothing to do".to_owned()
                    } else {
                        done.join(", ")
                    };
                    (format!("* {label}: {}", style.paint(&done)), false)
                }
                JobOutcome::Failed(error) => (failure_lines(label, error), true),
                JobOutcome::Skipped { failed_dependency } => {
                    let dependency = workspace.tree.get(*failed_dependency).name();
                    let skipped = Style::Skipped.paint("skipped");
                    (
                        format!("* {label}: {skipped}: {}", skipped_reason(dependency)),
                        true,
                    )
                }
                JobOutcome::NotStarted => (
                    format!("* {label}: {}", Style::Skipped.paint("interrupted")),
                    true,
                ),
            };
            progress.finished(entry.name(), &line, failed);
        }
    }
}

/// How many of the last lines of a failed test the terminal shows (the log has them all).
const TEST_LINES_SHOWN: usize = 10;

/// The line of a failed image and, for a failed test, the last lines it printed.
fn failure_lines(label: &ImageLabel, error: &StepError) -> String {
    let mut text = format!(
        "* {label}: {}: {}",
        Style::Failed.paint("failed"),
        error.brief()
    );
    if let (Step::Verify, Some(ProcessError::Failed { tail, .. })) =
        (error.step, error.failure.process())
    {
        let lines: Vec<&str> = tail.lines().collect();
        for line in &lines[lines.len().saturating_sub(TEST_LINES_SHOWN)..] {
            text.push_str(&format!("\n    {}", Style::Dim.paint(&format!("| {line}"))));
        }
    }
    text
}
