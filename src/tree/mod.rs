//! The tree of image definitions: `scan` finds each `definition` (its `changelog`,
//! `control` file, `dockerignore`), reading `regular_file`s that `confinement` keeps
//! inside the tree; `provenance` is what a built image will say of itself; `author`,
//! `version_bump` and `replace_all` serve `update`.
//!
//! The scanned images of a tree, each with its label, found by name in constant time.

pub(crate) mod author;
pub(crate) mod changelog;
pub(crate) mod confinement;
pub(crate) mod control;
pub(crate) mod definition;
pub(crate) mod dockerignore;
pub(crate) mod provenance;
pub(crate) mod regular_file;
pub(crate) mod replace_all;
pub(crate) mod scan;
pub(crate) mod version_bump;

use std::collections::HashMap;
use std::ops::{Index, IndexMut};
use std::path::PathBuf;

use crate::label::{ImageLabel, Repository, TagSuffix, is_valid_tag};
use crate::tree::confinement::OutsideLink;
use crate::tree::definition::ImageDefinition;

/// An image of the tree: its place in scan order. Only the tree and the maps over its images
/// make one, so an image is never taken for a count or a position in some other list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ImageId(usize);

/// Its place in scan order, for what names images by number (the nodes of a graph drawing).
impl std::fmt::Display for ImageId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
impl ImageId {
    /// The `n`th image scanned, for tests that know their tree.
    pub const fn nth(n: usize) -> ImageId {
        ImageId(n)
    }
}

/// One value for each image of a tree, found by [`ImageId`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageMap<T>(Vec<T>);

impl<T> ImageMap<T> {
    /// `value(image)` for each of `images` images.
    pub fn from_fn(images: usize, value: impl FnMut(ImageId) -> T) -> ImageMap<T> {
        ImageMap((0..images).map(ImageId).map(value).collect())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn ids(&self) -> impl DoubleEndedIterator<Item = ImageId> + use<T> {
        (0..self.0.len()).map(ImageId)
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (ImageId, &T)> {
        self.0
            .iter()
            .enumerate()
            .map(|(i, value)| (ImageId(i), value))
    }

    /// Each image with its value, taking the values.
    pub fn into_entries(self) -> impl DoubleEndedIterator<Item = (ImageId, T)> {
        self.0
            .into_iter()
            .enumerate()
            .map(|(i, value)| (ImageId(i), value))
    }

    pub fn values(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }

    pub fn get(&self, image: ImageId) -> Option<&T> {
        self.0.get(image.0)
    }
}

impl<T: Clone> ImageMap<T> {
    /// `value` for each of `images` images.
    pub fn filled(images: usize, value: T) -> ImageMap<T> {
        ImageMap(vec![value; images])
    }
}

impl<T> Default for ImageMap<T> {
    fn default() -> ImageMap<T> {
        ImageMap(Vec::new())
    }
}

impl<T> Index<ImageId> for ImageMap<T> {
    type Output = T;

    fn index(&self, image: ImageId) -> &T {
        &self.0[image.0]
    }
}

impl<T> IndexMut<ImageId> for ImageMap<T> {
    fn index_mut(&mut self, image: ImageId) -> &mut T {
        &mut self.0[image.0]
    }
}

/// The values of the images in scan order: the first is the first image's.
impl<T> FromIterator<T> for ImageMap<T> {
    fn from_iter<I: IntoIterator<Item = T>>(values: I) -> ImageMap<T> {
        ImageMap(values.into_iter().collect())
    }
}

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
    images: ImageMap<Image>,
    by_name: HashMap<String, ImageId>,
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
                .insert(definition.name.clone(), ImageId(tree.images.len()));
            tree.images.0.push(Image {
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

    /// The images, in scan order.
    pub fn images(&self) -> &ImageMap<Image> {
        &self.images
    }

    /// Each image with its id, in scan order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (ImageId, &Image)> {
        self.images.iter()
    }

    /// Every image, in scan order.
    pub fn ids(&self) -> impl DoubleEndedIterator<Item = ImageId> + use<> {
        self.images.ids()
    }

    pub fn len(&self) -> usize {
        self.images.len()
    }

    /// The image whose changelog names it `name`.
    pub fn find(&self, name: &str) -> Option<ImageId> {
        self.by_name.get(name).copied()
    }

    /// Each image by its full name (registry, namespace and name), as a template or a `FROM`
    /// line names it.
    pub fn by_full_name(&self) -> HashMap<&str, ImageId> {
        self.iter()
            .map(|(id, image)| (image.label.name.as_str(), id))
            .collect()
    }

    pub fn get(&self, image: ImageId) -> &Image {
        &self.images[image]
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
        assert!(tree.get(ImageId::nth(0)).defect.is_none());
        let defect = tree
            .get(ImageId::nth(1))
            .defect
            .as_ref()
            .unwrap()
            .to_string();
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
        assert!(tree.get(ImageId::nth(0)).defect.is_none());
        let defect = tree
            .get(ImageId::nth(1))
            .defect
            .as_ref()
            .unwrap()
            .to_string();
        assert!(
            defect.starts_with("c/one is a link to /etc/hostname, outside the tree /srv/tree"),
            "{defect}"
        );
        assert!(defect.contains("; c/two is a link to"), "{defect}");
    }
}
