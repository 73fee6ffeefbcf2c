//! The dependency graph of a tree: which image is built on which, a valid build order, and the
//! chains of images to build or update.

use std::collections::{BTreeSet, HashMap};

use crate::tree::{ImageId, ImageMap, ImageTree};

#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error(
        "dependency cycle (each image depends on the next): {}{}",
        .images.join(" -> "),
        .undeclared.iter().map(|(a, b)| format!("; {a} names {b} only through image_tag")).collect::<String>()
    )]
    Cycle {
        images: Vec<String>,
        /// The edges of the cycle that only a template's `image_tag` makes: (image, named).
        undeclared: Vec<(String, String)>,
    },
}

/// A `Depends:` entry that names neither an image of the tree nor a base image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownDependency {
    pub image: ImageId,
    pub name: String,
}

/// Edges between the images of a tree, and to the base images they name.
#[derive(Debug)]
pub struct DependencyGraph {
    dependencies: ImageMap<Vec<ImageId>>,
    dependents: ImageMap<Vec<ImageId>>,
    /// For each image, the indices (into the configured `base_images`) of the base images it
    /// names in its control file.
    base_dependencies: ImageMap<Vec<usize>>,
    /// For each image, the dependencies its template names through `image_tag` that its
    /// control file does not list.
    undeclared: ImageMap<Vec<ImageId>>,
    /// The names a control file uses for the base images.
    base_names: Vec<String>,
    /// Every image, each after its dependencies; ties keep scan order.
    order: Vec<ImageId>,
    unknown: Vec<UnknownDependency>,
}

impl DependencyGraph {
    /// Resolves every `Depends:` name. A name that is neither an image of the tree nor one of
    /// `base_images` makes no edge; [`DependencyGraph::unknown`] lists them.
    #[cfg(test)]
    pub fn new(tree: &ImageTree, base_images: &[String]) -> Result<DependencyGraph, GraphError> {
        DependencyGraph::with_implied(tree, base_images, &ImageMap::default())
    }

    /// [`DependencyGraph::new`], with `implied[image]` (the images the template of `image`
    /// names) as dependencies of `image` too.
    pub fn with_implied(
        tree: &ImageTree,
        base_images: &[String],
        implied: &ImageMap<Vec<ImageId>>,
    ) -> Result<DependencyGraph, GraphError> {
        let base_by_name: HashMap<&str, usize> = base_images
            .iter()
            .enumerate()
            .map(|(index, label)| (base_short_name(label), index))
            .collect();
        let mut dependencies = Vec::with_capacity(tree.len());
        let mut base_dependencies = Vec::with_capacity(tree.len());
        let mut unknown = Vec::new();
        let mut undeclared = Vec::with_capacity(tree.len());
        for (id, image) in tree.iter() {
            let mut images = Vec::new();
            let mut bases = Vec::new();
            for name in &image.definition.depends {
                if let Some(dependency) = tree.find(name) {
                    images.push(dependency);
                } else if let Some(&index) = base_by_name.get(name.as_str()) {
                    bases.push(index);
                } else {
                    unknown.push(UnknownDependency {
                        image: id,
                        name: name.clone(),
                    });
                }
            }
            let named = implied.get(id).map_or(&[][..], Vec::as_slice);
            let extra: Vec<ImageId> = named
                .iter()
                .copied()
                .filter(|named| !images.contains(named))
                .collect();
            images.extend(&extra);
            undeclared.push(extra);
            dependencies.push(images);
            base_dependencies.push(bases);
        }
        let dependencies: ImageMap<_> = dependencies.into_iter().collect();
        let base_dependencies: ImageMap<_> = base_dependencies.into_iter().collect();
        let undeclared: ImageMap<_> = undeclared.into_iter().collect();
        let mut dependents = ImageMap::filled(tree.len(), Vec::new());
        for (image, deps) in dependencies.iter() {
            for &dep in deps {
                dependents[dep].push(image);
            }
        }
        let name = |image: ImageId| tree.get(image).name().to_owned();
        let order =
            topological_order(&dependencies, &dependents).map_err(|cycle| GraphError::Cycle {
                images: cycle.iter().map(|&i| name(i)).collect(),
                undeclared: cycle
                    .windows(2)
                    .filter(|pair| undeclared[pair[0]].contains(&pair[1]))
                    .map(|pair| (name(pair[0]), name(pair[1])))
                    .collect(),
            })?;
        Ok(DependencyGraph {
            dependencies,
            dependents,
            base_dependencies,
            undeclared,
            base_names: base_by_name.into_keys().map(str::to_owned).collect(),
            order,
            unknown,
        })
    }

    /// The `Depends:` entries that name nothing known.
    pub fn unknown(&self) -> &[UnknownDependency] {
        &self.unknown
    }

    /// Every image, each after its dependencies.
    pub fn order(&self) -> &[ImageId] {
        &self.order
    }

    pub fn dependencies(&self, image: ImageId) -> &[ImageId] {
        &self.dependencies[image]
    }

    pub fn dependents(&self, image: ImageId) -> &[ImageId] {
        &self.dependents[image]
    }

    /// The indices (into the configured `base_images`) of the base images `image` names.
    pub fn base_dependencies(&self, image: ImageId) -> &[usize] {
        &self.base_dependencies[image]
    }

    /// The names a control file uses for the base images.
    pub fn base_names(&self) -> impl Iterator<Item = &str> {
        self.base_names.iter().map(String::as_str)
    }

    /// The dependencies of `image` that only its template names (through `image_tag`).
    pub fn undeclared(&self, image: ImageId) -> &[ImageId] {
        &self.undeclared[image]
    }

    /// `roots` and, recursively, those of their dependencies for which `follow` holds, each
    /// after its dependencies.
    pub fn with_dependencies(
        &self,
        roots: impl IntoIterator<Item = ImageId>,
        follow: impl Fn(ImageId) -> bool,
    ) -> Vec<ImageId> {
        self.reach(roots, |image| self.dependencies(image), follow)
    }

    /// `roots` and every image built on them, directly or not, each after its dependencies.
    pub fn with_dependents(&self, roots: impl IntoIterator<Item = ImageId>) -> Vec<ImageId> {
        self.reach(roots, |image| self.dependents(image), |_| true)
    }

    fn reach<'a>(
        &'a self,
        roots: impl IntoIterator<Item = ImageId>,
        next: impl Fn(ImageId) -> &'a [ImageId],
        follow: impl Fn(ImageId) -> bool,
    ) -> Vec<ImageId> {
        let mut reached = ImageMap::filled(self.order.len(), false);
        let mut stack: Vec<ImageId> = roots.into_iter().collect();
        while let Some(image) = stack.pop() {
            if std::mem::replace(&mut reached[image], true) {
                continue;
            }
            stack.extend(next(image).iter().copied().filter(|&n| follow(n)));
        }
        self.order.iter().copied().filter(|&i| reached[i]).collect()
    }
}

/// The name a control file uses for a base image: the last part of its repository name
/// (`docker-registry.example.org/bookworm:20240101` → `bookworm`).
pub fn base_short_name(label: &str) -> &str {
    let repository = match label.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => name,
        _ => label,
    };
    let repository = repository.split('@').next().unwrap_or(repository);
    repository.rsplit('/').next().unwrap_or(repository)
}

/// Kahn's algorithm, taking ready images in index order so the order is stable. On a cycle,
/// returns the images in it, the first repeated at the end.
fn topological_order(
    dependencies: &ImageMap<Vec<ImageId>>,
    dependents: &ImageMap<Vec<ImageId>>,
) -> Result<Vec<ImageId>, Vec<ImageId>> {
    let mut waiting: ImageMap<usize> = dependencies.values().map(Vec::len).collect();
    let mut ready: BTreeSet<ImageId> = waiting.ids().filter(|&i| waiting[i] == 0).collect();
    let mut order = Vec::with_capacity(waiting.len());
    while let Some(image) = ready.pop_first() {
        order.push(image);
        for &dependent in &dependents[image] {
            waiting[dependent] -= 1;
            if waiting[dependent] == 0 {
                ready.insert(dependent);
            }
        }
    }
    if order.len() == waiting.len() {
        return Ok(order);
    }
    Err(find_cycle(dependencies, &waiting))
}

/// Every image still waiting has a dependency that is waiting too: following those leads
/// into a cycle.
fn find_cycle(dependencies: &ImageMap<Vec<ImageId>>, waiting: &ImageMap<usize>) -> Vec<ImageId> {
    let start = waiting
        .ids()
        .find(|&i| waiting[i] > 0)
        .expect("a cycle leaves images waiting");
    let mut seen_at = HashMap::new();
    let mut path = Vec::new();
    let mut image = start;
    while !seen_at.contains_key(&image) {
        seen_at.insert(image, path.len());
        path.push(image);
        image = *dependencies[image]
            .iter()
            .find(|&&d| waiting[d] > 0)
            .expect("a waiting image has a waiting dependency");
    }
    let mut cycle = path.split_off(seen_at[&image]);
    cycle.push(image);
    cycle
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::test_tree as tree;

    fn names(tree: &ImageTree, indices: &[ImageId]) -> Vec<String> {
        indices
            .iter()
            .map(|&i| tree.get(i).name().to_owned())
            .collect()
    }

    #[test]
    fn dependencies_come_first() {
        let tree = tree(&[
            ("app", &["python", "tools"]),
            ("python", &["base"]),
            ("base", &["bookworm"]),
            ("tools", &["base"]),
        ]);
        let graph = DependencyGraph::new(&tree, &["registry.org/bookworm:2024".into()]).unwrap();
        assert_eq!(
            names(&tree, graph.order()),
            ["base", "python", "tools", "app"]
        );
        assert_eq!(graph.base_dependencies(tree.find("base").unwrap()), [0]);
    }

    #[test]
    fn unknown_dependencies_are_ignored() {
        let tree = tree(&[("app", &["nowhere"])]);
        let graph = DependencyGraph::new(&tree, &[]).unwrap();
        assert!(graph.dependencies(ImageId::nth(0)).is_empty());
        assert_eq!(
            graph.unknown(),
            [UnknownDependency {
                image: ImageId::nth(0),
                name: "nowhere".into()
            }]
        );
    }

    #[test]
    fn cycles_name_their_images() {
        let tree = tree(&[("ok", &[]), ("a", &["c"]), ("b", &["a"]), ("c", &["b"])]);
        let err = DependencyGraph::new(&tree, &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "dependency cycle (each image depends on the next): a -> c -> b -> a"
        );
        let tree = self::tree(&[("self", &["self"])]);
        let err = DependencyGraph::new(&tree, &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "dependency cycle (each image depends on the next): self -> self"
        );
    }

    #[test]
    fn implied_dependencies_order_the_tree_and_are_told_apart() {
        let tree = tree(&[("child", &[]), ("parent", &[]), ("other", &["parent"])]);
        let (child, parent, other) = (ImageId::nth(0), ImageId::nth(1), ImageId::nth(2));
        let implied = ImageMap::from_iter([vec![parent], vec![], vec![parent]]);
        let graph = DependencyGraph::with_implied(&tree, &[], &implied).unwrap();
        assert_eq!(names(&tree, graph.order()), ["parent", "child", "other"]);
        assert_eq!(graph.dependencies(child), [parent]);
        assert_eq!(graph.undeclared(child), [parent]);
        assert!(graph.undeclared(other).is_empty());

        let tree = self::tree(&[("a", &["b"]), ("b", &[])]);
        let err = DependencyGraph::with_implied(
            &tree,
            &[],
            &ImageMap::from_iter([vec![], vec![ImageId::nth(0)]]),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "dependency cycle (each image depends on the next): a -> b -> a; b names a only \
             through image_tag"
        );
    }

    #[test]
    fn chains() {
        let tree = tree(&[
            ("base", &[]),
            ("mid", &["base"]),
            ("leaf", &["mid"]),
            ("other", &["base"]),
        ]);
        let graph = DependencyGraph::new(&tree, &[]).unwrap();
        let leaf = tree.find("leaf").unwrap();
        let all = graph.with_dependencies([leaf], |_| true);
        assert_eq!(names(&tree, &all), ["base", "mid", "leaf"]);
        let base = tree.find("base").unwrap();
        let only_missing = graph.with_dependencies([leaf], |i| i != base);
        assert_eq!(names(&tree, &only_missing), ["mid", "leaf"]);
        assert_eq!(
            names(&tree, &graph.with_dependents([base])),
            ["base", "mid", "leaf", "other"]
        );
    }

    #[test]
    fn base_short_names() {
        assert_eq!(
            base_short_name("registry.org/wikimedia/bookworm:2024"),
            "bookworm"
        );
        assert_eq!(base_short_name("127.0.0.1:5000/busybox"), "busybox");
        assert_eq!(base_short_name("debian:bookworm"), "debian");
    }
}
