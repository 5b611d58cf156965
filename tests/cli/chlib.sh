# chlib.sh - a private clickhouse-server for the ClickHouse export tests
# (POSIX sh, sourced after lib.sh or with TMP set).
#
#   ch_start NAME   starts a server listening on 127.0.0.1 only, on ports
#                   free at the time, with its config, data and logs in
#                   $TMP/ch-NAME; sets CH_HTTP, CH_TCP, CH_URL (the HTTP
#                   interface) and CH_STARTED (seconds to the first answer).
#                   Prints a reason and exits 77 when no server can start.
#                   Users: default (no password), analyst (password s3cret).
#   chq NAME SQL    runs SQL on server NAME with clickhouse-client (TSV out)
#   ch_stop_all     stops every server started (run by the EXIT trap)
#
# CH_CLUSTER, when set before ch_start, is put in the config's
# <remote_servers> (the two-shard test).
CH_SERVER=${CH_SERVER:-$(command -v clickhouse-server || echo /usr/sbin/clickhouse-server)}
CH_CLIENT=${CH_CLIENT:-$(command -v clickhouse-client || echo /usr/bin/clickhouse-client)}
ch_pids=""

ch_skip() {
    echo "1..0 # SKIP $*"
    echo "SKIP: $*" >&2
    exit 77
}

ch_stop_all() {
    for p in $ch_pids; do
        kill "$p" 2>/dev/null
    done
    for p in $ch_pids; do
        i=0
        while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        kill -9 "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    ch_pids=""
}
trap 'ch_stop_all; rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM HUP

# the TCP ports listening now (/proc/net/tcp{,6}: state 0A), one per line
ch_busy_ports() {
    cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
        awk 'NR > 1 && $4 == "0A" { split($2, a, ":"); print a[2] }' |
        while read -r h; do printf '%d\n' "0x$h"; done
}

# ch_free_port EXCLUDE...: a port in 20000-59999 not listening nor excluded
ch_free_port() {
    busy=$(ch_busy_ports)
    while :; do
        p=$(awk -v s="$(od -An -N2 -tu2 /dev/urandom)" 'BEGIN { srand(s); print 20000 + int(rand() * 40000) }')
        case " $busy $* " in
        *" $p "*) continue ;;
        esac
        echo "$p"
        return
    done
}

ch_start() {
    name=$1
    [ -x "$CH_SERVER" ] || ch_skip "no clickhouse-server ($CH_SERVER; ./quickstart test installs it)"
    [ -x "$CH_CLIENT" ] || ch_skip "no clickhouse-client ($CH_CLIENT; ./quickstart test installs it)"
    d="$TMP/ch-$name"
    attempt=0
    while :; do
        attempt=$((attempt + 1))
        rm -rf "$d"
        mkdir -p "$d/data" "$d/tmp" "$d/log" "$d/user_files" "$d/format_schemas" || exit 99
        http=$(ch_free_port)
        tcp=$(ch_free_port "$http")
        inter=$(ch_free_port "$http" "$tcp")
        cluster=$(printf "%s" "${CH_CLUSTER:-}" | sed "s/@SELF_TCP@/$tcp/g")
        cat >"$d/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$d/log/server.log</log><errorlog>$d/log/error.log</errorlog></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$http</http_port>
  <tcp_port>$tcp</tcp_port>
  <interserver_http_port>$inter</interserver_http_port>
  <path>$d/data/</path>
  <tmp_path>$d/tmp/</tmp_path>
  <user_files_path>$d/user_files/</user_files_path>
  <format_schema_path>$d/format_schemas/</format_schema_path>
  <users_config>$d/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <max_server_memory_usage>1000000000</max_server_memory_usage>
  <timezone>UTC</timezone>
  <remote_servers>$cluster</remote_servers>
  <macros><procstage_dir>$d</procstage_dir></macros>
</yandex>
EOF
        cat >"$d/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>1000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks>
    <profile>default</profile><quota>default</quota></default>
    <analyst><password>s3cret</password><networks><ip>127.0.0.1</ip></networks>
    <profile>default</profile><quota>default</quota></analyst></users>
  <quotas><default></default></quotas>
</yandex>
EOF
        t0=$(date +%s%N)
        (cd "$d" && exec "$CH_SERVER" --config-file="$d/config.xml") >"$d/log/stdout" 2>&1 &
        pid=$!
        ch_pids="$ch_pids $pid"
        i=0
        up=0
        while [ $i -lt 300 ]; do
            if ! kill -0 "$pid" 2>/dev/null; then
                break
            fi
            # the answer of this server, not of another one on the port
            if [ "$("$CH_CLIENT" --host 127.0.0.1 --port "$tcp" --query \
                "SELECT substitution FROM system.macros WHERE macro = 'procstage_dir'" 2>/dev/null)" = "$d" ]; then
                up=1
                break
            fi
            sleep 0.1
            i=$((i + 1))
        done
        if [ $up -eq 1 ]; then
            t1=$(date +%s%N)
            CH_STARTED=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
            break
        fi
        why=$(cat "$d/log/error.log" "$d/log/stdout" 2>/dev/null | grep -v '^Logging' | tail -n 3 | tr '\n' ' ')
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        # a port taken between the choice and the start: try other ports
        case "$why" in
        *"already in use"*) [ $attempt -lt 5 ] && continue ;;
        esac
        ch_skip "clickhouse-server did not start within 30 s: ${why:-no message}"
    done
    eval "CH_HTTP_$name=$http CH_TCP_$name=$tcp"
    CH_HTTP=$http
    CH_TCP=$tcp
    CH_URL="http://127.0.0.1:$http/"
}

chq() {
    eval "port=\$CH_TCP_$1"
    "$CH_CLIENT" --host 127.0.0.1 --port "$port" --query "$2"
}
