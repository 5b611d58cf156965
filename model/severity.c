#include "model/severity.h"

#include "common/util.h"

static const char *const severities[] = {"info", "low", "medium", "high", "critical"};

int ps_severity_rank(const char *name)
{
    size_t i;
    for (i = 0; i < PS_ARRAY_LEN(severities); i++)
        if (name && ps_streq_ci(name, severities[i]))
            return (int)i;
    return -1;
}

const char *ps_severity_name(int rank)
{
    return rank >= 0 && rank < (int)PS_ARRAY_LEN(severities) ? severities[rank] : "unknown";
}
