//! `docker-pkg lint`: each problem that breaks builds later, with its exit code and message;
//! the example tree has none. No container tool is needed.

use std::os::unix::fs::PermissionsExt;

use crate::harness::{Output, Test};

const CONFIG: &str = "registry: r.example.org\nnamespace: ns\n\
                      base_images: [\"r.example.org/ns/bookworm:2024\"]\n";
const BASE: &str = "FROM {{ 'bookworm' | image_tag }}\n";

fn tree() -> Test {
    Test::new()
        .config(CONFIG)
        .image("base", "base", "1.0", &["bookworm"], BASE)
}

fn lint(test: Test) -> Output {
    test.args(["lint", "images"]).run().no_panic()
}

/// The lines of the findings, without the counts.
fn findings(output: &Output) -> Vec<&str> {
    output
        .stdout
        .lines()
        .filter(|l| l.starts_with("warning: ") || l.starts_with("error: "))
        .collect()
}

#[test]
fn an_image_named_through_image_tag_only_is_a_dependency_to_declare() {
    let test = tree().image(
        "a-child",
        "child",
        "1.0",
        &[],
        "FROM {{ 'base' | image_tag }}\n",
    );
    let output = lint(test).success();
    assert_eq!(
        findings(&output),
        [
            "warning: images/a-child/control: image child is built on base, which its template \
          names through image_tag but this file does not list (it is built after it all the \
          same): add the line `Depends: base`"
        ]
    );
    assert!(
        output.stdout.ends_with("0 errors, 1 warnings.\n"),
        "{output:#?}"
    );

    let declared_elsewhere = tree()
        .image("tools", "tools", "1.0", &["bookworm"], BASE)
        .image(
            "app",
            "app",
            "1.0",
            &["tools"],
            "{% for p in ['tools', 'base'] %}COPY --from={{ p | image_tag }} / /\n{% endfor %}",
        );
    let output = lint(declared_elsewhere).success();
    assert!(
        output
            .stdout
            .contains("make its Depends line `Depends: tools, base`"),
        "{output:#?}"
    );
}

#[test]
fn an_unknown_dependency_gets_the_closest_name() {
    let test = Test::new()
        .config(CONFIG)
        .image("nu-base", "nu-base", "1.0", &["bookworm"], BASE)
        .image("app", "app", "1.0", &["nubase"], "FROM scratch\n");
    let output = lint(test).success();
    assert_eq!(
        findings(&output),
        [
            "warning: images/app/control: image app depends on nubase, which is neither an image \
          of the tree nor a base image (did you mean nu-base?); ignoring that dependency"
        ]
    );
}

#[test]
fn a_literal_from_of_an_image_of_the_tree_fails() {
    let test = tree().image("app", "app", "1.0", &[], "FROM r.example.org/ns/base:1.0\n");
    let output = lint(test)
        .code(2)
        .stderr_has("docker-pkg: error: lint found 1 problem that makes a build fail");
    assert_eq!(
        findings(&output),
        [
            "error: images/app/Dockerfile.template: image app starts FROM r.example.org/ns/base:1.0, \
          an image of this tree that its control file does not list: it may be built before \
          base, and base is never pulled for it; write `FROM {{ \"base\" | image_tag }}` or add \
          base to `Depends:` in images/app/control"
        ]
    );
}

#[test]
fn a_test_script_without_its_executable_bit_fails() {
    let test = tree().file("images/base/test.sh", "#!/bin/sh\ntrue\n");
    let script = test.path().join("images/base/test.sh");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).unwrap();
    let output = lint(test).code(2);
    assert_eq!(
        findings(&output),
        [
            "error: images/base/test.sh: the test script is not executable: /bin/bash runs it as \
          `{path}/test.sh {image}` through `-c`, which fails with exit code 126 (permission \
          denied) and so fails image base; run `chmod +x images/base/test.sh` (and commit the \
          mode)"
        ]
    );
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let fixed = Test::new()
        .copy_dir(&output.path().join("images"), "images")
        .config(CONFIG);
    assert!(findings(&lint(fixed).success()).is_empty());
}

#[test]
fn a_malformed_newest_changelog_entry() {
    let no_trailer = tree().file(
        "images/base/changelog",
        "base (1.1) wikimedia; urgency=medium\n\n  * Newer.\n\n\
         base (1.0) wikimedia; urgency=medium\n\n  * Old.\n\n \
         -- Jane Doe <jane@example.org>  Mon, 01 Jan 2024 10:00:00 +0000\n",
    );
    let output = lint(no_trailer).success();
    assert_eq!(
        findings(&output),
        [
            "warning: images/base/changelog: the newest entry (line 1) has no trailer line ` -- \
          NAME <EMAIL>  DATE`: Debian's tools (dpkg-parsechangelog) refuse the changelog"
        ]
    );
    let bad_heading = tree().file("images/base/changelog", "base 1.0 wikimedia\n");
    let output = lint(bad_heading).code(2);
    assert_eq!(
        findings(&output),
        [
            "error: images/base/changelog: line 1: expected an entry heading `NAME (VERSION) \
          DISTRIBUTION; urgency=…`, found `base 1.0 wikimedia`"
        ]
    );
}

#[test]
fn a_cycle_through_an_implied_dependency_fails() {
    let test = tree().image("a", "a", "1.0", &["b"], BASE).image(
        "b",
        "b",
        "1.0",
        &[],
        "FROM {{ 'a' | image_tag }}\n",
    );
    let output = lint(test).code(2);
    assert_eq!(
        findings(&output),
        [
            "error: dependency cycle (each image depends on the next): a -> b -> a; b names a \
          only through image_tag"
        ]
    );
}

#[test]
fn image_tag_of_a_base_image_outside_the_registry_teaches_the_label_to_write() {
    let test = Test::new()
        .config("registry: r.example.org\nnamespace: ns\nbase_images: [\"docker.io/library/debian:12\"]\n")
        .image("app", "app", "1.0", &[], "FROM {{ 'debian' | image_tag }}\n");
    let output = lint(test).code(2);
    assert_eq!(
        findings(&output),
        [
            "error: images/app/Dockerfile.template: `debian` | image_tag looks for \
          r.example.org/ns/debian, but the base image debian is docker.io/library/debian:12: \
          image_tag (as in docker-pkg 4.0.4) resolves only names under `r.example.org/ns`, so \
          write `FROM docker.io/library/debian:12` instead"
        ]
    );
    let typo = tree().image("app", "app", "1.0", &[], "FROM {{ 'bsae' | image_tag }}\n");
    let output = lint(typo).code(2);
    assert!(
        output.stdout.contains(
            "`bsae` | image_tag names r.example.org/ns/bsae, which is \
                                neither an image of the tree nor a tagged entry of \
                                base_images; did you mean base?"
        ),
        "{output:#?}"
    );
}

#[test]
fn json_for_tools() {
    let test = tree().image(
        "child",
        "child",
        "1.0",
        &[],
        "FROM {{ 'base' | image_tag }}\n",
    );
    let output = test
        .args(["lint", "--format", "json", "images"])
        .run()
        .success();
    let report: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(report["errors"], 0);
    assert_eq!(report["warnings"], 1);
    let finding = &report["findings"][0];
    assert_eq!(finding["severity"], "warning");
    assert_eq!(finding["check"], "undeclared-dependency");
    assert_eq!(finding["image"], "child");
    assert_eq!(finding["file"], "images/child/control");
}

#[test]
fn the_example_tree_has_no_finding() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/example/images");
    let output = Test::new()
        .config(
            "registry: 127.0.0.1:5000\nnamespace: demo\nforce_numeric_user: true\n\
             base_images: [127.0.0.1:5000/demo/bookworm:20250520, 127.0.0.1:5000/demo/busybox:1.36]\n\
             known_uid_mappings: {root: 0, www-data: 33, nobody: 65534, app: 900}\n",
        )
        .args(["lint"])
        .arg_path(&example)
        .run()
        .success();
    assert_eq!(output.stdout, "No problem found.\n");
    assert_eq!(output.stderr, "");
}

#[test]
fn build_and_render_warn_of_the_same_before_they_start() {
    let test = tree().image(
        "child",
        "child",
        "1.0",
        &[],
        "FROM {{ 'base' | image_tag }}\n",
    );
    let output = test
        .args(["render", "--output", "out", "images"])
        .run()
        .success()
        .stderr_has("WARNING: images/child/control: image child is built on base");
    assert_eq!(
        output.read("out/chain.txt"),
        "r.example.org/ns/base:1.0\nr.example.org/ns/child:1.0\n"
    );
}
