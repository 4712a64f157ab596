/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* app.c: host applications declare themselves running with a locked file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"

/*
 * Registration is <runtime dir>/apps/APP holding the PID, with an
 * open-file-description write lock on it.  The kernel drops the lock when
 * the last descriptor of that description closes, so a crash (even
 * SIGKILL) ends the registration without anyone cleaning up.
 */
struct ivshare_app {
    int fd;
    char path[PATH_MAX];
};

static int ivshare_app_path(const char *app, char *path, size_t len, bool mkdirs)
{
    char dir[PATH_MAX];
    int rc;

    if (!app || !ivshare_name_valid(app, IVSHARE_NAME_LEN))
        return -EINVAL;
    rc = ivshare_runtime_dir(dir, sizeof(dir));
    if (rc < 0)
        return rc;
    if (mkdirs) {
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
            return -errno;
    }
    if ((size_t)snprintf(path, len, "%s/apps", dir) >= len)
        return -ENAMETOOLONG;
    if (mkdirs && mkdir(path, 0755) < 0 && errno != EEXIST)
        return -errno;
    if ((size_t)snprintf(path, len, "%s/apps/%s", dir, app) >= len)
        return -ENAMETOOLONG;
    return 0;
}

/*
 * Open and lock the registration file: 0, -EBUSY when a live process holds
 * it, -EAGAIN when it was replaced under us (retry), negative errno.
 */
static int ivshare_app_lock(ivshare_app *a)
{
    struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    struct stat held, now;

    a->fd = open(a->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (a->fd < 0)
        return -errno;
    if (fcntl(a->fd, F_OFD_SETLK, &lk) < 0) {
        int rc = (errno == EAGAIN || errno == EACCES) ? -EBUSY : -errno;
        close(a->fd);
        return rc;
    }
    /* the previous holder may have unlinked the file we opened */
    if (fstat(a->fd, &held) < 0 || stat(a->path, &now) < 0 ||
        held.st_dev != now.st_dev || held.st_ino != now.st_ino) {
        close(a->fd);
        return -EAGAIN;
    }
    return 0;
}

IVSHARE_EXPORT int ivshare_app_register(const char *app, ivshare_app **out)
{
    char pid[32];
    ivshare_app *a;
    int rc, n;

    if (!out)
        return -EINVAL;
    a = calloc(1, sizeof(*a));
    if (!a)
        return -ENOMEM;
    rc = ivshare_app_path(app, a->path, sizeof(a->path), true);
    for (unsigned attempt = 0; rc == 0 && attempt < 16; attempt++) {
        rc = ivshare_app_lock(a);
        if (rc != -EAGAIN)
            break;
    }
    if (rc < 0) {
        free(a);
        return rc;
    }
    n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    errno = EIO;
    if (ftruncate(a->fd, 0) < 0 || pwrite(a->fd, pid, (size_t)n, 0) != n) {
        rc = -errno;
        close(a->fd);
        free(a);
        return rc;
    }
    *out = a;
    return 0;
}

IVSHARE_EXPORT void ivshare_app_unregister(ivshare_app *a)
{
    if (!a)
        return;
    /* unlink while still holding the lock: nobody sees a stale live file */
    unlink(a->path);
    close(a->fd);
    free(a);
}

int ivshare_app_probe(const char *app, int *pid)
{
    struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    char path[PATH_MAX];
    int fd, rc;

    rc = ivshare_app_path(app, path, sizeof(path), false);
    if (rc < 0)
        return rc;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -errno;
    /* F_OFD_GETLK reports OFD and POSIX locks alike; l_pid is -1 for OFD */
    if (fcntl(fd, F_OFD_GETLK, &lk) < 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    if (lk.l_type == F_UNLCK) {
        close(fd);
        return 0;
    }
    if (pid) {
        char text[32] = "";
        ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
        long v = 0;

        if (n > 0) {
            text[n] = '\0';
            v = strtol(text, NULL, 10);
        }
        *pid = lk.l_pid > 0 ? lk.l_pid : (v > 0 && v <= INT_MAX ? (int)v : 0);
    }
    close(fd);
    return 1;
}
