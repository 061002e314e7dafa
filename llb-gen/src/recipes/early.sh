# Installs in the image, while the build goes on, what it will need whatever the build makes:
# the shared libraries of build_apt's development packages (see dev_libraries), as the builder
# has them after its package install (its package database mounted at /stagefile/builder), and
# the stage's own runtime packages. The step after the build (provide.sh) installs what else the
# scan finds, and says which of these libraries nothing needed.
# Usage: sh early.sh APT_PACKAGE... -- BUILD_APT_PACKAGE...   (names are data, never shell)
set -euf
wanted=""
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do wanted="$wanted $1"; shift; done
[ "$#" -eq 0 ] || shift
checked_names "$@"
wanted="$wanted $(dev_libraries /stagefile/builder "$@" | tr '\n' ' ')"
missing=$(missing_packages $wanted)
if [ -z "$missing" ]; then
  echo "runtime packages known before the build: all present"
  exit 0
fi
echo "runtime packages known before the build:$missing"
# The builder's install has just filled the shared lists and archives: nothing to download,
# unless the lists went since.
install_packages $missing
