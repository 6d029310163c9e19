#!/bin/sh
# Builds the fuzz targets (tests/fuzz/Makefile) and runs each from its seed corpus for a
# bounded time; fails on any crash, leak, timeout or sanitizer report.
#   tests/fuzz/run.sh [-t SECONDS] [TARGET...]     (TARGET: request, marshal, ...; default all)
# New inputs go to build/fuzz/corpus/TARGET (kept between runs), what failed to
# build/fuzz/artifacts/TARGET-crash-..., each run's output to build/fuzz/TARGET.log.
# FUZZ_BUILD overrides build/fuzz; extra libFuzzer flags may come in FUZZ_FLAGS.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=20
while getopts t: opt; do
    case $opt in
    t) seconds=$OPTARG ;;
    *) echo "usage: $0 [-t SECONDS] [TARGET...]" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
build=${FUZZ_BUILD:-$root/build/fuzz}
if [ $# -eq 0 ]; then
    for f in "$here"/fuzz_*.c; do
        f=${f##*/fuzz_}
        set -- "$@" "${f%.c}"
    done
fi

mkdir -p "$build/artifacts" || exit 1
if ! make -s -C "$root" -j"$(nproc)" -f tests/fuzz/Makefile O="$build" >"$build/build.log" 2>&1; then
    tail -40 "$build/build.log" >&2
    echo "the fuzz targets did not build (log: $build/build.log)" >&2
    exit 1
fi

failed=0
for t in "$@"; do
    bin=$build/fuzz_$t
    log=$build/$t.log
    if [ ! -x "$bin" ] || [ ! -d "$here/corpus/$t" ]; then
        echo "no fuzz target or seed corpus named $t" >&2
        failed=1
        continue
    fi
    mkdir -p "$build/corpus/$t" || exit 1
    # The seeds' folder comes second: libFuzzer runs every file in it first, but writes what
    # it finds only into the first.
    # shellcheck disable=SC2086
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$build/artifacts/$t-" ${FUZZ_FLAGS:-} \
        "$build/corpus/$t" "$here/corpus/$t" >"$log" 2>&1
    rc=$?
    # Every sanitizer stops the run here, but a report must fail it even if one did not.
    if [ $rc -ne 0 ] || grep -q -E '^==[0-9]+==ERROR|runtime error:' "$log"; then
        echo "fuzz $t: FAILED (exit $rc; log: $log)" >&2
        # What was reported, without libFuzzer's own frames, and the input it kept.
        grep -E -B4 -A24 '==ERROR|runtime error:|check failed' "$log" |
            grep -v -E 'in fuzzer::|libc\.so|^NOTE|^ +Combine' | head -50 >&2
        grep -E 'Test unit written|^Base64:' "$log" | head -4 >&2
        failed=1
    else
        echo "fuzz $t: $(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}') runs in ${seconds}s, no failure"
    fi
done
exit $failed
