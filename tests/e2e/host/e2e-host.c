/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* e2e-host.c: the host application of the e2e tests (registers, talks to a guest, checks). */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <glib.h>
#include <glib-unix.h>
#include <glib/gstdio.h>

#include "ivshare/ivshare.h"
#include "e2e-proto.h"

#define E2E_BURST 32u

static char *opt_app;
static char *opt_region;
static char *opt_path;
static char *opt_ready_file;
static gint opt_count = 10000;
static gint opt_timeout = 300;
static gboolean opt_linger;
static char *opt_peer;

static const GOptionEntry entries[] = {
    { "app", 'a', 0, G_OPTION_ARG_STRING, &opt_app, "Register as host application APP", "APP" },
    { "region", 'r', 0, G_OPTION_ARG_STRING, &opt_region, "Open region REGION (ivshare_host_open)", "REGION" },
    { "path", 'p', 0, G_OPTION_ARG_FILENAME, &opt_path, "Open the region file FILE instead", "FILE" },
    { "count", 'n', 0, G_OPTION_ARG_INT, &opt_count, "Messages to send (10000)", "N" },
    { "timeout", 't', 0, G_OPTION_ARG_INT, &opt_timeout, "Longest wait without progress (300)", "SECONDS" },
    { "ready-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_ready_file, "Create FILE once registered", "FILE" },
    { "peer", 0, 0, G_OPTION_ARG_STRING, &opt_peer, "bell: the domain to answer", "DOMAIN" },
    { "linger", 'l', 0, G_OPTION_ARG_NONE, &opt_linger,
      "echo: stay registered after the exchange until SIGTERM (ivshared stops the domains of an application that exits)", NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
};

/* Open the region, waiting (bounded) for the hook to build it. */
static ivshare_region *open_region(void)
{
    gint64 deadline = e2e_now_ms() + (gint64)opt_timeout * 1000;
    ivshare_region *r = NULL;
    int rc;

    for (;;) {
        rc = opt_path ? ivshare_path_open(opt_path, &r) : ivshare_host_open(opt_region, &r);
        if (rc == 0)
            return r;
        if ((rc != -ENOENT && rc != -IVSHARE_ENOTREADY) || e2e_now_ms() > deadline)
            break;
        g_usleep(20000);
    }
    g_printerr("e2e-host: cannot open region '%s': %s\n",
               opt_path ? opt_path : opt_region, ivshare_strerror(rc));
    return NULL;
}

typedef struct {
    guint64 sent, sent_bytes;
    guint64 replies, reply_bytes;
    guint bad;
} e2e_counts;

/* Send opt_count messages on to-guest, check each reply on to-host. */
static gboolean echo(ivshare_region *r, e2e_counts *c)
{
    ivshare_ring *out, *in;
    size_t slot, lens[E2E_BURST];
    g_autofree guint8 *store = NULL;
    void *bufs[E2E_BURST];
    gint64 deadline;
    unsigned idle = 0;
    int rc;

    if ((rc = ivshare_ring_lookup(r, E2E_RING_TO_GUEST, &out)) < 0 ||
        (rc = ivshare_ring_lookup(r, E2E_RING_TO_HOST, &in)) < 0) {
        g_printerr("e2e-host: ring lookup: %s\n", ivshare_strerror(rc));
        return FALSE;
    }
    slot = MIN(ivshare_ring_slot_size(out), ivshare_ring_slot_size(in));
    if (slot < sizeof(e2e_stamp)) {
        g_printerr("e2e-host: slots of %zu bytes cannot hold a message\n", slot);
        return FALSE;
    }
    store = g_malloc(E2E_BURST * slot);
    for (unsigned i = 0; i < E2E_BURST; i++)
        bufs[i] = store + i * slot;

    deadline = e2e_now_ms() + (gint64)opt_timeout * 1000;
    while (c->replies < (guint64)opt_count) {
        gboolean progress = FALSE;
        unsigned n = (unsigned)MIN((guint64)E2E_BURST, (guint64)opt_count - c->sent);

        /* Enqueue a burst of messages; those that do not fit are rebuilt next time. */
        for (unsigned i = 0; i < n; i++) {
            guint32 seq = (guint32)(c->sent + i);
            lens[i] = e2e_fill(bufs[i], slot, E2E_MAGIC_MSG, seq,
                               e2e_payload_len(seq, slot - sizeof(e2e_stamp)), 0);
        }
        if (n) {
            unsigned done = ivshare_ring_enqueue_burst(out, (const void *const *)bufs, lens, n);
            for (unsigned i = 0; i < done; i++)
                c->sent_bytes += lens[i];
            c->sent += done;
            progress |= done > 0;
        }
        /* Collect and check replies. */
        unsigned got = ivshare_ring_dequeue_burst(in, bufs, slot, lens, E2E_BURST);
        for (unsigned i = 0; i < got; i++) {
            guint32 seq = (guint32)c->replies;
            if (!e2e_verify(bufs[i], lens[i], E2E_MAGIC_REPLY, seq, 0xff) ||
                lens[i] != sizeof(e2e_stamp) + e2e_payload_len(seq, slot - sizeof(e2e_stamp))) {
                if (c->bad++ < 5)
                    g_printerr("e2e-host: reply %" G_GUINT32_FORMAT " (%zu bytes) is wrong\n",
                               seq, lens[i]);
            }
            c->reply_bytes += lens[i];
            c->replies++;
        }
        progress |= got > 0;
        if (progress) {
            deadline = e2e_now_ms() + (gint64)opt_timeout * 1000;
            idle = 0;
        } else if (e2e_now_ms() > deadline) {
            g_printerr("e2e-host: no progress for %d s (sent %" G_GUINT64_FORMAT
                       ", replies %" G_GUINT64_FORMAT ")\n", opt_timeout, c->sent, c->replies);
            return FALSE;
        } else {
            e2e_backoff(&idle);
        }
    }
    return c->bad == 0;
}

static gboolean check_stats(ivshare_region *r)
{
    void *zone;
    size_t len, bad;
    int rc = ivshare_memzone_lookup(r, E2E_MEMZONE, &zone, &len);

    if (rc < 0) {
        g_printerr("e2e-host: memzone '%s': %s\n", E2E_MEMZONE, ivshare_strerror(rc));
        return FALSE;
    }
    bad = e2e_stats_check(zone, len, (uint32_t)opt_count);
    g_print("e2e-host: memzone '%s': %zu bytes, %zu differ from what the guest wrote\n",
            E2E_MEMZONE, len, bad);
    return bad == 0;
}

/* Poll the peer table for @name, at most opt_timeout seconds. */
static gboolean wait_peer(ivshare_region *r, const char *name, unsigned *peer)
{
    gint64 deadline = e2e_now_ms() + (gint64)opt_timeout * 1000;
    int rc;

    while ((rc = ivshare_peer_lookup(r, name, peer)) < 0 && e2e_now_ms() < deadline)
        g_usleep(10000);
    if (rc < 0)
        g_printerr("e2e-host: '%s' is not a doorbell peer of the region: %s\n", name,
                   ivshare_strerror(rc));
    return rc == 0;
}

/* Answer opt_count doorbell rounds of the guest (see e2e-proto.h). */
static gboolean bell(ivshare_region *r, ivshare_app *app)
{
    guint32 last = 0, wakeups = 0, polls = 0, rings = 0, spurious = 0;
    gint64 t0, deadline;
    e2e_bell_zone *z;
    unsigned peer;
    size_t len;
    void *zone;
    int rc;

    /* ivshared opens the region's socket shortly after the hook built it */
    deadline = e2e_now_ms() + (gint64)opt_timeout * 1000;
    while ((rc = ivshare_doorbell_join(r, app)) == -ENOENT || rc == -ECONNREFUSED) {
        if (e2e_now_ms() > deadline)
            break;
        g_usleep(20000);
    }
    if (rc < 0) {
        g_printerr("e2e-host: cannot join the doorbells of the region: %s\n", ivshare_strerror(rc));
        return FALSE;
    }
    if ((rc = ivshare_memzone_lookup(r, E2E_MEMZONE, &zone, &len)) < 0 || len < sizeof(*z)) {
        g_printerr("e2e-host: no usable memzone '%s'\n", E2E_MEMZONE);
        return FALSE;
    }
    z = zone;
    g_print("e2e-host: joined the doorbells; waiting for domain '%s'\n", opt_peer);
    if (!wait_peer(r, opt_peer, &peer))
        return FALSE;
    g_print("e2e-host: domain '%s' is peer %u\n", opt_peer, peer);
    t0 = e2e_now_ms();
    deadline = t0 + (gint64)opt_timeout * 1000;
    while (last < (guint32)opt_count) {
        guint32 req;

        rc = ivshare_doorbell_wait(r, E2E_BELL_TO_HOST, 1000);
        if (rc < 0 && rc != -ETIMEDOUT) {
            g_printerr("e2e-host: waiting for a doorbell: %s\n", ivshare_strerror(rc));
            return FALSE;
        }
        req = e2e_load32(&z->request);
        if (rc == 0)
            wakeups++;
        else if (req == last)
            polls++;
        if (rc < 0 && req == last) {
            if (e2e_now_ms() > deadline) {
                g_printerr("e2e-host: no doorbell for %d s after round %" G_GUINT32_FORMAT "\n",
                           opt_timeout, last);
                return FALSE;
            }
            continue;
        }
        if (rc == 0 && req == last) {
            /* woken, but the guest made no new request: the answer is in
             * memory already and the guest's wait polls its counter */
            spurious++;
            continue;
        }
        if (req != last + 1 && req != last) {
            g_printerr("e2e-host: round %" G_GUINT32_FORMAT " follows round %" G_GUINT32_FORMAT "\n",
                       req, last);
            return FALSE;
        }
        e2e_store32(&z->answer, req);
        if ((rc = ivshare_doorbell_ring(r, peer, E2E_BELL_TO_GUEST)) < 0) {
            g_printerr("e2e-host: ringing peer %u: %s\n", peer, ivshare_strerror(rc));
            return FALSE;
        }
        rings++;
        last = req;
        deadline = e2e_now_ms() + (gint64)opt_timeout * 1000;
    }
    g_print("e2e-host: bell: %" G_GUINT32_FORMAT " round trips answered, woken %" G_GUINT32_FORMAT
            " times by a doorbell (%" G_GUINT32_FORMAT " without a new request), rang the guest %"
            G_GUINT32_FORMAT " times, %" G_GUINT32_FORMAT " idle waits, %" G_GINT64_FORMAT " ms\n",
            last, wakeups, spurious, rings, polls, e2e_now_ms() - t0);
    return TRUE;
}

/* Join the doorbells, find every domain of --peer A,B,... and print the table. */
static gboolean peers(ivshare_region *r, ivshare_app *app)
{
    g_auto(GStrv) names = g_strsplit(opt_peer, ",", -1);
    gint64 deadline = e2e_now_ms() + (gint64)opt_timeout * 1000;
    ivshare_peer_info p;
    unsigned id, self;
    int rc;

    while ((rc = ivshare_doorbell_join(r, app)) == -ENOENT || rc == -ECONNREFUSED) {
        if (e2e_now_ms() > deadline)
            break;
        g_usleep(20000);
    }
    if (rc < 0) {
        g_printerr("e2e-host: cannot join the doorbells of the region: %s\n", ivshare_strerror(rc));
        return FALSE;
    }
    if (!wait_peer(r, opt_app, &self))
        return FALSE;
    g_print("e2e-host: peers: host application '%s' is peer %u\n", opt_app, self);
    for (char **n = names; *n; n++) {
        if (!wait_peer(r, *n, &id))
            return FALSE;
        g_print("e2e-host: peers: domain '%s' is peer %u\n", *n, id);
    }
    for (unsigned i = 0; (rc = ivshare_peer_get_info(r, i, &p)) != -ERANGE && i < 4096; i++)
        if (rc == 0)
            g_print("e2e-host: peers: entry %u: peer %u '%s' (%s, %u vectors)\n", i, p.id, p.name,
                    p.host_app ? "host application" : "domain", p.vectors);
    return TRUE;
}

static gboolean on_signal(gpointer loop)
{
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

static gboolean on_timeout(gpointer loop)
{
    g_printerr("e2e-host: still running after %d s; giving up\n", opt_timeout);
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

/* Stay registered until SIGTERM/SIGINT, at most opt_timeout seconds. */
static void hold(void)
{
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);

    g_unix_signal_add(SIGTERM, on_signal, loop);
    g_unix_signal_add(SIGINT, on_signal, loop);
    g_timeout_add_seconds((guint)opt_timeout, on_timeout, loop);
    g_main_loop_run(loop);
}

int main(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx = g_option_context_new("echo|bell|peers|hold");
    g_autoptr(GError) error = NULL;
    ivshare_app *app = NULL;
    ivshare_region *r;
    e2e_counts c = { 0 };
    gboolean ok;
    gint64 t0;
    int rc;

    setvbuf(stdout, NULL, _IOLBF, 0);
    g_option_context_set_summary(ctx,
        "echo: send COUNT messages to the guest and check its replies and memzone.\n"
        "bell: answer COUNT doorbell rounds of the guest --peer DOMAIN.\n"
        "peers: join the doorbells, find the domains --peer A,B in the peer table, print it, hold.\n"
        "hold: stay registered until SIGTERM.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc != 2 ||
        (g_strcmp0(argv[1], "echo") != 0 && g_strcmp0(argv[1], "hold") != 0 &&
         g_strcmp0(argv[1], "bell") != 0 && g_strcmp0(argv[1], "peers") != 0) ||
        (g_strcmp0(argv[1], "echo") == 0 && !opt_region == !opt_path) ||
        ((g_strcmp0(argv[1], "bell") == 0 || g_strcmp0(argv[1], "peers") == 0) &&
         (!opt_region || !opt_app || !opt_peer)) ||
        opt_count < 1 || opt_timeout < 1) {
        g_printerr("e2e-host: %s\n", error ? error->message : "bad arguments; see --help");
        return 2;
    }
    if (opt_app) {
        rc = ivshare_app_register(opt_app, &app);
        if (rc < 0) {
            g_printerr("e2e-host: cannot register host application '%s': %s\n",
                       opt_app, ivshare_strerror(rc));
            return 1;
        }
        g_print("e2e-host: registered host application '%s' (pid %d)\n", opt_app, (int)getpid());
    }
    if (opt_ready_file && !g_file_set_contents(opt_ready_file, "ready\n", -1, &error)) {
        g_printerr("e2e-host: %s\n", error->message);
        return 1;
    }
    if (g_strcmp0(argv[1], "hold") == 0) {
        hold();
        ivshare_app_unregister(app);
        return 0;
    }

    r = open_region();
    if (!r)
        return 1;
    if (g_strcmp0(argv[1], "peers") == 0) {
        ok = peers(r, app);
        g_print("e2e-host: %s\n", ok ? "all peers found" : "FAILED");
        hold();
        ivshare_close(r);
        ivshare_app_unregister(app);
        return ok ? 0 : 1;
    }
    if (g_strcmp0(argv[1], "bell") == 0) {
        ok = bell(r, app);
        g_print("e2e-host: %s\n", ok ? "all doorbell rounds answered" : "FAILED");
        if (opt_linger)
            hold();
        ivshare_close(r);
        ivshare_app_unregister(app);
        return ok ? 0 : 1;
    }
    t0 = e2e_now_ms();
    ok = echo(r, &c);
    g_print("e2e-host: sent %" G_GUINT64_FORMAT " messages (%" G_GUINT64_FORMAT
            " bytes), received %" G_GUINT64_FORMAT " replies (%" G_GUINT64_FORMAT
            " bytes), %u wrong, %" G_GINT64_FORMAT " ms\n",
            c.sent, c.sent_bytes, c.replies, c.reply_bytes, c.bad, e2e_now_ms() - t0);
    ok = ok && check_stats(r);
    ivshare_close(r);
    g_print("e2e-host: %s\n", ok ? "all messages, replies and memzone bytes matched" : "FAILED");
    if (opt_linger)
        hold();
    if (app)
        ivshare_app_unregister(app);
    return ok ? 0 : 1;
}
