//! What the terminal shows during a build: a live line of running, done and failed images
//! (only on a terminal, only when the log goes to the file), with result lines and warnings
//! printed above it.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use crate::process::masked;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The bar being shown, if any: terminal lines from anywhere (the logger's warnings too) are
/// printed above it rather than through it.
static ACTIVE: Mutex<Option<ProgressBar>> = Mutex::new(None);

fn active() -> MutexGuard<'static, Option<ProgressBar>> {
    lock(&ACTIVE)
}

/// Removes the progress line for good: the run is being interrupted, and what follows is
/// printed plainly.
pub fn hide() {
    if let Some(bar) = active().take() {
        bar.finish_and_clear();
    }
}

/// Prints a line on standard error, above the progress bar when one is shown (colours kept
/// only where wanted, see `style`).
pub fn eprint_line(line: &str) {
    let line = masked(line);
    match active().as_ref() {
        Some(bar) => bar.suspend(|| anstream::eprintln!("{line}")),
        None => anstream::eprintln!("{line}"),
    }
}

/// Prints a line on standard output, above the progress bar when one is shown.
pub fn print_line(line: &str) {
    let line = masked(line);
    match active().as_ref() {
        Some(bar) => bar.suspend(|| anstream::println!("{line}")),
        None => anstream::println!("{line}"),
    }
}

/// The progress of one build run.
pub struct Progress {
    bar: Option<ProgressBar>,
    running: Mutex<Vec<String>>,
    failed: Mutex<usize>,
}

impl Progress {
    /// A live display of `total` images, when `live` (standard error is a terminal and the
    /// log goes to the file); otherwise only the result lines.
    pub fn new(total: usize, live: bool) -> Progress {
        let bar = (live && total > 0).then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{pos}/{len}] {elapsed} {wide_msg}")
                    .expect("the progress template is valid"),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            *active() = Some(bar.clone());
            bar
        });
        Progress {
            bar,
            running: Mutex::new(Vec::new()),
            failed: Mutex::new(0),
        }
    }

    pub fn started(&self, name: &str) {
        let mut running = lock(&self.running);
        running.push(name.to_owned());
        self.show(&running);
    }

    /// An image is done (or skipped); `line` says how.
    pub fn finished(&self, name: &str, line: &str, failed: bool) {
        if failed {
            *lock(&self.failed) += 1;
        }
        let mut running = lock(&self.running);
        running.retain(|n| n != name);
        print_line(line);
        if let Some(bar) = self.bar.as_ref().filter(|_| active().is_some()) {
            bar.inc(1);
        }
        self.show(&running);
    }

    fn show(&self, running: &[String]) {
        if let Some(bar) = self.bar.as_ref().filter(|_| active().is_some()) {
            let failed = *lock(&self.failed);
            let failed = if failed > 0 {
                format!("{failed} failed; ")
            } else {
                String::new()
            };
            bar.set_message(format!("{failed}running: {}", running.join(", ")));
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
            *active() = None;
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
