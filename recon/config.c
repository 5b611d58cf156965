#include "recon/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "common/yamltree.h"
#include "model/embedded.h"

static void strlist_release(ps_strlist *l)
{
    size_t i;
    for (i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

void ps_recon_config_release(ps_recon_config *c)
{
    strlist_release(&c->creator_tail);
    strlist_release(&c->subsystem_processes);
    strlist_release(&c->loader_operations);
    strlist_release(&c->loader_file_extensions);
    strlist_release(&c->loader_file_paths);
    strlist_release(&c->loader_registry_paths);
    free(c->source);
    memset(c, 0, sizeof *c);
}

static int get_list(const ps_ydoc *d, const ps_ynode *map, const char *key, ps_strlist *out,
                    ps_error *err)
{
    const ps_ynode *n = ps_ymap_get(map, key);
    size_t i;

    if (!n)
        return ps_error_set(err, PS_ERR_INPUT, "'%s': line %d: missing '%s'", d->name,
                            map ? map->line : 1, key);
    if (n->type != PS_Y_SEQ)
        return ps_error_set(err, PS_ERR_INPUT, "'%s': line %d: '%s' must be a list", d->name, n->line,
                            key);
    out->items = calloc(n->n ? n->n : 1, sizeof *out->items);
    if (!out->items)
        return ps_error_nomem(err);
    for (i = 0; i < n->n; i++) {
        const ps_ynode *it = n->items[i];
        if (it->type != PS_Y_SCALAR || !it->value[0])
            return ps_error_set(err, PS_ERR_INPUT, "'%s': line %d: '%s' items must be strings",
                                d->name, it->line, key);
        out->items[out->n] = ps_strdup(it->value);
        if (!out->items[out->n])
            return ps_error_nomem(err);
        out->n++;
    }
    return 0;
}

static int get_ms(const ps_ydoc *d, const ps_ynode *map, const char *key, int64_t *ticks,
                  ps_error *err)
{
    const ps_ynode *n = ps_ymap_get(map, key);
    int64_t v;

    if (!n)
        return ps_error_set(err, PS_ERR_INPUT, "'%s': missing '%s'", d->name, key);
    if (n->type != PS_Y_SCALAR || !ps_parse_i64(n->value, &v) || v < 0 || v > 86400000)
        return ps_error_set(err, PS_ERR_INPUT, "'%s': line %d: '%s' must be milliseconds (0..86400000)",
                            d->name, n->line, key);
    *ticks = v * 10000;
    return 0;
}

int ps_recon_config_load_text(ps_recon_config *c, const char *text, size_t len, const char *name,
                              ps_error *err)
{
    ps_ydoc *d = NULL;
    const ps_ynode *pm, *loader, *etw;
    int rc;

    memset(c, 0, sizeof *c);
    if ((rc = ps_yaml_load(text, len, name, &d, err)) < 0)
        return rc;
    if (!d->root || d->root->type != PS_Y_MAP) {
        rc = ps_error_set(err, PS_ERR_INPUT, "'%s': not a YAML mapping", name);
        goto out;
    }
    pm = ps_ymap_get(d->root, "procmon");
    loader = ps_ymap_get(pm, "loader");
    etw = ps_ymap_get(d->root, "etw");
    if (!pm || pm->type != PS_Y_MAP || !loader || loader->type != PS_Y_MAP || !etw) {
        rc = ps_error_set(err, PS_ERR_INPUT, "'%s': needs the sections procmon, procmon.loader and etw",
                          name);
        goto out;
    }
    if ((rc = get_ms(d, pm, "b0_window_ms", &c->b0_window, err)) < 0 ||
        (rc = get_list(d, pm, "creator_tail", &c->creator_tail, err)) < 0 ||
        (rc = get_list(d, pm, "subsystem_processes", &c->subsystem_processes, err)) < 0 ||
        (rc = get_list(d, loader, "operations", &c->loader_operations, err)) < 0 ||
        (rc = get_list(d, loader, "file_extensions", &c->loader_file_extensions, err)) < 0 ||
        (rc = get_list(d, loader, "file_paths", &c->loader_file_paths, err)) < 0 ||
        (rc = get_list(d, loader, "registry_paths", &c->loader_registry_paths, err)) < 0 ||
        (rc = get_ms(d, etw, "b6_burst_gap_ms", &c->b6_burst_gap, err)) < 0)
        goto out;
    {
        const ps_ynode *g = ps_ymap_get(pm, "b0_max_gap_events");
        int64_t v;
        if (!g || g->type != PS_Y_SCALAR || !ps_parse_i64(g->value, &v) || v < 0 || v > 1000000) {
            rc = ps_error_set(err, PS_ERR_INPUT, "'%s': line %d: 'b0_max_gap_events' must be a count (0..1000000)",
                              name, g ? g->line : pm->line);
            goto out;
        }
        c->b0_max_gap_events = (uint64_t)v;
    }
    c->el_load_wait = PS_EL_LOAD_WAIT_MS * 10000LL;
    c->el_burst_gap = PS_EL_BURST_GAP_MS * 10000LL;
    {
        const ps_ynode *el = ps_ymap_get(d->root, "eventlog");
        if (el && el->type != PS_Y_MAP) {
            rc = ps_error_set(err, PS_ERR_INPUT, "'%s': line %d: 'eventlog' must be a mapping", name, el->line);
            goto out;
        }
        if (el && ps_ymap_get(el, "load_wait_ms") && (rc = get_ms(d, el, "load_wait_ms", &c->el_load_wait, err)) < 0)
            goto out;
        if (el && ps_ymap_get(el, "b6_burst_gap_ms") &&
            (rc = get_ms(d, el, "b6_burst_gap_ms", &c->el_burst_gap, err)) < 0)
            goto out;
    }
    /* Procmon: B6 without stacks (docs/reconstruction.md, refinement 8) */
    c->pm_b6_map_window = PS_PM_B6_MAP_WINDOW_MS * 10000LL;
    c->pm_b6_evidence_window = PS_PM_B6_EVIDENCE_WINDOW_MS * 10000LL;
    if (ps_ymap_get(pm, "b6_map_window_ms") && (rc = get_ms(d, pm, "b6_map_window_ms", &c->pm_b6_map_window, err)) < 0)
        goto out;
    if (ps_ymap_get(pm, "b6_evidence_window_ms") &&
        (rc = get_ms(d, pm, "b6_evidence_window_ms", &c->pm_b6_evidence_window, err)) < 0)
        goto out;
    {
        const ps_ynode *cd = ps_ymap_get(loader, "current_directory");
        if (cd && (cd->type != PS_Y_SCALAR || (strcmp(cd->value, "true") && strcmp(cd->value, "false")))) {
            rc = ps_error_set(err, PS_ERR_INPUT, "'%s': line %d: 'current_directory' must be true or false",
                              name, cd->line);
            goto out;
        }
        c->loader_current_directory = cd && !strcmp(cd->value, "true");
    }
    c->source = ps_strdup(name);
    if (!c->source)
        rc = ps_error_nomem(err);
out:
    ps_yaml_free(d);
    if (rc < 0)
        ps_recon_config_release(c);
    return rc;
}

int ps_recon_config_load_default(ps_recon_config *c, ps_error *err)
{
    return ps_recon_config_load_text(c, ps_embedded_reconstruct_yml, ps_embedded_reconstruct_yml_len,
                                     "built-in rules/reconstruct.yml", err);
}

int ps_recon_config_load_file(ps_recon_config *c, const char *path, ps_error *err)
{
    ps_ydoc *probe = NULL;
    int rc = ps_yaml_load_file(path, &probe, err);
    FILE *f;
    ps_buf buf;
    char chunk[65536];
    size_t n;

    if (rc < 0)
        return rc;
    ps_yaml_free(probe);
    f = fopen(path, "rb");
    if (!f)
        return ps_error_set(err, PS_ERR_IO, "cannot open '%s': %s", path, ps_errno_text(errno));
    ps_buf_init(&buf);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (ps_buf_append(&buf, chunk, n) < 0) {
            fclose(f);
            ps_buf_release(&buf);
            return ps_error_nomem(err);
        }
    fclose(f);
    rc = ps_recon_config_load_text(c, ps_buf_cstr(&buf), buf.len, path, err);
    ps_buf_release(&buf);
    return rc;
}
