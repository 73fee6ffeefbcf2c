//! Masking the run's secrets in anything a child printed, as a last defence: the password never
//! reaches a command line (the tools read it from an auth file), but a tool may echo what it
//! read. A secret of eight characters or more is masked wherever it appears; a shorter one only
//! where it stands as a whole token, so that masking never garbles ordinary words (`re***ository`
//! for a password `pos`), which would also give the password away.

use std::borrow::Cow;
use std::sync::{Arc, RwLock};

const ANYWHERE_FROM: usize = 8;
const MASK: &str = "***";

#[derive(Debug, Clone, Default)]
pub struct Secrets(Arc<Vec<String>>);

/// The secrets of the command being run, masked in every message the tool writes.
static IN_MESSAGES: RwLock<Option<Secrets>> = RwLock::new(None);

/// Makes `secrets` the ones [`masked`] hides, from now on.
pub fn mask_in_messages(secrets: Secrets) {
    *IN_MESSAGES
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(secrets);
}

/// `text` with the run's secrets masked: what every message goes through before it is
/// written (the terminal, the log, the reports), whatever it quotes: the output of a tool, an
/// error of a template that quotes a value (`{{ {}[password] }}`).
pub fn masked(text: &str) -> Cow<'_, str> {
    in_messages().masked(text)
}

/// The secrets [`masked`] hides.
pub fn in_messages() -> Secrets {
    let secrets = IN_MESSAGES
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    secrets.clone().unwrap_or_default()
}

impl Secrets {
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Secrets {
        Secrets(Arc::new(
            secrets.into_iter().filter(|s| !s.is_empty()).collect(),
        ))
    }

    /// `text` with every secret replaced by `***`, borrowed when none is there.
    pub fn masked<'t>(&self, text: &'t str) -> Cow<'t, str> {
        if self.0.iter().any(|secret| text.contains(secret.as_str())) {
            Cow::Owned(self.mask(text))
        } else {
            Cow::Borrowed(text)
        }
    }

    /// `text` with every secret replaced by `***`.
    pub fn mask(&self, text: &str) -> String {
        self.0.iter().fold(text.to_owned(), |text, secret| {
            if secret.chars().count() >= ANYWHERE_FROM {
                text.replace(secret.as_str(), MASK)
            } else {
                mask_tokens(&text, secret)
            }
        })
    }
}

/// `text` with `secret` replaced where neither neighbour is part of a word.
fn mask_tokens(text: &str, secret: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(secret) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + secret.len()..].chars().next();
        let whole = !before.is_some_and(is_word) && !after.is_some_and(is_word);
        out.push_str(&rest[..at]);
        out.push_str(if whole { MASK } else { secret });
        rest = &rest[at + secret.len()..];
    }
    out.push_str(rest);
    out
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_secrets_go_everywhere() {
        let secrets = Secrets::new(["hunter2hunter2".to_owned()]);
        assert_eq!(secrets.mask("x-hunter2hunter2-y"), "x-***-y");
        assert_eq!(secrets.mask("xhunter2hunter2y"), "x***y");
    }

    #[test]
    fn messages_hide_the_secrets_of_the_run() {
        mask_in_messages(Secrets::new(["messages-secret-1".to_owned()]));
        assert_eq!(masked("KeyError: 'messages-secret-1'"), "KeyError: '***'");
        assert!(matches!(masked("nothing to hide"), Cow::Borrowed(_)));
    }

    #[test]
    fn short_secrets_only_as_whole_tokens() {
        let secrets = Secrets::new(["pos".to_owned(), String::new()]);
        assert_eq!(secrets.mask("repository pos"), "repository ***");
        assert_eq!(secrets.mask("password=pos;"), "password=***;");
        assert_eq!(secrets.mask("pos"), "***");
        assert_eq!(secrets.mask("posix"), "posix");
    }
}
