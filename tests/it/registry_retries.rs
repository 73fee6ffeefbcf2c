//! The published check and the `latest` tagging through a registry that fails on demand
//! (tests/support/fault_proxy.rs): what fails for a moment is tried again, within bounds, and
//! what fails for good says which request, what answer and how many tries.

use std::time::{Duration, Instant, SystemTime};

use docker_pkg::engine::EngineKind;
use docker_pkg::label::ImageLabel;
use docker_pkg::registry::retry::RetryPolicy;
use docker_pkg::registry::{Registry, RegistryError, RegistrySettings};

use crate::support::{self, Fault, FaultProxy, Injection, Kind, Storage, TestRegistry};

/// Waits of milliseconds, so that a test sees every try in well under a second.
fn quick(attempts: u32) -> RetryPolicy {
    RetryPolicy {
        attempts,
        base: Duration::from_millis(10),
        cap: Duration::from_millis(40),
        jitter: 0.5,
        retry_after_cap: Duration::from_secs(3),
    }
}

/// A registry with a proxy in front, the proxy's settings with a quick policy of `attempts`
/// tries.
fn proxied(attempts: u32) -> Option<(TestRegistry, FaultProxy, RegistrySettings)> {
    if !support::registry_available() {
        return None;
    }
    let registry = TestRegistry::start();
    let proxy = FaultProxy::start(&registry);
    let mut settings = proxy.settings(&registry);
    settings.retry = quick(attempts);
    Some((registry, proxy, settings))
}

fn label(proxy: &FaultProxy, path: &str) -> ImageLabel {
    ImageLabel::parse(&format!("{}/{path}", proxy.address)).unwrap()
}

fn check(settings: &RegistrySettings, labels: &[ImageLabel]) -> Vec<Result<bool, RegistryError>> {
    Registry::new(settings).unwrap().published(labels)
}

/// Ten images, the first five pushed with buildah through the proxy, the others never.
fn ten_images(proxy: &FaultProxy, settings: &RegistrySettings) -> Vec<ImageLabel> {
    let labels: Vec<ImageLabel> = (0..10)
        .map(|i| label(proxy, &format!("tests/image-{i}:1.0")))
        .collect();
    let storage = Storage::new();
    storage.busybox_image(&labels[0].to_string());
    let engine = storage.engine(EngineKind::Buildah, settings.clone());
    for image in &labels[..5] {
        engine
            .tag(&labels[0], image)
            .unwrap_or_else(|e| panic!("{e}"));
        engine.push(image).unwrap_or_else(|e| panic!("{e}"));
    }
    labels
}

fn answers(results: &[Result<bool, RegistryError>]) -> Vec<Option<bool>> {
    results.iter().map(|r| r.as_ref().ok().copied()).collect()
}

fn errors(results: Vec<Result<bool, RegistryError>>) -> Vec<String> {
    results
        .into_iter()
        .map(|r| r.expect_err("an error").to_string())
        .collect()
}

const FIVE_OF_TEN: [Option<bool>; 10] = [
    Some(true),
    Some(true),
    Some(true),
    Some(true),
    Some(true),
    Some(false),
    Some(false),
    Some(false),
    Some(false),
    Some(false),
];

#[test]
fn every_fifth_request_failing_still_gives_every_answer() {
    if !support::registry_tools_available(EngineKind::Buildah) {
        return;
    }
    let Some((_registry, proxy, settings)) = proxied(5) else {
        return;
    };
    let labels = ten_images(&proxy, &settings);
    assert!(
        proxy.count(Kind::Upload) > 0,
        "buildah pushed through the proxy"
    );
    proxy.inject(Injection::every(5, Fault::Status(500)));
    let results = check(&settings, &labels);
    assert_eq!(answers(&results), FIVE_OF_TEN, "{results:?}");
    assert!(proxy.faults_injected() >= 2, "{:?}", proxy.seen());
}

#[test]
fn dropped_and_cut_connections_are_tried_again() {
    if !support::registry_tools_available(EngineKind::Buildah) {
        return;
    }
    let Some((_registry, proxy, settings)) = proxied(5) else {
        return;
    };
    let labels = ten_images(&proxy, &settings);
    proxy.inject(Injection::every(3, Fault::Drop));
    proxy.inject(Injection::every(4, Fault::CutBody));
    let results = check(&settings, &labels);
    assert_eq!(answers(&results), FIVE_OF_TEN, "{results:?}");
    assert!(proxy.faults_injected() >= 3, "{:?}", proxy.seen());
}

/// The manifest GET and PUT that give `latest` are tried again like the rest: a body cut
/// short, a dropped PUT and a 502 on the way do not stop it.
#[test]
fn latest_is_given_through_a_flaky_registry() {
    if !support::registry_tools_available(EngineKind::Buildah) {
        return;
    }
    let Some((_registry, proxy, settings)) = proxied(5) else {
        return;
    };
    let labels = ten_images(&proxy, &settings);
    proxy.inject(
        Injection::every(1, Fault::CutBody)
            .on(&[Kind::ManifestGet])
            .at_most(1),
    );
    proxy.inject(
        Injection::every(1, Fault::Drop)
            .on(&[Kind::ManifestPut])
            .at_most(1),
    );
    proxy.inject(
        Injection::every(1, Fault::Status(502))
            .on(&[Kind::ManifestPut])
            .at_most(1),
    );
    let (gets, puts) = (
        proxy.count(Kind::ManifestGet),
        proxy.count(Kind::ManifestPut),
    );
    let registry = Registry::new(&settings).unwrap();
    registry
        .tag(&labels[0], "latest")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(proxy.count(Kind::ManifestGet), gets + 2);
    assert_eq!(proxy.count(Kind::ManifestPut), puts + 3);
    proxy.clear_faults();
    let latest = [labels[0].with_tag("latest"), labels[1].with_tag("latest")];
    assert_eq!(
        answers(&registry.published(&latest)),
        [Some(true), Some(false)]
    );
}

/// Every request failing: every label fails with the request that failed (here the ping that
/// every label waits for), the answer and the number of tries, and soon.
#[test]
fn every_request_failing_names_the_request_and_the_tries() {
    let Some((_registry, proxy, settings)) = proxied(3) else {
        return;
    };
    let labels: Vec<ImageLabel> = (0..10)
        .map(|i| label(&proxy, &format!("tests/image-{i}:1.0")))
        .collect();
    proxy.inject(Injection::every(1, Fault::Status(500)));
    let start = Instant::now();
    let messages = errors(check(&settings, &labels));
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    let expected = format!(
        "registry {0} answered 500 Internal Server Error to GET https://{0}/v2/ (3 tries)",
        proxy.address
    );
    assert!(messages.iter().all(|m| *m == expected), "{messages:#?}");
    assert_eq!(proxy.count(Kind::Ping), 3);
}

/// Every manifest request failing: each label fails on its own request, and the others'
/// failures do not cut its tries short.
#[test]
fn each_label_fails_with_its_own_request() {
    let Some((_registry, proxy, settings)) = proxied(3) else {
        return;
    };
    let labels: Vec<ImageLabel> = (0..10)
        .map(|i| label(&proxy, &format!("tests/image-{i}:1.0")))
        .collect();
    let retry_after = Fault::RetryAfter(503, "0".into());
    proxy.inject(Injection::every(1, retry_after).on(&[Kind::ManifestHead]));
    let start = Instant::now();
    let messages = errors(check(&settings, &labels));
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    for (i, message) in messages.iter().enumerate() {
        let expected = format!(
            "registry {0} answered 503 Service Unavailable to \
             HEAD https://{0}/v2/tests/image-{i}/manifests/1.0 (3 tries)",
            proxy.address
        );
        assert_eq!(*message, expected);
    }
    assert_eq!(proxy.count(Kind::ManifestHead), 30);
}

#[test]
fn connections_dropped_every_time_say_the_registry_cannot_be_reached() {
    let Some((_registry, proxy, settings)) = proxied(4) else {
        return;
    };
    proxy.inject(Injection::every(1, Fault::Drop));
    let messages = errors(check(&settings, &[label(&proxy, "tests/a:1.0")]));
    let expected = format!(
        "cannot reach registry {0}: GET https://{0}/v2/ failed (4 tries): ",
        proxy.address
    );
    assert!(messages[0].starts_with(&expected), "{messages:?}");
    assert_eq!(proxy.count(Kind::Ping), 4);
}

/// A 429 with `Retry-After: 1` is tried again a second later, not after the policy's
/// milliseconds; an HTTP date works the same, and a wait beyond the cap is cut to it.
#[test]
fn retry_after_is_honoured() {
    let Some((_registry, proxy, settings)) = proxied(3) else {
        return;
    };
    let waited = |status, after: &str| {
        proxy.clear_faults();
        let first = proxy.seen().len();
        let fault = Fault::RetryAfter(status, after.to_owned());
        proxy.inject(
            Injection::every(1, fault)
                .on(&[Kind::ManifestHead])
                .at_most(1),
        );
        let results = check(&settings, &[label(&proxy, "tests/a:1.0")]);
        assert!(matches!(results[..], [Ok(false)]), "{results:?}");
        let heads: Vec<Instant> = proxy.seen()[first..]
            .iter()
            .filter(|s| s.kind == Kind::ManifestHead)
            .map(|s| s.at)
            .collect();
        assert_eq!(heads.len(), 2, "{status} {after}");
        heads[1].duration_since(heads[0]).as_millis()
    };
    let ms = waited(429, "1");
    assert!((900..2500).contains(&ms), "{ms} ms");
    let in_two_seconds = SystemTime::now() + Duration::from_secs(2);
    let ms = waited(503, &httpdate::fmt_http_date(in_two_seconds));
    assert!((900..3000).contains(&ms), "{ms} ms");
    let ms = waited(429, "3600");
    assert!((2900..4500).contains(&ms), "capped at 3 s: {ms} ms");
}

/// 404 is an answer and 401 a refusal: neither is asked twice; nor is any other 4xx.
#[test]
fn not_found_and_refusals_are_not_tried_again() {
    let Some((registry, proxy, settings)) = proxied(5) else {
        return;
    };
    let missing = [label(&proxy, "tests/missing:1.0")];
    assert!(matches!(check(&settings, &missing)[..], [Ok(false)]));
    assert_eq!(proxy.count(Kind::ManifestHead), 1);

    let mut wrong = settings.clone();
    wrong.credentials = Some(docker_pkg::registry::credentials::Credentials {
        username: registry.username.clone(),
        password: docker_pkg::registry::credentials::Secret::new("not-the-password"),
    });
    let message = errors(check(&wrong, &missing)).remove(0);
    assert!(message.contains("refused the credentials"), "{message}");
    assert_eq!(proxy.count(Kind::ManifestHead), 2);

    for status in [400, 403, 404, 405] {
        proxy.clear_faults();
        proxy.inject(Injection::every(1, Fault::Status(status)).on(&[Kind::ManifestHead]));
        let before = proxy.count(Kind::ManifestHead);
        let _ = check(&settings, &missing);
        assert_eq!(proxy.count(Kind::ManifestHead), before + 1, "{status}");
    }
    let message = errors(check(&settings, &missing)).remove(0);
    assert!(message.ends_with("(1 try)"), "{message}");
}

/// An answer slower than the request time-out counts as a failed try.
#[test]
fn a_time_out_is_tried_again() {
    let Some((_registry, proxy, mut settings)) = proxied(3) else {
        return;
    };
    settings.request_timeout = Duration::from_millis(500);
    let slow = Fault::Delay(Duration::from_secs(3));
    proxy.inject(
        Injection::every(1, slow)
            .on(&[Kind::ManifestHead])
            .at_most(1),
    );
    let start = Instant::now();
    let results = check(&settings, &[label(&proxy, "tests/a:1.0")]);
    assert!(matches!(results[..], [Ok(false)]), "{results:?}");
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(proxy.count(Kind::ManifestHead), 2);
}

/// The proxy carries what buildah sends and fetches: a pull from a storage of its own goes
/// through it too, so that builds can later be tested through a failing registry.
#[test]
fn buildah_pushes_and_pulls_through_the_proxy() {
    if !support::registry_tools_available(EngineKind::Buildah) {
        return;
    }
    let Some((_registry, proxy, settings)) = proxied(5) else {
        return;
    };
    let labels = ten_images(&proxy, &settings);
    assert_eq!(proxy.count(Kind::ManifestPut), 5);
    let storage = Storage::new();
    let engine = storage.engine(EngineKind::Buildah, settings.clone());
    engine
        .pull(&labels[3].to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(proxy.count(Kind::BlobGet) > 0, "{:?}", proxy.seen());
    let pulled = storage.buildah(&["images", "--format", "{{.Name}}:{{.Tag}}"]);
    assert!(pulled.contains(&labels[3].to_string()), "{pulled}");
}

/// An upload whose last `PUT` reached the registry but whose answer was lost (cut here; a
/// time-out while the registry stores a big blob does the same): the `PUT` tried again finds
/// the upload over (404), and the blob is then found in the repository, not uploaded again.
#[test]
fn an_upload_whose_answer_was_lost_is_found_done() {
    if !support::registry_tools_available(EngineKind::Buildah) {
        return;
    }
    let Some((_registry, proxy, settings)) = proxied(5) else {
        return;
    };
    let image = label(&proxy, "tests/lost:1.0");
    let storage = Storage::new();
    storage.busybox_image(&image.to_string());
    let engine = storage.engine(EngineKind::Buildah, settings.clone());
    let exported = engine
        .export(&image)
        .unwrap_or_else(|e| panic!("{e}"))
        .expect("buildah writes images out");
    proxy.inject(Injection::every(2, Fault::CutBody).on(&[Kind::Upload]));
    let registry = Registry::new(&settings).unwrap();
    registry
        .upload(&exported, &image, &["latest", "1.0"])
        .unwrap_or_else(|e| panic!("{e}"));
    let seen = proxy.seen();
    let lost = seen
        .iter()
        .filter(|s| s.method == "PUT" && s.fault.is_some() && s.status == Some(201));
    assert!(lost.count() >= 1, "no answer to a PUT was lost: {seen:#?}");
    proxy.clear_faults();
    let tags = [image.clone(), image.with_tag("latest")];
    assert_eq!(
        answers(&registry.published(&tags)),
        [Some(true), Some(true)]
    );
}
