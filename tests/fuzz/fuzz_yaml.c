/*
 * fuzz_yaml - the YAML tree loader (limits on depth, nodes and alias
 * expansion) and the reconstruction config built on it.
 */
#include "common/yamltree.h"
#include "fuzz.h"
#include "recon/config.h"
#include "source/stage_map.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ps_ydoc *d = NULL;
    ps_recon_config c;
    ps_error err;

    if (ps_yaml_load((const char *)data, size, "fuzz.yml", &d, &err) == 0)
        ps_yaml_free(d);
    if (ps_recon_config_load_text(&c, (const char *)data, size, "fuzz.yml", &err) == 0)
        ps_recon_config_release(&c);
    {
        ps_stage_map m;   /* the stage map (rules/stages.yml) */
        if (ps_stage_map_load_text(&m, (const char *)data, size, "fuzz.yml", &err) == 0)
            ps_stage_map_release(&m);
    }
    return 0;
}
