#!/bin/sh
# procstage source scan|report|export-stacktags, and stack attribution on a
# Procmon XML trace with symbolised stacks (fixtures/source/stacks.xml).
. "$top_srcdir/tests/cli/lib.sh"
SRC="$FIX/source"

# ---- scan: the WRK and ReactOS fixtures -----------------------------------------------
run source scan "$SRC" -o "$TMP/s.db"
expect_status 0 "scan a directory"
out_has "scanned 3 files: 19 functions, 0 excerpts (0 named from the stage map), 1 prototype, 64 calls, 76 parameters" \
    "summary line"
out_has "stages: 4 from @stage tags, 6 from the stage map, 6 inferred; 3 conflicts; 0 warnings" "stage line"

row() { q "$TMP/s.db" "SELECT stage, stage_source FROM src_functions WHERE name = '$1'"; }
for case in "NtCreateProcessEx	2	map" "PspCreateProcess	2	map" "PspInheritSettings	2	inferred" \
    "PspInheritPriorityClass	2	inferred" "PspCreateThread	3	map" "CreateProcessInternalW	1	map" \
    "BasepCheckImageSection	1	inferred" "BasepCopyEnvironment	2	inferred" "BasepNotifyCsr	4	tag" \
    "LdrInitializeThunk	5	tag" "LdrpInitializeProcess	6	tag" "LdrpRunTlsCallbacks	6	tag" \
    "LdrpQueryProcessFlags	6	inferred" "LdrpInit	6	map" "LdrpInitializeThread	0	map" \
    "LdrpThreadAttach	0	inferred"; do
    name=${case%%	*}
    want=${case#*	}
    [ "$(row "$name")" = "$want" ]
    ok $? "$name: stage and source $(echo "$want" | tr '\t' ' ')"
done
[ "$(q "$TMP/s.db" "SELECT count(*) FROM src_functions WHERE name IN ('PspReferenceParentToken', 'BasepReleaseHandles')
       AND stage IS NULL AND stage_source IS NULL")" = 2 ]
ok $? "callers of two stages: no stage (a conflict)"
[ "$(q "$TMP/s.db" "SELECT name || ' ' || kind || ' ' || stages FROM src_conflicts ORDER BY name" | tr '\n' ';')" = \
  "BasepReleaseHandles callers 2,3;LdrInitializeThunk tag-map 5,6;PspReferenceParentToken callers 2,3;" ]
ok $? "the conflicts"
[ "$(q "$TMP/s.db" "SELECT detail FROM src_conflicts WHERE name = 'PspReferenceParentToken'")" = \
  "stage 2 from PspCreateProcess; stage 3 from PspCreateThread" ]
ok $? "a conflict names the callers of each stage"
[ "$(q "$TMP/s.db" "SELECT p.position, p.name, p.direction, p.optional, p.annotation FROM src_params p JOIN src_functions f USING (function_id)
       WHERE f.name = 'NtCreateProcessEx' AND p.position IN (0, 2)" | tr '\t\n' ' ;')" = \
  "0 ProcessHandle out 0 __out;2 ObjectAttributes in 1 __in_opt;" ]
ok $? "src_params: direction, optional, annotation"
[ "$(q "$TMP/s.db" "SELECT group_concat(callee, ' ') FROM (SELECT callee FROM src_calls c JOIN src_functions f ON f.function_id = c.caller_id
       WHERE f.name = 'NtCreateProcessEx' ORDER BY seq)")" = "KeGetPreviousMode ProbeForWriteHandle PspCreateProcess" ]
ok $? "src_calls in body order"
[ "$(q "$TMP/s.db" "SELECT kind, stage, line_start, line_end FROM src_stage_tags WHERE function_id IS NULL")" = \
  "region	6	10	38" ]
ok $? "a file-level region in src_stage_tags"
[ "$(q "$TMP/s.db" "SELECT count(*) FROM stage_map WHERE origin = 'map'")" -ge 60 ]
ok $? "stage_map holds the map"

# a second scan of the same files changes nothing
run source scan "$SRC" -o "$TMP/s.db"
out_has "scanned 0 files (0 skipped, 3 unchanged)" "rescanning unchanged files is a no-op"
[ "$(q "$TMP/s.db" "SELECT count(*) FROM src_functions")" = 20 ]
ok $? "no duplicate functions"

# ---- report ---------------------------------------------------------------------------------
run source report "$TMP/s.db"
expect_status 0 "report"
out_has "    chain: CreateProcessInternalW -> NtCreateProcessEx" "the chain from the entry point"
out_has "      -> PspCreateProcess  map  " "the call tree"
out_has "PspCreateProcess(out PHANDLE ProcessHandle, in ACCESS_MASK DesiredAccess, in opt POBJECT_ATTRIBUTES ObjectAttributes" \
    "parameters with directions"
run source report --format json "$TMP/s.db"
q --json "$TMP/out"
ok $? "report --format json is valid JSON"
run source report --format dot --stage create_process_object "$TMP/s.db"
expect_status 0 "report --format dot --stage NAME"
out_has "subgraph cluster_stage2 {" "a cluster per stage"
grep -q "cluster_stage3" "$TMP/out"
[ $? -ne 0 ]
ok $? "--stage keeps one stage"
run source report --stage 9 "$TMP/s.db"
expect_status 2 "--stage 9 is a usage error"

# ---- export-stacktags -------------------------------------------------------------------------
run source export-stacktags -o "$TMP/p.stacktags"
expect_status 0 "export-stacktags"
grep -q '<Entrypoint Module="ntkrnlpa.exe" Method="PspCreateProcess"/>' "$TMP/p.stacktags"
ok $? "stack tags for the kernel's other names"
grep -q 'CsrClientCallServer (stage 4) under CreateProcessInternalW' "$TMP/p.stacktags"
ok $? "generic functions are listed, not tagged"
run source export-stacktags "$TMP/s.db"
out_has '<Entrypoint Module="*" Method="BasepCheckImageSection"/>' "with DB: the catalogue's inferred functions"

# ---- the seed-like excerpt format in a directory ------------------------------------------------
mkdir -p "$TMP/art"
printf 'An article.\n#070 /* create it */\n#071 Status = ObCreateObject(a);\n#072 MmCreateProcessAddressSpace(b);\n#073 KeInitializeProcess(c);\n#074 MmInitializeProcessAddressSpace(d);\n#075 ExCreateHandle(e);\nclosing\n#076 }\n' >"$TMP/art/notes.txt"
printf 'no code here\n' >"$TMP/art/readme.txt"
run source scan "$TMP/art" -o "$TMP/a.db"
out_has "scanned 1 file: 0 functions, 1 excerpt (1 named from the stage map)" "excerpt text files are found, others not"
[ "$(q "$TMP/a.db" "SELECT name, stage, line_start, line_end FROM src_functions")" = "PspCreateProcess	2	70	76" ]
ok $? "named from 5 of the 8 characteristic callees"
[ "$(q "$TMP/a.db" "SELECT commentary FROM src_lines WHERE line = 76")" = "closing" ]
ok $? "commentary attaches to the next numbered line"

# ---- bad input: warnings name file and line; the scan goes on ------------------------------------
mkdir -p "$TMP/bad"
printf 'int broken(void)\n{\n    if (x) {\n        a();\n\nint good(void)\n{\n    b();\n}\n' >"$TMP/bad/unbalanced.c"
printf 'void f(void) { g(); }\n/* never closed\n' >"$TMP/bad/comment.c"
printf 'int x;\0\1\2' >"$TMP/bad/binary.c"
printf 'void fine(void) { h(); }\n' >"$TMP/bad/fine.c"
run source scan "$TMP/bad" -o "$TMP/b.db"
expect_status 0 "bad files: the scan goes on"
err_has "unbalanced.c': line 6: unbalanced braces: the body of broken (line 1)" "unbalanced braces: file and line"
err_has "comment.c': line 2: unterminated comment" "unterminated comment: file and line"
err_has "binary.c': a binary file (a NUL byte at offset 6): skipped" "binary file skipped"
[ "$(q "$TMP/b.db" "SELECT group_concat(name, ' ') FROM (SELECT name FROM src_functions ORDER BY name)")" = "broken f fine good" ]
ok $? "every readable function is kept"
[ "$(q "$TMP/b.db" "SELECT kind FROM src_files WHERE path LIKE '%binary.c'")" = skipped ]
ok $? "the binary file is recorded as skipped"
run source scan "$TMP/nothere" -o "$TMP/n.db"
expect_status 3 "a missing path: input error"
err_has "cannot open '$TMP/nothere': no such file or directory" "names it"
one_line "one line"
[ ! -e "$TMP/n.db" ]
ok $? "no database created"

# a 100 MB file: read in one pass through a memory map, functions stored
# as they end (bench/source.sh measures speed and memory)
awk 'BEGIN { pad = "x"; while (length(pad) < 50000) pad = pad pad
             for (i = 0; i < 2000; i++) printf "/* %s */\nNTSTATUS\nPspF%d (\n    IN HANDLE H\n    )\n{\n    Call%d (H);\n}\n", pad, i, i % 7 }' >"$TMP/big.c"
size=$(wc -c <"$TMP/big.c")
[ "$size" -gt 100000000 ]
ok $? "a big file ($size bytes)"
run source scan "$TMP/big.c" -o "$TMP/big.db"
expect_status 0 "the big file scans"
out_has "scanned 1 file: 2000 functions, 0 excerpts (0 named from the stage map), 0 prototypes, 2000 calls" "all its functions"
rm -f "$TMP/big.c" "$TMP/big.db"

# ---- attribution: Procmon XML with symbolised stacks ------------------------------------------------
bnd() { q "$1" "SELECT group_concat(s, ' ') FROM (SELECT b.boundary || ':' || coalesce(e.seq, '-') || ':' || substr(b.confidence, 1, 1) AS s
                FROM boundaries b LEFT JOIN events e USING (event_id) ORDER BY b.boundary)"; }
run ingest "$SRC/stacks.xml" -o "$TMP/t1.db"
expect_status 0 "ingest a trace with symbolised stacks"
out_has "15 events given a stage by their stacks" "events given a stage"
# seq 11/12: the image notifications of PspUserThreadStartup (no user frame: kernel start-up, stage 5);
# seq 13 is the first event under LdrInitializeThunk (B5)
[ "$(bnd "$TMP/t1.db")" = "0:1:o 1:4:o 2:6:o 3:8:o 4:10:o 5:13:o 6:18:o" ]
ok $? "boundaries with stack attribution"
[ "$(q "$TMP/t1.db" "SELECT rule FROM boundaries WHERE boundary = 6")" = \
  "last event of the child before the first initial-thread event in notepad.exe outside the loader (stack symbols)" ]
ok $? "B6 rule 1 from symbols: the TLS callback under the loader does not end user_init"
[ "$(q "$TMP/t1.db" "SELECT rule FROM boundaries WHERE boundary = 4")" = "last event under a notify_subsystem frame (CsrCreateProcess, CreateFile)" ]
ok $? "B4 observed under a notify_subsystem frame"
[ "$(q "$TMP/t1.db" "SELECT rule FROM boundaries WHERE boundary = 5")" = \
  "first user-mode event of the initial thread (Load Image), after 2 kernel start-up events (image notifications) [stack: LdrpInitializeProcess, user_init]" ]
ok $? "B5 evidence names the frame"
[ "$(q "$TMP/t1.db" "SELECT group_concat(seq || '=' || frame_stage, ' ') FROM (SELECT seq, frame_stage FROM v_event_frame_stage ORDER BY seq)")" = \
  "1=1 2=1 3=1 4=1 6=3 8=3 9=4 10=4 11=5 12=5 13=6 14=6 15=6 16=6 18=6" ]
ok $? "every event's stage from its innermost mapped frame (not 5: generic, 17: stage 0, 19/20: after init)"
run ingest --symbols "$SRC/stacks.sym" "$SRC/stacks.xml" -o "$TMP/t2.db"
expect_status 0 "ingest with --symbols"
[ "$(q "$TMP/t2.db" "SELECT frame_stage, frame_function, resolved_by FROM v_event_frame_stage WHERE seq = 4")" = "2	PspAllocateProcess	symbols" ]
ok $? "--symbols names a module+offset frame"
[ "$(bnd "$TMP/t2.db")" = "0:1:o 1:3:o 2:6:o 3:8:o 4:10:o 5:13:o 6:18:o" ]
ok $? "B1 moves to the image section when the frame turns out to be stage 2"
run ingest --no-stacks "$SRC/stacks.xml" -o "$TMP/t3.db"
# without stacks the TLS callback's HKCU read (seq 16) no longer ends the scan: user32's Load Image (18)
# comes 0.1 ms later, inside b6_map_window_ms, and is the lower bound at the end of the trace
[ "$(bnd "$TMP/t3.db")" = "0:1:o 1:3:o 2:6:o 3:8:o 4:10:i 5:13:o 6:18:i" ]
ok $? "without stacks the rules are those without stacks (the mapping burst goes on past DllMain/TLS work)"
run ingest --symbols "$TMP/nothere.sym" "$SRC/stacks.xml" -o "$TMP/t4.db"
expect_status 3 "a missing symbol file: input error"
[ ! -e "$TMP/t4.db" ]
ok $? "no database created"
printf 'functions: [{function: X}]\n' >"$TMP/bad.yml"
run ingest --stage-map "$TMP/bad.yml" "$SRC/stacks.xml" -o "$TMP/t5.db"
expect_status 3 "a bad stage map: input error"
err_has "bad.yml': line 1: 'X' needs a stage 0..6 or a stage name" "names the file and line"

# the source catalogue of the model extends the map
printf 'version: 1\nfunctions:\n  - {function: PspUserThreadStartup, module: ntoskrnl.exe, stage: 5}\n' >"$TMP/tiny.yml"
run ingest --stage-map "$TMP/tiny.yml" "$SRC/stacks.xml" -o "$TMP/t6.db"
[ "$(q "$TMP/t6.db" "SELECT count(*) FROM v_event_frame_stage")" = 2 ]
ok $? "--stage-map replaces the map"
cp "$TMP/s.db" "$TMP/t7.db"
printf 'version: 1\nfunctions: []\n' >"$TMP/empty.yml"
run ingest --stage-map "$TMP/empty.yml" "$SRC/stacks.xml" -o "$TMP/t7.db"
[ "$(q "$TMP/t7.db" "SELECT group_concat(seq || '=' || frame_stage || ':' || frame_function, ' ') FROM
       (SELECT * FROM v_event_frame_stage ORDER BY seq)")" = \
  "13=6:LdrpInitializeProcess 14=6:LdrpInitializeProcess 15=6:LdrpInitializeProcess 16=6:LdrpInitializeProcess 17=5:LdrInitializeThunk 18=6:LdrpInitializeProcess" ]
ok $? "an empty map: the stages come from the model's source catalogue (tags, regions)"
[ "$(q "$TMP/t7.db" "SELECT count(*) FROM stage_map WHERE origin = 'source'")" -gt 0 ]
ok $? "the catalogue's staged functions are in the map used"

# B4 from csrss's modules alone (issue 14 item 11): the same trace with every
# symbol taken out of its stacks (module + offset only, as an unsymbolised
# capture shows them): csrss's CreateFile of notepad.exe (seq 10) has
# csrsrv.dll and basesrv.dll frames, so B4 stays observed, by module
sed 's|<location>\([^!<]*\)![^<]*</location>|<location>\1 + 0x1000</location>|' "$SRC/stacks.xml" >"$TMP/nosym.xml"
run -q ingest "$TMP/nosym.xml" -o "$TMP/nosym.db"
[ "$(q "$TMP/nosym.db" "SELECT e.seq || ' ' || b.confidence || ' ' || b.rule FROM boundaries b JOIN events e USING (event_id)
       WHERE b.boundary = 4")" = "10 observed last csrss.exe event on the child's image (CreateFile), its stack in csrsrv.dll" ]
ok $? "without symbols a csrss event with frames in csrsrv.dll or basesrv.dll makes B4 observed"
[ "$(q "$TMP/nosym.db" "SELECT count(*) FROM frames WHERE symbol IS NOT NULL")" = 0 ]
ok $? "and the stripped trace has no symbol left"
finish
