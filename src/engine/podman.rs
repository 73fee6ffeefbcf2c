//! podman: builds with buildah's code and takes its flags, and reports images in its own JSON.

use serde::Deserialize;

use crate::engine::containers_cli::ContainersCli;
use crate::engine::{BuildRequest, Engine, EngineError, EngineKind, LocalImage};
use crate::label::ImageLabel;

/// podman, through its command line (no API service needed).
#[derive(Debug)]
pub struct Podman {
    cli: ContainersCli,
}

impl Podman {
    pub fn new(cli: ContainersCli) -> Podman {
        Podman { cli }
    }
}

impl Engine for Podman {
    fn kind(&self) -> EngineKind {
        EngineKind::Podman
    }

    fn build(
        &self,
        request: &BuildRequest<'_>,
        on_line: &mut dyn FnMut(&str),
    ) -> Result<(), EngineError> {
        self.cli.build(request, on_line)
    }

    fn local_images(&self) -> Result<Vec<LocalImage>, EngineError> {
        let (output, args) = self.cli.list_images(&["--format", "json"])?;
        parse_images(&output).map_err(|message| EngineError::Output {
            command: self.cli.tool.command_line(&args),
            message,
        })
    }

    fn tag(&self, image: &ImageLabel, target: &ImageLabel) -> Result<(), EngineError> {
        self.cli.tag(image, target)
    }

    fn push(&self, image: &ImageLabel) -> Result<(), EngineError> {
        self.cli.push(image)
    }

    fn pull(&self, reference: &str) -> Result<(), EngineError> {
        self.cli.pull(reference)
    }

    fn remove(&self, references: &[String]) -> Result<(), EngineError> {
        self.cli.remove(references)
    }
}

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
