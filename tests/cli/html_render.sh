#!/bin/sh
# The HTML report rendered by headless Chromium: a screenshot of the page,
# then, in a second headless page, the screenshot's pixels counted on a
# canvas: every timeline row carries a 10 x 10 px status square in a colour
# used nowhere else, so the bands of those colours are the rows (plus one for
# the legend).  Skipped when Chromium is not installed (./quickstart test
# installs it, so it runs in CI).
. "$top_srcdir/tests/cli/lib.sh"

CHROMIUM=
for c in chromium chromium-browser google-chrome; do
    if command -v "$c" >/dev/null 2>&1; then
        CHROMIUM=$(command -v "$c")
        break
    fi
done
if [ -z "$CHROMIUM" ]; then
    echo "1..0 # SKIP chromium is not installed"
    exit 0
fi

# headless, offline, and a fresh profile for every run
chrome() {
    rm -rf "$TMP/profile"
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
        --force-device-scale-factor=1 --user-data-dir="$TMP/profile" "$@" 2>"$TMP/chrome.err"
}

DB="$TMP/m.db"
"$PSGEN" bulk csv 12000 "$TMP/bulk.csv" >/dev/null 2>&1
(cd "$FIX" && "$PROCSTAGE" -q ingest demo.csv missing_stages.xml "$TMP/bulk.csv" -o "$DB") >/dev/null
ok $? "a model with three traces"
rows=$(q "$DB" "SELECT count(*) FROM creations")
"$PROCSTAGE" report html "$DB" -o "$TMP/r.html"
ok $? "report html ($rows creations)"

# tall enough for the whole timeline
height=$((2400 + rows * 18))
chrome --window-size=1400,$height --screenshot="$TMP/r.png" "file://$TMP/r.html" >/dev/null
[ -s "$TMP/r.png" ]
ok $? "Chromium rendered the page to a PNG"

{
    printf '<!DOCTYPE html><html><body><img id="i" alt="" src="data:image/png;base64,'
    base64 -w0 "$TMP/r.png"
    cat <<'EOF'
"/><pre id="out">not counted</pre><script>
window.addEventListener('load', function () {
  var img = document.getElementById('i'), c = document.createElement('canvas');
  c.width = img.naturalWidth;
  c.height = img.naturalHeight;
  var g = c.getContext('2d');
  g.drawImage(img, 0, 0);
  var W = c.width, H = c.height, d = g.getImageData(0, 0, W, H).data;
  /* .mk-complete, .mk-partial, .mk-failed, .mk-unknown */
  var marks = [[0x2e, 0x7d, 0x32], [0xc7, 0x7c, 0x02], [0xc6, 0x28, 0x28], [0x5f, 0x6b, 0x7a]];
  function mark(x, y) {
    var i = (y * W + x) * 4;
    for (var m = 0; m < marks.length; m++)
      if (d[i] === marks[m][0] && d[i + 1] === marks[m][1] && d[i + 2] === marks[m][2]) return m;
    return -1;
  }
  var bands = 0, inside = false;
  for (var y = 0; y < H; y++) {
    var hit = false;
    for (var x = 0; x + 6 < W && !hit; x++) {
      var m = mark(x, y), run = 1;
      if (m < 0) continue;
      while (run < 6 && mark(x + run, y) === m) run++;
      hit = run === 6;
    }
    if (hit && !inside) bands++;
    inside = hit;
  }
  document.getElementById('out').textContent = 'bands=' + bands;
});
</script></body></html>
EOF
} >"$TMP/count.html"
chrome --virtual-time-budget=10000 --dump-dom "file://$TMP/count.html" >"$TMP/count.dom"
bands=$(sed -n 's/.*bands=\([0-9]*\).*/\1/p' "$TMP/count.dom" | head -1)
[ "$bands" = $((rows + 1)) ]
ok $? "the rendered timeline has one row per creation ($rows rows, $bands bands with the legend's)"
[ -n "$bands" ] || sed 's/^/#   /' "$TMP/chrome.err" | head -5
finish
