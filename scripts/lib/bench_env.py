"""The machinery the build benchmarks share: one containers storage, a TLS registry on port 443
under a host name, podman's Docker API for docker-pkg 4.0.4, and the base images: busybox,
a Debian-sized one (busybox and about 150 MB of the host's shared libraries in one layer), a
Debian bookworm minbase (mmdebstrap) and a busybox of two platforms (linux/amd64 and
linux/arm64, the latter from Debian's busybox-static:arm64), the last three made when a
scenario first needs them.

Everything lives below bench/env of cargo's target folder (kept between runs, so a second run
sets up in seconds); the registry and the podman service are started by `BenchEnv.start` and
stopped by `BenchEnv.stop`, which `python3 bench_env.py stop` also runs (scripts/bench calls it
from its exit trap, in case this process dies before its own `finally`).

Both tools see the same storage: docker-pkg 4.0.4 builds through the podman service, which uses
the storage it was started with, and this project's buildah is pointed at the same one. The
registry is open (no auth): 4.0.4 checks what is published without credentials.
"""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# scripts/bench exports where cargo builds (target/ unless the user moved it).
WORK = Path(os.environ.get("TARGET_DIR") or REPO / "target") / "bench"
ENV = WORK / "env"
RUN = ENV / "run"
VENV = WORK / "venv"
REFERENCE = VENV / "bin" / "docker-pkg"
REFERENCE_VERSION = "4.0.4"

HOST = "registry.bench.test"
ADDRESS = ("127.0.0.1", 443)
HOSTS_LINE = f"127.0.0.1 {HOST}"
# podman's Docker API pulls and pushes for 4.0.4 and cannot be given a cert dir: it trusts the
# registry through the system-wide certs.d of the containers tools.
SYSTEM_CERTS_D = Path("/etc/containers/certs.d") / HOST
BUSYBOX_LINKS = ["sh", "echo", "cat", "ls", "test", "sleep", "true", "false"]
# The base images, each kept in local storage as HOST/base/NAME:1.0 and pushed per tree.
BUSYBOX, REAL_BASE, DEBIAN = "busybox", "realbase", "bookworm"
# The two-platform base: HOST/base/PLATFORMS_BASE-ARCH:1.0 for each architecture, put in a
# manifest list per tree by `reset_platforms` (or, alone, the host's as a plain image).
PLATFORMS_BASE = "busybox-uname"
PLATFORM_ARCHES = ("amd64", "arm64")
BASE_TAG = "1.0"
# The real-size base: this many bytes of the host's shared libraries beside busybox, in one
# layer, which compresses to a bit more than 50 MB as a Debian base does.
REAL_BASE_BYTES = 160 * 1024 * 1024
SHARED_LIBRARIES = Path("/usr/lib/x86_64-linux-gnu")
# The registry's storage of blobs and repositories.
REGISTRY_V2 = Path("docker/registry/v2")
# A line of the registry's access log (Apache's combined format): method, path, status.
ACCESS_LINE = re.compile(r'"(GET|HEAD|POST|PATCH|PUT|DELETE) (/v2/\S+) HTTP/[\d.]+" (\d{3}) ')


def base_local(base: str) -> str:
    return f"{HOST}/base/{base}:{BASE_TAG}"


def log(message: str) -> None:
    print(f"  [setup] {message}", flush=True)


def run(args, env=None, quiet=True, check=True, **kwargs) -> subprocess.CompletedProcess:
    out = subprocess.DEVNULL if quiet else None
    result = subprocess.run(
        [str(a) for a in args], env=env, stdout=kwargs.pop("stdout", out),
        stderr=subprocess.PIPE, text=True, **kwargs,
    )
    if check and result.returncode != 0:
        raise RuntimeError(f"`{' '.join(map(str, args))}` failed: {result.stderr.strip()}")
    return result


class BenchEnv:
    def __init__(self) -> None:
        self.storage_conf = ENV / "storage.conf"
        self.containers_conf = ENV / "containers.conf"
        self.auth_file = ENV / "auth.json"
        self.cert = ENV / "cert.pem"
        self.key = ENV / "key.pem"
        self.cert_dir = ENV / "certs"
        self.registry_conf = ENV / "registry.yml"
        self.registry_data = ENV / "registry-data"
        self.socket = RUN / "podman.sock"
        self.shim_dir = ENV / "reference-bin"
        self.children: dict[str, subprocess.Popen] = {}
        # Where the registry's log stood once the base image was pushed.
        self.uploads_from = 0
        # Whether the registry writes its access log, read by `uploads`.
        self.access_log = False

    # ---- the environments of the tools -------------------------------------------------------

    def tool_env(self) -> dict:
        """What both tools (and every container tool started here) run with."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"),
            "HOME": os.environ.get("HOME", "/root"),
            "LANG": "C.UTF-8",
            "CONTAINERS_CONF": str(self.containers_conf),
            "CONTAINERS_STORAGE_CONF": str(self.storage_conf),
            "REGISTRY_AUTH_FILE": str(self.auth_file),
            # Neither tool reads the machine's own docker-pkg.yaml or docker login.
            "XDG_CONFIG_HOME": str(ENV / "xdg"),
            "DOCKER_CONFIG": str(ENV / "docker-config"),
        }
        for name in ("TMPDIR", "XDG_RUNTIME_DIR"):
            if name in os.environ:
                env[name] = os.environ[name]
        return env

    def reference_env(self) -> dict:
        """4.0.4's: the Docker API of the podman service, and a `docker` for test.sh."""
        env = self.tool_env()
        env["DOCKER_HOST"] = f"unix://{self.socket}"
        env["PATH"] = f"{self.shim_dir}:{env['PATH']}"
        return env

    def buildah(self, *args, check=True, capture=False) -> subprocess.CompletedProcess:
        return run(
            ["buildah", *args], env=self.tool_env(), check=check,
            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        )

    # ---- set-up ------------------------------------------------------------------------------

    def start(self, reference: bool = True) -> None:
        """Everything the scenarios need; docker-pkg 4.0.4 and the podman service it builds
        through only with `reference`."""
        for folder in (ENV, RUN, ENV / "xdg", ENV / "docker-config", self.shim_dir):
            folder.mkdir(parents=True, exist_ok=True)
        stop_leftovers()
        if reference:
            self.install_reference()
        self.hosts_entry()
        self.certificate()
        self.write_configs()
        self.start_registry()
        if reference:
            self.start_podman_service()
        self.base_image()

    def install_reference(self) -> None:
        if REFERENCE.exists():
            version = run([VENV / "bin" / "pip", "show", "docker-pkg"], stdout=subprocess.PIPE)
            if f"Version: {REFERENCE_VERSION}" in version.stdout:
                return
        log(f"installing docker-pkg {REFERENCE_VERSION} in {VENV}")
        run([sys.executable, "-m", "venv", VENV])
        run([VENV / "bin" / "pip", "install", "-q", f"docker-pkg=={REFERENCE_VERSION}"])

    def hosts_entry(self) -> None:
        hosts = Path("/etc/hosts")
        lines = hosts.read_text().splitlines()
        if any(line.split()[1:2] == [HOST] for line in lines if not line.startswith("#")):
            return
        log(f"adding `{HOSTS_LINE}` to /etc/hosts")
        with hosts.open("a") as f:
            f.write(f"{HOSTS_LINE}\n")

    def certificate(self) -> None:
        if not (self.cert.exists() and self.key.exists()):
            log(f"making a self-signed certificate for {HOST}")
            run([
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", self.key, "-out", self.cert,
                "-days", "3650", "-subj", f"/CN={HOST}",
                "-addext", f"subjectAltName=DNS:{HOST},IP:127.0.0.1",
            ])
        self.cert_dir.mkdir(exist_ok=True)
        for folder in (self.cert_dir, SYSTEM_CERTS_D):
            target = folder / "ca.crt"
            if not target.exists() or target.read_bytes() != self.cert.read_bytes():
                folder.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(self.cert, target)

    def write_configs(self) -> None:
        graph, runroot = ENV / "storage", RUN / "storage"
        write(self.storage_conf, (
            f'[storage]\ndriver = "overlay"\ngraphroot = "{graph}"\nrunroot = "{runroot}"\n'
        ))
        # runc (crun fails on this kernel's hybrid cgroups) and rlimits podman may set.
        write(self.containers_conf, (
            '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]\n'
            f'[engine]\nruntime = "runc"\ntmp_dir = "{RUN / "libpod"}"\n'
            'events_logger = "none"\n'
        ))
        if not self.auth_file.exists():
            write(self.auth_file, '{"auths": {}}\n')
        self.write_registry_config()
        # 4.0.4 runs test.sh with PATH alone in its environment: the `docker` its scripts call
        # carries the storage settings itself, and runs podman on that storage, as the
        # `docker` this project gives verify scripts does.
        env = self.tool_env()
        exports = "".join(
            f"export {k}='{env[k]}'\n"
            for k in ("HOME", "CONTAINERS_CONF", "CONTAINERS_STORAGE_CONF", "REGISTRY_AUTH_FILE")
        )
        shim = self.shim_dir / "docker"
        write(shim, f"#!/bin/sh\n{exports}exec podman \"$@\"\n")
        shim.chmod(0o755)

    def write_registry_config(self) -> None:
        write(self.registry_conf, (
            "version: 0.1\nlog:\n  level: warn\n  accesslog:\n"
            f"    disabled: {'false' if self.access_log else 'true'}\n"
            f"storage:\n  filesystem:\n    rootdirectory: {self.registry_data}\n"
            "  delete:\n    enabled: true\n"
            f"http:\n  addr: {ADDRESS[0]}:{ADDRESS[1]}\n  secret: bench-secret\n"
            f"  tls:\n    certificate: {self.cert}\n    key: {self.key}\n"
        ))

    def start_registry(self) -> None:
        self.write_registry_config()
        if port_open(ADDRESS):
            raise RuntimeError(
                f"something already listens on {ADDRESS[0]}:{ADDRESS[1]}; the benchmark's "
                "registry needs that port (docker-pkg 4.0.4 cannot use a registry with a port)"
            )
        self.registry_data.mkdir(exist_ok=True)
        # A clean environment: the registry reads REGISTRY_* variables as configuration, and
        # REGISTRY_AUTH_FILE, set for the containers tools, is not one of its keys.
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        self.spawn("registry", ["docker-registry", "serve", self.registry_conf], env)
        wait_for(lambda: port_open(ADDRESS), "the registry", self.children["registry"])

    def start_podman_service(self) -> None:
        self.socket.unlink(missing_ok=True)
        self.spawn(
            "podman",
            ["podman", "system", "service", "--time=0", f"unix://{self.socket}"],
            self.tool_env(),
        )
        wait_for(lambda: socket_answers(self.socket), "the podman service",
                 self.children["podman"])

    def spawn(self, name: str, args, env: dict) -> None:
        logfile = (ENV / f"{name}.log").open("w")
        child = subprocess.Popen(
            [str(a) for a in args], env=env, stdin=subprocess.DEVNULL, stdout=logfile,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.children[name] = child
        write(RUN / f"{name}.pid", f"{child.pid}\n")

    def has_local(self, name: str) -> bool:
        listed = self.buildah("images", "--format", "{{.Name}}:{{.Tag}}", capture=True).stdout
        return name in listed.split()

    def base_image(self) -> None:
        """A busybox image, made without any network; pushed per namespace by `reset`."""
        if self.has_local(base_local(BUSYBOX)):
            return
        log(f"making the base image {base_local(BUSYBOX)}")
        self.commit_rootfs(self.busybox_rootfs(ENV / "busybox-rootfs"), base_local(BUSYBOX))

    def busybox_rootfs(self, rootfs: Path, busybox: Path = Path("/bin/busybox"),
                       links=BUSYBOX_LINKS) -> Path:
        (rootfs / "bin").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(busybox, rootfs / "bin" / "busybox")
        (rootfs / "bin" / "busybox").chmod(0o755)
        for link in links:
            path = rootfs / "bin" / link
            if not path.is_symlink():
                path.symlink_to("busybox")
        return rootfs

    def commit_rootfs(self, rootfs: Path, name: str, arch: str | None = None) -> None:
        """`rootfs` as the one layer of a `scratch` image called `name`, for linux/`arch`
        (the host's when None)."""
        platform = ["--arch", arch, "--os", "linux"] if arch else []
        container = self.buildah("from", *platform[:2], "scratch", capture=True).stdout.strip()
        self.buildah("copy", container, rootfs, "/")
        self.buildah("config", *platform, "--cmd", "/bin/sh", container)
        self.buildah("commit", "--quiet", container, name)
        self.buildah("rm", container)

    def real_base_image(self) -> None:
        """busybox and the first REAL_BASE_BYTES of the host's shared libraries (in name
        order), one layer, made without any network."""
        if self.has_local(base_local(REAL_BASE)):
            return
        log(f"making the base image {base_local(REAL_BASE)} (busybox and "
            f"{REAL_BASE_BYTES >> 20} MiB of {SHARED_LIBRARIES})")
        rootfs = ENV / "realbase-rootfs"
        shutil.rmtree(rootfs, ignore_errors=True)
        self.busybox_rootfs(rootfs)
        total = 0
        for source in sorted(SHARED_LIBRARIES.rglob("*")):
            if total >= REAL_BASE_BYTES:
                break
            if source.is_symlink() or not source.is_file():
                continue
            target = rootfs / source.relative_to("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            total += source.stat().st_size
        self.commit_rootfs(rootfs, base_local(REAL_BASE))
        shutil.rmtree(rootfs, ignore_errors=True)

    def debian_base_image(self) -> None:
        """A Debian bookworm minbase with ca-certificates, from the Debian mirror."""
        if self.has_local(base_local(DEBIAN)):
            return
        log(f"making the base image {base_local(DEBIAN)} with mmdebstrap")
        tarball = ENV / "bookworm.tar"
        run(["mmdebstrap", "--quiet", "--variant=minbase", "--include=ca-certificates",
             "bookworm", tarball])
        run(["podman", "import", "--quiet", "--change", "CMD /bin/bash", tarball,
             base_local(DEBIAN)], env=self.tool_env())
        tarball.unlink()

    def platform_base_images(self) -> None:
        """A busybox image for each of PLATFORM_ARCHES, with `uname` among its links (a test
        asks the image which machine it runs on): the host's busybox for amd64, Debian's
        busybox-static for the others, downloaded once from the mirror."""
        for arch in PLATFORM_ARCHES:
            name = base_local(f"{PLATFORMS_BASE}-{arch}")
            if self.has_local(name):
                continue
            log(f"making the base image {name}")
            busybox = Path("/bin/busybox") if arch == "amd64" else debian_busybox(arch)
            rootfs = ENV / f"{PLATFORMS_BASE}-{arch}-rootfs"
            shutil.rmtree(rootfs, ignore_errors=True)
            self.busybox_rootfs(rootfs, busybox, [*BUSYBOX_LINKS, "uname"])
            self.commit_rootfs(rootfs, name, arch)
            shutil.rmtree(rootfs, ignore_errors=True)

    # ---- between runs ------------------------------------------------------------------------

    def reset(self, namespace: str, base: str = BUSYBOX) -> None:
        """An empty registry holding only the base image of `namespace`, and a local storage
        holding only the base image: the state of a first build. Every other image goes,
        other scenarios' included: a buildah process reads the whole store's metadata, so
        images left over would make each of its calls dearer than in a real first build."""
        self.remove_local()
        self.empty_registry()
        self.push_base(namespace, base)
        # The previous run's writes, and the removals above, still on their way to the disk
        # would slow down the next run's fsyncs: flush them before the clock starts.
        os.sync()

    def reset_platforms(self, namespace: str, as_list: bool) -> None:
        """As `reset`, with HOST/NAMESPACE/PLATFORMS_BASE:1.0 as the base: a manifest list
        of every platform's image in local storage (`as_list`), or the host's image pushed
        as a plain one. The list is not pushed: with `platforms` set this tool builds on the
        local list and does not refresh base images."""
        self.remove_local()
        self.empty_registry()
        label = self.base_label(namespace, PLATFORMS_BASE)
        images = [base_local(f"{PLATFORMS_BASE}-{arch}") for arch in PLATFORM_ARCHES]
        if as_list:
            self.buildah("manifest", "create", label,
                         *(f"containers-storage:{image}" for image in images))
        else:
            self.buildah("tag", images[0], label)
            self.buildah("push", "--quiet", f"--cert-dir={self.cert_dir}", label)
        os.sync()

    def remove_local(self) -> None:
        listed = self.buildah("images", "--format", "{{.Name}}:{{.Tag}}", capture=True).stdout
        names = [n for n in listed.split()
                 if not n.startswith(f"{HOST}/base/") and not n.endswith(":<none>")]
        # Containers left by an interrupted build or test would keep their images.
        self.buildah("rm", "--all", check=False)
        run(["podman", "rm", "--all", "--force"], env=self.tool_env(), check=False)
        if names:
            # Manifest lists first, with the command for lists: `rmi` of a list's name
            # removes the image of the host's platform that it holds (a base image's too)
            # and leaves the list. It removes every list named and fails on the other names.
            self.buildah("manifest", "rm", *names, check=False)
            listed = self.buildah("images", "--format", "{{.Name}}:{{.Tag}}",
                                  capture=True).stdout
            names = [n for n in listed.split() if n in names]
        if names:
            self.buildah("rmi", "--force", *names)
        self.buildah("rmi", "--prune", check=False)

    def empty_registry(self) -> None:
        self.stop_child("registry")
        shutil.rmtree(self.registry_data, ignore_errors=True)
        self.start_registry()

    def push_base(self, namespace: str, base: str = BUSYBOX) -> None:
        label = self.base_label(namespace, base)
        self.buildah("tag", base_local(base), label)
        self.buildah("push", "--quiet", f"--cert-dir={self.cert_dir}", label)
        self.uploads_from = self.log_size()

    def base_label(self, namespace: str, base: str = BUSYBOX) -> str:
        return f"{HOST}/{namespace}/{base}:{BASE_TAG}"

    # ---- what was uploaded ---------------------------------------------------------------

    def log_size(self) -> int:
        path = ENV / "registry.log"
        return path.stat().st_size if path.exists() else 0

    def uploads(self, namespace: str) -> dict:
        """The bytes each repository of `namespace` received since the base image was pushed,
        from the registry's access log and its storage: every blob upload that the registry
        completed (its `PUT …/blobs/uploads/…?digest=D` answered 201) counts the size of blob
        D, every manifest written (`PUT …/manifests/REF`, 201) the size of the manifest REF
        names. Blobs mounted from another repository, or found there already, count nothing;
        a blob uploaded again counts again. HTTP and TLS framing are not counted."""
        with (ENV / "registry.log").open("rb") as f:
            f.seek(self.uploads_from)
            lines = f.read().decode(errors="replace").splitlines()
        counted: dict[str, int] = {}
        prefix = f"/v2/{namespace}/"
        for line in lines:
            found = ACCESS_LINE.search(line)
            if not found or found[1] != "PUT" or found[3] != "201":
                continue
            path = found[2]
            if not path.startswith(prefix):
                continue
            if "/blobs/uploads/" in path:
                repository = path[4:path.index("/blobs/uploads/")]
                digest = re.search(r"[?&]digest=sha256(?::|%3A)([0-9a-f]{64})", path, re.I)
                size = self.blob_size(digest[1]) if digest else 0
            elif "/manifests/" in path:
                repository, reference = path[4:].split("/manifests/", 1)
                size = self.manifest_size(repository, reference)
            else:
                continue
            counted[repository] = counted.get(repository, 0) + size
        return counted

    def blob_size(self, digest: str) -> int:
        path = self.registry_data / REGISTRY_V2 / "blobs/sha256" / digest[:2] / digest / "data"
        return path.stat().st_size if path.exists() else 0

    def manifest_size(self, repository: str, reference: str) -> int:
        if reference.startswith("sha256:"):
            return self.blob_size(reference.removeprefix("sha256:"))
        link = (self.registry_data / REGISTRY_V2 / "repositories" / repository / "_manifests"
                / "tags" / reference / "current" / "link")
        if not link.exists():
            return 0
        return self.blob_size(link.read_text().strip().removeprefix("sha256:"))

    def manifest(self, repository: str, reference: str) -> tuple:
        """The manifest of `repository:reference` as the registry serves it (Docker or OCI),
        and its size in bytes."""
        context = ssl.create_default_context(cafile=str(self.cert))
        connection = http.client.HTTPSConnection(HOST, ADDRESS[1], context=context, timeout=30)
        accept = ", ".join([
            "application/vnd.docker.distribution.manifest.v2+json",
            "application/vnd.oci.image.manifest.v1+json",
        ])
        try:
            connection.request("GET", f"/v2/{repository}/manifests/{reference}",
                               headers={"Accept": accept})
            response = connection.getresponse()
            body = response.read()
            if response.status != 200:
                raise RuntimeError(f"{repository}:{reference}: {response.status}")
            return json.loads(body), len(body)
        finally:
            connection.close()

    def list_platforms(self, repository: str, reference: str) -> set | None:
        """The platforms (`os/architecture`) of the manifest list `repository:reference` in
        the registry; None when it is not a list or not there."""
        context = ssl.create_default_context(cafile=str(self.cert))
        connection = http.client.HTTPSConnection(HOST, ADDRESS[1], context=context, timeout=30)
        accept = ", ".join([
            "application/vnd.docker.distribution.manifest.list.v2+json",
            "application/vnd.oci.image.index.v1+json",
        ])
        try:
            connection.request("GET", f"/v2/{repository}/manifests/{reference}",
                               headers={"Accept": accept})
            response = connection.getresponse()
            body = json.loads(response.read() or b"{}")
        finally:
            connection.close()
        if response.status != 200 or "manifests" not in body:
            return None
        return {f"{m['platform']['os']}/{m['platform']['architecture']}"
                for m in body["manifests"]}

    def published(self, namespace: str, names) -> dict:
        """The tags in the registry of each image `NAMESPACE/NAME` of `names`."""
        tags = {}
        for name, (status, body) in zip(names, self.get_all(
            f"/v2/{namespace}/{name}/tags/list" for name in names
        )):
            found = json.loads(body).get("tags") if status == 200 else None
            tags[name] = set(found or [])
        return tags

    def visible_to_reference(self, namespace: str, labels) -> bool:
        """Whether 4.0.4's published check sees every `(NAME, TAG)` of `labels`: it asks for
        the manifest without an Accept header, and the registry answers 404 for an OCI
        manifest (what buildah pushes by default) and 200 for a Docker one."""
        paths = (f"/v2/{namespace}/{name}/manifests/{tag}" for name, tag in labels)
        return all(status == 200 for status, _ in self.get_all(paths))

    def get_all(self, paths):
        """GET of each path from the registry, over one connection: (status, body) each."""
        context = ssl.create_default_context(cafile=str(self.cert))
        connection = http.client.HTTPSConnection(HOST, ADDRESS[1], context=context, timeout=30)
        try:
            for path in paths:
                connection.request("GET", path)
                response = connection.getresponse()
                yield response.status, response.read()
        finally:
            connection.close()

    # ---- tear-down ---------------------------------------------------------------------------

    def stop_child(self, name: str) -> None:
        child = self.children.pop(name, None)
        if child is not None:
            terminate(child.pid)
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(child.pid, signal.SIGKILL)
                child.wait()
        (RUN / f"{name}.pid").unlink(missing_ok=True)

    def stop(self) -> None:
        for name in list(self.children):
            self.stop_child(name)
        self.socket.unlink(missing_ok=True)


def debian_busybox(arch: str) -> Path:
    """Debian's static busybox for `arch` (`apt-get download busybox-static:ARCH`, which
    needs `dpkg --add-architecture ARCH`), unpacked once below ENV."""
    folder = ENV / f"busybox-static-{arch}"
    busybox = folder / "bin" / "busybox"
    if busybox.is_file():
        return busybox
    download = ENV / f"download-{arch}"
    shutil.rmtree(download, ignore_errors=True)
    download.mkdir(parents=True)
    run(["apt-get", "download", f"busybox-static:{arch}"], cwd=download)
    debs = list(download.glob("*.deb"))
    if len(debs) != 1:
        raise RuntimeError(f"apt-get download busybox-static:{arch} gave {len(debs)} packages")
    run(["dpkg-deb", "-x", debs[0], folder])
    shutil.rmtree(download)
    if not busybox.is_file():
        raise RuntimeError(f"busybox-static:{arch} holds no bin/busybox")
    return busybox


def write(path: Path, text: str) -> None:
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def port_open(address) -> bool:
    try:
        with socket.create_connection(address, timeout=0.5):
            return True
    except OSError:
        return False


def socket_answers(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(2)
            s.connect(str(path))
            s.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
            return b"OK" in s.recv(4096)
    except OSError:
        return False


def wait_for(ready, what: str, child: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if child.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not start; see {ENV}/*.log")


def terminate(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass


def stop_leftovers() -> None:
    """Stops the registry and podman service a previous run left (killed before it could
    stop them), as recorded in their pid files, if the pid is still theirs."""
    markers = {"registry": "docker-registry", "podman": "podman"}
    for name, marker in markers.items():
        pidfile = RUN / f"{name}.pid"
        if not pidfile.exists():
            continue
        pid = int(pidfile.read_text().strip() or 0)
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            cmdline = ""
        if pid and marker in cmdline and str(ENV) in cmdline:
            terminate(pid)
            for _ in range(150):
                if not Path(f"/proc/{pid}").exists():
                    break
                time.sleep(0.1)
            else:
                os.kill(pid, signal.SIGKILL)
        pidfile.unlink(missing_ok=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["stop"]:
        stop_leftovers()
    else:
        print("usage: bench_env.py stop", file=sys.stderr)
        sys.exit(2)
