//! Certificate verification for one registry, trusting what the container tools trust: the
//! configured CA bundle, the registry's certs.d CAs and the system store.
//!
//! A registry's self-signed certificate made with `openssl req -x509` is marked as a CA. Go
//! (buildah, skopeo) and OpenSSL (curl, docker-pkg 4.0.4) accept a server certificate that is
//! itself one of the trusted certificates; webpki refuses any CA certificate as a server's.
//! So a server certificate found byte for byte among the trusted ones is accepted when it
//! names the host and is in date, as Go accepts it; every other one must chain to a trusted
//! certificate, checked by webpki.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore};
use x509_cert::der::Decode;

use crate::registry::RegistryError;
use crate::registry::trust::SystemStore;

/// What one registry's certificate is checked against.
#[derive(Debug)]
pub struct HostTrust {
    /// The CA bundle and the registry's certs.d CAs.
    pub listed: Vec<CertificateDer<'static>>,
    /// The system store, shared by every registry of a run.
    pub system: Arc<SystemStore>,
    /// The certs.d directory a CA for this registry would go in, for messages.
    pub certs_d: PathBuf,
}

/// Why a server's certificate was refused when the missing piece is a trusted CA: which CA,
/// and where it could be given.
#[derive(Debug, thiserror::Error)]
#[error("its certificate is issued by {issuer}, which no trusted certificate is or vouches for")]
pub struct UntrustedIssuer {
    pub issuer: String,
    pub certs_d: PathBuf,
}

/// A rustls configuration that verifies as [`HostTrust`] says, speaking HTTP/2 or 1.1.
pub fn client_config(trust: HostTrust) -> Result<rustls::ClientConfig, RegistryError> {
    let error = |e: rustls::Error| RegistryError::Client(e.to_string());
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = EngineLikeVerifier {
        provider: provider.clone(),
        trust,
        chains: OnceLock::new(),
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

#[derive(Debug)]
struct EngineLikeVerifier {
    provider: Arc<CryptoProvider>,
    trust: HostTrust,
    /// webpki over every trusted certificate, made when a certificate that is not itself
    /// trusted is first met (it needs the system store).
    chains: OnceLock<Result<Option<Arc<WebPkiServerVerifier>>, rustls::Error>>,
}

impl EngineLikeVerifier {
    /// Whether `certificate` is one of the trusted ones; the listed ones are looked at
    /// first, so that a registry with its own CA never costs a read of the system store.
    fn is_trusted(&self, certificate: &CertificateDer<'_>) -> bool {
        let same = |c: &CertificateDer<'_>| c.as_ref() == certificate.as_ref();
        self.trust.listed.iter().any(same) || self.trust.system.certificates().iter().any(same)
    }

    /// webpki over every trusted certificate; `None` when nothing is trusted at all.
    fn chains(&self) -> Result<Option<&WebPkiServerVerifier>, rustls::Error> {
        let made = self.chains.get_or_init(|| {
            let mut roots = RootCertStore::empty();
            roots.add_parsable_certificates(self.trust.listed.iter().cloned());
            roots.add_parsable_certificates(self.trust.system.certificates().iter().cloned());
            if roots.is_empty() {
                return Ok(None);
            }
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), self.provider.clone())
                .build()
                .map(Some)
                .map_err(|e| rustls::Error::General(e.to_string()))
        });
        made.as_ref()
            .map(|verifier| verifier.as_deref())
            .map_err(Clone::clone)
    }

    /// webpki's refusal, or, when what is missing is a trusted CA, which one.
    fn explain(&self, error: rustls::Error, top: &CertificateDer<'_>) -> rustls::Error {
        let rustls::Error::InvalidCertificate(problem) = &error else {
            return error;
        };
        let unknown_issuer = match problem {
            CertificateError::UnknownIssuer => true,
            CertificateError::Other(other) => {
                matches!(
                    other.0.downcast_ref(),
                    Some(webpki::Error::CaUsedAsEndEntity)
                ) && is_self_issued(top)
            }
            _ => false,
        };
        if unknown_issuer {
            self.untrusted(top).unwrap_or(error)
        } else {
            error
        }
    }

    /// The refusal of a chain whose top, `top`, is issued by no trusted certificate.
    fn untrusted(&self, top: &CertificateDer<'_>) -> Option<rustls::Error> {
        let untrusted = UntrustedIssuer {
            issuer: issuer_name(top)?,
            certs_d: self.trust.certs_d.clone(),
        };
        let other = rustls::OtherError(Arc::new(untrusted));
        Some(rustls::Error::InvalidCertificate(CertificateError::Other(
            other,
        )))
    }
}

impl ServerCertVerifier for EngineLikeVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self.is_trusted(end_entity) {
            return trusted_as_it_stands(end_entity, server_name, now);
        }
        let top = intermediates.last().unwrap_or(end_entity);
        let Some(chains) = self.chains()? else {
            let nothing_trusted =
                rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
            return Err(self.untrusted(top).unwrap_or(nothing_trusted));
        };
        chains
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map_err(|error| self.explain(error, top))
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

/// A server certificate that is itself trusted: it must still name the host and be in date.
/// (The handshake's signature, checked apart, proves the server holds its key.)
fn trusted_as_it_stands(
    certificate: &CertificateDer<'_>,
    server_name: &ServerName<'_>,
    now: UnixTime,
) -> Result<ServerCertVerified, rustls::Error> {
    let invalid = rustls::Error::InvalidCertificate;
    let end_entity = webpki::EndEntityCert::try_from(certificate)
        .map_err(|_| invalid(CertificateError::BadEncoding))?;
    end_entity
        .verify_is_valid_for_subject_name(server_name)
        .map_err(|error| match error {
            webpki::Error::CertNotValidForName(context) => {
                invalid(CertificateError::NotValidForNameContext {
                    expected: context.expected,
                    presented: context.presented,
                })
            }
            _ => invalid(CertificateError::NotValidForName),
        })?;
    let parsed = x509_cert::Certificate::from_der(certificate.as_ref())
        .map_err(|_| invalid(CertificateError::BadEncoding))?;
    if !for_servers(&parsed) {
        return Err(invalid(CertificateError::InvalidPurpose));
    }
    let validity = parsed.tbs_certificate().validity();
    let unix = |time: x509_cert::time::Time| UnixTime::since_unix_epoch(time.to_unix_duration());
    let (not_before, not_after) = (unix(validity.not_before), unix(validity.not_after));
    if now < not_before {
        return Err(invalid(CertificateError::NotValidYetContext {
            time: now,
            not_before,
        }));
    }
    if now > not_after {
        return Err(invalid(CertificateError::ExpiredContext {
            time: now,
            not_after,
        }));
    }
    Ok(ServerCertVerified::assertion())
}

/// Whether `certificate` may be a server's: it names no purpose, or TLS servers, or any
/// purpose among those it names, as Go and OpenSSL check.
fn for_servers(certificate: &x509_cert::Certificate) -> bool {
    use x509_cert::der::oid::ObjectIdentifier;
    use x509_cert::ext::pkix::ExtendedKeyUsage;
    const SERVER_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.1");
    const ANY: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37.0");
    match certificate
        .tbs_certificate()
        .get_extension::<ExtendedKeyUsage>()
    {
        Ok(None) => true,
        Ok(Some((_, purposes))) => purposes.0.iter().any(|p| *p == SERVER_AUTH || *p == ANY),
        Err(_) => false,
    }
}

/// The issuer of `certificate` as `CN=…,O=…`.
fn issuer_name(certificate: &CertificateDer<'_>) -> Option<String> {
    let parsed = x509_cert::Certificate::from_der(certificate.as_ref()).ok()?;
    Some(parsed.tbs_certificate().issuer().to_string())
}

fn is_self_issued(certificate: &CertificateDer<'_>) -> bool {
    x509_cert::Certificate::from_der(certificate.as_ref())
        .is_ok_and(|c| c.tbs_certificate().issuer() == c.tbs_certificate().subject())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn pem(text: &str) -> CertificateDer<'static> {
        use rustls::pki_types::pem::PemObject;
        CertificateDer::from_pem_slice(text.as_bytes()).unwrap()
    }

    fn ca() -> CertificateDer<'static> {
        pem(include_str!("../../fixtures/tls/ca.pem"))
    }

    fn leaf() -> CertificateDer<'static> {
        pem(include_str!("../../fixtures/tls/leaf.pem"))
    }

    fn self_signed() -> CertificateDer<'static> {
        pem(include_str!("../../fixtures/tls/self-signed.pem"))
    }

    fn verifier(listed: Vec<CertificateDer<'static>>) -> EngineLikeVerifier {
        EngineLikeVerifier {
            provider: Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
            trust: HostTrust {
                listed,
                system: Arc::new(SystemStore::default()),
                certs_d: PathBuf::from("/certs.d/registry.test"),
            },
            chains: OnceLock::new(),
        }
    }

    fn now() -> UnixTime {
        UnixTime::now()
    }

    fn years(years: u64) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(years * 365 * 24 * 3600))
    }

    fn verify(
        verifier: &EngineLikeVerifier,
        certificate: &CertificateDer<'_>,
        host: &str,
        at: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let name = ServerName::try_from(host.to_owned()).unwrap();
        verifier.verify_server_cert(certificate, &[], &name, &[], at)
    }

    #[test]
    fn a_trusted_self_signed_certificate_is_accepted_for_its_names() {
        let verifier = verifier(vec![self_signed()]);
        assert!(verify(&verifier, &self_signed(), "registry.test", now()).is_ok());
        assert!(verify(&verifier, &self_signed(), "127.0.0.1", now()).is_ok());
        let error = verify(&verifier, &self_signed(), "other.test", now()).unwrap_err();
        assert!(error.to_string().contains("not valid for"), "{error}");
    }

    #[test]
    fn a_trusted_certificate_for_clients_only_is_refused() {
        let client_only = pem(include_str!("../../fixtures/tls/client-only.pem"));
        let trusting = verifier(vec![client_only.clone()]);
        let error = verify(&trusting, &client_only, "registry.test", now()).unwrap_err();
        let purpose = rustls::Error::InvalidCertificate(CertificateError::InvalidPurpose);
        assert_eq!(error, purpose);
        let self_signed_trusted = verifier(vec![self_signed()]);
        assert!(verify(&self_signed_trusted, &self_signed(), "registry.test", now()).is_ok());
    }

    #[test]
    fn a_trusted_self_signed_certificate_must_be_in_date() {
        let verifier = verifier(vec![self_signed()]);
        let expired = verify(&verifier, &self_signed(), "registry.test", years(300));
        assert!(expired.unwrap_err().to_string().contains("expired"));
        let early = verify(&verifier, &self_signed(), "registry.test", years(20));
        assert!(early.unwrap_err().to_string().contains("not valid yet"));
    }

    #[test]
    fn the_system_store_is_trusted_like_the_listed_certificates() {
        let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/tls");
        let mut verifier = verifier(Vec::new());
        verifier.trust.system = Arc::new(SystemStore::new(vec![fixtures.join("self-signed.pem")]));
        assert!(verify(&verifier, &self_signed(), "registry.test", now()).is_ok());
        verifier.trust.system = Arc::new(SystemStore::new(vec![fixtures.join("ca.pem")]));
        verifier.chains = OnceLock::new();
        assert!(verify(&verifier, &leaf(), "registry.test", now()).is_ok());
    }

    #[test]
    fn a_certificate_signed_by_a_trusted_ca_is_accepted() {
        let verifier = verifier(vec![ca()]);
        assert!(verify(&verifier, &leaf(), "registry.test", now()).is_ok());
        assert!(verify(&verifier, &leaf(), "other.test", now()).is_err());
        assert!(verify(&verifier, &leaf(), "registry.test", years(300)).is_err());
    }

    #[test]
    fn an_untrusted_certificate_names_its_missing_ca() {
        let verifier = verifier(Vec::new());
        for (certificate, issuer) in [
            (leaf(), "CN=Test CA,O=docker-pkg tests"),
            (self_signed(), "CN=registry.test"),
        ] {
            let error = verify(&verifier, &certificate, "registry.test", now()).unwrap_err();
            let rustls::Error::InvalidCertificate(CertificateError::Other(other)) = &error else {
                panic!("{error:?}");
            };
            let untrusted: &UntrustedIssuer = other.0.downcast_ref().unwrap();
            assert_eq!(untrusted.issuer, issuer);
            assert_eq!(untrusted.certs_d, PathBuf::from("/certs.d/registry.test"));
        }
    }

    #[test]
    fn trusting_one_certificate_trusts_no_other() {
        let verifier = verifier(vec![leaf()]);
        assert!(verify(&verifier, &leaf(), "registry.test", now()).is_ok());
        let error = verify(&verifier, &self_signed(), "registry.test", now()).unwrap_err();
        assert!(
            matches!(error, rustls::Error::InvalidCertificate(_)),
            "{error}"
        );
    }
}
