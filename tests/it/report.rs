//! The reports of a real build of the fixture tree where one image fails to build (and the
//! image built on it is skipped) and one image fails its test: the JSON report field by
//! field, the JUnit XML as GitLab reads it, and the HTML report as Chromium draws it.

use std::path::Path;

use serde_json::Value;

use crate::fixture_tree::Setup;
use crate::support;

const FAILING_TEST: &str =
    "#!/bin/sh\necho 'checking the answer'\necho 'expected 42, got 41' >&2\nexit 3\n";

#[test]
fn a_build_with_a_failure_and_a_skip_is_reported_in_json_junit_and_html() {
    if !support::tools_available(&["chromium", "python3"]) {
        return;
    }
    let Some(setup) = Setup::new() else { return };
    let test = setup
        .test()
        .file(
            "images/tools/tool-2/Dockerfile.template",
            "FROM {{ \"base-a\" | image_tag }}\nRUN false\n",
        )
        .file("images/apps/app-1/test.sh", FAILING_TEST);
    make_executable(&test.path().join("images/apps/app-1/test.sh"));
    let output = test
        .args(["build", "--jobs", "3", "--report", "out/report.json"])
        .args([
            "--junit",
            "out/junit.xml",
            "--report-html",
            "out/report.html",
        ])
        .args(["images"])
        .run()
        .code(1)
        .no_panic();
    let report = output.json("out/report.json");
    check_run(&report, &setup);
    check_images(&report, &setup);
    check_junit(&output.read("out/junit.xml"));
    check_html(&output.path().join("out/report.html"));
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn check_run(report: &Value, setup: &Setup) {
    assert_eq!(report["schema"], "docker-pkg/report");
    assert_eq!(report["version"], 1);
    let run = &report["run"];
    assert_eq!(run["exit_code"], 1);
    let started = run["started"].as_str().unwrap();
    let finished = run["finished"].as_str().unwrap();
    assert!(started.ends_with('Z') && started < finished, "{run}");
    assert!(run["duration_ms"].as_u64().unwrap() > 0);
    assert_eq!(run["directory"], "images");
    assert_eq!(run["log_file"], "docker-pkg-build.log");
    assert_eq!(run["refreshes_base_images"], true);
    assert!(run["command_line"][1] == "build", "{run}");
    let options = &run["options"];
    assert_eq!(options["dry_run"], false);
    assert_eq!(options["pull"], true);
    assert_eq!(options["publish"], true);
    assert_eq!(options["jobs"], 3);
    assert_eq!(options["engine"], "buildah");
    assert_eq!(options["registry"], setup.address.as_str());
    assert_eq!(options["namespace"], "ns");
    assert_eq!(options["select"], Value::Null);
    let totals = &report["totals"];
    let expected = [
        ("images", 10),
        ("built", 8),
        ("verified", 7),
        ("published", 7),
        ("failed", 2),
        ("skipped", 1),
        ("up_to_date", 0),
    ];
    for (key, count) in expected {
        assert_eq!(totals[key], count, "totals.{key}: {totals}");
    }
    assert_eq!(report["base_images"][0]["name"], "busybox");
}

/// The image of a JSON report with that name.
fn image<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["images"]
        .as_array()
        .expect("images is a list")
        .iter()
        .find(|image| image["name"] == name)
        .unwrap_or_else(|| panic!("no image {name} in the report"))
}

fn step_names(image: &Value) -> Vec<(&str, bool)> {
    image["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["step"].as_str().unwrap(),
                s["succeeded"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn check_images(report: &Value, setup: &Setup) {
    let names: Vec<&str> = report["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    let position = |name: &str| names.iter().position(|n| *n == name).unwrap();
    assert!(position("base-a") < position("tool-2") && position("tool-2") < position("app-2"));

    let base_a = image(report, "base-a");
    assert_eq!(base_a["label"], setup.label("base-a", "1.0").to_string());
    assert_eq!(base_a["directory"], "images/base-a");
    assert_eq!(base_a["base_images"], serde_json::json!(["busybox"]));
    assert_eq!(base_a["initial_state"], "to_build");
    assert_eq!(
        base_a["planned"],
        serde_json::json!(["build", "verify", "publish"])
    );
    assert_eq!(base_a["plan_reason"], "missing");
    assert_eq!(base_a["outcome"], "published");
    assert_eq!(base_a["reason"], Value::Null);
    assert_eq!(base_a["failure"], Value::Null);
    assert_eq!(
        step_names(base_a),
        [("build", true), ("verify", true), ("publish", true)]
    );
    let mut previous_end = 0;
    for step in base_a["steps"].as_array().unwrap() {
        let offset = step["offset_ms"].as_u64().unwrap();
        assert!(offset >= previous_end, "steps follow each other: {base_a}");
        previous_end = offset + step["duration_ms"].as_u64().unwrap();
        assert!(step["started"].as_str().unwrap().ends_with('Z'));
    }
    let digest = base_a["digest"].as_str().unwrap();
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{digest}"
    );
    assert_eq!(base_a["test"]["ran"], true);
    assert_eq!(base_a["test"]["passed"], true);
    assert_eq!(base_a["log_file"], "docker-pkg-build.log");

    let base_b = image(report, "base-b");
    assert_eq!(base_b["test"]["ran"], false);
    assert!(
        base_b["test"]["missing"]
            .as_str()
            .unwrap()
            .ends_with("images/base-b/test.sh")
    );

    let tool_2 = image(report, "tool-2");
    assert_eq!(tool_2["outcome"], "failed");
    assert_eq!(step_names(tool_2), [("build", false)]);
    let failure = &tool_2["failure"];
    assert_eq!(failure["step"], "build");
    assert_eq!(failure["kind"], "engine");
    assert_eq!(failure["exit_status"], "exit status: 1");
    assert!(
        failure["message"]
            .as_str()
            .unwrap()
            .starts_with("build failed (exit status: 1): ")
    );
    assert!(
        failure["output"].as_str().unwrap().contains("RUN false"),
        "{failure}"
    );
    assert_eq!(tool_2["reason"], failure["message"]);
    assert_eq!(tool_2["digest"], Value::Null);

    let app_2 = image(report, "app-2");
    assert_eq!(app_2["dependencies"], serde_json::json!(["tool-2", "lib"]));
    assert_eq!(app_2["outcome"], "skipped");
    assert_eq!(app_2["skipped_because"], "tool-2");
    assert_eq!(app_2["reason"], "dependency tool-2 failed");
    assert_eq!(app_2["steps"], serde_json::json!([]));
    assert_eq!(app_2["log_file"], Value::Null);

    let app_1 = image(report, "app-1");
    assert_eq!(app_1["outcome"], "failed");
    assert_eq!(step_names(app_1), [("build", true), ("verify", false)]);
    assert_eq!(app_1["failure"]["step"], "verify");
    assert_eq!(app_1["failure"]["kind"], "test");
    assert_eq!(app_1["failure"]["exit_status"], "exit status: 3");
    assert_eq!(app_1["test"]["passed"], false);
    let test_output = app_1["test"]["output"].as_str().unwrap();
    assert!(
        test_output.contains("checking the answer\nexpected 42, got 41"),
        "{test_output}"
    );
}

/// The structure GitLab's JUnit parser reads: `testsuites` > `testsuite` > `testcase`
/// (`name`, `classname`, `time`), with `failure`, `skipped` and `system-out` in a case.
fn check_junit(xml: &str) {
    let document = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<_> = root.children().filter(|n| n.is_element()).collect();
    assert_eq!(suites.len(), 1);
    let suite = suites[0];
    assert_eq!(suite.tag_name().name(), "testsuite");
    let cases: Vec<_> = suite.children().filter(|n| n.is_element()).collect();
    assert!(cases.iter().all(|c| c.tag_name().name() == "testcase"));
    let names: Vec<&str> = cases
        .iter()
        .map(|c| c.attribute("classname").unwrap())
        .collect();
    let verified = [
        "base-a", "base-b", "tool-1", "tool-3", "lib", "app-1", "app-3", "app-4",
    ];
    assert_eq!(
        names.len(),
        verified.len(),
        "one case per verified image: {names:?}"
    );
    for name in verified {
        assert!(
            names.contains(&format!("docker-pkg.{name}").as_str()),
            "{names:?}"
        );
    }
    assert_eq!(suite.attribute("tests"), Some("8"));
    assert_eq!(suite.attribute("failures"), Some("1"));
    for case in &cases {
        assert!(case.attribute("time").unwrap().parse::<f64>().is_ok());
        assert!(case.attribute("name").unwrap().contains("/ns/"));
    }
    let app_1 = cases
        .iter()
        .find(|c| c.attribute("classname") == Some("docker-pkg.app-1"))
        .unwrap();
    let failure = app_1
        .children()
        .find(|n| n.has_tag_name("failure"))
        .expect("app-1 failed its test");
    assert!(
        failure
            .attribute("message")
            .unwrap()
            .starts_with("verify failed (exit status: 3)")
    );
    assert!(failure.text().unwrap_or("").contains("expected 42, got 41"));
    let skipped = cases
        .iter()
        .filter(|c| c.children().any(|n| n.has_tag_name("skipped")))
        .count();
    assert_eq!(
        suite.attribute("skipped"),
        Some(skipped.to_string().as_str())
    );
}

/// Chromium loads the report, runs its script without a console error, and draws the
/// table, a bar per step in the timeline and a node per image in the graph.
fn check_html(page: &Path) {
    let text = std::fs::read_to_string(page).unwrap();
    for external in ["http://", "https://", "src=\"", "href=\""] {
        let outside = text.replace("http://www.w3.org/2000/svg", "");
        assert!(
            !outside.contains(external),
            "the page needs nothing outside: {external}"
        );
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/lib/page_check.py");
    let out = support::run(
        "python3",
        &[&script.display().to_string(), &page.display().to_string()],
        &[],
    );
    let seen: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(seen["exceptions"], serde_json::json!([]), "{seen}");
    let errors: Vec<&Value> = seen["console"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["level"] == "error" || m["level"] == "warning")
        .collect();
    assert!(errors.is_empty(), "console: {errors:?}");
    let elements = &seen["elements"];
    let count = |key: &str| elements[key]["count"].as_u64().unwrap();
    let sized = |key: &str| {
        elements[key]["width"].as_f64().unwrap() > 10.0
            && elements[key]["height"].as_f64().unwrap() > 5.0
    };
    assert_eq!(count("table_rows"), 10, "{elements}");
    // Every step run: 3 for each of 7 published images, build+verify for app-1, tool-2's build.
    assert_eq!(count("timeline_bars"), 7 * 3 + 2 + 1, "{elements}");
    assert_eq!(
        count("graph_nodes"),
        11,
        "10 images and the busybox base: {elements}"
    );
    assert_eq!(count("graph_edges"), 11, "{elements}");
    for key in [
        "header",
        "timeline",
        "timeline_bars",
        "graph",
        "graph_nodes",
    ] {
        assert!(sized(key), "{key} is drawn with a size: {elements}");
    }
}
