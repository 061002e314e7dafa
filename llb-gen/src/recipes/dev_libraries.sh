# dev_libraries DB PACKAGE...: prints, one per line, the shared libraries (packages of Debian's
# section "libs" named lib*) that the named packages depend on directly, as the package database
# DB has them installed (of alternatives, the one installed). For build_apt's development
# packages these are their libraries (libpq5 for libpq-dev), which what the build compiles
# against them needs at run time. A package whose dependencies are all development packages
# (section "libdevel") is a wrapper: theirs are its own (default-libmysqlclient-dev has
# libmariadb3 through libmariadb-dev-compat and libmariadb-dev). Tools (build-essential, gcc,
# pkg-config) and python3-dev have none.
dev_libraries() {
  db=$1
  shift
  {
    dpkg-query --admindir="$db" -W -f='P\t${Package}\t${Status}\t${Section}\t${Depends}\n' 2>/dev/null || true
    for package in "$@"; do printf 'N\t%s\n' "${package%%[=/:]*}"; done
  } | awk -F '\t' '
    # The installed alternative of each dependency, by name.
    function first(list, out,   n, i, m, j, alternatives, name) {
      out = ""
      n = split(list, deps, ",")
      for (i = 1; i <= n; i++) {
        m = split(deps[i], alternatives, "|")
        for (j = 1; j <= m; j++) {
          name = alternatives[j]
          sub(/\(.*/, "", name)
          gsub(/[[:space:]]/, "", name)
          sub(/:.*/, "", name)
          if (name in section) { out = out " " name; break }
        }
      }
      return out
    }
    function libraries(package, depth,   n, i, names, found, wrapper) {
      n = split(first(depends[package]), names, " ")
      found = 0
      wrapper = n > 0
      for (i = 1; i <= n; i++) {
        if (section[names[i]] == "libs" && names[i] ~ /^lib/) { print names[i]; found = 1 }
        if (section[names[i]] != "libdevel") wrapper = 0
      }
      if (found || !wrapper || depth >= 4) return
      for (i = 1; i <= n; i++) libraries(names[i], depth + 1)
    }
    $1 == "P" && $3 ~ / installed$/ { section[$2] = $4; depends[$2] = $5; next }
    $1 == "N" && ($2 in section) { libraries($2, 0) }
  ' | sort -u
}
