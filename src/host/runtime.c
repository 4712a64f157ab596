/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* runtime.c: the daemon's presence in the runtime directory. */
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static char *
pid_path(const ivshare_conf *conf)
{
    return g_build_filename(conf->runtime_dir, "ivshared.pid", NULL);
}

int
ivshare_daemon_lock(const ivshare_conf *conf, GError **error)
{
    g_autofree char *path = pid_path(conf);
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    char pid[32];
    int fd, n;

    if (g_mkdir_with_parents(conf->runtime_dir, 0755) < 0 ||
        (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
        int err = errno;
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_FAILED,
                    _("cannot create '%s': %s"), path, g_strerror(err));
        return -1;
    }
    if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
        int err = errno;
        close(fd);
        if (err == EAGAIN || err == EACCES)
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_BUSY,
                        _("another ivshared is running (it holds '%s')"), path);
        else
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_FAILED,
                        _("cannot lock '%s': %s"), path, g_strerror(err));
        return -1;
    }
    n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, n, 0) != n) {
        int err = errno;
        close(fd);
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_FAILED,
                    _("cannot write '%s': %s"), path, g_strerror(err));
        return -1;
    }
    return fd;
}

gboolean
ivshare_daemon_running(const ivshare_conf *conf, int *pid)
{
    g_autofree char *path = pid_path(conf);
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    char buf[32] = { 0 };
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    gboolean running;

    if (fd < 0)
        return FALSE;
    running = fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
    if (running && pid && pread(fd, buf, sizeof(buf) - 1, 0) > 0)
        *pid = atoi(buf);
    close(fd);
    return running;
}

gboolean
ivshare_pid_host_app(const ivshare_conf *conf, int pid, char *name, gsize len)
{
    g_autofree char *dir = g_build_filename(conf->runtime_dir, "apps", NULL);
    g_autoptr(GDir) apps = g_dir_open(dir, 0, NULL);
    const char *app;

    while (apps && (app = g_dir_read_name(apps))) {
        int owner = 0;
        if (app[0] != '.' && ivshare_app_probe(app, &owner) == 1 && owner == pid) {
            g_strlcpy(name, app, len);
            return TRUE;
        }
    }
    return FALSE;
}

gboolean
ivshare_pid_qemu_domain(int pid, char *name, gsize len)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/cmdline", pid);
    g_autofree char *cmdline = NULL;
    gsize n = 0;

    if (!g_file_get_contents(path, &cmdline, &n, NULL))
        return FALSE;
    /* QEMU started by libvirt: "-name" "guest=DOMAIN,debug-threads=on" */
    for (gsize i = 0; i + 1 < n; i += strlen(cmdline + i) + 1) {
        if (g_str_equal(cmdline + i, "-name") && i + 6 < n) {
            const char *arg = cmdline + i + 6;
            const char *start = g_str_has_prefix(arg, "guest=") ? arg + 6 : arg;
            gsize end = strcspn(start, ",");
            g_snprintf(name, len, "%.*s", (int)MIN(end, len - 1), start);
            return TRUE;
        }
    }
    return FALSE;
}

guint
ivshare_kill_qemu(const char *domain)
{
    g_autoptr(GDir) proc = g_dir_open("/proc", 0, NULL);
    const char *entry;
    guint killed = 0;

    while (proc && (entry = g_dir_read_name(proc))) {
        char name[256];
        int pid = atoi(entry);
        if (pid > 1 && ivshare_pid_qemu_domain(pid, name, sizeof(name)) &&
            g_str_equal(name, domain) && kill(pid, SIGKILL) == 0)
            killed++;
    }
    return killed;
}
