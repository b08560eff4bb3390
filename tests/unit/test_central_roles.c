/* test_central_roles.c - the central architecture's server roles (node/front_door.c,
 * node/presence.c) on a real event loop: a host with two data centres, fake
 * peers that LOCATE at a front door and REGISTER with a presence server over
 * TCP, LOAD reports over UDP sent from a server's own address or forged from
 * elsewhere, and a fake front door (a UDP socket on a stopped front door's
 * address and port) that reads what the presence servers report
 * (role_harness.h). */
#include "role_harness.h"

#include "node/presence.h"

#define EAST 0
#define WEST 1

/* Two data centres; east and west are each one's keys besides name and
 * share, central and extra more of central's keys and the rest. */
#define CT_SCENARIO(east, west, central, extra)                                                    \
    "name: central-roles-test\n"                                                                   \
    "duration: 60s\n"                                                                              \
    "architecture: central\n"                                                                      \
    "nodes: {peers: 1, login_servers: 1}\n"                                                        \
    "central:\n"                                                                                   \
    "  datacenters:\n"                                                                             \
    "    - {name: east, " east ", share: 0.5}\n"                                                   \
    "    - {name: west, " west ", share: 0.5}\n"                                                   \
    "  front_door: {balance: least-connections}\n" central extra

/* ---- nodes and addresses ---- */

static uint32_t fd_id(const struct rh *r, uint32_t dc)
{
    return placement_fd_id(&r->pl, dc);
}

/* The k-th presence server of data centre dc (spares after the initial ones). */
static uint32_t pres_id(const struct rh *r, uint32_t dc, uint32_t k)
{
    return r->pl.dc_first[dc] + k;
}

static struct rh_client *connect_to(struct rh *r, uint32_t id)
{
    return rh_connect(r, rh_ip(r, id), rh_port(r, id));
}

/* Node id's listener refuses connections (it is down or dormant). */
static void assert_refused(struct rh *r, uint32_t id)
{
    struct rh_client *c = connect_to(r, id);
    RH_RUN_UNTIL(r, c->closed || c->connected, 3000);
    if (c->connected)
        fail_msg("node %u accepted a connection; expected it not to listen", id);
    assert_true(c->failed);
}

static void assert_listening(struct rh *r, uint32_t id)
{
    struct rh_client *c = connect_to(r, id);
    RH_RUN_UNTIL(r, c->closed || c->connected, 3000);
    if (!c->connected)
        fail_msg("node %u refused a connection; expected it to listen", id);
    rh_close(c);
}

static int64_t now_ns(const struct rh *r)
{
    return host_now(&r->h);
}

/* ---- peers' side: LOCATE, REGISTER ---- */

/* LOCATE as `user` at dc's front door: its one answer, after which the front
 * door closes the connection. */
static struct wire_msg locate(struct rh *r, uint32_t dc, uint64_t user)
{
    struct rh_client *c = connect_to(r, fd_id(r, dc));
    struct wire_msg m = {.type = WIRE_LOCATE, .u.user_id = user};
    rh_send(c, &m);
    RH_RUN_UNTIL(r, c->closed, 3000);
    assert_true(c->connected);
    assert_int_equal(c->n_msg, 1);
    assert_int_equal(c->n_bad, 0);
    return c->msg[0];
}

/* LOCATE that must be answered ASSIGN: the server it names, which must be a
 * presence server of dc at the address and port the placement gives it. */
static uint32_t assigned(struct rh *r, uint32_t dc, uint64_t user)
{
    struct wire_msg m = locate(r, dc, user);
    if (m.type != WIRE_ASSIGN)
        fail_msg("LOCATE at data centre %u: %s (retry_after %u ms), expected ASSIGN", dc,
                 wire_type_name(m.type), m.type == WIRE_BUSY ? m.u.retry_after_ms : 0);
    uint32_t id = m.u.server.node_id;
    if (id < pres_id(r, dc, 0) || id >= pres_id(r, dc, r->pl.dc_max[dc]))
        fail_msg("front door of data centre %u assigned node %u, not one of its presence servers "
                 "[%u, %u)",
                 dc, id, pres_id(r, dc, 0), pres_id(r, dc, r->pl.dc_max[dc]));
    assert_int_equal(m.u.server.ip, rh_ip(r, id));
    assert_int_equal(m.u.server.port, rh_port(r, id));
    return id;
}

/* LOCATE that must be answered BUSY: its retry-after hint. */
static uint32_t refused(struct rh *r, uint32_t dc, uint64_t user)
{
    struct wire_msg m = locate(r, dc, user);
    if (m.type != WIRE_BUSY)
        fail_msg("LOCATE at data centre %u: %s (node %u), expected BUSY", dc,
                 wire_type_name(m.type), m.type == WIRE_ASSIGN ? m.u.server.node_id : 0);
    return m.u.retry_after_ms;
}

/* REGISTER with a fresh valid ticket on a new connection to presence server id. */
static struct rh_client *register_at(struct rh *r, uint32_t id, uint64_t user)
{
    struct rh_client *c = connect_to(r, id);
    struct wire_msg m = rh_register(r, user, 60000);
    rh_send(c, &m);
    return c;
}

static struct rh_client *registered(struct rh *r, uint32_t id, uint64_t user)
{
    struct rh_client *c = register_at(r, id, user);
    RH_RUN_UNTIL(r, c->n_msg >= 1 || c->closed, 3000);
    assert_int_equal(c->n_msg, 1);
    assert_int_equal(c->msg[0].type, WIRE_REGISTER_OK);
    assert_int_equal(c->msg[0].u.sn_list.n, 0); /* no list: peers find servers via the front door */
    return c;
}

/* ---- LOAD reports to a front door ---- */

static struct wire_msg load_msg(uint32_t id, bool up, uint32_t clients)
{
    struct wire_msg m = {.type = WIRE_LOAD};
    m.u.load = (struct wire_load){.node_id = id, .up = up, .clients = clients};
    return m;
}

/* One datagram to dc's front door from address src (any port), once the
 * front door has taken it in: believed (load_reports) or not (malformed). */
static void datagram_from(struct rh *r, uint32_t src, uint32_t dc, const void *buf, size_t len)
{
    uint64_t before = rh_c(r, C_LOAD_REPORTS) + rh_c(r, C_MALFORMED);
    int s = rh_udp_bind(r, src, 0);
    rh_udp_send_raw(s, rh_ip(r, fd_id(r, dc)), rh_port(r, fd_id(r, dc)), buf, len);
    rh_udp_close(r, s);
    RH_RUN_UNTIL(r, rh_c(r, C_LOAD_REPORTS) + rh_c(r, C_MALFORMED) > before, 3000);
}

static void report_from(struct rh *r, uint32_t src, uint32_t dc, const struct wire_msg *m)
{
    uint8_t buf[256];
    int n = wire_encode_payload(m, buf, sizeof buf);
    assert_true(n > 0);
    datagram_from(r, src, dc, buf, (size_t)n);
}

/* A report the front door must believe: sent from the server's own address. */
static void report(struct rh *r, uint32_t dc, uint32_t id, bool up, uint32_t clients)
{
    uint64_t reports = rh_c(r, C_LOAD_REPORTS), malformed = rh_c(r, C_MALFORMED);
    struct wire_msg m = load_msg(id, up, clients);
    report_from(r, rh_ip(r, id), dc, &m);
    assert_int_equal(rh_c(r, C_LOAD_REPORTS), reports + 1);
    assert_int_equal(rh_c(r, C_MALFORMED), malformed);
}

/* A datagram the front door must count as malformed and ignore. */
static void refused_datagram(struct rh *r, uint32_t src, uint32_t dc, const void *buf, size_t len)
{
    uint64_t reports = rh_c(r, C_LOAD_REPORTS), malformed = rh_c(r, C_MALFORMED);
    datagram_from(r, src, dc, buf, len);
    assert_int_equal(rh_c(r, C_MALFORMED), malformed + 1);
    assert_int_equal(rh_c(r, C_LOAD_REPORTS), reports);
}

static void refused_report(struct rh *r, uint32_t src, uint32_t dc, const struct wire_msg *m)
{
    uint8_t buf[256];
    int n = wire_encode_payload(m, buf, sizeof buf);
    assert_true(n > 0);
    refused_datagram(r, src, dc, buf, (size_t)n);
}

/* The reports every initially-up server sends as it starts listening have
 * reached the front doors. */
static void initial_reports_in(struct rh *r)
{
    uint32_t up = r->scn.central.dc[EAST].servers + r->scn.central.dc[WEST].servers;
    RH_RUN_UNTIL(r, rh_c(r, C_LOAD_REPORTS) >= up, 3000);
}

/* ---- a fake front door: what presence servers report ---- */

#define FAKE_MAX 256

struct fake_fd {
    int sock;
    uint32_t n; /* reports received (the first FAKE_MAX kept) */
    struct wire_load rep[FAKE_MAX];
};

/* Stop dc's front door (its role's crash: listener and report socket
 * closed) and take its address and port for the reports. */
static void fake_fd_start(struct rh *r, uint32_t dc, struct fake_fd *f)
{
    uint32_t id = fd_id(r, dc);
    assert_true(role_table[ROLE_FRONT_DOOR]->crash(rh_node(r, ROLE_FRONT_DOOR, id)));
    memset(f, 0, sizeof *f);
    f->sock = rh_udp_bind(r, rh_ip(r, id), rh_port(r, id));
}

/* Take in whatever has arrived; every datagram must be a LOAD from the
 * address of the server it names. Returns how many so far (for conditions). */
static uint32_t fake_poll(struct rh *r, struct fake_fd *f)
{
    struct wire_msg m;
    uint32_t src;
    enum wire_status st;
    while ((st = rh_udp_recv(f->sock, &m, &src)) != WIRE_NEED_MORE) {
        if (st != WIRE_OK || m.type != WIRE_LOAD)
            fail_msg("the fake front door got %s %s", wire_status_name(st),
                     st == WIRE_OK ? wire_type_name(m.type) : "");
        assert_int_equal(src, rh_ip(r, m.u.load.node_id));
        if (f->n < FAKE_MAX)
            f->rep[f->n] = m.u.load;
        f->n++;
    }
    return f->n;
}

/* Reports from server id so far, and the last of them. */
static uint32_t fake_count(const struct fake_fd *f, uint32_t id)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < f->n && i < FAKE_MAX; i++)
        k += f->rep[i].node_id == id;
    return k;
}

static struct wire_load fake_last(const struct fake_fd *f, uint32_t id)
{
    for (uint32_t i = f->n < FAKE_MAX ? f->n : FAKE_MAX; i-- > 0;)
        if (f->rep[i].node_id == id)
            return f->rep[i];
    fail_msg("no report from node %u", id);
    return (struct wire_load){0};
}

/* ---- 1. ASSIGN ---- */

/* ASSIGN names an up server of the front door's own DC, as the placement
 * has it: east's two, never its dormant spare nor a server of west. */
static void test_front_door_assigns_an_up_server_of_its_dc(void **state)
{
    struct rh *r = *state;
    /* A long interval: only the reports each server sends as it starts. */
    rh_start(r, CT_SCENARIO("servers: 2, max_servers: 3", "servers: 1",
                            "  presence: {report_interval: 10s}\n", ""));
    uint32_t e0 = pres_id(r, EAST, 0), e1 = pres_id(r, EAST, 1), w0 = pres_id(r, WEST, 0);
    initial_reports_in(r);
    uint32_t got[2] = {0, 0};
    for (uint64_t u = 0; u < 6; u++) {
        uint32_t id = assigned(r, EAST, u);
        if (id != e0 && id != e1)
            fail_msg("east's front door assigned node %u; its up servers are %u and %u", id, e0,
                     e1);
        got[id - e0]++;
    }
    /* Least-connections counts its own ASSIGNs since the last report: with
     * both empty, it alternates. */
    assert_int_equal(got[0], 3);
    assert_int_equal(got[1], 3);
    for (uint64_t u = 0; u < 2; u++)
        assert_int_equal(assigned(r, WEST, 100 + u), w0);
    assert_int_equal(rh_c(r, C_FD_SERVED), 8);
    assert_int_equal(rh_c(r, C_FD_NO_SERVER), 0);
}

/* Least-connections on real reports: a server whose reports say 10 clients
 * gets no new one while its sibling reports 0. */
static void test_front_door_least_connections_follows_reported_clients(void **state)
{
    struct rh *r = *state;
    int64_t iv = 100 * RH_MS;
    rh_start(r,
             CT_SCENARIO("servers: 2", "servers: 1", "  presence: {report_interval: 100ms}\n", ""));
    uint32_t e0 = pres_id(r, EAST, 0), e1 = pres_id(r, EAST, 1);
    for (uint64_t u = 0; u < 10; u++)
        registered(r, e0, 1000 + u);
    assert_int_equal(rh_g(r, G_PRES_CLIENTS), 10);
    /* Two intervals: each server has reported since (e0: 10, e1: 0). */
    int64_t t = now_ns(r);
    RH_RUN_UNTIL(r, now_ns(r) > t + 2 * iv, 3000);
    for (uint64_t u = 0; u < 5; u++) {
        uint32_t id = assigned(r, EAST, u);
        if (id != e1)
            fail_msg("LOCATE %u went to node %u, which reports 10 clients; expected %u (0 clients)",
                     (unsigned)u, id, e1);
    }
}

/* ---- 2. LOAD reports: believed only from the server's own address ---- */

static void test_front_door_believes_only_its_servers_own_reports(void **state)
{
    struct rh *r = *state;
    rh_start(r, CT_SCENARIO("servers: 2, max_servers: 3", "servers: 1",
                            "  presence: {report_interval: 10s}\n", ""));
    uint32_t e0 = pres_id(r, EAST, 0), e1 = pres_id(r, EAST, 1), e2 = pres_id(r, EAST, 2);
    uint32_t w0 = pres_id(r, WEST, 0);
    uint32_t elsewhere = rh_ip(r, r->pl.n_nodes + 3); /* in the run's /24, no node's */
    initial_reports_in(r);

    /* From e0's own address: e0 has 50 clients. The choice follows. */
    report(r, EAST, e0, true, 50);
    for (uint64_t u = 0; u < 3; u++)
        assert_int_equal(assigned(r, EAST, u), e1);

    /* Forgeries that would turn the choice to e0 if believed: e1 down or
     * full, claimed from an address that is not e1's (no node's, a server
     * of the other DC, its own sibling in the DC, the front door's own). */
    struct wire_msg down = load_msg(e1, false, 0), full = load_msg(e1, true, 1000);
    refused_report(r, elsewhere, EAST, &down);
    refused_report(r, rh_ip(r, w0), EAST, &full);
    refused_report(r, rh_ip(r, e0), EAST, &down);
    refused_report(r, rh_ip(r, fd_id(r, EAST)), EAST, &full);
    /* Reports naming a node that is not one of east's presence servers,
     * each from that node's own address: west's first server (just past
     * east's range), west's front door (just before it). */
    struct wire_msg other_dc = load_msg(w0, true, 0), not_pres = load_msg(fd_id(r, WEST), true, 0);
    refused_report(r, rh_ip(r, w0), EAST, &other_dc);
    refused_report(r, rh_ip(r, fd_id(r, WEST)), EAST, &not_pres);
    assert_int_equal(assigned(r, EAST, 10), e1);

    /* east's dormant spare is one of its servers: its own report counts. */
    report(r, EAST, e2, false, 0);
    /* e1 now reports more clients than e0: the choice turns to e0. */
    report(r, EAST, e1, true, 100);
    for (uint64_t u = 0; u < 3; u++)
        assert_int_equal(assigned(r, EAST, 20 + u), e0);
}

static void test_front_door_counts_malformed_datagrams(void **state)
{
    struct rh *r = *state;
    rh_start(r,
             CT_SCENARIO("servers: 1", "servers: 1", "  presence: {report_interval: 10s}\n", ""));
    uint32_t e0 = pres_id(r, EAST, 0), src = rh_ip(r, e0);
    initial_reports_in(r);
    /* From e0's own address, so only the content is wrong: not msgpack, a
     * LOAD cut short, a message that is not a LOAD, and LOAD with up = 2. */
    const uint8_t junk[] = {0xc1, 0x00, 0x17};
    refused_datagram(r, src, EAST, junk, sizeof junk);
    uint8_t buf[256];
    struct wire_msg m = load_msg(e0, false, 0);
    int n = wire_encode_payload(&m, buf, sizeof buf);
    assert_true(n > 2);
    refused_datagram(r, src, EAST, buf, (size_t)n - 1);
    /* (its user id is e0's node id: read as a LOAD, it would name e0) */
    struct wire_msg loc = {.type = WIRE_LOCATE, .u.user_id = e0};
    refused_report(r, src, EAST, &loc);
    /* [18, 1, node_id, up, ...]: up is the fourth element; set to 0 above,
     * it is the positive fixint 0x00 right after node_id. */
    size_t up_at = (size_t)n - 5; /* up, clients, max_clients, queue, load: a byte each */
    assert_int_equal(buf[up_at], 0x00);
    buf[up_at] = 0x02;
    refused_datagram(r, src, EAST, buf, (size_t)n);
    /* None of them took e0 out of the front door's view. */
    assert_int_equal(assigned(r, EAST, 1), e0);
}

/* ---- 3. no healthy server: BUSY ---- */

static void test_front_door_busy_when_every_server_reports_down(void **state)
{
    struct rh *r = *state;
    rh_start(r,
             CT_SCENARIO("servers: 2", "servers: 1", "  presence: {report_interval: 10s}\n", ""));
    uint32_t e0 = pres_id(r, EAST, 0), e1 = pres_id(r, EAST, 1);
    initial_reports_in(r);
    report(r, EAST, e0, false, 0);
    report(r, EAST, e1, false, 0);
    assert_int_equal(refused(r, EAST, 1), 10000); /* one report interval */
    assert_int_equal(rh_c(r, C_FD_NO_SERVER), 1);
    assert_int_equal(r->h.m.dc[EAST].refusals, 1);
    assert_int_equal(r->h.m.dc[WEST].refusals, 0);
    assert_int_equal(rh_c(r, C_FD_SERVED), 0);
    /* The other DC's front door is not affected. */
    assert_int_equal(assigned(r, WEST, 2), pres_id(r, WEST, 0));
    /* One server back up: assigned again. */
    report(r, EAST, e1, true, 0);
    assert_int_equal(assigned(r, EAST, 3), e1);
    assert_int_equal(rh_c(r, C_FD_NO_SERVER), 1);
}

/* A server is healthy for 3 report intervals after its last report, then
 * stale (a crashed server sends nothing). */
static void test_front_door_busy_when_reports_stop(void **state)
{
    struct rh *r = *state;
    int64_t iv = 200 * RH_MS;
    rh_start(r,
             CT_SCENARIO("servers: 2", "servers: 1", "  presence: {report_interval: 200ms}\n", ""));
    uint32_t e0 = pres_id(r, EAST, 0), e1 = pres_id(r, EAST, 1);
    /* Both crash: they report no more. A moment for the front door to take
     * in what they sent before. */
    initial_reports_in(r);
    for (uint32_t k = 0; k < 2; k++)
        assert_true(
            role_table[ROLE_PRESENCE]->crash(rh_node(r, ROLE_PRESENCE, pres_id(r, EAST, k))));
    rh_run_for(r, 10);
    /* One last report of e0 up, at a time we know; e1 down. */
    report(r, EAST, e1, false, 0);
    report(r, EAST, e0, true, 0);
    int64_t t_r = now_ns(r);
    /* Two intervals without a report: still healthy. */
    RH_RUN_UNTIL(r, now_ns(r) >= t_r + 2 * iv, 3000);
    assert_int_equal(assigned(r, EAST, 1), e0);
    if (now_ns(r) >= t_r + 3 * iv)
        fail_msg("the LOCATE took over an interval (%.0f ms after the report): too slow to tell",
                 (double)(now_ns(r) - t_r) / 1e6);
    /* Three: stale. */
    RH_RUN_UNTIL(r, now_ns(r) > t_r + 3 * iv + 5 * RH_MS, 3000);
    assert_int_equal(refused(r, EAST, 2), 200);
    assert_int_equal(rh_c(r, C_FD_NO_SERVER), 1);
    assert_int_equal(r->h.m.dc[EAST].refusals, 1);
    assert_int_equal(r->h.m.dc[WEST].refusals, 0);
}

/* ---- 4. presence server: REGISTER, KEEPALIVE, refusals ---- */

static void test_presence_registers_and_acks(void **state)
{
    struct rh *r = *state;
    rh_start(r, CT_SCENARIO("servers: 1", "servers: 1", "", ""));
    uint32_t e0 = pres_id(r, EAST, 0);
    struct rh_client *c = registered(r, e0, 77);
    assert_int_equal(rh_c(r, C_PRES_REGISTERED), 1);
    assert_int_equal(rh_g(r, G_PRES_CLIENTS), 1);
    assert_int_equal(r->h.m.dc[EAST].clients, 1);
    assert_int_equal(r->h.m.dc[EAST].registered, 1);
    assert_int_equal(r->h.m.dc[WEST].clients, 0);

    struct wire_msg ka = {.type = WIRE_KEEPALIVE, .u.seq = 9};
    rh_send(c, &ka);
    RH_RUN_UNTIL(r, c->n_msg >= 2, 3000);
    assert_int_equal(c->msg[1].type, WIRE_KEEPALIVE_ACK);
    assert_int_equal(c->msg[1].u.seq, 9);
    assert_false(c->closed);

    /* A forged ticket: REGISTER_FAIL, and the server closes. */
    struct rh_client *f = connect_to(r, e0);
    struct wire_msg m = rh_register(r, 78, 60000);
    m.u.ticket.sig[0] ^= 0x01;
    rh_send(f, &m);
    RH_RUN_UNTIL(r, f->closed, 3000);
    assert_int_equal(f->n_msg, 1);
    assert_int_equal(f->msg[0].type, WIRE_REGISTER_FAIL);
    assert_int_equal(f->msg[0].u.reason, WIRE_REASON_FORGED_TICKET);
    assert_int_equal(rh_c(r, C_SN_REFUSED_FORGED), 1);
    assert_int_equal(rh_c(r, C_PRES_REGISTERED), 1);
    assert_int_equal(rh_g(r, G_PRES_CLIENTS), 1);
    assert_int_equal(r->h.m.dc[EAST].clients, 1);
    assert_false(c->closed);

    /* Closing the client takes it off the counts. */
    rh_close(c);
    RH_RUN_UNTIL(r, rh_g(r, G_PRES_CLIENTS) == 0, 3000);
    assert_int_equal(r->h.m.dc[EAST].clients, 0);
}

static void test_presence_redirects_when_full(void **state)
{
    struct rh *r = *state;
    rh_start(r, CT_SCENARIO("servers: 1", "servers: 1", "  presence: {max_clients: 1}\n", ""));
    uint32_t e0 = pres_id(r, EAST, 0);
    struct rh_client *first = registered(r, e0, 1);
    struct rh_client *second = register_at(r, e0, 2);
    RH_RUN_UNTIL(r, second->closed, 3000); /* closed after its answer */
    assert_int_equal(second->n_msg, 1);
    assert_int_equal(second->msg[0].type, WIRE_REDIRECT);
    assert_int_equal(second->msg[0].u.sn_list.n, 0); /* back to the front door */
    assert_int_equal(rh_c(r, C_PRES_REDIRECTS), 1);
    assert_int_equal(r->h.m.dc[EAST].refusals, 1);
    assert_int_equal(rh_c(r, C_PRES_REGISTERED), 1);
    assert_int_equal(rh_g(r, G_PRES_CLIENTS), 1);
    assert_false(first->closed);
}

/* ---- 5. scaling and crashes: what the front door hears ---- */

/* A dormant spare scaled up listens, reports at once and takes a client;
 * scaled down, it stops listening, drops its client and reports up = 0. */
static void test_presence_scale_up_and_down(void **state)
{
    struct rh *r = *state;
    int64_t iv = 5000 * RH_MS;
    rh_start(r, CT_SCENARIO("servers: 1, max_servers: 2", "servers: 1",
                            "  presence: {report_interval: 5s}\n", ""));
    uint32_t e0 = pres_id(r, EAST, 0), e1 = pres_id(r, EAST, 1);
    struct fake_fd *f = calloc(1, sizeof *f);
    assert_non_null(f);
    fake_fd_start(r, EAST, f);
    assert_refused(r, e1); /* dormant */
    assert_int_equal(rh_g(r, G_PRES_UP), 2);

    int64_t t_up = now_ns(r);
    assert_int_equal(presence_scale(&r->h, EAST, 1, 1, true), 1);
    assert_int_equal(rh_c(r, C_SCALED_UP), 1);
    assert_int_equal(rh_g(r, G_PRES_UP), 3);
    assert_int_equal(r->h.m.dc[EAST].servers_up, 2);
    RH_RUN_UNTIL(r, (fake_poll(r, f), fake_count(f, e1) >= 1), 3000);
    assert_true(now_ns(r) < t_up + iv); /* at once, not after an interval */
    struct wire_load l = fake_last(f, e1);
    assert_int_equal(l.up, 1);
    assert_int_equal(l.clients, 0);
    struct rh_client *c = registered(r, e1, 5);
    assert_int_equal(r->h.m.dc[EAST].clients, 1);

    assert_int_equal(presence_scale(&r->h, EAST, 1, 1, false), 1);
    assert_int_equal(rh_c(r, C_SCALED_DOWN), 1);
    fake_poll(r, f); /* the last report goes out as it stops */
    assert_int_equal(fake_count(f, e1), 2);
    l = fake_last(f, e1);
    assert_int_equal(l.up, 0);
    assert_int_equal(l.clients, 0);
    RH_RUN_UNTIL(r, c->closed, 3000);
    assert_int_equal(rh_g(r, G_PRES_CLIENTS), 0);
    assert_int_equal(r->h.m.dc[EAST].clients, 0);
    assert_int_equal(r->h.m.dc[EAST].servers_up, 1);
    assert_int_equal(rh_g(r, G_PRES_UP), 2);
    assert_refused(r, e1);
    assert_listening(r, e0);
    /* Scaling down again changes nothing; a range with e0 (up) and e1
     * (a spare again) brings up only e1, which reports again. */
    assert_int_equal(presence_scale(&r->h, EAST, 1, 1, false), 0);
    assert_int_equal(presence_scale(&r->h, EAST, 0, 2, true), 1);
    RH_RUN_UNTIL(r, (fake_poll(r, f), fake_count(f, e1) >= 3), 3000);
    assert_int_equal(fake_last(f, e1).up, 1);
    registered(r, e1, 6);
    free(f);
}

/* The front door's view follows scale actions: a spare scaled up gets the
 * next client, one scaled down gets none though it looks emptier. */
static void test_front_door_follows_scale_actions(void **state)
{
    struct rh *r = *state;
    rh_start(r, CT_SCENARIO("servers: 1", "servers: 1, max_servers: 2",
                            "  presence: {report_interval: 10s}\n", ""));
    uint32_t w0 = pres_id(r, WEST, 0), w1 = pres_id(r, WEST, 1);
    initial_reports_in(r);
    for (uint64_t u = 0; u < 3; u++)
        assert_int_equal(assigned(r, WEST, u), w0); /* the spare is not assigned */

    uint64_t before = rh_c(r, C_LOAD_REPORTS);
    assert_int_equal(presence_scale(&r->h, WEST, 1, 1, true), 1);
    RH_RUN_UNTIL(r, rh_c(r, C_LOAD_REPORTS) > before, 3000);
    assert_int_equal(assigned(r, WEST, 10), w1); /* 0 clients against w0's 3 assigned */

    before = rh_c(r, C_LOAD_REPORTS);
    assert_int_equal(presence_scale(&r->h, WEST, 1, 1, false), 1);
    RH_RUN_UNTIL(r, rh_c(r, C_LOAD_REPORTS) > before, 3000);
    for (uint64_t u = 0; u < 2; u++)
        assert_int_equal(assigned(r, WEST, 20 + u), w0); /* w1 reported down */
}

/* A crash sends no report: the front door hears nothing more from it. */
static void test_presence_crash_sends_no_report(void **state)
{
    struct rh *r = *state;
    rh_start(r,
             CT_SCENARIO("servers: 2", "servers: 1", "  presence: {report_interval: 100ms}\n", ""));
    uint32_t e0 = pres_id(r, EAST, 0), e1 = pres_id(r, EAST, 1);
    struct fake_fd *f = calloc(1, sizeof *f);
    assert_non_null(f);
    fake_fd_start(r, EAST, f);
    struct rh_client *c = registered(r, e0, 3);
    /* e0 reports its client, e1 its none. */
    RH_RUN_UNTIL(r,
                 (fake_poll(r, f), fake_count(f, e0) >= 1 && fake_last(f, e0).clients == 1 &&
                                       fake_count(f, e1) >= 1),
                 3000);
    assert_int_equal(fake_last(f, e0).up, 1);
    assert_int_equal(fake_last(f, e1).clients, 0);

    /* Whatever e0 sent before it crashed is in by now (a report leaves
     * only from the loop, which does not run between here and the crash). */
    fake_poll(r, f);
    uint32_t n0 = fake_count(f, e0), n1 = fake_count(f, e1);
    assert_true(role_table[ROLE_PRESENCE]->crash(rh_node(r, ROLE_PRESENCE, e0)));
    assert_int_equal(rh_c(r, C_PRES_CRASHES), 1);
    fake_poll(r, f);
    assert_int_equal(fake_count(f, e0), n0); /* nothing as it went down */
    /* Three of e1's intervals: e0 would have reported twice or more. */
    RH_RUN_UNTIL(r, (fake_poll(r, f), fake_count(f, e1) >= n1 + 3), 3000);
    assert_int_equal(fake_count(f, e0), n0);
    RH_RUN_UNTIL(r, c->closed, 3000);
    assert_int_equal(rh_g(r, G_PRES_CLIENTS), 0);
    assert_int_equal(r->h.m.dc[EAST].servers_up, 1);
    assert_refused(r, e0);
    assert_false(role_table[ROLE_PRESENCE]->crash(rh_node(r, ROLE_PRESENCE, e0)));
    assert_int_equal(rh_c(r, C_PRES_CRASHES), 1);
    free(f);
}

/* ---- 6. stall ---- */

/* A stalled presence server (service time 2 ms) admits and queues its
 * requests but answers none; at the stall's end it serves them all. */
static void test_presence_stall_queues_then_serves(void **state)
{
    struct rh *r = *state;
    int64_t stall = 1000 * RH_MS;
    rh_start(r, CT_SCENARIO("servers: 1", "servers: 1",
                            "  presence: {service_time: 2ms, report_interval: 100ms}\n", ""));
    uint32_t e0 = pres_id(r, EAST, 0);
    struct fake_fd *f = calloc(1, sizeof *f);
    assert_non_null(f);
    fake_fd_start(r, EAST, f);
    struct rh_client *old = registered(r, e0, 1);

    int64_t t_stall = now_ns(r);
    role_table[ROLE_PRESENCE]->stall(rh_node(r, ROLE_PRESENCE, e0), stall);
    struct rh_client *c[3];
    for (int i = 0; i < 3; i++)
        c[i] = register_at(r, e0, 10 + (uint64_t)i);
    struct wire_msg ka = {.type = WIRE_KEEPALIVE, .u.seq = 4};
    rh_send(old, &ka);
    /* All four wait in its queue, as its report says. */
    RH_RUN_UNTIL(r, (fake_poll(r, f), fake_count(f, e0) >= 1 && fake_last(f, e0).queue == 4), 3000);
    if (now_ns(r) >= t_stall + stall)
        fail_msg("the stall was over before the requests were seen queued (%.0f ms)",
                 (double)(now_ns(r) - t_stall) / 1e6);
    for (int i = 0; i < 3; i++)
        assert_int_equal(c[i]->n_msg, 0);
    assert_int_equal(old->n_msg, 1);
    assert_int_equal(rh_g(r, G_PRES_CLIENTS), 1);

    /* The first answer comes at the end of the stall, then all of them. */
    RH_RUN_UNTIL(r, old->n_msg + c[0]->n_msg + c[1]->n_msg + c[2]->n_msg > 1, 3000);
    assert_true(now_ns(r) >= t_stall + stall);
    RH_RUN_UNTIL(r, old->n_msg == 2 && c[0]->n_msg && c[1]->n_msg && c[2]->n_msg, 3000);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(c[i]->msg[0].type, WIRE_REGISTER_OK);
        assert_false(c[i]->closed);
    }
    assert_int_equal(old->msg[1].type, WIRE_KEEPALIVE_ACK);
    assert_int_equal(old->msg[1].u.seq, 4);
    assert_int_equal(rh_g(r, G_PRES_CLIENTS), 4);
    assert_int_equal(rh_c(r, C_PRES_REGISTERED), 4);
    free(f);
}

/* ---- 7. a whole data centre's outage ---- */

static void test_datacenter_outage(void **state)
{
    struct rh *r = *state;
    int64_t iv = 200 * RH_MS, out = 1000 * RH_MS;
    rh_start(r, CT_SCENARIO("servers: 2, max_servers: 3", "servers: 1",
                            "  presence: {report_interval: 200ms}\n",
                            "events:\n"
                            "  - at: 59s\n"
                            "    outage: {datacenter: east, for: 1s}\n"));
    uint32_t e0 = pres_id(r, EAST, 0), e1 = pres_id(r, EAST, 1), e2 = pres_id(r, EAST, 2);
    uint32_t w0 = pres_id(r, WEST, 0);
    struct rh_client *ce = registered(r, e0, 1), *cw = registered(r, w0, 2);
    /* east's spare, scaled up and down again, is a spare again: the outage
     * neither takes it down nor brings it up. */
    assert_int_equal(presence_scale(&r->h, EAST, 2, 1, true), 1);
    assert_int_equal(presence_scale(&r->h, EAST, 2, 1, false), 1);
    assert_int_equal(rh_g(r, G_FD_UP), 2);
    assert_int_equal(rh_g(r, G_PRES_UP), 3);

    int64_t t0 = now_ns(r);
    assert_int_equal(rh_fire(r, 0), 3); /* east's front door and its two up servers */
    assert_int_equal(r->h.m.dc[EAST].fd_up, 0);
    assert_int_equal(r->h.m.dc[EAST].servers_up, 0);
    assert_int_equal(r->h.m.dc[WEST].fd_up, 1);
    assert_int_equal(r->h.m.dc[WEST].servers_up, 1);
    assert_int_equal(rh_g(r, G_FD_UP), 1);
    assert_int_equal(rh_g(r, G_PRES_UP), 1);
    RH_RUN_UNTIL(r, ce->closed, 3000);
    assert_refused(r, fd_id(r, EAST));
    assert_refused(r, e0);
    assert_refused(r, e1);
    assert_refused(r, e2);
    /* West goes on. */
    assert_int_equal(assigned(r, WEST, 3), w0);
    struct wire_msg ka = {.type = WIRE_KEEPALIVE, .u.seq = 7};
    rh_send(cw, &ka);
    RH_RUN_UNTIL(r, cw->n_msg >= 2, 3000);
    assert_int_equal(cw->msg[1].type, WIRE_KEEPALIVE_ACK);
    assert_false(cw->closed);
    if (now_ns(r) >= t0 + out)
        fail_msg("the outage was over before its checks were done (%.0f ms)",
                 (double)(now_ns(r) - t0) / 1e6);

    /* After `for`, east comes back: its front door and the servers the
     * outage took down (not its spare). */
    RH_RUN_UNTIL(r, r->h.m.dc[EAST].fd_up == 1 && r->h.m.dc[EAST].servers_up == 2, 3000);
    int64_t t_back = now_ns(r);
    assert_true(t_back >= t0 + out);
    assert_int_equal(rh_g(r, G_FD_UP), 2);
    assert_int_equal(rh_g(r, G_PRES_UP), 3);
    assert_listening(r, fd_id(r, EAST));
    registered(r, e0, 3);
    registered(r, e1, 4);
    assert_refused(r, e2);
    /* Their reports refresh the front door's view (stale after the
     * outage, which lasted over 3 intervals). */
    RH_RUN_UNTIL(r, now_ns(r) > t_back + 2 * iv, 3000);
    uint32_t id = assigned(r, EAST, 5);
    assert_true(id == e0 || id == e1);
    assert_int_equal(r->h.m.dc[WEST].servers_up, 1);
    assert_int_equal(r->h.m.dc[WEST].fd_up, 1);
    assert_false(cw->closed);
}

/* When a data centre comes back from an outage, its servers report as they
 * start listening again, so its front door need not wait a report interval
 * to assign them: a LOCATE right after the outage ends gets ASSIGN. (The
 * outage lasts over 3 intervals, so the front door's view from before it is
 * stale.) Ten outages in a row: the front door and the servers come back
 * on timers due at the same run time, in either order. */
static void test_datacenter_outage_end_reports_reach_the_front_door(void **state)
{
    struct rh *r = *state;
    int64_t iv = 50 * RH_MS;
    rh_start(r, CT_SCENARIO("servers: 2", "servers: 1", "  presence: {report_interval: 50ms}\n",
                            "events:\n"
                            "  - at: 59s\n"
                            "    outage: {datacenter: east, for: 200ms}\n"));
    int busy = 0, told = 0;
    for (uint64_t i = 0; i < 10; i++) {
        assert_int_equal(rh_fire(r, 0), 3);
        RH_RUN_UNTIL(r, r->h.m.dc[EAST].fd_up == 1 && r->h.m.dc[EAST].servers_up == 2, 3000);
        int64_t t_back = now_ns(r);
        struct wire_msg m = locate(r, EAST, i);
        if (now_ns(r) >= t_back + iv)
            continue; /* a periodic report may have come: cannot tell */
        told++;
        busy += m.type == WIRE_BUSY;
    }
    if (busy > 0)
        fail_msg("%d of %d LOCATEs right after east came back got BUSY: the servers' first "
                 "reports were lost (sent before the front door listened again)",
                 busy, told);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, rh_setup, rh_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_front_door_assigns_an_up_server_of_its_dc),
        T(test_front_door_least_connections_follows_reported_clients),
        T(test_front_door_believes_only_its_servers_own_reports),
        T(test_front_door_counts_malformed_datagrams),
        T(test_front_door_busy_when_every_server_reports_down),
        T(test_front_door_busy_when_reports_stop),
        T(test_presence_registers_and_acks),
        T(test_presence_redirects_when_full),
        T(test_presence_scale_up_and_down),
        T(test_front_door_follows_scale_actions),
        T(test_presence_crash_sends_no_report),
        T(test_presence_stall_queues_then_serves),
        T(test_datacenter_outage),
        T(test_datacenter_outage_end_reports_reach_the_front_door),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
