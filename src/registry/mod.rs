//! The registry side: whether images are published, checked over the registry's HTTP API
//! (one process per image would cost too much for a tree of a hundred images), and the logins
//! and TLS trust that the engine's tools share with that check.

pub mod auth_file;
mod challenge;
mod check;
mod error;
mod exchange;
mod logins;
mod session;
mod settings;
mod tls;
mod trust;
mod upload;

pub use check::Registry;
pub use error::RegistryError;
pub use settings::RegistrySettings;
pub use trust::TrustSources;

use crate::exported_image::ExportedImage;
use crate::label::ImageLabel;

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
