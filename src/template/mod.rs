//! Rendering `Dockerfile.template` files as docker-pkg 4.0.4 does with Jinja2 3.1: the whole
//! configuration as context, undefined names as errors (StrictUndefined), the `do`
//! extension, values printed and computed the Python way, and docker-pkg's filters.
//!
//! This is a Jinja2 of its own rather than a Rust template engine bent towards Jinja2: a
//! rendered Dockerfile must be byte-identical to 4.0.4's, and that takes Python's string
//! literals, integers of any size, float printing, mutable lists, `%` formatting and
//! Jinja2's operator precedence, none of which an existing engine lets one change. The
//! pipeline of a render: [`lexer`] → [`parser`] → [`eval`], over [`value`]s.

mod apt;
mod ast;
mod checks;
pub mod context;
mod docker_pkg;
mod error;
mod escape;
mod eval;
mod filters;
mod format;
mod globals;
mod lexer;
mod limits;
mod literal;
mod lookup;
mod methods;
mod ops;
mod parser;
mod pprint;
pub mod python;
mod python_objects;
mod value;

use std::path::{Component, Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

pub use apt::AptSettings;
pub use docker_pkg::{KnownImages, recording_image_tags, upstream_version};

use crate::config::Config;
use crate::definition::TEMPLATE_FILE;
use crate::tree::{ImageId, ImageMap, ImageTree};
use docker_pkg::DockerFilters;

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("{}{}: {message}", .path.display(), .line.map(|l| format!(":{l}")).unwrap_or_default())]
    Template {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },
    #[error(
        "{}: the last USER instruction is not numeric (`{user_line}`), and force_numeric_user is set",
        .path.display()
    )]
    NonNumericUser { path: PathBuf, user_line: String },
}

/// Renders the templates of one tree.
pub struct Renderer {
    filters: DockerFilters,
    config: crate::yaml::Mapping,
    force_numeric_user: bool,
    dirs: ImageMap<PathBuf>,
}

impl Renderer {
    pub fn new(config: &Config, tree: &ImageTree) -> Renderer {
        let known = KnownImages::new(
            config.repository.clone(),
            tree.images().values().map(|i| &i.label),
            &config.base_images,
        );
        Renderer {
            filters: DockerFilters {
                known,
                apt: apt_settings(config),
            },
            config: config.values.clone(),
            force_numeric_user: config.force_numeric_user,
            dirs: tree
                .images()
                .values()
                .map(|i| i.definition.dir.clone())
                .collect(),
        }
    }

    /// The Dockerfile of `image`, of the tree the renderer was made for.
    ///
    /// Nothing is kept from one render to the next: a tree of thousands of images renders
    /// in the memory of one.
    ///
    /// A template that finds a bug of the engine fails its image only: a panic of the render
    /// becomes that image's error.
    pub fn render(&self, image: ImageId) -> Result<String, RenderError> {
        let dir = &self.dirs[image];
        let loader = |name: &str| load(dir, name);
        caught(dir, || {
            eval::render(
                &loader,
                &self.filters,
                context::variables(&self.config),
                TEMPLATE_FILE,
            )
        })
    }

    /// With `force_numeric_user`, the build refuses a Dockerfile whose last `USER` line does
    /// not name a numeric uid (and gid), as 4.0.4 does when building.
    pub fn check_numeric_user(&self, image: ImageId, dockerfile: &str) -> Result<(), RenderError> {
        if !self.force_numeric_user {
            return Ok(());
        }
        check_numeric_user(dockerfile, &self.dirs[image].join(TEMPLATE_FILE))
    }
}

/// Renders `source` as the template of a lone image (which includes and imports nothing), with
/// the variables of `config` and the images `known` (`name:tag`) for `image_tag`: the engine
/// without a tree, for the tests that feed it generated templates. A panic is not caught.
pub fn render_source(
    source: &str,
    config: &crate::yaml::Mapping,
    known: &[String],
) -> Result<String, RenderError> {
    let filters = DockerFilters {
        known: KnownImages::new(crate::label::Repository::default(), [], known),
        apt: AptSettings {
            proxy: None,
            options: String::new(),
        },
    };
    let loader = |name: &str| Ok((name == TEMPLATE_FILE).then(|| source.to_owned()));
    eval::render(&loader, &filters, context::variables(config), TEMPLATE_FILE)
        .map_err(|e| template_error(Path::new(""), e))
}

/// The outcome of `render`, a render of the image in `dir`, where a panic becomes the
/// image's error.
fn caught(
    dir: &Path,
    render: impl FnOnce() -> Result<String, error::Error>,
) -> Result<String, RenderError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(render)) {
        Ok(result) => result.map_err(|e| template_error(dir, e)),
        Err(panic) => Err(RenderError::Template {
            path: dir.join(TEMPLATE_FILE),
            line: None,
            message: format!(
                "the template engine failed ({}): this is a bug of docker-pkg",
                crate::scheduler::panic_message(panic.as_ref()).replace('\n', " ")
            ),
        }),
    }
}

/// An error that names the template file (an included one where it happened there) and
/// the line, on one line.
fn template_error(dir: &Path, error: error::Error) -> RenderError {
    let (file, line) = match &error.location {
        Some((file, line)) => (file.to_string(), Some(*line)),
        None => (TEMPLATE_FILE.to_owned(), None),
    };
    RenderError::Template {
        path: dir.join(file),
        line,
        message: error.to_string().replace('\n', " "),
    }
}

/// Reads `name` below the image's folder as Jinja2's `FileSystemLoader` does: `/`-separated,
/// `.` and empty parts skipped, `..` refused.
fn load(dir: &Path, name: &str) -> Result<Option<String>, error::Error> {
    let mut path = dir.to_owned();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => return Ok(None),
            part => path.push(part),
        }
    }
    if !path
        .components()
        .all(|c| !matches!(c, Component::ParentDir))
        || !path.is_file()
    {
        return Ok(None);
    }
    std::fs::read_to_string(&path).map(Some).map_err(|e| {
        error::Error::new(
            error::ErrorKind::NotFound,
            format!("cannot read {}: {e}", path.display()),
        )
    })
}

/// The apt stanzas print `apt_only_proxy` and `apt_options` as Python would.
fn apt_settings(config: &Config) -> AptSettings {
    let value = |key: &str| {
        config
            .values
            .get(key)
            .map_or(value::Value::None, context::from_yaml)
    };
    let proxy = value("apt_only_proxy");
    AptSettings {
        proxy: proxy
            .truthy()
            .unwrap_or(false)
            .then(|| python::str(&proxy).unwrap_or_default()),
        options: python::str(&value("apt_options")).unwrap_or_default(),
    }
}

static NUMERIC_USER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^USER\s+\d+(?::\d+)?$").expect("the USER pattern is valid"));

/// The last `USER` line must name a numeric uid (and gid).
fn check_numeric_user(dockerfile: &str, path: &Path) -> Result<(), RenderError> {
    let last_user = dockerfile.split('\n').rfind(|l| l.starts_with("USER "));
    match last_user {
        Some(line) if !NUMERIC_USER.is_match(line) => Err(RenderError::NonNumericUser {
            path: path.to_owned(),
            user_line: line.to_owned(),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_users() {
        let path = Path::new("t");
        assert!(check_numeric_user("FROM x\nUSER 33\n", path).is_ok());
        assert!(check_numeric_user("USER 33:33", path).is_ok());
        assert!(check_numeric_user("FROM x\n", path).is_ok());
        assert!(check_numeric_user("USER root\nUSER 0", path).is_ok());
        let err = check_numeric_user("USER 0\nUSER www-data\n", path).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t: the last USER instruction is not numeric (`USER www-data`), and \
             force_numeric_user is set"
        );
    }

    #[test]
    fn a_panic_of_a_render_is_the_images_error() {
        let err = caught(Path::new("images/a"), || panic!("index out of bounds")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "images/a/Dockerfile.template: the template engine failed (index out of bounds): \
             this is a bug of docker-pkg"
        );
        assert_eq!(
            caught(Path::new("a"), || Ok("FROM x".into())).unwrap(),
            "FROM x"
        );
    }

    #[test]
    fn templates_stay_inside_the_image() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("parts")).unwrap();
        std::fs::write(dir.path().join("parts/run.j2"), "RUN").unwrap();
        assert_eq!(
            load(dir.path(), "parts/run.j2").unwrap().as_deref(),
            Some("RUN")
        );
        assert_eq!(
            load(dir.path(), "./parts//run.j2").unwrap().as_deref(),
            Some("RUN")
        );
        assert_eq!(load(dir.path(), "../x/parts/run.j2").unwrap(), None);
        assert_eq!(load(dir.path(), "parts").unwrap(), None);
    }
}
