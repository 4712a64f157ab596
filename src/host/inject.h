/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * inject.h: the <shmem> devices of a description in a domain XML.
 *
 * Each region becomes <shmem name='ivshare-REGION'> with model
 * ivshmem-plain and the region's exact <size>, or ivshmem-doorbell with
 * <server path='RUNTIME/REGION.sock'/> and <msi vectors='N' ioeventfd='on'/>
 * and no <size> (libvirt refuses one with a server: QEMU maps the region
 * file the server hands out).  An existing device that matches is left
 * byte for byte (its <address> and <alias> are not compared), one that
 * differs is replaced in place keeping them, missing ones follow the last
 * <shmem>, and ivshare-* devices of regions no longer described go.
 * Everything else in the document is kept byte for byte.
 */
#ifndef IVSHARE_HOST_INJECT_H
#define IVSHARE_HOST_INJECT_H

#include "conf.h"

/*
 * The domain XML @xml with the devices of @desc (NULL: no description, so
 * no ivshare device), as a new string; injecting the result again gives
 * the same bytes.  @conf gives the runtime directory (NULL: /run/ivshare).
 * Malformed XML, a root other than <domain>, a DTD, a non-UTF-8 encoding
 * or more than 16 MiB are IVSHARE_ERROR_INVALID.
 */
char *ivshare_inject(const char *xml, gsize len, const ivshare_desc *desc,
                     const ivshare_conf *conf, GError **error);

/*
 * Do the devices in @xml match @desc exactly?  If not, say what differs
 * (missing, stale or different devices) and how to fix it.
 */
gboolean ivshare_inject_check(const char *xml, gsize len, const ivshare_desc *desc,
                              const ivshare_conf *conf, GError **error);

#endif /* IVSHARE_HOST_INJECT_H */
