#!/bin/sh
# docs/scale.md, run as written: its shell blocks on a collection of three
# hosts made of fixtures (one model per host, the case merge, the exports),
# its SQLite queries on the case model, its ClickHouse DDL and queries on
# two real clickhouse-server instances, the shards of the cluster `fleet`
# (the <remote_servers> block of the page with local ports), queried through
# the Distributed tables: every host's rows arrive, and every fleet query
# answers what the same query answers on one server holding all the hosts
# (the union). Skipped (77, with the reason) when no server can start.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/chlib.sh"
DOC="$top_srcdir/docs/scale.md"
PATH="$(dirname "$PROCSTAGE"):$PATH"
export PATH

# the fenced blocks of the page: $TMP/blk/N.LANG, in order
mkdir "$TMP/blk"
awk -v dir="$TMP/blk" '
    /^```[a-z]+/ && !in_block { n++; in_block = 1; f = sprintf("%s/%02d.%s", dir, n, substr($0, 4)); next }
    /^```/ && in_block { in_block = 0; close(f); next }
    in_block { print > f }' "$DOC"
ls "$TMP/blk" >"$TMP/blocks"
t "the page has shell, SQL and XML blocks" sh -c "grep -q sh '$TMP/blocks' && grep -q sql '$TMP/blocks' && grep -q xml '$TMP/blocks'"
sh_block() { # the Nth shell block
    ls "$TMP/blk"/*.sh | sed -n "${1}p"
}
sql_blocks() { # sql_blocks TAG: the SQL blocks whose first line is "-- TAG"
    for f in "$TMP/blk"/*.sql; do
        head -n 1 "$f" | grep -q "^-- $1\$" && echo "$f"
    done
}

# 1. one model per host
mkdir -p "$TMP/w/collection/pc1" "$TMP/w/collection/pc2/logs/2026" "$TMP/w/collection/pc3"
cp "$FIX/ifeo_hijack.csv" "$FIX/demo.csv" "$TMP/w/collection/pc1/"
cp "$FIX/ifeo_hijack.pml" "$FIX/pid_reuse.csv" "$TMP/w/collection/pc2/logs/2026/"
echo "not a trace" >"$TMP/w/collection/pc2/logs/notes.txt"
cp "$FIX/etw_rundown.etl" "$TMP/w/collection/pc3/"
(cd "$TMP/w" && sh -e "$(sh_block 1)") >"$TMP/out" 2>"$TMP/err"
ok $? "per-host ingest block"
for h in pc1:2 pc2:2 pc3:1; do
    n=$(q "$TMP/w/models/${h%:*}.db" "SELECT count(*) FROM traces WHERE host = '${h%:*}'" 2>/dev/null)
    t "models/${h%:*}.db: ${h#*:} traces of host ${h%:*}" test "$n" = "${h#*:}"
done

# 2. the case model and its queries
(cd "$TMP/w" && sh -e "$(sh_block 2)") >"$TMP/out" 2>"$TMP/err"
ok $? "merge block"
t "case.db: 5 traces" test "$(q "$TMP/w/case.db" "SELECT count(*) FROM traces")" -eq 5
t "findings.txt written" test -s "$TMP/w/findings.txt"
n=0
for f in $(sql_blocks "sqlite: case.db"); do
    n=$((n + 1))
    q "$TMP/w/case.db" "$(cat "$f")" >"$TMP/sq$n" 2>&1
    ok $? "SQLite query $n runs"
    t "SQLite query $n answers" test -s "$TMP/sq$n"
done
t "two SQLite queries" test $n -eq 2
t "SQLite hijacks: the IFEO hijack of cmd.exe on pc1 and pc2" \
    grep -q '^ifeo-debugger-hijack	c:.windows.system32.cmd.exe	2	pc[12],pc[12]	' "$TMP/sq1"

# 3. two shards: pc1 on a, pc2 and pc3 on b; a holds the cluster
ch_start b
started_b=$CH_STARTED
xml=$(cat "$TMP/blk"/*.xml)
CH_CLUSTER=$(echo "$xml" | sed "s/ch1.example/127.0.0.1/; s/ch2.example/127.0.0.1/" |
    awk -v b="$CH_TCP_b" '/<port>9000<\/port>/ && !seen { sub("9000", "@SELF_TCP@"); seen = 1; print; next }
                          /<port>9000<\/port>/ { sub("9000", b) } { print }')
ch_start a
echo "# clickhouse-server $(chq a "SELECT version()"): shard b answered after $started_b s, shard a after $CH_STARTED s"
mkdir -p "$TMP/a/models" "$TMP/b/models"
cp "$TMP/w/models/pc1.db" "$TMP/a/models/"
cp "$TMP/w/models/pc2.db" "$TMP/w/models/pc3.db" "$TMP/b/models/"
for s in a b; do
    eval "port=\$CH_HTTP_$s"
    (cd "$TMP/$s" && CLICKHOUSE="http://127.0.0.1:$port/" sh -e "$(sh_block 3)") >"$TMP/out" 2>"$TMP/err"
    ok $? "export block to shard $s"
done
# the reference: every host on one server (a, database allhosts)
for h in pc1 pc2 pc3; do
    "$PROCSTAGE" -q export --clickhouse "http://127.0.0.1:$CH_HTTP_a/" --database allhosts "$TMP/w/models/$h.db" ||
        ok 1 "export $h to allhosts"
done

ddl=$(sql_blocks "clickhouse: ddl")
fail=0
grep -v '^--' "$ddl" | tr '\n' ' ' | tr ';' '\n' >"$TMP/ddl"
while read -r stmt; do
    [ -z "$stmt" ] || chq a "$stmt" >>"$TMP/err" 2>&1 || fail=1
done <"$TMP/ddl"
ok $fail "the Distributed tables (DDL block)"
t "six Distributed tables" test "$(chq a "SELECT count() FROM system.tables WHERE database = 'fleet' AND engine = 'Distributed'")" -eq 6

# every host's rows through the Distributed tables
for tb in traces processes creations stages findings events; do
    chq a "SELECT host, count() FROM fleet.$tb GROUP BY host ORDER BY host" >"$TMP/got"
    : >"$TMP/want"
    for h in pc1 pc2 pc3; do
        case $tb in
        stages) n=$(q "$TMP/w/models/$h.db" "SELECT count(*) FROM stages") ;;
        *) n=$(q "$TMP/w/models/$h.db" "SELECT count(*) FROM $tb") ;;
        esac
        [ "$n" -gt 0 ] && printf '%s\t%s\n' "$h" "$n" >>"$TMP/want"
    done
    t "fleet.$tb: the rows of every host ($(tr '\n\t' ', ' <"$TMP/want"))" cmp -s "$TMP/got" "$TMP/want"
done

# the page's fleet queries: the union of the shards
n=0
for f in $(sql_blocks "clickhouse: fleet"); do
    n=$((n + 1))
    chq a "$(cat "$f")" >"$TMP/ch$n" 2>&1
    ok $? "fleet query $n runs"
    t "fleet query $n answers" test -s "$TMP/ch$n"
    chq a "$(sed 's/fleet\./allhosts./g' "$f")" >"$TMP/all$n" 2>&1
    t "fleet query $n over the shards = the same query on one server with every host" cmp -s "$TMP/ch$n" "$TMP/all$n"
done
t "five fleet queries" test $n -eq 5
t "fleet hijacks: the IFEO hijack of cmd.exe on pc1 (shard a) and pc2 (shard b)" \
    grep -q "^ifeo-debugger-hijack	cmd.exe	2	\['pc1','pc2'\]	" "$TMP/ch1"
t "fleet per-host totals: three hosts" test "$(wc -l <"$TMP/ch5")" -eq 3

# 4. the Elastic / Timesketch block
(cd "$TMP/w" && sh -e "$(sh_block 4)") >"$TMP/out" 2>"$TMP/err"
ok $? "elastic / timesketch block"
nrec=$(q "$TMP/w/case.db" "SELECT (SELECT count(*) FROM creations) + (SELECT count(*) FROM findings) + (SELECT count(*) FROM processes)")
t "case.ndjson: an action and a document per record" test "$(wc -l <"$TMP/w/case.ndjson")" -eq $((2 * nrec))
t "case.ndjson: index procstage-case" grep -q '"_index":"procstage-case"' "$TMP/w/case.ndjson"
t "case.jsonl: a line per record" test "$(wc -l <"$TMP/w/case.jsonl")" -eq "$nrec"
finish
