/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * apps.c: watching registered host applications.
 *
 * A registration is RUNTIME/apps/APP, locked by the live process
 * (ivshare_app_register).  Each live one gets a pidfd in the main loop:
 * it becomes readable the moment the process ends, however it ends.  An
 * application that unregisters while running counts as gone as well.
 */
#include "daemon.h"

#include <errno.h>
#include <glib-unix.h>
#include <sys/syscall.h>
#include <unistd.h>

#define RESCAN_INTERVAL_MS 1000

static void
app_free(ivshared_app *a)
{
    if (a->source_id)
        g_source_remove(a->source_id);
    if (a->pidfd >= 0)
        close(a->pidfd);
    g_free(a->name);
    g_free(a);
}

static void
app_gone(ivshared *d, const char *name, const char *how)
{
    g_autofree char *app = g_strdup(name);

    g_message("host application '%s' %s", app, how);
    g_hash_table_remove(d->apps, app);
    ivshared_policy_app_exit(d, app);
}

static gboolean
on_pidfd(int fd, GIOCondition cond, gpointer data)
{
    ivshared_app *a = data;

    a->source_id = 0; /* removed by returning FALSE */
    app_gone(a->daemon, a->name, "exited");
    return G_SOURCE_REMOVE;
}

static void
watch_app(ivshared *d, const char *name, int pid)
{
    ivshared_app *a;
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);

    if (fd < 0) {
        /* ESRCH: it died between the probe and now */
        if (errno == ESRCH)
            ivshared_policy_app_exit(d, name);
        else
            g_warning("cannot watch host application '%s' (process %d): %s",
                      name, pid, g_strerror(errno));
        return;
    }
    a = g_new0(ivshared_app, 1);
    a->daemon = d;
    a->name = g_strdup(name);
    a->pid = pid;
    a->pidfd = fd;
    a->source_id = g_unix_fd_add(fd, G_IO_IN, on_pidfd, a);
    g_hash_table_replace(d->apps, a->name, a);
    g_message("watching host application '%s' (process %d)", name, pid);
}

void
ivshared_apps_rescan(ivshared *d)
{
    g_autofree char *dir = g_build_filename(d->conf->runtime_dir, "apps", NULL);
    g_autoptr(GDir) apps = g_dir_open(dir, 0, NULL);
    g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func(g_free);
    GHashTableIter iter;
    ivshared_app *a;
    const char *name;

    while (apps && (name = g_dir_read_name(apps))) {
        int pid = 0;
        if (name[0] == '.' || ivshare_app_probe(name, &pid) != 1)
            continue;
        a = g_hash_table_lookup(d->apps, name);
        if (a && a->pid == pid)
            continue;
        if (a)
            g_hash_table_remove(d->apps, name); /* registered again by another process */
        watch_app(d, name, pid);
    }

    /* watched applications whose registration went away while they run */
    g_hash_table_iter_init(&iter, d->apps);
    while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&a)) {
        int pid = 0;
        if (ivshare_app_probe(a->name, &pid) != 1 || pid != a->pid)
            g_ptr_array_add(gone, g_strdup(a->name));
    }
    for (guint i = 0; i < gone->len; i++)
        app_gone(d, g_ptr_array_index(gone, i), "unregistered");
}

GFileMonitor *
ivshared_watch_dir(ivshared *d, const char *sub, GCallback changed, GError **error)
{
    g_autofree char *dir = g_build_filename(d->conf->runtime_dir, sub, NULL);
    g_autoptr(GFile) file = g_file_new_for_path(dir);
    GFileMonitor *m;

    if (g_mkdir_with_parents(dir, 0755) < 0) {
        int err = errno;
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_FAILED,
                    _("cannot create directory '%s': %s"), dir, g_strerror(err));
        return NULL;
    }
    if (!(m = g_file_monitor_directory(file, G_FILE_MONITOR_NONE, NULL, error)))
        return NULL;
    g_file_monitor_set_rate_limit(m, 20);
    g_signal_connect_swapped(m, "changed", changed, d);
    return m;
}

static gboolean
on_rescan(gpointer data)
{
    ivshared_apps_rescan(data);
    return G_SOURCE_CONTINUE;
}

gboolean
ivshared_apps_start(ivshared *d, GError **error)
{
    d->apps = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)app_free);
    if (!(d->apps_monitor = ivshared_watch_dir(d, "apps", G_CALLBACK(ivshared_apps_rescan), error)))
        return FALSE;
    /* inotify misses nothing we rely on, but a lock taken after the last
     * event is only seen by looking again */
    d->rescan_id = g_timeout_add(RESCAN_INTERVAL_MS, on_rescan, d);
    ivshared_apps_rescan(d);
    return TRUE;
}

void
ivshared_apps_stop(ivshared *d)
{
    if (d->rescan_id)
        g_source_remove(d->rescan_id);
    g_clear_object(&d->apps_monitor);
    g_clear_pointer(&d->apps, g_hash_table_unref);
}
