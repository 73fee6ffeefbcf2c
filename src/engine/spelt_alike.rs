//! What buildah, podman and docker spell alike: the build flags (tag, build args, resource
//! limits, Dockerfile and context), `tag` and `rmi`.

use std::path::Path;

use crate::engine::container_limits::ContainerLimits;
use crate::engine::tool::Tool;
use crate::engine::{BuildRequest, EngineError};
use crate::label::ImageLabel;

/// Gives the local image `image` the extra name `target`.
pub fn tag(tool: &Tool, image: &ImageLabel, target: &ImageLabel) -> Result<(), EngineError> {
    let args = vec!["tag".to_owned(), image.to_string(), target.to_string()];
    tool.run(&args).map(drop)
}

/// `rmi` of every reference at once: a reference of an image with other names untags it.
pub fn remove(tool: &Tool, references: &[String]) -> Result<(), EngineError> {
    if references.is_empty() {
        return Ok(());
    }
    let mut args = vec!["rmi".to_owned()];
    args.extend_from_slice(references);
    tool.run(&args).map(drop)
}

/// `-t LABEL [-t OTHER…] --build-arg K=V … --label NAME=VALUE … LIMITS -f DOCKERFILE
/// CONTEXT`, without the names for a build into a manifest list; the caller puts the tool's
/// pull, cache and platform flags before these.
pub fn common_build_flags(request: &BuildRequest<'_>, dockerfile: &Path) -> Vec<String> {
    let mut flags = Vec::new();
    let names = std::iter::once(request.label).chain(request.also_tagged);
    for label in names.filter(|_| request.platform.is_none()) {
        flags.push("-t".to_owned());
        flags.push(label.to_string());
    }
    for (name, value) in request.build_args {
        flags.push("--build-arg".to_owned());
        flags.push(format!("{name}={value}"));
    }
    for (name, value) in request.labels {
        flags.push("--label".to_owned());
        flags.push(format!("{name}={value}"));
    }
    flags.extend(limit_flags(request.limits));
    flags.push("-f".to_owned());
    flags.push(dockerfile.display().to_string());
    flags.push(request.context.display().to_string());
    flags
}

/// `container_limits` as the flags of `docker build`, which buildah and podman copy.
fn limit_flags(limits: &ContainerLimits) -> Vec<String> {
    [
        ("--memory", &limits.memory),
        ("--memory-swap", &limits.memswap),
        ("--cpu-shares", &limits.cpushares),
        ("--cpuset-cpus", &limits.cpusetcpus),
    ]
    .into_iter()
    .filter_map(|(flag, value)| Some([flag.to_owned(), value.clone()?]))
    .flatten()
    .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn every_part() {
        let label = ImageLabel::parse("r.org:5000/foo:1.0").unwrap();
        let limits = ContainerLimits {
            memory: Some("1g".into()),
            cpusetcpus: Some("0-1".into()),
            ..ContainerLimits::default()
        };
        let request = BuildRequest {
            context: Path::new("/tmp/ctx"),
            label: &label,
            also_tagged: &[label.with_tag("latest")],
            use_cache: false,
            squash_steps: false,
            build_args: &[("http_proxy".into(), "http://p:8080".into())],
            labels: &[
                ("org.opencontainers.image.title".into(), "foo".into()),
                ("empty".into(), String::new()),
            ],
            limits: &limits,
            timeout: None,
            platform: None,
        };
        assert_eq!(
            common_build_flags(&request, &request.context.join("Dockerfile")).join(" "),
            "-t r.org:5000/foo:1.0 -t r.org:5000/foo:latest --build-arg http_proxy=http://p:8080 \
             --label org.opencontainers.image.title=foo --label empty= --memory 1g \
             --cpuset-cpus 0-1 -f /tmp/ctx/Dockerfile /tmp/ctx"
        );
    }
}
