/* workload.c - open-loop requests to the central service (see workload.h). */
#include "workload.h"

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "common/attribution.h"
#include "conn.h"
#include "dht_node.h"
#include "host.h"
#include "impair.h"
#include "peer.h"

#define SLOTS 65536u /* outstanding requests per rank; more are dropped and counted */
#define RECV_BATCH 64

enum req_state { REQ_OUTSTANDING, REQ_WAITING };

struct req {
    struct workload *w;
    struct event timer;
    struct retry_state retry;
    int64_t sent_ns; /* this attempt: run time sent, and the rank's stall clock then */
    struct emu_mark sent_mark;
    uint32_t svc;      /* the service node this attempt went to: only it may answer */
    uint32_t target;   /* dht: the user looked up (the same for every attempt) */
    struct dht_op *op; /* dht: the lookup in flight */
    uint32_t id;
    uint32_t peer; /* index into the host's peers */
    uint8_t state;
};

struct workload {
    struct host *h;
    int fd;
    struct event *rx;
    struct event arrival;
    int64_t next_arrival_ns; /* run time the next arrival is due; INT64_MIN: not yet */
    struct rng rng;
    uint32_t next_id;
    struct req *slot[SLOTS];
};

static const struct scn_retry_cfg *cfg(const struct workload *w)
{
    return &w->h->scn->workload.request;
}

static void req_free(struct req *r)
{
    struct workload *w = r->w;
    dht_node_cancel(r->op);
    if (r->state == REQ_OUTSTANDING)
        w->h->m.g[G_REQ_OUTSTANDING]--;
    event_del(&r->timer);
    w->slot[r->id % SLOTS] = NULL;
    free(r);
}

/* Send one datagram from the peer's own address. */
static int send_from(struct workload *w, uint32_t src, uint32_t svc, const struct wire_msg *m)
{
    struct host *h = w->h;
    uint32_t dst = placement_addr(&h->pl, svc);
    if (!placement_ip_allowed(h->scn, src) || !placement_ip_allowed(h->scn, dst))
        return -1;
    uint8_t buf[64];
    int n = wire_encode_payload(m, buf, sizeof buf);
    if (n < 0)
        return -1;
    if (impair_drop_datagram(h, ROLE_PEER, dst)) {
        h->m.c[C_MSGS_SENT]++; /* sent, and lost on the way */
        return 0;
    }
    struct sockaddr_in to;
    conn_sockaddr(dst, placement_port(&h->pl, svc), &to);
    struct iovec iov = {buf, (size_t)n};
    char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];
    memset(cbuf, 0, sizeof cbuf);
    struct msghdr mh = {.msg_name = &to,
                        .msg_namelen = sizeof to,
                        .msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = cbuf,
                        .msg_controllen = sizeof cbuf};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = IPPROTO_IP;
    cm->cmsg_type = IP_PKTINFO;
    cm->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
    struct in_pktinfo *pi = (struct in_pktinfo *)CMSG_DATA(cm);
    pi->ipi_spec_dst.s_addr = htonl(src);
    if (sendmsg(w->fd, &mh, MSG_DONTWAIT) != n)
        return -1;
    h->m.c[C_MSGS_SENT]++;
    h->m.c[C_BYTES_SENT] += (uint64_t)n;
    return 0;
}

static void attempt(struct req *r);

static void failed(struct req *r, int64_t hint_ns)
{
    struct workload *w = r->w;
    struct peer *p = host_peer(w->h, r->peer);
    int64_t delay;
    unsigned why;
    if (r->state == REQ_OUTSTANDING) {
        w->h->m.g[G_REQ_OUTSTANDING]--;
        r->state = REQ_WAITING;
    }
    if (!retry_after_failure(&cfg(w)->retry, &r->retry, &p->g_req, &p->rng, hint_ns, &delay,
                             &why)) {
        w->h->m.c[C_REQ_GIVEUP]++;
        req_free(r);
        return;
    }
    if (why & SLOW_BUDGET)
        w->h->m.c[C_RETRY_SLOWED_BUDGET]++;
    if (why & SLOW_RETRY_AFTER)
        w->h->m.c[C_RETRY_SLOWED_HINT]++;
    host_arm_in(&r->timer, delay);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct req *r = arg;
    if (r->state == REQ_OUTSTANDING) {
        r->w->h->m.c[C_REQ_TIMEOUT]++;
        dht_node_cancel(r->op);
        r->op = NULL;
        failed(r, 0);
    } else {
        attempt(r);
    }
}

/* An attempt goes out now: counted, outstanding, its timeout armed. */
static void mark_sent(struct req *r)
{
    struct workload *w = r->w;
    struct host *h = w->h;
    h->m.c[C_REQ_SENT]++;
    r->sent_ns = host_now(h);
    r->sent_mark = host_emu_mark(h);
    r->state = REQ_OUTSTANDING;
    h->m.g[G_REQ_OUTSTANDING]++;
    host_arm_in(&r->timer, cfg(w)->timeout_ns);
}

/* The outstanding request got its answer at `now`: the peer's guard counts
 * a success and the request is freed; a good answer (found, or RESPONSE)
 * also counts req_ok and its latency. */
static void answered(struct req *r, int64_t now, bool ok)
{
    struct workload *w = r->w;
    struct host *h = w->h;
    if (ok) {
        h->m.c[C_REQ_OK]++;
        hist_add(&h->m.req_us, (uint64_t)((now - r->sent_ns) / 1000));
        hist_add(
            &h->m.req_emu_us,
            (uint64_t)(attr_delay(now - r->sent_ns, host_emu_since(h, r->sent_mark), 0) / 1000));
    }
    struct peer *p = host_peer(h, r->peer);
    retry_guard_accepted(&cfg(w)->retry, &p->g_req, now);
    retry_guard_success(&cfg(w)->retry, &p->g_req);
    req_free(r);
}

/* dht: a lookup of another user's presence record has ended. */
static void lookup_done(void *arg, enum dht_find_result res, unsigned hops)
{
    struct req *r = arg;
    struct workload *w = r->w;
    struct host *h = w->h;
    r->op = NULL;
    if (res == DHT_FIND_ABORTED) { /* the peer went down */
        h->m.c[C_REQ_DROPPED]++;
        req_free(r);
        return;
    }
    if (res == DHT_FIND_FAILED) { /* nobody answered: retry */
        h->m.c[C_DHT_LOOKUP_FAILED]++;
        failed(r, 0);
        return;
    }
    int64_t now = host_now(h);
    uint64_t us = (uint64_t)((now - r->sent_ns) / 1000);
    hist_add(&h->m.iv.lookup_us, us);
    hist_add(&h->m.iv.lookup_hops, hops);
    hist_add(&h->m.dht_hops, hops);
    if (res != DHT_FIND_FOUND)
        h->m.c[C_DHT_NOT_FOUND]++; /* an answer: the user is not in the DHT */
    answered(r, now, res == DHT_FIND_FOUND);
}

/* dht: the request is a lookup of another user's presence record through
 * the peer's own DHT node (node/dht_node.h). */
static void dht_attempt(struct req *r, struct peer *p)
{
    struct host *h = r->w->h;
    mark_sent(r);
    r->op = dht_node_find_user(p->dht, r->target, lookup_done, r);
    if (!r->op) { /* no contact to ask at all */
        h->m.c[C_DHT_LOOKUP_FAILED]++;
        failed(r, 0);
    }
}

static void attempt(struct req *r)
{
    struct workload *w = r->w;
    struct host *h = w->h;
    struct peer *p = host_peer(h, r->peer);
    if (p->state != PEER_ONLINE) { /* the peer went down: its requests die with it */
        h->m.c[C_REQ_DROPPED]++;
        req_free(r);
        return;
    }
    if (!retry_guard_admit(&cfg(w)->retry, &p->g_req, &p->rng, host_now(h))) {
        h->m.c[C_THROTTLED]++;
        failed(r, 0);
        return;
    }
    if (p->dht) {
        dht_attempt(r, p);
        return;
    }
    uint32_t svc = h->pl.first_svc + rng_below(&p->rng, h->pl.n_svc);
    r->svc = svc;
    struct wire_msg m = {.type = WIRE_REQUEST, .u.req = {.user_id = p->id, .req_id = r->id}};
    mark_sent(r);
    if (send_from(w, p->ip, svc, &m) < 0)
        h->m.c[C_SOCKET_ERRORS]++; /* lost like a dropped datagram: the timeout handles it */
}

/* Arrivals handled in one wake-up at most; more that are due wait for the
 * next turn of the loop (at once), so a late rank catches up without
 * starving its sockets. */
#define ARRIVAL_BURST 256

/* One arrival: a local peer drawn at random, kept only if it is online. */
static void arrive(struct workload *w)
{
    struct host *h = w->h;
    uint32_t i = rng_below(&w->rng, host_n_peers(h));
    if (host_peer(h, i)->state != PEER_ONLINE)
        return;
    uint32_t id = w->next_id++;
    if (w->slot[id % SLOTS]) {
        h->m.c[C_REQ_DROPPED]++; /* the rank's table is full */
        return;
    }
    struct req *r = calloc(1, sizeof *r);
    if (!r)
        return;
    r->w = w;
    r->id = id;
    r->peer = i;
    if (h->pl.n_peers > 1) { /* dht: someone else, uniformly */
        struct peer *p = host_peer(h, i);
        r->target = h->pl.first_peer + rng_below(&w->rng, h->pl.n_peers - 1);
        if (r->target >= p->id)
            r->target++;
    }
    evtimer_assign(&r->timer, h->base, on_timer, r);
    w->slot[id % SLOTS] = r;
    r->state = REQ_WAITING;
    attempt(r);
}

/* Poisson arrivals at request_rate per peer over all local peers, thinned to
 * the online ones: exactly request_rate per online peer. The process runs
 * in run time, each arrival due a random gap after the previous one's due
 * time, not after the moment its timer ran: a busy rank that runs the timer
 * late sends the arrivals that fell due meanwhile, instead of thinning the
 * open-loop load by its own lateness (at load average 5 on 2 cores, 28%
 * fewer requests than asked were sent). */
static void arrival(evutil_socket_t fd, short what, void *arg)
{
    struct workload *w = arg;
    struct host *h = w->h;
    double rate = h->scn->workload.request_rate * host_n_peers(h);
    int64_t now = host_now(h);
    if (w->next_arrival_ns == INT64_MIN)
        w->next_arrival_ns = now;
    for (int n = 0; n < ARRIVAL_BURST && w->next_arrival_ns <= now; n++) {
        arrive(w);
        double u = rng_uniform(&w->rng);
        w->next_arrival_ns += (int64_t)(-log(1 - u) / rate * 1e9);
    }
    host_arm_at(h, &w->arrival, w->next_arrival_ns);
}

static bool from_service(const struct host *h, uint32_t svc, const struct sockaddr_in *from)
{
    return ntohl(from->sin_addr.s_addr) == placement_addr(&h->pl, svc) &&
           ntohs(from->sin_port) == placement_port(&h->pl, svc);
}

static bool from_any_service(const struct host *h, const struct sockaddr_in *from)
{
    const struct placement *pl = &h->pl;
    for (uint32_t i = 0; i < pl->n_svc; i++)
        if (from_service(h, pl->first_svc + i, from))
            return true;
    return false;
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    struct workload *w = arg;
    struct host *h = w->h;
    for (int i = 0; i < RECV_BATCH; i++) {
        uint8_t buf[512];
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
        if (n < 0)
            return;
        h->m.c[C_BYTES_RECV] += (uint64_t)n;
        struct wire_msg m;
        if (wire_decode_payload(buf, (size_t)n, &m) != WIRE_OK ||
            (m.type != WIRE_RESPONSE && m.type != WIRE_REQ_BUSY)) {
            h->m.c[C_MALFORMED]++;
            continue;
        }
        h->m.c[C_MSGS_RECV]++;
        struct req *r = w->slot[m.u.req.req_id % SLOTS];
        bool known = r && r->id == m.u.req.req_id;
        if (known ? !from_service(h, r->svc, &from) : !from_any_service(h, &from)) {
            /* Not from the service this request went to (or, for a request
             * already gone, from no service): forged, or a stray datagram.
             * Request ids are sequential, so only the source can tell a
             * real answer, and a forged one must not pass for work a
             * service wasted. */
            h->m.c[C_MALFORMED]++;
            continue;
        }
        if (!known || r->state != REQ_OUTSTANDING) {
            /* The client gave up on it already: work the server wasted. */
            if (m.type == WIRE_RESPONSE)
                h->m.c[C_SVC_WASTED]++;
            continue;
        }
        if (m.type == WIRE_RESPONSE) {
            answered(r, host_now(h), true);
        } else {
            h->m.c[C_REQ_BUSY]++;
            failed(r, (int64_t)m.u.req.retry_after_ms * NS_PER_MS);
        }
    }
}

struct workload *workload_new(struct host *h, char *err, size_t errlen)
{
    struct workload *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    w->h = h;
    w->fd = -1;
    rng_seed(&w->rng, h->scn->seed, 0x574f524bu + (uint64_t)h->rank, RNG_STREAM_NODE);
    evtimer_assign(&w->arrival, h->base, arrival, w);
    w->next_arrival_ns = INT64_MIN;
    if (h->scn->workload.request_rate <= 0 || host_n_peers(h) == 0)
        return w;
    if (h->scn->architecture == ARCH_DHT) { /* lookups go through each peer's own node */
        host_arm_in(&w->arrival, 0);
        return w;
    }
    if (h->pl.n_svc == 0)
        return w;
    /* Loopback mode: bound to every local address on one port, so replies
     * to any peer's address come back here (127.0.0.0/8 is not reachable from
     * other machines, and each reply's source is checked). Host mode: bound
     * to the host's own address, which all its peers share. Sends pick their
     * source with IP_PKTINFO. */
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in any = {.sin_family = AF_INET};
    if (h->pl.mode == NET_HOST)
        conn_sockaddr(host_peer(h, 0)->ip, 0, &any);
    if (fd < 0 || bind(fd, (struct sockaddr *)&any, sizeof any) < 0) {
        snprintf(err, errlen, "workload socket: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        free(w);
        return NULL;
    }
    w->fd = fd;
    w->rx = event_new(h->base, fd, EV_READ | EV_PERSIST, on_readable, w);
    event_add(w->rx, NULL);
    host_arm_in(&w->arrival, 0);
    return w;
}

void workload_free(struct workload *w)
{
    if (!w)
        return;
    event_del(&w->arrival);
    for (uint32_t i = 0; i < SLOTS; i++)
        if (w->slot[i])
            req_free(w->slot[i]);
    if (w->rx)
        event_free(w->rx);
    if (w->fd >= 0)
        close(w->fd);
    free(w);
}
