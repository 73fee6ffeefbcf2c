//! The command line and the `error`s and exit codes a command ends with.
//!
//! The command line, as docker-pkg 4.0.4 takes it, plus this tool's additions.

pub mod error;

use crate::terminal::style::ColorWhen;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum, ValueHint};

use crate::engine::engine_kind::EngineKind;
use crate::label::platform::{self, Platform};

/// Build trees of container images from Dockerfile templates, Debian changelogs and control
/// files, without a Docker daemon.
///
/// Each image is a directory holding a Jinja2 `Dockerfile.template`, a Debian `changelog`
/// (the newest entry gives the image's name and tag) and optionally a `control` file whose
/// `Depends:` names the images it is built on.
#[derive(Debug, Parser)]
#[command(
    name = "docker-pkg",
    version,
    max_term_width = 100,
    after_help = "Exit codes: 0 all went well; 1 some image failed (the others were done); \
                  2 bad input, configuration or environment (nothing was done)."
)]
pub struct Cli {
    /// The configuration file.
    #[arg(
        short = 'c',
        long = "configfile",
        value_name = "FILE",
        default_value = "config.yaml",
        global = true,
        value_hint = ValueHint::FilePath
    )]
    pub configfile: PathBuf,

    /// Log everything, debug messages included, to the terminal.
    #[arg(long, global = true, conflicts_with = "info")]
    pub debug: bool,

    /// Log to the terminal instead of ./docker-pkg-build.log.
    #[arg(long, global = true)]
    pub info: bool,

    /// The container tool to drive (overrides `engine:` of the configuration).
    #[arg(long, value_name = "ENGINE", global = true, value_parser = parse_engine)]
    pub engine: Option<EngineKind>,

    /// The platforms to build for, comma-separated (`linux/amd64,linux/arm64`; overrides
    /// `platforms:` of the configuration) [default: the host's].
    #[arg(long, value_name = "PLATFORMS", global = true, value_parser = parse_platforms)]
    pub platform: Option<PlatformList>,

    /// Where the log goes [default: `log_file` of the config, else ./docker-pkg-build.log];
    /// with --info or --debug, the log goes there as well as to the terminal.
    #[arg(long, value_name = "PATH", global = true, value_hint = ValueHint::FilePath)]
    pub log_file: Option<PathBuf>,

    /// When to colour the output: `auto` colours a terminal unless NO_COLOR is set (or
    /// CLICOLOR_FORCE forces colours anywhere).
    #[arg(long, value_enum, value_name = "WHEN", global = true, default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build the images missing from the registry, verify them and publish them.
    ///
    /// Every selected image that is neither published nor in local storage is built, with the
    /// images it is built on that are missing too, each after its dependencies and independent
    /// images at the same time. Each built image is verified (its test.sh); verified images are
    /// published (version tag and `latest`) when username and password are configured or
    /// --publish is given. An image whose dependency failed is not built; the others go on.
    Build(BuildArgs),
    /// Render the Dockerfile of every selected image, and the build order, into a folder.
    ///
    /// Needs no container tool, no registry and no network.
    Render(RenderArgs),
    /// Print the dependency graph of the images (edges go from an image to those built on it).
    Graph(GraphArgs),
    /// Remove from local storage the old versions of the images of a tree.
    ///
    /// For each selected image (an image before those it is built on), every local image of
    /// its repository (`REGISTRY/NAMESPACE/NAME`) that is not known by the image's current
    /// label loses its names in that repository, and leaves local storage with its last name.
    /// The current image keeps all its names, `latest` included; a `latest` that names an old
    /// version goes with it. Names in other repositories, images of other names and base
    /// images are never touched. With --nightly ID the current label is `NAME:VERSION-ID`.
    /// Needs the container tool, not the registry.
    Prune(PruneArgs),
    /// Add a changelog entry to an image and to every image built on it, directly or not.
    ///
    /// The image named NAME gets the entry `REASON` and version `--version` (or its version
    /// bumped: `X` becomes `X-s1`, `X-sN` becomes `X-s(N+1)`, `s` being `update_id`); every
    /// image built on it gets "Refresh for update in parent image NAME:" and a bumped version.
    /// Every changelog is checked before any is written: on a problem nothing changes.
    Update(UpdateArgs),
    /// Report what in a tree breaks builds later; exit 2 when a build would fail.
    ///
    /// Errors: a template naming an unknown image through image_tag, or failing to render; a
    /// `FROM` naming an image of the tree by its label without a dependency on it; a test.sh
    /// that bash cannot run; an unreadable definition; a dependency cycle. Warnings: an image
    /// a template names through image_tag that `Depends:` does not list (it is a dependency
    /// all the same); a `Depends:` entry naming nothing known; a changelog whose newest entry
    /// Debian's tools refuse. `build` and `render` say the same as warnings when they start.
    Lint(LintArgs),
    /// Write a CI pipeline that builds the images missing from the registry, one job each.
    Ci(CiArgs),
    /// Work with the JSON reports of runs (`build --report`).
    Report(ReportArgs),
    /// Print a completion script for a shell: `source <(docker-pkg completions bash)`.
    Completions(CompletionsArgs),
    /// Print the manual page (roff): `docker-pkg manpage > docker-pkg.1`.
    Manpage,
}

#[derive(Debug, Args)]
pub struct CiArgs {
    #[command(subcommand)]
    pub system: CiSystem,
}

#[derive(Debug, Subcommand)]
pub enum CiSystem {
    /// Print a GitLab CI pipeline: one job per image to build, then a summary.
    ///
    /// After the scan and the published check (the registry only: jobs may run on other
    /// machines, so local storage is not asked), every selected image that is not published
    /// gets a job, with `needs:` on the jobs of the images it is built on. Each job runs
    /// `docker-pkg build --publish --select LABEL` for its image alone, its dependencies
    /// being published (and so pulled) by then, and keeps its JSON report as an artifact; a
    /// last job (`when: always`) merges the reports (`report merge`) and fails when an image
    /// failed. `gitlab_ci:` of the configuration, and a `gitlab-ci.yaml` in an image's folder,
    /// set the jobs' runner, variables, retries and time-outs. With `platforms`, each job
    /// builds its image for all its platforms and publishes one manifest list; `--platform`
    /// given here is passed on to every job. With nothing to build, the pipeline is one job
    /// that says so.
    Gitlab(GitlabArgs),
}

#[derive(Debug, Args)]
pub struct GitlabArgs {
    /// Only images whose full label (`REGISTRY/NAMESPACE/NAME:TAG`) matches this shell glob,
    /// with the missing images they are built on; `*` matches `/` too.
    #[arg(long, value_name = "GLOB")]
    pub select: Option<String>,
    /// The tag suffix, decided now and given to every job (`--suffix-id`).
    #[command(flatten)]
    pub suffix: SuffixArgs,
    /// Write the pipeline to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub output: Option<PathBuf>,
    /// The directory to scan for image definitions, as the jobs will find it (relative to
    /// the project's folder).
    #[arg(value_name = "DIRECTORY", value_hint = ValueHint::DirPath)]
    pub directory: PathBuf,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub command: ReportCommand,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Merge the JSON reports of runs that each worked on part of a tree into one report.
    ///
    /// Each image is reported as the run that worked on it reports it (the jobs of a
    /// pipeline made by `ci gitlab`, one image each). An image named by --expect that no
    /// report worked on is skipped when an image its job needs failed or has no report
    /// either, and failed otherwise. Prints a line per image worked on and the failed and
    /// skipped images; exits 1 when any image failed or was skipped.
    Merge(MergeArgs),
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// An image a job was made for, with the images of the pipeline that job needs
    /// (`app=lib,base`); repeated for each job.
    #[arg(long, value_name = "IMAGE[=NEEDED,...]")]
    pub expect: Vec<String>,
    #[command(flatten)]
    pub files: ReportFiles,
    /// JSON reports, and folders whose `*.json` files are reports (a path that does not
    /// exist holds none).
    #[arg(value_name = "REPORT", value_hint = ValueHint::AnyPath)]
    pub reports: Vec<PathBuf>,
}

/// Where the reports of a run (or of merged runs) go.
#[derive(Debug, Args)]
pub struct ReportFiles {
    /// Write the report as JSON to FILE (with `build --dry-run`: the plan).
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub report: Option<PathBuf>,
    /// Write the verification results as JUnit XML to FILE (one test case per verified
    /// image).
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub junit: Option<PathBuf>,
    /// Write the report as one HTML page to FILE: a table of the images, a timeline of the
    /// steps and the dependency graph, in one file that needs no network.
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub report_html: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    pub format: LintFormat,
    /// The directory to scan for image definitions.
    #[arg(value_name = "DIRECTORY", value_hint = ValueHint::DirPath)]
    pub directory: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    /// One line per finding, then the counts.
    Text,
    /// `{"findings": [...], "errors": N, "warnings": N}`.
    Json,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `--nightly` / `--snapshot` / `--suffix-id`.
#[derive(Debug, Clone, Default, Args)]
#[group(multiple = false)]
pub struct SuffixArgs {
    /// Append `-YYYYMMDD` (today) to every tag.
    #[arg(long)]
    pub nightly: bool,
    /// Append `-YYYYMMDD-HHMMSS` (now) to every tag.
    #[arg(long)]
    pub snapshot: bool,
    /// Append `-ID` to every tag: the suffix another run decided, so that runs that must
    /// agree (the jobs of a pipeline made by `ci gitlab --nightly`) do not each read the
    /// clock.
    #[arg(long, value_name = "ID", value_parser = parse_nightly_id)]
    pub suffix_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub suffix: SuffixArgs,
    /// Use the build cache (builds start from scratch by default).
    #[arg(long)]
    pub use_cache: bool,
    /// Put all of an image's own steps in one layer, rather than one per RUN, COPY and ADD
    /// step as Docker does: fewer layers to store and push, and files that a later step
    /// deletes are not published at all [default: `squash_steps` of the config, else off;
    /// buildah and podman only].
    #[arg(long)]
    pub squash_steps: bool,
    /// Do not pull: build what is missing locally, whatever the registry holds.
    #[arg(long)]
    pub no_pull: bool,
    /// Only images whose full label (`REGISTRY/NAMESPACE/NAME:TAG`) matches this shell glob,
    /// with the missing images they are built on; `*` matches `/` too.
    #[arg(long, value_name = "GLOB")]
    pub select: Option<String>,
    /// How many images to build at the same time, and how many tests to run at the same
    /// time beside them [default: `jobs` of the config, else the number of CPUs].
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: Option<u32>,
    /// Publish with the registry login already in place (`buildah login`,
    /// REGISTRY_AUTH_FILE) when no username and password are configured.
    #[arg(long, conflicts_with = "no_publish")]
    pub publish: bool,
    /// Do not publish, even with credentials configured.
    #[arg(long)]
    pub no_publish: bool,
    /// After publishing, check that each tag pushed has a signature that verifies with the
    /// signing key (always done when `sign_by` or `sigstore_private_key` is configured).
    #[arg(long)]
    pub check_signatures: bool,
    /// Stop an image's build, and fail the image, past this duration (`30m`, `1h 30m`)
    /// [default: `build_timeout` of the config, else no limit].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub build_timeout: Option<Duration>,
    /// Stop an image's test, and fail the image, past this duration (`90s`, `10m`)
    /// [default: `verify_timeout` of the config, else no limit].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub verify_timeout: Option<Duration>,
    /// Scan, ask the registry, and print what a run would do to each image and why, without
    /// building, pulling or pushing anything.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub files: ReportFiles,
    /// The directory to scan for image definitions.
    #[arg(value_name = "DIRECTORY", value_hint = ValueHint::DirPath)]
    pub directory: PathBuf,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Only images whose full label (`REGISTRY/NAMESPACE/NAME:TAG`) matches this shell glob;
    /// `*` matches `/` too.
    #[arg(long, value_name = "GLOB")]
    pub select: Option<String>,
    #[command(flatten)]
    pub suffix: SuffixArgs,
    /// Where to write `<name>/Dockerfile` for each image, and `chain.txt`.
    #[arg(long, value_name = "OUT", value_hint = ValueHint::DirPath)]
    pub output: PathBuf,
    /// The directory to scan for image definitions.
    #[arg(value_name = "DIRECTORY", value_hint = ValueHint::DirPath)]
    pub directory: PathBuf,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,
    /// The directory to scan for image definitions.
    #[arg(value_name = "DIRECTORY", value_hint = ValueHint::DirPath)]
    pub directory: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz.
    Dot,
    /// A Mermaid flowchart.
    Mermaid,
    /// Images, base images and edges as JSON.
    Json,
}

/// `--platform`: platforms, each once.
#[derive(Debug, Clone)]
pub struct PlatformList(pub Vec<Platform>);

fn parse_platforms(text: &str) -> Result<PlatformList, String> {
    platform::parse_list(text.split(',')).map(PlatformList)
}

fn parse_engine(name: &str) -> Result<EngineKind, String> {
    name.parse()
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    crate::config::parse_duration(text)
        .filter(|d| !d.is_zero())
        .ok_or_else(|| "a duration such as `90s`, `10m` or `1h 30m`".to_owned())
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Only images whose full label (`REGISTRY/NAMESPACE/NAME:TAG`) matches this shell glob;
    /// `*` matches `/` too.
    #[arg(long, value_name = "GLOB")]
    pub select: Option<String>,
    /// Keep the nightly build `VERSION-ID` of each image (the plain `VERSION` goes).
    #[arg(long, value_name = "ID", value_parser = parse_nightly_id)]
    pub nightly: Option<String>,
    /// The directory to scan for image definitions.
    #[arg(value_name = "DIRECTORY", value_hint = ValueHint::DirPath)]
    pub directory: PathBuf,
}

/// An ID that makes `VERSION-ID` a valid tag.
fn parse_nightly_id(id: &str) -> Result<String, String> {
    let valid = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if valid {
        Ok(id.to_owned())
    } else {
        Err("an image tag suffix takes only letters, digits, `_`, `.` and `-`".to_owned())
    }
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The name of the image being updated (a shell glob matches several).
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Why: the text of the new changelog entries (may span several lines).
    #[arg(long, default_value = "Security update")]
    pub reason: String,
    /// The new version of the image named NAME (default: its version bumped).
    #[arg(short = 'v', long)]
    pub version: Option<String>,
    /// The directory to scan for image definitions.
    #[arg(value_name = "DIRECTORY", value_hint = ValueHint::DirPath)]
    pub directory: PathBuf,
}
