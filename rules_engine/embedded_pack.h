/*
 * embedded_pack.h - the default rule pack built into procstage: the .yml
 * files of rules/ except reconstruct.yml, turned into C arrays by
 * tools/embed --files (rules_engine/pack_embedded.c, generated).
 */
#ifndef PS_EMBEDDED_PACK_H
#define PS_EMBEDDED_PACK_H

#include <stddef.h>

typedef struct ps_embedded_file {
    const char *name;      /* file name, e.g. "ifeo_debugger.yml" */
    const char *data;      /* contents, NUL-terminated */
    size_t len;
} ps_embedded_file;

extern const ps_embedded_file ps_embedded_rule_pack[];
extern const size_t ps_embedded_rule_pack_count;

#endif
