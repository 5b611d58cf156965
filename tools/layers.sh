#!/bin/sh
# layers.sh - checks the include graph against the architecture (HACKING.md):
#
#   common -> model -> parsers, recon, source -> rules_engine, reports
#          -> pipeline -> cli
#
# 1. a file may include only from its own top-level folder or from a lower
#    layer (no arrow upward, none sideways between folders of one layer);
# 2. no cycle among modules (a module is a .c/.h pair: dir/stem), and none
#    among folders (parsers/etw and parsers/winevent must not include each
#    other, nor must two files of one folder).
#
# Usage: tools/layers.sh [SRCDIR]   prints every violation, exits 1 if any;
#        tools/layers.sh --graph    prints the folder graph (for HACKING.md)
set -eu
graph=0
if [ "${1:-}" = --graph ]; then graph=1; shift; fi
cd "${1:-$(dirname "$0")/..}"

rank() {
    case $1 in
    common) echo 0 ;; model) echo 1 ;; parsers | recon | source) echo 2 ;;
    rules_engine | reports) echo 3 ;; pipeline) echo 4 ;; cli) echo 5 ;;
    *) echo - ;;
    esac
}

layers="common model parsers recon source rules_engine reports pipeline cli"
edges=$(for top in $layers; do
    [ -d "$top" ] || continue
    find "$top" -name '*.[ch]' ! -name '*_embedded.c' ! -name 'embedded.c' | sort | while read -r f; do
        sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" | while read -r inc; do
            echo "$f $inc"
        done
    done
done)

status=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
# 1. layers
printf '%s\n' "$edges" | while read -r f inc; do
    [ -n "$f" ] || continue
    from=${f%%/*}
    case $inc in */*) to=${inc%%/*} ;; *) continue ;; esac   # "config.h", same-dir headers
    rt=$(rank "$to")
    [ "$rt" = - ] && continue
    [ "$from" = "$to" ] && continue
    rf=$(rank "$from")
    if [ "$rt" -ge "$rf" ]; then
        echo "layers: $f includes $inc: $to is not below $from"
    fi
done >"$tmp" || true

# 2. cycles, among modules and among folders
printf '%s\n' "$edges" | awk -v graph="$graph" '
function stem(p) { sub(/\.[ch]$/, "", p); return p }
function dir(p) { sub(/\/[^\/]*$/, "", p); return p }
NF == 2 && $2 ~ /\// {
    a = stem($1); b = stem($2)
    if (a != b && !((a, b) in m)) { m[a, b] = 1; mo[a] = mo[a] " " b; mods[a]; mods[b] }
    da = dir($1); db = dir($2)
    if (da != db && !((da, db) in d)) { d[da, db] = 1; dout[da] = dout[da] " " db; dirs[da]; dirs[db]
        why[da, db] = $1 " -> " $2 }
}
function visit(n, out, col, path,    k, i, parts, c) {
    col[n] = 1
    k = split(out[n], parts, " ")
    for (i = 1; i <= k; i++) {
        c = parts[i]
        if (col[c] == 1) { cyc = path " -> " c; return 1 }
        if (col[c] == 0 && visit(c, out, col, path " -> " c)) return 1
    }
    col[n] = 2
    return 0
}
END {
    if (graph) { for (k in d) { split(k, p, SUBSEP); print p[1] " -> " p[2] }; exit 0 }
    bad = 0
    for (n in mods) cm[n] = 0
    for (n in mods) if (cm[n] == 0 && visit(n, mo, cm, n)) { print "layers: modules include each other: " cyc; bad = 1; break }
    for (n in dirs) cd[n] = 0
    for (n in dirs) if (cd[n] == 0 && visit(n, dout, cd, n)) { print "layers: folders include each other: " cyc; bad = 1; break }
    exit bad
}' >>"$tmp" || true
if [ "$graph" = 1 ]; then cat "$tmp" | sort; rm -f "$tmp"; exit 0; fi
if [ -s "$tmp" ]; then
    cat "$tmp"
    status=1
fi
rm -f "$tmp"
exit $status
