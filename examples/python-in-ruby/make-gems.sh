#!/bin/sh
# Rebuilds web/vendor/cache/*.gem and web/Gemfile.lock without RubyGems.org: the gems are
# repackaged from Debian bookworm's ruby-rack and ruby-webrick packages (their files under
# /usr/share/rubygems-integration/all/gems/NAME-VERSION and their gemspecs), built with
# `gem build` and locked with `bundle lock --local` inside the ruby:3.1-slim image.
# Needs apt (for `apt-get download`) and docker. Run from anywhere: sh make-gems.sh
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
apt-get download ruby-rack ruby-webrick
for deb in *.deb; do dpkg-deb -x "$deb" root; done
mkdir gems
for spec in root/usr/share/rubygems-integration/all/specifications/*.gemspec; do
  name="$(basename "$spec" .gemspec)"
  cp -r "root/usr/share/rubygems-integration/all/gems/$name" "gems/$name"
  # Debian's gemspecs list only the executables in `files` (the rest is installed by dpkg)
  # and record how they were installed: list the library and executables, drop the rest.
  sed -e '/s.files = /d' -e '/installed_by_version/d' \
      -e 's|^\(  s.require_paths = .*\)$|\1\n  s.files = Dir["lib/**/*.rb", "bin/*"]|' \
      "$spec" > "gems/$name/$name.gemspec"
done

docker run --rm -v "$work/gems:/gems" -v "$here/web:/web" -e SOURCE_DATE_EPOCH=0 \
  ruby:3.1-slim sh -ec '
    for dir in /gems/*/; do (cd "$dir" && gem build --silent "$(basename "$dir").gemspec"); done
    rm -f /web/vendor/cache/*.gem
    mkdir -p /web/vendor/cache
    cp /gems/*/*.gem /web/vendor/cache/
    # Bundler 2.3 resolves `lock --local` against installed gems only, so install them first
    # (into this throwaway container).
    gem install --local --silent --no-document /web/vendor/cache/*.gem
    cd /web && rm -f Gemfile.lock && bundle lock --local
    chown -R '"$(id -u):$(id -g)"' /web/vendor/cache /web/Gemfile.lock'
ls -l "$here/web/vendor/cache"
