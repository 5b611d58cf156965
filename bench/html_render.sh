#!/bin/sh
# bench/html_render.sh - how fast a procstage HTML report opens in headless
# Chromium, through ChromeDriver (Debian: chromium chromium-driver) and curl.
#
#   bench/html_render.sh REPORT.html [RUNS]
#   bench/html_render.sh medium [RUNS]
#
# "medium" first builds the two models where the report's cost used to grow
# with events x creations (issue 16) - 2 M events and 200 creations (psgen
# bulk), 240 k events and 37 k creations (psgen procs) - times 'procstage
# report html' on each (wall seconds), then opens each report as below.
# Run from the build tree (./procstage, fixtures/psgen).
#
# Per run, a fresh browser profile; from the page's own Navigation and Paint
# Timing: DOMContentLoaded, load, first contentful paint; then the time to
# sort the timeline by total and to filter it (a click and an input event,
# with the layout they cause).  Prints one line per run.
set -eu
if [ "${1:-}" = medium ]; then
    runs=${2:-3}
    m=$(mktemp -d "${TMPDIR:-/tmp}/ps-medium-XXXXXX")
    trap 'rm -rf "$m"' EXIT INT TERM
    fixtures/psgen bulk pml 2000000 "$m/bulk.pml" >/dev/null
    fixtures/psgen procs pml 37000 "$m/procs.pml" >/dev/null
    for t in bulk procs; do
        ./procstage -q ingest "$m/$t.pml" -o "$m/$t.db"
        c=$(./procstage report creations --format csv "$m/$t.db" | tail -n +2 | wc -l)
        start=$(date +%s.%N)
        ./procstage report html "$m/$t.db" -o "$m/$t.html"
        end=$(date +%s.%N)
        echo "$t: $c creations, report html $(awk "BEGIN { printf \"%.2f\", $end - $start }") s, $(wc -c <"$m/$t.html") bytes"
        "$0" "$m/$t.html" "$runs"
    done
    exit 0
fi
report=$1
runs=${2:-3}
port=${CHROMEDRIVER_PORT:-9515}
case $report in /*) ;; *) report=$PWD/$report ;; esac
[ -f "$report" ] || { echo "html_render: no file $report" >&2; exit 2; }
command -v chromedriver >/dev/null || { echo "html_render: chromedriver is not installed" >&2; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ps-render-XXXXXX")
chromedriver --port="$port" >"$tmp/driver.log" 2>&1 &
driver=$!
trap 'kill "$driver" 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
url=http://127.0.0.1:$port
i=0
while ! curl -s "$url/status" 2>/dev/null | grep -q '"ready":true'; do
    i=$((i + 1))
    [ $i -lt 50 ] || { echo "html_render: chromedriver did not start" >&2; exit 1; }
    sleep 0.1
done

# POST PATH JSON: the response body
post() { curl -s -X POST -H 'Content-Type: application/json' -d "$2" "$url$1"; }
# value of an executed script (a number or a string without quotes)
js() { post "/session/$sid/execute/sync" "{\"script\": \"$1\", \"args\": []}" | sed -n 's/.*"value":"\{0,1\}\([^"}]*\)"\{0,1\}}.*/\1/p'; }

size=$(wc -c <"$report")
echo "report: $report ($size bytes)"
r=0
while [ $r -lt "$runs" ]; do
    r=$((r + 1))
    rm -rf "$tmp/profile"
    caps='{"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {"args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1400,1000", "--user-data-dir='"$tmp/profile"'"]}}}}'
    sid=$(post /session "$caps" | sed -n 's/.*"sessionId":"\([^"]*\)".*/\1/p')
    [ -n "$sid" ] || { echo "html_render: no session" >&2; cat "$tmp/driver.log" >&2; exit 1; }
    post "/session/$sid/url" "{\"url\": \"file://$report\"}" >/dev/null
    dcl=$(js "var n = performance.getEntriesByType('navigation')[0]; return Math.round(n.domContentLoadedEventEnd);")
    load=$(js "var n = performance.getEntriesByType('navigation')[0]; return Math.round(n.loadEventEnd);")
    fcp=$(js "var p = performance.getEntriesByName('first-contentful-paint')[0]; return p ? Math.round(p.startTime) : -1;")
    rows=$(js "return document.querySelectorAll('#tl-body .row').length;")
    sort=$(js "var b = document.querySelector('button.sort[data-sort=tot]'); var t = performance.now(); b.click(); document.body.offsetHeight; return Math.round(performance.now() - t);")
    filt=$(js "var q = document.getElementById('tl-filter'); var t = performance.now(); q.value = 'explorer'; q.dispatchEvent(new Event('input')); document.body.offsetHeight; return Math.round(performance.now() - t);")
    curl -s -X DELETE "$url/session/$sid" >/dev/null
    echo "run $r: rows $rows, DOMContentLoaded ${dcl} ms, load ${load} ms, first contentful paint ${fcp} ms, sort ${sort} ms, filter ${filt} ms"
done
