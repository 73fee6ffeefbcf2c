//! `docker-pkg render`: Dockerfiles byte-identical to docker-pkg 4.0.4's, the build order, and
//! a clear message for every bad input.

use std::path::{Path, PathBuf};

use crate::harness::{self, Test};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/render")
}

fn render_fixture(config: &str) -> harness::Output {
    let root = fixtures();
    Test::new()
        .args([
            "-c",
            &root
                .join(format!("configs/{config}.yaml"))
                .display()
                .to_string(),
        ])
        .args(["render", "--output", "out"])
        .arg_path(&root.join("images"))
        .run()
}

/// The goldens were written by docker-pkg 4.0.4 (fixtures/render/regenerate.py).
fn assert_matches_golden(config: &str) {
    let output = render_fixture(config).success();
    let golden = fixtures().join("golden").join(config);
    let mut names: Vec<String> = std::fs::read_dir(&golden)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["app", "base", "lonely", "python3", "tools"]);
    for name in names {
        let expected = std::fs::read_to_string(golden.join(&name).join("Dockerfile")).unwrap();
        let actual = output.read(&format!("out/{name}/Dockerfile"));
        assert_eq!(
            actual, expected,
            "{config}: {name}/Dockerfile differs from 4.0.4's"
        );
    }
}

#[test]
fn golden_without_registry_proxy_or_options() {
    assert_matches_golden("plain");
}

#[test]
fn golden_with_http_proxy() {
    assert_matches_golden("proxy");
}

#[test]
fn golden_with_apt_options() {
    assert_matches_golden("options");
}

#[test]
fn golden_with_apt_only_proxy_and_apt_options() {
    assert_matches_golden("proxy-options");
}

#[test]
fn unmapped_uid_warns() {
    render_fixture("plain")
        .success()
        .stderr_has("WARNING: UID mapping for user builder not found");
}

#[test]
fn registry_with_port() {
    let output = render_fixture("port").success();
    let app = output.read("out/app/Dockerfile");
    assert!(
        app.starts_with("FROM 127.0.0.1:5000/ns/python3:3.11.2-1\n"),
        "{app}"
    );
    assert!(
        app.contains("--from=127.0.0.1:5000/ns/tools:1.63.0-1-20241211 "),
        "{app}"
    );
    assert!(
        app.contains("# upstream of a base image: 20240101\n"),
        "{app}"
    );
    let base = output.read("out/base/Dockerfile");
    assert!(
        base.starts_with("FROM 127.0.0.1:5000/ns/bookworm:20240101\n"),
        "{base}"
    );
    let python = output.read("out/python3/Dockerfile");
    assert!(
        python.contains("ENV PYTHON_VERSION=3.11.2\nENV BASE_VERSION=1.2.3\n"),
        "{python}"
    );
}

#[test]
fn chain_is_a_valid_build_order() {
    let output = render_fixture("port").success();
    assert_eq!(
        output.read("out/chain.txt"),
        "127.0.0.1:5000/ns/base:1.2.3\n\
         127.0.0.1:5000/ns/lonely:2.0\n\
         127.0.0.1:5000/ns/python3:3.11.2-1\n\
         127.0.0.1:5000/ns/tools:1.63.0-1-20241211\n\
         127.0.0.1:5000/ns/app:0.9-s2\n"
    );
}

#[test]
fn select_is_a_glob_over_the_whole_label() {
    let root = fixtures();
    let test = Test::new()
        .args(["-c", &root.join("configs/port.yaml").display().to_string()])
        .args(["render", "--select", "*/ns/python*:3.*", "--output", "out"])
        .arg_path(&root.join("images"));
    let output = test.run().success().stdout_has("Rendered 1 of 1 images");
    assert_eq!(
        output.read("out/chain.txt"),
        "127.0.0.1:5000/ns/python3:3.11.2-1\n"
    );
    assert!(!test.path().join("out/app").exists());
}

#[test]
fn nightly_suffix_shows_everywhere_the_tag_does() {
    let today = chrono::Local::now().format("%Y%m%d").to_string();
    let output = Test::new()
        .config("")
        .image("a", "a", "1.0-1", &[], "FROM {{ 'a' | image_tag }}\n")
        .args(["render", "--nightly", "--output", "out", "images"])
        .run()
        .success();
    assert_eq!(output.read("out/chain.txt"), format!("a:1.0-1-{today}\n"));
    assert_eq!(
        output.read("out/a/Dockerfile"),
        format!("FROM a:1.0-1-{today}")
    );
}

#[test]
fn snapshot_suffix_has_the_time() {
    let output = Test::new()
        .config("")
        .image("a", "a", "1.0", &[], "x")
        .args(["render", "--snapshot", "--output", "out", "images"])
        .run()
        .success();
    let chain = output.read("out/chain.txt");
    let suffix = chain.trim().strip_prefix("a:1.0-").unwrap();
    assert_eq!(suffix.len(), "YYYYMMDD-HHMMSS".len(), "{chain}");
    assert_eq!(suffix.as_bytes()[8], b'-', "{chain}");
}

#[test]
fn half_definitions_are_skipped_with_a_warning() {
    Test::new()
        .config("")
        .image("good", "good", "1.0", &[], "FROM scratch\n")
        .file("images/no-changelog/Dockerfile.template", "FROM scratch\n")
        .file(
            "images/no-template/changelog",
            &harness::changelog_entry("x", "1.0"),
        )
        .args(["render", "--output", "out", "images"])
        .run()
        .success()
        .stderr_has("no-changelog since it lacks a changelog")
        .stderr_has("no-template since it lacks a Dockerfile.template")
        .stdout_has("Rendered 1 of 1 images");
}

#[test]
fn one_failing_template_does_not_stop_the_others() {
    let test = Test::new()
        .config("")
        .image("good", "good", "1.0", &[], "FROM scratch\n")
        .image(
            "bad",
            "bad",
            "1.0",
            &[],
            "FROM scratch\nRUN {{ missing_variable }}\n",
        )
        .args(["render", "--output", "out", "images"]);
    let output = test.run().code(1).no_panic();
    let stderr = &output.stderr;
    assert!(
        stderr.contains("images/bad/Dockerfile.template:2: undefined value"),
        "{stderr}"
    );
    assert!(test.path().join("out/good/Dockerfile").is_file());
    assert!(!test.path().join("out/bad").exists());
}

/// Each bad input gives exit code `code` and one clear message, never a panic.
fn assert_bad_input(test: Test, code: i32, message: &str) {
    test.args(["render", "--output", "out", "images"])
        .run()
        .code(code)
        .no_panic()
        .stderr_has(message);
}

#[test]
fn missing_config() {
    assert_bad_input(
        Test::new().image("a", "a", "1.0", &[], "x"),
        2,
        "Config file config.yaml does not exist",
    );
}

#[test]
fn malformed_yaml() {
    assert_bad_input(
        Test::new()
            .config("registry: [unclosed\n")
            .image("a", "a", "1.0", &[], "x"),
        2,
        "config file config.yaml is not valid YAML",
    );
    // What made the YAML parser panic is an error of the file too.
    assert_bad_input(
        Test::new()
            .config("registry: x\nbase_images: [!,")
            .image("a", "a", "1.0", &[], "x"),
        2,
        "config file config.yaml is not valid YAML: line 2: the document is malformed",
    );
}

#[test]
fn changelog_without_entries() {
    assert_bad_input(
        Test::new()
            .config("")
            .file("images/a/changelog", "\n\n")
            .file("images/a/Dockerfile.template", "x"),
        2,
        "images/a/changelog: it has no entries",
    );
}

#[test]
fn a_tag_that_is_not_an_oci_tag_fails_that_image_alone() {
    for version in ["1:1.0-1", "1.0~rc1", "1.0+dfsg"] {
        let test = Test::new()
            .config("")
            .image("a", "a", version, &[], "FROM scratch\n")
            .image("b", "b", "1.0", &[], "FROM scratch\n")
            .args(["render", "--output", "out", "images"]);
        test.run().code(1).no_panic().stderr_has(&format!(
            "images/a/changelog: `{version}` is not a valid image tag"
        ));
        assert!(test.path().join("out/b/Dockerfile").is_file());
        assert!(!test.path().join("out/a").exists());
    }
}

#[test]
fn malformed_control() {
    assert_bad_input(
        Test::new()
            .config("")
            .image("a", "a", "1.0", &[], "x")
            .file("images/a/control", "Package: a\nnot a field\n"),
        2,
        "images/a/control: line 2: expected `Field: value`",
    );
}

#[test]
fn unreadable_file() {
    let test = Test::new().config("").image("a", "a", "1.0", &[], "x");
    std::fs::write(
        test.path().join("images/a/changelog"),
        b"a (1.0) x; urgency=low\n\xff\xfe\n",
    )
    .unwrap();
    assert_bad_input(test, 2, "cannot read ");
}

#[test]
fn undefined_variable() {
    assert_bad_input(
        Test::new()
            .config("")
            .image("a", "a", "1.0", &[], "{{ nope }}"),
        1,
        "images/a/Dockerfile.template:1: undefined value",
    );
}

#[test]
fn unknown_image_in_image_tag() {
    assert_bad_input(
        Test::new().config("registry: r.example.org\n").image(
            "a",
            "a",
            "1.0",
            &[],
            "FROM {{ 'ghost' | image_tag }}",
        ),
        1,
        "image_tag: unknown image r.example.org/ghost",
    );
}

#[test]
fn add_user_of_an_unmapped_user() {
    assert_bad_input(
        Test::new()
            .config("")
            .image("a", "a", "1.0", &[], "RUN {{ 'someone' | add_user }}"),
        1,
        "add_user: no uid is known for user 'someone'",
    );
}

/// As 4.0.4, `force_numeric_user` is checked when building: render shows the Dockerfile.
#[test]
fn render_shows_a_non_numeric_user_with_force_numeric_user() {
    let output = Test::new()
        .config("force_numeric_user: true\n")
        .image("a", "a", "1.0", &[], "USER 0\nUSER {{ 'nobody' }}\n")
        .args(["render", "--output", "out", "images"])
        .run()
        .success();
    assert_eq!(output.read("out/a/Dockerfile"), "USER 0\nUSER nobody");
}

#[test]
fn cycle() {
    assert_bad_input(
        Test::new()
            .config("")
            .image("a", "a", "1.0", &["b"], "x")
            .image("b", "b", "1.0", &["a"], "x"),
        2,
        "dependency cycle (each image depends on the next): a -> b -> a",
    );
}

#[test]
fn duplicate_names() {
    assert_bad_input(
        Test::new()
            .config("")
            .image("one", "same", "1.0", &[], "x")
            .image("two", "same", "2.0", &[], "x"),
        2,
        "two images are named same: images/one and images/two",
    );
}

#[test]
fn unknown_dependency_warns_naming_both() {
    Test::new()
        .config("")
        .image("a", "a", "1.0", &["ghost"], "x")
        .args(["render", "--output", "out", "images"])
        .run()
        .success()
        .stderr_has("images/a/control: image a depends on ghost, which is neither an image of the tree nor a base image");
}

#[test]
fn rendering_again_rewrites_only_what_changed() {
    let test = Test::new()
        .config("")
        .image("a", "a", "1.0", &[], "FROM scratch\n")
        .image("b", "b", "1.0", &[], "FROM scratch\n")
        .args(["render", "--output", "out", "images"]);
    test.run().success();
    let mtime = |name: &str| {
        let path = test.path().join(format!("out/{name}/Dockerfile"));
        std::fs::metadata(path).unwrap().modified().unwrap()
    };
    let (a, b) = (mtime("a"), mtime("b"));
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(
        test.path().join("images/b/Dockerfile.template"),
        "FROM busybox\n",
    )
    .unwrap();
    let output = test.run().success();
    assert_eq!(mtime("a"), a, "an unchanged Dockerfile is left alone");
    assert!(mtime("b") > b, "a changed Dockerfile is rewritten");
    assert_eq!(output.read("out/b/Dockerfile"), "FROM busybox");
}

/// A configuration's YAML 1.1 values (booleans, `0755` modes, base 60, dates, merge keys, big
/// integers, integer keys in `known_uid_mappings`) reach the templates as in 4.0.4: every
/// image of fixtures/templates/config-yaml11 renders as the golden 4.0.4 wrote.
#[test]
fn yaml_1_1_config_values_render_as_4_0_4() {
    let tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/templates/config-yaml11");
    let output = Test::new()
        .args(["-c", &tree.join("config.yaml").display().to_string()])
        .args(["render", "--output", "out"])
        .arg_path(&tree.join("images"))
        .run()
        .success();
    let mut goldens: Vec<PathBuf> = std::fs::read_dir(tree.join("golden"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    goldens.sort();
    assert_eq!(goldens.len(), 12);
    for golden in goldens {
        let case = golden.file_stem().unwrap().to_string_lossy().into_owned();
        let expected = std::fs::read_to_string(&golden).unwrap();
        let actual = output.read(&format!("out/{case}/Dockerfile"));
        assert_eq!(actual, expected, "{case}: differs from 4.0.4's");
    }
}

/// A template, changelog or control that is a link is followed, as 4.0.4 follows it.
#[test]
fn definition_files_that_are_links_are_followed() {
    let test = Test::new()
        .config("")
        .file(
            "images/common/linked-changelog",
            &harness::changelog_entry("linked", "1.0"),
        )
        .file(
            "images/common/linked-template",
            "FROM {{ 'base' | image_tag }}\n",
        )
        .file(
            "images/common/linked-control",
            "Package: linked\nDepends: base\n",
        )
        .image("base", "base", "1.0", &[], "FROM scratch\n");
    std::fs::create_dir_all(test.path().join("images/linked")).unwrap();
    let files = [
        ("changelog", "linked-changelog"),
        ("Dockerfile.template", "linked-template"),
        ("control", "linked-control"),
    ];
    for (file, shared) in files {
        let target = test.path().join("images/common").join(shared);
        std::os::unix::fs::symlink(target, test.path().join("images/linked").join(file)).unwrap();
    }
    let test = test.args(["render", "--output", "out", "images"]);
    test.run().success().no_panic();
    assert_eq!(
        std::fs::read_to_string(test.path().join("out/linked/Dockerfile")).unwrap(),
        "FROM base:1.0"
    );
    assert_eq!(
        std::fs::read_to_string(test.path().join("out/chain.txt")).unwrap(),
        "base:1.0\nlinked:1.0\n"
    );
}

/// A definition file that links out of the tree given to the command is not read: a
/// changelog makes the tree unreadable, a template fails its image alone.
#[test]
fn definition_files_that_link_out_of_the_tree_are_refused() {
    let test = Test::new()
        .config("")
        .file("outside/changelog", &harness::changelog_entry("out", "1.0"))
        .file("outside/Dockerfile.template", "FROM scratch\n")
        .image("base", "base", "1.0", &[], "FROM scratch\n")
        .file(
            "images/out/changelog",
            &harness::changelog_entry("out", "1.0"),
        );
    let template = test.path().join("outside/Dockerfile.template");
    std::os::unix::fs::symlink(
        &template,
        test.path().join("images/out/Dockerfile.template"),
    )
    .unwrap();
    let render = test.clone().args(["render", "--output", "out", "images"]);
    let output = render.run().code(1).no_panic().stderr_has(&format!(
        "images/out/Dockerfile.template is a link to {}, outside the tree",
        template.canonicalize().unwrap().display()
    ));
    assert!(output.path().join("out/base/Dockerfile").is_file());
    assert!(!output.path().join("out/out/Dockerfile").exists());

    std::fs::remove_file(test.path().join("images/out/changelog")).unwrap();
    let changelog = test.path().join("outside/changelog");
    std::os::unix::fs::symlink(&changelog, test.path().join("images/out/changelog")).unwrap();
    test.args(["render", "--output", "out", "images"])
        .run()
        .code(2)
        .stderr_has("images/out/changelog is a link to ");
}

/// A link to nothing, a loop of links, a directory or a FIFO where a definition file is
/// expected is an error naming it, not a folder silently passed over.
#[test]
fn definition_files_that_are_not_files_are_errors() {
    type Case = (&'static str, &'static str, fn(&Path));
    let cases: [Case; 4] = [
        ("changelog", "a symbolic link to nothing", |at| {
            std::os::unix::fs::symlink("nowhere", at).unwrap()
        }),
        ("Dockerfile.template", "a loop of symbolic links", |at| {
            std::os::unix::fs::symlink(at.file_name().unwrap(), at).unwrap()
        }),
        ("changelog", "a directory, not a regular file", |at| {
            std::fs::create_dir(at).unwrap()
        }),
        ("control", "a FIFO, not a regular file", |at| {
            let status = std::process::Command::new("mkfifo")
                .arg(at)
                .status()
                .unwrap();
            assert!(status.success());
        }),
    ];
    for (file, problem, make) in cases {
        let test = Test::new()
            .config("")
            .image("a", "a", "1.0", &[], "FROM scratch\n")
            .image("b", "b", "1.0", &[], "FROM scratch\n");
        let at = test.path().join("images/a").join(file);
        let _ = std::fs::remove_file(&at);
        make(&at);
        test.args(["render", "--output", "out", "images"])
            .run()
            .code(2)
            .no_panic()
            .stderr_has(&format!("images/a/{file}: {problem}"));
    }
}
