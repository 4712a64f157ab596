/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * events.c: the daemon's libvirt connection and its domain events.
 *
 * libvirt's default event loop runs on GLib's default main context, so its
 * events reach us in our own main loop.  When libvirtd goes away the
 * connection is reopened every second until it is back; then the policy is
 * swept again, since an application may have died meanwhile.  A domain
 * defined with a description gets its devices injected: one redefinition,
 * after which the DEFINED event it causes finds nothing to change.  So does
 * a description set or edited with 'virsh metadata'.
 */
#include "daemon.h"

#include <libvirt/virterror.h>

#define RECONNECT_INTERVAL_S 1

static gboolean try_connect(gpointer data);

static void
schedule_reconnect(ivshared *d)
{
    if (!d->reconnect_id)
        d->reconnect_id = g_timeout_add_seconds(RECONNECT_INTERVAL_S, try_connect, d);
}

static gboolean
sync_domain(gpointer data)
{
    void **args = data;
    ivshared *d = args[0];
    g_autofree char *domain = args[1];
    g_autoptr(GError) error = NULL;
    gboolean changed = FALSE;

    g_free(args);
    if (!d->conn)
        return G_SOURCE_REMOVE;
    if (!ivshare_virt_sync(d->conn, domain, d->conf, &changed, &error))
        g_warning("domain '%s': %s", domain, error->message);
    else if (changed)
        g_message("domain '%s': injected the ivshmem devices of its description", domain);
    return G_SOURCE_REMOVE;
}

static int
on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
    void **args;

    if (event != VIR_DOMAIN_EVENT_DEFINED)
        return 0;
    /* not from inside libvirt's callback: redefine from the main loop */
    args = g_new(void *, 2);
    args[0] = opaque;
    args[1] = g_strdup(virDomainGetName(dom));
    g_idle_add(sync_domain, args);
    return 0;
}

/* 'virsh metadata --set/--edit' of our namespace changes the description. */
static void
on_metadata(virConnectPtr conn, virDomainPtr dom, int type, const char *nsuri, void *opaque)
{
    if (type == VIR_DOMAIN_METADATA_ELEMENT && g_strcmp0(nsuri, IVSHARE_XMLNS) == 0)
        on_lifecycle(conn, dom, VIR_DOMAIN_EVENT_DEFINED, 0, opaque);
}

static void
on_close(virConnectPtr conn, int reason, void *opaque)
{
    ivshared *d = opaque;

    g_message("lost the connection to libvirt (reason %d); reconnecting", reason);
    /* the connection object is released from the main loop, not in here */
    schedule_reconnect(d);
}

static void
drop_connection(ivshared *d)
{
    if (!d->conn)
        return;
    if (d->lifecycle_cb >= 0)
        virConnectDomainEventDeregisterAny(d->conn, d->lifecycle_cb);
    if (d->metadata_cb >= 0)
        virConnectDomainEventDeregisterAny(d->conn, d->metadata_cb);
    virConnectUnregisterCloseCallback(d->conn, on_close);
    virConnectClose(d->conn);
    d->conn = NULL;
    d->lifecycle_cb = d->metadata_cb = -1;
}

static gboolean
try_connect(gpointer data)
{
    ivshared *d = data;
    g_autoptr(GError) error = NULL;

    d->reconnect_id = 0;
    if (d->conn && virConnectIsAlive(d->conn) == 1)
        return G_SOURCE_REMOVE;
    drop_connection(d);
    if (!(d->conn = ivshare_virt_connect(d->uri, &error))) {
        g_debug("%s", error->message);
        schedule_reconnect(d);
        return G_SOURCE_REMOVE;
    }
    virConnectRegisterCloseCallback(d->conn, on_close, d, NULL);
    d->lifecycle_cb = virConnectDomainEventRegisterAny(d->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                                       VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), d, NULL);
    d->metadata_cb = virConnectDomainEventRegisterAny(d->conn, NULL, VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
                                                      VIR_DOMAIN_EVENT_CALLBACK(on_metadata), d, NULL);
    if (d->lifecycle_cb < 0 || d->metadata_cb < 0)
        g_warning("cannot subscribe to libvirt domain events; devices are not injected on define");
    if (virConnectSetKeepAlive(d->conn, 2, 2) < 0)
        g_debug("no keepalive on the libvirt connection");
    g_message("connected to libvirt (%s)", d->uri ? d->uri : "default URI");
    ivshared_policy_sweep(d);
    return G_SOURCE_REMOVE;
}

void
ivshared_events_start(ivshared *d)
{
    d->lifecycle_cb = d->metadata_cb = -1;
    try_connect(d);
}

void
ivshared_events_stop(ivshared *d)
{
    if (d->reconnect_id)
        g_source_remove(d->reconnect_id);
    d->reconnect_id = 0;
    drop_connection(d);
}
