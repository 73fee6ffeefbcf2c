//! The tree of fixtures/build (10 images on 3 levels) with what building it end to end needs:
//! a registry with TLS and a password, and a storage holding the busybox base image, published
//! too. Shared by the tests that run `docker-pkg build` for real.

use std::path::Path;

use docker_pkg::engine::EngineKind;
use docker_pkg::label::ImageLabel;
use docker_pkg::registry::{Registry, RegistrySettings};

use crate::harness::{Output, Test, files_below};
use crate::support::{self, Storage, TestRegistry};

pub const IMAGES: [&str; 10] = [
    "base-a", "base-b", "tool-1", "tool-2", "tool-3", "lib", "app-1", "app-2", "app-3", "app-4",
];

/// A registry, a storage holding the busybox base image (published too), and a scratch copy
/// of fixtures/build with a config for them.
pub struct Setup {
    pub registry: TestRegistry,
    pub storage: Storage,
    /// The registry address the tree's images are labelled with: the registry's own, or
    /// that of a proxy in front of it.
    pub address: String,
}

impl Setup {
    /// `None` (the test is skipped) when a tool is missing outside CI.
    pub fn new() -> Option<Setup> {
        let ready = support::registry_tools_available(EngineKind::Buildah)
            && support::tools_available(&["podman", "skopeo"]);
        if !ready {
            return None;
        }
        let registry = TestRegistry::start();
        let setup = Setup {
            address: registry.address.clone(),
            registry,
            storage: Storage::new(),
        };
        let base = setup.label("busybox", "1.0");
        setup.storage.busybox_image(&base.to_string());
        let engine = setup
            .storage
            .engine(EngineKind::Buildah, setup.registry.settings());
        engine.push(&base).expect("the base image is published");
        Some(setup)
    }

    pub fn label(&self, name: &str, tag: &str) -> ImageLabel {
        ImageLabel {
            name: format!("{}/ns/{name}", self.address),
            tag: tag.to_owned(),
        }
    }

    pub fn config(&self) -> String {
        format!(
            "registry: {}\nnamespace: ns\nusername: {}\npassword: {}\nca_bundle: {}\n\
             base_images: [\"{}\"]\n",
            self.address,
            self.registry.username,
            self.registry.password,
            self.registry.ca_file.display(),
            self.label("busybox", "1.0"),
        )
    }

    /// The config without its credentials, which a CI job gets as variables instead
    /// ([`Setup::credentials_env`]).
    pub fn config_without_credentials(&self) -> String {
        self.config()
            .lines()
            .filter(|line| !line.starts_with("username:") && !line.starts_with("password:"))
            .map(|line| format!("{line}\n"))
            .collect()
    }

    /// The credentials as a CI job's variables give them.
    pub fn credentials_env(&self) -> Vec<(String, String)> {
        vec![
            ("DOCKER_PKG_USERNAME".into(), self.registry.username.clone()),
            ("DOCKER_PKG_PASSWORD".into(), self.registry.password.clone()),
        ]
    }

    /// A scratch folder with the fixture tree and the config, running on this storage.
    pub fn test(&self) -> Test {
        Test::new()
            .copy_dir(&fixture("images"), "images")
            .config(&self.config())
            .envs(self.storage.env())
    }

    /// Which of `labels` the registry holds.
    pub fn published(&self, labels: &[ImageLabel]) -> Vec<bool> {
        let settings = RegistrySettings {
            registry: Some(self.address.clone()),
            ..self.registry.settings()
        };
        let registry = Registry::new(&settings).unwrap();
        registry
            .published(labels)
            .into_iter()
            .map(|r| r.unwrap())
            .collect()
    }

    pub fn version_labels(&self) -> Vec<ImageLabel> {
        let tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/build/images");
        IMAGES
            .iter()
            .map(|name| self.label(name, &version_of(&tree, name)))
            .collect()
    }
}

pub fn fixture(relative: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/build")
        .join(relative)
}

/// The version in the changelog of the image called `name`, wherever it sits below `tree`.
pub fn version_of(tree: &Path, name: &str) -> String {
    let text = files_below(tree)
        .into_iter()
        .find(|(path, _)| Path::new(path).ends_with(format!("{name}/changelog")))
        .map(|(_, text)| text)
        .unwrap_or_else(|| panic!("no changelog for {name}"));
    let start = text.find('(').unwrap() + 1;
    let end = text.find(')').unwrap();
    text[start..end].to_owned()
}

pub fn summary_line(output: &Output) -> &str {
    output
        .stdout
        .lines()
        .find(|l| l.starts_with("Built "))
        .unwrap_or_else(|| panic!("no summary\n{output:#?}"))
}
