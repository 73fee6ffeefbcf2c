//! Colours on the terminal: outcomes, headers and warnings. Text is painted with ANSI codes
//! and printed through `anstream`, which drops them where colours are not wanted: output that
//! is not a terminal, `NO_COLOR`, `TERM=dumb`, `--color never`; `CLICOLOR_FORCE` and
//! `--color always` keep them anywhere.

use anstyle::{AnsiColor, Effects};

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

/// What a piece of text is, and so its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `== Step 1: building images ==`.
    Header,
    /// Built or verified.
    Done,
    Published,
    Failed,
    Skipped,
    Warning,
    /// What matters less: up-to-date images, the lines of a test's output.
    Dim,
}

impl Style {
    fn anstyle(self) -> anstyle::Style {
        let color = |c: AnsiColor| anstyle::Style::new().fg_color(Some(c.into()));
        match self {
            Style::Header => anstyle::Style::new().effects(Effects::BOLD),
            Style::Done => color(AnsiColor::Cyan),
            Style::Published => color(AnsiColor::Green),
            Style::Failed => color(AnsiColor::Red).effects(Effects::BOLD),
            Style::Skipped => color(AnsiColor::Yellow),
            Style::Warning => color(AnsiColor::Yellow).effects(Effects::BOLD),
            Style::Dim => anstyle::Style::new().effects(Effects::DIMMED),
        }
    }

    /// `text` in this style (the codes are dropped on output where colours are not wanted).
    pub fn paint(self, text: &str) -> String {
        let style = self.anstyle();
        format!("{style}{text}{style:#}")
    }

    /// The style of an image's result word: `published`, `failed`, …
    pub fn of_result(result: &str) -> Style {
        match result {
            "published" => Style::Published,
            "failed" => Style::Failed,
            "skipped" | "interrupted" => Style::Skipped,
            _ => Style::Done,
        }
    }
}

/// Applies `--color` to every output of the process.
pub fn init(when: ColorWhen) {
    let choice = match when {
        ColorWhen::Auto => anstream::ColorChoice::Auto,
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
    };
    choice.write_global();
}
