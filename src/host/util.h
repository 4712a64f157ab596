/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* util.h: the error domain and helpers shared by the host library. */
#ifndef IVSHARE_HOST_UTIL_H
#define IVSHARE_HOST_UTIL_H

#include "config.h"

#include <glib.h>
#include <glib/gi18n-lib.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/relaxng.h>

#include "ivshare/ivshare.h"

#define IVSHARE_ERROR (ivshare_error_quark())
GQuark ivshare_error_quark(void);

typedef enum {
    IVSHARE_ERROR_FAILED,      /* anything else */
    IVSHARE_ERROR_INVALID,     /* an invalid description, argument or file */
    IVSHARE_ERROR_CONFLICT,    /* two descriptions of one region disagree */
    IVSHARE_ERROR_NOT_FOUND,   /* no such domain, region or description */
    IVSHARE_ERROR_BUSY,        /* in use: cannot be rebuilt or removed */
    IVSHARE_ERROR_RESOURCE,    /* out of hugepages, memory or space */
    IVSHARE_ERROR_LAST
} ivshare_error_code;

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ivshare_region, ivshare_close)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathContext, xmlXPathFreeContext)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathObject, xmlXPathFreeObject)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlRelaxNGParserCtxt, xmlRelaxNGFreeParserCtxt)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlRelaxNG, xmlRelaxNGFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlRelaxNGValidCtxt, xmlRelaxNGFreeValidCtxt)

/* Parse "4096", "4K", "2M", "1G" (binary suffixes) into bytes. */
gboolean ivshare_parse_size(const char *text, guint64 *out);
/* Format bytes the way descriptions write them: "4K", "2M", "1536". */
char *ivshare_format_size(guint64 bytes);

gboolean ivshare_is_power_of_two(guint64 v);
guint64 ivshare_next_power_of_two(guint64 v);

/*
 * Make *error's message one line of valid UTF-8: control characters that
 * came from the input become \xNN.  Parsers call it on what they return.
 */
void ivshare_error_one_line(GError **error);

/*
 * Read at most 16 MiB of @path ("-": standard input), whatever kind of
 * file it is; NUL-terminated.  Errors: IVSHARE_ERROR_NOT_FOUND for a
 * missing file, _INVALID for a directory or a larger file, else _FAILED.
 */
gboolean ivshare_read_file(const char *path, char **data, gsize *len, GError **error);

/* [A-Za-z0-9_.-]{1,31}, and not "." or "..". */
gboolean ivshare_name_is_valid(const char *name);

#endif /* IVSHARE_HOST_UTIL_H */
