//! `build --dry-run` says what the run that follows does, image by image: on an empty
//! registry, a half-published tree and a published one. The dry run changes nothing and
//! runs no engine process but the listing of local storage.

use serde_json::Value;

use crate::fixture_tree::Setup;
use crate::harness;
use crate::support::RecordingTool;

/// Each image's planned steps and state at scan time, by name.
fn planned(report: &Value) -> Vec<(String, Value, Vec<String>)> {
    images(report, |image| {
        image["planned"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect()
    })
}

/// Each image's steps that ran, and state at scan time, by name.
fn ran(report: &Value) -> Vec<(String, Value, Vec<String>)> {
    images(report, |image| {
        image["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                assert_eq!(s["succeeded"], true, "{image}");
                s["step"].as_str().unwrap().to_owned()
            })
            .collect()
    })
}

fn images(
    report: &Value,
    steps: impl Fn(&Value) -> Vec<String>,
) -> Vec<(String, Value, Vec<String>)> {
    report["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|image| {
            let name = image["name"].as_str().unwrap().to_owned();
            (name, image["initial_state"].clone(), steps(image))
        })
        .collect()
}

#[test]
fn the_plan_is_what_the_run_then_does() {
    let Some(setup) = Setup::new() else { return };
    let recorder = RecordingTool::new("buildah", "exec buildah \"$@\"");
    let test = setup.test();
    let steps_of = |extra: &[&str], expected_builds: usize| {
        let run = |dry: bool| {
            let mut args = vec!["build"];
            if dry {
                args.extend(["--dry-run", "--report", "dry.json"]);
            } else {
                args.extend(["--report", "real.json"]);
            }
            args.extend(extra);
            args.push("images");
            let recording = harness::Test::new()
                .copy_dir(&test.path().join("images"), "images")
                .config(&setup.config())
                .envs(setup.storage.env())
                .env(
                    "DOCKER_PKG_ENGINE_PATH",
                    &recorder.path.display().to_string(),
                );
            recording.args(args).run().success().no_panic()
        };
        let before = recorder.calls().len();
        let dry = run(true);
        let calls: Vec<Vec<String>> = recorder.calls().split_off(before);
        assert!(
            calls
                .iter()
                .all(|call| call.first().map(String::as_str) == Some("images")),
            "a dry run only lists local storage: {calls:?}"
        );
        let plan = dry.json("dry.json");
        assert_eq!(plan["run"]["options"]["dry_run"], true);
        let real = run(false).json("real.json");
        assert_eq!(planned(&plan), ran(&real));
        let builds = real["images"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| {
                i["planned"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|s| s == "build")
            })
            .count();
        assert_eq!(builds, expected_builds, "{real}");
        planned(&plan)
    };

    // Empty registry: only the selection and what it needs.
    let first = steps_of(&["--select", "*app-1*"], 3);
    let app_1 = first.iter().find(|(name, ..)| name == "app-1").unwrap();
    assert_eq!(app_1.2, ["build", "verify", "publish"]);
    assert_eq!(app_1.1, "to_build");

    // Half-published: the rest is built, the published parents pulled first.
    let second = steps_of(&[], 7);
    let tool_2 = second.iter().find(|(name, ..)| name == "tool-2").unwrap();
    assert_eq!(tool_2.2, ["pull", "build", "verify", "publish"]);
    let base_a = second.iter().find(|(name, ..)| name == "base-a").unwrap();
    assert_eq!((&base_a.1, base_a.2.len()), (&Value::from("published"), 0));

    // Published: nothing to do.
    let third = steps_of(&[], 0);
    assert!(
        third
            .iter()
            .all(|(_, state, steps)| state == "published" && steps.is_empty())
    );
}
