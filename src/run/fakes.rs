//! Stand-ins for the registry, local storage and the engine, for tests of planning and of the
//! pipeline that need no container tool: each answers as told and records what it was asked.

use std::collections::HashSet;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use crate::engine::{BuildRequest, Engine, EngineError, LocalImage};
use crate::label::ImageLabel;
use crate::label::platform::Platform;
use crate::process::{ExitStatus, ProcessError};
use crate::registry::exported_image::ExportedImage;
use crate::registry::{RegistryClient, RegistryError};
use crate::run::plan::LocalStorage;

/// A registry holding the labels given; labels in `failing` get an error.
#[derive(Default)]
pub struct FakeRegistry {
    pub published: Mutex<HashSet<String>>,
    pub failing: HashSet<String>,
    pub asked: Mutex<Vec<String>>,
    pub tagged: Mutex<Vec<String>>,
    /// Every manifest written, in order: a push's reference, a tag's `SOURCE as TARGET`.
    pub writes: Mutex<Vec<String>>,
}

impl FakeRegistry {
    pub fn holding(labels: &[&str]) -> FakeRegistry {
        FakeRegistry {
            published: Mutex::new(labels.iter().map(|l| l.to_string()).collect()),
            ..FakeRegistry::default()
        }
    }
}

impl RegistryClient for FakeRegistry {
    fn published(&self, labels: &[&ImageLabel]) -> Vec<Result<bool, RegistryError>> {
        let published = self.published.lock().unwrap();
        labels
            .iter()
            .map(|label| {
                let label = label.to_string();
                self.asked.lock().unwrap().push(label.clone());
                if self.failing.contains(&label) {
                    return Err(RegistryError::Unexpected {
                        registry: "fake".into(),
                        request: format!("HEAD {label}"),
                        status: "500 Internal Server Error".into(),
                        tries: 1,
                    });
                }
                Ok(published.contains(&label))
            })
            .collect()
    }

    fn upload(
        &self,
        image: &ExportedImage,
        label: &ImageLabel,
        tags: &[&str],
    ) -> Result<Option<String>, RegistryError> {
        let mut published = self.published.lock().unwrap();
        for tag in tags {
            let target = label.with_tag(tag).to_string();
            self.writes.lock().unwrap().push(format!("upload {target}"));
            published.insert(target);
        }
        assert!(!image.manifest().is_empty());
        Ok(Some(format!("sha256:{}", label.tag)))
    }

    fn tag(&self, label: &ImageLabel, tag: &str) -> Result<(), RegistryError> {
        let target = label.with_tag(tag).to_string();
        self.tagged.lock().unwrap().push(target.clone());
        self.writes
            .lock()
            .unwrap()
            .push(format!("{label} as {target}"));
        self.published.lock().unwrap().insert(target);
        Ok(())
    }
}

/// Local storage holding the labels given; counts how often it is listed.
#[derive(Default)]
pub struct FakeStorage {
    pub local: HashSet<String>,
    pub listings: usize,
}

impl FakeStorage {
    pub fn holding(labels: &[&str]) -> FakeStorage {
        FakeStorage {
            local: labels.iter().map(|l| l.to_string()).collect(),
            listings: 0,
        }
    }
}

impl LocalStorage for FakeStorage {
    fn contains(&mut self, labels: &[&ImageLabel]) -> Result<Vec<bool>, EngineError> {
        self.listings += 1;
        Ok(labels
            .iter()
            .map(|l| self.local.contains(&l.to_string()))
            .collect())
    }
}

/// The label of a build and the image labels it was given.
pub type BuildLabels = (String, Vec<(String, String)>);

/// An engine that builds, pushes and pulls nothing, records each call as `verb reference`,
/// and fails the builds in `failing_builds`: of a label, or of a label for a platform
/// (`LABEL for PLATFORM`).
pub struct FakeEngine {
    pub calls: Mutex<Vec<String>>,
    pub failing_builds: HashSet<String>,
    /// Pushes also land in this registry, as a real push would.
    pub pushes_to: Option<std::sync::Arc<FakeRegistry>>,
    /// Like docker, it cannot write an image out: it pushes.
    pub pushes_itself: bool,
    /// Its fast pushes fail for a moment (the registry answered 503), as through a flaky
    /// registry.
    pub failing_pushes: bool,
    pub run_dir: tempfile::TempDir,
    /// Whether it signs what it pushes (and so pushes itself, and signs a tag before it is
    /// given in the registry).
    pub signs: bool,
    /// References whose signature check fails.
    pub unsigned: HashSet<String>,
    /// The labels each build was given, by image label.
    pub labels: Mutex<Vec<BuildLabels>>,
    /// The names of the images in local storage, as listed.
    pub local: Vec<String>,
    /// The builds under way.
    pub building: Gauge,
    /// How long each build waits at most for two builds to have been under way at once, so
    /// that builds that may run side by side are seen to.
    pub build_company: Option<Duration>,
}

impl Default for FakeEngine {
    fn default() -> FakeEngine {
        FakeEngine {
            calls: Mutex::default(),
            failing_builds: HashSet::new(),
            pushes_to: None,
            pushes_itself: false,
            failing_pushes: false,
            run_dir: tempfile::tempdir().expect("a temporary directory"),
            signs: false,
            unsigned: HashSet::new(),
            labels: Mutex::default(),
            local: Vec::new(),
            building: Gauge::default(),
            build_company: None,
        }
    }
}

impl FakeEngine {
    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }

    fn record(&self, call: String) {
        self.calls.lock().unwrap().push(call);
    }

    /// Fails as skopeo does for an image the registry serves without signature.
    fn check_signed(&self, image: &ImageLabel) -> Result<(), EngineError> {
        if self.unsigned.contains(&image.to_string()) {
            return Err(EngineError::Process(ProcessError::Failed {
                command: format!("skopeo copy docker://{image}"),
                status: ExitStatus::exited(1),
                tail: "Source image rejected: A signature was required, but no signature exists"
                    .into(),
            }));
        }
        Ok(())
    }
}

impl Engine for FakeEngine {
    fn build(
        &self,
        request: &BuildRequest<'_>,
        on_line: &mut dyn FnMut(&str),
    ) -> Result<Option<String>, EngineError> {
        let label = request.label.to_string();
        let built = match request.platform {
            Some(platform) => format!("{label} for {platform}"),
            None => label.clone(),
        };
        self.record(format!("build {built}"));
        let _building = self.building.enter(self.build_company);
        let labels = (label.clone(), request.labels.to_vec());
        self.labels.lock().unwrap().push(labels);
        on_line("STEP 1/1: FROM scratch");
        if self.failing_builds.contains(&label) || self.failing_builds.contains(&built) {
            return Err(EngineError::Process(ProcessError::Failed {
                command: format!("buildah build -t {label}"),
                status: ExitStatus::exited(1),
                tail: "Error: building at STEP \"RUN false\": exit status 1".into(),
            }));
        }
        Ok(request.platform.map(|_| format!("id-{built}")))
    }

    fn make_list(&self, list: &ImageLabel, images: &[String]) -> Result<(), EngineError> {
        self.record(format!("make list {list} of {}", images.join(", ")));
        Ok(())
    }

    fn local_images(&self) -> Result<Vec<LocalImage>, EngineError> {
        let image = |name: &String| LocalImage {
            id: format!("id-{name}"),
            names: vec![name.clone()],
            size: 0,
        };
        Ok(self.local.iter().map(image).collect())
    }

    fn tag(&self, image: &ImageLabel, target: &ImageLabel) -> Result<(), EngineError> {
        self.record(format!("tag {image} {target}"));
        Ok(())
    }

    fn push_to(
        &self,
        image: &ImageLabel,
        destination: &ImageLabel,
    ) -> Result<Option<String>, EngineError> {
        self.record(format!("push {image} {destination}"));
        if let Some(registry) = &self.pushes_to {
            let destination = destination.to_string();
            registry.writes.lock().unwrap().push(destination.clone());
            registry.published.lock().unwrap().insert(destination);
        }
        Ok(Some(format!("sha256:{}", image.tag)))
    }

    fn push_fast(
        &self,
        image: &ImageLabel,
        destination: &ImageLabel,
    ) -> Result<Option<String>, EngineError> {
        if !self.failing_pushes {
            return self.push_to(image, destination);
        }
        self.record(format!("push {image} {destination}"));
        Err(EngineError::Process(ProcessError::Failed {
            command: format!("buildah push {image} {destination}"),
            status: ExitStatus::exited(125),
            tail: "Error: writing blob: received unexpected HTTP status: 503 Service Unavailable"
                .into(),
        }))
    }

    fn push_list(
        &self,
        list: &ImageLabel,
        destination: &ImageLabel,
    ) -> Result<Option<String>, EngineError> {
        self.record(format!("push list {list} {destination}"));
        self.push_to(list, destination)
    }

    fn sign_as(&self, image: &ImageLabel, identity: &ImageLabel) -> Result<(), EngineError> {
        if self.signs {
            self.record(format!("sign {image} as {identity}"));
        }
        Ok(())
    }

    fn sign_list_as(&self, list: &ImageLabel, identity: &ImageLabel) -> Result<(), EngineError> {
        if self.signs {
            self.record(format!("sign list {list} as {identity}"));
        }
        Ok(())
    }

    fn check_list_signature(&self, list: &ImageLabel) -> Result<(), EngineError> {
        self.record(format!("check list {list}"));
        self.check_signed(list)
    }

    fn check_signature(&self, image: &ImageLabel) -> Result<(), EngineError> {
        self.record(format!("check {image}"));
        self.check_signed(image)
    }

    fn pull(&self, reference: &str) -> Result<(), EngineError> {
        self.record(format!("pull {reference}"));
        Ok(())
    }

    fn pull_list(&self, reference: &str, platforms: &[Platform]) -> Result<(), EngineError> {
        let platforms: Vec<String> = platforms.iter().map(Platform::to_string).collect();
        self.record(format!("pull list {reference} {}", platforms.join(",")));
        Ok(())
    }

    /// Any local image of that name, as if a list of every platform.
    fn holds_list(&self, list: &str, _platforms: &[Platform]) -> Result<bool, EngineError> {
        let wanted = ImageLabel::parse(list).expect("a NAME:TAG");
        Ok(self
            .local_images()?
            .iter()
            .any(|image| image.has_name(&wanted)))
    }

    fn remove(&self, references: &[String]) -> Result<(), EngineError> {
        self.record(format!("remove {}", references.join(" ")));
        Ok(())
    }

    fn remove_list(&self, list: &ImageLabel) -> Result<(), EngineError> {
        self.record(format!("remove list {list}"));
        Ok(())
    }

    fn list_instances(&self, list: &str) -> Result<Vec<String>, EngineError> {
        self.record(format!("list instances {list}"));
        Ok(Vec::new())
    }

    /// An image of one empty config blob.
    fn export(&self, image: &ImageLabel) -> Result<Option<ExportedImage>, EngineError> {
        self.record(format!("export {image}"));
        if self.pushes_itself || self.signs {
            return Ok(None);
        }
        let dir = tempfile::tempdir().expect("a temporary directory");
        let config = "0".repeat(64);
        let manifest =
            format!(r#"{{"config": {{"digest": "sha256:{config}", "size": 2}}, "layers": []}}"#);
        std::fs::write(dir.path().join("manifest.json"), &manifest).expect("a manifest");
        std::fs::write(dir.path().join(config), "{}").expect("a config");
        Ok(Some(ExportedImage::read(dir).expect("a valid fake image")))
    }

    fn storage_run_dir(&self) -> Result<std::path::PathBuf, EngineError> {
        Ok(self.run_dir.path().to_owned())
    }
}

/// How many of some work are under way, and the most that ever were at once.
#[derive(Default)]
pub struct Gauge {
    /// Under way now, and the most at once.
    counts: Mutex<(usize, usize)>,
    changed: Condvar,
}

impl Gauge {
    /// Counts one more under way until the guard goes; with `company`, waits that long at
    /// most for two to have been under way at once (this one and another, unless that
    /// happened before): the other may have ended before this one wakes up.
    pub fn enter(&self, company: Option<Duration>) -> GaugeGuard<'_> {
        let mut counts = self.counts();
        counts.0 += 1;
        counts.1 = counts.1.max(counts.0);
        self.changed.notify_all();
        if let Some(wait) = company {
            let (waited, _) = self
                .changed
                .wait_timeout_while(counts, wait, |counts| counts.1 < 2)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            counts = waited;
        }
        drop(counts);
        GaugeGuard(self)
    }

    /// The most that were under way at once.
    pub fn most(&self) -> usize {
        self.counts().1
    }

    fn counts(&self) -> MutexGuard<'_, (usize, usize)> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One of the work a [`Gauge`] counts, under way while this lives.
pub struct GaugeGuard<'a>(&'a Gauge);

impl Drop for GaugeGuard<'_> {
    fn drop(&mut self) {
        self.0.counts().0 -= 1;
        self.0.changed.notify_all();
    }
}
