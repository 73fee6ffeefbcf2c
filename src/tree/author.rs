//! Who signs the changelog entries of `update`.

use crate::process::{Command, find_program};

/// `NAME <EMAIL>`: `DEBFULLNAME` and `DEBEMAIL`, else git's `user.name` and `user.email`,
/// else the configured fallbacks; each part on its own.
pub fn author(fallback_name: &str, fallback_email: &str) -> String {
    let name = from_env("DEBFULLNAME")
        .or_else(|| from_git("user.name"))
        .unwrap_or_else(|| fallback_name.to_owned());
    let email = from_env("DEBEMAIL")
        .or_else(|| from_git("user.email"))
        .unwrap_or_else(|| fallback_email.to_owned());
    format!("{name} <{email}>")
}

fn from_env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

/// A value of git's configuration; none when git is missing or the key is not set.
fn from_git(key: &str) -> Option<String> {
    let git = find_program("git".as_ref())?;
    let output = Command::new(git).args(["config", "--get", key]).output();
    let value = output.ok()?.trim_end().to_owned();
    (!value.is_empty()).then_some(value)
}
