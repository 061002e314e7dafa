# python:3.11-slim for the tests, laid out as the official image is: CPython built from source
# into /usr/local (shared libpython, headers in /usr/local/include, pip), build tools purged,
# only the runtime libraries it links kept. No registry is reachable here, so setup.sh builds
# this from the local debian:bookworm-slim and Debian's copy of the CPython source tarball.
FROM debian:bookworm-slim

ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin
ENV LANG=C.UTF-8
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates netbase tzdata \
 && apt-get clean && rm -rf /var/lib/apt/lists/*

ARG PYTHON_VERSION
ENV PYTHON_VERSION=${PYTHON_VERSION}

RUN --mount=type=bind,source=python.tar.gz,target=/tmp/python.tar.gz <<'SH'
set -eux
kept="$(apt-mark showmanual)"
apt-get update
apt-get install -y --no-install-recommends \
  dpkg-dev gcc make libc6-dev libbz2-dev libexpat1-dev libffi-dev libgdbm-dev liblzma-dev \
  libncursesw5-dev libreadline-dev libsqlite3-dev libssl-dev uuid-dev zlib1g-dev
mkdir -p /usr/src/python
tar -xzf /tmp/python.tar.gz --strip-components=1 -C /usr/src/python
cd /usr/src/python
./configure --build="$(dpkg-architecture --query DEB_BUILD_GNU_TYPE)" \
  --enable-loadable-sqlite-extensions --enable-shared --with-system-expat --with-ensurepip=install
make -j"$(nproc)" LDFLAGS="-Wl,--strip-all"
make install
cd /
rm -rf /usr/src/python
find /usr/local -depth \( \
    \( -type d -a \( -name test -o -name tests -o -name idle_test \) \) \
    -o \( -type f -a \( -name '*.pyc' -o -name '*.pyo' -o -name 'libpython*.a' \) \) \
  \) -exec rm -rf '{}' +
ldconfig
# Keep the packages whose libraries the build links, purge the compilers and -dev packages.
apt-mark auto '.*' >/dev/null
[ -z "$kept" ] || apt-mark manual $kept >/dev/null
find /usr/local -type f -executable -exec ldd '{}' ';' 2>/dev/null \
  | awk '/=>/ { so = $(NF-1); if (index(so, "/usr/local/") == 1) next; gsub("^/(usr/)?", "", so); print "*" so }' \
  | sort -u | xargs -r dpkg-query --search | cut -d: -f1 | sort -u | xargs -r apt-mark manual >/dev/null
# SuggestsImportant=false too: in a debootstrap base some kept package suggests gcc or make.
apt-get purge -y --auto-remove \
  -o APT::AutoRemove::RecommendsImportant=false -o APT::AutoRemove::SuggestsImportant=false
apt-get clean
rm -rf /var/lib/apt/lists/* /root/.cache
! command -v gcc
python3 --version
SH

# The unversioned commands the official image has.
RUN for name in idle pydoc python python-config pip; do ln -svT "${name%-config}3${name#"${name%-config}"}" "/usr/local/bin/$name"; done \
 && python --version && pip --version && python-config --includes

CMD ["python3"]
