//! One top-level function per command.

mod build;
mod graph;
mod prune;
mod render;
mod update;

pub use build::build;
pub use graph::graph;
pub use prune::prune;
pub use render::render;
pub use update::update;
