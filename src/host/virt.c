/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt.c: what ivshare asks of libvirt. */
#include "virt.h"

#include <libvirt/virterror.h>

#include "domxml.h"
#include "inject.h"

void
ivshare_virt_set_error(GError **error, const char *what)
{
    const virError *e = virGetLastError();
    g_set_error(error, IVSHARE_ERROR,
                e && e->code == VIR_ERR_NO_DOMAIN ? IVSHARE_ERROR_NOT_FOUND : IVSHARE_ERROR_FAILED,
                "%s: %s", what, e && e->message ? e->message : _("unknown libvirt error"));
}

/* libvirt reports through GErrors here, never on its own on stderr. */
static void
quiet(void *data, virErrorPtr e)
{
}

virConnectPtr
ivshare_virt_connect(const char *uri, GError **error)
{
    virConnectPtr conn;

    virSetErrorFunc(NULL, quiet);
    conn = virConnectOpen(uri);

    if (!conn)
        ivshare_virt_set_error(error, _("cannot connect to libvirt"));
    return conn;
}

gboolean
ivshare_virt_domain_xml(virConnectPtr conn, const char *domain, char **xml, GError **error)
{
    g_autoptr(virDomain) dom = virDomainLookupByName(conn, domain);
    g_autofree char *what = NULL;

    if (!dom) {
        what = g_strdup_printf(_("no domain '%s'"), domain);
        ivshare_virt_set_error(error, what);
        return FALSE;
    }
    if (!(*xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE))) {
        what = g_strdup_printf(_("cannot read the definition of domain '%s'"), domain);
        ivshare_virt_set_error(error, what);
        return FALSE;
    }
    return TRUE;
}

/* The injected XML, or NULL with no error when nothing needs to change. */
static char *
injected(const char *xml, gsize len, const ivshare_desc *desc, const ivshare_conf *conf,
         GError **error)
{
    g_autoptr(GError) mismatch = NULL;

    if (ivshare_inject_check(xml, len, desc, conf, &mismatch))
        return NULL;
    return ivshare_inject(xml, len, desc, conf, error);
}

static gboolean
define(virConnectPtr conn, const char *xml, const char *name, GError **error)
{
    g_autoptr(virDomain) dom = virDomainDefineXML(conn, xml);

    if (!dom) {
        g_autofree char *what = g_strdup_printf(_("cannot define domain '%s'"), name);
        ivshare_virt_set_error(error, what);
        return FALSE;
    }
    return TRUE;
}

gboolean
ivshare_virt_sync(virConnectPtr conn, const char *domain, const ivshare_conf *conf,
                  gboolean *changed, GError **error)
{
    g_autofree char *xml = NULL;
    g_autofree char *out = NULL;
    g_autoptr(ivshare_desc) desc = NULL;
    g_autoptr(GError) local = NULL;

    *changed = FALSE;
    if (!ivshare_virt_domain_xml(conn, domain, &xml, error) ||
        !ivshare_desc_for_domain(domain, xml, &desc, error))
        return FALSE;
    if (!desc)
        return TRUE;
    if (!(out = injected(xml, strlen(xml), desc, conf, &local))) {
        if (!local)
            return TRUE;
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
    if (!define(conn, out, domain, error))
        return FALSE;
    *changed = TRUE;
    return TRUE;
}

gboolean
ivshare_virt_define(virConnectPtr conn, const char *xml, gsize len, const char *source,
                    const ivshare_conf *conf, char **name, GError **error)
{
    g_autofree char *domain = NULL;
    g_autofree char *out = NULL;
    g_autoptr(ivshare_desc) desc = NULL;

    if (!ivshare_domain_xml_name(xml, len, source, &domain, error) ||
        !ivshare_desc_for_domain(domain, xml, &desc, error))
        return FALSE;
    if (desc && !(out = ivshare_inject(xml, len, desc, conf, error)))
        return FALSE;
    if (!define(conn, out ? out : xml, domain, error))
        return FALSE;
    *name = g_steal_pointer(&domain);
    return TRUE;
}
