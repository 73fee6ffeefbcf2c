//! Rendering `Dockerfile.template` files with Jinja2 semantics: the whole configuration as
//! context, undefined variables as errors, Jinja2's whitespace rules and docker-pkg's filters.

mod apt;
pub mod context;
mod filters;
pub mod python;
mod python_objects;

use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, LazyLock};

use minijinja::value::Value;
use minijinja::{Environment, UndefinedBehavior};
use regex::Regex;

pub use apt::AptSettings;
pub use filters::{KnownImages, UidMappings, upstream_version};

use crate::config::Config;
use crate::definition::TEMPLATE_FILE;
use crate::tree::ImageTree;
use crate::yaml::Value::Null;

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
    env: Environment<'static>,
    context: Value,
    force_numeric_user: bool,
    dirs: Arc<Vec<PathBuf>>,
}

impl Renderer {
    pub fn new(config: &Config, tree: &ImageTree) -> Renderer {
        let dirs: Arc<Vec<PathBuf>> = Arc::new(
            tree.images()
                .iter()
                .map(|i| i.definition.dir.clone())
                .collect(),
        );
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        minijinja_contrib::add_to_environment(&mut env);
        env.set_formatter(|out, _state, value| {
            out.write_str(&python::str(value)).map_err(|e| {
                minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string())
            })
        });
        env.set_loader(loader(Arc::clone(&dirs)));
        env.set_path_join_callback(|name, parent| {
            let image = parent.split_once(':').map_or("", |(image, _)| image);
            format!("{image}:{name}").into()
        });
        add_filters(&mut env, config, tree);
        Renderer {
            env,
            context: context::variables(&config.values),
            force_numeric_user: config.force_numeric_user,
            dirs,
        }
    }

    /// The Dockerfile of the image at `index` in the tree the renderer was made for.
    ///
    /// The template is compiled for this one use and not cached: a tree of thousands of
    /// images would otherwise hold every compiled template until the end.
    pub fn render(&self, index: usize) -> Result<String, RenderError> {
        let path = self.dirs[index].join(TEMPLATE_FILE);
        let source = std::fs::read_to_string(&path).map_err(|e| RenderError::Template {
            path: path.clone(),
            line: None,
            message: format!("cannot read it: {e}"),
        })?;
        let name = format!("{index}:{TEMPLATE_FILE}");
        let dockerfile = self
            .env
            .template_from_named_str(&name, &source)
            .and_then(|template| template.render(&self.context))
            .map_err(|e| self.template_error(&e))?;
        if self.force_numeric_user {
            check_numeric_user(&dockerfile, &path)?;
        }
        Ok(dockerfile)
    }

    /// An error that names the template file (an included one where it happened there).
    fn template_error(&self, error: &minijinja::Error) -> RenderError {
        let path = error
            .name()
            .and_then(|name| self.template_path(name))
            .unwrap_or_default();
        let mut message = error.detail().map_or_else(
            || error.kind().to_string(),
            |detail| format!("{}: {detail}", error.kind()),
        );
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            message.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        RenderError::Template {
            path,
            line: error.line(),
            message,
        }
    }

    fn template_path(&self, name: &str) -> Option<PathBuf> {
        let (image, file) = name.split_once(':')?;
        let dir = self.dirs.get(image.parse::<usize>().ok()?)?;
        Some(dir.join(file))
    }
}

/// Templates are named `INDEX:PATH`: the image's index in the tree and a path inside its
/// directory, so that an `{% include %}` resolves inside the including image's directory, as
/// with Jinja2's `FileSystemLoader` rooted there.
fn loader(
    dirs: Arc<Vec<PathBuf>>,
) -> impl Fn(&str) -> Result<Option<String>, minijinja::Error> + Send + Sync + 'static {
    move |name| {
        let Some((image, file)) = name.split_once(':') else {
            return Ok(None);
        };
        let Some(dir) = image.parse::<usize>().ok().and_then(|i| dirs.get(i)) else {
            return Ok(None);
        };
        if !stays_inside(Path::new(file)) {
            return Ok(None);
        }
        match std::fs::read_to_string(dir.join(file)) {
            Ok(source) => Ok(Some(source)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                format!("cannot read {}", dir.join(file).display()),
            )
            .with_source(e)),
        }
    }
}

fn stays_inside(path: &Path) -> bool {
    path.components().all(|c| matches!(c, Component::Normal(_)))
}

fn add_filters(env: &mut Environment<'static>, config: &Config, tree: &ImageTree) {
    let known = Arc::new(KnownImages::new(
        config.repository.clone(),
        tree.images().iter().map(|i| &i.label),
        &config.base_images,
    ));
    env.add_filter("image_tag", move |name: &str| known.image_tag(name));
    env.add_filter("upstream_version", |label: &str| upstream_version(label));

    let apt = Arc::new(apt_settings(config));
    let apt_remove = Arc::clone(&apt);
    env.add_filter("apt_install", move |packages: &str| apt.install(packages));
    env.add_filter("apt_remove", move |packages: &str| {
        apt_remove.remove(packages)
    });

    let uids = Arc::new(UidMappings(config.known_uid_mappings.clone()));
    let add_user = Arc::clone(&uids);
    env.add_filter("uid", move |user: &Value| uids.uid(user));
    env.add_filter("add_user", move |user: &str| add_user.add_user(user));
}

/// The apt stanzas print `apt_only_proxy` and `apt_options` as Python would.
fn apt_settings(config: &Config) -> AptSettings {
    let value = |key: &str| context::from_yaml(config.values.get(key).unwrap_or(&Null));
    let proxy = value("apt_only_proxy");
    AptSettings {
        proxy: proxy.is_true().then(|| python::str(&proxy)),
        options: python::str(&value("apt_options")),
    }
}

static NUMERIC_USER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^USER\s+\d+(?::\d+)?$").expect("the USER pattern is valid"));

/// With `force_numeric_user`, the last `USER` line must name a numeric uid (and gid).
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
    fn includes_stay_inside_the_image() {
        assert!(stays_inside(Path::new("parts/run.tmpl")));
        assert!(!stays_inside(Path::new("../other/Dockerfile.template")));
        assert!(!stays_inside(Path::new("/etc/passwd")));
    }
}
