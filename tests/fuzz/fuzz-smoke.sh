#!/bin/sh
# fuzz-smoke.sh TARGET... - runs each libFuzzer target for FUZZ_SECONDS
# (default 60) from its seeds; fails on any crash, leak, timeout or
# out-of-memory, and copies the failing input into tests/corpus/TARGET so
# that `make check` replays it from then on.
set -u
. "$top_srcdir/tests/fuzz/seeds.sh"
secs=${FUZZ_SECONDS:-60}
# leaks inside third-party libraries on damaged input (tests/lsan.supp)
LSAN_OPTIONS="suppressions=$top_srcdir/tests/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
work="$top_builddir/fuzz-work"
fail=0
for bin in "$@"; do
    t=$(basename "$bin")
    name=${t#fuzz_}
    corpus="$work/$name/corpus"
    mkdir -p "$corpus" "$work/$name/artifacts"
    for s in $(seeds "$t"); do
        if [ -d "$s" ]; then find "$s" -type f ! -name README.md -exec cp {} "$corpus/" \; ; elif [ -f "$s" ]; then cp "$s" "$corpus/"; fi
    done
    dict=""
    [ -f "$top_srcdir/tests/fuzz/dicts/$name.dict" ] && dict="-dict=$top_srcdir/tests/fuzz/dicts/$name.dict"
    echo "fuzz-smoke: $t for ${secs}s"
    # shellcheck disable=SC2086
    "$top_builddir/$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=1048576 \
        -print_final_stats=1 -artifact_prefix="$work/$name/artifacts/" $dict "$corpus" \
        >"$work/$name/log" 2>&1
    status=$?
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$work/$name/log" | sed "s/^/fuzz-smoke: $t /"
    if [ "$status" -ne 0 ]; then
        echo "fuzz-smoke: $t FAILED (exit $status); log: $work/$name/log"
        mkdir -p "$top_srcdir/tests/corpus/$name"
        for a in "$work/$name/artifacts"/*; do
            [ -f "$a" ] && cp "$a" "$top_srcdir/tests/corpus/$name/" && echo "fuzz-smoke: saved $(basename "$a") to tests/corpus/$name/"
        done
        fail=1
    fi
done
exit $fail
