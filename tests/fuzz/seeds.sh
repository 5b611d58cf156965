# seeds.sh - sourced by replay.sh and fuzz-smoke.sh: seeds TARGET prints the
# seed files and directories of a fuzz target (its regression corpus first).
seeds() {
    name=${1#fuzz_}
    printf '%s\n' "$top_srcdir/tests/corpus/$name"
    case $name in
    procmon_csv) ls "$top_srcdir"/fixtures/*.csv ;;
    procmon_xml) ls "$top_srcdir"/fixtures/*.xml ;;
    etw_etl) ls "$top_srcdir"/fixtures/*.etl ;;
    event_xml) ls "$top_srcdir"/fixtures/eventxml/*.xml ;;
    ingest) ls "$top_srcdir"/fixtures/*.csv "$top_srcdir"/fixtures/*.xml "$top_srcdir"/fixtures/*.etl ;;
    yaml) ls "$top_srcdir"/rules/*.yml ;;
    zstd) ;;
    esac
}
