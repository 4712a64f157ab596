/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ivshared: serves ivshmem doorbells and enforces the lifecycle rule.
 * Stays in the foreground (as a systemd service expects) unless --daemon.
 */
#include "daemon.h"

#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <unistd.h>

#include "runtime.h"

static gboolean
on_signal(gpointer data)
{
    g_message("stopping");
    g_main_loop_quit(data);
    return G_SOURCE_CONTINUE;
}

int
main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GOptionContext) ctx = NULL;
    g_autofree char *conf_path = NULL;
    g_autoptr(ivshare_conf) conf = NULL;
    gboolean detach = FALSE, verbose = FALSE;
    ivshared d = { .lock_fd = -1, .lifecycle_cb = -1, .metadata_cb = -1 };
    GOptionEntry entries[] = {
        { "daemon", 'd', 0, G_OPTION_ARG_NONE, &detach, N_("Detach and run in the background"), NULL },
        { "config", 'f', 0, G_OPTION_ARG_FILENAME, &conf_path, N_("Settings file (default: $IVSHARE_CONF or /etc/ivshare/ivshare.conf)"), N_("FILE") },
        { "connect", 'c', 0, G_OPTION_ARG_STRING, &d.uri, N_("libvirt connection URI (default: libvirt's)"), N_("URI") },
        { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, N_("Log debug messages too"), NULL },
        { NULL }
    };

    /* IVSHARE_LOCALEDIR: the message catalogs of an uninstalled build (tests) */
    const char *localedir = g_getenv("IVSHARE_LOCALEDIR");

    setlocale(LC_ALL, "");
    bindtextdomain(GETTEXT_PACKAGE, localedir && *localedir ? localedir : LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    textdomain(GETTEXT_PACKAGE);

    ctx = g_option_context_new(NULL);
    g_option_context_set_summary(ctx, _("Serve ivshmem doorbells and stop the domains of host applications that exit."));
    g_option_context_set_translation_domain(ctx, GETTEXT_PACKAGE);
    g_option_context_add_main_entries(ctx, entries, GETTEXT_PACKAGE);
    if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc > 1) {
        fprintf(stderr, "ivshared: %s\n", error ? error->message : _("unexpected arguments; see 'ivshared --help'"));
        return 2;
    }
    if (verbose)
        g_setenv("G_MESSAGES_DEBUG", "all", TRUE);
    /* the core library finds the runtime directory through it, too */
    if (conf_path)
        g_setenv("IVSHARE_CONF", conf_path, TRUE);

    if (!(conf = ivshare_conf_load(conf_path, &error)))
        goto fail;
    d.conf = conf;
    if (detach && daemon(0, 0) < 0) {
        g_set_error(&error, IVSHARE_ERROR, IVSHARE_ERROR_FAILED,
                    _("cannot detach: %s"), g_strerror(errno));
        goto fail;
    }
    if ((d.lock_fd = ivshare_daemon_lock(conf, &error)) < 0)
        goto fail;

    if (virEventRegisterDefaultImpl() < 0) {
        g_set_error(&error, IVSHARE_ERROR, IVSHARE_ERROR_FAILED, _("cannot set up libvirt's event loop"));
        goto fail;
    }
    d.loop = g_main_loop_new(NULL, FALSE);
    g_unix_signal_add(SIGTERM, on_signal, d.loop);
    g_unix_signal_add(SIGINT, on_signal, d.loop);

    ivshared_events_start(&d);
    if (!ivshared_servers_start(&d, &error) || !ivshared_apps_start(&d, &error))
        goto fail;
    g_message("running (process %d, runtime directory %s)", (int)getpid(), conf->runtime_dir);
    g_main_loop_run(d.loop);

    ivshared_apps_stop(&d);
    ivshared_servers_stop(&d);
    ivshared_policy_stop(&d);
    ivshared_events_stop(&d);
    g_main_loop_unref(d.loop);
    close(d.lock_fd);
    return 0;

 fail:
    fprintf(stderr, "ivshared: %s\n", error->message);
    return 1;
}
