//! `docker-pkg prune` end to end, with real buildah on a private storage: old versions go,
//! current versions keep every name, other names and base images stay.

use std::collections::BTreeSet;

use docker_pkg::engine::EngineKind;

use crate::harness::{Output, Test};
use crate::support::{self, Storage};

/// A storage holding the busybox base image `base:1`; `None` (the test is skipped) when a
/// tool is missing outside CI.
fn storage() -> Option<Storage> {
    if !support::build_tools_available(EngineKind::Buildah) {
        return None;
    }
    let storage = Storage::new();
    storage.busybox_image("base:1");
    Some(storage)
}

/// A new image named `names[0]` (an image of its own: a label makes its id differ from the
/// base's), also tagged with the other `names`.
fn image(storage: &Storage, names: &[&str]) {
    let container = storage.buildah(&["from", "--pull=never", "base:1"]);
    let container = container.trim();
    let marker = format!("docker-pkg-test={}", names[0]);
    storage.buildah(&["config", "--label", &marker, container]);
    storage.buildah(&["commit", "--quiet", container, names[0]]);
    storage.buildah(&["rm", container]);
    if names.len() > 1 {
        storage.buildah(&[&["tag", names[0]][..], &names[1..]].concat());
    }
}

/// Every `NAME:TAG` of the storage.
fn names(storage: &Storage) -> BTreeSet<String> {
    storage
        .buildah(&["images", "--format", "{{.Name}}:{{.Tag}}"])
        .lines()
        .map(str::to_owned)
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

/// A tree where foo 1.0 is built on the base image and bar 2.0 on foo, run on `storage`.
fn tree(storage: &Storage, config: &str) -> Test {
    Test::new()
        .config(config)
        .image("foo", "foo", "1.0", &["base"], "FROM base:1\n")
        .image(
            "bar",
            "bar",
            "2.0",
            &["foo"],
            "FROM {{ 'foo' | image_tag }}\n",
        )
        .envs(storage.env())
}

const LOCAL_CONFIG: &str = "base_images: [\"base:1\"]\n";

/// Two versions of foo (`latest` on the current one) and of bar, an old foo that also has a
/// name of another repository, and an image of another name.
fn two_versions(storage: &Storage) {
    image(storage, &["foo:1.0", "foo:latest"]);
    image(storage, &["foo:0.9"]);
    image(storage, &["foo:0.8", "keep:0.8"]);
    image(storage, &["bar:2.0"]);
    image(storage, &["bar:1.0"]);
    image(storage, &["other:1"]);
}

fn summary(output: &Output) -> String {
    let start = output
        .stdout
        .find("== Summary ==\n")
        .unwrap_or_else(|| panic!("no summary\n{output:#?}"));
    output.stdout[start..].to_owned()
}

#[test]
fn prunes_old_versions_dependents_first_then_finds_nothing() {
    let Some(storage) = storage() else { return };
    two_versions(&storage);
    let test = tree(&storage, LOCAL_CONFIG).args(["prune", "images"]);

    let output = test.run().success().no_panic().stdout_has(
        "== Step 0: scanning images ==\n\
         Will prune old versions of the following images:\n\
         * bar:2.0\n\
         * foo:1.0\n\
         == Step 1: pruning images ==\n\
         * Pruning old versions of bar:2.0\n\
         * Pruning old versions of foo:1.0\n\
         == Summary ==\n\
         Removed 3 names:\n\
         * localhost/bar:1.0\n",
    );
    let summary = summary(&output);
    assert!(summary.contains("* localhost/foo:0.9\n"), "{summary}");
    assert!(summary.contains("* localhost/foo:0.8\n"), "{summary}");
    assert!(
        summary.contains(" MB (2 images gone from local storage).\n"),
        "{summary}"
    );
    assert_eq!(
        names(&storage),
        set(&[
            "localhost/base:1",
            "localhost/foo:1.0",
            "localhost/foo:latest",
            "localhost/keep:0.8",
            "localhost/bar:2.0",
            "localhost/other:1",
        ])
    );

    test.run()
        .success()
        .stdout_has("== Summary ==\nNothing removed: no old versions in local storage.\n");
    assert_eq!(names(&storage).len(), 6);
}

#[test]
fn select_limits_what_is_pruned() {
    let Some(storage) = storage() else { return };
    two_versions(&storage);
    tree(&storage, LOCAL_CONFIG)
        .args(["prune", "--select", "*bar:*", "images"])
        .run()
        .success()
        .stdout_has("Will prune old versions of the following images:\n* bar:2.0\n== Step 1")
        .stdout_has("Removed 1 name:\n* localhost/bar:1.0\nFreed ");
    let left = names(&storage);
    assert!(!left.contains("localhost/bar:1.0"));
    assert!(left.contains("localhost/foo:0.9") && left.contains("localhost/foo:0.8"));
}

#[test]
fn nightly_keeps_the_nightly_build_and_removes_the_plain_version() {
    let Some(storage) = storage() else { return };
    image(&storage, &["foo:1.0-20260101"]);
    image(&storage, &["foo:1.0"]);
    image(&storage, &["bar:2.0-20260101", "bar:latest"]);
    image(&storage, &["bar:2.0"]);
    tree(&storage, LOCAL_CONFIG)
        .args(["prune", "--nightly", "20260101", "images"])
        .run()
        .success()
        .stdout_has("* bar:2.0-20260101\n* foo:1.0-20260101\n== Step 1")
        .stdout_has("Removed 2 names:\n* localhost/bar:2.0\n* localhost/foo:1.0\n");
    assert_eq!(
        names(&storage),
        set(&[
            "localhost/base:1",
            "localhost/foo:1.0-20260101",
            "localhost/bar:2.0-20260101",
            "localhost/bar:latest",
        ])
    );
}

#[test]
fn a_registry_with_a_port_and_latest_on_an_old_version() {
    let Some(storage) = storage() else { return };
    let full = |tag: &str| format!("127.0.0.1:5000/ns/foo:{tag}");
    image(&storage, &[&full("1.0")]);
    image(&storage, &[&full("0.9"), &full("latest")]);
    image(&storage, &["foo:0.5"]);
    image(&storage, &["127.0.0.1:5000/ns/bar:2.0"]);
    let config = format!("registry: 127.0.0.1:5000\nnamespace: ns\n{LOCAL_CONFIG}");
    let output = tree(&storage, &config)
        .args(["prune", "images"])
        .run()
        .success()
        .stdout_has("* Pruning old versions of 127.0.0.1:5000/ns/foo:1.0\n")
        .stdout_has("Removed 2 names:\n")
        .stdout_has(" MB (1 image gone from local storage).\n");
    let summary = summary(&output);
    assert!(
        summary.contains(&format!("* {}\n", full("0.9"))),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("* {}\n", full("latest"))),
        "{summary}"
    );
    assert_eq!(
        names(&storage),
        set(&[
            "localhost/base:1",
            "localhost/foo:0.5",
            &full("1.0"),
            "127.0.0.1:5000/ns/bar:2.0",
        ])
    );
}

#[test]
fn a_base_image_of_the_same_name_is_never_touched() {
    let Some(storage) = storage() else { return };
    storage.buildah(&["tag", "base:1", "foo:0.1"]);
    image(&storage, &["foo:1.0"]);
    image(&storage, &["foo:0.9"]);
    tree(&storage, "base_images: [\"base:1\", \"foo:0.1\"]\n")
        .args(["prune", "--select", "foo:*", "images"])
        .run()
        .success()
        .stdout_has("Removed 1 name:\n* localhost/foo:0.9\n");
    assert_eq!(
        names(&storage),
        set(&["localhost/base:1", "localhost/foo:0.1", "localhost/foo:1.0"])
    );
}

#[test]
fn a_failed_removal_is_reported_and_the_others_go_on() {
    let Some(storage) = storage() else { return };
    two_versions(&storage);
    // A working container keeps its image: the tool refuses to remove it.
    storage.buildah(&["from", "--pull=never", "--name", "holder", "foo:0.9"]);
    let output = tree(&storage, LOCAL_CONFIG)
        .args(["prune", "images"])
        .run()
        .code(1)
        .no_panic()
        .stdout_has(" ERROR: cannot remove localhost/foo:0.9 (image ")
        .stdout_has("in use by a container")
        .stdout_has("* Errors pruning old images for foo:1.0\n")
        .stdout_has("Failed to remove 1 old version; see the errors above.\n");
    let summary = summary(&output);
    assert!(summary.contains("* localhost/bar:1.0\n"), "{summary}");
    assert!(summary.contains("* localhost/foo:0.8\n"), "{summary}");
    let left = names(&storage);
    assert!(left.contains("localhost/foo:0.9"));
    assert!(!left.contains("localhost/bar:1.0") && !left.contains("localhost/foo:0.8"));
    storage.buildah(&["rm", "holder"]);
}

#[test]
fn bad_input_removes_nothing() {
    let Some(storage) = storage() else { return };
    two_versions(&storage);
    let before = names(&storage);
    tree(&storage, LOCAL_CONFIG)
        .args(["prune", "--select", "foo:[z-a]", "images"])
        .run()
        .code(2)
        .no_panic()
        .stderr_has("invalid --select pattern `foo:[z-a]`");
    tree(&storage, "base_images: [unclosed\n")
        .args(["prune", "images"])
        .run()
        .code(2)
        .no_panic()
        .stderr_has("config.yaml");
    tree(&storage, LOCAL_CONFIG)
        .file("images/bad/changelog", "bad: not a heading\n")
        .file("images/bad/Dockerfile.template", "FROM base:1\n")
        .args(["prune", "images"])
        .run()
        .code(2)
        .no_panic()
        .stderr_has("images/bad/changelog");
    tree(&storage, LOCAL_CONFIG)
        .args(["prune", "images"])
        .env("DOCKER_PKG_ENGINE_PATH", "/nonexistent/buildah")
        .run()
        .code(2)
        .no_panic()
        .stderr_has("/nonexistent/buildah is not installed");
    assert_eq!(names(&storage), before);
}
