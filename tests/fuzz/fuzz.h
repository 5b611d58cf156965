/*
 * fuzz.h - shared by the fuzz targets.  Each target defines
 * LLVMFuzzerTestOneInput; built with --enable-fuzzing it links libFuzzer,
 * otherwise replay.c provides a main() that feeds it files (make check
 * replays tests/corpus and the fixtures that way).
 */
#ifndef PS_FUZZ_H
#define PS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Limits that keep one input cheap: a fuzzer must not spend its time
 * decompressing a 1 TiB zstd bomb. */
#define PS_FUZZ_MAX_DECOMPRESSED (64u << 20)
#define PS_FUZZ_WINDOW_LOG 24

#endif
