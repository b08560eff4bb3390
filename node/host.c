/* host.c - the node host of one rank (see host.h). */
#include "host.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "login_server.h"
#include "peer.h"
#include "supernode.h"
#include "tls.h"

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
    h->lag_next_local_ns += LAG_PERIOD_NS;
    if (h->lag_next_local_ns < now) /* we missed whole periods: resynchronise */
        h->lag_next_local_ns = now + LAG_PERIOD_NS;
    host_arm_in(h->lag_timer, h->lag_next_local_ns - now);
}

/* ---- event expansion ---- */

struct sweep_item {
    int64_t at_ns; /* run time */
    uint32_t peer;  /* index into h->peers */
};

struct sweep {
    struct sweep *next;
    struct host *h;
    enum scn_event_kind kind;
    struct event timer;
    struct sweep_item *items;
    uint32_t n, done;
};

static int item_cmp(const void *a, const void *b)
{
    const struct sweep_item *x = a, *y = b;
    if (x->at_ns != y->at_ns)
        return x->at_ns < y->at_ns ? -1 : 1;
    return x->peer < y->peer ? -1 : x->peer > y->peer;
}

static void sweep_free(struct sweep *s)
{
    struct sweep **pp = &s->h->sweeps;
    while (*pp != s)
        pp = &(*pp)->next;
    *pp = s->next;
    event_del(&s->timer);
    free(s->items);
    free(s);
}

/* One timer walks the event's selected peers in time order, so an event
 * costs one timer however many peers it touches. */
static void sweep_tick(evutil_socket_t fd, short what, void *arg)
{
    struct sweep *s = arg;
    struct host *h = s->h;
    int64_t now = host_now(h);
    while (s->done < s->n && s->items[s->done].at_ns <= now) {
        struct peer *p = &h->peers[s->items[s->done++].peer];
        if (s->kind == EV_BOOT)
            peer_power_on(p);
        else
            peer_reboot(p);
    }
    if (s->done == s->n)
        sweep_free(s);
    else
        host_arm_at(h, &s->timer, s->items[s->done].at_ns);
}

uint32_t host_fire_event(struct host *h, uint32_t idx, const struct scn_event *ev)
{
    struct sweep *s = calloc(1, sizeof *s);
    if (!s)
        return 0;
    s->items = malloc(sizeof *s->items * (h->n_peers ? h->n_peers : 1));
    if (!s->items) {
        free(s);
        return 0;
    }
    int64_t t0 = host_now(h);
    for (uint32_t i = 0; i < h->n_peers; i++) {
        uint32_t id = h->peers[i].id;
        if (rng_hash_unit(h->scn->seed, id, idx, 0) >= ev->fraction)
            continue;
        double u = rng_hash_unit(h->scn->seed, id, idx, 1);
        s->items[s->n++] = (struct sweep_item){t0 + (int64_t)(u * (double)ev->over_ns), i};
    }
    qsort(s->items, s->n, sizeof *s->items, item_cmp);
    s->h = h;
    s->kind = ev->kind;
    s->next = h->sweeps;
    h->sweeps = s;
    evtimer_assign(&s->timer, h->base, sweep_tick, s);
    uint32_t n = s->n;
    sweep_tick(-1, 0, s); /* applies everything already due; may free s */
    return n;
}

/* ---- lifecycle ---- */

int host_init(struct host *h, struct event_base *base, const struct scenario *scn,
              const struct pki *pki, int world_size, int rank, int64_t offset_ns,
              int64_t start_coord_ns, char *err, size_t errlen)
{
    /* A peer that vanishes mid-write must cost a counted error, not the
     * whole rank: libevent and OpenSSL write() without MSG_NOSIGNAL. */
    signal(SIGPIPE, SIG_IGN);
    memset(h, 0, sizeof *h);
    h->base = base;
    h->scn = scn;
    h->pki = pki;
    h->rank = rank;
    h->offset_ns = offset_ns;
    h->start_coord_ns = start_coord_ns;
    placement_init(&h->pl, scn, world_size);

    if (ticket_keys_init(&h->keys, pki->ticket_priv, pki->ticket_pub) < 0) {
        snprintf(err, errlen, "rank %d: cannot load the ticket keys", rank);
        return -1;
    }
    if (!(h->client_ctx = tls_client_ctx(pki->ca_pem, err, errlen)))
        goto fail;

    uint32_t local = placement_count_on(&h->pl, rank);
    h->peers = calloc(local ? local : 1, sizeof *h->peers);
    h->ls = calloc(h->pl.n_ls, sizeof *h->ls);
    h->sn = calloc(h->pl.n_sn ? h->pl.n_sn : 1, sizeof *h->sn);
    if (!h->peers || !h->ls || !h->sn) {
        snprintf(err, errlen, "rank %d: out of memory for %u nodes", rank, local);
        goto fail;
    }
    for (uint32_t id = 0; id < h->pl.n_nodes; id++) {
        if (placement_rank_of(&h->pl, id) != rank)
            continue;
        switch (placement_role(&h->pl, id)) {
        case ROLE_LOGIN_SERVER:
            if (!(h->ls[h->n_ls] = ls_create(h, id, err, errlen)))
                goto fail;
            h->n_ls++;
            break;
        case ROLE_SUPERNODE:
            if (!(h->sn[h->n_sn] = sn_create(h, id, err, errlen)))
                goto fail;
            h->n_sn++;
            break;
        default:
            if (peer_init(&h->peers[h->n_peers], h, id) < 0) {
                snprintf(err, errlen, "rank %d: out of memory for peer %u", rank, id);
                goto fail;
            }
            h->n_peers++;
            break;
        }
    }

    h->lag_timer = evtimer_new(base, lag_tick, h);
    if (!h->lag_timer) {
        snprintf(err, errlen, "rank %d: cannot create a timer", rank);
        goto fail;
    }
    h->lag_next_local_ns = clock_mono_ns() + LAG_PERIOD_NS;
    host_arm_in(h->lag_timer, LAG_PERIOD_NS);
    return 0;
fail:
    host_destroy(h);
    return -1;
}

void host_destroy(struct host *h)
{
    while (h->sweeps)
        sweep_free(h->sweeps);
    for (uint32_t i = 0; i < h->n_peers; i++)
        peer_destroy(&h->peers[i]);
    for (uint32_t i = 0; i < h->n_ls; i++)
        ls_free(h->ls[i]);
    for (uint32_t i = 0; i < h->n_sn; i++)
        sn_free(h->sn[i]);
    free(h->peers);
    free(h->ls);
    free(h->sn);
    if (h->lag_timer)
        event_free(h->lag_timer);
    SSL_CTX_free(h->client_ctx);
    ticket_keys_free(&h->keys);
    h->peers = NULL;
    h->ls = NULL;
    h->sn = NULL;
    h->lag_timer = NULL;
    h->client_ctx = NULL;
    h->n_peers = h->n_ls = h->n_sn = 0;
}

/* ---- metrics ---- */

void host_snapshot(struct host *h, uint32_t interval, struct metrics_snapshot *s)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    memset(s, 0, sizeof *s);
    s->interval = interval;
    s->rank = h->rank;
    s->cpu_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
               (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    s->maxrss_kb = ru.ru_maxrss;
    memcpy(s->c, h->m.c, sizeof s->c);
    memcpy(s->g, h->m.g, sizeof s->g);
    s->lag_us = h->m.lag_us;
    hist_reset(&h->m.lag_us);
}

void host_peer_results(const struct host *h, int64_t *first_online_ns, uint32_t *attempts)
{
    for (uint32_t i = 0; i < h->n_peers; i++) {
        first_online_ns[i] = h->peers[i].first_online_ns;
        attempts[i] = h->peers[i].attempts;
    }
}
