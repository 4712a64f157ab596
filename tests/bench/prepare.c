/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * prepare.c: figure 8, the qemu hook's prepare against the number of
 * regions in a domain and of domains sharing them, in-process through
 * ivshare_hook_prepare() in a private installation (shm backing, so that
 * no hugepages are needed; the build cost is figure 6).
 */
#include <glib/gstdio.h>
#include <math.h>
#include <unistd.h>

#include "bench.h"
#include "hook.h"
#include "inject.h"
#include "runtime.h"

typedef struct {
    char *dir;
    ivshare_conf *conf;
    int daemon_lock;
    ivshare_app *app;
} installation;

static gboolean
installation_setup(installation *in)
{
    g_autofree char *conf_path = NULL;
    g_autofree char *text = NULL;

    if (!(in->dir = g_dir_make_tmp("ivshare-bench-hook-XXXXXX", NULL)))
        return FALSE;
    text = g_strdup_printf("[paths]\nshm-dir=%s/shm\nruntime-dir=%s/run\ndomains-dir=%s/domains\n"
                           "link-dir=%s/links\nhugepage-dir=%s/huge\n",
                           in->dir, in->dir, in->dir, in->dir, in->dir);
    conf_path = g_build_filename(in->dir, "ivshare.conf", NULL);
    if (!g_file_set_contents(conf_path, text, -1, NULL))
        return FALSE;
    g_setenv("IVSHARE_CONF", conf_path, TRUE);
    /* the benchmark runs from the build tree: the schema of the source tree */
    g_setenv("IVSHARE_SCHEMA_DIR", BENCH_SCHEMA_DIR, FALSE);
    if (!(in->conf = ivshare_conf_load(conf_path, NULL)))
        return FALSE;
    g_mkdir_with_parents(in->conf->link_dir, 0755);
    /* this process stands in for ivshared and the host application */
    in->daemon_lock = ivshare_daemon_lock(in->conf, NULL);
    return in->daemon_lock >= 0 && ivshare_app_register("bench-app", &in->app) == 0;
}

void
bench_remove_tree(const char *path)
{
    g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *child = g_build_filename(path, name, NULL);
        if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
            bench_remove_tree(child);
        else
            g_unlink(child);
    }
    g_rmdir(path);
}

static void
installation_teardown(installation *in)
{
    if (in->app)
        ivshare_app_unregister(in->app);
    if (in->daemon_lock >= 0)
        close(in->daemon_lock);
    if (in->conf)
        ivshare_conf_free(in->conf);
    if (in->dir)
        bench_remove_tree(in->dir);
    g_free(in->dir);
    g_unsetenv("IVSHARE_CONF");
}

/* Domain @dom's XML with @regions regions, its devices injected. */
static char *
domain_xml(installation *in, const char *dom, unsigned regions)
{
    g_autoptr(GString) xml = g_string_new(NULL);
    g_autoptr(ivshare_desc) desc = NULL;

    g_string_append_printf(xml, "<domain type='qemu'>\n  <name>%s</name>\n  <metadata>\n"
                           "    <ivshare:shared-memory xmlns:ivshare='https://ivshare.dev/xmlns/domain/1'>\n", dom);
    for (unsigned i = 0; i < regions; i++)
        g_string_append_printf(xml, "      <ivshare:region name='r%u' host-app='bench-app' backing='shm'>"
                               "<ivshare:ring name='q' slot-size='64' slots='256'/></ivshare:region>\n", i);
    g_string_append(xml, "    </ivshare:shared-memory>\n  </metadata>\n  <devices>\n  </devices>\n</domain>\n");
    if (!ivshare_desc_from_xml(xml->str, xml->len, dom, &desc, NULL) || !desc)
        return NULL;
    return ivshare_inject(xml->str, xml->len, desc, in->conf, NULL);
}

/*
 * Prepare @domains domains that share @regions regions, then release
 * them: the median time of one prepare, in ms, over the domains after the
 * first (which builds the files), or the first's when there is one.
 */
static double
prepare_ms(installation *in, unsigned regions, unsigned domains, double *first_ms)
{
    double times[64];
    unsigned n = 0;

    for (unsigned d = 0; d < domains; d++) {
        g_autofree char *name = g_strdup_printf("vm%u", d);
        g_autofree char *xml = domain_xml(in, name, regions);
        uint64_t t0 = bench_now_ns();
        double ms;

        if (!xml || !ivshare_hook_prepare(name, xml, strlen(xml), in->conf, NULL))
            return NAN;
        ms = (bench_now_ns() - t0) / 1e6;
        if (d == 0)
            *first_ms = ms;
        else if (n < G_N_ELEMENTS(times))
            times[n++] = ms;
    }
    for (unsigned d = 0; d < domains; d++) {
        g_autofree char *name = g_strdup_printf("vm%u", d);
        ivshare_hook_release(name, in->conf, NULL);
    }
    return n ? bench_median(times, n) : *first_ms;
}

void
bench_figures_prepare(bench_env *env, bench_results *res)
{
    static const struct { unsigned regions, domains; } shapes[] = {
        { 1, 1 }, { 16, 1 }, { 64, 1 }, { 16, 4 }, { 16, 16 },
    };
    installation in = { .daemon_lock = -1 };
    gboolean ok = installation_setup(&in);

    for (gsize i = 0; i < G_N_ELEMENTS(shapes); i++) {
        g_autofree char *id = g_strdup_printf("hook-prepare-%ur-%ud", shapes[i].regions, shapes[i].domains);
        g_autofree char *label = g_strdup_printf("hook prepare, %u region%s, %u domain%s",
                                                 shapes[i].regions, shapes[i].regions == 1 ? "" : "s",
                                                 shapes[i].domains, shapes[i].domains == 1 ? "" : "s");
        bench_result *r = bench_results_add(res, "8", id, label, "ms");

        r->lower_better = true;
        if (!ok) {
            g_strlcpy(r->note, "n/a (cannot set up a private installation)", sizeof(r->note));
            continue;
        }
        for (unsigned run = 0; run < env->runs && run < BENCH_MAX_RUNS; run++) {
            double first = NAN;
            r->runs[r->n_runs++] = prepare_ms(&in, shapes[i].regions, shapes[i].domains, &first);
            /* the anchor: the first domain, which builds every region file */
            r->anchor_runs[r->n_anchor_runs++] = first;
        }
        g_strlcpy(r->anchor, "first prepare (builds the files)", sizeof(r->anchor));
        r->value = bench_median(r->runs, r->n_runs);
        r->anchor_value = bench_median(r->anchor_runs, r->n_anchor_runs);
        g_snprintf(r->note, sizeof(r->note), "%s; shm regions of 64 KiB",
                   shapes[i].domains > 1 ? "median of the domains that find the files built"
                                         : "the one domain builds its files");
    }
    installation_teardown(&in);
}
