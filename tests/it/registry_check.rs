//! The published check against a real registry with TLS and a password, and against a small
//! stand-in for a registry that hands out Bearer tokens.

use std::time::{Duration, Instant};

use docker_pkg::engine::EngineKind;
use docker_pkg::label::ImageLabel;
use docker_pkg::registry::credentials::{Credentials, Secret};
use docker_pkg::registry::retry::RetryPolicy;
use docker_pkg::registry::{Registry, RegistryError, RegistrySettings};

use crate::support::{self, Storage, TestRegistry};

/// A registry holding `tests/base:1.0`, pushed with buildah.
fn registry_with_image() -> Option<(TestRegistry, ImageLabel)> {
    if !support::registry_tools_available(EngineKind::Buildah) {
        return None;
    }
    let registry = TestRegistry::start();
    let label = ImageLabel::parse(&format!("{}/tests/base:1.0", registry.address)).unwrap();
    let storage = Storage::new();
    storage.busybox_image(&label.to_string());
    let engine = storage.engine(EngineKind::Buildah, registry.settings());
    engine.push(&label).unwrap_or_else(|e| panic!("{e}"));
    Some((registry, label))
}

fn check(settings: &RegistrySettings, labels: &[ImageLabel]) -> Vec<Result<bool, RegistryError>> {
    Registry::new(settings).unwrap().published(labels)
}

fn single_error(results: Vec<Result<bool, RegistryError>>) -> String {
    match &results[..] {
        [Err(error)] => error.to_string(),
        other => panic!("expected one error, got {other:?}"),
    }
}

#[test]
fn published_and_missing_tags() {
    let Some((registry, label)) = registry_with_image() else {
        return;
    };
    let labels = [
        label.clone(),
        label.with_tag("2.0"),
        ImageLabel::parse(&format!("{}/tests/never-pushed:1.0", registry.address)).unwrap(),
    ];
    let results = check(&registry.settings(), &labels);
    assert!(
        matches!(results[..], [Ok(true), Ok(false), Ok(false)]),
        "{results:?}"
    );
}

#[test]
fn wrong_password_is_a_credentials_error() {
    let Some((registry, label)) = registry_with_image() else {
        return;
    };
    let mut settings = registry.settings();
    settings.credentials = Some(Credentials {
        username: registry.username.clone(),
        password: Secret::new("not-the-password"),
    });
    let error = single_error(check(&settings, &[label]));
    assert!(error.contains(&registry.address), "{error}");
    assert!(error.contains("refused the credentials"), "{error}");
    assert!(!error.contains("not-the-password"), "{error}");
}

#[test]
fn no_login_says_credentials_are_needed() {
    let Some((registry, label)) = registry_with_image() else {
        return;
    };
    let mut settings = registry.settings();
    settings.credentials = None;
    let error = single_error(check(&settings, &[label]));
    assert!(
        error.contains(&registry.address) && error.contains("asks for credentials"),
        "{error}"
    );
}

#[test]
fn untrusted_certificate_is_a_certificate_error() {
    let Some((registry, label)) = registry_with_image() else {
        return;
    };
    let mut settings = registry.settings();
    settings.ca_bundle = None;
    let error = single_error(check(&settings, &[label]));
    assert!(error.contains(&registry.address), "{error}");
    assert!(error.contains("certificate"), "{error}");
}

#[test]
fn insecure_registries_skip_verification() {
    let Some((registry, label)) = registry_with_image() else {
        return;
    };
    let mut settings = registry.settings();
    settings.ca_bundle = None;
    settings.insecure_registries = vec![registry.address.clone()];
    assert!(matches!(check(&settings, &[label])[..], [Ok(true)]));
}

/// Without configured credentials, the login of the ambient auth file (as `buildah login`
/// writes it) is used.
#[test]
fn ambient_login() {
    let Some((registry, label)) = registry_with_image() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("auth.json");
    docker_pkg::registry::auth_file::AuthFile::single(&registry.address, &registry.credentials())
        .write_private(&file)
        .unwrap();
    let mut settings = registry.settings();
    settings.credentials = None;
    settings.ambient_auth_files = vec![dir.path().join("absent.json"), file];
    assert!(matches!(check(&settings, &[label])[..], [Ok(true)]));
}

/// Labels without a registry address are not published, and nothing is asked of anyone; a
/// registry that is down is an error naming it.
#[test]
fn no_registry_and_registry_down() {
    let settings = RegistrySettings::default();
    let labels = [
        ImageLabel::parse("foo:1.0").unwrap(),
        ImageLabel::parse("ns/foo:1.0").unwrap(),
    ];
    assert!(matches!(
        check(&settings, &labels)[..],
        [Ok(false), Ok(false)]
    ));

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = ImageLabel::parse(&format!("127.0.0.1:{port}/foo:1.0")).unwrap();
    let quick = RegistrySettings {
        retry: RetryPolicy {
            attempts: 2,
            base: Duration::from_millis(10),
            ..RetryPolicy::default()
        },
        ..settings
    };
    let error = single_error(check(&quick, &[down]));
    let expected = format!(
        "cannot reach registry 127.0.0.1:{port}: GET https://127.0.0.1:{port}/v2/ failed (2 tries)"
    );
    assert!(error.starts_with(&expected), "{error}");
}

/// A tree's worth of labels in one check; the time is printed for the record (the no-op goal
/// is well under 100 ms for 136 images), and only a gross slowdown fails.
#[test]
fn many_labels_at_once() {
    let Some((registry, label)) = registry_with_image() else {
        return;
    };
    let mut labels: Vec<ImageLabel> = (0..135)
        .map(|i| label.with_tag(&format!("missing-{i}")))
        .collect();
    labels.push(label);
    let registry_check = Registry::new(&registry.settings()).unwrap();
    let start = Instant::now();
    let results = registry_check.published(&labels);
    let elapsed = start.elapsed();
    eprintln!("{} labels checked in {elapsed:?}", labels.len());
    assert_eq!(results.iter().filter(|r| matches!(r, Ok(true))).count(), 1);
    assert_eq!(
        results.iter().filter(|r| matches!(r, Ok(false))).count(),
        135
    );
    assert!(elapsed.as_secs() < 5, "{elapsed:?}");
}

/// The Bearer flow of registries behind a token service: one token per repository, asked
/// for with the login and reused. The stand-in speaks plain HTTP, so it is listed as an
/// insecure registry, which is also what lets the check fall back from https.
#[test]
fn bearer_tokens() {
    let server = TokenRegistry::start();
    let settings = RegistrySettings {
        registry: Some(server.address.clone()),
        credentials: Some(Credentials {
            username: "tester".into(),
            password: Secret::new("secret"),
        }),
        insecure_registries: vec![server.address.clone()],
        ..RegistrySettings::default()
    };
    let app = ImageLabel::parse(&format!("{}/ns/app:1.0", server.address)).unwrap();
    let labels = [app.clone(), app.with_tag("2.0"), app.with_tag("1.0")];
    let results = check(&settings, &labels);
    assert!(
        matches!(results[..], [Ok(true), Ok(false), Ok(true)]),
        "{results:?}"
    );
    assert_eq!(server.token_requests(), 1);

    let mut wrong = settings.clone();
    wrong.credentials = Some(Credentials {
        username: "tester".into(),
        password: Secret::new("wrong"),
    });
    let error = single_error(check(&wrong, &[app]));
    assert!(
        error.contains("refused the credentials") && error.contains(&server.address),
        "{error}"
    );
}

/// A registry that wants Bearer tokens from its own token service, over plain HTTP: it holds
/// `ns/app:1.0` only, and gives tokens to `tester:secret`.
struct TokenRegistry {
    address: String,
    tokens: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl TokenRegistry {
    fn start() -> TokenRegistry {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let tokens = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (served_address, served_tokens) = (address.clone(), tokens.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                serve(stream, &served_address, &served_tokens);
            }
        });
        TokenRegistry { address, tokens }
    }

    fn token_requests(&self) -> usize {
        self.tokens.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Answers one request and closes the connection; a TLS hello is closed on at once.
fn serve(mut stream: std::net::TcpStream, address: &str, tokens: &std::sync::atomic::AtomicUsize) {
    use std::io::{BufRead, BufReader, Write};
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let starts_like_http = reader
        .fill_buf()
        .is_ok_and(|b| b.first().is_some_and(u8::is_ascii_uppercase));
    if !starts_like_http {
        return;
    }
    let mut head = Vec::new();
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        head.push(std::mem::take(&mut line));
    }
    let request_line = head.first().cloned().unwrap_or_default();
    let target = request_line.split(' ').nth(1).unwrap_or("");
    let authorization = head
        .iter()
        .find_map(|h| {
            h.strip_prefix("authorization: ")
                .or(h.strip_prefix("Authorization: "))
        })
        .map(str::trim)
        .unwrap_or("");
    let challenge = format!(
        "WWW-Authenticate: Bearer realm=\"http://{address}/token\",service=\"stand-in\"\r\n"
    );
    const TOKEN: &str = "Bearer token-for-ns-app";
    let (status, headers, body) = if target == "/v2/" {
        ("401 Unauthorized", challenge, String::new())
    } else if target.starts_with("/token?") {
        tokens.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let scope_ok = target.contains("scope=repository%3Ans%2Fapp%3Apull");
        // base64 of tester:secret
        if scope_ok && authorization == "Basic dGVzdGVyOnNlY3JldA==" {
            let body = r#"{"token": "token-for-ns-app"}"#.to_owned();
            ("200 OK", String::new(), body)
        } else {
            ("401 Unauthorized", String::new(), String::new())
        }
    } else if authorization != TOKEN {
        ("401 Unauthorized", challenge, String::new())
    } else if target == "/v2/ns/app/manifests/1.0" {
        ("200 OK", String::new(), String::new())
    } else {
        ("404 Not Found", String::new(), String::new())
    };
    let response = format!(
        "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes());
}
