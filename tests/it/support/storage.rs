//! A containers storage of a test's own, so that tests neither see nor touch the machine's
//! images nor each other's, and an engine that uses it.

use std::path::{Path, PathBuf};

use docker_pkg::engine::{self, Engine, EngineKind, EngineSettings};
use docker_pkg::registry::RegistrySettings;
use tempfile::TempDir;

use super::{TestRegistry, run};

/// The programs of the busybox base image, each a link to `/bin/busybox`.
const BUSYBOX_LINKS: [&str; 8] = ["sh", "echo", "cat", "ls", "test", "sleep", "true", "false"];
const BUSYBOX: &str = "/bin/busybox";

/// A private storage (the `vfs` driver: no mounts to undo) and the tools' configuration for
/// this machine: runc, and rlimits podman may set. Removed when dropped.
pub struct Storage {
    dir: TempDir,
}

impl Storage {
    pub fn new() -> Storage {
        let dir = tempfile::Builder::new()
            .prefix("docker-pkg-test-storage-")
            .tempdir()
            .expect("a temporary directory");
        let root = dir.path().display();
        let storage_conf = format!(
            "[storage]\ndriver = \"vfs\"\ngraphroot = \"{root}/graph\"\nrunroot = \"{root}/run\"\n"
        );
        let containers_conf = format!(
            "[containers]\ndefault_ulimits = [\"nofile=20000:20000\", \"nproc=4096:4096\"]\n\
             [engine]\nruntime = \"runc\"\ntmp_dir = \"{root}/libpod\"\nevents_logger = \"none\"\n"
        );
        write(&dir.path().join("storage.conf"), &storage_conf);
        write(&dir.path().join("containers.conf"), &containers_conf);
        write(&dir.path().join("auth.json"), r#"{"auths": {}}"#);
        Storage { dir }
    }

    /// The environment that points the tools at this storage. `REGISTRY_AUTH_FILE` names a
    /// file of the test's own, empty unless a test writes it, so no login of the machine
    /// leaks in.
    pub fn env(&self) -> Vec<(String, String)> {
        let path = |name: &str| self.dir.path().join(name).display().to_string();
        vec![
            ("CONTAINERS_STORAGE_CONF".into(), path("storage.conf")),
            ("CONTAINERS_CONF".into(), path("containers.conf")),
            ("REGISTRY_AUTH_FILE".into(), path("auth.json")),
        ]
    }

    /// A directory below the storage's own, for a test's other files.
    pub fn scratch(&self, name: &str) -> PathBuf {
        let dir = self.dir.path().join("scratch").join(name);
        std::fs::create_dir_all(&dir).expect("scratch directory");
        dir
    }

    /// Runs buildah on this storage and gives its standard output.
    pub fn buildah(&self, args: &[&str]) -> String {
        run("buildah", args, &self.env())
    }

    /// Makes `name`, an image holding busybox and its links, without any network.
    pub fn busybox_image(&self, name: &str) {
        self.busybox_image_with(name, &[]);
    }

    /// Makes `name` as [`Storage::busybox_image`] does, with `files` (a path below the root,
    /// its content) beside busybox, in the same layer.
    pub fn busybox_image_with(&self, name: &str, files: &[(&str, &[u8])]) {
        let rootfs = self.scratch(&format!("rootfs-{}", name.replace(['/', ':'], "-")));
        for (path, content) in files {
            let path = rootfs.join(path);
            std::fs::create_dir_all(path.parent().expect("a file has a folder")).expect("folder");
            std::fs::write(&path, content).expect("a file of the image");
        }
        let bin = rootfs.join("bin");
        std::fs::create_dir_all(&bin).expect("bin directory");
        std::fs::copy(BUSYBOX, bin.join("busybox")).expect("busybox copied (busybox-static)");
        for link in BUSYBOX_LINKS {
            let _ = std::os::unix::fs::symlink("busybox", bin.join(link));
        }
        let container = self.buildah(&["from", "scratch"]);
        let container = container.trim();
        self.buildah(&["copy", container, &rootfs.display().to_string(), "/"]);
        self.buildah(&["config", "--cmd", "/bin/sh", container]);
        self.buildah(&["commit", "--quiet", container, name]);
        self.buildah(&["rm", container]);
    }

    /// Makes `name` a manifest list of two busybox images (with `uname` beside the usual
    /// links): linux/amd64 from the host's busybox and linux/arm64 from `arm64_busybox`.
    pub fn busybox_list(&self, name: &str, arm64_busybox: &Path) {
        self.busybox_list_of(name, &[("arm64", arm64_busybox)]);
    }

    /// Makes `name` a manifest list of busybox images (with `uname` beside the usual links):
    /// linux/amd64 from the host's busybox and `linux/ARCH` from each of `foreign`'s.
    pub fn busybox_list_of(&self, name: &str, foreign: &[(&str, &Path)]) {
        self.buildah(&["manifest", "create", name]);
        let host = [("amd64", Path::new(BUSYBOX))];
        for &(arch, busybox) in host.iter().chain(foreign) {
            let image = format!("localhost/busybox-{arch}-{}", name.replace(['/', ':'], "-"));
            let rootfs = self.scratch(&format!("rootfs-{arch}-{}", name.replace(['/', ':'], "-")));
            let bin = rootfs.join("bin");
            std::fs::create_dir_all(&bin).expect("bin directory");
            std::fs::copy(busybox, bin.join("busybox")).expect("busybox copied");
            for link in BUSYBOX_LINKS.iter().chain(&["uname"]) {
                let _ = std::os::unix::fs::symlink("busybox", bin.join(link));
            }
            let container = self.buildah(&["from", "--arch", arch, "scratch"]);
            let container = container.trim();
            self.buildah(&["copy", container, &rootfs.display().to_string(), "/"]);
            self.buildah(&[
                "config", "--arch", arch, "--os", "linux", "--cmd", "/bin/sh", container,
            ]);
            self.buildah(&["commit", "--quiet", container, &image]);
            self.buildah(&["rm", container]);
            self.buildah(&[
                "manifest",
                "add",
                name,
                &format!("containers-storage:{image}"),
            ]);
        }
    }

    /// Pushes the manifest list `name` (`REGISTRY/…:TAG`), with the image of each platform,
    /// to `registry`, under the same name.
    pub fn push_list(&self, name: &str, registry: &TestRegistry) {
        let certs = self.scratch("certs");
        std::fs::copy(&registry.ca_file, certs.join("ca.crt")).expect("the registry's CA copied");
        let login = format!("{}:{}", registry.username, registry.password);
        self.buildah(&[
            "manifest",
            "push",
            "--all",
            "--format",
            "v2s2",
            "--creds",
            &login,
            "--cert-dir",
            &certs.display().to_string(),
            name,
            &format!("docker://{name}"),
        ]);
    }

    /// An engine of `kind` on this storage.
    pub fn engine(&self, kind: EngineKind, registry: RegistrySettings) -> Box<dyn Engine> {
        self.engine_with(EngineSettings {
            kind,
            registry,
            ..EngineSettings::default()
        })
    }

    /// An engine from `settings`, with this storage's environment added.
    pub fn engine_with(&self, mut settings: EngineSettings) -> Box<dyn Engine> {
        settings.extra_env.extend(self.env());
        engine::connect(settings).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A build context holding `dockerfile`.
    pub fn context(&self, name: &str, dockerfile: &str) -> PathBuf {
        let dir = self.scratch(name);
        write(&dir.join("Dockerfile"), dockerfile);
        dir
    }
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}
