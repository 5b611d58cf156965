/*
 * tables - prints the extension tables of procstage, one "KIND NAME" line
 * each, for tests/cli/tables.sh, which checks that the documentation names
 * every entry: readers, report kinds, detectors, rule modifiers, logsource
 * categories and services, source families.
 */
#include <stdbool.h>
#include <stdio.h>

#include "model/trace.h"
#include "parsers/reader.h"
#include "reports/report.h"
#include "rules_engine/detect.h"
#include "rules_engine/logsource.h"
#include "rules_engine/rules.h"

int main(void)
{
    const ps_reader_ops *const *r;
    const ps_report_kind *k;
    const ps_detector_info *d;
    const ps_ls_service *sv;
    const char *m;
    bool supported;
    size_t i, n;

    r = ps_readers(&n);
    for (i = 0; i < n; i++)
        printf("reader %s\n", r[i]->name);
    for (i = 0; (k = ps_report_kind_at(i)) != NULL; i++)
        printf("report %s\n", k->name);
    for (i = 0; (d = ps_detector_at(i)) != NULL; i++)
        printf("detector %s\n", d->id);
    for (i = 0; (m = ps_rule_modifier(i, &supported)) != NULL; i++)
        printf("modifier %s %s\n", m, supported ? "supported" : "refused");
    for (i = 0; i < LS_SERVICE_FIRST; i++)
        if (ps_ls_category_name((int)i))
            printf("category %s\n", ps_ls_category_name((int)i));
    sv = ps_ls_services(&n);
    for (i = 0; i < n; i++)
        printf("service %s\n", sv[i].name);
    for (i = PS_FAMILY_PROCMON; i <= PS_FAMILY_EVENTLOG; i++)
        printf("family %s\n", ps_source_family_name((ps_source_family)i));
    return ferror(stdout) ? 1 : 0;
}
