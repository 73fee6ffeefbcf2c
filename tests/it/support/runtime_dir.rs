//! A runtime folder of a user's own, as pam_systemd makes `/run/user/UID` at login: the
//! user's, mode 0700. Removed when dropped, once the pause process that rootless podman
//! leaves there (it keeps podman's user namespace alive between calls) is stopped.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use tempfile::TempDir;

use super::UnprivilegedUser;

pub struct RuntimeDir {
    dir: TempDir,
}

impl RuntimeDir {
    pub fn of(user: &UnprivilegedUser) -> RuntimeDir {
        let dir = tempfile::Builder::new()
            .prefix("test-runtime-dir-")
            .tempdir()
            .expect("a temporary directory");
        user.give(dir.path());
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
            .expect("the runtime folder closed to others");
        RuntimeDir { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for RuntimeDir {
    fn drop(&mut self) {
        let pid_file = self.dir.path().join("libpod/tmp/pause.pid");
        let pid = std::fs::read_to_string(pid_file).ok();
        let pid = pid.and_then(|text| text.trim().parse().ok());
        if let Some(pid) = pid.and_then(rustix::process::Pid::from_raw) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
        }
    }
}
