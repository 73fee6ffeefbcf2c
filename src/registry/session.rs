//! One registry during a published check: where it answers (https, or http for an insecure
//! one that speaks no TLS), how it wants to be authenticated, and its manifest requests,
//! each tried again while its failure may pass.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, WWW_AUTHENTICATE};
use reqwest::{Client, RequestBuilder, StatusCode, Url};

use crate::label::ImageLabel;
use crate::label::repository_path;
use crate::registry::RegistryError;
use crate::registry::challenge::Challenge;
use crate::registry::credentials::Credentials;
use crate::registry::exchange::{Answer, Exchange};
use crate::registry::logins::Logins;

/// Every manifest kind an image may be pushed as, so that the registry answers 200 for any.
const MANIFEST_TYPES: &str = "application/vnd.oci.image.manifest.v1+json, \
    application/vnd.oci.image.index.v1+json, \
    application/vnd.docker.distribution.manifest.v2+json, \
    application/vnd.docker.distribution.manifest.list.v2+json, \
    application/vnd.docker.distribution.manifest.v1+prettyjws";

type TokenCell = tokio::sync::OnceCell<String>;

/// What a manifest list (Docker's, or an OCI index) says of its images; a single image's
/// manifest has no `manifests`.
#[derive(serde::Deserialize)]
struct ManifestList {
    #[serde(default)]
    manifests: Vec<ListEntry>,
}

#[derive(serde::Deserialize)]
struct ListEntry {
    digest: Option<String>,
    platform: Option<EntryPlatform>,
}

#[derive(serde::Deserialize)]
struct EntryPlatform {
    os: String,
    architecture: String,
    variant: Option<String>,
}

impl EntryPlatform {
    fn name(&self) -> String {
        match &self.variant {
            Some(variant) => format!("{}/{}/{variant}", self.os, self.architecture),
            None => format!("{}/{}", self.os, self.architecture),
        }
    }
}

/// What a request needs to do in a repository, as a token scope says it.
#[derive(Debug, Clone, Copy)]
pub enum Access {
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
    /// The requests to the registry, whose address it holds.
    exchange: Exchange<'a>,
    /// `https://HOST`, or `http://HOST` for an insecure registry without TLS.
    base: String,
    logins: &'a Logins,
    /// What the ping's 401 asked for; `None` when the registry is open.
    challenge: Option<Challenge>,
    /// Bearer tokens by scope, each asked for once however many requests wait for it; the
    /// map is never locked across an await.
    tokens: Mutex<HashMap<String, Arc<TokenCell>>>,
}

impl<'a> HostSession<'a> {
    /// Pings the registry of `exchange`; an insecure one is tried over http when https gets
    /// no answer.
    pub async fn open(
        exchange: Exchange<'a>,
        insecure: bool,
        logins: &'a Logins,
    ) -> Result<HostSession<'a>, RegistryError> {
        let (base, answer) = ping(&exchange, insecure).await?;
        let challenge = match answer.status {
            StatusCode::UNAUTHORIZED => challenge_of(&answer.headers),
            _ => None,
        };
        Ok(HostSession {
            exchange,
            base,
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
        let answer = self
            .send(label, Access::Pull, &[StatusCode::NOT_FOUND], request)
            .await?;
        Ok(answer.status != StatusCode::NOT_FOUND)
    }

    /// The platforms (`OS/ARCHITECTURE[/VARIANT]`) of the manifest list `label` names whose
    /// images the registry holds: None when the tag is not there, none for a single image.
    pub async fn list_platforms(
        &self,
        label: &ImageLabel,
    ) -> Result<Option<Vec<String>>, RegistryError> {
        let url = self.manifest_url(label, &label.tag);
        let request = |client: &Client| client.get(&url).header(ACCEPT, MANIFEST_TYPES);
        let answer = self
            .send(label, Access::Pull, &[StatusCode::NOT_FOUND], request)
            .await?;
        if answer.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let list: ManifestList = serde_json::from_slice(&answer.body).map_err(|error| {
            self.bad_answer(
                &answer.request,
                &format!("a manifest that is not JSON: {error}"),
            )
        })?;
        // A platform counts only while the registry still holds its image.
        let mut platforms = Vec::with_capacity(list.manifests.len());
        for entry in list.manifests {
            let (Some(platform), Some(digest)) = (entry.platform, entry.digest) else {
                continue;
            };
            if self.has_manifest(&label.with_tag(&digest)).await? {
                platforms.push(platform.name());
            }
        }
        Ok(Some(platforms))
    }

    /// Gives the manifest of `label` a second tag, `tag`, in the registry: the same bytes
    /// under another name, so no layer moves.
    pub async fn copy_manifest(&self, label: &ImageLabel, tag: &str) -> Result<(), RegistryError> {
        let source = self.manifest_url(label, &label.tag);
        let get = |client: &Client| client.get(&source).header(ACCEPT, MANIFEST_TYPES);
        let answer = self.send(label, Access::PullPush, &[], get).await?;
        let media_type =
            answer.headers.get(CONTENT_TYPE).cloned().ok_or_else(|| {
                self.bad_answer(&answer.request, "a manifest without a media type")
            })?;
        let target = self.manifest_url(label, tag);
        let put = |client: &Client| {
            client
                .put(&target)
                .header(CONTENT_TYPE, media_type.clone())
                .body(answer.body.clone())
        };
        self.send(label, Access::PullPush, &[], put).await.map(drop)
    }

    /// `https://HOST`, or `http://HOST` for an insecure registry without TLS.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The requests to the registry, without its login.
    pub fn exchange(&self) -> &Exchange<'a> {
        &self.exchange
    }

    pub fn manifest_url(&self, label: &ImageLabel, tag: &str) -> String {
        format!(
            "{}/v2/{}/manifests/{tag}",
            self.base,
            repository_path(&label.name)
        )
    }

    /// Sends the request `build` makes for the repository of `label`, authenticated as the
    /// registry asks (once more with a fresh token after a 401). A success, or a status in
    /// `accepted`, is the answer; anything else is an error.
    pub async fn send(
        &self,
        label: &ImageLabel,
        access: Access,
        accepted: &[StatusCode],
        build: impl Fn(&Client) -> RequestBuilder,
    ) -> Result<Answer, RegistryError> {
        let mut authorization = match &self.challenge {
            Some(challenge) => Some(
                self.authorize(challenge, &label.name, access, false)
                    .await?,
            ),
            None => None,
        };
        let mut retried = false;
        loop {
            let authorized = |client: &Client| match &authorization {
                Some(value) => build(client).header(AUTHORIZATION, value),
                None => build(client),
            };
            let answer = self.exchange.send(authorized).await?;
            match answer.status {
                status if status.is_success() || accepted.contains(&status) => return Ok(answer),
                StatusCode::UNAUTHORIZED if !retried => {
                    let challenge = challenge_of(&answer.headers)
                        .filter(|c| authorization.is_none() || *c != Challenge::Basic)
                        .ok_or_else(|| self.refused(label, StatusCode::UNAUTHORIZED))?;
                    authorization = Some(
                        self.authorize(&challenge, &label.name, access, true)
                            .await?,
                    );
                    retried = true;
                }
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                    return Err(self.refused(label, answer.status));
                }
                _ => return Err(self.unexpected(&answer)),
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
                    registry: self.exchange.registry.clone(),
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
        let url = Url::parse_with_params(realm, &params).map_err(|e| {
            let message = format!("a token realm that is not a URL ({realm}: {e})");
            self.bad_answer("a request without a token", &message)
        })?;
        if url.scheme() != "https" && self.base.starts_with("https:") {
            let message = format!(
                "a token service over plain http ({realm}), to which the password is not sent"
            );
            return Err(self.bad_answer("a request without a token", &message));
        }
        let request = |client: &Client| {
            let request = client.get(url.clone());
            match login {
                Some(login) => request.basic_auth(&login.username, Some(login.password.expose())),
                None => request,
            }
        };
        let answer = self.exchange.send(request).await?;
        match answer.status {
            status if status.is_success() => {
                token_of(&answer.body).ok_or_else(|| self.bad_answer(&answer.request, "no token"))
            }
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(RegistryError::Credentials {
                registry: self.exchange.registry.clone(),
                message: format!("its token service answered {}", answer.status),
            }),
            _ => Err(self.unexpected(&answer)),
        }
    }

    fn refused(&self, label: &ImageLabel, status: StatusCode) -> RegistryError {
        RegistryError::Credentials {
            registry: self.exchange.registry.clone(),
            message: format!("it answered {status} for {label}"),
        }
    }

    /// An answer that is not retried and not the one wanted: it came at the first try.
    pub fn unexpected(&self, answer: &Answer) -> RegistryError {
        RegistryError::Unexpected {
            registry: self.exchange.registry.clone(),
            request: answer.request.clone(),
            status: answer.status.to_string(),
            tries: 1,
        }
    }

    pub fn bad_answer(&self, request: &str, message: &str) -> RegistryError {
        RegistryError::BadAnswer {
            registry: self.exchange.registry.clone(),
            request: request.to_owned(),
            message: message.to_owned(),
        }
    }
}

/// The base URL the registry answers on and its answer to `GET /v2/`. An insecure registry
/// that gets no answer over https is asked over http in the same try.
async fn ping(exchange: &Exchange<'_>, insecure: bool) -> Result<(String, Answer), RegistryError> {
    let https = format!("https://{}", exchange.registry);
    let http = format!("http://{}", exchange.registry);
    let ping = |base: &str| {
        let url = format!("{base}/v2/");
        move |client: &Client| client.get(&url)
    };
    exchange
        .policy
        .run(async || match exchange.try_request(ping(&https)).await {
            Err(failure) if insecure && failure.error.is_transport() => {
                let answer = exchange.try_request(ping(&http)).await;
                answer.map(|a| (http.clone(), a)).map_err(|_| failure)
            }
            answer => answer.map(|a| (https.clone(), a)),
        })
        .await
        .map_err(|gave_up| exchange.gave_up(gave_up))
}

fn challenge_of(headers: &HeaderMap) -> Option<Challenge> {
    headers
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
