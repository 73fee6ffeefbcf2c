//! Building for several platforms: `platforms:`, `--platform` and an image's `platforms`
//! file, checked when the run starts; a foreign platform this machine cannot emulate stops
//! the run before anything is built.

use docker_pkg::engine::signing::Signing;
use docker_pkg::engine::{EngineKind, EngineSettings};
use docker_pkg::label::ImageLabel;
use docker_pkg::label::platform::Platform;

use crate::harness::Test;
use crate::support::{self, Storage, TestRegistry};

/// An engine that is not there: a run refused with its message never got to the engine.
const CONFIG: &str = "engine: buildah\nengine_path: /nowhere/buildah\n";

/// Exit code 2 with one error line holding `message`, and no build started.
fn assert_refused(test: Test, args: &[&str], message: &str) {
    let output = test
        .args(["build"])
        .args(args.iter().copied())
        .args(["images"])
        .run()
        .code(2)
        .no_panic();
    let errors: Vec<&str> = output
        .stderr
        .lines()
        .filter(|l| l.starts_with("docker-pkg: error: "))
        .collect();
    assert_eq!(errors.len(), 1, "{output:#?}");
    assert!(errors[0].contains(message), "{output:#?}");
    assert!(!output.stdout.contains("Step 1"), "{output:#?}");
}

fn tree(config: &str) -> Test {
    Test::new()
        .config(config)
        .image("base", "base", "1.0", &[], "FROM scratch\n")
        .image("app", "app", "1.0", &["base"], "FROM base\n")
}

#[test]
fn a_platform_list_is_checked_when_the_configuration_is_read() {
    assert_refused(
        tree(&format!("{CONFIG}platforms: [linux/amd64, linux/vax]\n")),
        &[],
        "config key `platforms`: `linux/vax`: unknown architecture `vax`",
    );
    assert_refused(
        tree(&format!("{CONFIG}platforms: [linux/amd64, linux/amd64]\n")),
        &[],
        "config key `platforms`: linux/amd64 is listed twice",
    );
    assert_refused(
        tree(&format!("{CONFIG}platforms: []\n")),
        &[],
        "config key `platforms`: must name at least one platform",
    );
}

#[test]
fn the_platform_flag_is_checked_too() {
    let output = tree(CONFIG)
        .args(["build", "--platform", "linux/amd64,windows/arm64", "images"])
        .run()
        .code(2)
        .no_panic();
    assert!(
        output
            .stderr
            .contains("`windows/arm64`: only linux images are built"),
        "{output:#?}"
    );
}

#[test]
fn a_platforms_file_that_is_not_a_list_of_platforms() {
    let test = tree(CONFIG).file(
        "images/app/platforms",
        "linux/amd64\nlinux/arm64 linux/s390x\n",
    );
    assert_refused(
        test,
        &[],
        "images/app/platforms: `linux/arm64 linux/s390x` is not a platform",
    );
}

/// Images may only narrow the platforms of the run: an image left with none is an error of
/// the tree, named, before anything is built.
#[test]
fn an_image_left_without_platform() {
    let test = tree(CONFIG).file("images/base/platforms", "# not on arm64\nlinux/amd64\n");
    assert_refused(
        test,
        &["--platform", "linux/arm64"],
        "base is built for none of the platforms of this run (linux/arm64)",
    );
}

/// Debian's qemu-user-static registers no interpreter for big-endian arm64: a platform this
/// machine cannot run, whatever else is set up.
#[test]
fn a_foreign_platform_without_emulator_is_refused_with_the_fix() {
    let entry = std::path::Path::new("/proc/sys/fs/binfmt_misc/qemu-aarch64_be");
    assert!(
        !entry.exists(),
        "this test needs a platform without an interpreter, and {} is registered",
        entry.display()
    );
    let test = tree(CONFIG);
    assert_refused(
        test.clone(),
        &["--platform", "linux/amd64,linux/arm64be"],
        "cannot build for linux/arm64be on this machine",
    );
    assert_refused(
        test.clone(),
        &["--platform", "linux/amd64,linux/arm64be"],
        "apt-get install qemu-user-static binfmt-support",
    );
    assert_refused(
        test,
        &["--platform", "linux/amd64,linux/arm64be"],
        "mount binfmt_misc -t binfmt_misc /proc/sys/fs/binfmt_misc",
    );
}

/// A dry run with `platforms` set names each image's platforms; it needs no container tool,
/// since a list in local storage never counts as built.
#[test]
fn a_dry_run_names_the_platforms_of_each_image() {
    let test = tree(&format!("{CONFIG}platforms: [linux/amd64]\n")).image(
        "extra",
        "extra",
        "2.0",
        &["base"],
        "FROM base\n",
    );
    let output = test.args(["build", "--dry-run", "images"]).run().success();
    for (label, platforms) in [
        ("base:1.0", "[linux/amd64]"),
        ("extra:2.0", "[linux/amd64]"),
    ] {
        let line = format!("* {label} {platforms}: build, verify");
        assert!(output.stdout.contains(&line), "{line}\n{output:#?}");
    }
}

/// The images of the end-to-end tree: name, what it is built on, and whether its `RUN` step
/// writes the machine it ran on.
const TREE: [(&str, &str); 4] = [
    ("tools", "busybox"),
    ("lib", "tools"),
    ("app", "lib"),
    ("solo", "busybox"),
];
/// A fifth image, on `tools`, whose `platforms` file narrows it to linux/amd64.
const AMD64_ONLY: &str = "amd64-only";

/// A registry, a storage holding the two-platform busybox base (linux/amd64 and
/// linux/arm64), and a tree of four images on it whose tests record what they ran.
struct ListSetup {
    registry: TestRegistry,
    /// Holds the images; removed on drop.
    storage: Storage,
    /// The configuration of `test`.
    config: String,
    test: Test,
    /// Where each test appends `PLATFORM MACHINE` lines, one file per image.
    results: std::path::PathBuf,
}

impl ListSetup {
    fn new(engine: EngineKind) -> Option<ListSetup> {
        let ready = support::registry_tools_available(engine)
            && support::tools_available(&["podman", "apt-get", "dpkg-deb"])
            && support::arm64_emulation_available();
        if !ready {
            return None;
        }
        let registry = TestRegistry::start();
        let storage = Storage::new();
        let base = format!("{}/ns/busybox:1.0", registry.address);
        storage.busybox_list(&base, &support::arm64_busybox());
        let results = storage.scratch("results");
        let config = format!(
            "registry: {}\nnamespace: ns\nusername: {}\npassword: {}\nca_bundle: {}\n\
             base_images: [\"{base}\"]\nengine: {}\nplatforms: [linux/amd64, linux/arm64]\n",
            registry.address,
            registry.username,
            registry.password,
            registry.ca_file.display(),
            engine.name(),
        );
        let mut test = Test::new().config(&config).envs(storage.env());
        let narrowed = [(AMD64_ONLY, "tools")];
        for (name, parent) in TREE.iter().chain(&narrowed).copied() {
            let template = format!(
                "FROM {{{{ \"{parent}\" | image_tag }}}}\nRUN echo \"$(uname -m)\" > /{name}-built-on\n"
            );
            let script = format!(
                "#!/bin/bash\nset -e\nmachine=$(docker run --rm \"$1\" uname -m)\n\
                 built_on=$(docker run --rm \"$1\" cat /{name}-built-on)\n\
                 echo \"$TEST_PLATFORM $machine $built_on\" >> {}/{name}\necho \"ran on $machine\"\n",
                results.display()
            );
            test = test
                .image(name, name, "1.0", &[parent], &template)
                .file(&format!("images/{name}/test.sh"), &script);
            std::fs::set_permissions(
                test.path().join(format!("images/{name}/test.sh")),
                std::os::unix::fs::PermissionsExt::from_mode(0o755),
            )
            .unwrap();
        }
        test = test.file(
            &format!("images/{AMD64_ONLY}/platforms"),
            "# its upstream exists for amd64 alone\nlinux/amd64\n",
        );
        Some(ListSetup {
            registry,
            storage,
            config,
            test,
            results,
        })
    }

    fn label(&self, name: &str, tag: &str) -> ImageLabel {
        ImageLabel {
            name: format!("{}/ns/{name}", self.registry.address),
            tag: tag.to_owned(),
        }
    }

    /// The platforms of the list each tag names in the registry, sorted.
    fn listed(&self, name: &str, tag: &str) -> Vec<String> {
        self.registry.listed(&self.label(name, tag))
    }

    /// Deletes from the registry the image of `platform` that the list `name:tag` holds,
    /// leaving the list as it is.
    fn delete_image_of(&self, name: &str, tag: &str, platform: &str) {
        let digest = self.image_of(name, tag, platform);
        let login = format!("{}:{}", self.registry.username, self.registry.password);
        let ca = self.registry.ca_file.display().to_string();
        support::run(
            "curl",
            &[
                "-sSf",
                "--cacert",
                &ca,
                "-u",
                &login,
                "-X",
                "DELETE",
                &self.manifest_url(name, &digest),
            ],
            &[],
        );
    }

    /// The digest of the image of `platform` (`os/architecture`) that the list `name:tag`
    /// holds in the registry.
    fn image_of(&self, name: &str, tag: &str, platform: &str) -> String {
        let list: serde_json::Value = serde_json::from_str(&self.manifest(
            name,
            tag,
            "application/vnd.docker.distribution.manifest.list.v2+json",
        ))
        .unwrap();
        list["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| {
                let p = &m["platform"];
                format!(
                    "{}/{}",
                    p["os"].as_str().unwrap(),
                    p["architecture"].as_str().unwrap()
                ) == platform
            })
            .and_then(|m| m["digest"].as_str())
            .unwrap_or_else(|| panic!("no {platform} in {list}"))
            .to_owned()
    }

    /// The manifest `name:reference` (a tag or a digest) as the registry serves it for
    /// `accept`.
    fn manifest(&self, name: &str, reference: &str, accept: &str) -> String {
        let login = format!("{}:{}", self.registry.username, self.registry.password);
        let ca = self.registry.ca_file.display().to_string();
        support::run(
            "curl",
            &[
                "-sSf",
                "--cacert",
                &ca,
                "-u",
                &login,
                "-H",
                &format!("Accept: {accept}"),
                &self.manifest_url(name, reference),
            ],
            &[],
        )
    }

    fn manifest_url(&self, name: &str, reference: &str) -> String {
        format!(
            "https://{}/v2/ns/{name}/manifests/{reference}",
            self.registry.address
        )
    }

    /// Pushes the base list to the registry, where a run refreshing base images finds it.
    fn push_base(&self) {
        let base = self.label("busybox", "1.0").to_string();
        self.storage.push_list(&base, &self.registry);
    }

    /// What each test recorded, by image.
    fn recorded(&self, name: &str) -> Vec<String> {
        std::fs::read_to_string(self.results.join(name))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// Every image of a tree on a two-platform base is built for both platforms (`RUN` under
/// QEMU for arm64), tested once per platform (its `docker run` running that platform's
/// image), and published as a list of exactly those two platforms under its version tag and
/// `latest`; a second run does nothing. The tree is first published for amd64 alone: adding
/// arm64 rebuilds every image, whose list lacks it. An image whose arm64 image the registry
/// loses is built again, alone.
fn a_tree_is_published_as_lists_of_every_platform(engine: EngineKind) {
    let Some(setup) = ListSetup::new(engine) else {
        return;
    };
    let build = |extra: &[&str]| {
        let test = setup
            .test
            .clone()
            .args(["build"])
            .args(extra.iter().copied());
        test.args(["images"]).run().success()
    };
    let amd64_only = build(&["--platform", "linux/amd64"]);
    assert!(
        amd64_only
            .stdout
            .contains("Built 5, verified 5, published 5, failed 0"),
        "{amd64_only:#?}"
    );
    for (name, _) in TREE {
        assert_eq!(setup.listed(name, "1.0"), ["linux/amd64"], "{name}");
    }
    let plan = build(&["--dry-run"]);
    for (name, platforms) in [
        (
            "lib",
            "[linux/amd64, linux/arm64; not published: linux/arm64]: build, verify, publish",
        ),
        (AMD64_ONLY, "[linux/amd64]: nothing (already published)"),
    ] {
        let line = format!("* {} {platforms}", setup.label(name, "1.0"));
        assert!(plan.stdout.contains(&line), "{line}\n{plan:#?}");
    }

    // arm64 added: every list lacks it, so every image is built again, for both.
    let reports = setup.results.join("reports");
    let (json, junit) = (reports.join("run.json"), reports.join("junit.xml"));
    let output = build(&[
        "--report",
        json.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert!(
        output
            .stdout
            .contains("Built 4, verified 4, published 4, failed 0, skipped 0; 1 already published"),
        "{output:#?}"
    );
    for (name, _) in TREE {
        for tag in ["1.0", "latest"] {
            assert_eq!(
                setup.listed(name, tag),
                ["linux/amd64", "linux/arm64"],
                "{name}:{tag}"
            );
        }
        assert_eq!(
            setup.recorded(name),
            [
                "linux/amd64 x86_64 x86_64",
                "linux/amd64 x86_64 x86_64",
                "linux/arm64 aarch64 aarch64"
            ],
            "{name}: each platform's test ran that platform's image, built on that platform"
        );
    }

    assert_eq!(setup.listed(AMD64_ONLY, "1.0"), ["linux/amd64"]);
    assert_eq!(setup.listed(AMD64_ONLY, "latest"), ["linux/amd64"]);
    assert_reports_per_platform(&setup, &json, &junit);
    assert_eq!(
        setup.recorded(AMD64_ONLY),
        ["linux/amd64 x86_64 x86_64"],
        "built and tested once, for amd64 alone"
    );

    let again = build(&[]);
    assert!(
        again.stdout.contains("Every selected image is up to date."),
        "{again:#?}"
    );
    for (name, _) in TREE {
        assert_eq!(setup.recorded(name).len(), 3, "{name} was not tested again");
    }

    // The registry loses app's arm64 image: app alone is built again, for both platforms.
    setup.delete_image_of("app", "1.0", "linux/arm64");
    assert_eq!(setup.listed("app", "1.0"), ["linux/amd64"]);
    let repaired = build(&[]);
    assert!(
        repaired
            .stdout
            .contains("Built 1, verified 1, published 1, failed 0, skipped 0; 4 already published"),
        "{repaired:#?}"
    );
    assert_eq!(setup.listed("app", "1.0"), ["linux/amd64", "linux/arm64"]);
    assert_eq!(setup.recorded("app").len(), 5);
}

/// A fresh storage rebuilds a child of a published tree without rebuilding its parents: the
/// parent's published list is pulled with each platform's image, and so is the base list
/// when base images are refreshed. `app` (on `lib`) and `solo` (on the base) get a new
/// version; each is built for both platforms on what was pulled, tested on each, and
/// published as a list of both; nothing else is built.
fn a_fresh_storage_builds_on_pulled_lists(engine: EngineKind) {
    let Some(setup) = ListSetup::new(engine) else {
        return;
    };
    setup.push_base();
    let first = setup.test.clone().args(["build", "images"]).run().success();
    assert!(
        first
            .stdout
            .contains("Built 5, verified 5, published 5, failed 0"),
        "{first:#?}"
    );

    let fresh = Storage::new();
    let mut test = setup.test.clone().envs(fresh.env());
    for name in ["app", "solo"] {
        test = test.file(
            &format!("images/{name}/changelog"),
            &crate::harness::changelog_entry(name, "1.1"),
        );
    }
    let output = test.args(["build", "images"]).run().success();
    assert!(
        output
            .stdout
            .contains("Built 2, verified 2, published 2, failed 0, skipped 0; 3 already published"),
        "{output:#?}"
    );
    for name in ["app", "solo"] {
        for tag in ["1.1", "latest"] {
            assert_eq!(
                setup.listed(name, tag),
                ["linux/amd64", "linux/arm64"],
                "{name}:{tag}"
            );
        }
        let recorded = setup.recorded(name);
        assert_eq!(
            recorded[recorded.len() - 2..],
            ["linux/amd64 x86_64 x86_64", "linux/arm64 aarch64 aarch64"],
            "{name}: each platform's test ran that platform's image, built on that platform"
        );
    }
    for (name, _) in TREE.iter().filter(|(n, _)| !["app", "solo"].contains(n)) {
        assert_eq!(setup.recorded(name).len(), 2, "{name} was not built again");
    }
    let lib = setup.label("lib", "1.0").to_string();
    let base = setup.label("busybox", "1.0").to_string();
    for list in [&lib, &base] {
        let inspected: serde_json::Value =
            serde_json::from_str(&fresh.buildah(&["manifest", "inspect", list])).unwrap();
        let mut platforms: Vec<&str> = inspected["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["platform"]["architecture"].as_str().unwrap())
            .collect();
        platforms.sort();
        assert_eq!(platforms, ["amd64", "arm64"], "{list} pulled as a list");
        assert_eq!(
            list_instances(&fresh, list).len(),
            2,
            "{list}: both images pulled"
        );
    }
    let names = fresh.buildah(&["images", "--format", "{{.Name}}"]);
    assert!(!names.contains("docker-pkg-list-read"), "{names}");
}

/// Pulling a list for a platform it lacks fails naming that platform, and leaves the local
/// list of that name as it was; the platforms it holds are pulled into a fresh storage, the
/// list replacing an image of the same name.
#[test]
fn a_list_is_pulled_only_whole() {
    let Some(setup) = ListSetup::new(EngineKind::Buildah) else {
        return;
    };
    setup.push_base();
    let base = setup.label("busybox", "1.0").to_string();
    let before = list_instances(&setup.storage, &base);
    let engine = setup
        .storage
        .engine(EngineKind::Buildah, setup.registry.settings());
    let platforms = |names: &[&str]| -> Vec<Platform> {
        names.iter().map(|name| name.parse().unwrap()).collect()
    };
    let error = engine
        .pull_list(&base, &platforms(&["linux/amd64", "linux/s390x"]))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("the manifest list {base} holds no image for linux/s390x")
    );
    assert_eq!(list_instances(&setup.storage, &base), before);
    let names = setup.storage.buildah(&["images", "--format", "{{.Name}}"]);
    assert!(!names.contains("docker-pkg-list-read"), "{names}");

    // An image of the host's platform alone under that name, as a run without platforms
    // leaves it, is replaced by the list.
    let fresh = Storage::new();
    fresh.busybox_image(&base);
    let engine = fresh.engine(EngineKind::Buildah, setup.registry.settings());
    assert!(
        !engine
            .holds_list(&base, &platforms(&["linux/amd64"]))
            .unwrap()
    );
    engine
        .pull_list(&base, &platforms(&["linux/amd64", "linux/arm64"]))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(list_instances(&fresh, &base).len(), 2);
    let holds = |list: &str, names: &[&str]| engine.holds_list(list, &platforms(names)).unwrap();
    assert!(holds(&base, &["linux/amd64", "linux/arm64"]));
    assert!(!holds(&base, &["linux/amd64", "linux/s390x"]));
    let amd64 = format!(
        "localhost/busybox-amd64-{}:latest",
        base.replace(['/', ':'], "-")
    );
    let engine = setup
        .storage
        .engine(EngineKind::Buildah, setup.registry.settings());
    assert!(
        !engine
            .holds_list(&amd64, &platforms(&["linux/amd64"]))
            .unwrap(),
        "an image is no list"
    );
}

/// In a fresh storage, a base list that the registry does not hold fails the images built
/// on it alone, naming it: `solo` on the base fails, `app` on the pulled `lib` list is built.
#[test]
fn a_base_list_that_cannot_be_pulled_fails_only_the_images_on_it() {
    let Some(setup) = ListSetup::new(EngineKind::Buildah) else {
        return;
    };
    setup.test.clone().args(["build", "images"]).run().success();
    let fresh = Storage::new();
    let mut test = setup.test.clone().envs(fresh.env());
    for name in ["app", "solo"] {
        test = test.file(
            &format!("images/{name}/changelog"),
            &crate::harness::changelog_entry(name, "1.1"),
        );
    }
    let output = test.args(["build", "images"]).run().code(1);
    let base = setup.label("busybox", "1.0");
    assert!(
        output
            .stdout
            .contains("Built 1, verified 1, published 1, failed 1"),
        "{output:#?}"
    );
    assert!(
        output
            .stdout
            .contains(&format!("cannot build on base image {base}")),
        "{output:#?}"
    );
    assert_eq!(setup.listed("app", "1.1"), ["linux/amd64", "linux/arm64"]);
    assert!(setup.listed("solo", "1.1").is_empty());
}

#[test]
fn buildah_builds_on_pulled_lists() {
    a_fresh_storage_builds_on_pulled_lists(EngineKind::Buildah);
}

#[test]
fn podman_builds_on_pulled_lists() {
    a_fresh_storage_builds_on_pulled_lists(EngineKind::Podman);
}

/// The reports of the run that added arm64: each rebuilt image's build and test, per
/// platform, in the JSON report, and a JUnit test case per image and platform.
fn assert_reports_per_platform(setup: &ListSetup, json: &std::path::Path, junit: &std::path::Path) {
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    let junit = std::fs::read_to_string(junit).unwrap();
    let image = |name: &str| -> &serde_json::Value {
        let images = report["images"].as_array().unwrap();
        images.iter().find(|i| i["name"] == name).unwrap()
    };
    for (name, _) in TREE {
        let platforms = image(name)["platforms"].as_array().unwrap();
        let names: Vec<&str> = platforms
            .iter()
            .map(|p| p["platform"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["linux/amd64", "linux/arm64"], "{name}: {report:#}");
        for (platform, machine) in platforms.iter().zip(["x86_64", "aarch64"]) {
            let steps: Vec<(&str, bool)> = platform["steps"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| (s["step"].as_str().unwrap(), s["succeeded"] == true))
                .collect();
            assert_eq!(steps, [("build", true), ("verify", true)], "{platform:#}");
            assert!(platform["steps"][1]["duration_ms"].as_u64().unwrap() > 0);
            let test = &platform["test"];
            assert_eq!(
                (&test["ran"], &test["passed"]),
                (&true.into(), &true.into())
            );
            // podman may warn before the test's own line: only the platform's line counts.
            let output = test["output"].as_str().unwrap();
            let ran_on: Vec<&str> = output.lines().filter(|l| l.starts_with("ran on")).collect();
            assert_eq!(ran_on, [format!("ran on {machine}")], "{platform:#}");
        }
        for platform in ["linux/amd64", "linux/arm64"] {
            let case = format!(
                "<testcase name=\"{} [{platform}]\" classname=\"docker-pkg.{name}\"",
                setup.label(name, "1.0")
            );
            assert!(junit.contains(&case), "{case}\n{junit}");
        }
    }
    assert!(
        image(AMD64_ONLY).get("platforms").is_none(),
        "up to date, not worked on: {report:#}"
    );
    assert!(junit.contains("tests=\"8\" failures=\"0\""), "{junit}");
}

#[test]
fn buildah_publishes_a_tree_as_lists_of_every_platform() {
    a_tree_is_published_as_lists_of_every_platform(EngineKind::Buildah);
}

#[test]
fn podman_publishes_a_tree_as_lists_of_every_platform() {
    a_tree_is_published_as_lists_of_every_platform(EngineKind::Podman);
}

/// The docker engine builds one platform: a run asked for several stops before anything is
/// built, and says what to do.
#[test]
fn the_docker_engine_refuses_several_platforms() {
    let config = "engine: docker\nengine_path: /nowhere/docker\nplatforms: [linux/amd64]\n";
    assert_refused(
        tree(config),
        &[],
        "the docker engine cannot build for several platforms here: with `platforms` set, use \
         engine buildah or podman",
    );
}

/// A multi-platform run interrupted at moments of its publishing (SIGINT: as the first
/// image's publishing starts, a little after the second's, as the fourth's starts) leaves each
/// tag either absent or a complete list, never a list lacking a platform; a rerun completes.
/// The moments are read from the run's log, so that a slow or busy machine moves them along.
#[test]
fn an_interrupted_publish_leaves_nothing_or_a_complete_list() {
    const SIGINT: i32 = 2;
    let names: Vec<&str> = TREE.iter().map(|(name, _)| *name).collect();
    let (mut interrupted, mut midway) = (0, 0);
    for (publishing, after) in [(1, 0), (2, 300), (4, 0)] {
        let Some(setup) = ListSetup::new(EngineKind::Buildah) else {
            return;
        };
        let mut running = setup.test.clone().args(["build", "images"]).spawn();
        let moment = format!("the publishing of image {publishing}, then {after} ms");
        if running.wait_for_log(": publish started", publishing) {
            std::thread::sleep(std::time::Duration::from_millis(after));
            running.signal(SIGINT);
        }
        let output = running.wait().no_panic();
        interrupted += usize::from(output.code == Some(128 + SIGINT));
        let published = names.iter().filter(|n| !setup.listed(n, "1.0").is_empty());
        let published = published.count();
        midway += usize::from(published > 0 && published < names.len());
        for name in &names {
            for tag in ["1.0", "latest"] {
                let listed = setup.listed(name, tag);
                assert!(
                    listed.is_empty() || listed == ["linux/amd64", "linux/arm64"],
                    "{name}:{tag} after an interruption at {moment}: {listed:?}\n{output:#?}"
                );
            }
        }
        setup.test.clone().args(["build", "images"]).run().success();
        for name in &names {
            for tag in ["1.0", "latest"] {
                assert_eq!(setup.listed(name, tag), ["linux/amd64", "linux/arm64"]);
            }
        }
    }
    assert!(interrupted >= 2, "only {interrupted} runs were interrupted");
    assert!(
        midway >= 1,
        "no run was interrupted while publishing the tree"
    );
}

/// The ids of the local images that the manifest list `list` holds.
fn list_instances(storage: &Storage, list: &str) -> std::collections::BTreeSet<String> {
    let inspected: serde_json::Value =
        serde_json::from_str(&storage.buildah(&["manifest", "inspect", list])).unwrap();
    let digests: Vec<&serde_json::Value> = inspected["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["digest"])
        .collect();
    let images: serde_json::Value =
        serde_json::from_str(&storage.buildah(&["images", "--json", "--no-trunc"])).unwrap();
    images
        .as_array()
        .unwrap()
        .iter()
        .filter(|image| digests.contains(&&image["digest"]))
        .map(|image| image["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Every image id in the storage.
fn image_ids(storage: &Storage) -> std::collections::BTreeSet<String> {
    let listed = storage.buildah(&["images", "--all", "--no-trunc", "--format", "{{.ID}}"]);
    listed.lines().map(str::to_owned).collect()
}

/// A tree built for two platforms at 1.0 then at 2.0: `prune` removes the old list and the
/// image of each platform it held, and leaves the current list whole.
fn prune_removes_old_lists_with_the_images_they_hold(engine: EngineKind) {
    let ready = support::build_tools_available(engine)
        && support::tools_available(&["apt-get", "dpkg-deb"])
        && support::arm64_emulation_available();
    if !ready {
        return;
    }
    let storage = Storage::new();
    storage.busybox_list("localhost/busybox:1.0", &support::arm64_busybox());
    let config = format!(
        "base_images: [\"localhost/busybox:1.0\"]\nengine: {}\n\
         platforms: [linux/amd64, linux/arm64]\n",
        engine.name()
    );
    let tree = |version: &str| {
        let template = format!("FROM localhost/busybox:1.0\nRUN echo {version} > /version\n");
        Test::new()
            .config(&config)
            .image("tool", "tool", version, &["busybox"], &template)
            .envs(storage.env())
    };
    tree("1.0").args(["build", "images"]).run().success();
    let old = list_instances(&storage, "localhost/tool:1.0");
    assert_eq!(old.len(), 2, "{old:?}");
    let current = tree("2.0");
    current.clone().args(["build", "images"]).run().success();
    let new = list_instances(&storage, "localhost/tool:2.0");
    assert_eq!(new.len(), 2, "{new:?}");
    let base = list_instances(&storage, "localhost/busybox:1.0");

    let output = current.clone().args(["prune", "images"]).run().success();
    assert!(
        output
            .stdout
            .contains("== Summary ==\nRemoved 1 name:\n* localhost/tool:1.0\n"),
        "{output:#?}"
    );
    assert!(
        output.stdout.contains("(3 images gone from local storage)"),
        "the list and its two images: {output:#?}"
    );
    let ids = image_ids(&storage);
    assert!(old.is_disjoint(&ids), "{old:?} left in {ids:?}");
    assert!(new.is_subset(&ids) && base.is_subset(&ids), "{ids:?}");
    assert_eq!(list_instances(&storage, "localhost/tool:2.0"), new);

    current
        .args(["prune", "images"])
        .run()
        .success()
        .stdout_has("== Summary ==\nNothing removed: no old versions in local storage.\n");
}

#[test]
fn buildah_prunes_old_lists_with_the_images_they_hold() {
    prune_removes_old_lists_with_the_images_they_hold(EngineKind::Buildah);
}

#[test]
fn podman_prunes_old_lists_with_the_images_they_hold() {
    prune_removes_old_lists_with_the_images_they_hold(EngineKind::Podman);
}

/// A platform added to `platforms` rebuilds every image: a tree published for linux/amd64
/// and linux/arm64 on a three-platform base is built again whole once the run names
/// linux/s390x too (emulated, big-endian), and each list then holds the three.
#[test]
fn adding_a_third_platform_rebuilds_every_image() {
    let ready = support::registry_tools_available(EngineKind::Buildah)
        && support::tools_available(&["podman", "apt-get", "dpkg-deb"])
        && support::arm64_emulation_available()
        && support::emulation_available("s390x", "qemu-s390x");
    if !ready {
        return;
    }
    let registry = TestRegistry::start();
    let storage = Storage::new();
    let base = format!("{}/ns/busybox:1.0", registry.address);
    let (arm64, s390x) = (support::arm64_busybox(), support::foreign_busybox("s390x"));
    storage.busybox_list_of(&base, &[("arm64", &arm64), ("s390x", &s390x)]);
    let results = storage.scratch("results");
    let config = format!(
        "registry: {}\nnamespace: ns\nusername: {}\npassword: {}\nca_bundle: {}\n\
         base_images: [\"{base}\"]\nengine: buildah\n\
         platforms: [linux/amd64, linux/arm64, linux/s390x]\n",
        registry.address,
        registry.username,
        registry.password,
        registry.ca_file.display(),
    );
    let mut test = Test::new().config(&config).envs(storage.env());
    let tree = [("tools", "busybox"), ("app", "tools")];
    for (name, parent) in tree {
        let template =
            format!("FROM {{{{ \"{parent}\" | image_tag }}}}\nRUN uname -m > /{name}-built-on\n");
        let script = format!(
            "#!/bin/bash\nset -e\nbuilt_on=$(docker run --rm \"$1\" cat /{name}-built-on)\n\
             echo \"$TEST_PLATFORM $built_on\" >> {}/{name}\n",
            results.display()
        );
        test = test
            .image(name, name, "1.0", &[parent], &template)
            .file(&format!("images/{name}/test.sh"), &script);
        std::fs::set_permissions(
            test.path().join(format!("images/{name}/test.sh")),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
    }
    let label = |name: &str, tag: &str| ImageLabel {
        name: format!("{}/ns/{name}", registry.address),
        tag: tag.to_owned(),
    };
    let build = |extra: &[&str]| {
        let test = test.clone().args(["build"]).args(extra.iter().copied());
        test.args(["images"]).run().success()
    };
    let recorded = |name: &str| -> Vec<String> {
        let text = std::fs::read_to_string(results.join(name)).unwrap_or_default();
        text.lines().map(str::to_owned).collect()
    };

    let two = build(&["--platform", "linux/amd64,linux/arm64"]);
    assert!(
        two.stdout
            .contains("Built 2, verified 2, published 2, failed 0"),
        "{two:#?}"
    );
    for (name, _) in tree {
        assert_eq!(
            registry.listed(&label(name, "1.0")),
            ["linux/amd64", "linux/arm64"]
        );
    }

    let plan = build(&["--dry-run"]);
    for (name, _) in tree {
        let line = format!(
            "* {} [linux/amd64, linux/arm64, linux/s390x; not published: linux/s390x]: build, \
             verify, publish",
            label(name, "1.0")
        );
        assert!(plan.stdout.contains(&line), "{line}\n{plan:#?}");
    }

    let three = build(&[]);
    assert!(
        three
            .stdout
            .contains("Built 2, verified 2, published 2, failed 0"),
        "{three:#?}"
    );
    for (name, _) in tree {
        for tag in ["1.0", "latest"] {
            assert_eq!(
                registry.listed(&label(name, tag)),
                ["linux/amd64", "linux/arm64", "linux/s390x"],
                "{name}:{tag}"
            );
        }
        assert_eq!(
            recorded(name),
            [
                "linux/amd64 x86_64",
                "linux/arm64 aarch64",
                "linux/amd64 x86_64",
                "linux/arm64 aarch64",
                "linux/s390x s390x",
            ],
            "{name}: each platform's image was built on that platform and tested there"
        );
    }

    let again = build(&[]);
    assert!(
        again.stdout.contains("Every selected image is up to date."),
        "{again:#?}"
    );
}

/// A home whose `registries.d` says, for the registry at `address`, `settings` (YAML lines
/// indented by four spaces).
fn registries_home(home: &std::path::Path, address: &str, settings: &str) -> std::path::PathBuf {
    let dir = home.join(".config/containers/registries.d");
    std::fs::create_dir_all(&dir).unwrap();
    let text = format!("docker:\n  {address}:\n{settings}");
    std::fs::write(dir.join("test-registry.yaml"), text).unwrap();
    home.to_owned()
}

/// A consumer of the test registry: its own storage, a home whose `registries.d` says where
/// signatures are, and a policy requiring a signature for the registry's images.
struct Consumer {
    storage: Storage,
    home: std::path::PathBuf,
    policy: std::path::PathBuf,
    certs: std::path::PathBuf,
    login: String,
}

impl Consumer {
    fn new(setup: &ListSetup, settings: &str, requirement: serde_json::Value) -> Consumer {
        let storage = Storage::new();
        let home = registries_home(&storage.scratch("home"), &setup.registry.address, settings);
        let policy = storage.scratch("policy").join("policy.json");
        let address = setup.registry.address.clone();
        let text = serde_json::json!({
            "default": [{"type": "insecureAcceptAnything"}],
            "transports": {"docker": {address: [requirement]}}
        });
        std::fs::write(&policy, text.to_string()).unwrap();
        let certs = storage.scratch("certs");
        std::fs::copy(&setup.registry.ca_file, certs.join("ca.crt")).unwrap();
        let login = format!("{}:{}", setup.registry.username, setup.registry.password);
        Consumer {
            storage,
            home,
            policy,
            certs,
            login,
        }
    }

    /// `podman pull --platform PLATFORM` of `label` under the policy.
    fn pull(&self, label: &ImageLabel, platform: &str) -> Result<(), String> {
        let mut env = self.storage.env();
        env.push(("HOME".to_owned(), self.home.display().to_string()));
        let output = std::process::Command::new("podman")
            .args([
                "pull",
                "--quiet",
                "--platform",
                platform,
                "--signature-policy",
            ])
            .arg(&self.policy)
            .arg("--cert-dir")
            .arg(&self.certs)
            .args(["--creds", &self.login, &label.to_string()])
            .envs(env)
            .output()
            .expect("podman runs");
        match output.status.success() {
            true => Ok(()),
            false => Err(String::from_utf8_lossy(&output.stderr).into_owned()),
        }
    }
}

/// Whether the result line of `name` says it was published and its signatures checked.
fn published_signed(output: &crate::harness::Output, name: &str) -> bool {
    let marker = format!("/ns/{name}:");
    output
        .stdout
        .lines()
        .any(|l| l.starts_with("* ") && l.contains(&marker) && l.ends_with("published, signed"))
}

/// A list published with a GPG key is signed for each tag, itself and each platform's
/// image: a consumer requiring the key pulls each platform of each tag, the list's own
/// signatures verify, and the check after publishing passed. The check refuses the list
/// once its own signatures are gone, once its arm64 image's are (and so does the consumer's
/// arm64 pull, while amd64 still pulls), or once those are made by another key.
fn a_list_is_signed_for_each_platform_with_gpg(engine: EngineKind) {
    let Some(setup) = ListSetup::new(engine) else {
        return;
    };
    if !support::tools_available(&["gpg", "skopeo", "curl"]) {
        return;
    }
    setup.push_base();
    let dir = setup.storage.scratch("signing");
    let gnupg = dir.join("gnupg");
    let fingerprint = crate::signing::gpg_key(&gnupg, &dir.join("key.asc"));
    let store = dir.join("lookaside");
    let publisher = registries_home(
        &dir.join("publisher"),
        &setup.registry.address,
        &format!(
            "    lookaside: http://127.0.0.1:9/not-served-yet\n    \
             lookaside-staging: file://{}\n",
            store.display()
        ),
    );
    let publisher_env = [
        ("GNUPGHOME".to_owned(), gnupg.display().to_string()),
        ("HOME".to_owned(), publisher.display().to_string()),
    ];
    let output = setup
        .test
        .clone()
        .config(&format!("{}sign_by: {fingerprint}\n", setup.config))
        .envs(publisher_env.clone())
        .args(["build", "--select", "*/solo:*", "images"])
        .run()
        .success();
    assert!(published_signed(&output, "solo"), "{output:#?}");
    for tag in ["1.0", "latest"] {
        assert_eq!(setup.listed("solo", tag), ["linux/amd64", "linux/arm64"]);
    }

    let consumer = Consumer::new(
        &setup,
        &format!("    lookaside: file://{}\n", store.display()),
        serde_json::json!({
            "type": "signedBy", "keyType": "GPGKeys", "keyPath": dir.join("key.asc")
        }),
    );
    for tag in ["1.0", "latest"] {
        for platform in ["linux/amd64", "linux/arm64"] {
            let label = setup.label("solo", tag);
            consumer
                .pull(&label, platform)
                .unwrap_or_else(|e| panic!("{label} for {platform} does not pull: {e}"));
        }
    }
    let unsigned = consumer
        .pull(&setup.label("busybox", "1.0"), "linux/arm64")
        .unwrap_err();
    assert!(
        unsigned.contains("A signature was required, but no signature exists"),
        "{unsigned}"
    );

    // The list's own signatures, which no pull checks, verify for each tag too.
    let list = dir.join("list.json");
    let list_type = "application/vnd.docker.distribution.manifest.list.v2+json";
    std::fs::write(&list, setup.manifest("solo", "1.0", list_type)).unwrap();
    let sum = support::run("sha256sum", &[&list.display().to_string()], &[]);
    let list_digest = sum.split_whitespace().next().expect("a digest");
    let list_signatures = store.join(format!("ns/solo@sha256={list_digest}"));
    for (n, tag) in [(1, "latest"), (2, "1.0")] {
        let signature = list_signatures.join(format!("signature-{n}"));
        support::run(
            "skopeo",
            &[
                "standalone-verify",
                &list.display().to_string(),
                &setup.label("solo", tag).to_string(),
                &fingerprint,
                &signature.display().to_string(),
            ],
            &[("GNUPGHOME".to_owned(), gnupg.display().to_string())],
        );
    }

    // The check of the engine that published, as the run made it.
    let mut env = setup.storage.env();
    env.extend(publisher_env);
    let checker = setup.storage.engine_with(EngineSettings {
        kind: engine,
        registry: setup.registry.settings(),
        extra_env: env,
        signing: Some(Signing::Gpg {
            fingerprint: fingerprint.clone(),
        }),
        ..EngineSettings::default()
    });
    let version = setup.label("solo", "1.0");
    checker
        .check_list_signature(&version)
        .unwrap_or_else(|e| panic!("{version}: {e}"));

    // The list's own signatures moved away: its images' still verify, the list does not.
    let lists_aside = dir.join("list-signatures");
    std::fs::rename(&list_signatures, &lists_aside).unwrap();
    let refused = checker.check_list_signature(&version).unwrap_err();
    let message = format!("the manifest list {version} has no signature of its own that verifies");
    assert!(refused.to_string().contains(&message), "{refused}");
    std::fs::rename(&lists_aside, &list_signatures).unwrap();
    checker.check_list_signature(&version).unwrap();

    let arm64 = setup.image_of("solo", "1.0", "linux/arm64");
    let signatures = store.join(format!("ns/solo@{}", arm64.replace(':', "=")));
    assert!(signatures.join("signature-2").is_file(), "{signatures:?}");
    let aside = dir.join("arm64-signatures");
    std::fs::rename(&signatures, &aside).unwrap();
    assert_arm64_refused(checker.check_list_signature(&version));
    let pulled = consumer.pull(&version, "linux/arm64").unwrap_err();
    assert!(pulled.contains("no signature exists"), "{pulled}");
    consumer.pull(&version, "linux/amd64").unwrap();

    // Signatures of the right image for the right tags, by another key.
    let other_gnupg = dir.join("other-gnupg");
    let other = crate::signing::gpg_key(&other_gnupg, &dir.join("other-key.asc"));
    let manifest = dir.join("arm64-manifest.json");
    std::fs::write(
        &manifest,
        setup.manifest(
            "solo",
            &arm64,
            "application/vnd.docker.distribution.manifest.v2+json",
        ),
    )
    .unwrap();
    std::fs::create_dir_all(&signatures).unwrap();
    for (n, tag) in [(1, "latest"), (2, "1.0")] {
        let signature = signatures.join(format!("signature-{n}"));
        support::run(
            "skopeo",
            &[
                "standalone-sign",
                &manifest.display().to_string(),
                &setup.label("solo", tag).to_string(),
                &other,
                "--output",
                &signature.display().to_string(),
            ],
            &[("GNUPGHOME".to_owned(), other_gnupg.display().to_string())],
        );
    }
    assert_arm64_refused(checker.check_list_signature(&version));
    std::fs::remove_dir_all(&signatures).unwrap();
    std::fs::rename(&aside, &signatures).unwrap();
    checker
        .check_list_signature(&setup.label("solo", "latest"))
        .unwrap_or_else(|e| panic!("solo:latest: {e}"));
}

/// The check of a list refused for its second image, the arm64 one.
fn assert_arm64_refused(checked: Result<(), docker_pkg::engine::EngineError>) {
    let refused = checked.expect_err("the check passed").to_string();
    let message = "copying image 2/2 from manifest list: Source image rej";
    assert!(refused.contains(message), "{refused}");
}

#[test]
fn buildah_signs_lists_for_each_platform_with_gpg() {
    a_list_is_signed_for_each_platform_with_gpg(EngineKind::Buildah);
}

#[test]
fn podman_signs_lists_for_each_platform_with_gpg() {
    a_list_is_signed_for_each_platform_with_gpg(EngineKind::Podman);
}

/// With a sigstore key, a list is signed as with GPG, the signatures attached in the
/// registry. Debian 12's tools are built without sigstore signing: there the trial
/// signature refuses the configuration before anything is built, as for one image.
#[test]
fn a_list_is_signed_for_each_platform_with_sigstore_or_refused() {
    let Some(setup) = ListSetup::new(EngineKind::Buildah) else {
        return;
    };
    let python = crate::signing::PYTHON_WITH_NACL;
    if !support::tools_available(&["skopeo", "openssl", python])
        || !crate::signing::nacl_available()
    {
        return;
    }
    setup.push_base();
    let dir = setup.storage.scratch("signing");
    let (private, passphrase_file, public) = crate::signing::sigstore_key(&dir, "a passphrase");
    let attachments = "    use-sigstore-attachments: true\n";
    let publisher = registries_home(&dir.join("publisher"), &setup.registry.address, attachments);
    let output = setup
        .test
        .clone()
        .config(&format!(
            "{}sigstore_private_key: {}\nsigstore_passphrase_file: {}\n\
             sigstore_public_key: {}\n",
            setup.config,
            private.display(),
            passphrase_file.display(),
            public.display()
        ))
        .env("HOME", &publisher.display().to_string())
        .args(["build", "--select", "*/solo:*", "images"])
        .run()
        .no_panic();
    if output.stderr.contains("sigstore disabled") {
        let output = output.code(2).stderr_has(
            "cannot sign with sigstore_private_key: a trial signature failed: creating \
             signature: Debian-local change: sigstore disabled",
        );
        // The engine starts with the first build, which it then never runs.
        let images = setup.storage.buildah(&["images", "--all", "--json"]);
        assert!(
            !images.contains("/ns/solo"),
            "{images}
{output:#?}"
        );
        assert!(setup.listed("solo", "1.0").is_empty());
        return;
    }
    let output = output.success();
    assert!(published_signed(&output, "solo"), "{output:#?}");
    let consumer = Consumer::new(
        &setup,
        attachments,
        serde_json::json!({"type": "sigstoreSigned", "keyPath": public}),
    );
    for tag in ["1.0", "latest"] {
        for platform in ["linux/amd64", "linux/arm64"] {
            let label = setup.label("solo", tag);
            consumer
                .pull(&label, platform)
                .unwrap_or_else(|e| panic!("{label} for {platform} does not pull: {e}"));
        }
    }
    let unsigned = consumer
        .pull(&setup.label("busybox", "1.0"), "linux/arm64")
        .unwrap_err();
    assert!(unsigned.contains("A signature was required"), "{unsigned}");
}
