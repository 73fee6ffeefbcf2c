use std::path::Path;

use crate::ci::JobSettings;
use crate::ci::gitlab::{self, ImageJob, Invocation, Pipeline};
use crate::cli::GitlabArgs;
use crate::cli::error::{Error, Outcome};
use crate::config::Config;
use crate::config::settings;
use crate::engine::EngineError;
use crate::label::platform::Platform;
use crate::label::select::Selection;
use crate::label::{ImageLabel, TagSuffix};
use crate::registry::{ListRegistry, Registry, RegistryClient};
use crate::report;
use crate::run::plan::{Blocker, LocalStorage, Plan, PlanOptions};
use crate::run::workspace::{self, UnknownDependencies, Workspace};

/// How the generating command line was called, for its jobs to be called alike.
pub struct Caller<'a> {
    pub configfile: &'a Path,
    pub engine: Option<&'a str>,
    /// `--platform`, when given: the jobs build for these rather than for the configuration's.
    pub platforms: Option<&'a [Platform]>,
}

/// Prints (or writes to `--output`) a GitLab CI pipeline with a job for each selected image
/// that is not published, each needing the jobs of the images it is built on, and a summary
/// job; with nothing to build, a pipeline of one job that says so.
pub fn gitlab(
    config: &Config,
    caller: &Caller<'_>,
    args: &GitlabArgs,
    suffix: &TagSuffix,
) -> Result<Outcome, Error> {
    if config.repository.registry.is_empty() {
        return Err(Error::CiWithoutRegistry);
    }
    let selection = Selection::new(args.select.as_deref())?;
    let workspace = Workspace::load(config, &args.directory, suffix, UnknownDependencies::Lint)?;
    super::lint::warn(config, &workspace);
    let platforms =
        workspace::image_platforms(&config.run_platforms(), &workspace.tree, &workspace.graph)?;
    if config.platforms.is_some() {
        // Every job publishes: what its build would refuse, the pipeline refuses first.
        config.engine.check_list_support()?;
    }
    let registry = Registry::new(&settings::registry_settings(config))?;
    // With `platforms` set, an image is published only as a list of each of its platforms,
    // as its job's build will judge it.
    let list_registry = config.platforms.is_some().then(|| {
        ListRegistry::new(
            &registry,
            workspace::platforms_by_label(&workspace.tree, &platforms),
        )
    });
    let registry: &dyn RegistryClient = match &list_registry {
        Some(lists) => lists,
        None => &registry,
    };
    let options = PlanOptions {
        pull: true,
        publish: true,
        check_signatures: false,
    };
    let plan = Plan::make(&workspace, &selection, options, registry, &mut NothingLocal)?;
    refuse_unchecked(&workspace, &plan)?;
    let pipeline = Pipeline {
        invocation: Invocation {
            configfile: caller.configfile.display().to_string(),
            engine: caller.engine.map(str::to_owned),
            suffix_id: suffix.id().map(str::to_owned),
            platforms: caller.platforms.map(platform_list),
            directory: args.directory.display().to_string(),
        },
        jobs: image_jobs(config, &workspace, &plan)?,
        settings: config.gitlab_ci.clone(),
    };
    let text = gitlab::render(&pipeline);
    match &args.output {
        None => print!("{text}"),
        Some(path) => {
            report::write_file(path, &text)?;
            println!(
                "Wrote {}: {} job{} to build, publish and summarise.",
                path.display(),
                pipeline.jobs.len(),
                if pipeline.jobs.len() == 1 { "" } else { "s" }
            );
        }
    }
    Ok(Outcome::Success)
}

/// `--platform`'s value for a list of platforms.
fn platform_list(platforms: &[Platform]) -> String {
    let names: Vec<String> = platforms.iter().map(ToString::to_string).collect();
    names.join(",")
}

/// A pipeline made while the registry cannot answer would rebuild what may be published:
/// the first image it could not tell about stops the generation.
fn refuse_unchecked(workspace: &Workspace, plan: &Plan) -> Result<(), Error> {
    for &image in plan.chain() {
        if let Some(Blocker::Unchecked(error)) = plan.blocker(image) {
            return Err(Error::Unchecked {
                image: workspace.tree.get(image).label.to_string(),
                source: error.clone(),
            });
        }
    }
    Ok(())
}

/// A job for each image of the plan's chain, which with nothing local is every selected
/// image not published and every unpublished image they are built on.
fn image_jobs(config: &Config, workspace: &Workspace, plan: &Plan) -> Result<Vec<ImageJob>, Error> {
    let mut jobs = Vec::with_capacity(plan.chain().len());
    for &image in plan.chain() {
        let entry = workspace.tree.get(image);
        let own = JobSettings::of_image(&entry.definition.dir)?;
        let needs = workspace.graph.dependencies(image).iter();
        let needs = needs.filter(|&&d| plan.works_on(d));
        jobs.push(ImageJob {
            name: entry.name().to_owned(),
            label: entry.label.to_string(),
            needs: needs
                .map(|&d| workspace.tree.get(d).name().to_owned())
                .collect(),
            settings: match own {
                Some(own) => config.gitlab_ci.with(&own),
                None => config.gitlab_ci.clone(),
            },
        });
    }
    Ok(jobs)
}

/// The jobs run on other machines, whose local storage this one cannot see: an image is
/// either published or to be built.
struct NothingLocal;

impl LocalStorage for NothingLocal {
    fn contains(&mut self, labels: &[&ImageLabel]) -> Result<Vec<bool>, EngineError> {
        Ok(vec![false; labels.len()])
    }
}
