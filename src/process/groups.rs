//! The process groups of the children running now, so that an interruption can stop them all,
//! and so that nothing new starts once it has begun.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rustix::io::Errno;
use rustix::process::{
    Pid, Signal, WaitId, WaitIdOptions, kill_process, kill_process_group, waitid,
};

static RUNNING: Mutex<BTreeMap<i32, Leader>> = Mutex::new(BTreeMap::new());
static STOPPING: AtomicBool = AtomicBool::new(false);

/// How long a group being stopped has before SIGKILL.
const GRACE: Duration = Duration::from_secs(25);
/// How long only the processes of a group but its leader are asked to stop: long enough for
/// a container tool to reach a step it can be interrupted in, and to clean up after it.
const LEADER_SPARED: Duration = Duration::from_secs(10);
/// When SIGINT, which background processes of a shell ignore, gives way to SIGTERM.
const INSIST_AFTER: Duration = Duration::from_secs(15);
/// The first word of the command lines of the helpers container tools start for themselves
/// (`storage-applyLayer`, `storage-untar`): interrupting one makes buildah crash half-way
/// through a commit, leaving its working container behind.
const TOOL_HELPER: &str = "storage-";
/// How long what is left of a group after its command ended has after SIGTERM.
const LEFTOVER_GRACE: Duration = Duration::from_secs(2);
/// How often a group being stopped is looked at again.
const POLL: Duration = Duration::from_millis(50);

/// How a process is asked to stop: SIGINT, as Ctrl-C would.
const ASK: Signal = Signal::INT;

/// Whether the leader of a group (the command) is asked to stop with the rest of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leader {
    /// Asked too, after the others (a test script, a push).
    Asked,
    /// Never asked, only killed past the grace period: it ends on its own once a process it
    /// started fails, and cleans up then, while a signal would end it before it does. A
    /// container build is one: SIGINT or SIGTERM ends buildah at once unless a `RUN` step
    /// runs (setting up `FROM`, committing a step), and podman whatever it does, both leaving
    /// their working container in the storage (buildah 1.28, podman 4.3).
    Spared,
}

fn running() -> MutexGuard<'static, BTreeMap<i32, Leader>> {
    RUNNING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Whether an interruption has begun: no new child starts.
pub fn is_stopping() -> bool {
    STOPPING.load(Ordering::SeqCst)
}

/// A child's process group, registered for as long as this lives (unless it cleans up after
/// an interruption, which must not stop it). What is left of the group when its command has
/// ended (a server a test script started in the background) is stopped when this goes.
pub struct Registered {
    group: i32,
    leader: Leader,
    stoppable: bool,
}

impl Registered {
    /// Registers the group led by `pid` when `stoppable`; if an interruption began
    /// meanwhile, it is stopped with the others (the stopping goes on for as long as groups
    /// register).
    pub fn new(pid: u32, leader: Leader, stoppable: bool) -> Registered {
        let group = pid as i32;
        if stoppable {
            running().insert(group, leader);
        }
        stop_leftovers_when_leader_ends(group);
        Registered {
            group,
            leader,
            stoppable,
        }
    }

    /// Moves the stopping of this group on, `since` it began (see [`nudge`]).
    pub fn nudge(&self, since: Duration) {
        nudge(self.group, self.leader, since);
    }
}

/// Stops a group by stages, `since` its stopping began, called again and again until it is
/// gone. First every process of the group but its leader and the tools' own helpers is asked
/// to stop (SIGINT): a container tool then sees the command of the step it runs fail and
/// cleans up as after any failure (buildah interrupted itself while it sets up or commits a
/// container leaves the container behind). Then the leader is asked too, unless it is
/// [`Leader::Spared`], and what is left gets SIGTERM (the background processes of a shell
/// ignore SIGINT); past the grace period, SIGKILL.
pub fn nudge(group: i32, leader: Leader, since: Duration) {
    // A group without processes is gone, and its id may be another's soon: no signal then.
    if members(group).is_empty() {
        return;
    }
    let asked = leader == Leader::Asked;
    let followers = || {
        let members = members(group);
        // Run rootless, a spared build tool runs again as its own child in a user namespace
        // (same command), which is the build itself: it is spared too.
        let spared: Option<String> = (!asked)
            .then(|| members.iter().find(|(pid, _)| *pid == group))
            .flatten()
            .map(|(_, command)| command.clone());
        members
            .into_iter()
            .filter(move |(pid, command)| {
                *pid != group
                    && !command.starts_with(TOOL_HELPER)
                    && spared.as_ref() != Some(command)
            })
            .map(|(pid, _)| pid)
    };
    if since >= GRACE {
        signal(group, Signal::KILL);
    } else if since >= INSIST_AFTER && asked {
        signal(group, Signal::TERM);
    } else if since >= LEADER_SPARED {
        if asked {
            signal(group, ASK);
        }
        followers().for_each(|pid| signal_process(pid, Signal::TERM));
    } else {
        followers().for_each(|pid| signal_process(pid, ASK));
    }
}

fn signal_process(pid: i32, signal: Signal) {
    if let Some(pid) = Pid::from_raw(pid) {
        let _ = kill_process(pid, signal);
    }
}

/// How often a group being stopped is nudged.
pub const NUDGE_EVERY: Duration = POLL;

impl Drop for Registered {
    fn drop(&mut self) {
        if self.stoppable {
            running().remove(&self.group);
        }
        stop_leftovers(self.group);
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

/// Begins an interruption: nothing new starts, and every running group is stopped by stages
/// (see [`nudge`]), each from when it was first seen stopping: one that registered as the
/// interruption began is stopped too. It goes on until the process ends (the run ends once
/// what ran has ended). `immediately`: SIGKILL at once, for a second signal.
pub fn stop_all(immediately: bool) {
    {
        // Under the lock: a group registers either before, and is seen here, or after, and
        // sees that the run is stopping.
        let running = running();
        STOPPING.store(true, Ordering::SeqCst);
        if immediately {
            running.keys().for_each(|&g| signal(g, Signal::KILL));
            return;
        }
    }
    let mut seen: HashMap<i32, Instant> = HashMap::new();
    loop {
        let groups: Vec<(i32, Leader)> = running().iter().map(|(&g, &l)| (g, l)).collect();
        seen.retain(|group, _| groups.iter().any(|&(g, _)| g == *group));
        for (group, leader) in groups {
            let since = seen.entry(group).or_insert_with(Instant::now).elapsed();
            nudge(group, leader, since);
        }
        std::thread::sleep(POLL);
    }
}

/// Stops what is left of `group` as soon as its leader (the command) ends, on a thread of its
/// own: a process a test script started in the background holds the script's output open,
/// and whoever reads that output to its end would wait for it forever.
fn stop_leftovers_when_leader_ends(group: i32) {
    let Some(leader) = Pid::from_raw(group) else {
        return;
    };
    std::thread::spawn(move || {
        // Waits without reaping: the child stays for its owner to wait for. An error is the
        // leader reaped already (ECHILD): it has ended too.
        let options = WaitIdOptions::EXITED | WaitIdOptions::NOWAIT;
        while matches!(waitid(WaitId::Pid(leader), options), Err(Errno::INTR)) {}
        stop_leftovers(group);
    });
}

/// Stops what is left of a group whose command ended: SIGTERM, then SIGKILL after a moment.
fn stop_leftovers(group: i32) {
    if members(group).is_empty() {
        return;
    }
    signal(group, Signal::TERM);
    let deadline = Instant::now() + LEFTOVER_GRACE;
    while !members(group).is_empty() && Instant::now() < deadline {
        std::thread::sleep(POLL);
    }
    if !members(group).is_empty() {
        signal(group, Signal::KILL);
    }
}

fn signal(group: i32, signal: Signal) {
    if let Some(pid) = Pid::from_raw(group) {
        // A group that is gone already is what was wanted.
        let _ = kill_process_group(pid, signal);
    }
}

/// The live processes of `group`, from `/proc` (fields 3 and 5 of `/proc/PID/stat`), each
/// with the first word of its command line.
fn members(group: i32) -> Vec<(i32, String)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: i32 = entry.file_name().to_string_lossy().parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            let after_name = &stat[stat.rfind(')')? + 1..];
            let mut fields = after_name.split_whitespace();
            let state = fields.next()?;
            let pgrp: i32 = fields.nth(1)?.parse().ok()?;
            // A zombie is waiting for its parent only: nothing to stop.
            if pgrp != group || state == "Z" {
                return None;
            }
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            let first = cmdline.split(|&b| b == 0).next().unwrap_or_default();
            Some((pid, String::from_utf8_lossy(first).into_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    use std::process::{Child, Command};

    use super::*;

    /// A shell leading a group of its own, running `sleep` then exiting 7.
    fn shell_running_sleep() -> Child {
        let child = Command::new("/bin/sh")
            .args(["-c", "sleep 30; exit 7"])
            .process_group(0)
            .spawn()
            .unwrap();
        let group = child.id() as i32;
        let started = (0..250).any(|_| {
            std::thread::sleep(Duration::from_millis(20));
            members(group).len() == 2
        });
        assert!(started, "no sleep in the group");
        child
    }

    /// Past the time the leader is spared, a leader asked to stop ends of the signal, while a
    /// spared one sees only what it started end, and goes on to its own end.
    #[test]
    fn a_spared_leader_is_never_signalled_before_the_grace_period_ends() {
        for (leader, ended_by) in [(Leader::Asked, Some(15)), (Leader::Spared, None)] {
            let mut child = shell_running_sleep();
            nudge(child.id() as i32, leader, INSIST_AFTER);
            let status = child.wait().unwrap();
            assert_eq!(status.signal(), ended_by, "{leader:?}: {status}");
            if leader == Leader::Spared {
                assert_eq!(status.code(), Some(7), "{status}");
            }
        }
    }
}
