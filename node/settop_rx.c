/* settop_rx.c - a rank's broadcast receiver (see settop_rx.h). */
#include "settop_rx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "carousel.h"
#include "conn.h"
#include "host.h"
#include "settop_box.h"
#include "settop_image.h"

/* Datagrams taken per wake-up before the loop runs other events. */
#define RX_BATCH 64
/* The socket's receive buffer: about 0.2 s of a 38 Mbit/s channel, so a
 * busy rank does not lose broadcast datagrams in its own kernel. */
#define RX_RCVBUF (1 << 20)

struct settop_rx {
    struct host *h;
    int fd;
    struct event *ev;
    uint32_t he_ip;            /* datagrams from anywhere else are not the head-end's */
    struct settop_box **boxes; /* listening, in no order */
    uint32_t n, cap;
    uint32_t last; /* the last slot's block or ESI, to see the slots that never came */
    bool any;
};

/* Slots between the last one and this one that never reached the receiver:
 * dropped in this rank's kernel (a full socket buffer while the rank was
 * busy), or never sent (a head-end that ran late or was down). Counted in
 * rx_gaps; a box does not count them as heard. */
static void count_gap(struct settop_rx *rx, uint32_t index)
{
    const struct host *h = rx->h;
    uint64_t mod =
        h->scn->settop.method == SETTOP_FOUNTAIN ? CAROUSEL_ESI_MOD : h->settop_img->n_blocks;
    if (rx->any) {
        uint64_t gap = ((uint64_t)index + mod - rx->last - 1) % mod;
        rx->h->m.c[C_RX_GAPS] += gap;
    }
    rx->any = true;
    rx->last = index;
}

/* Whether a block fits the run's image: its id, and an index and length
 * that the method allows. */
static bool fits(const struct host *h, const struct wire_img *img)
{
    const struct settop_image_desc *d = h->settop_img;
    if (img->image_id != d->id)
        return false;
    if (h->scn->settop.method == SETTOP_FOUNTAIN)
        return img->index < CAROUSEL_ESI_MOD && img->len == d->block;
    return img->len == settop_block_len(d, img->index); /* 0 when out of range */
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    struct settop_rx *rx = arg;
    struct host *h = rx->h;
    (void)fd;
    (void)what;
    for (int i = 0; i < RX_BATCH; i++) {
        struct wire_msg m;
        uint32_t ip;
        uint16_t port;
        enum conn_dgram r = conn_recv_datagram(h, rx->fd, &m, &ip, &port);
        if (r == CONN_DGRAM_NONE)
            return;
        if (r == CONN_DGRAM_BAD)
            continue; /* counted malformed */
        if (m.type != WIRE_IMG_BLOCK) {
            h->m.c[C_MALFORMED]++;
            continue;
        }
        if (ip != rx->he_ip || !fits(h, &m.u.img)) {
            h->m.c[C_IMG_BAD]++;
            continue;
        }
        count_gap(rx, m.u.img.index);
        /* Backwards: a box that completes leaves by swapping the last one,
         * already served, into its place. */
        for (uint32_t k = rx->n; k-- > 0;)
            settop_box_hear(rx->boxes[k], &m.u.img);
    }
}

struct settop_rx *settop_rx_new(struct host *h, char *err, size_t errlen)
{
    uint32_t ip;
    uint16_t port;
    if (placement_rx(&h->pl, h->rank, &ip, &port) == UINT32_MAX) {
        snprintf(err, errlen, "rank %d: no box to host the broadcast receiver", h->rank);
        return NULL;
    }
    struct settop_rx *rx = calloc(1, sizeof *rx);
    if (!rx) {
        snprintf(err, errlen, "rank %d: out of memory", h->rank);
        return NULL;
    }
    rx->h = h;
    rx->he_ip = placement_addr(&h->pl, h->pl.first_he);
    rx->fd = conn_udp_socket(h, ip, port);
    if (rx->fd < 0) {
        char a[32];
        placement_format_ip(ip, a, sizeof a);
        snprintf(err, errlen, "rank %d: cannot bind the broadcast receiver to %s:%u: %s", h->rank,
                 a, port, strerror(errno));
        free(rx);
        return NULL;
    }
    /* Past net.core.rmem_max when allowed (root), else up to it; rx_gaps
     * shows whether it was enough. */
    int size = RX_RCVBUF;
    if (setsockopt(rx->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
        setsockopt(rx->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    rx->ev = event_new(h->base, rx->fd, EV_READ | EV_PERSIST, on_read, rx);
    if (!rx->ev || event_add(rx->ev, NULL) < 0) {
        snprintf(err, errlen, "rank %d: cannot watch the broadcast receiver", h->rank);
        settop_rx_free(rx);
        return NULL;
    }
    return rx;
}

void settop_rx_free(struct settop_rx *rx)
{
    if (!rx)
        return;
    if (rx->ev)
        event_free(rx->ev);
    if (rx->fd >= 0)
        close(rx->fd);
    free(rx->boxes);
    free(rx);
}

int settop_rx_listen(struct settop_rx *rx, struct settop_box *b)
{
    if (rx->n == rx->cap) {
        uint32_t cap = rx->cap ? 2 * rx->cap : 64;
        struct settop_box **v = realloc(rx->boxes, cap * sizeof *v);
        if (!v)
            return -1;
        rx->boxes = v;
        rx->cap = cap;
    }
    *settop_box_rx_slot(b) = rx->n;
    rx->boxes[rx->n++] = b;
    return 0;
}

void settop_rx_unlisten(struct settop_rx *rx, struct settop_box *b)
{
    uint32_t i = *settop_box_rx_slot(b);
    if (i >= rx->n || rx->boxes[i] != b)
        return;
    rx->boxes[i] = rx->boxes[--rx->n];
    *settop_box_rx_slot(rx->boxes[i]) = i;
}
