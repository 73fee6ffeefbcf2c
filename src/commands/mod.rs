//! One top-level function per command.

mod build;
mod graph;
mod prune;
mod render;
mod update;

pub use build::build;
pub use graph::graph;
pub use prune::prune;
pub use render::render;
pub use update::update;

use std::path::Path;

use crate::config::Config;
use crate::error::Error;
use crate::graph::{DependencyGraph, UnknownDependency};
use crate::label::TagSuffix;
use crate::scan::scan;
use crate::tree::ImageTree;

/// The scanned tree of images and its dependency graph.
pub struct Loaded {
    pub tree: ImageTree,
    pub graph: DependencyGraph,
}

impl Loaded {
    /// What an unknown `Depends:` entry means: the image, its folder and the name.
    pub fn describe_unknown(&self, unknown: &UnknownDependency) -> String {
        let image = self.tree.get(unknown.image);
        format!(
            "image {} ({}) depends on {}, which is neither an image of the tree nor a base image",
            image.name(),
            image.definition.dir.display(),
            unknown.name
        )
    }
}

/// Scans `directory`, labels every image and plans the graph. Unknown dependencies are
/// warned about and ignored.
pub fn load(config: &Config, directory: &Path, suffix: &TagSuffix) -> Result<Loaded, Error> {
    let definitions = scan(directory)?;
    let tree = ImageTree::new(definitions, &config.repository, suffix).map_err(Error::Tree)?;
    let graph = DependencyGraph::new(&tree, &config.base_images)?;
    let loaded = Loaded { tree, graph };
    for unknown in loaded.graph.unknown() {
        log::warn!(
            "{}; ignoring that dependency",
            loaded.describe_unknown(unknown)
        );
    }
    Ok(loaded)
}
