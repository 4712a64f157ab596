/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * build.h: region files on the host, and who uses them.
 *
 * A region file is built by whichever comes first (the hook at prepare,
 * 'ivsharectl build', a host application), always under the region's lock,
 * into a temporary file that is renamed into place only once complete.  A
 * file that matches its description is kept as it is; one that does not is
 * rebuilt only while nobody uses it.
 *
 * Users are recorded in the runtime directory:
 *   RUNTIME/regions/REGION        symlink to the region file (ivshare_host_open)
 *   RUNTIME/regions/REGION.info   what it was built from (ivshare_region_record)
 *   RUNTIME/users/REGION/DOMAIN   one file per domain using the region
 *   RUNTIME/locks/REGION.lock     the build lock
 */
#ifndef IVSHARE_HOST_BUILD_H
#define IVSHARE_HOST_BUILD_H

#include "conf.h"

typedef enum {
    IVSHARE_BUILD_KEPT,       /* an identical region file existed */
    IVSHARE_BUILD_CREATED,    /* the file was built now */
    IVSHARE_BUILD_LAST
} ivshare_build_result;

/*
 * Make sure the region file of @r exists and matches it; @source names the
 * description in messages.  Sets owner and mode for the QEMU user, and the
 * runtime link.  A file built from another description is an error naming
 * both while it is in use; otherwise it is rebuilt.
 */
gboolean ivshare_region_build(const ivshare_region_desc *r, const char *source,
                              const ivshare_conf *conf, ivshare_build_result *result,
                              GError **error);

/* Build every region of @desc (stops at the first error). */
gboolean ivshare_desc_build(const ivshare_desc *desc, const ivshare_conf *conf, GError **error);

/*
 * Is the region in use: by a domain recorded as its user, by its live host
 * application, or by any process that maps the file?  @who (optional) gets
 * a description of the first user found.
 */
gboolean ivshare_region_in_use(const char *region, const char *host_app,
                               const ivshare_conf *conf, char **who);

/* Record / drop @domain as a user of @region. */
gboolean ivshare_region_user_add(const char *region, const char *domain,
                                 const ivshare_conf *conf, GError **error);
void ivshare_region_user_remove(const char *region, const char *domain,
                                const ivshare_conf *conf);
/* The domains recorded as users of @region, as a NULL-terminated vector. */
char **ivshare_region_users(const char *region, const ivshare_conf *conf);

/* Point LINK_DIR/ivshare-REGION at the region file (atomically). */
gboolean ivshare_region_link(const ivshare_region_desc *r, const ivshare_conf *conf,
                             GError **error);

/*
 * Remove the region's file, links and records if nobody uses it any more.
 * TRUE if it was removed (or did not exist).
 */
gboolean ivshare_region_remove_unused(const char *region, const ivshare_conf *conf,
                                      GError **error);

/*
 * The runtime record of a built region (RUNTIME/regions/REGION.info), group
 * "region": path, source, host-app, backing, doorbell, vectors,
 * on-host-app-exit, shutdown-timeout.  NULL if there is none.
 */
GKeyFile *ivshare_region_record(const char *region, const ivshare_conf *conf);

/* Remove the temporaries of killed builds, of every region. */
void ivshare_region_remove_stale(const ivshare_conf *conf);

/* The regions that have a runtime record, sorted. */
char **ivshare_region_list(const ivshare_conf *conf);

#endif /* IVSHARE_HOST_BUILD_H */
