#!/usr/bin/env bash
# The whole test suite: set-up (engines, base images, frontend image from this tree, local
# registry, a standalone buildkitd from the vendored BuildKit source and the release image made
# by scripts/release.sh), lint, unit and snapshot tests, end-to-end builds through a real
# BuildKit (the engine's, buildkitd's, docker-container builders'), a bounded fuzz run of
# llb-gen (FUZZ_SECONDS, default 60), then a smoke subset on the oldest engine we support
# (Debian trixie's docker.io 26.1, BuildKit 0.13).
# SKIP_OLD_ENGINE=1 / SKIP_C8D_ENGINE=1 leave out the side engines and the tests that need them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tests/e2e/setup.sh
SKIP=()
# The trixie engine also serves registry.rs: its cross-engine --cache-from test builds there.
if [ "${SKIP_OLD_ENGINE:-0}" != 1 ]; then
  ENGINE=trixie bash tests/e2e/setup.sh
else
  SKIP+=(--skip cache_from_reuses_another_engines_inline_cache)
fi
# The containerd image store runs platforms.rs (multi-platform builds, attestations).
if [ "${SKIP_C8D_ENGINE:-0}" != 1 ]; then
  ENGINE=c8d bash tests/e2e/setup.sh
else
  SKIP+=(--skip several_platforms_give_one_index_whose_images_run)
  SKIP+=(--skip provenance_and_sbom_attestations_are_attached_per_platform)
fi
export DOCKER_HOST=unix:///var/run/docker.sock

echo "== cargo fmt, clippy, doc"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc -p llb-gen -p stagefile-frontend --no-deps --locked --quiet

echo "== cargo test (unit, snapshots, corpus, end to end; registry.rs and platforms.rs also use the side engines)"
cargo test --workspace --locked -- --test-threads=2 "${SKIP[@]}"

echo "== fuzz: llb-gen's harness for ${FUZZ_SECONDS:-60} s on stable (longer runs: fuzz/README.md)"
cargo run --profile fuzz --locked -p stagefile-fuzz --bin fuzz-stable -- --seconds "${FUZZ_SECONDS:-60}"

if [ "${SKIP_OLD_ENGINE:-0}" != 1 ]; then
  echo "== smoke subset on the oldest supported engine (trixie)"
  DOCKER_HOST=unix:///run/stagefile-trixie/docker.sock \
    cargo test -p stagefile-e2e --locked --test languages --test errors -- --test-threads=2
fi
