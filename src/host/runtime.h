/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* runtime.h: the daemon's presence in the runtime directory. */
#ifndef IVSHARE_HOST_RUNTIME_H
#define IVSHARE_HOST_RUNTIME_H

#include "conf.h"

/*
 * Take RUNTIME/ivshared.pid for this process: an open-file-description
 * lock held until the returned fd is closed (or the process ends).
 * -1 with an error when another daemon holds it.
 */
int ivshare_daemon_lock(const ivshare_conf *conf, GError **error);

/* Does a daemon hold the lock?  Its PID in *pid when it does. */
gboolean ivshare_daemon_running(const ivshare_conf *conf, int *pid);

/* The host application registered by process @pid, into @name. */
gboolean ivshare_pid_host_app(const ivshare_conf *conf, int pid, char *name, gsize len);

/*
 * The libvirt domain whose QEMU is process @pid ("-name guest=DOMAIN,…" on
 * its command line), into @name; FALSE if it is no such QEMU.
 */
gboolean ivshare_pid_qemu_domain(int pid, char *name, gsize len);

/* SIGKILL the QEMU processes of domain @domain on this host: how many. */
guint ivshare_kill_qemu(const char *domain);

#endif /* IVSHARE_HOST_RUNTIME_H */
