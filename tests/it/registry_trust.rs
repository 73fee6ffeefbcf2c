//! The published check trusts a registry's certificate where the container tools do: its
//! certs.d directory, the system store, `ca_bundle`; the self-signed certificate of
//! `openssl req -x509` included. The test registry's certificate is of that kind, and the
//! certs.d roots and the system store are the test's own directories.

use std::path::{Path, PathBuf};

use docker_pkg::label::ImageLabel;
use docker_pkg::registry::{Registry, RegistryError, RegistrySettings, TrustSources};
use tempfile::TempDir;

use crate::support::{self, TestRegistry};

/// A registry, and its settings with nothing trusted: no `ca_bundle`, certs.d roots and a
/// system store that are empty directories of the test's own.
fn untrusted_registry() -> Option<(TestRegistry, RegistrySettings, TempDir)> {
    if !support::registry_available() {
        return None;
    }
    let registry = TestRegistry::start();
    let dir = tempfile::tempdir().unwrap();
    for sub in ["home-certs.d", "etc-certs.d", "system"] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
    }
    let settings = RegistrySettings {
        ca_bundle: None,
        trust: TrustSources {
            system: vec![dir.path().join("system/ca-certificates.crt")],
            certs_d: vec![
                dir.path().join("home-certs.d"),
                dir.path().join("etc-certs.d"),
            ],
        },
        ..registry.settings()
    };
    Some((registry, settings, dir))
}

/// The check of an image that was never pushed: `Ok(false)` once TLS and the login pass.
fn check(registry: &TestRegistry, settings: &RegistrySettings) -> Result<bool, RegistryError> {
    let label = ImageLabel::parse(&format!("{}/tests/never-pushed:1.0", registry.address));
    let mut results = Registry::new(settings)
        .unwrap()
        .published(&[label.unwrap()]);
    results.remove(0)
}

fn install(certificate: &Path, dir: &Path, name: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let target = dir.join(name);
    std::fs::copy(certificate, &target).unwrap();
    target
}

/// A system bundle holding other CAs and, at its end, `certificate`.
fn system_bundle(path: &Path, certificate: &Path) {
    let others = include_str!("../../fixtures/tls/ca.pem");
    let mine = std::fs::read_to_string(certificate).unwrap();
    std::fs::write(path, format!("{others}{mine}")).unwrap();
}

#[test]
fn self_signed_certificate_in_certs_d_is_trusted() {
    let Some((registry, settings, dir)) = untrusted_registry() else {
        return;
    };
    let host_dir = dir.path().join("etc-certs.d").join(&registry.address);
    install(&registry.ca_file, &host_dir, "registry.crt");
    assert!(matches!(check(&registry, &settings), Ok(false)));
}

/// certs.d is looked up by `HOST:PORT` exactly, in the first root that has it, and only its
/// `.crt` files are CAs.
#[test]
fn only_the_certs_d_directory_of_the_address_counts() {
    let Some((registry, settings, dir)) = untrusted_registry() else {
        return;
    };
    install(
        &registry.ca_file,
        &dir.path().join("etc-certs.d/127.0.0.1"),
        "ca.crt",
    );
    let etc = dir.path().join("etc-certs.d").join(&registry.address);
    install(&registry.ca_file, &etc, "client.cert");
    assert!(check(&registry, &settings).is_err());

    install(&registry.ca_file, &etc, "ca.crt");
    assert!(matches!(check(&registry, &settings), Ok(false)));

    let home = dir.path().join("home-certs.d").join(&registry.address);
    std::fs::create_dir_all(&home).unwrap();
    let error = check(&registry, &settings).unwrap_err().to_string();
    assert!(error.contains(&home.display().to_string()), "{error}");
}

#[test]
fn self_signed_certificate_in_the_system_store_is_trusted() {
    let Some((registry, settings, dir)) = untrusted_registry() else {
        return;
    };
    let bundle = dir.path().join("system/ca-certificates.crt");
    system_bundle(&bundle, &registry.ca_file);
    assert!(matches!(check(&registry, &settings), Ok(false)));
}

/// The system store's directory form (`/etc/ssl/certs`), read as Go reads it.
#[test]
fn self_signed_certificate_in_a_system_store_directory_is_trusted() {
    let Some((registry, mut settings, dir)) = untrusted_registry() else {
        return;
    };
    let store = dir.path().join("system");
    install(&registry.ca_file, &store, "registry.pem");
    std::os::unix::fs::symlink("registry.pem", store.join("0a1b2c3d.0")).unwrap();
    settings.trust.system = vec![dir.path().join("system/absent.crt"), store];
    assert!(matches!(check(&registry, &settings), Ok(false)));
}

#[test]
fn untrusted_certificate_says_which_ca_is_missing_and_how_to_give_it() {
    let Some((registry, settings, dir)) = untrusted_registry() else {
        return;
    };
    system_bundle(
        &dir.path().join("system/ca-certificates.crt"),
        Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/tls/self-signed.pem"
        )),
    );
    let error = check(&registry, &settings).unwrap_err();
    assert!(
        matches!(error, RegistryError::UntrustedCertificate { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    let certs_d = dir.path().join("home-certs.d").join(&registry.address);
    for part in [
        &format!(
            "registry {}: TLS certificate verification failed",
            registry.address
        ),
        "issued by CN=127.0.0.1",
        "ca_bundle",
        &certs_d.display().to_string(),
        "system store",
    ] {
        assert!(message.contains(part), "{part:?} not in {message}");
    }
}

/// A certificate of the test's own CA is no help for a registry whose certificate is not
/// signed by it, wherever it is installed.
#[test]
fn another_ca_is_no_help() {
    let Some((registry, mut settings, dir)) = untrusted_registry() else {
        return;
    };
    let other = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/tls/ca.pem"));
    let host_dir = dir.path().join("etc-certs.d").join(&registry.address);
    install(other, &host_dir, "ca.crt");
    settings.ca_bundle = Some(other.to_owned());
    system_bundle(&dir.path().join("system/ca-certificates.crt"), other);
    assert!(matches!(
        check(&registry, &settings),
        Err(RegistryError::UntrustedCertificate { .. })
    ));
}
