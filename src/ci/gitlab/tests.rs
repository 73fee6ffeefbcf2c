use super::*;
use pyyaml_compat::{self as yaml_read, Value};

fn invocation() -> Invocation {
    Invocation {
        configfile: "config.yaml".into(),
        engine: None,
        suffix_id: Some("20261126".into()),
        platforms: None,
        directory: "images".into(),
    }
}

fn job(name: &str, needs: &[&str]) -> ImageJob {
    ImageJob {
        name: name.into(),
        label: format!("r.org/ns/{name}:1.0"),
        needs: needs.iter().map(|n| n.to_string()).collect(),
        settings: JobSettings::default(),
    }
}

fn pipeline(jobs: Vec<ImageJob>) -> Pipeline {
    Pipeline {
        invocation: invocation(),
        jobs,
        settings: JobSettings::default(),
    }
}

/// The pipeline as GitLab reads it back.
fn read(pipeline: &Pipeline) -> yaml_read::Mapping {
    let text = render(pipeline);
    yaml_read::load(text.as_bytes())
        .unwrap()
        .into_mapping()
        .unwrap_or_else(|| panic!("not a mapping:\n{text}"))
}

fn get<'a>(value: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(value, |value, key| match value {
        Value::Map(m) => m
            .get(key)
            .unwrap_or_else(|| panic!("no {key} in {value:?}")),
        _ => panic!("{value:?} is not a mapping"),
    })
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::Seq(items) => items
            .iter()
            .map(|i| i.as_str().unwrap().to_owned())
            .collect(),
        _ => panic!("{value:?} is not a list"),
    }
}

#[test]
fn one_job_per_image_waiting_for_the_jobs_of_its_dependencies() {
    let document = Value::Map(read(&pipeline(vec![
        job("base", &[]),
        job("lib", &["base"]),
        job("app", &["lib", "base"]),
    ])));
    let names: Vec<String> = match &document {
        Value::Map(m) => m.iter().map(|(k, _)| k.as_str().unwrap().into()).collect(),
        _ => unreachable!(),
    };
    assert_eq!(
        names,
        ["stages", "build:base", "build:lib", "build:app", "summary"]
    );
    assert_eq!(
        get(&document, &["build:base", "needs"]),
        &Value::Seq(vec![])
    );
    let needs = get(&document, &["build:app", "needs"]);
    let Value::Seq(needs) = needs else { panic!() };
    let needed: Vec<&str> = needs
        .iter()
        .map(|n| get(n, &["job"]).as_str().unwrap())
        .collect();
    assert_eq!(needed, ["build:lib", "build:base"]);
    assert_eq!(get(&needs[0], &["artifacts"]), &Value::Bool(false));
}

#[test]
fn each_job_builds_its_image_alone_with_the_generating_runs_suffix() {
    let document = Value::Map(read(&pipeline(vec![job("app", &[])])));
    assert_eq!(
        strings(get(&document, &["build:app", "script"])),
        [
            "mkdir -p docker-pkg-reports",
            "docker-pkg -c config.yaml --log-file docker-pkg-reports/app.log build --publish \
          --select r.org/ns/app:1.0 --suffix-id 20261126 --report docker-pkg-reports/app.json \
          images"
        ]
    );
    assert_eq!(
        strings(get(&document, &["build:app", "artifacts", "paths"])),
        ["docker-pkg-reports/app.json", "docker-pkg-reports/app.log"]
    );
    assert_eq!(
        get(&document, &["build:app", "artifacts", "when"]).as_str(),
        Some("always")
    );
}

/// Platforms given on the generating command line reach every job's build, and no other
/// command; without them the job's command is what it was before platforms existed.
#[test]
fn the_platforms_of_the_command_line_reach_each_build() {
    let mut pipeline = pipeline(vec![job("base", &[]), job("app", &["base"])]);
    pipeline.invocation.platforms = Some("linux/amd64,linux/arm64".into());
    let document = Value::Map(read(&pipeline));
    assert_eq!(
        strings(get(&document, &["build:app", "script"]))[1],
        "docker-pkg -c config.yaml --platform 'linux/amd64,linux/arm64' --log-file \
         docker-pkg-reports/app.log build --publish --select r.org/ns/app:1.0 --suffix-id \
         20261126 --report docker-pkg-reports/app.json images"
    );
    let summary = strings(get(&document, &["summary", "script"])).remove(0);
    assert!(!summary.contains("--platform"), "{summary}");
    let needed = get(&document, &["build:app", "needs"]);
    let Value::Seq(needed) = needed else { panic!() };
    assert_eq!(get(&needed[0], &["job"]).as_str(), Some("build:base"));
}

#[test]
fn the_summary_runs_always_and_knows_every_job_and_what_it_needs() {
    let document = Value::Map(read(&pipeline(vec![
        job("base", &[]),
        job("app", &["base"]),
    ])));
    let summary = get(&document, &["summary"]);
    assert_eq!(get(summary, &["when"]).as_str(), Some("always"));
    assert_eq!(get(summary, &["stage"]).as_str(), Some("summary"));
    assert_eq!(
        strings(get(summary, &["script"])),
        [
            "docker-pkg report merge --expect base --expect 'app=base' --report \
          docker-pkg-summary/report.json --junit docker-pkg-summary/junit.xml --report-html \
          docker-pkg-summary/report.html docker-pkg-reports"
        ]
    );
    assert_eq!(
        get(summary, &["artifacts", "reports", "junit"]).as_str(),
        Some("docker-pkg-summary/junit.xml")
    );
}

#[test]
fn nothing_to_build_is_still_a_pipeline() {
    let text = render(&pipeline(Vec::new()));
    assert!(text.starts_with("# Generated by `docker-pkg ci gitlab`: every selected image"));
    let document = Value::Map(read(&pipeline(Vec::new())));
    let script = strings(get(&document, &["nothing-to-build", "script"]));
    assert_eq!(script.len(), 1);
    assert!(script[0].contains("nothing to build"), "{script:?}");
}

#[test]
fn settings_reach_the_jobs_and_words_are_quoted() {
    let settings: JobSettings = yaml_read::from_value(
        yaml_read::load(
            b"docker_pkg: \"$CI_PROJECT_DIR/bin/docker-pkg\"
image: debian:bookworm
tags: [buildah]
variables: {BUILDAH_ISOLATION: chroot}
before_script: [export XDG_RUNTIME_DIR=/run/user/$(id -u)]
retry: 2
timeout: 2h
interruptible: true
resource_group: true",
        )
        .unwrap(),
    )
    .unwrap();
    let mut app = job("app", &[]);
    app.settings = settings.clone();
    let mut pipeline = pipeline(vec![app]);
    pipeline.settings = settings;
    pipeline.invocation.configfile = "ci/my config.yaml".into();
    pipeline.invocation.engine = Some("podman".into());
    let document = Value::Map(read(&pipeline));
    let app = get(&document, &["build:app"]);
    assert_eq!(get(app, &["image"]).as_str(), Some("debian:bookworm"));
    assert_eq!(strings(get(app, &["tags"])), ["buildah"]);
    assert_eq!(
        get(app, &["variables", "BUILDAH_ISOLATION"]).as_str(),
        Some("chroot")
    );
    assert_eq!(get(app, &["retry"]), &Value::from(2));
    assert_eq!(get(app, &["timeout"]).as_str(), Some("2h"));
    assert_eq!(get(app, &["interruptible"]), &Value::Bool(true));
    assert_eq!(
        get(app, &["resource_group"]).as_str(),
        Some("docker-pkg-app")
    );
    let script = strings(get(app, &["script"])).remove(1);
    assert!(
        script.starts_with(
            "$CI_PROJECT_DIR/bin/docker-pkg -c 'ci/my config.yaml' --engine podman --log-file"
        ),
        "{script}"
    );
    let summary = get(&document, &["summary"]);
    assert_eq!(strings(get(summary, &["tags"])), ["buildah"]);
    assert!(!matches!(summary, Value::Map(m) if m.get("retry").is_some()));
}
