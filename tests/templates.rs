//! The template corpus of `fixtures/templates`, the cases about docker-pkg itself (its filters,
//! its configuration keys, whole trees): every case renders as docker-pkg 4.0.4 renders it
//! (`fixtures/templates/regenerate.py` wrote the goldens with 4.0.4, through its own Python
//! API), within a second and 200 MB; and the shapes of real trees that once rendered wrong.
//! The cases of plain Jinja2 are the engine's, in `crates/jinja2-compat/fixtures`.

mod harness;
mod support;

use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use harness::Test;

const TIME_LIMIT: Duration = Duration::from_secs(1);
const MEMORY_LIMIT_KB: i64 = 200 * 1024;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/templates")
}

/// The trees of a corpus: folders holding a `config.yaml`.
fn trees_of(corpus: &Path) -> Vec<PathBuf> {
    let mut trees: Vec<PathBuf> = std::fs::read_dir(corpus)
        .expect("the corpus is readable")
        .map(|entry| entry.expect("a folder entry").path())
        .filter(|path| path.join("config.yaml").is_file())
        .collect();
    trees.sort();
    trees
}

/// What one `docker-pkg render` of a whole tree left behind, and what it cost.
struct Run {
    output: PathBuf,
    stderr: String,
    elapsed: Duration,
    /// Peak resident memory of the process.
    max_rss_kb: i64,
    _scratch: tempfile::TempDir,
}

/// Renders `tree` in one process. Each case's time and memory are at most the process's: the
/// wall time from spawn to exit and the peak resident set size that `wait4` reports.
fn render_tree(tree: &Path) -> Run {
    let scratch = tempfile::tempdir().expect("a scratch directory");
    std::fs::create_dir(scratch.path().join("xdg")).expect("an empty XDG_CONFIG_HOME");
    let stderr_path = scratch.path().join("stderr");
    let started = Instant::now();
    // Reaped by `wait_for_peak_rss`, which std's `wait` cannot replace: it gives no rusage.
    #[allow(clippy::zombie_processes)]
    let child = Command::new(env!("CARGO_BIN_EXE_docker-pkg"))
        .arg("-c")
        .arg(tree.join("config.yaml"))
        .args(["render", "--output", "out"])
        .arg(tree.join("images"))
        .current_dir(scratch.path())
        .env("XDG_CONFIG_HOME", scratch.path().join("xdg"))
        .stdout(Stdio::null())
        .stderr(File::create(&stderr_path).expect("a stderr file"))
        .spawn()
        .expect("docker-pkg starts");
    let max_rss_kb = wait_for_peak_rss(child.id());
    let elapsed = started.elapsed();
    Run {
        output: scratch.path().join("out"),
        stderr: std::fs::read_to_string(&stderr_path).unwrap_or_default(),
        elapsed,
        max_rss_kb,
        _scratch: scratch,
    }
}

/// Reaps the child `pid` and returns its peak resident set size in kB.
fn wait_for_peak_rss(pid: u32) -> i64 {
    let mut status = 0;
    // SAFETY: `rusage` is plain data that wait4 fills in; the pid is our own child's.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = libc::pid_t::try_from(pid).expect("a pid fits pid_t");
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4 reaps docker-pkg");
    usage.ru_maxrss
}

/// A golden's expectation for one case.
enum Expected {
    Dockerfile(String),
    Error(ExpectedError),
}

/// How 4.0.4 failed: where, and what the message must name.
#[derive(Default)]
struct ExpectedError {
    file: String,
    line: Option<String>,
    names: Vec<String>,
}

impl ExpectedError {
    fn parse(text: &str) -> ExpectedError {
        let mut expected = ExpectedError::default();
        for line in text.lines() {
            match line.split_once(": ") {
                Some(("file", file)) => expected.file = file.to_owned(),
                Some(("line", number)) => expected.line = Some(number.to_owned()),
                Some(("name", name)) => expected.names.push(name.to_owned()),
                _ => {}
            }
        }
        expected
    }

    /// The start of our message for this error: the file's path and line.
    fn location(&self, case_dir: &Path) -> String {
        let path = case_dir.join(&self.file).display().to_string();
        match &self.line {
            Some(line) => format!("{path}:{line}:"),
            None => path,
        }
    }
}

/// The expectation of `case` in `dir` (a `golden` or an `ours` folder), if there is one.
fn expected(dir: &Path, case: &str) -> Option<Expected> {
    let read = |suffix: &str| std::fs::read_to_string(dir.join(format!("{case}.{suffix}")));
    if let Ok(text) = read("Dockerfile") {
        Some(Expected::Dockerfile(text))
    } else {
        read("error")
            .ok()
            .map(|text| Expected::Error(ExpectedError::parse(&text)))
    }
}

/// How our render of `case` differs from `expected`, if it does.
fn difference(run: &Run, tree: &Path, case: &str, expected: &Expected) -> Option<String> {
    let ours = std::fs::read_to_string(run.output.join(case).join("Dockerfile")).ok();
    let case_dir = tree.join("images").join(case);
    let our_error = || {
        let marker = format!("{}{}", case_dir.display(), std::path::MAIN_SEPARATOR);
        run.stderr
            .lines()
            .find(|line| line.contains(&marker))
            .unwrap_or("(no message)")
            .to_owned()
    };
    match (expected, ours) {
        (Expected::Dockerfile(golden), Some(ours)) if *golden == ours => None,
        (Expected::Dockerfile(golden), Some(ours)) => {
            Some(format!("renders {ours:?}, expected {golden:?}"))
        }
        (Expected::Dockerfile(golden), None) => {
            Some(format!("fails: {}, expected {golden:?}", our_error()))
        }
        (Expected::Error(_), Some(ours)) => Some(format!("renders {ours:?}, expected an error")),
        (Expected::Error(error), None) => {
            let location = error.location(&case_dir);
            let names_it = |line: &&str| {
                line.split_once(&location).is_some_and(|(_, message)| {
                    error
                        .names
                        .iter()
                        .all(|name| message.contains(name.as_str()))
                })
            };
            if run.stderr.lines().any(|line| names_it(&line)) {
                None
            } else {
                Some(format!(
                    "fails with {}, expected an error at {location} naming {:?}",
                    our_error(),
                    error.names
                ))
            }
        }
    }
}

/// The cases of `tree`, by the names of their golden files.
fn cases(tree: &Path) -> Vec<String> {
    let mut cases: Vec<String> = std::fs::read_dir(tree.join("images"))
        .expect("the tree's images are readable")
        .map(|entry| {
            entry
                .expect("a folder entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    cases.sort();
    cases
}

/// Every case agrees with 4.0.4's golden, except the deliberate differences: a case with a
/// file in the tree's `ours` folder renders that instead, still differs from 4.0.4's golden,
/// and is listed in README.md.
#[test]
fn corpus_renders_as_docker_pkg_4_0_4() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md is readable");
    let mut report = String::new();
    let (mut total, mut agreeing, mut deliberate) = (0, 0, 0);
    for tree in trees_of(&corpus()) {
        let run = render_tree(&tree);
        let tree_name = tree.file_name().unwrap_or_default().to_string_lossy();
        if run.elapsed > TIME_LIMIT || run.max_rss_kb > MEMORY_LIMIT_KB {
            let _ = writeln!(
                report,
                "{tree_name}: rendering took {:?} and {} kB, over the limit",
                run.elapsed, run.max_rss_kb
            );
        }
        for case in cases(&tree) {
            total += 1;
            let name = format!("{tree_name}/{case}");
            let Some(golden) = expected(&tree.join("golden"), &case) else {
                let _ = writeln!(report, "{name}: no golden (run regenerate.py)");
                continue;
            };
            let problem = match expected(&tree.join("ours"), &case) {
                None => difference(&run, &tree, &case, &golden),
                Some(ours) => {
                    deliberate += 1;
                    difference(&run, &tree, &case, &ours)
                        .or_else(|| {
                            difference(&run, &tree, &case, &golden)
                                .is_none()
                                .then(|| "agrees with 4.0.4: drop its `ours` file".to_owned())
                        })
                        .or_else(|| {
                            (!readme.contains(&format!("`{name}`")))
                                .then(|| "a deliberate difference README does not list".into())
                        })
                }
            };
            match problem {
                None => agreeing += 1,
                Some(problem) => {
                    let _ = writeln!(report, "{name}: {problem}");
                }
            }
        }
        println!(
            "{tree_name}: rendered in {:?}, peak {} kB",
            run.elapsed, run.max_rss_kb
        );
    }
    println!("{agreeing} of {total} cases as expected, {deliberate} deliberate differences");
    assert!(report.is_empty(), "{}", report);
    assert!(total >= 80, "the corpus has only {total} cases");
    // The engine's cases count: the differences are a share of all that is compared to 4.0.4.
    let engine_cases: usize =
        trees_of(&Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/jinja2-compat/fixtures"))
            .iter()
            .map(|tree| cases(tree).len())
            .sum();
    let all = total + engine_cases;
    assert!(
        deliberate * 100 <= all,
        "{deliberate} deliberate differences are over 1 % of {all} cases"
    );
}

/// The Dockerfile docker-pkg 4.0.4 rendered for a case of the corpus.
fn golden(tree: &str, case: &str) -> String {
    let path = corpus()
        .join(tree)
        .join("golden")
        .join(format!("{case}.Dockerfile"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Renders `template` as the only image of a tree with `config`.
fn render(config: &str, template: &str) -> String {
    Test::new()
        .config(config)
        .image("a", "a", "1.0", &[], template)
        .args(["render", "--output", "out", "images"])
        .run()
        .success()
        .read("out/a/Dockerfile")
}

/// A package list written as one string literal over several lines, each ending in a
/// backslash: Python joins the lines, so no `\` is left between the packages.
#[test]
fn multi_line_package_list_literal() {
    let dockerfile = render(
        "base_images: [bookworm:20240101]\n",
        "FROM {{ \"bookworm\"|image_tag }}\n\
         {% set packages = \"curl \\\n    ca-certificates \\\n    git\" %}\n\
         RUN {{ packages|apt_install }}\n",
    );
    let install = dockerfile
        .lines()
        .find(|l| l.contains("apt-get install"))
        .unwrap_or_default();
    assert_eq!(
        install,
        "    apt-get install  --yes curl     ca-certificates     git --no-install-recommends \\"
    );
    assert_eq!(dockerfile, golden("shapes", "multiline-package-literal"));
}

/// A template saved with Windows line endings renders with `\n` only, as Jinja2 reads it.
#[test]
fn crlf_template() {
    let dockerfile = render(
        "enabled: true\nname: world\nbase_images: [bookworm:20240101]\n",
        "FROM {{ 'bookworm'|image_tag }}\r\n{% if enabled %}\r\nENV ENABLED=1\r\n{% endif %}\r\n\
         RUN echo {{ name }} \\\r\n    && true\r\nUSER {{ 'nobody'|uid }}\r\n",
    );
    assert!(!dockerfile.contains('\r'), "{dockerfile:?}");
    assert_eq!(dockerfile, golden("shapes", "crlf-dockerfile"));
}

/// `{{ '--flag' if condition }}` without `else` prints nothing when the condition is false.
#[test]
fn optional_flags_with_inline_if() {
    let dockerfile = render(
        "enabled: true\ndisabled: false\nport: 8080\n",
        "RUN ./configure --prefix=/usr {{ '--enable-debug' if enabled }} \
         {{ '--with-ssl' if disabled }} {{ '--port=%d' % port if port }}\n",
    );
    assert_eq!(
        dockerfile,
        "RUN ./configure --prefix=/usr --enable-debug  --port=8080"
    );
    assert_eq!(dockerfile, golden("shapes", "optional-flags-inline-if"));
}

/// A YAML block of the configuration indented into a heredoc: `indent` indents every line
/// but the first, and keeps the block's trailing newline.
#[test]
fn indent_of_a_yaml_block() {
    let dockerfile = render(
        "settings_yaml: |\n  server:\n    port: 8080\n    hosts:\n      - a.example.org\n      \
         - b.example.org\n",
        "RUN mkdir -p /etc/app && cat > /etc/app/config.yaml <<'EOF'\n  \
         {{ settings_yaml|indent(2) }}\nEOF\n",
    );
    assert!(
        dockerfile.contains("\n      - a.example.org\n"),
        "{dockerfile}"
    );
    assert_eq!(dockerfile, golden("shapes", "indent-yaml-config"));
}

/// File modes. `mode: 0755` in config.yaml is the integer 493 (YAML 1.1 octal), which prints
/// as 493, as in 4.0.4; `'%o' % mode` gives `755` back, and a quoted mode prints as written.
#[test]
fn octal_modes() {
    let config = "mode: 0755\numask: 022\ntext: !!str 0755\n";
    let dockerfile = render(
        config,
        "RUN chmod {{ '%o' % mode }} /usr/local/bin/run && echo {{ mode }} {{ text }}\n",
    );
    assert_eq!(
        dockerfile,
        "RUN chmod 755 /usr/local/bin/run && echo 493 0755"
    );
    assert_eq!(
        render(
            config,
            "FROM scratch\nRUN chmod {{ mode }} /usr/local/bin/run && umask {{ umask }}\n\
             RUN echo {{ text }} {{ mode + 0 }}\n"
        ),
        golden("config-yaml11", "octal-mode")
    );
    let dockerfile = render(
        "",
        "RUN chmod {{ '%o' % 493 }} /usr/local/bin/entrypoint \\\n    \
         && chmod {{ '%04o' % 420 }} /etc/app.conf\n",
    );
    assert_eq!(
        dockerfile,
        "RUN chmod 755 /usr/local/bin/entrypoint \\\n    && chmod 0644 /etc/app.conf"
    );
    assert_eq!(dockerfile, golden("shapes", "mode-octal-template"));
    assert_eq!(
        render(
            "",
            "{% set mode = '0755' %}RUN chmod {{ mode }} /run.sh && echo {{ mode|int(base=8) }}\n"
        ),
        golden("shapes", "mode-as-string")
    );
}

/// As 4.0.4, `force_numeric_user` refuses the image when building, before the engine is
/// called; the other images are built.
#[test]
fn force_numeric_user_is_checked_when_building() {
    let run_root = tempfile::tempdir().expect("a run root");
    let tool = support::RecordingTool::new(
        "buildah",
        &format!(
            "case \"$1\" in images) echo '[]' ;; info) echo '{{\"store\": {{\"RunRoot\": \"{}\"}}}}' ;; esac",
            run_root.path().display()
        ),
    );
    let output = Test::new()
        .config("force_numeric_user: true\n")
        .image(
            "numeric",
            "numeric",
            "1.0",
            &[],
            "FROM scratch\nUSER 65534\n",
        )
        .image(
            "named",
            "named",
            "1.0",
            &[],
            "FROM scratch\nUSER {{ 'nobody' }}\n",
        )
        .env("DOCKER_PKG_ENGINE_PATH", &tool.path.display().to_string())
        .args(["build", "--no-pull", "--no-publish", "images"])
        .run()
        .code(1)
        .no_panic()
        .stdout_has("the last USER instruction is not numeric (`USER nobody`)");
    let builds: Vec<Vec<String>> = tool
        .calls()
        .into_iter()
        .filter(|call| call.first().is_some_and(|c| c == "build"))
        .collect();
    assert_eq!(builds.len(), 1, "{builds:?}\n{output:#?}");
    assert!(builds[0].iter().any(|a| a == "numeric:1.0"), "{builds:?}");
}
