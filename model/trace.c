#include "model/trace.h"

const char *ps_source_family_name(ps_source_family f)
{
    switch (f) {
    case PS_FAMILY_PROCMON: return "procmon";
    case PS_FAMILY_ETW: return "etw";
    case PS_FAMILY_EVENTLOG: return "eventlog";
    }
    return "?";
}
