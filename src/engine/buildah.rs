//! The default engine: buildah, which needs no daemon and runs rootless.

use serde::Deserialize;

use crate::engine::LocalImage;
use crate::engine::containers_cli::Dialect;
use crate::engine::size::parse_size;

/// How buildah lists its images and pushes once; everything else it spells as podman does
/// ([`ContainersCli`](crate::engine::containers_cli::ContainersCli)).
pub const DIALECT: Dialect = Dialect {
    images: &["--json", "--no-trunc"],
    parse_images,
    info: &["info"],
    parse_run_root,
    push_once: &["--retry", "0"],
};

/// One image of `buildah images --json`.
#[derive(Deserialize)]
struct ListedImage {
    id: String,
    #[serde(default)]
    names: Option<Vec<String>>,
    size: String,
}

/// `buildah images --json --no-trunc`: ids with their `sha256:`, sizes as `1.99 MB`.
fn parse_images(output: &str) -> Result<Vec<LocalImage>, String> {
    let listed: Option<Vec<ListedImage>> =
        serde_json::from_str(output).map_err(|e| e.to_string())?;
    listed
        .unwrap_or_default()
        .into_iter()
        .map(|image| {
            let size = parse_size(&image.size)
                .ok_or_else(|| format!("unknown size `{}` of image {}", image.size, image.id))?;
            Ok(LocalImage {
                id: image.id.trim_start_matches("sha256:").to_owned(),
                names: image.names.unwrap_or_default(),
                size,
            })
        })
        .collect()
}

/// `store.RunRoot` of what `info` prints.
fn parse_run_root(output: &str) -> Result<std::path::PathBuf, String> {
    let info: serde_json::Value = serde_json::from_str(output).map_err(|e| e.to_string())?;
    info["store"]["RunRoot"]
        .as_str()
        .filter(|root| !root.is_empty())
        .map(std::path::PathBuf::from)
        .ok_or_else(|| "it names no store.RunRoot".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing() {
        let output = r#"[
            {"id": "sha256:f101", "names": ["localhost/foo:1.0", "r.org:5000/foo:1.0"],
             "digest": "sha256:e344", "size": "1.99 MB", "readonly": false},
            {"id": "sha256:0a0b", "names": null, "size": "2 kB"}
        ]"#;
        assert_eq!(
            parse_images(output).unwrap(),
            [
                LocalImage {
                    id: "f101".into(),
                    names: vec!["localhost/foo:1.0".into(), "r.org:5000/foo:1.0".into()],
                    size: 1_990_000,
                },
                LocalImage {
                    id: "0a0b".into(),
                    names: vec![],
                    size: 2_000,
                },
            ]
        );
        assert_eq!(parse_images("null").unwrap(), []);
        assert!(parse_images("Error").is_err());
    }
}
