/* test_supernode.c - the supernode role (node/supernode.c) on a real event
 * loop: a host with a few supernodes, and fake clients that REGISTER with
 * tickets signed by the run's key, or GOSSIP as another supernode would
 * (role_harness.h). */
#include "role_harness.h"

#define SN_SCENARIO(nodes, extra)                                                                  \
    "name: sn-test\n"                                                                              \
    "duration: 60s\n"                                                                              \
    "nodes: " nodes "\n"                                                                           \
    "supernode:\n"                                                                                 \
    "  list_size: 8\n" extra

/* REGISTER with a fresh valid ticket on a new connection to supernode k. */
static struct rh_client *register_at(struct rh *r, uint32_t k, uint64_t user)
{
    uint32_t id = rh_sn_id(r, k);
    struct rh_client *c = rh_connect(r, rh_ip(r, id), rh_sn_port(r, id));
    struct wire_msg m = rh_register(r, user, 60000);
    rh_send(c, &m);
    return c;
}

/* Every entry of a list a supernode handed out is another initial supernode,
 * with the address and port placement gives it. */
static void assert_other_initial_sns(const struct rh *r, const struct wire_sn_list *l,
                                     uint32_t self)
{
    for (uint32_t i = 0; i < l->n; i++) {
        const struct wire_sn *e = &l->sns[i];
        assert_int_not_equal(e->node_id, self);
        assert_in_range(e->node_id, r->pl.first_sn, r->pl.first_sn + r->pl.n_sn - 1);
        assert_int_equal(e->ip, rh_ip(r, e->node_id));
        assert_int_equal(e->port, rh_sn_port(r, e->node_id));
    }
}

/* ---- registration ---- */

static void test_supernode_registers_valid_ticket(void **state)
{
    struct rh *r = *state;
    rh_start(r, SN_SCENARIO("{peers: 1, supernodes: 8}", ""));
    struct rh_client *c = register_at(r, 0, 77);
    RH_RUN_UNTIL(r, c->n_msg >= 1, 3000);
    assert_int_equal(c->msg[0].type, WIRE_REGISTER_OK);
    assert_other_initial_sns(r, &c->msg[0].u.sn_list, rh_sn_id(r, 0));
    assert_int_equal(rh_c(r, C_SN_REGISTERED), 1);
    assert_int_equal(rh_g(r, G_SN_CLIENTS), 1);
    /* A registered client stays connected, and its keepalives are acked. */
    struct wire_msg ka = {.type = WIRE_KEEPALIVE, .u.seq = 9};
    rh_send(c, &ka);
    RH_RUN_UNTIL(r, c->n_msg >= 2, 3000);
    assert_int_equal(c->msg[1].type, WIRE_KEEPALIVE_ACK);
    assert_int_equal(c->msg[1].u.seq, 9);
    assert_false(c->closed);
}

static void test_supernode_refuses_expired_ticket(void **state)
{
    struct rh *r = *state;
    rh_start(r, SN_SCENARIO("{peers: 1, supernodes: 1}", ""));
    uint32_t id = rh_sn_id(r, 0);
    struct rh_client *c = rh_connect(r, rh_ip(r, id), rh_sn_port(r, id));
    rh_run_for(r, 5); /* run time moves past 0, so a ticket can lie in the past */
    struct wire_msg m = rh_register(r, 77, -1);
    rh_send(c, &m);
    RH_RUN_UNTIL(r, c->closed, 3000);
    assert_int_equal(c->n_msg, 1);
    assert_int_equal(c->msg[0].type, WIRE_REGISTER_FAIL);
    assert_int_equal(c->msg[0].u.reason, WIRE_REASON_EXPIRED_TICKET);
    assert_int_equal(rh_c(r, C_SN_REFUSED_EXPIRED), 1);
    assert_int_equal(rh_g(r, G_SN_CLIENTS), 0);
}

/* ---- max_clients ---- */

static void test_supernode_redirects_when_full(void **state)
{
    struct rh *r = *state;
    /* 8 supernodes: each starts out knowing a random sample of the others. */
    rh_start(r, SN_SCENARIO("{peers: 1, supernodes: 8}", "  max_clients: 1\n"));
    struct rh_client *first = register_at(r, 0, 1);
    RH_RUN_UNTIL(r, first->n_msg >= 1, 3000);
    assert_int_equal(first->msg[0].type, WIRE_REGISTER_OK);

    struct rh_client *second = register_at(r, 0, 2);
    RH_RUN_UNTIL(r, second->closed, 3000); /* the supernode closes after its answer */
    assert_int_equal(second->n_msg, 1);
    assert_int_equal(second->msg[0].type, WIRE_REDIRECT);
    const struct wire_sn_list *l = &second->msg[0].u.sn_list;
    assert_true(l->n >= 1);
    assert_true(l->n <= 8); /* list_size */
    assert_other_initial_sns(r, l, rh_sn_id(r, 0));
    assert_int_equal(rh_c(r, C_SN_REDIRECTS), 1);
    assert_int_equal(rh_c(r, C_SN_REGISTERED), 1);
    assert_int_equal(rh_g(r, G_SN_CLIENTS), 1);
    assert_false(first->closed);
}

/* ---- overload ---- */

static void test_supernode_shuts_down_under_overload(void **state)
{
    struct rh *r = *state;
    /* Loaded at 1 client of 2; the monitor checks every 200 ms and acts once
     * the load has held for 300 ms. */
    rh_start(r, SN_SCENARIO("{peers: 1, supernodes: 2}", "  max_clients: 2\n"
                                                         "  overload:\n"
                                                         "    action: shutdown\n"
                                                         "    load: 0.5\n"
                                                         "    for: 300ms\n"));
    assert_int_equal(rh_g(r, G_SN_COUNT), 2);
    struct rh_client *c = register_at(r, 0, 1);
    RH_RUN_UNTIL(r, c->n_msg >= 1, 3000);
    assert_int_equal(c->msg[0].type, WIRE_REGISTER_OK);
    assert_int_equal(rh_c(r, C_SN_OVERLOAD_ACTIONS), 0);

    RH_RUN_UNTIL(r, rh_c(r, C_SN_OVERLOAD_ACTIONS) >= 1, 3000);
    RH_RUN_UNTIL(r, c->closed, 3000); /* its client is dropped */
    assert_int_equal(rh_g(r, G_SN_COUNT), 1);
    assert_int_equal(rh_g(r, G_SN_CLIENTS), 0);

    /* It no longer listens; the other supernode, not loaded, still does. */
    uint32_t id0 = rh_sn_id(r, 0), id1 = rh_sn_id(r, 1);
    struct rh_client *again = rh_connect(r, rh_ip(r, id0), rh_sn_port(r, id0));
    struct rh_client *other = rh_connect(r, rh_ip(r, id1), rh_sn_port(r, id1));
    RH_RUN_UNTIL(r, again->closed && other->connected, 3000);
    assert_false(again->connected);
    assert_true(again->failed);
    assert_int_equal(rh_c(r, C_SN_OVERLOAD_ACTIONS), 1);
}

/* ---- gossip ---- */

/* The list in a REGISTER_OK from supernode k, on a connection closed again. */
static struct wire_sn_list registered_list(struct rh *r, uint32_t k, uint64_t user)
{
    struct rh_client *c = register_at(r, k, user);
    RH_RUN_UNTIL(r, c->n_msg >= 1, 3000);
    assert_int_equal(c->msg[0].type, WIRE_REGISTER_OK);
    rh_close(c);
    return c->msg[0].u.sn_list;
}

static void test_supernode_forgets_unreachable_gossip_partner(void **state)
{
    struct rh *r = *state;
    /* Two live supernodes that gossip, and one that never comes up: the
     * inject_supernodes event is never fired, so that supernode has its
     * address and port but nothing listens there. */
    rh_start(r, SN_SCENARIO("{peers: 1, supernodes: 2, bootstrap: 1}",
                            "  gossip: {interval: 50ms, fanout: 2}\n"
                            "events:\n"
                            "  - at: 59s\n"
                            "    inject_supernodes: {count: 1, max_clients: 10}\n"));
    uint32_t sn0 = rh_sn_id(r, 0), live = rh_sn_id(r, 1), dead = r->pl.first_inj;

    /* Tell supernode 0 about both, as another supernode's gossip would. */
    struct rh_client *g = rh_connect(r, rh_ip(r, sn0), rh_sn_port(r, sn0));
    struct wire_msg m = {.type = WIRE_GOSSIP};
    m.u.sn_list.n = 2;
    m.u.sn_list.sns[0] = (struct wire_sn){live, rh_ip(r, live), rh_sn_port(r, live)};
    m.u.sn_list.sns[1] = (struct wire_sn){dead, rh_ip(r, dead), rh_sn_port(r, dead)};
    rh_send(g, &m);
    RH_RUN_UNTIL(r, g->n_msg >= 1, 3000);
    /* Its answer is its known list right after the merge: it has learned
     * the dead one. */
    assert_int_equal(g->msg[0].type, WIRE_GOSSIP);
    assert_true(rh_list_has(&g->msg[0].u.sn_list, dead));
    assert_true(rh_list_has(&g->msg[0].u.sn_list, live));

    /* Its own gossip soon tries the dead one, fails to connect, and drops it
     * from the lists it hands out; the live one stays. */
    struct wire_sn_list l;
    uint64_t user = 100;
    int64_t deadline = clock_mono_ns() + 3000 * RH_MS;
    do {
        if (clock_mono_ns() > deadline)
            fail_msg("supernode %u still hands out unreachable supernode %u after 3 s", sn0, dead);
        rh_run_for(r, 50);
        l = registered_list(r, 0, user++);
    } while (rh_list_has(&l, dead));
    assert_true(rh_list_has(&l, live));
    assert_true(rh_c(r, C_GOSSIP_EXCHANGES) >= 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, rh_setup, rh_teardown)

/* GOSSIP entries that do not name a supernode where the placement puts it
 * never enter the known list, so they never reach a peer's host cache
 * (issue 13, defect 4). */
static void test_supernode_refuses_forged_gossip_entries(void **state)
{
    struct rh *r = *state;
    rh_start(r, SN_SCENARIO("{peers: 2, supernodes: 2, bootstrap: 1}", ""));
    uint32_t sn0 = rh_sn_id(r, 0), other = rh_sn_id(r, 1), peer = r->pl.first_peer;
    struct rh_client *g = rh_connect(r, rh_ip(r, sn0), rh_sn_port(r, sn0));
    struct wire_msg m = {.type = WIRE_GOSSIP};
    m.u.sn_list.n = 4;
    /* a peer (promotion is off), a supernode at the wrong port, an id past
     * the last node, and one genuine supernode */
    m.u.sn_list.sns[0] = (struct wire_sn){peer, rh_ip(r, peer), rh_sn_port(r, peer)};
    m.u.sn_list.sns[1] =
        (struct wire_sn){other, rh_ip(r, other), (uint16_t)(rh_sn_port(r, other) + 1)};
    m.u.sn_list.sns[2] = (struct wire_sn){r->pl.n_nodes + 5, rh_ip(r, other), rh_sn_port(r, other)};
    m.u.sn_list.sns[3] = (struct wire_sn){other, rh_ip(r, other), rh_sn_port(r, other)};
    rh_send(g, &m);
    RH_RUN_UNTIL(r, g->n_msg >= 1, 3000);

    assert_int_equal(g->msg[0].type, WIRE_GOSSIP);
    const struct wire_sn_list *l = &g->msg[0].u.sn_list;
    assert_false(rh_list_has(l, peer));
    assert_false(rh_list_has(l, r->pl.n_nodes + 5));
    for (uint32_t i = 0; i < l->n; i++) /* every entry as the placement has it */
        if (l->sns[i].node_id == other)
            assert_int_equal(l->sns[i].port, rh_sn_port(r, other));
    assert_int_equal(rh_c(r, C_GOSSIP_REFUSED), 3);
}

/* A registered client's connection is not a gossip channel: its GOSSIP is
 * refused whole, and it stays registered. */
static void test_supernode_ignores_gossip_from_a_registered_client(void **state)
{
    struct rh *r = *state;
    rh_start(r, SN_SCENARIO("{peers: 2, supernodes: 2, bootstrap: 1}", ""));
    uint32_t sn0 = rh_sn_id(r, 0), other = rh_sn_id(r, 1);
    struct rh_client *c = register_at(r, 0, 7);
    RH_RUN_UNTIL(r, c->n_msg >= 1, 3000);
    assert_int_equal(c->msg[0].type, WIRE_REGISTER_OK);
    uint64_t malformed = rh_c(r, C_MALFORMED);
    struct wire_msg m = {.type = WIRE_GOSSIP};
    m.u.sn_list.n = 1;
    m.u.sn_list.sns[0] = (struct wire_sn){other, rh_ip(r, other), rh_sn_port(r, other)};
    rh_send(c, &m);
    RH_RUN_UNTIL(r, rh_c(r, C_MALFORMED) > malformed, 3000);

    assert_int_equal(rh_c(r, C_GOSSIP_EXCHANGES), 0);
    assert_int_equal(c->n_msg, 1);
    assert_false(c->closed);
    assert_int_equal(rh_g(r, G_SN_CLIENTS), 1);
    (void)sn0;
}

/* ---- tickets bound to an address (issue 13, defect 3) ---- */

/* A ticket seen on the wire and replayed from another address is refused;
 * the genuine registration is untouched. */
static void test_supernode_refuses_a_ticket_replayed_from_elsewhere(void **state)
{
    struct rh *r = *state;
    rh_start(r, SN_SCENARIO("{peers: 1, supernodes: 1}", ""));
    uint32_t id = rh_sn_id(r, 0);
    struct rh_client *genuine = register_at(r, 0, 12);
    RH_RUN_UNTIL(r, genuine->n_msg >= 1, 3000);
    assert_int_equal(genuine->msg[0].type, WIRE_REGISTER_OK);
    struct rh_client *thief = rh_connect_from(r, RH_CLIENT_IP + 1, rh_ip(r, id), rh_sn_port(r, id));
    struct wire_msg m = {.type = WIRE_REGISTER, .u.ticket = rh_ticket(r, 12, 60000)};
    rh_send(thief, &m);
    RH_RUN_UNTIL(r, thief->closed, 3000);
    assert_int_equal(thief->n_msg, 1);
    assert_int_equal(thief->msg[0].type, WIRE_REGISTER_FAIL);
    assert_int_equal(thief->msg[0].u.reason, WIRE_REASON_WRONG_ADDRESS);
    assert_int_equal(rh_c(r, C_SN_REFUSED_REPLAY), 1);
    assert_int_equal(rh_c(r, C_SN_REPLACED), 0);
    assert_false(genuine->closed);
    assert_int_equal(rh_g(r, G_SN_CLIENTS), 1);
}

/* One live registration per user: a second one from the ticket's own
 * address (a rebooted peer whose old connection is not yet seen dead)
 * replaces the first, which is closed. */
static void test_supernode_replaces_an_older_registration(void **state)
{
    struct rh *r = *state;
    rh_start(r, SN_SCENARIO("{peers: 1, supernodes: 1}", "  max_clients: 1\n"));
    struct rh_client *old = register_at(r, 0, 21);
    RH_RUN_UNTIL(r, old->n_msg >= 1, 3000);
    assert_int_equal(old->msg[0].type, WIRE_REGISTER_OK);
    /* full (max_clients 1), yet the same user gets in: it takes its own place */
    struct rh_client *again = register_at(r, 0, 21);
    RH_RUN_UNTIL(r, again->n_msg >= 1 && old->closed, 3000);
    assert_int_equal(again->msg[0].type, WIRE_REGISTER_OK);
    assert_int_equal(rh_c(r, C_SN_REPLACED), 1);
    assert_int_equal(rh_c(r, C_SN_REDIRECTS), 0);
    assert_int_equal(rh_g(r, G_SN_CLIENTS), 1);
    /* another user still finds it full */
    struct rh_client *other = register_at(r, 0, 22);
    RH_RUN_UNTIL(r, other->closed, 3000);
    assert_int_equal(other->msg[0].type, WIRE_REDIRECT);
    assert_false(again->closed);
}

/* With two supernodes each knows the other from the start, so its first
 * REGISTER_OK already names it. */
static void test_supernode_starts_knowing_the_other_initial_supernodes(void **state)
{
    struct rh *r = *state;
    rh_start(r, SN_SCENARIO("{peers: 1, supernodes: 2, bootstrap: 1}", ""));
    for (uint32_t k = 0; k < 2; k++) {
        struct rh_client *c = register_at(r, k, 30 + k);
        RH_RUN_UNTIL(r, c->n_msg >= 1, 3000);
        assert_int_equal(c->msg[0].type, WIRE_REGISTER_OK);
        assert_int_equal(c->msg[0].u.sn_list.n, 1);
        assert_true(rh_list_has(&c->msg[0].u.sn_list, rh_sn_id(r, 1 - k)));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_supernode_registers_valid_ticket),
        T(test_supernode_refuses_expired_ticket),
        T(test_supernode_redirects_when_full),
        T(test_supernode_shuts_down_under_overload),
        T(test_supernode_forgets_unreachable_gossip_partner),
        T(test_supernode_refuses_forged_gossip_entries),
        T(test_supernode_ignores_gossip_from_a_registered_client),
        T(test_supernode_refuses_a_ticket_replayed_from_elsewhere),
        T(test_supernode_replaces_an_older_registration),
        T(test_supernode_starts_knowing_the_other_initial_supernodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
