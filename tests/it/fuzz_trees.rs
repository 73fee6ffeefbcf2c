//! Random image trees, as a merge request can make them: folder names with shell syntax,
//! quotes, spaces and bytes that are not UTF-8; changelogs and control files cut and
//! sprinkled with punctuation, with names and versions no registry takes, duplicate names and
//! dependency cycles; templates that include themselves, files outside the tree or nothing;
//! `.dockerignore` patterns that are no globs; symbolic links that loop, dangle or lead out;
//! malformed YAML. `render`, `lint`, `graph` and `update` run on each tree, and `build
//! --dry-run` and `ci gitlab` against a registry with a password (given as a CI job gives it,
//! in `DOCKER_PKG_PASSWORD`), as the binary a user runs: each must end within its time with
//! an exit code of 0, 1 or 2, never a panic or a signal; nothing in the tree may make the tool
//! run a command, and neither the password nor a file of the host beside the tree is in
//! anything the commands print, log or render, nor is that file changed.
//!
//! Every tree comes from the seed and its index: `FUZZ_SEED=S` repeats a run, `FUZZ_SECONDS=N`
//! or `FUZZ_CASES=N` makes it longer, `FUZZ_FROM=I` starts at case I and `FUZZ_JOBS=N` runs N
//! cases at a time (`scripts/fuzz --target trees`). A failing tree is kept and its folder
//! printed.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::fixture_tree::Setup;
use crate::harness::changelog_entry;

/// What the suite spends when no length is asked for.
const DEFAULT_SECONDS: u64 = 20;
/// The seed of the suite's run, the same every time.
const SUITE_SEED: u64 = 1;
/// A command on a tree of a few images takes well under a second.
const COMMAND_TIME_LIMIT: Duration = Duration::from_secs(60);
/// How the commands ended, by command (in the order of `run_case`) and exit code: the summary
/// shows that the trees reach past the configuration and the scan.
static ENDINGS: [[AtomicU64; 3]; 6] = [const { [const { AtomicU64::new(0) }; 3] }; 6];
const COMMANDS: [&str; 6] = ["render", "lint", "graph", "update", "dry-run", "ci"];

/// What a folder name would make a shell create, were it ever run by one.
const INJECTED: &str = "INJECTED-BY-A-NAME";

#[test]
fn random_trees_are_read_or_refused_cleanly() {
    let seed = env_u64("FUZZ_SEED").unwrap_or(SUITE_SEED);
    let from = env_u64("FUZZ_FROM").unwrap_or(0);
    let end = env_u64("FUZZ_CASES").map(|cases| from.saturating_add(cases));
    let jobs = env_u64("FUZZ_JOBS").unwrap_or(1).max(1);
    // A registry and a storage for the commands that ask them; outside CI, without their
    // tools, the other commands run alone.
    let setup = Setup::new();
    let deadline =
        Instant::now() + Duration::from_secs(env_u64("FUZZ_SECONDS").unwrap_or(DEFAULT_SECONDS));
    eprintln!(
        "tree fuzz: seed {seed} (FUZZ_SEED={seed} repeats this run), from case {from}, \
         {jobs} at a time, {}",
        if setup.is_some() {
            "build --dry-run and ci gitlab against a registry too"
        } else {
            "without a registry (its tools are missing)"
        }
    );
    let started = Instant::now();
    let next = AtomicU64::new(from);
    let done = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let failed: Mutex<Option<(u64, String)>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                while !stop.load(Ordering::SeqCst) {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    if end.is_some_and(|end| index >= end)
                        || (end.is_none() && Instant::now() >= deadline)
                    {
                        break;
                    }
                    if let Err(problem) = run_case(seed, index, setup.as_ref()) {
                        stop.store(true, Ordering::SeqCst);
                        let mut failed = failed.lock().unwrap_or_else(|e| e.into_inner());
                        if failed.as_ref().is_none_or(|(first, _)| index < *first) {
                            *failed = Some((index, problem));
                        }
                        break;
                    }
                    let total = done.fetch_add(1, Ordering::SeqCst) + 1;
                    if total.is_multiple_of(1000) {
                        let secs = started.elapsed().as_secs_f64();
                        eprintln!(
                            "tree fuzz: {total} trees in {secs:.0} s ({:.1} per second)",
                            total as f64 / secs
                        );
                    }
                }
            });
        }
    });
    if let Some((index, problem)) = failed.into_inner().unwrap_or_else(|e| e.into_inner()) {
        panic!(
            "tree fuzz case {index} of seed {seed}: {problem}\n\
             repeat: FUZZ_SEED={seed} FUZZ_FROM={index} FUZZ_CASES=1 cargo test --test it \
             fuzz_trees::random_trees_are_read_or_refused_cleanly"
        );
    }
    let done = done.load(Ordering::SeqCst);
    assert!(done > 0, "no tree was tried");
    let endings: Vec<String> = COMMANDS
        .iter()
        .zip(&ENDINGS)
        .map(|(command, codes)| {
            let codes: Vec<String> = codes
                .iter()
                .map(|n| n.load(Ordering::SeqCst).to_string())
                .collect();
            format!("{command} {}", codes.join("/"))
        })
        .collect();
    eprintln!(
        "tree fuzz: {done} trees from case {from} in {:.1?}, seed {seed}; exits 0/1/2: {}",
        started.elapsed(),
        endings.join(", ")
    );
}

/// Makes tree `index` of `seed` and runs the commands on it; the tree stays on a failure.
/// Beside the tree is a file of the host that its links and templates name: nothing may
/// print it, log it, render it or change it.
fn run_case(seed: u64, index: u64, setup: Option<&Setup>) -> Result<(), String> {
    let case = tempfile::tempdir().expect("a scratch folder");
    let root = case.path().join("tree");
    let host_file = case.path().join("outside").join("host-file");
    std::fs::create_dir_all(host_file.parent().expect("a folder")).expect("the host's folder");
    let marker = format!("HOST-FILE-MARKER-{index}");
    std::fs::write(&host_file, format!("{marker}\n")).expect("the host's file");
    let tree = generate(seed, index);
    tree.write(&root, setup, &host_file);
    let mut commands: Vec<Vec<&OsStr>> = vec![
        vec![
            "render".as_ref(),
            "--output".as_ref(),
            "out".as_ref(),
            "images".as_ref(),
        ],
        vec!["lint".as_ref(), "images".as_ref()],
        vec!["graph".as_ref(), "images".as_ref()],
    ];
    commands.push(vec![
        "update".as_ref(),
        "--reason".as_ref(),
        OsStr::from_bytes(&tree.update_reason),
        OsStr::from_bytes(&tree.update_name),
        "images".as_ref(),
    ]);
    let env = setup
        .map(|setup| [setup.storage.env(), setup.credentials_env()].concat())
        .unwrap_or_default();
    let mut secrets = vec![marker.as_str()];
    secrets.extend(setup.map(|setup| setup.registry.password.as_str()));
    if setup.is_some() {
        commands.push(vec![
            "build".as_ref(),
            "--dry-run".as_ref(),
            "images".as_ref(),
        ]);
        commands.push(vec!["ci".as_ref(), "gitlab".as_ref(), "images".as_ref()]);
    }
    for (number, args) in commands.iter().enumerate() {
        let code = run_command(&root, args, &env, &secrets);
        if let Ok(code) = code {
            ENDINGS[number][code].fetch_add(1, Ordering::SeqCst);
        }
        if let Err(problem) = code {
            let command: Vec<_> = args.iter().map(|a| a.to_string_lossy()).collect();
            let problem = format!("`docker-pkg {}` {problem}", command.join(" "));
            return Err(keep(case, &tree, &problem));
        }
    }
    // What the run wrote: its log and the rendered Dockerfiles.
    let mut written = std::fs::read(root.join("docker-pkg-build.log")).unwrap_or_default();
    for path in walk(&root.join("out")) {
        written.extend(std::fs::read(path).unwrap_or_default());
    }
    let written = String::from_utf8_lossy(&written);
    let leaked = secrets.iter().find(|secret| written.contains(**secret));
    let host_file_now = std::fs::read_to_string(&host_file).unwrap_or_default();
    let problem = if let Some(secret) = leaked {
        Some(format!("`{secret}` is in the log or a rendered Dockerfile"))
    } else if host_file_now != format!("{marker}\n") {
        Some(format!("the host's file was changed: {host_file_now:?}"))
    } else {
        walk(&root)
            .into_iter()
            .find(|path| path.as_os_str().as_bytes().ends_with(INJECTED.as_bytes()))
            .map(|path| format!("a name ran a command: {} exists", path.display()))
    };
    match problem {
        Some(problem) => Err(keep(case, &tree, &problem)),
        None => Ok(()),
    }
}

/// `problem`, with the folder of the case, kept for a look, and what its tree holds.
fn keep(case: tempfile::TempDir, tree: &Tree, problem: &str) -> String {
    format!(
        "{problem}\nthe tree is kept in {}:\n{}",
        case.keep().display(),
        tree.describe()
    )
}

/// Runs `docker-pkg ARGS` in `dir`: its exit code, or an error saying how it ended when that
/// was not an exit code of 0, 1 or 2 within the time limit, when it printed a panic, or when
/// it printed one of `secrets`.
fn run_command(
    dir: &Path,
    args: &[&OsStr],
    env: &[(String, String)],
    secrets: &[&str],
) -> Result<usize, String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_docker-pkg"))
        .args(args)
        .current_dir(dir)
        .env("XDG_CONFIG_HOME", dir.join("xdg"))
        .env("RUST_BACKTRACE", "0")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("docker-pkg starts");
    let read = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut text);
            }
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = read(child.stdout.take().map(|p| Box::new(p) as _));
    let reader = read(child.stderr.take().map(|p| Box::new(p) as _));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            break Some(status);
        }
        if started.elapsed() > COMMAND_TIME_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = reader.join().unwrap_or_default();
    let tail: String = stderr
        .chars()
        .rev()
        .take(3000)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    match status {
        None => Err(format!("ran past {COMMAND_TIME_LIMIT:?}\n{tail}")),
        Some(status) if !matches!(status.code(), Some(0..=2)) => {
            Err(format!("ended with {status}\n{tail}"))
        }
        Some(_) if stderr.contains("panicked") || stderr.contains("RUST_BACKTRACE") => {
            Err(format!("printed a panic\n{tail}"))
        }
        Some(_)
            if secrets
                .iter()
                .any(|s| stdout.contains(s) || stderr.contains(s)) =>
        {
            Err(format!(
                "printed the password or the host's file\n{stdout}\n{tail}"
            ))
        }
        Some(status) => Ok(status
            .code()
            .and_then(|c| usize::try_from(c).ok())
            .unwrap_or(0)),
    }
}

/// Every path below `root`, links not followed.
fn walk(root: &Path) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    let mut folders = vec![root.to_owned()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                folders.push(path.clone());
            }
            paths.push(path);
        }
    }
    paths
}

/// What a tree holds, below its scratch folder.
enum Entry {
    File(Vec<u8>, Vec<u8>),
    Link(Vec<u8>, Vec<u8>),
}

struct Tree {
    entries: Vec<Entry>,
    update_name: Vec<u8>,
    update_reason: Vec<u8>,
}

impl Tree {
    /// Writes the tree below `root`, `@OUTSIDE@` standing for `host_file`; with `setup`, its
    /// configuration names that registry. Nothing is written through a link: an entry takes
    /// the place of what an earlier one left at its path, and one whose folder is reached
    /// through a link is left out, since the links of a tree lead anywhere, and this runs as
    /// root.
    fn write(&self, root: &Path, setup: Option<&Setup>, host_file: &Path) {
        std::fs::create_dir_all(root.join("xdg")).expect("an empty XDG_CONFIG_HOME");
        let outside = |bytes: &[u8]| -> Vec<u8> {
            let host_file = host_file.as_os_str().as_bytes();
            let mut out = Vec::with_capacity(bytes.len());
            let mut rest = bytes;
            while let Some(at) = rest.windows(OUTSIDE.len()).position(|w| w == OUTSIDE) {
                out.extend_from_slice(&rest[..at]);
                out.extend_from_slice(host_file);
                rest = &rest[at + OUTSIDE.len()..];
            }
            out.extend_from_slice(rest);
            out
        };
        let root = root.canonicalize().expect("the tree's folder");
        for entry in &self.entries {
            let (Entry::File(relative, _) | Entry::Link(relative, _)) = entry;
            let path = root.join(OsStr::from_bytes(relative));
            let Some(parent) = path.parent() else {
                continue;
            };
            // A folder through a link of an earlier entry (looked at before anything is made
            // there), or a file named like a folder of an earlier entry.
            if through_link(&root, parent) || std::fs::create_dir_all(parent).is_err() {
                continue;
            }
            if path.symlink_metadata().is_ok_and(|m| !m.is_dir()) {
                std::fs::remove_file(&path).expect("an earlier entry goes");
            }
            let _ = match entry {
                Entry::File(name, text) => {
                    let mut text = outside(text);
                    if name == CONFIG {
                        let registry = setup.map_or_else(
                            || OFFLINE_REGISTRY.to_owned(),
                            Setup::config_without_credentials,
                        );
                        text.splice(0..0, registry.into_bytes());
                    }
                    // Fails rather than follow a link left at the path.
                    std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .open(&path)
                        .and_then(|mut file| std::io::Write::write_all(&mut file, &text))
                }
                Entry::Link(_, target) => {
                    std::os::unix::fs::symlink(OsStr::from_bytes(&outside(target)), &path)
                }
            };
        }
    }

    fn describe(&self) -> String {
        let mut text = String::new();
        for entry in &self.entries {
            match entry {
                Entry::File(path, content) => text.push_str(&format!(
                    "{}:\n{}\n",
                    path.escape_ascii(),
                    content.escape_ascii()
                )),
                Entry::Link(path, target) => text.push_str(&format!(
                    "{} -> {}\n",
                    path.escape_ascii(),
                    target.escape_ascii()
                )),
            }
        }
        text
    }
}

/// Whether a folder on the way from `root` to `folder` is a symbolic link.
fn through_link(root: &Path, folder: &Path) -> bool {
    let Ok(relative) = folder.strip_prefix(root) else {
        return true;
    };
    let mut path = root.to_owned();
    relative.components().any(|component| {
        path.push(component);
        path.symlink_metadata().is_ok_and(|m| m.is_symlink())
    })
}

/// Folder names of images.
const FOLDERS: &[&[u8]] = &[
    b"base",
    b"app",
    b"tools",
    b"a;touch INJECTED-BY-A-NAME;#",
    b"sp ace",
    b"$(touch INJECTED-BY-A-NAME)",
    b"q'uote\"",
    b"-dash",
    b".hidden",
    "ünï".as_bytes(),
    b"bad\xff\xfe",
    b"back`tick`",
    b"nested/deeper/image",
    b"Dockerfile.template",
    b"x\ty",
    b"--help",
    b"*",
    b"{{ 7*7 }}",
];

/// Image names of changelogs: what registries take, and (one image in six) what they do not.
const NAMES: &[&str] = &[
    "base",
    "app",
    "tools",
    "python3",
    "a.b",
    "a_b",
    "9lives",
    "web-1",
    "php7.4-fpm",
];
const BAD_NAMES: &[&str] = &[
    "App",
    "a+b",
    "ünï",
    "-x",
    "name with space",
    "a/b",
    "a:b",
    "",
    "x;y",
    "{{x}}",
    "ab.",
];

const VERSIONS: &[&str] = &[
    "1.0", "1.0-1", "1.0-1-s1", "1.0-1-s9", "1.0+b1", "0", "2.3.4-5",
];
const BAD_VERSIONS: &[&str] = &[
    "2:1.0",
    "1.0~rc1",
    "",
    "((",
    "1.0 1",
    "é",
    "1.0-",
    "-1.0",
    "99999999999999999999999999.0",
    "a",
    "1..0",
];

const DISTRIBUTIONS: &[&str] = &["wikimedia", "bookworm-backports", "UNRELEASED"];
const BAD_DISTRIBUTIONS: &[&str] = &["", "a b", ";"];

const TEMPLATES: &[&str] = &[
    "FROM {{ \"base\" | image_tag }}\nRUN true\n",
    "FROM {{ \"busybox\" | image_tag }}\nRUN true\n",
    "FROM docker-registry.example.org/busybox:1.0\n",
    "{% include 'Dockerfile.template' %}",
    "{% extends 'Dockerfile.template' %}",
    "{% include '../base/Dockerfile.template' %}",
    "{% include '@OUTSIDE@' %}",
    "{% include '../../../outside/host-file' %}",
    "{% include 'inc' %}",
    "{{ \"app\" | image_tag }}\n{{ \"nope\" | image_tag }}\n",
    "{{ 1/0 }}",
    "{{ \"tools\" | image_tag }}{% for i in range(3) %}RUN {{ i }}\n{% endfor %}",
    "",
    "{{ password }}{{ registry }}{{ namespace }}",
    "{{ apt_install(\"a b\") }}{{ \"www-data\" | add_user }}",
    "{% set x = x %}{{ x }}",
    "{{",
];

const DOCKERIGNORES: &[&str] = &[
    "[",
    "**",
    "!x",
    "*\n!Dockerfile.template",
    "\\",
    "a/**/b",
    "{a,b",
    "!",
    "/",
    "#",
];

const YAML: &[&str] = &[
    "a: b\n",
    "[!,",
    "a: ''|\n 0",
    "- 1\n- 2\n",
    "x: !!python/object:os.system {}\n",
    "a: &a [*a]\n",
    "variables: {X: \"1\"}\n",
    "tags: [buildah]\nretry: 2\n",
    "org.opencontainers.image.title: x\n",
    "",
];

/// Link targets, from an image's folder.
const LINK_TARGETS: &[&str] = &[
    "@OUTSIDE@",
    "../../../outside/host-file",
    ".",
    "..",
    "../..",
    "nowhere",
    "self",
    "/proc/self/root",
    "/dev/zero",
    "../base/changelog",
    "../base",
    "/",
    "loop-b",
];

const TOKENS: &[&[u8]] = &[
    b"(", b")", b";", b",", b":", b"\n", b" ", b"\t", b"#", b"|", b"-- ", b"\n ", b"\xff", b"\x00",
    b"{{", b"%}", b"=", b"<", b">=",
];

/// The tree of case `index` of the run `seed`.
fn generate(seed: u64, index: u64) -> Tree {
    let mut rng = fastrand::Rng::with_seed(seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    // Half the trees break their definitions (names, versions, edits, links in their place),
    // so that the other half reaches the templates, the graph and the changelogs' update.
    let hostile = rng.bool();
    let mut entries = vec![Entry::File(
        CONFIG.to_vec(),
        config(&mut rng, hostile).into_bytes(),
    )];
    let count = rng.usize(1..=6);
    let mut names = Vec::new();
    for _ in 0..count {
        let folder = FOLDERS[rng.usize(..FOLDERS.len())];
        let dir = [b"images/".as_slice(), folder].concat();
        let file = |name: &str| [dir.as_slice(), b"/", name.as_bytes()].concat();
        let name = mostly(&mut rng, hostile, NAMES, BAD_NAMES);
        names.push(name.clone());
        let version = mostly(&mut rng, hostile, VERSIONS, BAD_VERSIONS);
        let mut changelog = if rng.bool() {
            changelog_entry(&name, &version).into_bytes()
        } else {
            format!(
                "{name} ({version}) {}; urgency=medium\n\n  * Release.\n\n -- J <j@e.org>  Mon, 01 Jan 2024 10:00:00 +0000\n",
                mostly(&mut rng, hostile, DISTRIBUTIONS, BAD_DISTRIBUTIONS)
            )
            .into_bytes()
        };
        if hostile {
            mutate(&mut rng, &mut changelog);
        }
        entries.push(Entry::File(file("changelog"), changelog));
        entries.push(Entry::File(
            file("Dockerfile.template"),
            pick(&mut rng, TEMPLATES).into_bytes(),
        ));
        if rng.bool() {
            let mut control = control(&mut rng, hostile);
            if hostile {
                mutate(&mut rng, &mut control);
            }
            entries.push(Entry::File(file("control"), control));
        }
        if rng.u8(..3) == 0 {
            entries.push(Entry::File(
                file("inc"),
                pick(&mut rng, TEMPLATES).into_bytes(),
            ));
        }
        if rng.u8(..3) == 0 {
            entries.push(Entry::File(
                file(".dockerignore"),
                pick(&mut rng, DOCKERIGNORES).into_bytes(),
            ));
        }
        for yaml in ["labels.yaml", "gitlab-ci.yaml"] {
            if rng.u8(..3) == 0 {
                entries.push(Entry::File(file(yaml), pick(&mut rng, YAML).into_bytes()));
            }
        }
        if rng.u8(..4) == 0 {
            entries.push(Entry::File(
                file("test.sh"),
                format!("#!/bin/sh\ntouch {INJECTED}\n").into_bytes(),
            ));
        }
        for _ in 0..rng.usize(..3) {
            let target = pick(&mut rng, LINK_TARGETS);
            let at = [
                "link",
                "loop-a",
                "loop-b",
                "self",
                "changelog",
                "Dockerfile.template",
            ][rng.usize(..6)];
            // A link in place of a definition file replaces it.
            entries.retain(|e| !matches!(e, Entry::File(path, _) if *path == file(at)));
            entries.push(Entry::Link(file(at), target.into_bytes()));
        }
    }
    if rng.u8(..5) == 0 {
        // A folder of the tree linked into it again, or the tree into itself.
        let target = ["base", ".", "..", "/", "app"][rng.usize(..5)];
        entries.push(Entry::Link(
            b"images/again".to_vec(),
            target.as_bytes().to_vec(),
        ));
    }
    let update_name = if rng.bool() && !names.is_empty() {
        names[rng.usize(..names.len())].clone()
    } else {
        pick(&mut rng, &["*", "b*", "nope", "", "-x", "[", "**"])
    };
    let update_reason = pick(
        &mut rng,
        &["Security update", "", "multi\nline", "$(touch x)", "\u{0}x"],
    );
    Tree {
        entries,
        update_name: update_name.into_bytes(),
        update_reason: update_reason.replace('\u{0}', "").into_bytes(),
    }
}

fn pick(rng: &mut fastrand::Rng, items: &[&str]) -> String {
    items[rng.usize(..items.len())].to_owned()
}

/// One of `good`, or in a hostile tree one time in six one of `bad`.
fn mostly(rng: &mut fastrand::Rng, hostile: bool, good: &[&str], bad: &[&str]) -> String {
    if hostile && rng.u8(..6) == 0 {
        pick(rng, bad)
    } else {
        pick(rng, good)
    }
}

const CONFIG: &[u8] = b"config.yaml";
/// Stands for a file of the host beside the tree, in links and templates.
const OUTSIDE: &[u8] = b"@OUTSIDE@";
/// The registry of the configuration when there is none to ask: the commands run here do not.
const OFFLINE_REGISTRY: &str = "registry: docker-registry.example.org\nnamespace: ns\n\
                                base_images: [docker-registry.example.org/ns/busybox:1.0]\n";

/// The tree's configuration, but for its registry: with a registry to ask, the commands get
/// its address and base image before this (its credentials come from the environment);
/// without, a registry that is never asked.
fn config(rng: &mut fastrand::Rng, hostile: bool) -> String {
    let mut config = String::from("known_uid_mappings: {root: 0, www-data: 33}\n");
    match rng.u8(..12) {
        0 => config.push_str("allow_links_outside: [/etc, /proc]\n"),
        1 => config.push_str("update_id: \"x y\"\n"),
        2 => config.push_str("verify_args: [\"-c\", \"{path}/test.sh {image}\"]\n"),
        // A configuration in the tree's repository is changed as the tree is.
        3 if hostile => config.push_str(YAML[rng.usize(..YAML.len())]),
        _ => {}
    }
    config
}

fn control(rng: &mut fastrand::Rng, hostile: bool) -> Vec<u8> {
    let mut depends = Vec::new();
    for _ in 0..rng.usize(..4) {
        let name = mostly(rng, hostile, NAMES, BAD_NAMES);
        let item = match rng.u8(..4) {
            0 => format!("{name} (>= 1.0)"),
            1 => format!("{name} | other"),
            _ => name.to_owned(),
        };
        depends.push(item);
    }
    let key = ["Depends", "Build-Depends", "depends", "Pre-Depends"][rng.usize(..4)];
    format!(
        "Source: x\n\nPackage: y\n{key}: {}\n",
        depends.join(if rng.bool() { ", " } else { ",\n " })
    )
    .into_bytes()
}

/// A few random edits to `text`, one time in eight: punctuation inserted, spans cut, the end
/// cut off.
fn mutate(rng: &mut fastrand::Rng, text: &mut Vec<u8>) {
    if rng.u8(..8) != 0 {
        return;
    }
    for _ in 0..rng.usize(1..=4) {
        let at = rng.usize(..=text.len());
        match rng.u8(..4) {
            0 | 1 => {
                let token = TOKENS[rng.usize(..TOKENS.len())];
                text.splice(at..at, token.iter().copied());
            }
            2 => {
                let end = (at + rng.usize(..=16)).min(text.len());
                text.drain(at..end);
            }
            _ => text.truncate(at),
        }
    }
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.trim().parse().ok()
}

#[test]
fn the_tree_generator_is_reproducible_from_the_seed() {
    assert_eq!(generate(7, 42).describe(), generate(7, 42).describe());
    let different = (0..20)
        .filter(|&i| generate(7, i).describe() != generate(8, i).describe())
        .count();
    assert!(
        different > 15,
        "{different} of 20 trees differ between seeds"
    );
}

#[test]
fn the_tree_writer_never_writes_through_a_link() {
    let case = tempfile::tempdir().unwrap();
    let (root, elsewhere) = (case.path().join("tree"), case.path().join("elsewhere"));
    std::fs::create_dir_all(elsewhere.join("dir")).unwrap();
    std::fs::write(elsewhere.join("file"), "kept\n").unwrap();
    let bytes = |path: &Path| path.as_os_str().as_bytes().to_vec();
    let tree = Tree {
        entries: vec![
            Entry::Link(
                b"images/a/changelog".to_vec(),
                bytes(&elsewhere.join("file")),
            ),
            Entry::Link(b"images/a/dir".to_vec(), bytes(&elsewhere.join("dir"))),
            Entry::File(b"images/a/changelog".to_vec(), b"written\n".to_vec()),
            Entry::File(b"images/a/dir/inner".to_vec(), b"written\n".to_vec()),
        ],
        update_name: Vec::new(),
        update_reason: Vec::new(),
    };
    tree.write(&root, None, &elsewhere.join("file"));
    assert_eq!(
        std::fs::read_to_string(elsewhere.join("file")).unwrap(),
        "kept\n"
    );
    assert!(!elsewhere.join("dir/inner").exists());
    let changelog = root.join("images/a/changelog");
    assert!(!changelog.symlink_metadata().unwrap().is_symlink());
    assert_eq!(std::fs::read_to_string(changelog).unwrap(), "written\n");
}
