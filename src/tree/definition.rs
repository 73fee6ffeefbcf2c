//! One image definition: a directory holding `Dockerfile.template`, `changelog` and,
//! optionally, `control`.

use std::io;
use std::path::{Path, PathBuf};

use crate::label::platform::{self, PLATFORMS_FILE, Platform};
use crate::tree::changelog::{self, ChangelogError};
use crate::tree::confinement::{Confinement, OutsideLink};
use crate::tree::control::{self, ControlError};
use crate::tree::regular_file::{FileError, regular_file};

pub const TEMPLATE_FILE: &str = "Dockerfile.template";
pub const CHANGELOG_FILE: &str = "changelog";
pub const CONTROL_FILE: &str = "control";

/// What a definition directory says about its image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageDefinition {
    pub dir: PathBuf,
    /// The package name of the changelog's newest entry.
    pub name: String,
    /// The version of the changelog's newest entry, as written.
    pub version: String,
    /// Names of the images this one is built on.
    pub depends: Vec<String>,
    /// The links of its folder that lead out of the tree: the image fails on their account.
    pub outside_links: Vec<OutsideLink>,
    /// The platforms of its `platforms` file, when it has one: the only ones it is built for.
    pub platforms: Option<Vec<Platform>>,
}

#[derive(Debug, thiserror::Error)]
pub enum DefinitionError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("{path}: {source}")]
    Changelog {
        path: PathBuf,
        source: ChangelogError,
    },
    #[error("{path}: {source}")]
    Control { path: PathBuf, source: ControlError },
    #[error("{path}: {message}")]
    Platforms { path: PathBuf, message: String },
    #[error(transparent)]
    File(#[from] FileError),
    #[error(transparent)]
    Outside(#[from] OutsideLink),
}

impl ImageDefinition {
    /// Reads the changelog and the control file of the definition in `dir`, neither of
    /// which may lead out of the tree `confinement` keeps to, and finds the links that do.
    pub fn read(dir: &Path, confinement: &Confinement) -> Result<ImageDefinition, DefinitionError> {
        let changelog_path = dir.join(CHANGELOG_FILE);
        let control_path = dir.join(CONTROL_FILE);
        confinement.check(&changelog_path)?;
        confinement.check(&control_path)?;
        let heading =
            changelog::newest_heading(&read_text(&changelog_path)?).map_err(|source| {
                DefinitionError::Changelog {
                    path: changelog_path,
                    source,
                }
            })?;
        let depends = if regular_file(&control_path)? {
            let text = read_text(&control_path)?;
            control::dependencies(&text).map_err(|source| DefinitionError::Control {
                path: control_path,
                source,
            })?
        } else {
            Vec::new()
        };
        let platforms_path = dir.join(PLATFORMS_FILE);
        let platforms = if regular_file(&platforms_path)? {
            let text = read_text(&platforms_path)?;
            let platforms =
                platform::parse_file(&text).map_err(|message| DefinitionError::Platforms {
                    path: platforms_path,
                    message,
                })?;
            Some(platforms)
        } else {
            None
        };
        Ok(ImageDefinition {
            dir: dir.to_owned(),
            name: heading.package,
            version: heading.version,
            depends,
            outside_links: confinement.outside_links(dir),
            platforms,
        })
    }

    pub fn changelog_path(&self) -> PathBuf {
        self.dir.join(CHANGELOG_FILE)
    }
}

fn read_text(path: &Path) -> Result<String, DefinitionError> {
    std::fs::read_to_string(path).map_err(|source| DefinitionError::Read {
        path: path.to_owned(),
        source,
    })
}
