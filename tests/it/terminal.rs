//! What a person sees: completions that load, a man page, colours only where wanted, a log
//! file only for commands that change something, and a build on a real terminal (tmux) with
//! its progress line, colours and summary.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::fixture_tree::Setup;
use crate::harness::Test;
use crate::support;

const BIN: &str = env!("CARGO_BIN_EXE_docker-pkg");

#[test]
fn bash_completions_load_and_complete_commands() {
    let script = format!(
        "set -e; source <('{BIN}' completions bash); complete -p docker-pkg; \
         COMP_WORDS=(docker-pkg bu); COMP_CWORD=1; COMP_LINE='docker-pkg bu'; \
         COMP_POINT=${{#COMP_LINE}}; _docker__pkg docker-pkg bu docker-pkg; \
         echo \"${{COMPREPLY[@]}}\""
    );
    let output = Command::new("bash").args(["-c", &script]).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stderr.is_empty(),
        "{stdout}\n{stderr}"
    );
    assert!(stdout.contains("-F _docker__pkg docker-pkg"), "{stdout}");
    assert_eq!(stdout.lines().last(), Some("build"), "{stdout}");
    for shell in ["zsh", "fish"] {
        Test::new()
            .args(["completions", shell])
            .run()
            .success()
            .stdout_has("docker-pkg");
    }
}

#[test]
fn a_man_page() {
    let output = Test::new().args(["manpage"]).run().success();
    assert!(
        output.stdout.starts_with(".ie \\n(.g .ds Aq"),
        "{}",
        &output.stdout[..80]
    );
    assert!(output.stdout.contains(".TH docker-pkg 1"));
    assert!(output.stdout.contains("lint"));
}

fn failing_render() -> Test {
    Test::new().config("registry: r.example.org\n").image(
        "a",
        "a",
        "1.0",
        &["nowhere"],
        "FROM {{ 'ghost' | image_tag }}\n",
    )
}

#[test]
fn colours_only_where_wanted() {
    const RED_BOLD: &str = "\u{1b}[1m\u{1b}[31m";
    let colours = |test: Test| {
        let output = test.args(["lint", "images"]).run().code(2);
        output.stdout.contains('\u{1b}') || output.stderr.contains('\u{1b}')
    };
    assert!(!colours(failing_render()), "not a terminal: no colours");
    assert!(colours(failing_render().args(["--color", "always"])));
    assert!(colours(failing_render().env("CLICOLOR_FORCE", "1")));
    assert!(!colours(
        failing_render()
            .env("CLICOLOR_FORCE", "1")
            .args(["--color", "never"])
    ));
    let output = failing_render()
        .args(["--color", "always", "lint", "images"])
        .run();
    assert!(
        output.stdout.contains(&format!("{RED_BOLD}error")),
        "{output:#?}"
    );
}

#[test]
fn read_only_commands_write_no_log_file() {
    for args in [
        &["graph", "images"][..],
        &["render", "--output", "out", "images"],
        &["lint", "images"],
        &["build", "--help"],
        &["completions", "bash"],
    ] {
        let run = failing_render().args(args.iter().copied()).run();
        assert!(
            !run.path().join("docker-pkg-build.log").exists(),
            "{args:?} wrote a log file"
        );
    }
}

#[test]
fn the_log_file_can_be_moved_and_records_carry_no_source_line() {
    let tree = || {
        Test::new()
            .config("log_file: from-config.log\n")
            .image("a", "a", "1.0", &[], "FROM scratch\n")
            .image("b", "b", "1.0", &[], "FROM {{ 'a' | image_tag }}\n")
    };
    let by_config = tree().args(["update", "a", "images"]).run().success();
    let log = by_config.read("from-config.log");
    assert!(
        log.contains("WARNING - images/b/control: image b is built on a"),
        "{log}"
    );
    assert!(
        !log.contains("src/"),
        "no source location without --debug: {log}"
    );
    assert!(!by_config.path().join("docker-pkg-build.log").exists());
    let by_flag = tree()
        .args(["--log-file", "flag.log", "update", "a", "images"])
        .run()
        .success();
    assert!(by_flag.path().join("flag.log").exists());
    assert!(!by_flag.path().join("from-config.log").exists());
}

/// The screen of a tmux pane, with its colour codes.
fn capture(session: &str) -> String {
    let output = Command::new("tmux")
        .args([
            "capture-pane",
            "-p",
            "-e",
            "-J",
            "-S",
            "-200",
            "-t",
            session,
        ])
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A build on a terminal: while an image's test runs, the progress line shows it; at the end
/// the line is gone, the results and the summary are coloured.
#[test]
fn a_build_on_a_terminal() {
    if !support::tools_available(&["tmux"]) {
        return;
    }
    let Some(setup) = Setup::new() else { return };
    let test = Test::new()
        .config(&setup.config())
        .envs(setup.storage.env())
        .image(
            "slow",
            "slow",
            "1.0",
            &["busybox"],
            "FROM {{ 'busybox' | image_tag }}\nRUN true\n",
        )
        .image(
            "broken",
            "broken",
            "1.0",
            &["busybox"],
            "FROM {{ 'busybox' | image_tag }}\nRUN false\n",
        )
        .file("images/slow/test.sh", "#!/bin/sh\nsleep 4\n");
    let script = test.path().join("images/slow/test.sh");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    // Unique per test, not per process: other tests share this process. tmux reads `.` and
    // `:` in a target as a window or a pane, so the scratch folder lends its letters and
    // digits only.
    let scratch: String = test
        .path()
        .display()
        .to_string()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let session = format!("docker-pkg-test-{}-{scratch}", std::process::id());
    let envs: String = setup
        .storage
        .env()
        .iter()
        .map(|(k, v)| format!("{k}='{v}' "))
        .collect();
    let command = format!(
        "cd '{}' && env -u NO_COLOR XDG_CONFIG_HOME=xdg {envs} '{BIN}' build --jobs 2 images; \
         echo \"exit=$?\"; sleep 60",
        test.path().display()
    );
    let started = Command::new("tmux")
        .args([
            "new-session",
            "-d",
            "-x",
            "160",
            "-y",
            "50",
            "-s",
            &session,
            &command,
        ])
        .status()
        .unwrap();
    assert!(started.success());
    let _kill = KillSession(session.clone());
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut saw_progress = false;
    let screen = loop {
        let screen = capture(&session);
        saw_progress |= screen.contains("running: slow") && screen.contains("[1/2]");
        if screen.contains("exit=") || Instant::now() > deadline {
            break screen;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(screen.contains("exit=1"), "{screen}");
    assert!(
        saw_progress,
        "the progress line showed the running image: {screen}"
    );
    assert!(
        !screen.contains("running: "),
        "the progress line is gone at the end: {screen}"
    );
    assert!(
        styled(&screen, "1", "== Summary =="),
        "a bold header: {screen}"
    );
    assert!(
        styled(&screen, "32", "published  "),
        "published in green: {screen}"
    );
    assert!(
        styled(&screen, "31", "failed     "),
        "failed in red: {screen}"
    );
    let errors = screen.matches("RUN false").count();
    assert_eq!(
        errors, 2,
        "one line per failure, then its summary row: {screen}"
    );
    assert!(
        !screen.contains("\n ERROR"),
        "no stray leading space: {screen}"
    );
    let log = std::fs::read_to_string(test.path().join("docker-pkg-build.log")).unwrap();
    for step in ["verify", "publish"] {
        assert!(
            log.contains(&format!("/ns/slow:1.0: {step} started")),
            "{log}"
        );
        assert!(
            log.contains(&format!("/ns/slow:1.0: {step} done after ")),
            "{log}"
        );
    }
    assert!(
        log.contains("/ns/broken:1.0: build failed: "),
        "the whole error: {log}"
    );
}

/// Whether a line of `screen` shows `text` after the terminal code `ESC [ code m` (tmux writes
/// its own codes, one per attribute, so the code is looked for among those before `text`).
fn styled(screen: &str, code: &str, text: &str) -> bool {
    let code = format!("\u{1b}[{code}m");
    screen
        .lines()
        .any(|line| line.find(text).is_some_and(|at| line[..at].contains(&code)))
}

struct KillSession(String);

impl Drop for KillSession {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.0])
            .status();
    }
}
