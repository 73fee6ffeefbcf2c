//! `docker-pkg update`: changelogs identical to docker-pkg 4.0.4's but for the date, any
//! version bumped, and all or nothing.

use std::path::{Path, PathBuf};

use crate::harness::{Test, files_below};
use crate::support;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/update")
}

/// A scratch copy of fixtures/update/images, with an empty config and a known author.
fn fixture_tree() -> Test {
    Test::new()
        .config("")
        .env("DEBFULLNAME", "Release Engineer")
        .env("DEBEMAIL", "releng@example.org")
        .copy_dir(&fixtures().join("images"), "images")
}

/// The date of the new signature lines is the only part not compared.
fn without_dates(text: &str) -> String {
    text.lines()
        .map(|line| match line.split_once(">  ") {
            Some((who, _)) if line.starts_with(" -- Release Engineer") => format!("{who}>  DATE"),
            _ => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_matches_golden(scenario: &str, test: &Test) {
    let golden = files_below(&fixtures().join("golden").join(scenario));
    let actual = files_below(&test.path().join("images"));
    assert!(!golden.is_empty());
    for (relative, expected) in golden {
        assert_eq!(
            without_dates(&actual[&relative]),
            without_dates(&expected),
            "{scenario}: {relative} differs from 4.0.4's"
        );
    }
}

#[test]
fn golden_cascade_from_the_base() {
    let test = fixture_tree().args(["update", "base", "images"]);
    test.run()
        .success()
        .stdout_has("Will update the following images: \n* base\n")
        .stdout_has("* grandchild: 1.1-2-s1 -> 1.1-2-s2\n")
        .stdout_has("* child-b: 0.5-s3 -> 0.5-s4\n");
    assert_matches_golden("base-security", &test);
}

#[test]
fn golden_explicit_version_and_multiline_reason() {
    let test = fixture_tree().args([
        "update",
        "child-a",
        "--version",
        "2.4-1",
        "--reason",
        "New upstream release\nwith a second line",
        "images",
    ]);
    test.run()
        .success()
        .stdout_has("* child-a: 2.3-1 -> 2.4-1\n");
    assert_matches_golden("child-a-version", &test);
}

#[test]
fn signature_date_is_rfc_2822() {
    let test = fixture_tree().args(["update", "unrelated", "images"]);
    test.run().success();
    let text = std::fs::read_to_string(test.path().join("images/unrelated/changelog")).unwrap();
    let signature = text.lines().nth(4).unwrap();
    let date = signature.split_once(">  ").unwrap().1;
    let day = &date[5..7];
    assert!(day.starts_with(' ') || day.starts_with(|c: char| c.is_ascii_digit() && c != '0'));
    let parsed = chrono::DateTime::parse_from_rfc2822(&date.replacen(",  ", ", ", 1));
    assert!(parsed.is_ok(), "{signature}");
}

#[test]
fn versions_4_0_4_refuses_are_bumped() {
    let test = Test::new()
        .config("")
        .image("base", "base", "1.0", &[], "x")
        .image("app", "app", "0.1.9-u1-20260816", &["base"], "x")
        .args(["update", "base", "images"]);
    test.run()
        .success()
        .stdout_has("* app: 0.1.9-u1-20260816 -> 0.1.9-u1-20260816-s1\n");
    let text = std::fs::read_to_string(test.path().join("images/app/changelog")).unwrap();
    assert!(text.starts_with("app (0.1.9-u1-20260816-s1) wikimedia; urgency=high\n"));
}

#[test]
fn update_id_comes_from_the_config() {
    let test = Test::new()
        .config("update_id: wmf\ndistribution: bookworm-backports\n")
        .image("base", "base", "1.0-wmf2", &[], "x")
        .args(["update", "base", "images"]);
    test.run().success();
    let text = std::fs::read_to_string(test.path().join("images/base/changelog")).unwrap();
    assert!(
        text.starts_with("base (1.0-wmf3) bookworm-backports; urgency=high\n"),
        "{text}"
    );
}

#[test]
fn a_problem_in_any_changelog_changes_nothing() {
    let test = fixture_tree()
        .image(
            "late",
            "late",
            "1.0-s18446744073709551615",
            &["great-grandchild"],
            "x",
        )
        .args(["update", "base", "images"]);
    let before = files_below(test.path());
    test.run()
        .code(2)
        .no_panic()
        .stderr_has("images/late/changelog: cannot bump version `1.0-s18446744073709551615`")
        .stderr_has("no changelog was changed");
    let mut after = files_below(test.path());
    after.remove("docker-pkg-build.log");
    assert_eq!(before, after);
}

#[test]
fn a_malformed_changelog_changes_nothing() {
    let test = fixture_tree()
        .file("images/child-b/changelog", "child-b: not a heading\n")
        .args(["update", "base", "images"]);
    let before = files_below(test.path());
    test.run()
        .code(2)
        .no_panic()
        .stderr_has("images/child-b/changelog: line 1: expected an entry heading");
    let mut after = files_below(test.path());
    after.remove("docker-pkg-build.log");
    assert_eq!(before, after);
}

#[test]
fn an_invalid_version_changes_nothing() {
    let test = fixture_tree().args(["update", "base", "--version", "2:1.0", "images"]);
    let before = files_below(test.path());
    test.run()
        .code(2)
        .stderr_has("images/base/changelog: `2:1.0` is not a valid image tag");
    let mut after = files_below(test.path());
    after.remove("docker-pkg-build.log");
    assert_eq!(before, after);
}

#[test]
fn unknown_image() {
    fixture_tree()
        .args(["update", "ghost", "images"])
        .run()
        .code(2)
        .stderr_has("no image is named ghost");
}

#[test]
fn unknown_dependency_is_an_error() {
    let test = fixture_tree()
        .image("orphan", "orphan", "1.0", &["ghost"], "x")
        .args(["update", "base", "images"]);
    let before = files_below(test.path());
    test.run()
        .code(2)
        .stderr_has("images/orphan/control: image orphan depends on ghost, which is neither");
    let mut after = files_below(test.path());
    after.remove("docker-pkg-build.log");
    assert_eq!(before, after);
}

#[test]
fn author_from_git_then_from_the_config() {
    let tree = || {
        Test::new()
            .config("fallback_author: Fall Back\nfallback_email: fb@example.org\n")
            .image("base", "base", "1.0", &[], "x")
            .env("GIT_CONFIG_SYSTEM", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .args(["update", "base", "images"])
    };
    let test = tree().file(
        "gitconfig",
        "[user]\n\tname = Git User\n\temail = git@example.org\n",
    );
    let gitconfig = test.path().join("gitconfig").display().to_string();
    let test = test.env("GIT_CONFIG_GLOBAL", &gitconfig);
    test.run().success();
    let text = std::fs::read_to_string(test.path().join("images/base/changelog")).unwrap();
    assert!(
        text.contains("\n -- Git User <git@example.org>  "),
        "{text}"
    );

    let test = tree().env("GIT_CONFIG_GLOBAL", "/dev/null");
    test.run().success();
    let text = std::fs::read_to_string(test.path().join("images/base/changelog")).unwrap();
    assert!(
        text.contains("\n -- Fall Back <fb@example.org>  "),
        "{text}"
    );
}

#[test]
fn a_glob_updates_every_matching_image() {
    let test = Test::new()
        .config("")
        .image("py2", "python2", "1.0", &[], "x")
        .image("py3", "python3", "1.0", &[], "x")
        .image("app", "mypython3", "1.0", &[], "x")
        .args(["update", "python*", "images"]);
    let output = test.run().success();
    assert!(output.stdout.contains("* python2: 1.0 -> 1.0-s1"));
    assert!(output.stdout.contains("* python3: 1.0 -> 1.0-s1"));
    assert!(!output.stdout.contains("mypython3"), "{}", output.stdout);
}

/// An immutable changelog (`chattr +i`) cannot be replaced: nothing is, not even the
/// changelogs that could be.
#[test]
fn an_immutable_changelog_changes_nothing() {
    if !support::tools_available(&["chattr"]) {
        return;
    }
    let test = fixture_tree().args(["update", "base", "images"]);
    let before = files_below(test.path());
    let immutable = test.path().join("images/child-b/changelog");
    let chattr = |flag: &str| {
        std::process::Command::new("chattr")
            .arg(flag)
            .arg(&immutable)
            .status()
            .is_ok_and(|s| s.success())
    };
    assert!(
        chattr("+i"),
        "chattr +i needs root and a file system that has the attribute"
    );
    let output = test.run();
    chattr("-i");
    output
        .code(2)
        .no_panic()
        .stderr_has("images/child-b/changelog")
        .stderr_has("no changelog was changed");
    let mut after = files_below(test.path());
    after.remove("docker-pkg-build.log");
    assert_eq!(before, after);
}
