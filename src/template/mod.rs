//! Rendering `Dockerfile.template` files as docker-pkg 4.0.4 does with Jinja2 3.1: the whole
//! configuration as context, undefined names as errors (StrictUndefined), the `do`
//! extension, and docker-pkg's filters, on the engine of `jinja2_compat`. This module holds
//! what is docker-pkg's: the filters, the loader of an image's folder, the limits of a render,
//! and the errors that name the template of an image.

mod apt;
mod docker_pkg;
pub(crate) mod implied;

use std::path::{Component, Path, PathBuf};
use std::sync::LazyLock;

use jinja2_compat::{Environment, ErrorKind, Limits, Value, py};
use regex::Regex;

pub use apt::AptSettings;
pub use docker_pkg::{KnownImages, recording_image_tags, upstream_version};

use crate::config::Config;
use crate::tree::definition::TEMPLATE_FILE;
use crate::tree::{ImageId, ImageMap, ImageTree};
use docker_pkg::DockerFilters;

/// What one render may use: the engine's limits near where Jinja2 on CPython gives up (16 MiB
/// strings and output, 250 nested calls, 20 million steps of work); past them a template
/// fails as Python would (`MemoryError`, `RecursionError`), or for doing too much.
const LIMITS: Limits = Limits::PYTHON;

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
    env: Environment,
    config: pyyaml_compat::Mapping,
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
            env: environment(DockerFilters {
                known,
                apt: apt_settings(config),
            }),
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
        self.env
            .render(&loader, Value::vars_from_yaml(&self.config), TEMPLATE_FILE)
            .map_err(|e| template_error(dir, e))
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
    config: &pyyaml_compat::Mapping,
    known: &[String],
) -> Result<String, RenderError> {
    let mut env = environment(DockerFilters {
        known: KnownImages::new(crate::label::Repository::default(), [], known),
        apt: AptSettings {
            proxy: None,
            options: String::new(),
        },
    });
    env.set_catch_panics(false);
    let loader = |name: &str| Ok((name == TEMPLATE_FILE).then(|| source.to_owned()));
    env.render(&loader, Value::vars_from_yaml(config), TEMPLATE_FILE)
        .map_err(|e| template_error(Path::new(""), e))
}

/// The engine as docker-pkg uses it: its filters, its limits, and a panic of a render as the
/// error of that image.
fn environment(filters: DockerFilters) -> Environment {
    let mut env = Environment::new();
    env.set_limits(LIMITS);
    env.set_catch_panics(true);
    filters.add_to(&mut env);
    env
}

/// An error that names the template file (an included one where it happened there) and
/// the line, on one line; a panic of the engine is a bug of docker-pkg.
fn template_error(dir: &Path, error: jinja2_compat::Error) -> RenderError {
    if error.kind == ErrorKind::Panic {
        return RenderError::Template {
            path: dir.join(TEMPLATE_FILE),
            line: None,
            message: format!(
                "the template engine failed ({}): this is a bug of docker-pkg",
                error.message.replace('\n', " ")
            ),
        };
    }
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
fn load(dir: &Path, name: &str) -> Result<Option<String>, jinja2_compat::Error> {
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
        jinja2_compat::Error::new(
            ErrorKind::NotFound,
            format!("cannot read {}: {e}", path.display()),
        )
    })
}

/// The apt stanzas print `apt_only_proxy` and `apt_options` as Python would.
fn apt_settings(config: &Config) -> AptSettings {
    let value = |key: &str| config.values.get(key).map_or(Value::None, Value::from_yaml);
    let proxy = value("apt_only_proxy");
    AptSettings {
        proxy: proxy
            .truthy()
            .unwrap_or(false)
            .then(|| py::str(&proxy).unwrap_or_default()),
        options: py::str(&value("apt_options")).unwrap_or_default(),
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
        let mut env = environment(DockerFilters::default());
        env.add_filter("boom", |_, _, _| panic!("index out of bounds"));
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(TEMPLATE_FILE), "FROM {{ 'x'|boom }}").unwrap();
        let err = env
            .render(
                &|name| load(dir.path(), name),
                Default::default(),
                TEMPLATE_FILE,
            )
            .map_err(|e| template_error(Path::new("images/a"), e))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "images/a/Dockerfile.template: the template engine failed (index out of bounds): \
             this is a bug of docker-pkg"
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
