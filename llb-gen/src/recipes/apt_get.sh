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
