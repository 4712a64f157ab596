/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * policy.c: the lifecycle rule.  When a host application is gone, every
 * running domain that uses one of its regions gets the region's
 * on-host-app-exit policy: destroy, or an ACPI shutdown followed by a
 * destroy once shutdown-timeout has passed.
 *
 * Destroys run in worker threads, all at once: each waits for its QEMU to
 * go, and one after the other they would take seconds for several domains.
 */
#include "daemon.h"

#include <libvirt/virterror.h>

#include "runtime.h"

typedef struct {
    ivshared *daemon;
    char *domain;
} pending_destroy;

static void
pending_destroy_free(pending_destroy *p)
{
    g_free(p->domain);
    g_free(p);
}

static const char *
last_virt_error(void)
{
    const virError *e = virGetLastError();
    return e && e->message ? e->message : "unknown libvirt error";
}

typedef struct {
    ivshared *daemon;
    virDomainPtr dom;
    gboolean local;           /* QEMU runs on this host (qemu:///system) */
    char *why;
} destroy_job;

static void
destroy_job_free(destroy_job *j)
{
    virDomainFree(j->dom);
    g_free(j->why);
    g_atomic_int_dec_and_test(&j->daemon->destroys);
    g_free(j);
}

static void
destroy_in_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
    destroy_job *j = data;

    /* A local QEMU is stopped at once: libvirt's destroy asks it to quit
     * and waits; SIGKILL ends it now, and libvirt, seeing its monitor
     * close, marks the domain shut off.  The destroy then cleans up. */
    if (j->local) {
        guint killed = ivshare_kill_qemu(virDomainGetName(j->dom));
        g_debug("domain '%s': sent SIGKILL to %u QEMU process(es)", virDomainGetName(j->dom), killed);
    }
    if (virDomainDestroy(j->dom) < 0 && virDomainIsActive(j->dom) == 1)
        g_warning("cannot destroy domain '%s': %s", virDomainGetName(j->dom), last_virt_error());
    else
        g_message("destroyed domain '%s': %s", virDomainGetName(j->dom), j->why);
    g_task_return_boolean(task, TRUE);
}

static void
destroy_domain(ivshared *d, const char *name, const char *why)
{
    g_autoptr(GTask) task = NULL;
    virDomainPtr dom = d->conn ? virDomainLookupByName(d->conn, name) : NULL;
    g_autofree char *uri = d->conn ? virConnectGetURI(d->conn) : NULL;
    destroy_job *j;

    if (!dom || virDomainIsActive(dom) != 1) {
        if (dom)
            virDomainFree(dom);
        return;
    }
    j = g_new0(destroy_job, 1);
    j->daemon = d;
    j->dom = dom;
    j->local = uri && g_str_has_prefix(uri, "qemu:///");
    j->why = g_strdup(why);
    g_atomic_int_inc(&d->destroys);
    task = g_task_new(NULL, NULL, NULL, NULL);
    g_task_set_task_data(task, j, (GDestroyNotify)destroy_job_free);
    g_task_run_in_thread(task, destroy_in_thread);
}

static gboolean
on_shutdown_timeout(gpointer data)
{
    pending_destroy *p = data;

    destroy_domain(p->daemon, p->domain, "it did not shut down in time");
    g_hash_table_remove(p->daemon->shutdowns, p->domain);
    return G_SOURCE_REMOVE;
}

static void
stop_domain(ivshared *d, const char *name, const char *app, ivshare_exit_policy policy, guint timeout)
{
    g_autoptr(virDomain) dom = NULL;
    g_autofree char *why = g_strdup_printf("host application '%s' is gone", app);
    pending_destroy *p;

    if (!d->conn) {
        g_warning("cannot stop domain '%s' (%s): not connected to libvirt", name, why);
        return;
    }
    dom = virDomainLookupByName(d->conn, name);
    if (!dom || virDomainIsActive(dom) != 1)
        return;
    if (policy == IVSHARE_EXIT_DESTROY) {
        destroy_domain(d, name, why);
        return;
    }
    if (g_hash_table_contains(d->shutdowns, name))
        return;
    if (virDomainShutdown(dom) < 0) {
        g_warning("cannot shut down domain '%s': %s; destroying it", name, last_virt_error());
        destroy_domain(d, name, why);
        return;
    }
    g_message("shutting down domain '%s' (%s), destroying it in %u s if it still runs", name, why, timeout);
    p = g_new0(pending_destroy, 1);
    p->daemon = d;
    p->domain = g_strdup(name);
    g_hash_table_insert(d->shutdowns, g_strdup(name),
                        GUINT_TO_POINTER(g_timeout_add_seconds_full(G_PRIORITY_DEFAULT, timeout,
                                                                    on_shutdown_timeout, p,
                                                                    (GDestroyNotify)pending_destroy_free)));
}

void
ivshared_policy_app_exit(ivshared *d, const char *app)
{
    g_auto(GStrv) regions = ivshare_region_list(d->conf);

    if (!d->shutdowns)
        d->shutdowns = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (char **region = regions; *region; region++) {
        g_autoptr(GKeyFile) rec = ivshare_region_record(*region, d->conf);
        g_autofree char *owner = rec ? g_key_file_get_string(rec, "region", "host-app", NULL) : NULL;
        g_autofree char *policy = NULL;
        g_auto(GStrv) users = NULL;
        int timeout;

        if (g_strcmp0(owner, app) != 0)
            continue;
        policy = g_key_file_get_string(rec, "region", "on-host-app-exit", NULL);
        timeout = g_key_file_get_integer(rec, "region", "shutdown-timeout", NULL);
        users = ivshare_region_users(*region, d->conf);
        /* nobody maps it any more: its file goes now (otherwise the release
         * of its last domain removes it) */
        if (!users[0]) {
            g_autoptr(GError) error = NULL;
            if (ivshare_region_remove_unused(*region, d->conf, &error))
                g_message("removed region '%s': its host application '%s' is gone", *region, app);
            else if (error)
                g_warning("cannot remove region '%s': %s", *region, error->message);
        }
        for (char **dom = users; *dom; dom++)
            stop_domain(d, *dom, app,
                        ivshare_exit_policy_from_string(policy) == IVSHARE_EXIT_SHUTDOWN ?
                        IVSHARE_EXIT_SHUTDOWN : IVSHARE_EXIT_DESTROY,
                        timeout > 0 ? (guint)timeout : d->conf->shutdown_timeout);
    }
}

void
ivshared_policy_sweep(ivshared *d)
{
    g_auto(GStrv) regions = ivshare_region_list(d->conf);

    for (char **region = regions; *region; region++) {
        g_autoptr(GKeyFile) rec = ivshare_region_record(*region, d->conf);
        g_autofree char *owner = rec ? g_key_file_get_string(rec, "region", "host-app", NULL) : NULL;
        g_auto(GStrv) users = ivshare_region_users(*region, d->conf);

        if (owner && users[0] && ivshare_app_probe(owner, NULL) != 1)
            ivshared_policy_app_exit(d, owner);
    }
}

void
ivshared_policy_stop(ivshared *d)
{
    GHashTableIter iter;
    gpointer id;

    /* let running destroys finish (each holds the libvirt connection);
     * their tasks complete through the main context */
    for (int waited = 0; g_atomic_int_get(&d->destroys) > 0 && waited < 30000; waited++)
        if (!g_main_context_iteration(NULL, FALSE))
            g_usleep(1000);
    if (!d->shutdowns)
        return;
    g_hash_table_iter_init(&iter, d->shutdowns);
    while (g_hash_table_iter_next(&iter, NULL, &id))
        g_source_remove(GPOINTER_TO_UINT(id));
    g_clear_pointer(&d->shutdowns, g_hash_table_unref);
}
