# The Bundler install of a project whose Gemfile.lock has GIT sections (git gems).
# Usage: sh ruby_git.sh MODE [GEMS REMOTE REVISION]...   (data, never shell)
#   MODE `local`: vendor/cache is mounted and the install reads no network, so every git gem
#   must be there (`bundle cache` with cache_all). MODE `remote`: Bundler fetches them with git.
# Bundler 2.3 installs a vendored git gem from its checkout in vendor/cache, in place; the
# image has no vendor/cache, so the checkout is copied to where Bundler looks for it at run
# time (Bundler.install_path). Bundler 2.4 and later vendor the repository and clone it there.
set -eu
mode=$1
shift
revisions=""
while [ $# -ge 3 ]; do
  gems=$1 remote=$2 short=$(printf '%.12s' "$3")
  shift 3
  case $short in
    ????????????) ;;
    *) short="" ;;
  esac
  case $short in
    "" | *[!0-9a-f]*)
      echo "stagefile: Gemfile.lock has no commit id as the revision of the git gem $gems ($remote): run bundle lock" >&2
      exit 1 ;;
  esac
  revisions="$revisions $short"
  if [ "$mode" = local ]; then
    found=""
    for dir in vendor/cache/*-"$short"; do
      if [ -d "$dir" ]; then found=$dir; fi
    done
    if [ -z "$found" ]; then
      echo "stagefile: the git gem $gems ($remote, revision $short) is not in vendor/cache, and an install from vendor/cache reads no network. Vendor it: bundle config set cache_all true && bundle cache, then add vendor/cache/$gems-$short (or the directory bundle cache made)" >&2
      exit 1
    fi
    if [ -e "$found/HEAD" ] && ! command -v git >/dev/null 2>&1; then
      echo "stagefile: vendor/cache/${found##*/} holds the git gem $gems as a repository (as Bundler 2.4 and later vendor them), which Bundler checks out with git, and this image has no git: add build_apt = [\"git\"]" >&2
      exit 1
    fi
  elif ! command -v git >/dev/null 2>&1; then
    echo "stagefile: Gemfile.lock has the git gem $gems ($remote), which Bundler fetches with git, and this image has no git: add build_apt = [\"git\"] (git stays out of the image), or vendor the gem: bundle config set cache_all true && bundle cache" >&2
    exit 1
  fi
done
if [ "$mode" = local ]; then
  bundle install --local
else
  bundle install
fi
gems_dir=$(ruby -rbundler -e 'print Bundler.install_path')
for short in $revisions; do
  for dir in vendor/cache/*-"$short"; do
    if [ -d "$dir" ] && [ ! -e "$dir/HEAD" ] && [ ! -e "$gems_dir/${dir##*/}" ]; then
      mkdir -p "$gems_dir"
      cp -R "$dir" "$gems_dir/"
    fi
  done
done
rm -rf "$(gem env gemdir)"/cache/*.gem "$(ruby -rbundler -e 'print Bundler.bundle_path')"/cache/*.gem "$gems_dir"/*/.git
