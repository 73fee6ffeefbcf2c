//! Handing the build graph to a CI system, whose scheduler then runs one job per image.

pub mod gitlab;
mod job_settings;

pub use job_settings::{JobSettings, JobSettingsError};
