//! The published check: which of many labels are in their registry, with one HTTP request
//! per label over a shared connection pool, many at a time.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::future::join_all;
use reqwest::Client;
use rustls::pki_types::CertificateDer;

use crate::label::ImageLabel;
use crate::label::registry_host;
use crate::registry::RegistryError;
use crate::registry::exchange::Exchange;
use crate::registry::exported_image::ExportedImage;
use crate::registry::logins::Logins;
use crate::registry::session::HostSession;
use crate::registry::settings::RegistrySettings;
use crate::registry::tls::{self, HostTrust};
use crate::registry::trust::{SystemStore, pem_certificates};

/// How many manifest requests are in flight at once.
const CONCURRENCY: usize = 16;
/// How long a connection may take to open, at most (a try may have less in all).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A client for the registries of a run.
pub struct Registry {
    /// Its own runtime, so that sync code can call it and pooled connections outlive a call.
    runtime: tokio::runtime::Runtime,
    /// A verifying client per registry address, since a registry's certs.d CAs are its own.
    verifying: Mutex<HashMap<String, Client>>,
    /// For `insecure_registries` only: accepts any certificate.
    trusting: Option<Client>,
    /// The certificates of `ca_bundle`.
    bundle: Vec<CertificateDer<'static>>,
    system: Arc<SystemStore>,
    settings: RegistrySettings,
    logins: Logins,
}

impl Registry {
    /// Reads the CA bundle and prepares the clients; no request is made yet.
    pub fn new(settings: &RegistrySettings) -> Result<Registry, RegistryError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| RegistryError::Client(e.to_string()))?;
        let bundle = match &settings.ca_bundle {
            Some(path) => ca_bundle(path)?,
            None => Vec::new(),
        };
        let trusting = if settings.insecure_registries.is_empty() {
            None
        } else {
            let builder = client_builder(settings).tls_danger_accept_invalid_certs(true);
            Some(builder.build().map_err(client_error)?)
        };
        Ok(Registry {
            runtime,
            verifying: Mutex::new(HashMap::new()),
            trusting,
            bundle,
            system: Arc::new(SystemStore::new(settings.trust.system.clone())),
            settings: settings.clone(),
            logins: Logins::new(settings),
        })
    }

    /// Whether each label is published, in the order given: each label has its own answer,
    /// after its own retries. A label without a registry address is not (and costs no
    /// request).
    pub fn published(&self, labels: &[ImageLabel]) -> Vec<Result<bool, RegistryError>> {
        self.runtime.block_on(self.published_async(labels))
    }

    /// [`Registry::published`] for callers already in an async context.
    pub async fn published_async(&self, labels: &[ImageLabel]) -> Vec<Result<bool, RegistryError>> {
        self.ask_each(
            labels,
            || false,
            async |session, label| session.has_manifest(label).await,
        )
        .await
    }

    /// The platforms of the manifest list each label names, in the order given (see
    /// [`HostSession::list_platforms`]); a label without a registry address is not there.
    pub fn list_platforms(
        &self,
        labels: &[ImageLabel],
    ) -> Vec<Result<Option<Vec<String>>, RegistryError>> {
        self.runtime.block_on(self.ask_each(
            labels,
            || None,
            async |session, label| session.list_platforms(label).await,
        ))
    }

    /// `ask` of each label, in the order given, of a session opened once per registry, at most
    /// [`CONCURRENCY`] requests at a time; a label without a registry address gets `absent`,
    /// one whose registry cannot be reached the error of that.
    async fn ask_each<T>(
        &self,
        labels: &[ImageLabel],
        absent: impl Fn() -> T,
        ask: impl AsyncFn(&HostSession<'_>, &ImageLabel) -> Result<T, RegistryError>,
    ) -> Vec<Result<T, RegistryError>> {
        let hosts: BTreeSet<&str> = labels
            .iter()
            .filter_map(|label| registry_host(&label.name))
            .collect();
        let opened = join_all(hosts.iter().map(|host| self.open(host))).await;
        let sessions: HashMap<&str, Result<HostSession<'_>, RegistryError>> =
            hosts.into_iter().zip(opened).collect();
        futures_util::stream::iter(labels)
            .map(|label| async {
                match registry_host(&label.name).map(|host| &sessions[host]) {
                    None => Ok(absent()),
                    Some(Ok(session)) => ask(session, label).await,
                    Some(Err(error)) => Err(error.clone()),
                }
            })
            .buffered(CONCURRENCY)
            .collect()
            .await
    }

    /// Gives the manifest of `label` in its registry the extra tag `tag` (`latest`, after a
    /// push), with one manifest request instead of a second push.
    pub fn tag(&self, label: &ImageLabel, tag: &str) -> Result<(), RegistryError> {
        self.runtime.block_on(async {
            let host = registry_host(&label.name).ok_or_else(|| RegistryError::NoRegistry {
                reference: label.to_string(),
            })?;
            self.open(host).await?.copy_manifest(label, tag).await
        })
    }

    /// Uploads `image` to the repository of `label` and puts its manifest under each of
    /// `tags`, in order; gives the manifest's digest.
    pub fn upload(
        &self,
        image: &ExportedImage,
        label: &ImageLabel,
        tags: &[&str],
    ) -> Result<Option<String>, RegistryError> {
        self.runtime.block_on(async {
            let host = registry_host(&label.name).ok_or_else(|| RegistryError::NoRegistry {
                reference: label.to_string(),
            })?;
            self.open(host).await?.upload(image, label, tags).await
        })
    }

    async fn open(&self, host: &str) -> Result<HostSession<'_>, RegistryError> {
        let insecure = self.settings.is_insecure(host);
        let client = match (&self.trusting, insecure) {
            (Some(trusting), true) => trusting.clone(),
            _ => self.verifying_client(host)?,
        };
        let exchange = Exchange {
            client,
            policy: &self.settings.retry,
            registry: host.to_owned(),
        };
        HostSession::open(exchange, insecure, &self.logins).await
    }

    /// The client that verifies `host`'s certificate as the container tools would.
    fn verifying_client(&self, host: &str) -> Result<Client, RegistryError> {
        let mut clients = self.verifying.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(client) = clients.get(host) {
            return Ok(client.clone());
        }
        let trust = &self.settings.trust;
        let mut listed = self.bundle.clone();
        listed.extend(trust.certs_d_certificates(host)?);
        let host_trust = HostTrust {
            listed,
            system: self.system.clone(),
            certs_d: trust.certs_d_hint(host),
        };
        let client = client_builder(&self.settings)
            .tls_backend_preconfigured(tls::client_config(host_trust)?)
            .build()
            .map_err(client_error)?;
        clients.insert(host.to_owned(), client.clone());
        Ok(client)
    }
}

fn client_builder(settings: &RegistrySettings) -> reqwest::ClientBuilder {
    Client::builder()
        .connect_timeout(CONNECT_TIMEOUT.min(settings.request_timeout))
        .timeout(settings.request_timeout)
        .user_agent(concat!("docker-pkg/", env!("CARGO_PKG_VERSION")))
}

fn client_error(error: reqwest::Error) -> RegistryError {
    RegistryError::Client(error.to_string())
}

/// The certificates of the PEM file `path`.
fn ca_bundle(path: &Path) -> Result<Vec<CertificateDer<'static>>, RegistryError> {
    let error = |message: String| RegistryError::CaFile {
        path: path.to_owned(),
        message,
    };
    let certificates = pem_certificates(path).map_err(error)?;
    if certificates.is_empty() {
        return Err(error("it holds no PEM certificate".into()));
    }
    Ok(certificates)
}
