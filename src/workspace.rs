//! A tree of image definitions as every command starts from it: scanned, labelled, and planned
//! into its dependency graph.

use std::path::Path;

use crate::config::Config;
use crate::graph::{DependencyGraph, GraphError, UnknownDependency};
use crate::label::TagSuffix;
use crate::scan::{ScanError, scan};
use crate::select::Selection;
use crate::tree::{ImageTree, TreeError};

/// Why a tree cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error(transparent)]
    Scan(#[from] ScanError),
    #[error("{} problems in the image definitions", .0.len())]
    Tree(Vec<TreeError>),
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error("{} unknown dependencies", .0.len())]
    UnknownDependencies(Vec<String>),
}

impl WorkspaceError {
    /// One line per problem: a scan or a tree can hold several.
    pub fn lines(&self) -> Vec<String> {
        match self {
            WorkspaceError::Scan(ScanError::Definitions(errors)) => {
                errors.iter().map(ToString::to_string).collect()
            }
            WorkspaceError::Tree(errors) => errors.iter().map(ToString::to_string).collect(),
            WorkspaceError::UnknownDependencies(lines) => lines.clone(),
            other => vec![other.to_string()],
        }
    }
}

/// What a `Depends:` entry naming neither an image of the tree nor a base image means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownDependencies {
    /// A warning, and no edge: building and rendering go on.
    Warn,
    /// An error: `update` would miss the images built on the one named.
    Refuse,
}

/// The scanned tree of images and its dependency graph.
pub struct Workspace {
    pub tree: ImageTree,
    pub graph: DependencyGraph,
}

impl Workspace {
    /// Scans `directory`, labels every image with `suffix` and plans the graph.
    pub fn load(
        config: &Config,
        directory: &Path,
        suffix: &TagSuffix,
        unknown: UnknownDependencies,
    ) -> Result<Workspace, WorkspaceError> {
        let definitions = scan(directory)?;
        let tree = ImageTree::new(definitions, &config.repository, suffix)
            .map_err(WorkspaceError::Tree)?;
        let graph = DependencyGraph::new(&tree, &config.base_images)?;
        let workspace = Workspace { tree, graph };
        let problems = workspace
            .graph
            .unknown()
            .iter()
            .map(|u| workspace.describe(u));
        match unknown {
            UnknownDependencies::Warn => {
                for problem in problems {
                    log::warn!("{problem}; ignoring that dependency");
                }
            }
            UnknownDependencies::Refuse => {
                let problems: Vec<String> = problems.collect();
                if !problems.is_empty() {
                    return Err(WorkspaceError::UnknownDependencies(problems));
                }
            }
        }
        Ok(workspace)
    }

    /// The images whose label `selection` matches, each after its dependencies.
    pub fn selected(&self, selection: &Selection) -> Vec<usize> {
        self.graph
            .order()
            .iter()
            .copied()
            .filter(|&i| self.is_selected(i, selection))
            .collect()
    }

    /// Whether `selection` matches the label of `image`.
    pub fn is_selected(&self, image: usize, selection: &Selection) -> bool {
        selection.matches(&self.tree.get(image).label.to_string())
    }

    /// What an unknown `Depends:` entry means: the image, its folder and the name.
    fn describe(&self, unknown: &UnknownDependency) -> String {
        let image = self.tree.get(unknown.image);
        format!(
            "image {} ({}) depends on {}, which is neither an image of the tree nor a base image",
            image.name(),
            image.definition.dir.display(),
            unknown.name
        )
    }
}

/// A workspace of images named after their folders, version 1.0, each with its dependencies:
/// `[("base", &[]), ("app", &["base"])]`.
#[cfg(test)]
pub fn test_workspace(images: &[(&str, &[&str])]) -> Workspace {
    let tree = crate::tree::test_tree(images);
    let graph = DependencyGraph::new(&tree, &[]).expect("a test graph has no cycle");
    Workspace { tree, graph }
}
