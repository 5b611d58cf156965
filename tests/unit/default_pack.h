/*
 * default_pack.h - for unit tests that ingest: the built-in rule pack
 * (which holds the IFEO detectors), compiled once per test program.
 *
 * test_default_rules() returns a rule run over `store` for
 * ps_ingest_opts.rules, owned by the caller (ps_rules_run_free), or NULL
 * with err filled.  The compiled pack lives until the program ends.
 */
#ifndef PS_TEST_DEFAULT_PACK_H
#define PS_TEST_DEFAULT_PACK_H

#include "rules_engine/rules.h"

static ps_ruleset *test_pack;

static ps_rules_run *test_default_rules(ps_store *store, ps_error *err)
{
    ps_rules_run *run = NULL;
    if (!test_pack) {
        if (ps_ruleset_new(&test_pack, err) < 0)
            return NULL;
        if (ps_ruleset_add_default(test_pack, err) < 0 || ps_ruleset_finish(test_pack, err) < 0) {
            ps_ruleset_free(test_pack);
            test_pack = NULL;
            return NULL;
        }
    }
    return ps_rules_run_new(test_pack, store, &run, err) < 0 ? NULL : run;
}

#endif
