# checked_names NAME...: fails, naming it, on the first that is not a Debian package name (they
# are data, never shell).
checked_names() {
  for package in "$@"; do
    case "$package" in
      *[!a-z0-9.+:=/~-]* | -*) echo "stagefile: '$package' is not a package name" >&2; return 1 ;;
    esac
  done
}

# missing_packages PACKAGE...: prints, each after a space, those this image has not installed.
missing_packages() {
  checked_names "$@" || return 1
  for package in "$@"; do
    if ! dpkg-query -W -f='${Status}\n' "${package%%[=/]*}" 2>/dev/null | grep -q ' installed$'; then
      printf ' %s' "$package"
    fi
  done
}

# install_packages PACKAGE...: installs them with apt-get, first from the package lists already
# in the shared cache (a builder's install left them there: the versions it built against), and
# after `apt-get update` when those lack one or there are none. Debian's images delete the
# downloaded packages after each install (docker-clean); the archives are a shared cache here,
# so that file is set aside for the install and put back: the image keeps it.
install_packages() {
  clean=/etc/apt/apt.conf.d/docker-clean
  [ ! -e "$clean" ] || mv "$clean" "$clean.disabled"
  installed=no
  for list in /var/lib/apt/lists/*_Packages*; do
    [ -e "$list" ] || break
    if apt-get install -y --no-install-recommends "$@"; then
      installed=yes
    else
      echo "stagefile: the cached package lists could not provide them; updating the lists"
    fi
    break
  done
  if [ "$installed" = no ]; then
    apt-get update
    apt-get install -y --no-install-recommends "$@"
  fi
  [ ! -e "$clean.disabled" ] || mv "$clean.disabled" "$clean"
}
