//! Finding every image definition below a directory, and reading them in parallel.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::tree::confinement::Confinement;
use crate::tree::definition::{CHANGELOG_FILE, DefinitionError, ImageDefinition, TEMPLATE_FILE};
use crate::tree::regular_file::regular_file;

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("{0} is not a directory")]
    NotADirectory(PathBuf),
    #[error("cannot scan {path}: {source}")]
    Walk {
        path: PathBuf,
        source: walkdir::Error,
    },
    #[error("{} image definitions could not be read", .0.len())]
    Definitions(Vec<DefinitionError>),
}

/// Every definition below `root`, in directory order, its links kept to `confinement`.
pub fn scan(root: &Path, confinement: &Confinement) -> Result<Vec<ImageDefinition>, ScanError> {
    let dirs = definition_dirs(root)?;
    let results: Vec<_> = dirs
        .par_iter()
        .map(|dir| ImageDefinition::read(dir, confinement))
        .collect();
    let (definitions, errors): (Vec<_>, Vec<_>) = results.into_iter().partition(Result::is_ok);
    if errors.is_empty() {
        Ok(definitions.into_iter().flatten().collect())
    } else {
        Err(ScanError::Definitions(
            errors.into_iter().filter_map(Result::err).collect(),
        ))
    }
}

/// The directories below `root` that hold both a template and a changelog. A directory with
/// only one of the two is passed over with a warning naming the missing file; a template or
/// changelog that is a link is followed, and one that is not a regular file is an error.
///
/// The files are seen as entries of the walk, so only links cost an extra `stat`.
fn definition_dirs(root: &Path) -> Result<Vec<PathBuf>, ScanError> {
    if !root.is_dir() {
        return Err(ScanError::NotADirectory(root.to_owned()));
    }
    let mut found: BTreeMap<PathBuf, (bool, bool)> = BTreeMap::new();
    let mut problems = Vec::new();
    for entry in WalkDir::new(root).sort_by_file_name() {
        let entry = entry.map_err(|source| ScanError::Walk {
            path: source.path().unwrap_or(root).to_owned(),
            source,
        })?;
        let (Some(dir), Some(file)) = (entry.path().parent(), entry.path().file_name()) else {
            continue;
        };
        let is_template = file == TEMPLATE_FILE;
        if !is_template && file != CHANGELOG_FILE || entry.depth() == 0 {
            continue;
        }
        if !entry.file_type().is_file()
            && let Err(problem) = regular_file(entry.path())
        {
            problems.push(DefinitionError::File(problem));
            continue;
        }
        let (template, changelog) = found.entry(dir.to_owned()).or_default();
        *template |= is_template;
        *changelog |= !is_template;
    }
    if !problems.is_empty() {
        return Err(ScanError::Definitions(problems));
    }
    let mut dirs = Vec::with_capacity(found.len());
    for (dir, files) in found {
        match files {
            (true, true) => dirs.push(dir),
            (false, _) => log::warn!(
                "Ignoring {} since it lacks a {TEMPLATE_FILE}",
                dir.display()
            ),
            (true, false) => log::warn!(
                "Ignoring {} since it lacks a {CHANGELOG_FILE}",
                dir.display()
            ),
        }
    }
    Ok(dirs)
}
