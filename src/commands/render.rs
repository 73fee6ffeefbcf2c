use std::path::Path;

use rayon::prelude::*;

use crate::cli::RenderArgs;
use crate::cli::error::{Error, Outcome};
use crate::config::Config;
use crate::label::TagSuffix;
use crate::label::select::Selection;
use crate::run::workspace::{UnknownDependencies, Workspace};
use crate::template::Renderer;

/// Renders the Dockerfile of every selected image into `OUT/<name>/Dockerfile`, and writes
/// their labels in a valid build order to `OUT/chain.txt`. An image that fails to render, or
/// whose version is not a valid tag, is reported and the others are still written.
pub fn render(config: &Config, args: &RenderArgs, suffix: &TagSuffix) -> Result<Outcome, Error> {
    let selection = Selection::new(args.select.as_deref())?;
    let workspace = Workspace::load(config, &args.directory, suffix, UnknownDependencies::Lint)?;
    super::lint::warn(config, &workspace);
    let tree = &workspace.tree;
    let chain = workspace.selected(&selection);
    let renderer = Renderer::new(config, tree);
    let failures: Vec<String> = chain
        .par_iter()
        .map(|&index| -> Result<Option<String>, Error> {
            if let Some(defect) = &tree.get(index).defect {
                return Ok(Some(defect.to_string()));
            }
            match renderer.render(index) {
                Ok(dockerfile) => {
                    let dir = args.output.join(tree.get(index).name());
                    write(&dir, "Dockerfile", &dockerfile)?;
                    Ok(None)
                }
                Err(error) => Ok(Some(error.to_string())),
            }
        })
        .collect::<Result<Vec<_>, Error>>()?
        .into_iter()
        .flatten()
        .collect();
    let labels: String = chain
        .iter()
        .map(|&i| format!("{}\n", tree.get(i).label))
        .collect();
    write(&args.output, "chain.txt", &labels)?;
    for failure in &failures {
        log::error!("{failure}");
    }
    println!(
        "Rendered {} of {} images into {}",
        chain.len() - failures.len(),
        chain.len(),
        args.output.display()
    );
    Ok(if failures.is_empty() {
        Outcome::Success
    } else {
        Outcome::ImagesFailed
    })
}

/// Writes `dir/file` unless it already holds `text`: an unchanged Dockerfile keeps its
/// modification time, and rewriting thousands of files in place is slow on some file systems.
/// A folder made just now holds nothing to compare with.
fn write(dir: &Path, file: &str, text: &str) -> Result<(), Error> {
    let path = dir.join(file);
    let error = |source| Error::Write {
        path: path.clone(),
        source,
    };
    let is_new = match std::fs::create_dir(dir) {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => false,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(error)?;
            true
        }
        Err(e) => return Err(error(e)),
    };
    if !is_new && std::fs::read(&path).is_ok_and(|old| old == text.as_bytes()) {
        return Ok(());
    }
    std::fs::write(&path, text).map_err(error)
}
