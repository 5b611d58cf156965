#!/bin/sh
# Writing a model or a report keeps what its owner sees (common/replace.h):
# a new file gets 0666 less the umask (the temporary file is 0600), an
# existing one keeps its mode and group, a symbolic link is written through to
# its target (also a dangling one), and a file that should not be replaced -
# read-only (even for root), hard-linked, the model being read - is refused
# with a message and left byte for byte unchanged.
. "$top_srcdir/tests/cli/lib.sh"

traces() { q "$1" "SELECT count(*) FROM traces" 2>/dev/null; }
mode() { stat -c %a "$1"; }

cd "$TMP" || exit 99
grp=$(getent group daemon >/dev/null && echo daemon || id -gn)

# new models and reports: the umask, not 0600
umask 027
run ingest -q "$FIX/demo.csv" -o new.db
expect_status 0 "new model"
[ "$(mode new.db)" = 640 ]; ok $? "new model under umask 027: mode 640 (got $(mode new.db))"
umask 022
run report html new.db -o r.html
[ "$(mode r.html)" = 644 ]; ok $? "new report under umask 022: mode 644 (got $(mode r.html))"

# an append keeps mode and group
chmod 660 new.db
chgrp "$grp" new.db 2>/dev/null
g=$(stat -c %G new.db)
run ingest -q "$FIX/ifeo_hijack.csv" -o new.db
expect_status 0 "append"
[ "$(mode new.db)" = 660 ]; ok $? "append keeps mode 660 (got $(mode new.db))"
[ "$(stat -c %G new.db)" = "$g" ]; ok $? "append keeps the group $g (got $(stat -c %G new.db))"
[ "$(traces new.db)" = 2 ]; ok $? "append: 2 traces"

# through a symbolic link: the target is appended to, the link stays a link
ln -s new.db link.db
run ingest -q "$FIX/pid_reuse.csv" -o link.db
expect_status 0 "append through a symbolic link"
[ -L link.db ]; ok $? "the link is still a link"
[ "$(traces new.db)" = 3 ]; ok $? "its target has the new trace (3 traces)"
mkdir sub
ln -s link.db chain.db
run ingest -q --force "$FIX/demo.csv" -o chain.db
[ "$(traces new.db)" = 4 ] && [ -L chain.db ]; ok $? "a chain of two links: the final target appended to"
ln -s sub/later.db dangling.db
run ingest -q "$FIX/demo.csv" -o dangling.db
expect_status 0 "a dangling link"
[ -L dangling.db ] && [ "$(traces sub/later.db)" = 1 ]; ok $? "a dangling link: its target created, the link kept"
ln -s loop1.db loop2.db
ln -s loop2.db loop1.db
run ingest -q "$FIX/demo.csv" -o loop1.db
expect_status 4 "a loop of links: exit 4"
one_line "a loop of links: one line"

# what is refused, and left unchanged
cp new.db before.db
ln new.db hard.db
run ingest -q "$FIX/demo.csv" -o new.db
expect_status 4 "a hard-linked model: exit 4"
err_has "2 hard links" "a hard-linked model: the message says why"
cmp -s new.db before.db; ok $? "a hard-linked model: unchanged"
[ "$(stat -c %h new.db)" = 2 ]; ok $? "a hard-linked model: the link kept"
rm hard.db
chmod 444 new.db
run ingest -q "$FIX/demo.csv" -o new.db
expect_status 4 "a read-only model (0444): exit 4, even for root"
err_has "read-only (mode 0444)" "a read-only model: the message says why"
cmp -s new.db before.db; ok $? "a read-only model: unchanged"
chmod 644 new.db
run merge before.db -o new.db
expect_status 0 "merge into a writable model"
chmod 444 new.db
cp new.db before.db
run merge before.db -o new.db
expect_status 4 "merge into a read-only model: exit 4"
chmod 644 new.db

run report html new.db -o new.db
expect_status 2 "report -o the model it reads: exit 2"
err_has "is the model being read" "report -o the model: the message says why"
cmp -s new.db before.db; ok $? "report -o the model: unchanged"
run report html link.db -o new.db
expect_status 2 "report -o the model, read through a link: exit 2"
run analyze "$FIX/demo.csv" -o a.db --html a.db
expect_status 2 "analyze --html onto its own model: exit 2"

# reports: through links, mode kept, read-only refused
ln -s r.html rl.html
chmod 600 r.html
run report html new.db -o rl.html
expect_status 0 "report through a link"
[ -L rl.html ] && grep -q '<html' r.html; ok $? "report through a link: the target written, the link kept"
[ "$(mode r.html)" = 600 ]; ok $? "report keeps the mode of the report it replaces (got $(mode r.html))"
chmod 444 r.html
cp r.html r.before
run report html new.db -o r.html
expect_status 4 "a read-only report: exit 4"
cmp -s r.html r.before; ok $? "a read-only report: unchanged"

finish
