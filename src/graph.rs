//! The dependency graph of a tree: which image is built on which, a valid build order, and the
//! chains of images to build or update.

use std::collections::{BTreeSet, HashMap};

use crate::tree::ImageTree;

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
    pub image: usize,
    pub name: String,
}

/// Edges between the images of a tree, and to the base images they name.
#[derive(Debug)]
pub struct DependencyGraph {
    dependencies: Vec<Vec<usize>>,
    dependents: Vec<Vec<usize>>,
    /// For each image, the indices (into the configured `base_images`) of the base images it
    /// names in its control file.
    base_dependencies: Vec<Vec<usize>>,
    /// For each image, the dependencies its template names through `image_tag` that its
    /// control file does not list.
    undeclared: Vec<Vec<usize>>,
    /// The names a control file uses for the base images.
    base_names: Vec<String>,
    /// Every image, each after its dependencies; ties keep scan order.
    order: Vec<usize>,
    unknown: Vec<UnknownDependency>,
}

impl DependencyGraph {
    /// Resolves every `Depends:` name. A name that is neither an image of the tree nor one of
    /// `base_images` makes no edge; [`DependencyGraph::unknown`] lists them.
    #[cfg(test)]
    pub fn new(tree: &ImageTree, base_images: &[String]) -> Result<DependencyGraph, GraphError> {
        DependencyGraph::with_implied(tree, base_images, &[])
    }

    /// [`DependencyGraph::new`], with `implied[i]` (the images the template of image `i`
    /// names) as dependencies of image `i` too.
    pub fn with_implied(
        tree: &ImageTree,
        base_images: &[String],
        implied: &[Vec<usize>],
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
        for (index, image) in tree.images().iter().enumerate() {
            let mut images = Vec::new();
            let mut bases = Vec::new();
            for name in &image.definition.depends {
                if let Some(index) = tree.find(name) {
                    images.push(index);
                } else if let Some(&index) = base_by_name.get(name.as_str()) {
                    bases.push(index);
                } else {
                    unknown.push(UnknownDependency {
                        image: index,
                        name: name.clone(),
                    });
                }
            }
            let named = implied.get(index).map_or(&[][..], Vec::as_slice);
            let extra: Vec<usize> = named
                .iter()
                .copied()
                .filter(|named| !images.contains(named))
                .collect();
            images.extend(&extra);
            undeclared.push(extra);
            dependencies.push(images);
            base_dependencies.push(bases);
        }
        let mut dependents = vec![Vec::new(); tree.len()];
        for (image, deps) in dependencies.iter().enumerate() {
            for &dep in deps {
                dependents[dep].push(image);
            }
        }
        let name = |image: usize| tree.get(image).name().to_owned();
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
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    pub fn dependencies(&self, image: usize) -> &[usize] {
        &self.dependencies[image]
    }

    pub fn dependents(&self, image: usize) -> &[usize] {
        &self.dependents[image]
    }

    pub fn base_dependencies(&self, image: usize) -> &[usize] {
        &self.base_dependencies[image]
    }

    /// The names a control file uses for the base images.
    pub fn base_names(&self) -> impl Iterator<Item = &str> {
        self.base_names.iter().map(String::as_str)
    }

    /// The dependencies of `image` that only its template names (through `image_tag`).
    pub fn undeclared(&self, image: usize) -> &[usize] {
        &self.undeclared[image]
    }

    /// `roots` and, recursively, those of their dependencies for which `follow` holds, each
    /// after its dependencies.
    pub fn with_dependencies(
        &self,
        roots: impl IntoIterator<Item = usize>,
        follow: impl Fn(usize) -> bool,
    ) -> Vec<usize> {
        self.reach(roots, |image| self.dependencies(image), follow)
    }

    /// `roots` and every image built on them, directly or not, each after its dependencies.
    pub fn with_dependents(&self, roots: impl IntoIterator<Item = usize>) -> Vec<usize> {
        self.reach(roots, |image| self.dependents(image), |_| true)
    }

    fn reach<'a>(
        &'a self,
        roots: impl IntoIterator<Item = usize>,
        next: impl Fn(usize) -> &'a [usize],
        follow: impl Fn(usize) -> bool,
    ) -> Vec<usize> {
        let mut reached = vec![false; self.order.len()];
        let mut stack: Vec<usize> = roots.into_iter().collect();
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
    dependencies: &[Vec<usize>],
    dependents: &[Vec<usize>],
) -> Result<Vec<usize>, Vec<usize>> {
    let mut waiting: Vec<usize> = dependencies.iter().map(Vec::len).collect();
    let mut ready: BTreeSet<usize> = (0..waiting.len()).filter(|&i| waiting[i] == 0).collect();
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
fn find_cycle(dependencies: &[Vec<usize>], waiting: &[usize]) -> Vec<usize> {
    let start = (0..waiting.len())
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

    fn names(tree: &ImageTree, indices: &[usize]) -> Vec<String> {
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
        assert!(graph.dependencies(0).is_empty());
        assert_eq!(
            graph.unknown(),
            [UnknownDependency {
                image: 0,
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
        let (child, parent) = (0, 1);
        let implied = [vec![parent], vec![], vec![parent]];
        let graph = DependencyGraph::with_implied(&tree, &[], &implied).unwrap();
        assert_eq!(names(&tree, graph.order()), ["parent", "child", "other"]);
        assert_eq!(graph.dependencies(child), [parent]);
        assert_eq!(graph.undeclared(child), [parent]);
        assert!(graph.undeclared(2).is_empty());

        let tree = self::tree(&[("a", &["b"]), ("b", &[])]);
        let err = DependencyGraph::with_implied(&tree, &[], &[vec![], vec![0]]).unwrap_err();
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
