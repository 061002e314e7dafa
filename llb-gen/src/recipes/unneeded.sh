# After provide.sh in a stage with build_apt: names the libraries early.sh installed for
# build_apt's development packages that nothing the build made links to. They stay (an earlier
# layer has them); a development package that nothing builds against can leave build_apt.
# Reads the builder's package database after its install at /stagefile/builder, the base's at
# /stagefile/base, and build_apt's packages from STAGEFILE_BUILD_APT (names, never shell).
set -f
for library in $(dev_libraries /stagefile/builder $STAGEFILE_BUILD_APT); do
  if grep -qx "$library" "$needs/packages"; then continue; fi
  asked=no
  for package in "$@"; do [ "${package%%[=/:]*}" != "$library" ] || asked=yes; done
  if [ "$asked" = yes ]; then continue; fi
  if dpkg-query --admindir=/stagefile/base -W -f='${Status}\n' "$library" 2>/dev/null | grep -q ' installed$'; then
    continue
  fi
  echo "stagefile: warning: nothing the build made links to $library, which was installed as the library of a build_apt package; if nothing builds against that package, leaving it out of build_apt makes the image smaller"
done
