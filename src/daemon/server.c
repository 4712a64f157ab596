/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* server.c: ivshmem-doorbell servers, one per doorbell region. */
#include "daemon.h"

gboolean
ivshared_servers_start(ivshared *d, GError **error)
{
    return TRUE;
}

void
ivshared_servers_stop(ivshared *d)
{
}
