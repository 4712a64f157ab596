/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * virt.h: what ivshare asks of libvirt.  libvirt errors become GErrors
 * here, at the boundary.
 */
#ifndef IVSHARE_HOST_VIRT_H
#define IVSHARE_HOST_VIRT_H

#include <libvirt/libvirt.h>

#include "conf.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(virConnect, virConnectClose)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virDomain, virDomainFree)

/* Set @error from libvirt's last error, prefixed with @what. */
void ivshare_virt_set_error(GError **error, const char *what);

/* Open @uri (NULL: libvirt's default, normally qemu:///system). */
virConnectPtr ivshare_virt_connect(const char *uri, GError **error);

/* The persistent (inactive) XML of domain @domain. */
gboolean ivshare_virt_domain_xml(virConnectPtr conn, const char *domain,
                                 char **xml, GError **error);

/*
 * Put the devices of @domain's description into its persistent definition
 * when they are not there yet: at most one redefinition, none when they
 * match.  A domain without a description is left alone.
 */
gboolean ivshare_virt_sync(virConnectPtr conn, const char *domain, const ivshare_conf *conf,
                           gboolean *changed, GError **error);

/* Define the domain XML @xml with the devices of its description. */
gboolean ivshare_virt_define(virConnectPtr conn, const char *xml, gsize len, const char *source,
                             const ivshare_conf *conf, char **name, GError **error);

#endif /* IVSHARE_HOST_VIRT_H */
