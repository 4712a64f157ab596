/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hook.c: the prepare and release steps of the libvirt qemu hook. */
#include "hook.h"

#include <unistd.h>

#include "build.h"
#include "inject.h"
#include "runtime.h"

/* How long prepare waits for ivshared to open a new doorbell socket. */
#define DOORBELL_WAIT_MS 5000

static gboolean
check_host_app(const char *domain, const ivshare_region_desc *r, GError **error)
{
    int pid = 0;
    int rc = ivshare_app_probe(r->host_app, &pid);

    if (rc == 1)
        return TRUE;
    if (rc < 0)
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_FAILED,
                    _("domain '%s': cannot tell whether host application '%s' of region '%s' is running: %s"),
                    domain, r->host_app, r->name, ivshare_strerror(rc));
    else
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_NOT_FOUND,
                    _("domain '%s' cannot start: host application '%s' of region '%s' is not running; "
                      "start it first (it registers with ivshare_app_register)"),
                    domain, r->host_app, r->name);
    return FALSE;
}

/* ivshared enforces the lifecycle rule and serves doorbells: it must run. */
static gboolean
check_daemon(const char *domain, const ivshare_conf *conf, GError **error)
{
    if (ivshare_daemon_running(conf, NULL))
        return TRUE;
    g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_NOT_FOUND,
                _("domain '%s' cannot start: ivshared is not running, and nothing would stop the domain "
                  "when its host application exits; start it (systemctl start ivshared)"), domain);
    return FALSE;
}

/* ivshared opens RUNTIME/REGION.sock once it sees the region's record. */
static gboolean
wait_doorbell_socket(const char *domain, const ivshare_region_desc *r, const ivshare_conf *conf,
                     GError **error)
{
    g_autofree char *name = g_strconcat(r->name, ".sock", NULL);
    g_autofree char *path = g_build_filename(conf->runtime_dir, name, NULL);

    for (int waited = 0; waited < DOORBELL_WAIT_MS; waited += 10) {
        if (g_file_test(path, G_FILE_TEST_EXISTS))
            return TRUE;
        g_usleep(10 * 1000);
    }
    g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_FAILED,
                _("domain '%s' cannot start: ivshared did not open doorbell socket '%s' of region '%s' "
                  "within %d s; see its log"), domain, path, r->name, DOORBELL_WAIT_MS / 1000);
    return FALSE;
}

static void
undo_regions(const char *domain, const ivshare_desc *desc, guint n, const ivshare_conf *conf)
{
    for (guint i = 0; i < n; i++) {
        const ivshare_region_desc *r = g_ptr_array_index(desc->regions, i);
        ivshare_region_user_remove(r->name, domain, conf);
        ivshare_region_remove_unused(r->name, conf, NULL);
    }
}

gboolean
ivshare_hook_prepare(const char *domain, const char *xml, gsize len,
                     const ivshare_conf *conf, GError **error)
{
    g_autoptr(ivshare_desc) desc = NULL;
    guint done;

    if (!ivshare_desc_for_domain(domain, xml, &desc, error))
        return FALSE;
    if (!desc)
        return TRUE;
    if (!ivshare_inject_check(xml, len, desc, conf, error) ||
        !check_daemon(domain, conf, error))
        return FALSE;
    for (guint i = 0; i < desc->regions->len; i++)
        if (!check_host_app(domain, g_ptr_array_index(desc->regions, i), error))
            return FALSE;

    for (done = 0; done < desc->regions->len; done++) {
        const ivshare_region_desc *r = g_ptr_array_index(desc->regions, done);
        if (!ivshare_region_build(r, desc->source, conf, NULL, error) ||
            !ivshare_region_user_add(r->name, domain, conf, error) ||
            !ivshare_region_link(r, conf, error) ||
            (r->doorbell && !wait_doorbell_socket(domain, r, conf, error))) {
            undo_regions(domain, desc, done + 1, conf);
            return FALSE;
        }
    }
    return TRUE;
}

gboolean
ivshare_hook_release(const char *domain, const ivshare_conf *conf, GError **error)
{
    g_auto(GStrv) regions = ivshare_region_list(conf);

    for (char **region = regions; *region; region++)
        ivshare_region_user_remove(*region, domain, conf);
    /* every region nobody uses loses its link, and its file unless its
     * host application lives: this also finishes a release that was killed
     * between the two steps */
    for (char **region = regions; *region; region++) {
        g_auto(GStrv) users = ivshare_region_users(*region, conf);
        if (!users[0] && !ivshare_region_remove_unused(*region, conf, error) && error && *error)
            return FALSE;
    }
    return TRUE;
}
