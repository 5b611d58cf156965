#!/bin/sh
# The tables and their documentation agree, and the layers hold (HACKING.md):
# every reader, report kind, detector, rule modifier, logsource, command and
# command option that procstage has is named where a user looks for it, and
# the include graph has no arrow upward (tools/layers.sh).
. "$top_srcdir/tests/cli/lib.sh"

MAN="$top_srcdir/docs/procstage.1"
RULES_MD="$top_srcdir/docs/rules.md"
MODEL_MD="$top_srcdir/docs/model.md"
HACKING="$top_srcdir/HACKING.md"
TABLES="$top_builddir/tests/tools/tables"

"$TABLES" >"$TMP/tables"
ok $? "the tables are listed"

# the man page writes "-" as "\-"
man_has() { sed 's/\\-/-/g; s/\\f[BIRP]//g' "$MAN" | grep -qF -- "$1"; }

check() {   # KIND DOC DESCRIPTION [FORMAT]: every NAME of KIND appears in DOC
    kind=$1 doc=$2 what=$3 fmt=${4:-%s}
    missing=
    for name in $(awk -v k="$kind" '$1 == k {print $2}' "$TMP/tables"); do
        # shellcheck disable=SC2059
        want=$(printf "$fmt" "$name")
        if [ "$doc" = man ]; then man_has "$want" || missing="$missing $name"; else
            grep -qF -- "$want" "$doc" || missing="$missing $name"; fi
    done
    [ -z "$missing" ]
    ok $? "$what${missing:+ (missing:$missing)}"
}

check reader man "the man page names every reader"
check reader "$MODEL_MD" "docs/model.md names every reader (traces.format)" '`%s`'
check report man "the man page names every report kind"
check detector "$RULES_MD" "docs/rules.md names every built-in detector" '`%s`'
check modifier "$RULES_MD" "docs/rules.md names every rule modifier" '`%s`'
check category "$RULES_MD" "docs/rules.md names every logsource category" '`%s`'
check service "$RULES_MD" "docs/rules.md names every logsource service" '`%s`'

# commands and their options, from the help procstage generates from its tables
missing=
for cmd in $("$PROCSTAGE" help | sed -n '/^Commands:/,/^$/s/^  \([a-z-]*\) .*/\1/p'); do
    man_has "procstage $cmd" || missing="$missing $cmd"
done
[ -z "$missing" ]
ok $? "the man page names every command${missing:+ (missing:$missing)}"
missing=
for cmd in analyze ingest report events formats rules "source scan" "source report" "source export-stacktags" help version; do
    # shellcheck disable=SC2086
    for opt in $("$PROCSTAGE" help $cmd | sed -n 's/^ *\(-., \)\{0,1\}\(--[a-z0-9-]*\).*/\2/p' | sort -u); do
        man_has "$opt" || missing="$missing $cmd:$opt"
    done
done
[ -z "$missing" ]
ok $? "the man page names every option of every command${missing:+ (missing:$missing)}"

# the rule pack: every file is built in (procstage rules list names it)
"$PROCSTAGE" rules list --format json >"$TMP/rules.json"
missing=
for f in "$top_srcdir"/rules/*.yml; do
    b=$(basename "$f")
    case $b in reconstruct.yml | stages.yml) continue ;; esac
    grep -q "\"file\": \"[^\"]*$b\"" "$TMP/rules.json" || missing="$missing $b"
done
[ -z "$missing" ]
ok $? "every rules/*.yml is in the built-in pack${missing:+ (missing:$missing)}"

# HACKING.md names every folder of the layout and every table
missing=
for d in common model parsers recon source rules_engine reports pipeline cli; do
    grep -qE "(^|[^a-z_])$d/" "$HACKING" || missing="$missing $d/"
done
for f in parsers/readers.c reports/registry.c rules_engine/detectors.c rules_engine/compile.c rules_engine/logsource.c cli/main.c recon/core.c; do
    grep -qF "$f" "$HACKING" || missing="$missing $f"
done
[ -z "$missing" ]
ok $? "HACKING.md names every layer and table${missing:+ (missing:$missing)}"

# the include graph
"$top_srcdir/tools/layers.sh" "$top_srcdir" >"$TMP/layers" 2>&1
ok $? "no include runs upward or sideways, and no two modules include each other"
sed 's/^/#   /' "$TMP/layers" | head -10
finish
