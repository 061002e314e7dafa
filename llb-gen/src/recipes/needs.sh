# Finds the shared libraries that the ELF files under the given roots need, as a builder sees
# them, and writes what a runtime must provide to /stagefile/needs/:
#   packages  the Debian packages that own them, one per line
#   libs      the libraries no package owns (with their symlinks), to be copied
#   all       every library needed, for an image without apt (which gets them copied)
#   root/     a copy of every library in `all`, at its path: the image reads only this
#             directory, so a change elsewhere in the builder that needs nothing new leaves the
#             image's steps cached
# A library inside one of the roots travels with them and is left out. A library that cannot be
# found fails the build, naming it and the file that needs it.
# Usage: sh needs.sh ROOT...   (roots are data: they are never parsed as shell)
# With STAGEFILE_SCANNED set, this is the scan of one result mounted under that directory:
# $1 is the root, the other arguments are directories inside it that have scans of their own
# (a virtualenv in the workdir), left out here; messages name the files without the mount.
set -eu
out=/stagefile/needs
mkdir -p "$out"
: >"$out/files"
: >"$out/resolved"
: >"$out/missing"
: >"$out/skip"
if [ -n "${STAGEFILE_SCANNED:-}" ]; then
  root=$1
  shift
  for inner in "$@"; do printf '%s/\n' "${inner%/}" >>"$out/skip"; done
  set -- "$root"
fi
for root in "$@"; do
  [ -e "$root" ] || continue
  find "$root" -xdev -type f \( -name '*.so' -o -name '*.so.*' -o -name '*.node' -o -perm -u+x \) >>"$out/files"
done
if [ -s "$out/skip" ]; then
  grep -vF -f "$out/skip" "$out/files" >"$out/kept" || true
  mv "$out/kept" "$out/files"
fi
while IFS= read -r file; do
  # Not a dynamic ELF file (a script, data): ldd refuses it.
  deps=$(ldd "$file" 2>/dev/null) || continue
  printf '%s\n' "$deps" | while IFS= read -r line; do
    case "$line" in
      *"=> not found"*)
        name=$(printf '%s' "$line" | sed 's/^[[:space:]]*//; s/ =>.*//')
        printf '%s needed by %s\n' "$name" "${file#"${STAGEFILE_SCANNED:-}"}" >>"$out/missing"
        ;;
      *"=> /"*)
        path=${line#*=> }
        printf '%s\n' "${path%% (*}" >>"$out/resolved"
        ;;
      *[[:space:]]/*)
        path=$(printf '%s' "$line" | sed 's/^[[:space:]]*//; s/ (.*//')
        printf '%s\n' "$path" >>"$out/resolved"
        ;;
    esac
  done
done <"$out/files"
if [ -s "$out/missing" ]; then
  sort -u "$out/missing" | sed 's/^/stagefile: cannot find /' >&2
  echo "stagefile: add the package that has each library to build_apt (or apt), or remove what needs it" >&2
  exit 1
fi
# The package owning a path; usrmerge lists some files under /lib and others under /usr/lib.
owner() {
  for candidate in "$1" "$(readlink -f "$1")" "/usr$1" "${1#/usr}"; do
    found=$(dpkg -S "$candidate" 2>/dev/null | sed -n 's/^\([^ :]*\)\(:[^ ]*\)\{0,1\}: .*/\1/p' | head -n 1)
    if [ -n "$found" ]; then
      printf '%s\n' "$found"
      return 0
    fi
  done
  return 1
}
: >"$out/packages"
: >"$out/libs"
: >"$out/all"
sort -u "$out/resolved" | while IFS= read -r lib; do
  inside=no
  for root in "$@"; do
    case "$lib" in "${root%/}"/*) inside=yes ;; esac
  done
  [ "$inside" = no ] || continue
  printf '%s\n%s\n' "$lib" "$(readlink -f "$lib")" >>"$out/all"
  if package=$(owner "$lib"); then
    printf '%s\n' "$package" >>"$out/packages"
  else
    printf '%s\n%s\n' "$lib" "$(readlink -f "$lib")" >>"$out/libs"
  fi
done
sort -u -o "$out/packages" "$out/packages"
sort -u -o "$out/libs" "$out/libs"
sort -u -o "$out/all" "$out/all"
while IFS= read -r lib; do
  mkdir -p "$out/root$(dirname "$lib")"
  cp -a "$lib" "$out/root$lib"
done <"$out/all"
label=${STAGEFILE_SCANNED:+ for ${1#"$STAGEFILE_SCANNED"}}
echo "runtime packages$label: $(tr '\n' ' ' <"$out/packages")"
[ ! -s "$out/libs" ] || echo "runtime libraries copied$label: $(tr '\n' ' ' <"$out/libs")"
