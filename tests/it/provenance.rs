//! The OCI labels of published images, end to end: the fixture tree in a throw-away git
//! repository, built with buildah and pushed to a registry of the test's own, each image's
//! labels read back with `skopeo inspect`.

use std::collections::BTreeMap;
use std::path::Path;

use docker_pkg::label::ImageLabel;

use crate::fixture_tree::{Setup, fixture};
use crate::harness::{Test, files_below};
use crate::support;

const SOURCE_URL: &str = "https://git.example.org/images/-/tree/main/{path}";
const LABELS: &str =
    "labels: {org.opencontainers.image.vendor: Example, org.example.team: images}\n";

/// The labels of `label` as the registry serves it.
fn published_labels(setup: &Setup, label: &ImageLabel) -> BTreeMap<String, String> {
    let creds = format!("{}:{}", setup.registry.username, setup.registry.password);
    let json = support::run(
        "skopeo",
        &[
            "inspect",
            "--tls-verify=false",
            "--creds",
            &creds,
            &format!("docker://{label}"),
        ],
        &[],
    );
    let inspected: serde_json::Value =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    serde_json::from_value(inspected["Labels"].clone()).unwrap_or_else(|e| panic!("{e}: {json}"))
}

/// Runs git in `dir` with a fixed author.
fn git(dir: &Path, args: &[&str]) -> String {
    let env: Vec<(String, String)> = [
        ("GIT_AUTHOR_NAME", "Tester"),
        ("GIT_AUTHOR_EMAIL", "tester@example.org"),
        ("GIT_COMMITTER_NAME", "Tester"),
        ("GIT_COMMITTER_EMAIL", "tester@example.org"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let dir = dir.display().to_string();
    let mut all = vec!["-C", dir.as_str()];
    all.extend_from_slice(args);
    support::run("git", &all, &env).trim().to_owned()
}

/// Every image of the fixture tree: its folder below `images/`, its version, and the image
/// its template builds `FROM`.
fn fixture_images() -> Vec<(String, String, String)> {
    let tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/build/images");
    let files = files_below(&tree);
    let mut images = Vec::new();
    for (path, text) in &files {
        let Some(folder) = path.strip_suffix("/changelog") else {
            continue;
        };
        let version = text[text.find('(').unwrap() + 1..text.find(')').unwrap()].to_owned();
        let template = &files[&format!("{folder}/Dockerfile.template")];
        let base = template.split('"').nth(1).unwrap().to_owned();
        images.push((folder.to_owned(), version, base));
    }
    images
}

fn name_of(folder: &str) -> &str {
    folder.rsplit('/').next().unwrap()
}

#[test]
fn every_published_image_has_its_labels_and_a_dirty_folder_shows() {
    let Some(setup) = Setup::new() else { return };
    if !support::tools_available(&["git"]) {
        return;
    }
    let config = format!("{}source_url: {SOURCE_URL}\n{LABELS}", setup.config());
    let test = Test::new()
        .copy_dir(&fixture("images"), "images")
        .file(
            "images/apps/app-1/labels.yaml",
            "org.opencontainers.image.description: \"App one, labelled in its folder\"\n\
             org.example.team: apps\n",
        )
        .config(&config)
        .envs(setup.storage.env());
    git(test.path(), &["init", "-q"]);
    git(test.path(), &["add", "images"]);
    git(test.path(), &["commit", "-q", "-m", "The fixture tree"]);
    let head = git(test.path(), &["rev-parse", "HEAD"]);

    let before = chrono::Utc::now().timestamp();
    test.clone()
        .args(["build", "images"])
        .run()
        .success()
        .no_panic();
    let after = chrono::Utc::now().timestamp();

    let images = fixture_images();
    assert_eq!(images.len(), 10);
    let mut created = Vec::new();
    for (folder, version, base) in &images {
        let name = name_of(folder);
        let labels = published_labels(&setup, &setup.label(name, version));
        let base_version = images
            .iter()
            .find(|(f, _, _)| name_of(f) == base)
            .map_or("1.0", |(_, v, _)| v.as_str());
        let (description, team) = if name == "app-1" {
            ("App one, labelled in its folder", "apps")
        } else {
            (&*format!("Release {version}."), "images")
        };
        let expected: BTreeMap<&str, String> = [
            ("org.opencontainers.image.title", name.to_owned()),
            ("org.opencontainers.image.version", version.clone()),
            ("org.opencontainers.image.revision", head.clone()),
            (
                "org.opencontainers.image.source",
                SOURCE_URL.replace("{path}", &format!("images/{folder}")),
            ),
            (
                "org.opencontainers.image.description",
                description.to_owned(),
            ),
            (
                "org.opencontainers.image.base.name",
                setup.label(base, base_version).to_string(),
            ),
            ("org.opencontainers.image.vendor", "Example".to_owned()),
            ("org.example.team", team.to_owned()),
        ]
        .into();
        for (key, value) in &expected {
            assert_eq!(
                labels.get(*key),
                Some(value),
                "{key} of {name}: {labels:#?}"
            );
        }
        created.push(labels["org.opencontainers.image.created"].clone());
    }
    created.dedup();
    assert_eq!(created.len(), 1, "one time for the whole run: {created:?}");
    let time = chrono::DateTime::parse_from_rfc3339(&created[0]).unwrap();
    assert!((before..=after).contains(&time.timestamp()), "{time}");

    // A new version of base-b, not committed: its image says so, no other does.
    let changelog = test.path().join("images/base-b/changelog");
    let old = std::fs::read_to_string(&changelog).unwrap();
    let entry = "base-b (2.2) wikimedia; urgency=medium\n\n  * Not committed yet.\n\n \
                 -- Jane Doe <jane@example.org>  Tue, 02 Jan 2024 10:00:00 +0000\n\n";
    std::fs::write(&changelog, format!("{entry}{old}")).unwrap();
    test.args(["build", "--select", "*base-b:*", "images"])
        .run()
        .success();
    let labels = published_labels(&setup, &setup.label("base-b", "2.2"));
    assert_eq!(
        labels["org.opencontainers.image.revision"],
        format!("{head}-dirty")
    );
    assert_eq!(
        labels["org.opencontainers.image.description"],
        "Not committed yet."
    );
}
