//! The work of one image in a build run: pull what it is built on, build, verify, publish;
//! each step timed and recorded, each moving the image's state, the first failure ending it.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Instant, SystemTime};

use crate::engine::container_limits::ContainerLimits;
use crate::engine::{BuildRequest, Engine, EngineError, LocalNames};
use crate::label::ImageLabel;
use crate::label::platform::Platform;
use crate::process;
use crate::registry::RegistryClient;
use crate::run::base_images::MissingBases;
use crate::run::build_context::BuildContext;
use crate::run::image_locks::{ImageLock, ImageLocks};
use crate::run::image_state::{ImageState, InvalidTransition};
use crate::run::plan::Plan;
use crate::run::record::{ImageRecord, PlatformRun, StepRun, TestOutput, Tested};
use crate::run::scheduler::{Job, Milestones, Outcomes};
use crate::run::step::{Failure, Step, StepError};
use crate::run::verify::{Verification, Verifier};
use crate::run::workspace::Workspace;
use crate::template::Renderer;
use crate::terminal::logging::IMAGE_FAILURES;
use crate::tree::provenance::Provenance;
use crate::tree::{ImageId, ImageMap};
use platform_builds::PlatformBuilds;
use test_slots::TestSlots;

/// How images are built.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    pub use_cache: bool,
    /// All of an image's own steps in one layer.
    pub squash_steps: bool,
    pub build_args: Vec<(String, String)>,
    pub limits: ContainerLimits,
    pub build_timeout: Option<std::time::Duration>,
    /// The base images that could be neither pulled nor found locally.
    pub missing_bases: MissingBases,
    /// For each image, the platforms it is built for, as one manifest list; None (no
    /// `platforms` configured): the host's platform, one image.
    pub platforms: Option<ImageMap<Vec<Platform>>>,
}

/// What the pipeline works with.
pub struct Tools<'a> {
    pub renderer: &'a Renderer,
    pub engine: &'a dyn Engine,
    pub registry: &'a dyn RegistryClient,
    pub verifier: &'a Verifier,
    /// Taken for each image while working on it, so that concurrent runs take turns.
    pub locks: &'a ImageLocks,
    pub provenance: &'a Provenance,
}

/// Where one image stands during the run.
struct Progress {
    state: Option<ImageState>,
    /// The step under way, for the record of a panic.
    current: Option<Step>,
    /// The digest of the manifest published.
    digest: Option<String>,
    steps: Vec<StepRun>,
    tested: Option<Tested>,
    /// Each platform's build and test, for an image built as a manifest list.
    platforms: Vec<PlatformRun>,
    /// Its lock, while units of its work come and go: from its platforms' builds until the
    /// end of its work.
    lock: Option<ImageLock>,
    /// The builds of its platforms, from when they are prepared until they are gathered.
    builds: Option<PlatformBuilds>,
}

pub struct Pipeline<'a> {
    workspace: &'a Workspace,
    plan: &'a Plan,
    tools: Tools<'a>,
    options: &'a BuildOptions,
    progress: ImageMap<Mutex<Progress>>,
    /// Each published image is pulled once, however many images are built on it.
    pulls: ImageMap<OnceLock<Result<(), Arc<EngineError>>>>,
    tests: TestSlots,
}

impl<'a> Pipeline<'a> {
    pub fn new(
        workspace: &'a Workspace,
        plan: &'a Plan,
        tools: Tools<'a>,
        options: &'a BuildOptions,
        jobs: usize,
    ) -> Pipeline<'a> {
        let images = workspace.tree.len();
        Pipeline {
            workspace,
            plan,
            tools,
            options,
            progress: ImageMap::from_fn(images, |image| {
                Mutex::new(Progress {
                    state: plan.initial(image),
                    current: None,
                    digest: None,
                    steps: Vec::new(),
                    tested: None,
                    platforms: Vec::new(),
                    lock: None,
                    builds: None,
                })
            }),
            pulls: ImageMap::from_fn(images, |_| OnceLock::new()),
            tests: TestSlots::new(jobs),
        }
    }

    /// What happened to every image, in tree order, with the outcomes of the chain's.
    pub fn into_records(self, outcomes: Outcomes<StepError>) -> ImageMap<ImageRecord> {
        let mut records: ImageMap<ImageRecord> = self
            .progress
            .into_entries()
            .map(|(image, progress)| {
                let mut progress = progress.into_inner().unwrap_or_else(|p| p.into_inner());
                // A platform whose build never started (another's failed first) did nothing.
                progress.platforms.retain(|run| !run.steps.is_empty());
                ImageRecord {
                    initial: self.plan.initial(image),
                    steps: progress.steps,
                    outcome: None,
                    tested: progress.tested,
                    digest: progress.digest,
                    platforms: progress.platforms,
                }
            })
            .collect();
        for (image, outcome) in outcomes {
            records[image].outcome = Some(outcome);
        }
        records
    }

    /// The work steps of `image` that went well so far: `built, verified`, say.
    pub fn steps_done(&self, image: ImageId) -> Vec<&'static str> {
        let record = ImageRecord {
            steps: self.progress(image).steps.clone(),
            ..ImageRecord::default()
        };
        record.done()
    }

    fn progress(&self, image: ImageId) -> MutexGuard<'_, Progress> {
        self.progress[image]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn state(&self, image: ImageId) -> Option<ImageState> {
        self.progress(image).state
    }

    fn label(&self, image: ImageId) -> &ImageLabel {
        &self.workspace.tree.get(image).label
    }

    /// Everything for `image`, or what follows the builds of its platforms.
    fn work(&self, image: ImageId, milestones: &dyn Milestones) -> Result<(), StepError> {
        let prepared = self.progress(image).lock.take();
        let lock = match prepared {
            Some(lock) => lock,
            None => self.begin(image)?,
        };
        if self.state(image) == Some(ImageState::ToBuild) {
            let builds = self.progress(image).builds.take();
            match builds {
                Some(builds) => {
                    let images = builds.images;
                    self.step_from(image, builds.timer, || self.gather(image, images))?
                }
                None => self.step(image, Step::Build, || self.build(image))?,
            }
        }
        if self.state(image) == Some(ImageState::Built) {
            milestones.free_slot();
            let _slot = self.tests.take();
            self.step(image, Step::Verify, || self.verify(image))
                .inspect_err(|_| {
                    // An interrupted test did not fail: the next run tests the image again.
                    if !process::is_stopping() {
                        self.set_aside(image);
                    }
                })?;
        }
        milestones.release();
        if self.plan.options.publish && self.state(image) == Some(ImageState::Verified) {
            self.step(image, Step::Publish, || self.publish(image))?;
            if self.plan.options.check_signatures {
                self.step(image, Step::SignatureCheck, || self.check_signatures(image))?;
            }
        }
        drop(lock);
        Ok(())
    }

    /// Takes the lock of `image`, finds again where it stands if another run worked on it
    /// meanwhile, and pulls what it is built on when it is to be built.
    fn begin(&self, image: ImageId) -> Result<ImageLock, StepError> {
        let lock = self.lock(image)?;
        if lock.changed_since_scan {
            self.step(image, Step::Check, || self.refresh(image))?;
        }
        if self.state(image) == Some(ImageState::ToBuild)
            && !self.plan.pulls(self.workspace, image).is_empty()
        {
            self.step(image, Step::Pull, || self.pull_dependencies(image))?;
        }
        Ok(lock)
    }

    /// The lock of `image`, taken once no other run on the same storage holds it.
    fn lock(&self, image: ImageId) -> Result<ImageLock, StepError> {
        let label = self.label(image);
        let waiting = || {
            log::warn!("{label}: another run is working on it; waiting for it to finish");
        };
        self.tools
            .locks
            .acquire(label, &waiting)
            .map_err(|error| StepError {
                step: Step::Check,
                image: label.to_string(),
                failure: Failure::Lock(error),
            })
    }

    /// Finds again where `image` stands, after another run worked on it: published, in
    /// local storage, or still to build.
    fn refresh(&self, image: ImageId) -> Result<(), Failure> {
        let label = self.label(image);
        let published = self.tools.registry.published(&[label]).pop();
        let state = match published {
            Some(Ok(true)) => ImageState::Published,
            Some(Err(error)) => return Err(Failure::Unchecked(error)),
            _ => {
                let local = LocalNames::new(&self.tools.engine.local_images()?);
                match local.contains(label) {
                    true => ImageState::Built,
                    false => ImageState::ToBuild,
                }
            }
        };
        log::info!("{label}: another run worked on it; now {state}");
        self.progress(image).state = Some(state);
        Ok(())
    }

    /// Runs one step of `image`, records it, and moves the image's state when it went well.
    fn step(
        &self,
        image: ImageId,
        step: Step,
        work: impl FnOnce() -> Result<(), Failure>,
    ) -> Result<(), StepError> {
        if step != Step::Check {
            log::info!("{}: {step} started", self.label(image));
        }
        self.step_from(image, StepTimer::start(step), work)
    }

    /// Runs the end of a step of `image` that began when `timer` started, and records the
    /// whole step.
    fn step_from(
        &self,
        image: ImageId,
        timer: StepTimer,
        work: impl FnOnce() -> Result<(), Failure>,
    ) -> Result<(), StepError> {
        let step = timer.step;
        self.progress(image).current = Some(step);
        let result = work().and_then(|()| self.advance(image, step).map_err(Failure::from));
        if step != Step::Check {
            let how = if result.is_ok() { "done" } else { "failed" };
            let took = process::humanize(timer.clock.elapsed());
            log::info!("{}: {step} {how} after {took}", self.label(image));
        }
        let mut progress = self.progress(image);
        progress.current = None;
        progress.steps.push(timer.stop(result.is_ok()));
        drop(progress);
        result.map_err(|failure| StepError {
            step,
            image: self.label(image).to_string(),
            failure,
        })
    }

    fn advance(&self, image: ImageId, step: Step) -> Result<(), InvalidTransition> {
        let transition = match step {
            Step::Build => ImageState::built,
            Step::Verify => ImageState::verified,
            Step::Publish => ImageState::published,
            Step::Check | Step::Pull | Step::SignatureCheck => return Ok(()),
        };
        let mut progress = self.progress(image);
        let Some(state) = progress.state.as_mut() else {
            return Err(InvalidTransition {
                from: "an unknown state".into(),
                to: step.to_string(),
            });
        };
        transition(state)
    }

    /// Pulls each published image `image` is built on, once per run.
    fn pull_dependencies(&self, image: ImageId) -> Result<(), Failure> {
        for dependency in self.plan.pulls(self.workspace, image) {
            let label = self.label(dependency);
            let pulled = self.pulls[dependency].get_or_init(|| {
                let platforms = self.options.platforms.as_ref().map(|p| &p[dependency]);
                match platforms {
                    Some(platforms) => self.pull_list(dependency, image, platforms),
                    None => {
                        log::info!("Pulling image {label}, dependency of {}", self.name(image));
                        self.tools.engine.pull(&label.to_string())
                    }
                }
                .map_err(Arc::new)
            });
            if let Err(error) = pulled {
                return Err(Failure::Dependency {
                    dependency: label.to_string(),
                    source: Arc::clone(error),
                });
            }
        }
        Ok(())
    }

    /// Pulls the published manifest list `dependency`, holding its `platforms`, unless local
    /// storage holds that list with their images already: a version is published once, so it
    /// is the same list.
    fn pull_list(
        &self,
        dependency: ImageId,
        image: ImageId,
        platforms: &[Platform],
    ) -> Result<(), EngineError> {
        let label = self.label(dependency);
        let engine = self.tools.engine;
        if engine.holds_list(&label.to_string(), platforms)? {
            log::info!(
                "Using the local list {label}, dependency of {}",
                self.name(image)
            );
            return Ok(());
        }
        log::info!("Pulling list {label}, dependency of {}", self.name(image));
        engine.pull_list(&label.to_string(), platforms)
    }

    /// Renders the `Dockerfile` of `image` and makes its build context, with its labels.
    fn inputs(&self, image: ImageId) -> Result<BuildInputs, Failure> {
        let entry = self.workspace.tree.get(image);
        let dockerfile = self.tools.renderer.render(image)?;
        self.tools.renderer.check_numeric_user(image, &dockerfile)?;
        if let Some(base) = self.options.missing_bases.used_by(&dockerfile) {
            return Err(Failure::MissingBase {
                base: base.reference.clone(),
                source: Arc::clone(&base.error),
            });
        }
        log::info!("Generated dockerfile for {}:\n{dockerfile}", entry.label);
        let labels = self.tools.provenance.labels(entry, &dockerfile)?;
        let context = BuildContext::create(
            &entry.definition.dir,
            entry.name(),
            &dockerfile,
            &self.workspace.confinement,
        )?;
        Ok(BuildInputs {
            context,
            labels: labels.pairs().to_vec(),
        })
    }

    /// The build of `image` from `inputs`, for `platform` or the host's.
    fn request<'r>(
        &'r self,
        image: ImageId,
        inputs: &'r BuildInputs,
        platform: Option<&'r Platform>,
    ) -> BuildRequest<'r> {
        BuildRequest {
            context: inputs.context.path(),
            label: self.label(image),
            also_tagged: &[],
            use_cache: self.options.use_cache,
            squash_steps: self.options.squash_steps,
            build_args: &self.options.build_args,
            labels: &inputs.labels,
            limits: &self.options.limits,
            timeout: self.options.build_timeout,
            platform,
        }
    }

    /// Builds `image` for the host's platform, as one image.
    fn build(&self, image: ImageId) -> Result<(), Failure> {
        let inputs = self.inputs(image)?;
        let label = self.label(image);
        log::info!("{label} - building the image");
        // When publishing, `latest` is named at build time: no tag process afterwards.
        let latest = [label.with_tag("latest")];
        let request = BuildRequest {
            also_tagged: if self.plan.options.publish {
                &latest
            } else {
                &[]
            },
            ..self.request(image, &inputs, None)
        };
        let name = self.name(image);
        self.tools
            .engine
            .build(&request, &mut |line| log::info!("[{name}] {line}"))?;
        Ok(())
    }

    /// Adds `run` (and what its test found) to the record of `platform` of `image`.
    fn record_platform(
        &self,
        image: ImageId,
        platform: &Platform,
        run: StepRun,
        tested: Option<Tested>,
    ) {
        let mut progress = self.progress(image);
        let platforms = &mut progress.platforms;
        let index = match platforms.iter().position(|p| p.platform == *platform) {
            Some(index) => index,
            None => {
                platforms.push(PlatformRun::new(platform.clone()));
                platforms.len() - 1
            }
        };
        platforms[index].steps.push(run);
        if tested.is_some() {
            platforms[index].tested = tested;
        }
    }

    fn verify(&self, image: ImageId) -> Result<(), Failure> {
        let entry = self.workspace.tree.get(image);
        let name = entry.name();
        let mut output = TestOutput::default();
        let platforms: Vec<Option<&Platform>> = match &self.options.platforms {
            Some(platforms) => platforms[image].iter().map(Some).collect(),
            None => vec![None],
        };
        // Each platform's test in turn; the first that fails fails the image. A test file
        // that does not exist is missing for every platform, and each is recorded so.
        let mut verification = Ok(Verification::Passed);
        for platform in platforms {
            let prefix = platform.map(|p| format!("[{p}] ")).unwrap_or_default();
            let mut own_output = TestOutput::default();
            let timer = StepTimer::start(Step::Verify);
            verification = self.tools.verifier.verify(
                &entry.definition.dir,
                &entry.label,
                platform,
                &mut |line| {
                    log::info!("[{name}] {prefix}{line}");
                    output.push(&format!("{prefix}{line}"));
                    own_output.push(line);
                },
            );
            if let Some(platform) = platform {
                let passed = matches!(
                    verification,
                    Ok(Verification::Passed | Verification::Skipped { .. })
                );
                let run = timer.stop(passed);
                self.record_platform(
                    image,
                    platform,
                    run,
                    Some(tested(&verification, &own_output)),
                );
            }
            if verification.is_err() {
                break;
            }
        }
        self.progress(image).tested = Some(tested(&verification, &output));
        if let Verification::Skipped { missing } = verification? {
            log::info!(
                "Could not find path {}, skipping verification of {}",
                missing.display(),
                entry.label.name
            );
        }
        Ok(())
    }

    /// An image that failed its test gives up its label (and the `latest` it got at build
    /// time), so that the next run builds and tests it again rather than finding it built;
    /// it stays in local storage as `TAG-failed`, for inspection.
    fn set_aside(&self, image: ImageId) {
        let label = self.label(image);
        if self.options.platforms.is_some() {
            // A list in local storage never counts as built: the next run builds it again.
            log::warn!("{label} failed its test");
            return;
        }
        let failed = label.with_tag(&format!("{}-failed", label.tag));
        let mut names = vec![label.to_string()];
        if self.plan.options.publish && self.plan.initial(image) == Some(ImageState::ToBuild) {
            names.push(label.with_tag("latest").to_string());
        }
        let engine = self.tools.engine;
        match engine
            .tag(label, &failed)
            .and_then(|()| engine.remove(&names))
        {
            Ok(()) => log::warn!("{label} failed its test: it is kept as {failed} for inspection"),
            Err(error) => log::error!(
                "{label} failed its test and cannot be renamed {failed}, so a run without \
                 publishing may find it built: {error}"
            ),
        }
    }

    /// Publishes the image as `latest`, then as its version: the published check looks for
    /// the version tag, so it is written last, and a run stopped in between leaves the image
    /// unpublished (the next run publishes it again) rather than published without `latest`.
    /// The engine's tool pushes it as `latest`, sending only the layers the registry lacks,
    /// and the registry client gives the version tag to the digest it pushed. When that push
    /// fails, the image is written out by the engine and uploaded by the registry client
    /// instead, each request tried again on its own, so that a flaky registry still receives
    /// all of it. An image built before the run gets its local `latest` here, one built now
    /// got it at build time. A signing engine adds the version's signature to the manifest
    /// pushed before the version tag is written: a tag given in the registry has no
    /// signature of its own, and the version tag must never show without one.
    ///
    /// A manifest list (`platforms` configured) is pushed the same way, with every image it
    /// holds, as `latest`, and the registry gives the version tag to the list's digest. When
    /// signing, the version's signature is added to the list and to each of its images
    /// first: a pull of one platform checks that platform's image alone.
    fn publish(&self, image: ImageId) -> Result<(), Failure> {
        let label = self.label(image);
        let latest = label.with_tag("latest");
        let engine = self.tools.engine;
        if self.plan.initial(image) != Some(ImageState::ToBuild) {
            engine.tag(label, &latest)?;
        }
        if self.options.platforms.is_some() {
            let digest = engine.push_list(label, &latest)?;
            let pushed = match &digest {
                Some(digest) => label.with_tag(digest),
                None => latest,
            };
            engine.sign_list_as(&pushed, label)?;
            self.tools.registry.tag(&pushed, &label.tag)?;
            self.progress(image).digest = digest;
            return Ok(());
        }
        let digest = match engine.push_fast(label, &latest) {
            Ok(digest) => {
                // The digest names exactly what was pushed, whatever `latest` became since.
                let pushed = match &digest {
                    Some(digest) => label.with_tag(digest),
                    None => latest,
                };
                engine.sign_as(&pushed, label)?;
                self.tools.registry.tag(&pushed, &label.tag)?;
                digest
            }
            Err(failed) => self.upload(label, failed)?,
        };
        self.progress(image).digest = digest;
        Ok(())
    }

    /// Publishes `label` request by request after the engine's push `failed`; an engine that
    /// cannot write the image out has no other way, and its failure stands.
    fn upload(&self, label: &ImageLabel, failed: EngineError) -> Result<Option<String>, Failure> {
        let Some(exported) = self.tools.engine.export(label)? else {
            return Err(failed.into());
        };
        log::warn!(
            "{label}: the push failed ({}); uploading it request by request",
            failed.last_words()
        );
        let tags = ["latest", label.tag.as_str()];
        Ok(self.tools.registry.upload(&exported, label, &tags)?)
    }

    /// Checks each tag `publish` wrote, as the registry serves it: a manifest list with each
    /// image it holds.
    fn check_signatures(&self, image: ImageId) -> Result<(), Failure> {
        let label = self.label(image);
        let engine = self.tools.engine;
        for reference in [label.clone(), label.with_tag("latest")] {
            let checked = match &self.options.platforms {
                Some(_) => engine.check_list_signature(&reference),
                None => engine.check_signature(&reference),
            };
            checked.map_err(|source| Failure::Unsigned {
                reference: reference.to_string(),
                source: Box::new(source),
            })?;
        }
        log::info!("{label} - the signatures of its tags verify");
        Ok(())
    }

    fn name(&self, image: ImageId) -> &str {
        self.workspace.tree.get(image).name()
    }
}

impl<'a> Job for Pipeline<'a> {
    type Error = StepError;
    type Build = &'a Platform;

    /// An image the scan found something wrong with (a version that is not a tag, a
    /// published check that failed) fails before anything starts.
    fn check(&self, image: ImageId) -> Result<(), StepError> {
        match self.plan.blocker(image) {
            Some(blocker) => self
                .step(image, Step::Check, || Err(blocker.clone().into()))
                .inspect_err(|error| log::error!("{error}")),
            None => Ok(()),
        }
    }

    fn run(&self, image: ImageId, milestones: &dyn Milestones) -> Result<(), StepError> {
        self.work(image, milestones)
            .inspect_err(|error| log::error!(target: IMAGE_FAILURES, "{error}"))
    }

    fn prepare(&self, image: ImageId) -> Result<Vec<&'a Platform>, StepError> {
        self.prepare_builds(image)
            .inspect_err(|error| log::error!(target: IMAGE_FAILURES, "{error}"))
    }

    fn build(&self, image: ImageId, platform: &&'a Platform) -> Result<(), StepError> {
        self.build_platform(image, platform)
    }

    fn weight(&self, image: ImageId) -> usize {
        self.build_weight(image)
    }

    fn panicked(&self, image: ImageId, message: String) -> StepError {
        let building = self.progress(image).builds.is_some();
        if building {
            return self.fail_builds(image, Failure::Panic(message));
        }
        let step = self.progress(image).current.unwrap_or(Step::Check);
        let error = StepError {
            step,
            image: self.label(image).to_string(),
            failure: Failure::Panic(message),
        };
        log::error!(target: IMAGE_FAILURES, "{error}");
        error
    }

    fn stopping(&self) -> bool {
        process::is_stopping()
    }
}

/// What a verification found, with the lines its test printed.
fn tested<E>(verification: &Result<Verification, E>, output: &TestOutput) -> Tested {
    match verification {
        Ok(Verification::Skipped { missing }) => Tested::NoTest {
            missing: missing.clone(),
        },
        _ => Tested::Ran {
            output: output.text(),
        },
    }
}

/// What each build of an image needs, made once for all its platforms.
struct BuildInputs {
    context: BuildContext,
    labels: Vec<(String, String)>,
}

/// The start of a step, or of a part of a step (one platform's build or test).
#[derive(Debug, Clone, Copy)]
struct StepTimer {
    step: Step,
    started: SystemTime,
    clock: Instant,
}

impl StepTimer {
    fn start(step: Step) -> StepTimer {
        StepTimer {
            step,
            started: SystemTime::now(),
            clock: Instant::now(),
        }
    }

    fn stop(&self, succeeded: bool) -> StepRun {
        StepRun {
            step: self.step,
            started: self.started,
            duration: self.clock.elapsed(),
            succeeded,
        }
    }
}

mod platform_builds;
mod test_slots;
#[cfg(test)]
mod tests;
