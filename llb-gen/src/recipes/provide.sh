# Gives this image what a scan in another filesystem (its results mounted at /stagefile/needs;
# see needs.sh) found its files need: the Debian packages it lacks, installed with apt, and the
# libraries no package owns, copied with their links. On an image without apt every library is
# copied.
# Usage: sh provide.sh PACKAGE...   (the stage's own packages; they are data, never shell)
set -eu
needs=/stagefile/needs
wanted=$(cat "$needs/packages")
for package in "$@"; do wanted="$wanted $package"; done
missing=$(missing_packages $wanted)
copy() {
  [ -e "$1" ] || [ -L "$1" ] && return 0
  mkdir -p "$(dirname "$1")"
  cp -a "$needs/root$1" "$1"
  copied=yes
}
copied=no
if [ -z "$missing" ]; then
  echo "runtime packages: all present"
elif command -v apt-get >/dev/null 2>&1; then
  echo "runtime packages to install:$missing"
  install_packages $missing
else
  echo "no apt here: copying the libraries instead of$missing"
  while IFS= read -r lib; do copy "$lib"; done <"$needs/all"
fi
while IFS= read -r lib; do [ -z "$lib" ] || copy "$lib"; done <"$needs/libs"
if { [ "$copied" = yes ] || [ "${STAGEFILE_LDCONFIG:-}" = 1 ]; } && command -v ldconfig >/dev/null 2>&1; then
  ldconfig
fi
