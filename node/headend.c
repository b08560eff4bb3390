/* headend.c - the cable head-end of architecture settop (see headend.h). */
#include "headend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "capacity.h"
#include "carousel.h"
#include "conn.h"
#include "fountain.h"
#include "host.h"
#include "server.h"
#include "settop_image.h"
#include "trace.h"
#include "wire.h"

/* The pacer's period: a 38 Mbit/s channel of 1 KiB slots is ~4.6 slots per
 * tick, sent as one small burst. */
#define PACE_NS (1 * NS_PER_MS)
/* At most this much of the channel goes out at once: a rank that ran late
 * skips the older slots of the schedule rather than flood the receivers,
 * and an idle channel saves no more tokens than this for unicast. */
#define BURST_NS (10 * NS_PER_MS)
/* A download is fed only while this little waits in its output: the
 * channel, not the kernel's buffers, paces it. */
#define DL_OUTPUT_MAX (8 * 1024)
/* The rng streams of the downloads' losses: one per session. */
#define LOSS_STREAM 0x6c6f7373u

/* The head-end's life (he_set_state alone moves he_up and reg_workers). */
enum he_state { HE_DOWN = 0, HE_UP };
static const char *const he_state_names[] = {"DOWN", "UP"};

/* A connection; its first message decides what it is:
 *
 *   NEW --IMG_FETCH, room--> DOWNLOAD --last block--> DONE (linger)
 *    |        \--IMG_FETCH, max_downloads open--> CLOSING (BUSY)
 *    +--BOX_REGISTER--> REGISTERING --served--> REGISTERED (KEEPALIVE -> ACK)
 *    |        \--not a box, wrong image, refused--> CLOSING
 *    +--anything else: malformed, closed
 *
 * CLOSING closes once its answer is flushed; every state ends CLOSED when
 * the socket goes. hc_set_state alone moves he_sessions and the session
 * lists, and sets the connection's timer. */
enum hc_state {
    HC_NEW = 0,
    HC_DOWNLOAD,
    HC_DONE,
    HC_REGISTERING,
    HC_REGISTERED,
    HC_CLOSING,
    HC_CLOSED
};

struct he_conn {
    struct srv_conn base; /* first: the server hands us &base */
    enum hc_state state;
    /* DOWNLOAD */
    TAILQ_ENTRY(he_conn) turn; /* the round-robin of open downloads */
    TAILQ_ENTRY(he_conn) age;  /* the same, oldest first (for the BUSY hint) */
    uint32_t next;             /* the next block to send */
    int64_t held_until;        /* a lost segment: nothing more before this run time */
    int64_t blocked_since;     /* run time its output filled up, -1: it reads */
    struct rng loss;
    /* REGISTERED */
    uint64_t box_id;
};

TAILQ_HEAD(he_conn_list, he_conn);

struct rx_addr {
    uint32_t ip;
    uint16_t port;
};

struct headend {
    struct host *h;
    uint32_t id, ip;
    uint16_t port;
    enum he_state state;
    enum scn_settop_method method;
    struct settop_image img;
    struct fountain_enc *enc; /* fountain only */
    uint32_t k;               /* blocks (carousel, unicast) or source symbols (fountain) */
    struct server srv;
    int64_t idle_ns; /* a registered box silent this long is gone */
    struct event pacer;

    /* broadcast: one datagram per slot to each rank's receiver */
    int udp;
    struct rx_addr *rx;
    uint32_t n_rx;
    uint32_t slot_bytes;  /* the schedule's bytes per slot (carousel_slot_bytes) */
    uint64_t burst_slots; /* at most this many slots per tick */
    uint64_t next_slot;   /* the next slot of the schedule to send */
    uint32_t cycle_slots; /* slots sent since the last full cycle */

    /* unicast */
    struct he_conn_list turns, by_age;
    uint32_t sessions;
    uint64_t sessions_started; /* each session's loss stream */
    double tokens;             /* the channel's bytes that may go now (may dip below 0) */
    double tokens_max;
    int64_t tokens_ns; /* run time of the last refill */

    struct wire_msg msg; /* the block being sent (large: kept here, not on the stack) */
    uint8_t scratch[WIRE_MAX_DATAGRAM];
};

static struct headend *he_of(const struct srv_conn *c)
{
    return container_of(c->srv, struct headend, srv);
}

static void he_set_state(struct headend *he, enum he_state s)
{
    if (he->state == s)
        return;
    trace_state(he->h, TRACE_SERVICE, "headend", he->id, he_state_names[he->state],
                he_state_names[s]);
    int up = (s == HE_UP) - (he->state == HE_UP);
    he->h->m.g[G_HE_UP] += up;
    /* The head-end is the registration tier here: its workers and busy time
     * make the run's server_load. */
    he->h->m.g[G_REG_WORKERS] += up * (int64_t)he->srv.cap.cfg.workers;
    he->state = s;
}

static void hc_set_state(struct he_conn *c, enum hc_state s)
{
    struct headend *he = he_of(&c->base);
    if (c->state == s)
        return;
    if (c->state == HC_DOWNLOAD) {
        TAILQ_REMOVE(&he->turns, c, turn);
        TAILQ_REMOVE(&he->by_age, c, age);
        he->sessions--;
        he->h->m.g[G_HE_SESSIONS]--;
    }
    c->state = s;
    switch (s) {
    case HC_DOWNLOAD:
        TAILQ_INSERT_TAIL(&he->turns, c, turn);
        TAILQ_INSERT_TAIL(&he->by_age, c, age);
        he->sessions++;
        he->h->m.g[G_HE_SESSIONS]++;
        /* The pacer feeds it; a box that stops reading is caught there. */
        srv_conn_no_timer(&c->base);
        break;
    case HC_REGISTERING:
        srv_conn_no_timer(&c->base); /* the wait is the server's */
        break;
    case HC_REGISTERED:
        srv_conn_idle(&c->base, he->idle_ns);
        break;
    case HC_DONE: /* the box closes once it has the last block */
    case HC_CLOSING:
        srv_conn_deadline(&c->base, he->srv.lim->linger_ns);
        break;
    default:
        break;
    }
}

/* Out of order, or not for a head-end: counted and closed. Returns 1 for
 * on_msg (the connection is gone). */
static int reject(struct he_conn *c)
{
    he_of(&c->base)->h->m.c[C_MALFORMED]++;
    srv_conn_close(&c->base);
    return 1;
}

static void answer_and_close(struct he_conn *c, const struct wire_msg *m)
{
    hc_set_state(c, HC_CLOSING);
    srv_conn_send(&c->base, m);
}

/* Whether id is a box of the run, asking from its own address (a client
 * cannot fetch or register as another box). */
static bool is_box(const struct headend *he, uint64_t id, const struct srv_conn *c)
{
    const struct placement *pl = &he->h->pl;
    return id < pl->n_nodes && placement_role(pl, (uint32_t)id) == ROLE_PEER &&
           placement_addr(pl, (uint32_t)id) == c->peer_ip;
}

/* ---- the blocks ---- */

/* he->msg := IMG_BLOCK `index`: the block's bytes, or the fountain's
 * symbol ESI `index`. Returns its encoded size (the channel's bytes), or
 * -1 when the encoder failed. */
static int fill_block(struct headend *he, uint32_t index)
{
    struct wire_img *img = &he->msg.u.img;
    he->msg.type = WIRE_IMG_BLOCK;
    img->image_id = he->img.d.id;
    img->index = index;
    if (he->enc) {
        if (fountain_enc_symbol(he->enc, index, img->data) < 0)
            return -1;
        img->len = he->img.d.block;
    } else {
        img->len = settop_block_len(&he->img.d, index);
        memcpy(img->data, settop_block_bytes(&he->img, index), img->len);
    }
    /* Encoded once more than sent, to count what the channel carries. */
    return wire_encode_payload(&he->msg, he->scratch, sizeof he->scratch);
}

/* ---- broadcast ---- */

/* Run time at which slot `slot` of the schedule is due (carousel_slots_due
 * reaches slot + 1 then): the first ns at which slot + 1 slots' bytes fit. */
static int64_t slot_due_ns(const struct headend *he, uint64_t slot)
{
    uint64_t bps = he->h->scn->settop.carousel_Bps;
    unsigned __int128 bytes = (unsigned __int128)(slot + 1) * he->slot_bytes;
    unsigned __int128 ns = (bytes * 1000000000u + bps - 1) / bps;
    return ns > (unsigned __int128)INT64_MAX / 2 ? INT64_MAX / 2 : (int64_t)ns;
}

static void send_slot(struct headend *he, uint64_t slot)
{
    struct host *h = he->h;
    int n = fill_block(he, carousel_index(slot, he->k, he->enc != NULL));
    if (n <= 0)
        return; /* the encoder failed: nothing goes out in this slot */
    /* The channel carries a broadcast once, whatever the boxes. */
    h->m.c[C_HE_BLOCKS]++;
    h->m.c[C_HE_EGRESS_BYTES] += (uint64_t)n;
    for (uint32_t i = 0; i < he->n_rx; i++)
        if (conn_send_broadcast(h, he->udp, he->rx[i].ip, he->rx[i].port, &he->msg) == 0)
            h->m.c[C_HE_DATAGRAMS]++;
    if (++he->cycle_slots == he->k) {
        he->cycle_slots = 0;
        h->m.c[C_HE_CYCLES]++;
    }
}

/* Send the slots due by now; the schedule runs from run time 0 and never
 * drifts, so slot s goes out at slot_due_ns(s) however late this tick. */
static void broadcast_tick(struct headend *he, int64_t now)
{
    uint64_t due = carousel_slots_due(now, he->h->scn->settop.carousel_Bps, he->slot_bytes);
    if (due > he->next_slot + he->burst_slots)
        he->next_slot = due - he->burst_slots; /* late: the older slots are gone */
    for (; he->next_slot < due; he->next_slot++)
        send_slot(he, he->next_slot);
    int64_t at = slot_due_ns(he, he->next_slot);
    host_arm_at(he->h, &he->pacer, at > now + PACE_NS ? at : now + PACE_NS);
}

/* ---- unicast ---- */

static void refill(struct headend *he, int64_t now)
{
    double dt = (double)(now - he->tokens_ns) / 1e9;
    he->tokens_ns = now;
    if (dt > 0)
        he->tokens += dt * (double)he->h->scn->settop.channel_Bps;
    if (he->tokens > he->tokens_max)
        he->tokens = he->tokens_max;
}

/* The next block of session c onto the channel. A segment lost on the
 * box's link costs the channel all the same and holds the session for
 * TCP's retransmission timeout; the box sees the delay, never a gap. */
static void send_next_block(struct headend *he, struct he_conn *c, int64_t now)
{
    struct host *h = he->h;
    const struct scn_settop *st = &h->scn->settop;
    int n = fill_block(he, c->next);
    if (n <= 0) {
        srv_conn_close(&c->base);
        return;
    }
    he->tokens -= n;
    h->m.c[C_HE_BLOCKS]++;
    h->m.c[C_HE_EGRESS_BYTES] += (uint64_t)n;
    if (st->downstream_loss > 0 && rng_uniform(&c->loss) < st->downstream_loss) {
        h->m.c[C_HE_RETRANSMITS]++;
        c->held_until = now + st->retransmit_ns;
        return;
    }
    srv_conn_send(&c->base, &he->msg);
    if (++c->next == he->k)
        hc_set_state(c, HC_DONE);
}

/* Whether session c may take a block now. One whose output stays full
 * longer than a request may take (request_deadline) has a box that stopped
 * reading: it is closed. */
static bool session_ready(struct headend *he, struct he_conn *c, int64_t now)
{
    if (c->held_until > now)
        return false;
    if (evbuffer_get_length(bufferevent_get_output(c->base.bev)) < DL_OUTPUT_MAX) {
        c->blocked_since = -1;
        return true;
    }
    if (c->blocked_since < 0) {
        c->blocked_since = now;
    } else if (now - c->blocked_since > he->srv.lim->request_deadline_ns) {
        he->h->m.c[C_CONN_DEADLINE]++;
        srv_conn_close(&c->base);
    }
    return false;
}

/* The open downloads share the channel block by block, round-robin, as
 * long as its tokens last. */
static void unicast_tick(struct headend *he, int64_t now)
{
    refill(he, now);
    uint32_t passed = 0; /* sessions in a row that could take nothing */
    while (he->tokens > 0 && passed < he->sessions) {
        struct he_conn *c = TAILQ_FIRST(&he->turns);
        TAILQ_REMOVE(&he->turns, c, turn);
        TAILQ_INSERT_TAIL(&he->turns, c, turn);
        if (!session_ready(he, c, now)) { /* c may be gone */
            passed++;
            continue;
        }
        passed = 0;
        send_next_block(he, c, now);
    }
    if (he->sessions > 0)
        host_arm_in(&he->pacer, PACE_NS);
}

static void pacer_tick(evutil_socket_t fd, short what, void *arg)
{
    struct headend *he = arg;
    if (he->state != HE_UP)
        return;
    int64_t now = host_now(he->h);
    if (he->method == SETTOP_UNICAST)
        unicast_tick(he, now);
    else
        broadcast_tick(he, now);
}

/* A hint for a box turned away: about when the oldest open download ends,
 * each session having its share of the channel. */
static uint32_t download_hint_ms(const struct headend *he)
{
    const struct he_conn *oldest = TAILQ_FIRST(&he->by_age);
    if (!oldest)
        return 0;
    double bytes = (double)(he->k - oldest->next) * he->slot_bytes * he->sessions;
    double ms = bytes / (double)he->h->scn->settop.channel_Bps * 1e3;
    return ms < 1 ? 1 : ms > 3600e3 ? 3600000u : (uint32_t)ms;
}

static int on_fetch(struct he_conn *c, const struct wire_msg *m)
{
    struct headend *he = he_of(&c->base);
    struct host *h = he->h;
    if (c->state != HC_NEW || he->method != SETTOP_UNICAST ||
        !is_box(he, m->u.fetch.box_id, &c->base) || m->u.fetch.from_block >= he->k)
        return reject(c);
    uint32_t max = h->scn->settop.headend.max_downloads;
    if (max && he->sessions >= max) {
        struct wire_msg busy = {.type = WIRE_BUSY, .u.retry_after_ms = download_hint_ms(he)};
        h->m.c[C_HE_DL_REFUSED]++;
        answer_and_close(c, &busy);
        return 0;
    }
    c->box_id = m->u.fetch.box_id;
    c->next = m->u.fetch.from_block;
    c->held_until = 0;
    c->blocked_since = -1;
    rng_seed(&c->loss, h->scn->seed, he->id, LOSS_STREAM + he->sessions_started++);
    if (he->sessions == 0)
        refill(he, host_now(h)); /* an idle channel saved at most tokens_max */
    hc_set_state(c, HC_DOWNLOAD);
    if (!evtimer_pending(&he->pacer, NULL))
        host_arm_in(&he->pacer, 0);
    return 0;
}

/* ---- registration ---- */

static int on_register(struct he_conn *c, const struct wire_msg *m)
{
    struct headend *he = he_of(&c->base);
    if (c->state == HC_REGISTERING)
        return 0; /* the first is being served */
    if (c->state != HC_NEW)
        return reject(c);
    uint32_t reason = 0;
    if (!is_box(he, m->u.box_reg.box_id, &c->base))
        reason = WIRE_REASON_NOT_A_BOX;
    else if (memcmp(m->u.box_reg.sha256, he->img.d.sha256, SETTOP_SHA256_LEN) != 0)
        reason = WIRE_REASON_WRONG_IMAGE;
    if (reason) {
        struct wire_msg fail = {.type = WIRE_REGISTER_FAIL, .u.reason = reason};
        answer_and_close(c, &fail);
        return 0;
    }
    c->box_id = m->u.box_reg.box_id;
    hc_set_state(c, HC_REGISTERING);
    uint32_t hint = 0;
    if (srv_conn_submit(&c->base, &hint) == CAP_V_REJECTED) {
        struct wire_msg busy = {.type = WIRE_BUSY, .u.retry_after_ms = hint};
        answer_and_close(c, &busy);
    }
    return 0;
}

static void on_served(struct srv_conn *sc)
{
    struct he_conn *c = (struct he_conn *)sc;
    if (c->state != HC_REGISTERING)
        return;
    hc_set_state(c, HC_REGISTERED);
    struct wire_msg ok = {.type = WIRE_REGISTER_OK}; /* an empty list: nothing to pass on */
    srv_conn_send(&c->base, &ok);
}

/* ---- connection events ---- */

static int on_msg(struct srv_conn *sc, const struct wire_msg *m)
{
    struct he_conn *c = (struct he_conn *)sc;
    if (c->state == HC_CLOSING)
        return 0; /* its answer is on the way out */
    switch (m->type) {
    case WIRE_IMG_FETCH:
        return on_fetch(c, m);
    case WIRE_BOX_REGISTER:
        return on_register(c, m);
    case WIRE_KEEPALIVE: {
        if (c->state != HC_REGISTERED)
            return reject(c);
        struct wire_msg ack = {.type = WIRE_KEEPALIVE_ACK, .u.seq = m->u.seq};
        srv_conn_send(&c->base, &ack); /* at once: a keepalive costs no worker */
        return 0;
    }
    default:
        return reject(c);
    }
}

static void on_flushed(struct srv_conn *sc)
{
    if (((struct he_conn *)sc)->state == HC_CLOSING)
        srv_conn_close(sc); /* the refusal has been flushed */
}

static void on_close(struct srv_conn *sc)
{
    hc_set_state((struct he_conn *)sc, HC_CLOSED);
}

static const struct server_ops he_server_ops = {
    .on_msg = on_msg,
    .on_served = on_served,
    .on_flushed = on_flushed,
    .on_close = on_close,
};

/* ---- lifecycle ---- */

/* Listen, and start the pacer. At create (restored false) the run's start
 * time is not known yet (coordinator/main.c sets it after the nodes are
 * made): the first tick, when the loop starts, finds the schedule. */
static int go_up(struct headend *he, bool restored)
{
    struct host *h = he->h;
    char err[256];
    if (server_listen(&he->srv, he->ip, he->port, (int)h->scn->login_server.backlog, err,
                      sizeof err) < 0) {
        fprintf(stderr, "bootstorm: rank %d: head-end %u: %s\n", h->rank, he->id, err);
        return -1;
    }
    he_set_state(he, HE_UP);
    if (restored && he->method != SETTOP_UNICAST) {
        /* The carousel goes on where the schedule is now: the slots of the
         * time it was down are not made up. */
        uint64_t due = carousel_slots_due(host_now(h), h->scn->settop.carousel_Bps, he->slot_bytes);
        if (due > he->next_slot)
            he->next_slot = due;
    }
    host_arm_in(&he->pacer, 0);
    return 0;
}

/* Listener closed, every connection and queued registration dropped, the
 * channel silent. */
static void set_down(struct headend *he)
{
    if (he->state != HE_UP)
        return;
    event_del(&he->pacer);
    server_stop(&he->srv);
    he_set_state(he, HE_DOWN);
}

static void he_free(struct headend *he)
{
    if (!he)
        return;
    set_down(he);
    server_stop(&he->srv);
    event_del(&he->pacer);
    if (he->udp >= 0)
        close(he->udp);
    free(he->rx);
    fountain_enc_free(he->enc);
    settop_image_free(&he->img);
    free(he);
}

/* Each rank's receiver that hosts boxes: the broadcast's destinations. */
static int find_receivers(struct headend *he)
{
    const struct placement *pl = &he->h->pl;
    he->rx = calloc((size_t)pl->world_size, sizeof *he->rx);
    if (!he->rx)
        return -1;
    for (int rank = 0; rank < pl->world_size; rank++) {
        uint32_t ip;
        uint16_t port;
        if (placement_rx(pl, rank, &ip, &port) != UINT32_MAX)
            he->rx[he->n_rx++] = (struct rx_addr){ip, port};
    }
    return 0;
}

/* The scenario's image and channel, checked again here: a bad value is an
 * error, never a crash. */
static int check_config(const struct scn_settop *st, char *err, size_t errlen)
{
    if (st->block_bytes == 0 || st->block_bytes > WIRE_IMG_MAX_BLOCK)
        snprintf(err, errlen, "settop.image.block is %u bytes; it must be 1..%u", st->block_bytes,
                 WIRE_IMG_MAX_BLOCK);
    else if (st->image_bytes == 0 ||
             (st->image_bytes + st->block_bytes - 1) / st->block_bytes > CAROUSEL_ESI_MOD)
        snprintf(err, errlen,
                 "settop.image.size is %llu bytes: it must be 1 or more, in at most %u "
                 "blocks",
                 (unsigned long long)st->image_bytes, CAROUSEL_ESI_MOD);
    else if (st->channel_Bps == 0)
        snprintf(err, errlen, "settop.channel.bitrate is 0");
    else if (st->method != SETTOP_UNICAST && st->carousel_Bps == 0)
        snprintf(err, errlen, "settop.carousel.bitrate is 0");
    else
        return 0;
    return -1;
}

static void *op_create(struct host *h, uint32_t id, char *err, size_t errlen)
{
    const struct scn_settop *st = &h->scn->settop;
    char why[192];
    if (check_config(st, why, sizeof why) < 0) {
        snprintf(err, errlen, "head-end %u: %s", id, why);
        return NULL;
    }
    struct headend *he = calloc(1, sizeof *he);
    if (!he) {
        snprintf(err, errlen, "head-end %u: out of memory", id);
        return NULL;
    }
    he->h = h;
    he->id = id;
    he->ip = placement_addr(&h->pl, id);
    he->port = placement_port(&h->pl, id);
    he->state = HE_DOWN;
    he->method = st->method;
    he->udp = -1;
    he->idle_ns = 3 * h->scn->workload.keepalive_ns + h->scn->peer.reg.timeout_ns;
    TAILQ_INIT(&he->turns);
    TAILQ_INIT(&he->by_age);
    struct cap_metrics m = {.g_queue = G_HE_QUEUE,
                            .g_busy = G_HE_BUSY,
                            .c_served = C_HE_REG_SERVED,
                            .c_rejected = C_HE_REG_REFUSED,
                            .c_wasted = C_HE_REG_WASTED,
                            .queue_us = &h->m.he_reg_queue_us,
                            .service_us = &h->m.he_reg_service_us,
                            .c_busy_us = C_REG_BUSY_US};
    server_init(&he->srv, h, ROLE_HEADEND, id, NULL, &he_server_ops, sizeof(struct he_conn),
                &st->headend.conns, &st->headend.cap, &m);
    evtimer_assign(&he->pacer, h->base, pacer_tick, he);

    if (settop_image_make(&he->img, h->scn->seed, st->image_bytes, st->block_bytes) < 0) {
        snprintf(err, errlen, "head-end %u: cannot make the %llu-byte image (out of memory)", id,
                 (unsigned long long)st->image_bytes);
        goto fail;
    }
    he->k = he->img.d.n_blocks;
    if (he->method == SETTOP_FOUNTAIN) {
        he->enc = fountain_enc_new(he->img.bytes, he->img.d.size, he->img.d.block);
        if (!he->enc) {
            snprintf(err, errlen,
                     "head-end %u: the RaptorQ encoder refused %llu bytes in %u-byte symbols "
                     "(or out of memory)",
                     id, (unsigned long long)he->img.d.size, he->img.d.block);
            goto fail;
        }
        he->k = fountain_enc_k(he->enc);
    }
    he->slot_bytes = carousel_slot_bytes(he->img.d.block);
    uint64_t bps = he->method == SETTOP_UNICAST ? st->channel_Bps : st->carousel_Bps;
    he->burst_slots = carousel_slots_due(BURST_NS, bps, he->slot_bytes);
    if (he->burst_slots == 0)
        he->burst_slots = 1;
    he->tokens_max = (double)st->channel_Bps * BURST_NS / 1e9;
    if (he->tokens_max < he->slot_bytes)
        he->tokens_max = he->slot_bytes;

    /* The broadcast leaves from the head-end's own address (any port). */
    he->udp = conn_udp_socket(h, he->ip, 0);
    if (he->udp < 0) {
        snprintf(err, errlen, "head-end %u: UDP socket: %s", id, strerror(errno));
        goto fail;
    }
    if (find_receivers(he) < 0) {
        snprintf(err, errlen, "head-end %u: out of memory", id);
        goto fail;
    }
    if (go_up(he, false) < 0) {
        snprintf(err, errlen, "head-end %u: cannot listen on TCP port %u", id, he->port);
        goto fail;
    }
    return he;
fail:
    he_free(he);
    return NULL;
}

static void op_destroy(void *node)
{
    he_free(node);
}

static uint32_t op_id(const void *node)
{
    return ((const struct headend *)node)->id;
}

static bool op_crash(void *node)
{
    struct headend *he = node;
    if (he->state != HE_UP)
        return false;
    he->h->m.c[C_HE_CRASHES]++;
    set_down(he);
    return true;
}

static bool op_crash_candidate(const void *node)
{
    return ((const struct headend *)node)->state == HE_UP;
}

static bool op_restore(void *node)
{
    struct headend *he = node;
    return he->state == HE_DOWN && go_up(he, true) == 0;
}

static void op_reconfigure(void *node, const struct scn_event *ev)
{
    struct headend *he = node;
    int64_t before = he->srv.cap.cfg.workers;
    cap_reconfigure(&he->srv.cap, ev);
    if (he->state == HE_UP)
        he->h->m.g[G_REG_WORKERS] += (int64_t)he->srv.cap.cfg.workers - before;
}

static void op_stall(void *node, int64_t for_ns)
{
    cap_stall(&((struct headend *)node)->srv.cap, for_ns);
}

const struct role_ops headend_role = {
    .role = ROLE_HEADEND,
    .create = op_create,
    .destroy = op_destroy,
    .id = op_id,
    .crash = op_crash,
    .crash_candidate = op_crash_candidate,
    .restore = op_restore,
    .reconfigure = op_reconfigure,
    .stall = op_stall,
};
