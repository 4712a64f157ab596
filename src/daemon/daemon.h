/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * daemon.h: ivshared, the lifecycle and doorbell daemon.
 *
 * Its parts, one file each: apps.c watches registered host applications
 * and applies their regions' on-host-app-exit policy through policy.c;
 * events.c keeps the libvirt connection and injects devices into domains
 * defined with a description; doorbell servers live in server.c.
 */
#ifndef IVSHARE_DAEMON_H
#define IVSHARE_DAEMON_H

#include <gio/gio.h>
#include <libvirt/libvirt.h>

#include "build.h"
#include "virt.h"

typedef struct ivshared ivshared;

typedef struct {
    ivshared *daemon;
    char *name;
    int pid;
    int pidfd;
    guint source_id;
} ivshared_app;

struct ivshared {
    const ivshare_conf *conf;
    GMainLoop *loop;
    char *uri;                /* libvirt connection, NULL: default */
    virConnectPtr conn;
    int lifecycle_cb;         /* libvirt event callback IDs, -1: none */
    int metadata_cb;
    guint reconnect_id;
    GHashTable *apps;         /* name -> ivshared_app*, live registrations */
    GFileMonitor *apps_monitor;
    guint rescan_id;
    GHashTable *shutdowns;    /* domain -> timeout source ID of a pending destroy */
    gint destroys;            /* destroys running in worker threads (atomic) */
    GHashTable *servers;      /* region -> doorbell server */
    GFileMonitor *regions_monitor;
    int lock_fd;
};

/*
 * Watch RUNTIME/SUB (created if missing), calling @changed with @d on any
 * change: the monitor, or NULL with an error.
 */
GFileMonitor *ivshared_watch_dir(ivshared *d, const char *sub, GCallback changed, GError **error);

/* apps.c */
gboolean ivshared_apps_start(ivshared *d, GError **error);
void ivshared_apps_stop(ivshared *d);
/* Look again at <runtime>/apps: watch new registrations, act on gone ones. */
void ivshared_apps_rescan(ivshared *d);

/* policy.c: host application @app is gone; stop the domains using its regions. */
void ivshared_policy_app_exit(ivshared *d, const char *app);
/* Apply the policy for every region whose host application is not alive. */
void ivshared_policy_sweep(ivshared *d);
void ivshared_policy_stop(ivshared *d);

/* events.c: the libvirt connection, kept up, and its domain events. */
void ivshared_events_start(ivshared *d);
void ivshared_events_stop(ivshared *d);

/* server.c */
gboolean ivshared_servers_start(ivshared *d, GError **error);
void ivshared_servers_stop(ivshared *d);

#endif /* IVSHARE_DAEMON_H */
