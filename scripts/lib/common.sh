# Shared by scripts/demo, scripts/test and scripts/bench: find the repository, install what is
# missing (only what is missing, so every script can run again), build the binary where cargo
# puts it (target/, or $CARGO_TARGET_DIR, or build.target-dir of a .cargo/config.toml).

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# What the tool drives and what the tests start: container tools, a registry, TLS and htpasswd.
CONTAINER_PACKAGES=(buildah skopeo podman runc docker-registry busybox-static openssl apache2-utils)
# What the signing tests need beside them: gpg for a throw-away key, PyNaCl to seal a sigstore key.
SIGNING_TEST_PACKAGES=(gnupg python3-nacl)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# need_packages PKG...: installs the Debian packages that are not installed yet.
need_packages() {
  local missing=() package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "Installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# need_binfmt: the kernel runs foreign executables (arm64, …) through QEMU, as builds for
# other platforms need: binfmt_misc mounted, and Debian's interpreters registered in it.
need_binfmt() {
  local dir=/proc/sys/fs/binfmt_misc
  if [ ! -e "$dir/register" ]; then
    say "Mounting binfmt_misc"
    as_root mount binfmt_misc -t binfmt_misc "$dir"
  fi
  need_packages qemu-user-static binfmt-support
  if [ ! -e "$dir/qemu-aarch64" ]; then
    say "Registering QEMU's interpreters"
    as_root update-binfmts --enable
  fi
  [ -e "$dir/qemu-aarch64" ] || die "no QEMU interpreter is registered in $dir (update-binfmts --display)"
  # The multi-platform tests download Debian's busybox-static:ARCH for their foreign bases.
  local arch added=""
  for arch in arm64 s390x; do
    if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
      say "Adding the $arch architecture to apt"
      as_root dpkg --add-architecture "$arch"
      added=yes
    fi
  done
  if [ -n "$added" ]; then
    as_root apt-get update -qq
  fi
}

# need_gitlab_ci_local: gitlab-ci-local at the version the tests pin (later ones need
# Node.js 22), from npm; Debian's nodejs when no npm is installed.
GITLAB_CI_LOCAL_VERSION=4.52.0
need_gitlab_ci_local() {
  [ "$(gitlab-ci-local --version 2>/dev/null)" = "$GITLAB_CI_LOCAL_VERSION" ] && return 0
  command -v npm >/dev/null || need_packages nodejs npm
  say "Installing gitlab-ci-local $GITLAB_CI_LOCAL_VERSION"
  as_root npm install -g --no-fund --no-audit "gitlab-ci-local@$GITLAB_CI_LOCAL_VERSION"
}

# need_rust: makes cargo reachable (rustup installs it under ~/.cargo).
need_rust() {
  if ! command -v cargo >/dev/null && [ -f "$HOME/.cargo/env" ]; then
    # shellcheck disable=SC1091
    . "$HOME/.cargo/env"
  fi
  command -v cargo >/dev/null || die "cargo is not installed: install Rust with rustup (https://rustup.rs)"
}

# target_dir: the folder cargo builds into, whatever sets it; `cargo metadata` knows.
target_dir() {
  (cd "$REPO" && cargo metadata --format-version 1 --no-deps) |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])'
}

# build_release: the optimised binary, at $BIN. Exports TARGET_DIR, cargo's folder, where the
# scripts keep their own work too.
build_release() {
  need_rust
  say "Building docker-pkg"
  # Cargo's progress line shows: a first build takes minutes.
  (cd "$REPO" && cargo build --release --locked)
  TARGET_DIR=$(target_dir)
  export TARGET_DIR
  BIN="$TARGET_DIR/release/docker-pkg"
  [ -x "$BIN" ] || die "cargo built no $BIN"
}
