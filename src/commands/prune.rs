use std::collections::{HashMap, HashSet};

use crate::cli::PruneArgs;
use crate::cli::error::{Error, Outcome};
use crate::config::Config;
use crate::config::settings;
use crate::engine::{self, Engine, LocalRepositories, RepositoryImage, format_size};
use crate::label::select::Selection;
use crate::label::{ImageLabel, TagSuffix, qualified};
use crate::run::workspace::{UnknownDependencies, Workspace};
use crate::terminal::interrupt;
use crate::tree::ImageId;

/// What a run took out of local storage.
#[derive(Debug, Default)]
struct Removals {
    /// Every name removed, in the order removed.
    references: Vec<String>,
    /// The images that lost names, by id, with their sizes.
    images: HashMap<String, u64>,
    /// The ids of the images that the old manifest lists removed held, one per platform.
    instances: HashSet<String>,
    failures: usize,
}

/// Removes from local storage, for each selected image (those built on others first), every
/// local image of its repository that is not known as its current label: by its names in
/// that repository only, so that the current image keeps all its names and a name in another
/// repository keeps its image. Base images are never touched. Reports each name removed and
/// the space freed; a removal that fails is reported and the others go on. With `platforms`
/// configured every version is a manifest list: an old list goes with the images it holds
/// that no current list holds too.
pub fn prune(config: &Config, args: &PruneArgs) -> Result<Outcome, Error> {
    let selection = Selection::new(args.select.as_deref())?;
    let suffix = args
        .nightly
        .clone()
        .map_or(TagSuffix::None, TagSuffix::Nightly);
    println!("== Step 0: scanning {} ==", args.directory.display());
    let workspace = Workspace::load(config, &args.directory, &suffix, UnknownDependencies::Warn)?;
    let engine = engine::connect(settings::engine_settings(config))?;
    let chain = prune_chain(&workspace, &selection);
    println!("Will prune old versions of the following images:");
    for &image in &chain {
        println!("* {}", workspace.tree.get(image).label);
    }
    let repositories = LocalRepositories::new(&engine.local_images()?);
    let bases = base_references(&config.base_images);

    println!("== Step 1: pruning images ==");
    let lists = config.platforms.is_some();
    let mut removals = Removals::default();
    for &image in &chain {
        if interrupt::received().is_some() {
            break;
        }
        let label = &workspace.tree.get(image).label;
        println!("* Pruning old versions of {label}");
        let mut failed = false;
        for old in repositories.old_versions(label) {
            let removed = if lists {
                remove_list(engine.as_ref(), old, &bases, &mut removals)
            } else {
                remove(engine.as_ref(), old, &bases, &mut removals)
            };
            failed |= !removed;
        }
        if failed {
            println!("* Errors pruning old images for {label}");
        }
    }

    if lists && !removals.instances.is_empty() && interrupt::received().is_none() {
        let current = chain.iter().map(|&image| &workspace.tree.get(image).label);
        remove_instances(engine.as_ref(), current, &mut removals);
    }

    println!("== Summary ==");
    print_summary(engine.as_ref(), &removals);
    Ok(match interrupt::received() {
        Some(signal) => {
            println!("Interrupted by {}.", interrupt::name(signal));
            Outcome::Interrupted { signal }
        }
        None if removals.failures == 0 => Outcome::Success,
        None => Outcome::ImagesFailed,
    })
}

/// The selected images, each before the images it is built on, so that an old version goes
/// before the old version of the image it was built on.
fn prune_chain(workspace: &Workspace, selection: &Selection) -> Vec<ImageId> {
    let mut chain = workspace.selected(selection);
    chain.reverse();
    chain
}

/// The configured base images as local storage names them (a name without a tag is
/// `:latest`).
fn base_references(base_images: &[String]) -> HashSet<String> {
    base_images
        .iter()
        .map(|base| match ImageLabel::parse(base) {
            Some(_) => qualified(base).into_owned(),
            None => qualified(&format!("{base}:latest")).into_owned(),
        })
        .collect()
}

/// Removes the names of `old` in its repository, but those of base images; whether it went
/// well.
fn remove(
    engine: &dyn Engine,
    old: &RepositoryImage,
    bases: &HashSet<String>,
    removals: &mut Removals,
) -> bool {
    let references: Vec<String> = old
        .references
        .iter()
        .filter(|r| !bases.contains(qualified(r).as_ref()))
        .cloned()
        .collect();
    if references.is_empty() {
        return true;
    }
    let names = references.join(", ");
    let id = short_id(&old.id);
    log::info!("Removing image {names} (Id: {})", old.id);
    match engine.remove(&references) {
        Ok(()) => {
            removals.images.insert(old.id.clone(), old.size);
            removals.references.extend(references);
            true
        }
        Err(error) => {
            log::error!("Error removing image {names} (Id: {}): {error}", old.id);
            println!(
                " ERROR: cannot remove {names} (image {id}): {}",
                error.last_words()
            );
            removals.failures += 1;
            false
        }
    }
}

/// Removes the names of the manifest list `old` in its repository, but those of base images,
/// after noting the images it holds; whether it went well.
fn remove_list(
    engine: &dyn Engine,
    old: &RepositoryImage,
    bases: &HashSet<String>,
    removals: &mut Removals,
) -> bool {
    let references: Vec<&String> = old
        .references
        .iter()
        .filter(|r| !bases.contains(qualified(r).as_ref()))
        .collect();
    let Some(&first) = references.first() else {
        return true;
    };
    let id = short_id(&old.id);
    let removed = engine.list_instances(first).and_then(|instances| {
        removals.instances.extend(instances);
        log::info!("Removing manifest list {first} (Id: {})", old.id);
        for &reference in &references {
            match ImageLabel::parse(reference) {
                Some(label) => engine.remove_list(&label)?,
                None => log::warn!("{reference} names no tag: left in local storage"),
            }
            removals.references.push(reference.clone());
        }
        Ok(())
    });
    match removed {
        Ok(()) => {
            removals.images.insert(old.id.clone(), old.size);
            true
        }
        Err(error) => {
            log::error!(
                "Error removing manifest list {first} (Id: {}): {error}",
                old.id
            );
            println!(
                " ERROR: cannot remove {first} (list {id}): {}",
                error.last_words()
            );
            removals.failures += 1;
            false
        }
    }
}

/// Removes the images that the removed lists held, but those that a list of `current`
/// holds too (an image whose build did not change) and those with a name of their own.
fn remove_instances<'a>(
    engine: &dyn Engine,
    current: impl Iterator<Item = &'a ImageLabel>,
    removals: &mut Removals,
) {
    let listed = match engine.local_images() {
        Ok(listed) => listed,
        Err(error) => {
            println!(" ERROR: cannot list local storage: {}", error.last_words());
            removals.failures += 1;
            return;
        }
    };
    let mut kept = HashSet::new();
    for label in current {
        let Some(list) = listed.iter().find(|image| image.has_name(label)) else {
            continue;
        };
        match engine.list_instances(&list.names[0]) {
            Ok(instances) => kept.extend(instances),
            Err(error) => {
                println!(
                    " ERROR: cannot tell which images {label} holds, so none of the old lists' \
                     images is removed: {}",
                    error.last_words()
                );
                removals.failures += 1;
                return;
            }
        }
    }
    let orphans: Vec<_> = listed
        .iter()
        .filter(|image| image.names.is_empty())
        .filter(|image| removals.instances.contains(&image.id) && !kept.contains(&image.id))
        .collect();
    for image in orphans {
        log::info!("Removing image {} of an old manifest list", image.id);
        match engine.remove(std::slice::from_ref(&image.id)) {
            Ok(()) => {
                removals.images.insert(image.id.clone(), image.size);
            }
            Err(error) => {
                println!(
                    " ERROR: cannot remove image {} of an old list: {}",
                    short_id(&image.id),
                    error.last_words()
                );
                removals.failures += 1;
            }
        }
    }
}

/// Every name removed, the space freed and the failures.
fn print_summary(engine: &dyn Engine, removals: &Removals) {
    if removals.references.is_empty() {
        println!("Nothing removed: no old versions in local storage.");
    } else {
        println!("Removed {}:", count(removals.references.len(), "name"));
        for reference in &removals.references {
            println!("* {reference}");
        }
        println!("{}", freed(engine, removals));
    }
    if removals.failures > 0 {
        println!(
            "Failed to remove {}; see the errors above.",
            count(removals.failures, "old version")
        );
    }
}

/// The space the removed images held. Measured against a second listing of local storage
/// rather than worked out from which images lost their last name: the tool has the last
/// word on whether an image goes (docker keeps one that other images are built on).
fn freed(engine: &dyn Engine, removals: &Removals) -> String {
    let remaining: HashSet<String> = match engine.local_images() {
        Ok(images) => images.into_iter().map(|image| image.id).collect(),
        Err(error) => {
            log::warn!("cannot list local storage after pruning: {error}");
            return format!("Space freed unknown: cannot list local storage ({error}).");
        }
    };
    let (gone, bytes) = removals
        .images
        .iter()
        .filter(|(id, _)| !remaining.contains(*id))
        .fold((0, 0), |(images, total), (_, size)| {
            (images + 1, total + size)
        });
    format!(
        "Freed {} ({} gone from local storage).",
        format_size(bytes),
        count(gone, "image")
    )
}

/// `1 name`, `2 names`.
fn count(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

fn short_id(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_images_as_local_storage_names_them() {
        let bases = base_references(&["busybox:1".into(), "r.org:5000/debian".into()]);
        assert!(bases.contains("localhost/busybox:1"));
        assert!(bases.contains("r.org:5000/debian:latest"));
    }
}
