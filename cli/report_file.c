/*
 * report_file.c - writing a report to a named file atomically: a temporary
 * file next to it, renamed into place only when the report is complete, so
 * that a failed report never leaves a partial file (nor touches an older one).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/util.h"
#include "reports/output.h"

int ps_cli_report_to(ps_cli *cli, const char *path, ps_cli_report_fn run, ps_store *store, ps_report_opts *ro)
{
    ps_error err;
    ps_buf tmp;
    FILE *f = NULL;
    int fd = -1, rc = PS_EXIT_OK;
    mode_t mask;

    ps_error_clear(&err);
    if (!path || !strcmp(path, "-")) {
        ro->out = stdout;
        if (run(store, ro, &err) < 0)
            return ps_cli_fail(cli, &err);
        return PS_EXIT_OK;
    }
    ps_buf_init(&tmp);
    if (ps_buf_printf(&tmp, "%s.tmp-XXXXXX", path) < 0) {
        ps_cli_error(cli, "out of memory");
        return PS_EXIT_IO;
    }
    fd = mkstemp(tmp.data);
    if (fd < 0) {
        ps_cli_error(cli, "cannot create a temporary file next to '%s': %s", path, ps_errno_text(errno));
        ps_buf_release(&tmp);
        return PS_EXIT_IO;
    }
    mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0 || !(f = fdopen(fd, "w"))) {
        ps_cli_error(cli, "cannot write '%s': %s", path, ps_errno_text(errno));
        rc = PS_EXIT_IO;
        goto fail;
    }
    fd = -1;
    ro->out = f;
    if (run(store, ro, &err) < 0) {
        rc = ps_cli_fail(cli, &err);
        goto fail;
    }
    if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0) {
        ps_cli_error(cli, "cannot write '%s': %s", path, ps_errno_text(errno ? errno : EIO));
        rc = PS_EXIT_IO;
        goto fail;
    }
    if (fclose(f) != 0) {
        f = NULL;
        ps_cli_error(cli, "cannot write '%s': %s", path, ps_errno_text(errno));
        rc = PS_EXIT_IO;
        goto fail;
    }
    f = NULL;
    if (rename(tmp.data, path) != 0) {
        ps_cli_error(cli, "cannot rename the report into place as '%s': %s", path, ps_errno_text(errno));
        rc = PS_EXIT_IO;
        goto fail;
    }
    ps_buf_release(&tmp);
    ro->out = stdout;
    return PS_EXIT_OK;
fail:
    if (f)
        fclose(f);
    if (fd >= 0)
        close(fd);
    unlink(tmp.data);
    ps_buf_release(&tmp);
    ro->out = stdout;
    return rc;
}
