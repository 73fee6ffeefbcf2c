//! No template can end the process: a tree holding templates that once panicked (a format
//! precision over 65,535), overflowed the stack (30,000-term chains), took gigabytes (a list
//! of a 16 MB string's characters) or ran for hours (scanning a 16 MB string in a loop) fails
//! those images alone, with a message naming them, in `render`, `lint`, `graph`, `ci gitlab`
//! and `build`, while the other images render, build and publish.

use crate::fixture_tree::{Setup, summary_line};
use crate::harness::Test;
use crate::support;

/// Python renders these: so does docker-pkg.
const HUGE_PRECISIONS: [(&str, &str); 3] = [
    ("precision-printf", "{{ '%.70000f' % 1.5 }}"),
    ("precision-format", "{{ '{:.70000%}'.format(0.5) }}"),
    ("precision-round", "{{ 1.5|round(70000) }}"),
];

/// The images that fail, with what their error says.
fn failing() -> Vec<(&'static str, String, &'static str)> {
    let chain = |first: &str, term: &str| format!("{{{{ {first}{} }}}}", term.repeat(30_000));
    let too_deep = "maximum recursion depth exceeded: the expression is more than 1000 levels deep";
    vec![
        ("chain-add", chain("1", "+1"), too_deep),
        ("chain-attr", chain("x", ".a"), too_deep),
        ("chain-and", chain("true", " and true"), too_deep),
        ("chain-filter", chain("'a'", "|upper"), too_deep),
        ("chain-slice", chain("'a'", "[0:1]"), too_deep),
        (
            "memory-list",
            "{{ ('x' * 16000000)|list|length }}".to_owned(),
            "the characters of this string would be too large to hold in memory",
        ),
        (
            "cpu-count",
            "{% set s = 'x' * 16000000 %}{% for i in range(100000) %}{{ s.count('y') }}\
             {% endfor %}"
                .to_owned(),
            "the template does more than 20000000 steps of work",
        ),
    ]
}

/// `test` with one image per case, each `FROM base` and running `echo` of the case.
fn with_cases(mut test: Test, from: &str) -> Test {
    let cases = HUGE_PRECISIONS
        .iter()
        .map(|(name, expr)| (*name, (*expr).to_owned()))
        .chain(failing().into_iter().map(|(name, expr, _)| (name, expr)));
    for (name, expr) in cases {
        let template = format!("FROM {from}\nRUN echo {expr}\n");
        test = test.image(&format!("cases/{name}"), name, "1.0", &[], &template);
    }
    test
}

/// A tree of two healthy images and the cases, without a registry.
fn tree() -> Test {
    let test = Test::new()
        .config("")
        .image("good-a", "good-a", "1.0", &[], "FROM scratch\nUSER 33\n")
        .image(
            "good-b",
            "good-b",
            "1.0",
            &["good-a"],
            "FROM {{ 'good-a'|image_tag }}\n",
        );
    with_cases(test, "scratch")
}

fn assert_each_failing_image_named(stderr: &str) {
    for (name, _, message) in failing() {
        let place = format!("images/cases/{name}/Dockerfile.template:2: ");
        let line = stderr.lines().find(|l| l.contains(&place));
        let line = line.unwrap_or_else(|| panic!("no error for {name}:\n{stderr}"));
        assert!(line.contains(message), "{name}: {line}");
    }
}

#[test]
fn render_fails_only_the_bad_templates() {
    let test = tree().args(["render", "--output", "out", "images"]);
    let output = test.run().code(1).no_panic();
    assert_each_failing_image_named(&output.stderr);
    let output = output.stdout_has(&format!(
        "Rendered {} of 12 images into out",
        12 - failing().len()
    ));
    assert_eq!(
        output.read("out/good-a/Dockerfile"),
        "FROM scratch\nUSER 33"
    );
    assert!(
        output
            .read("out/good-b/Dockerfile")
            .starts_with("FROM good-a:1.0")
    );
    let fixed = output.read("out/precision-printf/Dockerfile");
    assert_eq!(
        fixed,
        format!("FROM scratch\nRUN echo 1.5{}", "0".repeat(69_999))
    );
    let percent = output.read("out/precision-format/Dockerfile");
    assert_eq!(
        percent,
        format!("FROM scratch\nRUN echo 50.{}%", "0".repeat(70_000))
    );
    let round = output.read("out/precision-round/Dockerfile");
    assert_eq!(round, "FROM scratch\nRUN echo 1.5");
    for (name, _, _) in failing() {
        assert!(!test.path().join("out").join(name).exists(), "{name}");
    }
}

#[test]
fn lint_reports_the_bad_templates_and_nothing_else() {
    let output = tree().args(["lint", "images"]).run().code(2).no_panic();
    let problems = failing().len();
    let output = output
        .stderr_has(&format!(
            "lint found {problems} problems that make a build fail"
        ))
        .stdout_has(&format!("{problems} errors, 0 warnings."));
    let reported = format!("{}{}", output.stdout, output.stderr);
    assert_each_failing_image_named(&reported);
    assert!(!reported.contains("images/good-"), "{reported}");
    assert!(!reported.contains("images/cases/precision-"), "{reported}");
}

#[test]
fn graph_lists_every_image() {
    let output = tree().args(["graph", "images"]).run().success().no_panic();
    for name in ["good-a", "good-b"]
        .into_iter()
        .chain(HUGE_PRECISIONS.iter().map(|(name, _)| *name))
        .chain(failing().into_iter().map(|(name, _, _)| name))
    {
        let node = format!("\"{name}\" [label=\"{name}:1.0\"]");
        assert!(output.stdout.contains(&node), "{node}:\n{}", output.stdout);
    }
    output.stdout_has("\"good-a\" -> \"good-b\"");
}

#[test]
fn ci_gitlab_writes_a_job_for_every_image() {
    if !support::registry_available() {
        return;
    }
    let registry = support::TestRegistry::start();
    let config = format!(
        "registry: {}\nusername: {}\npassword: {}\nca_bundle: {}\n",
        registry.address,
        registry.username,
        registry.password,
        registry.ca_file.display()
    );
    let test = tree().config(&config);
    let output = test
        .args(["ci", "gitlab", "--output", "pipeline.yml", "images"])
        .run()
        .success()
        .no_panic();
    let output = output.stdout_has("Wrote pipeline.yml: 12 jobs to build, publish and summarise.");
    let pipeline = output.read("pipeline.yml");
    for (name, _, _) in failing() {
        assert!(pipeline.contains(&format!("{name}:1.0")), "{name}");
    }
    assert!(pipeline.contains("good-b:1.0"));
}

#[test]
fn build_builds_the_healthy_images_and_reports_the_bad_ones() {
    let Some(setup) = Setup::new() else { return };
    let base = setup.label("busybox", "1.0").to_string();
    let test = with_cases(setup.test(), &base).args(["build", "--report", "report.json", "images"]);
    let output = test.run().no_panic();
    eprintln!("{}\n{}", output.stdout, output.stderr);
    let output = output.code(1);
    assert_each_failing_image_named(&format!("{}{}", output.stdout, output.stderr));
    let failed = failing().len();
    assert_eq!(
        summary_line(&output),
        format!(
            "Built 13, verified 13, published 13, failed {failed}, skipped 0; 0 already published."
        )
    );
    let report = output.json("report.json");
    let text = report.to_string();
    for (name, _, message) in failing() {
        assert!(text.contains(&format!("ns/{name}:1.0")), "{name}: {text}");
        assert!(text.contains(message), "{name}");
    }
    let healthy: Vec<_> = HUGE_PRECISIONS
        .iter()
        .map(|(name, _)| setup.label(name, "1.0"))
        .chain(setup.version_labels())
        .collect();
    assert!(setup.published(&healthy).iter().all(|p| *p));
    let bad: Vec<_> = failing()
        .into_iter()
        .map(|(name, _, _)| setup.label(name, "1.0"))
        .collect();
    assert!(setup.published(&bad).iter().all(|p| !*p));
}
