/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The libvirt qemu hook: /etc/libvirt/hooks/qemu.d/ivshare DOMAIN OP SUBOP EXTRA,
 * with the domain XML on stdin.  Only prepare and release matter; any other
 * operation passes through untouched.  A failure prints one line on stderr
 * (what 'virsh start' shows) and exits 1.
 */
#include "hook.h"

#include <locale.h>
#include <stdio.h>
#include <unistd.h>

#define MAX_XML (16 * 1024 * 1024)

static char *
read_stdin(gsize *len, GError **error)
{
    g_autoptr(GString) buf = g_string_sized_new(8192);
    char chunk[8192];
    ssize_t n;

    while ((n = read(STDIN_FILENO, chunk, sizeof(chunk))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_FAILED,
                        _("cannot read the domain XML from standard input: %s"), g_strerror(errno));
            return NULL;
        }
        if (buf->len + (gsize)n > MAX_XML) {
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                        _("the domain XML on standard input is larger than %d MiB"), MAX_XML >> 20);
            return NULL;
        }
        g_string_append_len(buf, chunk, n);
    }
    *len = buf->len;
    return g_string_free(g_steal_pointer(&buf), FALSE);
}

int
main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = NULL;
    const ivshare_conf *conf;
    const char *domain, *op;
    gsize len = 0;
    gboolean ok;

    /* IVSHARE_LOCALEDIR: the message catalogs of an uninstalled build (tests) */
    const char *localedir = g_getenv("IVSHARE_LOCALEDIR");

    setlocale(LC_ALL, "");
    bindtextdomain(GETTEXT_PACKAGE, localedir && *localedir ? localedir : LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");

    if (argc < 3) {
        fprintf(stderr, _("ivshare: usage: %s DOMAIN OPERATION [SUBOPERATION EXTRA] < DOMAIN-XML\n"), argv[0]);
        return 2;
    }
    domain = argv[1];
    op = argv[2];
    if (!g_str_equal(op, "prepare") && !g_str_equal(op, "release"))
        return 0;

    if (!(conf = ivshare_conf_get(&error)))
        goto fail;
    if (g_str_equal(op, "prepare")) {
        if (!(xml = read_stdin(&len, &error)))
            goto fail;
        ok = ivshare_hook_prepare(domain, xml, len, conf, &error);
    } else {
        ok = ivshare_hook_release(domain, conf, &error);
    }
    if (ok)
        return 0;

 fail:
    fprintf(stderr, "ivshare: %s\n", error->message);
    return 1;
}
