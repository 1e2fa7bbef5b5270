#!/bin/sh
# Runs each libFuzzer target for SECONDS (default 300) with its seed corpus, one after
# the other, and prints the executions each reached. A target stops at its first crash,
# leak or hang (libFuzzer leaves crash-*/leak-*/timeout-* in .build-fuzz/artifacts/); the
# other targets still run, and the script exits 1 at the end if any target failed.
# FUZZ_RUNS=N also stops each target after N executions (the 10 M runs of RELIABILITY.md).
# FUZZ_MAX_LEN=N caps the input length (default 1024: every limit of the code under test,
# fuzz-varlink's scaled-down ones included, is reachable below it); inputs grow towards the
# cap and each execution slows with them (fuzz-varlink: ~2,400/s at 500 bytes, ~800/s at
# 4 KB, ~550/s at 8 KB).
#
#   fuzz/run.sh [SECONDS] [TARGET…]        targets: varlink srv address json autoconfig (default: all)
set -eu
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-300}
[ $# -gt 0 ] && shift
TARGETS=${*:-varlink srv address json autoconfig}
BIN=.build-fuzz/bin
for target in $TARGETS; do
    [ -x "$BIN/fuzz-$target" ] || { echo "missing $BIN/fuzz-$target: run fuzz/build.sh" >&2; exit 2; }
done
mkdir -p .build-fuzz/artifacts
# Swift's own crash backtracer and ASan's handler do not mix; let ASan report.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
status=0
for target in $TARGETS; do
    work=.build-fuzz/corpus/$target
    mkdir -p "$work"
    log=.build-fuzz/fuzz-$target.log
    echo "fuzz-$target: ${SECONDS_EACH} s (log $log)"
    # -timeout: one input may take at most 10 s (a hang); -rss_limit_mb: a leak or bloat.
    if "$BIN/fuzz-$target" -max_total_time="$SECONDS_EACH" -runs="${FUZZ_RUNS:--1}" -timeout=10 -rss_limit_mb=2048 \
        -max_len="${FUZZ_MAX_LEN:-1024}" -print_final_stats=1 -artifact_prefix=.build-fuzz/artifacts/ \
        "$work" "fuzz/corpus/$target" > "$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
        echo "fuzz-$target: ok, $runs executions ($rate/s), no crash, leak or hang"
    else
        echo "fuzz-$target: FAILED, see $log and .build-fuzz/artifacts/" >&2
        tail -40 "$log" >&2
        status=1
    fi
done
exit $status
