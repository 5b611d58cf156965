#!/bin/sh
# Interrupted runs leave no temporary files (common/tmpclean.h).  Each of
# SIGINT, SIGTERM and SIGHUP is sent at several points of an ingest, an
# append and an analyze: the trace comes through a FIFO that the test fills
# only so far, so procstage waits there for more, and the signal is sent once
# the temporary file is there (polled, never a fixed sleep).  The run must
# end as killed by that signal, leave no MODEL.tmp-* and nothing in TMPDIR,
# and leave an existing model byte for byte unchanged.
. "$top_srcdir/tests/cli/lib.sh"

if ! env --default-signal=INT true 2>/dev/null; then
    echo "1..0 # SKIP env --default-signal is needed (a background job ignores SIGINT)"
    exit 77
fi

"$PSGEN" bulk csv 200000 "$TMP/big.csv" || exit 99
head -n 1001 "$TMP/big.csv" >"$TMP/start.csv"
head -n 150001 "$TMP/big.csv" >"$TMP/half.csv"
"$PSGEN" bulk pml 100000 "$TMP/big.pml" || exit 99
head -c 4000000 "$TMP/big.pml" >"$TMP/half.pml"
mkfifo "$TMP/fifo" || exit 99
mkdir "$TMP/t"
"$PROCSTAGE" ingest -q "$FIX/demo.csv" -o "$TMP/orig.db" >/dev/null 2>&1 || exit 99

# size FILE: its size in bytes (0 when absent)
size() {
    s=$(stat -c %s "$1" 2>/dev/null) || s=0
    echo "$s"
}

# the first temporary model next to $db, if any
tmpmodel() {
    for f in "$db".tmp-*; do
        [ -e "$f" ] && { echo "$f"; return 0; }
    done
    return 1
}

# in_tmpdir: procstage has a file of $TMP/t open (a spool file or a
# temporary model, named or not)
in_tmpdir() {
    ls -l "/proc/$pid/fd" 2>/dev/null | grep -q -- "-> $TMP/t/"
}

# cond_*: the points at which the signal is sent
cond_tmp() { tmpmodel >/dev/null; }
cond_grown() { f=$(tmpmodel) && [ "$(size "$f")" -ge $((1024 * 1024)) ] && ! kill -0 "$feeder" 2>/dev/null; }
cond_copied() { f=$(tmpmodel) && [ "$(size "$f")" -ge "$(size "$TMP/orig.db")" ]; }
cond_tmpdir() { in_tmpdir; }
cond_spool() { in_tmpdir && cond_tmp && ! kill -0 "$feeder" 2>/dev/null; }
cond_part() { ls "$TMP/t/" 2>/dev/null | grep -q '^procstage-' && ! kill -0 "$feeder" 2>/dev/null; }

# interrupt SIGNAL FEED COND DESCRIPTION ARGS...: runs procstage ARGS in the
# background with the default signal dispositions, feeds FEED into the FIFO
# (kept open: no end of file), waits until COND holds, sends SIGNAL
interrupt() {
    sig=$1 feed=$2 cond=$3 desc=$4
    shift 4
    exec 3<>"$TMP/fifo"
    TMPDIR="$TMP/t" env --default-signal=INT,TERM,HUP,QUIT "$PROCSTAGE" "$@" >"$TMP/out" 2>"$TMP/err" &
    pid=$!
    cat "$feed" >&3 &
    feeder=$!
    k=0
    while ! $cond; do
        if ! kill -0 "$pid" 2>/dev/null || [ $k -ge 3000 ]; then
            echo "# $desc: the point was never reached (procstage ended or 300 s)"
            sed 's/^/#   stderr: /' "$TMP/err" | head -5
            break
        fi
        sleep 0.1
        k=$((k + 1))
    done
    kill -"$sig" "$pid" 2>/dev/null
    wait "$pid"
    status=$?
    kill "$feeder" 2>/dev/null
    wait "$feeder" 2>/dev/null
    exec 3>&-
    case $sig in INT) want=130 ;; TERM) want=143 ;; HUP) want=129 ;; esac
    [ "$status" -eq "$want" ]; ok $? "$desc, SIG$sig: ended by the signal (exit $status)"
}

# no_leftovers DESCRIPTION: no temporary model next to $db, nothing in TMPDIR
no_leftovers() {
    left=$(ls "$TMP/t"; for f in "$db".tmp-*; do [ -e "$f" ] && echo "$f"; done)
    [ -z "$left" ]; ok $? "$1: no temporary file left${left:+ (}$left${left:+)}"
    rm -f "$TMP/t/"* "$db".tmp-*
}

for sig in INT TERM HUP; do
    db="$TMP/new.db"
    interrupt $sig "$TMP/start.csv" cond_tmp "ingest into a new model, temporary model created" \
        ingest -q "$TMP/fifo" -o "$db"
    no_leftovers "new model, at once"
    [ ! -e "$db" ]; ok $? "new model, at once, SIG$sig: no model"

    interrupt $sig "$TMP/half.csv" cond_grown "ingest into a new model, 150,000 events in" \
        ingest -q "$TMP/fifo" -o "$db"
    no_leftovers "new model, 150,000 events in"
    [ ! -e "$db" ]; ok $? "new model, 150,000 events in, SIG$sig: no model"

    db="$TMP/app.db"
    cp "$TMP/orig.db" "$db"
    interrupt $sig "$TMP/half.csv" cond_copied "append, the model copied" \
        ingest -q "$TMP/fifo" -o "$db"
    no_leftovers "append"
    cmp -s "$TMP/orig.db" "$db"; ok $? "append, SIG$sig: the model is unchanged"

    db="$TMP/spool.db"
    interrupt $sig "$TMP/half.pml" cond_spool "ingest of a PML log being spooled" \
        ingest -q "$TMP/fifo" -o "$db"
    no_leftovers "PML spooled"

    db="$TMP/none.db"
    interrupt $sig "$TMP/half.csv" cond_tmpdir "analyze, its temporary model in TMPDIR" \
        analyze "$TMP/fifo"
    no_leftovers "analyze"

    # -j 2: the CSV is one part, the FIFO another (its worker waits there);
    # the parts are named files in TMPDIR (merged by name)
    db="$TMP/par.db"
    interrupt $sig "$TMP/start.csv" cond_part "ingest -j 2, its parts in TMPDIR" \
        ingest -q -j 2 "$TMP/big.csv" "$TMP/fifo" -o "$db"
    no_leftovers "ingest -j 2"
    [ ! -e "$db" ]; ok $? "ingest -j 2, SIG$sig: no model"
done

finish
