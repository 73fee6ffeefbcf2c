//! The integration tests: one binary, so that the crate and the shared support below are
//! compiled and linked once. Each module is one feature, driven the way a user drives it
//! (`harness`), against the real container tools and a registry of its own where it needs
//! them (`support`, `fixture_tree`).

mod fixture_tree;
mod harness;
mod support;

mod architecture;
mod build;
mod dry_run;
mod engine_commands;
mod engine_containers;
mod engine_secrets;
mod fuzz_templates;
mod fuzz_trees;
mod gitlab_ci;
mod graph;
mod implied;
mod interruption;
mod layers;
mod lint;
mod multi_arch;
mod provenance;
mod prune;
mod publishing;
mod registry_check;
mod registry_retries;
mod registry_trust;
mod render;
mod report;
mod resilience;
mod rootless;
mod signing;
mod snapshots;
mod template_limits;
mod terminal;
mod untrusted_tree;
mod update;
