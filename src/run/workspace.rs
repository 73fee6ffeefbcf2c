//! A tree of image definitions as every command starts from it: scanned, labelled, and planned
//! into its dependency graph.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::label::TagSuffix;
use crate::label::platform::{Platform, PlatformError};
use crate::label::select::Selection;
use crate::run::graph::{DependencyGraph, GraphError};
use crate::template::implied::TemplateNames;
use crate::tree::confinement::Confinement;
use crate::tree::definition::CONTROL_FILE;
use crate::tree::scan::{ScanError, scan};
use crate::tree::{ImageId, ImageMap, ImageTree, TreeError};

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

/// What the dependency problems of a tree (an unknown `Depends:` entry, an image a template
/// names without a `Depends:` entry) mean to a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownDependencies {
    /// Warnings: building and rendering go on, an unknown entry making no edge.
    Warn,
    /// Nothing said here: the command lints the tree, which says the same and more.
    Lint,
    /// An unknown entry is an error: `update` would miss the images built on the one named;
    /// an image named through `image_tag` only is a warning.
    Refuse,
}

/// What becomes of an unknown `Depends:` entry where it is only a warning.
pub const IGNORED: &str = "ignoring that dependency";

/// A dependency problem of one image, found when the tree is loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DependencyProblem {
    pub image: ImageId,
    /// The file to change: the image's control file.
    pub file: PathBuf,
    pub message: String,
}

impl fmt::Display for DependencyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.message)
    }
}

/// The scanned tree of images and its dependency graph.
pub struct Workspace {
    /// Where the files of the tree may lead: the build contexts keep to it too.
    pub confinement: Confinement,
    pub tree: ImageTree,
    pub graph: DependencyGraph,
    /// What each template names through `image_tag`.
    pub template_names: TemplateNames,
}

impl Workspace {
    /// Scans `directory`, labels every image with `suffix` and plans the graph.
    pub fn load(
        config: &Config,
        directory: &Path,
        suffix: &TagSuffix,
        unknown: UnknownDependencies,
    ) -> Result<Workspace, WorkspaceError> {
        let confinement = Confinement::new(directory, &config.allow_links_outside);
        let definitions = scan(directory, &confinement)?;
        let tree = ImageTree::new(definitions, &config.repository, suffix)
            .map_err(WorkspaceError::Tree)?;
        let template_names = TemplateNames::discover(config, &tree);
        let graph =
            DependencyGraph::with_implied(&tree, &config.base_images, &template_names.images)?;
        let workspace = Workspace {
            confinement,
            tree,
            graph,
            template_names,
        };
        match unknown {
            UnknownDependencies::Warn => {
                for problem in workspace.unknown_dependencies() {
                    log::warn!("{problem}; {IGNORED}");
                }
                for problem in workspace.undeclared_dependencies() {
                    log::warn!("{problem}");
                }
            }
            UnknownDependencies::Lint => {}
            UnknownDependencies::Refuse => {
                for problem in workspace.undeclared_dependencies() {
                    log::warn!("{problem}");
                }
                let problems: Vec<String> = workspace
                    .unknown_dependencies()
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                if !problems.is_empty() {
                    return Err(WorkspaceError::UnknownDependencies(problems));
                }
            }
        }
        Ok(workspace)
    }

    /// The images whose label `selection` matches, each after its dependencies.
    pub fn selected(&self, selection: &Selection) -> Vec<ImageId> {
        self.graph
            .order()
            .iter()
            .copied()
            .filter(|&i| self.is_selected(i, selection))
            .collect()
    }

    /// Whether `selection` matches the label of `image`.
    pub fn is_selected(&self, image: ImageId, selection: &Selection) -> bool {
        selection.matches(&self.tree.get(image).label.to_string())
    }

    /// Each `Depends:` entry that names neither an image of the tree nor a base image, with
    /// the closest name that does.
    pub fn unknown_dependencies(&self) -> Vec<DependencyProblem> {
        self.graph
            .unknown()
            .iter()
            .map(|unknown| {
                let image = self.tree.get(unknown.image);
                let guess = closest(&unknown.name, self.known_names())
                    .map(|name| format!(" (did you mean {name}?)"))
                    .unwrap_or_default();
                DependencyProblem {
                    image: unknown.image,
                    file: image.definition.dir.join(CONTROL_FILE),
                    message: format!(
                        "image {} depends on {}, which is neither an image of the tree nor a \
                         base image{guess}",
                        image.name(),
                        unknown.name
                    ),
                }
            })
            .collect()
    }

    /// Each image of the tree that a template names through `image_tag` without a
    /// `Depends:` entry: it is a dependency all the same, and the control file should say so.
    pub fn undeclared_dependencies(&self) -> Vec<DependencyProblem> {
        let mut problems = Vec::new();
        for &id in self.graph.order() {
            let undeclared = self.graph.undeclared(id);
            if undeclared.is_empty() {
                continue;
            }
            let image = self.tree.get(id);
            let named: Vec<&str> = undeclared
                .iter()
                .map(|&d| self.tree.get(d).name())
                .collect();
            let mut depends: Vec<&str> = image
                .definition
                .depends
                .iter()
                .map(String::as_str)
                .collect();
            depends.extend(&named);
            let change = if image.definition.depends.is_empty() {
                "add the line"
            } else {
                "make its Depends line"
            };
            problems.push(DependencyProblem {
                image: id,
                file: image.definition.dir.join(CONTROL_FILE),
                message: format!(
                    "image {} is built on {}, which its template names through image_tag but \
                     this file does not list (it is built after it all the same): {change} \
                     `Depends: {}`",
                    image.name(),
                    named.join(", "),
                    depends.join(", "),
                ),
            });
        }
        problems
    }

    /// The names a `Depends:` entry may use: the images' and the base images'.
    fn known_names(&self) -> impl Iterator<Item = &str> {
        let images = self.tree.images().values().map(|image| image.name());
        images.chain(self.graph.base_names())
    }
}

/// The name of `candidates` closest to `name`, if one is close enough to be a typo.
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|candidate| (strsim::damerau_levenshtein(name, candidate), candidate))
        .filter(|&(distance, candidate)| distance <= (candidate.len().max(name.len()) / 3).max(1))
        .min()
        .map(|(_, candidate)| candidate)
}

/// A workspace of images named after their folders, version 1.0, each with its dependencies:
/// `[("base", &[]), ("app", &["base"])]`.
#[cfg(test)]
pub fn test_workspace(images: &[(&str, &[&str])]) -> Workspace {
    let tree = crate::tree::test_tree(images);
    let graph = DependencyGraph::new(&tree, &[]).expect("a test graph has no cycle");
    Workspace {
        confinement: Confinement::new(Path::new("."), &[]),
        tree,
        graph,
        template_names: TemplateNames::default(),
    }
}

/// The platforms each image is built for: those of the run, narrowed by the image's own
/// `platforms` file and by the platforms of the tree images it is built on (an image cannot be
/// built for a platform its parent lacks).
pub fn image_platforms(
    configured: &[Platform],
    tree: &ImageTree,
    graph: &DependencyGraph,
) -> Result<ImageMap<Vec<Platform>>, PlatformError> {
    let mut platforms: ImageMap<Vec<Platform>> = ImageMap::filled(tree.len(), Vec::new());
    for &image in graph.order() {
        let own = tree.get(image).definition.platforms.as_deref();
        let chosen: Vec<Platform> = configured
            .iter()
            .filter(|p| own.is_none_or(|own| own.contains(p)))
            .filter(|p| {
                graph
                    .dependencies(image)
                    .iter()
                    .all(|&parent| platforms[parent].contains(p))
            })
            .cloned()
            .collect();
        if chosen.is_empty() {
            let configured: Vec<String> = configured.iter().map(ToString::to_string).collect();
            return Err(PlatformError::NoPlatform {
                image: tree.get(image).name().to_owned(),
                configured: configured.join(", "),
            });
        }
        platforms[image] = chosen;
    }
    Ok(platforms)
}

/// The platforms of each image by its label (`NAME:TAG`): what its published list must hold.
pub fn platforms_by_label(
    tree: &ImageTree,
    platforms: &ImageMap<Vec<Platform>>,
) -> HashMap<String, Vec<Platform>> {
    let images = tree.images().values().zip(platforms.values());
    images
        .map(|(image, platforms)| (image.label.to_string(), platforms.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::label::Repository;
    use crate::tree::test_tree;

    #[test]
    fn images_are_built_for_what_they_and_their_parents_allow() {
        let amd64: Platform = "linux/amd64".parse().unwrap();
        let arm64: Platform = "linux/arm64".parse().unwrap();
        let configured = [amd64.clone(), arm64.clone()];
        let tree = test_tree(&[("base", &[]), ("app", &["base"]), ("tool", &[])]);
        let graph = DependencyGraph::new(&tree, &[]).unwrap();
        let all = image_platforms(&configured, &tree, &graph).unwrap();
        assert!(all.values().all(|p| p == &configured));

        let mut definitions: Vec<_> = tree
            .images()
            .values()
            .map(|i| i.definition.clone())
            .collect();
        definitions[0].platforms = Some(vec![amd64.clone(), "linux/s390x".parse().unwrap()]);
        let tree = ImageTree::new(definitions, &Repository::default(), &TagSuffix::None).unwrap();
        let graph = DependencyGraph::new(&tree, &[]).unwrap();
        let narrowed = image_platforms(&configured, &tree, &graph).unwrap();
        let [base, app, tool] = [0, 1, 2].map(ImageId::nth);
        assert_eq!(narrowed[base], std::slice::from_ref(&amd64));
        assert_eq!(
            narrowed[app],
            std::slice::from_ref(&amd64),
            "app is built on base"
        );
        assert_eq!(narrowed[tool], configured);
        let none = image_platforms(&[arm64], &tree, &graph)
            .unwrap_err()
            .to_string();
        assert!(none.contains("base is built for none"), "{none}");
    }
}
