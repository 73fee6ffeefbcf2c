//! The base images of a build run: refreshed before anything is built, and, when one can be
//! neither pulled nor found in local storage, which images it stops (those built `FROM` it).

use std::sync::Arc;

use crate::engine::{Engine, EngineError, LocalNames};
use crate::label::platform::Platform;
use crate::label::{ImageLabel, same_name};

/// A base image that could not be pulled and that local storage does not hold.
#[derive(Debug, Clone)]
pub struct MissingBase {
    /// As `base_images` spells it.
    pub reference: String,
    /// Why the pull failed.
    pub error: Arc<EngineError>,
}

/// The base images that no build can use.
#[derive(Debug, Clone, Default)]
pub struct MissingBases(Vec<MissingBase>);

impl MissingBases {
    /// Pulls every one of `base_images` again, so that no build uses a stale copy: as a
    /// manifest list holding each of `platforms` when images are built as lists, else the
    /// host's image. One that cannot be pulled leaves the local copy in use; without one, it
    /// is missing, and the images built on it fail (see [`MissingBases::used_by`]) while the
    /// others go on.
    pub fn refresh(
        base_images: &[String],
        engine: &dyn Engine,
        platforms: Option<&[Platform]>,
    ) -> MissingBases {
        let mut failed = Vec::new();
        for base in base_images {
            log::info!("Refreshing {base}");
            let pulled = match platforms {
                Some(platforms) => engine.pull_list(base, platforms),
                None => engine.pull(base),
            };
            if let Err(error) = pulled {
                failed.push(MissingBase {
                    reference: base.clone(),
                    error: Arc::new(error),
                });
            }
        }
        if failed.is_empty() {
            return MissingBases::default();
        }
        let local = match engine.local_images() {
            Ok(images) => LocalNames::new(&images),
            Err(listing) => {
                for base in &failed {
                    log::warn!(
                        "Cannot refresh base image {}: {}; nor list local storage to find a \
                         copy of it: {listing}",
                        base.reference,
                        base.error
                    );
                }
                return MissingBases::default();
            }
        };
        let (kept, missing): (Vec<MissingBase>, Vec<MissingBase>) =
            failed.into_iter().partition(|base| {
                ImageLabel::parse(&base.reference).is_some_and(|label| local.contains(&label))
            });
        for base in &kept {
            log::warn!(
                "Cannot refresh base image {}; builds use the local copy: {}",
                base.reference,
                base.error
            );
        }
        for base in &missing {
            log::error!(
                "Cannot pull base image {} and local storage has no copy of it: the images \
                 built on it fail: {}",
                base.reference,
                base.error
            );
        }
        MissingBases(missing)
    }

    /// The missing base image that `dockerfile` is built `FROM`, if any.
    pub fn used_by(&self, dockerfile: &str) -> Option<&MissingBase> {
        let sources = from_references(dockerfile);
        self.0.iter().find(|base| {
            sources
                .iter()
                .any(|source| same_name(source, &base.reference))
        })
    }
}

/// The image each `FROM` line of `dockerfile` names (its `--platform=…` flags skipped).
fn from_references(dockerfile: &str) -> Vec<&str> {
    dockerfile
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let instruction = words.next()?;
            if !instruction.eq_ignore_ascii_case("FROM") {
                return None;
            }
            words.find(|word| !word.starts_with("--"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing(references: &[&str]) -> MissingBases {
        MissingBases(
            references
                .iter()
                .map(|reference| MissingBase {
                    reference: (*reference).to_owned(),
                    error: Arc::new(EngineError::Output {
                        command: "pull".into(),
                        message: "not found".into(),
                    }),
                })
                .collect(),
        )
    }

    #[test]
    fn from_lines_name_their_image() {
        let dockerfile = "# FROM commented\nFROM --platform=linux/amd64 r.org/base:1 AS build\n\
                          RUN echo FROM x\n  from r.org/other:2\n";
        assert_eq!(
            from_references(dockerfile),
            ["r.org/base:1", "r.org/other:2"]
        );
    }

    #[test]
    fn only_images_built_on_a_missing_base_use_it() {
        let bases = missing(&["r.org/gone:1", "busybox:1.0"]);
        let used = |dockerfile| bases.used_by(dockerfile).map(|b| b.reference.as_str());
        assert_eq!(used("FROM r.org/gone:1\nRUN true\n"), Some("r.org/gone:1"));
        assert_eq!(used("FROM localhost/busybox:1.0\n"), Some("busybox:1.0"));
        assert_eq!(used("FROM r.org/gone:2\n"), None);
        assert_eq!(used("FROM r.org/there:1\n"), None);
    }

    #[test]
    fn base_images_are_refreshed_as_lists_when_images_are() {
        use crate::run::fakes::FakeEngine;
        let bases = ["r.org/base:1".to_owned()];
        let platforms: Vec<Platform> = ["linux/amd64", "linux/arm64"]
            .iter()
            .map(|p| p.parse().unwrap())
            .collect();
        let engine = FakeEngine::default();
        MissingBases::refresh(&bases, &engine, Some(&platforms));
        MissingBases::refresh(&bases, &engine, None);
        assert_eq!(
            engine.calls(),
            [
                "pull list r.org/base:1 linux/amd64,linux/arm64",
                "pull r.org/base:1"
            ]
        );
    }
}
