/*
 * attribute.h - stack attribution (docs/source.md): an event's stage is the
 * stage of the innermost frame of its stack that the stage map names - as
 * WPA stack tags do.  Frames carry "module!Function + 0x1a2" (Procmon XML,
 * symbolised PML), or module + offset only, which a symbol file (--symbols:
 * MODULE START END FUNCTION per line, offsets from the module base) turns
 * into names.
 *
 * The result is stored once per distinct stack (stack_stages; the view
 * v_event_frame_stage joins it to the events) and handed to the
 * reconstruction in ps_event.frame_stage, which uses it for B6 rule 1 and
 * the boundary evidence (docs/reconstruction.md).
 *
 * Ownership: ps_attr_new returns an object owned by the caller; it borrows
 * the map, which must outlive it.  Names in a ps_attr_hit point into the
 * event's frames or the attributor and are valid until the next call.
 */
#ifndef PS_ATTRIBUTE_H
#define PS_ATTRIBUTE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "model/event.h"
#include "source/stage_map.h"
#include "model/store.h"

typedef struct ps_attr ps_attr;

typedef struct ps_attr_hit {
    int stage;               /* 1..6; 0 none */
    uint32_t depth;          /* the frame (0 = innermost) */
    const char *module;      /* may be NULL */
    const char *function;
    size_t function_len;
    bool by_symbols;         /* named by the symbol file, not the trace */
} ps_attr_hit;

int ps_attr_new(const ps_stage_map *map, ps_attr **out, ps_error *err);
void ps_attr_free(ps_attr *a);
/* Reads a symbol file: "MODULE START END FUNCTION" per line (blanks or
 * commas between the fields; START inclusive, END exclusive, hex with 0x or
 * decimal; '#' starts a comment). */
int ps_attr_load_symbols(ps_attr *a, const char *path, ps_error *err);
size_t ps_attr_symbol_count(const ps_attr *a);

/* The stage of a stack (no store involved); false also when memory ran out
 * (ps_attr_event reports that as PS_ERR_NOMEM). */
bool ps_attr_frames(ps_attr *a, const ps_frame *frames, uint32_t n, ps_attr_hit *hit);
/* Attributes an event: computes its stack's stage (once per stack_id) and
 * stores it in stack_stages when the stack is new.  Call ps_attr_bind first. */
int ps_attr_event(ps_attr *a, const ps_event *ev, int64_t stack_id, ps_attr_hit *hit, ps_error *err);
/* Makes sure the tables exist, writes the map into stage_map and makes `s`
 * the store that ps_attr_event writes to. */
int ps_attr_bind(ps_attr *a, ps_store *s, ps_error *err);
/* Finalizes the statements on the store (ps_ingest_trace calls it at the end
 * of every trace, so that the store can be committed); the next event
 * prepares them again. */
void ps_attr_end_trace(ps_attr *a);

/* Adds the functions of the model's source catalogue that have a stage from
 * an @stage tag or from inference (not in the map already) to the map, so
 * that `source scan` into a model extends the attribution of the traces
 * ingested into it.  Returns the number added. */
int ps_attr_add_catalogue(ps_stage_map *m, ps_store *s, ps_error *err);

#endif
