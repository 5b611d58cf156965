#!/bin/sh
# Bad input: a one-line error naming the file and line/offset, the input-error
# exit status (3), no partial database; truncated files keep the valid part
# with a warning that says where they stop.
. "$top_srcdir/tests/cli/lib.sh"

no_db() {
    if [ ! -e "$1" ] && [ -z "$(ls "$(dirname "$1")" | grep -F "$(basename "$1").tmp-")" ]; then ok 0 "$2"; else
        ok 1 "$2"
    fi
}

# binary garbage
awk 'BEGIN { srand(7); for (i = 0; i < 4096; i++) printf "%c", int(rand() * 255) + 1 }' >"$TMP/garbage.bin"
run ingest "$TMP/garbage.bin" -o "$TMP/g.db"
expect_status 3 "binary garbage: input error"
err_has "garbage.bin': unrecognised format at offset 0" "names the file and offset"
one_line "one line"
no_db "$TMP/g.db" "no database created"

# a text file that is no trace
printf 'hello world\nthis is not procmon\n' >"$TMP/hello.txt"
run analyze "$TMP/hello.txt"
expect_status 3 "wrong format: input error"
err_has "hello.txt': unrecognised format" "wrong format is named"

# empty file
: >"$TMP/empty.csv"
run analyze "$TMP/empty.csv"
expect_status 3 "empty file: input error"
err_has "empty" "says it is empty"

# invalid UTF-8 in a CSV
printf '"Time of Day","Process Name","PID","Operation","Path","Result","Detail"\r\n"1:00:00.0000000 AM","a.exe","1","RegOpenKey","HKLM\\\377\376","SUCCESS",""\r\n' >"$TMP/utf8.csv"
run ingest "$TMP/utf8.csv" -o "$TMP/u.db"
expect_status 3 "invalid UTF-8: input error"
err_has "utf8.csv': line 2: invalid UTF-8 at byte offset" "names line and offset"
one_line "one line"
no_db "$TMP/u.db" "no database created"

# a CSV without an Operation column
printf '"Time of Day","Process Name","PID","Path"\r\n"1:00:00.0000000 AM","a.exe","1","C:\\x"\r\n' >"$TMP/noop.csv"
run analyze "$TMP/noop.csv"
expect_status 3 "no Operation column: input error"
err_has "noop.csv': line 1: no Operation column" "names the file and line"

# a malformed time
sed '3s/[0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]*/99:99:99.0/' "$FIX/plain.csv" >"$TMP/badtime.csv"
run analyze "$TMP/badtime.csv"
expect_status 3 "a bad Time of Day: input error"
err_has "badtime.csv': line 3: cannot read the Time of Day" "names the line"

# a row with too few fields in the middle
awk 'NR == 5 { print "\"1:00:00.0000000 AM\",\"x\"\r"; next } { print }' "$FIX/plain.csv" >"$TMP/short.csv"
run analyze "$TMP/short.csv"
expect_status 3 "a short row: input error"
err_has "short.csv': line 5: 2 fields where the header has" "names the line"

# XML: an entity bomb behind a document type declaration
cat >"$TMP/bomb.xml" <<'XML'
<?xml version="1.0"?>
<!DOCTYPE procmon [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
]>
<procmon><eventlist><event><Time_of_Day>1:00:00.0 AM</Time_of_Day><Operation>&f;</Operation></event></eventlist></procmon>
XML
run ingest "$TMP/bomb.xml" -o "$TMP/b.db"
expect_status 3 "entity bomb: input error"
err_has "bomb.xml': line" "names the file and line"
err_has "document type declaration" "says why"
one_line "one line"
no_db "$TMP/b.db" "no database created"

# XML: invalid UTF-8
printf '<?xml version="1.0" encoding="UTF-8"?>\n<procmon><eventlist><event><Operation>Reg\377\376Key</Operation></event></eventlist></procmon>\n' >"$TMP/utf8.xml"
run ingest "$TMP/utf8.xml" -o "$TMP/x8.db"
expect_status 3 "XML with invalid UTF-8: input error"
err_has "utf8.xml': line 2: input is not proper UTF-8" "names the file and line"
one_line "one line"
no_db "$TMP/x8.db" "no database created"

# XML: malformed in the middle
awk 'NR == 200 { print "<broken attr=>" } { print }' "$FIX/plain.xml" >"$TMP/mid.xml"
run analyze "$TMP/mid.xml"
expect_status 3 "malformed XML: input error"
err_has "mid.xml': line 200" "names the line"

# XML: nested too deep
{
    echo '<procmon><eventlist><event><Detail>'
    i=0
    while [ $i -lt 40 ]; do printf '<x>'; i=$((i + 1)); done
    i=0
    while [ $i -lt 40 ]; do printf '</x>'; i=$((i + 1)); done
    echo '</Detail></event></eventlist></procmon>'
} >"$TMP/deep.xml"
run analyze "$TMP/deep.xml"
expect_status 3 "XML nesting limit: input error"
err_has "nested deeper than" "names the limit"

# truncated CSV: the valid part with a warning
full=$(wc -c <"$FIX/plain.csv")
head -c $((full * 2 / 3)) "$FIX/plain.csv" >"$TMP/cut.csv"
run ingest "$TMP/cut.csv" -o "$TMP/cut.db"
expect_status 0 "truncated CSV: ingested"
err_has "cut.csv': truncated at line" "warning says where it stopped"
n=$(q "$TMP/cut.db" "SELECT event_count FROM traces")
[ "$n" -gt 10 ] && [ "$n" -lt "$(q "$TMP/cut.db" "SELECT 1000")" ]
ok $? "the valid part is kept ($n events)"
run -q ingest "$TMP/cut.csv" -o "$TMP/cut2.db"
[ ! -s "$TMP/err" ]
ok $? "-q silences the warning"

# truncated XML
full=$(wc -c <"$FIX/plain.xml")
head -c $((full * 3 / 4)) "$FIX/plain.xml" >"$TMP/cut.xml"
run ingest "$TMP/cut.xml" -o "$TMP/cutx.db"
expect_status 0 "truncated XML: ingested"
err_has "cut.xml': truncated at line" "warning says where"
err_has "events read before it" "and how many events were recovered"

# truncated zstd
if command -v zstd >/dev/null 2>&1; then
    zstd -q -c "$FIX/demo.csv" >"$TMP/demo.csv.zst"
    full=$(wc -c <"$TMP/demo.csv.zst")
    head -c $((full / 2)) "$TMP/demo.csv.zst" >"$TMP/cut.csv.zst"
    run ingest "$TMP/cut.csv.zst" -o "$TMP/z.db"
    expect_status 3 "truncated zstd: input error"
    err_has "truncated zstd stream" "says so"
    no_db "$TMP/z.db" "no database created"
else
    echo "# zstd CLI not installed: truncated .zst case skipped"
fi

# a missing file
run analyze "$TMP/nope.csv"
expect_status 3 "missing file: input error"
err_has "cannot open '$TMP/nope.csv': no such file" "message as documented"

# an existing model is untouched by a failed ingest
run -q ingest "$FIX/demo.csv" -o "$TMP/keep.db"
expect_status 0 "build a model"
before=$(cksum <"$TMP/keep.db")
run ingest "$FIX/plain.csv" "$TMP/garbage.bin" -o "$TMP/keep.db"
expect_status 3 "a failing second trace fails the command"
[ "$(cksum <"$TMP/keep.db")" = "$before" ]
ok $? "the existing model is byte-for-byte unchanged"
[ "$(q "$TMP/keep.db" "SELECT count(*) FROM traces")" = 1 ]
ok $? "and still holds one trace"
ls "$TMP" | grep -q 'keep.db.tmp-'
ok $((1 - $?)) "no temporary file is left"

# reports on things that are not models
run report timing "$TMP/garbage.bin"
expect_status 4 "report on a foreign file: database error"
err_has "not a procstage database" "says so"
run report timing "$TMP/none.db"
expect_status 4 "report on a missing database"
err_has "no such file" "says so"

# a database path that cannot be written
run ingest "$FIX/demo.csv" -o "$TMP/no/such/dir/x.db"
expect_status 4 "unwritable output: i/o error"
err_has "cannot create the lock file '$TMP/no/such/dir/x.db.lock'" "says where"
# archives and other compressors are named, not "unrecognised" (issue 16)
gzip -c "$FIX/demo.csv" >"$TMP/demo.csv.gz"
run analyze "$TMP/demo.csv.gz"
expect_status 3 "a gzip file: input error"
err_has "'$TMP/demo.csv.gz': compressed with gzip, which procstage does not read: unpack it first" "names gzip"
printf 'PK\003\004rest of a zip' >"$TMP/c.zip"
run analyze "$TMP/c.zip"
err_has "a ZIP archive, which procstage does not read" "names a ZIP archive"
printf '7z\274\257\047\034rest' >"$TMP/c.7z"
run analyze "$TMP/c.7z"
err_has "a 7-Zip archive, which procstage does not read" "names a 7-Zip archive"
one_line "in one line"
finish
