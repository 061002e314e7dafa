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
# glibc's `ldd` is a bash script that runs the loader twice per file (a second for a Python's 121
# files); the loader's own `--list` lists a file's libraries in one run and never runs the file.
# What it cannot list (a library not found, an ELF of another class) goes to `ldd`, which says
# what is missing. Another libc's loader is not used. The loop forks no more than it must.
loader=""
if [ -s "$out/files" ]; then
  loader=$(ldd /bin/sh 2>/dev/null | sed -n 's/^[[:space:]]*\(\/[^ ]*\) (0x.*/\1/p' | head -n 1) || loader=""
  case "$("${loader:-/nonexistent}" --version 2>/dev/null | head -n 1)" in
    *GLIBC* | *"GNU C Library"*) ;;
    *) loader="" ;;
  esac
fi
# Writes what `$1` links to $out/deps; fails for a file that is not a dynamic ELF file.
libraries() {
  if [ -n "$loader" ]; then
    "$loader" --list "$1" >"$out/deps" 2>"$out/error" && return 0
    error=""
    IFS= read -r error <"$out/error" || true
    case "$error" in *"invalid ELF header"*) return 1 ;; esac
  fi
  ldd "$1" >"$out/deps" 2>/dev/null
}
while IFS= read -r file; do
  # Not a dynamic ELF file (a script, data): ldd refuses it.
  libraries "$file" || continue
  while IFS= read -r line; do
    trimmed=${line#"${line%%[![:space:]]*}"}
    case "$line" in
      *"=> not found"*)
        printf '%s needed by %s\n' "${trimmed%% =>*}" "${file#"${STAGEFILE_SCANNED:-}"}" >>"$out/missing"
        ;;
      *"=> /"*)
        path=${line#*=> }
        printf '%s\n' "${path%% (*}" >>"$out/resolved"
        ;;
      *[[:space:]]/*)
        printf '%s\n' "${trimmed%% (*}" >>"$out/resolved"
        ;;
    esac
  done <"$out/deps"
done <"$out/files"
# A library another file loads finds its own dependencies through that file's DT_RPATH too
# (auditwheel's vendored libraries in a wheel's `<package>.libs/` find each other only so): what
# one file lacks when listed alone but another file resolved is not missing.
if [ -s "$out/missing" ]; then
  { sed 's|.*/|F |' "$out/resolved"; sed 's/^/M /' "$out/missing"; } |
    awk '$1 == "F" { found[$2] = 1; next } !($2 in found) { sub(/^M /, ""); print }' >"$out/still"
  mv "$out/still" "$out/missing"
fi
if [ -s "$out/missing" ]; then
  sort -u "$out/missing" | sed 's/^/stagefile: cannot find /' >&2
  echo "stagefile: add the package that has each library to build_apt (or apt), or remove what needs it" >&2
  exit 1
fi
# The libraries outside the roots, and for each the paths dpkg may list it under (usrmerge lists
# some files under /lib and others under /usr/lib), in the order they are tried.
: >"$out/candidates"
sort -u "$out/resolved" | while IFS= read -r lib; do
  inside=no
  for root in "$@"; do
    case "$lib" in "${root%/}"/*) inside=yes ;; esac
  done
  [ "$inside" = no ] || continue
  for candidate in "$lib" "$(readlink -f "$lib")" "/usr$lib" "${lib#/usr}"; do
    printf '%s\t%s\n' "$lib" "$candidate" >>"$out/candidates"
  done
done
# Their owners in one `dpkg -S` (each call reads the whole package database: one per library
# took a second on a virtualenv). Lines are `package[:arch]: path`; a path with several owners
# or a diversion is left to be copied.
: >"$out/listed"
[ ! -s "$out/candidates" ] || cut -f2 "$out/candidates" | sort -u | xargs -r -d '\n' dpkg -S >"$out/listed" 2>/dev/null || true
: >"$out/owners"
[ ! -s "$out/candidates" ] || awk -F '\t' '
  NR == FNR {
    at = index($0, ": /")
    if (at == 0) next
    who = substr($0, 1, at - 1)
    if (who !~ /^[a-z0-9][a-z0-9.+-]*(:[a-z0-9-]+)?$/) next
    sub(/:.*/, "", who)
    owner[substr($0, at + 2)] = who
    next
  }
  !($1 in seen) { seen[$1] = 0; order[++n] = $1 }
  ++seen[$1] == 2 { real[$1] = $2 }
  !($1 in found) && ($2 in owner) { found[$1] = owner[$2] }
  END { for (i = 1; i <= n; i++) print order[i] "\t" real[order[i]] "\t" found[order[i]] }
' "$out/listed" "$out/candidates" >"$out/owners"
: >"$out/packages"
: >"$out/libs"
: >"$out/all"
while IFS="$(printf '\t')" read -r lib real package; do
  printf '%s\n%s\n' "$lib" "$real" >>"$out/all"
  if [ -n "$package" ]; then
    printf '%s\n' "$package" >>"$out/packages"
  else
    printf '%s\n%s\n' "$lib" "$real" >>"$out/libs"
  fi
done <"$out/owners"
sort -u -o "$out/packages" "$out/packages"
sort -u -o "$out/libs" "$out/libs"
sort -u -o "$out/all" "$out/all"
while IFS= read -r lib; do
  [ -d "$out/root${lib%/*}" ] || mkdir -p "$out/root${lib%/*}"
  cp -a "$lib" "$out/root$lib"
done <"$out/all"
label=${STAGEFILE_SCANNED:+ for ${1#"$STAGEFILE_SCANNED"}}
echo "runtime packages$label: $(tr '\n' ' ' <"$out/packages")"
[ ! -s "$out/libs" ] || echo "runtime libraries copied$label: $(tr '\n' ' ' <"$out/libs")"
