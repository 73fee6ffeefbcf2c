//! The work of one image in a build run: pull what it is built on, build, verify, publish;
//! each step moves the image's state.

use std::sync::{Mutex, MutexGuard, OnceLock};

use crate::build_context::BuildContext;
use crate::container_limits::ContainerLimits;
use crate::engine::{BuildRequest, Engine, EngineError};
use crate::image_state::{ImageState, InvalidTransition};
use crate::label::ImageLabel;
use crate::process::ProcessError;
use crate::registry::Registry;
use crate::scheduler::Job;
use crate::template::Renderer;
use crate::verify::{Verification, Verifier};
use crate::workspace::Workspace;

/// How images are built and what happens after.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    pub use_cache: bool,
    /// Pull the published images an image is built on before building it.
    pub pull: bool,
    /// Push verified images (version tag and `latest`).
    pub publish: bool,
    pub build_args: Vec<(String, String)>,
    pub limits: ContainerLimits,
}

/// What happened to one image during the run.
#[derive(Debug, Clone)]
pub struct Record {
    pub state: ImageState,
    pub built: bool,
    pub verified: bool,
    pub published: bool,
}

impl Record {
    /// An image in `state` at scan time, nothing done yet.
    pub fn new(state: ImageState) -> Record {
        Record {
            state,
            built: false,
            verified: false,
            published: false,
        }
    }
}

pub struct Pipeline<'a> {
    workspace: &'a Workspace,
    renderer: &'a Renderer,
    engine: &'a dyn Engine,
    registry: &'a Registry,
    verifier: &'a Verifier,
    options: &'a BuildOptions,
    records: Vec<Mutex<Record>>,
    /// Each published image is pulled once, however many images are built on it.
    pulls: Vec<OnceLock<Result<(), String>>>,
}

impl<'a> Pipeline<'a> {
    pub fn new(
        workspace: &'a Workspace,
        states: Vec<ImageState>,
        renderer: &'a Renderer,
        engine: &'a dyn Engine,
        registry: &'a Registry,
        verifier: &'a Verifier,
        options: &'a BuildOptions,
    ) -> Pipeline<'a> {
        let records = states
            .into_iter()
            .map(|state| Mutex::new(Record::new(state)))
            .collect();
        Pipeline {
            workspace,
            renderer,
            engine,
            registry,
            verifier,
            options,
            records,
            pulls: (0..workspace.tree.len()).map(|_| OnceLock::new()).collect(),
        }
    }

    /// What happened to every image, in tree order.
    pub fn into_records(self) -> Vec<Record> {
        self.records
            .into_iter()
            .map(|r| r.into_inner().unwrap_or_else(|p| p.into_inner()))
            .collect()
    }

    /// What the run did to `image` so far: `built, verified, published`, say.
    pub fn steps_done(&self, image: usize) -> String {
        let record = self.record(image);
        let steps: Vec<&str> = [
            (record.built, "built"),
            (record.verified, "verified"),
            (record.published, "published"),
        ]
        .into_iter()
        .filter_map(|(done, step)| done.then_some(step))
        .collect();
        if steps.is_empty() {
            "nothing to do".to_owned()
        } else {
            steps.join(", ")
        }
    }

    fn record(&self, image: usize) -> MutexGuard<'_, Record> {
        self.records[image]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn state(&self, image: usize) -> ImageState {
        self.record(image).state.clone()
    }

    fn steps(&self, image: usize, release: &dyn Fn()) -> Result<(), String> {
        if self.state(image) == ImageState::ToBuild {
            if self.options.pull {
                self.pull_dependencies(image)?;
            }
            self.build(image)?;
            self.advance(image, ImageState::built, |r| r.built = true)?;
        }
        if self.state(image) == ImageState::Built {
            self.verify(image)?;
            self.advance(image, ImageState::verified, |r| r.verified = true)?;
        }
        release();
        if self.options.publish && self.state(image) == ImageState::Verified {
            self.publish(image)?;
            self.advance(image, ImageState::published, |r| r.published = true)?;
        }
        Ok(())
    }

    fn advance(
        &self,
        image: usize,
        transition: fn(&mut ImageState) -> Result<(), InvalidTransition>,
        note: fn(&mut Record),
    ) -> Result<(), String> {
        let mut record = self.record(image);
        transition(&mut record.state).map_err(|e| e.to_string())?;
        note(&mut record);
        Ok(())
    }

    /// Pulls every image this one is built on that was published before the run (4.0.4
    /// does the same, so that a build never uses a stale local copy); an image built in
    /// this run is already local.
    fn pull_dependencies(&self, image: usize) -> Result<(), String> {
        for &dependency in self.workspace.graph.dependencies(image) {
            let published_before = {
                let record = self.record(dependency);
                record.state == ImageState::Published && !record.published
            };
            if !published_before {
                continue;
            }
            let label = &self.workspace.tree.get(dependency).label;
            self.pulls[dependency]
                .get_or_init(|| {
                    log::info!("Pulling image {label}, dependency of {}", self.name(image));
                    self.engine
                        .pull(&label.to_string())
                        .map_err(|e| brief(&format!("cannot pull dependency {label}"), &e))
                })
                .clone()?;
        }
        Ok(())
    }

    fn build(&self, image: usize) -> Result<(), String> {
        let entry = self.workspace.tree.get(image);
        let dockerfile = self.renderer.render(image).map_err(|e| e.to_string())?;
        log::info!("Generated dockerfile for {}:\n{dockerfile}", entry.label);
        let context = BuildContext::create(&entry.definition.dir, entry.name(), &dockerfile)
            .map_err(|e| e.to_string())?;
        log::info!("{} - building the image", entry.label);
        // When publishing, `latest` is named at build time: no tag process afterwards.
        let latest = [entry.label.with_tag("latest")];
        let also_tagged: &[ImageLabel] = if self.options.publish { &latest } else { &[] };
        let request = BuildRequest {
            context: context.path(),
            label: &entry.label,
            also_tagged,
            use_cache: self.options.use_cache,
            build_args: &self.options.build_args,
            limits: &self.options.limits,
        };
        let name = entry.name();
        self.engine
            .build(&request, &mut |line| log::info!("[{name}] {line}"))
            .map_err(|e| brief("build failed", &e))
    }

    fn verify(&self, image: usize) -> Result<(), String> {
        let entry = self.workspace.tree.get(image);
        let name = entry.name();
        let verification = self
            .verifier
            .verify(&entry.definition.dir, &entry.label, &mut |line| {
                log::info!("[{name}] {line}")
            })
            .map_err(|e| format!("verification failed: {e}"))?;
        if let Verification::Skipped { missing } = verification {
            log::info!(
                "Could not find path {}, skipping verification of {}",
                missing.display(),
                entry.label.name
            );
        }
        Ok(())
    }

    /// Pushes the version tag, then gives it `latest` in the registry: the manifest is the
    /// same, so a second push would only cost a process. An image built before the run gets
    /// its local `latest` here, one built now got it at build time.
    fn publish(&self, image: usize) -> Result<(), String> {
        let label = &self.workspace.tree.get(image).label;
        if !self.record(image).built {
            self.engine
                .tag(label, &label.with_tag("latest"))
                .map_err(|e| brief("publishing failed", &e))?;
        }
        self.engine
            .push(label)
            .map_err(|e| brief("publishing failed", &e))?;
        self.registry
            .tag(label, "latest")
            .map_err(|e| format!("publishing failed: cannot tag {label} as latest: {e}"))
    }

    fn name(&self, image: usize) -> &str {
        self.workspace.tree.get(image).name()
    }
}

/// One line for the summary: what failed, how, and the tool's last words; the whole error,
/// with the command line, goes to the log.
fn brief(what: &str, error: &EngineError) -> String {
    log::error!("{what}: {error}");
    match error {
        EngineError::Process(ProcessError::Failed { status, .. }) => {
            format!("{what} ({status}): {}", error.last_words())
        }
        other => format!("{what}: {other}"),
    }
}

impl Job for Pipeline<'_> {
    fn run(&self, image: usize, release: &dyn Fn()) -> Result<(), String> {
        self.steps(image, release).inspect_err(|reason| {
            log::error!("{}: {reason}", self.workspace.tree.get(image).label);
            self.record(image).state.fail(reason.clone());
        })
    }
}
