# merge.sh — merges the scans of several directories of one builder (each written by needs.sh
# to its own /stagefile/needs, mounted read-only under the directory given as $0) into one
# /stagefile/needs: the package, library and file lists sorted without duplicates, and the
# copied libraries under root/.
# Usage: sh -c "$(cat merge.sh)" PARTS_DIR   (the directory is data: never parsed as shell)
set -eu
out=/stagefile/needs
mkdir -p "$out/root"
for part in "$0"/*; do
  for list in packages libs all; do cat "$part/$list" >>"$out/$list.parts"; done
  [ ! -d "$part/root" ] || cp -a "$part/root/." "$out/root/"
done
for list in packages libs all; do sort -u "$out/$list.parts" >"$out/$list"; rm "$out/$list.parts"; done
echo "runtime packages: $(tr '\n' ' ' <"$out/packages")"
[ ! -s "$out/libs" ] || echo "runtime libraries copied: $(tr '\n' ' ' <"$out/libs")"
