//! `ci gitlab` end to end: the pipeline it writes is run by gitlab-ci-local (which checks it
//! against GitLab's CI schema, honours `needs:` and runs each job with the shell executor in
//! a copy of the work tree) against a registry with TLS and a password, the credentials
//! given as CI variables. The fixture tree (10 images on 3 levels) is built, verified and
//! published one job per image; generated again, the pipeline has nothing to build; with one
//! image failing, the jobs of the images built on it do not run and the summary names both. A
//! tree built for two platforms is published as lists, each job on an empty storage.

use std::path::Path;
use std::process::Command;

use docker_pkg::engine::EngineKind;
use docker_pkg::label::ImageLabel;
use serde_json::Value;

use crate::fixture_tree::{IMAGES, Setup};
use crate::harness::{self, Test};
use crate::support::{self, Storage, TestRegistry};

/// Pinned: later versions need Node.js 22 (`scripts/test` installs this one).
const GITLAB_CI_LOCAL_VERSION: &str = "4.52.0";
const SUMMARY_REPORT: &str = ".gitlab-ci-local/artifacts/summary/docker-pkg-summary/report.json";

/// Whether gitlab-ci-local (at the pinned version), git and rsync are here; under
/// `CI=true` anything missing fails the test, elsewhere it is skipped.
fn pipeline_tools_available() -> bool {
    if !support::tools_available(&["gitlab-ci-local", "git", "rsync"]) {
        return false;
    }
    let version = Command::new("gitlab-ci-local").arg("--version").output();
    let version = version.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    let version = version.unwrap_or_default();
    if version == GITLAB_CI_LOCAL_VERSION {
        return true;
    }
    let message = format!(
        "gitlab-ci-local is {version}, not {GITLAB_CI_LOCAL_VERSION}: npm install -g \
         gitlab-ci-local@{GITLAB_CI_LOCAL_VERSION}"
    );
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}");
    eprintln!("skipped: {message}");
    false
}

/// A scratch copy of the fixture tree in a git repository, as a project checks it out.
fn project(setup: &Setup, extra_config: &str) -> Test {
    let test = setup
        .test()
        .config(&(setup.config_without_credentials() + extra_config));
    git(test.path(), &["init", "-q", "-b", "main"]);
    commit(test.path());
    test
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.name=CI", "-c", "user.email=ci@example.org"])
        .args(args)
        .current_dir(dir)
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

fn commit(dir: &Path) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "--allow-empty", "-m", "tree"]);
}

/// gitlab-ci-local's run of `.gitlab-ci.yml` in a project.
struct PipelineRun {
    code: Option<i32>,
    output: String,
}

/// Runs the project's `.gitlab-ci.yml` (or only `jobs`) with gitlab-ci-local: the shell
/// executor, each job in a copy of the work tree, at most 3 jobs at once, `docker-pkg` on
/// `PATH` and the registry's credentials as CI variables.
fn run_pipeline(setup: &Setup, dir: &Path, extra: &[&str]) -> PipelineRun {
    run_pipeline_on(&setup.registry, &setup.storage, dir, extra)
}

/// [`run_pipeline`] against `registry`, the tools' environment being `storage`'s.
fn run_pipeline_on(
    registry: &TestRegistry,
    storage: &Storage,
    dir: &Path,
    extra: &[&str],
) -> PipelineRun {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_docker-pkg"))
        .parent()
        .unwrap();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![bin_dir.to_owned()];
    paths.extend(std::env::split_paths(&path));
    let home = dir.join(".gitlab-ci-local-home");
    std::fs::create_dir_all(&home).unwrap();
    let output = Command::new("gitlab-ci-local")
        .args([
            "--shell-isolation",
            "--no-artifacts-to-source",
            "--concurrency",
            "3",
        ])
        .arg("--home")
        .arg(&home)
        .arg("--variable")
        .arg(format!("DOCKER_PKG_USERNAME={}", registry.username))
        .arg("--variable")
        .arg(format!("DOCKER_PKG_PASSWORD={}", registry.password))
        .args(extra)
        .current_dir(dir)
        .env("PATH", std::env::join_paths(paths).unwrap())
        .env("XDG_CONFIG_HOME", dir.join("xdg"))
        .envs(storage.env())
        .env_remove("DOCKER_PKG_USERNAME")
        .env_remove("DOCKER_PKG_PASSWORD")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("gitlab-ci-local runs");
    PipelineRun {
        code: output.status.code(),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

impl PipelineRun {
    /// The jobs gitlab-ci-local says passed, or failed.
    fn jobs(&self, verdict: &str) -> Vec<String> {
        let prefix = format!(" {verdict}  ");
        let mut jobs: Vec<String> = self
            .output
            .lines()
            .filter_map(|line| line.strip_prefix(&prefix))
            .map(|job| job.trim().to_owned())
            .collect();
        jobs.sort();
        jobs
    }

    fn started(&self, job: &str) -> bool {
        self.output.contains(&format!("{job} starting"))
    }
}

/// `ci gitlab` on the project, writing `.gitlab-ci.yml`, committed as a generating job's
/// artifact would be handed to the child pipeline.
fn generate(setup: &Setup, test: &Test, args: &[&str]) -> String {
    generate_for(&setup.registry, test, args)
}

/// [`generate`] with the credentials of `registry`.
fn generate_for(registry: &TestRegistry, test: &Test, args: &[&str]) -> String {
    let with_credentials = test
        .clone()
        .env("DOCKER_PKG_USERNAME", &registry.username)
        .env("DOCKER_PKG_PASSWORD", &registry.password);
    let pipeline = write_pipeline(with_credentials, args);
    commit(test.path());
    pipeline
}

/// What `ci gitlab --output .gitlab-ci.yml ARGS images` writes.
fn write_pipeline(test: Test, args: &[&str]) -> String {
    let path = test.path().join(".gitlab-ci.yml");
    test.args(["ci", "gitlab", "--output", ".gitlab-ci.yml"])
        .args(args.iter().copied())
        .args(["images"])
        .run()
        .success()
        .no_panic();
    std::fs::read_to_string(path).unwrap()
}

fn job_names(pipeline: &str) -> Vec<String> {
    let mut names: Vec<String> = pipeline
        .lines()
        .filter(|line| !line.starts_with([' ', '-', '#']) && line.ends_with(':'))
        .map(|line| line.trim_end_matches(':').to_owned())
        .filter(|name| name != "stages")
        .collect();
    names.sort();
    names
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    names.sort();
    names
}

fn build_jobs(images: &[&str]) -> Vec<String> {
    let mut jobs: Vec<String> = images.iter().map(|i| format!("build:{i}")).collect();
    jobs.sort();
    jobs
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn image<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in the report"))
}

/// The names of the images of `report` whose outcome is `outcome`.
fn with_outcome(report: &Value, outcome: &str) -> Vec<String> {
    let images = report["images"].as_array().unwrap().iter();
    let mut names: Vec<String> = images
        .filter(|i| i["outcome"] == outcome)
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn the_pipeline_builds_each_image_in_its_own_job() {
    if !pipeline_tools_available() {
        return;
    }
    let Some(setup) = Setup::new() else { return };
    let test = project(&setup, "");

    // Nightly tags: every job must take the generating run's day, not its own.
    let pipeline = generate(&setup, &test, &["--nightly"]);
    assert_eq!(
        job_names(&pipeline),
        [build_jobs(&IMAGES), vec!["summary".to_owned()]].concat()
    );
    assert!(!pipeline.contains(&setup.registry.password), "{pipeline}");
    let id = suffix_id(&pipeline);
    let run = run_pipeline(&setup, test.path(), &[]);
    assert_eq!(run.code, Some(0), "{}", run.output);
    assert_eq!(
        run.jobs("PASS"),
        [build_jobs(&IMAGES), vec!["summary".to_owned()]].concat(),
        "{}",
        run.output
    );
    let summary = read_json(&test.path().join(SUMMARY_REPORT));
    check_each_job_built_its_image_alone(&test.path().join(".gitlab-ci-local/artifacts"));
    check_published(&setup, &summary, &id);
    check_concurrency(&summary);

    // Everything is published now: the same generation has nothing to build.
    let again = generate(&setup, &test, &["--suffix-id", &id]);
    assert_eq!(job_names(&again), ["nothing-to-build"], "{again}");
    let run = run_pipeline(&setup, test.path(), &[]);
    assert_eq!(run.code, Some(0), "{}", run.output);
    assert_eq!(run.jobs("PASS"), ["nothing-to-build"], "{}", run.output);

    a_failed_image_skips_the_jobs_built_on_it(&setup);
}

/// The id of `--suffix-id ID` in the jobs' command lines: one for all of them.
fn suffix_id(pipeline: &str) -> String {
    let ids: std::collections::BTreeSet<&str> = pipeline
        .split("--suffix-id ")
        .skip(1)
        .map(|rest| rest.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "{pipeline}");
    let id = ids.into_iter().next().unwrap().to_owned();
    assert!(
        id.len() == 8 && id.bytes().all(|b| b.is_ascii_digit()),
        "{id}"
    );
    id
}

/// Each job's report shows one image worked on, its own, the images it is built on having
/// been pulled, not built.
fn check_each_job_built_its_image_alone(artifacts: &Path) {
    let mut seen = Vec::new();
    for name in IMAGES {
        let (job_dir, report) = job_report(artifacts, name);
        let worked_on: Vec<&str> = report["images"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| !["up_to_date", "untouched"].contains(&i["outcome"].as_str().unwrap()))
            .map(|i| i["name"].as_str().unwrap())
            .collect();
        assert_eq!(worked_on, [name], "{report:#}");
        let own = image(&report, name);
        assert_eq!(own["outcome"], "published", "{own:#}");
        let dependencies = own["dependencies"].as_array().unwrap();
        let steps: Vec<&str> = own["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["step"].as_str().unwrap())
            .collect();
        let expected: &[&str] = if dependencies.is_empty() {
            &["build", "verify", "publish"]
        } else {
            &["pull", "build", "verify", "publish"]
        };
        assert_eq!(steps, expected, "{name}");
        for dependency in dependencies {
            assert_eq!(
                image(&report, dependency.as_str().unwrap())["outcome"],
                "up_to_date"
            );
        }
        seen.push(job_dir);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), IMAGES.len(), "one job per image");
}

/// The artifacts folder of the job that built `name`, and its JSON report.
fn job_report(artifacts: &Path, name: &str) -> (std::path::PathBuf, Value) {
    let report = format!("docker-pkg-reports/{name}.json");
    let job_dir = std::fs::read_dir(artifacts)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.join(&report).is_file())
        .unwrap_or_else(|| panic!("no report of {name} in {}", artifacts.display()));
    let json = read_json(&job_dir.join(&report));
    (job_dir, json)
}

/// Every image is published under the generating run's suffix, and as `latest`.
fn check_published(setup: &Setup, summary: &Value, id: &str) {
    assert_eq!(summary["run"]["exit_code"], 0);
    assert_eq!(summary["totals"]["published"], 10, "{summary:#}");
    assert_eq!(summary["run"]["merged_from"].as_array().unwrap().len(), 10);
    assert_eq!(sorted(&IMAGES), with_outcome(summary, "published"));
    let versions: Vec<_> = setup
        .version_labels()
        .into_iter()
        .map(|label| label.with_tag(&format!("{}-{id}", label.tag)))
        .collect();
    let latest: Vec<_> = versions.iter().map(|l| l.with_tag("latest")).collect();
    assert_eq!(setup.published(&versions), vec![true; 10]);
    assert_eq!(setup.published(&latest), vec![true; 10]);
}

/// Some jobs of the same level ran at the same time: their build steps overlap.
fn check_concurrency(summary: &Value) {
    let build = |name: &str| {
        let steps = image(summary, name)["steps"].as_array().unwrap().clone();
        let step = steps.iter().find(|s| s["step"] == "build").unwrap().clone();
        let start = step["offset_ms"].as_u64().unwrap();
        (start, start + step["duration_ms"].as_u64().unwrap())
    };
    let spans: Vec<(&str, (u64, u64))> = IMAGES.iter().map(|&n| (n, build(n))).collect();
    let overlapping = spans
        .iter()
        .enumerate()
        .any(|(i, (_, a))| spans[i + 1..].iter().any(|(_, b)| a.0 < b.1 && b.0 < a.1));
    assert!(overlapping, "no two builds overlap: {spans:?}");
    // And none started before what it is built on was published.
    for name in IMAGES {
        let own = image(summary, name);
        let start = build(name).0;
        for dependency in own["dependencies"].as_array().unwrap() {
            let parent = image(summary, dependency.as_str().unwrap());
            let publish = parent["steps"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["step"] == "publish")
                .unwrap();
            let published =
                publish["offset_ms"].as_u64().unwrap() + publish["duration_ms"].as_u64().unwrap();
            assert!(
                published <= start,
                "{name} built before {dependency} was published"
            );
        }
    }
}

/// lib fails its test: its job fails, the jobs of app-2 and app-4 (built on it) do not run,
/// every other image is published, and the summary names the failed and skipped images.
fn a_failed_image_skips_the_jobs_built_on_it(setup: &Setup) {
    let test = project(setup, "");
    let test_script = test.path().join("images/lib/test.sh");
    std::fs::write(
        &test_script,
        "#!/bin/sh\necho 'lib is broken' >&2\nexit 3\n",
    )
    .unwrap();
    make_executable(&test_script);
    let pipeline = generate(setup, &test, &[]);
    assert_eq!(
        job_names(&pipeline),
        [build_jobs(&IMAGES), vec!["summary".to_owned()]].concat()
    );
    let run = run_pipeline(setup, test.path(), &[]);
    assert_eq!(run.code, Some(1), "{}", run.output);
    assert_eq!(run.jobs("FAIL"), ["build:lib"], "{}", run.output);
    let others = [
        "base-a", "base-b", "tool-1", "tool-2", "tool-3", "app-1", "app-3",
    ];
    assert_eq!(run.jobs("PASS"), build_jobs(&others), "{}", run.output);
    for skipped in ["build:app-2", "build:app-4"] {
        assert!(!run.started(skipped), "{skipped} ran\n{}", run.output);
    }
    // GitLab runs a `when: always` job once every job before it ended or was skipped;
    // gitlab-ci-local waits for the jobs that never run, so the summary is run on its own.
    assert!(!run.started("summary"), "{}", run.output);
    let summary_run = run_pipeline(setup, test.path(), &["summary"]);
    assert_eq!(summary_run.code, Some(1), "{}", summary_run.output);
    assert!(
        summary_run.output.contains("> Failed: lib\n")
            && summary_run.output.contains("> Skipped: app-4, app-2\n"),
        "{}",
        summary_run.output
    );
    let summary = read_json(&test.path().join(SUMMARY_REPORT));
    assert_eq!(summary["run"]["exit_code"], 1);
    assert_eq!(with_outcome(&summary, "failed"), ["lib"]);
    assert_eq!(with_outcome(&summary, "skipped"), ["app-2", "app-4"]);
    assert_eq!(with_outcome(&summary, "published"), sorted(&others));
    assert_eq!(image(&summary, "app-4")["skipped_because"], "lib");
    assert_eq!(image(&summary, "app-2")["reason"], "dependency lib failed");
    assert_eq!(image(&summary, "lib")["failure"]["kind"], "test");
    let junit = std::fs::read_to_string(
        test.path()
            .join(".gitlab-ci-local/artifacts/summary/docker-pkg-summary/junit.xml"),
    )
    .unwrap();
    assert!(junit.contains("failures=\"1\""), "{junit}");
    assert!(junit.contains("lib is broken"), "{junit}");
    let html = test
        .path()
        .join(".gitlab-ci-local/artifacts/summary/docker-pkg-summary/report.html");
    assert!(
        std::fs::read_to_string(html)
            .unwrap()
            .contains("\"skipped_because\":\"lib\"")
    );
    let labels: Vec<_> = setup.version_labels();
    let published = setup.published(&labels);
    for (name, published) in IMAGES.iter().zip(published) {
        assert_eq!(published, others.contains(name), "{name}");
    }
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Every fixture tree's pipeline, one with every `gitlab_ci:` key set (and an image's own
/// `gitlab-ci.yaml`), and the pipeline with nothing to build pass GitLab's CI schema as
/// gitlab-ci-local checks it.
#[test]
fn generated_pipelines_pass_gitlabs_schema() {
    if !pipeline_tools_available() || !support::registry_available() {
        return;
    }
    let registry = support::TestRegistry::start();
    let config = format!(
        "registry: {}\nnamespace: ns\nusername: {}\npassword: {}\nca_bundle: {}\n",
        registry.address,
        registry.username,
        registry.password,
        registry.ca_file.display()
    );
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for tree in ["build", "example", "rootless", "render"] {
        let images = fixtures.join(tree).join("images");
        let count = harness::files_below(&images)
            .keys()
            .filter(|path| path.ends_with("changelog"))
            .count();
        let test = schema_project(&images, &config);
        let pipeline = validated(&test, &[]);
        assert_eq!(job_names(&pipeline).len(), count + 1, "{tree}:\n{pipeline}");
    }

    let test = schema_project(
        &fixtures.join("build/images"),
        &(config.clone() + EVERY_OPTION),
    )
    .file("images/lib/gitlab-ci.yaml", IMAGE_OPTIONS);
    commit(test.path());
    let pipeline = validated(&test, &["--snapshot"]);
    for expected in [
        "  image: debian:bookworm\n",
        "  - gpu\n",
        "  retry:\n    max: 2\n",
        "  timeout: '1h 30m'\n",
        "  timeout: '3h'\n",
        "  interruptible: true\n",
        "  resource_group: docker-pkg-lib\n",
        "    BUILDAH_ISOLATION: chroot\n",
        "- /opt/docker-pkg/bin/docker-pkg -c config.yaml",
    ] {
        assert!(
            pipeline.contains(expected),
            "no {expected:?} in\n{pipeline}"
        );
    }

    let nothing = validated(&test, &["--select", "nothing-matches*"]);
    assert_eq!(job_names(&nothing), ["nothing-to-build"], "{nothing}");
}

const EVERY_OPTION: &str = "gitlab_ci:
  docker_pkg: /opt/docker-pkg/bin/docker-pkg
  image: {name: debian:bookworm, pull_policy: if-not-present}
  tags: [buildah, amd64]
  variables: {BUILDAH_ISOLATION: chroot, STORAGE_DRIVER: vfs, JOBS: 2}
  before_script:
    - export XDG_RUNTIME_DIR=/run/user/$(id -u)
    - buildah --version
  retry: {max: 2, when: [runner_system_failure, stuck_or_timeout_failure], exit_codes: [137]}
  timeout: 90m
  interruptible: true
  resource_group: true
";

/// lib needs a bigger runner, and longer.
const IMAGE_OPTIONS: &str = "image: debian:bookworm
tags: [gpu]
timeout: 3h
variables: {CUDA: '12'}
";

fn schema_project(images: &Path, config: &str) -> Test {
    let test = Test::new().copy_dir(images, "images").config(config);
    git(test.path(), &["init", "-q", "-b", "main"]);
    commit(test.path());
    test
}

/// The pipeline `ci gitlab ARGS images` writes, once gitlab-ci-local has checked it.
fn validated(test: &Test, args: &[&str]) -> String {
    let pipeline = write_pipeline(test.clone(), args);
    let home = test.path().join(".gitlab-ci-local-home");
    std::fs::create_dir_all(&home).unwrap();
    let output = Command::new("gitlab-ci-local")
        .arg("--list")
        .arg("--home")
        .arg(&home)
        .current_dir(test.path())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("gitlab-ci-local runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success() && text.contains("json schema validated"),
        "{text}\n{pipeline}"
    );
    pipeline
}

/// Without a registry to publish to, or with one that cannot say what is published, no
/// pipeline is written: its jobs could not pull what they are built on, or would rebuild
/// what may be published.
#[test]
fn no_pipeline_without_a_registry_that_answers() {
    let tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/build/images");
    let test = Test::new().copy_dir(&tree, "images");
    test.clone()
        .config("namespace: ns\n")
        .args(["ci", "gitlab", "--output", "pipeline.yml", "images"])
        .run()
        .code(2)
        .stderr_has("docker-pkg: error: a pipeline needs a registry")
        .no_panic();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = closed.local_addr().unwrap();
    drop(closed);
    test.clone()
        .config(&format!("registry: {address}\nnamespace: ns\n"))
        .args(["ci", "gitlab", "--output", "pipeline.yml", "images"])
        .run()
        .code(2)
        .stderr_has(&format!(
            "docker-pkg: error: cannot tell whether {address}/ns/"
        ))
        .stderr_has("is published, so whether it needs a job: cannot reach registry")
        .no_panic();
    assert!(!test.path().join("pipeline.yml").exists());
}

/// The multi-platform tree: each image and what it is built on (`app` on `lib` a chain,
/// `solo` beside `lib`), all on a two-platform busybox base.
const LIST_TREE: [(&str, &str); 3] = [("lib", "busybox"), ("app", "lib"), ("solo", "busybox")];

/// Every job starts on a containers storage of its own, made below `$JOB_STORAGES` and
/// written down there with the job's name: nothing an earlier job pulled or built is in it.
const STORAGE_PER_JOB: &str = r#"gitlab_ci:
  variables: {JOB_STORAGES: "@JOB_STORAGES@"}
  before_script:
    - root=$(mktemp -d "$JOB_STORAGES/job-XXXXXX")
    - printf '[storage]\ndriver = "vfs"\ngraphroot = "%s/graph"\nrunroot = "%s/run"\n' "$root" "$root" > "$root/storage.conf"
    - export CONTAINERS_STORAGE_CONF="$root/storage.conf"
    - echo "$CI_JOB_NAME $root" >> "$JOB_STORAGES/jobs"
"#;

/// `ci gitlab --platform linux/amd64,linux/arm64` over a configuration naming linux/amd64
/// alone: each job builds its image for both platforms (`RUN` under QEMU for arm64), in a
/// storage of its own that holds neither the base nor the images it is built on, so that it
/// pulls their lists from the registry. Each image's test runs once per platform, on that
/// platform's image, and each image is published as a list of both under its version tag
/// and `latest`; generated again, with the flag or without, the pipeline has nothing to build,
/// and with a third platform, every image has a job again.
#[test]
fn a_multi_platform_tree_is_built_one_job_per_image_each_on_a_fresh_storage() {
    let ready = pipeline_tools_available()
        && support::registry_tools_available(EngineKind::Buildah)
        && support::tools_available(&["podman", "apt-get", "dpkg-deb"])
        && support::arm64_emulation_available();
    if !ready {
        return;
    }
    let registry = TestRegistry::start();
    let storage = Storage::new();
    let label = |name: &str, tag: &str| ImageLabel {
        name: format!("{}/ns/{name}", registry.address),
        tag: tag.to_owned(),
    };
    let base = label("busybox", "1.0").to_string();
    storage.busybox_list(&base, &support::arm64_busybox());
    storage.push_list(&base, &registry);
    let results = storage.scratch("results");
    let job_storages = storage.scratch("jobs");
    let config = format!(
        "registry: {}\nnamespace: ns\nca_bundle: {}\nbase_images: [\"{base}\"]\n\
         platforms: [linux/amd64]\n{}",
        registry.address,
        registry.ca_file.display(),
        STORAGE_PER_JOB.replace("@JOB_STORAGES@", &job_storages.display().to_string()),
    );
    let mut test = Test::new().config(&config).envs(storage.env());
    for (name, parent) in LIST_TREE {
        let template = format!(
            "FROM {{{{ \"{parent}\" | image_tag }}}}\nRUN echo \"$(uname -m)\" > /{name}-built-on\n"
        );
        let script = format!(
            "#!/bin/sh\nset -e\nmachine=$(docker run --rm \"$1\" uname -m)\n\
             built_on=$(docker run --rm \"$1\" cat /{name}-built-on)\n\
             echo \"$TEST_PLATFORM $machine $built_on\" >> {}/{name}\n",
            results.display()
        );
        test = test
            .image(name, name, "1.0", &[parent], &template)
            .file(&format!("images/{name}/test.sh"), &script);
        make_executable(&test.path().join(format!("images/{name}/test.sh")));
    }
    git(test.path(), &["init", "-q", "-b", "main"]);
    commit(test.path());

    let both = ["--platform", "linux/amd64,linux/arm64"];
    let pipeline = generate_for(&registry, &test, &both);
    assert_eq!(
        job_names(&pipeline),
        ["build:app", "build:lib", "build:solo", "summary"],
        "{pipeline}"
    );
    assert_eq!(
        pipeline
            .matches("--platform 'linux/amd64,linux/arm64'")
            .count(),
        LIST_TREE.len(),
        "{pipeline}"
    );
    let run = run_pipeline_on(&registry, &storage, test.path(), &[]);
    assert_eq!(run.code, Some(0), "{}", run.output);
    assert_eq!(
        run.jobs("PASS"),
        ["build:app", "build:lib", "build:solo", "summary"],
        "{}",
        run.output
    );

    let artifacts = test.path().join(".gitlab-ci-local/artifacts");
    let storages = job_storages_by_name(&job_storages.join("jobs"));
    for (name, parent) in LIST_TREE {
        for tag in ["1.0", "latest"] {
            assert_eq!(
                registry.listed(&label(name, tag)),
                ["linux/amd64", "linux/arm64"],
                "{name}:{tag}"
            );
        }
        let recorded = std::fs::read_to_string(results.join(name)).unwrap_or_default();
        assert_eq!(
            recorded.lines().collect::<Vec<_>>(),
            ["linux/amd64 x86_64 x86_64", "linux/arm64 aarch64 aarch64"],
            "{name}: each platform's test ran that platform's image, built on that platform"
        );
        let (_, report) = job_report(&artifacts, name);
        let own = image(&report, name);
        assert_eq!(own["outcome"], "published", "{own:#}");
        let platforms: Vec<&str> = own["platforms"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} was not built as a list: {own:#}"))
            .iter()
            .map(|p| p["platform"].as_str().unwrap())
            .collect();
        assert_eq!(platforms, ["linux/amd64", "linux/arm64"], "{name}");
        // What the image is built on reached the job's own storage from the registry alone.
        let parent = if parent == "busybox" {
            base.clone()
        } else {
            assert_eq!(
                image(&report, parent)["outcome"],
                "up_to_date",
                "{report:#}"
            );
            label(parent, "1.0").to_string()
        };
        let job_storage = &storages[&format!("build:{name}")];
        assert_eq!(
            list_architectures(&storage, job_storage, &parent),
            ["amd64", "arm64"],
            "{name}'s job pulled {parent}"
        );
    }
    let mut roots: Vec<&String> = storages.values().collect();
    roots.sort();
    roots.dedup();
    assert_eq!(
        roots.len(),
        storages.len(),
        "a storage per job: {storages:?}"
    );

    for args in [&both[..], &[]] {
        let again = generate_for(&registry, &test, args);
        assert_eq!(job_names(&again), ["nothing-to-build"], "{args:?}: {again}");
    }
    // A platform the published lists lack makes every image's job again.
    let three = ["--platform", "linux/amd64,linux/arm64,linux/s390x"];
    let wider = generate_for(&registry, &test, &three);
    assert_eq!(
        job_names(&wider),
        ["build:app", "build:lib", "build:solo", "summary"],
        "{wider}"
    );
}

/// The storage folder of each job, by the job's name, as each job wrote it down.
fn job_storages_by_name(file: &Path) -> std::collections::HashMap<String, String> {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    text.lines()
        .filter_map(|line| line.split_once(' '))
        .map(|(job, root)| (job.to_owned(), root.to_owned()))
        .collect()
}

/// The architectures of the manifest list `list` in the storage folder `root` (with the
/// tools' configuration of `storage`), sorted.
fn list_architectures(storage: &Storage, root: &str, list: &str) -> Vec<String> {
    let mut env = storage.env();
    env.retain(|(name, _)| name != "CONTAINERS_STORAGE_CONF");
    env.push((
        "CONTAINERS_STORAGE_CONF".to_owned(),
        format!("{root}/storage.conf"),
    ));
    let inspected = support::run("buildah", &["manifest", "inspect", list], &env);
    let inspected: Value = serde_json::from_str(&inspected).unwrap();
    let mut architectures: Vec<String> = inspected["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["platform"]["architecture"].as_str().unwrap().to_owned())
        .collect();
    architectures.sort();
    architectures
}

/// What every job of a multi-platform pipeline would refuse, making the pipeline refuses
/// first (exit 2, nothing written): the docker engine, an image left without a platform.
/// No registry is asked: none is reachable at r.example.org.
#[test]
fn a_multi_platform_pipeline_refuses_what_its_jobs_would() {
    let tree = || {
        Test::new()
            .image("base", "base", "1.0", &[], "FROM scratch\n")
            .image("app", "app", "1.0", &["base"], "FROM base\n")
    };
    let registry = "registry: r.example.org\nusername: u\npassword: p\n";
    for (config, args, message) in [
        (
            "engine: docker\nengine_path: /nowhere/docker\nplatforms: [linux/amd64]\n",
            &[][..],
            "the docker engine cannot build for several platforms here",
        ),
        (
            "platforms: [linux/amd64, linux/arm64]\n",
            &["--platform", "linux/arm64"][..],
            "base is built for none of the platforms of this run (linux/arm64)",
        ),
    ] {
        let test = tree().config(&format!("{registry}{config}"));
        let test = if message.starts_with("base is built") {
            test.file("images/base/platforms", "linux/amd64\n")
        } else {
            test
        };
        test.clone()
            .args(["ci", "gitlab", "--output", "pipeline.yml"])
            .args(args.iter().copied())
            .args(["images"])
            .run()
            .code(2)
            .stderr_has(message)
            .no_panic();
        assert!(!test.path().join("pipeline.yml").exists(), "{message}");
    }
}
