//! The process groups of the children running now, so that an interruption can stop them all,
//! and so that nothing new starts once it has begun.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process_group, test_kill_process_group};

static RUNNING: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());
static STOPPING: AtomicBool = AtomicBool::new(false);

/// How long a group stopped with SIGTERM has before SIGKILL.
const GRACE: Duration = Duration::from_secs(5);

fn running() -> MutexGuard<'static, BTreeSet<i32>> {
    RUNNING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Whether an interruption has begun: no new child starts.
pub fn is_stopping() -> bool {
    STOPPING.load(Ordering::SeqCst)
}

/// A child's process group, registered for as long as this lives.
pub struct Registered(i32);

impl Registered {
    /// Registers the group led by `pid`; if an interruption began meanwhile, stops it at once.
    pub fn new(pid: u32) -> Registered {
        let group = pid as i32;
        running().insert(group);
        if is_stopping() {
            signal(group, Signal::KILL);
        }
        Registered(group)
    }

    /// Asks the group to end (SIGTERM).
    pub fn terminate(&self) {
        signal(self.0, Signal::TERM);
    }

    /// Ends the group at once (SIGKILL).
    pub fn kill(&self) {
        signal(self.0, Signal::KILL);
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        running().remove(&self.0);
    }
}

/// Sleeps for `duration`, or less when an interruption begins; whether it slept it all.
pub fn sleep_unless_stopping(duration: Duration) -> bool {
    let deadline = Instant::now() + duration;
    while !is_stopping() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        std::thread::sleep(left.min(Duration::from_millis(100)));
    }
    false
}

/// Begins an interruption: nothing new starts, and every running group gets SIGTERM, then
/// SIGKILL after a grace period (`immediately`: SIGKILL at once, for a second signal).
pub fn stop_all(immediately: bool) {
    STOPPING.store(true, Ordering::SeqCst);
    let groups: Vec<i32> = running().iter().copied().collect();
    let grace = if immediately { Duration::ZERO } else { GRACE };
    stop_groups(&groups, grace);
}

fn stop_groups(groups: &[i32], grace: Duration) {
    if grace.is_zero() {
        groups.iter().for_each(|&g| signal(g, Signal::KILL));
        return;
    }
    groups.iter().for_each(|&g| signal(g, Signal::TERM));
    let deadline = Instant::now() + grace;
    while groups.iter().any(|&g| alive(g)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    groups.iter().for_each(|&g| signal(g, Signal::KILL));
}

fn signal(group: i32, signal: Signal) {
    if let Some(pid) = Pid::from_raw(group) {
        // A group that is gone already is what was wanted.
        let _ = kill_process_group(pid, signal);
    }
}

fn alive(group: i32) -> bool {
    Pid::from_raw(group).is_some_and(|pid| test_kill_process_group(pid).is_ok())
}
