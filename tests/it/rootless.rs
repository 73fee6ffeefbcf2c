//! Building without root, end to end, as a CI runner does: as a user with subordinate ids, in
//! its default rootless storage and with a runtime folder of its own, `docker-pkg build`
//! builds fixtures/rootless (six images on three levels), runs their `test.sh` (which call
//! `docker run`) and publishes them to a registry with TLS and a password, then finds nothing
//! to do; its private files stay in the user's runtime folder, closed to others. A user
//! without subordinate ids is told what is missing. The tests run as root, to make the user.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use docker_pkg::engine::EngineKind;
use docker_pkg::label::ImageLabel;
use docker_pkg::registry::Registry;

use crate::harness::{Output, Test};
use crate::support::{self, RecordingTool, RuntimeDir, Storage, TestRegistry, UnprivilegedUser};

const IMAGES: [&str; 6] = ["base", "tools", "runtime", "app", "cli", "service"];
const NAMESPACE: &str = "rootless";

/// podman for a user on this kind of machine: runc and rlimits a user may set, as for root
/// (see tests/support/storage.rs), and the host's network, since podman's own network for
/// users (slirp4netns) needs `/dev/net/tun`, which such machines keep closed to users.
const CONTAINERS_CONF: &str = "[containers]
default_ulimits = [\"nofile=20000:20000\", \"nproc=4096:4096\"]
netns = \"host\"
[engine]
runtime = \"runc\"
events_logger = \"none\"
";

#[test]
fn buildah_builds_verifies_and_publishes_without_root() {
    builds_verifies_and_publishes_without_root(EngineKind::Buildah);
}

#[test]
fn podman_builds_verifies_and_publishes_without_root() {
    builds_verifies_and_publishes_without_root(EngineKind::Podman);
}

fn builds_verifies_and_publishes_without_root(engine: EngineKind) {
    let ready = support::rootless_available()
        && support::registry_tools_available(engine)
        && support::tools_available(&["podman"]);
    if !ready {
        return;
    }
    let registry = TestRegistry::start();
    let base = publish_base_image(&registry);
    let user = UnprivilegedUser::runner();
    let runtime = RuntimeDir::of(&user);
    let test = user_test(&user, &registry, &base)
        .env("XDG_RUNTIME_DIR", &runtime.path().display().to_string())
        .args(["--engine", engine.name(), "build", "images"]);

    let watch = PrivateFolders::watch(runtime.path(), user.uid);
    let output = succeeded(test.run());
    let seen = watch.stop();
    assert_eq!(
        summary_line(&output),
        "Built 6, verified 6, published 6, failed 0, skipped 0; 0 already published."
    );
    let log = output.read("docker-pkg-build.log");
    let checked = format!(
        "private files: in {}, closed to others",
        runtime.path().display()
    );
    assert_eq!(
        log.matches(&checked).count(),
        6,
        "every test.sh checks\n{log}"
    );
    seen.assert_private(&user);
    let storage = user.home.join(".local/share/containers/storage");
    assert!(
        storage.is_dir(),
        "the user's default storage holds the images"
    );
    let versions = version_labels(&registry);
    let latest: Vec<ImageLabel> = versions.iter().map(|l| l.with_tag("latest")).collect();
    assert_eq!(published(&registry, &versions), [true; 6]);
    assert_eq!(published(&registry, &latest), [true; 6]);

    let again = succeeded(test.run());
    assert_eq!(
        summary_line(&again),
        "Built 0, verified 0, published 0, failed 0, skipped 0; 6 already published."
    );
    assert_eq!(
        docker_pkg_entries(runtime.path()),
        Vec::<String>::new(),
        "nothing is left in the runtime folder"
    );
}

#[test]
fn a_user_without_subordinate_ids_is_told_what_is_missing() {
    if !support::rootless_available() {
        return;
    }
    let user = UnprivilegedUser::nobody();
    assert!(
        !user.has_subordinate_uids(),
        "this test needs a user without subordinate ids, and /etc/subuid gives nobody some"
    );
    let recorder = RecordingTool::new("buildah", "exit 0");
    let test = Test::new()
        .copy_dir(&fixture(), "images")
        .config("registry: \"\"\n");
    user.give(test.path());
    user.give(recorder.path.parent().expect("the tool's folder"));
    let binary = user.reachable(Path::new(env!("CARGO_BIN_EXE_docker-pkg")), test.path());
    let home = test.path().display().to_string();
    let output = test
        .launcher(user.launcher(&binary))
        .envs(user.env())
        .env("HOME", &home)
        .env(
            "DOCKER_PKG_ENGINE_PATH",
            &recorder.path.display().to_string(),
        )
        .args(["build", "images"])
        .run()
        .code(2)
        .no_panic();
    let lines: Vec<&str> = output.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one message\n{output:#?}");
    assert!(
        lines[0].starts_with(
            "docker-pkg: error: /etc/subuid and /etc/subgid have no entry for nobody (uid \
             65534): buildah and podman need subordinate ids to build without root; as root: \
             usermod --add-subuids "
        ),
        "{output:#?}"
    );
    assert!(
        !output.stdout.contains("Step"),
        "nothing started\n{output:#?}"
    );
    assert_eq!(recorder.calls(), Vec::<Vec<String>>::new(), "no tool ran");
}

/// The busybox base image, published by root from a storage of its own.
fn publish_base_image(registry: &TestRegistry) -> ImageLabel {
    let storage = Storage::new();
    let base = label(registry, "busybox", "1.0");
    storage.busybox_image(&base.to_string());
    let engine = storage.engine(EngineKind::Buildah, registry.settings());
    engine.push(&base).expect("the base image is published");
    base
}

/// The fixture tree, a config for `registry` and a containers.conf, all given to
/// `user`, and a command line that runs `docker-pkg` as `user`.
fn user_test(user: &UnprivilegedUser, registry: &TestRegistry, base: &ImageLabel) -> Test {
    let ca = std::fs::read_to_string(&registry.ca_file).expect("the registry's certificate");
    let test = Test::new()
        .copy_dir(&fixture(), "images")
        .file("ca.crt", &ca)
        .file("containers.conf", CONTAINERS_CONF);
    let config = format!(
        "registry: {}\nnamespace: {NAMESPACE}\nusername: {}\npassword: {}\nca_bundle: {}\n\
         base_images: [\"{base}\"]\n",
        registry.address,
        registry.username,
        registry.password,
        test.path().join("ca.crt").display(),
    );
    let test = test.config(&config);
    user.give(test.path());
    let binary = user.reachable(Path::new(env!("CARGO_BIN_EXE_docker-pkg")), test.path());
    let containers_conf = test.path().join("containers.conf").display().to_string();
    test.launcher(user.launcher(&binary))
        .envs(user.env())
        .env("CONTAINERS_CONF", &containers_conf)
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rootless/images")
}

fn label(registry: &TestRegistry, name: &str, tag: &str) -> ImageLabel {
    ImageLabel {
        name: format!("{}/{NAMESPACE}/{name}", registry.address),
        tag: tag.to_owned(),
    }
}

/// The label of every image of the fixture tree, at the version of its changelog.
fn version_labels(registry: &TestRegistry) -> Vec<ImageLabel> {
    IMAGES
        .iter()
        .map(|name| {
            let changelog = fixture().join(name).join("changelog");
            let text = std::fs::read_to_string(&changelog).expect("a changelog");
            let version = text.split(['(', ')']).nth(1).expect("a version");
            label(registry, name, version)
        })
        .collect()
}

fn published(registry: &TestRegistry, labels: &[ImageLabel]) -> Vec<bool> {
    let registry = Registry::new(&registry.settings()).expect("a registry client");
    registry
        .published(labels)
        .into_iter()
        .map(|answer| answer.expect("the registry answers"))
        .collect()
}

/// `output` of a run that went well; else a failure that shows the log, where the output of
/// the tools and of the verify scripts is.
fn succeeded(output: Output) -> Output {
    if output.code != Some(0) {
        let log = output.read("docker-pkg-build.log");
        panic!("docker-pkg failed\n{output:#?}\nits log:\n{log}");
    }
    output.no_panic()
}

fn summary_line(output: &Output) -> &str {
    output
        .stdout
        .lines()
        .find(|l| l.starts_with("Built "))
        .unwrap_or_else(|| panic!("no summary\n{output:#?}"))
}

/// The names below `dir` that docker-pkg gives its temporary folders.
fn docker_pkg_entries(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with("docker-pkg-"))
        .collect()
}

/// Watches, while a build runs, the temporary folders docker-pkg makes: in the runtime
/// folder (the build contexts live only while their image builds, so a verify script
/// cannot see them) and in `/tmp`, where only images written out for upload may go.
struct PrivateFolders {
    running: Arc<AtomicBool>,
    thread: JoinHandle<Seen>,
}

/// Every folder seen, with its owner and mode.
#[derive(Default)]
struct Seen {
    in_runtime: BTreeMap<String, (u32, u32)>,
    in_tmp: BTreeMap<String, (u32, u32)>,
}

impl PrivateFolders {
    fn watch(runtime: &Path, uid: u32) -> PrivateFolders {
        let running = Arc::new(AtomicBool::new(true));
        let (flag, runtime) = (Arc::clone(&running), runtime.to_owned());
        let thread = std::thread::spawn(move || {
            let mut seen = Seen::default();
            while flag.load(Ordering::Relaxed) {
                seen.in_runtime.extend(owners_and_modes(&runtime, 2));
                let tmp = owners_and_modes(Path::new("/tmp"), 1);
                seen.in_tmp
                    .extend(tmp.into_iter().filter(|(_, (owner, _))| *owner == uid));
                std::thread::sleep(Duration::from_millis(10));
            }
            seen
        });
        PrivateFolders { running, thread }
    }

    fn stop(self) -> Seen {
        self.running.store(false, Ordering::Relaxed);
        self.thread.join().expect("the watch ends")
    }
}

/// docker-pkg's folders in `dir` and, `depth` above 1, in those folders (a folder of the run
/// may hold the others), with their owner and mode.
fn owners_and_modes(dir: &Path, depth: usize) -> Vec<(String, (u32, u32))> {
    let mut found = Vec::new();
    for name in docker_pkg_entries(dir) {
        let path = dir.join(&name);
        let Ok(metadata) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if !metadata.is_dir() {
            continue;
        }
        if depth > 1 {
            found.extend(owners_and_modes(&path, depth - 1));
        }
        found.push((name, (metadata.uid(), metadata.mode() & 0o7777)));
    }
    found
}

impl Seen {
    /// The build context of every image and the registry access were all in the runtime
    /// folder, the user's, mode 0700; in `/tmp`, only the run's folder for large files
    /// (exported images, the tools' temporary files) and for what tests are given (the
    /// `docker` of verify scripts), mode 0700 too.
    fn assert_private(&self, user: &UnprivilegedUser) {
        let names: Vec<&String> = self.in_runtime.keys().collect();
        for prefix in IMAGES.iter().chain(&["registry"]) {
            let prefix = format!("docker-pkg-{prefix}-");
            assert!(
                names.iter().any(|name| name.starts_with(&prefix)),
                "no {prefix}… folder seen in the runtime folder: {names:?}"
            );
        }
        for (name, &(owner, mode)) in &self.in_runtime {
            assert_eq!((owner, mode), (user.uid, 0o700), "{name}: owner and mode");
        }
        for (name, &(_, mode)) in &self.in_tmp {
            let large =
                name.starts_with("docker-pkg-run-") || name.starts_with("docker-pkg-export-");
            assert!(large && mode == 0o700, "{name} in /tmp, mode {mode:o}");
        }
    }
}
