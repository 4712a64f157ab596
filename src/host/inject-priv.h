/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * inject-priv.h: the parts of the device injection, private to inject*.c.
 *
 * libxml2 parses and checks the domain XML and reads the values; the output
 * is the input bytes with a few spans replaced, so that everything the
 * injection does not touch (quoting, comments, declaration, whitespace)
 * stays byte for byte.  inject-scan.c finds the byte span of every element
 * of the (already well-formed) document; inject-device.c compares and
 * writes one <shmem> device; inject.c decides what changes.
 */
#ifndef IVSHARE_HOST_INJECT_PRIV_H
#define IVSHARE_HOST_INJECT_PRIV_H

#include "inject.h"

#define IVSHARE_INJECT_MAX_XML (16u * 1024u * 1024u)

/* ---- inject-scan.c: a domain XML and where its elements are ---- */

typedef struct {
    gsize start;              /* the '<' of the start tag */
    gsize content;            /* just after the start tag */
    gsize close;              /* the '<' of the end tag (== end when empty) */
    gsize end;                /* just after the element */
    gboolean empty;           /* written <x/> */
} ivshare_span;

typedef struct {
    const char *text;         /* the caller's bytes, not copied */
    gsize len;
    const char *nl;           /* "\n", or "\r\n" when the document uses it */
    xmlDoc *doc;              /* element nodes: _private = span index + 1 */
    GArray *spans;            /* ivshare_span, document order */
} ivshare_inject_doc;

/*
 * Parse a domain XML (at most IVSHARE_INJECT_MAX_XML bytes of UTF-8, no
 * DTD, root <domain>) and locate its elements; @source names it in
 * messages.  Free with ivshare_inject_doc_clear() even on failure.
 */
gboolean ivshare_inject_doc_parse(const char *xml, gsize len, const char *source,
                                  ivshare_inject_doc *d, GError **error);
void ivshare_inject_doc_clear(ivshare_inject_doc *d);
const ivshare_span *ivshare_inject_span(const ivshare_inject_doc *d, const xmlNode *n);

/*
 * The whitespace from the start of its line to @pos, or NULL when
 * something else precedes @pos on its line.
 */
char *ivshare_inject_indent(const ivshare_inject_doc *d, gsize pos);
/* Back from @pos over whitespace, not before @floor. */
gsize ivshare_inject_space_before(const ivshare_inject_doc *d, gsize pos, gsize floor);
/* One indentation level below @parent, "  " when it cannot be told. */
char *ivshare_inject_step(const ivshare_inject_doc *d, const xmlNode *parent);

/* Elements without a namespace, attributes and trimmed text (g_free). */
gboolean ivshare_inject_node_is(const xmlNode *n, const char *name);
xmlNode *ivshare_inject_child(const xmlNode *parent, const char *name);
xmlNode *ivshare_inject_last_child(const xmlNode *parent);
char *ivshare_inject_prop(const xmlNode *n, const char *name);
char *ivshare_inject_text(const xmlNode *n);

/* ---- inject-device.c: one <shmem> device ---- */

typedef enum {
    IVSHARE_SHMEM_PLAIN,
    IVSHARE_SHMEM_DOORBELL,
    IVSHARE_SHMEM_LAST
} ivshare_shmem_model;

const char *ivshare_shmem_model_to_string(ivshare_shmem_model m);

/*
 * The device a region needs: ivshmem-plain with its size, or
 * ivshmem-doorbell with its server and vectors and no size (libvirt
 * refuses one with a server: QEMU maps the memory the server hands out).
 */
typedef struct {
    char *dev_name;           /* ivshare-REGION */
    const char *region;
    ivshare_shmem_model model;
    guint64 size;
    char *server;             /* doorbell only */
    guint vectors;            /* doorbell only */
} ivshare_inject_device;

/* How to lay a device out: ind NULL writes it on one line. */
typedef struct {
    const char *ind;          /* indentation of the <shmem> */
    const char *step;         /* one more level, for its children */
    const char *nl;
} ivshare_inject_style;

/*
 * NULL when the <shmem> @dev has what @w needs (ignoring <address> and
 * <alias>), else a sentence fragment saying what differs.
 */
char *ivshare_inject_device_difference(const ivshare_inject_device *w, const xmlNode *dev);

/* Append the <shmem> of @w, then the bytes of the elements in @kept. */
void ivshare_inject_device_format(GString *out, const ivshare_inject_device *w,
                                  const ivshare_inject_style *st,
                                  const ivshare_inject_doc *d, GPtrArray *kept);

#endif /* IVSHARE_HOST_INJECT_PRIV_H */
