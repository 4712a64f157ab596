/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ivsharectl: the command line over the host library.
 *
 * Exit codes: 0 success, 1 the operation failed, 2 bad usage,
 * 3 invalid input (description, file or region), 4 a conflict or a
 * resource in use, 5 not found.
 */
#include "ctl.h"

#include <locale.h>
#include <stdio.h>

typedef struct {
    const char *name;
    const char *args;         /* N_() */
    const char *summary;      /* N_() */
    int (*run)(ctl_options *opts, int argc, char **argv);
} ctl_command;

static const ctl_command commands[] = {
    { "validate", N_("FILE…"), N_("Check descriptions; regions described in several files must agree"), ctl_validate },
    { "inject", N_("FILE|-"), N_("Print the domain XML with the devices of its description"), ctl_inject },
    { "build", N_("DOMAIN|FILE"), N_("Build or verify the region files of a description"), ctl_build },
    { "inspect", N_("REGION|PATH"), N_("Show a region's header, objects, ring fill and pool use"), ctl_inspect },
    { "cmdline", N_("REGION"), N_("Print the QEMU arguments that map a region without libvirt"), ctl_cmdline },
    { "define", N_("FILE|-"), N_("Define a libvirt domain with the devices of its description"), ctl_define },
    { "sync", N_("DOMAIN"), N_("Inject the devices of a defined domain's description"), ctl_sync },
    { "status", "", N_("Show regions, their domains, host applications and hugepages"), ctl_status },
    { "gc", "", N_("Remove region files, links and records nobody uses"), ctl_gc },
};

int
ctl_exit_code(const GError *error)
{
    if (error->domain != IVSHARE_ERROR)
        return 1;
    switch ((ivshare_error_code)error->code) {
    case IVSHARE_ERROR_INVALID:
        return 3;
    case IVSHARE_ERROR_CONFLICT:
    case IVSHARE_ERROR_BUSY:
    case IVSHARE_ERROR_RESOURCE:
        return 4;
    case IVSHARE_ERROR_NOT_FOUND:
        return 5;
    case IVSHARE_ERROR_FAILED:
    case IVSHARE_ERROR_LAST:
        break;
    }
    return 1;
}

int
ctl_fail(const GError *error)
{
    fprintf(stderr, "ivsharectl: %s\n", error->message);
    return ctl_exit_code(error);
}

static char *
commands_summary(void)
{
    g_autoptr(GString) s = g_string_new(_("Commands:"));

    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
        /* gettext("") is the catalog header, not an empty string */
        const char *args = *commands[i].args ? _(commands[i].args) : "";
        /* pad by characters, not bytes: arguments may hold an ellipsis */
        int pad = 13 - (int)g_utf8_strlen(args, -1);
        g_string_append_printf(s, "\n  %-9s %s%*s %s", commands[i].name, args,
                               MAX(pad, 0), "", _(commands[i].summary));
    }
    g_string_append(s, "\n\n");
    g_string_append(s, _("Run 'ivsharectl COMMAND --help' for a command's options.\n"
                         "Exit status: 0 success, 1 failure, 2 bad usage, 3 invalid input,\n"
                         "4 conflict or in use, 5 not found."));
    return g_string_free(g_steal_pointer(&s), FALSE);
}

/*
 * Parse the options of @cmd (plus the common ones) out of argv; the
 * remaining arguments must number between @min and @max (-1: any).
 */
gboolean
ctl_parse(ctl_options *opts, const char *cmd, const char *args, int min, int max,
          int *argc, char ***argv)
{
    GOptionEntry common[] = {
        { "json", 'j', 0, G_OPTION_ARG_NONE, &opts->json, N_("Print JSON instead of tables"), NULL },
        { "connect", 'c', 0, G_OPTION_ARG_STRING, &opts->uri, N_("libvirt connection URI"), N_("URI") },
        { NULL }
    };
    g_autofree char *usage = g_strdup_printf("%s %s", cmd, args);
    g_autoptr(GOptionContext) ctx = g_option_context_new(usage);
    g_autoptr(GError) error = NULL;

    g_option_context_set_translation_domain(ctx, GETTEXT_PACKAGE);
    g_option_context_add_main_entries(ctx, common, GETTEXT_PACKAGE);
    if (!g_option_context_parse(ctx, argc, argv, &error)) {
        fprintf(stderr, "ivsharectl %s: %s\n", cmd, error->message);
        return FALSE;
    }
    /* argv[0] is the command */
    if (*argc - 1 < min || (max >= 0 && *argc - 1 > max)) {
        if (max == 0)
            fprintf(stderr, _("ivsharectl %s: expected no arguments; see 'ivsharectl %s --help'\n"), cmd, cmd);
        else
            fprintf(stderr, _("ivsharectl %s: expected %s; see 'ivsharectl %s --help'\n"), cmd, args, cmd);
        return FALSE;
    }
    return TRUE;
}

int
main(int argc, char **argv)
{
    g_autofree char *summary = NULL;
    g_autoptr(GOptionContext) ctx = NULL;
    ctl_options opts = { 0 };

    /* IVSHARE_LOCALEDIR: the message catalogs of an uninstalled build (tests) */
    const char *localedir = g_getenv("IVSHARE_LOCALEDIR");

    setlocale(LC_ALL, "");
    bindtextdomain(GETTEXT_PACKAGE, localedir && *localedir ? localedir : LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    textdomain(GETTEXT_PACKAGE);
    g_set_prgname("ivsharectl");

    if (argc >= 2 && argv[1][0] != '-') {
        for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
            if (g_str_equal(argv[1], commands[i].name))
                return commands[i].run(&opts, argc - 1, argv + 1);
        fprintf(stderr, _("ivsharectl: unknown command '%s'; see 'ivsharectl --help'\n"), argv[1]);
        return 2;
    }

    ctx = g_option_context_new(_("COMMAND [ARGUMENTS…]"));
    summary = commands_summary();
    g_option_context_set_summary(ctx, _("Manage ivshare shared-memory regions of libvirt domains."));
    g_option_context_set_description(ctx, summary);
    g_option_context_set_translation_domain(ctx, GETTEXT_PACKAGE);
    if (!g_option_context_parse(ctx, &argc, &argv, NULL) || argc < 2) {
        g_autofree char *help = g_option_context_get_help(ctx, TRUE, NULL);
        fprintf(stderr, "%s", help);
        return 2;
    }
    return 2;
}
