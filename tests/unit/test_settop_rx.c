/* test_settop_rx.c - a rank's broadcast receiver and its boxes
 * (node/settop_rx.c, node/settop_box.c) on a real event loop.
 *
 * The host is rank 2 of 3 with a dedicated server rank: it runs the four
 * boxes and their receiver, and the head-end lives on rank 1, which this
 * test plays with a UDP socket bound at the head-end's address. Every
 * hostile datagram is counted and dropped and leaves the boxes as they
 * were; the good blocks make each box's image, checked against its SHA-256. */
#include "role_harness.h"

#include "node/carousel.h"
#include "node/fountain.h"
#include "node/settop_image.h"

#define BOX_RANK 2
#define BOXES 4
#define BLOCK 512
#define K 64 /* a 32 KiB image */

#define RX_SCENARIO(method)                                                                        \
    "name: rx-test\n"                                                                              \
    "seed: 9\n"                                                                                    \
    "duration: 60s\n"                                                                              \
    "architecture: settop\n"                                                                       \
    "nodes: {peers: 4}\n"                                                                          \
    "placement: {servers: dedicated, server_ranks: 1}\n"                                           \
    "peer: {boot_delay: 0s}\n"                                                                     \
    "settop:\n"                                                                                    \
    "  method: " method "\n"                                                                       \
    "  image: {size: 32KiB, block: 512}\n"                                                         \
    "  fountain: {overhead: 2}\n"

struct rx_test {
    struct settop_image img;
    int he;         /* the test's head-end socket */
    uint32_t rx_ip; /* the receiver it sends to */
    uint16_t rx_port;
};

static struct rx_test T;

static int bind_udp(uint32_t ip)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(ip);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

/* Start the boxes' rank (a base in use elsewhere: try another) and power
 * the boxes on; they listen once their 0 s boot has run. */
static void rx_start(struct rh *r, const char *yaml)
{
    char err[SCN_ERR_MAX] = "";
    memset(&T, 0, sizeof T);
    T.he = -1;
    r->base = event_base_new();
    assert_non_null(r->base);
    for (int attempt = 0; attempt < 8 && !r->have_host; attempt++) {
        char base[64];
        const char *ov[] = {base};
        rh_pick_base(base, sizeof base);
        if (scenario_load_string(yaml, "rx test", ov, 1, &r->scn, err, sizeof err) < 0)
            fail_msg("scenario: %s", err);
        placement_init(&r->pl, &r->scn, 3);
        if (pki_generate(&r->pki, 0, NULL, err, sizeof err) < 0)
            fail_msg("pki: %s", err);
        r->have_pki = true;
        if (host_init(&r->h, r->base, &r->scn, &r->pki, 3, NULL, BOX_RANK, 0, clock_mono_ns(), err,
                      sizeof err) == 0) {
            r->have_host = true;
        } else {
            pki_free(&r->pki);
            r->have_pki = false;
        }
    }
    if (!r->have_host)
        fail_msg("host_init: %s", err);
    assert_int_equal(r->h.nodes[ROLE_PEER].n, BOXES);
    assert_int_equal(r->h.nodes[ROLE_HEADEND].n, 0);
    assert_true(placement_rx(&r->pl, BOX_RANK, &T.rx_ip, &T.rx_port) != UINT32_MAX);
    T.he = bind_udp(placement_addr(&r->pl, r->pl.first_he));
    assert_true(r->n_udp < RH_MAX_UDP);
    r->udp[r->n_udp++] = T.he; /* closed at teardown */
    assert_int_equal(settop_image_make(&T.img, r->scn.seed, r->scn.settop.image_bytes,
                                       r->scn.settop.block_bytes),
                     0);
    assert_int_equal(T.img.d.n_blocks, K);
    for (uint32_t i = 0; i < BOXES; i++)
        assert_true(role_table[ROLE_PEER]->boot(r->h.nodes[ROLE_PEER].v[i]));
    RH_RUN_UNTIL(r, rh_g(r, G_FETCHING) == BOXES, 5000);
}

static int rx_teardown(void **state)
{
    settop_image_free(&T.img);
    return rh_teardown(state);
}

/* Send raw bytes from fd to the receiver, then let the loop take them. */
static void send_raw(struct rh *r, int fd, const void *buf, size_t len)
{
    struct sockaddr_in to;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(T.rx_ip);
    to.sin_port = htons(T.rx_port);
    assert_int_equal(sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof to), (ssize_t)len);
    uint64_t before = rh_c(r, C_BYTES_RECV);
    RH_RUN_UNTIL(r, rh_c(r, C_BYTES_RECV) > before, 5000);
}

static void send_block(struct rh *r, int fd, uint32_t id, uint32_t index, const uint8_t *data,
                       uint32_t len)
{
    struct wire_msg m = {.type = WIRE_IMG_BLOCK};
    m.u.img.image_id = id;
    m.u.img.index = index;
    m.u.img.len = len;
    memcpy(m.u.img.data, data, len);
    uint8_t buf[1600];
    int n = wire_encode_payload(&m, buf, sizeof buf);
    assert_true(n > 0);
    send_raw(r, fd, buf, (size_t)n);
}

/* Block i of the run's image, from the head-end's address. */
static void send_good(struct rh *r, uint32_t i)
{
    send_block(r, T.he, T.img.d.id, i, settop_block_bytes(&T.img, i),
               settop_block_len(&T.img.d, i));
}

/* One hostile datagram: img_bad or malformed up by one, nothing delivered. */
static void refused(struct rh *r, enum metric_counter c, void (*send)(struct rh *r))
{
    uint64_t was = rh_c(r, c), delivered = rh_c(r, C_IMG_DELIVERED);
    send(r);
    assert_int_equal(rh_c(r, c), was + 1);
    assert_int_equal(rh_c(r, C_IMG_DELIVERED), delivered);
}

static void other_image(struct rh *r)
{
    send_block(r, T.he, T.img.d.id ^ 1, 0, T.img.bytes, BLOCK);
}
static void index_past_k(struct rh *r)
{
    send_block(r, T.he, T.img.d.id, K, T.img.bytes, BLOCK);
}
static void short_block(struct rh *r)
{
    send_block(r, T.he, T.img.d.id, 1, T.img.bytes, BLOCK - 1);
}
static void not_msgpack(struct rh *r)
{
    static const uint8_t junk[] = {0xc1, 'x', 'y'};
    send_raw(r, T.he, junk, sizeof junk);
}
static void another_type(struct rh *r)
{
    struct wire_msg m = {.type = WIRE_KEEPALIVE, .u.seq = 1};
    uint8_t buf[64];
    int n = wire_encode_payload(&m, buf, sizeof buf);
    send_raw(r, T.he, buf, (size_t)n);
}

static int stranger = -1; /* a socket at another address than the head-end's */
static void from_a_stranger(struct rh *r)
{
    send_block(r, stranger, T.img.d.id, 2, settop_block_bytes(&T.img, 2), BLOCK);
}

static void test_carousel_hostile_datagrams_then_the_image(void **state)
{
    struct rh *r = *state;
    rx_start(r, RX_SCENARIO("carousel"));
    stranger = bind_udp(RH_CLIENT_IP);
    r->udp[r->n_udp++] = stranger;

    refused(r, C_IMG_BAD, other_image);
    refused(r, C_IMG_BAD, index_past_k);
    refused(r, C_IMG_BAD, short_block);
    refused(r, C_IMG_BAD, from_a_stranger);
    refused(r, C_MALFORMED, not_msgpack);
    refused(r, C_MALFORMED, another_type);
    assert_int_equal(rh_c(r, C_IMG_OK), 0);

    /* Block 0, then 3: every box takes each, and the two slots between
     * that never came are gaps. */
    send_good(r, 0);
    assert_int_equal(rh_c(r, C_IMG_DELIVERED), BOXES);
    send_good(r, 3);
    assert_int_equal(rh_c(r, C_IMG_DELIVERED), 2 * BOXES);
    assert_int_equal(rh_c(r, C_RX_GAPS), 2);
    /* Block 0 again: a duplicate for every box. */
    send_good(r, 0);
    assert_int_equal(rh_c(r, C_IMG_DUP), BOXES);

    /* The rest of the image: every box stitched it and checked its hash. */
    for (uint32_t i = 1; i < K; i++)
        if (i != 3)
            send_good(r, i);
    RH_RUN_UNTIL(r, rh_c(r, C_IMG_OK) == BOXES, 5000);
    assert_int_equal(rh_c(r, C_IMG_VERIFIED), BOXES);
    assert_int_equal(rh_c(r, C_IMG_CORRUPT), 0);
    assert_int_equal(rh_g(r, G_FETCHING), 0);
    assert_int_equal(rh_g(r, G_BOX_IMAGE_BYTES), 0); /* everything given back */
    assert_true(rh_g(r, G_BOX_IMAGE_PEAK) >= BOXES * (int64_t)T.img.d.size);
    assert_int_equal(r->h.m.image_us.count, BOXES);
    assert_int_equal(r->h.m.img_cycles_pct.count, BOXES);
}

static void esi_past_2_24(struct rh *r)
{
    send_block(r, T.he, T.img.d.id, CAROUSEL_ESI_MOD, T.img.bytes, BLOCK);
}

/* Fountain: a symbol must be a whole symbol with an ESI below 2^24; K + 2
 * symbols (source and repair mixed) decode to the image. */
static void test_fountain_hostile_symbols_then_a_real_decode(void **state)
{
    struct rh *r = *state;
    rx_start(r, RX_SCENARIO("fountain"));
    refused(r, C_IMG_BAD, short_block);
    refused(r, C_IMG_BAD, esi_past_2_24);
    refused(r, C_IMG_BAD, other_image);

    /* What the head-end would send: symbols from an encoder of the image,
     * every fourth source symbol lost, repair symbols after K. */
    struct fountain_enc *e = fountain_enc_new(T.img.bytes, T.img.d.size, BLOCK);
    assert_non_null(e);
    uint8_t sym[BLOCK];
    uint32_t sent = 0;
    for (uint32_t esi = 0; rh_c(r, C_IMG_OK) < BOXES && esi < 4 * K; esi++) {
        if (esi < K && esi % 4 == 3)
            continue;
        assert_int_equal(fountain_enc_symbol(e, esi, sym), 0);
        send_block(r, T.he, T.img.d.id, esi, sym, BLOCK);
        sent++;
    }
    fountain_enc_free(e);
    assert_int_equal(rh_c(r, C_IMG_OK), BOXES);
    assert_int_equal(rh_c(r, C_FEC_DECODES), BOXES);
    assert_int_equal(rh_c(r, C_IMG_VERIFIED), BOXES);
    assert_int_equal(sent, K + 2); /* the boxes decoded from K + overhead */
    assert_int_equal(r->h.m.fec_overhead.count, BOXES);
    assert_int_equal(r->h.m.fec_overhead.max, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_carousel_hostile_datagrams_then_the_image, rh_setup,
                                        rx_teardown),
        cmocka_unit_test_setup_teardown(test_fountain_hostile_symbols_then_a_real_decode, rh_setup,
                                        rx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
