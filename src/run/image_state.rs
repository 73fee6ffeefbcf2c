//! The state machine of one image during a build run (4.0.4's `ImageFSM`, but for its `error`
//! state: a failure is the outcome the scheduler records, with the step that failed).

use std::fmt;

/// Where an image stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageState {
    /// Neither in the registry nor in local storage.
    ToBuild,
    /// In local storage, not yet verified.
    Built,
    /// Built and its test passed (or it has none).
    Verified,
    /// Its tag is in the registry.
    Published,
}

/// A transition the state machine does not allow: a bug in the caller, reported as an error
/// of the image rather than a crash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("internal error: an image cannot go from {from} to {to}")]
pub struct InvalidTransition {
    pub from: String,
    pub to: String,
}

impl ImageState {
    /// The state found at scan time. With pull on, the registry decides first; with
    /// `--no-pull`, an image missing locally is built whatever the registry holds.
    pub fn initial(published: bool, local: bool, pull: bool) -> ImageState {
        match (pull, published, local) {
            (true, true, _) => ImageState::Published,
            (true, false, true) => ImageState::Built,
            (true, false, false) => ImageState::ToBuild,
            (false, _, false) => ImageState::ToBuild,
            (false, true, true) => ImageState::Published,
            (false, false, true) => ImageState::Built,
        }
    }

    pub fn built(&mut self) -> Result<(), InvalidTransition> {
        self.go(ImageState::ToBuild, ImageState::Built)
    }

    pub fn verified(&mut self) -> Result<(), InvalidTransition> {
        self.go(ImageState::Built, ImageState::Verified)
    }

    pub fn published(&mut self) -> Result<(), InvalidTransition> {
        self.go(ImageState::Verified, ImageState::Published)
    }

    /// Moves to `to` when in `from`.
    fn go(&mut self, from: ImageState, to: ImageState) -> Result<(), InvalidTransition> {
        if *self != from {
            return Err(InvalidTransition {
                from: self.to_string(),
                to: to.to_string(),
            });
        }
        *self = to;
        Ok(())
    }
}

impl fmt::Display for ImageState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ImageState::ToBuild => "to_build",
            ImageState::Built => "built",
            ImageState::Verified => "verified",
            ImageState::Published => "published",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PULL: bool = true;
    const NO_PULL: bool = false;

    fn initial(published: bool, local: bool, pull: bool) -> ImageState {
        ImageState::initial(published, local, pull)
    }

    #[test]
    fn initial_with_pull() {
        assert_eq!(initial(true, true, PULL), ImageState::Published);
        assert_eq!(initial(true, false, PULL), ImageState::Published);
        assert_eq!(initial(false, true, PULL), ImageState::Built);
        assert_eq!(initial(false, false, PULL), ImageState::ToBuild);
    }

    #[test]
    fn initial_without_pull() {
        assert_eq!(initial(true, false, NO_PULL), ImageState::ToBuild);
        assert_eq!(initial(false, false, NO_PULL), ImageState::ToBuild);
        assert_eq!(initial(true, true, NO_PULL), ImageState::Published);
        assert_eq!(initial(false, true, NO_PULL), ImageState::Built);
    }

    #[test]
    fn the_happy_path() {
        let mut state = ImageState::ToBuild;
        state.built().unwrap();
        state.verified().unwrap();
        state.published().unwrap();
        assert_eq!(state, ImageState::Published);
    }

    #[test]
    fn impossible_transitions_are_errors() {
        let mut state = ImageState::ToBuild;
        let err = state.published().unwrap_err();
        assert_eq!(
            err.to_string(),
            "internal error: an image cannot go from to_build to published"
        );
        assert_eq!(state, ImageState::ToBuild);
        let mut state = ImageState::Published;
        assert!(state.built().is_err());
    }
}
