/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* server.h: one ivshmem-doorbell server, for tests and the daemon. */
#ifndef IVSHARE_DAEMON_SERVER_H
#define IVSHARE_DAEMON_SERVER_H

#include <stdatomic.h>
#include <sys/types.h>

#include "daemon.h"

typedef struct ivshared_peer ivshared_peer;

typedef struct {
    const ivshare_conf *conf;
    char *region;
    char *path;               /* the region file */
    char *sock_path;
    ino_t ino;                /* of the region file served */
    int listen_fd;
    int shm_fd;
    int spare_fd;             /* kept for running out of descriptors */
    guint listen_id;
    unsigned vectors;
    guint8 *map;
    gsize map_size;
    struct ivshare_peer *peers; /* the region's peer table, or NULL */
    unsigned n_peers;
    ivshared_peer *slots[IVSHARE_PEER_SLOTS]; /* peer ID -> peer */
} ivshared_server;

/* Serve @region (file @path) on RUNTIME/REGION.sock. */
ivshared_server *ivshared_server_new(const ivshare_conf *conf, const char *region,
                                     const char *path, GError **error);
void ivshared_server_free(ivshared_server *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ivshared_server, ivshared_server_free)

/* Peers connected now. */
unsigned ivshared_server_peers(const ivshared_server *s);

#endif /* IVSHARE_DAEMON_SERVER_H */
