//! Where log lines go: `./docker-pkg-build.log` (appended) with warnings also on the terminal,
//! or everything on the terminal with `--info` / `--debug`.

use std::path::Path;

use log::{Level, LevelFilter};

use crate::error::Error;

/// The log file of runs without `--info` or `--debug`, as docker-pkg 4.0.4 names it.
pub const LOG_FILE: &str = "docker-pkg-build.log";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// Info to the log file, warnings and errors to the terminal too.
    Quiet,
    Info,
    Debug,
}

impl Verbosity {
    pub fn logs_to_terminal(self) -> bool {
        self != Verbosity::Quiet
    }
}

/// Sets up logging for the whole process.
pub fn init(verbosity: Verbosity) -> Result<(), Error> {
    let dispatch = match verbosity {
        Verbosity::Quiet => {
            let path = Path::new(LOG_FILE);
            let file = fern::log_file(path).map_err(|source| Error::Log {
                path: path.to_owned(),
                source,
            })?;
            fern::Dispatch::new()
                .chain(full_format(LevelFilter::Info).chain(file))
                .chain(
                    short_format(LevelFilter::Warn).chain(fern::Output::call(|record| {
                        crate::progress::eprint_line(&record.args().to_string())
                    })),
                )
        }
        Verbosity::Info => full_format(LevelFilter::Info).chain(std::io::stderr()),
        Verbosity::Debug => full_format(LevelFilter::Debug).chain(std::io::stderr()),
    };
    // A second call (tests run several commands in one process) keeps the first logger.
    let _ = dispatch.apply();
    Ok(())
}

/// `2024-01-01 12:00:00 [docker-pkg-build] INFO - message (src/file.rs:12)`, as 4.0.4 writes.
fn full_format(level: LevelFilter) -> fern::Dispatch {
    fern::Dispatch::new()
        .level(LevelFilter::Warn)
        .level_for("docker_pkg", level)
        .format(|out, message, record| {
            out.finish(format_args!(
                "{} [docker-pkg-build] {} - {} ({}:{})",
                chrono::Local::now().format("%Y-%m-%d %H:%M:%S"),
                level_name(record.level()),
                message,
                record.file().unwrap_or("?"),
                record.line().unwrap_or(0),
            ))
        })
}

/// `WARNING: message`, for the terminal next to the log file; other crates' messages go to
/// the file only.
fn short_format(level: LevelFilter) -> fern::Dispatch {
    fern::Dispatch::new()
        .level(LevelFilter::Off)
        .level_for("docker_pkg", level)
        .format(|out, message, record| {
            out.finish(format_args!("{}: {}", level_name(record.level()), message))
        })
}

/// Python's level names.
fn level_name(level: Level) -> &'static str {
    match level {
        Level::Error => "ERROR",
        Level::Warn => "WARNING",
        Level::Info => "INFO",
        Level::Debug | Level::Trace => "DEBUG",
    }
}
