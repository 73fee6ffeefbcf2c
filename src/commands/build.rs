use std::io::IsTerminal;

use crate::cli::BuildArgs;
use crate::config::Config;
use crate::engine::{DockerShim, Engine, LazyEngine, LocalNames};
use crate::error::{Error, Outcome};
use crate::image_state::ImageState;
use crate::label::{ImageLabel, TagSuffix};
use crate::logging::{LOG_FILE, Verbosity};
use crate::pipeline::{BuildOptions, Pipeline, Record};
use crate::progress::Progress;
use crate::registry::Registry;
use crate::scheduler::{self, Event, JobOutcome, Outcomes};
use crate::select::Selection;
use crate::settings;
use crate::summary::{Summary, skipped_reason};
use crate::template::Renderer;
use crate::verify::Verifier;
use crate::workspace::{UnknownDependencies, Workspace};

/// Builds every selected image that is neither in the registry nor in local storage, with the
/// images it needs, in dependency order and independent images at the same time; verifies
/// each; publishes them when credentials (or `--publish`) allow.
pub fn build(
    config: &Config,
    args: &BuildArgs,
    suffix: &TagSuffix,
    verbosity: Verbosity,
) -> Result<Outcome, Error> {
    let selection = Selection::new(args.select.as_deref())?;
    println!("== Step 0: scanning {} ==", args.directory.display());
    let workspace = Workspace::load(config, &args.directory, suffix, UnknownDependencies::Warn)?;
    let engine = LazyEngine::new(settings::engine_settings(config));
    let registry = Registry::new(&settings::registry_settings(config))?;
    let options = BuildOptions {
        use_cache: args.use_cache,
        pull: !args.no_pull,
        publish: publishing(config, args),
        build_args: build_args(config),
        limits: config.container_limits.clone(),
    };
    let states = initial_states(&workspace, &engine, &registry, options.pull)?;
    let chain = chain(&workspace, &states, &selection, options.publish);
    println!("Will build the following images:");
    for &image in &chain {
        println!("* {}", workspace.tree.get(image).label);
    }
    if chain.is_empty() {
        println!("(none: every selected image is up to date)");
    }

    println!("== Step 1: building images ==");
    if !options.publish {
        let why = why_not_publishing(config, args);
        println!("NOT publishing images: {why}");
    }
    let (records, outcomes) = if chain.is_empty() {
        (untouched(states), Vec::new())
    } else {
        let run = Run {
            config,
            workspace: &workspace,
            engine: engine.get()?,
            docker_program: engine.settings().program.as_deref(),
            registry: &registry,
            options: &options,
        };
        let live = verbosity == Verbosity::Quiet && std::io::stderr().is_terminal();
        let jobs = args.jobs.map(|j| j as usize).or(config.jobs);
        run.chain(states, &chain, jobs.unwrap_or_else(default_jobs), live)?
    };

    let summary = Summary::new(&workspace.tree, &records, &outcomes);
    println!("== Summary ==");
    print!("{summary}");
    println!("== Build done! ==");
    if !verbosity.logs_to_terminal() {
        println!("You can see the logs at ./{LOG_FILE}");
    }
    Ok(if summary.has_failures() {
        Outcome::ImagesFailed
    } else {
        Outcome::Success
    })
}

/// What working on a chain of images needs.
struct Run<'a> {
    config: &'a Config,
    workspace: &'a Workspace,
    engine: &'a dyn Engine,
    docker_program: Option<&'a std::path::Path>,
    registry: &'a Registry,
    options: &'a BuildOptions,
}

impl Run<'_> {
    /// Refreshes the base images when something is to be built, then builds, verifies and
    /// publishes `chain`, `jobs` images at a time; `live` shows the progress line.
    fn chain(
        &self,
        states: Vec<ImageState>,
        chain: &[usize],
        jobs: usize,
        live: bool,
    ) -> Result<(Vec<Record>, Outcomes), Error> {
        if self.options.pull && chain.iter().any(|&i| states[i] == ImageState::ToBuild) {
            refresh_base_images(self.config, self.engine);
        }
        let kind = self.config.engine;
        let docker = DockerShim::for_engine(kind, self.docker_program)?;
        let verifier = Verifier::new(self.config, &self.options.build_args, docker);
        let renderer = Renderer::new(self.config, &self.workspace.tree);
        let pipeline = Pipeline::new(
            self.workspace,
            states,
            &renderer,
            self.engine,
            self.registry,
            &verifier,
            self.options,
        );
        let progress = Progress::new(chain.len(), live);
        let outcomes = scheduler::run(chain, &self.workspace.graph, jobs, &pipeline, &|event| {
            report(self.workspace, &pipeline, &progress, event)
        });
        drop(progress);
        let mut records = pipeline.into_records();
        mark_skipped(self.workspace, &outcomes, &mut records);
        Ok((records, outcomes))
    }
}

/// The records of a run that worked on no image.
fn untouched(states: Vec<ImageState>) -> Vec<Record> {
    states.into_iter().map(Record::new).collect()
}

/// Publishing needs a registry, and credentials or `--publish`; `--no-publish` wins.
fn publishing(config: &Config, args: &BuildArgs) -> bool {
    !args.no_publish
        && !config.repository.registry.is_empty()
        && (args.publish || config.credentials.is_some())
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

/// Each image's state at scan time. With pull on, the registry is asked first and local
/// storage only when some image is not published; with `--no-pull`, the other way round.
fn initial_states(
    workspace: &Workspace,
    engine: &LazyEngine,
    registry: &Registry,
    pull: bool,
) -> Result<Vec<ImageState>, Error> {
    let labels: Vec<ImageLabel> = workspace
        .tree
        .images()
        .iter()
        .map(|i| i.label.clone())
        .collect();
    let local = |labels: &[ImageLabel]| -> Result<Vec<bool>, Error> {
        let names = LocalNames::new(&engine.get()?.local_images()?);
        Ok(labels.iter().map(|l| names.contains(l)).collect())
    };
    let (published, local) = if pull {
        let published = published(registry, &labels)?;
        let local = if published.iter().all(|&p| p) {
            vec![true; labels.len()]
        } else {
            local(&labels)?
        };
        (published, local)
    } else {
        let local = local(&labels)?;
        let present: Vec<ImageLabel> = labels
            .iter()
            .zip(&local)
            .filter(|&(_, &here)| here)
            .map(|(label, _)| label.clone())
            .collect();
        let mut answers = published(registry, &present)?.into_iter();
        let published = local
            .iter()
            .map(|&here| here && answers.next().unwrap_or(false))
            .collect();
        (published, local)
    };
    Ok(published
        .iter()
        .zip(&local)
        .map(|(&published, &local)| ImageState::initial(published, local, pull))
        .collect())
}

fn published(registry: &Registry, labels: &[ImageLabel]) -> Result<Vec<bool>, Error> {
    registry
        .published(labels)
        .into_iter()
        .map(|answer| answer.map_err(Error::from))
        .collect()
}

/// What this run works on: every selected image to build, with the images to build that it
/// needs, and, when publishing, every selected image built earlier but not published.
fn chain(
    workspace: &Workspace,
    states: &[ImageState],
    selection: &Selection,
    publish: bool,
) -> Vec<usize> {
    let selected = |i: usize| workspace.is_selected(i, selection);
    let roots = (0..states.len()).filter(|&i| {
        selected(i)
            && (states[i] == ImageState::ToBuild || (publish && states[i] == ImageState::Built))
    });
    workspace
        .graph
        .with_dependencies(roots, |i| states[i] == ImageState::ToBuild)
}

/// The proxies, as build arguments and as the environment of verify scripts.
fn build_args(config: &Config) -> Vec<(String, String)> {
    let Some(proxy) = &config.http_proxy else {
        return Vec::new();
    };
    ["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"]
        .into_iter()
        .map(|key| (key.to_owned(), proxy.clone()))
        .collect()
}

/// Pulls every base image again so that no build uses a stale copy; a failure leaves the
/// local copy in use.
fn refresh_base_images(config: &Config, engine: &dyn Engine) {
    for base in &config.base_images {
        log::info!("Refreshing {base}");
        if let Err(e) = engine.pull(base) {
            log::warn!("Cannot refresh base image {base}; builds use the local copy: {e}");
        }
    }
}

fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The live display and the result line of each image.
fn report(workspace: &Workspace, pipeline: &Pipeline, progress: &Progress, event: &Event) {
    match event {
        Event::Started(image) => progress.started(workspace.tree.get(*image).name()),
        Event::Released(_) => {}
        Event::Finished(image, outcome) => {
            let entry = workspace.tree.get(*image);
            let label = &entry.label;
            let (line, failed) = match outcome {
                JobOutcome::Succeeded => {
                    (format!("* {label}: {}", pipeline.steps_done(*image)), false)
                }
                JobOutcome::Failed(reason) => (
                    format!(
                        " ERROR: image {label} failed: {}",
                        reason.lines().next().unwrap_or("")
                    ),
                    true,
                ),
                JobOutcome::Skipped { failed_dependency } => {
                    let dependency = workspace.tree.get(*failed_dependency).name();
                    (
                        format!(" SKIPPED: image {label}: {}", skipped_reason(dependency)),
                        true,
                    )
                }
            };
            progress.finished(entry.name(), &line, failed);
        }
    }
}

/// Images never started because an image they are built on failed end in `error` too.
fn mark_skipped(workspace: &Workspace, outcomes: &[(usize, JobOutcome)], records: &mut [Record]) {
    for (image, outcome) in outcomes {
        if let JobOutcome::Skipped { failed_dependency } = outcome {
            let dependency = workspace.tree.get(*failed_dependency).name();
            records[*image].state.fail(skipped_reason(dependency));
        }
    }
}
