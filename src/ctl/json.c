/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* json.c: a small JSON writer for --json output. */
#include "json.h"

#include <stdio.h>

static void
escape(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            g_string_append_printf(out, "\\%c", c);
        else if (c < 0x20)
            g_string_append_printf(out, "\\u%04x", c);
        else
            g_string_append_c(out, (char)c);
    }
    g_string_append_c(out, '"');
}

/* A comma when needed, then "key": (keys only inside objects). */
static void
member(json_writer *w, const char *key)
{
    if (!w->out)
        w->out = g_string_new(NULL);
    if (w->need_comma)
        g_string_append_c(w->out, ',');
    if (key) {
        escape(w->out, key);
        g_string_append_c(w->out, ':');
    }
    w->need_comma = TRUE;
}

static void
open_container(json_writer *w, const char *key, char c)
{
    member(w, key);
    g_string_append_c(w->out, c);
    w->depth++;
    w->need_comma = FALSE;
}

static void
close_container(json_writer *w, char c)
{
    g_string_append_c(w->out, c);
    w->depth--;
    w->need_comma = TRUE;
}

void json_begin_object(json_writer *w, const char *key) { open_container(w, key, '{'); }
void json_end_object(json_writer *w) { close_container(w, '}'); }
void json_begin_array(json_writer *w, const char *key) { open_container(w, key, '['); }
void json_end_array(json_writer *w) { close_container(w, ']'); }

void
json_string(json_writer *w, const char *key, const char *value)
{
    member(w, key);
    if (value)
        escape(w->out, value);
    else
        g_string_append(w->out, "null");
}

void
json_uint(json_writer *w, const char *key, guint64 value)
{
    member(w, key);
    g_string_append_printf(w->out, "%" G_GUINT64_FORMAT, value);
}

void
json_int(json_writer *w, const char *key, gint64 value)
{
    member(w, key);
    g_string_append_printf(w->out, "%" G_GINT64_FORMAT, value);
}

void
json_bool(json_writer *w, const char *key, gboolean value)
{
    member(w, key);
    g_string_append(w->out, value ? "true" : "false");
}

void
json_print(json_writer *w)
{
    g_return_if_fail(w->depth == 0 && w->out);
    printf("%s\n", w->out->str);
    g_string_free(g_steal_pointer(&w->out), TRUE);
}
