//! A build run, in the order it goes: the `workspace` (the tree scanned and labelled, with
//! its dependency `graph`) is planned (`plan`: each image's `image_state` at scan time,
//! its steps), then the `scheduler` runs the work of each image (`pipeline`: the
//! `base_images` refreshed, the `build_context` made, the build, `verify`, publishing)
//! as typed `step`s, holding the `image_locks` other runs respect; `record` keeps what
//! happened to each image for the summary and the reports.

pub(crate) mod base_images;
pub(crate) mod build_context;
#[cfg(test)]
pub(crate) mod fakes;
pub(crate) mod graph;
pub(crate) mod image_locks;
pub(crate) mod image_state;
pub(crate) mod pipeline;
pub(crate) mod plan;
pub(crate) mod record;
pub(crate) mod scheduler;
pub(crate) mod step;
pub(crate) mod verify;
pub(crate) mod workspace;
