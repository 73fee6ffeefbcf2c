//! Which labels are in local storage, from one listing of it.

use std::collections::HashSet;

use crate::engine::LocalImage;
use crate::label::ImageLabel;
use crate::label::qualified;

/// Every `NAME:TAG` of the local images, spelt as buildah and podman spell them, so that a
/// label is looked up in constant time however large the store.
pub struct LocalNames(HashSet<String>);

impl LocalNames {
    pub fn new(images: &[LocalImage]) -> LocalNames {
        LocalNames(
            images
                .iter()
                .flat_map(|image| &image.names)
                .map(|name| qualified(name).into_owned())
                .collect(),
        )
    }

    pub fn contains(&self, label: &ImageLabel) -> bool {
        self.0.contains(qualified(&label.to_string()).as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_without_a_registry_are_below_localhost() {
        let names = LocalNames::new(&[LocalImage {
            id: "abc".into(),
            names: vec!["localhost/foo:1.0".into(), "127.0.0.1:5000/ns/bar:2".into()],
            size: 1,
        }]);
        assert!(names.contains(&ImageLabel::parse("foo:1.0").unwrap()));
        assert!(names.contains(&ImageLabel::parse("127.0.0.1:5000/ns/bar:2").unwrap()));
        assert!(!names.contains(&ImageLabel::parse("foo:2.0").unwrap()));
    }
}
