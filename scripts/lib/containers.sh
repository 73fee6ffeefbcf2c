# Container set-up shared by the scripts: a private containers storage and a throw-away TLS
# registry with a password. Source after common.sh.

# private_storage DIR: points buildah, podman and skopeo at a storage of DIR's own (vfs: no
# mounts to undo), with runc and the rlimits podman may set on this kind of host, and RUN
# steps isolated with chroot. Exports the variables, so docker-pkg and its verify scripts
# inherit them.
private_storage() {
  local dir=$1
  mkdir -p "$dir"
  cat > "$dir/storage.conf" <<CONF
[storage]
driver = "vfs"
graphroot = "$dir/graph"
runroot = "$dir/run"
CONF
  cat > "$dir/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
runtime = "runc"
events_logger = "none"
CONF
  [ -f "$dir/auth.json" ] || echo '{"auths": {}}' > "$dir/auth.json"
  export CONTAINERS_STORAGE_CONF="$dir/storage.conf" CONTAINERS_CONF="$dir/containers.conf"
  export REGISTRY_AUTH_FILE="$dir/auth.json" BUILDAH_ISOLATION=chroot
}

# free_port: a loopback port nobody listens on now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_registry DIR PORT USER PASSWORD: the distribution registry on 127.0.0.1:PORT with a
# fresh self-signed certificate (DIR/ca.crt) and htpasswd auth, storage in DIR/data. Sets
# REGISTRY_PID; stop it with stop_registry.
start_registry() {
  local dir=$1 port=$2 user=$3 password=$4
  mkdir -p "$dir"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -keyout "$dir/key.pem" -out "$dir/ca.crt" -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 2>/dev/null
  htpasswd -Bbn "$user" "$password" > "$dir/htpasswd"
  cat > "$dir/config.yml" <<CONF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  secret: throw-away
  tls:
    certificate: $dir/ca.crt
    key: $dir/key.pem
auth:
  htpasswd:
    realm: docker-pkg
    path: $dir/htpasswd
CONF
  # A clean environment: the registry reads any REGISTRY_* variable (REGISTRY_AUTH_FILE of
  # the container tools, say) as a setting of its own.
  env -i PATH="$PATH" docker-registry serve "$dir/config.yml" 2>"$dir/registry.log" &
  REGISTRY_PID=$!
  local _
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    kill -0 "$REGISTRY_PID" 2>/dev/null || break
    sleep 0.1
  done
  die "the registry did not start: $(cat "$dir/registry.log")"
}

stop_registry() {
  if [ -n "${REGISTRY_PID:-}" ]; then
    kill "$REGISTRY_PID" 2>/dev/null || true
    wait "$REGISTRY_PID" 2>/dev/null || true
    REGISTRY_PID=
  fi
}

# busybox_image NAME: an image holding busybox and its links, made without any network.
busybox_image() {
  local name=$1 rootfs container link
  rootfs=$(mktemp -d)
  mkdir -p "$rootfs/bin"
  cp /bin/busybox "$rootfs/bin/busybox"
  for link in sh echo cat ls test sleep true false grep id; do ln -s busybox "$rootfs/bin/$link"; done
  container=$(buildah from scratch)
  buildah copy --quiet "$container" "$rootfs" / >/dev/null
  buildah config --cmd /bin/sh "$container"
  buildah commit --quiet "$container" "$name" >/dev/null
  buildah rm "$container" >/dev/null
  rm -rf "$rootfs"
}
