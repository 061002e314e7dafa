#!/usr/bin/env bash
# tests/e2e/setup.sh — make this machine ready for the end-to-end tests:
#   1. a Docker engine with a current BuildKit (Debian sid's docker.io; ENGINE=trixie for the
#      old-engine matrix: docker.io 26.1 / BuildKit 0.13, run side by side on its own socket;
#      ENGINE=c8d: sid's engine again, beside it, with the containerd image store, for
#      multi-platform images and attestations; ENGINE=bench: sid's engine again, beside it,
#      for bench/run.sh, which empties its build cache),
#   2. local base images (no registry is reachable here): debian:bookworm-slim, node:20-slim and
#      ruby:3.1-slim made with debootstrap + `docker import`; node:25-slim the same way with the
#      official Node 25 binary from the npm registry; python:3.11-slim built on top of
#      debian:bookworm-slim with CPython compiled into /usr/local, as the official image is
#      (tests/e2e/setup-images.sh),
#   3. the frontend image stagefile:dev from the working tree (skip with SKIP_FRONTEND=1),
#   4. a local registry at 127.0.0.1:5000 (Debian's docker-registry) that every engine uses,
#   5. (ENGINE=sid) a standalone buildkitd built from the vendored BuildKit source, images for
#      docker-container builders, and the release image (tests/e2e/setup-buildkit.sh).
# Idempotent: everything that already exists and still matches is reused. Safe with CI=true and
# no stdin. Only Debian's and npm's registries are used. See shared/reference/engine.md for the background.
#
# Env: ENGINE=sid|trixie|c8d|bench (default sid), SKIP_FRONTEND=1, SKIP_IMAGES=1, VERIFY_APT=1 (check
# `apt-get update` in every image even when it was not just created), SKIP_BUILDKIT=1 (no
# standalone BuildKit, see setup-buildkit.sh), SKIP_RELEASE=1 (no release image).
# At the end it prints the DOCKER_HOST to use.
set -euo pipefail
shopt -s inherit_errexit

ENGINE="${ENGINE:-sid}"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE_DIR=/var/lib/stagefile             # apt configs and downloaded .debs for the newer suites
CACHE_DIR=/var/cache/stagefile           # debootstrap rootfs caches and their .deb cache
LOG_DIR=/var/log                         # stagefile-*.log of the daemons started here
MIRROR=http://deb.debian.org/debian
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
HOST_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
IMAGE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RECIPE_VERSION=1                         # bump to force every base image to be re-made
export DEBIAN_FRONTEND=noninteractive
export BUILDX_NO_DEFAULT_ATTESTATIONS=1

case "$ENGINE" in
  sid)
    DOCKER_SOCK=/var/run/docker.sock
    CONTAINERD_SOCK=/run/containerd/containerd.sock
    ;;
  trixie|c8d|bench)
    # Side engines, each beside sid's with its own containerd, data, sockets and bridge.
    SIDE_DATA=/var/lib/stagefile-$ENGINE         # its data roots (docker, containerd)
    SIDE_RUN=/run/stagefile-$ENGINE              # its sockets, pid files, exec root
    SIDE_BRIDGE=sf-${ENGINE}0                    # its own bridge, so docker0 stays sid's
    DOCKER_SOCK=$SIDE_RUN/docker.sock
    CONTAINERD_SOCK=$SIDE_RUN/containerd.sock
    if [ "$ENGINE" = trixie ]; then
      SIDE_PREFIX=/opt/stagefile-trixie          # the trixie engine's binaries (dpkg-deb -x)
      SIDE_BRIDGE_CIDR=10.222.0.1/24
      SIDE_DAEMON_JSON='{}'
    elif [ "$ENGINE" = c8d ]; then
      SIDE_PREFIX=                               # sid's binaries, with the containerd image store
      SIDE_BRIDGE_CIDR=10.223.0.1/24
      SIDE_DAEMON_JSON='{"features": {"containerd-snapshotter": true}}'
    else
      SIDE_PREFIX=                               # sid's binaries and settings: the bench's own
      SIDE_BRIDGE_CIDR=10.224.0.1/24
      SIDE_DAEMON_JSON='{}'
    fi
    ;;
  *) echo "setup.sh: ENGINE must be sid, trixie, c8d or bench, not '$ENGINE'" >&2; exit 2 ;;
esac
export DOCKER_HOST="unix://$DOCKER_SOCK"

# ---------------------------------------------------------------------------------------------
# small helpers

T0=$SECONDS
STEP_T0=$SECONDS
log()  { printf '[setup %4ss] %s\n' "$((SECONDS - T0))" "$*"; }
die()  { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }
step() { STEP_T0=$SECONDS; printf '\n[setup %4ss] === %s\n' "$((SECONDS - T0))" "$*"; }
step_done() { log "done in $((SECONDS - STEP_T0))s"; }

# Run apt-get update on the machine's own apt configuration, at most once per run.
APT_UPDATED=0
apt_update_once() {
  if [ "$APT_UPDATED" = 0 ]; then
    log "apt-get update (machine's own sources)"
    apt-get update -q
    APT_UPDATED=1
  fi
}

# Install the given Debian packages (own sources) unless all are installed already.
apt_install() {
  local p missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ "${#missing[@]}" = 0 ] && return 0
  apt_update_once
  log "apt-get install ${missing[*]}"
  apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# apt-get against a separate configuration for a newer suite (own sources list, lists dir and
# cache), so the machine's own apt state is left untouched.
suite_apt() {
  local suite=$1; shift
  local d=$STATE_DIR/apt-$suite
  apt-get \
    -o Dir::Etc::SourceList="$d/sources.list" \
    -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::State::Lists="$d/lists" \
    -o Dir::Cache="$d/cache" \
    -o Acquire::Languages=none \
    -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false \
    -o Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false \
    -o Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false \
    "$@"
}

# Download .debs of the given packages from a suite into $STATE_DIR/debs-<suite>; prints the dir.
suite_download() {
  local suite=$1; shift
  local d=$STATE_DIR/apt-$suite out=$STATE_DIR/debs-$suite
  mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$out"
  echo "deb [signed-by=$KEYRING] $MIRROR $suite main" > "$d/sources.list"
  log "apt-get update ($suite, separate apt configuration in $d)" >&2
  suite_apt "$suite" update -q >&2
  rm -f "$out"/*.deb
  # apt downloads as the _apt user: let it write there (avoids the "unsandboxed" warning).
  if id _apt >/dev/null 2>&1; then chown _apt:root "$out"; fi
  log "apt-get download $* (from $suite)" >&2
  # pkg/suite: the suite's version even when another one is installed (e.g. sid's, for trixie).
  (cd "$out" && suite_apt "$suite" download "${@/%//$suite}" >&2)
  echo "$out"
}

# Version "X.Y..." of the engine behind DOCKER_HOST, or nothing if it does not answer.
server_version() { timeout 10 docker info --format '{{.ServerVersion}}' 2>/dev/null || true; }
major() { local v=${1%%.*}; [[ "$v" =~ ^[0-9]+$ ]] && echo "$v" || echo 0; }

# Wait (bounded) until a command succeeds; on timeout show the log tail and fail.
wait_for() {
  local what=$1 secs=$2 logf=$3; shift 3
  local i
  for ((i = 0; i < secs; i++)); do
    if "$@" >/dev/null 2>&1; then log "$what is up (after ${i}s)"; return 0; fi
    sleep 1
  done
  echo "----- last lines of $logf -----" >&2
  tail -n 40 "$logf" >&2 || true
  die "$what did not come up within ${secs}s (log: $logf)"
}

# Start a daemon detached from this shell (own session, no stdin, output to a log).
start_daemon() {
  local logf=$1; shift
  log "starting: $* (log: $logf)"
  echo "=== $(date -Is) setup.sh starts: $*" >> "$logf"
  setsid nohup "$@" </dev/null >>"$logf" 2>&1 &
}

# ---------------------------------------------------------------------------------------------
# 1. host tools

# Tools the rest of the script needs, and the C compiler a test links a program with, all from
# the machine's own Debian sources.
install_host_tools() {
  step "host tools"
  apt_install ca-certificates curl debootstrap iproute2 openssh-client xz-utils gcc libc6-dev
  step_done
}

# ---------------------------------------------------------------------------------------------
# 2. engine

# Reuse a running, new enough engine; otherwise install (if needed) and start one.
ensure_engine() {
  step "engine ($ENGINE) at $DOCKER_HOST"
  local v
  v=$(server_version)
  if [ -n "$v" ] && engine_version_ok "$v"; then
    log "reusing running engine, server version $v"
  else
    [ -n "$v" ] && die "an engine answers at $DOCKER_HOST but its version $v does not fit ENGINE=$ENGINE; stop it first"
    case "$ENGINE" in
      sid) install_sid_engine; start_sid_engine ;;
      trixie) install_trixie_engine; start_side_engine ;;
      c8d|bench) install_sid_engine; start_side_engine ;;
    esac
    log "engine up, server version $(server_version)"
  fi
  ensure_buildx
  step_done
}

engine_version_ok() {
  case "$ENGINE" in
    sid) [ "$(major "$1")" -ge 26 ] ;;
    trixie) [ "$(major "$1")" = 26 ] ;;
    c8d) [ "$(major "$1")" -ge 26 ] && uses_containerd_store ;;
    bench) [ "$(major "$1")" -ge 26 ] && ! uses_containerd_store ;;
  esac
}

# The engine stores images in containerd (needed for multi-platform images and attestations)?
uses_containerd_store() { docker info -f '{{json .DriverStatus}}' | grep -q io.containerd.snapshotter; }

# Debian sid's docker.io/containerd/tini-static as packages (runc from bookworm: sid's needs a
# newer libc). Skipped when a new enough dockerd is installed already.
install_sid_engine() {
  if command -v dockerd >/dev/null && command -v containerd >/dev/null \
     && [ "$(major "$(dockerd --version 2>/dev/null | sed -n 's/^Docker version \([0-9.]*\).*/\1/p')")" -ge 26 ]; then
    log "dockerd $(dockerd --version | cut -d, -f1 | cut -d' ' -f3) and containerd already installed"
    return 0
  fi
  local debs pkgs=(docker.io containerd tini-static docker-buildx)
  command -v docker >/dev/null || pkgs+=(docker-cli)   # the CLI, if the machine has none
  debs=$(suite_download sid "${pkgs[@]}")
  apt_update_once
  log "installing the sid engine packages with runc from bookworm"
  apt-get install -y -q --no-install-recommends "$debs"/*.deb runc
}

# containerd answers on its socket?
containerd_ready() { timeout 5 ctr --address "$1" version; }

start_sid_engine() {
  if containerd_ready "$CONTAINERD_SOCK" >/dev/null 2>&1; then
    log "reusing running containerd at $CONTAINERD_SOCK"
  else
    start_daemon "$LOG_DIR/stagefile-containerd.log" containerd
    wait_for containerd 30 "$LOG_DIR/stagefile-containerd.log" containerd_ready "$CONTAINERD_SOCK"
  fi
  start_daemon "$LOG_DIR/stagefile-dockerd.log" dockerd --containerd="$CONTAINERD_SOCK"
  wait_for dockerd 60 "$LOG_DIR/stagefile-dockerd.log" docker info
}

# Debian trixie's engine, unpacked (not installed: it would clash with sid's packages) under
# $SIDE_PREFIX, so that both can run side by side.
install_trixie_engine() {
  if [ -x "$SIDE_PREFIX/usr/sbin/dockerd" ] && [ -x "$SIDE_PREFIX/usr/bin/containerd" ]; then
    log "trixie engine already unpacked in $SIDE_PREFIX"
  else
    local debs f
    debs=$(suite_download trixie docker.io containerd tini)   # trixie has no tini-static package
    rm -rf "$SIDE_PREFIX.tmp" && mkdir -p "$SIDE_PREFIX.tmp"
    for f in "$debs"/*.deb; do dpkg-deb -x "$f" "$SIDE_PREFIX.tmp"; done
    rm -rf "$SIDE_PREFIX" && mv "$SIDE_PREFIX.tmp" "$SIDE_PREFIX"
  fi
  # runc (bookworm) and iptables come from the machine's own sources.
  apt_install runc iptables
}

# A side engine's bridge and NAT rules (its dockerd runs with --iptables=false so that it does
# not fight over the DOCKER chains with the sid engine).
side_network() {
  local cidr=$SIDE_BRIDGE_CIDR net
  net="${cidr%.*}.0/${cidr#*/}"
  if ! ip link show "$SIDE_BRIDGE" >/dev/null 2>&1; then
    log "creating bridge $SIDE_BRIDGE ($cidr)"
    ip link add "$SIDE_BRIDGE" type bridge
    ip addr add "$cidr" dev "$SIDE_BRIDGE"
  fi
  ip link set "$SIDE_BRIDGE" up
  echo 1 > /proc/sys/net/ipv4/ip_forward
  iptables -t nat -C POSTROUTING -s "$net" ! -o "$SIDE_BRIDGE" -j MASQUERADE 2>/dev/null \
    || iptables -t nat -A POSTROUTING -s "$net" ! -o "$SIDE_BRIDGE" -j MASQUERADE
  iptables -C FORWARD -i "$SIDE_BRIDGE" -j ACCEPT 2>/dev/null \
    || iptables -I FORWARD -i "$SIDE_BRIDGE" -j ACCEPT
  iptables -C FORWARD -o "$SIDE_BRIDGE" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT 2>/dev/null \
    || iptables -I FORWARD -o "$SIDE_BRIDGE" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
}

# A side engine (ENGINE=trixie or c8d) from the binaries under $SIDE_PREFIX.
start_side_engine() {
  local P=$SIDE_PREFIX
  mkdir -p "$SIDE_DATA" "$SIDE_RUN"
  # Its own containerd: own root, state and socket; CRI off (not needed, avoids a second port).
  cat > "$SIDE_RUN/containerd.toml" <<EOF
version = 2
root = "$SIDE_DATA/containerd"
state = "$SIDE_RUN/containerd"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$CONTAINERD_SOCK.ttrpc"
[debug]
  address = ""
EOF
  if containerd_ready "$CONTAINERD_SOCK" >/dev/null 2>&1; then
    log "reusing running $ENGINE containerd at $CONTAINERD_SOCK"
  else
    # (PATH: containerd finds its shims next to it; dockerd finds docker-proxy.)
    (PATH="$P/usr/bin:$P/usr/sbin:$PATH"
     start_daemon "$LOG_DIR/stagefile-$ENGINE-containerd.log" \
       "$P/usr/bin/containerd" --config "$SIDE_RUN/containerd.toml")
    wait_for "$ENGINE containerd" 30 "$LOG_DIR/stagefile-$ENGINE-containerd.log" containerd_ready "$CONTAINERD_SOCK"
  fi
  side_network
  echo "$SIDE_DAEMON_JSON" > "$SIDE_RUN/daemon.json"
  local init="" f
  for f in "$P/usr/bin/docker-init" "$P/usr/sbin/docker-init" "$P/usr/bin/tini-static"; do
    if [ -x "$f" ]; then init=$f; break; fi
  done
  (PATH="$P/usr/bin:$P/usr/sbin:$PATH"
   start_daemon "$LOG_DIR/stagefile-$ENGINE-dockerd.log" \
     "$P/usr/sbin/dockerd" \
       --config-file "$SIDE_RUN/daemon.json" \
       --host "$DOCKER_HOST" \
       --containerd "$CONTAINERD_SOCK" \
       --data-root "$SIDE_DATA/docker" \
       --exec-root "$SIDE_RUN/docker" \
       --pidfile "$SIDE_RUN/docker.pid" \
       --bridge "$SIDE_BRIDGE" \
       --iptables=false \
       ${init:+--init-path "$init"})
  wait_for "$ENGINE dockerd" 60 "$LOG_DIR/stagefile-$ENGINE-dockerd.log" docker info
}

# The buildx CLI plugin (sid's docker-buildx) in /usr/libexec/docker/cli-plugins.
ensure_buildx() {
  if docker buildx version >/dev/null 2>&1; then
    log "buildx: $(docker buildx version)"
    return 0
  fi
  if ! dpkg-query -W -f='${Status}' docker-buildx 2>/dev/null | grep -q 'install ok installed'; then
    local debs
    debs=$(suite_download sid docker-buildx)
    apt-get install -y -q --no-install-recommends "$debs"/docker-buildx_*.deb
  fi
  docker buildx version >/dev/null 2>&1 || die "docker buildx does not work (plugin dir: /usr/libexec/docker/cli-plugins)"
  log "buildx: $(docker buildx version)"
}

# A local registry at 127.0.0.1:5000 for the push/pull and --cache-from tests: Debian's
# docker-registry (distribution 2.8) with a config of our own (its packaged one asks for htpasswd
# auth), no auth, storage in $REGISTRY_DATA. Shared by every engine: their daemons reach it on
# the host's network (dockerd and BuildKit talk plain HTTP to localhost registries).
REGISTRY_ADDR=127.0.0.1:5000
REGISTRY_DATA=/var/lib/stagefile-registry

# Our registry answers (200 on /v2/: no auth asked)?
registry_ready() { curl -fsS -o /dev/null "http://$REGISTRY_ADDR/v2/"; }

ensure_registry() {
  step "local registry at $REGISTRY_ADDR"
  if registry_ready >/dev/null 2>&1; then
    log "reusing the registry that answers at $REGISTRY_ADDR"
    step_done
    return 0
  fi
  if curl -sS -o /dev/null "http://$REGISTRY_ADDR/v2/" 2>/dev/null; then
    die "something else answers at $REGISTRY_ADDR (the packaged docker-registry, with auth?); stop it first"
  fi
  apt_install docker-registry
  mkdir -p "$REGISTRY_DATA"
  cat > "$REGISTRY_DATA/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $REGISTRY_DATA/data
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
EOF
  start_daemon "$LOG_DIR/stagefile-registry.log" docker-registry serve "$REGISTRY_DATA/config.yml"
  wait_for registry 30 "$LOG_DIR/stagefile-registry.log" registry_ready
  step_done
}

# ---------------------------------------------------------------------------------------------
# 3. base images (and a BuildKit smoke test)

# shellcheck source=tests/e2e/setup-images.sh
source "$REPO_ROOT/tests/e2e/setup-images.sh"

# ---------------------------------------------------------------------------------------------
# 4. frontend image

# stagefile:dev from the working tree: a static musl binary built on the host, fed to
# Dockerfile.frontend as the named build context `frontend-build`.
build_frontend_image() {
  step "frontend image stagefile:dev"
  if [ "${SKIP_FRONTEND:-0}" = 1 ]; then log "SKIP_FRONTEND=1: skipped"; return 0; fi
  if [ ! -f "$REPO_ROOT/Cargo.toml" ] || [ ! -f "$REPO_ROOT/Dockerfile.frontend" ]; then
    log "no Cargo.toml or Dockerfile.frontend in $REPO_ROOT: skipped"; return 0
  fi
  local target=x86_64-unknown-linux-musl
  rustup target add "$target"
  apt_install musl-tools
  (cd "$REPO_ROOT" && cargo build --release --locked --target "$target" -p stagefile-frontend)
  local bindir=$REPO_ROOT/target/$target/release
  [ -x "$bindir/stagefile-frontend" ] || die "no binary at $bindir/stagefile-frontend"
  # The binary's hash as a label: tests that build one spec on two engines check that both
  # engines run the same frontend (else their LLB, and so their cache keys, may differ).
  local sum
  sum=$(sha256sum "$bindir/stagefile-frontend" | cut -c1-64)
  (cd "$REPO_ROOT" && docker buildx build --load -t stagefile:dev \
     --label "org.stagefile.frontend.sha256=$sum" \
     --build-context frontend-build="$bindir" -f Dockerfile.frontend .)
  step_done
}

# ---------------------------------------------------------------------------------------------
# A package index that asks for a password, for the private-registry test: pypiserver (from
# PyPI) with passlib, in a virtualenv of its own. The test starts it on a port of its choosing
# with its own packages and htpasswd file, and stops it.

PRIVATE_INDEX_VENV=/var/lib/stagefile/pypiserver
ensure_private_index() {
  step "private package index tools ($PRIVATE_INDEX_VENV)"
  if [ -x "$PRIVATE_INDEX_VENV/bin/pypi-server" ] && "$PRIVATE_INDEX_VENV/bin/python" -c 'import passlib' 2>/dev/null; then
    log "pypiserver: present"
  else
    rm -rf "$PRIVATE_INDEX_VENV"
    python3 -m venv "$PRIVATE_INDEX_VENV"
    "$PRIVATE_INDEX_VENV/bin/pip" install -q --disable-pip-version-check 'pypiserver>=2,<3' 'passlib>=1.7,<2' setuptools wheel
  fi
  step_done
}

# ---------------------------------------------------------------------------------------------

# The standalone BuildKit, docker-container builders' image and the release image (sid only).
# shellcheck source=tests/e2e/setup-buildkit.sh
source "$REPO_ROOT/tests/e2e/setup-buildkit.sh"

main() {
  [ "$(id -u)" = 0 ] || die "run as root (installs packages and starts the engine)"
  log "ENGINE=$ENGINE DOCKER_HOST=$DOCKER_HOST repo=$REPO_ROOT"
  install_host_tools
  ensure_engine
  ensure_registry
  [ "$ENGINE" != sid ] || ensure_private_index
  ensure_base_images
  smoke_buildkit
  build_frontend_image
  if [ "$ENGINE" = sid ]; then ensure_standalone_buildkit; fi
  if [ "$ENGINE" = bench ]; then load_dockerfile_frontend; fi
  printf '\n[setup %4ss] ready. Engine %s (server %s). Use:\n  export DOCKER_HOST=%s\n' \
    "$((SECONDS - T0))" "$ENGINE" "$(server_version)" "$DOCKER_HOST"
}

main "$@"
