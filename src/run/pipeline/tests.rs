//! The pipeline with a fake engine and a fake registry: what each plan makes it do.

use std::sync::Arc;
use std::time::Duration;

use tempfile::TempDir;

use super::*;
use crate::config::Config;
use crate::label::select::Selection;
use crate::run::fakes::{BuildLabels, FakeEngine, FakeRegistry, FakeStorage};
use crate::run::plan::PlanOptions;
use crate::run::scheduler::{self, JobOutcome};
use crate::run::workspace::UnknownDependencies;

/// base ← lib ← app, base ← tool; `tool` has a test.sh that fails when `FAIL_TOOL` exists
/// in its folder.
struct Tree {
    dir: TempDir,
    config: Config,
    workspace: Workspace,
}

impl Tree {
    fn new() -> Tree {
        let dir = tempfile::tempdir().unwrap();
        for (name, deps) in [
            ("base", ""),
            ("lib", "base"),
            ("app", "lib"),
            ("tool", "base"),
        ] {
            let folder = dir.path().join(name);
            std::fs::create_dir(&folder).unwrap();
            let changelog = format!(
                "{name} (1.0) wikimedia; urgency=medium\n\n  * Release.\n\n \
                 -- A <a@example.org>  Mon, 01 Jan 2024 10:00:00 +0000\n"
            );
            std::fs::write(folder.join("changelog"), changelog).unwrap();
            let template = match deps {
                "" => "FROM scratch\n".to_owned(),
                dep => format!("FROM {{{{ \"{dep}\" | image_tag }}}}\n"),
            };
            std::fs::write(folder.join("Dockerfile.template"), template).unwrap();
            if !deps.is_empty() {
                let control = format!("Package: {name}\nDepends: {deps}\n");
                std::fs::write(folder.join("control"), control).unwrap();
            }
        }
        let test = "#!/bin/sh\ntest ! -e \"$(dirname \"$0\")/FAIL_TOOL\"\n";
        let script = dir.path().join("tool/test.sh");
        std::fs::write(&script, test).unwrap();
        let executable = std::os::unix::fs::PermissionsExt::from_mode(0o755);
        std::fs::set_permissions(&script, executable).unwrap();
        let config = Config::from_values(crate::config::defaults()).unwrap();
        let workspace = Workspace::load(
            &config,
            dir.path(),
            &Default::default(),
            UnknownDependencies::Refuse,
        )
        .unwrap();
        Tree {
            dir,
            config,
            workspace,
        }
    }

    fn index(&self, name: &str) -> ImageId {
        self.workspace.tree.find(name).unwrap()
    }
}

/// What a run did: the engine's calls, the registry's tags, every record, the labels of
/// each build.
struct Ran {
    calls: Vec<String>,
    tagged: Vec<String>,
    records: ImageMap<ImageRecord>,
    labels: Vec<BuildLabels>,
    /// The most builds under way at once.
    most_building: usize,
}

fn run(
    tree: &Tree,
    registry: Arc<FakeRegistry>,
    engine: FakeEngine,
    storage: &mut FakeStorage,
    select: Option<&str>,
    options: PlanOptions,
) -> Ran {
    let build = BuildOptions::default();
    run_with(tree, registry, engine, storage, select, options, &build)
}

/// [`run`], building as `build` says.
fn run_with(
    tree: &Tree,
    registry: Arc<FakeRegistry>,
    engine: FakeEngine,
    storage: &mut FakeStorage,
    select: Option<&str>,
    options: PlanOptions,
    build: &BuildOptions,
) -> Ran {
    let jobs = 1;
    run_jobs(
        tree, registry, engine, storage, select, options, build, jobs,
    )
}

/// [`run_with`], `jobs` units of work at once.
#[allow(clippy::too_many_arguments)]
fn run_jobs(
    tree: &Tree,
    registry: Arc<FakeRegistry>,
    engine: FakeEngine,
    storage: &mut FakeStorage,
    select: Option<&str>,
    options: PlanOptions,
    build: &BuildOptions,
    jobs: usize,
) -> Ran {
    let selection = Selection::new(select).unwrap();
    let plan = Plan::make(
        &tree.workspace,
        &selection,
        options,
        registry.as_ref(),
        storage,
    )
    .unwrap();
    let engine = FakeEngine {
        pushes_to: Some(Arc::clone(&registry)),
        ..engine
    };
    let renderer = Renderer::new(&tree.config, &tree.workspace.tree);
    let verifier = Verifier::new(&tree.config, &[], None);
    let provenance = Provenance::new(
        tree.config.provenance.clone(),
        &tree.workspace.tree,
        tree.dir.path(),
        chrono::Utc::now(),
    );
    let locks = ImageLocks::new(&engine.storage_run_dir().unwrap(), SystemTime::now());
    let tools = Tools {
        renderer: &renderer,
        engine: &engine,
        registry: registry.as_ref(),
        verifier: &verifier,
        locks: &locks,
        provenance: &provenance,
    };
    let pipeline = Pipeline::new(&tree.workspace, &plan, tools, build, jobs);
    let graph = &tree.workspace.graph;
    let outcomes = scheduler::run(plan.chain(), graph, jobs, &pipeline, &|_| {});
    Ran {
        calls: engine.calls(),
        tagged: registry.tagged.lock().unwrap().clone(),
        records: pipeline.into_records(outcomes),
        labels: engine.labels.lock().unwrap().clone(),
        most_building: engine.building.most(),
    }
}

const PUBLISH: PlanOptions = PlanOptions {
    pull: true,
    publish: true,
    check_signatures: false,
};

fn outcome<'r>(ran: &'r Ran, tree: &Tree, name: &str) -> &'r JobOutcome<StepError> {
    ran.records[tree.index(name)].outcome.as_ref().unwrap()
}

#[test]
fn everything_published_does_nothing() {
    let tree = Tree::new();
    let registry = FakeRegistry::holding(&["base:1.0", "lib:1.0", "app:1.0", "tool:1.0"]);
    let ran = run(
        &tree,
        Arc::new(registry),
        FakeEngine::default(),
        &mut FakeStorage::default(),
        None,
        PUBLISH,
    );
    assert!(ran.calls.is_empty(), "{:?}", ran.calls);
    assert!(ran.records.values().all(|r| r.outcome.is_none()));
}

#[test]
fn missing_images_are_pulled_for_built_verified_and_published() {
    let tree = Tree::new();
    let registry = FakeRegistry::holding(&["base:1.0", "tool:1.0"]);
    let ran = run(
        &tree,
        Arc::new(registry),
        FakeEngine::default(),
        &mut FakeStorage::default(),
        None,
        PUBLISH,
    );
    // app may build while lib is pushed: only the order of dependent steps is fixed.
    let at = |call: &str| ran.calls.iter().position(|c| c == call).unwrap();
    assert_eq!(ran.calls.len(), 5, "{:?}", ran.calls);
    assert!(at("pull base:1.0") < at("build lib:1.0"));
    assert!(at("build lib:1.0") < at("build app:1.0"));
    assert!(at("build lib:1.0") < at("push lib:1.0 lib:latest"));
    assert!(at("build app:1.0") < at("push app:1.0 app:latest"));
    let mut tagged = ran.tagged.clone();
    tagged.sort();
    assert_eq!(tagged, ["app:1.0", "lib:1.0"]);
    let lib = &ran.records[tree.index("lib")];
    let steps: Vec<Step> = lib.steps.iter().map(|s| s.step).collect();
    assert_eq!(
        steps,
        [Step::Pull, Step::Build, Step::Verify, Step::Publish]
    );
    assert!(lib.steps.iter().all(|s| s.succeeded));
    assert!(matches!(outcome(&ran, &tree, "app"), JobOutcome::Succeeded));
}

#[test]
fn images_built_before_the_run_get_latest_locally_and_are_pushed() {
    let tree = Tree::new();
    let registry = FakeRegistry::holding(&["base:1.0", "lib:1.0", "tool:1.0"]);
    let ran = run(
        &tree,
        Arc::new(registry),
        FakeEngine::default(),
        &mut FakeStorage::holding(&["app:1.0"]),
        None,
        PUBLISH,
    );
    assert_eq!(
        ran.calls,
        ["tag app:1.0 app:latest", "push app:1.0 app:latest"]
    );
    assert_eq!(
        ran.records[tree.index("app")].done(),
        ["verified", "published"]
    );
}

#[test]
fn a_failed_build_skips_what_is_built_on_it_and_the_rest_goes_on() {
    let tree = Tree::new();
    let registry = FakeRegistry::holding(&["base:1.0"]);
    let engine = FakeEngine {
        failing_builds: ["lib:1.0".to_owned()].into(),
        ..FakeEngine::default()
    };
    let ran = run(
        &tree,
        Arc::new(registry),
        engine,
        &mut FakeStorage::default(),
        None,
        PUBLISH,
    );
    let JobOutcome::Failed(error) = outcome(&ran, &tree, "lib") else {
        panic!("lib did not fail")
    };
    assert_eq!(error.step, Step::Build);
    assert!(matches!(error.failure, Failure::Engine(_)));
    let lib = tree.index("lib");
    assert!(matches!(
        outcome(&ran, &tree, "app"),
        JobOutcome::Skipped { failed_dependency } if *failed_dependency == lib
    ));
    assert!(matches!(
        outcome(&ran, &tree, "tool"),
        JobOutcome::Succeeded
    ));
    assert!(
        !ran.calls.iter().any(|c| c.contains("app")),
        "{:?}",
        ran.calls
    );
    assert!(ran.calls.contains(&"push tool:1.0 tool:latest".to_owned()));
}

#[test]
fn a_failed_verification_is_the_verify_step_and_nothing_is_pushed() {
    let tree = Tree::new();
    std::fs::write(tree.dir.path().join("tool/FAIL_TOOL"), "").unwrap();
    let registry = FakeRegistry::holding(&["base:1.0", "lib:1.0", "app:1.0"]);
    let ran = run(
        &tree,
        Arc::new(registry),
        FakeEngine::default(),
        &mut FakeStorage::default(),
        None,
        PUBLISH,
    );
    let JobOutcome::Failed(error) = outcome(&ran, &tree, "tool") else {
        panic!("tool did not fail")
    };
    assert_eq!(error.step, Step::Verify);
    assert!(
        error.brief().starts_with("verify failed (exit status: 1)"),
        "{}",
        error.brief()
    );
    assert_eq!(
        ran.calls,
        [
            "pull base:1.0",
            "build tool:1.0",
            "tag tool:1.0 tool:1.0-failed",
            "remove tool:1.0 tool:latest"
        ]
    );
}

#[test]
fn a_selection_works_on_what_it_needs_only() {
    let tree = Tree::new();
    let registry = FakeRegistry::holding(&["base:1.0"]);
    let ran = run(
        &tree,
        Arc::new(registry),
        FakeEngine::default(),
        &mut FakeStorage::default(),
        Some("lib:*"),
        PUBLISH,
    );
    assert_eq!(
        ran.calls,
        ["pull base:1.0", "build lib:1.0", "push lib:1.0 lib:latest"]
    );
    assert!(ran.records[tree.index("app")].outcome.is_none());
}

#[test]
fn without_pull_nothing_is_pulled() {
    let tree = Tree::new();
    let registry = FakeRegistry::holding(&["base:1.0", "lib:1.0", "app:1.0", "tool:1.0"]);
    let options = PlanOptions {
        pull: false,
        publish: true,
        check_signatures: false,
    };
    let ran = run(
        &tree,
        Arc::new(registry),
        FakeEngine::default(),
        &mut FakeStorage::holding(&["base:1.0", "lib:1.0"]),
        None,
        options,
    );
    let mut calls = ran.calls.clone();
    calls.sort();
    assert_eq!(
        calls,
        [
            "build app:1.0",
            "build tool:1.0",
            "push app:1.0 app:latest",
            "push tool:1.0 tool:latest"
        ]
    );
}

#[test]
fn without_publishing_nothing_is_pushed_nor_tagged() {
    let tree = Tree::new();
    let registry = FakeRegistry::holding(&["base:1.0"]);
    let options = PlanOptions {
        pull: true,
        publish: false,
        check_signatures: false,
    };
    let ran = run(
        &tree,
        Arc::new(registry),
        FakeEngine::default(),
        &mut FakeStorage::default(),
        None,
        options,
    );
    assert!(
        ran.calls
            .iter()
            .all(|c| !c.starts_with("push") && !c.starts_with("tag"))
    );
    assert!(ran.tagged.is_empty());
    assert_eq!(ran.records[tree.index("app")].done(), ["built", "verified"]);
}

#[test]
fn an_image_the_registry_cannot_answer_for_fails_alone() {
    let tree = Tree::new();
    let mut registry = FakeRegistry::holding(&["base:1.0"]);
    registry.failing.insert("lib:1.0".into());
    let ran = run(
        &tree,
        Arc::new(registry),
        FakeEngine::default(),
        &mut FakeStorage::default(),
        None,
        PUBLISH,
    );
    let JobOutcome::Failed(error) = outcome(&ran, &tree, "lib") else {
        panic!("lib did not fail")
    };
    assert_eq!(error.step, Step::Check);
    assert!(
        error
            .brief()
            .contains("cannot tell whether it is published")
    );
    assert!(matches!(
        outcome(&ran, &tree, "app"),
        JobOutcome::Skipped { .. }
    ));
    assert!(matches!(
        outcome(&ran, &tree, "tool"),
        JobOutcome::Succeeded
    ));
}

/// The published check looks for the version tag: it is given after `latest` is pushed, so
/// that a run stopped in between leaves the image unpublished.
#[test]
fn the_version_tag_is_written_last() {
    let tree = Tree::new();
    let registry = Arc::new(FakeRegistry::holding(&["base:1.0", "lib:1.0", "tool:1.0"]));
    let ran = run(
        &tree,
        Arc::clone(&registry),
        FakeEngine::default(),
        &mut FakeStorage::default(),
        None,
        PUBLISH,
    );
    assert_eq!(
        ran.calls,
        ["pull lib:1.0", "build app:1.0", "push app:1.0 app:latest"]
    );
    assert_eq!(
        *registry.writes.lock().unwrap(),
        ["app:latest", "app:sha256:1.0 as app:1.0"]
    );
    let app = &ran.records[tree.index("app")];
    assert_eq!(app.digest.as_deref(), Some("sha256:1.0"));
}

/// When the tool's push fails, the image is written out and uploaded request by request,
/// `latest` first.
#[test]
fn a_failed_push_is_followed_by_an_upload_with_the_version_tag_last() {
    let tree = Tree::new();
    let registry = Arc::new(FakeRegistry::holding(&["base:1.0", "lib:1.0", "tool:1.0"]));
    let engine = FakeEngine {
        failing_pushes: true,
        ..FakeEngine::default()
    };
    let ran = run(
        &tree,
        Arc::clone(&registry),
        engine,
        &mut FakeStorage::default(),
        None,
        PUBLISH,
    );
    assert_eq!(
        ran.calls,
        [
            "pull lib:1.0",
            "build app:1.0",
            "push app:1.0 app:latest",
            "export app:1.0"
        ]
    );
    assert_eq!(
        *registry.writes.lock().unwrap(),
        ["upload app:latest", "upload app:1.0"]
    );
    assert!(matches!(outcome(&ran, &tree, "app"), JobOutcome::Succeeded));
}

/// A tool that pushes itself (docker) pushes `latest`; the version tag is then given, in
/// the registry, to the digest it pushed. When its push fails, there is no other way.
#[test]
fn a_tool_that_pushes_itself_gets_the_version_tag_given_to_its_digest() {
    let tree = Tree::new();
    let registry = Arc::new(FakeRegistry::holding(&["base:1.0", "lib:1.0", "tool:1.0"]));
    let engine = FakeEngine {
        pushes_itself: true,
        ..FakeEngine::default()
    };
    let ran = run(
        &tree,
        Arc::clone(&registry),
        engine,
        &mut FakeStorage::default(),
        None,
        PUBLISH,
    );
    assert_eq!(
        ran.calls,
        ["pull lib:1.0", "build app:1.0", "push app:1.0 app:latest"]
    );
    assert_eq!(
        *registry.writes.lock().unwrap(),
        ["app:latest", "app:sha256:1.0 as app:1.0"]
    );

    let registry = Arc::new(FakeRegistry::holding(&["base:1.0", "lib:1.0", "tool:1.0"]));
    let engine = FakeEngine {
        pushes_itself: true,
        failing_pushes: true,
        ..FakeEngine::default()
    };
    let ran = run(
        &tree,
        Arc::clone(&registry),
        engine,
        &mut FakeStorage::default(),
        None,
        PUBLISH,
    );
    let JobOutcome::Failed(error) = outcome(&ran, &tree, "app") else {
        panic!("app did not fail")
    };
    assert_eq!(error.step, Step::Publish);
    assert!(
        error.brief().contains("503 Service Unavailable"),
        "{}",
        error.brief()
    );
    assert!(registry.writes.lock().unwrap().is_empty());
}

/// A test.sh that is a link to nothing fails the verification, naming it, rather than
/// passing for a missing test.
#[test]
fn a_test_that_links_to_nothing_fails_the_verification() {
    let tree = Tree::new();
    let script = tree.dir.path().join("tool/test.sh");
    std::fs::remove_file(&script).unwrap();
    std::os::unix::fs::symlink("nowhere.sh", &script).unwrap();
    let registry = FakeRegistry::holding(&["base:1.0", "lib:1.0", "app:1.0"]);
    let ran = run(
        &tree,
        Arc::new(registry),
        FakeEngine::default(),
        &mut FakeStorage::holding(&["tool:1.0"]),
        None,
        PUBLISH,
    );
    let JobOutcome::Failed(error) = outcome(&ran, &tree, "tool") else {
        panic!("tool did not fail")
    };
    assert_eq!(error.step, Step::Verify);
    let expected = format!("{}: a symbolic link to nothing", script.display());
    assert!(error.brief().ends_with(&expected), "{}", error.brief());
}

/// While another run holds the lock of `lib`, this one waits; when the other has published
/// it, this one finds it published and builds only what is left.
#[test]
fn an_image_another_run_is_building_is_waited_for_and_not_built_again() {
    let tree = Tree::new();
    let registry = Arc::new(FakeRegistry::holding(&["base:1.0", "tool:1.0"]));
    let engine = FakeEngine::default();
    let other_run = ImageLocks::new(engine.run_dir.path(), SystemTime::now());
    let lib = tree.workspace.tree.get(tree.index("lib")).label.clone();
    let held = other_run.acquire(&lib, &|| panic!("free")).unwrap();
    std::thread::scope(|scope| {
        let registry_of_other = Arc::clone(&registry);
        scope.spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(400));
            registry_of_other
                .published
                .lock()
                .unwrap()
                .insert("lib:1.0".into());
            drop(held);
        });
        let ran = run(
            &tree,
            Arc::clone(&registry),
            engine,
            &mut FakeStorage::default(),
            None,
            PUBLISH,
        );
        assert_eq!(
            ran.calls,
            ["build app:1.0", "push app:1.0 app:latest"],
            "lib was built twice"
        );
        assert!(matches!(outcome(&ran, &tree, "lib"), JobOutcome::Succeeded));
        assert!(ran.records[tree.index("lib")].done().is_empty());
    });
}

#[test]
fn builds_get_the_labels_of_their_image() {
    let tree = Tree::new();
    let registry = FakeRegistry::holding(&["base:1.0", "lib:1.0", "tool:1.0"]);
    let ran = run(
        &tree,
        Arc::new(registry),
        FakeEngine::default(),
        &mut FakeStorage::default(),
        None,
        PUBLISH,
    );
    let [(label, labels)] = ran.labels.as_slice() else {
        panic!("{:?}", ran.labels)
    };
    assert_eq!(label, "app:1.0");
    let value = |name: &str| {
        let found = labels.iter().find(|(n, _)| n == name);
        found
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name}"))
    };
    assert_eq!(value("org.opencontainers.image.title"), "app");
    assert_eq!(value("org.opencontainers.image.version"), "1.0");
    assert_eq!(value("org.opencontainers.image.base.name"), "lib:1.0");
    assert_eq!(value("org.opencontainers.image.description"), "Release.");
}

const CHECKING: PlanOptions = PlanOptions {
    check_signatures: true,
    ..PUBLISH
};

/// The version's signature is added to the manifest pushed as `latest` before the version
/// tag is written; both tags are checked after publishing.
#[test]
fn a_signing_engine_signs_the_version_before_it_is_tagged_and_both_are_checked() {
    let tree = Tree::new();
    let registry = Arc::new(FakeRegistry::holding(&["base:1.0", "lib:1.0", "tool:1.0"]));
    let engine = FakeEngine {
        signs: true,
        ..FakeEngine::default()
    };
    let ran = run(
        &tree,
        Arc::clone(&registry),
        engine,
        &mut FakeStorage::default(),
        None,
        CHECKING,
    );
    assert_eq!(
        ran.calls,
        [
            "pull lib:1.0",
            "build app:1.0",
            "push app:1.0 app:latest",
            "sign app:sha256:1.0 as app:1.0",
            "check app:1.0",
            "check app:latest"
        ]
    );
    assert_eq!(
        *registry.writes.lock().unwrap(),
        ["app:latest", "app:sha256:1.0 as app:1.0"]
    );
    let app = &ran.records[tree.index("app")];
    assert_eq!(app.done(), ["built", "verified", "published", "signed"]);
}

#[test]
fn a_tag_without_a_good_signature_fails_its_image() {
    let tree = Tree::new();
    let registry = FakeRegistry::holding(&["base:1.0", "lib:1.0", "app:1.0"]);
    let engine = FakeEngine {
        unsigned: ["tool:latest".to_owned()].into(),
        ..FakeEngine::default()
    };
    let ran = run(
        &tree,
        Arc::new(registry),
        engine,
        &mut FakeStorage::default(),
        None,
        CHECKING,
    );
    let JobOutcome::Failed(error) = outcome(&ran, &tree, "tool") else {
        panic!("tool did not fail")
    };
    assert_eq!(error.step, Step::SignatureCheck);
    assert_eq!(
        error.brief(),
        "signature check failed: tool:latest: Source image rejected: A signature was \
         required, but no signature exists"
    );
    assert_eq!(
        ran.records[tree.index("tool")].done(),
        ["built", "verified", "published"]
    );
}

/// Built as manifest lists, each image records each platform's build and test: `tool`'s
/// test fails on arm64 alone, which fails the image after amd64 passed; an image without a
/// test file has none on any platform.
#[test]
fn each_platform_of_a_list_is_recorded_with_its_build_and_test() {
    let tree = Tree::new();
    let test = "#!/bin/sh\necho \"on $TEST_PLATFORM\"\ntest \"$TEST_PLATFORM\" != linux/arm64\n";
    std::fs::write(tree.dir.path().join("tool/test.sh"), test).unwrap();
    let platforms: Vec<Platform> = ["linux/amd64", "linux/arm64"]
        .iter()
        .map(|p| p.parse().unwrap())
        .collect();
    let build = BuildOptions {
        platforms: Some(ImageMap::filled(tree.workspace.tree.len(), platforms)),
        ..BuildOptions::default()
    };
    let registry = Arc::new(FakeRegistry::default());
    let mut storage = FakeStorage::default();
    let ran = run_with(
        &tree,
        registry,
        FakeEngine::default(),
        &mut storage,
        None,
        PUBLISH,
        &build,
    );
    let steps = |run: &PlatformRun| -> Vec<(Step, bool)> {
        run.steps.iter().map(|s| (s.step, s.succeeded)).collect()
    };

    let tool = &ran.records[tree.index("tool")];
    assert!(matches!(
        outcome(&ran, &tree, "tool"),
        JobOutcome::Failed(_)
    ));
    let [amd64, arm64] = tool.platforms.as_slice() else {
        panic!("{:?}", tool.platforms);
    };
    assert_eq!(amd64.platform.to_string(), "linux/amd64");
    assert_eq!(steps(amd64), [(Step::Build, true), (Step::Verify, true)]);
    assert_eq!(
        amd64.tested,
        Some(Tested::Ran {
            output: "on linux/amd64\n".into()
        })
    );
    assert_eq!(arm64.platform.to_string(), "linux/arm64");
    assert_eq!(steps(arm64), [(Step::Build, true), (Step::Verify, false)]);
    assert_eq!(
        arm64.tested,
        Some(Tested::Ran {
            output: "on linux/arm64\n".into()
        })
    );

    let base = &ran.records[tree.index("base")];
    assert_eq!(base.platforms.len(), 2);
    for run in &base.platforms {
        assert_eq!(steps(run), [(Step::Build, true), (Step::Verify, true)]);
        assert!(matches!(run.tested, Some(Tested::NoTest { .. })), "{run:?}");
    }
}

/// Built as manifest lists, the published images that others are built on are pulled as
/// lists of their platforms, once, before the first build on them; one that local storage
/// holds is used as it is.
#[test]
fn published_lists_are_pulled_before_the_builds_on_them() {
    let tree = Tree::new();
    let platforms: Vec<Platform> = ["linux/amd64", "linux/arm64"]
        .iter()
        .map(|p| p.parse().unwrap())
        .collect();
    let build = BuildOptions {
        platforms: Some(ImageMap::filled(tree.workspace.tree.len(), platforms)),
        ..BuildOptions::default()
    };
    let registry = FakeRegistry::holding(&["base:1.0", "lib:1.0"]);
    let engine = FakeEngine {
        local: vec!["localhost/lib:1.0".to_owned()],
        ..FakeEngine::default()
    };
    let ran = run_with(
        &tree,
        Arc::new(registry),
        engine,
        &mut FakeStorage::default(),
        None,
        PUBLISH,
        &build,
    );
    let at = |call: &str| {
        let found = ran.calls.iter().position(|c| c == call);
        found.unwrap_or_else(|| panic!("no {call} in {:?}", ran.calls))
    };
    let pulls: Vec<&String> = ran.calls.iter().filter(|c| c.starts_with("pull")).collect();
    assert_eq!(pulls, ["pull list base:1.0 linux/amd64,linux/arm64"]);
    assert!(
        at("pull list base:1.0 linux/amd64,linux/arm64") < at("build tool:1.0 for linux/amd64")
    );
    assert!(at("build app:1.0 for linux/amd64") < at("build app:1.0 for linux/arm64"));
    for name in ["app", "tool"] {
        assert!(matches!(outcome(&ran, &tree, name), JobOutcome::Succeeded));
        let steps: Vec<Step> = ran.records[tree.index(name)]
            .steps
            .iter()
            .map(|s| s.step)
            .collect();
        assert_eq!(
            steps,
            [Step::Pull, Step::Build, Step::Verify, Step::Publish],
            "{name}"
        );
    }
}

/// Every image of [`Tree`] built for linux/amd64 and linux/arm64.
fn two_platforms(tree: &Tree) -> BuildOptions {
    let platforms: Vec<Platform> = ["linux/amd64", "linux/arm64"]
        .iter()
        .map(|p| p.parse().unwrap())
        .collect();
    BuildOptions {
        platforms: Some(ImageMap::filled(tree.workspace.tree.len(), platforms)),
        ..BuildOptions::default()
    }
}

/// The run of [`Tree`] for two platforms, of the images `select` chooses, to publish, `jobs`
/// units at once, each build waiting up to `company` for another to be under way.
fn run_two_platforms(
    tree: &Tree,
    select: Option<&str>,
    engine: FakeEngine,
    jobs: usize,
    company: Duration,
) -> Ran {
    let engine = FakeEngine {
        build_company: Some(company),
        ..engine
    };
    let registry = Arc::new(FakeRegistry::default());
    let build = two_platforms(tree);
    let mut storage = FakeStorage::default();
    run_jobs(
        tree,
        registry,
        engine,
        &mut storage,
        select,
        PUBLISH,
        &build,
        jobs,
    )
}

/// Where `call` is in the engine's calls.
fn position(ran: &Ran, call: &str) -> usize {
    let found = ran.calls.iter().position(|c| c == call);
    found.unwrap_or_else(|| panic!("no {call} in {:?}", ran.calls))
}

/// With two slots, the two platforms' builds of an image run side by side: each waits for
/// the other to be under way (for 30 s at most, which would leave one at a time).
#[test]
fn the_builds_of_an_image_s_platforms_run_side_by_side() {
    let tree = Tree::new();
    let engine = FakeEngine::default();
    let ran = run_two_platforms(&tree, Some("base:*"), engine, 2, COMPANY);
    assert_eq!(ran.most_building, 2);
    assert!(matches!(
        outcome(&ran, &tree, "base"),
        JobOutcome::Succeeded
    ));
}

/// How long a build waits at most for another, when two should run side by side.
const COMPANY: Duration = Duration::from_secs(30);

/// With one slot, one build at a time, though each waits a moment for company.
#[test]
fn one_slot_runs_one_build_at_a_time() {
    let tree = Tree::new();
    let company = Duration::from_millis(100);
    let ran = run_two_platforms(&tree, None, FakeEngine::default(), 1, company);
    assert_eq!(ran.most_building, 1);
    let builds = ran.calls.iter().filter(|c| c.starts_with("build ")).count();
    assert_eq!(builds, 8, "{:?}", ran.calls);
}

/// A failed arm64 build fails its image at the build step, and skips the images built on
/// it; the amd64 build that ran beside it is recorded, and no list is made of it.
#[test]
fn a_failed_platform_build_fails_its_image() {
    let tree = Tree::new();
    let engine = FakeEngine {
        failing_builds: ["base:1.0 for linux/arm64".to_owned()].into(),
        ..FakeEngine::default()
    };
    let ran = run_two_platforms(&tree, None, engine, 2, COMPANY);
    let JobOutcome::Failed(error) = outcome(&ran, &tree, "base") else {
        panic!("base did not fail: {:?}", outcome(&ran, &tree, "base"));
    };
    assert_eq!(error.step, Step::Build);
    let base = tree.index("base");
    for name in ["lib", "app", "tool"] {
        let skipped = outcome(&ran, &tree, name);
        assert!(
            matches!(skipped, JobOutcome::Skipped { failed_dependency } if *failed_dependency == base),
            "{name}: {skipped:?}"
        );
    }
    let record = &ran.records[base];
    let built: Vec<(String, bool)> = record
        .platforms
        .iter()
        .map(|run| (run.platform.to_string(), run.did(Step::Build)))
        .collect();
    assert_eq!(
        built,
        [
            ("linux/amd64".to_owned(), true),
            ("linux/arm64".to_owned(), false)
        ]
    );
    let steps: Vec<(Step, bool)> = record.steps.iter().map(|s| (s.step, s.succeeded)).collect();
    assert_eq!(steps, [(Step::Build, false)]);
    assert!(
        !ran.calls.iter().any(|c| c.starts_with("make list")),
        "{:?}",
        ran.calls
    );
    assert_eq!(ran.most_building, 2);
}

/// The list is made of both platforms' images once both builds ended, in the order of the
/// platforms, then tested, then pushed once.
#[test]
fn the_list_is_published_once_after_both_builds_and_the_tests() {
    let tree = Tree::new();
    let engine = FakeEngine::default();
    let ran = run_two_platforms(&tree, Some("tool:*"), engine, 2, COMPANY);
    let made = position(
        &ran,
        "make list tool:1.0 of id-tool:1.0 for linux/amd64, id-tool:1.0 for linux/arm64",
    );
    for platform in ["linux/amd64", "linux/arm64"] {
        assert!(position(&ran, &format!("build tool:1.0 for {platform}")) < made);
    }
    let pushed = position(&ran, "push list tool:1.0 tool:latest");
    assert!(made < pushed);
    let pushes = ran
        .calls
        .iter()
        .filter(|c| c.starts_with("push list tool:1.0"));
    assert_eq!(pushes.count(), 1, "{:?}", ran.calls);

    let tool = &ran.records[tree.index("tool")];
    let steps: Vec<Step> = tool.steps.iter().map(|s| s.step).collect();
    assert_eq!(steps, [Step::Build, Step::Verify, Step::Publish]);
    let publish = &tool.steps[2];
    for run in &tool.platforms {
        let [build, verify] = run.steps.as_slice() else {
            panic!("{run:?}");
        };
        assert!((build.step, verify.step) == (Step::Build, Step::Verify));
        assert!(build.succeeded && verify.succeeded, "{run:?}");
        assert!(build.started + build.duration <= verify.started, "{run:?}");
        assert!(
            verify.started + verify.duration <= publish.started,
            "{run:?}"
        );
    }
}

/// With one slot, a failed amd64 build leaves the arm64 one unstarted, and out of the record.
#[test]
fn a_build_that_never_started_is_not_recorded() {
    let tree = Tree::new();
    let engine = FakeEngine {
        failing_builds: ["base:1.0 for linux/amd64".to_owned()].into(),
        ..FakeEngine::default()
    };
    let ran = run_two_platforms(&tree, None, engine, 1, Duration::ZERO);
    assert!(matches!(
        outcome(&ran, &tree, "base"),
        JobOutcome::Failed(_)
    ));
    let builds: Vec<&String> = ran
        .calls
        .iter()
        .filter(|c| c.starts_with("build"))
        .collect();
    assert_eq!(builds, ["build base:1.0 for linux/amd64"]);
    let platforms: Vec<String> = ran.records[tree.index("base")]
        .platforms
        .iter()
        .map(|run| run.platform.to_string())
        .collect();
    assert_eq!(platforms, ["linux/amd64"]);
}

/// Built as manifest lists and signed, each list gets the version's signature (for itself
/// and its images) before the version tag is written, and each tag is checked as a list.
#[test]
fn a_signing_engine_signs_a_list_for_its_version_before_it_is_tagged() {
    let tree = Tree::new();
    let build = two_platforms(&tree);
    let registry = Arc::new(FakeRegistry::holding(&["base:1.0", "lib:1.0", "tool:1.0"]));
    let engine = FakeEngine {
        signs: true,
        local: vec!["localhost/lib:1.0".to_owned()],
        ..FakeEngine::default()
    };
    let ran = run_with(
        &tree,
        Arc::clone(&registry),
        engine,
        &mut FakeStorage::default(),
        None,
        CHECKING,
        &build,
    );
    let published: Vec<&String> = ran
        .calls
        .iter()
        .skip_while(|c| !c.starts_with("push"))
        .collect();
    assert_eq!(
        published,
        [
            "push list app:1.0 app:latest",
            "push app:1.0 app:latest",
            "sign list app:sha256:1.0 as app:1.0",
            "check list app:1.0",
            "check list app:latest"
        ]
    );
    assert_eq!(
        *registry.writes.lock().unwrap(),
        ["app:latest", "app:sha256:1.0 as app:1.0"]
    );
    let app = &ran.records[tree.index("app")];
    assert_eq!(app.done(), ["built", "verified", "published", "signed"]);
}
