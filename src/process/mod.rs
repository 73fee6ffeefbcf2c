//! Running other programs: the container tools, verify scripts and git. Every child runs in a
//! process group of its own, which a time-out or an interruption stops whole; what it prints
//! reaches messages bounded in size and with the run's secrets masked.

mod command;
mod duration;
mod error;
mod exit_status;
mod groups;
mod lines;
pub(crate) mod private_dir;
mod program;
pub(crate) mod run_dir;
mod secrets;
mod tail;

pub use command::Command;
pub use duration::humanize;
pub use error::ProcessError;
pub use exit_status::ExitStatus;
pub use groups::{is_stopping, sleep_unless_stopping, stop_all};
pub use lines::MAX_LINE;
pub use program::find_program;
pub use secrets::{Secrets, in_messages, mask_in_messages, masked};
pub use tail::Tail;
