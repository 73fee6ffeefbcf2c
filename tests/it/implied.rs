//! A child that names its parent only through `image_tag` (no `Depends:`, and a folder that
//! sorts first): the parent is built first whatever the number of jobs, and the warning names
//! the line to add. Real buildah and registry.

use crate::fixture_tree::Setup;
use crate::harness::Test;

fn builds_the_parent_first(jobs: &str) {
    let Some(setup) = Setup::new() else { return };
    let output = Test::new()
        .config(&setup.config())
        .envs(setup.storage.env())
        .image(
            "a-child",
            "child",
            "1.0",
            &[],
            "FROM {{ 'z-parent' | image_tag }}\nRUN test -f /parent\n",
        )
        .image(
            "z-parent",
            "z-parent",
            "1.0",
            &["busybox"],
            "FROM {{ 'busybox' | image_tag }}\nRUN echo parent > /parent\n",
        )
        .args(["build", "--jobs", jobs, "images"])
        .run()
        .success()
        .no_panic()
        .stderr_has(
            "WARNING: images/a-child/control: image child is built on z-parent, which its \
             template names through image_tag but this file does not list (it is built after \
             it all the same): add the line `Depends: z-parent`",
        );
    let results: Vec<&str> = output
        .stdout
        .lines()
        .filter(|line| line.starts_with("* ") && line.contains(": built"))
        .collect();
    assert_eq!(results.len(), 2, "{output:#?}");
    assert!(results[0].contains("/ns/z-parent:1.0: "), "{output:#?}");
    assert!(results[1].contains("/ns/child:1.0: "), "{output:#?}");
    assert!(
        output.stdout.contains(
            "Built 2, verified 2, published 2, failed 0, skipped 0; 0 already published."
        )
    );
}

#[test]
fn the_parent_is_built_first_with_one_job() {
    builds_the_parent_first("1");
}

#[test]
fn the_parent_is_built_first_with_eight_jobs() {
    builds_the_parent_first("8");
}
