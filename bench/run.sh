#!/usr/bin/env bash
# The benchmarks: every example's Stagefile.toml against its hand-written Dockerfile, through
# the external Dockerfile frontend (# syntax=docker/dockerfile:1) and the engine's built-in one,
# built side by side on one engine, written to docs/benchmarks.md. Needs the e2e set-up first
# (engine, base images, the frontend image, docker/dockerfile:1): bash tests/e2e/setup.sh
#
#   bash bench/run.sh                       # every example with a Dockerfile, 3 runs each
#   bash bench/run.sh --runs 5 --example python-node
#   bash bench/run.sh --help
#
# It empties BuildKit's build cache (`docker buildx prune --all --force`) before every cold
# build: do not run it on an engine whose cache you want to keep. An engine of its own:
#   ENGINE=bench bash tests/e2e/setup.sh    # after the default engine's set-up
#   DOCKER_HOST=unix:///run/stagefile-bench/docker.sock bash bench/run.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DOCKER_HOST="${DOCKER_HOST:-unix:///var/run/docker.sock}"
if [ ! -x /usr/bin/time ]; then
  apt-get update -q && apt-get install -y -q --no-install-recommends time
fi
exec cargo run --release --locked -q -p stagefile-bench -- "$@"
