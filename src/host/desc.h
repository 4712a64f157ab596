/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * desc.h: the in-memory model of a domain's ivshare description.
 *
 * One model, filled from the XML inside a domain's <metadata> or from
 * /etc/ivshare/domains/DOMAIN.ini; both are checked by the same code
 * (ivshare_desc_check) after parsing.
 */
#ifndef IVSHARE_HOST_DESC_H
#define IVSHARE_HOST_DESC_H

#include <glib.h>

#include "format.h"
#include "util.h"

#define IVSHARE_XMLNS "https://ivshare.dev/xmlns/domain/1"

typedef enum {
    IVSHARE_OBJ_MEMZONE,
    IVSHARE_OBJ_RING,
    IVSHARE_OBJ_POOL,
    IVSHARE_OBJ_LAST
} ivshare_obj_kind;

typedef enum {
    IVSHARE_BACKING_HUGEPAGES,
    IVSHARE_BACKING_SHM,
    IVSHARE_BACKING_LAST
} ivshare_backing;

typedef enum {
    IVSHARE_EXIT_DESTROY,
    IVSHARE_EXIT_SHUTDOWN,
    IVSHARE_EXIT_LAST
} ivshare_exit_policy;

/* Enum <-> string, one table each (NULL / -1 when unknown). */
const char *ivshare_obj_kind_to_string(ivshare_obj_kind v);
int ivshare_obj_kind_from_string(const char *s);
const char *ivshare_backing_to_string(ivshare_backing v);
int ivshare_backing_from_string(const char *s);
const char *ivshare_exit_policy_to_string(ivshare_exit_policy v);
int ivshare_exit_policy_from_string(const char *s);

typedef struct {
    ivshare_obj_kind kind;
    char *name;
    guint line;               /* where it was described, 0 if unknown */
    /* ring */
    guint32 slot_size;
    guint32 slots;
    gboolean multi_producer;
    gboolean multi_consumer;
    /* pool */
    guint32 buffer_size;
    guint32 buffers;
    /* memzone */
    guint64 size;
    guint64 align;            /* 0: default */
} ivshare_obj_desc;

typedef struct {
    char *name;
    char *host_app;
    guint line;
    guint64 size;             /* 0: smallest power of two that fits */
    ivshare_backing backing;
    guint64 page_size;        /* 2M default */
    gboolean doorbell;
    guint vectors;            /* doorbell only; 1 default */
    int numa_node;            /* -1: none */
    ivshare_exit_policy on_exit;
    guint shutdown_timeout;   /* seconds, 30 default */
    GPtrArray *objects;       /* ivshare_obj_desc*, in description order */
} ivshare_region_desc;

typedef struct {
    char *domain;             /* may be NULL for a bare description file */
    char *source;             /* file name or "domain 'X'", for messages */
    GPtrArray *regions;       /* ivshare_region_desc* */
} ivshare_desc;

ivshare_obj_desc *ivshare_obj_desc_new(ivshare_obj_kind kind, const char *name);
void ivshare_obj_desc_free(ivshare_obj_desc *o);
ivshare_region_desc *ivshare_region_desc_new(const char *name);
void ivshare_region_desc_free(ivshare_region_desc *r);
ivshare_desc *ivshare_desc_new(const char *domain, const char *source);
void ivshare_desc_free(ivshare_desc *d);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ivshare_obj_desc, ivshare_obj_desc_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ivshare_region_desc, ivshare_region_desc_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ivshare_desc, ivshare_desc_free)

/*
 * Parse a domain XML (a whole <domain> document, whose <metadata> may hold
 * an <ivshare:shared-memory> element) or a bare <ivshare:shared-memory>
 * document.  *out is set to NULL, with TRUE returned, when the domain has
 * no description.  @source names the input in messages.
 */
gboolean ivshare_desc_from_xml(const char *xml, gsize len, const char *source,
                               ivshare_desc **out, GError **error);

/* Parse an INI description; @domain may be NULL. */
gboolean ivshare_desc_from_ini(const char *data, gsize len, const char *source,
                               const char *domain, ivshare_desc **out, GError **error);

/*
 * Load a file: *.ini as INI, anything else as XML (domain or bare).
 */
gboolean ivshare_desc_load_file(const char *path, ivshare_desc **out, GError **error);

/*
 * The description of domain @domain whose XML is @domain_xml: the XML
 * metadata, or <domains dir>/DOMAIN.ini; an error when both exist.
 */
gboolean ivshare_desc_for_domain(const char *domain, const char *domain_xml,
                                 ivshare_desc **out, GError **error);

/*
 * Semantic checks after parsing (names, powers of two, counts, duplicates,
 * objects that fit an explicit size).  Parsers call it; exported for tests.
 */
gboolean ivshare_desc_check(const ivshare_desc *d, GError **error);

/*
 * Fingerprint of a region's description: the same for the same model,
 * whichever syntax it came from.
 */
guint64 ivshare_region_desc_fingerprint(const ivshare_region_desc *r);

/* Do two descriptions of one region agree?  If not, say how, naming both. */
gboolean ivshare_region_desc_agree(const ivshare_region_desc *a, const char *a_source,
                                   const ivshare_region_desc *b, const char *b_source,
                                   GError **error);

/*
 * The size of the region file: the explicit size, else the smallest power
 * of two (at least 1 MiB and one page) that fits the metadata and objects.
 */
gboolean ivshare_region_desc_size(const ivshare_region_desc *r, guint64 *size, GError **error);

/*
 * The region layout (format.h) of a described region: fills *layout and
 * a newly allocated array of its objects (free it with g_free), computes
 * offsets, and sets the fingerprint; the generation is left 0.
 */
gboolean ivshare_region_desc_layout(const ivshare_region_desc *r,
                                    ivshare_layout *layout,
                                    ivshare_layout_object **objects,
                                    GError **error);

/*
 * Shared by the XML and INI parsers: set one attribute (XML) or key (INI)
 * of a region or object from its text, with the same checks and messages
 * for both syntaxes.  The message names neither the file nor the key: the
 * caller prefixes them.
 */
gboolean ivshare_region_desc_set(ivshare_region_desc *r, const char *key,
                                 const char *value, GError **error);
gboolean ivshare_obj_desc_set(ivshare_obj_desc *o, const char *key,
                              const char *value, GError **error);
/* The keys a region (@kind -1) or an object of @kind accepts, for messages. */
const char *ivshare_desc_known_keys(int kind);
/*
 * Prefix *error with where it happened: "SOURCE:LINE: region 'R': ring 'O': "
 * (the line and either name left out when unknown; @o may be NULL).
 */
void ivshare_desc_prefix_error(GError **error, const char *source, guint line,
                               const ivshare_region_desc *r, const ivshare_obj_desc *o);
/* Defaults that depend on other attributes (vectors of a doorbell region). */
void ivshare_region_desc_finish(ivshare_region_desc *r);

/* Descriptions larger than this are refused unread. */
#define IVSHARE_DESC_MAX_BYTES (16u * 1024 * 1024)

#endif /* IVSHARE_HOST_DESC_H */
