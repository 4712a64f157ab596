/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* domxml.h: reading descriptions out of files. */
#ifndef IVSHARE_HOST_DOMXML_H
#define IVSHARE_HOST_DOMXML_H

#include "conf.h"

/* The <name> of a domain XML document. */
gboolean ivshare_domain_xml_name(const char *xml, gsize len, const char *source,
                                 char **name, GError **error);

/*
 * Load @path ("-" is standard input): an INI description, a bare XML
 * description, or a domain XML, whose description is its metadata or its
 * INI file in the domains directory.  *xml gets the file's text and
 * *desc its description (NULL: none).
 */
gboolean ivshare_load_file(const char *path, char **xml, gsize *len,
                           ivshare_desc **desc, GError **error);

#endif /* IVSHARE_HOST_DOMXML_H */
