//! A registry and a storage holding a published busybox base image, and scratch copies of
//! the fixture tree of `fixtures/build` with a config for them: what the end-to-end tests of
//! a build start from. Needs `mod harness; mod support;` next to it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use docker_pkg::engine::EngineKind;
use docker_pkg::label::ImageLabel;
use docker_pkg::registry::Registry;

use crate::harness::{Output, Test};
use crate::support::{self, Storage, TestRegistry};

pub struct Setup {
    pub registry: TestRegistry,
    pub storage: Storage,
}

impl Setup {
    /// `None` (the test is skipped) when a tool is missing outside CI; `extra` names more
    /// tools the test needs.
    pub fn new(extra: &[&str]) -> Option<Setup> {
        let ready = support::registry_tools_available(EngineKind::Buildah)
            && support::tools_available(&[&["podman", "skopeo"][..], extra].concat());
        if !ready {
            return None;
        }
        let setup = Setup {
            registry: TestRegistry::start(),
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
            name: format!("{}/ns/{name}", self.registry.address),
            tag: tag.to_owned(),
        }
    }

    pub fn config(&self) -> String {
        format!(
            "registry: {}\nnamespace: ns\nusername: {}\npassword: {}\nca_bundle: {}\n\
             base_images: [\"{}\"]\n",
            self.registry.address,
            self.registry.username,
            self.registry.password,
            self.registry.ca_file.display(),
            self.label("busybox", "1.0"),
        )
    }

    /// A scratch folder with the config, running on this storage, and no image yet.
    pub fn empty_test(&self) -> Test {
        Test::new().config(&self.config()).envs(self.storage.env())
    }

    /// A scratch folder with the fixture tree of `fixtures/build` below `images`.
    pub fn test(&self) -> Test {
        self.empty_test().copy_dir(&fixture_tree(), "images")
    }

    /// Which of `labels` the registry holds.
    pub fn published(&self, labels: &[ImageLabel]) -> Vec<bool> {
        let registry = Registry::new(&self.registry.settings()).unwrap();
        registry
            .published(labels)
            .into_iter()
            .map(|r| r.unwrap())
            .collect()
    }
}

pub fn fixture_tree() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/build/images")
}

/// The JSON file a run wrote, relative to its scratch directory.
pub fn json(output: &Output, relative: &str) -> serde_json::Value {
    let text = output.read(relative);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{relative} is not JSON: {e}\n{text}"))
}

/// The image of a JSON report with that name.
pub fn image<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["images"]
        .as_array()
        .expect("images is a list")
        .iter()
        .find(|image| image["name"] == name)
        .unwrap_or_else(|| panic!("no image {name} in the report"))
}
