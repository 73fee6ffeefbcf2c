//! Where the container tools (Go's TLS and containers/image) find the certificates they
//! trust, so that the published check trusts the same ones: the system store, read as Go
//! reads it, and the registry's certs.d directory, the first of
//! `$HOME/.config/containers/certs.d/HOST[:PORT]`, `/etc/containers/certs.d/HOST[:PORT]` and
//! `/etc/docker/certs.d/HOST[:PORT]` that exists, whose `*.crt` files are CAs.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::registry::RegistryError;

/// The system store's bundle files Go looks for, the first one found being read.
const SYSTEM_FILES: [&str; 6] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];
/// The system store's directories Go reads, every one.
const SYSTEM_DIRS: [&str; 2] = ["/etc/ssl/certs", "/etc/pki/tls/certs"];
/// The certs.d roots after the user's own, in the order containers/image searches them.
const CERTS_D_ROOTS: [&str; 2] = ["/etc/containers/certs.d", "/etc/docker/certs.d"];

/// Where trusted certificates are found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrustSources {
    /// The system store: PEM files, and directories whose files are PEM.
    pub system: Vec<PathBuf>,
    /// The certs.d roots, each holding a directory per registry address, in search order.
    pub certs_d: Vec<PathBuf>,
}

impl TrustSources {
    /// The sources the container tools use in this environment: `$SSL_CERT_FILE` (else the
    /// first system bundle found) and `$SSL_CERT_DIR` (else the system directories), and the
    /// certs.d roots below `$HOME` and `/etc`.
    pub fn ambient() -> TrustSources {
        let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        let file = env("SSL_CERT_FILE").map(PathBuf::from).or_else(|| {
            SYSTEM_FILES
                .iter()
                .map(PathBuf::from)
                .find(|path| path.is_file())
        });
        let dirs: Vec<PathBuf> = match env("SSL_CERT_DIR") {
            Some(dirs) => std::env::split_paths(&dirs).collect(),
            None => SYSTEM_DIRS.iter().map(PathBuf::from).collect(),
        };
        let home = env("HOME").map(|home| Path::new(&home).join(".config/containers/certs.d"));
        TrustSources {
            system: file.into_iter().chain(dirs).collect(),
            certs_d: home
                .into_iter()
                .chain(CERTS_D_ROOTS.iter().map(PathBuf::from))
                .collect(),
        }
    }

    /// The certs.d directory of `host` (`HOST` or `HOST:PORT`) that the tools read: the
    /// first root's that exists.
    pub fn certs_d_dir(&self, host: &str) -> Option<PathBuf> {
        self.certs_d
            .iter()
            .map(|root| root.join(host))
            .find(|dir| dir.is_dir())
    }

    /// Where a CA for `host` would go in certs.d, for a message: its directory in effect,
    /// else that of the first root that exists, else of the first root.
    pub fn certs_d_hint(&self, host: &str) -> PathBuf {
        self.certs_d_dir(host).unwrap_or_else(|| {
            let root = self.certs_d.iter().find(|root| root.is_dir());
            let root = root.or(self.certs_d.first());
            root.map_or_else(|| PathBuf::from(CERTS_D_ROOTS[0]), Clone::clone)
                .join(host)
        })
    }

    /// The CAs of `host`'s certs.d directory: every certificate of its `*.crt` files.
    pub fn certs_d_certificates(
        &self,
        host: &str,
    ) -> Result<Vec<CertificateDer<'static>>, RegistryError> {
        let Some(dir) = self.certs_d_dir(host) else {
            return Ok(Vec::new());
        };
        let error = |path: &Path, message: String| RegistryError::CaFile {
            path: path.to_owned(),
            message,
        };
        let entries = std::fs::read_dir(&dir).map_err(|e| error(&dir, e.to_string()))?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|e| e == "crt"))
            .collect();
        files.sort();
        let mut certificates = Vec::new();
        for file in files {
            let pem = std::fs::read(&file).map_err(|e| error(&file, e.to_string()))?;
            certificates.extend(lenient_certificates(&file, &pem));
        }
        Ok(certificates)
    }
}

/// The system store, read when a certificate outside the CA bundle and certs.d is first
/// met: a public registry needs it, a private one with its own CA never does.
#[derive(Debug, Default)]
pub struct SystemStore {
    paths: Vec<PathBuf>,
    certificates: OnceLock<Vec<CertificateDer<'static>>>,
}

impl SystemStore {
    pub fn new(paths: Vec<PathBuf>) -> SystemStore {
        SystemStore {
            paths,
            certificates: OnceLock::new(),
        }
    }

    /// Every certificate of the store, once each. What cannot be read is left out, as Go
    /// leaves it out.
    pub fn certificates(&self) -> &[CertificateDer<'static>] {
        self.certificates.get_or_init(|| {
            let mut all: Vec<CertificateDer<'static>> = Vec::new();
            for path in &self.paths {
                for certificate in store_certificates(path) {
                    if !all.contains(&certificate) {
                        all.push(certificate);
                    }
                }
            }
            all
        })
    }
}

/// The certificates of a store path: a PEM file, or every file of a directory except links
/// to another file of it (the hash names of an OpenSSL directory).
fn store_certificates(path: &Path) -> Vec<CertificateDer<'static>> {
    if !path.is_dir() {
        return file_certificates(path);
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|file| !links_within(path, file))
        .flat_map(|file| file_certificates(&file))
        .collect()
}

/// The certificates of a store file; one that cannot be read holds none.
fn file_certificates(path: &Path) -> Vec<CertificateDer<'static>> {
    std::fs::read(path).map_or_else(|_| Vec::new(), |pem| lenient_certificates(path, &pem))
}

fn links_within(dir: &Path, file: &Path) -> bool {
    std::fs::read_link(file).is_ok_and(|target| {
        let target = dir.join(target);
        target.parent() == Some(dir)
    })
}

/// The certificates of the PEM file `path`, all of them or an error.
pub fn pem_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = std::fs::read(path).map_err(|e| e.to_string())?;
    CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())
}

/// The certificates of `pem`, read from `path`, skipping what is not one, as Go skips it
/// in the system store and certs.d (a stray file there does not break the tools).
fn lenient_certificates(path: &Path, pem: &[u8]) -> Vec<CertificateDer<'static>> {
    let mut certificates = Vec::new();
    for item in CertificateDer::pem_slice_iter(pem) {
        match item {
            Ok(certificate) => certificates.push(certificate),
            Err(e) => log::debug!("skipped a bad certificate in {}: {e}", path.display()),
        }
    }
    certificates
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(roots: &[&Path]) -> TrustSources {
        TrustSources {
            system: Vec::new(),
            certs_d: roots.iter().map(|r| r.to_path_buf()).collect(),
        }
    }

    #[test]
    fn ambient_sources_end_with_the_tools_own_directories() {
        let ambient = TrustSources::ambient();
        let etc = CERTS_D_ROOTS.map(PathBuf::from);
        assert!(ambient.certs_d.ends_with(&etc), "{ambient:?}");
    }

    #[test]
    fn the_first_root_holding_the_host_wins() {
        let dir = tempfile::tempdir().unwrap();
        let (home, etc) = (dir.path().join("home"), dir.path().join("etc"));
        std::fs::create_dir_all(etc.join("r.org:5000")).unwrap();
        std::fs::create_dir_all(home.join("r.org")).unwrap();
        let sources = sources(&[&home, &etc]);
        assert_eq!(
            sources.certs_d_dir("r.org:5000"),
            Some(etc.join("r.org:5000"))
        );
        assert_eq!(sources.certs_d_dir("r.org"), Some(home.join("r.org")));
        assert_eq!(sources.certs_d_dir("other.org"), None);
    }

    #[test]
    fn the_hint_is_the_directory_in_effect_or_an_existing_root() {
        let dir = tempfile::tempdir().unwrap();
        let (home, etc) = (dir.path().join("home"), dir.path().join("etc"));
        std::fs::create_dir_all(&etc).unwrap();
        let sources = sources(&[&home, &etc]);
        assert_eq!(sources.certs_d_hint("r.org:5000"), etc.join("r.org:5000"));
        std::fs::create_dir_all(home.join("r.org:5000")).unwrap();
        assert_eq!(sources.certs_d_hint("r.org:5000"), home.join("r.org:5000"));
    }

    #[test]
    fn only_crt_files_of_the_host_directory_count() {
        let dir = tempfile::tempdir().unwrap();
        let host = dir.path().join("r.org");
        std::fs::create_dir_all(&host).unwrap();
        let pem = include_str!("../../fixtures/tls/ca.pem");
        std::fs::write(host.join("ca.crt"), pem).unwrap();
        std::fs::write(host.join("client.cert"), pem).unwrap();
        std::fs::write(host.join("notes.txt"), "not a certificate").unwrap();
        let found = sources(&[dir.path()])
            .certs_d_certificates("r.org")
            .unwrap();
        assert_eq!(found.len(), 1);

        std::fs::write(host.join("broken.crt"), "-----BEGIN CERTIFICATE-----\n!").unwrap();
        let found = sources(&[dir.path()])
            .certs_d_certificates("r.org")
            .unwrap();
        assert_eq!(
            found.len(),
            1,
            "a stray file is skipped, as the tools skip it"
        );
    }

    #[test]
    fn a_store_directory_skips_its_own_hash_links() {
        let dir = tempfile::tempdir().unwrap();
        let pem = include_str!("../../fixtures/tls/ca.pem");
        std::fs::write(dir.path().join("ca.pem"), pem).unwrap();
        std::os::unix::fs::symlink("ca.pem", dir.path().join("abcd1234.0")).unwrap();
        assert_eq!(store_certificates(dir.path()).len(), 1);
        let store = SystemStore::new(vec![dir.path().join("ca.pem"), dir.path().to_owned()]);
        assert_eq!(store.certificates().len(), 1);
    }
}
