//! podman: builds with buildah's code and takes its flags, and reports images in its own JSON.

use serde::Deserialize;

use crate::engine::LocalImage;
use crate::engine::containers_cli::Dialect;

/// How podman lists its images, in its own JSON; everything else it spells as buildah does
/// ([`ContainersCli`](crate::engine::containers_cli::ContainersCli)). No API service is
/// needed.
pub const DIALECT: Dialect = Dialect {
    images: &["--format", "json"],
    parse_images,
    info: &["info", "--format", "json"],
    parse_run_root,
    // podman 4 has no `--retry`: its push tries again a few times by itself.
    push_once: &[],
};

/// One image of `podman images --format json`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListedImage {
    id: String,
    #[serde(default)]
    names: Option<Vec<String>>,
    size: u64,
}

fn parse_images(output: &str) -> Result<Vec<LocalImage>, String> {
    let listed: Option<Vec<ListedImage>> =
        serde_json::from_str(output).map_err(|e| e.to_string())?;
    Ok(listed
        .unwrap_or_default()
        .into_iter()
        .map(|image| LocalImage {
            id: image.id.trim_start_matches("sha256:").to_owned(),
            names: image.names.unwrap_or_default(),
            size: image.size,
        })
        .collect())
}

/// `store.runRoot` of what `info` prints.
fn parse_run_root(output: &str) -> Result<std::path::PathBuf, String> {
    let info: serde_json::Value = serde_json::from_str(output).map_err(|e| e.to_string())?;
    info["store"]["runRoot"]
        .as_str()
        .filter(|root| !root.is_empty())
        .map(std::path::PathBuf::from)
        .ok_or_else(|| "it names no store.runRoot".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing() {
        let output = r#"[{"Id": "f101", "ParentId": "", "RepoTags": null,
            "Size": 1989947, "Names": ["localhost/foo:1.0"], "Digest": "sha256:e3"},
            {"Id": "0a0b", "Size": 5}]"#;
        assert_eq!(
            parse_images(output).unwrap(),
            [
                LocalImage {
                    id: "f101".into(),
                    names: vec!["localhost/foo:1.0".into()],
                    size: 1989947,
                },
                LocalImage {
                    id: "0a0b".into(),
                    names: vec![],
                    size: 5,
                },
            ]
        );
    }
}
