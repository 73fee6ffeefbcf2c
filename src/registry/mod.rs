//! The registry side: whether images are published, checked over the registry's HTTP API
//! (one process per image would cost too much for a tree of a hundred images), and the logins
//! and TLS trust that the engine's tools share with that check.

pub mod auth_file;
mod challenge;
mod check;
pub mod credentials;
mod error;
mod exchange;
pub(crate) mod exported_image;
mod logins;
pub mod retry;
mod session;
mod settings;
mod tls;
mod trust;
mod upload;

pub use check::Registry;
pub use error::RegistryError;
pub use settings::RegistrySettings;
pub use trust::TrustSources;

use std::collections::HashMap;
use std::sync::Mutex;

use crate::label::ImageLabel;
use crate::label::platform::Platform;
use crate::registry::exported_image::ExportedImage;

/// What a build run asks of registries; [`Registry`] asks them over their HTTP API.
pub trait RegistryClient: Sync {
    /// Whether each label is in its registry, in the order given; a label that cannot be
    /// checked gets its own error.
    fn published(&self, labels: &[&ImageLabel]) -> Vec<Result<bool, RegistryError>>;

    /// Gives the manifest of `label` in its registry the extra tag `tag`.
    fn tag(&self, label: &ImageLabel, tag: &str) -> Result<(), RegistryError>;

    /// Uploads `image` to the repository of `label` and puts its manifest under each of
    /// `tags`, in order; gives the manifest's digest.
    fn upload(
        &self,
        image: &ExportedImage,
        label: &ImageLabel,
        tags: &[&str],
    ) -> Result<Option<String>, RegistryError>;
}

impl RegistryClient for Registry {
    fn published(&self, labels: &[&ImageLabel]) -> Vec<Result<bool, RegistryError>> {
        let labels: Vec<ImageLabel> = labels.iter().map(|&l| l.clone()).collect();
        Registry::published(self, &labels)
    }

    fn tag(&self, label: &ImageLabel, tag: &str) -> Result<(), RegistryError> {
        Registry::tag(self, label, tag)
    }

    fn upload(
        &self,
        image: &ExportedImage,
        label: &ImageLabel,
        tags: &[&str],
    ) -> Result<Option<String>, RegistryError> {
        Registry::upload(self, image, label, tags)
    }
}

/// The published check of a run that builds manifest lists (`platforms` configured): an
/// image is published only when its version tag is a list holding every platform it is built
/// for, so that a platform added to the configuration rebuilds the images that lack it.
pub struct ListRegistry<'a> {
    registry: &'a Registry,
    /// The platforms wanted of each label (`NAME:TAG`).
    wanted: HashMap<String, Vec<Platform>>,
    /// The wanted platforms that each label's published list lacks, as the check found them.
    lacking: Mutex<HashMap<String, Vec<Platform>>>,
}

impl<'a> ListRegistry<'a> {
    pub fn new(registry: &'a Registry, wanted: HashMap<String, Vec<Platform>>) -> Self {
        ListRegistry {
            registry,
            wanted,
            lacking: Mutex::default(),
        }
    }

    /// The platforms that the published list of `label` lacks, when the published check found
    /// a list of that label without every platform wanted; empty otherwise.
    pub fn lacking(&self, label: &ImageLabel) -> Vec<Platform> {
        self.lacking
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&label.to_string())
            .cloned()
            .unwrap_or_default()
    }
}

impl RegistryClient for ListRegistry<'_> {
    fn published(&self, labels: &[&ImageLabel]) -> Vec<Result<bool, RegistryError>> {
        let owned: Vec<ImageLabel> = labels.iter().map(|&l| l.clone()).collect();
        let answers = self.registry.list_platforms(&owned);
        labels
            .iter()
            .zip(answers)
            .map(|(label, answer)| {
                let wanted = self.wanted.get(&label.to_string());
                Ok(match (answer?, wanted) {
                    (Some(listed), Some(wanted)) => {
                        let lacking = lacking(&listed, wanted);
                        let published = lacking.is_empty();
                        if !published {
                            self.lacking
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner)
                                .insert(label.to_string(), lacking);
                        }
                        published
                    }
                    (Some(_), None) => true,
                    (None, _) => false,
                })
            })
            .collect()
    }

    fn tag(&self, label: &ImageLabel, tag: &str) -> Result<(), RegistryError> {
        self.registry.tag(label, tag)
    }

    fn upload(
        &self,
        image: &ExportedImage,
        label: &ImageLabel,
        tags: &[&str],
    ) -> Result<Option<String>, RegistryError> {
        self.registry.upload(image, label, tags)
    }
}

/// The platforms wanted that are not among those a list names (`linux/arm64/v8`); a platform
/// wanted without a variant takes any variant.
fn lacking(listed: &[String], wanted: &[Platform]) -> Vec<Platform> {
    wanted
        .iter()
        .filter(|platform| {
            let name = platform.to_string();
            !listed.iter().any(|entry| {
                *entry == name
                    || (platform.variant().is_none()
                        && entry
                            .strip_prefix(&name)
                            .is_some_and(|v| v.starts_with('/')))
            })
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_is_published_when_it_holds_every_platform() {
        let platforms = |names: &[&str]| -> Vec<Platform> {
            names.iter().map(|p| p.parse().unwrap()).collect()
        };
        let wanted = platforms(&["linux/amd64", "linux/arm64"]);
        let listed =
            |names: &[&str]| -> Vec<String> { names.iter().map(|n| n.to_string()).collect() };
        assert!(lacking(&listed(&["linux/amd64", "linux/arm64/v8"]), &wanted).is_empty());
        assert!(
            lacking(
                &listed(&["linux/arm64", "linux/amd64", "linux/s390x"]),
                &wanted
            )
            .is_empty()
        );
        assert_eq!(
            lacking(&listed(&["linux/amd64"]), &wanted),
            platforms(&["linux/arm64"])
        );
        assert_eq!(
            lacking(&listed(&[]), &wanted),
            wanted,
            "a single image is no list"
        );
        assert_eq!(
            lacking(&listed(&["linux/amd64", "linux/arm64be"]), &wanted),
            platforms(&["linux/arm64"])
        );
    }
}
