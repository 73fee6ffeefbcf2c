//! What publishing sends, end to end with real buildah, the suite's registry (TLS and a
//! password) and a proxy in front of it that counts the bytes of every upload: a layer the
//! registry already holds, in any repository, is not uploaded again, and a registry that
//! will not mount blobs across repositories still receives every image whole.

use std::io::Read;

use docker_pkg::engine::EngineKind;
use docker_pkg::label::ImageLabel;
use docker_pkg::registry::auth_file::AuthFile;

use crate::harness::Test;
use crate::support::{
    self, BlobUpload, Fault, FaultProxy, Injection, Kind, Storage, TestRegistry, blob_uploads,
};

/// The images built on the base.
const IMAGES: usize = 5;
/// Random bytes in the base image: a layer no compression shrinks, counted in megabytes.
const BASE_BYTES: usize = 6 * 1024 * 1024;
/// What the images' own layers, configs and manifests may add up to, at most.
const OWN_BYTES: usize = 1024 * 1024;

/// A registry behind a counting proxy, holding a base image of a few megabytes pushed
/// through that proxy, and a storage that has it.
struct Setup {
    registry: TestRegistry,
    proxy: FaultProxy,
    storage: Storage,
    base: ImageLabel,
    /// The base image's big layer, as its push uploaded it.
    base_layer: BlobUpload,
}

impl Setup {
    /// `None` (the test is skipped) when a tool is missing outside CI.
    fn new() -> Option<Setup> {
        let ready = support::registry_tools_available(EngineKind::Buildah)
            && support::tools_available(&["podman", "skopeo"]);
        if !ready {
            return None;
        }
        let registry = TestRegistry::start();
        let proxy = FaultProxy::start(&registry);
        let storage = Storage::new();
        let base = ImageLabel::parse(&format!("{}/ns/base:1.0", proxy.address)).unwrap();
        storage.busybox_image_with(&base.to_string(), &[("data/random", &random(BASE_BYTES))]);
        let engine = storage.engine(EngineKind::Buildah, proxy.settings(&registry));
        engine.push(&base).expect("the base image is published");
        let base_layer = blob_uploads(&proxy.seen())
            .into_iter()
            .max_by_key(|upload| upload.bytes)
            .expect("the base image's push uploaded its layer");
        assert!(base_layer.bytes >= BASE_BYTES, "{base_layer:?}");
        Some(Setup {
            registry,
            proxy,
            storage,
            base,
            base_layer,
        })
    }

    /// A tree of [`IMAGES`] images built on the base, one `RUN` step each.
    fn tree(&self) -> Test {
        let config = format!(
            "registry: {}\nnamespace: ns\nusername: {}\npassword: {}\nca_bundle: {}\n\
             base_images: [\"{}\"]\n",
            self.proxy.address,
            self.registry.username,
            self.registry.password,
            self.registry.ca_file.display(),
            self.base,
        );
        (0..IMAGES)
            .fold(Test::new(), |test, i| {
                let template = format!("FROM {{{{ \"base\" | image_tag }}}}\nRUN echo {i} > /i\n");
                test.image(
                    &format!("app-{i}"),
                    &format!("app-{i}"),
                    "1.0",
                    &["base"],
                    &template,
                )
            })
            .config(&config)
            .envs(self.storage.env())
            .args(["build", "images"])
    }

    /// The labels of the tree's images, version tag and `latest`, at the registry's own
    /// address.
    fn published_labels(&self) -> Vec<String> {
        (0..IMAGES)
            .flat_map(|i| ["1.0", "latest"].map(|tag| format!("ns/app-{i}:{tag}")))
            .map(|name| format!("{}/{name}", self.registry.address))
            .collect()
    }

    /// Copies each of `references` out of the registry with skopeo, which fetches every blob
    /// its manifest names and checks each against its digest; panics when one is missing.
    fn fetch_whole(&self, references: &[String]) {
        let dir = self.storage.scratch("fetched");
        let auth_file = dir.join("auth.json");
        AuthFile::single(&self.registry.address, &self.registry.credentials())
            .write_private(&auth_file)
            .unwrap();
        let certs = dir.join("certs");
        std::fs::create_dir_all(&certs).unwrap();
        std::fs::copy(&self.registry.ca_file, certs.join("ca.crt")).unwrap();
        for reference in references {
            let copy = dir.join(reference.replace(['/', ':'], "-"));
            support::run(
                "skopeo",
                &[
                    "copy",
                    "--quiet",
                    &format!("--src-authfile={}", auth_file.display()),
                    &format!("--src-cert-dir={}", certs.display()),
                    &format!("docker://{reference}"),
                    &format!("dir:{}", copy.display()),
                ],
                &self.storage.env(),
            );
        }
    }
}

fn random(bytes: usize) -> Vec<u8> {
    let mut data = Vec::with_capacity(bytes);
    std::fs::File::open("/dev/urandom")
        .expect("/dev/urandom")
        .take(bytes as u64)
        .read_to_end(&mut data)
        .expect("random bytes");
    data
}

/// Five images on one base: the base's layer, which the registry holds, is uploaded at most
/// once in all (here: never, it is mounted), and each image costs only its own layer.
#[test]
fn five_images_on_a_shared_base_upload_its_layer_at_most_once() {
    let Some(setup) = Setup::new() else { return };
    let before = setup.proxy.seen().len();
    let output = setup.tree().run().success().no_panic();
    assert!(
        output.stdout.contains("published 5, failed 0"),
        "{output:#?}"
    );
    let seen = setup.proxy.seen();
    let run = &seen[before..];
    let uploads = blob_uploads(run);
    let of_base = uploads
        .iter()
        .filter(|u| u.digest == setup.base_layer.digest)
        .count();
    assert!(of_base <= 1, "the base layer was uploaded {of_base} times");
    let sent: usize = run
        .iter()
        .filter(|s| s.kind == Kind::Upload)
        .map(|s| s.body_bytes)
        .sum();
    assert!(
        sent < setup.base_layer.bytes + OWN_BYTES,
        "{sent} bytes uploaded for {IMAGES} images on a base layer of {} bytes: {uploads:#?}",
        setup.base_layer.bytes
    );
    let repositories: std::collections::BTreeSet<&str> =
        uploads.iter().map(|u| u.repository.as_str()).collect();
    assert_eq!(repositories.len(), IMAGES, "{uploads:#?}");
}

/// A registry that answers a mount with 202 (an upload started instead): every image is
/// still published whole, each blob of each tag fetchable.
#[test]
fn a_registry_that_refuses_mounts_still_receives_complete_images() {
    let Some(setup) = Setup::new() else { return };
    setup.proxy.refuse_mounts();
    let output = setup.tree().run().success().no_panic();
    assert!(
        output.stdout.contains("published 5, failed 0"),
        "{output:#?}"
    );
    assert!(
        setup.proxy.mounts_refused() > 0,
        "no mount was asked for: the test shows nothing"
    );
    setup.fetch_whole(&setup.published_labels());
}

/// The tool's push is made once: when it fails (here a 500 to the first manifest written),
/// that image is written out and uploaded request by request, and every image is complete.
#[test]
fn a_failed_push_is_followed_by_an_upload_request_by_request() {
    let Some(setup) = Setup::new() else { return };
    setup.proxy.inject(
        Injection::every(1, Fault::Status(500))
            .on(&[Kind::ManifestPut])
            .at_most(1),
    );
    let output = setup.tree().run().success().no_panic();
    assert!(
        output.stdout.contains("published 5, failed 0"),
        "{output:#?}"
    );
    assert_eq!(setup.proxy.faults_injected(), 1);
    let log = output.read("docker-pkg-build.log");
    let fallbacks = log.matches("uploading it request by request").count();
    assert_eq!(fallbacks, 1, "{log}");
    setup.fetch_whole(&setup.published_labels());
}
