//! SIGINT and SIGTERM at any moment of a build (scanning, building, testing, publishing):
//! afterwards no process of the run is alive, no temporary file or container of the run is
//! left, and a run without interruption completes what was half done, every image published
//! with its version tag and `latest`.

use std::path::Path;
use std::time::{Duration, Instant};

use docker_pkg::engine::EngineKind;
use docker_pkg::label::ImageLabel;

use crate::fixture_tree::Setup;
use crate::harness::{Output, Test};
use crate::support::{self, RecordingTool, Storage};

const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;
/// Interrupted runs: enough to meet every stage of a build, few enough for the suite.
const ROUNDS: u32 = 20;

/// Ten small images on three levels, two with a test that runs a container.
fn tree(setup: &Setup, namespace: &str, scratch: &Path) -> Test {
    let base = setup.label("busybox", "1.0");
    let config = setup
        .config()
        .replace("namespace: ns\n", &format!("namespace: {namespace}\n"));
    let mut test = Test::new()
        .config(&config)
        .envs(setup.storage.env())
        .env("TMPDIR", &scratch.display().to_string());
    for i in 0..10 {
        let name = format!("i{i}");
        let parent = match i {
            0 | 1 => None,
            2..=5 => Some(format!("i{}", i % 2)),
            _ => Some(format!("i{}", i - 4)),
        };
        let (from, depends) = match &parent {
            None => (base.to_string(), vec!["busybox"]),
            Some(parent) => (
                format!("{{{{ \"{parent}\" | image_tag }}}}"),
                vec![parent.as_str()],
            ),
        };
        let template = format!("FROM {from}\nRUN echo {name} > /{name}\n");
        test = test.image(&name, &name, "1.0", &depends, &template);
        if i == 3 || i == 8 {
            let script = format!("#!/bin/sh\ndocker run --rm \"$1\" cat /{name}\n");
            let path = format!("images/{name}/test.sh");
            test = test.file(&path, &script);
            let mode = std::os::unix::fs::PermissionsExt::from_mode(0o755);
            std::fs::set_permissions(test.path().join(&path), mode).unwrap();
        }
    }
    test.args(["build", "images"])
}

fn labels(setup: &Setup, namespace: &str) -> Vec<ImageLabel> {
    (0..10)
        .map(|i| ImageLabel {
            name: format!("{}/{namespace}/i{i}", setup.address),
            tag: "1.0".into(),
        })
        .collect()
}

/// Nothing of the run is left: no process on this storage, no temporary file, no container.
fn assert_nothing_left(setup: &Setup, scratch: &Path, output: &Output) {
    let conf = &setup.storage.env()[0];
    let mut alive = support::processes_with_env(&conf.0, &conf.1);
    for _ in 0..50 {
        if alive.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        alive = support::processes_with_env(&conf.0, &conf.1);
    }
    assert!(alive.is_empty(), "still running: {alive:?}\n{output:#?}");
    let left: Vec<_> = std::fs::read_dir(scratch)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}\n{output:#?}");
    let containers = setup.storage.buildah(&["containers", "--all", "--json"]);
    let none = matches!(containers.trim(), "" | "null" | "[]");
    assert!(
        none,
        "containers left: {containers}\n{output:#?}\n{}",
        output.read("docker-pkg-build.log")
    );
}

#[test]
fn interruptions_at_any_moment_leave_nothing_behind_and_a_rerun_completes() {
    let Some(setup) = Setup::new() else { return };
    if !support::tools_available(&["podman"]) {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    // A whole run, to learn how long one takes here and now.
    let started = Instant::now();
    tree(&setup, "whole", scratch.path())
        .run()
        .success()
        .no_panic();
    let mut whole = started.elapsed();
    let mut interrupted = 0;
    for round in 0..ROUNDS {
        let namespace = format!("round-{round}");
        let test = tree(&setup, &namespace, scratch.path());
        let signal = if round % 2 == 0 { SIGINT } else { SIGTERM };
        let spawned = Instant::now();
        let running = test.spawn();
        std::thread::sleep(whole.mul_f64((f64::from(round) + 0.5) / f64::from(ROUNDS)));
        running.signal(signal);
        let output = running.wait().no_panic();
        match output.code {
            // Done before the signal: a whole run takes that long at most now (the first one
            // may have been slowed by other work on the machine).
            Some(0) => whole = whole.min(spawned.elapsed()),
            code => {
                assert_eq!(code, Some(128 + signal), "{output:#?}");
                let said = output.stdout.contains("interrupted by")
                    || output.stderr.contains("interrupting the run");
                assert!(said, "{output:#?}");
                interrupted += 1;
            }
        }
        assert_nothing_left(&setup, scratch.path(), &output);
        let rerun = test.run().success().no_panic();
        assert_nothing_left(&setup, scratch.path(), &rerun);
        let versions = labels(&setup, &namespace);
        let latest: Vec<_> = versions.iter().map(|l| l.with_tag("latest")).collect();
        assert!(setup.published(&versions).iter().all(|&p| p), "{rerun:#?}");
        assert!(setup.published(&latest).iter().all(|&p| p), "{rerun:#?}");
    }
    assert!(
        interrupted >= ROUNDS * 3 / 4,
        "only {interrupted} runs were interrupted"
    );
}

/// An interrupted build is never signalled itself, only the processes of its steps: buildah
/// signalled while it sets up `FROM` or commits a step ends before it removes its working
/// container. A stand-in for `buildah build` that runs nothing for 16 s, past the 10 s a tool
/// is spared and the 15 s after which a group gets SIGTERM, records every signal it gets.
#[test]
fn an_interrupted_build_is_left_to_end_its_steps_and_never_signalled_itself() {
    if !support::build_tools_available(EngineKind::Buildah) {
        return;
    }
    let storage = Storage::new();
    storage.busybox_image("localhost/busybox:1.0");
    let dir = tempfile::tempdir().unwrap();
    let (signals, never) = (dir.path().join("signals"), dir.path().join("never"));
    let build = dir.path().join("build.sh");
    let script = format!(
        "trap 'echo INT >> {signals}' INT\ntrap 'echo TERM >> {signals}' TERM\n\
         mkfifo {never}\necho 'STEP 1/2: FROM localhost/busybox:1.0'\n\
         while [ \"$SECONDS\" -lt 16 ]; do read -r -t 1 _ <> {never}; done\n",
        signals = signals.display(),
        never = never.display(),
    );
    std::fs::write(&build, script).unwrap();
    let then = format!(
        "if [ \"$1\" = build ]; then exec bash {}; fi\nexec buildah \"$@\"",
        build.display()
    );
    let tool = RecordingTool::new("buildah", &then);
    let mut running = Test::new()
        .config("")
        .envs(storage.env())
        .env("DOCKER_PKG_ENGINE_PATH", &tool.path.display().to_string())
        .image("one", "one", "1.0", &[], "FROM localhost/busybox:1.0\n")
        .args(["build", "--no-pull", "images"])
        .spawn();
    assert!(running.wait_for_log("[one] STEP 1/2", 1), "no build began");
    let signalled = Instant::now();
    running.signal(SIGINT);
    let output = running.wait().no_panic();
    assert_eq!(output.code, Some(128 + SIGINT), "{output:#?}");
    assert!(signalled.elapsed() > Duration::from_secs(10), "{output:#?}");
    let got = std::fs::read_to_string(&signals).unwrap_or_default();
    assert_eq!(got, "", "the build was signalled\n{output:#?}");
}
