/* dht_node.c - a peer's Kademlia node (see dht_node.h). */
#include "dht_node.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "conn.h"
#include "dht_lookup.h"
#include "host.h"
#include "peer.h"

#define RECV_BATCH 16 /* datagrams per wake-up of one node */

/* What a query is for. RPC_LATE: its lookup has ended (a value found, or
 * the join given up) but the query is still out; its answer only updates
 * the routing table, its timeout still counts against the contact. */
enum rpc_purpose { RPC_LOOKUP, RPC_BOOT, RPC_STORE, RPC_PING, RPC_LATE };

/* An operation: one iterative lookup and what it leads to. */
enum op_kind {
    OP_SELF,    /* join: lookup of the node's own id */
    OP_PUBLISH, /* lookup of the user's key, then STORE on the k closest */
    OP_REFRESH, /* lookup of a random id in a stale bucket */
    OP_USER,    /* the workload: FIND_VALUE of another user's key */
};

struct dht_rpc {
    LIST_ENTRY(dht_rpc) link;
    struct dht_node *d;
    struct dht_op *op; /* RPC_LOOKUP and RPC_BOOT: the lookup it feeds; else NULL */
    struct event timer;
    struct dht_id to; /* unknown (zero) for a bootstrap node */
    uint32_t ip, txid;
    uint16_t port;
    uint16_t join_seq; /* RPC_STORE: the join attempt it belongs to */
    uint8_t type;      /* the query's wire type */
    uint8_t purpose;
    bool expired; /* timed out, kept one more rpc_timeout to tell a late answer */
};

struct dht_op {
    LIST_ENTRY(dht_op) link;
    struct dht_node *d;
    uint8_t kind;
    bool join; /* part of the join attempt in flight */
    bool bootstrapped;
    bool starting, ended; /* OP_USER: ended while dht_node_find_user ran */
    uint64_t user;
    int64_t start_ns;
    dht_find_fn fn;
    void *arg;
    struct dht_lookup l;
};

/* A presence record stored for another user. */
struct dht_record {
    struct dht_id key, node;
    uint64_t user_id;
    int64_t expires_ns;
    uint32_t ip;
    uint16_t port;
};

struct dht_node {
    struct host *h;
    struct peer *p;
    struct dht_id id, user_key;
    struct dht_table t;
    int fd; /* -1 while down */
    struct event *rx;
    struct event maint; /* refresh and republish, while online */
    LIST_HEAD(, dht_rpc) rpcs;
    LIST_HEAD(, dht_op) ops;
    struct dht_record *rec;
    uint16_t n_rec, cap_rec;
    bool joining, online, pinging;
    uint16_t join_seq; /* counts join attempts: stale answers are told apart */
    uint8_t stores_sent, stores_acked, stores_pending;
    int64_t next_refresh_ns, next_republish_ns;
};

static const struct scn_dht *cfg(const struct dht_node *d)
{
    return &d->h->scn->dht;
}

static uint32_t now_ms(const struct dht_node *d)
{
    int64_t t = host_now(d->h);
    return t > 0 ? (uint32_t)(t / 1000000) : 0;
}

static bool is_bootstrap_addr(const struct host *h, uint32_t ip, uint16_t port)
{
    const struct placement *pl = &h->pl;
    for (uint32_t i = 0; i < pl->n_dhtb; i++)
        if (placement_addr(pl, pl->first_dhtb + i) == ip &&
            placement_port(pl, pl->first_dhtb + i) == port)
            return true;
    return false;
}

/* ---- sending ---- */

static void msg_init(const struct dht_node *d, struct wire_msg *m, enum wire_type type,
                     uint32_t txid)
{
    memset(m, 0, sizeof *m);
    m->type = type;
    m->u.dht.txid = txid;
    memcpy(m->u.dht.sender, d->id.b, DHT_ID_LEN);
}

static void send_msg(struct dht_node *d, uint32_t ip, uint16_t port, const struct wire_msg *m)
{
    /* A datagram refused by the interlock or lost on the way looks the same
     * to the sender: no answer, and the query times out. */
    (void)conn_send_datagram(d->h, ROLE_PEER, d->fd, ip, port, m);
}

static void rpc_free(struct dht_rpc *r)
{
    LIST_REMOVE(r, link);
    event_del(&r->timer);
    free(r);
}

static void rpc_timeout(evutil_socket_t fd, short what, void *arg);

/* Send a query; the answer or the timeout comes back through the rpc. */
static struct dht_rpc *query(struct dht_node *d, enum rpc_purpose purpose, struct dht_op *op,
                             const struct dht_id *to, uint32_t ip, uint16_t port,
                             struct wire_msg *m)
{
    struct dht_rpc *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    uint32_t txid;
    bool taken;
    do { /* unpredictable, and unique among this node's queries in flight */
        txid = rng_u32(&d->p->rng);
        taken = false;
        for (const struct dht_rpc *o = LIST_FIRST(&d->rpcs); o; o = LIST_NEXT(o, link))
            taken |= o->txid == txid;
    } while (taken);
    r->d = d;
    r->op = op;
    if (to)
        r->to = *to;
    r->ip = ip;
    r->port = port;
    r->txid = txid;
    r->type = (uint8_t)m->type;
    r->purpose = (uint8_t)purpose;
    evtimer_assign(&r->timer, d->h->base, rpc_timeout, r);
    LIST_INSERT_HEAD(&d->rpcs, r, link);
    host_arm_in(&r->timer, cfg(d)->rpc_timeout_ns);
    m->u.dht.txid = txid;
    d->h->m.c[C_DHT_QUERIES]++;
    send_msg(d, ip, port, m);
    return r;
}

static void ping(struct dht_node *d, const struct dht_contact *c)
{
    struct wire_msg m;
    msg_init(d, &m, WIRE_DHT_PING, 0);
    if (query(d, RPC_PING, NULL, &c->id, c->ip, c->port, &m))
        d->pinging = true;
}

/* ---- the routing table ---- */

/* A message from id at the datagram's source: Kademlia's update rule. A
 * full bucket of good contacts keeps them; the least recently seen one is
 * pinged when it has been quiet for a while, so that a dead one makes room. */
static void heard(struct dht_node *d, const struct dht_id *id, uint32_t ip, uint16_t port)
{
    if (is_bootstrap_addr(d->h, ip, port))
        return; /* bootstrap nodes are for joining, not for routing */
    struct dht_contact lru;
    uint32_t now = now_ms(d);
    enum dht_seen s = dht_table_seen(&d->t, id, ip, port, now, DHT_KEEP_OLD, &lru);
    if (s == DHT_SEEN_FULL && !d->pinging &&
        (int64_t)(now - lru.seen_ms) * 1000000 > 10 * cfg(d)->rpc_timeout_ns)
        ping(d, &lru);
}

static void contact_failed(struct dht_node *d, const struct dht_rpc *r)
{
    if (r->purpose != RPC_BOOT &&
        dht_table_failed(&d->t, &r->to, r->ip, r->port, cfg(d)->stale_after))
        d->h->m.c[C_DHT_EVICTED]++;
}

/* ---- operations ---- */

static void op_pump(struct dht_op *op);

static struct dht_op *op_new(struct dht_node *d, enum op_kind kind, const struct dht_id *target,
                             bool join)
{
    struct dht_op *op = calloc(1, sizeof *op);
    if (!op)
        return NULL;
    op->d = d;
    op->kind = (uint8_t)kind;
    op->join = join;
    op->start_ns = host_now(d->h);
    dht_lookup_init(&op->l, target, cfg(d)->k, cfg(d)->alpha);
    LIST_INSERT_HEAD(&d->ops, op, link);
    return op;
}

/* Seed a lookup with the table's closest contacts. */
static void op_seed(struct dht_op *op)
{
    struct dht_node *d = op->d;
    struct dht_contact c[32];
    unsigned n = dht_table_closest(&d->t, &op->l.target, cfg(d)->k, false, c);
    for (unsigned i = 0; i < n; i++)
        dht_lookup_add(&op->l, &d->id, &c[i].id, c[i].ip, c[i].port, 1);
}

static void op_free(struct dht_op *op)
{
    struct dht_node *d = op->d;
    struct dht_rpc *r, *next;
    for (r = LIST_FIRST(&d->rpcs); r; r = next) {
        next = LIST_NEXT(r, link);
        if (r->op != op)
            continue;
        if (r->purpose == RPC_LOOKUP) {
            r->op = NULL; /* still out: see RPC_LATE */
            r->purpose = RPC_LATE;
        } else {
            rpc_free(r); /* a bootstrap query: nothing left to learn from it */
        }
    }
    LIST_REMOVE(op, link);
    free(op);
}

static void join_end(struct dht_node *d, bool ok, enum metric_counter why);
static void join_check(struct dht_node *d);
static void start_publish(struct dht_node *d, bool join);
static void start_refresh(struct dht_node *d, bool join);

static void boot_query(struct dht_op *op)
{
    struct dht_node *d = op->d;
    const struct placement *pl = &d->h->pl;
    uint32_t b = pl->first_dhtb + rng_below(&d->p->rng, pl->n_dhtb);
    struct wire_msg m;
    msg_init(d, &m, WIRE_DHT_FIND_NODE, 0);
    memcpy(m.u.dht.target, d->id.b, DHT_ID_LEN);
    op->bootstrapped = true;
    d->h->m.c[C_DHT_JOIN_BOOTSTRAP]++;
    if (!query(d, RPC_BOOT, op, NULL, placement_addr(pl, b), placement_port(pl, b), &m))
        join_end(d, false, C_REG_ERROR);
}

static void self_done(struct dht_op *op)
{
    struct dht_node *d = op->d;
    if (dht_lookup_answered_count(&op->l) == 0) {
        /* Nobody in the saved table answered: ask a bootstrap node, once. */
        if (op->bootstrapped || d->h->pl.n_dhtb == 0) {
            op_free(op);
            join_end(d, false, C_REG_FAIL);
            return;
        }
        dht_lookup_init(&op->l, &d->id, cfg(d)->k, cfg(d)->alpha);
        boot_query(op);
        return;
    }
    op_free(op);
    /* The publish lookup first: while it runs, refreshes that end at once
     * cannot end the join. */
    start_publish(d, true);
    start_refresh(d, true);
}

/* Store the user's record on the k closest nodes the lookup found. */
static void publish_done(struct dht_op *op)
{
    struct dht_node *d = op->d;
    struct dht_cand c[32];
    unsigned n = dht_lookup_result(&op->l, c, cfg(d)->k);
    bool join = op->join;
    op_free(op);
    if (join) {
        d->stores_sent = (uint8_t)n;
        d->stores_acked = 0;
        d->stores_pending = 0;
    }
    for (unsigned i = 0; i < n; i++) {
        struct wire_msg m;
        msg_init(d, &m, WIRE_DHT_STORE, 0);
        memcpy(m.u.dht.target, d->user_key.b, DHT_ID_LEN);
        m.u.dht.user_id = d->p->id;
        struct dht_rpc *r = query(d, RPC_STORE, NULL, &c[i].id, c[i].ip, c[i].port, &m);
        if (r && join) {
            r->join_seq = d->join_seq;
            d->stores_pending++;
        }
    }
    if (join)
        join_check(d);
}

static void op_done(struct dht_op *op)
{
    struct dht_node *d = op->d;
    switch ((enum op_kind)op->kind) {
    case OP_SELF:
        self_done(op);
        return;
    case OP_PUBLISH:
        publish_done(op);
        return;
    case OP_REFRESH: {
        bool join = op->join;
        op_free(op);
        if (join)
            join_check(d);
        return;
    }
    case OP_USER: {
        if (op->starting) {
            op->ended = true; /* dht_node_find_user reports it */
            return;
        }
        unsigned hops = dht_lookup_hops(&op->l);
        enum dht_find_result res = op->l.found                         ? DHT_FIND_FOUND
                                   : dht_lookup_answered_count(&op->l) ? DHT_FIND_NOT_FOUND
                                                                       : DHT_FIND_FAILED;
        dht_find_fn fn = op->fn;
        void *arg = op->arg;
        op_free(op);
        fn(arg, res, hops);
        return;
    }
    }
}

/* Send the queries the lookup allows, or finish it. */
static void op_pump(struct dht_op *op)
{
    struct dht_node *d = op->d;
    const struct dht_cand *c;
    while ((c = dht_lookup_next(&op->l))) {
        struct wire_msg m;
        msg_init(d, &m, op->kind == OP_USER ? WIRE_DHT_FIND_VALUE : WIRE_DHT_FIND_NODE, 0);
        memcpy(m.u.dht.target, op->l.target.b, DHT_ID_LEN);
        struct dht_id to = c->id;
        if (!query(d, RPC_LOOKUP, op, &to, c->ip, c->port, &m))
            dht_lookup_failed(&op->l, &to); /* out of memory: as if unanswered */
    }
    if (dht_lookup_done(&op->l))
        op_done(op);
}

static void start_publish(struct dht_node *d, bool join)
{
    struct dht_op *op = op_new(d, OP_PUBLISH, &d->user_key, join);
    if (!op) {
        if (join)
            join_end(d, false, C_REG_ERROR);
        return;
    }
    op_seed(op);
    op_pump(op);
}

/* A lookup of a random id in every bucket, from the nearest non-empty one
 * up, in which no verified contact was heard from within dht.refresh. */
static void start_refresh(struct dht_node *d, bool join)
{
    int nearest = dht_table_nearest_bucket(&d->t);
    if (nearest < 0)
        return;
    uint8_t fresh[DHT_ID_BITS] = {0};
    uint32_t now = now_ms(d);
    int64_t window_ms = cfg(d)->refresh_ns > 0 ? cfg(d)->refresh_ns / 1000000 : 60000;
    for (uint16_t i = 0; i < d->t.n; i++) {
        const struct dht_contact *c = &d->t.c[i];
        int b = dht_id_bucket(&d->id, &c->id);
        if (b >= 0 && c->verified && (int64_t)(now - c->seen_ms) < window_ms)
            fresh[b] = 1;
    }
    for (int b = nearest; b < DHT_ID_BITS; b++) {
        if (fresh[b])
            continue;
        struct dht_id target;
        dht_id_random_in_bucket(&d->id, b, &d->p->rng, &target);
        struct dht_op *op = op_new(d, OP_REFRESH, &target, join);
        if (!op)
            return;
        d->h->m.c[C_DHT_REFRESHES]++;
        op_seed(op);
        op_pump(op); /* may finish at once, with nothing to ask */
    }
}

/* ---- the join ---- */

/* Drop the join's lookups; its stores in flight stay (they still store the
 * record) but no longer count: join_seq tells them apart. */
static void cancel_join_ops(struct dht_node *d)
{
    struct dht_op *op, *next;
    for (op = LIST_FIRST(&d->ops); op; op = next) {
        next = LIST_NEXT(op, link);
        if (op->join)
            op_free(op);
    }
    d->stores_pending = 0;
}

static void maint_arm(struct dht_node *d)
{
    int64_t next = INT64_MAX;
    if (cfg(d)->refresh_ns > 0)
        next = d->next_refresh_ns;
    if (cfg(d)->republish_ns > 0 && d->next_republish_ns < next)
        next = d->next_republish_ns;
    if (next != INT64_MAX)
        host_arm_at(d->h, &d->maint, next);
}

static void join_end(struct dht_node *d, bool ok, enum metric_counter why)
{
    if (!d->joining)
        return;
    d->joining = false;
    cancel_join_ops(d);
    if (ok) {
        int64_t now = host_now(d->h);
        d->online = true;
        d->next_refresh_ns = now + cfg(d)->refresh_ns;
        d->next_republish_ns = now + cfg(d)->republish_ns;
        maint_arm(d);
    }
    peer_dht_joined(d->p, ok, why);
}

static bool join_ops_left(const struct dht_node *d)
{
    for (const struct dht_op *op = LIST_FIRST(&d->ops); op; op = LIST_NEXT(op, link))
        if (op->join)
            return true;
    return false;
}

/* Whether the join has succeeded, failed, or must wait for more answers. */
static void join_check(struct dht_node *d)
{
    if (!d->joining || (d->stores_sent == 0 && join_ops_left(d)))
        return;
    for (const struct dht_op *op = LIST_FIRST(&d->ops); op; op = LIST_NEXT(op, link))
        if (op->join && op->kind == OP_PUBLISH)
            return; /* the stores are not sent yet */
    if (d->stores_sent == 0) {
        join_end(d, false, C_REG_FAIL); /* the record lookup found nobody */
        return;
    }
    if (d->stores_pending > 0)
        return;
    if (2 * d->stores_acked <= d->stores_sent) {
        join_end(d, false, C_REG_FAIL);
        return;
    }
    struct dht_health hh;
    dht_table_health(&d->t, &hh);
    if (hh.live >= cfg(d)->online_contacts)
        join_end(d, true, C_REG_OK);
    else if (!join_ops_left(d))
        join_end(d, false, C_REG_FAIL); /* the refresh found too few contacts */
}

/* ---- answers ---- */

static void on_answer(struct dht_node *d, struct dht_rpc *r, const struct wire_msg *m)
{
    struct host *h = d->h;
    switch ((enum rpc_purpose)r->purpose) {
    case RPC_LATE:
        rpc_free(r);
        return;
    case RPC_PING:
        d->pinging = false;
        rpc_free(r);
        return;
    case RPC_STORE: {
        bool counted = d->joining && r->join_seq == d->join_seq && d->stores_pending > 0;
        rpc_free(r);
        if (counted) {
            d->stores_pending--;
            d->stores_acked++;
            join_check(d);
        }
        return;
    }
    case RPC_BOOT: {
        struct dht_op *op = r->op;
        rpc_free(r);
        h->m.c[C_DHT_BOOT_OK]++; /* a bootstrap node answered in time */
        for (uint32_t i = 0; i < m->u.dht.n; i++) {
            struct dht_id id;
            memcpy(id.b, m->u.dht.nodes[i].id, DHT_ID_LEN);
            dht_lookup_add(&op->l, &d->id, &id, m->u.dht.nodes[i].ip, m->u.dht.nodes[i].port, 1);
        }
        op_pump(op);
        return;
    }
    case RPC_LOOKUP: {
        struct dht_op *op = r->op;
        struct dht_id from = r->to;
        rpc_free(r);
        if (!dht_lookup_answered(&op->l, &from))
            return;
        unsigned hop = dht_lookup_hop_of(&op->l, &from);
        if (m->type == WIRE_DHT_VALUE) {
            if (op->kind == OP_USER && m->u.dht.value.user_id == op->user) {
                dht_lookup_found(&op->l, &from);
            } else {
                h->m.c[C_DHT_UNEXPECTED]++; /* a record for another key */
            }
        } else {
            for (uint32_t i = 0; i < m->u.dht.n; i++) {
                struct dht_id id;
                memcpy(id.b, m->u.dht.nodes[i].id, DHT_ID_LEN);
                dht_lookup_add(&op->l, &d->id, &id, m->u.dht.nodes[i].ip, m->u.dht.nodes[i].port,
                               hop + 1);
            }
        }
        op_pump(op);
        return;
    }
    }
}

/* Keep a timed-out query one more rpc_timeout, so that its late answer is
 * told from a forged or stray one (dht_late, not dht_unexpected). */
static void rpc_expire(struct dht_rpc *r)
{
    r->op = NULL;
    r->expired = true;
    host_arm_in(&r->timer, r->d->h->scn->dht.rpc_timeout_ns);
}

static void rpc_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct dht_rpc *r = arg;
    struct dht_node *d = r->d;
    if (r->expired) {
        rpc_free(r);
        return;
    }
    d->h->m.c[C_DHT_QUERY_TIMEOUTS]++;
    contact_failed(d, r);
    switch ((enum rpc_purpose)r->purpose) {
    case RPC_LATE:
        rpc_expire(r);
        return;
    case RPC_PING:
        d->pinging = false;
        rpc_expire(r);
        return;
    case RPC_STORE: {
        bool counted = d->joining && r->join_seq == d->join_seq && d->stores_pending > 0;
        rpc_expire(r);
        if (counted) {
            d->stores_pending--;
            join_check(d);
        }
        return;
    }
    case RPC_BOOT:
        rpc_expire(r);
        join_end(d, false, C_REG_TIMEOUT); /* the bootstrap node did not answer */
        return;
    case RPC_LOOKUP: {
        struct dht_op *op = r->op;
        struct dht_id to = r->to;
        rpc_expire(r);
        dht_lookup_failed(&op->l, &to);
        op_pump(op);
        return;
    }
    }
}

/* Which answer types a query admits. */
static bool answers(uint8_t query_type, enum wire_type answer)
{
    switch (query_type) {
    case WIRE_DHT_PING:
        return answer == WIRE_DHT_PONG;
    case WIRE_DHT_FIND_NODE:
        return answer == WIRE_DHT_NODES;
    case WIRE_DHT_FIND_VALUE:
        return answer == WIRE_DHT_NODES || answer == WIRE_DHT_VALUE;
    case WIRE_DHT_STORE:
        return answer == WIRE_DHT_STORED;
    default:
        return false;
    }
}

/* ---- requests ---- */

static struct dht_record *find_record(struct dht_node *d, const struct dht_id *key)
{
    int64_t now = host_now(d->h);
    for (uint16_t i = 0; i < d->n_rec; i++)
        if (d->rec[i].expires_ns > now && dht_id_eq(&d->rec[i].key, key))
            return &d->rec[i];
    return NULL;
}

/* Keep a record at the address its STORE came from. Returns false when
 * refused (a key that is not the user's, or no room). */
static bool store_record(struct dht_node *d, const struct wire_msg *m, uint32_t ip, uint16_t port)
{
    struct dht_id key, want;
    memcpy(key.b, m->u.dht.target, DHT_ID_LEN);
    dht_id_of_user(m->u.dht.user_id, &want);
    if (!dht_id_eq(&key, &want))
        return false;
    int64_t now = host_now(d->h);
    struct dht_record *r = NULL, *end = d->rec ? d->rec + d->n_rec : NULL;
    for (struct dht_record *x = d->rec; x && x < end && !r; x++)
        if (dht_id_eq(&x->key, &key) || x->expires_ns <= now)
            r = x; /* the user's record again, or an expired one's place */
    if (!r) {
        uint32_t max = cfg(d)->max_records; /* <= 65535 (scenario bounds) */
        if (d->n_rec >= max)
            return false;
        if (!d->rec || d->n_rec == d->cap_rec) {
            /* k records per node on average: grow by 4 past 8, not by doubling */
            uint32_t cap = !d->cap_rec ? 4u : d->cap_rec < 8 ? 2u * d->cap_rec : d->cap_rec + 4u;
            if (cap > max)
                cap = max;
            struct dht_record *v = realloc(d->rec, (size_t)cap * sizeof *v);
            if (!v)
                return false;
            d->rec = v;
            d->cap_rec = (uint16_t)cap;
        }
        r = &d->rec[d->n_rec++];
    }
    r->key = key;
    memcpy(r->node.b, m->u.dht.sender, DHT_ID_LEN);
    r->user_id = m->u.dht.user_id;
    r->ip = ip;
    r->port = port;
    r->expires_ns = now + cfg(d)->record_ttl_ns;
    return true;
}

static void answer_nodes(struct dht_node *d, const struct wire_msg *q, const struct dht_id *from,
                         uint32_t ip, uint16_t port)
{
    struct wire_msg a;
    msg_init(d, &a, WIRE_DHT_NODES, q->u.dht.txid);
    struct dht_id target;
    memcpy(target.b, q->u.dht.target, DHT_ID_LEN);
    struct dht_contact c[33];
    unsigned k = cfg(d)->k, n = dht_table_closest(&d->t, &target, k + 1, true, c);
    for (unsigned i = 0; i < n && a.u.dht.n < k; i++) {
        if (dht_id_eq(&c[i].id, from))
            continue; /* the asker knows itself */
        struct wire_dht_contact *w = &a.u.dht.nodes[a.u.dht.n++];
        memcpy(w->id, c[i].id.b, DHT_ID_LEN);
        w->ip = c[i].ip;
        w->port = c[i].port;
    }
    send_msg(d, ip, port, &a);
}

static void on_request(struct dht_node *d, const struct wire_msg *m, const struct dht_id *from,
                       uint32_t ip, uint16_t port)
{
    struct host *h = d->h;
    struct wire_msg a;
    h->m.c[C_DHT_SERVED]++;
    switch (m->type) {
    case WIRE_DHT_PING:
        msg_init(d, &a, WIRE_DHT_PONG, m->u.dht.txid);
        send_msg(d, ip, port, &a);
        return;
    case WIRE_DHT_FIND_NODE:
        answer_nodes(d, m, from, ip, port);
        return;
    case WIRE_DHT_FIND_VALUE: {
        struct dht_id key;
        memcpy(key.b, m->u.dht.target, DHT_ID_LEN);
        const struct dht_record *r = find_record(d, &key);
        if (!r) {
            answer_nodes(d, m, from, ip, port);
            return;
        }
        msg_init(d, &a, WIRE_DHT_VALUE, m->u.dht.txid);
        a.u.dht.value.user_id = r->user_id;
        memcpy(a.u.dht.value.node.id, r->node.b, DHT_ID_LEN);
        a.u.dht.value.node.ip = r->ip;
        a.u.dht.value.node.port = r->port;
        send_msg(d, ip, port, &a);
        return;
    }
    case WIRE_DHT_STORE:
        if (!store_record(d, m, ip, port)) {
            h->m.c[C_DHT_STORE_REFUSED]++;
            return; /* no answer: the storer's query times out */
        }
        h->m.c[C_DHT_STORED]++;
        msg_init(d, &a, WIRE_DHT_STORED, m->u.dht.txid);
        send_msg(d, ip, port, &a);
        return;
    default:
        return;
    }
}

static bool is_request(enum wire_type t)
{
    return t == WIRE_DHT_PING || t == WIRE_DHT_FIND_NODE || t == WIRE_DHT_FIND_VALUE ||
           t == WIRE_DHT_STORE;
}

static bool is_answer(enum wire_type t)
{
    return t == WIRE_DHT_PONG || t == WIRE_DHT_NODES || t == WIRE_DHT_VALUE || t == WIRE_DHT_STORED;
}

/* One datagram: requests are answered, answers matched to their query by
 * transaction id and source address; anything else is counted and dropped. */
static void on_message(struct dht_node *d, const struct wire_msg *m, uint32_t ip, uint16_t port)
{
    struct host *h = d->h;
    if (!is_request(m->type) && !is_answer(m->type)) {
        h->m.c[C_MALFORMED]++;
        return;
    }
    h->m.c[C_MSGS_RECV]++;
    struct dht_id from;
    memcpy(from.b, m->u.dht.sender, DHT_ID_LEN);
    if (dht_id_eq(&from, &d->id)) {
        h->m.c[C_DHT_UNEXPECTED]++; /* our own id from someone else */
        return;
    }
    if (is_request(m->type)) {
        heard(d, &from, ip, port);
        on_request(d, m, &from, ip, port);
        return;
    }
    struct dht_rpc *r = LIST_FIRST(&d->rpcs);
    while (r && r->txid != m->u.dht.txid)
        r = LIST_NEXT(r, link);
    /* Unknown or late transaction, another source than the query went to,
     * another node than was asked, or an answer of the wrong kind. */
    if (!r || r->ip != ip || r->port != port || !answers(r->type, m->type) ||
        (r->purpose != RPC_BOOT && !dht_id_eq(&r->to, &from))) {
        h->m.c[C_DHT_UNEXPECTED]++;
        return;
    }
    heard(d, &from, ip, port);
    if (r->expired) {
        h->m.c[C_DHT_LATE]++; /* after its timeout: only the table learns from it */
        rpc_free(r);
        return;
    }
    on_answer(d, r, m);
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    struct dht_node *d = arg;
    for (int i = 0; i < RECV_BATCH && d->fd >= 0; i++) {
        struct wire_msg m;
        uint32_t ip;
        uint16_t port;
        enum conn_dgram got = conn_recv_datagram(d->h, fd, &m, &ip, &port);
        if (got == CONN_DGRAM_NONE)
            return;
        if (got == CONN_DGRAM_OK)
            on_message(d, &m, ip, port);
    }
}

/* ---- maintenance while online ---- */

static void on_maint(evutil_socket_t fd, short what, void *arg)
{
    struct dht_node *d = arg;
    if (!d->online || d->fd < 0)
        return;
    int64_t now = host_now(d->h);
    if (cfg(d)->refresh_ns > 0 && now >= d->next_refresh_ns) {
        start_refresh(d, false);
        d->next_refresh_ns = now + cfg(d)->refresh_ns;
    }
    if (cfg(d)->republish_ns > 0 && now >= d->next_republish_ns) {
        start_publish(d, false);
        d->next_republish_ns = now + cfg(d)->republish_ns;
    }
    maint_arm(d);
}

/* ---- lifecycle ---- */

struct dht_node *dht_node_new(struct host *h, struct peer *p)
{
    struct dht_node *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->h = h;
    d->p = p;
    d->fd = -1;
    dht_id_of_node(h->scn->seed, p->id, &d->id);
    dht_id_of_user(p->id, &d->user_key);
    dht_table_init(&d->t, &d->id, h->scn->dht.k);
    LIST_INIT(&d->rpcs);
    LIST_INIT(&d->ops);
    evtimer_assign(&d->maint, h->base, on_maint, d);
    return d;
}

static void drop_all(struct dht_node *d)
{
    while (!LIST_EMPTY(&d->rpcs))
        rpc_free(LIST_FIRST(&d->rpcs)); // NOLINT(clang-analyzer-unix.Malloc): rpc_free unlinks it
    d->pinging = false;
    d->joining = false;
    d->stores_pending = 0;
    while (!LIST_EMPTY(&d->ops)) { /* last: the callbacks come after every other change */
        struct dht_op *op = LIST_FIRST(&d->ops);
        dht_find_fn fn = op->kind == OP_USER && !op->starting ? op->fn : NULL;
        void *arg = op->arg;
        op_free(op);
        if (fn) /* the lookup dies with the node; fn frees nothing of ours */
            fn(arg, DHT_FIND_ABORTED, 0);
    }
}

void dht_node_free(struct dht_node *d)
{
    if (!d)
        return;
    dht_node_down(d, true);
    dht_table_free(&d->t);
    free(d);
}

static int open_socket(struct dht_node *d)
{
    struct host *h = d->h;
    uint32_t ip = placement_addr(&h->pl, d->p->id);
    int fd = conn_udp_socket(h, ip, placement_port(&h->pl, d->p->id));
    if (fd < 0)
        return -1;
    d->rx = event_new(h->base, fd, EV_READ | EV_PERSIST, on_readable, d);
    if (!d->rx) {
        close(fd);
        errno = ENOMEM;
        return -1;
    }
    d->fd = fd;
    event_add(d->rx, NULL);
    h->m.g[G_DHT_UP]++;
    return 0;
}

int dht_node_join(struct dht_node *d)
{
    if (d->fd < 0 && open_socket(d) < 0)
        return -1;
    dht_node_join_abort(d);
    d->joining = true;
    d->join_seq++;
    d->online = false;
    d->stores_sent = d->stores_acked = d->stores_pending = 0;
    struct dht_op *op = op_new(d, OP_SELF, &d->id, true);
    if (!op) {
        d->joining = false;
        errno = ENOMEM;
        return -1;
    }
    op_seed(op);
    if (op->l.n == 0) {
        boot_query(op); /* nothing saved: the bootstrap nodes first */
        return 0;
    }
    op_pump(op);
    return 0;
}

void dht_node_join_abort(struct dht_node *d)
{
    if (!d->joining)
        return;
    d->joining = false;
    cancel_join_ops(d);
}

void dht_node_down(struct dht_node *d, bool lose_table)
{
    drop_all(d);
    event_del(&d->maint);
    d->online = false;
    if (d->fd >= 0) {
        event_free(d->rx);
        d->rx = NULL;
        close(d->fd);
        d->fd = -1;
        d->h->m.g[G_DHT_UP]--;
    }
    free(d->rec); /* records live in memory */
    d->rec = NULL;
    d->n_rec = d->cap_rec = 0;
    if (lose_table)
        dht_table_clear(&d->t);
    else
        dht_table_unverify(&d->t);
}

struct dht_op *dht_node_find_user(struct dht_node *d, uint64_t user, dht_find_fn fn, void *arg)
{
    if (d->fd < 0)
        return NULL;
    struct dht_id key;
    dht_id_of_user(user, &key);
    struct dht_op *op = op_new(d, OP_USER, &key, false);
    if (!op)
        return NULL;
    op->user = user;
    op->fn = fn;
    op->arg = arg;
    op_seed(op);
    /* A lookup that ends at once (an empty table) is reported by the NULL
     * return, not the callback: the caller has no handle yet. */
    op->starting = true;
    op_pump(op);
    op->starting = false;
    if (op->ended) {
        op_free(op);
        return NULL;
    }
    return op;
}

void dht_node_cancel(struct dht_op *op)
{
    if (op)
        op_free(op);
}

bool dht_node_up(const struct dht_node *d)
{
    return d->fd >= 0;
}

void dht_node_health(const struct dht_node *d, struct dht_health *out)
{
    dht_table_health(&d->t, out);
}

const struct dht_id *dht_node_id(const struct dht_node *d)
{
    return &d->id;
}

const struct dht_table *dht_node_table(const struct dht_node *d)
{
    return &d->t;
}
