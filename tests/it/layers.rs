//! Images are published with Docker's layers: one of their own per `RUN`, `COPY` and `ADD`
//! step above their base's, counted in the manifests the registry serves; all of an image's
//! steps in one layer when squashed. The builds leave no intermediate image behind.

use docker_pkg::engine::EngineKind;
use docker_pkg::label::ImageLabel;

use crate::fixture_tree::{Setup, summary_line};
use crate::harness::Test;
use crate::support;

const THREE_STEPS: &str = "FROM {{ \"busybox\" | image_tag }}\nRUN echo one > /one\n\
                           COPY two /two\nENV STEP=3\nRUN cat /two > /three\n";

/// The number of layers in the manifest the registry serves for `label`.
fn published_layers(setup: &Setup, label: &ImageLabel) -> usize {
    let creds = format!("{}:{}", setup.registry.username, setup.registry.password);
    let manifest = support::run(
        "skopeo",
        &[
            "inspect",
            "--raw",
            "--tls-verify=false",
            "--creds",
            &creds,
            &format!("docker://{label}"),
        ],
        &[],
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&manifest).unwrap_or_else(|e| panic!("{e}: {manifest}"));
    manifest["layers"]
        .as_array()
        .unwrap_or_else(|| panic!("no layers in {manifest}"))
        .len()
}

/// A tree of one image with three steps that change files (and one that does not) on the
/// published busybox base, built with `engine` and published, `flags` given to `build`.
fn three_steps(setup: &Setup, engine: EngineKind, flags: &[&str]) -> Test {
    let mut command = vec!["--engine", engine.name(), "build"];
    command.extend(flags);
    command.push("images");
    Test::new()
        .config(&setup.config())
        .envs(setup.storage.env())
        .image("three", "three", "1.0", &["busybox"], THREE_STEPS)
        .file("images/three/two", "two\n")
        .args(command)
}

/// The images in the storage that have no name: what the builds left behind.
fn unnamed_images(setup: &Setup) -> Vec<String> {
    let listed = setup.storage.buildah(&["images", "--all", "--json"]);
    let images: Vec<serde_json::Value> =
        serde_json::from_str(&listed).unwrap_or_else(|e| panic!("{e}: {listed}"));
    images
        .into_iter()
        .filter(|image| image["names"].as_array().is_none_or(Vec::is_empty))
        .map(|image| image["id"].to_string())
        .collect()
}

/// Builds and publishes the three-step image, and gives the layers it has above its base.
fn own_layers(engine: EngineKind, flags: &[&str]) -> Option<usize> {
    let setup = Setup::new()?;
    if !support::registry_tools_available(engine) {
        return None;
    }
    let output = three_steps(&setup, engine, flags)
        .run()
        .success()
        .no_panic();
    assert_eq!(
        summary_line(&output),
        "Built 1, verified 1, published 1, failed 0, skipped 0; 0 already published."
    );
    let image = setup.label("three", "1.0");
    let base = published_layers(&setup, &setup.label("busybox", "1.0"));
    let layers = published_layers(&setup, &image);
    assert_eq!(published_layers(&setup, &image.with_tag("latest")), layers);
    assert_eq!(
        unnamed_images(&setup),
        Vec::<String>::new(),
        "the builds' intermediate images are removed"
    );
    Some(layers - base)
}

#[test]
fn a_three_step_image_has_three_layers_of_its_own_with_buildah() {
    if let Some(own) = own_layers(EngineKind::Buildah, &[]) {
        assert_eq!(own, 3, "RUN, COPY and RUN each make a layer; ENV none");
    }
}

#[test]
fn a_three_step_image_has_three_layers_of_its_own_with_podman() {
    if let Some(own) = own_layers(EngineKind::Podman, &[]) {
        assert_eq!(own, 3, "RUN, COPY and RUN each make a layer; ENV none");
    }
}

#[test]
fn squashed_steps_make_one_layer() {
    if let Some(own) = own_layers(EngineKind::Buildah, &["--squash-steps"]) {
        assert_eq!(own, 1);
    }
}
