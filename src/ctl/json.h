/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* json.h: a small JSON writer for --json output. */
#ifndef IVSHARE_CTL_JSON_H
#define IVSHARE_CTL_JSON_H

#include <glib.h>

typedef struct {
    GString *out;
    guint depth;
    gboolean need_comma;
} json_writer;

void json_begin_object(json_writer *w, const char *key);
void json_end_object(json_writer *w);
void json_begin_array(json_writer *w, const char *key);
void json_end_array(json_writer *w);
void json_string(json_writer *w, const char *key, const char *value);
void json_uint(json_writer *w, const char *key, guint64 value);
void json_int(json_writer *w, const char *key, gint64 value);
void json_bool(json_writer *w, const char *key, gboolean value);
/* Print the document on standard output, with a newline, and free it. */
void json_print(json_writer *w);

#endif /* IVSHARE_CTL_JSON_H */
