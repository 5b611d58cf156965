/*
 * ingest.h - for unit tests that ingest: the built-in rule pack (which holds
 * the IFEO detectors), compiled once per test program, and one trace
 * ingested through an ingest session (pipeline/session.h) the way
 * `procstage ingest` does it: rule pack, built-in detectors, stack
 * attribution.
 *
 * test_default_pack() returns the compiled pack (owned by this header, alive
 * until the program ends) or NULL with err filled.  test_ingest() ingests
 * `path` into the open store `s` (not committed); `base` may adjust the
 * session's options (NULL: the defaults with the pack).
 */
#ifndef PS_TEST_INGEST_H
#define PS_TEST_INGEST_H

#include <string.h>

#include "pipeline/session.h"
#include "rules_engine/rules.h"

static ps_ruleset *test_pack;

static const ps_ruleset *test_default_pack(ps_error *err)
{
    if (!test_pack) {
        if (ps_ruleset_new(&test_pack, err) < 0)
            return NULL;
        if (ps_ruleset_add_default(test_pack, err) < 0 || ps_ruleset_finish(test_pack, err) < 0) {
            ps_ruleset_free(test_pack);
            test_pack = NULL;
            return NULL;
        }
    }
    return test_pack;
}

static int test_ingest(ps_store *s, const char *path, const ps_recon_config *cfg, const ps_session_opts *base,
                       ps_trace_result *res, ps_error *err)
{
    ps_session_opts o;
    ps_session *ss = NULL;
    int rc;

    if (base) {
        o = *base;
    } else {
        ps_session_opts_init(&o);
        if (!(o.rules = test_default_pack(err)))
            return err->code ? err->code : PS_ERR_INTERNAL;
    }
    o.config = cfg;
    if ((rc = ps_session_new(s, &o, &ss, err)) < 0)
        return rc;
    rc = ps_session_add(ss, path, res, err);
    ps_session_free(ss);
    return rc;
}

#endif
