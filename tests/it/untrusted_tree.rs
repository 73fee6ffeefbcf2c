//! A tree that anyone may change, built as a reviewer would attack it: a test script that
//! looks for the login, a template that quotes the password, a folder name made to inject a
//! command, links to host files. Real buildah and podman, and a registry with a password.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use base64::Engine as _;

use crate::fixture_tree::{Setup, summary_line};
use crate::harness::{Output, Test};
use crate::support;

const INJECTED_FOLDER: &str = "inj;echo INJECTED-MARK;#";

/// Prints its environment, then every file a variable names (each part of a `:` list) and the
/// files below a folder it names (three levels down; one for `HOME` and `XDG_RUNTIME_DIR`,
/// which a test gets by design and which hold the user's other folders; of `PATH`, only the
/// first folder, the `docker` of tests), each line marked; then runs its image through
/// `docker`, and fails. `PWD`, which the shell sets itself, is left out: a test runs where
/// docker-pkg runs, as in 4.0.4, and reads there what its user may.
const ENV_DUMP_TEST: &str = r#"#!/bin/sh
mark() { sed 's/^/ENVDUMP /'; }
env | mark
env | while IFS='=' read -r name value; do
  depth=3
  case "$name" in
    PWD|OLDPWD) continue ;;
    PATH) value=${value%%:*} ;;
    HOME|XDG_RUNTIME_DIR) depth=1 ;;
  esac
  printf '%s\n' "$value" | tr ':' '\n' | while read -r part; do
    [ -e "$part" ] || continue
    find "$part" -maxdepth "$depth" -type f -size -100k 2>/dev/null | while read -r file; do
      echo "ENVDUMP == $name: $file"
      mark < "$file"
    done
  done
done
docker run --rm "$1" echo shim-ran-the-image
exit 1
"#;

fn executable(test: &Test, relative: &str) {
    let mode = std::fs::Permissions::from_mode(0o755);
    std::fs::set_permissions(test.path().join(relative), mode).expect("test.sh is executable");
}

fn image(test: Test, dir: &str, name: &str, template: &str) -> Test {
    test.image(dir, name, "1.0", &["busybox"], template)
}

/// Everything a run wrote for people to read: the terminal, the log and the three reports.
fn everything_written(output: &Output) -> String {
    let files = ["docker-pkg-build.log", "r.json", "r.xml", "r.html"];
    let mut text = format!("{}\n{}\n", output.stdout, output.stderr);
    for file in files {
        text.push_str(&output.read(file));
    }
    text
}

const REPORTS: [&str; 6] = [
    "--report",
    "r.json",
    "--junit",
    "r.xml",
    "--report-html",
    "r.html",
];

#[test]
fn no_secret_reaches_a_test_or_a_message_and_no_folder_name_runs_a_command() {
    let Some(setup) = Setup::new() else { return };
    let from = "FROM {{ \"busybox\" | image_tag }}\n";
    let test = setup.test();
    std::fs::remove_dir_all(test.path().join("images")).expect("the fixture tree goes");
    let test = image(test, "envdump", "envdump", &format!("{from}RUN true\n"))
        .file("images/envdump/test.sh", ENV_DUMP_TEST);
    executable(&test, "images/envdump/test.sh");
    let test = image(test, "quoting", "quoting", "FROM {{ {}[password] }}\n");
    let test = image(
        test,
        INJECTED_FOLDER,
        "injected",
        &format!("{from}RUN true\n"),
    )
    .file(
        &format!("images/{INJECTED_FOLDER}/test.sh"),
        "#!/bin/sh\necho \"injected-folder-test-ran $1\"\nexit 1\n",
    );
    executable(&test, &format!("images/{INJECTED_FOLDER}/test.sh"));
    let test = image(test, "fine", "fine", &format!("{from}RUN true\n"));
    let registry = &setup.registry;
    let token = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", registry.username, registry.password));
    let auth_config = format!(
        r#"{{"auths": {{"{}": {{"auth": "{token}"}}}}}}"#,
        setup.address
    );
    let output = test
        .env("DOCKER_PKG_USERNAME", &registry.username)
        .env("DOCKER_PKG_PASSWORD", &registry.password)
        .env("DOCKER_AUTH_CONFIG", &auth_config)
        .args(["build", "images"])
        .args(REPORTS)
        .run()
        .code(1)
        .no_panic();
    assert_eq!(
        summary_line(&output),
        "Built 3, verified 1, published 1, failed 3, skipped 0; 0 already published."
    );
    let written = everything_written(&output);

    // What the test printed, line by line: the log's lines and the outputs of the report.
    let report = output.json("r.json");
    let outputs: Vec<String> = report["images"]
        .as_array()
        .expect("images in the report")
        .iter()
        .filter_map(|image| image["test"]["output"].as_str().map(str::to_owned))
        .collect();
    let log = output.read("docker-pkg-build.log");
    let dump: Vec<&str> = log
        .lines()
        .chain(outputs.iter().flat_map(|text| text.lines()))
        .filter(|line| line.contains("ENVDUMP "))
        .collect();
    assert!(
        dump.iter().any(|l| l.contains("ENVDUMP PATH=")),
        "{written}"
    );
    assert!(written.contains("shim-ran-the-image"), "{written}");
    for line in &dump {
        for leak in ["***", "DOCKER_", "REGISTRY_AUTH_FILE", "auths", "auth.json"] {
            assert!(!line.contains(leak), "a test sees {leak}: {line}");
        }
    }

    let quoting = "images/quoting/Dockerfile.template:1: ";
    assert!(
        written
            .lines()
            .any(|line| line.contains(quoting) && line.contains("'***'")),
        "the template error is there, masked: {written}"
    );
    assert_eq!(written.matches(registry.password.as_str()).count(), 0);
    assert_eq!(written.matches(token.as_str()).count(), 0);

    assert!(written.contains("injected-folder-test-ran"), "{written}");
    assert!(!written.contains("INJECTED-MARK\n"), "{written}");
    assert!(
        written
            .lines()
            .all(|line| !line.contains("INJECTED-MARK") || line.contains(INJECTED_FOLDER)),
        "INJECTED-MARK is printed only as part of the folder's name: {written}"
    );
    let failed: Vec<(&str, &str)> = report["images"]
        .as_array()
        .expect("images in the report")
        .iter()
        .filter_map(|image| {
            let failure = image.get("failure")?;
            Some((image["name"].as_str()?, failure["step"].as_str()?))
        })
        .collect();
    assert!(failed.contains(&("injected", "verify")), "{failed:?}");
    assert!(failed.contains(&("envdump", "verify")), "{failed:?}");
}

#[test]
fn links_out_of_the_tree_fail_their_image_and_reach_no_layer() {
    let Some(setup) = Setup::new() else { return };
    let host = tempfile::tempdir().expect("a folder outside the tree");
    let allowed = tempfile::tempdir().expect("an allowed folder outside the tree");
    std::fs::write(host.path().join("host-file"), "HOST-MARKER-6a1f\n").unwrap();
    std::fs::write(allowed.path().join("allowed-file"), "ALLOWED-MARKER-93c2\n").unwrap();
    let from = "FROM {{ \"busybox\" | image_tag }}\n";
    let test = setup.test();
    std::fs::remove_dir_all(test.path().join("images")).expect("the fixture tree goes");
    let copy = |file: &str| format!("{from}COPY {file} /{file}\n");
    let test = image(test, "leak", "leak", &copy("outside.txt"));
    let test = image(test, "allowed", "allowed", &copy("allowed.txt"));
    let test = image(test, "shared", "shared", &copy("shared.txt"))
        .file("images/common/shared.txt", "SHARED-MARKER-77d0\n")
        .config(&format!(
            "{}allow_links_outside: [{}]\n",
            setup.config(),
            allowed.path().display()
        ));
    let link = |target: &Path, at: &str| {
        std::os::unix::fs::symlink(target, test.path().join(at)).expect("a link");
    };
    link(&host.path().join("host-file"), "images/leak/outside.txt");
    link(
        &allowed.path().join("allowed-file"),
        "images/allowed/allowed.txt",
    );
    link(
        Path::new("../common/shared.txt"),
        "images/shared/shared.txt",
    );

    let output = build_failing_one(&test, 2);
    let target = host.path().canonicalize().unwrap().join("host-file");
    let expected = format!(
        "images/leak/outside.txt is a link to {}, outside the tree",
        target.display()
    );
    assert!(output.stdout.contains(&expected), "{output:#?}");

    let mut layers = String::new();
    for name in ["leak", "allowed", "shared"] {
        layers.push_str(&published_layers(&setup, name));
    }
    assert!(
        !layers.contains("HOST-MARKER-6a1f"),
        "the host file was published"
    );
    assert!(
        layers.contains("ALLOWED-MARKER-93c2"),
        "the allowed link is built"
    );
    assert!(
        layers.contains("SHARED-MARKER-77d0"),
        "the link inside the tree is built"
    );

    let findings = test.args(["lint", "images"]).run().code(2);
    assert!(
        findings.stdout.contains(&format!(
            "images/leak/outside.txt: a link to {}, outside the tree",
            target.display()
        )),
        "{findings:#?}"
    );
}

/// YAML files of an image folder that the YAML parser cannot take (both made libyaml-safer
/// panic): a `labels.yaml` fails its image's build, a `gitlab-ci.yaml` stops `ci gitlab` with a
/// message naming the file and its line; neither ends the process or prints a panic.
#[test]
fn malformed_yaml_of_an_image_fails_it_with_a_message() {
    let Some(setup) = Setup::new() else { return };
    let from = "FROM {{ \"busybox\" | image_tag }}\nRUN true\n";
    let test = setup.test();
    std::fs::remove_dir_all(test.path().join("images")).expect("the fixture tree goes");
    let test = image(test, "labels", "labels", from).file("images/labels/labels.yaml", "[!,");
    let test = image(test, "healthy", "healthy", from);

    let output = build_failing_one(&test, 1);
    assert!(
        output.stdout.contains("images/labels/labels.yaml")
            && output.stdout.contains("line 1: the document is malformed"),
        "{output:#?}"
    );

    // `labels`, not published, gets a job: its settings are read.
    let test = test.file("images/labels/gitlab-ci.yaml", "a: ''|\n 0");
    let output = test
        .args(["ci", "gitlab", "images"])
        .run()
        .code(2)
        .no_panic();
    assert!(
        output.stderr.contains(
            "images/labels/gitlab-ci.yaml is not valid YAML: line 1: the document is malformed"
        ),
        "{output:#?}"
    );
}

/// `build images` of `test`, which fails one image and builds, verifies and publishes
/// `healthy` others, with no panic.
fn build_failing_one(test: &Test, healthy: usize) -> Output {
    let output = test
        .clone()
        .args(["build", "images"])
        .run()
        .code(1)
        .no_panic();
    assert_eq!(
        summary_line(&output),
        format!(
            "Built {healthy}, verified {healthy}, published {healthy}, failed 1, skipped 0; \
             0 already published."
        ),
        "{output:#?}"
    );
    output
}

/// The uncompressed layers of every tag of the repository `name` the registry holds, as text
/// (empty when it holds none).
fn published_layers(setup: &Setup, name: &str) -> String {
    let registry = &setup.registry;
    let creds = format!("{}:{}", registry.username, registry.password);
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for tag in ["1.0", "latest"] {
        let copy = dir.path().join(tag);
        let status = std::process::Command::new("skopeo")
            .args([
                "copy",
                "--quiet",
                "--src-tls-verify=false",
                "--src-creds",
                &creds,
            ])
            .arg(format!("docker://{}", setup.label(name, tag)))
            .arg(format!("dir:{}", copy.display()))
            .stderr(std::process::Stdio::null())
            .status()
            .expect("skopeo runs");
        if !status.success() {
            continue;
        }
        let uncompressed = std::process::Command::new("sh")
            .args(["-c", "for f in \"$1\"/*; do zcat -f \"$f\"; done", "sh"])
            .arg(&copy)
            .output()
            .expect("zcat runs");
        text.push_str(&String::from_utf8_lossy(&uncompressed.stdout));
    }
    text
}

/// A process of the same user cannot read docker-pkg's environment: it makes itself
/// non-dumpable when it starts. Run as `nobody` when the tests run as root, whom nothing
/// stops; the engine is a script that says it runs and waits, so that docker-pkg is there
/// to be looked at.
#[test]
fn the_tool_environment_is_closed_to_other_processes_of_its_user() {
    let test = Test::new()
        .image("app", "app", "1.0", &[], "FROM scratch\n")
        .config("engine: docker\n")
        .file(
            "engine",
            "#!/bin/sh\necho $$ > \"$(dirname \"$0\")/engine-pid\"\nexec sleep 20\n",
        );
    executable(&test, "engine");
    let dir = test.path();
    for path in [dir.to_owned(), dir.join("xdg")] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    let as_user = |command: &mut std::process::Command| {
        if running_as_root() {
            std::os::unix::process::CommandExt::uid(command, 65534);
            std::os::unix::process::CommandExt::gid(command, 65534);
        }
    };
    let mut tool = std::process::Command::new(env!("CARGO_BIN_EXE_docker-pkg"));
    tool.args([
        "--configfile",
        "config.yaml",
        "build",
        "--no-publish",
        "images",
    ])
    .current_dir(dir)
    .env("HOME", dir)
    .env("XDG_CONFIG_HOME", dir.join("xdg"))
    .env("DOCKER_PKG_ENGINE_PATH", dir.join("engine"))
    .env("DOCKER_PKG_PASSWORD", "environ-secret")
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null());
    as_user(&mut tool);
    // A process that is dumpable, as a control: its environment can be read.
    let mut control = std::process::Command::new("sleep");
    control
        .arg("20")
        .env("DOCKER_PKG_PASSWORD", "environ-secret");
    as_user(&mut control);
    let mut tool = tool.spawn().expect("docker-pkg starts");
    let mut control = control.spawn().expect("sleep starts");
    let engine_pid = dir.join("engine-pid");
    let started = std::time::Instant::now();
    while !engine_pid.exists() && started.elapsed() < std::time::Duration::from_secs(20) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let read = |pid: u32| {
        let mut cat = std::process::Command::new("cat");
        cat.arg(format!("/proc/{pid}/environ"));
        as_user(&mut cat);
        cat.output().expect("cat runs")
    };
    let of_control = read(control.id());
    let of_tool = read(tool.id());
    let engine = std::fs::read_to_string(&engine_pid).unwrap_or_default();
    for pid in [engine.trim().to_owned(), control.id().to_string()] {
        let _ = std::process::Command::new("kill").arg(pid).status();
    }
    let _ = tool.kill();
    let _ = tool.wait();
    let _ = control.wait();
    assert!(!engine.is_empty(), "docker-pkg ran its engine");
    assert!(
        String::from_utf8_lossy(&of_control.stdout).contains("environ-secret"),
        "the control's environment is readable: {of_control:?}"
    );
    assert!(!of_tool.status.success(), "{of_tool:?}");
    assert!(
        !String::from_utf8_lossy(&of_tool.stdout).contains("environ-secret"),
        "{of_tool:?}"
    );
    assert!(
        String::from_utf8_lossy(&of_tool.stderr).contains("Permission denied"),
        "{of_tool:?}"
    );
}

fn running_as_root() -> bool {
    support::run("id", &["-u"], &[]).trim() == "0"
}

/// The commands that only read a tree say a template quoted the password without saying it,
/// a password made of what JSON and XML escape included.
#[test]
fn a_template_quoting_the_password_shows_it_in_no_command() {
    let password = r#"pa<ss"wo&rd-9f3e"#;
    let test = Test::new()
        .config(&format!(
            "registry: registry.example.org\nusername: u\npassword: '{password}'\n"
        ))
        .image("base", "base", "1.0", &[], "FROM scratch\n")
        .image(
            "quoting",
            "quoting",
            "1.0",
            &[],
            "FROM {{ {}[password] }}\n",
        );
    let commands: [&[&str]; 4] = [
        &["lint", "images"],
        &["lint", "--format", "json", "images"],
        &["--debug", "render", "--output", "out", "images"],
        &["graph", "images"],
    ];
    for command in commands {
        let output = test.clone().args(command.iter().copied()).run().no_panic();
        let written = format!("{}\n{}", output.stdout, output.stderr);
        for form in [password, "pa<ss", "pa\\u003css", "pa&lt;ss"] {
            assert!(
                !written.contains(form),
                "{command:?} shows {form}: {written}"
            );
        }
        if command[0] != "graph" {
            assert!(written.contains("'***'"), "{command:?}: {written}");
        }
    }
}
