//! Building for several platforms: `platforms:`, `--platform` and an image's `platforms`
//! file, checked when the run starts; a foreign platform this machine cannot emulate stops
//! the run before anything is built.

mod harness;

use harness::Test;

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
