//! Which container tool drives the builds.

use std::fmt;
use std::str::FromStr;

use crate::label::platform::PlatformError;

/// Which tool builds, tags, pushes and pulls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum EngineKind {
    #[default]
    Buildah,
    Podman,
    Docker,
}

impl EngineKind {
    /// Refuses, before anything is built, what cannot make manifest lists yet: the docker
    /// engine.
    pub fn check_list_support(self) -> Result<(), PlatformError> {
        match self {
            EngineKind::Docker => Err(PlatformError::Docker),
            EngineKind::Buildah | EngineKind::Podman => Ok(()),
        }
    }

    pub const ALL: [EngineKind; 3] = [EngineKind::Buildah, EngineKind::Podman, EngineKind::Docker];

    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Buildah => "buildah",
            EngineKind::Podman => "podman",
            EngineKind::Docker => "docker",
        }
    }
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for EngineKind {
    type Err = String;

    fn from_str(s: &str) -> Result<EngineKind, String> {
        EngineKind::ALL
            .into_iter()
            .find(|kind| kind.name() == s)
            .ok_or_else(|| format!("unknown engine `{s}`; choose buildah, podman or docker"))
    }
}

impl<'de> serde::Deserialize<'de> for EngineKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<EngineKind, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}
