//! A registry that misbehaves on demand: an HTTPS proxy on a free loopback port in front of a
//! [`TestRegistry`], serving the registry's own certificate (so whatever trusts the registry
//! trusts the proxy) and forwarding every request, headers and login included. Faults are
//! injected by rule (every Nth request of some kinds fails so), cross-repository mounts can be
//! refused (as a registry that does not mount answers 202 and starts an upload), and every
//! request is recorded by kind, with the bytes of its body, so that a test can count what
//! reached the registry.
//!
//! ```ignore
//! let proxy = FaultProxy::start(&registry);
//! proxy.inject(Injection::every(5, Fault::Status(500)));
//! proxy.inject(Injection::every(1, Fault::Drop).on(&[Kind::ManifestHead]).at_most(2));
//! let settings = proxy.settings(&registry); // `registry:` is the proxy's address
//! assert_eq!(proxy.count(Kind::ManifestHead), 3);
//! proxy.refuse_mounts();
//! let uploads = blob_uploads(&proxy.seen()); // repository, digest and bytes of each blob
//! ```

use std::collections::HashMap;
use std::convert::Infallible;
use std::io;
use std::net::TcpListener;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use docker_pkg::registry::RegistrySettings;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full, StreamBody};
use hyper::body::{Bytes, Frame, Incoming};
use hyper::header::{HeaderMap, HeaderName, RETRY_AFTER};
use hyper::{Method, Request, Response, StatusCode};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::TestRegistry;

/// What the proxy does to a request instead of forwarding it faithfully.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answers this status itself, with an empty body; the registry never sees the request.
    Status(u16),
    /// Answers this status (429, 503) with `Retry-After: VALUE`.
    RetryAfter(u16, String),
    /// Closes the connection without answering.
    Drop,
    /// Forwards the request, sends the registry's status and headers and half its body, then
    /// closes the connection. An answer without a body is dropped as by [`Fault::Drop`].
    CutBody,
    /// Forwards the request and holds the answer back this long.
    Delay(Duration),
}

/// What a request asks of the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `GET /v2/`.
    Ping,
    ManifestHead,
    ManifestGet,
    ManifestPut,
    BlobHead,
    BlobGet,
    /// Anything below `/blobs/uploads/`: starting, sending and finishing a layer upload.
    Upload,
    Other,
}

impl Kind {
    fn of(method: &Method, path: &str) -> Kind {
        let by_method = |head, get, put| match *method {
            Method::HEAD => head,
            Method::GET => get,
            Method::PUT => put,
            _ => Kind::Other,
        };
        if path == "/v2/" {
            Kind::Ping
        } else if path.contains("/manifests/") {
            by_method(Kind::ManifestHead, Kind::ManifestGet, Kind::ManifestPut)
        } else if path.contains("/blobs/uploads/") {
            Kind::Upload
        } else if path.contains("/blobs/") {
            by_method(Kind::BlobHead, Kind::BlobGet, Kind::Other)
        } else {
            Kind::Other
        }
    }
}

/// A rule: every `every`-th request of the kinds it is `on` gets `fault`, `at_most` so many
/// times. Each rule counts its own requests; the first rule that fires wins.
#[derive(Debug, Clone)]
pub struct Injection {
    fault: Fault,
    every: usize,
    kinds: Vec<Kind>,
    limit: Option<usize>,
    matched: usize,
    injected: usize,
}

impl Injection {
    /// Every `n`-th request (1: every request) of any kind.
    pub fn every(n: usize, fault: Fault) -> Injection {
        assert!(n > 0, "every 0th request");
        Injection {
            fault,
            every: n,
            kinds: Vec::new(),
            limit: None,
            matched: 0,
            injected: 0,
        }
    }

    /// Only requests of these kinds count and fail.
    pub fn on(mut self, kinds: &[Kind]) -> Injection {
        self.kinds = kinds.to_vec();
        self
    }

    /// Fails at most `times` requests, then lets every one through.
    pub fn at_most(mut self, times: usize) -> Injection {
        self.limit = Some(times);
        self
    }

    fn fires(&mut self, kind: Kind) -> Option<Fault> {
        let applies = self.kinds.is_empty() || self.kinds.contains(&kind);
        if !applies || self.limit.is_some_and(|limit| self.injected >= limit) {
            return None;
        }
        self.matched += 1;
        if !self.matched.is_multiple_of(self.every) {
            return None;
        }
        self.injected += 1;
        Some(self.fault.clone())
    }
}

/// One request the proxy received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub kind: Kind,
    pub method: String,
    pub path: String,
    /// The query as it came, without its `?`.
    pub query: String,
    /// What was done to it, if anything.
    pub fault: Option<Fault>,
    /// The bytes of its body that were forwarded to the registry.
    pub body_bytes: usize,
    /// The registry's answer, when it was forwarded.
    pub status: Option<u16>,
    /// Whether it asked for a cross-repository mount that the proxy took out.
    pub mount_refused: bool,
    pub at: Instant,
}

/// A blob the registry received whole: the `PUT …?digest=` that ended an upload, with the
/// bytes of every request of that upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobUpload {
    /// `ns/name`.
    pub repository: String,
    /// `sha256:…`.
    pub digest: String,
    pub bytes: usize,
}

/// The blobs uploaded whole among the requests `seen`, in order. A mount is no upload.
pub fn blob_uploads(seen: &[Seen]) -> Vec<BlobUpload> {
    let mut sent: HashMap<&str, usize> = HashMap::new();
    let mut uploads = Vec::new();
    for request in seen.iter().filter(|s| s.kind == Kind::Upload) {
        let bytes = sent.entry(request.path.as_str()).or_default();
        *bytes += request.body_bytes;
        let digest = query_value(&request.query, "digest");
        let finished = request.method == "PUT" && request.status == Some(201);
        if let (true, Some(digest)) = (finished, digest) {
            let repository = request.path.trim_start_matches("/v2/");
            let repository = repository.split("/blobs/").next().unwrap_or_default();
            uploads.push(BlobUpload {
                repository: repository.to_owned(),
                digest,
                bytes: *bytes,
            });
        }
    }
    uploads
}

/// The value of `name` in a query, decoded.
fn query_value(query: &str, name: &str) -> Option<String> {
    query_url(query)
        .query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// A URL holding `query`, to read and write it.
fn query_url(query: &str) -> reqwest::Url {
    let mut url = reqwest::Url::parse("https://proxy/").expect("a URL");
    url.set_query(Some(query));
    url
}

#[derive(Default)]
struct State {
    injections: Vec<Injection>,
    seen: Vec<Seen>,
    /// Whether mounts are taken out of upload requests.
    refuse_mounts: bool,
}

/// What the connections share.
struct Shared {
    /// `https://127.0.0.1:PORT` of the registry.
    upstream: String,
    client: reqwest::Client,
    state: Mutex<State>,
}

type Body = BoxBody<Bytes, io::Error>;

/// A running proxy; it stops when dropped.
pub struct FaultProxy {
    /// `127.0.0.1:PORT`, to use wherever the registry's address would go.
    pub address: String,
    shared: Arc<Shared>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl FaultProxy {
    /// Starts a proxy in front of `registry`, forwarding faithfully until told otherwise.
    pub fn start(registry: &TestRegistry) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let address = listener.local_addr().expect("its address").to_string();
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let acceptor = tls_acceptor(registry);
        let client = reqwest::Client::builder()
            .tls_danger_accept_invalid_certs(true)
            .http1_only()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .expect("a client for the registry");
        let shared = Arc::new(Shared {
            upstream: format!("https://{}", registry.address),
            client,
            state: Mutex::new(State::default()),
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the proxy");
        let serving = shared.clone();
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
            accept_loop(listener, acceptor, serving).await;
        });
        FaultProxy {
            address,
            shared,
            runtime: Some(runtime),
        }
    }

    /// Adds a rule, after those already there.
    pub fn inject(&self, injection: Injection) {
        self.state().injections.push(injection);
    }

    /// Removes every rule: the proxy forwards faithfully from now on.
    pub fn clear_faults(&self) {
        self.state().injections.clear();
    }

    /// From now on, a request to mount a blob from another repository reaches the registry
    /// without its `mount` and `from`: the registry answers 202 and starts an upload, as one
    /// that does not mount across repositories does.
    pub fn refuse_mounts(&self) {
        self.state().refuse_mounts = true;
    }

    /// How many mounts were refused so far.
    pub fn mounts_refused(&self) -> usize {
        self.state().seen.iter().filter(|s| s.mount_refused).count()
    }

    /// Every request received so far, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.state().seen.clone()
    }

    /// How many requests of `kind` were received so far, failed ones included.
    pub fn count(&self, kind: Kind) -> usize {
        self.state().seen.iter().filter(|s| s.kind == kind).count()
    }

    /// How many requests got a fault so far.
    pub fn faults_injected(&self) -> usize {
        self.state()
            .seen
            .iter()
            .filter(|s| s.fault.is_some())
            .count()
    }

    /// `registry`'s settings (login, CA) with the proxy's address as the registry's.
    pub fn settings(&self, registry: &TestRegistry) -> RegistrySettings {
        RegistrySettings {
            registry: Some(self.address.clone()),
            ..registry.settings()
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// TLS with the registry's own certificate and key, HTTP/1.1 only.
fn tls_acceptor(registry: &TestRegistry) -> tokio_rustls::TlsAcceptor {
    let certificates: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(&registry.ca_file)
            .and_then(Iterator::collect)
            .expect("the registry's certificate");
    let key = PrivateKeyDer::from_pem_file(registry.key_file()).expect("the registry's key");
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(certificates, key)
        .expect("a TLS configuration");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    shared: Arc<Shared>,
) {
    while let Ok((stream, _)) = listener.accept().await {
        let (acceptor, shared) = (acceptor.clone(), shared.clone());
        tokio::spawn(async move {
            let Ok(stream) = acceptor.accept(stream).await else {
                return;
            };
            let service = hyper::service::service_fn(move |request| {
                let shared = shared.clone();
                async move { answer(&shared, request).await }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The answer to one request, faulty or not; an error closes the connection unanswered.
async fn answer(shared: &Shared, request: Request<Incoming>) -> Result<Response<Body>, io::Error> {
    let (index, fault) = record(shared, &request);
    match fault {
        None => Ok(forward(shared, index, request).await),
        Some(Fault::Status(status)) => Ok(empty(status, None)),
        Some(Fault::RetryAfter(status, after)) => Ok(empty(status, Some(after))),
        Some(Fault::Drop) => Err(io::Error::other("dropped by the fault proxy")),
        Some(Fault::CutBody) => cut(forward(shared, index, request).await).await,
        Some(Fault::Delay(delay)) => {
            let response = forward(shared, index, request).await;
            tokio::time::sleep(delay).await;
            Ok(response)
        }
    }
}

/// Notes the request and picks its fault; gives where it is noted.
fn record(shared: &Shared, request: &Request<Incoming>) -> (usize, Option<Fault>) {
    let (method, path) = (request.method(), request.uri().path());
    let kind = Kind::of(method, path);
    let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
    let fault = state.injections.iter_mut().find_map(|i| i.fires(kind));
    state.seen.push(Seen {
        kind,
        method: method.to_string(),
        path: path.to_owned(),
        query: request.uri().query().unwrap_or_default().to_owned(),
        fault: fault.clone(),
        body_bytes: 0,
        status: None,
        mount_refused: false,
        at: Instant::now(),
    });
    (state.seen.len() - 1, fault)
}

/// The path and query to send on: without `mount` and `from` when mounts are refused, noted
/// in the record at `index`.
fn target(shared: &Shared, index: usize, uri: &hyper::Uri) -> String {
    let path = uri.path();
    let Some(query) = uri.query() else {
        return path.to_owned();
    };
    let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
    if !state.refuse_mounts || query_value(query, "mount").is_none() {
        return format!("{path}?{query}");
    }
    state.seen[index].mount_refused = true;
    let mut url = query_url(query);
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(key, _)| key != "mount" && key != "from")
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    url.query_pairs_mut().clear().extend_pairs(kept);
    match url.query().filter(|q| !q.is_empty()) {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    }
}

/// Sends the request on to the registry as it came, `Host` included, so that the addresses
/// the registry puts in its answers (upload locations) lead back through the proxy.
async fn forward(shared: &Shared, index: usize, request: Request<Incoming>) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
        return empty(StatusCode::BAD_REQUEST.as_u16(), None);
    };
    let target = target(shared, index, &parts.uri);
    let body_bytes = body.len();
    let sent = shared
        .client
        .request(parts.method, format!("{}{target}", shared.upstream))
        .headers(end_to_end(&parts.headers))
        .body(body)
        .send()
        .await;
    let Ok(upstream) = sent else {
        return empty(StatusCode::BAD_GATEWAY.as_u16(), None);
    };
    let status = upstream.status();
    {
        let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
        state.seen[index].body_bytes = body_bytes;
        state.seen[index].status = Some(status.as_u16());
    }
    let headers = end_to_end(upstream.headers());
    let body = upstream.bytes().await.unwrap_or_default();
    let mut response = Response::new(Full::new(body).map_err(|e| match e {}).boxed());
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// `response` with its body cut in half, then the connection closed.
async fn cut(response: Response<Body>) -> Result<Response<Body>, io::Error> {
    let (parts, body) = response.into_parts();
    let whole = body.collect().await?.to_bytes();
    if whole.is_empty() {
        return Err(io::Error::other("dropped by the fault proxy"));
    }
    let half = whole.slice(..whole.len() / 2);
    let frames: Vec<Result<Frame<Bytes>, io::Error>> = vec![
        Ok(Frame::data(half)),
        Err(io::Error::other("cut by the fault proxy")),
    ];
    let body = StreamBody::new(futures_util::stream::iter(frames)).boxed();
    Ok(Response::from_parts(parts, body))
}

fn empty(status: u16, retry_after: Option<String>) -> Response<Body> {
    let mut response = Response::new(Empty::new().map_err(|e: Infallible| match e {}).boxed());
    *response.status_mut() = StatusCode::from_u16(status).expect("a valid status");
    if let Some(value) = retry_after {
        let value = value.parse().expect("a valid Retry-After");
        response.headers_mut().insert(RETRY_AFTER, value);
    }
    response
}

/// The headers that travel end to end, without those of one connection.
fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    const HOP_BY_HOP: [&str; 7] = [
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    ];
    let mut kept = headers.clone();
    for name in HOP_BY_HOP {
        kept.remove(HeaderName::from_static(name));
    }
    kept
}
