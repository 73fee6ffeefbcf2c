use clap::CommandFactory;

use crate::cli::Cli;
use crate::cli::error::{Error, Outcome};

/// Prints the completion script of `shell` for every command and option.
pub fn completions(shell: clap_complete::Shell) -> Result<Outcome, Error> {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "docker-pkg", &mut std::io::stdout());
    Ok(Outcome::Success)
}

/// Prints the manual page, in roff.
pub fn manpage() -> Result<Outcome, Error> {
    let page = clap_mangen::Man::new(Cli::command());
    page.render(&mut std::io::stdout())
        .map_err(|source| Error::Write {
            path: "standard output".into(),
            source,
        })?;
    Ok(Outcome::Success)
}
