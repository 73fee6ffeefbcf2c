//! Findings about what an image is built on: `Depends:` entries, the images a template names
//! through `image_tag`, and `FROM` lines that name an image of the tree literally.

use std::path::PathBuf;

use super::{Check, Finding, Severity};
use crate::config::Config;
use crate::label::ImageLabel;
use crate::run::graph::base_short_name;
use crate::run::workspace::{DependencyProblem, IGNORED, Workspace};
use crate::tree::ImageId;
use crate::tree::definition::{CONTROL_FILE, TEMPLATE_FILE};

pub fn findings(config: &Config, workspace: &Workspace) -> Vec<Finding> {
    let mut findings = Vec::new();
    let problem = |check, problem: DependencyProblem| {
        Finding::new(Severity::Warning, check, problem.message)
            .file(problem.file)
            .image(workspace.tree.get(problem.image).name())
    };
    for mut unknown in workspace.unknown_dependencies() {
        unknown.message = format!("{}; {IGNORED}", unknown.message);
        findings.push(problem(Check::UnknownDependency, unknown));
    }
    for undeclared in workspace.undeclared_dependencies() {
        findings.push(problem(Check::UndeclaredDependency, undeclared));
    }
    findings.extend(unknown_image_tags(config, workspace));
    findings.extend(literal_froms(workspace));
    findings
}

/// Names `image_tag` cannot resolve (the template fails), and templates failing otherwise.
fn unknown_image_tags(config: &Config, workspace: &Workspace) -> Vec<Finding> {
    let names = &workspace.template_names;
    let template = |image: ImageId| workspace.tree.get(image).definition.dir.join(TEMPLATE_FILE);
    let mut findings: Vec<Finding> = names
        .unknown
        .iter()
        .map(|unknown| {
            let image = workspace.tree.get(unknown.image);
            let message = unknown_name_message(config, workspace, &unknown.name);
            Finding::new(Severity::Error, Check::UnknownImageTag, message)
                .file(template(unknown.image))
                .image(image.name())
        })
        .collect();
    for (image, error) in &names.failures {
        if names.unknown.iter().any(|unknown| unknown.image == *image) {
            continue;
        }
        let message = format!("the template does not render: {error}");
        findings.push(
            Finding::new(Severity::Error, Check::TemplateFails, message)
                .image(workspace.tree.get(*image).name()),
        );
    }
    findings
}

/// Why `name` names no known image, and what to write: 4.0.4 puts every name under the
/// configured registry and namespace, so a base image elsewhere cannot be named at all.
fn unknown_name_message(config: &Config, workspace: &Workspace, name: &str) -> String {
    let full_name = config.repository.image_name(name);
    let base = config
        .base_images
        .iter()
        .find(|base| base_short_name(base) == name);
    if let Some(base) = base {
        let prefix = config.repository.image_name("");
        let prefix = prefix.trim_end_matches('/');
        return format!(
            "`{name}` | image_tag looks for {full_name}, but the base image {name} is {base}: \
             image_tag (as in docker-pkg 4.0.4) resolves only names under `{prefix}`, so write \
             `FROM {base}` instead"
        );
    }
    let known = workspace
        .tree
        .images()
        .values()
        .map(|image| image.name())
        .chain(workspace.graph.base_names());
    let guess = crate::run::workspace::closest(name, known)
        .map(|other| format!("; did you mean {other}?"))
        .unwrap_or_default();
    format!(
        "`{name}` | image_tag names {full_name}, which is neither an image of the tree nor a \
         tagged entry of base_images{guess}"
    )
}

/// `FROM` lines naming an image of the tree by its label, not through `image_tag`, that no
/// dependency covers: the image may be built before the one it starts from, or without
/// pulling it.
fn literal_froms(workspace: &Workspace) -> Vec<Finding> {
    let tree = &workspace.tree;
    let by_name = tree.by_full_name();
    let mut findings = Vec::new();
    for &id in workspace.graph.order() {
        let image = tree.get(id);
        for reference in &workspace.template_names.from_lines[id] {
            let name = ImageLabel::parse(reference).map_or(reference.clone(), |l| l.name);
            let Some(&parent) = by_name.get(name.as_str()) else {
                continue;
            };
            if parent == id || workspace.graph.dependencies(id).contains(&parent) {
                continue;
            }
            let parent = tree.get(parent).name();
            let control: PathBuf = image.definition.dir.join(CONTROL_FILE);
            findings.push(
                Finding::new(
                    Severity::Error,
                    Check::LiteralFrom,
                    format!(
                        "image {} starts FROM {reference}, an image of this tree that its \
                         control file does not list: it may be built before {parent}, and \
                         {parent} is never pulled for it; write `FROM {{{{ \"{parent}\" | \
                         image_tag }}}}` or add {parent} to `Depends:` in {}",
                        image.name(),
                        control.display()
                    ),
                )
                .file(image.definition.dir.join(TEMPLATE_FILE))
                .image(image.name()),
            );
        }
    }
    findings
}
