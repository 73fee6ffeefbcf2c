//! The top-level modules of `src/` depend on each other without cycles, so that each layer
//! (configuration, engine, registry, planning, commands) can be read and changed on its own.
//! Test-only code (`tests.rs` files, the `fakes` module, `#[cfg(test)]` blocks) is left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Graph = BTreeMap<String, BTreeSet<String>>;

/// Test-only modules, which may use anything.
const TEST_ONLY: [&str; 1] = ["fakes"];

#[test]
fn top_level_modules_have_no_cycles() {
    let graph = dependencies(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(graph.contains_key("engine") && graph.contains_key("commands"));
    let cycles = cycles(&graph);
    assert!(
        cycles.is_empty(),
        "import cycles between modules: {cycles:?}"
    );
}

/// Which top-level modules each top-level module uses (`crate::NAME`).
fn dependencies(src: &Path) -> Graph {
    let mut graph = Graph::new();
    for (module, text) in sources(src, src) {
        if TEST_ONLY.contains(&module.as_str()) {
            continue;
        }
        let used = graph.entry(module.clone()).or_default();
        for name in crate_paths(production_part(&text)) {
            if name != module && !TEST_ONLY.contains(&name.as_str()) {
                used.insert(name);
            }
        }
    }
    graph
}

/// Every `.rs` file below `dir` but test files, with the top-level module it belongs to.
fn sources(src: &Path, dir: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            found.extend(sources(src, &path));
            continue;
        }
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if !name.ends_with(".rs") || name == "tests.rs" {
            continue;
        }
        let relative = path.strip_prefix(src).expect("below src");
        let first = relative.components().next().expect("a path below src");
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if module != "lib" && module != "main" {
            let text = std::fs::read_to_string(&path).expect("a readable source");
            found.push((module, text));
        }
    }
    found
}

/// The text before the file's first `#[cfg(test)]`, where unit tests start.
fn production_part(text: &str) -> &str {
    text.split("#[cfg(test)]").next().unwrap_or(text)
}

/// The first path segment after each `crate::`, and the names in `use crate::{a, b::c}`.
fn crate_paths(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            names.extend(group.split(',').map(|part| first_segment(part.trim())));
        } else {
            names.insert(first_segment(rest));
        }
    }
    names.retain(|name| !name.is_empty());
    names
}

fn first_segment(path: &str) -> String {
    path.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// The strongly connected components of more than one module (Tarjan).
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    struct Walk<'a> {
        graph: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, node: &'a str) {
            let n = self.index.len();
            self.index.insert(node, n);
            self.low.insert(node, n);
            self.stack.push(node);
            for next in self.graph.get(node).into_iter().flatten() {
                let next = next.as_str();
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next]);
                    self.low.insert(node, low);
                } else if self.stack.contains(&next) {
                    let low = self.low[node].min(self.index[next]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let at = self.stack.iter().rposition(|&m| m == node).unwrap_or(0);
                let component: Vec<String> = self
                    .stack
                    .split_off(at)
                    .iter()
                    .map(|m| m.to_string())
                    .collect();
                if component.len() > 1 {
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !walk.index.contains_key(node.as_str()) {
            walk.visit(node);
        }
    }
    walk.found
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let graph: Graph = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.into_iter().map(str::to_owned).collect()))
    .collect();
    let found = cycles(&graph);
    assert_eq!(found.len(), 1);
    let mut cycle = found[0].clone();
    cycle.sort();
    assert_eq!(cycle, ["a", "b", "c"]);
    assert_eq!(
        crate_paths("use crate::{a::X, b};\nuse crate::c::Y; crate::d::f()"),
        ["a", "b", "c", "d"].map(str::to_owned).into()
    );
}
