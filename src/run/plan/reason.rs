//! Why the plan does what it does to an image: what `--dry-run` and the reports say.

use std::fmt;

/// Why an image gets the steps it gets (or none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Neither published nor in local storage (with `--no-pull`: not in local storage).
    Missing,
    /// In local storage, not published: verified, then published.
    BuiltNotPublished,
    /// Its tag is in the registry.
    Published,
    /// In local storage, and nothing publishes it (no credentials, `--no-publish`).
    KeptLocal,
    /// Outside `--select`, and no selected image needs it.
    NotSelected,
    /// Its version is not a valid tag.
    InvalidTag,
    /// A link in its folder leads out of the tree.
    LinkOutside,
    /// The registry could not say whether it is published.
    Unchecked,
}

impl Reason {
    /// A stable name, for tools reading the JSON report.
    pub fn code(self) -> &'static str {
        match self {
            Reason::Missing => "missing",
            Reason::BuiltNotPublished => "built_not_published",
            Reason::Published => "published",
            Reason::KeptLocal => "kept_local",
            Reason::NotSelected => "not_selected",
            Reason::InvalidTag => "invalid_tag",
            Reason::LinkOutside => "link_outside",
            Reason::Unchecked => "unchecked",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reason::Missing => "not published and not in local storage",
            Reason::BuiltNotPublished => "in local storage, not published",
            Reason::Published => "already published",
            Reason::KeptLocal => "in local storage; not publishing",
            Reason::NotSelected => "not selected",
            Reason::InvalidTag => "fails: its version is not a valid tag",
            Reason::LinkOutside => "fails: a link in its folder leads out of the tree",
            Reason::Unchecked => "fails: the registry cannot say whether it is published",
        })
    }
}
