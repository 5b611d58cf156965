/*
 * embedded.h - files built into the procstage binary (generated into
 * model/embedded.c by tools/embed at build time).
 */
#ifndef PS_EMBEDDED_H
#define PS_EMBEDDED_H

#include <stddef.h>

extern const char ps_embedded_schema_sql[];      /* model/schema.sql */
extern const size_t ps_embedded_schema_sql_len;
extern const char ps_embedded_indexes_sql[];     /* model/indexes.sql */
extern const size_t ps_embedded_indexes_sql_len;
extern const char ps_embedded_reconstruct_yml[]; /* rules/reconstruct.yml */
extern const size_t ps_embedded_reconstruct_yml_len;
extern const char ps_embedded_stages_yml[];      /* rules/stages.yml */
extern const size_t ps_embedded_stages_yml_len;

#endif
