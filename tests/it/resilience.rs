//! What a run survives, end to end with real buildah and a registry: another run building the
//! same tree, a registry that fails requests, a test that hangs or fails, a tool that prints
//! a huge line.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::fixture_tree::{IMAGES, Setup, summary_line};
use crate::harness::Output;
use crate::support::{self, Fault, FaultProxy, Injection};

/// How many times each image was built, from the log lines of the runs given.
fn builds(logs: &[String]) -> BTreeMap<String, usize> {
    let mut count = BTreeMap::new();
    for line in logs.iter().flat_map(|log| log.lines()) {
        if let Some((_, rest)) = line.split_once("] INFO - ")
            && let Some((label, _)) = rest.split_once(" - building the image")
        {
            *count.entry(label.to_owned()).or_default() += 1;
        }
    }
    count
}

/// tool-3's `test.sh`, written by a test, made executable.
fn make_test_script_executable(tree: &std::path::Path) {
    let mode = std::os::unix::fs::PermissionsExt::from_mode(0o755);
    std::fs::set_permissions(tree.join("images/tools/tool-3/test.sh"), mode).unwrap();
}

fn log_of(output: &Output) -> String {
    output.read("docker-pkg-build.log")
}

/// Two runs of the same tree started together, on the same storage: every image is built
/// once, by one of them, and both end with everything published.
#[test]
fn two_runs_started_together_build_each_image_once() {
    let Some(setup) = Setup::new() else { return };
    let first = setup.test().args(["build", "images"]);
    let second = setup.test().args(["build", "images"]);
    let (first, second) = std::thread::scope(|scope| {
        let first = scope.spawn(|| first.run());
        let second = scope.spawn(|| second.run());
        (first.join().unwrap(), second.join().unwrap())
    });
    let (first, second) = (first.success().no_panic(), second.success().no_panic());
    let built = builds(&[log_of(&first), log_of(&second)]);
    let labels: Vec<String> = setup
        .version_labels()
        .iter()
        .map(|l| l.to_string())
        .collect();
    assert_eq!(built.keys().cloned().collect::<Vec<_>>(), {
        let mut sorted = labels.clone();
        sorted.sort();
        sorted
    });
    assert!(
        built.values().all(|&n| n == 1),
        "built more than once: {built:?}"
    );
    let waited = [&first, &second]
        .iter()
        .any(|o| o.stderr.contains("another run is working on it; waiting"));
    assert!(
        waited,
        "neither run waited for the other\n{first:#?}\n{second:#?}"
    );
    assert!(setup.published(&setup.version_labels()).iter().all(|&p| p));
}

/// An image that failed its test is not found built by the next run: it is tested (and
/// fails) again, and stays in local storage under a name that says so.
#[test]
fn a_failed_test_is_tested_again_by_the_next_run() {
    let Some(setup) = Setup::new() else { return };
    let test = setup
        .test()
        .file(
            "images/tools/tool-3/test.sh",
            "#!/bin/sh\necho broken; exit 1\n",
        )
        .args(["build", "--no-publish", "--select", "*tool-3*", "images"]);
    make_test_script_executable(test.path());
    for run in ["first", "second"] {
        let output = test.run().code(1).no_panic();
        assert!(
            summary_line(&output).contains("failed 1,"),
            "{run} run\n{output:#?}"
        );
    }
    let tool_3 = setup.label("tool-3", "1.5");
    let names = setup
        .storage
        .buildah(&["images", "--format", "{{.Name}}:{{.Tag}}"]);
    assert!(names.contains(&format!("{}-failed", tool_3)), "{names}");
    assert!(!names.lines().any(|n| n == tool_3.to_string()), "{names}");
}

/// A test that hangs is stopped at `verify_timeout`; its image fails, the others publish.
#[test]
fn a_hanging_test_is_stopped_at_its_timeout() {
    let Some(setup) = Setup::new() else { return };
    // A sleep of its own, which the same test running elsewhere on the machine does not run.
    let hanging = format!("sleep 600.{}", std::process::id());
    let test = setup
        .test()
        .config(&format!("{}verify_timeout: 10s\n", setup.config()))
        .file(
            "images/tools/tool-3/test.sh",
            &format!("#!/bin/sh\n{hanging}\n"),
        )
        .args(["build", "images"]);
    make_test_script_executable(test.path());
    let started = Instant::now();
    let output = test.run().code(1).no_panic();
    assert!(started.elapsed() < Duration::from_secs(300));
    assert_eq!(
        summary_line(&output),
        "Built 9, verified 8, published 8, failed 1, skipped 1; 0 already published.",
        "{output:#?}"
    );
    assert!(output.stdout.contains("timed out after 10s"), "{output:#?}");
    let hung = support::processes_matching(&hanging);
    assert!(
        hung.is_empty(),
        "the hanging test is still running: {hung:?}"
    );
}

/// A test that leaves a server running in the background, holding its output open, passes
/// when its script ends, and the server is stopped. (The time-out only keeps this test from
/// hanging should that break.)
#[test]
fn what_a_test_leaves_in_the_background_is_stopped_when_it_ends() {
    let Some(setup) = Setup::new() else { return };
    let script = "#!/bin/sh\nsleep 997 &\necho server started\n";
    let test = setup
        .test()
        .config(&format!("{}verify_timeout: 120s\n", setup.config()))
        .file("images/tools/tool-3/test.sh", script)
        .args(["build", "--no-publish", "--select", "*tool-3*", "images"]);
    make_test_script_executable(test.path());
    let output = test.run().success().no_panic();
    assert!(!output.stdout.contains("timed out"), "{output:#?}");
    let left = support::processes_matching("sleep 997");
    assert!(
        left.is_empty(),
        "the test's server is still running: {left:?}"
    );
}

/// A tool that prints one 50 MB line: the failure on the terminal stays a few kilobytes,
/// and the log cuts the line too.
#[test]
fn a_huge_output_line_stays_small() {
    let Some(setup) = Setup::new() else { return };
    let script = "#!/bin/sh\nhead -c 50000000 /dev/zero | tr '\\\\0' x\necho\nexit 1\n";
    let test = setup
        .test()
        .file("images/tools/tool-3/test.sh", script)
        .args(["build", "--no-publish", "--select", "*tool-3*", "images"]);
    make_test_script_executable(test.path());
    let output = test.run().code(1).no_panic();
    let printed = output.stdout.len() + output.stderr.len();
    assert!(printed < 8 * 1024, "{printed} bytes on the terminal");
    let log = log_of(&output);
    assert!(log.len() < 200 * 1024, "a log of {} bytes", log.len());
    assert!(log.contains("more bytes of this line not shown"));
}

/// A registry that fails every fifth request: the tree publishes completely in one run,
/// version tag and `latest`.
#[test]
fn a_registry_failing_every_fifth_request_gets_everything_published() {
    let Some(mut setup) = Setup::new() else {
        return;
    };
    let proxy = FaultProxy::start(&setup.registry);
    setup.address = proxy.address.clone();
    proxy.inject(Injection::every(5, Fault::Status(500)));
    let output = setup
        .test()
        .args(["build", "images"])
        .run()
        .success()
        .no_panic();
    assert_eq!(
        summary_line(&output),
        "Built 10, verified 10, published 10, failed 0, skipped 0; 0 already published."
    );
    assert!(
        proxy.faults_injected() >= 10,
        "{} faults",
        proxy.faults_injected()
    );
    proxy.clear_faults();
    let versions = setup.version_labels();
    let latest: Vec<_> = versions.iter().map(|l| l.with_tag("latest")).collect();
    assert!(setup.published(&versions).iter().all(|&p| p));
    assert!(setup.published(&latest).iter().all(|&p| p));
}

/// A registry that fails every request: each image fails, naming the request and the tries,
/// and nothing is published.
#[test]
fn a_registry_failing_every_request_fails_each_image_and_publishes_nothing() {
    let Some(mut setup) = Setup::new() else {
        return;
    };
    let proxy = FaultProxy::start(&setup.registry);
    setup.address = proxy.address.clone();
    proxy.inject(Injection::every(1, Fault::Status(503)));
    let output = setup
        .test()
        .args(["build", "images"])
        .run()
        .code(1)
        .no_panic();
    assert_eq!(
        summary_line(&output),
        format!(
            "Built 0, verified 0, published 0, failed {}, skipped 0; 0 already published.",
            IMAGES.len()
        )
    );
    assert!(
        output.stdout.contains("503 Service Unavailable") && output.stdout.contains("tries)"),
        "{output:#?}"
    );
    proxy.clear_faults();
    let versions = setup.version_labels();
    assert!(setup.published(&versions).iter().all(|&p| !p));
}
