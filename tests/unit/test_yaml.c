/* common/yamltree.c and model/config.c */
#include "common/yamltree.h"
#include "recon/config.h"
#include "tap.h"

static int load(const char *text, ps_ydoc **d, ps_error *err)
{
    ps_error_clear(err);
    return ps_yaml_load(text, strlen(text), "t.yml", d, err);
}

int main(void)
{
    ps_ydoc *d = NULL;
    ps_error err;
    ps_recon_config cfg;
    int rc;

    rc = load("a: 1\nlist:\n  - x\n  - 'y'\nmap: {k: v}\nn: ~\n", &d, &err);
    ok(rc == 0 && d->root && d->root->type == PS_Y_MAP && d->root->n == 4, "mapping with four keys");
    if (rc == 0) {
        ps_ynode *l = ps_ymap_get(d->root, "list");
        ok(l && l->type == PS_Y_SEQ && l->n == 2 && !strcmp(l->items[1]->value, "y"), "sequence items");
        ok(l && l->items[1]->quoted && !l->items[0]->quoted, "quoting is recorded");
        ok(l && l->line == 3, "line numbers are kept (%d)", l ? l->line : 0);
        ok(ps_yscalar_is_null(ps_ymap_get(d->root, "n")), "~ is null");
        ps_yaml_free(d);
    }
    rc = load("base: &b [1, 2]\nuse: *b\n", &d, &err);
    ok(rc == 0 && ps_ymap_get(d->root, "use") == ps_ymap_get(d->root, "base"), "aliases resolve by reference");
    ps_yaml_free(d);

    rc = load("a: &a [*a]\n", &d, &err);
    ok(rc < 0, "an alias to an open node is refused: %s", err.msg);
    rc = load("a: [1, 2\n", &d, &err);
    ok(rc == PS_ERR_INPUT && strstr(err.msg, "t.yml") && strstr(err.msg, "line"), "syntax error: %s", err.msg);
    {
        /* billion laughs */
        char bomb[4096];
        int i, k = snprintf(bomb, sizeof bomb, "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (i = 1; i < 9; i++)
            k += snprintf(bomb + k, sizeof bomb - (size_t)k,
                          "l%d: &l%d [*l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d]\n", i, i, i - 1,
                          i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
        rc = load(bomb, &d, &err);
        ok(rc == PS_ERR_LIMIT, "billion laughs stops at the expansion limit: %s", err.msg);
    }
    {
        char deep[400];
        int i;
        for (i = 0; i < 100; i++)
            deep[i] = '[';
        deep[100] = '\0';
        rc = load(deep, &d, &err);
        ok(rc == PS_ERR_LIMIT && strstr(err.msg, "deeper"), "nesting limit: %s", err.msg);
    }
    rc = load("a: 1\n---\nb: 2\n", &d, &err);
    ok(rc == PS_ERR_INPUT && strstr(err.msg, "more than one"), "one document only: %s", err.msg);

    ps_error_clear(&err);
    rc = ps_recon_config_load_default(&cfg, &err);
    ok(rc == 0, "the built-in reconstruct.yml loads: %s", err.msg);
    ok(cfg.b0_window == 2000 * 10000LL, "b0 window 2 s");
    ok(cfg.loader_operations.n >= 2 && cfg.subsystem_processes.n >= 1, "lists are loaded");
    ps_recon_config_release(&cfg);
    {
        const char bad[] = "version: 1\nprocmon:\n  b0_window_ms: soon\n";
        rc = ps_recon_config_load_text(&cfg, bad, sizeof bad - 1, "r.yml", &err);
        ok(rc == PS_ERR_INPUT, "a bad config is an input error: %s", err.msg);
    }
    return tap_done();
}
