//! What a built image says of itself: the OCI labels (`org.opencontainers.image.*`) that the
//! engine sets at build time, so that the rendered Dockerfile stays as docker-pkg 4.0.4 writes
//! it, with the configuration's `labels:` and the image's own `labels.yaml` set over them.
//!
//! A label whose value is unknown (no git work tree, no `source_url`, a `FROM scratch`) is set
//! empty rather than left out: an image inherits the labels of the one it is built on, whose
//! revision or source would otherwise pass for its own.

mod base_image;
mod labels;
mod revisions;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::tree::changelog;
use crate::tree::{Image, ImageTree};

pub use base_image::base_image;
pub use labels::{Labels, LabelsError};
use revisions::{Revision, Revisions};

/// The namespace of the labels of the OCI image specification.
const OCI: &str = "org.opencontainers.image";

/// What the labels of every image of a run are made from, besides the image itself.
#[derive(Debug, Clone, Default)]
pub struct ProvenanceSettings {
    /// `source_url`: where the image's source is browsed; `{path}` stands for the image's
    /// folder relative to the top of its git work tree.
    pub source_url: Option<String>,
    /// `labels`: set over the OCI labels of every image.
    pub labels: Labels,
}

/// The labels of the images of one run.
pub struct Provenance {
    settings: ProvenanceSettings,
    /// The start of the run, RFC 3339: one time for every image.
    created: String,
    /// The folder scanned: `{path}` of an image outside any git work tree is relative to it.
    root: PathBuf,
    dirs: Vec<PathBuf>,
    /// Asked of git once, when the first image is built.
    revisions: OnceLock<Revisions>,
}

impl Provenance {
    /// The labels of the images of `tree`, scanned below `root`, for a run started at
    /// `started`.
    pub fn new(
        settings: ProvenanceSettings,
        tree: &ImageTree,
        root: &Path,
        started: DateTime<Utc>,
    ) -> Provenance {
        Provenance {
            settings,
            created: started.to_rfc3339_opts(SecondsFormat::Secs, true),
            root: root.to_owned(),
            dirs: tree
                .images()
                .values()
                .map(|image| image.definition.dir.clone())
                .collect(),
            revisions: OnceLock::new(),
        }
    }

    /// The labels of `image`, whose rendered Dockerfile is `dockerfile`.
    pub fn labels(&self, image: &Image, dockerfile: &str) -> Result<Labels, LabelsError> {
        let dir = &image.definition.dir;
        let revision = self
            .revisions
            .get_or_init(|| Revisions::of(&self.dirs))
            .get(dir);
        let mut labels = Labels::default();
        let mut oci = |name: &str, value: String| labels.set(&format!("{OCI}.{name}"), value);
        oci("title", image.name().to_owned());
        oci("version", image.label.tag.clone());
        oci("created", self.created.clone());
        oci(
            "revision",
            revision.and_then(|r| r.commit.clone()).unwrap_or_default(),
        );
        oci("source", self.source(dir, revision));
        oci("description", description(image)?);
        oci("base.name", base_image(dockerfile).unwrap_or_default());
        labels.overlay(&self.settings.labels);
        labels.overlay(&Labels::read_file(dir)?);
        Ok(labels)
    }

    /// `source_url` with `{path}` filled in for the image in `dir`.
    fn source(&self, dir: &Path, revision: Option<&Revision>) -> String {
        let Some(url) = &self.settings.source_url else {
            return String::new();
        };
        let path = match revision {
            Some(revision) => revision.path.clone(),
            None => slash_path(dir.strip_prefix(&self.root).unwrap_or(dir)),
        };
        url.replace("{path}", &path)
    }
}

/// The first line of the newest changelog entry's changes.
fn description(image: &Image) -> Result<String, LabelsError> {
    let path = image.definition.changelog_path();
    let text = std::fs::read_to_string(&path).map_err(|source| LabelsError::Read {
        path: path.clone(),
        source,
    })?;
    Ok(changelog::newest_summary(&text).unwrap_or_default())
}

fn slash_path(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::label::{Repository, TagSuffix};
    use crate::tree::ImageId;
    use crate::tree::definition::ImageDefinition;
    use labels::LABELS_FILE;

    fn tree(root: &Path) -> ImageTree {
        let dir = root.join("images/app");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("changelog"),
            "app (1.2-1) wikimedia; urgency=medium\n\n  * Add the frobnicator.\n  * More.\n\n \
             -- Jane Doe <jane@example.org>  Mon, 01 Jan 2024 10:00:00 +0000\n",
        )
        .unwrap();
        let definition = ImageDefinition {
            dir,
            name: "app".into(),
            version: "1.2-1".into(),
            depends: vec![],
            outside_links: vec![],
            platforms: None,
        };
        let repository = Repository {
            registry: "r.org:5000".into(),
            namespace: "ns".into(),
        };
        ImageTree::new(vec![definition], &repository, &TagSuffix::None).unwrap()
    }

    fn configured(yaml: &str) -> Labels {
        use serde::Deserialize;
        Labels::deserialize(pyyaml_compat::load(yaml.as_bytes()).unwrap()).unwrap()
    }

    fn started() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-27T10:00:00+01:00")
            .unwrap()
            .with_timezone(&Utc)
    }

    /// Outside any git work tree (a temporary folder): no revision, `{path}` below the root.
    #[test]
    fn every_oci_label_then_the_configured_ones() {
        let root = tempfile::tempdir().unwrap();
        let tree = tree(root.path());
        let settings = ProvenanceSettings {
            source_url: Some("https://git.example.org/images/-/tree/main/{path}".into()),
            labels: configured("vendor: Example\norg.opencontainers.image.title: App"),
        };
        let provenance = Provenance::new(settings, &tree, root.path(), started());
        let image = tree.get(ImageId::nth(0));
        std::fs::write(
            image.definition.dir.join(LABELS_FILE),
            "org.opencontainers.image.description: Per image\n",
        )
        .unwrap();
        let labels = provenance
            .labels(image, "FROM r.org:5000/ns/base:1.0\nRUN true\n")
            .unwrap();
        let expected = [
            ("org.opencontainers.image.title", "App"),
            ("org.opencontainers.image.version", "1.2-1"),
            ("org.opencontainers.image.created", "2026-11-27T09:00:00Z"),
            ("org.opencontainers.image.revision", ""),
            (
                "org.opencontainers.image.source",
                "https://git.example.org/images/-/tree/main/images/app",
            ),
            ("org.opencontainers.image.description", "Per image"),
            (
                "org.opencontainers.image.base.name",
                "r.org:5000/ns/base:1.0",
            ),
            ("vendor", "Example"),
        ];
        let pairs: Vec<(&str, &str)> = labels
            .pairs()
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(pairs, expected);
        std::fs::remove_file(image.definition.dir.join(LABELS_FILE)).unwrap();
        let labels = provenance.labels(image, "FROM scratch\n").unwrap();
        assert_eq!(
            labels.get("org.opencontainers.image.description"),
            Some("Add the frobnicator.")
        );
        assert_eq!(labels.get("org.opencontainers.image.base.name"), Some(""));
    }
}
