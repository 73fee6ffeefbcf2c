//! What a build run will do, decided before anything is done: each image's state at scan
//! time, the chain of images to work on, and the steps of each. Plain data and functions: the
//! engine and the registry are asked through traits, so that planning is tested without them.

mod reason;

use std::collections::BTreeMap;

use crate::engine::EngineError;
use crate::label::ImageLabel;
use crate::label::select::Selection;
use crate::registry::{RegistryClient, RegistryError};
use crate::run::image_state::ImageState;
use crate::run::step::{Failure, Step};
use crate::run::workspace::Workspace;
use crate::tree::{ImageId, ImageMap, TreeError};

pub use reason::Reason;

/// What a run may do besides building.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanOptions {
    /// Ask the registry first, refresh base images and pull the published images an image
    /// is built on (`--no-pull` turns this off).
    pub pull: bool,
    /// Push verified images.
    pub publish: bool,
    /// Check, after publishing, that every tag pushed has a signature that verifies.
    pub check_signatures: bool,
}

/// Why an image fails before any of its steps.
#[derive(Debug, Clone)]
pub enum Blocker {
    /// Its version is not a valid tag, or a link of its folder leads out of the tree.
    Defect(TreeError),
    /// The published check could not tell whether it is published.
    Unchecked(RegistryError),
}

impl From<Blocker> for Failure {
    fn from(blocker: Blocker) -> Failure {
        match blocker {
            Blocker::Defect(defect) => Failure::Defect(defect),
            Blocker::Unchecked(error) => Failure::Unchecked(error),
        }
    }
}

/// Why a run cannot be planned at all.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A registry problem every image meets alike: refused credentials, an untrusted
    /// certificate.
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

/// Which images are in local storage, asked for at most once.
pub trait LocalStorage {
    /// Whether each label is in local storage, in the order given.
    fn contains(&mut self, labels: &[&ImageLabel]) -> Result<Vec<bool>, EngineError>;
}

#[derive(Debug)]
pub struct Plan {
    pub options: PlanOptions,
    /// Each image's state at scan time; `None` for a blocked one.
    initial: ImageMap<Option<ImageState>>,
    blocked: BTreeMap<ImageId, Blocker>,
    /// The images to work on, each after those it is built on.
    chain: Vec<ImageId>,
    /// Whether each image is in the chain.
    in_chain: ImageMap<bool>,
    /// Whether `--select` matched any image at all.
    selected_any: bool,
}

impl Plan {
    /// Finds each image's state (see [`initial_states`]) and plans the run.
    pub fn make(
        workspace: &Workspace,
        selection: &Selection,
        options: PlanOptions,
        registry: &dyn RegistryClient,
        local: &mut dyn LocalStorage,
    ) -> Result<Plan, PlanError> {
        let images = workspace.tree.images();
        let asked: Vec<&ImageLabel> = images
            .values()
            .filter(|image| image.defect.is_none())
            .map(|image| &image.label)
            .collect();
        let answers = initial_states(&asked, registry, local, options.pull)?;
        let mut errors = answers.iter().filter_map(|answer| answer.as_ref().err());
        if let Some(error) = errors.find(|e| e.is_configuration()) {
            return Err(PlanError::Registry(error.clone()));
        }
        let mut answers = answers.into_iter();
        let states = images.values().map(|image| match &image.defect {
            Some(defect) => Err(Blocker::Defect(defect.clone())),
            None => match answers.next() {
                Some(Ok(state)) => Ok(state),
                Some(Err(error)) => Err(Blocker::Unchecked(error)),
                None => Ok(ImageState::ToBuild),
            },
        });
        Ok(Plan::new(workspace, states.collect(), selection, options))
    }

    /// The plan for images in `states` (a blocker where a state could not be found).
    pub fn new(
        workspace: &Workspace,
        states: ImageMap<Result<ImageState, Blocker>>,
        selection: &Selection,
        options: PlanOptions,
    ) -> Plan {
        let mut initial = ImageMap::filled(states.len(), None);
        let mut blocked = BTreeMap::new();
        for (image, state) in states.into_entries() {
            match state {
                Ok(state) => initial[image] = Some(state),
                Err(blocker) => {
                    blocked.insert(image, blocker);
                }
            }
        }
        let missing = |i: ImageId| matches!(initial[i], None | Some(ImageState::ToBuild));
        let selected: Vec<ImageId> = workspace.selected(selection);
        let roots = selected
            .iter()
            .copied()
            .filter(|&i| missing(i) || (options.publish && initial[i] == Some(ImageState::Built)));
        let chain = workspace.graph.with_dependencies(roots, missing);
        let mut in_chain = ImageMap::filled(initial.len(), false);
        chain.iter().for_each(|&image| in_chain[image] = true);
        Plan {
            options,
            initial,
            blocked,
            chain,
            in_chain,
            selected_any: !selected.is_empty(),
        }
    }

    /// The images to work on, each after those it is built on.
    pub fn chain(&self) -> &[ImageId] {
        &self.chain
    }

    /// Whether `--select` matched any image at all.
    pub fn selected_any(&self) -> bool {
        self.selected_any
    }

    /// The state of `image` at scan time; `None` for a blocked one.
    pub fn initial(&self, image: ImageId) -> Option<ImageState> {
        self.initial[image]
    }

    /// Why `image` fails before any step, if it does.
    pub fn blocker(&self, image: ImageId) -> Option<&Blocker> {
        self.blocked.get(&image)
    }

    /// Whether the run works on `image`.
    pub fn works_on(&self, image: ImageId) -> bool {
        self.in_chain[image]
    }

    /// Why `image` gets what [`Plan::planned`] says.
    pub fn reason(&self, image: ImageId) -> Reason {
        match (
            self.blocker(image),
            self.initial(image),
            self.works_on(image),
        ) {
            (Some(Blocker::Defect(TreeError::LinksOutside(_))), ..) => Reason::LinkOutside,
            (Some(Blocker::Defect(_)), ..) => Reason::InvalidTag,
            (Some(Blocker::Unchecked(_)), ..) | (None, None, _) => Reason::Unchecked,
            (None, Some(ImageState::Published), _) => Reason::Published,
            (None, Some(ImageState::ToBuild), true) => Reason::Missing,
            (None, Some(ImageState::Built | ImageState::Verified), true) => {
                Reason::BuiltNotPublished
            }
            (None, Some(ImageState::Built | ImageState::Verified), false)
                if !self.options.publish =>
            {
                Reason::KeptLocal
            }
            (None, Some(_), false) => Reason::NotSelected,
        }
    }

    /// The steps the run takes `image` through if all goes well: none outside the chain.
    pub fn planned(&self, workspace: &Workspace, image: ImageId) -> Vec<Step> {
        if self.works_on(image) {
            self.steps(workspace, image)
        } else {
            Vec::new()
        }
    }

    /// The steps `image` goes through if all goes well.
    pub fn steps(&self, workspace: &Workspace, image: ImageId) -> Vec<Step> {
        let mut steps = Vec::new();
        match self.initial(image) {
            None => return vec![Step::Check],
            Some(ImageState::ToBuild) => {
                if !self.pulls(workspace, image).is_empty() {
                    steps.push(Step::Pull);
                }
                steps.extend([Step::Build, Step::Verify]);
            }
            Some(ImageState::Built) => steps.push(Step::Verify),
            Some(ImageState::Verified | ImageState::Published) => return steps,
        }
        if self.options.publish {
            steps.push(Step::Publish);
            if self.options.check_signatures {
                steps.push(Step::SignatureCheck);
            }
        }
        steps
    }

    /// The images `image` is built on that are pulled before it builds: those published
    /// before the run, when pulling (4.0.4 does the same, so that no build uses a stale local
    /// copy); an image built in this run is already local.
    pub fn pulls(&self, workspace: &Workspace, image: ImageId) -> Vec<ImageId> {
        if !self.options.pull {
            return Vec::new();
        }
        let dependencies = workspace.graph.dependencies(image).iter().copied();
        dependencies
            .filter(|&d| self.initial(d) == Some(ImageState::Published))
            .collect()
    }

    /// Whether base images are refreshed first: only when pulling and something is built.
    pub fn refreshes_base_images(&self) -> bool {
        let builds = |&i: &ImageId| matches!(self.initial(i), None | Some(ImageState::ToBuild));
        self.options.pull && self.chain.iter().any(builds)
    }
}

/// The state at scan time of the image of each label, in the order given. With pull on, the
/// registry is asked first and local storage only when some image is not published; with
/// `--no-pull`, the other way round. A published check that fails for one image is that
/// image's answer alone.
pub fn initial_states(
    asked: &[&ImageLabel],
    registry: &dyn RegistryClient,
    local: &mut dyn LocalStorage,
    pull: bool,
) -> Result<Vec<Result<ImageState, RegistryError>>, EngineError> {
    let states = if pull {
        let published = registry.published(asked);
        let unpublished: Vec<&ImageLabel> = asked
            .iter()
            .zip(&published)
            .filter(|(_, answer)| !matches!(answer, Ok(true)))
            .map(|(label, _)| *label)
            .collect();
        let mut here = if unpublished.is_empty() {
            Vec::new()
        } else {
            local.contains(&unpublished)?
        }
        .into_iter();
        published
            .into_iter()
            .map(|answer| match answer {
                Ok(true) => Ok(ImageState::Published),
                Ok(false) => Ok(ImageState::initial(false, here.next() == Some(true), true)),
                Err(error) => {
                    here.next();
                    Err(error)
                }
            })
            .collect::<Vec<_>>()
    } else {
        let here = local.contains(asked)?;
        let present: Vec<&ImageLabel> = asked
            .iter()
            .zip(&here)
            .filter(|&(_, &here)| here)
            .map(|(label, _)| *label)
            .collect();
        let mut answers = registry.published(&present).into_iter();
        here.into_iter()
            .map(|here| match here {
                false => Ok(ImageState::ToBuild),
                true => answers
                    .next()
                    .unwrap_or(Ok(false))
                    .map(|published| ImageState::initial(published, true, false)),
            })
            .collect()
    };
    Ok(states)
}

#[cfg(test)]
mod tests;
