//! The builds of an image's platforms, each a unit of work of its own that the scheduler
//! runs beside the others: prepared once (the lock, what the image is built on, its build
//! context), each made into an image without a name, then gathered into the image's manifest
//! list once all have succeeded. Its test and publishing then follow as for any image.

use std::sync::Arc;

use super::{BuildInputs, Pipeline, StepTimer};
use crate::engine::EngineError;
use crate::label::platform::Platform;
use crate::run::image_state::ImageState;
use crate::run::record::PlatformRun;
use crate::run::step::{Failure, Step, StepError};
use crate::terminal::logging::IMAGE_FAILURES;
use crate::tree::ImageId;

/// How many times longer a build for a foreign platform takes than one for the host's,
/// for the longest chain of work to start first. Under QEMU, what a step runs is translated
/// while the build's own work stays native: measured here with buildah on busybox, a build
/// of one `echo` step took 1.3 times as long for linux/arm64 as for linux/amd64, one of a
/// shell loop and checksums 8 times. Real steps (`apt-get`, compilers) sit between.
const EMULATED_BUILD_WEIGHT: usize = 4;

/// The builds of an image's platforms, from when they are prepared until they are gathered.
pub(super) struct PlatformBuilds {
    /// What they share; gone once one failed, and removed when the last of those running
    /// ends.
    inputs: Option<Arc<BuildInputs>>,
    /// Started with the first: the image's build step.
    pub(super) timer: StepTimer,
    /// The image each build made, by id, as they end.
    pub(super) images: Vec<(Platform, String)>,
    failed: bool,
}

impl<'a> Pipeline<'a> {
    /// Takes the lock of `image` and pulls what it is built on, then, when it is to be built,
    /// makes what the builds of its platforms share and gives those platforms. Nothing when
    /// no `platforms` are configured, or when it is not to be built: `work` does all there
    /// is.
    pub(super) fn prepare_builds(&self, image: ImageId) -> Result<Vec<&'a Platform>, StepError> {
        let options = self.options;
        let Some(platforms) = &options.platforms else {
            return Ok(Vec::new());
        };
        let lock = self.begin(image)?;
        let to_build = self.state(image) == Some(ImageState::ToBuild);
        if to_build {
            log::info!("{}: {} started", self.label(image), Step::Build);
            let timer = StepTimer::start(Step::Build);
            let inputs = match self.inputs(image) {
                Ok(inputs) => inputs,
                // The build step fails before any platform's build starts.
                Err(failure) => {
                    return self
                        .step_from(image, timer, || Err(failure))
                        .map(|()| Vec::new());
                }
            };
            let mut progress = self.progress(image);
            progress.builds = Some(PlatformBuilds {
                inputs: Some(Arc::new(inputs)),
                timer,
                images: Vec::new(),
                failed: false,
            });
            // Recorded in the order of its platforms, whichever build ends first.
            progress.platforms = platforms[image]
                .iter()
                .map(|platform| PlatformRun::new(platform.clone()))
                .collect();
        }
        self.progress(image).lock = Some(lock);
        match to_build {
            true => Ok(platforms[image].iter().collect()),
            false => Ok(Vec::new()),
        }
    }

    /// Builds `image` for `platform`, as [`prepare_builds`](Self::prepare_builds) made ready.
    pub(super) fn build_platform(
        &self,
        image: ImageId,
        platform: &Platform,
    ) -> Result<(), StepError> {
        let inputs = self
            .progress(image)
            .builds
            .as_ref()
            .and_then(|builds| builds.inputs.clone());
        let Some(inputs) = inputs else {
            let unprepared = EngineError::Output {
                command: format!("build of {} for {platform}", self.label(image)),
                message: "internal error: its builds were not prepared".to_owned(),
            };
            return Err(self.fail_builds(image, unprepared.into()));
        };
        match self.build_for(image, &inputs, platform) {
            Ok(id) => {
                if let Some(builds) = self.progress(image).builds.as_mut() {
                    builds.images.push((platform.clone(), id));
                }
                Ok(())
            }
            Err(failure) => Err(self.fail_builds(image, failure)),
        }
    }

    /// Builds `image` for `platform` as an image without a name, and gives its id.
    fn build_for(
        &self,
        image: ImageId,
        inputs: &BuildInputs,
        platform: &Platform,
    ) -> Result<String, Failure> {
        let label = self.label(image);
        let name = self.name(image);
        log::info!("{label}: {} for {platform} started", Step::Build);
        let timer = StepTimer::start(Step::Build);
        let request = self.request(image, inputs, Some(platform));
        let built = self.tools.engine.build(&request, &mut |line| {
            log::info!("[{name}] [{platform}] {line}")
        });
        let how = if built.is_ok() { "done" } else { "failed" };
        let took = crate::process::humanize(timer.clock.elapsed());
        log::info!("{label}: {} for {platform} {how} after {took}", Step::Build);
        self.record_platform(image, platform, timer.stop(built.is_ok()), None);
        let unnamed = || EngineError::Output {
            command: format!("build of {label} for {platform}"),
            message: "the engine gave no id of the image built".to_owned(),
        };
        Ok(built?.ok_or_else(unnamed)?)
    }

    /// Fails the build step of `image` with `failure`, once whatever the builds that fail:
    /// its lock goes (the builds of its other platforms still running make images without a
    /// name, which nothing else sees), and so do their inputs once the last has ended.
    pub(super) fn fail_builds(&self, image: ImageId, failure: Failure) -> StepError {
        let mut progress = self.progress(image);
        let lock = progress.lock.take();
        let mut record = None;
        if let Some(builds) = progress.builds.as_mut()
            && !builds.failed
        {
            builds.failed = true;
            builds.inputs = None;
            record = Some(builds.timer.stop(false));
        }
        progress.steps.extend(record.clone());
        drop(progress);
        drop(lock);
        let label = self.label(image);
        if let Some(run) = record {
            let took = crate::process::humanize(run.duration);
            log::info!("{label}: {} failed after {took}", Step::Build);
        }
        let error = StepError {
            step: Step::Build,
            image: label.to_string(),
            failure,
        };
        log::error!(target: IMAGE_FAILURES, "{error}");
        error
    }

    /// Gathers `images`, those the builds of each platform of `image` made, into its
    /// manifest list, in the order of its platforms; named `latest` too when publishing.
    pub(super) fn gather(
        &self,
        image: ImageId,
        mut images: Vec<(Platform, String)>,
    ) -> Result<(), Failure> {
        let label = self.label(image);
        if let Some(platforms) = &self.options.platforms {
            let order = &platforms[image];
            images.sort_by_key(|(platform, _)| order.iter().position(|p| p == platform));
        }
        let ids: Vec<String> = images.into_iter().map(|(_, id)| id).collect();
        self.tools.engine.make_list(label, &ids)?;
        if self.plan.options.publish {
            self.tools.engine.tag(label, &label.with_tag("latest"))?;
        }
        Ok(())
    }

    /// What the work of `image` weighs beside that of others: its slowest build, as its
    /// builds run side by side.
    pub(super) fn build_weight(&self, image: ImageId) -> usize {
        let Some(platforms) = &self.options.platforms else {
            return 1;
        };
        platforms[image]
            .iter()
            .map(|platform| match platform.is_native() {
                true => 1,
                false => EMULATED_BUILD_WEIGHT,
            })
            .max()
            .unwrap_or(1)
    }
}
