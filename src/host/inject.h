/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * inject.h: the <shmem> devices of a description in a domain XML.
 *
 * Each region becomes <shmem name='ivshare-REGION'> with model
 * ivshmem-plain, or ivshmem-doorbell with <server path='RUNTIME/REGION.sock'/>
 * and <msi vectors='N' ioeventfd='on'/>, and the region's exact <size>.
 * Injection is idempotent and changes nothing else in the document.
 */
#ifndef IVSHARE_HOST_INJECT_H
#define IVSHARE_HOST_INJECT_H

#include "conf.h"

/* The domain XML @xml with the devices of @desc, as a new string. */
char *ivshare_inject(const char *xml, gsize len, const ivshare_desc *desc,
                     const ivshare_conf *conf, GError **error);

/*
 * Do the devices in @xml match @desc exactly?  If not, say what differs
 * (missing, stale or different devices) and how to fix it.
 */
gboolean ivshare_inject_check(const char *xml, gsize len, const ivshare_desc *desc,
                              const ivshare_conf *conf, GError **error);

#endif /* IVSHARE_HOST_INJECT_H */
