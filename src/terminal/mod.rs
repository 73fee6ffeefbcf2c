//! What the person or CI job at the terminal sees and does: the `style` of text, the live
//! `progress` line, the `logging` to the log file and the terminal, and what an
//! `interrupt` (Ctrl-C, a cancelled job) does to a run.

pub(crate) mod interrupt;
pub(crate) mod logging;
pub(crate) mod progress;
pub(crate) mod style;
