//! `docker-pkg graph`: the dependency graph in Graphviz, Mermaid and JSON.

use crate::harness::Test;

fn tree() -> Test {
    Test::new()
        .config("registry: r.example.org\nbase_images: [r.example.org/bookworm:2024]\n")
        .image("base", "base", "1.0", &["bookworm"], "x")
        .image("app", "app", "2.0-1", &["base"], "x")
        .image("lonely", "lonely", "3.0", &[], "x")
}

#[test]
fn dot_by_default() {
    let output = tree().args(["graph", "images"]).run().success();
    assert_eq!(
        output.stdout,
        "digraph images {\n  rankdir=LR;\n  \
         \"r.example.org/bookworm:2024\" [shape=box, style=dashed, tooltip=\"base image\"];\n  \
         \"base\" [label=\"r.example.org/base:1.0\"];\n  \
         \"app\" [label=\"r.example.org/app:2.0-1\"];\n  \
         \"lonely\" [label=\"r.example.org/lonely:3.0\"];\n  \
         \"r.example.org/bookworm:2024\" -> \"base\";\n  \
         \"base\" -> \"app\";\n}\n"
    );
}

#[test]
fn mermaid_marks_base_images() {
    let output = tree()
        .args(["graph", "--format", "mermaid", "images"])
        .run()
        .success();
    assert!(
        output.stdout.starts_with("flowchart LR\n"),
        "{}",
        output.stdout
    );
    assert!(
        output
            .stdout
            .contains("  b0[(\"r.example.org/bookworm:2024\")]:::base\n")
    );
    assert!(output.stdout.contains("  b0 --> i"), "{}", output.stdout);
}

#[test]
fn json_lists_images_base_images_and_edges() {
    let output = tree()
        .args(["graph", "--format", "json", "images"])
        .run()
        .success();
    let graph: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    let names: Vec<&str> = graph["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["base", "app", "lonely"]);
    assert_eq!(
        graph["base_images"][0]["label"],
        "r.example.org/bookworm:2024"
    );
    assert_eq!(graph["base_images"][0]["base"], true);
    assert_eq!(
        graph["edges"],
        serde_json::json!([{"from": "bookworm", "to": "base"}, {"from": "base", "to": "app"}])
    );
}
