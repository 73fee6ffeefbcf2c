use std::process::ExitCode;

use clap::Parser;

use docker_pkg::cli::Cli;
use docker_pkg::cli::error::{Error, exit_code};
use docker_pkg::process::masked;

fn main() -> ExitCode {
    close_to_other_processes();
    let cli = Cli::parse();
    let result = docker_pkg::run(&cli);
    if let Err(error) = &result {
        report(error, cli.debug);
    }
    ExitCode::from(exit_code(&result))
}

/// Keeps other processes of the user, the tests a build runs among them, from reading this
/// one's environment (which may hold `DOCKER_PKG_PASSWORD`) and memory through `/proc` or
/// ptrace, as ssh-agent does. The programs it starts are dumpable again once they exec.
fn close_to_other_processes() {
    use rustix::process::{DumpableBehavior, set_dumpable_behavior};
    if let Err(error) = set_dumpable_behavior(DumpableBehavior::NotDumpable) {
        eprintln!("docker-pkg: warning: cannot close this process to others: {error}");
    }
}

/// One line per problem; with `--debug`, each followed by its causes.
fn report(error: &Error, debug: bool) {
    for line in error.lines() {
        eprintln!("docker-pkg: error: {}", masked(&line));
    }
    if debug {
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            eprintln!("  caused by: {}", masked(&cause.to_string()));
            source = cause.source();
        }
    }
}
