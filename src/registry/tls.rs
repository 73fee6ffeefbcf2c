//! Certificate verification for the published check: the system's roots plus the configured
//! CA bundle, and a certificate of the bundle trusted as it stands.
//!
//! A registry's self-signed certificate made with `openssl req -x509` is marked as a CA. The
//! container tools (Go) and docker-pkg 4.0.4 (OpenSSL) accept it when it is in the trusted
//! bundle; webpki refuses a CA certificate as a server's. So a server certificate that is
//! byte for byte in the bundle is accepted when it names the host (its dates are not
//! checked: the user pinned it).

use std::sync::{Arc, OnceLock};

use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

use crate::registry::RegistryError;

/// A rustls configuration that trusts the system's roots and `bundle`, speaking HTTP/2 or 1.1.
pub fn client_config(
    bundle: Vec<CertificateDer<'static>>,
) -> Result<rustls::ClientConfig, RegistryError> {
    let error = |e: rustls::Error| RegistryError::Client(e.to_string());
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = PinnedOrPlatform {
        platform: OnceLock::new(),
        provider: provider.clone(),
        pinned: bundle,
    };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(error)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// The certificates of a PEM bundle, in DER.
pub fn parse_bundle(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    use rustls::pki_types::pem::PemObject;
    CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())
}

/// The platform's verdict, unless the server's certificate is one of the bundle's. The
/// platform verifier, which reads the system's whole certificate directory, is made the first
/// time a certificate outside the bundle is seen; signatures are checked by the crypto
/// provider itself.
#[derive(Debug)]
struct PinnedOrPlatform {
    platform: OnceLock<Result<Arc<rustls_platform_verifier::Verifier>, rustls::Error>>,
    provider: Arc<CryptoProvider>,
    pinned: Vec<CertificateDer<'static>>,
}

impl PinnedOrPlatform {
    fn platform(&self) -> Result<&rustls_platform_verifier::Verifier, rustls::Error> {
        let made = self.platform.get_or_init(|| {
            let provider = self.provider.clone();
            let verifier = if self.pinned.is_empty() {
                rustls_platform_verifier::Verifier::new(provider)
            } else {
                rustls_platform_verifier::Verifier::new_with_extra_roots(
                    self.pinned.clone(),
                    provider,
                )
            };
            verifier.map(Arc::new)
        });
        made.as_deref().map_err(Clone::clone)
    }
}

impl ServerCertVerifier for PinnedOrPlatform {
    /// A certificate of the bundle that names the host is accepted first: the system's roots
    /// (a whole directory to read) are only needed for the others.
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let pinned = self
            .pinned
            .iter()
            .any(|c| c.as_ref() == end_entity.as_ref());
        let names_host = || {
            webpki::EndEntityCert::try_from(end_entity)
                .is_ok_and(|cert| cert.verify_is_valid_for_subject_name(server_name).is_ok())
        };
        if pinned && names_host() {
            return Ok(ServerCertVerified::assertion());
        }
        self.platform()?.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
