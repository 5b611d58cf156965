/*
 * tmpclean.c - temporary files removed on SIGINT, SIGTERM, SIGHUP, SIGQUIT
 * (tmpclean.h).
 */
#define _GNU_SOURCE
#include "common/tmpclean.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* a slot is free (0), being filled or emptied (1), or names a file (2) */
typedef struct slot {
    atomic_int state;
    char path[PATH_MAX];
} slot;

static slot slots[PS_TMPCLEAN_SLOTS];
static const int signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

static void on_signal(int sig)
{
    int saved = errno, i;
    struct sigaction dfl;

    for (i = 0; i < PS_TMPCLEAN_SLOTS; i++)
        if (atomic_load(&slots[i].state) == 2)
            unlink(slots[i].path);
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    /* blocked while the handler runs: delivered, with the default action,
     * when it returns */
    raise(sig);
    errno = saved;
}

static void install_once(void)
{
    size_t i;

    for (i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        struct sigaction old, sa;
        if (sigaction(signals[i], NULL, &old) != 0 || old.sa_handler == SIG_IGN)
            continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        sigaction(signals[i], &sa, NULL);
    }
}

void ps_tmpclean_install(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, install_once);
}

/* a free slot, claimed (state 1), or NULL */
static slot *claim(void)
{
    int i;
    for (i = 0; i < PS_TMPCLEAN_SLOTS; i++) {
        int expect = 0;
        if (atomic_compare_exchange_strong(&slots[i].state, &expect, 1))
            return &slots[i];
    }
    return NULL;
}

/* Replaces the trailing X's of name with random letters and digits. */
static void randomise(char *name, size_t nx)
{
    static const char set[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    static atomic_uint counter;
    unsigned char r[32];
    size_t n = strlen(name), i;

    if (getrandom(r, nx, GRND_NONBLOCK) != (ssize_t)nx) {
        unsigned v = (unsigned)getpid() * 2654435761u ^ (unsigned)time(NULL) ^ atomic_fetch_add(&counter, 1) * 40503u;
        for (i = 0; i < nx; i++) {
            v = v * 1103515245u + 12345u;
            r[i] = (unsigned char)(v >> 16);
        }
    }
    for (i = 0; i < nx; i++)
        name[n - nx + i] = set[r[i] % (sizeof set - 1)];
}

/* The number of trailing X's of a template (at most 16), or 0 with errno
 * set when there are fewer than six or the name is too long. */
static size_t template_xs(const char *tpl)
{
    size_t n = strlen(tpl), nx = 0;

    while (nx < n && nx < 16 && tpl[n - 1 - nx] == 'X')
        nx++;
    if (nx < 6 || n >= PATH_MAX) {
        errno = nx < 6 ? EINVAL : ENAMETOOLONG;
        return 0;
    }
    return nx;
}

/* Creates a file under a name made from tpl, recorded before the file is
 * created (a signal then unlinks a name that may not exist yet, which is
 * harmless), so that no thread's signal finds the file there and its name
 * not recorded: a new empty file (link_fd < 0: its descriptor), or a name
 * for the unnamed file link_fd (0).  -1 with errno set. */
static int create_named(char *tpl, int link_fd)
{
    size_t nx = template_xs(tpl);
    char proc[64];
    int tries, e = EEXIST;

    if (!nx)
        return -1;
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", link_fd);
    for (tries = 0; tries < 100; tries++) {
        struct stat st;
        int fd;

        randomise(tpl, nx);
        if (lstat(tpl, &st) == 0)
            continue;
        if (ps_tmpclean_add(tpl) < 0)
            return -1;
        if (link_fd < 0)
            fd = open(tpl, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        else
            fd = linkat(AT_FDCWD, proc, AT_FDCWD, tpl, AT_SYMLINK_FOLLOW);
        if (fd >= 0)
            return fd;
        e = errno;
        ps_tmpclean_forget(tpl);
        if (e != EEXIST)
            break;
    }
    errno = e;
    return -1;
}

int ps_tmpclean_mkstemp(char *tpl)
{
    return create_named(tpl, -1);
}

int ps_tmpclean_add(const char *path)
{
    slot *s;

    if (strlen(path) >= PATH_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (!(s = claim())) {
        errno = EMFILE;
        return -1;
    }
    memcpy(s->path, path, strlen(path) + 1);
    atomic_store(&s->state, 2);
    return 0;
}

void ps_tmpclean_forget(const char *path)
{
    int i;

    for (i = 0; i < PS_TMPCLEAN_SLOTS; i++) {
        int expect = 2;
        if (atomic_load(&slots[i].state) != 2 || strcmp(slots[i].path, path))
            continue;
        if (atomic_compare_exchange_strong(&slots[i].state, &expect, 1)) {
            slots[i].path[0] = '\0';
            atomic_store(&slots[i].state, 0);
            return;
        }
    }
}

int ps_tmpclean_anon(const char *dir)
{
#ifdef O_TMPFILE
    return open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#else
    (void)dir;
    errno = EOPNOTSUPP;
    return -1;
#endif
}

int ps_tmpclean_link(int fd, char *tpl)
{
    return fd < 0 ? (errno = EBADF, -1) : create_named(tpl, fd);
}

bool ps_tmpclean_can_link(void)
{
    return access("/proc/self/fd", X_OK) == 0;
}
