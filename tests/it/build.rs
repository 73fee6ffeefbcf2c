//! `docker-pkg build` end to end: real buildah, real podman for Docker-style tests, and a
//! registry with TLS and a password, all private to each test.

use std::os::unix::fs::PermissionsExt;

use docker_pkg::engine::EngineKind;
use docker_pkg::label::ImageLabel;

use crate::fixture_tree::{IMAGES, Setup, fixture, summary_line};
use crate::harness::Test;
use crate::support::{self, RecordingTool, Storage};

#[test]
fn builds_verifies_and_publishes_a_tree_then_does_nothing() {
    let Some(setup) = Setup::new() else { return };
    let test = setup.test().args(["build", "images"]);
    let output = test.run().success().no_panic();
    assert_eq!(
        summary_line(&output),
        "Built 10, verified 10, published 10, failed 0, skipped 0; 0 already published."
    );
    let versions = setup.version_labels();
    let latest: Vec<ImageLabel> = versions.iter().map(|l| l.with_tag("latest")).collect();
    assert_eq!(setup.published(&versions), [true; 10]);
    assert_eq!(setup.published(&latest), [true; 10]);
    let creds = format!("{}:{}", setup.registry.username, setup.registry.password);
    let manifest = support::run(
        "skopeo",
        &[
            "inspect",
            "--raw",
            "--tls-verify=false",
            "--creds",
            &creds,
            &format!("docker://{}", versions[0]),
        ],
        &[],
    );
    assert!(
        manifest.contains("application/vnd.docker.distribution.manifest.v2+json"),
        "images are pushed in the format docker-pkg 4.0.4 can see: {manifest}"
    );
    let log = output.read("docker-pkg-build.log");
    assert!(
        log.lines()
            .any(|l| l.contains("[base-a] STEP 1/") && l.contains(": FROM ")),
        "the engine's output is logged"
    );
    assert!(
        !log.contains(&setup.registry.password),
        "the password is not logged"
    );

    let recorder = RecordingTool::new("buildah", "exec buildah \"$@\"");
    let again = test
        .env(
            "DOCKER_PKG_ENGINE_PATH",
            &recorder.path.display().to_string(),
        )
        .run()
        .success();
    assert_eq!(
        summary_line(&again),
        "Built 0, verified 0, published 0, failed 0, skipped 0; 10 already published."
    );
    assert_eq!(
        recorder.calls(),
        Vec::<Vec<String>>::new(),
        "the second run needs no tool"
    );
}

#[test]
fn a_failing_image_skips_only_the_images_built_on_it() {
    let Some(setup) = Setup::new() else { return };
    let test = setup
        .test()
        .file(
            "images/tools/tool-2/Dockerfile.template",
            "FROM {{ \"base-a\" | image_tag }}\nRUN false\n",
        )
        .args(["build", "images"]);
    let output = test.run().code(1).no_panic();
    assert_eq!(
        summary_line(&output),
        "Built 8, verified 8, published 8, failed 1, skipped 1; 0 already published."
    );
    let tool_2 = setup.label("tool-2", "0.2-s1");
    let app_2 = setup.label("app-2", "2.0");
    let row = |label: &ImageLabel| {
        let label = label.to_string();
        let summary = output
            .stdout
            .split("== Summary ==")
            .nth(1)
            .unwrap_or_default();
        let row = summary
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(&label));
        row.unwrap_or_else(|| panic!("no row for {label}\n{output:#?}"))
            .to_owned()
    };
    let failed = row(&tool_2);
    assert!(failed.starts_with("failed "), "{failed}");
    assert!(
        failed.contains("build failed (exit status: 1): "),
        "{failed}"
    );
    let skipped = row(&app_2);
    assert!(skipped.starts_with("skipped "), "{skipped}");
    assert!(skipped.ends_with("  dependency tool-2 failed"), "{skipped}");
    let versions = setup.version_labels();
    let published = setup.published(&versions);
    for (label, published) in versions.iter().zip(published) {
        let expected = *label != tool_2 && *label != app_2;
        assert_eq!(published, expected, "{label}");
    }
}

/// A base image in no registry and not in local storage fails the images built on it, with
/// a reason naming it, and the warning says there is no local copy; the images on the base
/// that exists are built and published.
#[test]
fn a_base_image_that_cannot_be_pulled_fails_only_the_images_built_on_it() {
    let Some(setup) = Setup::new() else { return };
    let gone = setup.label("gone", "1.0");
    let base = setup.label("busybox", "1.0");
    let config = setup.config().replace(
        &format!("base_images: [\"{base}\"]"),
        &format!("base_images: [\"{base}\", \"{gone}\"]"),
    );
    let test = setup
        .test()
        .config(&config)
        .file(
            "images/base-b/Dockerfile.template",
            "FROM {{ \"gone\" | image_tag }}\nRUN echo base-b > /base-b\n",
        )
        .args(["build", "images"]);
    let output = test.run().code(1).no_panic();
    assert_eq!(
        summary_line(&output),
        "Built 4, verified 4, published 4, failed 1, skipped 5; 0 already published."
    );
    let log = output.read("docker-pkg-build.log");
    assert!(
        log.contains(&format!(
            "Cannot pull base image {gone} and local storage has no copy of it: the images \
             built on it fail: "
        )),
        "{log}"
    );
    assert!(!log.contains("builds use the local copy"), "{log}");
    let failure = format!(
        "{}: build failed: cannot build on base image {gone}: it cannot be pulled and local \
         storage has no copy of it: ",
        setup.label("base-b", "2.1-1")
    );
    assert!(log.contains(&failure), "{failure}\n{log}");
    let versions = setup.version_labels();
    let published = setup.published(&versions);
    let on_gone = ["base-b", "tool-3", "lib", "app-2", "app-3", "app-4"];
    for ((label, published), name) in versions.iter().zip(published).zip(IMAGES) {
        assert_eq!(published, !on_gone.contains(&name), "{label}");
    }
}

#[test]
fn select_builds_the_selection_and_the_missing_images_it_needs() {
    let Some(setup) = Setup::new() else { return };
    let output = setup
        .test()
        .args(["build", "--select", "*/ns/app-1:*", "images"])
        .run()
        .success();
    assert_eq!(
        summary_line(&output),
        "Built 3, verified 3, published 3, failed 0, skipped 0; 0 already published."
    );
    let versions = setup.version_labels();
    let expected: Vec<bool> = IMAGES
        .iter()
        .map(|name| ["base-a", "tool-1", "app-1"].contains(name))
        .collect();
    assert_eq!(setup.published(&versions), expected);
}

#[test]
fn nightly_tags_are_built_and_published() {
    let Some(setup) = Setup::new() else { return };
    let today = chrono::Local::now().format("%Y%m%d").to_string();
    let output = setup
        .test()
        .args(["build", "--nightly", "--select", "*base-b*", "images"])
        .run()
        .success();
    let nightly = setup.label("base-b", &format!("2.1-1-{today}"));
    assert!(
        output
            .stdout
            .contains(&format!("* {nightly}: built, verified, published"))
    );
    assert_eq!(
        setup.published(&[
            nightly.clone(),
            nightly.with_tag("latest"),
            setup.label("base-b", "2.1-1")
        ]),
        [true, true, false]
    );
}

#[test]
fn no_pull_builds_what_local_storage_lacks() {
    let Some(setup) = Setup::new() else { return };
    setup.test().args(["build", "images"]).run().success();

    let elsewhere = Storage::new();
    elsewhere.busybox_image(&setup.label("busybox", "1.0").to_string());
    let test = Test::new()
        .copy_dir(&fixture("images"), "images")
        .config(&setup.config())
        .envs(elsewhere.env());
    let test = test.args(["build", "images"]);
    let pulling = test.run().success();
    assert_eq!(
        summary_line(&pulling),
        "Built 0, verified 0, published 0, failed 0, skipped 0; 10 already published."
    );
    let not_pulling = test.args(["--no-pull"]).run().success();
    assert!(
        summary_line(&not_pulling).starts_with("Built 10, verified 10, published 10,"),
        "{not_pulling:#?}"
    );
}

#[test]
fn the_cache_is_used_only_when_asked() {
    let Some(setup) = Setup::new() else { return };
    let recorder = RecordingTool::new("buildah", "exec buildah \"$@\"");
    let run = |args: &[&str]| {
        setup
            .test()
            .env(
                "DOCKER_PKG_ENGINE_PATH",
                &recorder.path.display().to_string(),
            )
            .args(args.iter().copied())
            .run()
            .success()
    };
    let build_calls = || -> Vec<Vec<String>> {
        recorder
            .calls()
            .into_iter()
            .filter(|call| call.first().map(String::as_str) == Some("build"))
            .collect()
    };
    run(&["build", "--no-publish", "--select", "*base-a*", "images"]);
    run(&[
        "build",
        "--no-publish",
        "--use-cache",
        "--select",
        "*base-b*",
        "images",
    ]);
    let calls = build_calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(calls[0].iter().any(|a| a == "--no-cache"), "{:?}", calls[0]);
    assert!(
        !calls[1].iter().any(|a| a == "--no-cache"),
        "{:?}",
        calls[1]
    );
}

#[test]
fn one_job_gives_the_same_result_as_eight() {
    let results: Vec<(String, Vec<bool>)> = ["1", "8"]
        .into_iter()
        .filter_map(|jobs| {
            let setup = Setup::new()?;
            let output = setup
                .test()
                .args(["build", "--jobs", jobs, "--select", "*app-2*", "images"])
                .run()
                .success();
            let summary = summary_line(&output).to_owned();
            Some((summary, setup.published(&setup.version_labels())))
        })
        .collect();
    if results.len() == 2 {
        assert_eq!(results[0], results[1]);
        assert!(
            results[0]
                .0
                .starts_with("Built 5, verified 5, published 5,"),
            "{:?}",
            results[0]
        );
    }
}

/// The tests of `left` and `right` each wait until the other has started: the run can only
/// succeed if the two independent images are worked on at the same time.
#[test]
fn independent_images_build_at_the_same_time() {
    let Some(setup) = Setup::new() else { return };
    let meeting = tempfile::tempdir().unwrap();
    let rendezvous = |me: &str, other: &str| {
        format!(
            "#!/bin/sh\ntouch '{dir}/{me}'\nfor i in $(seq 600); do\n  \
             [ -e '{dir}/{other}' ] && exit 0\n  sleep 0.1\ndone\n\
             echo '{other} never started' >&2\nexit 1\n",
            dir = meeting.path().display()
        )
    };
    let template = "FROM {{ 'busybox' | image_tag }}\nRUN true\n";
    let test = Test::new()
        .config(&setup.config())
        .image("left", "left", "1.0", &["busybox"], template)
        .image("right", "right", "1.0", &["busybox"], template)
        .file("images/left/test.sh", &rendezvous("left", "right"))
        .file("images/right/test.sh", &rendezvous("right", "left"))
        .envs(setup.storage.env());
    for side in ["left", "right"] {
        let script = test.path().join(format!("images/{side}/test.sh"));
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let output = test
        .args(["build", "--jobs", "2", "images"])
        .run()
        .success();
    assert_eq!(
        summary_line(&output),
        "Built 2, verified 2, published 2, failed 0, skipped 0; 0 already published."
    );
}

/// Each bad environment gives exit code 2 and one clear message before anything is built.
fn assert_refused(test: Test, message: &str) {
    let output = test.args(["build", "images"]).run().code(2).no_panic();
    let errors: Vec<&str> = output
        .stderr
        .lines()
        .filter(|l| l.starts_with("docker-pkg: error: "))
        .collect();
    assert_eq!(errors.len(), 1, "{output:#?}");
    assert!(errors[0].contains(message), "{output:#?}");
    assert!(!output.stdout.contains("Step 1"), "{output:#?}");
}

#[test]
fn an_engine_that_is_not_installed() {
    let test = Test::new()
        .config("engine: podman\nengine_path: /nowhere/podman\n")
        .image("a", "a", "1.0", &[], "FROM scratch\n");
    assert_refused(
        test,
        "/nowhere/podman is not installed (install the `podman` package, or set engine_path)",
    );
}

/// A registry that cannot be reached fails every image it holds, each with the reason, and
/// nothing is built: whether an image is published cannot be told.
#[test]
fn a_registry_that_is_down_fails_each_image_and_builds_nothing() {
    if !support::build_tools_available(EngineKind::Buildah) {
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let storage = Storage::new();
    let output = Test::new()
        .config(&format!("registry: 127.0.0.1:{port}\n"))
        .image("a", "a", "1.0", &[], "FROM scratch\n")
        .image("b", "b", "1.0", &[], "FROM scratch\n")
        .envs(storage.env())
        .args(["build", "images"])
        .run()
        .code(1)
        .no_panic();
    assert_eq!(
        summary_line(&output),
        "Built 0, verified 0, published 0, failed 2, skipped 0; 0 already published."
    );
    let reason = format!(
        "check failed: cannot tell whether it is published: cannot reach registry 127.0.0.1:{port}"
    );
    for image in ["a", "b"] {
        let row = format!("127.0.0.1:{port}/{image}:1.0  {reason}");
        assert!(output.stdout.contains(&row), "no row {row}\n{output:#?}");
    }
}

#[test]
fn a_registry_that_refuses_the_credentials_or_is_not_trusted() {
    let Some(setup) = Setup::new() else { return };
    let wrong = setup
        .config()
        .replace(&setup.registry.password, "not-the-password");
    let test = Test::new()
        .copy_dir(&fixture("images"), "images")
        .config(&wrong)
        .envs(setup.storage.env());
    assert_refused(
        test,
        &format!(
            "registry {} refused the credentials",
            setup.registry.address
        ),
    );

    let untrusted: String = setup
        .config()
        .lines()
        .filter(|l| !l.starts_with("ca_bundle:"))
        .map(|l| format!("{l}\n"))
        .collect();
    let test = Test::new()
        .copy_dir(&fixture("images"), "images")
        .config(&untrusted)
        .envs(setup.storage.env());
    assert_refused(test, "TLS certificate verification failed");
}
