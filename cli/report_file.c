/*
 * report_file.c - writing a report to a named file atomically: a temporary
 * file next to it, renamed into place only when the report is complete, so
 * that a failed report never leaves a partial file (nor touches an older one).
 * The temporary file has no name until the report is complete (O_TMPFILE)
 * where the file system allows, and is removed by an interrupting signal
 * otherwise (common/tmpclean.h).
 */
#include <errno.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/replace.h"
#include "common/tmpclean.h"
#include "common/util.h"
#include "reports/output.h"

int ps_cli_report_to(ps_cli *cli, const char *path, ps_cli_report_fn run, ps_store *store, ps_report_opts *ro)
{
    ps_error err;
    ps_buf tmp;
    FILE *f = NULL;
    int fd = -1, rc = PS_EXIT_OK;
    bool anon = false, named = false;
    char *dir, *target = NULL;
    const char *model;
    struct stat st, mst;
    bool exists;

    ps_error_clear(&err);
    if (!path || !strcmp(path, "-")) {
        ro->out = stdout;
        if (run(store, ro, &err) < 0)
            return ps_cli_fail(cli, &err);
        return PS_EXIT_OK;
    }
    /* through a symbolic link to its target; never over the model being
     * read, nor over what should not be replaced (common/replace.h) */
    if (ps_replace_target(path, &target, &err) < 0 || ps_replace_check(target, path, &st, &exists, &err) < 0) {
        free(target);
        return ps_cli_fail(cli, &err);
    }
    model = ps_store_file(store);
    if (exists && model && stat(model, &mst) == 0 && mst.st_dev == st.st_dev && mst.st_ino == st.st_ino) {
        ps_cli_error(cli, "cannot write the report to '%s': it is the model being read", path);
        free(target);
        return PS_EXIT_USAGE;
    }
    ps_buf_init(&tmp);
    if (ps_buf_printf(&tmp, "%s.tmp-XXXXXX", target) < 0 || !(dir = ps_strdup(target))) {
        ps_cli_error(cli, "out of memory");
        ps_buf_release(&tmp);
        free(target);
        return PS_EXIT_IO;
    }
    /* an unnamed file in the target's folder (O_TMPFILE), named only just
     * before the rename; else a named one, removed by an interrupting signal */
    if (ps_tmpclean_can_link() && (fd = ps_tmpclean_anon(dirname(dir))) >= 0) {
        anon = true;
    } else {
        fd = ps_tmpclean_mkstemp(tmp.data);
        named = fd >= 0;
    }
    free(dir);
    if (fd < 0) {
        ps_cli_error(cli, "cannot create a temporary file next to '%s': %s", path, ps_errno_text(errno));
        ps_buf_release(&tmp);
        free(target);
        return PS_EXIT_IO;
    }
    if (ps_replace_attrs(fd, &st, exists, path, &err) < 0) {
        rc = ps_cli_fail(cli, &err);
        goto fail;
    }
    if (!(f = fdopen(fd, "w"))) {
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
    if (anon) {
        if (ps_tmpclean_link(fileno(f), tmp.data) != 0) {
            ps_cli_error(cli, "cannot name the temporary file next to '%s': %s", path, ps_errno_text(errno));
            rc = PS_EXIT_IO;
            goto fail;
        }
        named = true;
    }
    if (fclose(f) != 0) {
        f = NULL;
        ps_cli_error(cli, "cannot write '%s': %s", path, ps_errno_text(errno));
        rc = PS_EXIT_IO;
        goto fail;
    }
    f = NULL;
    if (rename(tmp.data, target) != 0) {
        ps_cli_error(cli, "cannot rename the report into place as '%s': %s", path, ps_errno_text(errno));
        rc = PS_EXIT_IO;
        goto fail;
    }
    ps_tmpclean_forget(tmp.data);
    ps_buf_release(&tmp);
    free(target);
    ro->out = stdout;
    return PS_EXIT_OK;
fail:
    if (f)
        fclose(f);
    if (fd >= 0)
        close(fd);
    if (named) {
        unlink(tmp.data);
        ps_tmpclean_forget(tmp.data);
    }
    ps_buf_release(&tmp);
    free(target);
    ro->out = stdout;
    return rc;
}
