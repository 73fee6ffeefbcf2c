//! What the tests that drive real container tools share: a registry with TLS and a password
//! (and a proxy in front of it that fails on demand),
//! a private containers storage with a busybox base image, and scripts that stand in for a
//! tool and record how they were called. Everything lives in its own temporary directory, on
//! its own port, so that tests run in parallel and again.

mod fault_proxy;
mod recording_tool;
mod registry;
mod runtime_dir;
mod storage;
mod unprivileged_user;

pub use fault_proxy::{BlobUpload, Fault, FaultProxy, Injection, Kind, blob_uploads};
pub use recording_tool::RecordingTool;
pub use registry::TestRegistry;
pub use runtime_dir::RuntimeDir;
pub use storage::Storage;
pub use unprivileged_user::UnprivilegedUser;

use std::path::Path;

use docker_pkg::engine::EngineKind;

/// What a build in a [`Storage`] needs: buildah makes the base image, runc runs the steps,
/// busybox fills the base image.
const BUILD_TOOLS: [&str; 3] = ["buildah", "runc", "busybox"];
/// What a [`TestRegistry`] needs.
const REGISTRY_TOOLS: [&str; 3] = ["docker-registry", "openssl", "htpasswd"];

/// Whether `engine` can build here (see [`tools_available`]).
pub fn build_tools_available(engine: EngineKind) -> bool {
    tools_available(&[&[engine.name()][..], &BUILD_TOOLS].concat())
}

/// Whether a [`TestRegistry`] can run here (see [`tools_available`]).
pub fn registry_available() -> bool {
    tools_available(&REGISTRY_TOOLS)
}

/// Whether `engine` can build and push to a [`TestRegistry`] here (see [`tools_available`]).
pub fn registry_tools_available(engine: EngineKind) -> bool {
    tools_available(&[&[engine.name()][..], &BUILD_TOOLS, &REGISTRY_TOOLS].concat())
}

/// Whether every tool in `tools` is installed. Under `CI=true` a missing one fails the test;
/// elsewhere the test is skipped, and says so.
pub fn tools_available(tools: &[&str]) -> bool {
    let mut missing: Vec<&str> = tools.iter().copied().filter(|t| !on_path(t)).collect();
    missing.sort_unstable();
    missing.dedup();
    if missing.is_empty() {
        return true;
    }
    unavailable(&format!(
        "not installed: {} (apt-get install -y buildah skopeo podman runc docker-registry \
         busybox-static openssl apache2-utils uidmap)",
        missing.join(", ")
    ))
}

/// Whether tests can build as a user without root: they run as root (to make that user),
/// user namespaces are on, and the tools that make and switch users are installed. Under
/// `CI=true` anything missing fails the test.
pub fn rootless_available() -> bool {
    if !rustix::process::geteuid().is_root() {
        return unavailable("the rootless tests run as root, to make their user");
    }
    let namespaces = std::fs::read_to_string("/proc/sys/user/max_user_namespaces");
    if namespaces.as_deref().map(str::trim).unwrap_or("0") == "0" {
        return unavailable("user namespaces are off (/proc/sys/user/max_user_namespaces)");
    }
    tools_available(&["newuidmap", "newgidmap", "setpriv", "useradd", "usermod"])
}

/// Skips the test, saying why; under `CI=true`, fails it.
fn unavailable(message: &str) -> bool {
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}");
    eprintln!("skipped: {message}");
    false
}

/// Whether `tool` is on `PATH`, or in the sbin directories where the container tools look
/// for runc whatever `PATH` says.
fn on_path(tool: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .any(|dir| is_executable(&dir.join(tool)))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Whether arm64 programs run here: QEMU's interpreter is registered in binfmt_misc (see
/// `need_binfmt` in scripts/lib/common.sh). Under `CI=true` its absence fails the test.
pub fn arm64_emulation_available() -> bool {
    emulation_available("arm64", "qemu-aarch64")
}

/// Whether the programs of `arch` run here, through QEMU's interpreter `interpreter`
/// (`qemu-s390x`) in binfmt_misc. Under `CI=true` its absence fails the test.
pub fn emulation_available(arch: &str, interpreter: &str) -> bool {
    let entry = Path::new("/proc/sys/fs/binfmt_misc").join(interpreter);
    let enabled = std::fs::read_to_string(&entry).is_ok_and(|t| t.starts_with("enabled"));
    enabled
        || unavailable(&format!(
            "no {arch} emulation: {} is missing (apt-get install -y qemu-user-static \
             binfmt-support, with binfmt_misc mounted)",
            entry.display()
        ))
}

/// Debian's static busybox for arm64: see [`foreign_busybox`].
pub fn arm64_busybox() -> std::path::PathBuf {
    foreign_busybox("arm64")
}

/// Debian's static busybox for `arch` (Debian's name: `arm64`, `s390x`), downloaded once
/// (`apt-get download busybox-static:ARCH`, which needs `dpkg --add-architecture ARCH`) into
/// cargo's folder for tests, and unpacked there.
pub fn foreign_busybox(arch: &str) -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{arch}-busybox"));
    let busybox = dir.join("bin/busybox");
    if busybox.is_file() {
        return busybox;
    }
    let download = tempfile::Builder::new()
        .prefix(&format!("{arch}-busybox-"))
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("a temporary directory");
    let status = std::process::Command::new("apt-get")
        .args(["download", &format!("busybox-static:{arch}")])
        .current_dir(download.path())
        .status()
        .expect("apt-get runs");
    assert!(
        status.success(),
        "apt-get download busybox-static:{arch} failed (dpkg --add-architecture {arch}; \
         apt-get update)"
    );
    let deb = std::fs::read_dir(download.path())
        .expect("the download folder")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|e| e == "deb"))
        .expect("a .deb was downloaded");
    let unpacked = download.path().join("root");
    run(
        "dpkg-deb",
        &[
            "-x",
            &deb.display().to_string(),
            &unpacked.display().to_string(),
        ],
        &[],
    );
    // Several tests may unpack at once: the first rename wins, the others find it there.
    let _ = std::fs::rename(&unpacked, &dir);
    assert!(busybox.is_file(), "no bin/busybox in {}", deb.display());
    busybox
}

/// Runs `program` with `args` and `env`, and gives its standard output; panics with its
/// standard error when it fails.
pub fn run(program: &str, args: &[&str], env: &[(String, String)]) -> String {
    let output = std::process::Command::new(program)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed with {}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The processes whose command line holds `pattern`, as `PID COMMAND LINE`.
pub fn processes_matching(pattern: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_string_lossy().parse().ok()?;
            let raw = std::fs::read(entry.path().join("cmdline")).ok()?;
            let line = String::from_utf8_lossy(&raw).replace('\0', " ");
            (pid != std::process::id() && line.contains(pattern)).then(|| format!("{pid} {line}"))
        })
        .collect()
}

/// The processes whose environment holds `NAME=VALUE` (the storage of a test, say), as
/// `PID COMMAND LINE`.
pub fn processes_with_env(name: &str, value: &str) -> Vec<String> {
    let wanted = format!("{name}={value}");
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_string_lossy().parse().ok()?;
            let environ = std::fs::read(entry.path().join("environ")).ok()?;
            let found = environ
                .split(|&b| b == 0)
                .any(|var| var == wanted.as_bytes());
            let raw = std::fs::read(entry.path().join("cmdline")).ok()?;
            let line = String::from_utf8_lossy(&raw).replace('\0', " ");
            (found && pid != std::process::id() && !line.is_empty())
                .then(|| format!("{pid} {line}"))
        })
        .collect()
}
