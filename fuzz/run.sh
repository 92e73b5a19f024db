#!/usr/bin/env bash
# Builds and runs one fuzz target on one core, growing fuzz/grown/TARGET from the committed
# seeds in fuzz/corpus/TARGET:   fuzz/run.sh TARGET [SECONDS=600] [MAX_LEN=65536] [LIBFUZZER_ARGS...]
set -euo pipefail
cd "$(dirname "$0")"
target=$1
seconds=${2:-600}
max_len=${3:-65536}
shift $(($# < 3 ? $# : 3))
# libFuzzer's instrumentation flags are nightly-only: allow them on the stable toolchain.
export RUSTC_BOOTSTRAP=1
cargo fuzz build --sanitizer none --codegen-units 16 "$target"
dict=()
[[ $target != otlp_protobuf ]] && dict=(-dict=json.dict)
mkdir -p "grown/$target" "artifacts/$target"
exec "target/x86_64-unknown-linux-gnu/release/$target" "grown/$target" "corpus/$target" \
    "${dict[@]}" -max_len="$max_len" -rss_limit_mb=2048 -timeout=10 \
    -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="artifacts/$target/" "$@"
