/* settop_box.c - a set-top box's image fetch (see settop_box.h). */
#include "settop_box.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <openssl/evp.h>

#include "carousel.h"
#include "conn.h"
#include "fountain.h"
#include "host.h"
#include "peer.h"
#include "settop_image.h"
#include "settop_rx.h"

/* The hash stream of "does this box verify": any fixed value apart from
 * the others drawn per node. */
#define VERIFY_STREAM 0x76657269u
/* A decoding box keeps this many symbols beyond K + overhead before it
 * starts over: RaptorQ needs more than K + 2 about once in a million. */
#define FEC_SLACK 16

struct settop_box {
    struct host *h;
    struct peer *p;
    struct rng rng;           /* its own link's losses */
    bool verify;              /* keeps the bytes and checks the hash */
    bool listening;           /* on the rank's receiver */
    uint32_t rx_slot;         /* its place there */
    uint64_t heard;           /* slots that reached it while it listened (cycles heard) */
    int64_t fetch_ns;         /* run time of its first fetch since power-on; -1 none yet */
    int64_t held;             /* bytes counted in box_image_bytes */
    struct block_map map;     /* carousel: blocks it has */
    uint8_t *buf;             /* carousel, verifying: the image being stitched */
    struct fountain_dec *dec; /* fountain, verifying: the symbols kept */
    uint32_t symbols;         /* fountain: distinct symbols heard */
    uint32_t next_try;        /* fountain, verifying: symbols at the next decode */
    uint32_t last_esi;        /* fountain: the last ESI heard (they only grow) */
    bool any_esi;
    /* unicast */
    struct bufferevent *bev;
    EVP_MD_CTX *sha; /* the hash of blocks [0, next_block) */
    uint32_t next_block;
    bool in_attempt;
};

static const struct settop_image_desc *img_of(const struct settop_box *b)
{
    return b->h->settop_img;
}

static enum scn_settop_method method(const struct settop_box *b)
{
    return b->h->scn->settop.method;
}

/* Memory held for the image, in the box_image_bytes gauge. */
static void hold(struct settop_box *b, int64_t bytes)
{
    int64_t *g = b->h->m.g;
    b->held += bytes;
    g[G_BOX_IMAGE_BYTES] += bytes;
    if (g[G_BOX_IMAGE_BYTES] > g[G_BOX_IMAGE_PEAK])
        g[G_BOX_IMAGE_PEAK] = g[G_BOX_IMAGE_BYTES];
}

/* Give back everything held for rebuilding the image. */
static void release(struct settop_box *b)
{
    block_map_free(&b->map);
    free(b->buf);
    b->buf = NULL;
    fountain_dec_free(b->dec);
    b->dec = NULL;
    b->symbols = 0;
    b->any_esi = false;
    hold(b, -b->held);
}

struct settop_box *settop_box_new(struct host *h, struct peer *p)
{
    struct settop_box *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->h = h;
    b->p = p;
    rng_seed(&b->rng, h->scn->seed, p->id, RNG_STREAM_LINK);
    b->fetch_ns = -1;
    b->verify = h->scn->settop.method == SETTOP_UNICAST ||
                rng_hash_unit(h->scn->seed, p->id, VERIFY_STREAM, 0) < h->scn->settop.verify;
    return b;
}

static void close_download(struct settop_box *b)
{
    if (b->bev) {
        conn_close(b->h, b->bev);
        b->bev = NULL;
    }
}

static void reset_hash(struct settop_box *b)
{
    b->next_block = 0;
    if (b->sha)
        EVP_DigestInit_ex(b->sha, EVP_sha256(), NULL);
}

void settop_box_free(struct settop_box *b)
{
    if (!b)
        return;
    if (b->listening)
        settop_rx_unlisten(b->h->settop_rx, b);
    close_download(b);
    EVP_MD_CTX_free(b->sha);
    release(b);
    free(b);
}

uint32_t *settop_box_rx_slot(struct settop_box *b)
{
    return &b->rx_slot;
}

const uint8_t *settop_box_sha256(const struct settop_box *b)
{
    return img_of(b)->sha256;
}

/* The image is complete (and, for a verifying box, its hash checked). */
static void image_done(struct settop_box *b, bool verified)
{
    struct host *h = b->h;
    int64_t now = host_now(h);
    int64_t took = now - b->fetch_ns;
    uint64_t us = took > 0 ? (uint64_t)(took / 1000) : 0;
    h->m.c[C_IMG_OK]++;
    if (verified)
        h->m.c[C_IMG_VERIFIED]++;
    hist_add(&h->m.image_us, us);
    hist_add(&h->m.iv.image_us, us);
    if (b->listening) {
        hist_add(&h->m.img_cycles_pct, carousel_cycles_pct(b->heard, img_of(b)->n_blocks));
        settop_rx_unlisten(h->settop_rx, b);
        b->listening = false;
    }
    release(b);
    peer_settop_fetched(b->p, true, C_COUNT, 0);
}

/* ---- broadcast: carousel and fountain ---- */

static int start_listening(struct settop_box *b)
{
    const struct settop_image_desc *d = img_of(b);
    struct host *h = b->h;
    if (method(b) == SETTOP_CAROUSEL) {
        if (block_map_init(&b->map, d->n_blocks) < 0)
            goto nomem;
        hold(b, (int64_t)block_map_bytes(d->n_blocks));
        if (b->verify) {
            if (!(b->buf = malloc(d->size)))
                goto nomem;
            hold(b, (int64_t)d->size);
        }
    } else if (b->verify) {
        uint32_t max = d->n_blocks + h->scn->settop.fountain_overhead + FEC_SLACK;
        if (!(b->dec = fountain_dec_new(d->size, d->block, max)))
            goto nomem;
        hold(b, (int64_t)fountain_dec_bytes(b->dec));
        b->next_try = d->n_blocks + h->scn->settop.fountain_overhead;
    }
    if (settop_rx_listen(h->settop_rx, b) < 0)
        goto nomem;
    b->heard = 0;
    b->listening = true;
    return 0;
nomem:
    release(b);
    errno = ENOMEM;
    return -1;
}

static void hear_carousel(struct settop_box *b, const struct wire_img *img)
{
    struct host *h = b->h;
    const struct settop_image_desc *d = img_of(b);
    switch (settop_stitch(d, &b->map, b->buf, img->index, img->data, img->len)) {
    case STITCH_NEW:
        h->m.c[C_IMG_DELIVERED]++;
        break;
    case STITCH_DUP:
        h->m.c[C_IMG_DUP]++;
        return;
    default: /* the receiver checked the geometry: not reached */
        h->m.c[C_IMG_BAD]++;
        return;
    }
    if (!block_map_full(&b->map))
        return;
    if (b->buf && !settop_image_verify(d, b->buf)) {
        /* Every block marked and the hash wrong: start over. */
        h->m.c[C_IMG_CORRUPT]++;
        block_map_clear(&b->map);
        return;
    }
    image_done(b, b->buf != NULL);
}

/* A verifying fountain box has enough symbols to try: decode for real and
 * check the hash. */
static void try_decode(struct settop_box *b)
{
    struct host *h = b->h;
    const struct settop_image_desc *d = img_of(b);
    uint8_t *out = malloc(d->size);
    if (!out) {
        h->m.c[C_FEC_DECODE_FAILED]++;
        b->next_try++;
        return;
    }
    hold(b, (int64_t)d->size);
    bool ok = fountain_dec_decode(b->dec, out) == 0;
    bool good = ok && settop_image_verify(d, out);
    free(out);
    hold(b, -(int64_t)d->size);
    if (good) {
        h->m.c[C_FEC_DECODES]++;
        hist_add(&h->m.fec_overhead, fountain_dec_count(b->dec) - d->n_blocks);
        image_done(b, true);
        return;
    }
    if (ok) /* decoded to the wrong bytes */
        h->m.c[C_IMG_CORRUPT]++;
    else
        h->m.c[C_FEC_DECODE_FAILED]++;
    b->next_try = fountain_dec_count(b->dec) + 1;
}

static void hear_fountain(struct settop_box *b, const struct wire_img *img)
{
    struct host *h = b->h;
    const struct settop_image_desc *d = img_of(b);
    /* The head-end's ESIs only grow (until they wrap after 2^24 slots), so
     * one not above the last is a repeat. */
    if (b->any_esi && img->index <= b->last_esi &&
        b->last_esi - img->index < CAROUSEL_ESI_MOD / 2) {
        h->m.c[C_IMG_DUP]++;
        return;
    }
    b->any_esi = true;
    b->last_esi = img->index;
    if (!b->dec) {
        h->m.c[C_IMG_DELIVERED]++;
        b->symbols++;
        /* Counting only: complete at K + overhead, the point where the
         * decoders succeed (fec_overhead shows how often they needed more). */
        if (b->symbols >= d->n_blocks + h->scn->settop.fountain_overhead)
            image_done(b, false);
        return;
    }
    int kept = fountain_dec_add(b->dec, img->index, img->data);
    if (kept < 0) {
        /* Full and still undecodable: start over. */
        h->m.c[C_FEC_DECODE_FAILED]++;
        fountain_dec_reset(b->dec);
        b->next_try = d->n_blocks + h->scn->settop.fountain_overhead;
        return;
    }
    if (kept == 0) {
        h->m.c[C_IMG_DUP]++;
        return;
    }
    h->m.c[C_IMG_DELIVERED]++;
    b->symbols++;
    if (fountain_dec_count(b->dec) >= b->next_try)
        try_decode(b);
}

void settop_box_hear(struct settop_box *b, const struct wire_img *img)
{
    if (!b->listening)
        return;
    b->heard++;
    if (b->h->scn->settop.downstream_loss > 0 &&
        rng_uniform(&b->rng) < b->h->scn->settop.downstream_loss) {
        b->h->m.c[C_IMG_LOST]++;
        return;
    }
    if (method(b) == SETTOP_CAROUSEL)
        hear_carousel(b, img);
    else
        hear_fountain(b, img);
}

/* ---- unicast: a TCP download from the head-end ---- */

/* The attempt ended: report, after closing the connection. */
static void download_failed(struct settop_box *b, enum metric_counter why, int64_t hint_ns)
{
    close_download(b);
    b->in_attempt = false;
    peer_settop_fetched(b->p, false, why, hint_ns);
}

static void download_block(struct settop_box *b, const struct wire_img *img)
{
    struct host *h = b->h;
    const struct settop_image_desc *d = img_of(b);
    if (img->image_id != d->id || img->index != b->next_block ||
        img->len != settop_block_len(d, img->index)) {
        h->m.c[C_IMG_BAD]++;
        download_failed(b, C_DL_ERROR, 0);
        return;
    }
    h->m.c[C_IMG_DELIVERED]++;
    EVP_DigestUpdate(b->sha, img->data, img->len);
    if (++b->next_block < d->n_blocks)
        return;
    uint8_t md[SETTOP_SHA256_LEN];
    unsigned len = 0;
    EVP_DigestFinal_ex(b->sha, md, &len);
    reset_hash(b);
    if (len != SETTOP_SHA256_LEN || memcmp(md, d->sha256, SETTOP_SHA256_LEN) != 0) {
        h->m.c[C_IMG_CORRUPT]++;
        download_failed(b, C_DL_ERROR, 0);
        return;
    }
    h->m.c[C_DL_OK]++;
    close_download(b);
    b->in_attempt = false;
    image_done(b, true);
}

static int download_msg(void *arg, const struct wire_msg *m)
{
    struct settop_box *b = arg;
    switch (m->type) {
    case WIRE_IMG_BLOCK: {
        struct bufferevent *bev = b->bev;
        download_block(b, &m->u.img);
        return b->bev == bev ? 0 : 1; /* stop once the connection is gone */
    }
    case WIRE_BUSY:
        download_failed(b, C_DL_BUSY, (int64_t)m->u.retry_after_ms * NS_PER_MS);
        return 1;
    default:
        b->h->m.c[C_MALFORMED]++;
        return 0;
    }
}

static void download_read(struct bufferevent *bev, void *arg)
{
    struct settop_box *b = arg;
    (void)bev;
    if (conn_read(b->h, b->bev, download_msg, b) < 0)
        download_failed(b, C_DL_ERROR, 0);
}

static void download_event(struct bufferevent *bev, short what, void *arg)
{
    struct settop_box *b = arg;
    if (what & BEV_EVENT_CONNECTED) {
        struct wire_msg m = {.type = WIRE_IMG_FETCH};
        m.u.fetch.box_id = b->p->id;
        m.u.fetch.from_block = b->next_block;
        if (conn_send(b->h, ROLE_PEER, bev, &m) < 0)
            download_failed(b, C_DL_ERROR, 0);
        return;
    }
    download_failed(b, (what & BEV_EVENT_TIMEOUT) ? C_DL_TIMEOUT : C_DL_ERROR, 0);
}

static int start_download(struct settop_box *b)
{
    struct host *h = b->h;
    if (!b->sha) {
        if (!(b->sha = EVP_MD_CTX_new())) {
            errno = ENOMEM;
            return -1;
        }
        reset_hash(b);
    }
    uint32_t he = h->pl.first_he;
    enum conn_start st =
        conn_connect(h, ROLE_PEER, NULL, b->p->ip, placement_addr(&h->pl, he),
                     placement_port(&h->pl, he), download_read, NULL, download_event, b, &b->bev);
    if (st != CONN_STARTED) {
        if (st == CONN_ERR_NOMEM)
            errno = ENOMEM;
        return -1;
    }
    /* No byte for this long, connecting or downloading, ends the attempt. */
    struct timeval tv = clock_tv_from_ns(h->scn->settop.download.timeout_ns);
    bufferevent_set_timeouts(b->bev, &tv, &tv);
    b->in_attempt = true;
    return 0;
}

/* ---- the peer's side ---- */

void settop_box_begin(struct settop_box *b)
{
    if (b->fetch_ns < 0)
        b->fetch_ns = host_now(b->h);
}

int settop_box_fetch(struct settop_box *b)
{
    settop_box_begin(b);
    if (method(b) == SETTOP_UNICAST)
        return start_download(b);
    if (b->listening)
        return 0;
    return start_listening(b);
}

void settop_box_stop(struct settop_box *b)
{
    close_download(b);
    b->in_attempt = false;
}

void settop_box_down(struct settop_box *b)
{
    settop_box_stop(b);
    if (b->listening) {
        settop_rx_unlisten(b->h->settop_rx, b);
        b->listening = false;
    }
    reset_hash(b);
    release(b);
    b->fetch_ns = -1;
}
