//! `tests/templates.rs` is a test binary of its own until it joins `tests/it`: it reaches the
//! harness of `tests/it` through this module.

#![allow(
    dead_code,
    reason = "templates.rs uses only `Test` of the harness that tests/it uses whole"
)]

#[path = "../it/harness.rs"]
mod shared;

pub use shared::*;
