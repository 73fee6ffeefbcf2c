//! One top-level function per command.

mod graph;
mod render;

pub use graph::graph;
pub use render::render;

use std::path::Path;

use crate::config::Config;
use crate::error::Error;
use crate::graph::DependencyGraph;
use crate::label::TagSuffix;
use crate::scan::scan;
use crate::tree::ImageTree;

/// The scanned tree of images and its dependency graph.
pub struct Loaded {
    pub tree: ImageTree,
    pub graph: DependencyGraph,
}

/// Scans `directory`, labels every image and plans the graph.
pub fn load(config: &Config, directory: &Path, suffix: &TagSuffix) -> Result<Loaded, Error> {
    let definitions = scan(directory)?;
    let tree = ImageTree::new(definitions, &config.repository, suffix).map_err(Error::Tree)?;
    let graph = DependencyGraph::new(&tree, &config.base_images)?;
    Ok(Loaded { tree, graph })
}
