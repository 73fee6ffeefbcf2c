use crate::cli::error::{Error, Outcome};
use crate::label::platform::Platform;
use crate::run::plan::Plan;
use crate::run::step::Step;
use crate::run::workspace::Workspace;
use crate::terminal::style::Style;
use crate::tree::ImageId;

use super::build_report::{Reports, header};

/// Prints what the run would do to each image (for each of its platforms, when `platforms`
/// is set), and why, after the scan and the published check; with `--report`, writes the
/// same plan as JSON. Nothing is built, pulled or pushed.
pub fn dry_run(reports: &Reports<'_>) -> Result<Outcome, Error> {
    let (workspace, plan) = (reports.workspace, reports.plan);
    header("Plan (dry run: nothing is built, pulled or pushed)");
    if let Some(glob) = reports
        .args
        .select
        .as_deref()
        .filter(|_| !plan.selected_any())
    {
        println!("No image matches --select {glob}.");
    }
    if plan.refreshes_base_images() {
        println!(
            "Base images are pulled again first: {}",
            reports.config.base_images.join(", ")
        );
    }
    let mut counts = [0; 4];
    for &image in workspace.graph.order() {
        let planned = plan.planned(workspace, image);
        for (count, step) in
            counts
                .iter_mut()
                .zip([Step::Pull, Step::Build, Step::Verify, Step::Publish])
        {
            *count += usize::from(planned.contains(&step));
        }
        let platforms = match reports.lists {
            Some(lists) => {
                let lacking = reports.lacking.map_or(&[][..], |lacking| &lacking[image]);
                platforms_text(&lists[image], lacking)
            }
            None => String::new(),
        };
        anstream::println!(
            "* {}{platforms}: {}",
            workspace.tree.get(image).label,
            what(workspace, plan, image, &planned)
        );
    }
    let [pulls, builds, verifies, publishes] = counts;
    println!(
        "A run would build {builds}, verify {verifies}, publish {publishes} and pull for \
         {pulls}; {} images untouched.",
        workspace.tree.len() - plan.chain().len()
    );
    reports.write(None, Outcome::Success)?;
    Ok(Outcome::Success)
}

/// ` [linux/amd64, linux/arm64]`: the platforms an image is built for, and those its
/// published list lacks (` [linux/amd64, linux/arm64, linux/s390x; not published: linux/s390x]`),
/// which are why it is built again.
fn platforms_text(platforms: &[Platform], lacking: &[Platform]) -> String {
    let names = |platforms: &[Platform]| -> String {
        let names: Vec<String> = platforms.iter().map(ToString::to_string).collect();
        names.join(", ")
    };
    if lacking.is_empty() {
        format!(" [{}]", names(platforms))
    } else {
        format!(" [{}; not published: {}]", names(platforms), names(lacking))
    }
}

/// `build, verify, publish (not published and not in local storage)`, or `nothing (already
/// published; pulled before building app)`.
fn what(workspace: &Workspace, plan: &Plan, image: ImageId, planned: &[Step]) -> String {
    let mut why = plan.reason(image).to_string();
    let pulled_for: Vec<&str> = workspace
        .graph
        .dependents(image)
        .iter()
        .filter(|&&d| plan.works_on(d) && plan.pulls(workspace, d).contains(&image))
        .map(|&d| workspace.tree.get(d).name())
        .collect();
    if !pulled_for.is_empty() {
        why.push_str(&format!(
            "; pulled before building {}",
            pulled_for.join(", ")
        ));
    }
    if plan.blocker(image).is_some() {
        return Style::Failed.paint(&why);
    }
    if planned.is_empty() {
        return format!("{} ({why})", Style::Dim.paint("nothing"));
    }
    let mut steps: Vec<String> = planned.iter().map(|step| step.name().to_owned()).collect();
    if planned.contains(&Step::Pull) {
        let pulls: Vec<&str> = plan
            .pulls(workspace, image)
            .iter()
            .map(|&d| workspace.tree.get(d).name())
            .collect();
        steps[0] = format!("pull {}", pulls.join(", "));
    }
    let style = if plan.blocker(image).is_some() {
        Style::Failed
    } else {
        Style::Done
    };
    format!("{} ({why})", style.paint(&steps.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn platforms(names: &[&str]) -> Vec<Platform> {
        names.iter().map(|name| name.parse().unwrap()).collect()
    }

    #[test]
    fn an_image_line_names_its_platforms() {
        assert_eq!(
            platforms_text(&platforms(&["linux/amd64", "linux/arm64"]), &[]),
            " [linux/amd64, linux/arm64]"
        );
        assert_eq!(
            platforms_text(&platforms(&["linux/arm/v7"]), &[]),
            " [linux/arm/v7]"
        );
    }

    #[test]
    fn and_those_its_published_list_lacks() {
        assert_eq!(
            platforms_text(
                &platforms(&["linux/amd64", "linux/arm64", "linux/s390x"]),
                &platforms(&["linux/arm64", "linux/s390x"])
            ),
            " [linux/amd64, linux/arm64, linux/s390x; not published: linux/arm64, linux/s390x]"
        );
    }
}
