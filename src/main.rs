use std::process::ExitCode;

use clap::Parser;

use docker_pkg::cli::Cli;
use docker_pkg::error::{Error, exit_code};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = docker_pkg::run(&cli);
    if let Err(error) = &result {
        report(error, cli.debug);
    }
    ExitCode::from(exit_code(&result))
}

/// One line per problem; with `--debug`, each followed by its causes.
fn report(error: &Error, debug: bool) {
    for line in error.lines() {
        eprintln!("docker-pkg: error: {line}");
    }
    if debug {
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            eprintln!("  caused by: {cause}");
            source = cause.source();
        }
    }
}
