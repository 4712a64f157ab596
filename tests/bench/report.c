/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* report.c: the results as a table, JSON or CSV, each figure beside its anchor. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include <glib.h>

#include "bench.h"

struct bench_results {
    GPtrArray *items;   /* of bench_result, each allocated: pointers stay valid */
};

bench_results *
bench_results_new(void)
{
    bench_results *res = g_new0(bench_results, 1);

    res->items = g_ptr_array_new_with_free_func(g_free);
    return res;
}

void
bench_results_free(bench_results *res)
{
    if (!res)
        return;
    g_ptr_array_unref(res->items);
    g_free(res);
}

/* A new figure, not measured yet, owned by @res. */
bench_result *
bench_results_add(bench_results *res, const char *section, const char *id,
                  const char *label, const char *unit)
{
    bench_result *r = g_new0(bench_result, 1);

    r->section = section;
    r->unit = unit;
    r->value = NAN;
    r->anchor_value = NAN;
    g_strlcpy(r->id, id, sizeof(r->id));
    g_strlcpy(r->label, label, sizeof(r->label));
    g_ptr_array_add(res->items, r);
    return r;
}

static double
ratio_of(const bench_result *r)
{
    if (!isfinite(r->value) || !isfinite(r->anchor_value) || r->anchor_value == 0)
        return NAN;
    return r->value / r->anchor_value;
}

/* "met", "missed" or "" when the figure has no target or no ratio. */
static const char *
verdict_of(const bench_result *r)
{
    double ratio = ratio_of(r);

    if (r->errors)
        return "ERRORS";
    if (r->target <= 0 || !isfinite(ratio))
        return "";
    if (r->lower_better)
        return ratio <= r->target ? "met" : "missed";
    return ratio >= r->target ? "met" : "missed";
}

bool
bench_results_ok(const bench_results *res)
{
    for (guint i = 0; i < res->items->len; i++)
        if (((const bench_result *)g_ptr_array_index(res->items, i))->errors)
            return false;
    return true;
}

static char *
cpu_model(void)
{
    g_autofree char *info = NULL;
    const char *line, *end;

    if (!g_file_get_contents("/proc/cpuinfo", &info, NULL, NULL) ||
        !(line = strstr(info, "model name")) || !(line = strchr(line, ':')))
        return g_strdup("unknown CPU");
    line++;
    while (*line == ' ' || *line == '\t')
        line++;
    end = strchr(line, '\n');
    return g_strndup(line, end ? (gsize)(end - line) : strlen(line));
}

static char *
kernel_release(void)
{
    struct utsname u;

    return uname(&u) == 0 ? g_strdup_printf("%s %s", u.sysname, u.release)
                          : g_strdup("unknown kernel");
}

static void
format_value(char *buf, size_t len, double v, const char *unit)
{
    if (!isfinite(v))
        g_strlcpy(buf, "n/a", len);
    else
        g_snprintf(buf, len, "%.*f %s", v >= 100 ? 1 : 2, v, unit);
}

void
bench_results_print_table(const bench_results *res, const bench_env *env)
{
    g_autofree char *cpu = cpu_model();
    g_autofree char *kernel = kernel_release();
    const char *section = "";

    printf("ivshare-bench %s: %s, %u CPUs, %s\n", VERSION, cpu, env->ncpus, kernel);
    printf("region: %s (%s, %" G_GUINT64_FORMAT " KiB pages), %" G_GUINT64_FORMAT " MiB\n",
           env->path, env->hugepages ? "hugetlbfs" : "tmpfs, no hugepages",
           (guint64)(env->page_size >> 10), (guint64)(env->region_size >> 20));
    printf("pinning: producer / ping / single-process runs on CPU %d, consumer / pong on CPU %d; "
           "MPMC: producer 0 + consumer 0 on CPU %d, producer 1 + consumer 1 on CPU %d "
           "(4 processes on 2 cores, waiting processes yield)\n",
           env->cpus[0], env->cpus[1], env->cpus[0], env->cpus[1]);
    printf("each figure: median of %u runs, ivshare and anchor alternating; "
           "ratio = ivshare / anchor%s\n\n", env->runs, env->quick ? " (--quick)" : "");
    printf("%-3s %-34s %16s  %-30s %16s  %7s %-7s %-8s %s\n", "#", "figure", "ivshare",
           "anchor", "anchor value", "ratio", "better", "target", "verdict");

    for (guint i = 0; i < res->items->len; i++) {
        const bench_result *r = g_ptr_array_index(res->items, i);
        char value[48], anchor[48], ratio[16], target[16];
        double q = ratio_of(r);

        if (strcmp(r->section, "sweep") == 0)
            continue;
        if (strcmp(section, r->section) != 0 && i > 0)
            printf("\n");
        section = r->section;
        if (!isfinite(r->value) && r->note[0])
            g_strlcpy(value, r->note, sizeof(value));
        else
            format_value(value, sizeof(value), r->value, r->unit);
        format_value(anchor, sizeof(anchor), r->anchor_value, r->unit);
        if (isfinite(q))
            g_snprintf(ratio, sizeof(ratio), "%.2fx", q);
        else
            g_strlcpy(ratio, "-", sizeof(ratio));
        if (r->target > 0)
            g_snprintf(target, sizeof(target), "%s %.2f", r->lower_better ? "<=" : ">=",
                       r->target);
        else
            g_strlcpy(target, "", sizeof(target));
        printf("%-3s %-34s %16s  %-30s %16s  %7s %-7s %-8s %s\n", r->section, r->label,
               value, r->anchor[0] ? r->anchor : "-", r->anchor[0] ? anchor : "-", ratio,
               r->anchor[0] ? (r->lower_better ? "lower" : "higher") : "",
               target, verdict_of(r));
        if (isfinite(r->value) && r->note[0])
            printf("    %s\n", r->note);
        if (r->errors)
            printf("    %" G_GUINT64_FORMAT " errors (lost, out-of-order or bad messages)\n",
                   (guint64)r->errors);
    }

    for (guint i = 0, first = 1; i < res->items->len; i++) {
        const bench_result *r = g_ptr_array_index(res->items, i);
        double q = ratio_of(r);

        if (strcmp(r->section, "sweep") != 0)
            continue;
        if (first)
            printf("\nSPSC sweep (Mmsg/s, ivshare / rte_ring):\n%-6s %-6s %12s %12s %8s\n",
                   "size", "burst", "ivshare", "rte_ring", "ratio");
        first = 0;
        printf("%-6u %-6u %12.2f %12.2f %7.2fx\n", r->msg_size, r->burst, r->value,
               r->anchor_value, isfinite(q) ? q : 0.0);
    }
}

/* JSON number, or null for NaN and infinities. */
static void
json_number(GString *out, double v)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];

    if (isfinite(v))
        g_string_append(out, g_ascii_dtostr(buf, sizeof(buf), v));
    else
        g_string_append(out, "null");
}

static void
json_string(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            g_string_append_printf(out, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            g_string_append_printf(out, "\\u%04x", (unsigned char)*s);
        else
            g_string_append_c(out, *s);
    }
    g_string_append_c(out, '"');
}

static void
json_runs(GString *out, const double *runs, unsigned n)
{
    g_string_append_c(out, '[');
    for (unsigned i = 0; i < n; i++) {
        if (i)
            g_string_append_c(out, ',');
        json_number(out, runs[i]);
    }
    g_string_append_c(out, ']');
}

void
bench_results_print_json(const bench_results *res, const bench_env *env, FILE *f)
{
    g_autoptr(GString) out = g_string_new("{\n  \"machine\": {\"cpu\": ");
    g_autofree char *cpu = cpu_model();
    g_autofree char *kernel = kernel_release();

    json_string(out, cpu);
    g_string_append_printf(out, ", \"cpus\": %u, \"kernel\": ", env->ncpus);
    json_string(out, kernel);
    g_string_append_printf(out, "},\n  \"config\": {\"version\": \"%s\", \"runs\": %u, "
                           "\"quick\": %s, \"hugepages\": %s, \"page_size\": %" G_GUINT64_FORMAT
                           ", \"cpus\": [%d, %d], \"mpmc_cpus\": [%d, %d, %d, %d], "
                           "\"ratio\": \"ivshare / anchor\"},\n  \"results\": [\n",
                           VERSION, env->runs, env->quick ? "true" : "false",
                           env->hugepages ? "true" : "false", (guint64)env->page_size,
                           env->cpus[0], env->cpus[1], env->cpus[0], env->cpus[1],
                           env->cpus[0], env->cpus[1]);
    for (guint i = 0; i < res->items->len; i++) {
        const bench_result *r = g_ptr_array_index(res->items, i);

        g_string_append(out, "    {\"section\": ");
        json_string(out, r->section);
        g_string_append(out, ", \"id\": ");
        json_string(out, r->id);
        g_string_append(out, ", \"label\": ");
        json_string(out, r->label);
        g_string_append(out, ", \"unit\": ");
        json_string(out, r->unit);
        g_string_append(out, ", \"value\": ");
        json_number(out, r->value);
        g_string_append(out, ", \"runs\": ");
        json_runs(out, r->runs, r->n_runs);
        g_string_append(out, ", \"anchor\": ");
        json_string(out, r->anchor);
        g_string_append(out, ", \"anchor_value\": ");
        json_number(out, r->anchor_value);
        g_string_append(out, ", \"anchor_runs\": ");
        json_runs(out, r->anchor_runs, r->n_anchor_runs);
        g_string_append(out, ", \"ratio\": ");
        json_number(out, ratio_of(r));
        g_string_append_printf(out, ", \"better\": \"%s\", \"target\": ",
                               r->lower_better ? "lower" : "higher");
        json_number(out, r->target > 0 ? r->target : NAN);
        g_string_append(out, ", \"verdict\": ");
        json_string(out, verdict_of(r));
        g_string_append_printf(out, ", \"msg_size\": %u, \"burst\": %u, \"bytes\": %"
                               G_GUINT64_FORMAT ", \"errors\": %" G_GUINT64_FORMAT
                               ", \"note\": ", r->msg_size, r->burst, (guint64)r->bytes,
                               (guint64)r->errors);
        json_string(out, r->note);
        g_string_append_printf(out, "}%s\n", i + 1 < res->items->len ? "," : "");
    }
    g_string_append(out, "  ]\n}\n");
    fputs(out->str, f);
}

static void
csv_field(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void
csv_number(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.6g", v);
}

void
bench_results_print_csv(const bench_results *res, FILE *f)
{
    fprintf(f, "section,id,label,unit,value,anchor,anchor_value,ratio,better,target,verdict,"
            "msg_size,burst,bytes,errors,note\n");
    for (guint i = 0; i < res->items->len; i++) {
        const bench_result *r = g_ptr_array_index(res->items, i);

        fprintf(f, "%s,%s,", r->section, r->id);
        csv_field(f, r->label);
        fprintf(f, ",%s,", r->unit);
        csv_number(f, r->value);
        fputc(',', f);
        csv_field(f, r->anchor);
        fputc(',', f);
        csv_number(f, r->anchor_value);
        fputc(',', f);
        csv_number(f, ratio_of(r));
        fprintf(f, ",%s,", r->lower_better ? "lower" : "higher");
        csv_number(f, r->target > 0 ? r->target : NAN);
        fprintf(f, ",%s,%u,%u,%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT ",", verdict_of(r),
                r->msg_size, r->burst, (guint64)r->bytes, (guint64)r->errors);
        csv_field(f, r->note);
        fputc('\n', f);
    }
}
