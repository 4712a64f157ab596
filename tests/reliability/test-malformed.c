/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-malformed.c: malformed input to the programs' entry points, one
 * table row per case with its exact exit status and message: the hook
 * (hooks/ivshare) and ivsharectl, run as programs with IVSHARE_CONF
 * pointing at private settings in a temporary directory, where afterwards
 * nothing may have been created.
 *
 * A row with a 'bug' states the right behaviour of a known defect: while
 * the program does otherwise, the case is reported as incomplete (TAP
 * TODO) with the defect, and it passes once the defect is fixed.
 *
 * IVSHARE_MALFORMED_PRINT=1 prints what each case does instead of checking.
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "fixture.h"
#include "util.h"

typedef enum { HOOK, CTL } program;

typedef struct {
    const char *name;
    program prog;
    const char *args[6];
    const char *input;        /* standard input; "@HUGE@": 17 MiB of XML */
    const char *conf;         /* other settings, instead of the private ones */
    int status;
    const char *err;          /* exact standard error, @DIR@ the temporary directory;
                               * NULL: any one line that starts with the program's name */
    gboolean prefix;          /* err is only the start of standard error */
    const char *bug;          /* a known defect: see above */
    gssize input_len;         /* 0: up to the first NUL */
} mcase;

#define NS "xmlns:ivshare='https://ivshare.dev/xmlns/domain/1'"
#define DOMAIN(name, region_attrs, object) \
    "<domain type='qemu'><name>" name "</name><metadata><ivshare:shared-memory " NS ">" \
    "<ivshare:region name='x' host-app='p'" region_attrs ">" object \
    "</ivshare:region></ivshare:shared-memory></metadata><devices/></domain>"
#define RING "<ivshare:ring name='r' slot-size='64' slots='64'/>"
#define VM(region_attrs) DOMAIN("vm1", region_attrs, RING)
#define USAGE_HOOK "ivshare: usage: @HOOK@ DOMAIN OPERATION [SUBOPERATION EXTRA] < DOMAIN-XML\n"
#define HELP "Usage:\n  ivsharectl [OPTION\u2026] COMMAND [ARGUMENTS\u2026]\n"
#define NOT_INJECTED(dom) \
    "ivshare: domain '" dom "': the ivshmem devices do not match the description: missing device " \
    "for region 'x'. Run 'ivsharectl sync " dom "' or 'ivsharectl inject' to update them.\n"
#define EXPECTED(cmd, what) "ivsharectl " cmd ": expected " what "; see 'ivsharectl " cmd " --help'\n"
#define VALID_NAMES "use 1 to 31 of the characters A-Z a-z 0-9 _ . - (but not '.' or '..')"

static const mcase cases[] = {
    /* the hook: arguments */
    { "hook/no-arguments", HOOK, { NULL }, NULL, NULL, 2, USAGE_HOOK },
    { "hook/one-argument", HOOK, { "vm1" }, NULL, NULL, 2, USAGE_HOOK },
    { "hook/unknown-operation", HOOK, { "vm1", "frobnicate", "begin", "-" }, "garbage", NULL, 0, "" },
    { "hook/started", HOOK, { "vm1", "started", "begin", "-" }, "<domain", NULL, 0, "" },
    { "hook/migrate", HOOK, { "vm1", "migrate", "begin", "-" }, VM(""), NULL, 0, "" },
    { "hook/restore", HOOK, { "vm1", "restore", "begin", "-" }, "\xff\xfe", NULL, 0, "" },
    { "hook/release-unknown-domain", HOOK, { "vm1", "release", "end", "-" }, "junk", NULL, 0, "" },
    { "hook/empty-domain-name", HOOK, { "", "prepare", "begin", "-" }, VM(""), NULL, 1,
      "ivshare: '' is not a domain name ivshare can look up\n" },
    { "hook/domain-name-slash", HOOK, { "a/b", "prepare", "begin", "-" }, DOMAIN("a/b", "", RING), NULL, 1,
      "ivshare: 'a/b' is not a domain name ivshare can look up\n" },
    { "hook/domain-name-dotdot", HOOK, { "..", "prepare", "begin", "-" }, DOMAIN("..", "", RING), NULL, 1,
      "ivshare: '..' is not a domain name ivshare can look up\n" },
    { "hook/domain-name-invalid-utf8", HOOK, { "vm\xff", "prepare", "begin", "-" }, VM(""), NULL, 1,
      "ivshare: 'vm\uFFFD' is not a domain name ivshare can look up\n" },
    /* the hook: the XML on standard input */
    { "hook/empty-input", HOOK, { "vm1", "prepare", "begin", "-" }, "", NULL, 1,
      "ivshare: domain 'vm1': the document is empty; expected a domain XML or an ivshare description\n" },
    { "hook/nul-byte", HOOK, { "vm1", "prepare", "begin", "-" }, "\0<domain/>", NULL, 1,
      "ivshare: domain 'vm1': the document is empty; expected a domain XML or an ivshare description\n",
      .input_len = 10 },
    { "hook/not-xml", HOOK, { "vm1", "prepare", "begin", "-" }, "hello", NULL, 1,
      "ivshare: domain 'vm1':1: the XML is not well-formed: Start tag expected, '<' not found\n" },
    { "hook/truncated", HOOK, { "vm1", "prepare", "begin", "-" }, "<domain><name>vm1</name>", NULL, 1,
      "ivshare: domain 'vm1':1: the XML is not well-formed: Premature end of data in tag domain line 1\n" },
    { "hook/wrong-root", HOOK, { "vm1", "prepare", "begin", "-" }, "<foo/>", NULL, 1,
      "ivshare: domain 'vm1':1: element 'foo': expected <domain> or <shared-memory "
      "xmlns='https://ivshare.dev/xmlns/domain/1'> as the root element\n" },
    { "hook/huge-input", HOOK, { "vm1", "prepare", "begin", "-" }, "@HUGE@", NULL, 1,
      "ivshare: the domain XML on standard input is larger than 16 MiB\n" },
    { "hook/invalid-utf8", HOOK, { "vm1", "prepare", "begin", "-" },
      "<domain type='qemu'><name>vm\xff</name></domain>", NULL, 1,
      "ivshare: domain 'vm1':1: the XML is not well-formed: Input is not proper UTF-8, indicate encoding !\n" },
    { "hook/entity-expansion", HOOK, { "vm1", "prepare", "begin", "-" },
      "<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY a 'aaaaaaaaaa'>"
      "<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>]><domain><name>&b;</name></domain>", NULL, 1,
      "ivshare: domain 'vm1': a document type declaration (<!DOCTYPE>) is not accepted\n" },
    { "hook/external-entity", HOOK, { "vm1", "prepare", "begin", "-" },
      "<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
      "<domain><name>&x;</name></domain>", NULL, 1,
      "ivshare: domain 'vm1': a document type declaration (<!DOCTYPE>) is not accepted\n" },
    { "hook/no-description", HOOK, { "vm1", "prepare", "begin", "-" },
      "<domain type='qemu'><name>vm1</name><devices/></domain>", NULL, 0, "" },
    { "hook/two-descriptions", HOOK, { "vm1", "prepare", "begin", "-" },
      "<domain type='qemu'><name>vm1</name><metadata><ivshare:shared-memory " NS "/>"
      "<ivshare:shared-memory " NS "/></metadata></domain>", NULL, 1,
      "ivshare: domain 'vm1':1: element 'shared-memory': a domain holds at most one ivshare description; "
      "merge the regions into the first one\n" },
    { "hook/not-injected", HOOK, { "vm1", "prepare", "begin", "-" }, VM(""), NULL, 1, NOT_INJECTED("vm1") },
    /* the hook: names and absurd sizes in the description */
    { "hook/region-name-slash", HOOK, { "vm1", "prepare", "begin", "-" },
      DOMAIN("vm1", "", RING "<ivshare:memzone name='../etc' size='4K'/>"), NULL, 1,
      "ivshare: domain 'vm1':1: region 'x': memzone name '../etc' is not valid: " VALID_NAMES "\n" },
    { "hook/region-name-long", HOOK, { "vm1", "prepare", "begin", "-" },
      "<domain type='qemu'><name>vm1</name><metadata><ivshare:shared-memory " NS ">"
      "<ivshare:region name='aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' host-app='p'>" RING
      "</ivshare:region></ivshare:shared-memory></metadata></domain>", NULL, 1,
      "ivshare: domain 'vm1':1: region name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' is not valid: " VALID_NAMES "\n" },
    { "hook/size-16E", HOOK, { "vm1", "prepare", "begin", "-" }, VM(" size='16E'"), NULL, 1,
      "ivshare: domain 'vm1':1: region 'x': size must be a size in bytes such as 4096, 4K, 2M or 1G, not '16E'\n" },
    { "hook/size-zero", HOOK, { "vm1", "prepare", "begin", "-" }, VM(" size='0'"), NULL, 1,
      "ivshare: domain 'vm1':1: region 'x': size must be between 1M and 1024G, not 0\n" },
    { "hook/size-negative", HOOK, { "vm1", "prepare", "begin", "-" }, VM(" size='-1'"), NULL, 1,
      "ivshare: domain 'vm1':1: region 'x': size must be a size in bytes such as 4096, 4K, 2M or 1G, not '-1'\n" },
    { "hook/size-overflow", HOOK, { "vm1", "prepare", "begin", "-" }, VM(" size='99999999999999999999999'"), NULL, 1,
      "ivshare: domain 'vm1':1: region 'x': size must be between 1M and 1024G, not 99999999999999999999999\n" },
    { "hook/vectors-huge", HOOK, { "vm1", "prepare", "begin", "-" }, VM(" doorbell='yes' vectors='100000'"), NULL, 1,
      "ivshare: domain 'vm1':1: region 'x': vectors must be between 1 and 64, not 100000\n" },
    { "hook/numa-node-huge", HOOK, { "vm1", "prepare", "begin", "-" }, VM(" numa-node='99999'"), NULL, 1,
      "ivshare: domain 'vm1':1: region 'x': numa-node must be between 0 and 1023, not 99999\n" },
    { "hook/shutdown-timeout-huge", HOOK, { "vm1", "prepare", "begin", "-" },
      VM(" shutdown-timeout='99999999999'"), NULL, 1,
      "ivshare: domain 'vm1':1: region 'x': shutdown-timeout must be between 1 and 3600, not 99999999999\n" },
    { "hook/slots-huge", HOOK, { "vm1", "prepare", "begin", "-" },
      DOMAIN("vm1", "", "<ivshare:ring name='r' slot-size='64' slots='4294967296'/>"), NULL, 1,
      "ivshare: domain 'vm1':1: region 'x': ring 'r': slots must be between 1 and 268435456, not 4294967296\n" },
    { "hook/slot-size-huge", HOOK, { "vm1", "prepare", "begin", "-" },
      DOMAIN("vm1", "", "<ivshare:ring name='r' slot-size='1G' slots='64'/>"), NULL, 1,
      "ivshare: domain 'vm1':1: region 'x': ring 'r': slot-size must be between 1 and 16M, not 1G\n" },
    { "hook/pool-too-big", HOOK, { "vm1", "prepare", "begin", "-" },
      DOMAIN("vm1", "", "<ivshare:pool name='b' buffer-size='1G' buffers='268435456'/>"), NULL, 1,
      "ivshare: domain 'vm1':1: region 'x': the metadata and objects need a region of 536870912G, "
      "more than the largest region (1024G)\n" },
    /* the hook: broken settings */
    { "hook/settings-syntax", HOOK, { "vm1", "prepare", "begin", "-" }, "<domain/>", "[paths\nfoo", 1,
      "ivshare: @DIR@/other.conf: cannot read the settings: Key file contains line \u201c[paths\u201d "
      "which is not a key-value pair, group, or comment\n" },
    { "hook/settings-relative", HOOK, { "vm1", "prepare", "begin", "-" }, "<domain/>",
      "[paths]\nruntime-dir=relative/run\n", 1,
      "ivshare: @DIR@/other.conf: [paths] runtime-dir must be an absolute path, not 'relative/run'\n" },
    { "hook/settings-unknown-key", HOOK, { "vm1", "release", "end", "-" }, NULL, "[paths]\nfoo=bar\n", 1,
      "ivshare: @DIR@/other.conf: unknown key 'foo' in group [paths]\n" },
    { "hook/settings-negative-timeout", HOOK, { "vm1", "prepare", "begin", "-" }, "<domain/>",
      "[daemon]\nshutdown-timeout=-5\n", 1,
      "ivshare: @DIR@/other.conf: [daemon] shutdown-timeout must be a number of seconds between 1 and 3600, "
      "not '-5'\n" },
    { "hook/settings-huge-timeout", HOOK, { "vm1", "prepare", "begin", "-" }, "<domain/>",
      "[daemon]\nshutdown-timeout=99999999999999999999\n", 1,
      "ivshare: @DIR@/other.conf: [daemon] shutdown-timeout must be a number of seconds between 1 and 3600, "
      "not '99999999999999999999'\n" },
    { "hook/settings-bad-policy", HOOK, { "vm1", "prepare", "begin", "-" }, "<domain/>",
      "[daemon]\non-host-app-exit=explode\n", 1,
      "ivshare: @DIR@/other.conf: [daemon] on-host-app-exit must be 'destroy' or 'shutdown', not 'explode'\n" },
    { "hook/settings-empty-path", HOOK, { "vm1", "prepare", "begin", "-" }, "<domain/>",
      "[paths]\nhugepage-dir=\n", 1,
      "ivshare: @DIR@/other.conf: [paths] hugepage-dir must be an absolute path, not ''\n" },
    { "hook/settings-empty-user", HOOK, { "vm1", "prepare", "begin", "-" }, "<domain/>", "[qemu]\nuser=\n", 1,
      "ivshare: @DIR@/other.conf: [qemu] user must be a user or group name, not ''\n" },
    { "hook/settings-unknown-group", HOOK, { "vm1", "prepare", "begin", "-" }, "<domain/>", "[unknown]\nx=1\n", 1,
      "ivshare: @DIR@/other.conf: unknown group [unknown]; expected [paths], [qemu] or [daemon]\n" },
    { "hook/settings-not-utf8", HOOK, { "vm1", "prepare", "begin", "-" }, "<domain/>",
      "[paths]\nlink-dir=/l\xffx\n", 1,
      "ivshare: @DIR@/other.conf: [paths] link-dir: Key file contains key \u201clink-dir\u201d with value "
      "\u201c/l\uFFFDx\u201d which is not UTF-8\n" },
    { "hook/settings-unknown-op", HOOK, { "vm1", "stopped", "end", "-" }, NULL, "[paths\n", 0, "" },

    /* ivsharectl: usage */
    { "ctl/no-arguments", CTL, { NULL }, NULL, NULL, 2, HELP, TRUE },
    { "ctl/unknown-command", CTL, { "frobnicate" }, NULL, NULL, 2, "ivsharectl: unknown command 'frobnicate'; see 'ivsharectl --help'\n" },
    { "ctl/unknown-option", CTL, { "--frobnicate" }, NULL, NULL, 2, HELP, TRUE },
    { "ctl/validate-no-file", CTL, { "validate" }, NULL, NULL, 2, EXPECTED("validate", "FILE\u2026") },
    { "ctl/validate-bad-option", CTL, { "validate", "--bogus", "x.xml" }, NULL, NULL, 2, "ivsharectl validate: Unknown option --bogus\n" },
    { "ctl/validate-json-no-file", CTL, { "validate", "--json" }, NULL, NULL, 2, EXPECTED("validate", "FILE\u2026") },
    { "ctl/inject-no-file", CTL, { "inject" }, NULL, NULL, 2, EXPECTED("inject", "FILE|-") },
    { "ctl/inject-two-files", CTL, { "inject", "a.xml", "b.xml" }, NULL, NULL, 2, EXPECTED("inject", "FILE|-") },
    { "ctl/build-no-argument", CTL, { "build" }, NULL, NULL, 2, EXPECTED("build", "DOMAIN|FILE") },
    { "ctl/inspect-no-argument", CTL, { "inspect" }, NULL, NULL, 2, EXPECTED("inspect", "REGION|PATH") },
    { "ctl/cmdline-no-argument", CTL, { "cmdline" }, NULL, NULL, 2, EXPECTED("cmdline", "REGION") },
    { "ctl/sync-no-argument", CTL, { "sync" }, NULL, NULL, 2, EXPECTED("sync", "DOMAIN") },
    { "ctl/define-no-argument", CTL, { "define" }, NULL, NULL, 2, EXPECTED("define", "FILE|-") },
    { "ctl/status-extra", CTL, { "status", "extra" }, NULL, NULL, 2, EXPECTED("status", "no arguments") },
    { "ctl/gc-extra", CTL, { "gc", "extra" }, NULL, NULL, 2, EXPECTED("gc", "no arguments") },
    { "ctl/cmdline-extra", CTL, { "cmdline", "x", "y" }, NULL, NULL, 2, EXPECTED("cmdline", "REGION") },
    { "ctl/connect-no-uri", CTL, { "sync", "--connect" }, NULL, NULL, 2, "ivsharectl sync: Missing argument for --connect\n" },
    /* ivsharectl: files */
    { "ctl/validate-missing-file", CTL, { "validate", "nonexistent.xml" }, NULL, NULL, 5, NULL },
    { "ctl/validate-directory", CTL, { "validate", "dir" }, NULL, NULL, 3, NULL },
    { "ctl/validate-empty-xml", CTL, { "validate", "empty.xml" }, NULL, NULL, 3, "ivsharectl: empty.xml: the document is empty; expected a domain XML or an ivshare description\n" },
    { "ctl/validate-empty-ini", CTL, { "validate", "empty.ini" }, NULL, NULL, 3, "ivsharectl: empty.ini: the description has no regions\n" },
    { "ctl/validate-huge", CTL, { "validate", "big.xml" }, NULL, NULL, 3, "ivsharectl: big.xml: the file is larger than 16M; it is not a description\n" },
    { "ctl/validate-broken-xml", CTL, { "validate", "broken.xml" }, NULL, NULL, 3, "ivsharectl: broken.xml:1: not well-formed XML: Couldn't find end of Start Tag domain line 1\n" },
    { "ctl/validate-not-pow2", CTL, { "validate", "bad.xml" }, NULL, NULL, 3, "ivsharectl: bad.xml:1: region 'x': size must be a power of two, not 3M\n" },
    { "ctl/validate-ini-not-pow2", CTL, { "validate", "bad.ini" }, NULL, NULL, 3, "ivsharectl: bad.ini:3: region 'x': ring 'r': slots must be a power of two, not 3\n" },
    { "ctl/validate-ini-syntax", CTL, { "validate", "syntax.ini" }, NULL, NULL, 3, "ivsharectl: syntax.ini: the file is not in INI (key file) syntax: Key file contains line \u201c[region x\u201d which is not a key-value pair, group, or comment\n" },
    { "ctl/validate-invalid-utf8", CTL, { "validate", "latin.xml" }, NULL, NULL, 3, "ivsharectl: latin.xml:1: not well-formed XML: Input is not proper UTF-8, indicate encoding !\n" },
    { "ctl/validate-doctype", CTL, { "validate", "doctype.xml" }, NULL, NULL, 3, "ivsharectl: doctype.xml: not a libvirt domain XML (no <domain> root with a <name>)\n" },
    { "ctl/validate-disagree", CTL, { "validate", "a.xml", "b.xml" }, NULL, NULL, 4, "ivsharectl: region 'x' is described differently: ring 'r' attribute 'slots' is '64' in a.xml and '128' in b.xml\n" },
    { "ctl/validate-second-missing", CTL, { "validate", "a.xml", "nonexistent.xml" }, NULL, NULL, 5, NULL },
    { "ctl/inject-missing-file", CTL, { "inject", "nonexistent.xml" }, NULL, NULL, 5, NULL },
    { "ctl/inject-broken", CTL, { "inject", "broken.xml" }, NULL, NULL, 3, "ivsharectl: broken.xml:1: not well-formed XML: Couldn't find end of Start Tag domain line 1\n" },
    { "ctl/inject-stdin-garbage", CTL, { "inject", "-" }, "\x01\x02garbage", NULL, 3, "ivsharectl: standard input:1: not well-formed XML: Start tag expected, '<' not found\n" },
    { "ctl/inject-stdin-empty", CTL, { "inject", "-" }, "", NULL, 3, "ivsharectl: standard input: the document is empty; expected a domain XML or an ivshare description\n" },
    { "ctl/inject-stdin-huge", CTL, { "inject", "-" }, "@HUGE@", NULL, 3, "ivsharectl: standard input: the file is larger than 16M; it is not a description\n" },
    { "ctl/inject-stdin-bad-size", CTL, { "inject", "-" }, VM(" size='3M'"), NULL, 3, "ivsharectl: domain 'vm1':1: region 'x': size must be a power of two, not 3M\n" },
    { "ctl/build-invalid", CTL, { "build", "bad.xml" }, NULL, NULL, 3, "ivsharectl: bad.xml:1: region 'x': size must be a power of two, not 3M\n" },
    { "ctl/build-ini-invalid", CTL, { "build", "bad.ini" }, NULL, NULL, 3, "ivsharectl: bad.ini:3: region 'x': ring 'r': slots must be a power of two, not 3\n" },
    { "ctl/build-missing-file", CTL, { "build", "./nonexistent.xml" }, NULL, NULL, 5, NULL },
    { "ctl/define-missing-file", CTL, { "define", "nonexistent.xml" }, NULL, NULL, 5, NULL },
    /* ivsharectl: regions */
    { "ctl/inspect-no-such-region", CTL, { "inspect", "nosuch" }, NULL, NULL, 5, "ivsharectl: cannot open region 'nosuch': No such file or directory\n" },
    { "ctl/inspect-not-a-region", CTL, { "inspect", "./bad.xml" }, NULL, NULL, 3, "ivsharectl: cannot open region './bad.xml': Region metadata is invalid or corrupt\n" },
    { "ctl/inspect-truncated", CTL, { "inspect", "./truncated.region" }, NULL, NULL, 3, "ivsharectl: cannot open region './truncated.region': Region metadata is invalid or corrupt\n" },
    { "ctl/inspect-zeros", CTL, { "inspect", "./zeros.region" }, NULL, NULL, 3, "ivsharectl: cannot open region './zeros.region': Region is still being built\n" },
    { "ctl/inspect-empty-file", CTL, { "inspect", "./empty.xml" }, NULL, NULL, 3, "ivsharectl: cannot open region './empty.xml': Region metadata is invalid or corrupt\n" },
    { "ctl/cmdline-no-such-region", CTL, { "cmdline", "nosuch" }, NULL, NULL, 5, "ivsharectl: region 'nosuch' is not built; run 'ivsharectl build' on its description first\n" },
    { "ctl/cmdline-bad-name", CTL, { "cmdline", "a/b" }, NULL, NULL, 3, NULL },
};

typedef struct {
    char *dir;
    char *conf;
    char *hook;
    char *ctl;
} fixture;

static fixture fx;

static void
write_file(const char *name, const char *text, gssize len)
{
    g_autofree char *path = g_build_filename(fx.dir, "in", name, NULL);
    g_autoptr(GError) error = NULL;

    g_file_set_contents(path, text, len, &error);
    g_assert_no_error(error);
}

static void
setup(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *text = NULL;
    g_autofree char *in = NULL;

    fx.dir = g_dir_make_tmp("ivshare-malformed-XXXXXX", &error);
    g_assert_no_error(error);
    fx.conf = g_build_filename(fx.dir, "ivshare.conf", NULL);
    text = g_strdup_printf("[paths]\nhugepage-dir=%1$s/huge\nshm-dir=%1$s/shm\nruntime-dir=%1$s/run\n"
                           "domains-dir=%1$s/domains\nlink-dir=%1$s/links\n", fx.dir);
    g_file_set_contents(fx.conf, text, -1, &error);
    g_assert_no_error(error);
    in = g_build_filename(fx.dir, "in", NULL);
    g_assert_cmpint(g_mkdir(in, 0755), ==, 0);
    write_file("bad.xml", "<ivshare:shared-memory " NS "><ivshare:region name='x' host-app='p' size='3M'>"
               RING "</ivshare:region></ivshare:shared-memory>", -1);
    write_file("bad.ini", "[region x]\nhost-app=p\n[ring x/r]\nslots=3\nslot-size=64\n", -1);
    write_file("syntax.ini", "[region x\nhost-app=p\n", -1);
    write_file("broken.xml", "<domain", -1);
    write_file("empty.xml", "", 0);
    write_file("empty.ini", "", 0);
    write_file("latin.xml", "<domain type='qemu'><name>caf\xe9</name></domain>", -1);
    write_file("doctype.xml", "<!DOCTYPE domain SYSTEM 'file:///etc/passwd'><domain/>", -1);
    write_file("a.xml", "<ivshare:shared-memory " NS "><ivshare:region name='x' host-app='p'>"
               RING "</ivshare:region></ivshare:shared-memory>", -1);
    write_file("b.xml", "<ivshare:shared-memory " NS "><ivshare:region name='x' host-app='p'>"
               "<ivshare:ring name='r' slot-size='64' slots='128'/></ivshare:region></ivshare:shared-memory>", -1);
    write_file("truncated.region", "IVSHARE\0\1\0\0\0", 12);
    {
        g_autofree char *zeros = g_malloc0(8192);
        g_autofree char *dir = g_build_filename(fx.dir, "in", "dir", NULL);
        g_autoptr(GString) big = g_string_new("<domain><description>");
        write_file("zeros.region", zeros, 8192);
        g_assert_cmpint(g_mkdir(dir, 0755), ==, 0);
        while (big->len < 17 * 1024 * 1024)
            g_string_append(big, "                                                                \n");
        g_string_append(big, "</description></domain>");
        write_file("big.xml", big->str, big->len);
    }
    fx.hook = g_strdup(g_getenv("IVSHARE_HOOK"));
    fx.ctl = g_strdup(g_getenv("IVSHARECTL"));
}

/* Nothing but the settings and the inputs exist in the temporary directory. */
static void
assert_nothing_created(void)
{
    g_autoptr(GDir) d = g_dir_open(fx.dir, 0, NULL);
    const char *name;

    while ((name = g_dir_read_name(d)))
        if (!g_str_equal(name, "ivshare.conf") && !g_str_equal(name, "in") &&
            !g_str_equal(name, "other.conf") && !g_str_equal(name, "stdin"))
            g_error("the case created '%s' in %s", name, fx.dir);
}

static char *
expand(const char *text)
{
    g_autoptr(GString) s = g_string_new(text);

    g_string_replace(s, "@DIR@", fx.dir, 0);
    g_string_replace(s, "@HOOK@", fx.hook, 0);
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static void
run_case(gconstpointer data)
{
    const mcase *c = data;
    g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                 G_SUBPROCESS_FLAGS_STDERR_PIPE);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GSubprocess) p = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *stdin_path = g_build_filename(fx.dir, "stdin", NULL);
    g_autofree char *other = g_build_filename(fx.dir, "other.conf", NULL);
    g_autofree char *in = g_build_filename(fx.dir, "in", NULL);
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *want = NULL;
    int status;
    gboolean ok;

    if (!fx.hook || !fx.ctl) {
        g_test_skip("IVSHARE_HOOK and IVSHARECTL must name the built programs (meson test sets them)");
        return;
    }
    g_ptr_array_add(argv, c->prog == HOOK ? fx.hook : fx.ctl);
    for (int i = 0; i < (int)G_N_ELEMENTS(c->args) && c->args[i]; i++)
        g_ptr_array_add(argv, (char *)c->args[i]);
    g_ptr_array_add(argv, NULL);

    if (c->input && g_str_equal(c->input, "@HUGE@")) {
        /* 17 MiB of well-formed XML: only its size is wrong */
        g_autoptr(GString) huge = g_string_new("<domain type='qemu'><name>vm1</name><description>");
        while (huge->len < 17 * 1024 * 1024)
            g_string_append(huge, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
        g_string_append(huge, "</description></domain>");
        g_file_set_contents(stdin_path, huge->str, huge->len, &error);
    } else {
        /* inputs may hold NUL bytes: their length is that of the literal */
        g_file_set_contents(stdin_path, c->input ? c->input : "",
                            c->input_len ? c->input_len : -1, &error);
    }
    g_assert_no_error(error);
    if (c->conf) {
        g_file_set_contents(other, c->conf, -1, &error);
        g_assert_no_error(error);
    }
    g_subprocess_launcher_set_stdin_file_path(l, stdin_path);
    g_subprocess_launcher_set_cwd(l, in);
    g_subprocess_launcher_setenv(l, "IVSHARE_CONF", c->conf ? other : fx.conf, TRUE);
    g_subprocess_launcher_setenv(l, "LC_ALL", "C.UTF-8", TRUE);
    g_subprocess_launcher_unsetenv(l, "LANGUAGE");
    g_subprocess_launcher_unsetenv(l, "IVSHARE_RUNTIME_DIR");
    p = g_subprocess_launcher_spawnv(l, (const char *const *)argv->pdata, &error);
    g_assert_no_error(error);
    g_subprocess_communicate_utf8(p, NULL, NULL, &out, &err, &error);
    if (error) {
        /* not UTF-8: compare the bytes */
        g_clear_error(&error);
    }
    g_subprocess_wait(p, NULL, &error);
    g_assert_no_error(error);
    g_assert_true(g_subprocess_get_if_exited(p));
    status = g_subprocess_get_exit_status(p);
    unlink(stdin_path);
    unlink(other);

    want = c->err ? expand(c->err) : g_strdup(c->prog == HOOK ? "ivshare: " : "ivsharectl");
    if (g_getenv("IVSHARE_MALFORMED_PRINT")) {
        printf("# %s: status %d\n# stderr: %s\n", c->name, status, err ? err : "(not UTF-8)");
        return;
    }
    ok = status == c->status && err &&
         (c->prefix || !c->err ? g_str_has_prefix(err, want) : g_str_equal(err, want)) &&
         (c->err || strchr(err, '\n') == err + strlen(err) - 1);
    if (!ok && c->bug) {
        g_autofree char *why = g_strdup_printf("known defect: %s (exit %d: %s)", c->bug, status,
                                               err ? g_strchomp(err) : "(not UTF-8)");
        g_strdelimit(why, "\n", '|');
        g_test_incomplete(why);
        return;
    }
    g_assert_cmpint(status, ==, c->status);
    g_assert_nonnull(err);
    if (c->prefix || !c->err)
        g_assert_true(g_str_has_prefix(err, want));
    if (!c->err)
        g_assert_true(strchr(err, '\n') == err + strlen(err) - 1);
    else if (!c->prefix)
        g_assert_cmpstr(err, ==, want);
    /* the hook's standard output is the XML libvirt takes back for some operations */
    if (c->prog == HOOK)
        g_assert_cmpstr(out, ==, "");
    assert_nothing_created();
}

int
main(int argc, char **argv)
{
    int rc;

    g_test_init(&argc, &argv, NULL);
    setup();
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = g_strdup_printf("/reliability/malformed/%s", cases[i].name);
        g_test_add_data_func(path, &cases[i], run_case);
    }
    rc = g_test_run();
    test_remove_tree(fx.dir);
    return rc;
}
