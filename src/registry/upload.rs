//! Publishing an exported image over the registry's HTTP API: each blob the registry lacks is
//! uploaded (one `POST`, one `PUT` of the whole blob), then the manifest is put under each
//! tag, in the order given. Every request is tried again on its own while its failure may
//! pass, so that a registry failing one request in five still receives the image; a whole
//! push by the container tool would start over from its first request.

use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use reqwest::{Body, Client, StatusCode, Url};

use crate::label::{ImageLabel, repository_path};
use crate::registry::RegistryError;
use crate::registry::exported_image::{Blob, ExportedImage, MANIFEST_TYPE};
use crate::registry::session::{Access, HostSession};

/// How many times an upload is started over when the registry forgot it (a `PUT` that
/// failed half-way may end the upload session on its side).
const UPLOAD_STARTS: u32 = 3;

impl HostSession<'_> {
    /// Uploads `image` to the repository of `label` and puts its manifest under each of
    /// `tags`, in order; gives the manifest's digest, as the registry reports it.
    pub async fn upload(
        &self,
        image: &ExportedImage,
        label: &ImageLabel,
        tags: &[&str],
    ) -> Result<Option<String>, RegistryError> {
        for blob in image.blobs() {
            self.upload_blob(label, blob).await?;
        }
        let mut digest = None;
        for tag in tags {
            let url = self.manifest_url(label, tag);
            let put = |client: &Client| {
                client
                    .put(&url)
                    .header(CONTENT_TYPE, MANIFEST_TYPE)
                    .body(image.manifest().to_vec())
            };
            let answer = self.send(label, Access::PullPush, &[], put).await?;
            digest = answer
                .headers
                .get("docker-content-digest")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
        }
        Ok(digest)
    }

    /// Uploads `blob` unless the repository has it.
    async fn upload_blob(&self, label: &ImageLabel, blob: &Blob) -> Result<(), RegistryError> {
        if self.has_blob(label, blob).await? {
            return Ok(());
        }
        let mut starts = 0;
        loop {
            starts += 1;
            let mut target = self.start_upload(label).await?;
            target.query_pairs_mut().append_pair("digest", &blob.digest);
            let put = |client: &Client| {
                client
                    .put(target.clone())
                    .header(CONTENT_TYPE, "application/octet-stream")
                    .header(CONTENT_LENGTH, blob.size)
                    .body(file_body(&blob.path))
            };
            match self.send_to(&target, label, put).await {
                Err(RegistryError::Unexpected { status, .. })
                    if starts < UPLOAD_STARTS && status.starts_with("404") =>
                {
                    // A `PUT` whose answer was lost (a time-out while the registry was still
                    // storing the blob) is tried again, and the upload it ended is gone.
                    if self.has_blob(label, blob).await? {
                        return Ok(());
                    }
                    log::info!("{label}: the registry forgot an upload; starting it again");
                }
                other => return other.map(drop),
            }
        }
    }

    /// Whether the repository of `label` holds `blob`.
    async fn has_blob(&self, label: &ImageLabel, blob: &Blob) -> Result<bool, RegistryError> {
        let path = repository_path(&label.name);
        let url = format!("{}/v2/{path}/blobs/{}", self.base(), blob.digest);
        let head = |client: &Client| client.head(&url);
        let accepted = [StatusCode::NOT_FOUND];
        let found = self.send(label, Access::PullPush, &accepted, head).await?;
        Ok(found.status.is_success())
    }

    /// Starts an upload in the repository of `label`; gives where to send the blob. An
    /// upload location over plain http from a registry reached over https is refused: the
    /// blob, and on the registry's own host the login, would travel in clear.
    async fn start_upload(&self, label: &ImageLabel) -> Result<Url, RegistryError> {
        let path = repository_path(&label.name);
        let url = format!("{}/v2/{path}/blobs/uploads/", self.base());
        let post = |client: &Client| client.post(&url).header(CONTENT_LENGTH, 0);
        let answer = self.send(label, Access::PullPush, &[], post).await?;
        let location = answer
            .headers
            .get(LOCATION)
            .and_then(|value| value.to_str().ok())
            .ok_or_else(|| self.bad_answer(&answer.request, "no upload location"))?;
        upload_target(&url, location).map_err(|message| self.bad_answer(&answer.request, &message))
    }

    /// Sends the request `build` makes to `target`: with the login when `target` is on the
    /// registry's own scheme, host and port, without it elsewhere (a storage service the
    /// registry hands uploads to, which authorizes them by the URL it gave).
    async fn send_to(
        &self,
        target: &Url,
        label: &ImageLabel,
        build: impl Fn(&Client) -> reqwest::RequestBuilder,
    ) -> Result<(), RegistryError> {
        let same_origin =
            Url::parse(self.base()).is_ok_and(|base| base.origin() == target.origin());
        if same_origin {
            return self
                .send(label, Access::PullPush, &[], build)
                .await
                .map(drop);
        }
        let answer = self.exchange().send(build).await?;
        match answer.status.is_success() {
            true => Ok(()),
            false => Err(self.unexpected(&answer)),
        }
    }
}

/// Where an upload started at `started` (a URL) goes, by the `Location` the registry gave:
/// relative to it, or elsewhere; never from https down to http.
fn upload_target(started: &str, location: &str) -> Result<Url, String> {
    let base = Url::parse(started).map_err(|e| e.to_string())?;
    // Named without their query, which may hold a signature.
    let shown = location.split('?').next().unwrap_or_default();
    let target = base
        .join(location)
        .map_err(|e| format!("an upload location `{shown}`: {e}"))?;
    if target.scheme() != "https" && base.scheme() == "https" {
        return Err(format!("an upload location over plain http ({shown})"));
    }
    Ok(target)
}

/// The file at `path` as a request body, read as it is sent; a file that cannot be opened
/// makes a body that fails.
fn file_body(path: &std::path::Path) -> Body {
    match std::fs::File::open(path) {
        Ok(file) => Body::from(tokio::fs::File::from_std(file)),
        Err(error) => Body::wrap_stream(futures_util::stream::once(async move {
            Err::<Vec<u8>, std::io::Error>(error)
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STARTED: &str = "https://r.org:5000/v2/ns/app/blobs/uploads/";

    #[test]
    fn upload_locations() {
        let relative = upload_target(STARTED, "/v2/ns/app/blobs/uploads/u1?_state=x").unwrap();
        assert_eq!(
            relative.as_str(),
            "https://r.org:5000/v2/ns/app/blobs/uploads/u1?_state=x"
        );
        let elsewhere = upload_target(STARTED, "https://storage.r.org/u1?sig=s").unwrap();
        assert_eq!(elsewhere.host_str(), Some("storage.r.org"));
        let err = upload_target(
            STARTED,
            "http://r.org:5000/v2/ns/app/blobs/uploads/u1?sig=s3cr3t",
        )
        .unwrap_err();
        assert!(err.contains("over plain http"), "{err}");
        assert!(!err.contains("s3cr3t"), "a signature in a message: {err}");
        let insecure = "http://r.org:5000/v2/ns/app/blobs/uploads/";
        assert!(upload_target(insecure, "/v2/ns/app/blobs/uploads/u1").is_ok());
    }
}
