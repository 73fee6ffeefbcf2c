//! The images a template names through `image_tag`: each is a dependency of the image whose
//! template names it, whether its `control` lists it or not (a child built `FROM {{ "parent"
//! | image_tag }}` cannot be built before its parent). They are found as 4.0.4 resolves them,
//! by rendering each template once with an `image_tag` that records the names it is asked
//! for: names built from variables, loops and conditions are found as the real rendering
//! finds them, and only in the branches it takes.

use rayon::prelude::*;

use crate::config::Config;
use crate::label::ImageLabel;
use crate::template::{Renderer, recording_image_tags};
use crate::terminal::logging;
use crate::tree::{ImageId, ImageMap, ImageTree};

/// A name given to `image_tag` that is neither an image of the tree nor a tagged base image:
/// the template fails to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    pub image: ImageId,
    pub name: String,
}

/// What the templates of a tree name: through `image_tag`, and in their `FROM` lines.
#[derive(Debug, Default)]
pub struct TemplateNames {
    /// For each image, the other images of the tree its template names through `image_tag`,
    /// in the order named.
    pub images: ImageMap<Vec<ImageId>>,
    pub unknown: Vec<UnknownName>,
    /// For each image, the references of the `FROM` lines of its rendered Dockerfile.
    pub from_lines: ImageMap<Vec<String>>,
    /// The images whose template does not render, with why.
    pub failures: Vec<(ImageId, String)>,
}

impl TemplateNames {
    /// Renders every template of `tree` once (in parallel, its log lines muted: the real
    /// rendering says the same later) and resolves the names `image_tag` was asked for. A
    /// template that fails still tells the names it asked for before failing.
    pub fn discover(config: &Config, tree: &ImageTree) -> TemplateNames {
        let started = std::time::Instant::now();
        let renderer = Renderer::new(config, tree);
        let images: Vec<ImageId> = tree.ids().collect();
        let rendered: Vec<Rendered> = images
            .into_par_iter()
            .map(|image| {
                if tree.get(image).definition.outside_links.is_empty() {
                    Rendered::of(&renderer, image)
                } else {
                    // Its template is not read: it may be one of those links.
                    Rendered::nothing()
                }
            })
            .collect();
        let mut asked = Vec::with_capacity(rendered.len());
        let mut from_lines = Vec::with_capacity(rendered.len());
        let mut failures = Vec::new();
        for (image, rendered) in tree.ids().zip(rendered) {
            asked.push(rendered.asked);
            from_lines.push(rendered.from_lines.unwrap_or_else(|error| {
                failures.push((image, error));
                Vec::new()
            }));
        }
        let mut names = TemplateNames::resolve(config, tree, asked);
        names.from_lines = from_lines.into_iter().collect();
        names.failures = failures;
        log::debug!(
            "Rendered {} templates for the images they name in {}",
            tree.len(),
            crate::process::humanize(started.elapsed())
        );
        names
    }

    /// Resolves the names asked for by each image's template as `image_tag` does: a name is
    /// put under the configured registry and namespace, then looked up among the tree's
    /// images and the tagged base images.
    fn resolve(config: &Config, tree: &ImageTree, asked: Vec<Vec<String>>) -> TemplateNames {
        let by_name = tree.by_full_name();
        let bases: Vec<String> = config
            .base_images
            .iter()
            .filter_map(|base| ImageLabel::parse(base).map(|label| label.name))
            .collect();
        let mut names = TemplateNames::default();
        let mut images = Vec::with_capacity(asked.len());
        for (image, asked) in tree.ids().zip(asked) {
            let mut named = Vec::new();
            for name in asked {
                let full_name = config.repository.image_name(&name);
                match by_name.get(full_name.as_str()) {
                    Some(&other) if other != image && !named.contains(&other) => named.push(other),
                    Some(_) => {}
                    None if bases.contains(&full_name) => {}
                    None => names.unknown.push(UnknownName { image, name }),
                }
            }
            images.push(named);
        }
        names.images = images.into_iter().collect();
        names
    }
}

/// What rendering one template told.
struct Rendered {
    /// The names `image_tag` was asked for.
    asked: Vec<String>,
    /// The `FROM` references of the Dockerfile, or why it did not render.
    from_lines: Result<Vec<String>, String>,
}

impl Rendered {
    fn nothing() -> Rendered {
        Rendered {
            asked: Vec::new(),
            from_lines: Ok(Vec::new()),
        }
    }

    fn of(renderer: &Renderer, image: ImageId) -> Rendered {
        let (dockerfile, asked) =
            recording_image_tags(|| logging::muted(|| renderer.render(image)));
        Rendered {
            asked,
            from_lines: dockerfile
                .map(|text| from_references(&text))
                .map_err(|error| error.to_string()),
        }
    }
}

/// The image each `FROM` line of `dockerfile` starts from (`FROM [--platform=…] IMAGE [AS
/// name]`).
fn from_references(dockerfile: &str) -> Vec<String> {
    dockerfile
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let keyword = words.next()?;
            if !keyword.eq_ignore_ascii_case("FROM") {
                return None;
            }
            words
                .find(|word| !word.starts_with("--"))
                .map(str::to_owned)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::label::{Repository, TagSuffix};
    use crate::tree::definition::ImageDefinition;

    fn tree(dir: &std::path::Path, images: &[(&str, &str)]) -> ImageTree {
        let definitions = images
            .iter()
            .map(|(name, template)| {
                let image_dir = dir.join(name);
                std::fs::create_dir_all(&image_dir).unwrap();
                std::fs::write(image_dir.join("Dockerfile.template"), template).unwrap();
                ImageDefinition {
                    dir: image_dir,
                    name: name.to_string(),
                    version: "1.0".into(),
                    depends: vec![],
                    outside_links: vec![],
                    platforms: None,
                }
            })
            .collect();
        let repository = Repository {
            registry: "r.example.org".into(),
            namespace: "ns".into(),
        };
        ImageTree::new(definitions, &repository, &TagSuffix::None).unwrap()
    }

    fn config() -> Config {
        let mut values = crate::config::defaults();
        for (key, value) in [("registry", "r.example.org"), ("namespace", "ns")] {
            values.insert(key.into(), value.into());
        }
        values.insert(
            "base_images".into(),
            pyyaml_compat::Value::Seq(vec!["r.example.org/ns/bookworm:2024".into()]),
        );
        values.insert(
            "parents".into(),
            pyyaml_compat::Value::Seq(vec!["base".into(), "tools".into()]),
        );
        Config::from_values(values).unwrap()
    }

    #[test]
    fn names_from_variables_and_loops_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let tree = tree(
            dir.path(),
            &[
                ("base", "FROM {{ 'bookworm' | image_tag }}\n"),
                (
                    "tools",
                    "{% set p = 'ba' ~ 'se' %}FROM {{ p | image_tag }}\n",
                ),
                (
                    "app",
                    "{% for p in parents %}COPY --from={{ p | image_tag }} / /\n{% endfor %}\
                     LABEL me={{ 'app' | image_tag }}\n",
                ),
                (
                    "broken",
                    "FROM {{ 'tools' | image_tag }}\n{{ 'nowhere' | image_tag }}\n\
                     {{ 'app' | image_tag }}\n",
                ),
            ],
        );
        let names = TemplateNames::discover(&config(), &tree);
        let find = |name: &str| tree.find(name).unwrap();
        assert_eq!(names.images[find("base")], Vec::<ImageId>::new());
        assert_eq!(names.images[find("tools")], [find("base")]);
        assert_eq!(names.images[find("app")], [find("base"), find("tools")]);
        assert_eq!(names.images[find("broken")], [find("tools")]);
        assert_eq!(
            names.from_lines[find("tools")],
            ["r.example.org/ns/base:1.0"]
        );
        assert_eq!(names.failures.len(), 1);
        assert_eq!(names.failures[0].0, find("broken"));
        assert_eq!(
            names.unknown,
            [UnknownName {
                image: find("broken"),
                name: "nowhere".into()
            }]
        );
    }

    #[test]
    fn from_lines() {
        let dockerfile = "FROM a:1 AS build\nRUN x\nfrom --platform=linux/amd64 b:2\n";
        assert_eq!(from_references(dockerfile), ["a:1", "b:2"]);
    }
}
