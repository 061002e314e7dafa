#!/usr/bin/env bash
# The whole test suite: set-up (engine, base images, frontend image from this tree), lint, unit
# and snapshot tests, end-to-end builds through a real BuildKit, then a smoke subset on the
# oldest engine we support (Debian trixie's docker.io 26.1, BuildKit 0.13).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tests/e2e/setup.sh
# The trixie engine also serves registry.rs: its cross-engine --cache-from test builds there.
SKIP=()
if [ "${SKIP_OLD_ENGINE:-0}" != 1 ]; then
  ENGINE=trixie bash tests/e2e/setup.sh
else
  SKIP=(--skip cache_from_reuses_another_engines_inline_cache)
fi
export DOCKER_HOST=unix:///var/run/docker.sock

echo "== cargo fmt, clippy"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo test (unit, snapshots, corpus, end to end on the current engine)"
cargo test --workspace --locked -- --test-threads=2 "${SKIP[@]}"

if [ "${SKIP_OLD_ENGINE:-0}" != 1 ]; then
  echo "== smoke subset on the oldest supported engine (trixie)"
  DOCKER_HOST=unix:///run/stagefile-trixie/docker.sock \
    cargo test -p stagefile-e2e --locked --test languages --test errors -- --test-threads=2
fi
