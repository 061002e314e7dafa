# dev_libraries DB PACKAGE...: prints, one per line, the shared-library packages (Debian's
# section "libs") that the named packages depend on directly, as the package database DB has
# them installed; of alternatives, the one installed. For build_apt's development packages these
# are their libraries (libpq5 for libpq-dev), which what the build compiles against them needs
# at run time; build-essential and other tools depend on none.
dev_libraries() {
  db=$1
  shift
  {
    dpkg-query --admindir="$db" -W -f='L ${Package} ${Status} ${Section}\n' 2>/dev/null || true
    for package in "$@"; do
      dpkg-query --admindir="$db" -W -f='D ${Depends}\n' "${package%%[=/]*}" 2>/dev/null || true
    done
  } | awk '
    $1 == "L" { if ($5 == "installed" && $6 == "libs") lib[$2] = 1; next }
    $1 == "D" {
      sub(/^D /, "")
      n = split($0, deps, ",")
      for (i = 1; i <= n; i++) {
        m = split(deps[i], alternatives, "|")
        for (j = 1; j <= m; j++) {
          name = alternatives[j]
          sub(/\(.*/, "", name)
          gsub(/[[:space:]]/, "", name)
          sub(/:.*/, "", name)
          if (name in lib) { print name; break }
        }
      }
    }
  ' | sort -u
}
