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
#include "impair.h"
#include "peer.h"
#include "promotion.h"
#include "service.h"
#include "workload.h"
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

enum sweep_action { ACT_BOOT, ACT_REBOOT, ACT_CRASH, ACT_RESTORE };

struct sweep_item {
    int64_t at_ns;  /* run time */
    uint32_t idx;   /* into the host's array of that role */
};

struct sweep {
    struct sweep *next;
    struct host *h;
    enum sweep_action action;
    enum role role;
    struct event timer;
    struct sweep_item *items;
    uint32_t n, done;
};

static int item_cmp(const void *a, const void *b)
{
    const struct sweep_item *x = a, *y = b;
    if (x->at_ns != y->at_ns)
        return x->at_ns < y->at_ns ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
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

static void apply(struct host *h, enum sweep_action act, enum role role, uint32_t i)
{
    switch (role) {
    case ROLE_PEER:
        if (act == ACT_BOOT)
            peer_power_on(&h->peers[i]);
        else if (act == ACT_REBOOT)
            peer_reboot(&h->peers[i]);
        else if (act == ACT_CRASH)
            peer_crash(&h->peers[i]);
        break;
    case ROLE_SUPERNODE:
        if (act == ACT_CRASH && sn_is_up(h->sn[i])) {
            h->m.c[C_SN_CRASHES]++;
            sn_set_down(h->sn[i]);
        }
        break;
    case ROLE_LOGIN_SERVER:
        if (act == ACT_CRASH)
            ls_set_down(h->ls[i]);
        else if (act == ACT_RESTORE)
            ls_set_up(h->ls[i]);
        break;
    case ROLE_SERVICE:
        if (act == ACT_CRASH)
            svc_set_down(h->svc[i]);
        else if (act == ACT_RESTORE)
            svc_set_up(h->svc[i]);
        break;
    }
}

/* One timer walks the event's selected nodes in time order, so an event
 * costs one timer however many nodes it touches. */
static void sweep_tick(evutil_socket_t fd, short what, void *arg)
{
    struct sweep *s = arg;
    struct host *h = s->h;
    int64_t now = host_now(h);
    while (s->done < s->n && s->items[s->done].at_ns <= now)
        apply(h, s->action, s->role, s->items[s->done++].idx);
    if (s->done == s->n)
        sweep_free(s);
    else
        host_arm_at(h, &s->timer, s->items[s->done].at_ns);
}

static uint32_t role_count(const struct host *h, enum role r)
{
    return r == ROLE_PEER ? h->n_peers : r == ROLE_SUPERNODE ? h->n_sn
           : r == ROLE_LOGIN_SERVER ? h->n_ls : h->n_svc;
}

static uint32_t role_id(const struct host *h, enum role r, uint32_t i)
{
    switch (r) {
    case ROLE_PEER:
        return h->peers[i].id;
    case ROLE_SUPERNODE:
        return sn_id(h->sn[i]);
    case ROLE_LOGIN_SERVER:
        return ls_id(h->ls[i]);
    default:
        return svc_id(h->svc[i]);
    }
}

/* Select this rank's share of a role, deterministically from (seed, node
 * id, event index), and spread the action over the window. fraction < 0
 * selects every node, all at once at t0 + over. */
static uint32_t start_sweep(struct host *h, uint32_t idx, enum role role,
                            enum sweep_action act, double fraction, int64_t t0, int64_t over)
{
    uint32_t n = role_count(h, role);
    struct sweep *s = calloc(1, sizeof *s);
    if (!s)
        return 0;
    s->items = malloc(sizeof *s->items * (n ? n : 1));
    if (!s->items) {
        free(s);
        return 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (role == ROLE_SUPERNODE && !sn_is_up(h->sn[i]) && act == ACT_CRASH)
            continue; /* dormant or already down */
        uint32_t id = role_id(h, role, i);
        if (fraction >= 0 && rng_hash_unit(h->scn->seed, id, idx, 0) >= fraction)
            continue;
        double u = fraction >= 0 ? rng_hash_unit(h->scn->seed, id, idx, 1) : 1.0;
        s->items[s->n++] = (struct sweep_item){t0 + (int64_t)(u * (double)over), i};
    }
    qsort(s->items, s->n, sizeof *s->items, item_cmp);
    s->h = h;
    s->action = act;
    s->role = role;
    s->next = h->sweeps;
    h->sweeps = s;
    evtimer_assign(&s->timer, h->base, sweep_tick, s);
    uint32_t selected = s->n;
    sweep_tick(-1, 0, s); /* applies everything already due; may free s */
    return selected;
}

static void partition_over(evutil_socket_t fd, short what, void *arg)
{
    impair_partition(arg, NULL);
}

uint32_t host_fire_event(struct host *h, uint32_t idx, const struct scn_event *ev)
{
    int64_t t0 = host_now(h);
    uint32_t n = 0;
    switch (ev->kind) {
    case EV_BOOT:
        return start_sweep(h, idx, ROLE_PEER, ACT_BOOT, ev->fraction, t0, ev->over_ns);
    case EV_REBOOT:
        return start_sweep(h, idx, ROLE_PEER, ACT_REBOOT, ev->fraction, t0, ev->over_ns);
    case EV_CRASH:
        return start_sweep(h, idx, ev->role, ACT_CRASH, ev->fraction, t0, ev->over_ns);
    case EV_OUTAGE:
        n = start_sweep(h, idx, ev->role, ACT_CRASH, -1, t0, 0);
        start_sweep(h, idx, ev->role, ACT_RESTORE, -1, t0, ev->for_ns);
        return n;
    case EV_CAPACITY:
        for (uint32_t i = 0; i < role_count(h, ev->role); i++, n++) {
            if (ev->role == ROLE_LOGIN_SERVER)
                ls_reconfigure(h->ls[i], ev);
            else if (ev->role == ROLE_SUPERNODE)
                sn_reconfigure(h->sn[i], ev);
            else if (ev->role == ROLE_SERVICE)
                svc_reconfigure(h->svc[i], ev);
        }
        return n;
    case EV_PARTITION:
        impair_partition(h, ev->group_of_rank);
        if (!h->partition_end)
            h->partition_end = evtimer_new(h->base, partition_over, h);
        host_arm_in(h->partition_end, ev->for_ns);
        return 1;
    case EV_INJECT_SN: {
        uint32_t first = placement_inject_first(&h->pl, h->scn, idx);
        for (uint32_t i = 0; i < h->n_sn; i++) {
            uint32_t id = sn_id(h->sn[i]);
            if (id >= first && id < first + ev->count && sn_activate(h->sn[i], ev->max_clients) == 0)
                n++;
        }
        return n;
    }
    default:
        return 0;
    }
}

/* ---- lifecycle ---- */

int host_init(struct host *h, struct event_base *base, const struct scenario *scn,
              const struct pki *pki, int world_size, const uint32_t *host_ips, int rank,
              int64_t offset_ns, int64_t start_coord_ns, char *err, size_t errlen)
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
    placement_set_hosts(&h->pl, host_ips);

    if (impair_init(h) < 0) {
        snprintf(err, errlen, "rank %d: out of memory", rank);
        return -1;
    }
    if (ticket_keys_init(&h->keys, pki->ticket_priv, pki->ticket_pub) < 0) {
        snprintf(err, errlen, "rank %d: cannot load the ticket keys", rank);
        return -1;
    }
    if (!(h->client_ctx = tls_client_ctx(pki->ca_pem, err, errlen)))
        goto fail;

    uint32_t local = placement_count_on(&h->pl, rank);
    h->peers = calloc(local ? local : 1, sizeof *h->peers);
    h->ls = calloc(h->pl.n_ls, sizeof *h->ls);
    h->svc = calloc(h->pl.n_svc ? h->pl.n_svc : 1, sizeof *h->svc);
    /* room for initial, injected and promoted supernodes */
    h->sn_cap = h->pl.n_sn + h->pl.n_inj + 16;
    h->sn = calloc(h->sn_cap, sizeof *h->sn);
    if (!h->peers || !h->ls || !h->svc || !h->sn) {
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
        case ROLE_SERVICE:
            if (!(h->svc[h->n_svc] = svc_create(h, id, err, errlen)))
                goto fail;
            h->n_svc++;
            break;
        case ROLE_SUPERNODE: {
            bool injected = id >= h->pl.first_inj;
            uint32_t max = injected ? 0 : scn->supernode.max_clients;
            if (!(h->sn[h->n_sn] = sn_create(h, id, !injected, false, max, err, errlen)))
                goto fail;
            h->n_sn++;
            break;
        }
        default:
            if (peer_init(&h->peers[h->n_peers], h, id) < 0) {
                snprintf(err, errlen, "rank %d: out of memory for peer %u", rank, id);
                goto fail;
            }
            h->n_peers++;
            break;
        }
    }

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
    return 0;
fail:
    host_destroy(h);
    return -1;
}

void host_destroy(struct host *h)
{
    while (h->sweeps)
        sweep_free(h->sweeps);
    workload_free(h->workload);
    h->workload = NULL;
    promotion_free(h->promotion);
    h->promotion = NULL;
    for (uint32_t i = 0; i < h->n_peers; i++)
        peer_destroy(&h->peers[i]);
    for (uint32_t i = 0; i < h->n_ls; i++)
        ls_free(h->ls[i]);
    for (uint32_t i = 0; i < h->n_sn; i++)
        sn_free(h->sn[i]);
    for (uint32_t i = 0; i < h->n_svc; i++)
        svc_free(h->svc[i]);
    free(h->peers);
    free(h->ls);
    free(h->sn);
    free(h->svc);
    if (h->lag_timer)
        event_free(h->lag_timer);
    if (h->partition_end)
        event_free(h->partition_end);
    h->partition_end = NULL;
    impair_free(h); /* after every bufferevent that used its buckets */
    SSL_CTX_free(h->client_ctx);
    ticket_keys_free(&h->keys);
    h->peers = NULL;
    h->ls = NULL;
    h->sn = NULL;
    h->svc = NULL;
    h->lag_timer = NULL;
    h->client_ctx = NULL;
    h->n_peers = h->n_ls = h->n_sn = h->n_svc = 0;
}

int host_add_sn(struct host *h, struct supernode *sn)
{
    if (h->n_sn == h->sn_cap) {
        uint32_t cap = h->sn_cap ? 2 * h->sn_cap : 16;
        struct supernode **n = realloc(h->sn, cap * sizeof *n);
        if (!n)
            return -1;
        h->sn = n;
        h->sn_cap = cap;
    }
    h->sn[h->n_sn++] = sn;
    return 0;
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
