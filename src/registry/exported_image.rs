//! An image written out of local storage as a registry would receive it: its manifest (Docker
//! schema 2, gzip layers) and each blob in a file named by its digest. The engine writes it
//! (`push IMAGE dir:DIR`, no network); the registry client uploads it, one request at a time,
//! each tried again on its own when it fails for a moment.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use tempfile::TempDir;

/// The media type of the manifests written out.
pub const MANIFEST_TYPE: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// One blob of the image: its config or a layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    /// `sha256:…`.
    pub digest: String,
    pub size: u64,
    pub path: PathBuf,
}

/// An image written out in a folder of its own, removed when dropped.
#[derive(Debug)]
pub struct ExportedImage {
    dir: TempDir,
    manifest: Vec<u8>,
    blobs: Vec<Blob>,
}

#[derive(Deserialize)]
struct Manifest {
    config: Descriptor,
    layers: Vec<Descriptor>,
}

#[derive(Deserialize)]
struct Descriptor {
    digest: String,
    size: u64,
}

impl ExportedImage {
    /// The image the engine wrote into `dir` (`manifest.json` and a file per blob).
    pub fn read(dir: TempDir) -> Result<ExportedImage, String> {
        let manifest_path = dir.path().join("manifest.json");
        let manifest = std::fs::read(&manifest_path)
            .map_err(|e| format!("cannot read {}: {e}", manifest_path.display()))?;
        let parsed: Manifest = serde_json::from_slice(&manifest)
            .map_err(|e| format!("{} is not a manifest: {e}", manifest_path.display()))?;
        let blobs = std::iter::once(parsed.config)
            .chain(parsed.layers)
            .map(|descriptor| blob(dir.path(), descriptor))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ExportedImage {
            dir,
            manifest,
            blobs,
        })
    }

    /// The manifest, as it is to be uploaded (its digest is that of these bytes).
    pub fn manifest(&self) -> &[u8] {
        &self.manifest
    }

    /// The config, then the layers.
    pub fn blobs(&self) -> &[Blob] {
        &self.blobs
    }

    /// Where the files are.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

fn blob(dir: &Path, descriptor: Descriptor) -> Result<Blob, String> {
    let hex = descriptor
        .digest
        .strip_prefix("sha256:")
        .filter(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| format!("the manifest names a blob `{}`", descriptor.digest))?;
    let path = dir.join(hex);
    if !path.is_file() {
        return Err(format!("the blob {} is missing", path.display()));
    }
    Ok(Blob {
        digest: descriptor.digest,
        size: descriptor.size,
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "101dcaa96785afa19db4d7fecc98d645ecf2ec2df02e41d673a7be6dd65b80b1";
    const LAYER: &str = "f0eb5617868bf2474180d873098df39f58bc77b8e8e1dec2d56cd5f2bb81c514";

    fn written(manifest: &str, files: &[&str]) -> TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("manifest.json"), manifest).unwrap();
        for file in files {
            std::fs::write(dir.path().join(file), "x").unwrap();
        }
        dir
    }

    fn manifest() -> String {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"{MANIFEST_TYPE}",
            "config":{{"mediaType":"application/vnd.docker.container.image.v1+json","size":325,"digest":"sha256:{CONFIG}"}},
            "layers":[{{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":1083718,"digest":"sha256:{LAYER}"}}]}}"#
        )
    }

    #[test]
    fn config_then_layers() {
        let image = ExportedImage::read(written(&manifest(), &[CONFIG, LAYER])).unwrap();
        let digests: Vec<&str> = image.blobs().iter().map(|b| b.digest.as_str()).collect();
        assert_eq!(
            digests,
            [format!("sha256:{CONFIG}"), format!("sha256:{LAYER}")]
        );
        assert_eq!(image.blobs()[1].size, 1083718);
        assert_eq!(image.manifest(), manifest().as_bytes());
    }

    #[test]
    fn what_cannot_be_uploaded() {
        let err = ExportedImage::read(written(&manifest(), &[CONFIG])).unwrap_err();
        assert!(err.contains("is missing"), "{err}");
        let err = ExportedImage::read(written("{}", &[])).unwrap_err();
        assert!(err.contains("is not a manifest"), "{err}");
        let bad = manifest().replace(&format!("sha256:{CONFIG}"), "sha256:../../etc/passwd");
        let err = ExportedImage::read(written(&bad, &[LAYER])).unwrap_err();
        assert!(err.contains("names a blob"), "{err}");
    }
}
