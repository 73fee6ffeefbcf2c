//! What a user reads, checked whole against reviewed snapshots (`tests/it/snapshots/`): the
//! `--help` of every command, the summary of a build where an image fails, a generated
//! pipeline, and the main error messages. `INSTA_UPDATE=always cargo test --test it
//! snapshots::` rewrites them when the output changes on purpose; `git diff` then shows the
//! change to review.

use crate::fixture_tree::Setup;
use crate::harness::{Output, Test};
use crate::support::{self, TestRegistry};

/// Help is wrapped to the terminal's width, which `COLUMNS` gives when there is no terminal.
const COLUMNS: &str = "100";

/// The exit code, standard output and standard error of a run, as one text.
fn transcript(output: &Output) -> String {
    let code = output
        .code
        .map_or_else(|| "none (killed by a signal)".to_owned(), |c| c.to_string());
    format!(
        "exit code: {code}\n--- stdout\n{}--- stderr\n{}",
        output.stdout, output.stderr
    )
}

/// Checks `output` against the snapshot `name`, with what changes from run to run (the
/// scratch folder, registry ports, digests) replaced by a placeholder.
fn assert_transcript(name: &str, output: &Output) {
    settings(output).bind(|| insta::assert_snapshot!(name, transcript(output)));
}

/// `assert_transcript` for a run that took time: durations are replaced too.
fn assert_timed_transcript(name: &str, output: &Output) {
    let mut settings = settings(output);
    settings.add_filter(r"\b\d+m ?\d+(\.\d+)?s\b", "[DURATION]");
    settings.add_filter(r"\b\d+(\.\d+)?(ms|s)\b", "[DURATION]");
    settings.bind(|| insta::assert_snapshot!(name, transcript(output)));
}

fn settings(output: &Output) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.add_filter(
        &regex::escape(&output.path().display().to_string()),
        "[SCRATCH]",
    );
    settings.add_filter(r"/tmp/[\w.-]+", "[TMP]");
    // Test registries listen on ports the system hands out (32768–60999 on Linux unless
    // ip_local_port_range says otherwise): five digits, so a summary's columns stay put.
    settings.add_filter(r"127\.0\.0\.1:\d+", "[REGISTRY]");
    settings.add_filter(r"sha256:[0-9a-f]{12,64}", "sha256:[DIGEST]");
    settings
}

/// The names of the subcommands that `help` lists under `Commands:`, but `help` itself.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|line| *line != "Commands:")
        .skip(1)
        .take_while(|line| !line.is_empty())
        .filter_map(|line| line.strip_prefix("  "))
        .filter(|line| !line.starts_with(' '))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

/// `--help` of the top-level command and of every subcommand, nested ones included (`ci
/// gitlab`): a snapshot each, `help` followed by the command's words.
#[test]
fn help_of_every_command() {
    let mut pending = vec![Vec::<String>::new()];
    let mut seen = Vec::new();
    while let Some(command) = pending.pop() {
        let output = Test::new()
            .env("COLUMNS", COLUMNS)
            .args(command.iter().cloned())
            .args(["--help"])
            .run()
            .success()
            .no_panic();
        let name = ["help"]
            .into_iter()
            .chain(command.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join("-");
        assert_transcript(&name, &output);
        for sub in subcommands(&output.stdout) {
            pending.push([command.clone(), vec![sub]].concat());
        }
        seen.push(name);
    }
    // The walk found the commands through the help itself; a few that must be there show
    // that it did not stop early.
    for expected in ["help", "help-build", "help-ci-gitlab", "help-report-merge"] {
        assert!(seen.iter().any(|s| s == expected), "{expected}: {seen:?}");
    }
}

#[test]
fn the_subcommand_parser_reads_the_commands_section() {
    let help = "Usage: x\n\nCommands:\n  build  Build\n  graph  Print the graph (edges\n         \
                go on)\n  help   Print this\n\nOptions:\n  -h, --help\n";
    assert_eq!(subcommands(help), ["build", "graph"]);
}

/// A tree where `broken` fails its `RUN`, `child` (built on it) is skipped, and `fine` is
/// built, verified and published: the lines a user reads, from the first to the summary.
#[test]
fn a_build_with_a_failed_image_and_a_skipped_one() {
    let Some(setup) = Setup::new() else { return };
    let from = "FROM {{ 'busybox' | image_tag }}\n";
    let output = Test::new()
        .config(&setup.config())
        .envs(setup.storage.env())
        .image(
            "fine",
            "fine",
            "1.0",
            &["busybox"],
            &format!("{from}RUN true\n"),
        )
        .image(
            "broken",
            "broken",
            "1.0",
            &["busybox"],
            &format!("{from}RUN echo about to fail && false\n"),
        )
        .image(
            "child",
            "child",
            "1.0",
            &["broken"],
            "FROM {{ 'broken' | image_tag }}\n",
        )
        .args(["build", "--jobs", "1", "images"])
        .run()
        .code(1)
        .no_panic();
    assert_timed_transcript("build-with-a-failure", &output);
}

/// A tree of one image, `a`, whose template is `template`.
fn one_image(template: &str) -> Test {
    Test::new().image("a", "a", "1.0", &[], template)
}

#[test]
fn error_missing_config() {
    let output = one_image("FROM x\n").args(["build", "images"]).run();
    assert_transcript("error-missing-config", &output.code(2).no_panic());
}

#[test]
fn error_config_not_yaml() {
    let output = one_image("FROM x\n")
        .config("registry: [unclosed\n")
        .args(["build", "images"])
        .run();
    assert_transcript("error-config-not-yaml", &output.code(2).no_panic());
}

#[test]
fn error_config_bad_value() {
    let output = one_image("FROM x\n")
        .config("registry: 5\n")
        .args(["build", "images"])
        .run();
    assert_transcript("error-config-bad-value", &output.code(2).no_panic());
}

#[test]
fn error_unknown_image_folder() {
    let output = one_image("FROM x\n")
        .config("registry: registry.example.org\n")
        .args(["build", "no-such-folder"])
        .run();
    assert_transcript("error-unknown-image-folder", &output.code(2).no_panic());
}

#[test]
fn error_template_syntax() {
    let output = one_image("FROM {{ 'busybox' | image_tag\n")
        .config("registry: registry.example.org\n")
        .args(["render", "--output", "out", "images"])
        .run();
    assert_transcript("error-template-syntax", &output.code(1).no_panic());
}

#[test]
fn error_dependency_cycle() {
    let output = Test::new()
        .config("registry: registry.example.org\n")
        .image("a", "a", "1.0", &["b"], "FROM x\n")
        .image("b", "b", "1.0", &["a"], "FROM x\n")
        .args(["build", "images"])
        .run();
    assert_transcript("error-dependency-cycle", &output.code(2).no_panic());
}

/// The engine's tool is not on `PATH` (an empty folder here).
#[test]
fn error_engine_tool_missing() {
    let test = one_image("FROM x\n").config("registry: registry.example.org\n");
    let empty = test.path().join("empty-path");
    std::fs::create_dir(&empty).expect("an empty folder");
    let output = test
        .env("PATH", &empty.display().to_string())
        .args(["build", "images"])
        .run();
    assert_transcript("error-engine-tool-missing", &output.code(2).no_panic());
}

/// The pipeline `ci gitlab --platform` writes for a chain and a sibling that the (empty)
/// registry lacks: a job per image, each carrying the platforms into its build, which the
/// configuration alone (linux/amd64) would not give it.
#[test]
fn ci_gitlab_with_platforms() {
    if !support::registry_available() {
        return;
    }
    let registry = TestRegistry::start();
    let config = format!(
        "registry: {}\nnamespace: ns\nusername: {}\npassword: {}\nca_bundle: {}\n\
         platforms: [linux/amd64]\n",
        registry.address,
        registry.username,
        registry.password,
        registry.ca_file.display()
    );
    let output = Test::new()
        .config(&config)
        .image("lib", "lib", "1.0", &[], "FROM scratch\n")
        .image(
            "app",
            "app",
            "1.0",
            &["lib"],
            "FROM {{ 'lib' | image_tag }}\n",
        )
        .image("solo", "solo", "2.0", &[], "FROM scratch\n")
        .args(["ci", "gitlab", "--platform", "linux/amd64,linux/arm64"])
        .args(["--suffix-id", "20261207", "images"])
        .run()
        .success()
        .no_panic();
    assert_transcript("ci-gitlab-platforms", &output);
}
