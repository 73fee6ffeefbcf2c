//! Where log lines go: a log file (`./docker-pkg-build.log` unless `--log-file` or `log_file`
//! say otherwise, appended) with warnings also on the terminal, or everything on the terminal
//! with `--info` / `--debug`. Commands that only read (`graph`, `render`, `lint`) write no
//! file.

use std::cell::Cell;
use std::path::{Path, PathBuf};

use log::{Level, LevelFilter};

use crate::process::masked;
use crate::terminal::style::Style;

/// The log file of runs without `--info` or `--debug`, as docker-pkg 4.0.4 names it.
pub const LOG_FILE: &str = "docker-pkg-build.log";

/// The target of the full error of a failed image: the log has it, while the terminal shows
/// the one line the build prints for each image.
pub const IMAGE_FAILURES: &str = "docker_pkg::image_failures";

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

/// Where a command's log goes besides the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogFile {
    /// No file: the command only reads.
    None,
    /// The file a quiet run appends to (`./docker-pkg-build.log` by default).
    Default(PathBuf),
    /// A file asked for with `--log-file` or `log_file`: written with `--info` too.
    Chosen(PathBuf),
}

impl LogFile {
    /// The file a run with `verbosity` writes, if any.
    pub fn path(&self, verbosity: Verbosity) -> Option<&Path> {
        match (self, verbosity) {
            (LogFile::Chosen(path), _) | (LogFile::Default(path), Verbosity::Quiet) => Some(path),
            _ => None,
        }
    }
}

thread_local! {
    /// Whether this thread's log records are dropped (see [`muted`]).
    static MUTED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `work` with this thread's log records dropped: for work done again later, where its
/// messages will be said once.
pub fn muted<T>(work: impl FnOnce() -> T) -> T {
    let outer = MUTED.replace(true);
    let result = work();
    MUTED.set(outer);
    result
}

/// The log file cannot be opened.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the log file {}: {source}", .path.display())]
pub struct LogFileError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// Sets up logging for the whole process.
pub fn init(verbosity: Verbosity, file: &LogFile) -> Result<(), LogFileError> {
    let level = match verbosity {
        Verbosity::Debug => LevelFilter::Debug,
        _ => LevelFilter::Info,
    };
    let with_source = verbosity == Verbosity::Debug;
    let mut dispatch = fern::Dispatch::new();
    if let Some(path) = file.path(verbosity) {
        let file = fern::log_file(path).map_err(|source| LogFileError {
            path: path.to_owned(),
            source,
        })?;
        dispatch = dispatch.chain(full_format(level, with_source).chain(file));
    }
    dispatch = match verbosity {
        Verbosity::Quiet => dispatch.chain(short_format(LevelFilter::Warn).chain(
            fern::Output::call(|record| {
                crate::terminal::progress::eprint_line(&record.args().to_string())
            }),
        )),
        _ => dispatch.chain(full_format(level, with_source).chain(std::io::stderr())),
    };
    // A second call (tests run several commands in one process) keeps the first logger.
    let _ = dispatch.filter(|_| !MUTED.get()).apply();
    Ok(())
}

/// `2024-01-01 12:00:00 [docker-pkg-build] INFO - message`, as 4.0.4 writes, with the source
/// line (`(src/file.rs:12)`) when `with_source` (`--debug`).
fn full_format(level: LevelFilter, with_source: bool) -> fern::Dispatch {
    fern::Dispatch::new()
        .level(LevelFilter::Warn)
        .level_for("docker_pkg", level)
        .format(move |out, message, record| {
            let message = masked(&message.to_string()).into_owned();
            let time = chrono::Local::now().format("%Y-%m-%d %H:%M:%S");
            let level = level_name(record.level());
            match (with_source, record.file(), record.line()) {
                (true, Some(file), Some(line)) => out.finish(format_args!(
                    "{time} [docker-pkg-build] {level} - {message} ({file}:{line})"
                )),
                _ => out.finish(format_args!(
                    "{time} [docker-pkg-build] {level} - {message}"
                )),
            }
        })
}

/// `WARNING: message`, coloured on a terminal, next to the log file; other crates' messages
/// and the full errors of failed images (the build prints a line of its own for each) go to
/// the file only.
fn short_format(level: LevelFilter) -> fern::Dispatch {
    fern::Dispatch::new()
        .level(LevelFilter::Off)
        .level_for("docker_pkg", level)
        .level_for(IMAGE_FAILURES, LevelFilter::Off)
        .format(|out, message, record| {
            let style = match record.level() {
                Level::Error => Style::Failed,
                _ => Style::Warning,
            };
            let level = style.paint(level_name(record.level()));
            out.finish(format_args!("{level}: {message}"))
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
