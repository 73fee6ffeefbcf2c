//! buildah and podman against a real registry with TLS and a password: build with a RUN step,
//! list, push, check, remove, pull back.

use docker_pkg::engine::container_limits::ContainerLimits;
use docker_pkg::engine::{BuildRequest, Engine, EngineError, EngineKind};
use docker_pkg::label::ImageLabel;
use docker_pkg::process::ProcessError;
use docker_pkg::registry::Registry;

use crate::support::{self, Storage, TestRegistry};

const BASE: &str = "busybox-base:1.0";

/// A Dockerfile whose RUN step prints a line the build output must carry.
fn dockerfile() -> String {
    format!(
        "FROM {BASE}\nARG GREETING\nRUN echo \"run says $GREETING\" > /greeting && cat /greeting\n"
    )
}

fn build(engine: &dyn Engine, storage: &Storage, label: &ImageLabel) -> Vec<String> {
    let context = storage.context("hello", &dockerfile());
    let build_args = [("GREETING".to_owned(), "hello".to_owned())];
    let request = BuildRequest {
        context: &context,
        label,
        also_tagged: &[],
        use_cache: false,
        squash_steps: false,
        build_args: &build_args,
        labels: &[],
        limits: &ContainerLimits::default(),
        timeout: None,
        platform: None,
    };
    let mut lines = Vec::new();
    engine
        .build(&request, &mut |line| lines.push(line.to_owned()))
        .unwrap_or_else(|e| panic!("{e}"));
    lines
}

fn is_listed(engine: &dyn Engine, label: &ImageLabel) -> bool {
    let images = engine.local_images().unwrap_or_else(|e| panic!("{e}"));
    images.iter().any(|image| image.has_name(label))
}

fn round_trip(kind: EngineKind) {
    if !support::registry_tools_available(kind) {
        return;
    }
    let storage = Storage::new();
    storage.busybox_image(BASE);
    let registry = TestRegistry::start();
    let engine = storage.engine(kind, registry.settings());
    let label = ImageLabel::parse(&format!("{}/tests/hello:1.0-1", registry.address)).unwrap();

    let lines = build(engine.as_ref(), &storage, &label);
    assert!(lines.iter().any(|l| l == "run says hello"), "{lines:#?}");
    assert!(is_listed(engine.as_ref(), &label));

    engine
        .push(&label)
        .unwrap_or_else(|e| panic!("{e}\n{}", registry.log()));
    let check = Registry::new(&registry.settings()).unwrap();
    let missing = label.with_tag("2.0");
    let published = check.published(&[label.clone(), missing]);
    assert!(
        matches!(published[..], [Ok(true), Ok(false)]),
        "{published:?}"
    );

    engine.remove(&[label.to_string()]).unwrap();
    assert!(!is_listed(engine.as_ref(), &label));
    engine.pull(&label.to_string()).unwrap();
    assert!(is_listed(engine.as_ref(), &label));
    engine.remove(&[label.to_string()]).unwrap();
    assert!(!is_listed(engine.as_ref(), &label));
}

#[test]
fn buildah_round_trip() {
    round_trip(EngineKind::Buildah);
}

#[test]
fn podman_round_trip() {
    round_trip(EngineKind::Podman);
}

/// Removing one name of an image with two only untags it; a local label has no registry
/// and is compared as buildah spells it, below `localhost/`.
#[test]
fn tag_and_untag() {
    if !support::build_tools_available(EngineKind::Buildah) {
        return;
    }
    let storage = Storage::new();
    storage.busybox_image(BASE);
    let engine = storage.engine(EngineKind::Buildah, Default::default());
    let base = ImageLabel::parse(BASE).unwrap();
    let extra = ImageLabel::parse("ns/other:2.0").unwrap();
    engine.tag(&base, &extra).unwrap();
    let images = engine.local_images().unwrap();
    let image = images.iter().find(|i| i.has_name(&extra)).expect("tagged");
    assert!(image.has_name(&base), "{image:?}");
    assert!(
        image.names.contains(&"localhost/ns/other:2.0".to_owned()),
        "{image:?}"
    );
    assert!(image.size > 1_000_000, "{image:?}");

    engine
        .remove(&["localhost/ns/other:2.0".to_owned()])
        .unwrap();
    let images = engine.local_images().unwrap();
    assert!(images.iter().any(|i| i.has_name(&base)));
    assert!(!images.iter().any(|i| i.has_name(&extra)));
}

/// Listing local images while another process makes and removes manifest lists on the same
/// storage (the units of one run do: an image's list, made once its platforms are built,
/// replaces the list of that name): buildah fails a listing when a list it found is gone
/// before it looked at it, and the engine lists again.
#[test]
fn listing_survives_lists_removed_meanwhile() {
    if !support::build_tools_available(EngineKind::Buildah) {
        return;
    }
    let storage = Storage::new();
    storage.busybox_image(BASE);
    let engine = storage.engine(EngineKind::Buildah, Default::default());
    let base = ImageLabel::parse(BASE).unwrap();
    std::thread::scope(|scope| {
        let churn = scope.spawn(|| {
            for round in 0..30 {
                let list = format!("localhost/churn-{round}:1.0");
                storage.buildah(&["manifest", "create", &list]);
                storage.buildah(&[
                    "manifest",
                    "add",
                    &list,
                    &format!("containers-storage:localhost/{BASE}"),
                ]);
                storage.buildah(&["manifest", "rm", &list]);
            }
        });
        let mut listings = 0;
        while !churn.is_finished() {
            let images = engine
                .local_images()
                .unwrap_or_else(|e| panic!("listing {listings} while lists were removed: {e}"));
            assert!(images.iter().any(|i| i.has_name(&base)), "{images:?}");
            listings += 1;
        }
        churn.join().expect("the lists were made and removed");
        assert!(
            listings >= 10,
            "only {listings} listings while lists came and went"
        );
    });
}

/// The build never pulls: a base that is not local fails the build, and the error names the
/// command and quotes the tool's reason.
#[test]
fn failures_name_the_command() {
    if !support::build_tools_available(EngineKind::Buildah) {
        return;
    }
    let storage = Storage::new();
    let engine = storage.engine(EngineKind::Buildah, Default::default());
    let context = storage.context("nobase", "FROM example.org/nobase:1.0\nRUN true\n");
    let label = ImageLabel::parse("nobase:1.0").unwrap();
    let request = BuildRequest {
        context: &context,
        label: &label,
        also_tagged: &[],
        use_cache: false,
        squash_steps: false,
        build_args: &[],
        labels: &[],
        limits: &ContainerLimits::default(),
        timeout: None,
        platform: None,
    };
    let err = engine.build(&request, &mut |_| {}).unwrap_err();
    let EngineError::Process(ProcessError::Failed { command, tail, .. }) = &err else {
        panic!("{err:?}")
    };
    assert!(command.contains("buildah build --pull=never "), "{command}");
    assert!(command.contains(" -t nobase:1.0 "), "{command}");
    assert!(tail.contains("example.org/nobase:1.0"), "{tail}");
}

/// The RUN step of a build gets the limits; with a step that fails, the error carries the
/// step's output.
#[test]
fn limits_and_failing_steps() {
    if !support::build_tools_available(EngineKind::Buildah) {
        return;
    }
    let storage = Storage::new();
    storage.busybox_image(BASE);
    let engine = storage.engine(EngineKind::Buildah, Default::default());
    let context = storage.context(
        "fails",
        &format!("FROM {BASE}\nRUN echo about to fail && false\n"),
    );
    let label = ImageLabel::parse("fails:1.0").unwrap();
    let limits =
        ContainerLimits::parse("memory=256m,memswap=512m,cpushares=512,cpusetcpus=0").unwrap();
    let request = BuildRequest {
        context: &context,
        label: &label,
        also_tagged: &[],
        use_cache: false,
        squash_steps: false,
        build_args: &[],
        labels: &[],
        limits: &limits,
        timeout: None,
        platform: None,
    };
    let mut lines = Vec::new();
    let err = engine
        .build(&request, &mut |line| lines.push(line.to_owned()))
        .unwrap_err()
        .to_string();
    assert!(lines.iter().any(|l| l == "about to fail"), "{lines:#?}");
    assert!(
        err.contains("--memory 256m --memory-swap 512m --cpu-shares 512 --cpuset-cpus 0"),
        "{err}"
    );
    assert!(err.contains("about to fail"), "{err}");
}

#[test]
fn missing_tool_names_its_package() {
    let settings = docker_pkg::engine::EngineSettings {
        kind: EngineKind::Podman,
        program: Some("/nonexistent/podman".into()),
        ..Default::default()
    };
    let err = docker_pkg::engine::connect(settings)
        .err()
        .expect("an error")
        .to_string();
    assert!(
        err.contains("/nonexistent/podman is not installed"),
        "{err}"
    );
    assert!(err.contains("`podman` package"), "{err}");
}
