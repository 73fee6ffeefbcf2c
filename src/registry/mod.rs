//! The registry side: whether images are published, checked over the registry's HTTP API
//! (one process per image would cost too much for a tree of a hundred images), and the logins
//! and TLS trust that the engine's tools share with that check.

pub mod auth_file;
mod challenge;
mod check;
mod error;
mod logins;
mod session;
mod settings;
mod tls;

pub use check::Registry;
pub use error::RegistryError;
pub use settings::RegistrySettings;
