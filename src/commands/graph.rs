use std::fmt::Write;

use serde::Serialize;

use crate::cli::error::{Error, Outcome};
use crate::cli::{GraphArgs, GraphFormat};
use crate::config::Config;
use crate::label::TagSuffix;
use crate::run::workspace::{UnknownDependencies, Workspace};
use crate::tree::ImageId;

/// Prints the dependency graph: every image with its label, the configured base images
/// (marked as such), and an edge from each dependency to each image built on it.
pub fn graph(config: &Config, args: &GraphArgs) -> Result<Outcome, Error> {
    let workspace = Workspace::load(
        config,
        &args.directory,
        &TagSuffix::None,
        UnknownDependencies::Warn,
    )?;
    let text = match args.format {
        GraphFormat::Dot => dot(&workspace, &config.base_images),
        GraphFormat::Mermaid => mermaid(&workspace, &config.base_images),
        GraphFormat::Json => json(&workspace, &config.base_images),
    };
    print!("{text}");
    Ok(Outcome::Success)
}

/// An end of an edge from a dependency to an image built on it: an image of the tree or a
/// base image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    Image(ImageId),
    /// An index into the configured `base_images`.
    Base(usize),
}

fn edges(workspace: &Workspace) -> Vec<(Node, Node)> {
    let mut edges = Vec::new();
    for &image in workspace.graph.order() {
        let bases = workspace.graph.base_dependencies(image).iter();
        edges.extend(bases.map(|&b| (Node::Base(b), Node::Image(image))));
        let deps = workspace.graph.dependencies(image).iter();
        edges.extend(deps.map(|&d| (Node::Image(d), Node::Image(image))));
    }
    edges
}

fn node_id(node: Node) -> String {
    match node {
        Node::Image(i) => format!("i{i}"),
        Node::Base(b) => format!("b{b}"),
    }
}

/// Graphviz: images by name, base images by label and drawn dashed.
fn dot(workspace: &Workspace, base_images: &[String]) -> String {
    let dot_id = |node: Node| match node {
        Node::Image(i) => format!("{:?}", workspace.tree.get(i).name()),
        Node::Base(b) => format!("{:?}", base_images[b]),
    };
    let mut out = String::from("digraph images {\n  rankdir=LR;\n");
    for index in 0..base_images.len() {
        let id = dot_id(Node::Base(index));
        let _ = writeln!(
            out,
            "  {id} [shape=box, style=dashed, tooltip=\"base image\"];"
        );
    }
    for &image in workspace.graph.order() {
        let label = workspace.tree.get(image).label.to_string();
        let _ = writeln!(out, "  {} [label={label:?}];", dot_id(Node::Image(image)));
    }
    for (from, to) in edges(workspace) {
        let _ = writeln!(out, "  {} -> {};", dot_id(from), dot_id(to));
    }
    out.push_str("}\n");
    out
}

fn mermaid(workspace: &Workspace, base_images: &[String]) -> String {
    let mut out = String::from("flowchart LR\n");
    for (index, label) in base_images.iter().enumerate() {
        let _ = writeln!(out, "  b{index}[(\"{}\")]:::base", mermaid_text(label));
    }
    for &image in workspace.graph.order() {
        let label = workspace.tree.get(image).label.to_string();
        let _ = writeln!(out, "  i{image}[\"{}\"]", mermaid_text(&label));
    }
    for (from, to) in edges(workspace) {
        let _ = writeln!(out, "  {} --> {}", node_id(from), node_id(to));
    }
    out.push_str("  classDef base stroke-dasharray: 5 5\n");
    out
}

/// Mermaid labels are quoted; a quote inside is written as its entity.
fn mermaid_text(text: &str) -> String {
    text.replace('"', "#quot;")
}

#[derive(Serialize)]
struct JsonGraph<'a> {
    images: Vec<JsonImage<'a>>,
    base_images: Vec<JsonImage<'a>>,
    edges: Vec<JsonEdge<'a>>,
}

#[derive(Serialize)]
struct JsonImage<'a> {
    name: &'a str,
    label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    directory: Option<String>,
    base: bool,
}

#[derive(Serialize)]
struct JsonEdge<'a> {
    from: &'a str,
    to: &'a str,
}

fn json(workspace: &Workspace, base_images: &[String]) -> String {
    let name = |node: Node| match node {
        Node::Image(i) => workspace.tree.get(i).name(),
        Node::Base(b) => crate::run::graph::base_short_name(&base_images[b]),
    };
    let graph = JsonGraph {
        images: workspace
            .graph
            .order()
            .iter()
            .map(|&i| {
                let image = workspace.tree.get(i);
                JsonImage {
                    name: image.name(),
                    label: image.label.to_string(),
                    directory: Some(image.definition.dir.display().to_string()),
                    base: false,
                }
            })
            .collect(),
        base_images: base_images
            .iter()
            .map(|label| JsonImage {
                name: crate::run::graph::base_short_name(label),
                label: label.clone(),
                directory: None,
                base: true,
            })
            .collect(),
        edges: edges(workspace)
            .into_iter()
            .map(|(from, to)| JsonEdge {
                from: name(from),
                to: name(to),
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&graph).expect("the graph serializes to JSON");
    text.push('\n');
    text
}
