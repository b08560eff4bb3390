/* host.c - the node host of one rank (see host.h). */
#include "host.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "common/attribution.h"
#include "common/cpu_wait.h"
#include "dht_node.h"
#include "faults.h"
#include "impair.h"
#include "peer.h"
#include "promotion.h"
#include "gslb.h"
#include "role_table.h"
#include "settop_image.h"
#include "settop_rx.h"

_Static_assert(METRICS_MAX_DCS == SCN_MAX_DCS, "a dc_metrics per data centre");
#include "tls.h"
#include "tls_probe.h"
#include "trace.h"
#include "workload.h"

#define LAG_PERIOD_NS (10 * NS_PER_MS)

/* ---- time ---- */

int64_t host_now(const struct host *h)
{
    return clock_mono_ns() - h->offset_ns - h->start_coord_ns;
}

int64_t host_local_of(const struct host *h, int64_t run_ns)
{
    return run_ns + h->start_coord_ns + h->offset_ns;
}

void host_arm_in(struct event *ev, int64_t delay_ns)
{
    struct timeval tv = clock_tv_from_ns(delay_ns > 0 ? delay_ns : 0);
    evtimer_add(ev, &tv);
}

void host_arm_at(const struct host *h, struct event *ev, int64_t run_ns)
{
    /* libevent adds a timeout to its cached loop time, which lags the real
     * clock by however long this loop iteration has run; refresh it so an
     * absolute deadline is not met early. */
    event_base_update_cache_time(h->base);
    host_arm_in(ev, host_local_of(h, run_ns) - clock_mono_ns());
}

int64_t host_keepalive_due(const struct host *h, int64_t due_ns)
{
    int64_t step = h->scn->control.keepalive_grid_ns;
    int64_t cap = h->scn->workload.keepalive_ns / 100;
    if (step > cap)
        step = cap;
    if (step <= 0)
        return due_ns;
    /* Every rank uses the same grid, so the keepalives of one step reach
     * each supernode's rank together and it answers them in one wake-up:
     * on 23 node ranks that costs about a fifth less CPU per keepalive
     * than a phase per rank did (docs/architecture.md, "Keepalive grid"). */
    return (due_ns + step - 1) / step * step;
}

int64_t host_wait_until(const struct host *h, int64_t run_ns)
{
    int64_t local = host_local_of(h, run_ns);
    struct timespec ts = {(time_t)(local / NS_PER_S), (long)(local % NS_PER_S)};
    while (local > clock_mono_ns() &&
           clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
    return host_now(h);
}

/* The lag probe: a periodic timer that records how late it runs. When the
 * rank is short of CPU, every node's timers are late by about as much, so
 * this is the emulator's own fidelity meter. */
static void lag_tick(evutil_socket_t fd, short what, void *arg)
{
    struct host *h = arg;
    int64_t now = clock_mono_ns();
    int64_t late = now - h->lag_next_local_ns;
    uint64_t us = late > 0 ? (uint64_t)(late / 1000) : 0;
    hist_add(&h->m.lag_us, us);
    hist_add(&h->m.lag_total_us, us);
    if (late >= ATTR_STALL_MIN_NS)
        h->stall_ns += late;
    h->lag_next_local_ns += LAG_PERIOD_NS;
    if (h->lag_next_local_ns < now) /* we missed whole periods: resynchronise */
        h->lag_next_local_ns = now + LAG_PERIOD_NS;
    host_arm_in(h->lag_timer, h->lag_next_local_ns - now);
}

/* ---- events ---- */

uint32_t host_fire_event(struct host *h, uint32_t idx, const struct scn_event *ev, int64_t at_ns)
{
    return faults_fire(h->faults, idx, ev, at_ns);
}

/* ---- nodes ---- */

int host_add_node(struct host *h, enum role role, void *node)
{
    struct node_set *set = &h->nodes[role];
    if (set->n == set->cap) {
        uint32_t cap = set->cap ? 2 * set->cap : 16;
        void **v = realloc(set->v, cap * sizeof *v);
        if (!v)
            return -1;
        set->v = v;
        set->cap = cap;
    }
    set->v[set->n++] = node;
    return 0;
}

/* Create every node the placement puts on this rank, through its role. */
static int create_nodes(struct host *h, char *err, size_t errlen)
{
    for (uint32_t id = 0; id < h->pl.n_nodes; id++) {
        if (placement_rank_of(&h->pl, id) != h->rank)
            continue;
        enum role r = placement_role(&h->pl, id);
        void *node = role_table[r]->create(h, id, err, errlen);
        if (!node)
            return -1;
        if (host_add_node(h, r, node) < 0) {
            role_table[r]->destroy(node);
            snprintf(err, errlen, "rank %d: out of memory for node %u", h->rank, id);
            return -1;
        }
    }
    return 0;
}

/* The client-side CPU of a handshake with this run's keys: the part of a
 * login the emulator spends on its shared core. Two warm-up handshakes
 * first (OpenSSL fetches algorithms on first use), then the mean of 16.
 * Measured once per process: a run has one host per process, and the unit
 * tests that make many hosts need not pay for it each time. */
static int measure_client_handshake(struct host *h, char *err, size_t errlen)
{
    static int64_t measured_ns = -1, resumed_ns = -1;
    bool resume = h->scn->peer.resume == RESUME_TICKET;
    if (measured_ns >= 0 && (!resume || resumed_ns >= 0)) {
        h->client_hs_cpu_ns = measured_ns;
        h->client_resumed_hs_cpu_ns = resume ? resumed_ns : 0;
        return 0;
    }
    /* The probe pair: the same certificate type and CA as a login server's,
     * so a rank measures a real login's cost without any server's key. */
    SSL_CTX *server = tls_server_ctx(h->pki->probe_cert_pem, h->pki->probe_key_pem, err, errlen);
    if (!server)
        return -1;
    struct tls_probe_result r;
    uint32_t ip = PKI_PROBE_IP;
    int rc = tls_probe_handshakes(h->client_ctx, server, ip, 2, &r, err, errlen);
    if (rc == 0)
        rc = tls_probe_handshakes(h->client_ctx, server, ip, 16, &r, err, errlen);
    if (rc == 0)
        h->client_hs_cpu_ns = measured_ns = r.client_cpu_ns;
    if (rc == 0 && resume) {
        /* A resumed login costs the client less (no certificate to verify,
         * still a key exchange): measured the same way, with tickets sealed
         * by throwaway keys. */
        if (tls_probe_tickets(server) < 0) {
            pki_openssl_error(err, errlen, "handshake probe tickets");
            rc = -1;
        }
        if (rc == 0)
            rc = tls_probe_resumed(h->client_ctx, server, ip, 2, &r, err, errlen);
        if (rc == 0)
            rc = tls_probe_resumed(h->client_ctx, server, ip, 16, &r, err, errlen);
        if (rc == 0)
            h->client_resumed_hs_cpu_ns = resumed_ns = r.client_cpu_ns;
    }
    SSL_CTX_free(server);
    return rc;
}

/* settop: what the rank's boxes share: the image they check against (made
 * here as the head-end makes it, then only its hash kept) and the rank's
 * broadcast receiver. */
static int settop_boxes_init(struct host *h, char *err, size_t errlen)
{
    const struct scn_settop *st = &h->scn->settop;
    if (!(h->settop_img = malloc(sizeof *h->settop_img)) ||
        settop_image_describe(h->settop_img, h->scn->seed, st->image_bytes, st->block_bytes) < 0) {
        snprintf(err, errlen, "rank %d: out of memory for the boot image", h->rank);
        return -1;
    }
    if (!(h->settop_rx = settop_rx_new(h, err, errlen)))
        return -1;
    return 0;
}

/* ---- lifecycle ---- */

int host_init(struct host *h, struct event_base *base, const struct scenario *scn,
              const struct pki *pki, int world_size, const uint32_t *host_ips, int rank,
              int64_t offset_ns, int64_t start_coord_ns, char *err, size_t errlen)
{
    /* A peer that vanishes mid-write must cost a counted error, not the
     * whole rank: libevent and OpenSSL write() without MSG_NOSIGNAL. */
    signal(SIGPIPE, SIG_IGN);
    trace_init();
    memset(h, 0, sizeof *h);
    h->cpu_wait_fd = -1;
    h->base = base;
    h->scn = scn;
    h->pki = pki;
    h->rank = rank;
    h->offset_ns = offset_ns;
    h->start_coord_ns = start_coord_ns;
    placement_init(&h->pl, scn, world_size);
    placement_set_hosts(&h->pl, host_ips);

    if (impair_init(h) < 0 || !(h->faults = faults_new(h))) {
        snprintf(err, errlen, "rank %d: out of memory", rank);
        goto fail;
    }
    if (ticket_keys_init(&h->keys, pki->has_ticket_priv ? pki->ticket_priv : NULL,
                         pki->ticket_pub) < 0) {
        snprintf(err, errlen, "rank %d: cannot load the ticket keys", rank);
        goto fail;
    }
    if (!(h->client_ctx = tls_client_ctx(pki->ca_pem, err, errlen)))
        goto fail;
    if (scn->peer.resume == RESUME_TICKET)
        tls_client_resume(h->client_ctx);
    if (scn->architecture == ARCH_TARGET && scn->target.tls) {
        if (!(h->target_ctx = tls_target_ctx(scn->target.ca_file, scn->target.verify, err, errlen)))
            goto fail;
        if (scn->peer.resume == RESUME_TICKET)
            tls_client_resume(h->target_ctx);
    }
    if (scn->architecture == ARCH_CENTRAL) {
        if (!(h->gslb = malloc(sizeof *h->gslb))) {
            snprintf(err, errlen, "rank %d: out of memory", rank);
            goto fail;
        }
        gslb_init(h->gslb, scn->central.n_dc, scn->central.global.policy,
                  scn->central.global.threshold, scn->central.global.staleness_ns);
    }
    if (create_nodes(h, err, errlen) < 0)
        goto fail;
    if (scn->architecture == ARCH_SETTOP && host_n_peers(h) > 0 &&
        settop_boxes_init(h, err, errlen) < 0)
        goto fail;
    if (host_emulates_clients(h) && measure_client_handshake(h, err, errlen) < 0)
        goto fail;
    if (!(h->workload = workload_new(h, err, errlen)))
        goto fail;
    if (!(h->promotion = promotion_new(h, err, errlen)))
        goto fail;
    h->lag_timer = evtimer_new(base, lag_tick, h);
    if (!h->lag_timer) {
        snprintf(err, errlen, "rank %d: cannot create a timer", rank);
        goto fail;
    }
    h->lag_next_local_ns = clock_mono_ns() + LAG_PERIOD_NS;
    host_arm_in(h->lag_timer, LAG_PERIOD_NS);
    h->cpu_wait_fd = cpu_wait_open(); /* -1: the wait is reported unknown */
    return 0;
fail:
    host_destroy(h);
    return -1;
}

void host_destroy(struct host *h)
{
    faults_free(h->faults); /* first: sweeps point at nodes */
    h->faults = NULL;
    workload_free(h->workload);
    h->workload = NULL;
    promotion_free(h->promotion);
    h->promotion = NULL;
    for (int r = 0; r < ROLE_COUNT; r++) {
        struct node_set *set = &h->nodes[r];
        for (uint32_t i = 0; i < set->n; i++)
            role_table[r]->destroy(set->v[i]);
        free(set->v);
        *set = (struct node_set){0};
    }
    settop_rx_free(h->settop_rx); /* after the boxes that listened to it */
    h->settop_rx = NULL;
    free(h->settop_img);
    h->settop_img = NULL;
    if (h->lag_timer)
        event_free(h->lag_timer);
    h->lag_timer = NULL;
    if (h->cpu_wait_fd >= 0)
        close(h->cpu_wait_fd);
    h->cpu_wait_fd = -1;
    free(h->gslb);
    h->gslb = NULL;
    impair_free(h); /* after every bufferevent that used its buckets */
    SSL_CTX_free(h->client_ctx);
    h->client_ctx = NULL;
    SSL_CTX_free(h->target_ctx);
    h->target_ctx = NULL;
    ticket_keys_free(&h->keys);
}

/* ---- metrics ---- */

void host_dc_status(struct host *h, int64_t t_ns, const struct dc_status *dc)
{
    if (h->gslb)
        gslb_update(h->gslb, t_ns, dc);
}

/* Routing-table health over the DHT nodes that are up, as gauges. */
static void dht_gauges(struct host *h)
{
    int64_t entries = 0, live = 0, failing = 0;
    for (uint32_t i = 0; i < host_n_peers(h); i++) {
        const struct dht_node *d = host_peer(h, i)->dht;
        if (!d || !dht_node_up(d))
            continue;
        struct dht_health hh;
        dht_node_health(d, &hh);
        entries += hh.entries;
        live += hh.live;
        failing += hh.failing;
    }
    h->m.g[G_DHT_ENTRIES] = entries;
    h->m.g[G_DHT_LIVE] = live;
    h->m.g[G_DHT_FAILING] = failing;
}

void host_snapshot_clocks(const struct host *h, struct metrics_snapshot *s)
{
    s->rank = h->rank;
    s->stall_ns = h->stall_ns;
    s->cpu_wait_ns = cpu_wait_ns(h->cpu_wait_fd);
    s->hosts_peers = host_emulates_clients(h);
}

void host_snapshot(struct host *h, uint32_t interval, struct metrics_snapshot *s)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    memset(s, 0, sizeof *s);
    s->interval = interval;
    host_snapshot_clocks(h, s);
    s->cpu_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
               ru.ru_stime.tv_usec / 1e6;
    s->maxrss_kb = ru.ru_maxrss;
    if (h->scn->architecture == ARCH_DHT)
        dht_gauges(h);
    memcpy(s->c, h->m.c, sizeof s->c);
    memcpy(s->g, h->m.g, sizeof s->g);
    /* The peak of the boxes' image memory is the interval's: start the next
     * one from the level now. */
    h->m.g[G_BOX_IMAGE_PEAK] = h->m.g[G_BOX_IMAGE_BYTES];
    memcpy(s->dc, h->m.dc, sizeof s->dc);
    s->lag_us = h->m.lag_us;
    hist_reset(&h->m.lag_us);
    /* The snapshot runs at the loop's first priority; the lag probe, like
     * the nodes' timers, may still wait behind a backlog of callbacks. A
     * probe overdue by more than its period is a lateness already known:
     * it counts here, as a sample and on the stall clock (a lower bound on
     * what the probe records when it runs), so that an interval in which
     * the probe never ran does not read as one without lag. */
    int64_t overdue = clock_mono_ns() - h->lag_next_local_ns;
    if (overdue > LAG_PERIOD_NS) {
        hist_add(&s->lag_us, (uint64_t)(overdue / 1000));
        s->stall_ns += overdue;
    }
    s->iv = h->m.iv;
    memset(&h->m.iv, 0, sizeof h->m.iv);
}

void host_peer_results(const struct host *h, int64_t *first_online_ns, uint32_t *attempts)
{
    for (uint32_t i = 0; i < host_n_peers(h); i++) {
        first_online_ns[i] = host_peer(h, i)->first_online_ns;
        attempts[i] = host_peer(h, i)->attempts;
    }
}

void host_peer_emulator_delays(const struct host *h, int64_t *first_emu_ns)
{
    for (uint32_t i = 0; i < host_n_peers(h); i++)
        first_emu_ns[i] = host_peer(h, i)->first_emu_ns;
}
