/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* manage.c: ivsharectl define, sync, status and gc. */
#include "ctl.h"

#include <glib/gstdio.h>
#include <inttypes.h>
#include <stdio.h>

#include "runtime.h"

int
ctl_define(ctl_options *opts, int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(virConnect) conn = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *name = NULL;
    const ivshare_conf *conf;
    gsize len = 0;

    if (!ctl_parse(opts, "define", _("FILE|-"), 1, 1, &argc, &argv))
        return 2;
    if (!(conf = ivshare_conf_get(&error)))
        return ctl_fail(error);
    if (!ivshare_read_file(argv[1], &xml, &len, &error))
        return ctl_fail(error);
    if (!(conn = ivshare_virt_connect(opts->uri, &error)) ||
        !ivshare_virt_define(conn, xml, len, argv[1], conf, &name, &error))
        return ctl_fail(error);
    printf(_("Domain '%s' defined with the devices of its description\n"), name);
    return 0;
}

int
ctl_sync(ctl_options *opts, int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(virConnect) conn = NULL;
    const ivshare_conf *conf;
    gboolean changed = FALSE;

    if (!ctl_parse(opts, "sync", _("DOMAIN"), 1, 1, &argc, &argv))
        return 2;
    if (!(conf = ivshare_conf_get(&error)) ||
        !(conn = ivshare_virt_connect(opts->uri, &error)) ||
        !ivshare_virt_sync(conn, argv[1], conf, &changed, &error))
        return ctl_fail(error);
    if (changed)
        printf(_("Domain '%s': injected the devices of its description\n"), argv[1]);
    else
        printf(_("Domain '%s': its devices already match its description\n"), argv[1]);
    return 0;
}

typedef struct {
    char *name;
    char *path;
    char *host_app;
    int app_pid;              /* 0: not running */
    guint64 size;
    gboolean doorbell;
    char **users;
    GArray *peers;            /* ivshare_peer_info, doorbell regions */
} region_status;

static void
region_status_clear(region_status *s)
{
    g_free(s->name);
    g_free(s->path);
    g_free(s->host_app);
    g_strfreev(s->users);
    if (s->peers)
        g_array_unref(s->peers);
}

static void
region_status_read(const char *region, const ivshare_conf *conf, region_status *s)
{
    g_autoptr(GKeyFile) rec = ivshare_region_record(region, conf);
    GStatBuf st;

    s->name = g_strdup(region);
    s->path = rec ? g_key_file_get_string(rec, "region", "path", NULL) : NULL;
    s->host_app = rec ? g_key_file_get_string(rec, "region", "host-app", NULL) : NULL;
    s->doorbell = rec && g_key_file_get_boolean(rec, "region", "doorbell", NULL);
    if (!s->host_app || ivshare_app_probe(s->host_app, &s->app_pid) != 1)
        s->app_pid = 0;
    s->size = s->path && g_stat(s->path, &st) == 0 ? (guint64)st.st_size : 0;
    s->users = ivshare_region_users(region, conf);
    s->peers = g_array_new(FALSE, FALSE, sizeof(ivshare_peer_info));
    if (s->doorbell && s->path) {
        g_autoptr(ivshare_region) r = NULL;
        ivshare_peer_info p;
        int rc = ivshare_path_open(s->path, &r);
        for (unsigned i = 0; rc == 0 || rc == -ENOENT || rc == -EAGAIN; i++)
            if ((rc = ivshare_peer_get_info(r, i, &p)) == 0)
                g_array_append_val(s->peers, p);
    }
}

static char *
peers_text(GArray *peers)
{
    g_autoptr(GString) text = g_string_new(NULL);

    for (guint i = 0; i < peers->len; i++) {
        const ivshare_peer_info *p = &g_array_index(peers, ivshare_peer_info, i);
        g_string_append_printf(text, "%s%u=%s", i ? ", " : "", p->id, p->name);
    }
    return g_string_free(g_steal_pointer(&text), FALSE);
}

/* 2M hugepages: in use, and in all (*total). */
static guint64
hugepages_in_use(guint64 *total)
{
    const char *dir = "/sys/kernel/mm/hugepages/hugepages-2048kB";
    g_autofree char *tp = g_build_filename(dir, "nr_hugepages", NULL);
    g_autofree char *fp = g_build_filename(dir, "free_hugepages", NULL);
    g_autofree char *t = NULL;
    g_autofree char *f = NULL;
    guint64 free_pages;

    *total = g_file_get_contents(tp, &t, NULL, NULL) ? g_ascii_strtoull(t, NULL, 10) : 0;
    free_pages = g_file_get_contents(fp, &f, NULL, NULL) ? g_ascii_strtoull(f, NULL, 10) : 0;
    return *total - MIN(*total, free_pages);
}

int
ctl_status(ctl_options *opts, int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) regions = NULL;
    const ivshare_conf *conf;
    guint64 huge_total, huge_used;
    int daemon_pid = 0;
    gboolean daemon = FALSE;
    json_writer w = { 0 };

    if (!ctl_parse(opts, "status", "", 0, 0, &argc, &argv))
        return 2;
    if (!(conf = ivshare_conf_get(&error)))
        return ctl_fail(error);
    regions = ivshare_region_list(conf);
    daemon = ivshare_daemon_running(conf, &daemon_pid);
    huge_used = hugepages_in_use(&huge_total);

    if (opts->json) {
        json_begin_object(&w, NULL);
        json_begin_object(&w, "daemon");
        json_bool(&w, "running", daemon);
        if (daemon)
            json_int(&w, "pid", daemon_pid);
        json_end_object(&w);
        json_begin_object(&w, "hugepages-2M");
        json_uint(&w, "total", huge_total);
        json_uint(&w, "used", huge_used);
        json_end_object(&w);
        json_begin_array(&w, "regions");
    } else {
        if (daemon)
            printf(_("Daemon:     running (process %d)\n"), daemon_pid);
        else
            printf(_("Daemon:     not running\n"));
        printf(_("Hugepages:  %" PRIu64 " of %" PRIu64 " 2M pages in use\n"),
               huge_used, huge_total);
        printf("\n%-24s %8s %-9s %-24s %-24s %s\n", _("REGION"), _("SIZE"), _("DOORBELL"), _("HOST APP"),
               _("DOMAINS"), _("PEERS"));
    }
    for (char **region = regions; *region; region++) {
        region_status s = { 0 };
        region_status_read(*region, conf, &s);
        if (opts->json) {
            json_begin_object(&w, NULL);
            json_string(&w, "name", s.name);
            json_string(&w, "path", s.path);
            json_uint(&w, "size", s.size);
            json_bool(&w, "doorbell", s.doorbell);
            json_begin_object(&w, "host-app");
            json_string(&w, "name", s.host_app);
            json_bool(&w, "running", s.app_pid != 0);
            if (s.app_pid)
                json_int(&w, "pid", s.app_pid);
            json_end_object(&w);
            json_begin_array(&w, "domains");
            for (char **u = s.users; *u; u++)
                json_string(&w, NULL, *u);
            json_end_array(&w);
            json_begin_array(&w, "peers");
            for (guint i = 0; i < s.peers->len; i++) {
                const ivshare_peer_info *p = &g_array_index(s.peers, ivshare_peer_info, i);
                json_begin_object(&w, NULL);
                json_uint(&w, "id", p->id);
                json_string(&w, "name", p->name);
                json_string(&w, "kind", p->host_app ? "host-app" : "domain");
                json_end_object(&w);
            }
            json_end_array(&w);
            json_end_object(&w);
        } else {
            g_autofree char *size = ivshare_format_size(s.size);
            g_autofree char *users = g_strjoinv(", ", s.users);
            g_autofree char *app = s.app_pid ? g_strdup_printf(_("%s (process %d)"), s.host_app, s.app_pid)
                                             : g_strdup_printf(_("%s (not running)"), s.host_app);
            g_autofree char *peers = peers_text(s.peers);
            printf("%-24s %8s %-9s %-24s %-24s %s\n", s.name, size, s.doorbell ? _("yes") : _("no"), app,
                   *users ? users : "-", *peers ? peers : "-");
        }
        region_status_clear(&s);
    }
    if (opts->json) {
        json_end_array(&w);
        json_end_object(&w);
        json_print(&w);
    }
    return 0;
}

/* Drop users whose domain libvirt does not run (a release that never came). */
static void
drop_stale_users(virConnectPtr conn, const char *region, const ivshare_conf *conf)
{
    g_auto(GStrv) users = ivshare_region_users(region, conf);

    for (char **u = users; *u; u++) {
        g_autoptr(virDomain) dom = virDomainLookupByName(conn, *u);
        if (!dom || virDomainIsActive(dom) != 1) {
            ivshare_region_user_remove(region, *u, conf);
            printf(_("region '%s': domain '%s' no longer runs; dropped it as a user\n"), region, *u);
        }
    }
}

int
ctl_gc(ctl_options *opts, int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(virConnect) conn = NULL;
    g_auto(GStrv) regions = NULL;
    const ivshare_conf *conf;
    int status = 0;

    if (!ctl_parse(opts, "gc", "", 0, 0, &argc, &argv))
        return 2;
    if (!(conf = ivshare_conf_get(&error)))
        return ctl_fail(error);
    if (!(conn = ivshare_virt_connect(opts->uri, &error))) {
        fprintf(stderr, _("ivsharectl: %s; keeping every recorded domain user\n"), error->message);
        g_clear_error(&error);
    }
    ivshare_region_remove_stale(conf);
    regions = ivshare_region_list(conf);
    for (char **region = regions; *region; region++) {
        if (conn)
            drop_stale_users(conn, *region, conf);
        if (ivshare_region_remove_unused(*region, conf, &error)) {
            printf(_("region '%s': removed, nobody uses it\n"), *region);
        } else if (error) {
            fprintf(stderr, "ivsharectl: %s\n", error->message);
            status = ctl_exit_code(error);
            g_clear_error(&error);
        }
    }
    return status;
}
