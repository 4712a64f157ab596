/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hook.h: what the libvirt qemu hook does, as functions.
 *
 * The hook program (hooks/) is a thin main() over these, so that every
 * behaviour is tested in-process.  They never call libvirt.
 */
#ifndef IVSHARE_HOST_HOOK_H
#define IVSHARE_HOST_HOOK_H

#include "conf.h"

/*
 * prepare: load the domain's description (none: nothing to do), check the
 * injected devices, check that each region's host application is alive,
 * build or verify the region files, record the domain as a user and link
 * /dev/shm/ivshare-REGION.  On failure nothing this call made is left.
 */
gboolean ivshare_hook_prepare(const char *domain, const char *xml, gsize len,
                              const ivshare_conf *conf, GError **error);

/*
 * release: drop the domain's use of every region; remove links and files
 * nobody uses any more (a live host application's files stay).
 */
gboolean ivshare_hook_release(const char *domain, const ivshare_conf *conf, GError **error);

#endif /* IVSHARE_HOST_HOOK_H */
