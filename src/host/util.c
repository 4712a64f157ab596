/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* util.c: the ivshare error domain, sizes, powers of two, names, reading files. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "ivshare/ivshare.h"

G_DEFINE_QUARK(ivshare-error-quark, ivshare_error)

gboolean
ivshare_parse_size(const char *text, guint64 *out)
{
    guint64 value = 0;
    unsigned shift = 0;
    const char *p = text;

    if (!text || !g_ascii_isdigit(*p))
        return FALSE;
    for (; g_ascii_isdigit(*p); p++) {
        guint digit = (guint)(*p - '0');

        if (value > (G_MAXUINT64 - digit) / 10)
            return FALSE;
        value = value * 10 + digit;
    }
    switch (*p) {
    case '\0':
        break;
    case 'K':
        shift = 10;
        p++;
        break;
    case 'M':
        shift = 20;
        p++;
        break;
    case 'G':
        shift = 30;
        p++;
        break;
    default:
        return FALSE;
    }
    if (*p != '\0')
        return FALSE;
    if (shift && value > (G_MAXUINT64 >> shift))
        return FALSE;
    *out = value << shift;
    return TRUE;
}

char *
ivshare_format_size(guint64 bytes)
{
    static const struct {
        unsigned shift;
        char suffix;
    } units[] = { { 30, 'G' }, { 20, 'M' }, { 10, 'K' } };

    if (bytes == 0)
        return g_strdup("0");
    for (gsize i = 0; i < G_N_ELEMENTS(units); i++) {
        guint64 unit = G_GUINT64_CONSTANT(1) << units[i].shift;

        if (bytes % unit == 0)
            return g_strdup_printf("%" G_GUINT64_FORMAT "%c", bytes / unit, units[i].suffix);
    }
    return g_strdup_printf("%" G_GUINT64_FORMAT, bytes);
}

gboolean
ivshare_is_power_of_two(guint64 v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

/* The smallest power of two >= @v; 0 when it does not fit 64 bits. */
guint64
ivshare_next_power_of_two(guint64 v)
{
    guint64 p = 1;

    while (p < v) {
        if (p > G_MAXUINT64 / 2)
            return 0;
        p <<= 1;
    }
    return p;
}

void
ivshare_error_one_line(GError **error)
{
    g_autofree char *valid = NULL;
    GString *out;

    if (!error || !*error)
        return;
    valid = g_utf8_make_valid((*error)->message, -1);
    out = g_string_sized_new(strlen(valid));
    for (const char *p = valid; *p; p++) {
        if ((guchar)*p < 0x20 || *p == 0x7f)
            g_string_append_printf(out, "\\x%02x", (guchar)*p);
        else
            g_string_append_c(out, *p);
    }
    g_free((*error)->message);
    (*error)->message = g_string_free(out, FALSE);
}

gboolean
ivshare_name_is_valid(const char *name)
{
    gsize len;

    if (!name)
        return FALSE;
    len = strlen(name);
    if (len == 0 || len > IVSHARE_NAME_MAX)
        return FALSE;
    if (g_str_equal(name, ".") || g_str_equal(name, ".."))
        return FALSE;
    for (const char *p = name; *p; p++) {
        if (!g_ascii_isalnum(*p) && *p != '_' && *p != '.' && *p != '-')
            return FALSE;
    }
    return TRUE;
}

#define READ_MAX (16 * 1024 * 1024)

gboolean
ivshare_read_file(const char *path, char **data, gsize *len, GError **error)
{
    gboolean in = g_str_equal(path, "-");
    const char *name = in ? _("standard input") : path;
    g_autofree char *buf = g_malloc(READ_MAX + 2);
    gsize have = 0;
    int fd = in ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    int saved = 0;

    if (fd < 0) {
        saved = errno;
        g_set_error(error, IVSHARE_ERROR, saved == ENOENT ? IVSHARE_ERROR_NOT_FOUND : IVSHARE_ERROR_FAILED,
                    _("cannot open %s: %s"), name, g_strerror(saved));
        return FALSE;
    }
    while (have <= READ_MAX) {
        ssize_t n = read(fd, buf + have, READ_MAX + 1 - have);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            saved = errno;
            break;
        }
        if (n == 0)
            break;
        have += (gsize)n;
    }
    if (!in)
        close(fd);
    if (saved) {
        g_set_error(error, IVSHARE_ERROR, saved == EISDIR ? IVSHARE_ERROR_INVALID : IVSHARE_ERROR_FAILED,
                    _("cannot read %s: %s"), name, g_strerror(saved));
        return FALSE;
    }
    if (have > READ_MAX) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("%s: the file is larger than 16M; it is not a description"), name);
        return FALSE;
    }
    buf[have] = '\0';
    *data = g_realloc(g_steal_pointer(&buf), have + 1);
    *len = have;
    return TRUE;
}
