# seeds.sh - sourced by replay.sh and fuzz-smoke.sh: seeds TARGET prints the
# seed files and directories of a fuzz target (its regression corpus first).
seeds() {
    name=${1#fuzz_}
    printf '%s\n' "$top_srcdir/tests/corpus/$name"
    case $name in
    procmon_csv) ls "$top_srcdir"/fixtures/*.csv ;;
    procmon_xml) ls "$top_srcdir"/fixtures/*.xml ;;
    etw_etl) ls "$top_srcdir"/fixtures/*.etl ;;
    procmon_pml) ls "$top_srcdir"/fixtures/*.pml ;;
    event_xml) ls "$top_srcdir"/fixtures/eventxml/*.xml ;;
    ingest) ls "$top_srcdir"/fixtures/*.csv "$top_srcdir"/fixtures/*.xml "$top_srcdir"/fixtures/*.etl "$top_srcdir"/fixtures/*.pml \
        "$top_srcdir"/fixtures/*.evtx "$top_srcdir"/fixtures/eventxml/*.xml ;;
    yaml) ls "$top_srcdir"/rules/*.yml ;;
    zstd) ;;
    source) find "$top_srcdir"/fixtures/source -name '*.c' ;;
    evtx) ls "$top_srcdir"/fixtures/*.evtx ;;
    lz77) ls "$top_srcdir"/fixtures/*.etl "$top_srcdir"/fixtures/*.csv ;;
    evx) ls "$top_srcdir"/fixtures/evx/*.xml ;;
    rules) ls "$top_srcdir"/rules/*.yml ;;
    esac
}
