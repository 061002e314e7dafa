# Assembles a minimal runtime in /stagefile/out (an empty filesystem) from this one, the
# stage's builder: the interpreter (copied by the commands run before this script, from $FROM
# to $TO), the build's results, every shared library they need (with the dynamic loader and its
# cache), CA certificates, time zone data, the user entries and the directories it may write
# (STAGEFILE_WRITABLE). No shell, no package manager, no package database.
# Usage: sh minimal.sh USER UID GROUP GID HOME RESULT...   (all data, never shell)
set -eu
out=/stagefile/out
user=$1 uid=$2 group=$3 gid=$4 home=$5
shift 5
# Merged /usr: keep /lib, /bin... as the links they are here, so libraries are not doubled.
for dir in bin sbin lib lib32 lib64 libx32; do
  if [ -L "/$dir" ]; then ln -s "$(readlink "/$dir")" "$out/$dir"; fi
done
copy() { tar -C / -cf - "${1#/}" | tar -C "$out" --keep-directory-symlink -xf -; }
for result in "$@"; do
  if [ -e "$result" ]; then copy "$result"; fi
done
# The libraries what is in the image needs, found as needs.sh finds them, with their links.
roots=""
for path in "$out"/usr/local "$@"; do
  case "$path" in "$out"/*) ;; *) path="$out$path" ;; esac
  if [ -e "$path" ]; then roots="$roots $path"; fi
done
# shellcheck disable=SC2086
sh -c "$STAGEFILE_NEEDS" needs $roots
tar -C /stagefile/needs/root -cf - . | tar -C "$out" --keep-directory-symlink -xf -
mkdir -p "$out/etc"
cp -a /etc/ld.so.conf "$out/etc/"
if [ -d /etc/ld.so.conf.d ]; then cp -a /etc/ld.so.conf.d "$out/etc/"; fi
ldconfig -r "$out"
for data in /etc/ssl/certs/ca-certificates.crt /usr/share/zoneinfo /etc/localtime; do
  if [ -e "$data" ]; then copy "$data"; fi
done
printf 'root:x:0:0:root:/root:/sbin/nologin\n%s:x:%s:%s:%s:%s:/sbin/nologin\n' \
  "$user" "$uid" "$gid" "$user" "$home" >"$out/etc/passwd"
printf 'root:x:0:\n%s:x:%s:\n' "$group" "$gid" >"$out/etc/group"
mkdir -p "$out$home" "$out/tmp" "$out/root"
chown "$uid:$gid" "$out$home"
chmod 1777 "$out/tmp"
chmod 700 "$out/root"
# The directories the app writes to (STAGEFILE_WRITABLE, one per line), owned by its user.
printf '%s\n' "${STAGEFILE_WRITABLE:-}" | while IFS= read -r dir; do
  if [ -n "$dir" ]; then
    mkdir -p "$out$dir"
    chown -R "$uid:$gid" "$out$dir"
  fi
done
