//! The configured password reaches the tools only through the private auth file: never on a
//! command line, in streamed output or in an error.

use docker_pkg::engine::container_limits::ContainerLimits;
use docker_pkg::engine::{BuildRequest, EngineKind, EngineSettings};
use docker_pkg::label::ImageLabel;
use docker_pkg::registry::credentials::Secret;

use crate::support::{self, RecordingTool, Storage, TestRegistry};

/// Where the real buildah is, for the wrapper to hand over to.
fn real_buildah() -> String {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("buildah"))
        .find(|candidate| candidate.is_file())
        .map(|found| found.display().to_string())
        .expect("buildah on PATH")
}

#[test]
fn password_is_on_no_command_line_nor_in_any_output() {
    if !support::registry_tools_available(EngineKind::Buildah) {
        return;
    }
    let registry = TestRegistry::start();
    let storage = Storage::new();
    storage.busybox_image("busybox-base:1.0");
    let wrapper = RecordingTool::new("buildah", &format!("exec '{}' \"$@\"", real_buildah()));
    let settings = |password: &str| {
        let mut registry_settings = registry.settings();
        if let Some(credentials) = &mut registry_settings.credentials {
            credentials.password = Secret::new(password);
        }
        EngineSettings {
            kind: EngineKind::Buildah,
            program: Some(wrapper.path.clone()),
            registry: registry_settings,
            ..EngineSettings::default()
        }
    };
    let engine = storage.engine_with(settings(&registry.password));
    let label = ImageLabel::parse(&format!("{}/tests/secret:1.0", registry.address)).unwrap();
    let context = storage.context("secret", "FROM busybox-base:1.0\nRUN echo built\n");
    let mut output = Vec::new();
    let request = BuildRequest {
        context: &context,
        label: &label,
        also_tagged: &[],
        use_cache: false,
        squash_steps: false,
        build_args: &[],
        labels: &[],
        limits: &ContainerLimits::default(),
        timeout: None,
        platform: None,
    };
    engine
        .build(&request, &mut |line| output.push(line.to_owned()))
        .unwrap_or_else(|e| panic!("{e}"));
    engine.push(&label).unwrap_or_else(|e| panic!("{e}"));
    engine
        .pull(&label.to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    let missing = format!("{}/tests/secret:no-such-tag", registry.address);
    output.push(engine.pull(&missing).unwrap_err().to_string());

    // A wrong password (the real one with a suffix) must not show either.
    let wrong_password = format!("{}-wrong", registry.password);
    let wrong = storage.engine_with(settings(&wrong_password));
    let refused = wrong.push(&label).unwrap_err().to_string();
    assert!(
        refused.contains("authentication required") || refused.contains("unauthorized"),
        "{refused}"
    );
    output.push(refused);

    let argv = wrapper.record();
    assert!(argv.contains("--authfile="), "{argv}");
    let text = output.join("\n");
    for secret in [&registry.password, &wrong_password] {
        assert!(
            !argv.contains(secret.as_str()),
            "the password is on a command line: {argv}"
        );
        assert!(
            !text.contains(secret.as_str()),
            "the password is in the output: {text}"
        );
    }
}
