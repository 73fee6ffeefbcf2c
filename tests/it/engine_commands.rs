//! The exact command lines of each engine, recorded by a script standing in for the tool:
//! the only way to cover the docker CLI without a daemon, and a check of the flags that the
//! round trips cannot see (limits, cache, the private auth file, insecure registries).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use docker_pkg::engine::container_limits::ContainerLimits;
use docker_pkg::engine::{self, BuildRequest, Engine, EngineKind, EngineSettings, LocalImage};
use docker_pkg::label::ImageLabel;
use docker_pkg::registry::RegistrySettings;
use docker_pkg::registry::credentials::{Credentials, Secret};

use crate::support::RecordingTool;

const DOCKER_IMAGES: &str = concat!(
    r#"{"ID":"sha256:aa","Repository":"r.org:5000/ns/foo","Tag":"1.0","Size":"2MB"}"#,
    "\n",
    r#"{"ID":"sha256:aa","Repository":"r.org:5000/ns/foo","Tag":"latest","Size":"2MB"}"#,
);

/// Settings that run `tool`; `BUILDAH_ISOLATION` is set empty (as good as unset) so that
/// this process's environment does not decide the build flags.
fn settings(kind: EngineKind, tool: &RecordingTool, registry: RegistrySettings) -> EngineSettings {
    EngineSettings {
        kind,
        program: Some(tool.path.clone()),
        registry,
        extra_env: vec![("BUILDAH_ISOLATION".into(), String::new())],
        signing: None,
    }
}

fn registry_with_login(ca_bundle: Option<PathBuf>) -> RegistrySettings {
    RegistrySettings {
        registry: Some("r.org:5000".into()),
        credentials: Some(Credentials {
            username: "builder".into(),
            password: Secret::new("hunter2"),
        }),
        ca_bundle,
        insecure_registries: vec!["insecure.org:5000".into()],
        ..RegistrySettings::default()
    }
}

fn label(text: &str) -> ImageLabel {
    ImageLabel::parse(text).unwrap()
}

/// Builds `r.org:5000/ns/foo:1.0` from `context`, with and without the cache.
fn build_both_ways(engine: &dyn Engine, context: &Path) {
    let limits =
        ContainerLimits::parse("memory=1g,memswap=2g,cpushares=512,cpusetcpus=0-1").unwrap();
    let build_args = [("http_proxy".to_owned(), "http://proxy:8080".to_owned())];
    let label = label("r.org:5000/ns/foo:1.0");
    for use_cache in [false, true] {
        let request = BuildRequest {
            context,
            label: &label,
            also_tagged: &[],
            use_cache,
            squash_steps: false,
            build_args: &build_args,
            labels: &[("org.opencontainers.image.title".into(), "foo".into())],
            limits: &limits,
            timeout: None,
            platform: None,
        };
        engine.build(&request, &mut |_| {}).unwrap();
    }
}

fn build_tail(context: &Path) -> Vec<String> {
    let dockerfile = context.join("Dockerfile").display().to_string();
    let words = [
        "-t",
        "r.org:5000/ns/foo:1.0",
        "--build-arg",
        "http_proxy=http://proxy:8080",
        "--label",
        "org.opencontainers.image.title=foo",
        "--memory",
        "1g",
        "--memory-swap",
        "2g",
        "--cpu-shares",
        "512",
        "--cpuset-cpus",
        "0-1",
        "-f",
        &dockerfile,
        &context.display().to_string(),
    ];
    words.iter().map(|w| (*w).to_owned()).collect()
}

fn words(head: &[&str], tail: &[String]) -> Vec<String> {
    head.iter()
        .map(|w| (*w).to_owned())
        .chain(tail.iter().cloned())
        .collect()
}

/// The one argument of `calls` that starts with `prefix`, without it.
fn flag_value(call: &[String], prefix: &str) -> PathBuf {
    let value = call.iter().find_map(|a| a.strip_prefix(prefix));
    PathBuf::from(value.unwrap_or_else(|| panic!("no {prefix} in {call:?}")))
}

fn assert_private_auth_file(path: &Path) {
    let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{}", path.display());
    let text = std::fs::read_to_string(path).unwrap();
    // base64 of builder:hunter2
    assert_eq!(
        text,
        r#"{"auths":{"r.org:5000":{"auth":"YnVpbGRlcjpodW50ZXIy"}}}"#
    );
}

#[test]
fn docker_command_lines() {
    let tool = RecordingTool::new(
        "docker",
        &format!("if [ \"$1\" = images ]; then echo '{DOCKER_IMAGES}'; fi"),
    );
    let context = tempfile::tempdir().unwrap();
    let engine = engine::connect(settings(
        EngineKind::Docker,
        &tool,
        registry_with_login(None),
    ))
    .unwrap();
    build_both_ways(engine.as_ref(), context.path());
    let images = engine.local_images().unwrap();
    engine
        .tag(
            &label("r.org:5000/ns/foo:1.0"),
            &label("r.org:5000/ns/foo:latest"),
        )
        .unwrap();
    engine.push(&label("r.org:5000/ns/foo:1.0")).unwrap();
    engine.pull("r.org:5000/ns/foo:1.0").unwrap();
    engine
        .remove(&[
            "r.org:5000/ns/foo:1.0".into(),
            "r.org:5000/ns/foo:latest".into(),
        ])
        .unwrap();

    assert_eq!(
        images,
        [LocalImage {
            id: "aa".into(),
            names: vec![
                "r.org:5000/ns/foo:1.0".into(),
                "r.org:5000/ns/foo:latest".into()
            ],
            size: 2_000_000,
        }]
    );
    let calls = tool.calls();
    let config = flag_value(&calls[4], "--config=");
    assert_private_auth_file(&config.join("config.json"));
    let config_flag = format!("--config={}", config.display());
    let tail = build_tail(context.path());
    assert_eq!(
        calls,
        [
            words(&["build", "--pull=false", "--no-cache"], &tail),
            words(&["build", "--pull=false"], &tail),
            words(&["images", "--no-trunc", "--format", "{{json .}}"], &[]),
            words(
                &["tag", "r.org:5000/ns/foo:1.0", "r.org:5000/ns/foo:latest"],
                &[]
            ),
            words(&[&config_flag, "push", "r.org:5000/ns/foo:1.0"], &[]),
            words(
                &[&config_flag, "pull", "--quiet", "r.org:5000/ns/foo:1.0"],
                &[]
            ),
            words(
                &["rmi", "r.org:5000/ns/foo:1.0", "r.org:5000/ns/foo:latest"],
                &[]
            ),
        ]
    );
    drop(engine);
    assert!(
        !config.exists(),
        "the private auth file outlived the engine"
    );
}

/// An isolation the environment chooses is left to the tool.
#[test]
fn buildah_isolation_from_the_environment() {
    let tool = RecordingTool::new("buildah", "exit 0");
    let context = tempfile::tempdir().unwrap();
    let mut settings = settings(EngineKind::Buildah, &tool, RegistrySettings::default());
    settings.extra_env = vec![("BUILDAH_ISOLATION".into(), "oci".into())];
    let engine = engine::connect(settings).unwrap();
    build_both_ways(engine.as_ref(), context.path());
    let calls = tool.calls();
    assert_eq!(calls.len(), 2);
    assert!(
        calls
            .iter()
            .all(|call| !call.iter().any(|a| a == "--isolation")),
        "{calls:?}"
    );
}

/// A build without the cache makes one layer per step, committing an image for each, which
/// the tool keeps; the engine removes them in one `rmi`, all but the image built, and those of
/// a build that failed too, each once. Squashed steps are built without `--layers`.
#[test]
fn intermediate_images_are_removed_and_squashed_steps_have_none() {
    let tool = RecordingTool::new(
        "buildah",
        "if [ \"$1\" = build ]; then echo 'STEP 2/3: RUN true'; echo '--> 1111111111a'; \
         echo '--> Using cache 3333333333c'; echo '--> 2222222222b'; \
         for arg; do case \"$arg\" in *fail*) exit 1;; esac; done; fi; true",
    );
    let context = tempfile::tempdir().unwrap();
    let engine = engine::connect(settings(
        EngineKind::Buildah,
        &tool,
        RegistrySettings::default(),
    ))
    .unwrap();
    let built = label("r.org:5000/ns/foo:1.0");
    let failing = label("r.org:5000/ns/fail:1.0");
    for (label, squash_steps) in [(&built, false), (&failing, false), (&built, true)] {
        let request = BuildRequest {
            context: context.path(),
            label,
            also_tagged: &[],
            use_cache: false,
            squash_steps,
            platform: None,
            build_args: &[],
            labels: &[],
            limits: &ContainerLimits::default(),
            timeout: None,
        };
        let _ = engine.build(&request, &mut |_| {});
    }
    engine.remove_intermediates().unwrap();
    engine.remove_intermediates().unwrap();
    let calls = tool.calls();
    let layers = |call: &Vec<String>| call.iter().any(|a| a == "--layers");
    assert!(layers(&calls[0]) && layers(&calls[1]), "{calls:?}");
    assert!(!layers(&calls[2]), "squashed steps: {:?}", calls[2]);
    assert!(calls[2].iter().any(|a| a == "--no-cache"), "{:?}", calls[2]);
    assert_eq!(
        calls[3..],
        [words(&["rmi", "1111111111a", "2222222222b"], &[])],
        "one rmi, once"
    );
}

/// buildah and podman spell build, push and pull alike; only the listing, and how a push is
/// kept from trying again (`push_once`), differ.
fn containers_command_lines(kind: EngineKind, listing: &[&str], push_once: &[&str]) {
    let tool = RecordingTool::new(
        kind.name(),
        "if [ \"$1\" = images ]; then echo '[]'; fi; \
         previous=; for arg; do [ \"$previous\" = --digestfile ] && echo sha256:feed > \"$arg\"; \
         previous=$arg; done; true",
    );
    let context = tempfile::tempdir().unwrap();
    let ca = context.path().join("ca.pem");
    std::fs::write(&ca, "not really a certificate\n").unwrap();
    let engine = engine::connect(settings(kind, &tool, registry_with_login(Some(ca)))).unwrap();
    build_both_ways(engine.as_ref(), context.path());
    assert_eq!(engine.local_images().unwrap(), []);
    let pushed = engine
        .push_to(
            &label("r.org:5000/ns/foo:1.0"),
            &label("r.org:5000/ns/foo:latest"),
        )
        .unwrap();
    assert_eq!(pushed.as_deref(), Some("sha256:feed"));
    engine.pull("insecure.org:5000/base:1.0").unwrap();
    engine.remove(&[]).unwrap();
    let pushed_fast = engine
        .push_fast(
            &label("r.org:5000/ns/foo:1.0"),
            &label("r.org:5000/ns/foo:latest"),
        )
        .unwrap();
    assert_eq!(pushed_fast.as_deref(), Some("sha256:feed"));

    let calls = tool.calls();
    let fast_digest_file =
        calls[5][calls[5].iter().position(|a| a == "--digestfile").unwrap() + 1].clone();
    let digest_file =
        calls[3][calls[3].iter().position(|a| a == "--digestfile").unwrap() + 1].clone();
    let auth_file = flag_value(&calls[3], "--authfile=");
    let cert_dir = flag_value(&calls[3], "--cert-dir=");
    assert_private_auth_file(&auth_file);
    assert_eq!(
        std::fs::read_to_string(cert_dir.join("ca.crt")).unwrap(),
        "not really a certificate\n"
    );
    let auth = format!("--authfile={}", auth_file.display());
    let certs = format!("--cert-dir={}", cert_dir.display());
    let tail = build_tail(context.path());
    assert_eq!(
        calls[..5],
        [
            words(
                &[
                    "build",
                    "--pull=never",
                    "--format",
                    "docker",
                    "--layers",
                    "--force-rm",
                    "--no-cache",
                    "--isolation",
                    "chroot"
                ],
                &tail
            ),
            words(
                &[
                    "build",
                    "--pull=never",
                    "--format",
                    "docker",
                    "--layers",
                    "--force-rm",
                    "--isolation",
                    "chroot"
                ],
                &tail
            ),
            words(listing, &[]),
            words(
                &[
                    "push",
                    "--quiet",
                    &auth,
                    &certs,
                    "--digestfile",
                    &digest_file,
                    "r.org:5000/ns/foo:1.0",
                    "r.org:5000/ns/foo:latest"
                ],
                &[]
            ),
            words(
                &[
                    "pull",
                    "--quiet",
                    &auth,
                    &certs,
                    "--tls-verify=false",
                    "insecure.org:5000/base:1.0"
                ],
                &[]
            ),
        ]
    );
    let fast_push = [&["push", "--quiet"][..], push_once, &[&auth, &certs]].concat();
    let fast_tail: Vec<String> = [
        "--format",
        "v2s2",
        "--digestfile",
        &fast_digest_file,
        "r.org:5000/ns/foo:1.0",
        "r.org:5000/ns/foo:latest",
    ]
    .map(str::to_owned)
    .into();
    assert_eq!(calls[5..], [words(&fast_push, &fast_tail)]);
    drop(engine);
    assert!(
        !auth_file.exists() && !cert_dir.exists(),
        "private files outlived the engine"
    );
}

#[test]
fn buildah_command_lines() {
    containers_command_lines(
        EngineKind::Buildah,
        &["images", "--json", "--no-trunc"],
        &["--retry", "0"],
    );
}

#[test]
fn podman_command_lines() {
    containers_command_lines(EngineKind::Podman, &["images", "--format", "json"], &[]);
}

/// Without configured credentials nothing is written and the ambient login applies.
#[test]
fn no_credentials_no_auth_file() {
    let tool = RecordingTool::new("buildah", "exit 0");
    let registry = RegistrySettings {
        registry: Some("r.org:5000".into()),
        ..RegistrySettings::default()
    };
    let engine = engine::connect(settings(EngineKind::Buildah, &tool, registry)).unwrap();
    engine.push(&label("r.org:5000/ns/foo:1.0")).unwrap();
    let calls = tool.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0][..2], ["push", "--quiet"]);
    assert_eq!(calls[0][2], "--digestfile");
    assert_eq!(
        calls[0][4..],
        ["r.org:5000/ns/foo:1.0", "r.org:5000/ns/foo:1.0"]
    );
}

/// A failure names the command and quotes the tool's last lines.
#[test]
fn failed_commands() {
    let tool = RecordingTool::new(
        "docker",
        "echo 'Error response from daemon: no such image' >&2; exit 1",
    );
    let engine = engine::connect(settings(
        EngineKind::Docker,
        &tool,
        RegistrySettings::default(),
    ))
    .unwrap();
    let error = engine.remove(&["foo:1.0".into()]).unwrap_err().to_string();
    assert!(
        error.contains(&format!(
            "`{} rmi foo:1.0` failed with exit status: 1",
            tool.path.display()
        )),
        "{error}"
    );
    assert!(
        error.ends_with("Error response from daemon: no such image"),
        "{error}"
    );
}
