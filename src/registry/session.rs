//! One registry during a published check: where it answers (https, or http for an insecure
//! one that speaks no TLS), how it wants to be authenticated, and its manifest requests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use reqwest::{Client, RequestBuilder, Response, StatusCode, Url};

use crate::credentials::Credentials;
use crate::label::ImageLabel;
use crate::label::repository_path;
use crate::registry::RegistryError;
use crate::registry::challenge::Challenge;
use crate::registry::logins::Logins;

/// Every manifest kind an image may be pushed as, so that the registry answers 200 for any.
const MANIFEST_TYPES: &str = "application/vnd.oci.image.manifest.v1+json, \
    application/vnd.oci.image.index.v1+json, \
    application/vnd.docker.distribution.manifest.v2+json, \
    application/vnd.docker.distribution.manifest.list.v2+json, \
    application/vnd.docker.distribution.manifest.v1+prettyjws";

type TokenCell = tokio::sync::OnceCell<String>;

/// What a request needs to do in a repository, as a token scope says it.
#[derive(Debug, Clone, Copy)]
enum Access {
    Pull,
    PullPush,
}

impl Access {
    fn actions(self) -> &'static str {
        match self {
            Access::Pull => "pull",
            Access::PullPush => "pull,push",
        }
    }
}

/// A registry that answered its `/v2/` ping.
pub struct HostSession<'a> {
    host: String,
    /// `https://HOST`, or `http://HOST` for an insecure registry without TLS.
    base: String,
    client: &'a Client,
    logins: &'a Logins,
    /// What the ping's 401 asked for; `None` when the registry is open.
    challenge: Option<Challenge>,
    /// Bearer tokens by scope, each asked for once however many requests wait for it; the
    /// map is never locked across an await.
    tokens: Mutex<HashMap<String, Arc<TokenCell>>>,
}

impl<'a> HostSession<'a> {
    /// Pings `host`; an insecure one is tried over http when https fails.
    pub async fn open(
        host: &str,
        client: &'a Client,
        insecure: bool,
        logins: &'a Logins,
    ) -> Result<HostSession<'a>, RegistryError> {
        let https = format!("https://{host}");
        let (base, response) = match client.get(format!("{https}/v2/")).send().await {
            Ok(response) => (https, response),
            Err(error) if insecure => {
                let http = format!("http://{host}");
                match client.get(format!("{http}/v2/")).send().await {
                    Ok(response) => (http, response),
                    Err(_) => return Err(classify(host, &error)),
                }
            }
            Err(error) => return Err(classify(host, &error)),
        };
        let challenge = match response.status() {
            StatusCode::UNAUTHORIZED => challenge_of(&response),
            _ => None,
        };
        Ok(HostSession {
            host: host.to_owned(),
            base,
            client,
            logins,
            challenge,
            tokens: Mutex::new(HashMap::new()),
        })
    }

    /// Whether the registry holds a manifest for `label`: 404 is `false`; a refused login,
    /// like any other answer, is an error.
    pub async fn has_manifest(&self, label: &ImageLabel) -> Result<bool, RegistryError> {
        let url = self.manifest_url(label, &label.tag);
        let request = |client: &Client| client.head(&url).header(ACCEPT, MANIFEST_TYPES);
        let response = self
            .send(label, Access::Pull, &[StatusCode::NOT_FOUND], request)
            .await?;
        Ok(response.status() != StatusCode::NOT_FOUND)
    }

    /// Gives the manifest of `label` a second tag, `tag`, in the registry: the same bytes
    /// under another name, so no layer moves.
    pub async fn copy_manifest(&self, label: &ImageLabel, tag: &str) -> Result<(), RegistryError> {
        let source = self.manifest_url(label, &label.tag);
        let get = |client: &Client| client.get(&source).header(ACCEPT, MANIFEST_TYPES);
        let response = self.send(label, Access::PullPush, &[], get).await?;
        let media_type = response
            .headers()
            .get(CONTENT_TYPE)
            .cloned()
            .ok_or_else(|| {
                self.unreachable(format!("it sent the manifest of {label} without a type"))
            })?;
        let manifest = response
            .bytes()
            .await
            .map_err(|e| classify(&self.host, &e))?;
        let target = self.manifest_url(label, tag);
        let put = |client: &Client| {
            client
                .put(&target)
                .header(CONTENT_TYPE, media_type.clone())
                .body(manifest.clone())
        };
        self.send(label, Access::PullPush, &[], put).await.map(drop)
    }

    fn manifest_url(&self, label: &ImageLabel, tag: &str) -> String {
        format!(
            "{}/v2/{}/manifests/{tag}",
            self.base,
            repository_path(&label.name)
        )
    }

    /// Sends the request `build` makes for the repository of `label`, authenticated as the
    /// registry asks (once more with a fresh token after a 401). A success, or a status in
    /// `accepted`, is the answer; anything else is an error.
    async fn send(
        &self,
        label: &ImageLabel,
        access: Access,
        accepted: &[StatusCode],
        build: impl Fn(&Client) -> RequestBuilder,
    ) -> Result<Response, RegistryError> {
        let mut authorization = match &self.challenge {
            Some(challenge) => Some(
                self.authorize(challenge, &label.name, access, false)
                    .await?,
            ),
            None => None,
        };
        let mut retried = false;
        loop {
            let mut request = build(self.client);
            if let Some(value) = &authorization {
                request = request.header(AUTHORIZATION, value);
            }
            let response = request.send().await.map_err(|e| classify(&self.host, &e))?;
            match response.status() {
                status if status.is_success() || accepted.contains(&status) => return Ok(response),
                StatusCode::UNAUTHORIZED if !retried => {
                    let challenge = challenge_of(&response)
                        .filter(|c| authorization.is_none() || *c != Challenge::Basic)
                        .ok_or_else(|| self.refused(label, StatusCode::UNAUTHORIZED))?;
                    authorization = Some(
                        self.authorize(&challenge, &label.name, access, true)
                            .await?,
                    );
                    retried = true;
                }
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                    return Err(self.refused(label, response.status()));
                }
                status => {
                    return Err(RegistryError::Unexpected {
                        registry: self.host.clone(),
                        reference: label.to_string(),
                        status: status.as_u16(),
                    });
                }
            }
        }
    }

    /// The `Authorization` value answering `challenge` for the image `name`; `fresh` skips
    /// the token cache, for a token the registry just refused.
    async fn authorize(
        &self,
        challenge: &Challenge,
        name: &str,
        access: Access,
        fresh: bool,
    ) -> Result<String, RegistryError> {
        let login = self.logins.for_name(name)?;
        match challenge {
            Challenge::Basic => {
                let login = login.ok_or_else(|| RegistryError::LoginRequired {
                    registry: self.host.clone(),
                })?;
                Ok(format!("Basic {}", login.basic_token()))
            }
            Challenge::Bearer { realm, service } => {
                let scope = format!("repository:{}:{}", repository_path(name), access.actions());
                let cell = self.token_cell(&scope, fresh);
                let token = cell
                    .get_or_try_init(|| {
                        self.fetch_token(realm, service.as_deref(), &scope, login.as_ref())
                    })
                    .await?;
                Ok(format!("Bearer {token}"))
            }
        }
    }

    /// The token of `scope`, shared by every request for it; `fresh` starts a new one.
    fn token_cell(&self, scope: &str, fresh: bool) -> Arc<TokenCell> {
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        if fresh {
            tokens.remove(scope);
        }
        tokens.entry(scope.to_owned()).or_default().clone()
    }

    /// Asks the token service for a token of `scope`, with the login when there is one.
    async fn fetch_token(
        &self,
        realm: &str,
        service: Option<&str>,
        scope: &str,
        login: Option<&Credentials>,
    ) -> Result<String, RegistryError> {
        let mut params = vec![("scope", scope)];
        params.extend(service.map(|s| ("service", s)));
        let url = Url::parse_with_params(realm, &params).map_err(|e| self.unreachable(e))?;
        let mut request = self.client.get(url);
        if let Some(login) = login {
            request = request.basic_auth(&login.username, Some(login.password.expose()));
        }
        let response = request.send().await.map_err(|e| classify(&self.host, &e))?;
        match response.status() {
            status if status.is_success() => {}
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                return Err(RegistryError::Credentials {
                    registry: self.host.clone(),
                    message: format!("its token service answered {}", response.status()),
                });
            }
            status => return Err(self.unreachable(format!("its token service answered {status}"))),
        }
        let body = response.bytes().await.map_err(|e| self.unreachable(e))?;
        token_of(&body).ok_or_else(|| self.unreachable("its token service sent no token"))
    }

    fn refused(&self, label: &ImageLabel, status: StatusCode) -> RegistryError {
        RegistryError::Credentials {
            registry: self.host.clone(),
            message: format!("it answered {status} for {label}"),
        }
    }

    fn unreachable(&self, message: impl ToString) -> RegistryError {
        RegistryError::Unreachable {
            registry: self.host.clone(),
            message: message.to_string(),
        }
    }
}

fn challenge_of(response: &Response) -> Option<Challenge> {
    response
        .headers()
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(Challenge::parse)
}

/// The token of a token service's JSON answer: `token`, or OAuth's `access_token`.
fn token_of(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    ["token", "access_token"]
        .iter()
        .find_map(|key| value.get(key)?.as_str().filter(|t| !t.is_empty()))
        .map(str::to_owned)
}

/// A failed request as the user needs to see it: a certificate problem says so.
fn classify(host: &str, error: &reqwest::Error) -> RegistryError {
    let message = error_chain(error);
    if message.to_ascii_lowercase().contains("certificate") {
        RegistryError::Certificate {
            registry: host.to_owned(),
            message,
        }
    } else {
        RegistryError::Unreachable {
            registry: host.to_owned(),
            message,
        }
    }
}

/// The error and its causes, each said once.
fn error_chain(error: &dyn std::error::Error) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        assert_eq!(token_of(br#"{"token":"t1"}"#).as_deref(), Some("t1"));
        assert_eq!(
            token_of(br#"{"token":"","access_token":"t2"}"#).as_deref(),
            Some("t2")
        );
        assert_eq!(token_of(b"{}"), None);
    }
}
