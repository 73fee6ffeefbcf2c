//! One request to a registry, tried again while its failure may pass: a connection that
//! fails or is cut (before the answer or inside its body), a time-out, and the answers 429
//! and 5xx (after the wait their `Retry-After` asks for). Any other answer is the caller's
//! to read; a certificate that is not trusted is never tried again.

use std::time::SystemTime;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Client, Request, RequestBuilder, StatusCode};

use crate::registry::RegistryError;
use crate::registry::retry::{Failure, GaveUp, RetryPolicy, retry_after};
use crate::registry::tls::UntrustedIssuer;

/// A registry's whole answer to one request. Registry answers are small (JSON, manifests),
/// so the body is read in full inside the try: a connection cut mid-body is a failed try.
#[derive(Debug)]
pub struct Answer {
    /// The request as messages name it: `HEAD https://HOST/v2/ns/foo/manifests/1.0`.
    pub request: String,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// Why one try failed.
#[derive(Debug)]
pub enum TryError {
    /// No whole answer: the connection, TLS, or a time-out.
    Transport {
        request: String,
        error: reqwest::Error,
    },
    /// An answer that says to come back later: 429 or 5xx.
    Status { request: String, status: StatusCode },
}

/// The requests of one registry, all with the same client and retry policy.
#[derive(Clone)]
pub struct Exchange<'a> {
    /// A handle on a connection pool, as cheap to clone as an `Arc`.
    pub client: Client,
    pub policy: &'a RetryPolicy,
    /// The registry's address, which errors name.
    pub registry: String,
}

impl Exchange<'_> {
    /// Sends the request `build` makes until it gets an answer worth reading or has had
    /// every try.
    pub async fn send(
        &self,
        build: impl Fn(&Client) -> RequestBuilder,
    ) -> Result<Answer, RegistryError> {
        self.policy
            .run(async || self.try_request(&build).await)
            .await
            .map_err(|gave_up| self.gave_up(gave_up))
    }

    /// One try of the request `build` makes.
    pub async fn try_request(
        &self,
        build: impl Fn(&Client) -> RequestBuilder,
    ) -> Result<Answer, Failure<TryError>> {
        let request = build(&self.client)
            .build()
            .map_err(|e| Failure::permanent(transport_error("a request", e)))?;
        self.try_once(request).await
    }

    async fn try_once(&self, request: Request) -> Result<Answer, Failure<TryError>> {
        let name = request_name(&request);
        let transport = |error| self.transport_failure(&name, error);
        let response = self.client.execute(request).await.map_err(transport)?;
        let status = response.status();
        let headers = response.headers().clone();
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            let error = TryError::Status {
                request: name,
                status,
            };
            return Err(Failure::transient_after(error, asked_wait(&headers)));
        }
        let body = response.bytes().await.map_err(transport)?.to_vec();
        Ok(Answer {
            request: name,
            status,
            headers,
            body,
        })
    }

    /// The error of the last try, saying how many there were.
    pub fn gave_up(&self, gave_up: GaveUp<TryError>) -> RegistryError {
        let GaveUp { error, tries } = gave_up;
        match error {
            TryError::Transport { request, error } => {
                classify(&self.registry, &request, &error, tries)
            }
            TryError::Status { request, status } => RegistryError::Unexpected {
                registry: self.registry.to_owned(),
                request,
                status: status.to_string(),
                tries,
            },
        }
    }

    fn transport_failure(&self, request: &str, error: reqwest::Error) -> Failure<TryError> {
        let permanent = error.is_builder() || certificate_problem(&error).is_some();
        let error = transport_error(request, error);
        if permanent {
            Failure::permanent(error)
        } else {
            Failure::transient(error)
        }
    }
}

impl std::fmt::Display for TryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TryError::Transport { request, error } => {
                write!(f, "{request} failed: {}", error_chain(error))
            }
            TryError::Status { request, status } => write!(f, "{request} answered {status}"),
        }
    }
}

impl TryError {
    /// Whether the try got no answer at all.
    pub fn is_transport(&self) -> bool {
        matches!(self, TryError::Transport { .. })
    }
}

/// The URL is left out of the error: `request` names it without its query, which may hold a
/// signature (an upload to a storage service's signed URL).
fn transport_error(request: &str, error: reqwest::Error) -> TryError {
    TryError::Transport {
        request: request.to_owned(),
        error: error.without_url(),
    }
}

/// `METHOD URL`, without the query (a token request's scope is noise in a message).
fn request_name(request: &Request) -> String {
    let mut url = request.url().clone();
    url.set_query(None);
    format!("{} {url}", request.method())
}

/// The wait a `Retry-After` header asks for, if it is there and makes sense.
fn asked_wait(headers: &HeaderMap) -> Option<std::time::Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    retry_after(value, SystemTime::now())
}

/// A failed request as the user needs to see it: a certificate problem says so, and says
/// which CA is missing when that is the problem.
fn classify(host: &str, request: &str, error: &reqwest::Error, tries: u32) -> RegistryError {
    let message = error_chain(error);
    match certificate_problem(error) {
        Some(Some(untrusted)) => RegistryError::UntrustedCertificate {
            registry: host.to_owned(),
            issuer: untrusted.issuer.clone(),
            certs_d: untrusted.certs_d.clone(),
        },
        Some(None) => RegistryError::Certificate {
            registry: host.to_owned(),
            message,
        },
        None => RegistryError::Unreachable {
            registry: host.to_owned(),
            request: request.to_owned(),
            message,
            tries,
        },
    }
}

/// Whether `error` is about the server's certificate; when it is about a missing CA, which
/// one.
fn certificate_problem(error: &reqwest::Error) -> Option<Option<&UntrustedIssuer>> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if let Some(rustls::Error::InvalidCertificate(problem)) = unwrap_io(current).downcast_ref()
        {
            return Some(untrusted_issuer(problem));
        }
        cause = current.source();
    }
    error_chain(error)
        .to_ascii_lowercase()
        .contains("certificate")
        .then_some(None)
}

/// The error inside `error` and any `io::Error` around it: rustls's error reaches reqwest
/// wrapped in two, and an `io::Error`'s `source` skips what it wraps.
fn unwrap_io<'e>(
    mut error: &'e (dyn std::error::Error + 'static),
) -> &'e (dyn std::error::Error + 'static) {
    while let Some(inner) = error
        .downcast_ref::<std::io::Error>()
        .and_then(std::io::Error::get_ref)
    {
        error = inner;
    }
    error
}

fn untrusted_issuer(problem: &rustls::CertificateError) -> Option<&UntrustedIssuer> {
    match problem {
        rustls::CertificateError::Other(other) => other.0.downcast_ref(),
        _ => None,
    }
}

/// The error and its causes, each said once.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}
