use std::path::PathBuf;

use crate::cli::UpdateArgs;
use crate::cli::error::{Error, Outcome};
use crate::config::Config;
use crate::label::select::Selection;
use crate::label::{TagSuffix, is_valid_tag};
use crate::run::workspace::{UnknownDependencies, Workspace};
use crate::terminal::interrupt;
use crate::tree::ImageId;
use crate::tree::author::author;
use crate::tree::changelog::{self, Entry};
use crate::tree::replace_all::replace_all;
use crate::tree::version_bump::bump;

/// One changelog to rewrite.
struct Change {
    path: PathBuf,
    name: String,
    old_version: String,
    new_version: String,
    text: String,
}

/// Adds a changelog entry to every image named NAME and to every image built on it, directly
/// or not. Every changelog is read and checked before any is written, and each is replaced
/// atomically: on any problem nothing changes.
pub fn update(config: &Config, args: &UpdateArgs) -> Result<Outcome, Error> {
    println!("== Step 0: scanning {} ==", args.directory.display());
    let workspace = Workspace::load(
        config,
        &args.directory,
        &TagSuffix::None,
        UnknownDependencies::Refuse,
    )?;
    let selection = Selection::new(Some(&args.name))?;
    let roots: Vec<ImageId> = workspace
        .tree
        .iter()
        .filter(|(_, image)| selection.matches(image.name()))
        .map(|(id, _)| id)
        .collect();
    if roots.is_empty() {
        return Err(Error::NoSuchImage(args.name.clone()));
    }
    let affected = workspace.graph.with_dependents(roots.iter().copied());
    println!("Will update the following images: ");
    for &image in &affected {
        println!("* {}", workspace.tree.get(image).label.name);
    }
    let date = chrono::Local::now()
        .format("%a, %e %b %Y %H:%M:%S %z")
        .to_string();
    let author = author(&config.fallback_author, &config.fallback_email);
    let dependent_reason = format!(
        "Refresh for update in parent image {}:\n{}",
        args.name, args.reason
    );
    let changes = affected
        .iter()
        .map(|&image| {
            let (reason, version) = if roots.contains(&image) {
                (args.reason.as_str(), args.version.as_deref())
            } else {
                (dependent_reason.as_str(), None)
            };
            plan(&workspace, image, config, reason, version, &author, &date)
        })
        .collect::<Result<Vec<_>, Error>>()?;
    if let Some(signal) = interrupt::received() {
        println!(
            "Interrupted by {}: no changelog was changed.",
            interrupt::name(signal)
        );
        return Ok(Outcome::Interrupted { signal });
    }
    println!("== Step 1: adding updates ==");
    write_all(&changes)?;
    for change in &changes {
        println!(
            "* {}: {} -> {}",
            change.name, change.old_version, change.new_version
        );
    }
    Ok(Outcome::Success)
}

/// The new text of one changelog, read afresh and checked.
fn plan(
    workspace: &Workspace,
    id: ImageId,
    config: &Config,
    reason: &str,
    version: Option<&str>,
    author: &str,
    date: &str,
) -> Result<Change, Error> {
    let image = workspace.tree.get(id);
    let path = image.definition.changelog_path();
    let problem = |message: String| Error::Update {
        path: path.clone(),
        message,
    };
    let old = std::fs::read_to_string(&path).map_err(|e| problem(e.to_string()))?;
    let heading = changelog::newest_heading(&old).map_err(|e| problem(e.to_string()))?;
    let new_version = match version {
        Some(v) => v.to_owned(),
        None => bump(&heading.version, &config.update_id).map_err(|e| problem(e.to_string()))?,
    };
    check_version(&new_version).map_err(problem)?;
    let entry = Entry {
        package: image.name(),
        version: &new_version,
        distribution: &config.distribution,
        reason,
        author,
        date,
    };
    Ok(Change {
        text: changelog::prepend(&old, &entry),
        path,
        name: image.name().to_owned(),
        old_version: heading.version,
        new_version,
    })
}

fn check_version(version: &str) -> Result<(), String> {
    if let Err(e) = version.parse::<debversion::Version>() {
        return Err(format!("`{version}` is not a valid Debian version: {e}"));
    }
    if !is_valid_tag(version) {
        return Err(format!("`{version}` is not a valid image tag"));
    }
    Ok(())
}

/// Replaces every changelog, all or none.
fn write_all(changes: &[Change]) -> Result<(), Error> {
    let files: Vec<(PathBuf, String)> = changes
        .iter()
        .map(|change| (change.path.clone(), change.text.clone()))
        .collect();
    replace_all(&files).map_err(|e| Error::Update {
        path: e.path,
        message: e.source.to_string(),
    })
}
