/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* main.c: ivshare-bench, ivshare's rings and pools beside DPDK and the hardware. */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <glib/gi18n.h>

#include "bench.h"

typedef void (*figures_fn)(bench_env *env, bench_results *res);

static const struct {
    const char *name;      /* for --only */
    figures_fn fn;
    bool full_only;        /* left out of --quick runs */
} sections[] = {
    { "rings", bench_figures_rings, false },      /* 1 and 2 */
    { "latency", bench_figures_latency, false },  /* 3 */
    { "bulk", bench_figures_bulk, false },        /* 4 */
    { "pool", bench_figures_pool, false },        /* 5 */
    { "build", bench_figures_build, false },      /* 6 */
    { "later", bench_figures_later, false },      /* 7 and 8 */
    { "sweep", bench_figures_sweep, true },       /* for the plot */
};

static gboolean opt_quick, opt_json, opt_csv, opt_stress;
static gint opt_seconds = 60, opt_runs = 5;
static gchar *opt_dir, *opt_only, *opt_save;

static const GOptionEntry entries[] = {
    { "quick", 'q', 0, G_OPTION_ARG_NONE, &opt_quick,
      N_("Short runs (fewer messages per run), no sweep"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, N_("Print the results as JSON"), NULL },
    { "csv", 0, 0, G_OPTION_ARG_NONE, &opt_csv, N_("Print the results as CSV"), NULL },
    { "stress", 0, 0, G_OPTION_ARG_NONE, &opt_stress,
      N_("Check rings across processes for lost, duplicated and torn messages instead"), NULL },
    { "seconds", 0, 0, G_OPTION_ARG_INT, &opt_seconds,
      N_("Length of the stress run (default 60)"), N_("N") },
    { "runs", 0, 0, G_OPTION_ARG_INT, &opt_runs,
      N_("Runs per figure, whose median is shown (default 5)"), N_("N") },
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_dir,
      N_("Directory of the region file (default: the hugetlbfs mount, else /dev/shm)"),
      N_("DIR") },
    { "save", 0, 0, G_OPTION_ARG_FILENAME, &opt_save,
      N_("Also write the results to FILE: CSV if it ends in .csv, else JSON"), N_("FILE") },
    { "only", 0, 0, G_OPTION_ARG_STRING, &opt_only,
      N_("Comma-separated sections: rings, latency, bulk, pool, build, later, sweep"),
      N_("LIST") },
    { NULL }
};

static bool
wanted(const char *name, bool full_only)
{
    g_auto(GStrv) list = NULL;

    if (!opt_only)
        return !(full_only && opt_quick);
    list = g_strsplit(opt_only, ",", -1);
    return g_strv_contains((const char *const *)list, name);
}

static bool
save_results(const bench_results *res, const bench_env *env, const char *path)
{
    FILE *f = fopen(path, "w");
    bool ok;

    if (!f) {
        g_printerr(_("Cannot write '%s': %s.\n"), path, g_strerror(errno));
        return false;
    }
    if (g_str_has_suffix(path, ".csv"))
        bench_results_print_csv(res, f);
    else
        bench_results_print_json(res, env, f);
    ok = !ferror(f);
    if (fclose(f) != 0 || !ok) {
        g_printerr(_("Cannot write '%s': %s.\n"), path, g_strerror(errno));
        return false;
    }
    return true;
}

int
main(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx = NULL;
    g_autoptr(GError) error = NULL;
    bench_env env = { 0 };
    bench_results *res;
    int rc;

    setlocale(LC_ALL, "");
    bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    textdomain(GETTEXT_PACKAGE);

    ctx = g_option_context_new(NULL);
    g_option_context_set_summary(ctx,
        _("Measure ivshare's rings and pools between two pinned processes sharing one\n"
          "hugepage-backed region, beside DPDK's rte_ring, a cache-line ping-pong,\n"
          "memcpy, raw hugepage fault-in and eventfd, all in the same run."));
    g_option_context_set_description(ctx,
        _("Exit status: 0 when every message arrived intact, 1 when any was lost,\n"
          "duplicated, torn or out of order, 2 when the benchmark could not run."));
    g_option_context_add_main_entries(ctx, entries, GETTEXT_PACKAGE);
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        g_printerr("%s\n", error->message);
        return 2;
    }
    if (opt_runs < 1 || opt_runs > BENCH_MAX_RUNS || opt_seconds < 1 || (opt_json && opt_csv)) {
        g_printerr(_("Invalid options: --runs takes 1 to %d, --seconds at least 1, "
                     "and --json and --csv exclude each other.\n"), BENCH_MAX_RUNS);
        return 2;
    }
    env.runs = (unsigned)opt_runs;
    env.quick = opt_quick;

    if (bench_env_setup(&env, opt_dir, opt_json || opt_csv) < 0)
        return 2;
    if (opt_stress) {
        rc = bench_stress(&env, (unsigned)opt_seconds, opt_json);
        bench_env_teardown(&env);
        return rc;
    }

    res = bench_results_new();
    rc = 0;
    for (unsigned i = 0; i < G_N_ELEMENTS(sections); i++)
        if (wanted(sections[i].name, sections[i].full_only))
            sections[i].fn(&env, res);
    if (!bench_results_ok(res))
        rc = 1;

    if (opt_json)
        bench_results_print_json(res, &env, stdout);
    else if (opt_csv)
        bench_results_print_csv(res, stdout);
    else
        bench_results_print_table(res, &env);
    if (opt_save && !save_results(res, &env, opt_save))
        rc = 2;
    bench_results_free(res);
    bench_env_teardown(&env);
    g_free(opt_dir);
    g_free(opt_only);
    return rc;
}
