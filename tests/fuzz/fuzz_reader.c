/*
 * fuzz_reader - one reader over arbitrary bytes: PS_FUZZ_READER names it
 * (compile-time), or NULL to detect the format like procstage does.  Every
 * string and array of every record is touched so that a dangling pointer or
 * an out-of-bounds length shows up under the sanitizers.  Readers that can
 * give more (EVTX records in chunk slack) are asked to.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "parsers/input.h"
#include "parsers/reader.h"
#include "parsers/winevent/binxml.h"

#ifndef PS_FUZZ_READER
#define PS_FUZZ_READER NULL
#endif

static volatile size_t sink;

/* EVTX: a mutation inside a chunk breaks its checksums, and the reader then
 * skips the chunk.  For inputs of odd size the checksums are recomputed
 * first, so that the mutations reach the records and their binary XML (the
 * even sizes keep the checksum path fuzzed). */
static uint8_t *evtx_fix_checksums(const uint8_t *data, size_t size)
{
    uint8_t *c;
    size_t off;

    if (!(size & 1) || size < 4096)
        return NULL;
    c = malloc(size);
    if (!c)
        return NULL;
    memcpy(c, data, size);
    for (off = 4096; off + 65536 <= size; off += 65536) {
        uint8_t *k = c + off;
        uint32_t free_off = (uint32_t)k[48] | (uint32_t)k[49] << 8 | (uint32_t)k[50] << 16 | (uint32_t)k[51] << 24;
        uint32_t crc;
        if (free_off >= 512 && free_off <= 65536) {
            crc = ps_evtx_crc32(0, k + 512, free_off - 512);
            k[52] = (uint8_t)crc, k[53] = (uint8_t)(crc >> 8), k[54] = (uint8_t)(crc >> 16), k[55] = (uint8_t)(crc >> 24);
        }
        crc = ps_evtx_crc32(ps_evtx_crc32(0, k, 120), k + 128, 384);
        k[124] = (uint8_t)crc, k[125] = (uint8_t)(crc >> 8), k[126] = (uint8_t)(crc >> 16), k[127] = (uint8_t)(crc >> 24);
    }
    return c;
}

static void touch(const char *s)
{
    if (s)
        sink += strlen(s);
}

static void touch_event(const ps_event *ev)
{
    uint32_t i;
    touch(ev->operation);
    touch(ev->process_name);
    touch(ev->path);
    touch(ev->result);
    touch(ev->detail);
    touch(ev->category);
    touch(ev->command_line);
    touch(ev->current_dir);
    touch(ev->reg_type);
    touch(ev->reg_data);
    touch(ev->subject_guid);
    for (i = 0; i < ev->nfields; i++) {
        touch(ev->fields[i].name);
        touch(ev->fields[i].value);
    }
    for (i = 0; i < ev->nframes; i++) {
        touch(ev->frames[i].module);
        touch(ev->frames[i].symbol);
        sink += ev->frames[i].address;
    }
    if (ev->proc) {
        touch(ev->proc->image_path);
        touch(ev->proc->command_line);
        touch(ev->proc->user);
    }
    if (ev->child) {
        touch(ev->child->image_path);
        touch(ev->child->command_line);
        touch(ev->child->user);
        touch(ev->child->architecture);
    }
}

static void touch_process(const ps_process_rec *p)
{
    uint32_t i;
    touch(p->process_name);
    touch(p->image_path);
    touch(p->command_line);
    touch(p->user);
    for (i = 0; i < p->nmodules; i++) {
        touch(p->modules[i].path);
        touch(p->modules[i].version);
        sink += p->modules[i].base;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ps_input_opts io;
    ps_input *in = NULL;
    const ps_reader_ops *ops = NULL;
    ps_reader *r = NULL;
    ps_reader_opts ro;
    ps_error err;
    ps_record rec;
    const char *name = PS_FUZZ_READER;
    uint8_t *fixed = NULL;

    ps_input_opts_init(&io);
    memset(&ro, 0, sizeof ro);
    ro.recovered = true;   /* EVTX: the chunk slack is decoded too */
    io.max_decompressed = PS_FUZZ_MAX_DECOMPRESSED;
    io.zstd_window_log_max = PS_FUZZ_WINDOW_LOG;
    if (name && !strcmp(name, "evtx") && (fixed = evtx_fix_checksums(data, size)) != NULL)
        data = fixed;
    if (ps_input_open_mem(data, size, "fuzz", &io, &in, &err) < 0) {
        free(fixed);
        return 0;
    }
    if (name)
        ops = ps_reader_find(name);
    else if (ps_reader_detect(in, &ops, &err) < 0)
        ops = NULL;
    if (ops && ops->open(in, &ro, &r, &err) == 0) {
        while (ps_reader_next(r, &rec, &err) > 0) {
            if (rec.type == PS_REC_EVENT)
                touch_event(rec.event);
            else
                touch_process(rec.process);
        }
        touch(r->info.time_note);
        {
            size_t k;
            for (k = 0; k < r->info.nkinds; k++) {
                touch(r->info.kinds[k].provider);
                touch(r->info.kinds[k].operation);
            }
        }
        ps_reader_close(r);
    }
    ps_input_close(in);
    free(fixed);
    return 0;
}
