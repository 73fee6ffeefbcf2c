//! docker-pkg: builds trees of container images from Dockerfile templates, Debian changelogs
//! and control files, driving buildah, podman or the docker CLI instead of a Docker daemon.
//!
//! The modules in the order a build goes through them; the last three are the layers the
//! others stand on. No module imports one above it in a cycle (`tests/architecture.rs`); the
//! Jinja2 engine and the YAML 1.1 reader are crates of their own (`crates/`).

/// The command line, and the errors and exit codes a command ends with.
pub mod cli;

/// The configuration: defaults, the user's file, `-c FILE`, assembled into each layer's settings.
mod config;

/// The tree of image definitions: scanned, read (changelog, control, platforms), confined.
mod tree;

/// `Dockerfile.template` rendered as docker-pkg 4.0.4 renders it, with its filters.
pub mod template;

/// A build run: planned, scheduled, and each image pulled, built, verified and published.
mod run;

/// The container tools (buildah, podman, docker) behind one trait.
pub mod engine;

/// The registry: what is published, uploads, trust, credentials.
pub mod registry;

/// What a run tells afterwards: the JSON, JUnit and HTML reports.
mod report;

/// The tree handed to a CI system's scheduler (`ci gitlab`).
mod ci;

/// One function per command.
mod commands;

/// Image references and platforms: the vocabulary every layer speaks.
pub mod label;

/// What the terminal shows and does: colours, the live line, the log, interruptions.
mod terminal;

/// Child processes (groups, time-outs, masked secrets) and the run's temporary folders.
pub mod process;

use cli::error::{Error, Outcome};
use cli::{CiSystem, Cli, Command, ReportCommand, SuffixArgs};
use config::Config;
use label::TagSuffix;
use process::run_dir;
use terminal::logging::{self, LogFile, Verbosity};
use terminal::{interrupt, style};

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
                    platforms: cli.platform.as_ref().map(|list| list.0.as_slice()),
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
