#!/usr/bin/env bash
# Longer fuzzing with cargo-fuzz (libFuzzer, coverage-guided): needs a nightly toolchain and
# `cargo install cargo-fuzz`. Gathers the seeds (examples, test specs, invalid corpus) into
# fuzz/corpus/compile/, writes the dictionary, then runs the `compile` target. Arguments go to
# libFuzzer, e.g. `bash fuzz/run.sh -max_total_time=3600 -jobs=2`.
# Crashes land in fuzz/artifacts/compile/; replay one with
#   cargo +nightly fuzz run compile --features libfuzzer -O -a -s none fuzz/artifacts/compile/<file>
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
corpus=fuzz/corpus/compile
mkdir -p "$corpus"
for spec in examples/*/Stagefile.toml llb-gen/tests/specs/*/Stagefile.toml; do
  name=$(basename "$(dirname "$spec")")
  cp "$spec" "$corpus/seed-$name.toml"
done
cp llb-gen/tests/invalid/*.toml "$corpus/"
cargo run -q --locked -p stagefile-fuzz --bin fuzz-stable -- --dict > fuzz/compile.dict
# -O: optimized; -a: debug assertions and overflow checks; -s none: no sanitizer (safe Rust).
exec cargo +nightly fuzz run compile --features libfuzzer -O -a -s none "$corpus" -- \
  -dict=fuzz/compile.dict -max_len=589824 -timeout=10 -rss_limit_mb=2048 \
  -report_slow_units=1 "$@"
