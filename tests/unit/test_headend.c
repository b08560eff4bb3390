/* test_headend.c - the head-end of architecture settop (node/headend.c) on
 * a real event loop (role_harness.h).
 *
 * The host is rank 1 of a world of 3 (or 4) with dedicated server ranks:
 * it runs the head-end alone, and the boxes live on the other ranks, whose
 * broadcast receivers are played by the test's own UDP sockets at
 * placement_rx's addresses, bound before the head-end starts so that they
 * hear the schedule from its first slot. Fake boxes speak TCP to the
 * head-end: IMG_FETCH downloads, BOX_REGISTER and KEEPALIVE. */
#include "role_harness.h"

#include "node/carousel.h"
#include "node/fountain.h"
#include "node/settop_image.h"

#define HE_RANK 1
#define IMG_SIZE (64 * 1024)
#define BLOCK 1024
#define K (IMG_SIZE / BLOCK)
#define MAX_RX 2
/* Run time 0 is this far after the host starts, so that the receivers hear
 * the schedule from slot 0 (when the host took less to start). */
#define START_MS 100

/* The method, its channel (a bitrate), then more settop keys (indented by
 * 2). The broadcast takes half the channel. */
#define HE_SCENARIO_BW(method, channel, settop)                                                    \
    "name: headend-test\n"                                                                         \
    "seed: 5\n"                                                                                    \
    "duration: 60s\n"                                                                              \
    "architecture: settop\n"                                                                       \
    "nodes: {peers: 4}\n"                                                                          \
    "placement: {servers: dedicated, server_ranks: 1}\n"                                           \
    "settop:\n"                                                                                    \
    "  method: " method "\n"                                                                       \
    "  image: {size: 64KiB, block: 1024}\n"                                                        \
    "  channel: {bitrate: " channel "}\n" settop

/* 8mbit: 1 MB/s, a 64 KiB image in 67 ms; its carousel 4mbit, a cycle of
 * 64 slots in 133 ms. */
#define HE_SCENARIO(method, settop)                                                                \
    HE_SCENARIO_BW(method, "8mbit", "  carousel: {bitrate: 4mbit}\n" settop)

/* ---- the host and the receivers ---- */

struct he_test {
    int rx[MAX_RX]; /* the receivers of ranks 2, 3, ... */
    uint32_t n_rx;
    struct settop_image img; /* what the head-end must send */
};

static struct he_test T;

static int bind_rx(uint32_t ip, uint16_t port)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    int big = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(ip);
    sa.sin_port = htons(port);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Load the scenario, bind a receiver for every rank of boxes, and start the
 * head-end's rank. A receiver address in use elsewhere makes it try
 * another /24. */
static void he_start(struct rh *r, const char *yaml, int world)
{
    char err[SCN_ERR_MAX] = "";
    memset(&T, 0, sizeof T);
    r->base = event_base_new();
    assert_non_null(r->base);
    for (int attempt = 0; attempt < 8 && !r->have_host; attempt++) {
        char base[64];
        const char *ov[] = {base};
        rh_pick_base(base, sizeof base);
        if (scenario_load_string(yaml, "headend test", ov, 1, &r->scn, err, sizeof err) < 0)
            fail_msg("scenario: %s", err);
        placement_init(&r->pl, &r->scn, world);
        assert_int_equal(r->pl.n_he, 1);
        assert_int_equal(placement_rank_of(&r->pl, r->pl.first_he), HE_RANK);
        bool bound = true;
        T.n_rx = 0;
        for (int rank = HE_RANK + 1; rank < world && bound; rank++) {
            uint32_t ip;
            uint16_t port;
            assert_true(placement_rx(&r->pl, rank, &ip, &port) != UINT32_MAX);
            int fd = bind_rx(ip, port);
            if (fd < 0) {
                bound = false;
                break;
            }
            assert_true(T.n_rx < MAX_RX && r->n_udp < RH_MAX_UDP);
            T.rx[T.n_rx++] = fd;
            r->udp[r->n_udp++] = fd; /* closed at teardown */
        }
        if (!bound) {
            while (r->n_udp > 0)
                close(r->udp[--r->n_udp]);
            continue;
        }
        if (pki_generate(&r->pki, 0, NULL, err, sizeof err) < 0)
            fail_msg("pki: %s", err);
        r->have_pki = true;
        if (host_init(&r->h, r->base, &r->scn, &r->pki, world, NULL, HE_RANK, 0,
                      clock_mono_ns() + START_MS * RH_MS, err, sizeof err) == 0) {
            r->have_host = true;
        } else {
            pki_free(&r->pki);
            r->have_pki = false;
            while (r->n_udp > 0)
                close(r->udp[--r->n_udp]);
        }
    }
    if (!r->have_host)
        fail_msg("host_init: %s", err);
    assert_int_equal(r->h.nodes[ROLE_HEADEND].n, 1);
    assert_int_equal(r->h.nodes[ROLE_PEER].n, 0);
    assert_int_equal(settop_image_make(&T.img, r->scn.seed, r->scn.settop.image_bytes,
                                       r->scn.settop.block_bytes),
                     0);
}

static int he_teardown(void **state)
{
    settop_image_free(&T.img);
    return rh_teardown(state);
}

static uint32_t he_id(const struct rh *r)
{
    return r->pl.first_he;
}

static void *he_node(const struct rh *r)
{
    return rh_node(r, ROLE_HEADEND, he_id(r));
}

static uint32_t box_id(const struct rh *r, uint32_t i)
{
    return r->pl.first_peer + i;
}

static uint32_t k_of(const struct rh *r)
{
    return T.img.d.n_blocks;
}

/* ---- what a receiver hears ---- */

struct heard {
    uint64_t n;     /* datagrams */
    uint64_t bytes; /* their payload bytes */
    uint32_t distinct;
    bool have[K];
    bool any;
    uint32_t first, last; /* indexes */
    bool consecutive;     /* each index the one after the last (fountain ESIs) */
};

/* Take whatever waits on fd; every datagram must be an IMG_BLOCK of the
 * image, its data what the image (carousel) or the fountain (symbol size:
 * the block) says. Returns the datagrams so far (for conditions). */
static uint64_t hear(int fd, struct heard *s, bool fountain)
{
    uint8_t buf[2048];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0)
            return s->n;
        struct wire_msg m;
        enum wire_status st = wire_decode_payload(buf, (size_t)n, &m);
        if (st != WIRE_OK || m.type != WIRE_IMG_BLOCK)
            fail_msg("a receiver got %s %s", wire_status_name(st),
                     st == WIRE_OK ? wire_type_name(m.type) : "");
        assert_int_equal(m.u.img.image_id, T.img.d.id);
        uint32_t i = m.u.img.index;
        if (fountain) {
            assert_int_equal(m.u.img.len, T.img.d.block);
            if (s->any && i != s->last + 1)
                s->consecutive = false;
        } else {
            if (i >= T.img.d.n_blocks)
                fail_msg("block %u of a %u-block image", i, T.img.d.n_blocks);
            assert_int_equal(m.u.img.len, settop_block_len(&T.img.d, i));
            assert_memory_equal(m.u.img.data, settop_block_bytes(&T.img, i), m.u.img.len);
        }
        if (!s->any) {
            s->first = i;
            s->consecutive = true;
        }
        s->any = true;
        s->last = i;
        if (i < K && !s->have[i]) {
            s->have[i] = true;
            s->distinct++;
        }
        s->n++;
        s->bytes += (uint64_t)n;
    }
}

/* ---- fake boxes over TCP ---- */

/* A box's TCP connection: every IMG_BLOCK stitched into `image` in order,
 * every other message kept. Built on an rh_client, which the teardown
 * frees if the test does not close it. */
struct box {
    struct rh_client *c;
    uint32_t next;     /* the next block expected */
    uint32_t blocks;   /* IMG_BLOCKs received */
    uint64_t bytes;    /* their payload bytes */
    bool out_of_order; /* a block that was not `next`, or of another image */
    uint8_t *image;    /* IMG_SIZE bytes */
    struct wire_msg other[RH_MAX_MSGS];
    uint32_t n_other;
};

static void box_read(struct bufferevent *bev, void *arg)
{
    struct box *b = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    for (;;) {
        struct wire_msg m;
        size_t len = 0;
        enum wire_status st = wire_decode_frame(in, &m, &len);
        if (st == WIRE_NEED_MORE)
            return;
        if (st != WIRE_OK) {
            b->c->n_bad++;
            if (st == WIRE_ERR_OVERSIZE) {
                evbuffer_drain(in, evbuffer_get_length(in));
                return;
            }
            continue;
        }
        if (m.type != WIRE_IMG_BLOCK) {
            if (b->n_other < RH_MAX_MSGS)
                b->other[b->n_other] = m;
            b->n_other++;
            continue;
        }
        b->blocks++;
        b->bytes += len - 4;
        if (m.u.img.image_id != T.img.d.id || m.u.img.index != b->next ||
            m.u.img.len != settop_block_len(&T.img.d, m.u.img.index)) {
            b->out_of_order = true;
            continue;
        }
        memcpy(b->image + (size_t)b->next * T.img.d.block, m.u.img.data, m.u.img.len);
        b->next++;
    }
}

static void box_event(struct bufferevent *bev, short what, void *arg)
{
    struct box *b = arg;
    if (what & BEV_EVENT_CONNECTED) {
        b->c->connected = true;
        return;
    }
    box_read(bev, b);
    b->c->closed = true;
    b->c->failed = (what & BEV_EVENT_ERROR) != 0;
    bufferevent_free(bev);
    b->c->bev = NULL;
}

/* A connection from the address of box `as` (the head-end takes a box id
 * only from that box's address), or from the harness's client address when
 * `as` is no box. */
static struct box *box_connect(struct rh *r, uint64_t as)
{
    struct box *b = calloc(1, sizeof *b);
    assert_non_null(b);
    b->image = calloc(1, IMG_SIZE);
    assert_non_null(b->image);
    const struct placement *pl = &r->h.pl;
    uint32_t src = as < pl->n_nodes && placement_role(pl, (uint32_t)as) == ROLE_PEER
                       ? rh_ip(r, (uint32_t)as)
                       : RH_CLIENT_IP;
    b->c = rh_connect_from(r, src, rh_ip(r, he_id(r)), rh_port(r, he_id(r)));
    bufferevent_setcb(b->c->bev, box_read, NULL, box_event, b);
    return b;
}

static void box_free(struct box *b)
{
    rh_close(b->c);
    free(b->image);
    free(b);
}

static struct wire_msg fetch_msg(uint64_t box, uint32_t from)
{
    struct wire_msg m = {.type = WIRE_IMG_FETCH};
    m.u.fetch.box_id = box;
    m.u.fetch.from_block = from;
    return m;
}

static struct wire_msg register_msg(uint64_t box, const uint8_t *sha)
{
    struct wire_msg m = {.type = WIRE_BOX_REGISTER};
    m.u.box_reg.box_id = box;
    memcpy(m.u.box_reg.sha256, sha, WIRE_SHA256_LEN);
    return m;
}

static struct box *fetching(struct rh *r, uint64_t box, uint32_t from)
{
    struct box *b = box_connect(r, box);
    b->next = from;
    struct wire_msg m = fetch_msg(box, from);
    rh_send(b->c, &m);
    return b;
}

/* One message on a new connection, answered by one message and a close
 * (a refusal): that answer. */
static struct wire_msg refused_after(struct rh *r, const struct wire_msg *m)
{
    uint64_t as = m->type == WIRE_IMG_FETCH      ? m->u.fetch.box_id
                  : m->type == WIRE_BOX_REGISTER ? m->u.box_reg.box_id
                                                 : UINT64_MAX;
    struct box *b = box_connect(r, as);
    rh_send(b->c, m);
    RH_RUN_UNTIL(r, b->c->closed, 5000);
    assert_int_equal(b->n_other, 1);
    assert_int_equal(b->blocks, 0);
    struct wire_msg got = b->other[0];
    box_free(b);
    return got;
}

/* A message the head-end must count malformed, closing the connection. */
static void closed_as_malformed(struct rh *r, struct box *b, const struct wire_msg *m)
{
    uint64_t malformed = rh_c(r, C_MALFORMED);
    rh_send(b->c, m);
    RH_RUN_UNTIL(r, b->c->closed, 5000);
    assert_int_equal(rh_c(r, C_MALFORMED), malformed + 1);
}

/* ---- 1. the carousel ---- */

/* A receiver hears every block of the image, right, within about a cycle;
 * the counters say what it heard. */
static void test_carousel_covers_the_image_in_a_cycle(void **state)
{
    struct rh *r = *state;
    he_start(r, HE_SCENARIO("carousel", ""), 3);
    assert_int_equal(T.n_rx, 1);
    assert_int_equal(k_of(r), K);
    assert_int_equal(rh_g(r, G_HE_UP), 1);
    assert_int_equal(rh_g(r, G_REG_WORKERS), r->scn.settop.headend.cap.workers);
    struct heard s = {0};
    RH_RUN_UNTIL(r, (hear(T.rx[0], &s, false), s.distinct == K), 10000);
    /* About a cycle: a whole one unless the rank ran late and skipped slots. */
    assert_true(s.n >= K && s.n <= 2 * K);
    /* Stop it, take what is still on the way, and compare. */
    assert_true(role_table[ROLE_HEADEND]->crash(he_node(r)));
    rh_run_for(r, 20);
    hear(T.rx[0], &s, false);
    assert_int_equal(rh_c(r, C_HE_DATAGRAMS), s.n);
    assert_int_equal(rh_c(r, C_HE_BLOCKS), s.n); /* one receiver */
    assert_int_equal(rh_c(r, C_HE_EGRESS_BYTES), s.bytes);
    assert_int_equal(rh_c(r, C_HE_CYCLES), s.n / K);
    assert_true(rh_c(r, C_HE_CYCLES) >= 1);
}

/* Every rank of boxes has its receiver; the channel counts a slot once. */
static void test_carousel_one_datagram_per_receiver(void **state)
{
    struct rh *r = *state;
    he_start(r, HE_SCENARIO("carousel", ""), 4);
    assert_int_equal(T.n_rx, 2);
    struct heard a = {0}, b = {0};
    RH_RUN_UNTIL(
        r, (hear(T.rx[0], &a, false), hear(T.rx[1], &b, false), a.distinct == K && b.distinct == K),
        10000);
    assert_true(role_table[ROLE_HEADEND]->crash(he_node(r)));
    rh_run_for(r, 20);
    hear(T.rx[0], &a, false);
    hear(T.rx[1], &b, false);
    assert_int_equal(a.n, b.n);
    assert_int_equal(rh_c(r, C_HE_BLOCKS), a.n);
    assert_int_equal(rh_c(r, C_HE_DATAGRAMS), a.n + b.n);
    assert_int_equal(rh_c(r, C_HE_EGRESS_BYTES), a.bytes); /* once, not per receiver */
    assert_int_equal(a.bytes, b.bytes);
}

/* A crash silences the channel and closes the port; a restore brings both
 * back, the carousel where its schedule is by then. */
static void test_carousel_stops_on_crash_and_resumes_on_restore(void **state)
{
    struct rh *r = *state;
    he_start(r, HE_SCENARIO("carousel", ""), 3);
    struct heard s = {0};
    RH_RUN_UNTIL(r, hear(T.rx[0], &s, false) >= 4, 10000);
    void *he = he_node(r);
    assert_true(role_table[ROLE_HEADEND]->crash(he));
    assert_false(role_table[ROLE_HEADEND]->crash(he)); /* already down */
    assert_false(role_table[ROLE_HEADEND]->crash_candidate(he));
    assert_int_equal(rh_c(r, C_HE_CRASHES), 1);
    assert_int_equal(rh_g(r, G_HE_UP), 0);
    assert_int_equal(rh_g(r, G_REG_WORKERS), 0);
    rh_run_for(r, 20);
    hear(T.rx[0], &s, false);
    uint64_t at_crash = s.n, blocks = rh_c(r, C_HE_BLOCKS);
    /* Down for several cycles' worth of slots: nothing goes out. */
    struct rh_client *c = rh_connect(r, rh_ip(r, he_id(r)), rh_port(r, he_id(r)));
    RH_RUN_UNTIL(r, c->closed, 5000);
    assert_true(c->failed); /* refused: not listening */
    rh_run_for(r, 100);
    assert_int_equal(hear(T.rx[0], &s, false), at_crash);
    assert_int_equal(rh_c(r, C_HE_BLOCKS), blocks);

    uint64_t bps = r->scn.settop.carousel_Bps,
             slot_at_restore = carousel_slots_due(host_now(&r->h), bps, carousel_slot_bytes(BLOCK));
    assert_true(role_table[ROLE_HEADEND]->restore(he));
    assert_false(role_table[ROLE_HEADEND]->restore(he)); /* already up */
    assert_int_equal(rh_g(r, G_HE_UP), 1);
    assert_int_equal(rh_g(r, G_REG_WORKERS), r->scn.settop.headend.cap.workers);
    struct heard after = {0};
    RH_RUN_UNTIL(r, hear(T.rx[0], &after, false) >= 1, 10000);
    /* The schedule went on while it was down: the first slot after the
     * restore is one due since the restore, not the one after the last
     * sent (100 ms down is 48 slots). */
    uint64_t slot_now = carousel_slots_due(host_now(&r->h), bps, carousel_slot_bytes(BLOCK));
    assert_true(slot_at_restore >= blocks + 40);
    bool in_window = false;
    for (uint64_t slot = slot_at_restore; slot <= slot_now && !in_window; slot++)
        in_window = carousel_index(slot, K, false) == after.first;
    if (!in_window)
        fail_msg("block %u first after the restore; due were slots %llu..%llu", after.first,
                 (unsigned long long)slot_at_restore, (unsigned long long)slot_now);
    c = rh_connect(r, rh_ip(r, he_id(r)), rh_port(r, he_id(r)));
    RH_RUN_UNTIL(r, c->connected || c->closed, 5000);
    assert_true(c->connected);
}

/* ---- 2. the fountain ---- */

/* ESIs 0, 1, 2, ... one after the other, past K into repair symbols; K of
 * them and a few more decode to the image, even without the first few
 * source symbols. */
static void test_fountain_sends_esis_in_order_that_decode(void **state)
{
    struct rh *r = *state;
    he_start(r, HE_SCENARIO("fountain", ""), 3);
    bool from_0 = host_now(&r->h) < 0; /* else the first slots may be gone */
    uint32_t k = k_of(r);
    assert_int_equal(k, K);
    struct fountain_dec *dec = fountain_dec_new(T.img.d.size, T.img.d.block, k + 32);
    assert_non_null(dec);
    uint8_t *out = malloc(T.img.d.size);
    assert_non_null(out);
    struct heard s = {0};
    bool decoded = false;
    int64_t deadline = clock_mono_ns() + 10000 * RH_MS;
    /* Symbols are checked as they come: keep each one but the first 4. */
    while (!decoded) {
        if (clock_mono_ns() > deadline) {
            rh_dump_metrics(r);
            fail_msg("no decode after %llu symbols", (unsigned long long)s.n);
        }
        rh_step(r);
        uint8_t buf[2048];
        ssize_t n;
        while ((n = recv(T.rx[0], buf, sizeof buf, MSG_DONTWAIT)) > 0) {
            struct wire_msg m;
            assert_int_equal(wire_decode_payload(buf, (size_t)n, &m), WIRE_OK);
            assert_int_equal(m.type, WIRE_IMG_BLOCK);
            assert_int_equal(m.u.img.image_id, T.img.d.id);
            assert_int_equal(m.u.img.len, T.img.d.block);
            /* 0, 1, 2, ...: increasing (a rank that ran late skips some) */
            if (s.n == 0 && from_0)
                assert_int_equal(m.u.img.index, 0);
            else if (m.u.img.index <= s.last)
                fail_msg("ESI %u after %u", m.u.img.index, s.last);
            s.last = m.u.img.index;
            s.n++;
            if (m.u.img.index >= 4)
                assert_true(fountain_dec_add(dec, m.u.img.index, m.u.img.data) >= 0);
        }
        if (fountain_dec_count(dec) >= k + 2 && fountain_dec_decode(dec, out) == 0)
            decoded = true;
    }
    assert_true(s.n > k); /* repair symbols were needed */
    assert_true(settop_image_verify(&T.img.d, out));
    assert_memory_equal(out, T.img.bytes, T.img.d.size);
    free(out);
    fountain_dec_free(dec);
    /* The counters: cycles of K symbols. */
    assert_true(role_table[ROLE_HEADEND]->crash(he_node(r)));
    assert_int_equal(rh_c(r, C_HE_CYCLES), rh_c(r, C_HE_BLOCKS) / K);
    assert_int_equal(rh_c(r, C_HE_DATAGRAMS), rh_c(r, C_HE_BLOCKS));
}

/* ---- 3. unicast downloads ---- */

static void test_unicast_download_is_the_image_in_order(void **state)
{
    struct rh *r = *state;
    he_start(r, HE_SCENARIO("unicast", ""), 3);
    struct box *b = fetching(r, box_id(r, 0), 0);
    RH_RUN_UNTIL(r, rh_g(r, G_HE_SESSIONS) == 1 || b->next == K, 5000);
    RH_RUN_UNTIL(r, b->next == K || b->c->closed || b->out_of_order, 10000);
    assert_false(b->out_of_order);
    assert_int_equal(b->next, K);
    assert_true(settop_image_verify(&T.img.d, b->image));
    RH_RUN_UNTIL(r, rh_g(r, G_HE_SESSIONS) == 0, 5000);
    assert_int_equal(rh_c(r, C_HE_BLOCKS), K);
    assert_int_equal(rh_c(r, C_HE_EGRESS_BYTES), b->bytes);
    assert_int_equal(rh_c(r, C_HE_RETRANSMITS), 0);
    assert_int_equal(rh_c(r, C_HE_DATAGRAMS), 0); /* no broadcast */
    assert_int_equal(b->n_other, 0);
    box_free(b);

    /* From the middle: the rest only. */
    b = fetching(r, box_id(r, 1), 40);
    RH_RUN_UNTIL(r, b->next == K || b->c->closed || b->out_of_order, 10000);
    assert_false(b->out_of_order);
    assert_int_equal(b->blocks, K - 40);
    assert_memory_equal(b->image + 40 * BLOCK, T.img.bytes + 40 * BLOCK, IMG_SIZE - 40 * BLOCK);
    box_free(b);
}

/* A segment lost on the box's link is sent again after a hold: the box
 * sees every block in order all the same, the channel pays twice. */
static void test_unicast_loss_resends_without_a_gap(void **state)
{
    struct rh *r = *state;
    he_start(r, HE_SCENARIO("unicast", "  downstream: {loss: 0.3, retransmit: 5ms}\n"), 3);
    struct box *b = fetching(r, box_id(r, 2), 0);
    RH_RUN_UNTIL(r, b->next == K || b->c->closed || b->out_of_order, 20000);
    assert_false(b->out_of_order);
    assert_int_equal(b->blocks, K);
    assert_true(settop_image_verify(&T.img.d, b->image));
    assert_true(rh_c(r, C_HE_RETRANSMITS) > 0);
    assert_int_equal(rh_c(r, C_HE_BLOCKS), K + rh_c(r, C_HE_RETRANSMITS));
    assert_true(rh_c(r, C_HE_EGRESS_BYTES) > b->bytes);
    box_free(b);
}

/* max_downloads: one open at a time; the next gets BUSY and a hint. A
 * slow channel keeps the first one open. */
static void test_unicast_busy_beyond_max_downloads(void **state)
{
    struct rh *r = *state;
    /* 100 kB/s: 0.6 s for the image */
    he_start(r, HE_SCENARIO_BW("unicast", "800kbit", "  headend: {max_downloads: 1}\n"), 3);
    struct box *first = fetching(r, box_id(r, 0), 0);
    RH_RUN_UNTIL(r, first->blocks >= 1, 5000);
    assert_int_equal(rh_g(r, G_HE_SESSIONS), 1);
    struct wire_msg m = fetch_msg(box_id(r, 1), 0);
    struct wire_msg got = refused_after(r, &m);
    assert_int_equal(got.type, WIRE_BUSY);
    assert_true(got.u.retry_after_ms > 0);
    assert_int_equal(rh_c(r, C_HE_DL_REFUSED), 1);
    /* The first goes on to the end, and then there is room again. */
    RH_RUN_UNTIL(r, first->next == K || first->c->closed || first->out_of_order, 20000);
    assert_int_equal(first->next, K);
    RH_RUN_UNTIL(r, rh_g(r, G_HE_SESSIONS) == 0, 5000);
    box_free(first);
    struct box *again = fetching(r, box_id(r, 1), K - 1);
    RH_RUN_UNTIL(r, again->next == K || again->c->closed, 5000);
    assert_int_equal(again->next, K);
    assert_int_equal(rh_c(r, C_HE_DL_REFUSED), 1);
    box_free(again);
}

/* ---- 4. registration ---- */

static void test_register_checks_the_box_and_its_image(void **state)
{
    struct rh *r = *state;
    he_start(r, HE_SCENARIO("carousel", ""), 3);
    uint8_t wrong[WIRE_SHA256_LEN];
    memcpy(wrong, T.img.d.sha256, sizeof wrong);
    wrong[31] ^= 1;
    struct wire_msg m = register_msg(box_id(r, 0), wrong);
    struct wire_msg got = refused_after(r, &m);
    assert_int_equal(got.type, WIRE_REGISTER_FAIL);
    assert_int_equal(got.u.reason, WIRE_REASON_WRONG_IMAGE);
    /* The head-end itself is not a box, nor is an id past the run's. */
    m = register_msg(he_id(r), T.img.d.sha256);
    got = refused_after(r, &m);
    assert_int_equal(got.type, WIRE_REGISTER_FAIL);
    assert_int_equal(got.u.reason, WIRE_REASON_NOT_A_BOX);
    m = register_msg(UINT64_MAX, T.img.d.sha256);
    got = refused_after(r, &m);
    assert_int_equal(got.u.reason, WIRE_REASON_NOT_A_BOX);
    assert_int_equal(rh_c(r, C_HE_REG_SERVED), 0);

    /* A box's id from another box's address: not that box. */
    struct box *b = box_connect(r, box_id(r, 2));
    m = register_msg(box_id(r, 3), T.img.d.sha256);
    rh_send(b->c, &m);
    RH_RUN_UNTIL(r, b->c->closed, 5000);
    assert_int_equal(b->n_other, 1);
    assert_int_equal(b->other[0].type, WIRE_REGISTER_FAIL);
    assert_int_equal(b->other[0].u.reason, WIRE_REASON_NOT_A_BOX);
    box_free(b);

    /* The right image: REGISTER_OK, then keepalives answered at once. */
    b = box_connect(r, box_id(r, 3));
    m = register_msg(box_id(r, 3), T.img.d.sha256);
    rh_send(b->c, &m);
    RH_RUN_UNTIL(r, b->n_other >= 1 || b->c->closed, 5000);
    assert_int_equal(b->other[0].type, WIRE_REGISTER_OK);
    assert_int_equal(b->other[0].u.sn_list.n, 0);
    assert_int_equal(rh_c(r, C_HE_REG_SERVED), 1);
    struct wire_msg ka = {.type = WIRE_KEEPALIVE, .u.seq = 7};
    rh_send(b->c, &ka);
    RH_RUN_UNTIL(r, b->n_other >= 2 || b->c->closed, 5000);
    assert_int_equal(b->other[1].type, WIRE_KEEPALIVE_ACK);
    assert_int_equal(b->other[1].u.seq, 7);
    assert_false(b->c->closed);
    assert_int_equal(rh_c(r, C_HE_REG_SERVED), 1); /* a keepalive costs no worker */
    assert_int_equal(rh_c(r, C_MALFORMED), 0);
    box_free(b);
}

/* One worker, no queue, a long service: the second registration at once
 * is refused BUSY with the model's hint, and counted. */
static void test_register_busy_when_the_workers_are_taken(void **state)
{
    struct rh *r = *state;
    he_start(r,
             HE_SCENARIO("carousel",
                         "  headend: {register: {workers: 1, service_time: 300ms, queue: 0}}\n"),
             3);
    assert_int_equal(rh_g(r, G_REG_WORKERS), 1);
    struct box *first = box_connect(r, box_id(r, 0));
    struct wire_msg m = register_msg(box_id(r, 0), T.img.d.sha256);
    rh_send(first->c, &m);
    RH_RUN_UNTIL(r, rh_g(r, G_HE_BUSY) == 1, 5000);
    m = register_msg(box_id(r, 1), T.img.d.sha256);
    struct wire_msg got = refused_after(r, &m);
    assert_int_equal(got.type, WIRE_BUSY);
    assert_int_equal(rh_c(r, C_HE_REG_REFUSED), 1);
    RH_RUN_UNTIL(r, first->n_other >= 1 || first->c->closed, 5000);
    assert_int_equal(first->other[0].type, WIRE_REGISTER_OK);
    assert_int_equal(rh_c(r, C_HE_REG_SERVED), 1);
    assert_true(r->h.m.c[C_REG_BUSY_US] > 0);
    box_free(first);

    /* More workers by a capacity event: reg_workers follows. */
    struct scn_event ev = {0};
    ev.workers = 3;
    ev.service_time.kind = DIST_KEEP;
    role_table[ROLE_HEADEND]->reconfigure(he_node(r), &ev);
    assert_int_equal(rh_g(r, G_REG_WORKERS), 3);
}

/* ---- 5. what does not belong ---- */

static void test_out_of_order_messages_close_the_connection(void **state)
{
    struct rh *r = *state;
    /* 20 kB/s: a download stays open for 3 s */
    he_start(r, HE_SCENARIO_BW("unicast", "160kbit", ""), 3);
    /* A keepalive before any registration. */
    struct wire_msg ka = {.type = WIRE_KEEPALIVE, .u.seq = 1};
    struct box *b = box_connect(r, box_id(r, 0));
    closed_as_malformed(r, b, &ka);
    box_free(b);
    /* A message no box sends. */
    struct wire_msg loc = {.type = WIRE_LOCATE, .u.user_id = 1};
    b = box_connect(r, box_id(r, 0));
    closed_as_malformed(r, b, &loc);
    box_free(b);
    /* FETCH past the last block, and from an id that is not a box. */
    struct wire_msg m = fetch_msg(box_id(r, 0), K);
    b = box_connect(r, box_id(r, 0));
    closed_as_malformed(r, b, &m);
    box_free(b);
    m = fetch_msg(he_id(r), 0);
    b = box_connect(r, he_id(r));
    closed_as_malformed(r, b, &m);
    box_free(b);
    /* A second FETCH, and a REGISTER, on a download: the session ends. */
    b = fetching(r, box_id(r, 0), 0);
    RH_RUN_UNTIL(r, b->blocks >= 1, 5000);
    assert_int_equal(rh_g(r, G_HE_SESSIONS), 1);
    m = fetch_msg(box_id(r, 0), 3);
    closed_as_malformed(r, b, &m);
    assert_int_equal(rh_g(r, G_HE_SESSIONS), 0);
    box_free(b);
    b = fetching(r, box_id(r, 1), 0);
    RH_RUN_UNTIL(r, b->blocks >= 1, 5000);
    m = register_msg(box_id(r, 1), T.img.d.sha256);
    closed_as_malformed(r, b, &m);
    assert_int_equal(rh_g(r, G_HE_SESSIONS), 0);
    box_free(b);
    assert_int_equal(rh_c(r, C_HE_REG_SERVED), 0);
    /* Bytes that are no message at all: counted, the connection stays. */
    b = box_connect(r, box_id(r, 0));
    const uint8_t junk[] = {0, 0, 0, 3, 0xc1, 0x00, 0x17};
    uint64_t malformed = rh_c(r, C_MALFORMED);
    assert_int_equal(bufferevent_write(b->c->bev, junk, sizeof junk), 0);
    RH_RUN_UNTIL(r, rh_c(r, C_MALFORMED) > malformed, 5000);
    box_free(b);
}

/* Under a broadcast method there are no downloads. */
static void test_fetch_under_carousel_is_refused(void **state)
{
    struct rh *r = *state;
    he_start(r, HE_SCENARIO("carousel", ""), 3);
    struct wire_msg m = fetch_msg(box_id(r, 0), 0);
    struct box *b = box_connect(r, box_id(r, 0));
    closed_as_malformed(r, b, &m);
    assert_int_equal(b->blocks, 0);
    assert_int_equal(rh_g(r, G_HE_SESSIONS), 0);
    box_free(b);
}

/* A crash closes every connection: downloads and registrations. */
static void test_crash_closes_sessions_and_registrations(void **state)
{
    struct rh *r = *state;
    he_start(r, HE_SCENARIO_BW("unicast", "160kbit", ""), 3);
    struct box *dl = fetching(r, box_id(r, 0), 0);
    struct box *reg = box_connect(r, box_id(r, 1));
    struct wire_msg m = register_msg(box_id(r, 1), T.img.d.sha256);
    rh_send(reg->c, &m);
    RH_RUN_UNTIL(r, dl->blocks >= 1 && reg->n_other >= 1, 5000);
    assert_int_equal(rh_g(r, G_HE_SESSIONS), 1);
    assert_true(role_table[ROLE_HEADEND]->crash(he_node(r)));
    assert_int_equal(rh_g(r, G_HE_SESSIONS), 0);
    RH_RUN_UNTIL(r, dl->c->closed && reg->c->closed, 5000);
    assert_true(dl->next < K);
    box_free(dl);
    box_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_carousel_covers_the_image_in_a_cycle, rh_setup,
                                        he_teardown),
        cmocka_unit_test_setup_teardown(test_carousel_one_datagram_per_receiver, rh_setup,
                                        he_teardown),
        cmocka_unit_test_setup_teardown(test_carousel_stops_on_crash_and_resumes_on_restore,
                                        rh_setup, he_teardown),
        cmocka_unit_test_setup_teardown(test_fountain_sends_esis_in_order_that_decode, rh_setup,
                                        he_teardown),
        cmocka_unit_test_setup_teardown(test_unicast_download_is_the_image_in_order, rh_setup,
                                        he_teardown),
        cmocka_unit_test_setup_teardown(test_unicast_loss_resends_without_a_gap, rh_setup,
                                        he_teardown),
        cmocka_unit_test_setup_teardown(test_unicast_busy_beyond_max_downloads, rh_setup,
                                        he_teardown),
        cmocka_unit_test_setup_teardown(test_register_checks_the_box_and_its_image, rh_setup,
                                        he_teardown),
        cmocka_unit_test_setup_teardown(test_register_busy_when_the_workers_are_taken, rh_setup,
                                        he_teardown),
        cmocka_unit_test_setup_teardown(test_out_of_order_messages_close_the_connection, rh_setup,
                                        he_teardown),
        cmocka_unit_test_setup_teardown(test_fetch_under_carousel_is_refused, rh_setup,
                                        he_teardown),
        cmocka_unit_test_setup_teardown(test_crash_closes_sessions_and_registrations, rh_setup,
                                        he_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
