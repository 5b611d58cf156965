/*
 * replace.c - see replace.h.
 */
#include "common/replace.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

#define MAX_LINKS 40

int ps_replace_target(const char *path, char **out, ps_error *err)
{
    char *cur = ps_strdup(path);
    int hops = 0;

    *out = NULL;
    if (!cur)
        return ps_error_nomem(err);
    for (;;) {
        struct stat st;
        char buf[PATH_MAX];
        ssize_t n;
        char *next;

        if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode))
            break;
        if (++hops > MAX_LINKS) {
            free(cur);
            return ps_error_set(err, PS_ERR_IO, "cannot write '%s': %s", path, ps_errno_text(ELOOP));
        }
        n = readlink(cur, buf, sizeof buf - 1);
        if (n < 0) {
            int e = errno;
            free(cur);
            return ps_error_set(err, PS_ERR_IO, "cannot read the link '%s': %s", path, ps_errno_text(e));
        }
        buf[n] = '\0';
        if (buf[0] == '/') {
            next = ps_strdup(buf);
        } else {
            /* relative to the folder that holds the link */
            const char *slash = strrchr(cur, '/');
            size_t dl = slash ? (size_t)(slash - cur) + 1 : 0;
            next = malloc(dl + (size_t)n + 1);
            if (next) {
                memcpy(next, cur, dl);
                memcpy(next + dl, buf, (size_t)n + 1);
            }
        }
        free(cur);
        if (!next)
            return ps_error_nomem(err);
        cur = next;
    }
    *out = cur;
    return 0;
}

int ps_replace_check(const char *target, const char *shown, struct stat *st, bool *exists, ps_error *err)
{
    *exists = false;
    if (stat(target, st) != 0) {
        if (errno == ENOENT)
            return 0;
        return ps_error_set(err, PS_ERR_IO, "cannot write '%s': %s", shown, ps_errno_text(errno));
    }
    *exists = true;
    if (!S_ISREG(st->st_mode))
        return ps_error_set(err, PS_ERR_IO, "cannot write '%s': not a regular file", shown);
    if ((st->st_mode & 0222) == 0 || access(target, W_OK) != 0)
        return ps_error_set(err, PS_ERR_IO, "cannot write '%s': it is read-only (mode %04o); make it writable first",
                            shown, (unsigned)(st->st_mode & 07777));
    if (st->st_nlink > 1)
        return ps_error_set(err, PS_ERR_IO,
                            "cannot write '%s': it has %lu hard links, which replacing it would break; "
                            "write to a copy",
                            shown, (unsigned long)st->st_nlink);
    return 0;
}

/* The process's umask, read without changing it where /proc says it. */
static mode_t current_umask(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    mode_t m;

    if (f) {
        while (fgets(line, sizeof line, f))
            if (!strncmp(line, "Umask:", 6)) {
                fclose(f);
                return (mode_t)strtoul(line + 6, NULL, 8) & 0777;
            }
        fclose(f);
    }
    m = umask(022);
    umask(m);
    return m;
}

int ps_replace_attrs(int fd, const struct stat *st, bool exists, const char *shown, ps_error *err)
{
    mode_t mode = exists ? st->st_mode & 07777 : 0666 & ~current_umask();

    if (exists) {
        /* owner and group first: a chown clears the set-id bits */
        if (fchown(fd, st->st_uid, st->st_gid) != 0 && fchown(fd, (uid_t)-1, st->st_gid) != 0) {
            /* not allowed (another owner, a group the writer is not in):
             * the file stays the writer's, as any editor's copy would */
        }
    }
    if (fchmod(fd, mode) != 0)
        return ps_error_set(err, PS_ERR_IO, "cannot set the mode of the file replacing '%s': %s", shown,
                            ps_errno_text(errno));
    return 0;
}
