//! `tests/templates.rs` is a test binary of its own until it joins `tests/it`: it reaches the
//! support of `tests/it` through this module.

#![allow(
    dead_code,
    unused_imports,
    reason = "templates.rs uses only `RecordingTool` of the support that tests/it uses whole"
)]

#[path = "../it/support/mod.rs"]
mod shared;

pub use shared::*;
