use super::*;
use crate::run::fakes::{FakeRegistry, FakeStorage};
use crate::run::workspace::test_workspace;

const PUBLISH: PlanOptions = PlanOptions {
    pull: true,
    publish: true,
    check_signatures: false,
};

/// base ← lib ← app, base ← tool.
fn tree() -> Workspace {
    test_workspace(&[
        ("base", &[]),
        ("lib", &["base"]),
        ("app", &["lib"]),
        ("tool", &["base"]),
    ])
}

fn names(workspace: &Workspace, images: &[ImageId]) -> Vec<String> {
    images
        .iter()
        .map(|&i| workspace.tree.get(i).name().to_owned())
        .collect()
}

fn plan(
    workspace: &Workspace,
    registry: &FakeRegistry,
    storage: &mut FakeStorage,
    select: Option<&str>,
    options: PlanOptions,
) -> Plan {
    let selection = Selection::new(select).unwrap();
    Plan::make(workspace, &selection, options, registry, storage).unwrap()
}

fn steps(plan: &Plan, workspace: &Workspace, name: &str) -> Vec<Step> {
    plan.steps(workspace, workspace.tree.find(name).unwrap())
}

#[test]
fn everything_published_is_nothing_to_do_and_lists_no_storage() {
    let workspace = tree();
    let registry = FakeRegistry::holding(&["base:1.0", "lib:1.0", "app:1.0", "tool:1.0"]);
    let mut storage = FakeStorage::default();
    let plan = plan(&workspace, &registry, &mut storage, None, PUBLISH);
    assert!(plan.chain().is_empty());
    assert!(plan.selected_any());
    assert!(!plan.refreshes_base_images());
    assert_eq!(storage.listings, 0);
}

#[test]
fn missing_images_are_built_after_their_dependencies_which_are_pulled() {
    let workspace = tree();
    let registry = FakeRegistry::holding(&["base:1.0", "tool:1.0"]);
    let mut storage = FakeStorage::default();
    let plan = plan(&workspace, &registry, &mut storage, None, PUBLISH);
    assert_eq!(names(&workspace, plan.chain()), ["lib", "app"]);
    assert_eq!(
        steps(&plan, &workspace, "lib"),
        [Step::Pull, Step::Build, Step::Verify, Step::Publish]
    );
    // app's dependency is built in the run: nothing to pull.
    assert_eq!(
        steps(&plan, &workspace, "app"),
        [Step::Build, Step::Verify, Step::Publish]
    );
    let lib = workspace.tree.find("lib").unwrap();
    assert_eq!(names(&workspace, &plan.pulls(&workspace, lib)), ["base"]);
    assert!(plan.refreshes_base_images());
    assert_eq!(storage.listings, 1);
}

#[test]
fn images_built_locally_are_verified_and_published_only_when_publishing() {
    let workspace = tree();
    let registry = FakeRegistry::holding(&["base:1.0", "tool:1.0"]);
    let mut storage = FakeStorage::holding(&["lib:1.0", "app:1.0"]);
    let publishing = plan(&workspace, &registry, &mut storage, None, PUBLISH);
    assert_eq!(names(&workspace, publishing.chain()), ["lib", "app"]);
    assert_eq!(
        steps(&publishing, &workspace, "app"),
        [Step::Verify, Step::Publish]
    );
    assert!(!publishing.refreshes_base_images());
    let not_publishing = PlanOptions {
        pull: true,
        publish: false,
        check_signatures: false,
    };
    let plan = plan(&workspace, &registry, &mut storage, None, not_publishing);
    assert!(plan.chain().is_empty());
}

#[test]
fn a_selection_brings_the_missing_images_it_needs_only() {
    let workspace = tree();
    let registry = FakeRegistry::holding(&["base:1.0"]);
    let mut storage = FakeStorage::default();
    let plan = plan(&workspace, &registry, &mut storage, Some("app:*"), PUBLISH);
    assert_eq!(names(&workspace, plan.chain()), ["lib", "app"]);
    let none = self::plan(
        &workspace,
        &registry,
        &mut storage,
        Some("nothing*"),
        PUBLISH,
    );
    assert!(none.chain().is_empty() && !none.selected_any());
}

#[test]
fn without_pull_local_storage_decides_first() {
    let workspace = tree();
    let registry = FakeRegistry::holding(&["base:1.0", "lib:1.0", "app:1.0", "tool:1.0"]);
    let mut storage = FakeStorage::holding(&["base:1.0", "tool:1.0"]);
    let no_pull = PlanOptions {
        pull: false,
        publish: true,
        check_signatures: false,
    };
    let plan = plan(&workspace, &registry, &mut storage, None, no_pull);
    assert_eq!(names(&workspace, plan.chain()), ["lib", "app"]);
    assert_eq!(
        steps(&plan, &workspace, "lib"),
        [Step::Build, Step::Verify, Step::Publish]
    );
    assert!(!plan.refreshes_base_images());
    // Only what is local is asked about.
    assert_eq!(*registry.asked.lock().unwrap(), ["base:1.0", "tool:1.0"]);
    let checking = PlanOptions {
        check_signatures: true,
        ..no_pull
    };
    let plan = self::plan(&workspace, &registry, &mut storage, None, checking);
    assert_eq!(
        steps(&plan, &workspace, "lib"),
        [
            Step::Build,
            Step::Verify,
            Step::Publish,
            Step::SignatureCheck
        ]
    );
}

#[test]
fn an_image_that_cannot_be_checked_is_blocked_alone() {
    let workspace = tree();
    let mut registry = FakeRegistry::holding(&["base:1.0", "tool:1.0"]);
    registry.failing.insert("lib:1.0".into());
    let mut storage = FakeStorage::default();
    let plan = plan(&workspace, &registry, &mut storage, None, PUBLISH);
    assert_eq!(names(&workspace, plan.chain()), ["lib", "app"]);
    let lib = workspace.tree.find("lib").unwrap();
    assert!(matches!(plan.blocker(lib), Some(Blocker::Unchecked(_))));
    assert_eq!(steps(&plan, &workspace, "lib"), [Step::Check]);
    assert!(plan.blocker(workspace.tree.find("app").unwrap()).is_none());
}
