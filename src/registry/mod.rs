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
    pub registry: &'a Registry,
    /// The platforms wanted of each label (`NAME:TAG`).
    pub wanted: HashMap<String, Vec<Platform>>,
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
                    (Some(listed), Some(wanted)) => holds_all(&listed, wanted),
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

/// Whether the platforms a list names (`linux/arm64/v8`) hold every one wanted; a platform
/// wanted without a variant takes any variant.
fn holds_all(listed: &[String], wanted: &[Platform]) -> bool {
    wanted.iter().all(|platform| {
        let name = platform.to_string();
        listed.iter().any(|entry| {
            *entry == name
                || (platform.variant().is_none()
                    && entry
                        .strip_prefix(&name)
                        .is_some_and(|v| v.starts_with('/')))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_is_published_when_it_holds_every_platform() {
        let wanted: Vec<Platform> = ["linux/amd64", "linux/arm64"]
            .iter()
            .map(|p| p.parse().unwrap())
            .collect();
        let listed =
            |names: &[&str]| -> Vec<String> { names.iter().map(|n| n.to_string()).collect() };
        assert!(holds_all(
            &listed(&["linux/amd64", "linux/arm64/v8"]),
            &wanted
        ));
        assert!(holds_all(
            &listed(&["linux/arm64", "linux/amd64", "linux/s390x"]),
            &wanted
        ));
        assert!(!holds_all(&listed(&["linux/amd64"]), &wanted));
        assert!(
            !holds_all(&listed(&[]), &wanted),
            "a single image is no list"
        );
        assert!(!holds_all(
            &listed(&["linux/amd64", "linux/arm64be"]),
            &wanted
        ));
    }
}
