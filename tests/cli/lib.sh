# lib.sh - TAP helpers for the shell tests (POSIX sh).
#   PROCSTAGE, PSGEN, PSQ, top_srcdir, top_builddir come from the Makefile.
tap_n=0
tap_failed=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/procstage-sh-XXXXXX") || exit 99
trap 'rm -rf "$TMP"' EXIT
FIX="$top_srcdir/fixtures"

# ok STATUS DESCRIPTION: STATUS 0 passes
ok() {
    tap_n=$((tap_n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $tap_n - $2"
    else
        echo "not ok $tap_n - $2"
        tap_failed=$((tap_failed + 1))
    fi
}

# t DESCRIPTION COMMAND...: passes when the command succeeds
t() {
    desc=$1
    shift
    if "$@" >/dev/null 2>&1; then ok 0 "$desc"; else ok 1 "$desc"; fi
}

# run COMMAND...: runs procstage, keeping stdout, stderr and the status
run() {
    "$PROCSTAGE" "$@" >"$TMP/out" 2>"$TMP/err"
    status=$?
}

# expect_status N DESCRIPTION
expect_status() {
    if [ "$status" -eq "$1" ]; then ok 0 "$2"; else
        ok 1 "$2 (exit $status, want $1)"
        sed 's/^/#   stderr: /' "$TMP/err" | head -5
    fi
}

# err_has TEXT DESCRIPTION: stderr contains TEXT
err_has() {
    if grep -qF -- "$1" "$TMP/err"; then ok 0 "$2"; else
        ok 1 "$2"
        echo "#   wanted on stderr: $1"
        sed 's/^/#   stderr: /' "$TMP/err" | head -5
    fi
}

# out_has TEXT DESCRIPTION
out_has() {
    if grep -qF -- "$1" "$TMP/out"; then ok 0 "$2"; else ok 1 "$2"; echo "#   wanted on stdout: $1"; fi
}

# one_line DESCRIPTION: stderr is exactly one line
one_line() {
    if [ "$(wc -l <"$TMP/err")" -eq 1 ]; then ok 0 "$1"; else
        ok 1 "$1"
        sed 's/^/#   stderr: /' "$TMP/err" | head -5
    fi
}

q() { "$PSQ" "$@"; }

finish() {
    echo "1..$tap_n"
    [ "$tap_failed" -eq 0 ]
}
