//! The local images of each repository, from one listing of local storage.

use std::collections::HashMap;

use crate::engine::LocalImage;
use crate::label::ImageLabel;
use crate::label::qualified;

/// One local image as one repository knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryImage {
    /// The image id, without `sha256:`.
    pub id: String,
    pub size: u64,
    /// The image's `NAME:TAG` names in the repository, spelt as the tool spells them.
    pub references: Vec<String>,
    /// The same names with `localhost/` in front when they name no registry.
    qualified: Vec<String>,
}

/// The local images by repository name (`REGISTRY/NAMESPACE/NAME`, below `localhost/` when
/// without a registry), so that the images of one name are found without going through the
/// whole store.
#[derive(Debug, Default)]
pub struct LocalRepositories(HashMap<String, Vec<RepositoryImage>>);

impl LocalRepositories {
    pub fn new(images: &[LocalImage]) -> LocalRepositories {
        let mut repositories: HashMap<String, Vec<RepositoryImage>> = HashMap::new();
        for image in images {
            for reference in &image.names {
                // A name pinned by digest is not a tag: it stays as it is.
                let Some(label) = ImageLabel::parse(reference).filter(|l| !l.name.contains('@'))
                else {
                    continue;
                };
                let versions = repositories
                    .entry(qualified(&label.name).into_owned())
                    .or_default();
                let known = versions.last_mut().filter(|last| last.id == image.id);
                let entry = match known {
                    Some(entry) => entry,
                    None => {
                        versions.push(RepositoryImage {
                            id: image.id.clone(),
                            size: image.size,
                            references: Vec::new(),
                            qualified: Vec::new(),
                        });
                        versions.last_mut().expect("just pushed")
                    }
                };
                entry.references.push(reference.clone());
                entry.qualified.push(qualified(reference).into_owned());
            }
        }
        LocalRepositories(repositories)
    }

    /// The local images of `label`'s repository of which none is known as `label`, each with
    /// its names in that repository only.
    pub fn old_versions(&self, label: &ImageLabel) -> Vec<&RepositoryImage> {
        let Some(versions) = self.0.get(qualified(&label.name).as_ref()) else {
            return Vec::new();
        };
        let current = qualified(&label.to_string()).into_owned();
        versions
            .iter()
            .filter(|image| !image.qualified.contains(&current))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(id: &str, names: &[&str]) -> LocalImage {
        LocalImage {
            id: id.into(),
            names: names.iter().map(|n| n.to_string()).collect(),
            size: 10,
        }
    }

    fn old(repositories: &LocalRepositories, label: &str) -> Vec<(String, Vec<String>)> {
        repositories
            .old_versions(&ImageLabel::parse(label).unwrap())
            .into_iter()
            .map(|i| (i.id.clone(), i.references.clone()))
            .collect()
    }

    #[test]
    fn old_versions_keep_every_name_of_the_current_image() {
        let repositories = LocalRepositories::new(&[
            image("a", &["localhost/foo:1.0", "localhost/foo:latest"]),
            image("b", &["localhost/foo:0.9", "localhost/bar:1.0"]),
            image("c", &["localhost/foo:0.8", "localhost/foo:old"]),
            image("d", &[]),
        ]);
        assert_eq!(
            old(&repositories, "foo:1.0"),
            [
                ("b".into(), vec!["localhost/foo:0.9".into()]),
                (
                    "c".into(),
                    vec!["localhost/foo:0.8".into(), "localhost/foo:old".into()]
                ),
            ]
        );
        assert_eq!(old(&repositories, "bar:1.0"), []);
        assert_eq!(old(&repositories, "nothing:1.0"), []);
    }

    #[test]
    fn registries_with_ports_and_names_as_docker_spells_them() {
        let repositories = LocalRepositories::new(&[
            image("a", &["127.0.0.1:5000/ns/foo:1.0", "foo:0.5"]),
            image("b", &["127.0.0.1:5000/ns/foo:0.9"]),
            image("c", &["127.0.0.1:5000/ns/foo@sha256:ab12"]),
        ]);
        assert_eq!(
            old(&repositories, "127.0.0.1:5000/ns/foo:1.0"),
            [("b".into(), vec!["127.0.0.1:5000/ns/foo:0.9".into()])]
        );
        assert_eq!(
            old(&repositories, "localhost/foo:0.6"),
            [("a".into(), vec!["foo:0.5".into()])]
        );
    }
}
