/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * conf.h: host-wide settings, /etc/ivshare/ivshare.conf (GKeyFile).
 *
 * The file is IVSHARE_CONF when that is set.  A missing file means every
 * default; an unreadable or invalid one is an error.
 */
#ifndef IVSHARE_HOST_CONF_H
#define IVSHARE_HOST_CONF_H

#include <sys/types.h>

#include "desc.h"

typedef struct {
    char *path;               /* the file read, or would have been */
    char *hugepage_dir;       /* [paths] hugepage-dir, /dev/hugepages/ivshare */
    char *shm_dir;            /* [paths] shm-dir, /dev/shm/ivshare */
    char *runtime_dir;        /* [paths] runtime-dir, /run/ivshare */
    char *domains_dir;        /* [paths] domains-dir, /etc/ivshare/domains */
    char *link_dir;           /* [paths] link-dir, /dev/shm: where QEMU looks */
    char *schema_dir;         /* [paths] schema-dir, the installed schemas */
    char *qemu_user;          /* [qemu] user, NULL: libvirt's (qemu.conf) */
    char *qemu_group;         /* [qemu] group, NULL: libvirt's */
    ivshare_exit_policy on_exit;   /* [daemon] on-host-app-exit */
    guint shutdown_timeout;        /* [daemon] shutdown-timeout, seconds */
} ivshare_conf;

void ivshare_conf_free(ivshare_conf *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ivshare_conf, ivshare_conf_free)

/* Read @path, or IVSHARE_CONF / the default when @path is NULL. */
ivshare_conf *ivshare_conf_load(const char *path, GError **error);

/*
 * The settings of this process, loaded once on first use; aborts the
 * caller with the error if the file is invalid.
 */
const ivshare_conf *ivshare_conf_get(GError **error);

/* The region file of @region with @backing, and its /dev/shm link. */
char *ivshare_conf_region_path(const ivshare_conf *c, const char *region, ivshare_backing backing);
char *ivshare_conf_link_path(const ivshare_conf *c, const char *region);

/*
 * The user and group QEMU runs as: [qemu] user/group, else the `user =` and
 * `group =` of /etc/libvirt/qemu.conf, else libvirt-qemu/libvirt-qemu.
 * Names are resolved when called ("+N" is a numeric ID, as in libvirt).
 */
gboolean ivshare_conf_qemu_ids(const ivshare_conf *c, uid_t *uid, gid_t *gid, GError **error);

#endif /* IVSHARE_HOST_CONF_H */
