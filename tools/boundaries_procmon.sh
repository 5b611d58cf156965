#!/bin/sh
# tools/boundaries_procmon.sh - old and new stage boundaries of every creation
# of every Procmon trace in ../shared/data/procmon (issue 14), as the Markdown
# table of docs/reconstruction.md ("Measured on the real traces").
#
# usage: tools/boundaries_procmon.sh [BASE_PROCSTAGE [NEW_PROCSTAGE [DATA_DIR]]]
#   BASE_PROCSTAGE  a build of the base commit (default /tmp/base-pm/procstage:
#                   git worktree add /tmp/base-pm d685a95 && cd /tmp/base-pm &&
#                   autoreconf -fi && ./configure && make procstage)
#   NEW_PROCSTAGE   default ./procstage
#   DATA_DIR        default ../shared/data/procmon
# Rows: one per creation (in creation order); for each of B1, B4, B5, B6 the
# sequence number and operation of the evidence event, old -> new ("=" when
# unchanged), then the new B6 rule. Needs sqlite3.
set -eu
base=${1:-/tmp/base-pm/procstage}
new=${2:-./procstage}
data=${3:-../shared/data/procmon}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

q() {
    sqlite3 -separator '	' "$1" "
      WITH c AS (SELECT creation_id, row_number() OVER (ORDER BY create_ts, creation_id) AS n,
                        replace(image_path, rtrim(image_path, replace(image_path, '\\', '')), '') AS img
                 FROM creations)
      SELECT c.n, c.img, b.boundary,
             CASE WHEN b.confidence = 'missing' THEN '-' ELSE e.seq || ' ' || e.operation END,
             b.rule, cr.status
      FROM c JOIN boundaries b USING (creation_id) JOIN creations cr USING (creation_id)
      LEFT JOIN events e ON e.event_id = b.event_id
      WHERE b.boundary IN (1, 4, 5, 6) ORDER BY c.n, b.boundary"
}

printf '| trace | # | image | B1 | B4 | B5 | B6 | status | new B6 evidence |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
for f in "$data"/*.pml "$data"/*.pml.zst "$data"/*.csv "$data"/*.csv.zst "$data"/*.xml; do
    [ -f "$f" ] || continue
    t=$(basename "$f")
    "$base" ingest -q "$f" -o "$tmp/old.db" >/dev/null 2>&1 || true
    "$new" ingest -q "$f" -o "$tmp/new.db" >/dev/null 2>&1 || true
    q "$tmp/old.db" > "$tmp/old.tsv"
    q "$tmp/new.db" > "$tmp/new.tsv"
    paste "$tmp/old.tsv" "$tmp/new.tsv" | awk -F'\t' -v t="$t" '
        function cell(o, n) { return o == n ? n : o " → " n }
        {
            k = $1; img[k] = $2; v[k, $3] = cell($4, $10)
            if ($3 == 6) { rule[k] = $11; st[k] = cell($6, $12) }
            if (k > max) max = k
        }
        END {
            for (k = 1; k <= max; k++)
                printf "| %s | %d | %s | %s | %s | %s | %s | %s | %s |\n", t, k, img[k], v[k, 1], v[k, 4],
                       v[k, 5], v[k, 6], st[k], rule[k]
        }'
    rm -f "$tmp"/old.db* "$tmp"/new.db*
done
