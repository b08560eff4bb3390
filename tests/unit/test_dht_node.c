/* test_dht_node.c - the DHT's nodes (node/dht_node.c, node/dht_bootstrap.c)
 * on a real event loop (role_harness.h): a dozen peers join through one
 * bootstrap node; a test socket on an unused address of the test's block
 * speaks the wire format to a real node (PING, FIND_NODE, STORE,
 * FIND_VALUE); hostile datagrams are counted (malformed or unexpected) and
 * dropped; the bootstrap node answers PING and FIND_NODE only; and
 * answers forged to a real outstanding query (a joining node's
 * FIND_NODE to a stopped bootstrap node, read by a socket on its address)
 * are refused until the right one comes from the right place. */
#include "role_harness.h"

#include "node/dht_id.h"
#include "node/dht_node.h"
#include "node/dht_table.h"
#include "node/peer.h"

#define N_PEERS 12
#define K 4
#define ONLINE_CONTACTS 3

/* rpc is dht.rpc_timeout. saved_table: lose, so that a crashed peer comes
 * back with an empty table and must ask a bootstrap node. Event 0 boots
 * every peer; event 1 (fired by hand) boots those that are off. */
#define DN_SCENARIO(rpc)                                                                           \
    "name: dht-node-test\n"                                                                        \
    "seed: 11\n"                                                                                   \
    "duration: 60s\n"                                                                              \
    "architecture: dht\n"                                                                          \
    "nodes: {peers: 12}\n"                                                                         \
    "dht:\n"                                                                                       \
    "  k: 4\n"                                                                                     \
    "  alpha: 2\n"                                                                                 \
    "  online_contacts: 3\n"                                                                       \
    "  rpc_timeout: " rpc "\n"                                                                     \
    "  saved_table: lose\n"                                                                        \
    "  bootstrap: {nodes: 1, workers: 1, service_time: 0ms}\n"                                     \
    "peer:\n"                                                                                      \
    "  boot_delay: 0s\n"                                                                           \
    "  register:\n"                                                                                \
    "    timeout: 5s\n"                                                                            \
    "    retry: {policy: exponential, base: 100ms, cap: 500ms, jitter: full}\n"                    \
    "workload:\n"                                                                                  \
    "  request_rate: 0/s\n"                                                                        \
    "events:\n"                                                                                    \
    "  - at: 0s\n"                                                                                 \
    "    boot: {fraction: 1}\n"                                                                    \
    "  - at: 59s\n"                                                                                \
    "    boot: {fraction: 1}\n"

/* ---- nodes, ids, addresses ---- */

static uint32_t peer_id(const struct rh *r, uint32_t i)
{
    return r->pl.first_peer + i;
}

static uint32_t boot_id(const struct rh *r)
{
    return r->pl.first_dhtb;
}

static struct peer *peer_of(const struct rh *r, uint32_t id)
{
    return rh_node(r, ROLE_PEER, id);
}

static struct dht_id node_id(const struct rh *r, uint32_t id)
{
    struct dht_id x;
    dht_id_of_node(r->scn.seed, id, &x);
    return x;
}

static struct dht_id user_key(uint64_t user)
{
    struct dht_id x;
    dht_id_of_user(user, &x);
    return x;
}

static bool id_is(const uint8_t *wire_id, const struct dht_id *x)
{
    return memcmp(wire_id, x->b, DHT_ID_LEN) == 0;
}

/* An address of the test's block that no node has: the k-th after the last. */
static uint32_t spare_ip(const struct rh *r, uint32_t k)
{
    return placement_addr(&r->pl, r->pl.n_nodes + k);
}

static uint16_t local_port(int fd)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    return ntohs(sa.sin_port);
}

/* The peer whose DHT id this is, or -1. */
static int peer_with_id(const struct rh *r, const uint8_t *wire_id)
{
    for (uint32_t i = 0; i < N_PEERS; i++) {
        struct dht_id x = node_id(r, peer_id(r, i));
        if (id_is(wire_id, &x))
            return (int)peer_id(r, i);
    }
    return -1;
}

static void start_all_online(struct rh *r, const char *yaml)
{
    rh_start(r, yaml);
    assert_int_equal(r->pl.n_peers, N_PEERS);
    assert_int_equal(r->pl.n_dhtb, 1);
    assert_int_equal(rh_fire(r, 0), N_PEERS);
    RH_RUN_UNTIL(r, rh_g(r, G_ONLINE) == N_PEERS, 15000);
}

/* ---- messages ---- */

static struct wire_msg dht_msg(enum wire_type type, uint32_t txid, const struct dht_id *sender)
{
    struct wire_msg m;
    memset(&m, 0, sizeof m);
    m.type = type;
    m.u.dht.txid = txid;
    memcpy(m.u.dht.sender, sender->b, DHT_ID_LEN);
    return m;
}

/* One datagram received by a test socket. */
struct dgram {
    enum wire_status st;
    struct wire_msg m;
    uint32_t ip;
    uint16_t port;
};

static bool udp_take(int fd, struct dgram *g)
{
    uint8_t buf[2048];
    struct sockaddr_in from;
    socklen_t fl = sizeof from;
    ssize_t n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
    if (n < 0)
        return false;
    g->ip = ntohl(from.sin_addr.s_addr);
    g->port = ntohs(from.sin_port);
    g->st = wire_decode_payload(buf, (size_t)n, &g->m);
    return true;
}

static bool is_query(enum wire_type t)
{
    return t == WIRE_DHT_PING || t == WIRE_DHT_FIND_NODE || t == WIRE_DHT_FIND_VALUE ||
           t == WIRE_DHT_STORE;
}

/* The next datagram on fd that is not a query (a node that heard from the
 * test socket may put it in its table and ping it: those are skipped). It
 * must decode. */
static struct dgram await_answer(struct rh *r, int fd, int timeout_ms)
{
    struct dgram g;
    int64_t deadline = clock_mono_ns() + (int64_t)timeout_ms * RH_MS;
    for (;;) {
        while (udp_take(fd, &g)) {
            if (g.st != WIRE_OK)
                fail_msg("the test socket got an undecodable datagram: %s", wire_status_name(g.st));
            if (!is_query(g.m.type))
                return g;
        }
        if (clock_mono_ns() > deadline) {
            rh_dump_metrics(r);
            fail_msg("no answer within %d ms", timeout_ms);
        }
        rh_step(r);
    }
}

/* Nothing but queries arrives on fd for ms. */
static void assert_no_answer(struct rh *r, int fd, int ms)
{
    struct dgram g;
    int64_t end = clock_mono_ns() + (int64_t)ms * RH_MS;
    while (clock_mono_ns() < end) {
        rh_step(r);
        while (udp_take(fd, &g))
            if (g.st != WIRE_OK || !is_query(g.m.type))
                fail_msg("expected no answer, got %s %s", wire_status_name(g.st),
                         g.st == WIRE_OK ? wire_type_name(g.m.type) : "");
    }
}

/* Send m from fd to peer id and read its answer, which must carry the
 * query's txid and the node's id, from the node's own address and port. */
static struct wire_msg ask(struct rh *r, int fd, uint32_t id, const struct wire_msg *m)
{
    rh_udp_send(fd, rh_ip(r, id), rh_port(r, id), m);
    struct dgram g = await_answer(r, fd, 3000);
    struct dht_id nid = node_id(r, id);
    assert_int_equal(g.ip, rh_ip(r, id));
    assert_int_equal(g.port, rh_port(r, id));
    assert_int_equal(g.m.u.dht.txid, m->u.dht.txid);
    if (!id_is(g.m.u.dht.sender, &nid))
        fail_msg("%s from node %u does not carry its id", wire_type_name(g.m.type), id);
    return g.m;
}

static void assert_pong(struct rh *r, int fd, uint32_t id, const struct dht_id *me, uint32_t txid)
{
    struct wire_msg q = dht_msg(WIRE_DHT_PING, txid, me);
    struct wire_msg a = ask(r, fd, id, &q);
    assert_int_equal(a.type, WIRE_DHT_PONG);
}

/* Every contact of a NODES is a real peer at its own address and port,
 * none is `not`, at most k, nearest to target first. */
static void check_nodes(const struct rh *r, const struct wire_msg *a, const struct dht_id *target,
                        const struct dht_id * not )
{
    assert_int_equal(a->type, WIRE_DHT_NODES);
    assert_true(a->u.dht.n <= K);
    for (uint32_t i = 0; i < a->u.dht.n; i++) {
        const struct wire_dht_contact *c = &a->u.dht.nodes[i];
        if (not &&id_is(c->id, not ))
            fail_msg("NODES lists the asker itself (contact %u)", i);
        int id = peer_with_id(r, c->id);
        if (id < 0)
            fail_msg("NODES contact %u is no peer's id", i);
        assert_int_equal(c->ip, rh_ip(r, (uint32_t)id));
        assert_int_equal(c->port, rh_port(r, (uint32_t)id));
        if (i > 0) {
            struct dht_id prev, cur;
            memcpy(prev.b, a->u.dht.nodes[i - 1].id, DHT_ID_LEN);
            memcpy(cur.b, c->id, DHT_ID_LEN);
            if (dht_id_closer(target, &prev, &cur) > 0)
                fail_msg("NODES contact %u is nearer the target than contact %u", i, i - 1);
        }
    }
}

/* Contacts in d's table that a NODES for anyone but `not` may list. */
static unsigned listable(const struct dht_node *d, const struct dht_id * not )
{
    const struct dht_table *t = dht_node_table(d);
    unsigned n = 0;
    for (uint16_t i = 0; i < t->n; i++)
        n += t->c[i].fails == 0 && !dht_id_eq(&t->c[i].id, not );
    return n;
}

/* ---- 1. joining ---- */

static void test_nodes_join_through_the_bootstrap_node(void **state)
{
    struct rh *r = *state;
    start_all_online(r, DN_SCENARIO("300ms"));
    /* Every table was empty: every peer asked the bootstrap node. */
    assert_true(rh_c(r, C_DHT_JOIN_BOOTSTRAP) >= N_PEERS);
    assert_true(rh_c(r, C_BOOT_REQUESTS) >= N_PEERS);
    assert_true(rh_c(r, C_BOOT_SERVED) >= N_PEERS);
    assert_int_equal(rh_g(r, G_BOOT_UP), 1);
    assert_int_equal(rh_g(r, G_DHT_UP), N_PEERS);
    assert_true(rh_c(r, C_DHT_STORED) > 0);
    for (uint32_t i = 0; i < N_PEERS; i++) {
        struct peer *p = peer_of(r, peer_id(r, i));
        assert_int_equal(p->state, PEER_ONLINE);
        assert_non_null(p->dht);
        assert_true(dht_node_up(p->dht));
        struct dht_id want = node_id(r, p->id);
        assert_true(dht_id_eq(dht_node_id(p->dht), &want));
        struct dht_health hh;
        dht_node_health(p->dht, &hh);
        if (hh.live < ONLINE_CONTACTS)
            fail_msg("peer %u online with %u live contacts (%u entries), needs %u", p->id, hh.live,
                     hh.entries, ONLINE_CONTACTS);
        /* Never itself, never the bootstrap node, every entry a peer at
         * its own address. */
        const struct dht_table *t = dht_node_table(p->dht);
        for (uint16_t c = 0; c < t->n; c++) {
            int id = peer_with_id(r, t->c[c].id.b);
            if (id < 0 || (uint32_t)id == p->id)
                fail_msg("peer %u's table holds %s", p->id, id < 0 ? "a non-peer" : "itself");
            assert_int_equal(t->c[c].ip, rh_ip(r, (uint32_t)id));
            assert_int_equal(t->c[c].port, rh_port(r, (uint32_t)id));
        }
    }
}

/* ---- 2. the protocol against a real node ---- */

static void test_a_real_exchange_from_a_test_socket(void **state)
{
    struct rh *r = *state;
    start_all_online(r, DN_SCENARIO("300ms"));
    uint32_t id = peer_id(r, 3);
    struct dht_node *d = peer_of(r, id)->dht;
    uint32_t my_ip = spare_ip(r, 1);
    int s = rh_udp_bind(r, my_ip, 0);
    uint16_t my_port = local_port(s);
    struct dht_id me;
    memset(me.b, 0x5a, DHT_ID_LEN);
    me.b[0] = 0x17;

    /* PING -> PONG with our txid and the node's id. */
    uint64_t served = rh_c(r, C_DHT_SERVED);
    assert_pong(r, s, id, &me, 0xdeadbeefu);
    assert_int_equal(rh_c(r, C_DHT_SERVED), served + 1);
    /* The node heard us: we are in its table at our source address. */
    const struct dht_contact *c = dht_table_find(dht_node_table(d), &me);
    assert_non_null(c);
    assert_int_equal(c->ip, my_ip);
    assert_int_equal(c->port, my_port);

    /* FIND_NODE for our own id: we are the nearest contact it has, and
     * must not be listed; the rest up to k are. */
    struct wire_msg q = dht_msg(WIRE_DHT_FIND_NODE, 1, &me);
    memcpy(q.u.dht.target, me.b, DHT_ID_LEN);
    unsigned want = listable(d, &me);
    struct wire_msg a = ask(r, s, id, &q);
    check_nodes(r, &a, &me, &me);
    assert_int_equal(a.u.dht.n, want < K ? want : K);
    assert_true(a.u.dht.n >= ONLINE_CONTACTS);
    /* ... and for another target. */
    struct dht_id target = user_key(777);
    q = dht_msg(WIRE_DHT_FIND_NODE, 2, &me);
    memcpy(q.u.dht.target, target.b, DHT_ID_LEN);
    a = ask(r, s, id, &q);
    check_nodes(r, &a, &target, &me);
    assert_true(a.u.dht.n >= 1);

    /* FIND_VALUE for a key nobody stored: NODES. */
    q = dht_msg(WIRE_DHT_FIND_VALUE, 3, &me);
    struct dht_id key = user_key(4242);
    memcpy(q.u.dht.target, key.b, DHT_ID_LEN);
    a = ask(r, s, id, &q);
    check_nodes(r, &a, &key, &me);

    /* STORE our record: STORED; FIND_VALUE: VALUE at the address the
     * STORE came from. */
    uint64_t stored = rh_c(r, C_DHT_STORED);
    q = dht_msg(WIRE_DHT_STORE, 4, &me);
    memcpy(q.u.dht.target, key.b, DHT_ID_LEN);
    q.u.dht.user_id = 4242;
    a = ask(r, s, id, &q);
    assert_int_equal(a.type, WIRE_DHT_STORED);
    assert_int_equal(rh_c(r, C_DHT_STORED), stored + 1);

    /* Asked from another socket (another address): the record still
     * points at the storer's. */
    int s2 = rh_udp_bind(r, spare_ip(r, 2), 0);
    struct dht_id other;
    memset(other.b, 0x33, DHT_ID_LEN);
    q = dht_msg(WIRE_DHT_FIND_VALUE, 5, &other);
    memcpy(q.u.dht.target, key.b, DHT_ID_LEN);
    a = ask(r, s2, id, &q);
    assert_int_equal(a.type, WIRE_DHT_VALUE);
    assert_int_equal(a.u.dht.value.user_id, 4242);
    assert_true(id_is(a.u.dht.value.node.id, &me));
    assert_int_equal(a.u.dht.value.node.ip, my_ip);
    assert_int_equal(a.u.dht.value.node.port, my_port);

    /* A STORE whose key is not the user's: refused, unanswered. */
    uint64_t refused = rh_c(r, C_DHT_STORE_REFUSED);
    stored = rh_c(r, C_DHT_STORED);
    q = dht_msg(WIRE_DHT_STORE, 6, &me);
    struct dht_id wrong = user_key(4243);
    memcpy(q.u.dht.target, wrong.b, DHT_ID_LEN);
    q.u.dht.user_id = 4242;
    rh_udp_send(s, rh_ip(r, id), rh_port(r, id), &q);
    RH_RUN_UNTIL(r, rh_c(r, C_DHT_STORE_REFUSED) > refused, 3000);
    assert_no_answer(r, s, 400);
    assert_int_equal(rh_c(r, C_DHT_STORE_REFUSED), refused + 1);
    assert_int_equal(rh_c(r, C_DHT_STORED), stored);
    /* ... and stored nothing under that key. */
    q = dht_msg(WIRE_DHT_FIND_VALUE, 7, &me);
    memcpy(q.u.dht.target, wrong.b, DHT_ID_LEN);
    a = ask(r, s, id, &q);
    assert_int_equal(a.type, WIRE_DHT_NODES);
}

/* ---- 3. hostile datagrams ---- */

/* buf from fd to node id: counted as malformed (dm) or unexpected (du),
 * not served, unanswered. */
static void hostile(struct rh *r, int fd, uint32_t id, const void *buf, size_t len, uint64_t dm,
                    uint64_t du, const char *what)
{
    uint64_t m0 = rh_c(r, C_MALFORMED), u0 = rh_c(r, C_DHT_UNEXPECTED);
    uint64_t s0 = rh_c(r, C_DHT_SERVED), st0 = rh_c(r, C_DHT_STORED);
    rh_udp_send_raw(fd, rh_ip(r, id), rh_port(r, id), buf, len);
    int64_t deadline = clock_mono_ns() + 3000 * RH_MS;
    while (rh_c(r, C_MALFORMED) + rh_c(r, C_DHT_UNEXPECTED) < m0 + u0 + dm + du) {
        if (clock_mono_ns() > deadline) {
            rh_dump_metrics(r);
            fail_msg("%s: not counted within 3 s", what);
        }
        rh_step(r);
    }
    assert_no_answer(r, fd, 30);
    if (rh_c(r, C_MALFORMED) != m0 + dm || rh_c(r, C_DHT_UNEXPECTED) != u0 + du)
        fail_msg("%s: malformed +%llu, dht_unexpected +%llu; expected +%llu, +%llu", what,
                 (unsigned long long)(rh_c(r, C_MALFORMED) - m0),
                 (unsigned long long)(rh_c(r, C_DHT_UNEXPECTED) - u0), (unsigned long long)dm,
                 (unsigned long long)du);
    assert_int_equal(rh_c(r, C_DHT_SERVED), s0);
    assert_int_equal(rh_c(r, C_DHT_STORED), st0);
}

static void hostile_msg(struct rh *r, int fd, uint32_t id, const struct wire_msg *m, uint64_t dm,
                        uint64_t du, const char *what)
{
    uint8_t buf[1500];
    int n = wire_encode_payload(m, buf, sizeof buf);
    assert_true(n > 0);
    hostile(r, fd, id, buf, (size_t)n, dm, du, what);
}

/* [type, version, txid 7, <20 bytes of x>] with the id's header given. */
static size_t short_msg(uint8_t *buf, uint8_t type, uint8_t version, uint8_t id_hdr, uint8_t x)
{
    size_t n = 0;
    buf[n++] = 0x94;
    buf[n++] = type;
    buf[n++] = version;
    buf[n++] = 0x07;
    buf[n++] = id_hdr;
    if (id_hdr == 0xc4)
        buf[n++] = 20;
    memset(buf + n, x, 20);
    return n + 20;
}

static void test_hostile_datagrams_are_counted_and_dropped(void **state)
{
    struct rh *r = *state;
    start_all_online(r, DN_SCENARIO("300ms"));
    uint32_t id = peer_id(r, 5);
    struct dht_id nid = node_id(r, id);
    int s = rh_udp_bind(r, spare_ip(r, 1), 0);
    struct dht_id me;
    memset(me.b, 0xa5, DHT_ID_LEN);
    uint8_t buf[4000];

    /* Well-formed as a reference: what the others break. */
    struct wire_msg ping = dht_msg(WIRE_DHT_PING, 7, &me);
    uint8_t ping_buf[64];
    int ping_len = wire_encode_payload(&ping, ping_buf, sizeof ping_buf);
    assert_int_equal(ping_len, 26);
    assert_int_equal(short_msg(buf, WIRE_DHT_PING, 1, 0xc4, 0xa5), 26);
    assert_memory_equal(buf, ping_buf, 26);

    /* Not msgpack at all (0xc1 is never used). */
    memset(buf, 0xc1, 16);
    hostile(r, s, id, buf, 16, 1, 0, "not msgpack");
    hostile(r, s, id, "hello, node", 11, 1, 0, "text");
    hostile(r, s, id, buf, 0, 1, 0, "an empty datagram");
    /* A valid PING cut short, and with a byte too many. */
    hostile(r, s, id, ping_buf, (size_t)ping_len - 3, 1, 0, "a truncated PING");
    memcpy(buf, ping_buf, (size_t)ping_len);
    buf[ping_len] = 0x00;
    hostile(r, s, id, buf, (size_t)ping_len + 1, 1, 0, "a PING with a trailing byte");
    /* Larger than any DHT message. */
    memset(buf, 0, sizeof buf);
    memcpy(buf, ping_buf, (size_t)ping_len);
    hostile(r, s, id, buf, sizeof buf, 1, 0, "a 4000-byte datagram");
    /* Wrong field types: the id as a str, a bin of 19, txid as a str. */
    size_t n = short_msg(buf, WIRE_DHT_PING, 1, 0xb4, 'a'); /* fixstr 20 */
    hostile(r, s, id, buf, n, 1, 0, "a PING with a str id");
    n = short_msg(buf, WIRE_DHT_PING, 1, 0xc4, 0xa5);
    buf[5] = 19;
    hostile(r, s, id, buf, n - 1, 1, 0, "a PING with a 19-byte id");
    n = short_msg(buf, WIRE_DHT_PING, 1, 0xc4, 0xa5);
    buf[3] = 0xa1; /* txid: fixstr 1 ... */
    memmove(buf + 5, buf + 4, n - 4);
    buf[4] = 'x'; /* ... "x" */
    hostile(r, s, id, buf, n + 1, 1, 0, "a PING with a str txid");
    /* An unknown type, an unsupported version, and a bootstorm message
     * that is not a DHT one. */
    n = short_msg(buf, 99, 1, 0xc4, 0xa5);
    hostile(r, s, id, buf, n, 1, 0, "an unknown type");
    n = short_msg(buf, WIRE_DHT_PING, 2, 0xc4, 0xa5);
    hostile(r, s, id, buf, n, 1, 0, "version 2");
    struct wire_msg ka = {.type = WIRE_KEEPALIVE, .u.seq = 5};
    hostile_msg(r, s, id, &ka, 1, 0, "a KEEPALIVE");
    /* A NODES whose contact has port 0. */
    struct wire_msg nodes = dht_msg(WIRE_DHT_NODES, 7, &me);
    nodes.u.dht.n = 1;
    memset(nodes.u.dht.nodes[0].id, 0xcc, DHT_ID_LEN);
    nodes.u.dht.nodes[0].ip = rh_ip(r, peer_id(r, 0));
    nodes.u.dht.nodes[0].port = 4435;
    n = (size_t)wire_encode_payload(&nodes, buf, sizeof buf);
    assert_int_equal(buf[n - 3], 0xcd); /* uint16 4435 */
    buf[n - 3] = 0x00;                  /* fixint 0: the port */
    hostile(r, s, id, buf, n - 2, 1, 0, "a NODES contact with port 0");

    /* Well-formed answers nobody asked for. */
    struct wire_msg m = dht_msg(WIRE_DHT_PONG, 0x7777, &me);
    hostile_msg(r, s, id, &m, 0, 1, "an unsolicited PONG");
    hostile_msg(r, s, id, &nodes, 0, 1, "an unsolicited NODES");
    m = dht_msg(WIRE_DHT_STORED, 0x7778, &me);
    hostile_msg(r, s, id, &m, 0, 1, "an unsolicited STORED");
    m = dht_msg(WIRE_DHT_VALUE, 0x7779, &me);
    m.u.dht.value.user_id = 1;
    memset(m.u.dht.value.node.id, 0xcc, DHT_ID_LEN);
    m.u.dht.value.node.ip = spare_ip(r, 1);
    m.u.dht.value.node.port = 9;
    hostile_msg(r, s, id, &m, 0, 1, "an unsolicited VALUE");
    /* The node's own id from someone else: a query, and an answer. */
    m = dht_msg(WIRE_DHT_PING, 8, &nid);
    hostile_msg(r, s, id, &m, 0, 1, "a PING with the node's own id");
    m = dht_msg(WIRE_DHT_STORE, 9, &nid);
    struct dht_id key = user_key(id);
    memcpy(m.u.dht.target, key.b, DHT_ID_LEN);
    m.u.dht.user_id = id;
    hostile_msg(r, s, id, &m, 0, 1, "a STORE with the node's own id");
    m = dht_msg(WIRE_DHT_PONG, 10, &nid);
    hostile_msg(r, s, id, &m, 0, 1, "a PONG with the node's own id");

    /* None of it entered the node's table, and the node still answers. */
    const struct dht_table *t = dht_node_table(peer_of(r, id)->dht);
    for (uint16_t i = 0; i < t->n; i++)
        if (t->c[i].ip == spare_ip(r, 1))
            fail_msg("a hostile datagram's source entered the routing table");
    assert_pong(r, s, id, &me, 11);
    assert_int_equal(rh_g(r, G_ONLINE), N_PEERS);
}

/* The bootstrap node answers PING and FIND_NODE (from the peers that asked
 * it before, never the asker itself); anything else is malformed to it. */
static void test_bootstrap_node_answers_find_node_and_ping_only(void **state)
{
    struct rh *r = *state;
    start_all_online(r, DN_SCENARIO("300ms"));
    uint32_t b = boot_id(r);
    struct dht_id bid = node_id(r, b), me;
    memset(me.b, 0x42, DHT_ID_LEN);
    int s = rh_udp_bind(r, spare_ip(r, 1), 0);
    struct dht_id jid = node_id(r, peer_id(r, 0));

    /* FIND_NODE for peer 0's id, asked as peer 0 would (first: a PING's
     * sender joins the bootstrap node's table too): the others. */
    uint64_t req = rh_c(r, C_BOOT_REQUESTS);
    struct wire_msg q = dht_msg(WIRE_DHT_FIND_NODE, 22, &jid);
    memcpy(q.u.dht.target, jid.b, DHT_ID_LEN);
    rh_udp_send(s, rh_ip(r, b), rh_port(r, b), &q);
    struct dgram g = await_answer(r, s, 3000);
    assert_int_equal(g.m.u.dht.txid, 22);
    check_nodes(r, &g.m, &jid, &jid);
    assert_int_equal(g.m.u.dht.n, K);
    assert_int_equal(g.ip, rh_ip(r, b));
    assert_int_equal(g.port, rh_port(r, b));
    /* PING: PONG with the bootstrap node's id. */
    q = dht_msg(WIRE_DHT_PING, 21, &me);
    rh_udp_send(s, rh_ip(r, b), rh_port(r, b), &q);
    g = await_answer(r, s, 3000);
    assert_int_equal(g.m.type, WIRE_DHT_PONG);
    assert_int_equal(g.m.u.dht.txid, 21);
    assert_true(id_is(g.m.u.dht.sender, &bid));
    assert_int_equal(g.ip, rh_ip(r, b));
    assert_int_equal(g.port, rh_port(r, b));
    assert_int_equal(rh_c(r, C_BOOT_REQUESTS), req + 2);

    /* STORE, FIND_VALUE, an answer, garbage: counted malformed, unanswered. */
    struct wire_msg bad[4];
    bad[0] = dht_msg(WIRE_DHT_STORE, 23, &me);
    struct dht_id key = user_key(5);
    memcpy(bad[0].u.dht.target, key.b, DHT_ID_LEN);
    bad[0].u.dht.user_id = 5;
    bad[1] = dht_msg(WIRE_DHT_FIND_VALUE, 24, &me);
    memcpy(bad[1].u.dht.target, key.b, DHT_ID_LEN);
    bad[2] = dht_msg(WIRE_DHT_PONG, 25, &me);
    bad[3] = (struct wire_msg){.type = WIRE_KEEPALIVE, .u.seq = 1};
    for (int i = 0; i < 4; i++) {
        uint64_t m0 = rh_c(r, C_MALFORMED);
        rh_udp_send(s, rh_ip(r, b), rh_port(r, b), &bad[i]);
        RH_RUN_UNTIL(r, rh_c(r, C_MALFORMED) > m0, 3000);
        assert_no_answer(r, s, 30);
        assert_int_equal(rh_c(r, C_MALFORMED), m0 + 1);
    }
    uint64_t m0 = rh_c(r, C_MALFORMED);
    uint8_t junk[3000];
    memset(junk, 0xc1, sizeof junk);
    rh_udp_send_raw(s, rh_ip(r, b), rh_port(r, b), junk, sizeof junk);
    RH_RUN_UNTIL(r, rh_c(r, C_MALFORMED) > m0, 3000);
    assert_no_answer(r, s, 30);
    assert_int_equal(rh_c(r, C_MALFORMED), m0 + 1);
    assert_int_equal(rh_c(r, C_BOOT_REQUESTS), req + 2);

    /* An outage: down, nothing answers; back up (restore), it answers again,
     * from an empty table (a crashed server forgets whom it heard from). */
    void *bn = rh_node(r, ROLE_DHT_BOOTSTRAP, b);
    int64_t workers = rh_g(r, G_REG_WORKERS);
    assert_true(role_table[ROLE_DHT_BOOTSTRAP]->crash(bn));
    assert_int_equal(rh_g(r, G_BOOT_UP), 0);
    assert_int_equal(rh_g(r, G_REG_WORKERS), workers - 1);
    q = dht_msg(WIRE_DHT_PING, 26, &me);
    rh_udp_send(s, rh_ip(r, b), rh_port(r, b), &q);
    assert_no_answer(r, s, 100);
    assert_int_equal(rh_c(r, C_BOOT_REQUESTS), req + 2);
    assert_true(role_table[ROLE_DHT_BOOTSTRAP]->restore(bn));
    assert_int_equal(rh_g(r, G_BOOT_UP), 1);
    assert_int_equal(rh_g(r, G_REG_WORKERS), workers);
    q = dht_msg(WIRE_DHT_FIND_NODE, 27, &me);
    memcpy(q.u.dht.target, jid.b, DHT_ID_LEN);
    rh_udp_send(s, rh_ip(r, b), rh_port(r, b), &q);
    g = await_answer(r, s, 3000);
    assert_int_equal(g.m.type, WIRE_DHT_NODES);
    assert_int_equal(g.m.u.dht.txid, 27);
    assert_int_equal(g.m.u.dht.n, 0); /* nobody asked it since it came back */
    assert_int_equal(rh_c(r, C_BOOT_REQUESTS), req + 3);
}

/* ---- 4. forged answers to a real query ---- */

/* One datagram from fd to the joining node, as an answer to its bootstrap
 * query: refused and counted as unexpected, the lookup not fed. */
static void forged(struct rh *r, int fd, uint32_t joiner, const struct wire_msg *m,
                   const char *what)
{
    uint64_t u0 = rh_c(r, C_DHT_UNEXPECTED), m0 = rh_c(r, C_MALFORMED);
    uint64_t q0 = rh_c(r, C_DHT_QUERIES);
    rh_udp_send(fd, rh_ip(r, joiner), rh_port(r, joiner), m);
    int64_t deadline = clock_mono_ns() + 3000 * RH_MS;
    while (rh_c(r, C_DHT_UNEXPECTED) == u0) {
        if (clock_mono_ns() > deadline) {
            rh_dump_metrics(r);
            fail_msg("%s: not counted as unexpected within 3 s", what);
        }
        rh_step(r);
    }
    rh_run_for(r, 20);
    assert_int_equal(rh_c(r, C_DHT_UNEXPECTED), u0 + 1);
    assert_int_equal(rh_c(r, C_MALFORMED), m0);
    if (rh_c(r, C_DHT_QUERIES) != q0)
        fail_msg("%s: the joining node sent %llu queries after it", what,
                 (unsigned long long)(rh_c(r, C_DHT_QUERIES) - q0));
    struct dht_health hh;
    dht_node_health(peer_of(r, joiner)->dht, &hh);
    assert_int_equal(hh.entries, 0);
    assert_int_equal(peer_of(r, joiner)->state, PEER_REGISTER);
}

static void test_forged_answers_to_a_bootstrap_query(void **state)
{
    struct rh *r = *state;
    /* A long rpc_timeout: the bootstrap query must stay outstanding while
     * the forgeries arrive. */
    start_all_online(r, DN_SCENARIO("3s"));
    uint32_t b = boot_id(r), joiner = peer_id(r, 7);
    assert_true(role_table[ROLE_DHT_BOOTSTRAP]->crash(rh_node(r, ROLE_DHT_BOOTSTRAP, b)));
    assert_int_equal(rh_g(r, G_BOOT_UP), 0);
    int fake = rh_udp_bind(r, rh_ip(r, b), rh_port(r, b));
    assert_true(role_table[ROLE_PEER]->crash(peer_of(r, joiner)));
    assert_int_equal(rh_g(r, G_ONLINE), N_PEERS - 1);
    struct dht_health hh;
    dht_node_health(peer_of(r, joiner)->dht, &hh);
    assert_int_equal(hh.entries, 0); /* saved_table: lose */

    /* Boot it again (event 1 boots the peers that are off). */
    uint64_t jb = rh_c(r, C_DHT_JOIN_BOOTSTRAP);
    rh_fire(r, 1);
    struct dgram g;
    int64_t deadline = clock_mono_ns() + 3000 * RH_MS;
    while (!udp_take(fake, &g)) {
        if (clock_mono_ns() > deadline) {
            rh_dump_metrics(r);
            fail_msg("the joining node sent nothing to the bootstrap node's address");
        }
        rh_step(r);
    }
    assert_int_equal(g.st, WIRE_OK);
    assert_int_equal(g.m.type, WIRE_DHT_FIND_NODE);
    struct dht_id jid = node_id(r, joiner), bid = node_id(r, b);
    assert_true(id_is(g.m.u.dht.sender, &jid));
    assert_true(id_is(g.m.u.dht.target, &jid));
    assert_int_equal(g.ip, rh_ip(r, joiner));
    assert_int_equal(g.port, rh_port(r, joiner));
    assert_int_equal(rh_c(r, C_DHT_JOIN_BOOTSTRAP), jb + 1);
    uint32_t txid = g.m.u.dht.txid;

    /* The right answer: NODES listing four live peers. */
    struct wire_msg ok = dht_msg(WIRE_DHT_NODES, txid, &bid);
    ok.u.dht.n = 4;
    for (uint32_t i = 0; i < 4; i++) {
        struct dht_id x = node_id(r, peer_id(r, i));
        memcpy(ok.u.dht.nodes[i].id, x.b, DHT_ID_LEN);
        ok.u.dht.nodes[i].ip = rh_ip(r, peer_id(r, i));
        ok.u.dht.nodes[i].port = rh_port(r, peer_id(r, i));
    }

    /* (a) the wrong txid, from the right place. */
    struct wire_msg m = ok;
    m.u.dht.txid = txid ^ 0x5a5a5a5au;
    forged(r, fake, joiner, &m, "NODES with a wrong txid");
    /* (b) the right txid from elsewhere: another address, then the
     * bootstrap node's address with another port. */
    int other = rh_udp_bind(r, spare_ip(r, 1), rh_port(r, b));
    forged(r, other, joiner, &ok, "NODES from another address");
    int other_port = rh_udp_bind(r, rh_ip(r, b), 0);
    forged(r, other_port, joiner, &ok, "NODES from another port");
    /* (c) the right txid from the right place, of the wrong kind. */
    m = dht_msg(WIRE_DHT_PONG, txid, &bid);
    forged(r, fake, joiner, &m, "PONG to a FIND_NODE");
    m = dht_msg(WIRE_DHT_STORED, txid, &bid);
    forged(r, fake, joiner, &m, "STORED to a FIND_NODE");

    /* (d) the right answer: the node joins through the peers it lists. */
    uint64_t u0 = rh_c(r, C_DHT_UNEXPECTED);
    rh_udp_send(fake, rh_ip(r, joiner), rh_port(r, joiner), &ok);
    RH_RUN_UNTIL(r, peer_of(r, joiner)->state == PEER_ONLINE, 5000);
    assert_int_equal(rh_g(r, G_ONLINE), N_PEERS);
    assert_int_equal(rh_c(r, C_DHT_UNEXPECTED), u0);
    assert_int_equal(rh_c(r, C_DHT_JOIN_BOOTSTRAP), jb + 1);
    dht_node_health(peer_of(r, joiner)->dht, &hh);
    assert_true(hh.live >= ONLINE_CONTACTS);
    /* The bootstrap node was never put in its table. */
    assert_null(dht_table_find(dht_node_table(peer_of(r, joiner)->dht), &bid));
    /* The same answer again, now that its query is over: unexpected. */
    u0 = rh_c(r, C_DHT_UNEXPECTED);
    rh_udp_send(fake, rh_ip(r, joiner), rh_port(r, joiner), &ok);
    RH_RUN_UNTIL(r, rh_c(r, C_DHT_UNEXPECTED) > u0, 3000);
    rh_run_for(r, 20);
    assert_int_equal(rh_c(r, C_DHT_UNEXPECTED), u0 + 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, rh_setup, rh_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_nodes_join_through_the_bootstrap_node),
        T(test_a_real_exchange_from_a_test_socket),
        T(test_hostile_datagrams_are_counted_and_dropped),
        T(test_bootstrap_node_answers_find_node_and_ping_only),
        T(test_forged_answers_to_a_bootstrap_query),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
