//! What in a tree breaks builds later, found before anything runs: dependencies that the
//! templates imply or that name nothing, `FROM` lines that bypass the dependency graph, test
//! scripts that cannot run, changelogs Debian's tools refuse, cycles.

pub(crate) mod command;

pub(crate) use command::warn;
mod changelog_entry;
mod dependencies;
mod finding;
mod test_script;

pub use finding::{Check, Finding, Severity};

use crate::config::Config;
use crate::run::workspace::{Workspace, WorkspaceError};
use crate::tree::confinement::OutsideLink;
use crate::tree::definition::DefinitionError;
use crate::tree::scan::ScanError;

/// Every finding of a loaded tree, image by image in build order.
pub fn lint(config: &Config, workspace: &Workspace) -> Vec<Finding> {
    let mut findings = dependencies::findings(config, workspace);
    for &index in workspace.graph.order() {
        let image = workspace.tree.get(index);
        findings.extend(image.definition.outside_links.iter().map(|outside| {
            Finding::new(Severity::Error, Check::LinkOutside, link(outside))
                .file(outside.link.clone())
                .image(image.name())
        }));
        findings.extend(test_script::finding(config, image));
        findings.extend(changelog_entry::finding(image));
    }
    findings
}

/// The findings a tree that cannot be loaded gives, when its problems are of the tree's
/// files; `None` for an error of another kind (a directory that does not exist).
pub fn load_findings(error: &WorkspaceError) -> Option<Vec<Finding>> {
    let finding = |message: String| Finding::new(Severity::Error, Check::Definition, message);
    let findings = match error {
        WorkspaceError::Scan(ScanError::Definitions(errors)) => {
            errors.iter().map(definition_finding).collect()
        }
        WorkspaceError::Tree(errors) => errors.iter().map(|e| finding(e.to_string())).collect(),
        WorkspaceError::Graph(cycle) => vec![Finding::new(
            Severity::Error,
            Check::Cycle,
            cycle.to_string(),
        )],
        _ => return None,
    };
    Some(findings)
}

/// What a finding says of a link that leads out of the tree, after the link itself.
fn link(outside: &OutsideLink) -> String {
    format!(
        "a link to {}, outside the tree {}: the build refuses it (add the folder to \
         allow_links_outside to allow it)",
        outside.target.display(),
        outside.root.display()
    )
}

fn definition_finding(error: &DefinitionError) -> Finding {
    let (file, check, message) = match error {
        DefinitionError::Changelog { path, source } => (path, Check::Changelog, source.to_string()),
        DefinitionError::Control { path, source } => (path, Check::Definition, source.to_string()),
        DefinitionError::Platforms { path, message } => (path, Check::Definition, message.clone()),
        DefinitionError::File(error) => (&error.path, Check::Definition, error.problem.clone()),
        DefinitionError::Outside(outside) => (&outside.link, Check::LinkOutside, link(outside)),
        DefinitionError::Read { path, source } => {
            (path, Check::Definition, format!("cannot read it: {source}"))
        }
    };
    Finding::new(Severity::Error, check, message).file(file.clone())
}
