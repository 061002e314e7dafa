# tests/e2e/setup-buildkit.sh — sourced by setup.sh (ENGINE=sid; SKIP_BUILDKIT=1 leaves it out):
# the BuildKit daemons users and CI run, built from the vendored source, and the release image.
#   1. Go 1.26 from Debian sid, unpacked into $GO_DIR (the machine's own Go is not touched),
#   2. buildkitd, buildctl and the Dockerfile frontend built from the vendored BuildKit v0.32.2
#      source ($BK_TARBALL) into $BK_PREFIX/bin, with a Go build cache in $CACHE_DIR,
#   3. a standalone buildkitd on its own socket ($BK_SOCK) whose config mirrors docker.io to the
#      local registry, where the base images are pushed (library/python:3.11-slim, ...),
#   4. images in the local registry: moby/buildkit for the docker-container driver, the
#      Dockerfile frontend (also tagged docker/dockerfile:1 on the engine, for bench/), a
#      two-platform busybox base, an SBOM scanner stand-in,
#   5. check-jsonschema (PyPI) for the workflow schema check,
#   6. the release image: scripts/release.sh on a docker-container builder, pushed to
#      $REGISTRY_ADDR/stagefile:<version> (SKIP_RELEASE=1 leaves it out).
# Everything is reused while its inputs are unchanged (marker files hold a hash of them).
# Uses setup.sh's helpers (log, die, step, suite_download, start_daemon, wait_for, hash_of, ...).

BK_VERSION=v0.32.2
BK_COMMIT=991535e0973488b6a429096d21fa13f81f2d89d8
BK_SHA256=75e58d4a7d484d4f1e62453f20d93d6fac596d32fdfbe2498b3797910ce81839
BK_TARBALL=${BUILDKIT_TARBALL:-$REPO_ROOT/../shared/vendor/buildkit-$BK_VERSION.tar.gz}
DOCKERFILE_VERSION=1.26.0                # frontend/dockerfile/version/version.go of that source
GO_DIR=/opt/stagefile-go                 # golang-1.26-go and -src from sid, dpkg-deb -x
BK_PREFIX=/opt/stagefile-buildkit        # bin/{buildkitd,buildctl,dockerfile-frontend}
BK_STATE=/var/lib/stagefile-buildkit     # the daemon's root, its config, builder configs
BK_RUN=/run/stagefile-buildkit
BK_SOCK=$BK_RUN/buildkitd.sock
BK_IMAGE=$REGISTRY_ADDR/moby/buildkit:$BK_VERSION-local
MULTI_REF=$REGISTRY_ADDR/stagefile-e2e/busybox:multi
SCANNER_REF=$REGISTRY_ADDR/stagefile-e2e/sbom-scanner:local
TOOLS_VENV=/opt/stagefile-tools/venv     # check-jsonschema
CHECK_JSONSCHEMA_VERSION=0.39.0
RELEASE_BUILDER=stagefile-release

buildctl() { "$BK_PREFIX/bin/buildctl" --addr "unix://$BK_SOCK" "$@"; }

# The registry part of a buildkitd config: docker.io served by the local registry (nothing else
# is reachable), which speaks plain HTTP. Shared by the daemon and the docker-container builders.
registry_config() {
  cat <<EOF
[registry."docker.io"]
  mirrors = ["$REGISTRY_ADDR"]
[registry."$REGISTRY_ADDR"]
  http = true
  insecure = true
EOF
}

ensure_go() {
  GO=$GO_DIR/usr/lib/go-1.26/bin/go
  if [ -x "$GO" ] && GOTOOLCHAIN=local "$GO" version >/dev/null 2>&1; then
    log "Go: $(GOTOOLCHAIN=local "$GO" version)"
    return 0
  fi
  local debs f
  debs=$(suite_download sid golang-1.26-go golang-1.26-src)
  rm -rf "$GO_DIR.tmp" && mkdir -p "$GO_DIR.tmp"
  for f in "$debs"/golang-1.26-*.deb; do dpkg-deb -x "$f" "$GO_DIR.tmp"; done
  rm -rf "$GO_DIR" && mv "$GO_DIR.tmp" "$GO_DIR"
  GOTOOLCHAIN=local "$GO" version >/dev/null || die "the unpacked Go at $GO does not run"
  log "Go: $(GOTOOLCHAIN=local "$GO" version) in $GO_DIR"
}

# One `go build` of the BuildKit source in $1 (package, output name, ldflags, tags).
go_build() {
  local src=$1 pkg=$2 out=$3 ldflags=$4 tags=$5 t=$SECONDS
  (cd "$src" && GOFLAGS=-mod=vendor CGO_ENABLED=0 GOTOOLCHAIN=local GOPROXY=off \
     GOCACHE="$CACHE_DIR/go-build" GOPATH="$CACHE_DIR/go-path" \
     "$GO" build -trimpath -ldflags "$ldflags" -tags "$tags" -o "$BK_PREFIX.tmp/bin/$out" "$pkg") \
    || die "go build $pkg failed"
  log "built $out in $((SECONDS - t))s ($(du -h "$BK_PREFIX.tmp/bin/$out" | cut -f1))"
}

ensure_buildkit_binaries() {
  local key have src=$CACHE_DIR/buildkit-src
  [ -f "$BK_TARBALL" ] || die "no vendored BuildKit source at $BK_TARBALL (set BUILDKIT_TARBALL)"
  key=$(hash_of "$BK_SHA256" "$(GOTOOLCHAIN=local "$GO" version)" "$(declare -f go_build ensure_buildkit_binaries)")
  have=$(cat "$BK_PREFIX/.done" 2>/dev/null || true)
  if [ "$have" = "$key" ]; then
    log "buildkitd, buildctl, dockerfile-frontend: built ($("$BK_PREFIX/bin/buildctl" --version))"
    return 0
  fi
  echo "$BK_SHA256  $BK_TARBALL" | sha256sum -c --status || die "$BK_TARBALL: sha256 mismatch"
  rm -rf "$src" "$BK_PREFIX.tmp" && mkdir -p "$src" "$BK_PREFIX.tmp/bin"
  tar -C "$src" --strip-components=1 -xzf "$BK_TARBALL"
  local pkg=github.com/moby/buildkit
  local bkflags="-X $pkg/version.Version=$BK_VERSION -X $pkg/version.Revision=$BK_COMMIT -X $pkg/version.Package=$pkg"
  go_build "$src" ./cmd/buildctl buildctl "$bkflags" ""
  go_build "$src" ./cmd/buildkitd buildkitd "$bkflags" "osusergo netgo static_build seccomp"
  go_build "$src" ./frontend/dockerfile/cmd/dockerfile-frontend dockerfile-frontend \
    "-X main.Version=$DOCKERFILE_VERSION -X main.Revision=$BK_COMMIT" "netgo static_build osusergo"
  rm -rf "$BK_PREFIX" && mv "$BK_PREFIX.tmp" "$BK_PREFIX"
  rm -rf "$src"
  echo "$key" > "$BK_PREFIX/.done"
}

# buildkitd answers on its socket with our version?
buildkitd_ready() { buildctl debug info 2>/dev/null | grep -q "$BK_VERSION"; }

# The standalone daemon: OCI worker (runc from bookworm), amd64 and arm64 (qemu), the registry
# mirror. A running one is reused unless its binary was rebuilt since it started.
ensure_buildkitd() {
  mkdir -p "$BK_STATE" "$BK_RUN"
  registry_config > "$BK_STATE/builder.toml"
  { cat <<EOF
root = "$BK_STATE/root"
[grpc]
  address = ["unix://$BK_SOCK"]
[worker.oci]
  enabled = true
  platforms = ["linux/amd64", "linux/arm64"]
[worker.containerd]
  enabled = false
EOF
    registry_config; } > "$BK_STATE/buildkitd.toml"
  # What the running daemon was started from: the build's key and the config.
  local pid started
  started=$(cat "$BK_PREFIX/.done" "$BK_STATE/buildkitd.toml" | sha256sum)
  pid=$(cat "$BK_RUN/buildkitd.pid" 2>/dev/null || true)
  if buildkitd_ready && [ -n "$pid" ] && [ "$(cat "$BK_RUN/buildkitd.started" 2>/dev/null)" = "$started" ]; then
    log "reusing the buildkitd at $BK_SOCK (pid $pid)"
    return 0
  fi
  if [ -n "$pid" ] && grep -qs "$BK_PREFIX/bin/buildkitd" "/proc/$pid/cmdline"; then
    log "stopping the buildkitd (pid $pid) started from an older build or config"
    kill "$pid"
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  fi
  cp "$BK_STATE/buildkitd.toml" "$BK_RUN/buildkitd.toml"
  start_daemon "$LOG_DIR/stagefile-buildkitd.log" "$BK_PREFIX/bin/buildkitd" --config "$BK_RUN/buildkitd.toml"
  wait_for buildkitd 60 "$LOG_DIR/stagefile-buildkitd.log" buildkitd_ready
  pgrep -f "^$BK_PREFIX/bin/buildkitd --config $BK_RUN/buildkitd.toml" | head -1 > "$BK_RUN/buildkitd.pid"
  echo "$started" > "$BK_RUN/buildkitd.started"
  buildctl debug workers | sed -n '1,3p' | while read -r line; do log "  $line"; done
}

# The config digest of a tag in the local registry (empty when it is not there).
registry_config_digest() {
  local repo=${1%:*} tag=${1##*:}
  curl -fsS -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$REGISTRY_ADDR/v2/$repo/manifests/$tag" 2>/dev/null \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["config"]["digest"])' 2>/dev/null || true
}

# Push a local image to the registry as REF, unless the registry has that very image already.
push_image() {
  local image=$1 ref=$2
  if [ "$(registry_config_digest "${ref#"$REGISTRY_ADDR"/}")" = "$(docker image inspect -f '{{.Id}}' "$image")" ]; then
    log "$ref: in the registry"
    return 0
  fi
  if [ "$image" = "$ref" ]; then
    docker push -q "$ref" >/dev/null
  else
    docker tag "$image" "$ref"
    docker push -q "$ref" >/dev/null
    docker rmi "$ref" >/dev/null
  fi
  log "$ref: pushed"
}

# The base images, as buildkitd resolves them through its docker.io mirror.
push_base_images() {
  local image
  if [ "${SKIP_IMAGES:-0}" = 1 ]; then log "SKIP_IMAGES=1: base images not pushed"; return 0; fi
  for image in debian:bookworm-slim python:3.11-slim node:20-slim ruby:3.1-slim; do
    push_image "$image" "$REGISTRY_ADDR/library/$image"
  done
}

# A tag exists in the local registry and the recipe it was made from is in MARKER?
registry_has() {
  local ref=${1#"$REGISTRY_ADDR"/} marker=$2 recipe=$3
  [ "$(cat "$marker" 2>/dev/null)" = "$recipe" ] || return 1
  curl -fsS -o /dev/null -H 'Accept: application/vnd.oci.image.index.v1+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$REGISTRY_ADDR/v2/${ref%:*}/manifests/${ref##*:}"
}

# Build a Dockerfile directory on buildkitd for both platforms and push it as REF.
buildctl_push() {
  local dir=$1 ref=$2 platforms=$3
  buildctl build --progress=quiet --frontend dockerfile.v0 --local context="$dir" --local dockerfile="$dir" \
    --opt platform="$platforms" --output "type=image,name=$ref,push=true" \
    || die "building $ref on buildkitd failed"
}

# stagefile-e2e/busybox:multi (as ENGINE=c8d makes it) and an SBOM scanner stand-in on it
# (docker/buildkit-syft-scanner is not reachable), both for linux/amd64 and linux/arm64.
ensure_multi_images() {
  local recipe dir=$CACHE_DIR/busybox
  recipe=$(hash_of "$RECIPE_VERSION" "$(declare -f busybox_rootfs ensure_multi_images)")
  if registry_has "$MULTI_REF" "$BK_STATE/busybox.done" "$recipe"; then
    log "$MULTI_REF: in the registry"
  else
    busybox_rootfs
    printf '%s\n' 'FROM scratch' 'ARG TARGETARCH' 'ADD rootfs-$TARGETARCH.tar /' 'CMD ["sh"]' > "$dir/Dockerfile"
    buildctl_push "$dir" "$MULTI_REF" linux/amd64,linux/arm64
    echo "$recipe" > "$BK_STATE/busybox.done"
    log "$MULTI_REF: built for linux/amd64 and linux/arm64, pushed"
  fi
  local scanner=$REPO_ROOT/tests/e2e/images/sbom-scanner
  recipe=$(hash_of "$recipe" "$(cat "$scanner"/*)")
  if registry_has "$SCANNER_REF" "$BK_STATE/scanner.done" "$recipe"; then
    log "$SCANNER_REF: in the registry"
  else
    buildctl_push "$scanner" "$SCANNER_REF" linux/amd64,linux/arm64
    echo "$recipe" > "$BK_STATE/scanner.done"
    log "$SCANNER_REF: pushed"
  fi
}

# An image made on the engine from a Dockerfile text and files, labelled with a recipe hash and
# remade only when that changes. Args: tag, recipe inputs dir (holding Dockerfile and files).
engine_image() {
  local tag=$1 dir=$2 recipe have
  recipe=$(hash_of "$RECIPE_VERSION" "$(cd "$dir" && sha256sum ./*)")
  have=$(docker image inspect -f '{{index .Config.Labels "org.stagefile.recipe"}}' "$tag" 2>/dev/null || true)
  if [ "$have" = "$recipe" ]; then log "image $tag: exists (recipe $recipe)"; return 0; fi
  docker buildx build -q --load -t "$tag" --label "org.stagefile.recipe=$recipe" "$dir" >/dev/null \
    || die "building $tag failed"
  log "image $tag: built"
}

# moby/buildkit for `docker buildx create --driver docker-container` (what GitHub Actions'
# setup-buildx-action starts), and the Dockerfile frontend image `docker/dockerfile:1`.
ensure_buildkit_images() {
  local dir=$BK_STATE/images
  rm -rf "$dir" && mkdir -p "$dir/buildkit" "$dir/dockerfile"
  cp "$BK_PREFIX/bin/buildkitd" "$BK_PREFIX/bin/buildctl" "$dir/buildkit/"
  cat > "$dir/buildkit/Dockerfile" <<'EOF'
FROM debian:bookworm-slim
RUN apt-get update -q && apt-get install -y -q --no-install-recommends runc \
 && rm -rf /var/lib/apt/lists/*
COPY buildkitd buildctl /usr/bin/
VOLUME /var/lib/buildkit
ENTRYPOINT ["buildkitd"]
EOF
  engine_image "$BK_IMAGE" "$dir/buildkit"
  push_image "$BK_IMAGE" "$BK_IMAGE"

  cp "$BK_PREFIX/bin/dockerfile-frontend" "$dir/dockerfile/"
  cat > "$dir/dockerfile/Dockerfile" <<'EOF'
FROM scratch
LABEL moby.buildkit.frontend.network.none="true"
LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts,moby.buildkit.frontend.gitquerystring"
COPY dockerfile-frontend /bin/dockerfile-frontend
ENTRYPOINT ["/bin/dockerfile-frontend"]
EOF
  engine_image docker/dockerfile:1 "$dir/dockerfile"
  push_image docker/dockerfile:1 "$REGISTRY_ADDR/docker/dockerfile:1"
  rm -rf "$dir"
}

ensure_check_jsonschema() {
  if [ "$("$TOOLS_VENV/bin/check-jsonschema" --version 2>/dev/null)" = "check-jsonschema, version $CHECK_JSONSCHEMA_VERSION" ]; then
    log "check-jsonschema $CHECK_JSONSCHEMA_VERSION: installed"
    return 0
  fi
  rm -rf "$TOOLS_VENV"
  python3 -m venv "$TOOLS_VENV"
  "$TOOLS_VENV/bin/pip" install -q "check-jsonschema==$CHECK_JSONSCHEMA_VERSION" || die "pip install check-jsonschema failed"
  log "check-jsonschema $CHECK_JSONSCHEMA_VERSION installed in $TOOLS_VENV"
}

# A docker-container builder on our moby/buildkit image, as setup-buildx-action makes one;
# re-made when the image changed.
ensure_release_builder() {
  local want have
  want=$(docker image inspect -f '{{.Id}}' "$BK_IMAGE")
  have=$(cat "$BK_STATE/release-builder.image" 2>/dev/null || true)
  if [ "$have" = "$want" ] && docker buildx inspect --bootstrap "$RELEASE_BUILDER" >/dev/null 2>&1; then
    log "builder $RELEASE_BUILDER: up"
    return 0
  fi
  docker buildx rm "$RELEASE_BUILDER" >/dev/null 2>&1 || true
  docker buildx create --name "$RELEASE_BUILDER" --driver docker-container \
    --driver-opt "image=$BK_IMAGE,network=host" --buildkitd-config "$BK_STATE/builder.toml" \
    --bootstrap >/dev/null || die "cannot create the docker-container builder $RELEASE_BUILDER"
  echo "$want" > "$BK_STATE/release-builder.image"
  log "builder $RELEASE_BUILDER: created (docker-container, $BK_IMAGE)"
}

# The release image of this tree, pushed to the local registry by scripts/release.sh.
ensure_release_image() {
  if [ "${SKIP_RELEASE:-0}" = 1 ]; then log "SKIP_RELEASE=1: skipped"; return 0; fi
  ensure_release_builder
  local t=$SECONDS
  IMAGE="$REGISTRY_ADDR/stagefile" BUILDX_BUILDER="$RELEASE_BUILDER" SBOM_GENERATOR="$SCANNER_REF" \
    bash "$REPO_ROOT/scripts/release.sh" >"$LOG_DIR/stagefile-release.log" 2>&1 \
    || { tail -n 40 "$LOG_DIR/stagefile-release.log" >&2; die "scripts/release.sh failed (log: $LOG_DIR/stagefile-release.log)"; }
  log "scripts/release.sh: $(tail -n 1 "$LOG_DIR/stagefile-release.log") ($((SECONDS - t))s)"
}

# ENGINE=bench: the sid engine's docker/dockerfile:1 (bench/'s third side), loaded unless the
# same image is there already.
load_dockerfile_frontend() {
  local sid=unix:///var/run/docker.sock want
  step "Dockerfile frontend image docker/dockerfile:1 (from the sid engine)"
  want=$(DOCKER_HOST=$sid docker image inspect -f '{{.Id}}' docker/dockerfile:1 2>/dev/null) \
    || die "the sid engine has no docker/dockerfile:1: run $REPO_ROOT/tests/e2e/setup.sh first"
  if [ "$(docker image inspect -f '{{.Id}}' docker/dockerfile:1 2>/dev/null)" != "$want" ]; then
    DOCKER_HOST=$sid docker save docker/dockerfile:1 | docker load -q >/dev/null
  fi
  log "docker/dockerfile:1: $want"
  step_done
}

ensure_standalone_buildkit() {
  if [ "${SKIP_BUILDKIT:-0}" = 1 ]; then log "SKIP_BUILDKIT=1: no standalone BuildKit"; return 0; fi
  step "standalone BuildKit $BK_VERSION (vendored source, Go from sid)"
  ensure_go
  ensure_buildkit_binaries
  ensure_arm64_emulation
  ensure_buildkitd
  step_done
  step "images in the local registry for buildkitd and docker-container builders"
  push_base_images
  ensure_multi_images
  ensure_buildkit_images
  ensure_check_jsonschema
  step_done
  step "release image (scripts/release.sh) at $REGISTRY_ADDR/stagefile"
  ensure_release_image
  step_done
}
