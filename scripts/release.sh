#!/usr/bin/env bash
# scripts/release.sh — make a Stagefile release: static binaries of the frontend and llb-gen for
# linux/amd64 and linux/arm64, and the frontend image for both platforms, pushed as
# IMAGE:<version>, IMAGE:<major>.<minor> and IMAGE:<major> with provenance and SBOM attestations
# and OCI labels (version, source, revision). .github/workflows/release.yml runs it on a version
# tag; tests/e2e/setup.sh runs it against the local registry, and the end-to-end tests
# (tests/e2e/tests/release.rs) check what it made. See docs/releasing.md.
#
#   IMAGE=ghcr.io/OWNER/stagefile bash scripts/release.sh          # binaries, then the image
#   bash scripts/release.sh binaries                               # only the binaries
#
# Env:
#   IMAGE           image repository to push to (required for the image), lower-cased
#   VERSION         default: the workspace version (Cargo.toml); `v1.2.3` is accepted and must
#                   equal it, so a tag can never release other code than it names
#   SOURCE          org.opencontainers.image.source (default: the git remote `origin`, if any)
#   REVISION        org.opencontainers.image.revision (default: git rev-parse HEAD)
#   BUILDX_BUILDER  the builder: one that builds several platforms and attestations (the
#                   docker-container driver, as setup-buildx-action makes, or remote)
#   SBOM_GENERATOR  SBOM scanner image (default: BuildKit's, docker/buildkit-syft-scanner)
#   DIST            output directory (default: target/dist)
# Prints the pushed image with its digest as its last line.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

WHAT=${1:-all}
TRIPLES=(x86_64-unknown-linux-musl aarch64-unknown-linux-musl)
DIST=${DIST:-target/dist}

say() { printf '[release] %s\n' "$*" >&2; }
die() { printf '[release] ERROR: %s\n' "$*" >&2; exit 1; }

# The workspace version: [workspace.package] version in Cargo.toml.
workspace_version() {
  sed -n '/^\[workspace\.package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' Cargo.toml
}

WORKSPACE_VERSION=$(workspace_version)
[ -n "$WORKSPACE_VERSION" ] || die "no [workspace.package] version in Cargo.toml"
VERSION=${VERSION:-$WORKSPACE_VERSION}
VERSION=${VERSION#v}
[ "$VERSION" = "$WORKSPACE_VERSION" ] \
  || die "version $VERSION is not the workspace version $WORKSPACE_VERSION: bump Cargo.toml first"
[[ "$VERSION" =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)$ ]] \
  || die "version $VERSION is not MAJOR.MINOR.PATCH (pre-releases get no floating tags)"
MAJOR=${BASH_REMATCH[1]}
MINOR=${BASH_REMATCH[2]}
grep -q "^## \[$VERSION\]" CHANGELOG.md || die "CHANGELOG.md has no '## [$VERSION]' section"

REVISION=${REVISION:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
SOURCE=${SOURCE:-$(git remote get-url origin 2>/dev/null || echo unknown)}
# Reproducible timestamps: the commit's time, for files and the image config.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
export SOURCE_DATE_EPOCH

# Architecture names as images spell them.
arch_of() { case $1 in x86_64-*) echo amd64 ;; aarch64-*) echo arm64 ;; esac; }

# Fails unless FILE is a statically linked ELF executable for TRIPLE's machine.
check_static() {
  local file=$1 triple=$2 machine
  command -v readelf >/dev/null || { say "no readelf: $file not checked"; return 0; }
  case $triple in x86_64-*) machine='X86-64' ;; aarch64-*) machine='AArch64' ;; esac
  readelf -h "$file" | grep -q "Machine:.*$machine" || die "$file is not a $machine binary"
  ! readelf -l "$file" | grep -q 'INTERP' || die "$file is dynamically linked"
}

# Static musl binaries for both architectures; llb-gen also as a tarball per architecture.
binaries() {
  local triple arch out
  for triple in "${TRIPLES[@]}"; do
    if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx "$triple"; then
      rustup target add "$triple"
    fi
  done
  # rust-lld (shipped with the toolchain) links the aarch64 binaries: no cross gcc is needed,
  # the musl targets bring their own C runtime.
  export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER=${CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER:-rust-lld}
  rm -rf "$DIST" && mkdir -p "$DIST"
  for triple in "${TRIPLES[@]}"; do
    say "cargo build --release --target $triple (stagefile-frontend, llb-gen)"
    cargo build --release --locked --target "$triple" -p stagefile-frontend -p llb-gen
    check_static "target/$triple/release/stagefile-frontend" "$triple"
    check_static "target/$triple/release/llb-gen" "$triple"
    arch=$(arch_of "$triple")
    mkdir -p "$DIST/image/$arch"
    cp "target/$triple/release/stagefile-frontend" "$DIST/image/$arch/"
    out=llb-gen-$VERSION-$triple
    mkdir -p "$DIST/$out"
    cp "target/$triple/release/llb-gen" README.md CHANGELOG.md "$DIST/$out/"
    tar -C "$DIST" --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
      -czf "$DIST/$out.tar.gz" "$out"
    rm -rf "${DIST:?}/$out"
  done
  (cd "$DIST" && sha256sum ./*.tar.gz | sed 's# \./# #' > SHA256SUMS)
  say "binaries in $DIST: $(cd "$DIST" && echo ./*.tar.gz)"
}

# The frontend image for linux/amd64 and linux/arm64 from the binaries, pushed with three tags.
image() {
  [ -n "${IMAGE:-}" ] || die "set IMAGE, the repository to push to (e.g. ghcr.io/OWNER/stagefile)"
  IMAGE=${IMAGE,,}
  [ -x "$DIST/image/amd64/stagefile-frontend" ] && [ -x "$DIST/image/arm64/stagefile-frontend" ] \
    || die "no binaries in $DIST/image: run '$0 binaries' first"
  local sbom=type=sbom
  [ -n "${SBOM_GENERATOR:-}" ] && sbom+=",generator=$SBOM_GENERATOR"
  local tags=("$IMAGE:$VERSION" "$IMAGE:$MAJOR.$MINOR" "$IMAGE:$MAJOR")
  say "docker buildx build --platform linux/amd64,linux/arm64 --push ${tags[*]}"
  docker buildx build \
    --platform linux/amd64,linux/arm64 \
    --build-context frontend-build-amd64="$DIST/image/amd64" \
    --build-context frontend-build-arm64="$DIST/image/arm64" \
    --label "org.opencontainers.image.title=stagefile" \
    --label "org.opencontainers.image.description=BuildKit frontend for Stagefile.toml" \
    --label "org.opencontainers.image.licenses=Apache-2.0" \
    --label "org.opencontainers.image.version=$VERSION" \
    --label "org.opencontainers.image.source=$SOURCE" \
    --label "org.opencontainers.image.revision=$REVISION" \
    --attest type=provenance,mode=max \
    --attest "$sbom" \
    --metadata-file "$DIST/image-metadata.json" \
    "${tags[@]/#/--tag=}" \
    --push \
    -f Dockerfile.frontend .
  local digest
  digest=$(sed -n 's/.*"containerimage.digest": *"\([^"]*\)".*/\1/p' "$DIST/image-metadata.json" | head -1)
  [ -n "$digest" ] || die "no image digest in $DIST/image-metadata.json"
  echo "$IMAGE:$VERSION@$digest"
}

case "$WHAT" in
  binaries) binaries ;;
  image) image ;;
  all) binaries && image ;;
  *) die "usage: $0 [binaries|image|all]" ;;
esac
