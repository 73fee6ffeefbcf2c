//! The scanned images of a tree, each with its label, found by name in constant time.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::confinement::OutsideLink;
use crate::definition::ImageDefinition;
use crate::label::{ImageLabel, Repository, TagSuffix, is_valid_tag};

/// One scanned image.
#[derive(Debug, Clone)]
pub struct Image {
    pub definition: ImageDefinition,
    pub label: ImageLabel,
    /// What makes this image fail on its own, the others going on: a version that is not a
    /// valid tag, links that lead out of the tree.
    pub defect: Option<TreeError>,
}

impl Image {
    pub fn name(&self) -> &str {
        &self.definition.name
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum TreeError {
    #[error("two images are named {name}: {} and {}", .first.display(), .second.display())]
    DuplicateName {
        name: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("{}: `{tag}` is not a valid image tag (letters, digits, `_`, `.` and `-`, not starting with `.` or `-`, at most 128)", .changelog.display())]
    InvalidTag { changelog: PathBuf, tag: String },
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    LinksOutside(Vec<OutsideLink>),
}

/// The images of a tree, in scan order.
#[derive(Debug, Default)]
pub struct ImageTree {
    images: Vec<Image>,
    by_name: HashMap<String, usize>,
}

impl ImageTree {
    /// Labels every definition. Duplicate names are all reported, as errors of the tree; a
    /// tag that is not valid is the [`Image::defect`] of its image.
    pub fn new(
        definitions: Vec<ImageDefinition>,
        repository: &Repository,
        suffix: &TagSuffix,
    ) -> Result<ImageTree, Vec<TreeError>> {
        let mut errors = Vec::new();
        let mut tree = ImageTree::default();
        for definition in definitions {
            let tag = suffix.apply(&definition.version);
            let defect = if !is_valid_tag(&tag) {
                Some(TreeError::InvalidTag {
                    changelog: definition.changelog_path(),
                    tag: tag.clone(),
                })
            } else if !definition.outside_links.is_empty() {
                Some(TreeError::LinksOutside(definition.outside_links.clone()))
            } else {
                None
            };
            if let Some(&other) = tree.by_name.get(&definition.name) {
                errors.push(TreeError::DuplicateName {
                    name: definition.name.clone(),
                    first: tree.images[other].definition.dir.clone(),
                    second: definition.dir.clone(),
                });
                continue;
            }
            let label = repository.label(&definition.name, &tag);
            tree.by_name
                .insert(definition.name.clone(), tree.images.len());
            tree.images.push(Image {
                definition,
                label,
                defect,
            });
        }
        if errors.is_empty() {
            Ok(tree)
        } else {
            Err(errors)
        }
    }

    pub fn images(&self) -> &[Image] {
        &self.images
    }

    pub fn len(&self) -> usize {
        self.images.len()
    }

    /// The index of the image whose changelog names it `name`.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// Each image's index by its full name (registry, namespace and name), as a template
    /// or a `FROM` line names it.
    pub fn by_full_name(&self) -> HashMap<&str, usize> {
        self.images
            .iter()
            .enumerate()
            .map(|(index, image)| (image.label.name.as_str(), index))
            .collect()
    }

    pub fn get(&self, index: usize) -> &Image {
        &self.images[index]
    }
}

/// A tree of images named after their folders, version 1.0, each with its dependencies:
/// `[("app", &["base"]), ("base", &[])]`.
#[cfg(test)]
pub fn test_tree(images: &[(&str, &[&str])]) -> ImageTree {
    let definitions = images
        .iter()
        .map(|(name, deps)| ImageDefinition {
            dir: name.into(),
            name: name.to_string(),
            version: "1.0".into(),
            depends: deps.iter().map(|d| d.to_string()).collect(),
            outside_links: vec![],
            platforms: None,
        })
        .collect();
    ImageTree::new(definitions, &Repository::default(), &TagSuffix::None)
        .expect("a test tree is valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn definition(dir: &str, name: &str, version: &str) -> ImageDefinition {
        ImageDefinition {
            dir: dir.into(),
            name: name.into(),
            version: version.into(),
            depends: vec![],
            outside_links: vec![],
            platforms: None,
        }
    }

    #[test]
    fn labels_and_lookup() {
        let repository = Repository {
            registry: "127.0.0.1:5000".into(),
            namespace: "ns".into(),
        };
        let suffix = TagSuffix::Nightly("20261126".into());
        let tree = ImageTree::new(
            vec![
                definition("a", "foo", "1.0"),
                definition("b", "bar", "2.0-1"),
            ],
            &repository,
            &suffix,
        )
        .unwrap();
        let bar = tree.get(tree.find("bar").unwrap());
        assert_eq!(
            bar.label.to_string(),
            "127.0.0.1:5000/ns/bar:2.0-1-20261126"
        );
        assert_eq!(tree.find("baz"), None);
    }

    #[test]
    fn duplicates_are_all_reported() {
        let errors = ImageTree::new(
            vec![
                definition("a", "foo", "1.0"),
                definition("b", "foo", "1.1"),
                definition("c", "bar", "1.0"),
                definition("d", "bar", "1.1"),
            ],
            &Repository::default(),
            &TagSuffix::None,
        )
        .unwrap_err();
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            [
                "two images are named foo: a and b",
                "two images are named bar: c and d"
            ]
        );
    }

    #[test]
    fn a_bad_tag_is_a_defect_of_its_image_alone() {
        let tree = ImageTree::new(
            vec![
                definition("a", "foo", "1.0"),
                definition("c", "bar", "1:1.0"),
            ],
            &Repository::default(),
            &TagSuffix::None,
        )
        .unwrap();
        assert!(tree.get(0).defect.is_none());
        let defect = tree.get(1).defect.as_ref().unwrap().to_string();
        assert!(defect.starts_with("c/changelog: `1:1.0` is not a valid image tag"));
    }

    #[test]
    fn links_out_of_the_tree_are_a_defect_of_their_image_alone() {
        let outside = |name: &str| OutsideLink {
            link: PathBuf::from(format!("c/{name}")),
            target: PathBuf::from("/etc/hostname"),
            root: PathBuf::from("/srv/tree"),
        };
        let mut linking = definition("c", "bar", "1.0");
        linking.outside_links = vec![outside("one"), outside("two")];
        let tree = ImageTree::new(
            vec![definition("a", "foo", "1.0"), linking],
            &Repository::default(),
            &TagSuffix::None,
        )
        .unwrap();
        assert!(tree.get(0).defect.is_none());
        let defect = tree.get(1).defect.as_ref().unwrap().to_string();
        assert!(
            defect.starts_with("c/one is a link to /etc/hostname, outside the tree /srv/tree"),
            "{defect}"
        );
        assert!(defect.contains("; c/two is a link to"), "{defect}");
    }
}
