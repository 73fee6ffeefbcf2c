//! docker-pkg: builds trees of container images from Dockerfile templates, Debian changelogs
//! and control files, driving buildah, podman or the docker CLI instead of a Docker daemon.
//!
//! The pipeline, one module per step: definitions are [`scan`]ned into an [`tree::ImageTree`],
//! planned into a [`graph::DependencyGraph`], and their templates rendered by
//! [`template::Renderer`]; every container tool is behind [`engine`].

mod author;
mod base_images;
mod build_context;
mod changelog;
mod ci;
pub mod cli;
mod commands;
mod config;
mod confinement;
pub mod container_limits;
mod control;
pub mod credentials;
mod definition;
mod dockerignore;
pub mod engine;
mod engine_kind;
pub mod error;
mod exported_image;
#[cfg(test)]
mod fakes;
mod graph;
mod image_locks;
mod image_state;
mod implied;
mod interrupt;
pub mod label;
mod lint;
mod logging;
mod pipeline;
mod plan;
pub mod platform;
mod private_dir;
pub mod process;
mod progress;
mod provenance;
mod record;
pub mod registry;
mod regular_file;
mod replace_all;
mod report;
pub mod retry;
mod rootless;
mod run_dir;
mod scan;
mod scheduler;
mod select;
mod settings;
pub mod signing;
mod step;
mod style;
mod summary;
pub mod template;
mod tree;
mod verify;
mod version_bump;
mod workspace;

use cli::{CiSystem, Cli, Command, ReportCommand, SuffixArgs};
use config::Config;
use error::{Error, Outcome};
use label::TagSuffix;
use logging::{LogFile, Verbosity};

/// Runs one command line.
pub fn run(cli: &Cli) -> Result<Outcome, Error> {
    style::init(cli.color);
    match &cli.command {
        Command::Completions(args) => return commands::completions(args.shell),
        Command::Manpage => return commands::manpage(),
        _ => {}
    }
    let mode = match cli.command {
        Command::Build(_) | Command::Prune(_) | Command::Update(_) => interrupt::Mode::Finish,
        _ => interrupt::Mode::Exit,
    };
    interrupt::install(mode).map_err(Error::Signals)?;
    let mut config = match cli.command {
        // Merging reports reads no configuration: it runs where there may be none.
        Command::Report(_) => Config::from_values(config::defaults())?,
        _ => Config::load(&cli.configfile)?,
    };
    if let Some(engine) = cli.engine {
        config.engine = engine;
    }
    process::mask_in_messages(config.secrets());
    if let Some(platforms) = &cli.platform {
        config.platforms = Some(platforms.0.clone());
    }
    let log_file = log_file(cli, &config);
    logging::init(verbosity(cli), &log_file)?;
    // The commands that start container tools keep their temporary files in one folder.
    let _run_dir = match mode {
        interrupt::Mode::Finish => Some(run_dir::RunDir::start().map_err(Error::RunDir)?),
        interrupt::Mode::Exit => None,
    };
    let result = match &cli.command {
        Command::Build(args) => {
            let log_path = log_file.path(verbosity(cli));
            commands::build(
                &config,
                args,
                &suffix(&args.suffix),
                verbosity(cli),
                log_path,
            )
        }
        Command::Render(args) => commands::render(&config, args, &suffix(&args.suffix)),
        Command::Graph(args) => commands::graph(&config, args),
        Command::Lint(args) => commands::lint(&config, args),
        Command::Prune(args) => commands::prune(&config, args),
        Command::Update(args) => commands::update(&config, args),
        Command::Ci(args) => match &args.system {
            CiSystem::Gitlab(args) => {
                let caller = commands::Caller {
                    configfile: &cli.configfile,
                    engine: cli.engine.map(|engine| engine.name()),
                };
                commands::gitlab(&config, &caller, args, &suffix(&args.suffix))
            }
        },
        Command::Report(args) => match &args.command {
            ReportCommand::Merge(args) => commands::merge_reports(args),
        },
        Command::Completions(_) | Command::Manpage => Ok(Outcome::Success),
    };
    match (result, interrupt::received()) {
        // What an interruption stopped is no error of the configuration or the input.
        (Err(error), Some(signal)) => {
            log::info!("{error}");
            println!("Interrupted by {}.", interrupt::name(signal));
            Ok(Outcome::Interrupted { signal })
        }
        (result, _) => result,
    }
}

/// Where the log of this command line goes: nowhere for the commands that only read.
fn log_file(cli: &Cli, config: &Config) -> LogFile {
    let read_only = matches!(
        cli.command,
        Command::Graph(_)
            | Command::Render(_)
            | Command::Lint(_)
            | Command::Ci(_)
            | Command::Report(_)
    );
    match cli.log_file.clone().or_else(|| config.log_file.clone()) {
        _ if read_only => LogFile::None,
        Some(path) => LogFile::Chosen(path),
        None => LogFile::Default(logging::LOG_FILE.into()),
    }
}

pub fn verbosity(cli: &Cli) -> Verbosity {
    if cli.debug {
        Verbosity::Debug
    } else if cli.info {
        Verbosity::Info
    } else {
        Verbosity::Quiet
    }
}

/// The tag suffix of this run, from the time it started.
fn suffix(args: &SuffixArgs) -> TagSuffix {
    let now = chrono::Local::now();
    if let Some(id) = &args.suffix_id {
        TagSuffix::Given(id.clone())
    } else if args.nightly {
        TagSuffix::nightly(now)
    } else if args.snapshot {
        TagSuffix::snapshot(now)
    } else {
        TagSuffix::None
    }
}
